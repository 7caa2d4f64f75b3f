import { bytesToBinary, concatBytes } from '../bytes.js';
import type { Client, Transport } from '../engine/client.js';
import type { ServerCore } from '../engine/server-core.js';
import { encodeCommand } from '../resp/encoder.js';
import { ErrorReply, SimpleString, type Reply } from '../resp/reply.js';
import { ReplyParser } from '../resp/reply-parser.js';
import type { Database } from '../store/database.js';
import type { Replication } from './replication.js';
import { SnapshotLoader } from './snapshot.js';
import { PropagationPanic } from '../engine/dispatch.js';

/** Where the master is: a TCP host and port, or a ws:// / wss:// URL carrying the same bytes. */
export type MasterTarget = { kind: 'tcp'; host: string; port: number } | { kind: 'websocket'; url: string };

/** The connection the adapter opens to the master. */
export interface MasterConnection {
  write(bytes: Uint8Array): void;
  close(): void;
}

/** What the adapter reports about that connection. */
export interface MasterConnectionEvents {
  onOpen(): void;
  onData(bytes: Uint8Array): void;
  onClose(reason: string): void;
}

/** The adapter's capability to open connections (Node: node:net or ws; browser: WebSocket). */
export type MasterConnector = (target: MasterTarget, events: MasterConnectionEvents) => MasterConnection;

/** Redis's replication states, condensed: where the link to our master stands. */
export type LinkState = 'connect' | 'connecting' | 'handshake' | 'transfer' | 'connected';

