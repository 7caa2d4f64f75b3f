import { Database } from '../store/database.js';
import type { FunctionLibraryStore } from './function-library-store.js';
import { ErrorReply, PushReply } from '../resp/reply.js';
import { ProtocolError } from '../resp/request-parser.js';
import { globMatch } from '../glob.js';
import { Client, type ConnectionInfo, type Transport } from './client.js';
import type { CommandSpec } from './command-spec.js';
import { Config } from './config.js';
import { Propagator } from './propagator.js';
import { LatencyMonitor } from './latency-monitor.js';
import { Slowlog } from './slowlog.js';
import { Notify, notifyKeyspaceEvent } from './keyspace-events.js';
import { processCommand, processInput, resumeBlocked } from './dispatch.js';
import { MemoryLimit, type EvictionPolicy, type EvictionResult } from './eviction.js';
import { Tracking } from './tracking.js';
import type { Permissions } from './permissions.js';
import { DEFAULT_ENCODING_LIMITS, type EncodingLimits } from '../store/encoding.js';
import { Stream } from '../store/stream.js';

/** What the runtime provides to the core: time, logging, and the few things only a process can do. */
/**
 * Cluster mode's hook into dispatch: for a command about to run, the redirection or refusal to reply instead
 * (MOVED, ASK, CROSSSLOT, CLUSTERDOWN...), or null to run it here. Installed by shared/cluster.
 */
export interface ClusterRouter {
  route(client: Client, spec: CommandSpec, argv: string[], parentName: string): string | null;
  /** Cluster-wide PUBLISH: also sent to every other node. */
  publish(channel: string, message: string): void;
  /** SPUBLISH: also sent to the other nodes of this shard (the master and its replicas). */
  publishShard(channel: string, message: string): void;
  /** After each command from a client (run or refused). */
  afterCommand(client: Client, argv: string[]): void;
}

export interface ServerHost {
  /** Wall-clock time in ms since the epoch. */
  now(): number;
  /** A log line; the host decides where it goes. */
  log(level: 'debug' | 'verbose' | 'notice' | 'warning', message: string): void;
  /** DEBUG SLEEP: block the whole server for `ms`, as Redis does. */
  sleep?(ms: number): void;
  /** SHUTDOWN: stop accepting, close clients, exit. */
  shutdown?(): void;
  /** Extra INFO fields the runtime knows (process id, memory, ports), by section name. */
  runtimeInfo?(): Record<string, Array<[string, string | number]>>;
  /** CONFIG REWRITE: rewrites the config file with the configuration in memory; null when done, else why not. */
  rewriteConfig?(): string | null;
  /** Fills `bytes` with random values (defaults to crypto.getRandomValues). */
  randomBytes?(bytes: Uint8Array): void;
  /** A monotonic clock in microseconds, for the slow log (default: now() in ms, times 1000). */
  micros?(): number;
  /** Snapshots to durable storage (the Node server: RDB files); without it SAVE and BGSAVE are refused. */
  persistence?: SnapshotPersistence;
  /** The ACL file (aclfile) for ACL LOAD and ACL SAVE; without it they fail as on an unreadable file. */
  aclFile?: AclFileHost;
  /** The append-only file (the Node server); without it BGREWRITEAOF is refused. */
  appendOnly?: AppendOnlyHost;
}

/** What BGREWRITEAOF, BGSAVE and SHUTDOWN ask of a runtime that keeps an append-only file. */
export interface AppendOnlyHost {
  /**
   * BGREWRITEAOF: starts a background rewrite (or schedules it when another background save runs or when
   * called inside a transaction). Returns the status reply's text, or an error text.
   */
  backgroundRewrite(inExec: boolean): { status: string } | { error: string };
  /** Whether a rewrite is being written (BGSAVE waits for it). */
  rewriting(): boolean;
  /** SHUTDOWN: stops a rewrite and flushes the file to disk; false when the server must not exit. */
  prepareShutdown(force: boolean): boolean;
  /**
   * DEBUG LOADAOF: writes pending appends to disk (when AOF is on), empties the dataset and the function
   * libraries, then loads the files the manifest lists. Null when loaded, else why not (Redis exits then).
   */
  reloadFromDisk?(): string | null;
}

/** What ACL LOAD and ACL SAVE ask of a runtime that has files. */
export interface AclFileHost {
  /** The file's content as a binary string, or why it cannot be read (strerror's words). */
  read(path: string): { text: string } | { error: string };
  /** Replaces the file with `text` (a binary string) atomically; false when it failed (the runtime logs why). */
  write(path: string, text: string): boolean;
}

