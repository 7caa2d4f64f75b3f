import { ByteWriter, concatBytes } from '../bytes.js';
import type { Client } from '../engine/client.js';
import type { CommandSpec } from '../engine/command-spec.js';
import type { ServerCore } from '../engine/server-core.js';
import { NOREPLICAS } from '../errors.js';
import { Database } from '../store/database.js';
import { cloneValue } from '../store/clone-value.js';
import { Failover } from './failover.js';
import { ReplicationBacklog } from './backlog.js';
import { NULL_REPLID, newReplId } from './replication-id.js';
import { snapshotChunks } from './snapshot.js';
import { expireReplicaKeys } from './replica-key-expiry.js';
import { replicationInfo, replicationStats } from './replication-info.js';
import { ReplicaLink, describeTarget, type MasterConnector, type MasterTarget } from './replica-link.js';

const registry = new WeakMap<ServerCore, Replication>();

/** The replication subsystem of a core (created by `new Replication(core)`). */
export function replicationOf(core: ServerCore): Replication {
  const r = registry.get(core);
  if (!r) throw new Error('replication is not set up on this server');
  return r;
}

/** The replication subsystem of a core, or null for a bare core without one. */
export function replicationIfAny(core: ServerCore): Replication | null {
  return registry.get(core) ?? null;
}

/** Where a replica is in its life on the master (INFO's slaveN state). */
export type ReplicaPeerState = 'wait_bgsave' | 'send_bulk' | 'online';

/** What the master knows about one replica connection. */
export interface ReplicaPeer {
  client: Client;
  listeningPort: number;
  ipAddress: string;
  capaEof: boolean;
  capaPsync2: boolean;
  /** Connected with the old SYNC: gets no ACK-based timeouts. */
  preSync: boolean;
  state: ReplicaPeerState;
  /** Last offset the replica acknowledged (REPLCONF ACK). */
  ackOffset: number;
  /** When the last ACK (or any input) arrived, ms. */
  ackTime: number;
  /** The snapshot being sent (send_bulk). */
  transfer: Iterator<Uint8Array> | null;
  /** The EOF marker for diskless ($EOF:) transfers; null for $<len>. */
  eofMark: string | null;
  /** Stream bytes produced since the snapshot, held until the snapshot is sent. */
  pending: Uint8Array[];
  pendingBytes: number;
  /** Total snapshot bytes sent (for logs). */
  sentBytes: number;
  /**
   * After an EOF-marked snapshot the stream is held until the replica's first ACK: a replica that finds the
   * end of the snapshot by its trailing mark (stock Redis does) must not receive stream bytes behind it.
   */
  holdStream: boolean;
  /** When a diskless sync began waiting for repl-diskless-sync-delay (wait_bgsave), ms. */
  waitingSince: number;
}

/** Settings REPLCONF gives before PSYNC. */
interface HandshakeInfo {
  listeningPort: number;
  ipAddress: string;
  capaEof: boolean;
  capaPsync2: boolean;
}

/** Replication counters for INFO stats. */
export interface ReplicationStats {
  syncFull: number;
  syncPartialOk: number;
  syncPartialErr: number;
  netReplInputBytes: number;
  netReplOutputBytes: number;
}

/** The most snapshot bytes queued on one replica's socket before we wait for it to drain. */
const SNAPSHOT_WINDOW = 4 * 1024 * 1024;

/** The keepalive a master sends a replica whose sync has not started (Redis's replicationCron). */
const NEWLINE = new Uint8Array([10]);

/**
 * Replication state and the master side of PSYNC, as Redis's replication.c: the replication ids and offsets,
 * the backlog, the connected replicas and their snapshots, ACKs, WAIT and min-replicas. The replica side
 * (our link to a master) lives in replica-link.ts and shares this state, because a replica is also a master
 * to its own sub-replicas: the stream it applies is fed here byte for byte.
 */
