import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeFlag } from '../shared/cluster/cluster-node.js';
import {
  ClusterMessageReader,
  encodeClusterMessage,
  MessageFlag0,
  MessageType,
  type ClusterMessage,
  type ClusterMessageHeader,
  type GossipEntry,
  type PingMessage,
  type UpdateMessage,
} from '../shared/cluster/cluster-message.js';
import { SimpleString } from '../shared/resp/reply.js';
import { RespConnection } from './helpers/resp-connection.js';
import { freePort, waitFor } from './helpers/server-process.js';

/** Stock redis-server with cluster-enabled, on a port P such that its bus port P+10000 was free too. */
interface ClusterRedis {
  port: number;
  busPort: number;
  proc: ChildProcess;
  dir: string;
  output(): string;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function startClusterRedis(): Promise<ClusterRedis> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 35001);
    if (!(await portFree(port)) || !(await portFree(port + 10000))) continue;
    const dir = mkdtempSync(path.join(tmpdir(), 'cluster-bus-'));
    const proc = spawn(
      'redis-server',
      [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--cluster-enabled', 'yes',
        '--cluster-config-file', path.join(dir, 'nodes.conf'),
        '--save', '',
        '--appendonly', 'no',
        '--dir', dir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    let up = false;
    await waitFor(async () => {
      if (proc.exitCode !== null) return true;
      try {
        const c = await RespConnection.tcp(port);
        up = (await c.call('PING')) !== null;
        c.close();
        return up;
      } catch {
        return false;
      }
    }, 15_000, 'redis-server to start');
    if (up) return { port, busPort: port + 10000, proc, dir, output: () => out };
    rmSync(dir, { recursive: true, force: true });
    // Someone took one of the two ports between our check and Redis's bind: try another pair.
    if (!/already in use/i.test(out)) throw new Error(`redis-server exited:\n${out}`);
  }
  throw new Error('no free port pair for redis-server');
}

function randomName(): string {
  return randomBytes(20).toString('hex');
}

function slotRange(from: number, to: number): Uint8Array {
  const b = new Uint8Array(2048);
  for (let s = from; s <= to; s++) b[s >> 3] |= 1 << (s & 7);
  return b;
}

function union(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((x, i) => x | b[i]);
}

/** A message received by a fake node, with the socket it came on. */
interface Received {
  msg: ClusterMessage;
  at: number;
  socket: Socket;
}

/**
 * A fake cluster node built on the codec: it listens on its bus port (cport), answers every PING or MEET with
 * a PONG describing itself, and records everything it receives.
 */
class FakeNode {
  readonly name = randomName();
  slots: Uint8Array = new Uint8Array(2048);
  configEpoch = 0;
  hostname = '';
  gossip: GossipEntry[] = [];
  readonly received: Received[] = [];
  readonly sockets: Socket[] = [];
  readonly errors: unknown[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly cport: number,
  ) {}

  static async start(): Promise<FakeNode> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // The client port is only announced, never dialled by Redis: any free number will do.
    const node = new FakeNode(server, await freePort(), (server.address() as { port: number }).port);
    server.on('connection', (s) => node.attach(s));
    return node;
  }

  header(): Omit<ClusterMessageHeader, 'type'> {
    return {
      port: this.port,
      currentEpoch: this.configEpoch,
      configEpoch: this.configEpoch,
      offset: 0,
      sender: this.name,
      slots: this.slots,
      replicaOf: null,
      myip: '127.0.0.1',
      pport: 0,
      cport: this.cport,
      flags: NodeFlag.MASTER,
      clusterOk: false,
      mflags: [0, 0, 0],
    };
  }

  ping(type: 0 | 1 | 2): Uint8Array {
    return encodeClusterMessage({
      ...this.header(),
      type,
      gossip: this.gossip,
      extensions: this.hostname ? [{ type: 0, hostname: this.hostname }] : [],
    });
  }

  /** Opens a connection to a bus port (as Redis does to a node it meets) and reads what comes back on it. */
  async dial(port: number): Promise<Socket> {
    const s = connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    this.attach(s);
    return s;
  }

  private attach(socket: Socket): void {
    this.sockets.push(socket);
    const reader = new ClusterMessageReader();
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      try {
        reader.push(d);
        for (let msg = reader.next(); msg; msg = reader.next()) {
          this.received.push({ msg, at: Date.now(), socket });
          if (msg.type === MessageType.PING || msg.type === MessageType.MEET) socket.write(this.ping(MessageType.PONG));
        }
      } catch (e) {
        this.errors.push(e);
        socket.destroy();
      }
    });
  }

  /** The first message received since `since` (ms) that satisfies `pred`, waiting up to 10 s for it. */
  async waitMessage<T extends ClusterMessage>(
    pred: (m: ClusterMessage) => m is T,
    since?: number,
  ): Promise<Received & { msg: T }>;
  async waitMessage(pred: (m: ClusterMessage) => boolean, since?: number): Promise<Received>;
  async waitMessage(pred: (m: ClusterMessage) => boolean, since = 0): Promise<Received> {
    let found: Received | undefined;
    await waitFor(() => {
      found = this.received.find((r) => r.at >= since && pred(r.msg));
      return found !== undefined;
    }, 10_000, 'a bus message from redis');
    return found!;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** One line of CLUSTER NODES, split into its fields. */
interface NodeLine {
  name: string;
  address: string;
  flags: string[];
  master: string;
  configEpoch: number;
  link: string;
  slots: string[];
}

function parseNodes(text: string): NodeLine[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const f = line.split(' ');
      return {
        name: f[0],
        address: f[1],
        flags: f[2].split(','),
        master: f[3],
        configEpoch: Number(f[6]),
        link: f[7],
        slots: f.slice(8),
      };
    });
}