/** What SAVE, BGSAVE, LASTSAVE and SHUTDOWN ask of a runtime that writes snapshots of the dataset. */
export interface SnapshotPersistence {
  /** SAVE: writes the dataset now, before returning; false when it failed (the runtime logs why). */
  save(): boolean;
  /** BGSAVE: starts writing a point-in-time copy over the next events; false when it could not start. */
  backgroundSave(): boolean;
  /** BGSAVE inside a transaction: start one from the periodic cycle instead (Redis's rdb_bgsave_scheduled). */
  scheduleBackgroundSave(): void;
  /** Whether a background save is being written. */
  saving(): boolean;
  /** Stops a background save and removes its temporary file (SHUTDOWN). */
  abortBackgroundSave(): void;
  /** When the last successful save finished, ms since the epoch (the server's start before any). */
  lastSave(): number;
  /** DEBUG RELOAD: the snapshot file's bytes as on disk, or null when it cannot be read (missing, unreadable). */
  readSnapshot?(): Uint8Array | null;
}

/** Counters reported by INFO stats. */
export interface ServerStats {
  totalConnectionsReceived: number;
  totalCommandsProcessed: number;
  totalNetInputBytes: number;
  totalNetOutputBytes: number;
  rejectedConnections: number;
  expiredKeys: number;
  /** Keys evicted by maxmemory-policy. */
  evictedKeys: number;
  /** Values freed in the background (UNLINK of a costly value): INFO's lazyfreed_objects. */
  lazyfreedObjects: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  pubsubChannels: number;
  totalErrorReplies: number;
  /** Per command: calls, rejected and failed calls, microseconds (we count calls only). */
  commands: Map<string, { calls: number; failed: number; rejected: number }>;
  /** Per error code (ERR, WRONGTYPE, ...): count. */
  errors: Map<string, number>;
}

/** Options for a core. */
export interface ServerCoreOptions {
  host: ServerHost;
  config?: Config;
  commands: CommandSpec[];
}

/** Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP and the share of expired keys that makes a cycle repeat. */
const EXPIRE_SAMPLE = 20;
const EXPIRE_REPEAT_RATIO = 0.25;

/**
 * The server, without IO: databases, clients, pub/sub, blocking, propagation and the periodic cycle. Adapters
 * feed it connections, bytes and time (`connect`, `receive`, `disconnect`, `cron`); it writes to each client's
 * Transport. It is the same object under Node, in a Durable Object and in tests.
 */
export class ServerCore {
  readonly host: ServerHost;
  readonly config: Config;
  readonly dbs: Database[] = [];
  readonly commands = new Map<string, CommandSpec>();
  /** The table indexed by lowercase and uppercase names, for allocation-free lookups (see lookupCommand). */
  readonly commandIndex = new Map<string, CommandSpec>();
  readonly clients = new Map<number, Client>();
  readonly propagator = new Propagator();
  /**
   * The writes a replica applies from its master's stream, as it executed them: for its own append-only file
   * (the stream itself is forwarded to sub-replicas as received, not through `propagator`). Nothing is encoded
   * while nobody listens.
   */
  readonly appliedFromMaster = new Propagator();
  readonly stats: ServerStats = newStats();
  /** Channel -> subscribed clients. */
  readonly channels = new Map<string, Set<Client>>();
  /** Pattern -> subscribed clients. */
  readonly patterns = new Map<string, Set<Client>>();
  /** Shard channel -> subscribed clients (SSUBSCRIBE). */
  readonly shardChannels = new Map<string, Set<Client>>();
  /** Clients in MONITOR mode. */
  readonly monitors = new Set<Client>();
  /** "db\0key" -> clients blocked on it, in arrival order. */
  readonly blockedOn = new Map<string, Client[]>();
  /** Keys with blocked clients that were touched and are waiting for the blocked clients to be served. */
  private readyKeys = new Set<string>();
  /** Clients with output to flush at the end of the current event. */
  private readonly pendingWrites = new Set<Client>();
  private nextClientId = 1;
  readonly startedAt: number;
  /** Set in cluster mode (cluster-enabled yes). */
  cluster: ClusterRouter | null = null;
  /** Role: set by the replication layer. */
  role: 'master' | 'replica' = 'master';
  /** Whether the master link is up (replica role). */
  masterLinkUp = false;
  /** Server-wide change counter (Redis's server.dirty). */
  dirty = 0;
  /** Hooks other layers (replication) install to add INFO sections and react to events. */
  readonly infoSections = new Map<string, () => Array<[string, string | number]>>();
  /** Called for each command before it runs; a returned error rejects it (used by replication: NOREPLICAS). */
  writeGuards: Array<(client: Client, spec: CommandSpec) => string | null> = [];
  /** Called after each command from our master's link (replication advances its applied offset). */
  afterMasterCommand?: (client: Client) => void;
  /** Called when a client disconnects (replication drops replica state). */
  readonly disconnectHooks: Array<(client: Client) => void> = [];
  /** The function libraries, for RDB files and full syncs (null where there is no Lua: edge, browser). */
  functionLibraries: FunctionLibraryStore | null = null;
  /** EVAL's script cache once scripting is in use (INFO's number_of_cached_scripts). */
  cachedScripts: { readonly size: number } | null = null;

