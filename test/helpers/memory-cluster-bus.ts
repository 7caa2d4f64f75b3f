import type { BusLink, Cluster, ClusterHost } from '../../shared/cluster/cluster.js';
import { NodeFlag, type ClusterNode } from '../../shared/cluster/cluster-node.js';
import type { MasterConnection, MasterConnector } from '../../shared/replication/replica-link.js';
import type { Reply } from '../../shared/resp/reply.js';
import { createHarness, type TestClient } from './core-harness.js';
import { MemoryNetwork, settle } from './memory-network.js';

/** A harness as createHarness returns it. */
export type Harness = ReturnType<typeof createHarness>;

/** Every node lives on this address; nodes differ by port (bus port = port + 10000). */
export const NODE_IP = '127.0.0.1';
/** Redis's CLUSTER_PORT_INCR. */
const BUS_PORT_INCR = 10000;
/** The cron period in production (hz 10). */
const CRON_STEP_MS = 100;

/** A small deterministic PRNG (mulberry32), so gossip choices and node names repeat from run to run. */
function prng(seed: number): (bytes: Uint8Array) => void {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (bytes) => {
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
  };
}

/**
 * Runs `build` with crypto.getRandomValues answering from `fill`: a core draws its node name and replication id
 * while it is constructed, before a test could install host.randomBytes.
 */
function withRandom<T>(fill: (bytes: Uint8Array) => void, build: () => T): T {
  const c = globalThis.crypto as unknown as { getRandomValues: <A extends ArrayBufferView | null>(a: A) => A };
  const own = Object.getOwnPropertyDescriptor(c, 'getRandomValues');
  Object.defineProperty(c, 'getRandomValues', {
    configurable: true,
    writable: true,
    value: <A extends ArrayBufferView | null>(a: A): A => {
      if (a) fill(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      return a;
    },
  });
  try {
    return build();
  } finally {
    if (own) Object.defineProperty(c, 'getRandomValues', own);
    else delete (c as { getRandomValues?: unknown }).getRandomValues;
  }
}

/** One bus connection between two nodes: an outbound BusLink of `from` paired with an inbound one of `to`. */
export class BusPipe {
  open = true;

  constructor(
    readonly from: MemoryClusterNode,
    readonly fromCluster: Cluster,
    readonly outbound: BusLink,
    readonly to: MemoryClusterNode,
    readonly toCluster: Cluster,
    readonly inbound: BusLink,
  ) {}

  /** Closes the connection; `closedBy` (if any) learnt it from its own freeLink, the other side gets linkDown. */
  close(closedBy: 'from' | 'to' | null): void {
    if (!this.open) return;
    this.open = false;
    this.from.bus.pipes.delete(this);
    queueMicrotask(() => {
      if (closedBy !== 'from') {
        this.fromCluster.linkDown(this.outbound);
        this.from.core.flushWrites();
      }
      if (closedBy !== 'to') {
        this.toCluster.linkDown(this.inbound);
        this.to.core.flushWrites();
      }
    });
  }
}

function pairKey(a: MemoryClusterNode, b: MemoryClusterNode): string {
  return a.index < b.index ? `${a.index}-${b.index}` : `${b.index}-${a.index}`;
}

/** A replication connection opened through the MemoryNetwork, remembered so a partition can cut it. */
interface ReplicationLink {
  replica: MemoryClusterNode;
  master: MemoryClusterNode | undefined;
  conn: MasterConnection;
}

/**
 * One cluster node of the test bed: a core built by createHarness in cluster mode. `restart` replaces the
 * harness (a new process loading the saved nodes.conf), so tests keep this object across restarts.
 */
export class MemoryClusterNode {
  harness!: Harness;
  /** The last nodes.conf text the node saved (survives restarts, as the file on disk). */
  savedConfig: string | null = null;
  alive = true;
  /** Cut off the network: links closed, new connections refused both ways. */
  partitioned = false;
  /** Bumped on every restart: links and deliveries of an older incarnation are dropped. */
  generation = 0;
  private admin: TestClient | null = null;

  constructor(
    readonly bus: MemoryClusterBus,
    readonly index: number,
    readonly port: number,
    readonly config: Record<string, string>,
  ) {}

  get core() {
    return this.harness.core;
  }

  get cluster(): Cluster {
    return this.harness.cluster!;
  }

  get cport(): number {
    return this.port + BUS_PORT_INCR;
  }

  /** This node's name (its CLUSTER MYID). */
  get name(): string {
    return this.cluster.myself.name;
  }

  /** Whether the network can reach it. */
  get reachable(): boolean {
    return this.alive && !this.partitioned;
  }

  /** A new client connected to this node. */
  client(): TestClient {
    return this.harness.client();
  }

  /** Runs a command on a shared admin client of this incarnation. */
  call(...argv: Array<string | number>): Reply {
    if (!this.admin || this.admin.core !== this.core) this.admin = this.harness.client();
    return this.admin.call(...argv);
  }

  /** How this node sees `other` (null when it does not know it). */
  view(other: MemoryClusterNode | string): ClusterNode | null {
    const name = typeof other === 'string' ? other : other.name;
    return this.cluster.state.nodes.get(name) ?? null;
  }

  /** CLUSTER NODES, one parsed line per node. */
  nodes(): ClusterNodesLine[] {
    return parseClusterNodes(String(this.call('CLUSTER', 'NODES')));
  }

  /** The CLUSTER INFO fields. */
  info(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of String(this.call('CLUSTER', 'INFO')).split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
    }
    return out;
  }

  /** Its cluster_state ('ok' or 'fail'). */
  get clusterState(): string {
    return this.cluster.state.state;
  }

  /** The ClusterHost of one incarnation: bus connections through the test bed, nodes.conf in memory. */
  makeHost(generation: number): ClusterHost {
    return {
      connect: (link, ip, port) => this.bus.connect(this, generation, link, ip, port),
      saveConfig: (text) => {
        this.savedConfig = text;
      },
      loadConfig: () => this.savedConfig,
    };
  }
}

