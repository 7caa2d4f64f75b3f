import { DurableObject } from 'cloudflare:workers';
import { binaryToBytes } from '../shared/bytes.js';
import { createServerCore } from '../shared/create-server.js';
import type { Client, Transport } from '../shared/engine/client.js';
import type { ServerCore, ServerHost } from '../shared/engine/server-core.js';
import { encodeReply } from '../shared/resp/encoder.js';
import { ErrorReply } from '../shared/resp/reply.js';
import { newReplId } from '../shared/replication/replication-id.js';
import type { Replication } from '../shared/replication/replication.js';
import {
  captureClientState,
  needsDataset,
  newClientState,
  restorable,
  restoreDataState,
  restoreSessionState,
  type ClientState,
} from './client-state.js';
import { loadDataset, type LoadResult } from './dataset-loader.js';
import { edgeCommands } from './edge-commands.js';
import { edgeConfig } from './edge-config.js';
import type { Env } from './env.js';
import { runHttpCommands, type CommandSession } from './http-commands.js';
import { AckAutoResponse, adoptReplica, isAckOnly } from './replica-peers.js';
import { SnapshotJob } from './snapshot-job.js';
import { EdgeSocket, sendableCloseCode } from './socket-transport.js';
import { SqlPersistence, type StoreMeta } from './sql-persistence.js';

/** A WebSocket attachment holds at most 16 KiB; larger connection state goes to SQLite. */
const ATTACHMENT_CHARS = 12_000;
/** The log grows to at least this many bytes past the snapshot before it is compacted into a new one. */
const COMPACT_MIN_BYTES = 8 * 1024 * 1024;
/** Snapshot bytes written to SQLite per step of a background save. */
const SAVE_STEP_BYTES = 2 * 1024 * 1024;
/**
 * Pace of snapshot transfers to replicas, bytes per ms. A Worker's WebSocket reports no buffered amount and
 * no drain event, so the object cannot see backpressure; it sends the snapshot at this rate at most.
 */
const TRANSFER_BYTES_PER_MS = 32 * 1024;
/** An HTTP caller waits at most this long for a blocked command (BLPOP ... 0 over HTTP). */
const HTTP_BLOCK_MAX_MS = 60_000;

const LEVELS = ['debug', 'verbose', 'notice', 'warning'];
const EMPTY = new Uint8Array(0);