  /** Parser limits, kept current by a config listener so CONFIG SET applies to connected clients at once. */
  private readonly requestLimits = { protoMaxBulkLen: 0, queryBufferLimit: 0 };
  /** SLOWLOG: the entries, and the threshold in microseconds (negative: off) kept current from the config. */
  readonly slowlog = new Slowlog();
  slowlogThreshold = 10000;
  /** LATENCY: the events, and latency-monitor-threshold in ms (0: off) kept current from the config. */
  readonly latency = new LatencyMonitor();
  latencyThreshold = 0;
  /** latency-tracking: each command's time goes into its histogram (LATENCY HISTOGRAM, INFO latencystats). */
  latencyTracking = true;
  /**
   * The slow log's last clock reading: inside a batch of commands (`chain`), a command's start is the previous
   * command's end, so timing costs one clock read per command.
   */
  readonly clock = { at: 0, valid: false, chain: false };
  /** DEBUG SET-ACTIVE-EXPIRE: whether the cron expires keys nobody reads. */
  activeExpireEnabled = true;
  /** DEBUG PAUSE-CRON: the periodic work (expiry, timeouts, replication cron) stops while set. */
  cronPaused = false;
  /** notify-keyspace-events as Notify bits (0: no events), kept current from the config. */
  keyspaceEvents = 0;
  /** The compact encodings' thresholds, from the config (hash-max-listpack-entries and the rest). */
  encodingLimits: EncodingLimits = DEFAULT_ENCODING_LIMITS;
  /** Client-side caching (CLIENT TRACKING). */
  readonly tracking: Tracking;
  /** Who may run what (ACL users); null: everything is allowed (see permissions.ts). */
  permissions: Permissions | null = null;
  /** maxmemory: the dataset's size in Redis's terms, access tracking and eviction. */
  readonly memory: MemoryLimit;

  constructor(opts: ServerCoreOptions) {
    this.host = opts.host;
    this.config = opts.config ?? new Config();
    const readLimits = () => {
      this.requestLimits.protoMaxBulkLen = this.config.int('proto-max-bulk-len');
      this.requestLimits.queryBufferLimit = this.config.int('client-query-buffer-limit');
      this.slowlogThreshold = this.config.int('slowlog-log-slower-than');
      this.latencyThreshold = this.config.int('latency-monitor-threshold');
      this.latencyTracking = this.config.bool('latency-tracking');
      this.keyspaceEvents = this.config.int('notify-keyspace-events');
      this.encodingLimits = {
        hashEntries: this.config.int('hash-max-listpack-entries'),
        hashValue: this.config.int('hash-max-listpack-value'),
        zsetEntries: this.config.int('zset-max-listpack-entries'),
        zsetValue: this.config.int('zset-max-listpack-value'),
        setIntsetEntries: this.config.int('set-max-intset-entries'),
      };
      this.memory?.configure({
        maxmemory: this.config.int('maxmemory'),
        policy: this.config.str('maxmemory-policy') as EvictionPolicy,
        samples: this.config.int('maxmemory-samples'),
        tenacity: this.config.int('maxmemory-eviction-tenacity'),
        lfuLogFactor: this.config.int('lfu-log-factor'),
        lfuDecayTime: this.config.int('lfu-decay-time'),
      });
    };
    this.memory = new MemoryLimit({
      dbs: this.dbs,
      now: () => this.now(),
      micros: () => this.micros(),
      random: () => Math.random(),
      evict: (db, key) => this.evictKey(db, key),
    });
    readLimits();
    this.config.onChange(readLimits);
    for (const spec of opts.commands) {
      this.commands.set(spec.name, spec);
      this.commandIndex.set(spec.name, spec);
      this.commandIndex.set(spec.name.toUpperCase(), spec);
    }
    const n = this.config.int('databases');
    for (let i = 0; i < n; i++) this.dbs.push(new Database(i));
    this.startedAt = this.host.now();
    this.tracking = new Tracking(this);
    // BCAST invalidations go out once per event, as Redis sends them from beforeSleep; the table bound is also
    // enforced by the cron, as serverCron does, so a CONFIG SET applies on an idle server.
    this.beforeFlushHooks.push(() => this.tracking.broadcast());
    this.cronTasks.push(() => {
      if (this.tracking.clients > 0) this.tracking.limitUsedSlots();
    });
    // An eviction cycle that ran out of its time budget goes on from the cron (Redis's evictionTimeProc).
    this.cronTasks.push(() => {
      if (this.memory.active) this.performEvictions();
    });
  }

