/**
 * Redis strings are byte strings. The core keeps them as JS "binary strings": one UTF-16 code unit per byte,
 * each in 0..255. That keeps keys usable as Map keys, comparisons bytewise (like memcmp), lengths in bytes, and
 * every byte sequence representable, at the cost of converting at the edges.
 */

const CHUNK = 8192;

/** Decodes bytes[start, end) to a binary string (byte i becomes char code bytes[i]). */
export function bytesToBinary(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const len = end - start;
  if (len <= 0) return '';
  if (len < 16) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
    return s;
  }
  if (len <= CHUNK) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  const parts: string[] = [];
  for (let i = start; i < end; i += CHUNK) {
    parts.push(String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + CHUNK)) as unknown as number[]));
  }
  return parts.join('');
}

/** Encodes a binary string to bytes. Char codes above 255 are truncated to their low byte. */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Writes a binary string into `target` at `offset`; returns the offset after it. */
export function writeBinary(target: Uint8Array, offset: number, s: string): number {
  for (let i = 0; i < s.length; i++) target[offset++] = s.charCodeAt(i);
  return offset;
}

/** Joins byte arrays into one (returns the only part itself when there is one). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

/** Converts ordinary (Unicode) text to the binary string of its UTF-8 bytes. */
export function utf8ToBinary(text: string): string {
  // ASCII is its own UTF-8 encoding: skip the round trip for the common case.
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 127) {
      ascii = false;
      break;
    }
  }
  return ascii ? text : bytesToBinary(utf8Encoder.encode(text));
}

/** Converts a binary string holding UTF-8 bytes to text (invalid sequences become U+FFFD). */
export function binaryToUtf8(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 127) return utf8Decoder.decode(binaryToBytes(s));
  }
  return s;
}

/** Compares binary strings bytewise, like memcmp then length: negative, zero or positive. */
export function compareBinary(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const SLAB_SIZE = 64 * 1024;
const SLAB_MAX_TAKE = 4096;
let slab = new Uint8Array(SLAB_SIZE);
let slabPos = 0;

/** A growable byte buffer for building output without one allocation per reply. */
export class ByteWriter {
  buf: Uint8Array;
  length = 0;

  constructor(initialSize = 4096) {
    this.buf = new Uint8Array(initialSize);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  /** Appends raw bytes. */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Appends a binary string. */
  binary(s: string): void {
    this.ensure(s.length);
    const buf = this.buf;
    let o = this.length;
    for (let i = 0; i < s.length; i++) buf[o++] = s.charCodeAt(i);
    this.length = o;
  }

  /** Appends an ASCII string (numbers, protocol keywords). */
  ascii(s: string): void {
    this.binary(s);
  }

  /** Appends one byte. */
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }

  /**
   * Returns a copy of the bytes written so far and empties the writer. Small copies are carved out of a shared
   * 64 KiB slab, as Node's Buffer pool does: one allocation per slab instead of one ArrayBuffer per reply, which
   * profiling showed to cost more than the socket write itself under pipelining.
   */
  take(): Uint8Array {
    const n = this.length;
    this.length = 0;
    if (n > SLAB_MAX_TAKE) return this.buf.slice(0, n);
    if (slabPos + n > SLAB_SIZE) {
      slab = new Uint8Array(SLAB_SIZE);
      slabPos = 0;
    }
    const out = slab.subarray(slabPos, slabPos + n);
    out.set(this.buf.subarray(0, n));
    slabPos = (slabPos + n + 7) & ~7;
    return out;
  }
}