/** One CLUSTER NODES line, split into its fields. */
export interface ClusterNodesLine {
  id: string;
  address: string;
  flags: string[];
  master: string;
  pingSent: number;
  pongReceived: number;
  configEpoch: number;
  linkState: string;
  slots: string[];
}

/** Splits CLUSTER NODES text into its lines' fields. */
export function parseClusterNodes(text: string): ClusterNodesLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const f = line.split(' ');
      return {
        id: f[0],
        address: f[1],
        flags: f[2].split(','),
        master: f[3],
        pingSent: Number(f[4]),
        pongReceived: Number(f[5]),
        configEpoch: Number(f[6]),
        linkState: f[7],
        slots: f.slice(8),
      };
    });
}

/** Options of a test bed. */
export interface MemoryClusterBusOptions {
  /** cluster-node-timeout in ms (default 1000). */
  nodeTimeout?: number;
  /** First node's port (default 30001); the others follow. */
  basePort?: number;
  /** Seed of the nodes' random sources. */
  seed?: number;
  /** Deliver bus bytes in chunks of at most this many bytes (default: whole writes), as a socket may. */
  maxChunk?: number;
  /** Extra config for every node. */
  config?: Record<string, string>;
  /** Start time (ms since the epoch). */
  now?: number;
}

/**
 * A deterministic in-memory Redis Cluster: N cluster-mode cores sharing one fake clock, whose cluster bus links
 * are in-memory pipes (bytes delivered in order on the microtask queue, never re-entrantly) and whose
 * replication goes through a MemoryNetwork. Nodes can be partitioned, healed, killed and restarted from
 * their saved nodes.conf; `tick` drives time and every live core's cron as production does (10 times a second).
 */