  /** The current time in ms (one reading per call). */
  now(): number {
    return this.host.now();
  }

  /** Whether this server replicates from a master. */
  isReplica(): boolean {
    return this.role === 'replica';
  }

  /** CLIENT PAUSE in force: until when (ms) and whether it holds every command or only writes. */
  clientPause: { until: number; all: boolean } | null = null;
  /** Clients whose next command waits for the pause to end, in arrival order. */
  readonly postponed = new Set<Client>();

  /** Whether a CLIENT PAUSE is in force now. No side effects: safe to ask in the middle of a command. */
  pauseInForce(): boolean {
    return this.clientPause !== null && this.now() < this.clientPause.until;
  }

  /**
   * Whether writes are paused now; a pause whose time is up ends here and what it held runs. Only between
   * commands (dispatch before running one, the cron): never from inside a command's execution.
   */
  writesPaused(): boolean {
    if (!this.clientPause) return false;
    if (this.now() < this.clientPause.until) return true;
    this.unpause();
    return false;
  }

  /** CLIENT PAUSE: a longer or stricter pause extends the current one, as Redis's pauseClients does. */
  pause(until: number, all: boolean): void {
    const current = this.clientPause;
    this.clientPause = current ? { until: Math.max(current.until, until), all: current.all || all } : { until, all };
  }

  /** Ends the pause and runs the held commands in the order they arrived. */
  unpause(): void {
    this.clientPause = null;
    const held = [...this.postponed];
    this.postponed.clear();
    for (const c of held) {
      const argv = c.postponed;
      c.postponed = null;
      if (!argv || c.closed) continue;
      processCommand(this, c, argv);
      processInput(this, c);
    }
  }

  /** Whether clients must AUTH before running commands. */
  requiresAuth(): boolean {
    return this.permissions !== null ? this.permissions.authRequired() : this.config.str('requirepass') !== '';
  }

  /** Fills a buffer with random bytes. */
  /** Microseconds on a monotonic clock (the host's, or the wall clock's milliseconds). */
  micros(): number {
    return this.host.micros ? this.host.micros() : this.host.now() * 1000;
  }

  randomBytes(bytes: Uint8Array): void {
    if (this.host.randomBytes) this.host.randomBytes(bytes);
    else crypto.getRandomValues(bytes as Uint8Array<ArrayBuffer>);
  }

  /**
   * Accepts a connection. Returns the client, or null when it was refused (protected mode, maxclients): the
   * refusal is written and the transport closed, as Redis does.
   */
  connect(transport: Transport, info: ConnectionInfo): Client | null {
    const now = this.now();
    this.stats.totalConnectionsReceived++;
    const refuse = (message: string) => {
      this.stats.rejectedConnections++;
      transport.write(new TextEncoder().encode(`-${message}\r\n`));
      transport.close();
      return null;
    };
    if (this.clients.size >= this.config.int('maxclients')) return refuse('ERR max number of clients reached');
    if (this.config.bool('protected-mode') && !this.requiresAuth() && !info.loopback) {
      return refuse(PROTECTED_MODE_DENIED);
    }
    const client = new Client(this.nextClientId++, transport, info, now, this.requiresAuth(), this.requestLimits);
    this.clients.set(client.id, client);
    return client;
  }

  /** Feeds bytes received from a client; replies are written before this returns. */
  receive(client: Client, bytes: Uint8Array): void {
    if (client.closed) return;
    client.lastInteraction = this.now();
    client.bytesIn += bytes.length;
    this.stats.totalNetInputBytes += bytes.length;
    client.queryBuffer.read(client.parser.pending, bytes.length);
    try {
      client.parser.push(bytes);
    } catch (e) {
      this.protocolError(client, e as ProtocolError);
      this.flushWrites();
      return;
    }
    processInput(this, client);
    this.flushWrites();
  }

  /** Handles malformed input: reply with Redis's text (when it has one), then close. */
  protocolError(client: Client, e: ProtocolError): void {
    if (!(e instanceof ProtocolError)) throw e;
    // A broken stream from our master is worth a warning: the link is dropped and resynced because of it.
    this.host.log(
      client.isMaster ? 'warning' : 'verbose',
      `Protocol error (${e.message}) from ${client.isMaster ? 'MASTER' : 'client'}: id=${client.id} addr=${client.info.addr}`,
    );
    if (e.reply) client.reply(new ErrorReply(e.message));
    client.closeAfterReply = true;
    this.queueWrite(client);
  }