export class Replication {
  replid: string;
  replid2 = NULL_REPLID;
  secondReplOffset = -1;
  /** master_repl_offset: bytes of stream produced (master) or applied (replica). */
  offset = 0;
  backlog: ReplicationBacklog | null = null;
  /** When the last replica went away (for repl-backlog-ttl), ms; 0 while replicas are attached. */
  noReplicasSince = 0;
  readonly peers = new Map<Client, ReplicaPeer>();
  private readonly handshakes = new Map<Client, HandshakeInfo>();
  readonly stats: ReplicationStats = {
    syncFull: 0,
    syncPartialOk: 0,
    syncPartialErr: 0,
    netReplInputBytes: 0,
    netReplOutputBytes: 0,
  };
  /**
   * When the heartbeat schedule last fired. It starts at construction and advances every
   * repl-ping-replica-period whether replicas are attached or not, as Redis pings on the cron loops that are a
   * multiple of the period counted from its start: a replica that just attached sees its first PING within a
   * period, not at once.
   */
  private lastPingAt: number;
  /** Stream bytes for online replicas, not yet handed to them (see distributeOutgoing). */
  private outgoing: Uint8Array[] = [];
  private outgoingBytes = 0;
  /** Replicas receiving a snapshot: the only ones the flush hook has work for. */
  private readonly transferring = new Set<ReplicaPeer>();
  /**
   * Replicas not taking the live stream (receiving a snapshot, or holding it until their first ACK): they queue
   * it per replica. Kept apart so feeding a command costs nothing per online replica.
   */
  private readonly held = new Set<ReplicaPeer>();
  /** Full syncs waiting out repl-diskless-sync-delay, so replicas arriving meanwhile share one transfer start. */
  private readonly waitingStart = new Set<ReplicaPeer>();
  private readonly feedListener = (bytes: Uint8Array) => this.feed(bytes);
  private listening = false;

  /** Our link to our master, when we are a replica. */
  link: ReplicaLink | null = null;
  /** The FAILOVER command's coordination (master side). */
  readonly failover: Failover = new Failover(this);
  /** min-replicas-to-write, cached: it is checked on every command. */
  private minReplicasToWrite = 0;
  /**
   * Observers of the replication stream as it enters our history: on a master the propagated bytes, on a replica
   * the applied bytes (at command boundaries), with the offset after them. Persistence layers (the browser SDK,
   * the edge Durable Object) log them.
   */
  readonly streamObservers: Array<(bytes: Uint8Array, offset: number) => void> = [];
  /** Observers of a completed full sync (a replica swapped in a new dataset at `offset` of history `replid`). */
  readonly snapshotObservers: Array<(replid: string, offset: number) => void> = [];

  constructor(
    readonly core: ServerCore,
    /** Opens connections to a master; without one this server can only be a master. */
    /** Opens connections to other servers (masters; MIGRATE's targets); absent on the edge. */
    readonly connector?: MasterConnector,
  ) {
    registry.set(core, this);
    this.replid = newReplId(core);
    this.lastPingAt = core.now();
    core.cronTasks.push(() => this.cron());
    core.infoSections.set('replication', () => replicationInfo(core, this));
    core.infoSections.set('stats-replication', () => replicationStats(this));
    this.minReplicasToWrite = core.config.int('min-replicas-to-write');
    core.config.onChange((name) => {
      if (name === 'repl-backlog-size') this.resizeBacklog();
      if (name === 'min-replicas-to-write') this.minReplicasToWrite = core.config.int(name);
    });
    core.replicationOffset = () => this.offset;
    core.disconnectHooks.push((c) => this.onDisconnect(c));
    core.beforeFlushHooks.push(() => {
      this.distributeOutgoing();
      if (this.transferring.size > 0) this.pumpTransfers();
    });
    core.writeGuards.push((client, spec) => this.minReplicasGuard(client, spec));
  }

  // ---------------------------------------------------------------------------------------------------------
  // The stream
  // ---------------------------------------------------------------------------------------------------------

