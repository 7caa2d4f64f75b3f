import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

/**
 * What the store holds about its dataset. The dataset is the snapshot (RDB chunks at `snapshotOffset`) plus the
 * log records that follow it, contiguous up to `offset`; `replid` and `offset` name that point of the master's
 * history, and `streamDb` is the db the stream had selected there (it carries over a partial resync).
 */
export interface StoredMeta {
  /** The replication id of the dataset; null when the store holds none yet. */
  replid: string | null;
  offset: number;
  streamDb: number;
  snapshotOffset: number;
  snapshotStreamDb: number;
  snapshotChunks: number;
  snapshotBytes: number;
  logBytes: number;
  /** The fencing token of the tab allowed to write: each new leader increments it (see claim). */
  epoch: number;
}

/** A complete stored dataset, read in one transaction. */
export interface StoredState {
  meta: StoredMeta;
  snapshot: Uint8Array[];
  log: Uint8Array[];
}

interface ReplicaSchema extends DBSchema {
  meta: { key: string; value: StoredMeta };
  snapshot: { key: number; value: Uint8Array };
  log: { key: number; value: Uint8Array };
}

const META_KEY = 'state';

/**
 * A request inside a transaction fails when the transaction does (quota, abort); the transaction's own
 * promise reports that, so the request's rejection is expected and handled here.
 */
function quiet(request: Promise<unknown>): void {
  request.catch(() => {});
}
const DB_VERSION = 1;

/** A store with no dataset. */
export function emptyMeta(epoch = 0): StoredMeta {
  return {
    replid: null,
    offset: 0,
    streamDb: 0,
    snapshotOffset: 0,
    snapshotStreamDb: 0,
    snapshotChunks: 0,
    snapshotBytes: 0,
    logBytes: 0,
    epoch,
  };
}

/** Another tab became the writer: this one must stop writing (its transaction was rolled back). */
export class FencedError extends Error {
  override name = 'FencedError';
}

/** The stored offset is not where this append starts: the caller must write a snapshot instead. */
export class StoreGapError extends Error {
  override name = 'StoreGapError';
}

/** The stored records do not form a dataset (never written by this code: damage or another version). */
export class StoreCorruptError extends Error {
  override name = 'StoreCorruptError';
}

/** The IndexedDB database name of a replica. */
export function storeName(name: string): string {
  return `redis-replica:${name}`;
}

/**
 * The replica's IndexedDB store, log-structured: object store `meta` (one record), `snapshot` (RDB chunks of
 * the last compacted snapshot, keyed 0..n-1) and `log` (replication stream records keyed by their start offset).
 * Every write is one transaction that also checks and updates `meta`, so the data and the offset it stands
 * for always commit together; a killed tab leaves exactly the last committed state.
 */
export class ReplicaStore {
  private constructor(
    private db: IDBPDatabase<ReplicaSchema> | null,
    readonly name: string,
    private readonly onLost: (why: string) => void,
  ) {}

  /**
   * Opens (creating if needed) the store of replica `name`. `onLost` is called when the database is closed
   * under the page (deleted from another tab or by the user, or closed by the browser); call reopen().
   */
  static async open(name: string, onLost: (why: string) => void): Promise<ReplicaStore> {
    const store = new ReplicaStore(null, name, onLost);
    await store.reopen();
    return store;
  }

  /** (Re)opens the database connection. */
  async reopen(): Promise<void> {
    const db = await openDB<ReplicaSchema>(storeName(this.name), DB_VERSION, {
      upgrade(d) {
        d.createObjectStore('meta');
        d.createObjectStore('snapshot');
        d.createObjectStore('log');
      },
      // Someone wants to delete or upgrade the database: let them, and recover after.
      blocking: () => {
        this.db?.close();
        this.db = null;
        this.onLost('the database was deleted or upgraded by another page');
      },
      terminated: () => {
        this.db = null;
        this.onLost('the browser closed the database');
      },
    });
    this.db = db;
  }

  /** Whether the connection is open. */
  get isOpen(): boolean {
    return this.db !== null;
  }

  private open(): IDBPDatabase<ReplicaSchema> {
    if (!this.db) throw new Error('the replica store is closed');
    return this.db;
  }

  /** The stored meta alone (null: nothing stored). */
  async meta(): Promise<StoredMeta | null> {
    return (await this.open().get('meta', META_KEY)) ?? null;
  }

