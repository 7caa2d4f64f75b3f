import type { ServerCore } from '../shared/engine/server-core.js';
import { writeRdb } from '../shared/rdb/rdb-writer.js';
import { snapshotDatabases, type Replication } from '../shared/replication/replication.js';
import type { SqlPersistence } from './sql-persistence.js';

/** Snapshot chunk size in SQLite (a row holds at most 2 MB). */
const CHUNK_BYTES = 256 * 1024;

/**
 * Writing a new snapshot of the dataset (compaction of the stream log): an RDB of the dataset at one stream
 * offset, written as rows of a new generation. `step` writes a bounded amount, so a large dataset is saved
 * over several events without exceeding the CPU time of one; the dataset is copied when the job starts
 * (values are shared, aggregates cloned) so writes may go on meanwhile. Until `finished`, the generation is
 * invisible: a restart drops it and keeps the previous snapshot.
 */
export class SnapshotJob {
  private seq = 0;
  bytes = 0;
  finished = false;
  private readonly chunks: Iterator<Uint8Array>;

  private constructor(
    private readonly store: SqlPersistence,
    readonly gen: number,
    /** The stream offset the snapshot corresponds to. */
    readonly offset: number,
    /** The db the stream had selected at that offset. */
    readonly streamDb: number,
    readonly time: number,
    source: Parameters<typeof writeRdb>[0],
  ) {
    // Uncompressed: LZF in JS costs about four times the rest of the serialization, and CPU per event is the
    // scarcer resource here (a Durable Object has gigabytes of storage).
    this.chunks = writeRdb(source, { chunkSize: CHUNK_BYTES, compress: false });
  }

  /**
   * Starts a snapshot of the dataset as it is now. `frozen` says the caller finishes it within this event
   * (SAVE), so the live databases can be read without a copy.
   */
  static start(core: ServerCore, replication: Replication, store: SqlPersistence, gen: number, frozen: boolean): SnapshotJob {
    const now = core.now();
    const dbs = frozen ? core.dbs : snapshotDatabases(core.dbs);
    const streamDb = Math.max(0, core.propagator.selectedDb);
    return new SnapshotJob(store, gen, replication.offset, streamDb, now, {
      dbs,
      now,
      replId: replication.replid,
      replOffset: replication.offset,
      replStreamDb: streamDb,
    });
  }

  /** Writes chunks until about `budget` bytes were written or the snapshot is complete; returns `finished`. */
  step(budget = Infinity): boolean {
    let written = 0;
    while (!this.finished && written < budget) {
      const next = this.chunks.next();
      if (next.done) {
        this.finished = true;
        break;
      }
      this.store.writeSnapshotChunk(this.gen, this.seq++, next.value);
      written += next.value.length;
      this.bytes += next.value.length;
    }
    return this.finished;
  }
}