  /** The adapter reports a closed connection: forget the client everywhere. */
  disconnect(client: Client): void {
    if (!this.clients.has(client.id)) return;
    client.closed = true;
    this.clients.delete(client.id);
    this.unblock(client);
    this.unwatchAll(client);
    for (const ch of client.channels) this.removeSubscriber(this.channels, ch, client);
    for (const p of client.patterns) this.removeSubscriber(this.patterns, p, client);
    for (const ch of client.shardChannels) this.removeSubscriber(this.shardChannels, ch, client);
    client.channels.clear();
    client.patterns.clear();
    client.shardChannels.clear();
    this.monitors.delete(client);
    this.postponed.delete(client);
    this.pendingWrites.delete(client);
    this.tracking.disable(client);
    for (const hook of this.disconnectHooks) hook(client);
  }

  /** Closes a client from the server side (CLIENT KILL, limits). */
  kill(client: Client): void {
    if (client.closed) return;
    client.flush();
    client.closed = true;
    client.transport.close();
    this.disconnect(client);
  }

  /** Marks a client as having output to flush at the end of this event. */
  queueWrite(client: Client): void {
    this.pendingWrites.add(client);
  }

  /** Work to do before output is flushed at the end of each event (replication pumps snapshot chunks). */
  readonly beforeFlushHooks: Array<() => void> = [];

  /** Flushes all queued output and enforces output buffer limits (Redis's beforeSleep write pass). */
  flushWrites(): void {
    for (const hook of this.beforeFlushHooks) hook();
    for (const c of this.pendingWrites) {
      this.stats.totalNetOutputBytes += c.queuedBytes;
      c.flush();
      this.checkOutputLimits(c);
    }
    this.pendingWrites.clear();
  }

  /** The adapter reports that a client's transport drained: more output (a snapshot) may be written now. */
  notifyWritable(client: Client): void {
    if (client.closed) return;
    this.queueWrite(client);
    this.flushWrites();
  }

  /** The TCP port replicas announce (the adapter sets the bound one; REPLCONF listening-port). */
  listeningPort: () => number = () => this.config.int('port');

  /** The replication offset after the last propagated write (set by the replication layer). */
  replicationOffset: () => number = () => 0;