  /**
   * Creates the backlog if there is none (Redis: on the first replica), starting a new history: a fresh replid
   * and no replid2 when this server has no history of its own yet.
   */
  createBacklogIfNeeded(): void {
    if (this.backlog) return;
    this.backlog = new ReplicationBacklog(this.core.config.int('repl-backlog-size'), this.offset);
    if (!this.listening) {
      this.core.propagator.addListener(this.feedListener);
      this.listening = true;
    }
    // The replicas' selected db is unknown: the next op must start with SELECT.
    this.core.propagator.resetSelectedDb();
  }

  /**
   * Appends stream bytes: to the backlog, to online replicas, and to the hold queue of replicas still receiving
   * their snapshot. The same buffer goes to every replica (encoded once).
   */
  feed(bytes: Uint8Array): void {
    if (!this.backlog) return;
    this.backlog.append(bytes);
    this.offset = this.backlog.offset;
    for (const observe of this.streamObservers) observe(bytes, this.offset);
    for (const peer of this.held) {
      peer.pending.push(bytes);
      peer.pendingBytes += bytes.length;
    }
    if (this.peers.size > this.held.size) {
      this.outgoing.push(bytes);
      this.outgoingBytes += bytes.length;
    }
  }

  /**
   * Sends the stream produced since the last call to every online replica: joined once into one buffer and
   * handed to every replica by reference (encode once, no per-replica copy). Called before output is flushed
   * and before any replica changes state, so each replica gets each byte exactly once.
   */
  distributeOutgoing(): void {
    if (this.outgoing.length === 0) return;
    const parts = this.outgoing;
    const total = this.outgoingBytes;
    this.outgoing = [];
    this.outgoingBytes = 0;
    const batch = concatBytes(parts);
    for (const peer of this.peers.values()) {
      if (peer.state !== 'online' || peer.holdStream) continue;
      peer.client.writeRaw(batch);
      this.stats.netReplOutputBytes += total;
      this.core.queueWrite(peer.client);
    }
  }

  /**
   * Restores persisted replication state (a restart of a replica or master that kept its dataset): ids, offsets
   * and, when given, the tail of the stream as the backlog, so PSYNC can continue partially across restarts.
   */
  restoreState(state: {
    replid: string;
    offset: number;
    replid2?: string;
    secondReplOffset?: number;
    backlogTail?: Uint8Array;
  }): void {
    this.replid = state.replid;
    this.offset = state.offset;
    this.replid2 = state.replid2 ?? NULL_REPLID;
    this.secondReplOffset = state.secondReplOffset ?? -1;
    if (state.backlogTail) {
      const size = Math.max(this.core.config.int('repl-backlog-size'), state.backlogTail.length);
      this.backlog = new ReplicationBacklog(size, state.offset - state.backlogTail.length);
      this.backlog.append(state.backlogTail);
      if (!this.listening) {
        this.core.propagator.addListener(this.feedListener);
        this.listening = true;
      }
      this.core.propagator.resetSelectedDb();
    }
  }

  /** Drops the history: new replid, no replid2, empty backlog at the current offset (a new dataset lineage). */
  resetHistory(offset: number, replid: string = newReplId(this.core)): void {
    this.replid = replid;
    this.replid2 = NULL_REPLID;
    this.secondReplOffset = -1;
    this.offset = offset;
    if (this.backlog) this.backlog = new ReplicationBacklog(this.core.config.int('repl-backlog-size'), offset);
  }