describe('cluster bus interop with a stock redis-server', () => {
  let redis: ClusterRedis;
  let cli: RespConnection;
  let redisId: string;
  let fake: FakeNode;
  let meetLink: Socket;
  const fakeSlots = slotRange(16000, 16383);

  const nodes = async () => parseNodes((await cli.call('CLUSTER', 'NODES')) as string);
  const isPing = (m: ClusterMessage): m is PingMessage => m.type === MessageType.PING;

  beforeAll(async () => {
    redis = await startClusterRedis();
    cli = await RespConnection.tcp(redis.port);
    redisId = (await cli.call('CLUSTER', 'MYID')) as string;
    fake = await FakeNode.start();
    fake.slots = fakeSlots;
  });

  afterAll(async () => {
    cli?.close();
    await fake?.close();
    if (redis) {
      const exited = new Promise((r) => redis.proc.once('exit', r));
      if (redis.proc.exitCode === null) redis.proc.kill('SIGTERM');
      await exited;
      rmSync(redis.dir, { recursive: true, force: true });
    }
  });

  it('answers our MEET with a PONG that describes it: name, ports, empty slots', async () => {
    meetLink = await fake.dial(redis.busPort);
    meetLink.write(fake.ping(MessageType.MEET));
    const { msg } = await fake.waitMessage((m) => m.type === MessageType.PONG);
    expect(msg).toMatchObject({
      type: MessageType.PONG,
      sender: redisId,
      port: redis.port,
      cport: redis.busPort,
      pport: 0,
      flags: NodeFlag.MYSELF | NodeFlag.MASTER,
      replicaOf: null,
      myip: '',
      currentEpoch: 0,
      configEpoch: 0,
      // No slots are served yet, so Redis sees its cluster as failed.
      clusterOk: false,
      gossip: [],
      extensions: [],
    });
    expect(msg.slots).toEqual(new Uint8Array(2048));
    expect(fake.errors).toEqual([]);
  });

  it('lists a node at the address our MEET announced', async () => {
    const address = `127.0.0.1:${fake.port}@${fake.cport}`;
    await waitFor(async () => (await nodes()).some((n) => n.address === address), 10_000, 'our node in CLUSTER NODES');
    const line = (await nodes()).find((n) => n.address === address)!;
    // Until our PONG on Redis's own link it knows us under a random name, flagged handshake.
    expect(line.name === fake.name || line.flags.includes('handshake')).toBe(true);
  });

  it('connects to our cport and PINGs us; our PONG completes the handshake as a connected master', async () => {
    fake.hostname = 'fake-node.test';
    const { msg, socket } = await fake.waitMessage(isPing);
    expect(msg).toMatchObject({ sender: redisId, port: redis.port, cport: redis.busPort });
    // It comes on Redis's own link to our cport, not on the connection we met it on.
    expect(socket).not.toBe(meetLink);
    expect(socket.localPort).toBe(fake.cport);

    let line: NodeLine | undefined;
    await waitFor(async () => {
      line = (await nodes()).find((n) => n.name === fake.name);
      return line !== undefined && line.link === 'connected' && !line.flags.includes('handshake');
    }, 10_000, 'the handshake to complete');
    expect(line!.flags).toEqual(['master']);
    expect(line!.master).toBe('-');
    expect(fake.errors).toEqual([]);
  });

  it('takes the slots and the hostname our PONGs announce', async () => {
    let line: NodeLine | undefined;
    await waitFor(async () => {
      line = (await nodes()).find((n) => n.name === fake.name);
      return line !== undefined && line.slots.length > 0 && line.address.includes(',');
    }, 10_000, 'redis to adopt our slots and hostname');
    expect(line!.slots).toEqual(['16000-16383']);
    expect(line!.address).toBe(`127.0.0.1:${fake.port}@${fake.cport},fake-node.test`);
  });

  it('carries slots 0..99 in a later message after CLUSTER ADDSLOTSRANGE 0 99', async () => {
    const since = Date.now();
    expect(await cli.call('CLUSTER', 'ADDSLOTSRANGE', '0', '99')).toEqual(new SimpleString('OK'));
    const { msg } = await fake.waitMessage(
      (m) => m.sender === redisId && m.slots.every((b, i) => b === slotRange(0, 99)[i]),
      since,
    );
    expect(msg.sender).toBe(redisId);
    expect(msg.slots.slice(0, 13)).toEqual(new Uint8Array([...new Array(12).fill(0xff), 0x0f]));
  });

  it('sends its announced hostname as a ping extension with EXT_DATA set', async () => {
    const since = Date.now();
    await cli.call('CONFIG', 'SET', 'cluster-announce-hostname', 'redis-under-test.local');
    const { msg } = await fake.waitMessage(
      (m) => m.sender === redisId && m.type <= MessageType.MEET && (m as PingMessage).extensions.length > 0,
      since,
    );
    expect(msg.mflags[0] & MessageFlag0.EXT_DATA).toBe(MessageFlag0.EXT_DATA);
    expect(msg).toMatchObject({ extensions: [{ type: 0, hostname: 'redis-under-test.local' }] });
  });

  it('learns a third node from our gossip, connects to it, and gossips about our nodes in return', async () => {
    const third = await FakeNode.start();
    try {
      fake.gossip = [
        {
          name: third.name,
          pingSent: 0,
          pongReceived: Math.floor(Date.now() / 1000),
          ip: '127.0.0.1',
          port: third.port,
          cport: third.cport,
          flags: NodeFlag.MASTER,
          pport: 0,
        },
      ];
      // Redis creates the node from gossip with its exact name and opens a link to its cport.
      const { msg: toThird } = await third.waitMessage(isPing);
      expect(toThird.sender).toBe(redisId);
      const thirdUp = async () => (await nodes()).some((n) => n.name === third.name && n.link === 'connected');
      await waitFor(thirdUp, 10_000, 'the third node');

      // With three nodes Redis puts one gossip entry in each PING.
      const about = new Map([
        [fake.name, fake],
        [third.name, third],
      ]);
      const isGossip = (m: ClusterMessage) => m.type === MessageType.PING && m.gossip.some((g) => about.has(g.name));
      const got = await Promise.race([fake.waitMessage(isGossip), third.waitMessage(isGossip)]);
      const entry = (got.msg as PingMessage).gossip.find((g) => about.has(g.name))!;
      const node = about.get(entry.name)!;
      expect(entry).toMatchObject({ ip: '127.0.0.1', port: node.port, cport: node.cport, pport: 0 });
      expect(entry.flags & (NodeFlag.MASTER | NodeFlag.HANDSHAKE | NodeFlag.NOADDR)).toBe(NodeFlag.MASTER);
      // Times travel in seconds: 0 (no ping pending / no pong yet, e.g. for a node just learned) or about now.
      const secondsOrZero = (t: number) => t === 0 || Math.abs(t - Date.now() / 1000) < 60;
      expect([entry.pingSent, entry.pongReceived].map(secondsOrZero)).toEqual([true, true]);
    } finally {
      fake.gossip = [];
      await third.close();
    }
  });

  it('propagates PUBLISH to us over the bus, binary-safe', async () => {
    const since = Date.now();
    const payload = 'bin\x00\xff\r\n';
    expect(await cli.call('PUBLISH', 'bus-news', payload)).toBe(0);
    const { msg } = await fake.waitMessage((m) => m.type === MessageType.PUBLISH, since);
    expect(msg).toMatchObject({ type: MessageType.PUBLISH, sender: redisId, channel: 'bus-news', message: payload });
  });

  it('delivers our PUBLISH to its subscribers', async () => {
    const sub = await RespConnection.tcp(redis.port);
    try {
      expect(await sub.call('SUBSCRIBE', 'from-bus')).toEqual(['subscribe', 'from-bus', 1]);
      // Redis reads on its own link to us too: answer on the connection its latest PING came on.
      const { socket } = [...fake.received].reverse().find((r) => r.msg.type === MessageType.PING)!;
      const message = 'hi\x00\xfe';
      socket.write(encodeClusterMessage({ ...fake.header(), type: MessageType.PUBLISH, channel: 'from-bus', message }));
      expect(await sub.next()).toEqual(['message', 'from-bus', message]);
    } finally {
      sub.close();
    }
  });

  it('answers a stale claim on its slots with an UPDATE carrying its configuration', async () => {
    await cli.call('CLUSTER', 'BUMPEPOCH');
    const info = (await cli.call('CLUSTER', 'INFO')) as string;
    const myEpoch = Number(/cluster_my_epoch:(\d+)/.exec(info)![1]);
    expect(myEpoch).toBeGreaterThan(0);
    const since = Date.now();
    // We claim Redis's slots 0..99 with config epoch 0, older than Redis's.
    fake.slots = union(fakeSlots, slotRange(0, 99));
    const { msg } = await fake.waitMessage((m): m is UpdateMessage => m.type === MessageType.UPDATE, since);
    expect(msg.sender).toBe(redisId);
    expect(msg.update.name).toBe(redisId);
    expect(msg.update.configEpoch).toBe(myEpoch);
    expect(msg.update.slots).toEqual(slotRange(0, 99));
    expect(fake.errors).toEqual([]);
  });
});
