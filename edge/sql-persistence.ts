/**
 * The store's durable state in the Durable Object's SQLite database. Nothing here knows Redis: it keeps
 *
 * - `meta`: one row with the replication ids and offsets and where the current snapshot stands;
 * - `snapshot`: the RDB snapshot of the dataset as numbered chunks of one generation (an unfinished newer
 *   generation may sit beside it until it is complete);
 * - `log`: the replication stream as rows of bytes keyed by the offset before their first byte. The rows
 *   after the snapshot's offset replay onto it; the rows before the end that fit in the backlog size are the
 *   backlog restored for PSYNC after the object restarts;
 * - `config`: CONFIG SET changes, so they survive the object sleeping;
 * - `client_state`: per-connection state too large for a WebSocket attachment.
 *
 * Every method is synchronous: the writes of one event commit together, and the platform's output gate
 * holds the messages sent in that event until they are durable.
 */

/** The largest value SQLite on Durable Objects stores in one row is 2 MB: rows stay well below it. */
export const MAX_ROW_BYTES = 1024 * 1024;

/** The persisted replication and snapshot state. */
export interface StoreMeta {
  replid: string;
  replid2: string;
  secondOffset: number;
  /** The offset after the last byte of the stream persisted (master_repl_offset). */
  offset: number;
  /** When `offset` last changed, ms. */
  offsetTime: number;
  /** The snapshot generation in use (0: none yet, the dataset is what the log replays onto empty). */
  snapshotGen: number;
  /** The stream offset the snapshot corresponds to. */
  snapshotOffset: number;
  /** The db the stream had selected at the snapshot's offset (the log's first rows may not SELECT). */
  snapshotStreamDb: number;
  /** When the snapshot was taken, ms (0: never). */
  snapshotTime: number;
  snapshotBytes: number;
  /** How many times the object was constructed (start, wake from hibernation, restart). */
  starts: number;
  /** The store's name, as routed. */
  name: string;
}

type Row = Record<string, SqlStorageValue>;

function bytesOf(v: SqlStorageValue): Uint8Array {
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  throw new Error('expected a BLOB column');
}

/** The SQLite layer of one store. */
export class SqlPersistence {
  constructor(private readonly sql: SqlStorage) {
    this.migrate();
  }

