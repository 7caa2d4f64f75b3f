/**
 * The replication backlog: a fixed-size ring of the most recent bytes of the replication stream, so a replica
 * that lost its link can resume from its offset (PSYNC) instead of a full resync. Offsets are absolute stream
 * byte offsets, as Redis's master_repl_offset: the byte at offset `o` is the o-th byte ever emitted (1-based).
 */
export class ReplicationBacklog {
  private ring: Uint8Array;
  /** Write position in the ring. */
  private idx = 0;
  /** Bytes of history held (<= size). */
  histlen = 0;
  /** The offset of the last byte appended (Redis's master_repl_offset). */
  offset: number;

  /** A backlog of `size` bytes whose next byte will be at `offset + 1`. */
  constructor(size: number, offset: number) {
    this.ring = new Uint8Array(size);
    this.offset = offset;
  }

  get size(): number {
    return this.ring.length;
  }

  /** Offset of the oldest byte held (Redis's repl_backlog_first_byte_offset). */
  get firstByteOffset(): number {
    return this.offset - this.histlen + 1;
  }

  /** Appends stream bytes. */
  append(bytes: Uint8Array): void {
    const size = this.ring.length;
    this.offset += bytes.length;
    if (bytes.length >= size) {
      this.ring.set(bytes.subarray(bytes.length - size));
      this.idx = 0;
      this.histlen = size;
      return;
    }
    const first = Math.min(bytes.length, size - this.idx);
    this.ring.set(bytes.subarray(0, first), this.idx);
    if (first < bytes.length) this.ring.set(bytes.subarray(first), 0);
    this.idx = (this.idx + bytes.length) % size;
    this.histlen = Math.min(size, this.histlen + bytes.length);
  }

  /** Whether a replica that wants the bytes from `from` (its offset + 1) can be served from here. */
  covers(from: number): boolean {
    return from >= this.firstByteOffset && from <= this.offset + 1;
  }

  /** The bytes from offset `from` to the end, as one or two views (the ring may wrap). */
  readFrom(from: number): Uint8Array[] {
    if (!this.covers(from)) throw new RangeError(`offset ${from} is not in the backlog`);
    const len = this.offset + 1 - from;
    if (len === 0) return [];
    const size = this.ring.length;
    // The oldest byte sits at idx - histlen (mod size); `from` is (from - first) bytes after it.
    const start = (((this.idx - this.histlen + (from - this.firstByteOffset)) % size) + size) % size;
    if (start + len <= size) return [this.ring.slice(start, start + len)];
    return [this.ring.slice(start), this.ring.slice(0, len - (size - start))];
  }

  /** Changes the size keeping the newest history that fits (CONFIG SET repl-backlog-size). */
  resize(size: number): void {
    if (size === this.ring.length) return;
    const keep = Math.min(size, this.histlen);
    const tail = keep > 0 ? this.readFrom(this.offset + 1 - keep) : [];
    this.ring = new Uint8Array(size);
    this.idx = 0;
    this.histlen = 0;
    const end = this.offset;
    this.offset = end - keep;
    for (const t of tail) this.append(t);
  }
}
