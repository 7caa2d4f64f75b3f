import { connectionCommands } from '../shared/commands/connection.js';
import { dumpCommands } from '../shared/commands/dump.js';
import { geoCommands } from '../shared/commands/geo.js';
import { hashCommands } from '../shared/commands/hashes.js';
import { hyperloglogCommands } from '../shared/commands/hyperloglog.js';
import { keyCommands } from '../shared/commands/keys.js';
import { listCommands } from '../shared/commands/lists.js';
import { pubsubCommands } from '../shared/commands/pubsub.js';
import { setCommands } from '../shared/commands/sets.js';
import { sortCommands } from '../shared/commands/sort.js';
import { sortedSetCommands } from '../shared/commands/sorted-sets.js';
import { streamCommands } from '../shared/commands/streams.js';
import { stringCommands } from '../shared/commands/strings.js';
import { transactionCommands } from '../shared/commands/transactions.js';
import type { CommandSpec } from '../shared/engine/command-spec.js';
import { Config } from '../shared/engine/config.js';
import { ServerCore, type ServerHost } from '../shared/engine/server-core.js';
import { RdbReader } from '../shared/rdb/rdb-reader.js';
import { writeRdb } from '../shared/rdb/rdb-writer.js';
import type { LinkState } from '../shared/replication/replica-link.js';
import { replicationCommands } from '../shared/replication/replication-commands.js';
import { NULL_REPLID, newReplId } from '../shared/replication/replication-id.js';
import { Replication, snapshotDatabases } from '../shared/replication/replication.js';
import { Database } from '../shared/store/database.js';
import { LocalClient, StreamApplier } from './local-client.js';
import { webSocketConnector, type LinkTraffic } from './websocket-connector.js';

/** Log levels of the core. */
export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

/** The link to the master as the SDK reports it. */
export type LinkStatus = 'connecting' | 'syncing' | 'up' | 'down';

/** A dataset image to load: RDB chunks, then stream records to replay after them. */
export interface DatasetImage {
  replid: string;
  offset: number;
  snapshot: Uint8Array[];
  snapshotStreamDb: number;
  log: Uint8Array[];
}

/** Keys changed by the last applied bytes: per db, or everything (a new dataset, FLUSHALL, SWAPDB). */
export interface ChangeSet {
  all: boolean;
  keys: Map<number, Set<string>>;
}

/**
 * Whether a replication id and offset can name a point of a master's history: 40 hex characters (not the
 * all-zero id) and a non-negative integer. Anything else came from a broken or hostile master.
 */
export function validHistory(replid: string, offset: number): boolean {
  return /^[0-9a-f]{40}$/.test(replid) && replid !== NULL_REPLID && Number.isSafeInteger(offset) && offset >= 0;
}

/** The pseudo-keys the core signals internally contain chars above 255; real keys never do. */
const INTERNAL_KEY = /[\u0100-\uffff]/;

/**
 * The command table of the browser replica: every data command (the stream may carry any write, and reads
 * need the read commands), transactions, pub/sub (PUBLISH is replicated) and the replication commands; the
 * server-administration group (INFO, CONFIG, CLIENT, COMMAND DOCS, DEBUG) is left out, which keeps about a
 * quarter of the core out of the bundle. The classes are the Node server's (createServerCore builds the same
 * ServerCore and Replication with the full table).
 */
export const replicaCommands: CommandSpec[] = [
  ...connectionCommands,
  ...stringCommands,
  ...listCommands,
  ...hashCommands,
  ...setCommands,
  ...sortedSetCommands,
  ...geoCommands,
  ...streamCommands,
  ...hyperloglogCommands,
  ...keyCommands,
  ...sortCommands,
  ...transactionCommands,
  ...pubsubCommands,
  ...dumpCommands,
  ...replicationCommands,
];

/** Builds a core with the replica's command table (a replica from the start: see ReplicaEngine). */
function createReplicaCore(host: ServerHost, config: Config, extra: CommandSpec[] = []): ServerCore {
  const core = new ServerCore({ host, config, commands: [...replicaCommands, ...extra] });
  core.role = 'replica';
  return core;
}