  private migrate(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      replid TEXT NOT NULL, replid2 TEXT NOT NULL, second_offset INTEGER NOT NULL,
      offset INTEGER NOT NULL, offset_time INTEGER NOT NULL,
      snapshot_gen INTEGER NOT NULL, snapshot_offset INTEGER NOT NULL, snapshot_stream_db INTEGER NOT NULL,
      snapshot_time INTEGER NOT NULL, snapshot_bytes INTEGER NOT NULL,
      starts INTEGER NOT NULL, name TEXT NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS snapshot (
      gen INTEGER NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (gen, seq))`);
    this.sql.exec('CREATE TABLE IF NOT EXISTS log (start INTEGER PRIMARY KEY, data BLOB NOT NULL)');
    this.sql.exec('CREATE TABLE IF NOT EXISTS config (name TEXT PRIMARY KEY, value TEXT NOT NULL)');
    this.sql.exec('CREATE TABLE IF NOT EXISTS client_state (id TEXT PRIMARY KEY, state TEXT NOT NULL)');
  }

  /** The meta row, or null for a store that never ran. */
  readMeta(): StoreMeta | null {
    const rows = this.sql.exec<Row>('SELECT * FROM meta WHERE id = 1').toArray();
    if (rows.length === 0) return null;
    const r = rows[0];
    return {
      replid: String(r.replid),
      replid2: String(r.replid2),
      secondOffset: Number(r.second_offset),
      offset: Number(r.offset),
      offsetTime: Number(r.offset_time),
      snapshotGen: Number(r.snapshot_gen),
      snapshotOffset: Number(r.snapshot_offset),
      snapshotStreamDb: Number(r.snapshot_stream_db),
      snapshotTime: Number(r.snapshot_time),
      snapshotBytes: Number(r.snapshot_bytes),
      starts: Number(r.starts),
      name: String(r.name),
    };
  }

  /** Writes the whole meta row. */
  writeMeta(m: StoreMeta): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO meta (id, replid, replid2, second_offset, offset, offset_time, snapshot_gen,
        snapshot_offset, snapshot_stream_db, snapshot_time, snapshot_bytes, starts, name)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      m.replid,
      m.replid2,
      m.secondOffset,
      m.offset,
      m.offsetTime,
      m.snapshotGen,
      m.snapshotOffset,
      m.snapshotStreamDb,
      m.snapshotTime,
      m.snapshotBytes,
      m.starts,
      m.name,
    );
  }

  // ---------------------------------------------------------------------------------------------------------
  // The stream log
  // ---------------------------------------------------------------------------------------------------------

  /** Appends stream bytes that follow offset `start`, in rows of at most MAX_ROW_BYTES. */
  appendLog(start: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i += MAX_ROW_BYTES) {
      const piece = bytes.subarray(i, Math.min(bytes.length, i + MAX_ROW_BYTES));
      this.sql.exec('INSERT INTO log (start, data) VALUES (?, ?)', start + i, piece);
    }
  }

  /**
   * Where the log is contiguous from `from`: the offset after the last byte reachable without a gap, and
   * whether rows exist past a gap (which only a lost write could leave).
   */
  logExtent(from: number): { end: number; gap: boolean } {
    let end = from;
    let gap = false;
    for (const r of this.sql.exec<Row>('SELECT start, length(data) AS len FROM log WHERE start >= ? ORDER BY start', from)) {
      if (Number(r.start) !== end) {
        gap = true;
        break;
      }
      end += Number(r.len);
    }
    return { end, gap };
  }

  /** The log rows from offset `from` (a row boundary) on, in order. */
  *readLog(from: number): Generator<{ start: number; data: Uint8Array }> {
    for (const r of this.sql.exec<Row>('SELECT start, data FROM log WHERE start >= ? ORDER BY start', from)) {
      yield { start: Number(r.start), data: bytesOf(r.data) };
    }
  }

  /**
   * The last bytes of the stream up to `end` (at most `size`), as far as the log holds them without a gap:
   * the backlog to restore.
   */
  readTail(end: number, size: number): Uint8Array {
    const from = Math.max(0, end - size);
    const rows = this.sql
      .exec<Row>(
        'SELECT start, data FROM log WHERE start < ? AND start >= ? ORDER BY start',
        end,
        Math.max(0, from - MAX_ROW_BYTES),
      )
      .toArray()
      .map((r) => ({ start: Number(r.start), data: bytesOf(r.data) }))
      .filter((r) => r.start + r.data.length > from);
    // Keep only the gap-free run that ends exactly at `end`.
    let first = rows.length;
    let expect = end;
    for (let i = rows.length - 1; i >= 0; i--) {
      if (rows[i].start + rows[i].data.length !== expect) break;
      expect = rows[i].start;
      first = i;
    }
    const run = rows.slice(first);
    const start = run.length > 0 ? Math.max(from, run[0].start) : end;
    const out = new Uint8Array(end - start);
    for (const r of run) {
      const skip = Math.max(0, start - r.start);
      out.set(r.data.subarray(skip), r.start + skip - start);
    }
    return out;
  }

  /** Deletes log rows past `end` (the unusable part after a gap). */
  truncateLog(end: number): void {
    this.sql.exec('DELETE FROM log WHERE start >= ?', end);
  }

  /** Deletes the log rows that end at or before `cutoff`. */
  dropLogBefore(cutoff: number): void {
    this.sql.exec('DELETE FROM log WHERE start < ? AND start + length(data) <= ?', cutoff, cutoff);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Snapshots
  // ---------------------------------------------------------------------------------------------------------

  /** The chunks of a snapshot generation, in order. */
  *readSnapshot(gen: number): Generator<Uint8Array> {
    for (const r of this.sql.exec<Row>('SELECT data FROM snapshot WHERE gen = ? ORDER BY seq', gen)) {
      yield bytesOf(r.data);
    }
  }

  writeSnapshotChunk(gen: number, seq: number, bytes: Uint8Array): void {
    this.sql.exec('INSERT OR REPLACE INTO snapshot (gen, seq, data) VALUES (?, ?, ?)', gen, seq, bytes);
  }

  /** Deletes every snapshot generation except `keep` (finished older ones, unfinished newer ones). */
  dropSnapshotsExcept(keep: number): void {
    this.sql.exec('DELETE FROM snapshot WHERE gen != ?', keep);
  }

  /** The highest generation stored (finished or not). */
  maxSnapshotGen(): number {
    const r = this.sql.exec<Row>('SELECT max(gen) AS g FROM snapshot').one();
    return r.g === null ? 0 : Number(r.g);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Config and per-connection state
  // ---------------------------------------------------------------------------------------------------------

  readConfig(): Array<[string, string]> {
    return this.sql.exec<Row>('SELECT name, value FROM config ORDER BY name').toArray().map((r) => [String(r.name), String(r.value)]);
  }

  writeConfig(name: string, value: string): void {
    this.sql.exec('INSERT OR REPLACE INTO config (name, value) VALUES (?, ?)', name, value);
  }

  readClientState(id: string): string | null {
    const rows = this.sql.exec<Row>('SELECT state FROM client_state WHERE id = ?', id).toArray();
    return rows.length ? String(rows[0].state) : null;
  }

  writeClientState(id: string, state: string): void {
    this.sql.exec('INSERT OR REPLACE INTO client_state (id, state) VALUES (?, ?)', id, state);
  }

  deleteClientState(id: string): void {
    this.sql.exec('DELETE FROM client_state WHERE id = ?', id);
  }

  /** Deletes the saved state of connections that no longer exist. */
  keepClientStates(ids: Set<string>): void {
    for (const r of this.sql.exec<Row>('SELECT id FROM client_state').toArray()) {
      const id = String(r.id);
      if (!ids.has(id)) this.deleteClientState(id);
    }
  }

  /** The database file's size in bytes. */
  get databaseSize(): number {
    return this.sql.databaseSize;
  }
}