export class MemoryClusterBus {
  readonly nodes: MemoryClusterNode[] = [];
  readonly net = new MemoryNetwork();
  readonly pipes = new Set<BusPipe>();
  private readonly replicationLinks = new Set<ReplicationLink>();
  /** Node pairs that cannot reach each other (cutBetween). */
  private readonly blocked = new Set<string>();
  now: number;
  readonly nodeTimeout: number;
  private readonly basePort: number;
  private readonly seed: number;
  private readonly maxChunk: number;
  private readonly config: Record<string, string>;

  constructor(opts: MemoryClusterBusOptions = {}) {
    this.now = opts.now ?? 1_700_000_000_000;
    this.nodeTimeout = opts.nodeTimeout ?? 1000;
    this.basePort = opts.basePort ?? 30001;
    this.seed = opts.seed ?? 1;
    this.maxChunk = opts.maxChunk ?? Infinity;
    this.config = opts.config ?? {};
  }

  /** Adds `count` nodes (each a master knowing only itself) and returns them. */
  add(count = 1, config: Record<string, string> = {}): MemoryClusterNode[] {
    const out: MemoryClusterNode[] = [];
    for (let i = 0; i < count; i++) {
      const index = this.nodes.length;
      const node = new MemoryClusterNode(this, index, this.basePort + index, { ...this.config, ...config });
      this.nodes.push(node);
      this.boot(node);
      out.push(node);
    }
    return out;
  }

  /** Builds (or rebuilds, on restart) a node's core. */
  private boot(node: MemoryClusterNode): void {
    node.generation++;
    const generation = node.generation;
    const random = prng(this.seed * 1000 + node.index * 37 + generation);
    const connector: MasterConnector = (target, events) => this.replicate(node, generation, target, events);
    node.harness = withRandom(random, () =>
      createHarness({
        now: this.now,
        config: {
          'cluster-enabled': 'yes',
          port: String(node.port),
          'cluster-node-timeout': String(this.nodeTimeout),
          ...node.config,
        },
        connector,
        clusterHost: node.makeHost(generation),
      }),
    );
    node.core.host.randomBytes = random;
    this.net.register(`${NODE_IP}:${node.port}`, node.core);
  }

  /** The live node whose bus listens on ip:cport. */
  private nodeAtBus(ip: string, cport: number): MemoryClusterNode | undefined {
    if (ip !== NODE_IP) return undefined;
    return this.nodes.find((n) => n.cport === cport);
  }

  /** ClusterHost.connect of `from`: pairs the outbound link with an inbound link of the node at ip:cport. */
  connect(from: MemoryClusterNode, generation: number, link: BusLink, ip: string, cport: number): void {
    const fromCluster = from.cluster;
    let abandoned = false;
    // The cluster may give the link up (freeLink) before the connection completes.
    link.close = () => {
      abandoned = true;
    };
    queueMicrotask(() => {
      if (abandoned || link.closed || from.generation !== generation || !from.alive) return;
      const to = this.nodeAtBus(ip, cport);
      if (!to || !this.canTalk(from, to)) {
        // Connection refused (or unreachable): the adapter reports the link down.
        fromCluster.linkDown(link);
        from.core.flushWrites();
        return;
      }
      const toCluster = to.cluster;
      const inbound = toCluster.accept();
      link.remoteIp = NODE_IP;
      link.localIp = NODE_IP;
      inbound.remoteIp = NODE_IP;
      inbound.localIp = NODE_IP;
      const pipe = new BusPipe(from, fromCluster, link, to, toCluster, inbound);
      this.pipes.add(pipe);
      link.send = (bytes) => this.deliver(pipe, bytes, toCluster, inbound, to);
      inbound.send = (bytes) => this.deliver(pipe, bytes, fromCluster, link, from);
      link.close = () => pipe.close('from');
      inbound.close = () => pipe.close('to');
      fromCluster.linkUp(link);
      from.core.flushWrites();
    });
  }

