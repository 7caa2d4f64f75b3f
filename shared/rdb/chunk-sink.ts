import { concatBytes } from '../bytes.js';
import { Crc64 } from './crc64.js';

/**
 * Where the RDB writer puts its bytes: fixed-size chunks, each handed out once full, with a running CRC-64 of
 * everything written. The writer checks `hasChunks` after each bounded step and yields the chunks to its
 * consumer, so the output is produced in pieces of `chunkSize` bytes and never held whole.
 */
export class ChunkSink {
  private buf: Uint8Array;
  private pos = 0;
  /** buf[0, crcPos) has been fed to the checksum. */
  private crcPos = 0;
  private readonly crc = new Crc64();
  private readonly ready: Uint8Array[] = [];
  /** Total bytes written so far. */
  written = 0;

  constructor(readonly chunkSize = 64 * 1024) {
    if (!(chunkSize >= 16)) throw new RangeError('chunkSize must be at least 16 bytes');
    this.buf = new Uint8Array(chunkSize);
  }

  /** Whether full chunks are waiting to be taken. */
  get hasChunks(): boolean {
    return this.ready.length > 0;
  }

  /** Takes the full chunks written so far. */
  takeChunks(): Uint8Array[] {
    return this.ready.splice(0, this.ready.length);
  }

  /** Moves the current chunk, even if partly filled, to the ready list. */
  flush(): void {
    if (this.pos === 0) return;
    this.crc.update(this.buf, this.crcPos, this.pos);
    this.ready.push(this.pos === this.buf.length ? this.buf : this.buf.subarray(0, this.pos));
    this.buf = new Uint8Array(this.chunkSize);
    this.pos = 0;
    this.crcPos = 0;
  }

  /** The CRC-64 of every byte written so far, as 8 little-endian bytes. */
  checksumLE(): Uint8Array {
    this.crc.update(this.buf, this.crcPos, this.pos);
    this.crcPos = this.pos;
    return this.crc.toBytesLE();
  }

  /** Appends one byte. */
  byte(b: number): void {
    if (this.pos === this.buf.length) this.flush();
    this.buf[this.pos++] = b;
    this.written++;
  }

  /** Appends bytes, splitting them across chunks. */
  bytes(src: Uint8Array, start = 0, end = src.length): void {
    this.written += end - start;
    while (start < end) {
      if (this.pos === this.buf.length) this.flush();
      const n = Math.min(end - start, this.buf.length - this.pos);
      this.buf.set(src.subarray(start, start + n), this.pos);
      this.pos += n;
      start += n;
    }
  }

  /** Appends the bytes of binary string s[start, end) (one char per byte), splitting them across chunks. */
  binary(s: string, start = 0, end = s.length): void {
    this.written += end - start;
    while (start < end) {
      if (this.pos === this.buf.length) this.flush();
      const n = Math.min(end - start, this.buf.length - this.pos);
      const buf = this.buf;
      let o = this.pos;
      for (let i = start; i < start + n; i++) buf[o++] = s.charCodeAt(i);
      this.pos = o;
      start += n;
    }
  }

  /** Collects everything written (the chunks not yet taken plus the current one) into one array. */
  collect(): Uint8Array {
    this.flush();
    return concatBytes(this.takeChunks());
  }
}