  /**
   * Reads the whole dataset in one transaction (a consistent view even while another tab writes). Returns
   * null when the store holds none; throws StoreCorruptError when its records do not add up.
   */
  async load(): Promise<StoredState | null> {
    const tx = this.open().transaction(['meta', 'snapshot', 'log'], 'readonly');
    const [meta, snapshot, logKeys, log] = await Promise.all([
      tx.objectStore('meta').get(META_KEY),
      tx.objectStore('snapshot').getAll(),
      tx.objectStore('log').getAllKeys(),
      tx.objectStore('log').getAll(),
      tx.done,
    ]);
    if (!meta || meta.replid === null) return null;
    if (snapshot.length !== meta.snapshotChunks) {
      throw new StoreCorruptError(`snapshot has ${snapshot.length} chunks, meta says ${meta.snapshotChunks}`);
    }
    let at = meta.snapshotOffset;
    for (let i = 0; i < log.length; i++) {
      if (logKeys[i] !== at) throw new StoreCorruptError(`log record at ${logKeys[i]}, expected ${at}`);
      at += log[i].length;
    }
    if (at !== meta.offset) throw new StoreCorruptError(`log ends at ${at}, meta says ${meta.offset}`);
    return { meta, snapshot, log };
  }

  /**
   * Makes the caller the only writer: increments the fencing epoch (in one transaction, so two tabs claiming
   * at once get different epochs). Writes with an older epoch fail with FencedError from then on.
   */
  async claim(): Promise<{ epoch: number; meta: StoredMeta }> {
    const tx = this.open().transaction('meta', 'readwrite');
    const current = (await tx.store.get(META_KEY)) ?? emptyMeta();
    const meta = { ...current, epoch: current.epoch + 1 };
    quiet(tx.store.put(meta, META_KEY));
    await tx.done;
    return { epoch: meta.epoch, meta };
  }

  /**
   * Appends stream records that continue the stored log and moves the stored position to `next`, in one
   * transaction: either all of it commits or none. Throws FencedError if another tab claimed the store,
   * StoreGapError if the stored offset is not `from`.
   */
  async append(
    epoch: number,
    from: number,
    records: Uint8Array[],
    next: { replid: string; offset: number; streamDb: number },
  ): Promise<StoredMeta> {
    const tx = this.open().transaction(['meta', 'log'], 'readwrite');
    const metaStore = tx.objectStore('meta');
    const current = await metaStore.get(META_KEY);
    const abort = async (e: Error): Promise<never> => {
      tx.abort();
      await tx.done.catch(() => {});
      throw e;
    };
    if (!current || current.epoch !== epoch) return abort(new FencedError('another tab writes this replica now'));
    if (current.replid === null || current.offset !== from) {
      return abort(new StoreGapError(`stored offset ${current.offset}, append starts at ${from}`));
    }
    let bytes = 0;
    for (const r of records) bytes += r.length;
    if (from + bytes !== next.offset) return abort(new StoreGapError(`records end at ${from + bytes}, not at ${next.offset}`));
    let at = from;
    const log = tx.objectStore('log');
    for (const r of records) {
      quiet(log.put(r, at));
      at += r.length;
    }
    const meta: StoredMeta = { ...current, ...next, logBytes: current.logBytes + bytes };
    quiet(metaStore.put(meta, META_KEY));
    await tx.done;
    return meta;
  }

  /**
   * Replaces the whole dataset with a snapshot (RDB chunks) at `at`, dropping the log, in one transaction.
   * Throws FencedError if another tab claimed the store.
   */
  async replaceSnapshot(
    epoch: number,
    chunks: Uint8Array[],
    at: { replid: string; offset: number; streamDb: number },
  ): Promise<StoredMeta> {
    const tx = this.open().transaction(['meta', 'snapshot', 'log'], 'readwrite');
    const metaStore = tx.objectStore('meta');
    const current = await metaStore.get(META_KEY);
    if (!current || current.epoch !== epoch) {
      tx.abort();
      await tx.done.catch(() => {});
      throw new FencedError('another tab writes this replica now');
    }
    const snapshot = tx.objectStore('snapshot');
    quiet(snapshot.clear());
    quiet(tx.objectStore('log').clear());
    let bytes = 0;
    chunks.forEach((c, i) => {
      quiet(snapshot.put(c, i));
      bytes += c.length;
    });
    const meta: StoredMeta = {
      replid: at.replid,
      offset: at.offset,
      streamDb: at.streamDb,
      snapshotOffset: at.offset,
      snapshotStreamDb: at.streamDb,
      snapshotChunks: chunks.length,
      snapshotBytes: bytes,
      logBytes: 0,
      epoch,
    };
    quiet(metaStore.put(meta, META_KEY));
    await tx.done;
    return meta;
  }

  /** Closes the connection (the data stays). */
  close(): void {
    this.db?.close();
    this.db = null;
  }
}