  /** Queues bytes for the other end of a pipe, in order, optionally split into chunks. */
  private deliver(pipe: BusPipe, bytes: Uint8Array, cluster: Cluster, link: BusLink, node: MemoryClusterNode): void {
    const copy = bytes.slice();
    const step = Math.max(1, Math.min(this.maxChunk, copy.length || 1));
    for (let i = 0; i < copy.length; i += step) {
      const chunk = copy.subarray(i, i + step);
      queueMicrotask(() => {
        if (!pipe.open) return;
        cluster.receive(link, chunk);
        node.core.flushWrites();
      });
    }
  }

  /** The MemoryNetwork connector of `replica`, refusing (or later cutting) connections across a partition. */
  private replicate(
    replica: MemoryClusterNode,
    generation: number,
    target: Parameters<MasterConnector>[0],
    events: Parameters<MasterConnector>[1],
  ): MasterConnection {
    const master = target.kind === 'tcp' && target.host === NODE_IP ? this.nodes.find((n) => n.port === target.port) : undefined;
    if (replica.generation !== generation || !replica.reachable || (master && !this.canTalk(replica, master))) {
      queueMicrotask(() => events.onClose('connection refused'));
      return { write() {}, close() {} };
    }
    const conn = this.net.connector(target, events);
    const record: ReplicationLink = { replica, master, conn };
    this.replicationLinks.add(record);
    return {
      write: (bytes) => conn.write(bytes),
      close: () => {
        this.replicationLinks.delete(record);
        conn.close();
      },
    };
  }

  /** Closes every bus and replication connection of a node. */
  private disconnect(node: MemoryClusterNode): void {
    for (const p of [...this.pipes]) if (p.from === node || p.to === node) p.close(null);
    for (const r of [...this.replicationLinks]) {
      if (r.replica === node || r.master === node) {
        this.replicationLinks.delete(r);
        r.conn.close();
      }
    }
  }

  /** Whether a connection between two nodes can be made now. */
  canTalk(a: MemoryClusterNode, b: MemoryClusterNode): boolean {
    return a.reachable && b.reachable && !this.blocked.has(pairKey(a, b));
  }

  /** Cuts the network between two nodes only (both directions); each still reaches every other node. */
  cutBetween(a: MemoryClusterNode, b: MemoryClusterNode): void {
    this.blocked.add(pairKey(a, b));
    for (const p of [...this.pipes]) if ((p.from === a && p.to === b) || (p.from === b && p.to === a)) p.close(null);
    for (const r of [...this.replicationLinks]) {
      if ((r.replica === a && r.master === b) || (r.replica === b && r.master === a)) {
        this.replicationLinks.delete(r);
        r.conn.close();
      }
    }
  }

  /** Undoes cutBetween. */
  healBetween(a: MemoryClusterNode, b: MemoryClusterNode): void {
    this.blocked.delete(pairKey(a, b));
  }

  /** Partitions a node away: its links close and no connection to or from it succeeds until `heal`. */
  cut(node: MemoryClusterNode): void {
    node.partitioned = true;
    this.disconnect(node);
  }

  /** Ends a partition: the node's crons reconnect. */
  heal(node: MemoryClusterNode): void {
    node.partitioned = false;
  }

  /** Crashes a node: no more cron, links closed, connections refused. */
  kill(node: MemoryClusterNode): void {
    node.alive = false;
    this.disconnect(node);
    this.net.unregister(`${NODE_IP}:${node.port}`);
  }

  /** Starts a killed node again: a new core loading the nodes.conf it saved last (its dataset is gone). */
  restart(node: MemoryClusterNode): void {
    if (node.alive) this.kill(node);
    node.alive = true;
    node.partitioned = false;
    this.boot(node);
  }

