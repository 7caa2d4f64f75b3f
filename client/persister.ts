import type { ReplicaEngine } from './replica-engine.js';
import { FencedError, StoreGapError, type ReplicaStore, type StoredMeta } from './replica-store.js';

/** Largest log record written at once (bigger batches are split at command boundaries). */
const MAX_RECORD = 4 * 1024 * 1024;
/** Time slice for encoding a snapshot before yielding to the page. */
const SLICE_MS = 8;
/** After a failed write, how long to wait before trying again (with a snapshot). */
const RETRY_MS = 5000;

/** What the persister reports. */
export interface PersisterEvents {
  /** The stored position moved. */
  onPersisted(meta: StoredMeta): void;
  /** A write failed (quota, closed database...), or null once writes work again. */
  onError(message: string | null): void;
  /** Another tab took the store over: stop leading. */
  onFenced(): void;
}

/**
 * Writes what the link applies to the store, in order, one transaction at a time: stream bytes are batched
 * (everything applied while the previous transaction was in flight goes into the next one, so a fast stream
 * costs few transactions), a full sync writes a snapshot, and the log is compacted into a new snapshot once
 * it outweighs the last one. Each transaction stores data and position together.
 */
export class Persister {
  private parts: Uint8Array[] = [];
  /** Offset where `parts` start (meaningful when parts is not empty). */
  private partsStart = 0;
  private partsEnd = 0;
  private partsReplid = '';
  private partsDb = 0;
  /** A snapshot to write before any parts (a full sync happened, or compaction / recovery is due). */
  private snapshotDue: ReturnType<ReplicaEngine['image']> | null = null;
  private busy = false;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** A write failed: stream parts are dropped until a snapshot brings the store back in line. */
  private dropping = false;
  /** An error was reported and not yet cleared. */
  private errorReported = false;
  meta: StoredMeta;
  /** Counters for tests and the benchmark: transactions, snapshots written (and the last one's ms), log bytes. */
  readonly stats = { transactions: 0, snapshots: 0, recordBytes: 0, lastSnapshotMs: 0 };

  constructor(
    private readonly store: ReplicaStore,
    private readonly engine: ReplicaEngine,
    private epoch: number,
    meta: StoredMeta,
    private readonly events: PersisterEvents,
    private readonly compactMinBytes: number,
  ) {
    this.meta = meta;
  }

  /** Stream bytes the link applied, ending at `offset` (called at command boundaries). */
  onStream(bytes: Uint8Array, offset: number): void {
    if (this.stopped || this.dropping) return;
    if (this.parts.length === 0) this.partsStart = offset - bytes.length;
    this.parts.push(bytes);
    this.partsEnd = offset;
    this.partsReplid = this.engine.replid;
    this.partsDb = this.engine.streamDb;
  }

  /** A full sync swapped a new dataset in: store it as the snapshot, replacing everything. */
  onSnapshot(): void {
    if (this.stopped) return;
    this.snapshotNow();
  }

  /** Stores the current dataset as a snapshot (compaction, recovery, a takeover whose store lags). */
  snapshotNow(): void {
    // A replica that never synced has nothing worth storing (its replid is made up).
    if (!this.engine.hasHistory) return;
    // The copy is taken now, at a command boundary: the stream bytes applied before this moment are part of
    // it, so the pending ones are dropped.
    this.parts = [];
    this.dropping = false;
    this.snapshotDue = this.engine.image();
    this.kick();
  }

  /** Starts writing what is pending (call after each network event). */
  kick(): void {
    if (this.busy || this.stopped) return;
    if (!this.snapshotDue && this.parts.length === 0) return;
    this.busy = true;
    void this.run().finally(() => {
      this.busy = false;
      if (!this.stopped && (this.snapshotDue || this.parts.length > 0)) this.kick();
    });
  }

  private async run(): Promise<void> {
    try {
      if (this.snapshotDue) {
        const image = this.snapshotDue;
        this.snapshotDue = null;
        const t0 = Date.now();
        const chunks = await encodeSliced(image.chunks());
        if (this.stopped) return;
        this.meta = await this.store.replaceSnapshot(this.epoch, chunks, image);
        this.stats.lastSnapshotMs = Date.now() - t0;
        this.stats.snapshots++;
        this.stats.transactions++;
        this.recovered();
        this.events.onPersisted(this.meta);
        return;
      }
      if (this.parts.length === 0) return;
      const from = this.partsStart;
      const records = batch(this.parts, MAX_RECORD);
      const next = { replid: this.partsReplid, offset: this.partsEnd, streamDb: this.partsDb };
      this.parts = [];
      this.meta = await this.store.append(this.epoch, from, records, next);
      this.stats.transactions++;
      for (const r of records) this.stats.recordBytes += r.length;
      this.recovered();
      this.events.onPersisted(this.meta);
      if (this.meta.logBytes > Math.max(this.compactMinBytes, this.meta.snapshotBytes) && !this.snapshotDue) {
        this.snapshotNow();
      }
    } catch (e) {
      this.failed(e as Error);
    }
  }

  private recovered(): void {
    if (!this.errorReported) return;
    this.errorReported = false;
    this.events.onError(null);
  }

  private failed(e: Error): void {
    if (e instanceof FencedError) {
      this.stop();
      this.events.onFenced();
      return;
    }
    if (e instanceof StoreGapError) {
      // The store is not where our stream continues (a lost write): rewrite it whole.
      this.snapshotNow();
      return;
    }
    // Quota exceeded, database closed under us...: keep replicating in memory, report, and retry later with
    // a snapshot (which also replaces the log, the cheapest way back to a consistent store).
    this.dropping = true;
    this.parts = [];
    this.errorReported = true;
    this.events.onError(`${e.name}: ${e.message}`);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped && this.store.isOpen) this.snapshotNow();
      else this.scheduleRetry();
    }, RETRY_MS);
  }

  /**
   * After the store was reopened (deleted or closed under the page) and claimed again with `epoch`: write
   * everything again, since what it holds now is unknown.
   */
  afterReopen(epoch: number, meta: StoredMeta): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.epoch = epoch;
    this.meta = meta;
    this.snapshotNow();
  }

  /** Forgets what is waiting to be written (it came from a history that is being discarded). */
  discardPending(): void {
    this.parts = [];
    this.snapshotDue = null;
  }

  /** Whether writes are waiting or in flight. */
  get idle(): boolean {
    return !this.busy && !this.snapshotDue && this.parts.length === 0;
  }

  stop(): void {
    this.stopped = true;
    this.parts = [];
    this.snapshotDue = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}

/** Joins parts into records of at most `max` bytes (a single larger part stays whole). */
function batch(parts: Uint8Array[], max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let group: Uint8Array[] = [];
  let size = 0;
  const flush = () => {
    if (group.length === 0) return;
    const rec = new Uint8Array(size);
    let o = 0;
    for (const p of group) {
      rec.set(p, o);
      o += p.length;
    }
    out.push(rec);
    group = [];
    size = 0;
  };
  for (const p of parts) {
    if (size > 0 && size + p.length > max) flush();
    group.push(p);
    size += p.length;
  }
  flush();
  return out;
}

/** Runs an RDB encoder to completion in slices, yielding to the page between them. */
async function encodeSliced(gen: Generator<Uint8Array, void, void>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  let sliceStart = Date.now();
  for (const c of gen) {
    chunks.push(c);
    if (Date.now() - sliceStart > SLICE_MS) {
      await new Promise((r) => setTimeout(r, 0));
      sliceStart = Date.now();
    }
  }
  return chunks;
}