/** RDB chunk size for local snapshots (a few records per MB keeps IndexedDB puts few and cheap). */
export const SNAPSHOT_CHUNK = 256 * 1024;

/**
 * The in-page server core running as a replica: the same core as the Node server (keyspace, commands,
 * replication state machine), plus what the SDK needs around it: a browser WebSocket connector, a local read
 * client, loading of stored datasets, applying another tab's stream, and change tracking for subscriptions.
 */
export class ReplicaEngine {
  readonly core: ServerCore;
  readonly replication: Replication;
  readonly traffic: LinkTraffic = { bytesIn: 0, connections: 0 };
  private readonly reader: LocalClient;
  /** Applies stream bytes when this tab is not the one holding the link (follower, cold start). */
  private applier: StreamApplier;
  /** Whether the dataset belongs to a replication history (false: nothing loaded or synced yet). */
  hasHistory = false;
  private changes: ChangeSet = { all: false, keys: new Map() };
  private notifyScheduled = false;

  constructor(
    private readonly opts: {
      auth: { username?: string; password: string } | null;
      log: (level: LogLevel, message: string) => void;
      /** Called once per network event, after the bytes were applied. */
      afterData: () => void;
      /** Called (in a microtask) with the keys changed since the last call. */
      onChanges: (changes: ChangeSet) => void;
    },
  ) {
    const host: ServerHost = { now: () => Date.now(), log: (level, message) => opts.log(level, message) };
    const config = new Config({ port: '0', 'repl-backlog-size': '4mb' });
    if (opts.auth) {
      config.set('masterauth', opts.auth.password, true);
      if (opts.auth.username) config.set('masteruser', opts.auth.username, true);
    }
    // FLUSHDB, FLUSHALL and SWAPDB change keys without naming them: report "everything changed".
    const markAll = (spec: CommandSpec): CommandSpec => ({
      ...spec,
      handler: (ctx, argv) => {
        const r = spec.handler!(ctx, argv);
        this.markAll();
        return r;
      },
    });
    const wrapped = keyCommands.filter((c) => ['flushdb', 'flushall', 'swapdb'].includes(c.name)).map(markAll);
    // A replica from the start: reads hide logically expired keys without deleting them, no active expiry,
    // and writes from the page are refused with READONLY.
    const core = createReplicaCore(host, config, wrapped);
    this.core = core;
    this.replication = new Replication(core, webSocketConnector(this.traffic, () => opts.afterData()));
    const signal = core.signalModifiedKey.bind(core);
    core.signalModifiedKey = (db: number, key: string) => {
      signal(db, key);
      this.markKey(db, key);
    };
    this.pos = { replid: this.replication.replid, offset: 0, streamDb: 0 };
    // Registered before anyone else's: observers after these see the dataset's new position.
    this.replication.snapshotObservers.push((replid, offset) => {
      this.hasHistory = true;
      this.pos = { replid, offset, streamDb: this.replication.link?.selectedDb ?? 0 };
      this.markAll();
    });
    this.replication.streamObservers.push((_bytes, offset) => {
      this.pos = { replid: this.replication.replid, offset, streamDb: this.replication.link?.selectedDb ?? this.pos.streamDb };
    });
    this.reader = new LocalClient(core, 'sdk-reader');
    this.applier = new StreamApplier(core, 0);
  }

  // -----------------------------------------------------------------------------------------------------------
  // Reads and change tracking
  // -----------------------------------------------------------------------------------------------------------

  /** Runs a command on the local dataset through the read client. */
  read(argv: readonly string[]) {
    return this.reader.call(argv);
  }

  /** The db the read client has selected. */
  get readDb(): number {
    return this.reader.raw.db;
  }

  private markKey(db: number, key: string): void {
    if (INTERNAL_KEY.test(key)) return;
    let set = this.changes.keys.get(db);
    if (!set) this.changes.keys.set(db, (set = new Set()));
    set.add(key);
    this.scheduleNotify();
  }

  /** Reports that any key may have changed. */
  markAll(): void {
    this.changes.all = true;
    this.scheduleNotify();
  }