  /** Sends raw bytes on the bus connection from `from` to `to`, as if `from` wrote them. */
  sendRaw(from: MemoryClusterNode, to: MemoryClusterNode, bytes: Uint8Array): BusPipe {
    const pipe = [...this.pipes].find((p) => p.from === from && p.to === to);
    if (!pipe) throw new Error(`no bus link from node ${from.index} to node ${to.index}`);
    this.deliver(pipe, bytes, pipe.toCluster, pipe.inbound, to);
    return pipe;
  }

  /** Lets every queued delivery run. */
  async settle(): Promise<void> {
    await settle(1);
  }

  /** Advances the shared clock by `ms` in cron periods, running every live core's cron and all deliveries. */
  async tick(ms: number = CRON_STEP_MS): Promise<void> {
    await this.settle();
    for (let elapsed = 0; elapsed < ms; elapsed += CRON_STEP_MS) {
      this.now += Math.min(CRON_STEP_MS, ms - elapsed);
      for (const n of this.nodes) n.harness.clock.now = this.now;
      for (const n of this.nodes) if (n.alive) n.core.cron();
      await this.settle();
    }
  }

  /** Ticks until `check` holds; returns the fake milliseconds it took. Throws after `maxMs`. */
  async until(check: () => boolean, what: string, maxMs = 30_000): Promise<number> {
    const start = this.now;
    await this.settle();
    while (!check()) {
      if (this.now - start >= maxMs) throw new Error(`never reached within ${maxMs} ms: ${what}`);
      await this.tick(CRON_STEP_MS);
    }
    return this.now - start;
  }

  /** Live nodes. */
  get live(): MemoryClusterNode[] {
    return this.nodes.filter((n) => n.alive);
  }

  /** Whether every node in `nodes` knows every other by its real name, with no handshake left. */
  allKnowEachOther(nodes: MemoryClusterNode[] = this.live): boolean {
    return nodes.every((a) => {
      const state = a.cluster.state;
      if (state.nodes.size !== nodes.length) return false;
      return nodes.every((b) => {
        const v = state.nodes.get(b.name);
        return v !== undefined && (v.flags & NodeFlag.HANDSHAKE) === 0;
      });
    });
  }

  /** Node 0 meets every other node; resolves once all of them know each other. */
  async meetAll(nodes: MemoryClusterNode[] = this.nodes): Promise<void> {
    for (const n of nodes.slice(1)) nodes[0].call('CLUSTER', 'MEET', NODE_IP, n.port);
    await this.until(() => this.allKnowEachOther(nodes), 'every node knows every other');
  }

  /**
   * A working cluster: `masters` masters sharing the 16384 slots evenly (config epochs 1..masters, set before
   * they meet) and one replica per entry of `replicasOf` (the index of the master it replicates). Resolves when
   * every node is in state ok, every node agrees on the roles and every replica's replication link is up.
   */
  async createCluster(masters: number, replicasOf: number[] = []): Promise<{ masters: MemoryClusterNode[]; replicas: MemoryClusterNode[] }> {
    const m = this.add(masters);
    const r = this.add(replicasOf.length);
    const per = Math.floor(16384 / masters);
    m.forEach((node, i) => {
      const first = i * per;
      const last = i === masters - 1 ? 16383 : first + per - 1;
      node.call('CLUSTER', 'ADDSLOTSRANGE', first, last);
      node.call('CLUSTER', 'SET-CONFIG-EPOCH', i + 1);
    });
    await this.meetAll([...m, ...r]);
    r.forEach((node, i) => node.call('CLUSTER', 'REPLICATE', m[replicasOf[i]].name));
    const all = [...m, ...r];
    await this.until(
      () =>
        all.every((n) => n.clusterState === 'ok') &&
        r.every((n, i) => n.core.masterLinkUp && all.every((o) => o.view(n)?.replicaOf === m[replicasOf[i]].name)),
      'cluster ok with replicas in sync',
    );
    return { masters: m, replicas: r };
  }
}