  /** Disconnects a client over its class's client-output-buffer-limit (hard at once, soft after its seconds). */
  checkOutputLimits(c: Client): boolean {
    if (c.closed) return false;
    const limits = this.config.outputBufferLimits();
    const limit = c.isReplica ? limits.replica : c.subscribed ? limits.pubsub : limits.normal;
    const used = c.pendingOutput();
    const now = this.now();
    let over = false;
    if (limit.hard > 0 && used >= limit.hard) over = true;
    else if (limit.soft > 0 && used >= limit.soft) {
      if (c.softLimitSince === 0) c.softLimitSince = now;
      else if (now - c.softLimitSince >= limit.softSeconds * 1000) over = true;
    } else {
      c.softLimitSince = 0;
    }
    if (over) {
      this.host.log(
        'warning',
        `Client id=${c.id} addr=${c.info.addr} closed for overcoming of output buffer limits (${used} bytes).`,
      );
      this.kill(c);
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Keyspace events
  // ---------------------------------------------------------------------------------------------------------

  /** Redis's signalModifiedKey: invalidates WATCHes and marks blocked clients ready. */
  signalModifiedKey(db: number, key: string): void {
    this.dirty++;
    const watchers = this.dbs[db].watched.get(key);
    if (watchers) {
      for (const id of watchers) {
        const c = this.clients.get(id);
        if (c) c.dirtyCas = true;
      }
    }
    if (this.staleWatches.size > 0) this.touchStaleWatches(db, key);
    if (this.blockedOn.size > 0) {
      const k = blockKey(db, key);
      if (this.blockedOn.has(k)) this.readyKeys.add(k);
    }
    if (this.tracking.table.size > 0 || this.tracking.prefixes.size > 0) this.tracking.invalidateKey(key);
    if (this.memory.active) this.memory.keyChanged(this.dbs[db], key);
  }

  /**
   * Invalidates the WATCHes on every key of a database (FLUSHDB, SWAPDB) or all of them. For all of them (a
   * replica loading its master's snapshot: Redis's emptyData -> signalFlushedDb) tracking clients are told
   * every key is invalid.
   */
  touchAllWatched(db?: number): void {
    if (db === undefined && (this.tracking.clients > 0 || this.tracking.table.size > 0)) this.tracking.invalidateOnFlush();
    if (this.memory.active) this.memory.invalidate();
    for (const d of this.dbs) {
      if (db !== undefined && d.id !== db) continue;
      for (const ids of d.watched.values()) {
        for (const id of ids) {
          const c = this.clients.get(id);
          if (c) c.dirtyCas = true;
        }
      }
      // A key that was already expired when watched and is now emptied away did not logically change.
      for (const k of [...this.staleWatches.keys()]) {
        const sep = k.indexOf('\0');
        if (Number(k.slice(0, sep)) === d.id) this.touchStaleWatches(d.id, k.slice(sep + 1), true);
      }
    }
  }

  /** Deletes an expired key and propagates its DEL (masters only). */
  deleteExpiredKey(db: Database, key: string): void {
    const started = this.latencyThreshold > 0 ? this.micros() : 0;
    db.dict.delete(key);
    db.expires.delete(key);
    if (this.latencyThreshold > 0) this.latencySample('expire-del', this.micros() - started);
    this.stats.expiredKeys++;
    if (this.keyspaceEvents !== 0) notifyKeyspaceEvent(this, Notify.EXPIRED, 'expired', key, db.id);
    this.propagator.add(db.id, ['DEL', key]);
    // Even when a client's lookup found it expired, the server deleted it: NOLOOP does not hide it from that client.
    this.tracking.serverChange = true;
    try {
      this.signalModifiedKey(db.id, key);
    } finally {
      this.tracking.serverChange = false;
    }
  }

  /**
   * Redis's performEvictions as processCommand calls it: nothing on a replica that ignores maxmemory (its
   * master's DELs keep it in step) or while writes are paused; else keys go by policy until the dataset fits.
   */
  performEvictions(): EvictionResult {
    if (!this.memory.overLimit()) return 'ok';
    if (this.isReplica() && this.config.bool('replica-ignore-maxmemory')) return 'ok';
    if (this.pauseInForce()) return 'ok';
    return this.memory.performEvictions();
  }

  /**
   * Deletes a key chosen for eviction: counted in evicted_keys, the "evicted" event, and a DEL (UNLINK with
   * lazyfree-lazy-eviction) propagated on its own, unwrapped, as Redis 7.0 sends evictions.
   */
  private evictKey(db: Database, key: string): void {
    db.dict.delete(key);
    db.expires.delete(key);
    this.stats.evictedKeys++;
    if (this.keyspaceEvents !== 0) notifyKeyspaceEvent(this, Notify.EVICTED, 'evicted', key, db.id);
    this.signalModifiedKey(db.id, key);
    this.propagator.add(db.id, [this.config.bool('lazyfree-lazy-eviction') ? 'UNLINK' : 'DEL', key]);
    this.propagator.flush();
  }

  // ---------------------------------------------------------------------------------------------------------
  // WATCH
  // ---------------------------------------------------------------------------------------------------------

  /**
   * Watches of keys that were already logically expired when WATCHed (Redis 7's watchedKey.expired), by
   * blockKey(db, key) -> client ids. Kept apart from the database's `watched` so that emptying a database
   * (FLUSHDB deletes the stale key: no logical change) does not invalidate them.
   */
  readonly staleWatches = new Map<string, Set<number>>();

  /** WATCH: remembers whether the key was already expired, which EXEC and later touches take into account. */
  watch(client: Client, key: string): void {
    const db = this.dbs[client.db];
    if (client.watched.some(([d, k]) => d === client.db && k === key)) return;
    if (this.keyIsExpired(db, key)) {
      addToSet(this.staleWatches, blockKey(db.id, key), client.id);
    } else {
      addToSet(db.watched, key, client.id);
    }
    client.watched.push([client.db, key]);
  }

  /** Redis's keyIsExpired: the key exists with a TTL that has passed, whatever deleted it or not yet. */
  keyIsExpired(db: Database, key: string): boolean {
    const when = db.expires.get(key);
    return when !== undefined && when < this.now() && db.dict.has(key);
  }

  /**
   * A touched key some clients watched while it was already expired (Redis's touchWatchedKey for
   * wk->expired): once deleted (lazily, actively, by a flush) nothing logically changed and the watch becomes
   * an ordinary one; a key present again changed. `emptied`: the whole database is being emptied.
   */
  private touchStaleWatches(db: number, key: string, emptied = false): void {
    const bk = blockKey(db, key);
    const ids = this.staleWatches.get(bk);
    if (!ids) return;
    if (emptied || !this.dbs[db].dict.has(key)) {
      this.staleWatches.delete(bk);
      // After a flush the key is gone for good: later changes to it do invalidate the watch.
      for (const id of ids) addToSet(this.dbs[db].watched, key, id);
      return;
    }
    for (const id of ids) {
      const c = this.clients.get(id);
      if (c) c.dirtyCas = true;
    }
  }

  /**
   * Redis's isWatchedKeyExpired, checked by EXEC: a key that was alive when watched and has expired since
   * (even if nobody deleted it yet) fails the transaction.
   */
  watchedKeyExpired(client: Client): boolean {
    for (const [d, k] of client.watched) {
      if (this.staleWatches.get(blockKey(d, k))?.has(client.id)) continue;
      if (this.keyIsExpired(this.dbs[d], k)) return true;
    }
    return false;
  }

  unwatchAll(client: Client): void {
    for (const [d, k] of client.watched) {
      removeFromSet(this.dbs[d].watched, k, client.id);
      if (this.staleWatches.size > 0) removeFromSet(this.staleWatches, blockKey(d, k), client.id);
    }
    client.watched = [];
    client.dirtyCas = false;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Blocking
  // ---------------------------------------------------------------------------------------------------------

  /** Parks a client until one of `keys` is touched or the deadline passes. */
  block(client: Client, state: NonNullable<Client['blocked']>): void {
    client.blocked = state;
    for (const key of state.keys) {
      const k = blockKey(state.db, key);
      let list = this.blockedOn.get(k);
      if (!list) this.blockedOn.set(k, (list = []));
      list.push(client);
    }
  }

  /** Removes a client from the blocking lists (served, timed out, killed). */
  unblock(client: Client): void {
    const state = client.blocked;
    if (!state) return;
    client.blocked = null;
    for (const key of state.keys) {
      const k = blockKey(state.db, key);
      const list = this.blockedOn.get(k);
      if (!list) continue;
      const i = list.indexOf(client);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.blockedOn.delete(k);
    }
  }

  /**
   * Redis 7.0's scanDatabaseForDeletedStreams, before a flush empties `db`: clients blocked on a stream key
   * are served, so XREADGROUP answers that the stream no longer exists (clients blocked on other types wait on).
   */
  signalDeletedStreams(db: Database): void {
    if (this.blockedOn.size === 0) return;
    const prefix = `${db.id}\0`;
    for (const k of this.blockedOn.keys()) {
      if (k.startsWith(prefix) && db.dict.get(k.slice(prefix.length)) instanceof Stream) this.readyKeys.add(k);
    }
  }

  /** Serves clients blocked on keys that were touched, in arrival order, until nothing more is ready. */
  handleReadyKeys(): void {
    while (this.readyKeys.size > 0) {
      const ready = this.readyKeys;
      this.readyKeys = new Set();
      for (const k of ready) {
        const list = this.blockedOn.get(k);
        if (!list) continue;
        for (const client of [...list]) {
          if (client.blocked) resumeBlocked(this, client, false);
        }
      }
    }
  }

  /** The earliest blocking deadline, so the adapter can set one timer (undefined: none pending). */
  nextBlockingDeadline(): number | undefined {
    let min: number | undefined;
    for (const list of this.blockedOn.values()) {
      for (const c of list) {
        const d = c.blocked?.deadline ?? 0;
        if (d > 0 && (min === undefined || d < min)) min = d;
      }
    }
    return min;
  }

  /** Replies to blocked clients whose deadline has passed. */
  timeoutBlocked(): void {
    const now = this.now();
    const expired = new Set<Client>();
    for (const list of this.blockedOn.values()) {
      for (const c of list) if (c.blocked && c.blocked.deadline > 0 && c.blocked.deadline <= now) expired.add(c);
    }
    for (const c of expired) resumeBlocked(this, c, true);
    this.flushWrites();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Pub/Sub
  // ---------------------------------------------------------------------------------------------------------

  addSubscriber(map: Map<string, Set<Client>>, name: string, client: Client): void {
    let set = map.get(name);
    if (!set) map.set(name, (set = new Set()));
    set.add(client);
  }

  removeSubscriber(map: Map<string, Set<Client>>, name: string, client: Client): void {
    const set = map.get(name);
    if (!set) return;
    set.delete(client);
    if (set.size === 0) map.delete(name);
  }

  /** Delivers a message to a shard channel's subscribers (SPUBLISH); returns how many received it. */
  publishShard(channel: string, message: string): number {
    const subs = this.shardChannels.get(channel);
    if (!subs) return 0;
    for (const c of subs) {
      c.reply(new PushReply(['smessage', channel, message]));
      this.queueWrite(c);
    }
    return subs.size;
  }

  /** Delivers a message to channel and pattern subscribers; returns how many received it. */
  publish(channel: string, message: string): number {
    let receivers = 0;
    const subs = this.channels.get(channel);
    if (subs) {
      for (const c of subs) {
        c.reply(new PushReply(['message', channel, message]));
        this.queueWrite(c);
        receivers++;
      }
    }
    for (const [pattern, clients] of this.patterns) {
      if (!globMatch(pattern, channel)) continue;
      for (const c of clients) {
        c.reply(new PushReply(['pmessage', pattern, channel, message]));
        this.queueWrite(c);
        receivers++;
      }
    }
    return receivers;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Periodic work
  // ---------------------------------------------------------------------------------------------------------

  /**
   * The periodic cycle (Redis's serverCron), called by the adapter `hz` times a second: active expiry within a
   * time budget, idle-client timeouts, blocked-client timeouts, output limits.
   */
  cron(): void {
    if (this.cronPaused) return;
    // A pause whose time is up ends here even when no command arrives to notice it.
    if (this.clientPause) this.writesPaused();
    this.activeExpireCycle();
    this.closeIdleClients();
    this.resizeQueryBuffers();
    this.timeoutBlocked();
    for (const c of this.clients.values()) this.checkOutputLimits(c);
    for (const task of this.cronTasks) task();
    this.flushWrites();
  }

  /** Extra periodic tasks (replication cron). */
  readonly cronTasks: Array<() => void> = [];

  /**
   * Samples keys with a TTL and deletes the expired ones, repeating while more than a quarter of a sample was
   * expired, for at most 25% of a cron period, so a mass expiry never stalls the server.
   */
  activeExpireCycle(): void {
    // A replica waits for its master's DELs; during CLIENT PAUSE the dataset must not change.
    if (this.isReplica() || this.pauseInForce() || !this.activeExpireEnabled) return;
    const start = this.now();
    const startMicros = this.latencyThreshold > 0 ? this.micros() : 0;
    const budgetMs = Math.max(1, Math.floor(1000 / this.config.int('hz') / 4));
    cycle: for (const db of this.dbs) {
      if (db.expires.size === 0) continue;
      for (;;) {
        let sampled = 0;
        let expired = 0;
        const now = this.now();
        // Map iteration order is insertion order; rotate sampled keys to the back so each pass sees new ones.
        for (const [key, when] of db.expires) {
          if (sampled >= EXPIRE_SAMPLE) break;
          sampled++;
          if (when < now) {
            this.deleteExpiredKey(db, key);
            this.propagator.flush();
            expired++;
          } else {
            db.expires.delete(key);
            db.expires.set(key, when);
          }
        }
        if (sampled === 0 || expired / sampled <= EXPIRE_REPEAT_RATIO) break;
        if (this.now() - start >= budgetMs) break cycle;
      }
    }
    // As Redis's activeExpireCycle: the whole cycle's time is a latency event of its own.
    if (this.latencyThreshold > 0) this.latencySample('expire-cycle', this.micros() - startMicros);
    this.handleReadyKeys();
  }

  /** Redis's latencyAddSampleIfNeeded: records `micros` under `event` when it reaches the monitor's threshold. */
  latencySample(event: string, micros: number): void {
    const ms = Math.floor(micros / 1000);
    if (this.latencyThreshold > 0 && ms >= this.latencyThreshold) this.latency.addSample(event, ms, Math.floor(this.now() / 1000));
  }

  /** Redis's clientsCronResizeQueryBuffer for every client (what CLIENT LIST reports as qbuf-free). */
  private resizeQueryBuffers(): void {
    const seconds = Math.floor(this.now() / 1000);
    for (const c of this.clients.values()) {
      c.queryBuffer.cron(c.parser.pending, seconds - Math.floor(c.lastInteraction / 1000));
    }
  }

  private closeIdleClients(): void {
    const timeout = this.config.int('timeout');
    if (timeout <= 0) return;
    const now = this.now();
    for (const c of [...this.clients.values()]) {
      if (c.isMaster || c.isReplica || c.blocked || c.subscribed) continue;
      if (now - c.lastInteraction > timeout * 1000) this.kill(c);
    }
  }
}

/** The key under which blocked clients wait. */
export function blockKey(db: number, key: string): string {
  return `${db}\0${key}`;
}

function addToSet<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFromSet<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

function newStats(): ServerStats {
  return {
    totalConnectionsReceived: 0,
    totalCommandsProcessed: 0,
    totalNetInputBytes: 0,
    totalNetOutputBytes: 0,
    rejectedConnections: 0,
    expiredKeys: 0,
    evictedKeys: 0,
    lazyfreedObjects: 0,
    keyspaceHits: 0,
    keyspaceMisses: 0,
    pubsubChannels: 0,
    totalErrorReplies: 0,
    commands: new Map(),
    errors: new Map(),
  };
}

/** Redis's protected-mode refusal, word for word. */
export const PROTECTED_MODE_DENIED =
  "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.";