  private scheduleNotify(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    queueMicrotask(() => {
      this.notifyScheduled = false;
      const changes = this.changes;
      this.changes = { all: false, keys: new Map() };
      this.opts.onChanges(changes);
    });
  }

  // -----------------------------------------------------------------------------------------------------------
  // Position in the master's history
  // -----------------------------------------------------------------------------------------------------------

  /**
   * The dataset's position in the master's history. The replication state can run ahead of it: the link
   * adopts a FULLRESYNC's id and offset before the snapshot arrives, and keeps them if the transfer fails,
   * although the dataset is still the old one (see positionDiverged).
   */
  private pos: { replid: string; offset: number; streamDb: number };

  /** The replication id of the dataset (meaningful when hasHistory). */
  get replid(): string {
    return this.pos.replid;
  }

  /** The applied offset. */
  get offset(): number {
    return this.pos.offset;
  }

  /**
   * Whether the link's idea of our position no longer matches the dataset: a full sync failed after the
   * FULLRESYNC reply, so its next PSYNC would offer a history the dataset does not hold (and a master that
   * has it would send a stream to apply on the wrong data). Outside a transfer, while connected, an id the
   * link adopted with `+CONTINUE <newid>` at our offset is taken over instead.
   */
  positionDiverged(): boolean {
    const link = this.replication.link;
    if (!link || link.state === 'transfer' || !this.hasHistory) return false;
    const r = this.replication;
    if (r.replid === this.pos.replid && r.offset === this.pos.offset) return false;
    if (link.state === 'connected' && r.offset === this.pos.offset) {
      this.pos = { ...this.pos, replid: r.replid };
      return false;
    }
    return true;
  }

  /** The db the stream has selected at the applied offset. */
  get streamDb(): number {
    return this.pos.streamDb;
  }

  // -----------------------------------------------------------------------------------------------------------
  // Datasets: loading stored ones, applying another tab's stream, copying ours
  // -----------------------------------------------------------------------------------------------------------

  /**
   * Replaces the dataset with `image`: the snapshot and the log are loaded into a separate staging core and
   * swapped in only when complete, so readers never see a partial load and a corrupt image changes nothing.
   * Throws on a corrupt image.
   */
  load(image: DatasetImage): void {
    const { dbs, streamDb } = buildDataset(this.core.dbs.length, image);
    this.swapIn(dbs);
    this.moveTo(image.replid, image.offset, streamDb);
    this.hasHistory = true;
    this.applier.close();
    this.applier = new StreamApplier(this.core, streamDb);
  }

  /**
   * Empties the dataset and forgets its history (the next sync is a full one): for a dataset that came from a
   * master sending garbage and has nothing stored to go back to.
   */
  clear(): void {
    this.swapIn(Array.from({ length: this.core.dbs.length }, (_, i) => new Database(i)));
    this.moveTo(newReplId(this.core), 0, 0);
    this.hasHistory = false;
    this.applier.close();
    this.applier = new StreamApplier(this.core, 0);
  }

  /**
   * Sets the position in the history. The backlog goes too: it describes the bytes before the old position,
   * and the link would otherwise continue its offsets instead of ours (a new one starts with the next link).
   */
  private moveTo(replid: string, offset: number, streamDb: number): void {
    this.pos = { replid, offset, streamDb };
    this.replication.backlog = null;
    this.replication.restoreState({ replid, offset });
  }

  private swapIn(dbs: Database[]): void {
    for (let i = 0; i < this.core.dbs.length; i++) {
      this.core.dbs[i].dict = dbs[i].dict;
      this.core.dbs[i].expires = dbs[i].expires;
    }
    this.core.touchAllWatched();
    this.markAll();
  }

  /**
   * Applies stream bytes that continue our history at `start` (another tab's link). Returns false, applying
   * nothing, when they do not continue it. Throws if the bytes are not valid stream.
   */
  applyStream(replid: string, start: number, bytes: Uint8Array): boolean {
    if (!this.hasHistory || replid !== this.replid || this.replication.link) return false;
    const offset = this.offset;
    if (start > offset || start + bytes.length < offset) return false;
    // Chunks end on command boundaries, and so does our offset: a chunk that overlaps it continues it there.
    const fresh = bytes.subarray(offset - start);
    if (fresh.length === 0) return true;
    this.applier.apply(fresh);
    this.replication.offset = offset + fresh.length;
    this.pos = { replid, offset: offset + fresh.length, streamDb: this.applier.db };
    return true;
  }

