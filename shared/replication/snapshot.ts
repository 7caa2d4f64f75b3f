import { Database } from '../store/database.js';
import { RdbReader } from '../rdb/rdb-reader.js';
import { writeRdb, type RdbSource } from '../rdb/rdb-writer.js';

/** The snapshot of a full sync as RDB chunks of bounded size, produced lazily (the caller paces them). */
export function snapshotChunks(source: RdbSource, chunkSize = 64 * 1024): Iterator<Uint8Array> & Iterable<Uint8Array> {
  return writeRdb(source, { chunkSize });
}

/** How the master frames the snapshot: `$<length>` or `$EOF:<40-char mark>` ... mark. */
export type SnapshotFraming = { length: number } | { eofMark: string };

/**
 * Loads a snapshot arriving in pieces into a staging keyspace (fresh databases the server swaps in only when
 * the load completes, so a half-loaded dataset is never visible). Knows where the snapshot ends from its framing
 * and from the RDB itself, and reports how many bytes of each push it used, so the stream that follows in the
 * same chunk is not lost.
 */
export class SnapshotLoader {
  private readonly dbs: Database[];
  private readonly reader: RdbReader;
  private rdbDone = false;
  /** Bytes of the EOF mark matched so far, after the RDB ended. */
  private markSeen = '';
  private remaining: number;
  bytesRead = 0;
  done = false;

  constructor(
    databases: number,
    private readonly framing: SnapshotFraming,
  ) {
    this.dbs = Array.from({ length: databases }, (_, i) => new Database(i));
    this.remaining = 'length' in framing ? framing.length : Infinity;
    this.reader = new RdbReader({
      onKey: (db, key, value, expireMs) => {
        const target = this.dbs[db];
        if (!target) throw new Error(`snapshot selects db ${db}, but this server has ${databases} databases`);
        target.dict.set(key, value);
        if (expireMs >= 0) target.expires.set(key, expireMs);
      },
      onEnd: (checksumOk) => {
        if (!checksumOk) throw new Error('snapshot checksum mismatch');
        this.rdbDone = true;
      },
    });
  }

  /** Feeds bytes; returns how many of them belonged to the snapshot. Throws on corrupt input. */
  push(bytes: Uint8Array): number {
    if (this.done) return 0;
    let used = 0;
    if (!this.rdbDone) {
      const take = Math.min(bytes.length, this.remaining);
      const consumed = this.reader.push(bytes.subarray(0, take));
      used += consumed;
      this.remaining -= consumed;
      this.bytesRead += consumed;
      if ('length' in this.framing) {
        if (this.remaining === 0) {
          if (!this.rdbDone) this.reader.end();
          if (!this.rdbDone) throw new Error('snapshot ended before the RDB EOF marker');
          this.done = true;
        } else if (this.rdbDone) {
          throw new Error('snapshot RDB ended before its announced length');
        }
        return used;
      }
      if (!this.rdbDone) return used;
    }
    // EOF framing: the 40-byte mark must follow the RDB exactly.
    const mark = (this.framing as { eofMark: string }).eofMark;
    while (used < bytes.length && this.markSeen.length < mark.length) {
      const c = String.fromCharCode(bytes[used]);
      if (c !== mark[this.markSeen.length]) throw new Error('snapshot EOF mark mismatch');
      this.markSeen += c;
      used++;
      this.bytesRead++;
    }
    if (this.markSeen.length === mark.length) this.done = true;
    return used;
  }

  /** The loaded databases (only once done). */
  databases(): Database[] {
    if (!this.done) throw new Error('snapshot not complete');
    return this.dbs;
  }
}