/** Parses a replicaof value: "host port", or a ws:// or wss:// URL. */
export function parseMasterTarget(args: string[]): MasterTarget | null {
  if (args.length === 1 && /^wss?:\/\//i.test(args[0])) return { kind: 'websocket', url: args[0] };
  if (args.length === 2) {
    const port = Number(args[1]);
    if (!Number.isInteger(port) || port < 0 || port > 65535) return null;
    return { kind: 'tcp', host: args[0], port };
  }
  return null;
}

/** How a target is shown in INFO (master_host/master_port) and logs. */
export function describeTarget(t: MasterTarget): { host: string; port: number; text: string } {
  if (t.kind === 'tcp') return { host: t.host, port: t.port, text: `${t.host}:${t.port}` };
  const u = new URL(t.url);
  const port = u.port ? Number(u.port) : u.protocol === 'wss:' ? 443 : 80;
  return { host: u.hostname, port, text: t.url };
}

/** One handshake step: a command to send and what to do with its reply (return an error text to fail). */
interface HandshakeStep {
  argv: string[];
  onReply: (r: Reply) => string | null;
}

/** A replication id: 40 hex digits. */
const REPLID = /^[0-9a-f]{40}$/i;

/** Backoff for reconnects: exponential from 100 ms to 5 s, with full jitter. */
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 5000;

/**
 * The replica side of replication (Redis's replicationCron + syncWithMaster + readSyncBulkPayload): connects to
 * the master through the adapter's connector, performs the handshake, PSYNCs with the cached history, loads a
 * snapshot into a staging keyspace that is swapped in only when complete, then applies the stream through the
 * normal dispatch as the master client, forwarding exactly the applied bytes to its own backlog and
 * sub-replicas. Sans-IO: bytes and time in, bytes out through the connection.
 */
export class ReplicaLink {
  state: LinkState = 'connect';
  private conn: MasterConnection | null = null;
  private parser = new ReplyParser();
  private steps: HandshakeStep[] = [];
  private loader: SnapshotLoader | null = null;
  /** The transfer's header line is read; then the snapshot bytes. */
  private transferHeaderRead = false;
  private masterClient: Client | null = null;
  /** Received stream bytes not yet forwarded (applied bytes are forwarded in order). */
  private unforwarded: Uint8Array[] = [];
  private appliedConsumed = 0;
  private attempts = 0;
  private nextAttemptAt = 0;
  private lastAckAt = 0;
  /** When anything last arrived from the master, ms. */
  lastIoAt = 0;
  /** When the link went down, ms (0 while up). */
  downSince: number;
  /** Bytes read from the master in the stream phase (slave_read_repl_offset is offset + unapplied). */
  readOffset = 0;
  /** Full-sync progress for INFO master_sync_*. */
  syncTotalBytes = -1;
  syncReadBytes = 0;
  syncLastIoAt = 0;
  /** The PSYNC history to offer: null sends `PSYNC ? -1` (a fresh replica). */
  private cached: { replid: string; offset: number } | null;
  /** Our master uses EOF-marked transfers: ACK as soon as the snapshot is loaded. */
  private eofTransfer = false;
  /** The last reason the link failed, for logs and tests. */
  lastError = '';

  constructor(
    readonly core: ServerCore,
    readonly repl: Replication,
    readonly target: MasterTarget,
    private readonly connector: MasterConnector,
    /**
     * continueHistory: offer our replication id and offset in the first PSYNC (a master turned replica, or a
     * replica moved to another master: Redis keeps its cached master across REPLICAOF, which is what lets a
     * Sentinel failover repoint replicas with a partial resync). False sends `PSYNC ? -1`.
     */
    opts: { continueHistory: boolean; streamDb?: number },
  ) {
    this.downSince = core.now();
    this.cached = opts.continueHistory ? { replid: repl.replid, offset: repl.offset } : null;
    this.hasHistory = opts.continueHistory;
    this.streamDb = opts.streamDb ?? 0;
  }

  /** Whether the dataset belongs to a history this link can offer to PSYNC (false: never synced). */
  get offersHistory(): boolean {
    return this.hasHistory;
  }

  /** The db the stream has selected (persist it with the offset: it carries over a partial resync). */
  get selectedDb(): number {
    return this.masterClient?.db ?? this.streamDb;
  }

  /** The db the replication stream had selected when the link last dropped. */
  private streamDb = 0;
  /** Whether our dataset belongs to a replication history we can offer to PSYNC. */
  private hasHistory: boolean;

  /** The link's periodic work (called from the replication cron): connect, ACK, timeouts. */
  cron(): void {
    const now = this.core.now();
    if (this.state === 'connect') {
      if (now >= this.nextAttemptAt) this.connect();
      return;
    }
    const timeout = this.core.config.int('repl-timeout') * 1000;
    if (now - this.lastIoAt > timeout) {
      this.fail(
        this.state === 'connected'
          ? 'MASTER timeout: no data nor PING received...'
          : `Timeout connecting to the MASTER (${this.state})`,
      );
      return;
    }
    if (this.state === 'connected' && now - this.lastAckAt >= 1000) this.sendAck();
  }

  private connect(): void {
    this.state = 'connecting';
    this.lastIoAt = this.core.now();
    const { text } = describeTarget(this.target);
    this.core.host.log('notice', `Connecting to MASTER ${text}`);
    try {
      this.conn = this.connector(this.target, {
        onOpen: () => this.onOpen(),
        onData: (bytes) => this.onData(bytes),
        onClose: (reason) => this.onClose(reason),
      });
    } catch (e) {
      this.fail(`Unable to connect to MASTER: ${(e as Error).message}`);
    }
  }

  private send(argv: string[]): void {
    this.conn?.write(encodeCommand(argv));
  }

  private onOpen(): void {
    if (this.state !== 'connecting') return;
    this.core.host.log('notice', 'MASTER <-> REPLICA sync started');
    this.state = 'handshake';
    this.lastIoAt = this.core.now();
    this.parser = new ReplyParser();
    const config = this.core.config;
    const steps: HandshakeStep[] = [
      {
        argv: ['PING'],
        onReply: (r) => {
          if (r instanceof ErrorReply && !/^(NOAUTH|NOPERM|ERR operation not permitted)/.test(r.message)) {
            return `Error reply to PING from master: '-${r.message}'`;
          }
          return null;
        },
      },
    ];
    const auth = config.str('masterauth');
    if (auth) {
      const user = config.str('masteruser');
      steps.push({
        argv: user ? ['AUTH', user, auth] : ['AUTH', auth],
        onReply: (r) => (r instanceof ErrorReply ? `Unable to AUTH to MASTER: -${r.message}` : null),
      });
    }
    const port = config.int('replica-announce-port') || this.core.listeningPort();
    steps.push({ argv: ['REPLCONF', 'listening-port', String(port)], onReply: () => null });
    const ip = config.str('replica-announce-ip');
    if (ip) steps.push({ argv: ['REPLCONF', 'ip-address', ip], onReply: () => null });
    steps.push({ argv: ['REPLCONF', 'capa', 'eof', 'capa', 'psync2'], onReply: () => null });
    const psyncArgs = this.cached ? [this.cached.replid, String(this.cached.offset + 1)] : ['?', '-1'];
    // A master handing over with FAILOVER asks the target to become the master (it checks the replid).
    if (this.repl.failover.inProgress) psyncArgs.push('FAILOVER');
    if (this.cached) {
      this.core.host.log('notice', `Trying a partial resynchronization (request ${psyncArgs[0]}:${psyncArgs[1]}).`);
    }
    steps.push({ argv: ['PSYNC', ...psyncArgs], onReply: (r) => this.onPsyncReply(r) });
    this.steps = steps;
    // The steps before PSYNC are pipelined (one round trip instead of four, which matters for browsers far
    // from the master); PSYNC goes out only once they are answered, since Redis refuses a PSYNC that arrives
    // while replies are still pending ("-ERR SYNC and PSYNC are invalid with pending output").
    for (const s of steps.slice(0, -1)) this.send(s.argv);
  }

  private onPsyncReply(r: Reply): string | null {
    if (r instanceof ErrorReply) {
      this.repl.failover.refused();
      return `Unexpected reply to PSYNC from master: -${r.message}`;
    }
    if (!(r instanceof SimpleString)) return 'Unexpected reply to PSYNC from master';
    const [word, id, off, ...extra] = r.value.split(' ');
    if (word === 'FULLRESYNC') {
      // A malformed answer must never become our history: refuse it and retry.
      if (!REPLID.test(id ?? '') || !/^\d+$/.test(off ?? '') || extra.length > 0) {
        return `Master replied with a malformed FULLRESYNC: '${r.value.slice(0, 120)}'`;
      }
      this.core.host.log('notice', `Full resync from master: ${id}:${off}`);
      this.repl.failover.accepted();
      this.beginFullSync(id, Number(off));
      return null;
    }
    if (word === 'CONTINUE') {
      if ((id !== undefined && !REPLID.test(id)) || off !== undefined) {
        return `Master replied with a malformed CONTINUE: '${r.value.slice(0, 120)}'`;
      }
      this.core.host.log('notice', 'Successful partial resynchronization with master.');
      this.repl.failover.accepted();
      this.continuePartial(id);
      return null;
    }
    return `Unexpected reply to PSYNC from master: ${r.value}`;
  }

  private onData(bytes: Uint8Array): void {
    this.lastIoAt = this.core.now();
    this.repl.stats.netReplInputBytes += bytes.length;
    try {
      this.consume(bytes);
    } catch (e) {
      // propagation-error-behavior panic: the process must go down, not just this link.
      if (e instanceof PropagationPanic) throw e;
      this.fail((e as Error).message);
    }
  }

  /** Routes received bytes to the phase the link is in; a phase that finishes hands over the rest. */
  private consume(bytes: Uint8Array): void {
    if (this.state === 'handshake') {
      this.parser.push(bytes);
      while (this.state === 'handshake' && this.steps.length > 0) {
        // Before the PSYNC answer the master may send newlines as keepalives.
        this.parser.skipNewlines();
        const r = this.parser.next();
        if (r === undefined) return;
        const step = this.steps.shift()!;
        const err = step.onReply(r);
        if (err) throw new Error(err);
        if (this.steps.length === 1) this.send(this.steps[0].argv);
      }
      const rest = this.parser.takeRemaining();
      if (rest.length > 0) this.consume(rest);
      return;
    }
    if (this.state === 'transfer') {
      const rest = this.consumeTransfer(bytes);
      if (rest && rest.length > 0) this.consume(rest);
      return;
    }
    if (this.state === 'connected') this.consumeStream(bytes);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Full sync
  // ---------------------------------------------------------------------------------------------------------

  private beginFullSync(replid: string, offset: number): void {
    // Our sub-replicas will need the new history too. The history itself (replid, offset, backlog, stream db)
    // is adopted only when the snapshot is loaded: if the transfer fails, our data is still the old history
    // and the next PSYNC must offer that, never the new id for the old data.
    this.repl.disconnectReplicas();
    this.pendingHistory = { replid, offset };
    this.state = 'transfer';
    this.transferHeaderRead = false;
    this.loader = null;
    this.syncTotalBytes = -1;
    this.syncReadBytes = 0;
    this.syncLastIoAt = this.core.now();
  }

  /** Feeds snapshot bytes; returns bytes that follow the snapshot (the stream), if any. */
  private consumeTransfer(bytes: Uint8Array): Uint8Array | null {
    let pos = 0;
    this.syncLastIoAt = this.core.now();
    if (!this.transferHeaderRead) {
      this.pendingHeader = this.pendingHeader.length === 0 ? bytes : concatBytes([this.pendingHeader, bytes]);
      const buf = this.pendingHeader;
      // Skip keepalive newlines the master sends while it prepares the snapshot.
      let start = 0;
      while (start < buf.length && buf[start] === 10) start++;
      const nl = buf.indexOf(10, start);
      if (nl < 0) {
        if (buf.length - start > 1024) throw new Error('Bad protocol from MASTER, the first byte is not "$" (bulk length)');
        return null;
      }
      const line = bytesToBinary(buf, start, nl).replace(/\r$/, '');
      this.pendingHeader = new Uint8Array(0);
      if (!line.startsWith('$')) {
        if (line.startsWith('-')) throw new Error(`MASTER aborted replication with an error: ${line.slice(1)}`);
        throw new Error(`Bad protocol from MASTER, the first byte is not '$' (we received '${line.slice(0, 40)}')`);
      }
      if (line.startsWith('$EOF:')) {
        const mark = line.slice(5);
        if (mark.length !== 40) throw new Error('Bad EOF mark from MASTER');
        this.loader = new SnapshotLoader(this.core.dbs.length, { eofMark: mark });
        this.eofTransfer = true;
        this.core.host.log('notice', 'MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk');
      } else {
        const len = Number(line.slice(1));
        if (!Number.isInteger(len) || len < 0) throw new Error(`Bad bulk length from MASTER: '${line}'`);
        this.loader = new SnapshotLoader(this.core.dbs.length, { length: len });
        this.eofTransfer = false;
        this.syncTotalBytes = len;
        this.core.host.log('notice', `MASTER <-> REPLICA sync: receiving ${len} bytes from master to disk`);
      }
      this.transferHeaderRead = true;
      bytes = buf.subarray(nl + 1);
      pos = 0;
    }
    const loader = this.loader!;
    const rest = loader.push(bytes.subarray(pos));
    this.syncReadBytes = loader.bytesRead;
    if (rest === null) return null;
    this.installFunctions(loader.functions);
    this.finishFullSync(loader.databases());
    return rest;
  }

  private pendingHeader: Uint8Array = new Uint8Array(0);
  /** The history announced by +FULLRESYNC, adopted once its snapshot is loaded. */
  private pendingHistory: { replid: string; offset: number } | null = null;

  /**
   * Replaces our function libraries with the snapshot's (a full sync empties them, as Redis's emptyData does).
   * A library that does not load fails the sync, as it fails Redis's RDB load; a core without a Lua engine
   * (browser, edge) has no libraries and ignores them.
   */
  private installFunctions(codes: readonly string[]): void {
    const store = this.core.functionLibraries;
    if (!store) return;
    const load = store.beginLoad();
    for (const code of codes) {
      const err = load.add(code);
      if (err !== null) {
        this.core.host.log('warning', `Failed loading library, ${err}`);
        throw new Error('Failed trying to load the MASTER synchronization DB from socket');
      }
    }
    load.commit();
  }

  private finishFullSync(loaded: Database[]): void {
    // Swap the complete dataset in at once: clients never see a half-loaded keyspace.
    for (let i = 0; i < this.core.dbs.length; i++) {
      const db = this.core.dbs[i];
      db.dict = loaded[i].dict;
      db.expires = loaded[i].expires;
    }
    this.core.touchAllWatched();
    this.loader = null;
    const history = this.pendingHistory!;
    this.pendingHistory = null;
    this.repl.resetHistory(history.offset, history.replid);
    this.streamDb = 0;
    this.hasHistory = true;
    for (const observe of this.repl.snapshotObservers) observe(this.repl.replid, this.repl.offset);
    this.core.host.log('notice', 'MASTER <-> REPLICA sync: Finished with success');
    this.startStreaming();
    // With an EOF-marked transfer the master holds the stream until our first ACK (it cannot tell where the
    // snapshot ends otherwise): send it now.
    if (this.eofTransfer) this.sendAck();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Partial sync and streaming
  // ---------------------------------------------------------------------------------------------------------

  private continuePartial(newId: string | undefined): void {
    if (newId && newId !== this.repl.replid) {
      // The master's history continues ours under a new id (it was promoted): remember the old id so our own
      // sub-replicas can continue too, after they reconnect.
      this.repl.replid2 = this.repl.replid;
      this.repl.secondReplOffset = this.repl.offset + 1;
      this.repl.replid = newId;
      this.repl.disconnectReplicas();
    }
    this.repl.createBacklogIfNeeded();
    this.startStreaming();
  }

  private startStreaming(): void {
    this.repl.createBacklogIfNeeded();
    const transport: Transport = {
      write: (bytes) => this.conn?.write(bytes),
      // The core closes the master client on a protocol error in the stream: drop the link and resync.
      close: () => {
        if (this.state === 'connected') this.fail('Closing the connection with the MASTER after a protocol error in the replication stream');
      },
      bufferedAmount: () => 0,
    };
    const { text } = describeTarget(this.target);
    const client = this.core.connect(transport, { addr: text, laddr: '', loopback: true, kind: 'internal' });
    if (!client) throw new Error('cannot create the master client');
    client.isMaster = true;
    client.replyOff = true;
    client.authenticated = true;
    client.parser.authenticated = true;
    client.parser.fromMaster = true;
    // The stream's selected db carries over a partial resync (the master sends no new SELECT): resume in the db
    // the previous link ended in. After a full sync the master's next op starts with SELECT anyway.
    client.db = this.streamDb;
    this.masterClient = client;
    this.unforwarded = [];
    this.appliedConsumed = 0;
    this.readOffset = this.repl.offset;
    this.state = 'connected';
    this.core.masterLinkUp = true;
    this.downSince = 0;
    this.attempts = 0;
    this.cached = null;
    this.hasHistory = true;
    this.lastAckAt = 0;
    this.core.afterMasterCommand = (c) => this.afterCommand(c);
  }

  private consumeStream(bytes: Uint8Array): void {
    const client = this.masterClient;
    if (!client) return;
    this.unforwarded.push(bytes);
    this.readOffset += bytes.length;
    this.core.receive(client, bytes);
  }

  /**
   * After each command from the master: outside a MULTI, the bytes it consumed are applied; forward exactly
   * those to our backlog and sub-replicas, which advances our offset (never inside a transaction).
   */
  private afterCommand(client: Client): void {
    if (client !== this.masterClient || client.multi) return;
    const consumed = client.parser.consumed;
    let n = consumed - this.appliedConsumed;
    if (n <= 0) return;
    this.appliedConsumed = consumed;
    while (n > 0) {
      const head = this.unforwarded[0];
      if (head.length <= n) {
        this.repl.feed(head);
        this.unforwarded.shift();
        n -= head.length;
      } else {
        this.repl.feed(head.subarray(0, n));
        this.unforwarded[0] = head.subarray(n);
        n = 0;
      }
    }
  }

  /** REPLCONF ACK <applied offset> to the master. */
  sendAck(): void {
    if (!this.conn) return;
    this.lastAckAt = this.core.now();
    this.send(['REPLCONF', 'ACK', String(this.repl.offset)]);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Failure and teardown
  // ---------------------------------------------------------------------------------------------------------

  private onClose(reason: string): void {
    if (!this.conn) return;
    this.conn = null;
    if (this.state === 'transfer') {
      // Redis's words, plus where the snapshot was cut: nothing of it is applied.
      this.fail(`I/O error trying to sync with MASTER: connection lost (snapshot truncated after ${this.syncReadBytes} bytes; discarded)`);
      return;
    }
    this.fail(reason || 'Connection with master lost.');
  }

  /** Drops the link (logging why) and schedules a reconnect with backoff and jitter. */
  fail(reason: string): void {
    const wasConnected = this.state === 'connected';
    this.lastError = reason;
    this.core.host.log('warning', `${reason}`);
    this.teardown();
    if (wasConnected) {
      this.core.host.log('notice', 'Connection with master lost. Caching the disconnected master state.');
    }
    // Whatever we applied is a valid history to continue from (a replica that never synced has none).
    if (this.hasHistory) this.cached = { replid: this.repl.replid, offset: this.repl.offset };
    this.state = 'connect';
    // The first retry after a working link is immediate (a cut link, a killed client: the master is likely
    // there). Later ones use full jitter over an exponentially growing window, so a fleet of replicas losing
    // one master spreads its reconnects instead of stampeding.
    if (this.attempts === 0 && wasConnected) {
      this.attempts++;
      this.nextAttemptAt = this.core.now();
      this.connect();
      return;
    }
    const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(this.attempts, 10));
    this.attempts++;
    const r = new Uint8Array(2);
    this.core.randomBytes(r);
    this.nextAttemptAt = this.core.now() + Math.floor((((r[0] << 8) | r[1]) / 65536) * cap);
  }

  private teardown(): void {
    const conn = this.conn;
    this.conn = null;
    if (this.masterClient) {
      const c = this.masterClient;
      this.streamDb = c.db;
      this.masterClient = null;
      this.core.disconnect(c);
    }
    if (this.core.afterMasterCommand) this.core.afterMasterCommand = undefined;
    this.unforwarded = [];
    this.loader = null;
    this.pendingHistory = null;
    this.pendingHeader = new Uint8Array(0);
    this.steps = [];
    if (this.core.masterLinkUp) this.downSince = this.core.now();
    this.core.masterLinkUp = false;
    conn?.close();
  }

  /** Stops replicating (REPLICAOF NO ONE or a new master). */
  close(): void {
    this.teardown();
    this.state = 'connect';
  }
}