  /**
   * The dataset as an RDB image (for a tab that needs the whole of it, or a compaction). The databases are
   * copied first, so the encoding may run while the stream goes on.
   */
  image(): { replid: string; offset: number; streamDb: number; chunks: () => Generator<Uint8Array, void, void> } {
    const dbs = snapshotDatabases(this.core.dbs);
    const replid = this.replid;
    const offset = this.offset;
    const streamDb = this.streamDb;
    const now = Date.now();
    return {
      replid,
      offset,
      streamDb,
      chunks: () => writeRdb({ dbs, now, replId: replid, replOffset: offset, replStreamDb: streamDb }, { chunkSize: SNAPSHOT_CHUNK, compress: false }),
    };
  }

  // -----------------------------------------------------------------------------------------------------------
  // The link to the master
  // -----------------------------------------------------------------------------------------------------------

  /**
   * Starts replicating from the master at `url`. With a history, the first PSYNC offers it (replid and
   * offset + 1) and the stream continues in the db it had selected.
   */
  startLink(url: string): void {
    if (this.replication.link) return;
    const streamDb = this.pos.streamDb;
    // setMaster on a master caches it as the history to continue; on a replica without history it sends
    // PSYNC ? -1 (a fresh replica must not offer a made-up history).
    this.core.role = this.hasHistory ? 'master' : 'replica';
    this.replication.setMaster({ kind: 'websocket', url }, false, { streamDb });
  }

  /** Stops the link (another tab takes over, or close), keeping the dataset and its position. */
  stopLink(): void {
    const link = this.replication.link;
    if (!link) return;
    link.close();
    const db = this.pos.streamDb;
    // The link may have moved the replication state ahead of the dataset (a failed full sync): undo that.
    this.replication.restoreState({ replid: this.pos.replid, offset: this.pos.offset });
    this.replication.link = null;
    // From now on the offset moves with another tab's stream (or not at all): a backlog would go stale.
    this.replication.backlog = null;
    this.core.role = 'replica';
    this.core.masterLinkUp = false;
    this.applier.close();
    this.applier = new StreamApplier(this.core, db);
  }

  /** The periodic work of the link (connect, ACK, timeouts): call about every 100 ms while linked. */
  cron(): void {
    this.core.cron();
  }

  /** The link state in the SDK's terms. */
  linkStatus(): LinkStatus {
    const link = this.replication.link;
    if (!link) return 'down';
    const s: LinkState = link.state;
    if (s === 'connected') return 'up';
    if (s === 'transfer') return 'syncing';
    if (s === 'connect') return 'down';
    return 'connecting';
  }

  close(): void {
    this.stopLink();
    this.reader.close();
    this.applier.close();
  }
}

/**
 * Builds the databases of an image on a throwaway core: RDB chunks through the streaming RDB reader, then the
 * log replayed through dispatch as the master's stream (a replica core: expired keys are kept, as a replica
 * applying its master's stream must). Returns the databases and the db the stream ends in.
 */
export function buildDataset(databases: number, image: DatasetImage): { dbs: Database[]; streamDb: number } {
  const core = createReplicaCore({ now: () => Date.now(), log: () => {} }, new Config({ port: '0', databases: String(databases) }));
  const dbs = core.dbs;
  const reader = new RdbReader({
    onKey: (db, key, value, expireMs) => {
      const target = dbs[db];
      if (!target) throw new Error(`stored snapshot selects db ${db}, but there are ${databases} databases`);
      target.dict.set(key, value);
      if (expireMs >= 0) target.expires.set(key, expireMs);
    },
  });
  if (image.snapshot.length > 0) {
    for (const chunk of image.snapshot) reader.push(chunk);
    if (!reader.done) reader.end();
  }
  const applier = new StreamApplier(core, image.snapshotStreamDb);
  for (const record of image.log) applier.apply(record);
  return { dbs, streamDb: applier.db };
}