/** One WebSocket and the core client it feeds. */
interface Conn {
  ws: WebSocket;
  socket: EdgeSocket;
  client: Client | null;
  base: Pick<ClientState, 'id' | 'addr' | 'laddr' | 'created'>;
  /** Input the parser holds unconsumed: the tail of what was received. */
  input: Uint8Array;
  /** The state last saved for the connection (JSON), to skip unchanged saves. */
  saved: string;
  /** The state lives in SQLite (too big for the attachment). */
  external: boolean;
  /**
   * Its state can change by output alone (a blocked command served, a replica's transfer ending): otherwise a
   * connection that only received output (a subscriber getting a message) has nothing new to save.
   */
  volatile: boolean;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The last `pending` bytes of the input so far (what the parser has not consumed). */
function unconsumedTail(previous: Uint8Array, received: Uint8Array, pending: number): Uint8Array {
  if (pending === 0) return EMPTY;
  if (pending <= received.length) return received.slice(received.length - pending);
  const all = concat([previous, received]);
  return all.slice(Math.max(0, all.length - pending));
}

function peerAddress(request: Request): string {
  const ip = request.headers.get('cf-connecting-ip') ?? '127.0.0.1';
  const port = 1024 + (crypto.getRandomValues(new Uint16Array(1))[0] % 64512);
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function localAddress(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
}

/**
 * One store: a Durable Object running the shared master core. Clients and replicas reach it over
 * hibernatable WebSockets (RESP, exactly as the Node server speaks it) and HTTP POST. Its dataset, replication
 * ids, offset and backlog live in SQLite (see sql-persistence.ts), so it can sleep, be evicted or restart
 * and continue the same replication history: replicas resume with PSYNC +CONTINUE.
 *
 * Every entry point (a message, a close, an HTTP command, the alarm, a work tick) runs as one "event": the
 * core processes it, then `commit` writes the stream it produced to the log, saves per-connection state
 * into the WebSocket attachments, and only then sends the output.
 */
export class StoreObject extends DurableObject<Env> {
  private readonly store: SqlPersistence;
  private readonly meta: StoreMeta;
  private readonly core: ServerCore;
  private readonly replication: Replication;
  private readonly acks: AckAutoResponse;
  private ready = false;
  private datasetLoaded = false;
  private loadResult: LoadResult | null = null;
  /** Connections whose restore waits for the dataset (WATCH, blocked, unprocessed input). */
  private pendingDataRestore: Array<[Conn, ClientState]> = [];
  private readonly conns = new Map<WebSocket, Conn>();
  private readonly connOf = new Map<Client, Conn>();
  /** Connections that received input in this event (their state may have changed). */
  private readonly touched = new Set<Conn>();
  /** Connections with WATCHed keys: another client's write can dirty them without a byte sent to them. */
  private readonly watching = new Set<Conn>();
  /** Sockets with output or a close to send at the end of the event. */
  private readonly toFlush = new Set<Conn>();
  /** Stream bytes produced in this event, not yet in the log, and the offset before them. */
  private stream: Uint8Array[] = [];
  private streamStart = 0;
  private lastCronAt = 0;
  /** The alarm's time as this instance set it: 0 none, -1 unknown (after a wake). */
  private alarmAt = -1;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private job: SnapshotJob | null = null;
  private saves = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new SqlPersistence(ctx.storage.sql);
    const random = { randomBytes: (b: Uint8Array) => crypto.getRandomValues(b) };
    this.meta = this.store.readMeta() ?? {
      replid: newReplId(random),
      replid2: '0'.repeat(40),
      secondOffset: -1,
      offset: 0,
      offsetTime: Date.now(),
      snapshotGen: 0,
      snapshotOffset: 0,
      snapshotStreamDb: 0,
      snapshotTime: 0,
      snapshotBytes: 0,
      starts: 0,
      name: '',
    };
    this.meta.starts++;
    this.store.writeMeta(this.meta);

    const config = edgeConfig(env, this.store.readConfig(), (m) => this.log('warning', m));
    const host: ServerHost = {
      now: () => Date.now(),
      log: (level, message) => this.log(level, message),
      runtimeInfo: () => this.runtimeInfo(),
    };
    const { core, replication } = createServerCore({
      host,
      config,
      commands: edgeCommands({
        saveNow: () => this.saveNow(),
        startBackgroundSave: () => this.startBackgroundSave(),
        saving: () => this.job !== null,
        lastSaveTime: () => this.meta.snapshotTime,
      }),
    });
    this.core = core;
    this.replication = replication;
    this.acks = new AckAutoResponse(ctx);
    config.onChange((name) => this.store.writeConfig(name, config.getText(name)));
    this.restoreReplication();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Entry points
  // ---------------------------------------------------------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    if (!this.env.AUTH_SECRET) return new Response('AUTH_SECRET is not set\n', { status: 503 });
    const url = new URL(request.url);
    const route = /^\/store\/([^/]+)(\/pipeline)?\/?$/.exec(url.pathname);
    if (!route) return new Response('Not found\n', { status: 404 });
    this.noteName(decodeURIComponent(route[1]));
    if ((request.headers.get('upgrade') ?? '').toLowerCase() === 'websocket') return this.acceptSocket(request, url);
    if (request.method === 'POST') {
      return runHttpCommands(request, route[2] !== undefined, () => this.openSession(request, url));
    }
    return new Response('Use a WebSocket (RESP) or POST a command\n', { status: 405 });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    this.event(() => {
      const conn = this.conns.get(ws);
      if (!conn?.client) {
        try {
          ws.close(1011, 'unknown connection');
        } catch {
          // already closed
        }
        return;
      }
      const bytes = typeof message === 'string' ? new TextEncoder().encode(message) : new Uint8Array(message);
      // A replica's heartbeat needs no dataset: an object woken by one stays cheap.
      if (!this.datasetLoaded && !(conn.client.isReplica && isAckOnly(bytes)) && !this.loadOrClose(conn)) return;
      this.core.receive(conn.client, bytes);
      // The parser keeps a half-parsed command's arguments internally: what it has not consumed is everything
      // received after the last complete command.
      conn.input = unconsumedTail(conn.input, bytes, conn.client.bytesIn - conn.client.parser.consumed);
      this.touched.add(conn);
    });
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.event(() => {
      const conn = this.conns.get(ws);
      if (conn) this.forget(conn);
      try {
        ws.close(sendableCloseCode(code), reason);
      } catch {
        // the runtime already completed the close
      }
    });
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.event(() => {
      const conn = this.conns.get(ws);
      if (conn) this.forget(conn);
    });
  }

  override async alarm(): Promise<void> {
    this.alarmAt = 0;
    this.lastCronAt = 0;
    // The alarm is set a heartbeat period ahead while replicas are attached; an object that slept in between
    // has a new core whose schedule started at the wake, so the heartbeat goes out from here.
    this.event(() => {
      // Unless the periodic cycle this event ran has just sent it (the object stayed awake).
      if (this.replication.peers.size > 0 && this.core.now() - this.replication.lastPingSentAt >= 1000) this.replication.heartbeat();
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Events
  // ---------------------------------------------------------------------------------------------------------

  /** Runs one event: restore what a wake lost, the periodic cycle when due, `fn`, then commit. */
  private event<T>(fn: () => T): T {
    try {
      if (!this.ready) this.restoreSockets();
      for (const client of this.acks.reconcile(this.replication, (c) => this.connOf.get(c)?.ws)) {
        const conn = this.connOf.get(client);
        if (conn) this.touched.add(conn);
      }
      this.cron();
      return fn();
    } finally {
      this.commit();
    }
  }

  /** The core's periodic cycle, at most `hz` times a second (no timers: events and the alarm drive it). */
  private cron(): void {
    const now = Date.now();
    if (now - this.lastCronAt < 1000 / this.core.config.int('hz')) return;
    this.lastCronAt = now;
    if (this.datasetLoaded) {
      this.core.cron();
    } else {
      // Heartbeats and replica timeouts need no dataset; expiry and blocked clients wait for it.
      this.replication.cron();
      this.core.flushWrites();
    }
  }

  /** The end of every event: log the stream, save connection state, send, then arrange the next wake. */
  private commit(): void {
    this.core.flushWrites();
    this.persistStream();
    this.saveStates();
    let bulk = 0;
    for (const conn of this.toFlush) {
      const sent = conn.socket.flush();
      if (conn.client && this.replication.peers.get(conn.client)?.state === 'send_bulk') bulk += sent;
      if (conn.socket.closing) this.forget(conn);
    }
    this.toFlush.clear();
    const now = Date.now();
    if (this.replication.peers.size > 0) this.acks.update(this.replication.offset, now);
    if (!this.job && this.datasetLoaded && this.meta.offset - this.meta.snapshotOffset > Math.max(COMPACT_MIN_BYTES, this.meta.snapshotBytes)) {
      this.startBackgroundSave();
    }
    this.scheduleAlarm(now);
    this.scheduleTick(bulk);
  }

  /** Appends the event's stream bytes to the log and the offset and ids to meta, in the event's transaction. */
  private persistStream(): void {
    const r = this.replication;
    const m = this.meta;
    let changed = false;
    if (this.stream.length > 0) {
      const bytes = concat(this.stream);
      this.stream = [];
      if (this.streamStart !== m.offset || this.streamStart + bytes.length !== r.offset) {
        this.log('warning', `Stream log out of step: ${bytes.length} bytes after ${this.streamStart}, log at ${m.offset}, offset ${r.offset}`);
      }
      this.store.appendLog(this.streamStart, bytes);
      m.offset = r.offset;
      m.offsetTime = Date.now();
      changed = true;
    }
    if (m.replid !== r.replid || m.replid2 !== r.replid2 || m.secondOffset !== r.secondReplOffset) {
      m.replid = r.replid;
      m.replid2 = r.replid2;
      m.secondOffset = r.secondReplOffset;
      changed = true;
    }
    if (changed) this.store.writeMeta(m);
  }

  /** Saves the state of connections that may have changed into their attachments (or SQLite when large). */
  private saveStates(): void {
    const candidates = new Set([...this.touched, ...this.watching]);
    for (const conn of this.toFlush) if (conn.volatile) candidates.add(conn);
    this.touched.clear();
    for (const conn of candidates) {
      const client = conn.client;
      if (!client || client.closed || conn.socket.closing) continue;
      const state = captureClientState(conn.base, client, this.replication.peers.get(client), conn.input);
      if (state.watched.length > 0) this.watching.add(conn);
      else this.watching.delete(conn);
      conn.volatile = state.blocked !== null || state.replica !== null;
      const text = JSON.stringify(state);
      if (text === conn.saved) continue;
      conn.saved = text;
      if (text.length <= ATTACHMENT_CHARS) {
        conn.ws.serializeAttachment(state);
        if (conn.external) this.store.deleteClientState(conn.base.id);
        conn.external = false;
      } else {
        this.store.writeClientState(conn.base.id, text);
        conn.ws.serializeAttachment({ id: conn.base.id, external: true });
        conn.external = true;
      }
    }
  }

  /**
   * The alarm wakes the object for replica heartbeats (every repl-ping-replica-period while replicas are
   * attached) and blocked-command deadlines; with neither, there is no alarm, and the object can sleep.
   */
  private scheduleAlarm(now: number): void {
    let want = Infinity;
    if (this.replication.peers.size > 0) want = now + this.core.config.int('repl-ping-replica-period') * 1000;
    if (this.datasetLoaded) {
      const deadline = this.core.nextBlockingDeadline();
      if (deadline !== undefined) want = Math.min(want, deadline);
    }
    if (want === Infinity) {
      if (this.alarmAt !== 0) void this.ctx.storage.deleteAlarm();
      this.alarmAt = 0;
      return;
    }
    if (this.alarmAt > now && this.alarmAt <= want) return;
    void this.ctx.storage.setAlarm(want);
    this.alarmAt = want;
  }

  /** While a snapshot is being saved or sent to a replica, short timers continue the work (keeping the object awake). */
  private scheduleTick(bulkBytes: number): void {
    if (this.timer) return;
    let transferring = false;
    for (const peer of this.replication.peers.values()) if (peer.state === 'send_bulk') transferring = true;
    if (!this.job && !transferring) return;
    const delay = transferring ? Math.min(1000, Math.max(1, Math.ceil(bulkBytes / TRANSFER_BYTES_PER_MS))) : 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.event(() => {
        if (this.job?.step(SAVE_STEP_BYTES)) this.finishSave(this.job);
        // The replication layer sends the next snapshot chunks to replicas as output is flushed.
        this.core.flushWrites();
      });
    }, delay);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Restoring after a start or wake
  // ---------------------------------------------------------------------------------------------------------

  /**
   * Restores the replication state from storage: ids, offset and the backlog tail. If the log does not reach
   * the persisted offset (rows lost), the dataset can only be rebuilt to where the log ends, so the master
   * takes a new replication id with the old one as replid2, valid up to that point (PSYNC2): replicas that
   * saw more of the old history resynchronize instead of diverging silently.
   */
  private restoreReplication(): void {
    const m = this.meta;
    this.store.dropSnapshotsExcept(m.snapshotGen);
    const extent = this.store.logExtent(m.snapshotOffset);
    let lost = false;
    if (extent.gap || extent.end !== m.offset) {
      const end = Math.min(extent.end, m.offset);
      lost = end < m.offset;
      this.log('warning', `The stream log ends at offset ${extent.end}${extent.gap ? ' before a gap' : ''}; the stored offset was ${m.offset}.`);
      this.store.truncateLog(end);
      m.offset = end;
    }
    const tail = this.store.readTail(m.offset, this.core.config.int('repl-backlog-size'));
    this.replication.restoreState({
      replid: m.replid,
      offset: m.offset,
      replid2: m.replid2,
      secondReplOffset: m.secondOffset,
      backlogTail: tail,
    });
    // restoreState creates the backlog; without one the stream would not reach the log.
    this.replication.createBacklogIfNeeded();
    if (lost) {
      this.replication.shiftReplicationId();
      // Writes the truncated offset and the new ids.
      this.persistStream();
    }
    this.replication.streamObservers.push((bytes, offset) => {
      if (this.stream.length === 0) this.streamStart = offset - bytes.length;
      this.stream.push(bytes);
    });
    this.acks.recover(m.offset, m.offsetTime);
  }

  /** Rebuilds the clients of the WebSockets that stayed open while the object slept. */
  private restoreSockets(): void {
    this.ready = true;
    const ids = new Set<string>();
    for (const ws of this.ctx.getWebSockets()) {
      const { state, external } = this.readState(ws);
      if (!state || !restorable(state)) {
        try {
          ws.close(1011, 'connection state lost');
        } catch {
          // already closing
        }
        continue;
      }
      ids.add(state.id);
      const conn = this.attach(ws, state);
      conn.external = external;
      const client = conn.client;
      if (!client) continue;
      restoreSessionState(this.core, client, state);
      if (state.replica) {
        if (!state.replica.online) {
          // Its snapshot or held stream was in memory only: it reconnects and continues with PSYNC.
          conn.socket.closeWith(1012, 'replica state lost while the store slept: reconnect');
          continue;
        }
        adoptReplica(this.replication, client, state.replica);
      }
      conn.saved = JSON.stringify(state);
      conn.volatile = state.blocked !== null || state.replica !== null;
      if (state.watched.length > 0) this.watching.add(conn);
      if (needsDataset(state)) this.pendingDataRestore.push([conn, state]);
    }
    this.store.keepClientStates(ids);
    if (this.pendingDataRestore.length > 0) {
      try {
        this.ensureDataset();
      } catch {
        for (const [conn] of this.pendingDataRestore) conn.socket.closeWith(1011, 'the store could not load its data');
        this.pendingDataRestore = [];
      }
    }
  }

  /** A socket's saved state: its attachment, or the SQLite row the attachment points to. */
  private readState(ws: WebSocket): { state: ClientState | null; external: boolean } {
    const att = ws.deserializeAttachment() as (ClientState & { external?: boolean }) | null;
    if (!att || typeof att.id !== 'string') return { state: null, external: false };
    if (!att.external) return { state: att, external: false };
    const text = this.store.readClientState(att.id);
    try {
      return { state: text ? (JSON.parse(text) as ClientState) : null, external: true };
    } catch {
      return { state: null, external: true };
    }
  }

  /** Loads the dataset (snapshot + log replay) the first time a command needs it. Throws when storage is corrupt. */
  private ensureDataset(): void {
    if (this.datasetLoaded) return;
    this.persistStream();
    try {
      this.loadResult = loadDataset(this.core, this.store, this.meta, this.meta.offset);
    } catch (e) {
      this.log('warning', `Loading the stored dataset failed: ${(e as Error).message}`);
      throw e;
    }
    this.datasetLoaded = true;
    this.log('notice', `DB loaded from storage: ${this.loadResult.keysLoaded} keys from the snapshot, ${this.loadResult.streamBytesReplayed} stream bytes replayed`);
    for (const [conn, state] of this.pendingDataRestore) {
      const client = conn.client;
      if (client && !client.closed) {
        restoreDataState(this.core, client, state);
        conn.input = unconsumedTail(EMPTY, binaryToBytes(state.input), client.bytesIn - client.parser.consumed);
        this.touched.add(conn);
      }
    }
    this.pendingDataRestore = [];
  }

  private loadOrClose(conn: Conn): boolean {
    try {
      this.ensureDataset();
      return true;
    } catch (e) {
      conn.client?.writeRaw(encodeReply(new ErrorReply(`ERR the store could not load its data: ${(e as Error).message}`)));
      conn.client?.flush();
      conn.socket.closeWith(1011, 'the store could not load its data');
      return false;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Connections
  // ---------------------------------------------------------------------------------------------------------

  private acceptSocket(request: Request, url: URL): Response {
    const pair = new WebSocketPair();
    const [peer, server] = [pair[0], pair[1]];
    this.event(() => {
      // The Hibernation API: the runtime holds the socket while the object sleeps. Accepted inside the event,
      // after a wake's restore, which must not mistake it for a socket that lost its state.
      this.ctx.acceptWebSocket(server);
      const conn = this.attach(server, newClientState(crypto.randomUUID(), peerAddress(request), localAddress(url), Date.now()));
      this.touched.add(conn);
    });
    return new Response(null, { status: 101, webSocket: peer });
  }

  private attach(ws: WebSocket, state: ClientState): Conn {
    const conn: Conn = {
      ws,
      socket: null as unknown as EdgeSocket,
      client: null,
      base: { id: state.id, addr: state.addr, laddr: state.laddr, created: state.created },
      input: EMPTY,
      saved: '',
      external: false,
      volatile: false,
    };
    conn.socket = new EdgeSocket(ws, () => this.toFlush.add(conn));
    this.conns.set(ws, conn);
    conn.client = this.core.connect(conn.socket, { addr: state.addr, laddr: state.laddr, loopback: false, kind: 'websocket' });
    if (conn.client) this.connOf.set(conn.client, conn);
    return conn;
  }

  private forget(conn: Conn): void {
    this.conns.delete(conn.ws);
    this.touched.delete(conn);
    this.watching.delete(conn);
    if (conn.client) {
      this.connOf.delete(conn.client);
      this.core.disconnect(conn.client);
    }
    if (conn.external) this.store.deleteClientState(conn.base.id);
    conn.external = false;
  }

  /** A session for one HTTP request: a client with no socket, whose output is collected. */
  private openSession(request: Request, url: URL): CommandSession {
    const output: Uint8Array[] = [];
    let wake: (() => void) | null = null;
    let closed = false;
    const transport: Transport = {
      write: (bytes) => {
        output.push(bytes);
        wake?.();
      },
      close: () => {
        closed = true;
        wake?.();
      },
      bufferedAmount: () => 0,
    };
    let client: Client | null = null;
    this.event(() => {
      client = this.core.connect(transport, { addr: peerAddress(request), laddr: localAddress(url), loopback: false, kind: 'internal' });
    });
    const take = () => concat(output.splice(0, output.length));
    return {
      get closed() {
        return closed;
      },
      run: async (bytes) => {
        const c = client as Client | null;
        if (!c || closed) return take();
        this.event(() => {
          if (this.datasetLoaded || this.loadHttp(c)) this.core.receive(c, bytes);
        });
        const deadline = Date.now() + HTTP_BLOCK_MAX_MS;
        while (c.blocked && !closed && Date.now() < deadline) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
          });
          // A pending timer would keep the object from hibernating long after the answer.
          if (timer !== undefined) clearTimeout(timer);
          wake = null;
        }
        if (c.blocked) {
          output.push(encodeReply(new ErrorReply(`ERR blocking commands over HTTP wait at most ${HTTP_BLOCK_MAX_MS / 1000} seconds`)));
          this.event(() => this.core.unblock(c));
        }
        return take();
      },
      end: () => {
        const c = client as Client | null;
        if (c) this.event(() => this.core.disconnect(c));
      },
    };
  }

  private loadHttp(client: Client): boolean {
    try {
      this.ensureDataset();
      return true;
    } catch (e) {
      client.writeRaw(encodeReply(new ErrorReply(`ERR the store could not load its data: ${(e as Error).message}`)));
      client.flush();
      return false;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Snapshots (compaction of the log)
  // ---------------------------------------------------------------------------------------------------------

  private saveNow(): void {
    const job = SnapshotJob.start(this.core, this.replication, this.store, this.meta.snapshotGen + 1, true);
    job.step();
    this.finishSave(job);
  }

  private startBackgroundSave(): boolean {
    if (this.job) return false;
    this.ensureDataset();
    this.job = SnapshotJob.start(this.core, this.replication, this.store, this.meta.snapshotGen + 1, false);
    this.log('notice', `Background saving started at offset ${this.job.offset}`);
    return true;
  }

  /**
   * Makes a finished snapshot the current one and drops what it replaces: older snapshot rows, and log rows
   * that are neither after the snapshot (needed to replay) nor in the backlog (needed for PSYNC).
   */
  private finishSave(job: SnapshotJob): void {
    const m = this.meta;
    m.snapshotGen = job.gen;
    m.snapshotOffset = job.offset;
    m.snapshotStreamDb = job.streamDb;
    m.snapshotTime = job.time;
    m.snapshotBytes = job.bytes;
    this.store.writeMeta(m);
    this.store.dropSnapshotsExcept(job.gen);
    this.store.dropLogBefore(Math.min(job.offset, this.replication.offset - this.core.config.int('repl-backlog-size')));
    if (this.job === job) this.job = null;
    this.saves++;
    this.log('notice', `DB saved to storage: snapshot of ${job.bytes} bytes at offset ${job.offset}`);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Host services
  // ---------------------------------------------------------------------------------------------------------

  private noteName(name: string): void {
    if (this.meta.name === name) return;
    this.meta.name = name;
    this.store.writeMeta(this.meta);
  }

  private log(level: 'debug' | 'verbose' | 'notice' | 'warning', message: string): void {
    const configured = this.core?.config.str('loglevel') ?? 'notice';
    if (configured === 'nothing' || LEVELS.indexOf(level) < LEVELS.indexOf(configured)) return;
    const mark = level === 'warning' ? '#' : level === 'notice' ? '*' : level === 'verbose' ? '-' : '.';
    console.log(`[store ${this.meta?.name || '?'}] ${mark} ${message}`);
  }

  private runtimeInfo(): Record<string, Array<[string, string | number]>> {
    const m = this.meta;
    return {
      server: [
        ['edge_store', m.name],
        ['edge_object_starts', m.starts],
      ],
      persistence: [
        ['rdb_bgsave_in_progress', this.job ? 1 : 0],
        ['rdb_last_save_time', Math.floor((m.snapshotTime || this.core.startedAt) / 1000)],
        ['rdb_saves', this.saves],
        ['rdb_last_load_keys_loaded', this.loadResult?.keysLoaded ?? 0],
        ['edge_snapshot_offset', m.snapshotOffset],
        ['edge_snapshot_bytes', m.snapshotBytes],
        ['edge_log_bytes_since_snapshot', this.replication.offset - m.snapshotOffset],
        ['edge_stream_replayed_bytes', this.loadResult?.streamBytesReplayed ?? 0],
        ['edge_sqlite_bytes', this.store.databaseSize],
      ],
    };
  }
}