  /**
   * Starts a new history that continues the old one (promotion, PSYNC2): the old id becomes replid2, valid up
   * to offset + 1, so replicas of the old history can still continue partially.
   */
  shiftReplicationId(): void {
    this.replid2 = this.replid;
    this.secondReplOffset = this.offset + 1;
    this.replid = newReplId(this.core);
    this.core.host.log('notice', `Setting secondary replication ID to ${this.replid2}, valid up to offset: ${this.secondReplOffset}. New replication ID is ${this.replid}`);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Master side: handshake, PSYNC, snapshots
  // ---------------------------------------------------------------------------------------------------------

  /** REPLCONF from a (future) replica: records its settings. */
  replconf(client: Client, key: string, value: string): void {
    let info = this.handshakes.get(client);
    if (!info) {
      info = { listeningPort: 0, ipAddress: '', capaEof: false, capaPsync2: false };
      this.handshakes.set(client, info);
    }
    const peer = this.peers.get(client);
    switch (key) {
      case 'listening-port':
        info.listeningPort = Number(value);
        if (peer) peer.listeningPort = info.listeningPort;
        break;
      case 'ip-address':
        info.ipAddress = value;
        if (peer) peer.ipAddress = value;
        break;
      case 'capa':
        if (value.toLowerCase() === 'eof') info.capaEof = true;
        if (value.toLowerCase() === 'psync2') info.capaPsync2 = true;
        break;
    }
  }

  /** REPLCONF ACK <offset>: a replica reports what it applied. */
  ack(client: Client, offset: number): void {
    const peer = this.peers.get(client);
    if (!peer) return;
    if (offset > peer.ackOffset) peer.ackOffset = offset;
    peer.ackTime = this.core.now();
    // A failover waiting for this replica to catch up may proceed now rather than at the next cron tick.
    if (this.failover.state === 'waiting-for-sync') this.failover.update();
    if (peer.holdStream) {
      this.distributeOutgoing();
      peer.holdStream = false;
      this.held.delete(peer);
      this.releasePending(peer);
    }
    // Clients in WAIT may now have enough acknowledgements.
    this.core.signalModifiedKey(0, WAIT_KEY);
  }

  /**
   * PSYNC / SYNC: answers `+CONTINUE` and the backlog tail when the replica's history matches ours and the
   * offset is in the backlog, else `+FULLRESYNC` and a snapshot. Writes directly to the client.
   */
  sync(client: Client, replid: string, from: number, psync: boolean): void {
    if (this.peers.has(client)) return;
    // Bytes already fed belong to the others; this replica gets them from the backlog or the snapshot.
    this.distributeOutgoing();
    const info = this.handshakes.get(client) ?? { listeningPort: 0, ipAddress: '', capaEof: false, capaPsync2: false };
    this.handshakes.delete(client);
    const peer: ReplicaPeer = {
      client,
      listeningPort: info.listeningPort,
      ipAddress: info.ipAddress,
      capaEof: info.capaEof,
      capaPsync2: info.capaPsync2,
      preSync: !psync,
      state: 'wait_bgsave',
      ackOffset: 0,
      ackTime: this.core.now(),
      transfer: null,
      eofMark: null,
      pending: [],
      pendingBytes: 0,
      sentBytes: 0,
      holdStream: false,
      waitingSince: 0,
    };
    client.isReplica = true;
    // The replica must never see replies again: only the stream (REPLCONF ACK and GETACK have no reply).
    client.replyOff = true;
    if (psync && this.tryPartial(peer, replid, from)) return;
    if (psync && replid !== '?') this.stats.syncPartialErr++;
    this.fullResync(peer, psync);
  }

  private tryPartial(peer: ReplicaPeer, replid: string, from: number): boolean {
    const log = (why: string) =>
      this.core.host.log('notice', `Partial resynchronization not accepted: ${why}`);
    const sameHistory = replid === this.replid || (replid === this.replid2 && from <= this.secondReplOffset);
    if (!sameHistory) {
      if (replid !== '?') {
        log(
          replid !== this.replid2
            ? `Replication ID mismatch (Replica asked for '${replid}', my replication IDs are '${this.replid}' and '${this.replid2}')`
            : `Requested offset for second ID was ${from}, but I can reply up to ${this.secondReplOffset}`,
        );
      }
      return false;
    }
    if (!this.backlog || !this.backlog.covers(from)) {
      log(
        `Requested offset ${from} is outside the backlog (first ${this.backlog?.firstByteOffset ?? 0}, last ${this.backlog?.offset ?? 0})`,
      );
      return false;
    }
    this.stats.syncPartialOk++;
    const client = peer.client;
    const head = peer.capaPsync2 ? `+CONTINUE ${this.replid}\r\n` : '+CONTINUE\r\n';
    client.writeRaw(asciiBytes(head));
    for (const part of this.backlog.readFrom(from)) {
      client.writeRaw(part);
      this.stats.netReplOutputBytes += part.length;
    }
    peer.state = 'online';
    peer.ackOffset = from - 1;
    this.peers.set(client, peer);
    this.held.delete(peer);
    this.noReplicasSince = 0;
    this.core.queueWrite(client);
    this.core.host.log(
      'notice',
      `Partial resynchronization request from ${client.info.addr} accepted. Sending ${this.offset + 1 - from} bytes of backlog starting from offset ${from}.`,
    );
    return true;
  }

  private fullResync(peer: ReplicaPeer, psync: boolean): void {
    this.createBacklogIfNeeded();
    this.stats.syncFull++;
    // As Redis's syncCommand: a diskless sync (replica able to read $EOF:) waits repl-diskless-sync-delay for
    // more replicas to arrive, answering nothing yet, so the replica stays in its handshake meanwhile.
    if (this.core.config.bool('repl-diskless-sync') && peer.capaEof && this.syncDelayMs() > 0) {
      peer.state = 'wait_bgsave';
      peer.waitingSince = this.core.now();
      this.peers.set(peer.client, peer);
      this.waitingStart.add(peer);
      this.noReplicasSince = 0;
      this.core.host.log('notice', 'Delay next BGSAVE for diskless SYNC');
      this.startPendingSyncs();
      return;
    }
    this.startFullResync(peer, psync);
  }

  /**
   * Redis's replicationStartPendingFork: the waiting diskless syncs start together once the longest waiting
   * has waited repl-diskless-sync-delay, or as soon as repl-diskless-sync-max-replicas wait (0: no such limit).
   */
  private startPendingSyncs(): void {
    if (this.waitingStart.size === 0) return;
    const config = this.core.config;
    const now = this.core.now();
    let longest = 0;
    for (const peer of this.waitingStart) longest = Math.max(longest, now - peer.waitingSince);
    const maxReplicas = config.int('repl-diskless-sync-max-replicas');
    const due =
      longest >= this.syncDelayMs() ||
      (maxReplicas > 0 && this.waitingStart.size >= maxReplicas);
    if (!due) return;
    this.core.host.log('notice', 'Starting BGSAVE for SYNC with target: replicas sockets');
    // Bytes fed before the snapshot belong to the others (as in sync()).
    this.distributeOutgoing();
    const peers = [...this.waitingStart];
    this.waitingStart.clear();
    for (const peer of peers) if (!peer.client.closed) this.startFullResync(peer, !peer.preSync);
  }

  /**
   * How long a diskless sync waits for other replicas. Redis waits so that one fork serves them all; our
   * snapshots are point-in-time copies without a fork, so our default is 0 (Redis's is 5 s), and a delay
   * that is configured holds replicas back as Redis's does.
   */
  private syncDelayMs(): number {
    return this.core.config.int('repl-diskless-sync-delay') * 1000;
  }

  private startFullResync(peer: ReplicaPeer, psync: boolean): void {
    const client = peer.client;
    const offset = this.offset;
    this.core.host.log('notice', `Starting full resync with replica ${client.info.addr} at offset ${offset}`);
    if (psync) client.writeRaw(asciiBytes(`+FULLRESYNC ${this.replid} ${offset}\r\n`));
    // Point-in-time copy: the snapshot is serialized later, chunk by chunk, while writes go on; strings are
    // immutable and shared, aggregates are copied, so the copy costs pointers, not bytes, for most keys.
    const dbs = snapshotDatabases(this.core.dbs);
    const functions = this.core.functionLibraries?.codes();
    const source = { dbs, replId: this.replid, replOffset: offset, now: this.core.now(), functions };
    if (peer.capaEof) {
      const mark = randomMark(this.core);
      peer.eofMark = mark;
      client.writeRaw(asciiBytes(`$EOF:${mark}\r\n`));
      peer.transfer = snapshotChunks(source);
    } else {
      // A replica without EOF support needs the length first: count a first pass over the frozen copy.
      let total = 0;
      for (const chunk of snapshotChunks(source)) total += chunk.length;
      client.writeRaw(asciiBytes(`$${total}\r\n`));
      peer.transfer = snapshotChunks(source);
    }
    peer.state = 'send_bulk';
    peer.ackOffset = 0;
    this.peers.set(client, peer);
    this.held.add(peer);
    this.transferring.add(peer);
    client.wantsWritable = true;
    this.noReplicasSince = 0;
    // Every replica's selected db is unknown after a snapshot: re-emit SELECT with the next op.
    this.core.propagator.resetSelectedDb();
    this.core.queueWrite(client);
  }

  /** Writes snapshot chunks to replicas whose sockets have room; puts finished ones online. */
  pumpTransfers(): void {
    for (const peer of this.transferring) {
      if (peer.state !== 'send_bulk' || !peer.transfer || peer.client.closed) {
        this.transferring.delete(peer);
        continue;
      }
      const client = peer.client;
      while (client.pendingOutput() < SNAPSHOT_WINDOW) {
        const next = peer.transfer.next();
        if (next.done) {
          this.finishTransfer(peer);
          break;
        }
        client.writeRaw(next.value);
        peer.sentBytes += next.value.length;
        this.stats.netReplOutputBytes += next.value.length;
      }
      this.core.queueWrite(client);
    }
  }

  private finishTransfer(peer: ReplicaPeer): void {
    const client = peer.client;
    this.distributeOutgoing();
    this.transferring.delete(peer);
    client.wantsWritable = false;
    if (peer.eofMark) client.writeRaw(asciiBytes(peer.eofMark));
    peer.transfer = null;
    peer.state = 'online';
    peer.ackTime = this.core.now();
    if (peer.eofMark) {
      peer.holdStream = true;
    } else {
      this.held.delete(peer);
      this.releasePending(peer);
    }
    this.core.host.log('notice', `Synchronization with replica ${client.info.addr} succeeded (${peer.sentBytes} snapshot bytes)`);
  }

  /** Sends the stream bytes held for a replica while it received its snapshot. */
  private releasePending(peer: ReplicaPeer): void {
    for (const bytes of peer.pending) {
      peer.client.writeRaw(bytes);
      this.stats.netReplOutputBytes += bytes.length;
    }
    peer.pending = [];
    peer.pendingBytes = 0;
    this.core.queueWrite(peer.client);
  }

  private onDisconnect(client: Client): void {
    this.handshakes.delete(client);
    const peer = this.peers.get(client);
    if (peer) {
      this.transferring.delete(peer);
      this.held.delete(peer);
      this.waitingStart.delete(peer);
    }
    if (this.peers.delete(client)) {
      this.core.host.log('notice', `Connection with replica ${client.info.addr} lost.`);
      if (this.peers.size === 0) this.noReplicasSince = this.core.now();
    }
  }

  /**
   * Makes a connection an online replica again in a known state, without a handshake: for runtimes that rebuild
   * their objects around live sockets (a Durable Object waking from hibernation). The stream up to our offset
   * must already have been sent to it.
   */
  adoptOnlineReplica(
    client: Client,
    state: {
      listeningPort: number;
      ipAddress: string;
      capaEof: boolean;
      capaPsync2: boolean;
      preSync: boolean;
      ackOffset: number;
      ackTime: number;
      holdStream: boolean;
    },
  ): void {
    this.distributeOutgoing();
    client.isReplica = true;
    client.replyOff = true;
    const peer: ReplicaPeer = {
      client,
      ...state,
      state: 'online',
      transfer: null,
      eofMark: null,
      pending: [],
      pendingBytes: 0,
      sentBytes: 0,
      waitingSince: 0,
    };
    this.peers.set(client, peer);
    if (peer.holdStream) this.held.add(peer);
    this.noReplicasSince = 0;
  }

  /** Disconnects every replica (promotion, new master history): they reconnect and PSYNC again. */
  disconnectReplicas(): void {
    for (const peer of [...this.peers.values()]) this.core.kill(peer.client);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Role changes
  // ---------------------------------------------------------------------------------------------------------

  /**
   * REPLICAOF host port (or a URL): replicate from `target`. A master caches itself as the master to PSYNC
   * with, so it can continue partially from a promoted former replica. Returns false when already replicating
   * from exactly this target (Redis replies "+OK Already connected to specified master").
   */
  setMaster(target: MasterTarget, startup = false, opts: { streamDb?: number } = {}): boolean {
    if (!this.connector) throw new Error('this server cannot connect to a master');
    if (this.link && describeTarget(this.link.target).text === describeTarget(target).text) return false;
    const wasMaster = !this.core.isReplica();
    // A replica moving to another master keeps what it applied as the history to continue (as Redis keeps its
    // cached master), including the db its stream had selected.
    const previous = this.link;
    const continueHistory = (wasMaster && !startup) || (previous?.offersHistory ?? false);
    const streamDb = opts.streamDb ?? previous?.selectedDb;
    this.link?.close();
    // Blocked clients would wait forever for writes that now only the master can make.
    for (const c of [...this.core.clients.values()]) {
      if (c.blocked) this.core.kill(c);
    }
    this.core.role = 'replica';
    this.core.masterLinkUp = false;
    this.link = new ReplicaLink(this.core, this, target, this.connector, {
      continueHistory,
      streamDb,
    });
    // At startup the adapter is not listening yet: the first cron tick connects.
    if (!startup) this.link.cron();
    return true;
  }

  /** Whether this server can replicate from a master (its runtime gave it a connector; the edge's has none). */
  get canFollow(): boolean {
    return this.connector !== undefined;
  }

  /** REPLICAOF NO ONE: become a master, continuing our history under a new id (PSYNC2). */
  unsetMaster(why = 'user request from replicaof no one'): void {
    if (!this.link) return;
    this.link.close();
    this.link = null;
    this.core.role = 'master';
    this.core.masterLinkUp = false;
    this.shiftReplicationId();
    // Our replicas must learn the new id: they reconnect and get +CONTINUE <newid>.
    this.disconnectReplicas();
    this.core.propagator.resetSelectedDb();
    this.core.host.log('notice', `MASTER MODE enabled (${why})`);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Safety: WAIT, min-replicas, limits, heartbeats
  // ---------------------------------------------------------------------------------------------------------

  /** Replicas that acknowledged at least `offset`. */
  replicasAcked(offset: number): number {
    let n = 0;
    for (const peer of this.peers.values()) if (peer.state === 'online' && peer.ackOffset >= offset) n++;
    return n;
  }

  /** Online replicas whose last ACK is at most min-replicas-max-lag seconds old. */
  goodReplicas(): number {
    const maxLag = this.core.config.int('min-replicas-max-lag') * 1000;
    const now = this.core.now();
    let n = 0;
    for (const peer of this.peers.values()) if (peer.state === 'online' && now - peer.ackTime <= maxLag) n++;
    return n;
  }

  private minReplicasGuard(client: Client, spec: CommandSpec): string | null {
    const need = this.minReplicasToWrite;
    if (need === 0 || this.core.isReplica() || client.isMaster || !spec.flags.includes('write')) return null;
    return this.goodReplicas() < need ? NOREPLICAS : null;
  }

  /** Asks every replica for an immediate ACK (WAIT does this so it need not wait a full second). */
  requestAcks(): void {
    if (!this.backlog || this.peers.size === 0) return;
    this.core.propagator.emitRaw(['REPLCONF', 'GETACK', '*']);
  }

  /**
   * The heartbeat: a PING in the stream lets replicas detect a dead master and keeps offsets moving. Not while
   * writes are paused (CLIENT PAUSE, FAILOVER): the stream must stop growing, as in Redis. The cron calls it
   * every repl-ping-replica-period; a runtime whose cron does not run steadily (the edge, which sleeps between
   * alarms) calls it when its heartbeat alarm fires.
   */
  heartbeat(): void {
    this.lastPingAt = this.core.now();
    if (this.peers.size > 0 && !this.core.isReplica() && !this.core.clientPause) {
      this.core.propagator.emitRaw(['PING']);
      this.lastPingSentAt = this.lastPingAt;
    }
  }

  /** When newlines were last sent to replicas waiting for their sync to start. */
  private lastNewlineAt = 0;

  /** When this instance last put a heartbeat PING in the stream (0: never). */
  lastPingSentAt = 0;

  /** The replication cron: our link to a master, then the master side. */
  cron(): void {
    this.failover.update();
    this.link?.cron();
    const now = this.core.now();
    const config = this.core.config;
    if (now - this.lastPingAt >= config.int('repl-ping-replica-period') * 1000) this.heartbeat();
    // Replicas waiting for their sync to start get newlines, as Redis's replicationCron sends them once a
    // second, so they do not time out in their handshake.
    if (this.waitingStart.size > 0 && now - this.lastNewlineAt >= 1000) {
      this.lastNewlineAt = now;
      for (const peer of this.waitingStart) {
        peer.client.writeRaw(NEWLINE);
        this.core.queueWrite(peer.client);
      }
    }
    this.startPendingSyncs();
    expireReplicaKeys(this.core);
    const timeout = config.int('repl-timeout') * 1000;
    const limits = config.outputBufferLimits().replica;
    for (const peer of [...this.peers.values()]) {
      if (peer.state === 'online' && !peer.preSync && now - peer.ackTime > timeout) {
        this.core.host.log('warning', `Disconnecting timedout replica (streaming sync): ${peer.client.info.addr}`);
        this.core.kill(peer.client);
        continue;
      }
      // Bytes held for a replica still loading its snapshot count toward its output limit, so a slow
      // full sync cannot grow the master's memory without bound.
      const used = peer.client.pendingOutput() + peer.pendingBytes;
      let over = limits.hard > 0 && used >= limits.hard;
      if (!over && limits.soft > 0 && used >= limits.soft) {
        if (peer.client.softLimitSince === 0) peer.client.softLimitSince = now;
        else if (now - peer.client.softLimitSince >= limits.softSeconds * 1000) over = true;
      } else if (!over) {
        peer.client.softLimitSince = 0;
      }
      if (over) {
        this.core.host.log(
          'warning',
          `Client id=${peer.client.id} addr=${peer.client.info.addr} (replica) closed for overcoming of output buffer limits (${used} bytes).`,
        );
        this.core.kill(peer.client);
      }
    }
    // Free the backlog after repl-backlog-ttl without replicas (masters only: replicas keep theirs).
    const ttl = config.int('repl-backlog-ttl') * 1000;
    if (this.backlog && !this.core.isReplica() && this.peers.size === 0 && this.noReplicasSince > 0 && ttl > 0) {
      if (now - this.noReplicasSince > ttl) {
        this.core.host.log('notice', `Replication backlog freed after ${ttl / 1000} seconds without connected replicas.`);
        this.backlog = null;
        this.core.propagator.removeListener(this.feedListener);
        this.listening = false;
        this.shiftReplicationId();
      }
    }
  }

  /** Applies CONFIG SET repl-backlog-size. */
  resizeBacklog(): void {
    this.backlog?.resize(this.core.config.int('repl-backlog-size'));
  }
}

/** The pseudo-key WAIT blocks on: a char above 255 can never appear in a binary-string key. */
export const WAIT_KEY = '\u0100wait';

/** A copy of the databases at this instant for a snapshot (see fullResync). */
export function snapshotDatabases(dbs: Database[]): Database[] {
  return dbs.map((db) => {
    const copy = new Database(db.id);
    for (const [k, v] of db.dict) copy.dict.set(k, cloneValue(v));
    for (const [k, t] of db.expires) copy.expires.set(k, t);
    return copy;
  });
}

function asciiBytes(s: string): Uint8Array {
  const w = new ByteWriter(s.length);
  w.ascii(s);
  return w.take();
}

function randomMark(core: ServerCore): string {
  const bytes = new Uint8Array(20);
  core.randomBytes(bytes);
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
