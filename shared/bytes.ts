/**
 * Redis strings are byte strings. The core keeps them as JS "binary strings": one UTF-16 code unit per byte,
 * each in 0..255. That keeps keys usable as Map keys, comparisons bytewise (like memcmp), lengths in bytes, and
 * every byte sequence representable, at the cost of converting at the edges.
 */

const CHUNK = 8192;
const fromCharCode = String.fromCharCode;
/** Runs up to this long are decoded by decodeShort. */
const SHORT_MAX = 32;

/**
 * Decodes 1..SHORT_MAX bytes with one String.fromCharCode call of exactly that many arguments: a flat string
 * at 15-50 ns in V8, where a char loop costs ~10 ns a byte, String.fromCharCode.apply ~120 ns and Node's
 * native latin1 decoding ~80 ns (call overhead). Keys and short values take this path on every command.
 */
function decodeShort(b: Uint8Array, s: number, n: number): string {
  switch (n) {
    case 1:
      return fromCharCode(b[s]);
    case 2:
      return fromCharCode(b[s], b[s + 1]);
    case 3:
      return fromCharCode(b[s], b[s + 1], b[s + 2]);
    case 4:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3]);
    case 5:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4]);
    case 6:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5]);
    case 7:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6]);
    case 8:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7]);
    case 9:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8]);
    case 10:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9]
      );
    case 11:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10]
      );
    case 12:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11]
      );
    case 13:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12]
      );
    case 14:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13]
      );
    case 15:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14]
      );
    case 16:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15]
      );
    case 17:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16]
      );
    case 18:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17]
      );
    case 19:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18]
      );
    case 20:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19]
      );
    case 21:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20]
      );
    case 22:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20],
        b[s + 21]
      );
    case 23:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20],
        b[s + 21], b[s + 22]
      );
    case 24:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20],
        b[s + 21], b[s + 22], b[s + 23]
      );
    case 25:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20],
        b[s + 21], b[s + 22], b[s + 23], b[s + 24]
      );
    case 26:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20],
        b[s + 21], b[s + 22], b[s + 23], b[s + 24], b[s + 25]
      );
    case 27:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20],
        b[s + 21], b[s + 22], b[s + 23], b[s + 24], b[s + 25], b[s + 26]
      );
    case 28:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20],
        b[s + 21], b[s + 22], b[s + 23], b[s + 24], b[s + 25], b[s + 26], b[s + 27]
      );
    case 29:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20],
        b[s + 21], b[s + 22], b[s + 23], b[s + 24], b[s + 25], b[s + 26], b[s + 27], b[s + 28]
      );
    case 30:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20],
        b[s + 21], b[s + 22], b[s + 23], b[s + 24], b[s + 25], b[s + 26], b[s + 27], b[s + 28], b[s + 29]
      );
    case 31:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20],
        b[s + 21], b[s + 22], b[s + 23], b[s + 24], b[s + 25], b[s + 26], b[s + 27], b[s + 28], b[s + 29], b[s + 30]
      );
    case 32:
      return fromCharCode(
        b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10],
        b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19], b[s + 20],
        b[s + 21], b[s + 22], b[s + 23], b[s + 24], b[s + 25], b[s + 26], b[s + 27], b[s + 28], b[s + 29], b[s + 30],
        b[s + 31]
      );
    default:
      return '';
  }
}

/** Decodes bytes[start, end) natively (latin1): see setNativeBinaryDecoder. */
export type NativeBinaryDecoder = (bytes: Uint8Array, start: number, end: number) => string;
let nativeDecoder: NativeBinaryDecoder | null = null;

/**
 * Installs a runtime's native latin1 decoder (Node: Buffer#toString('latin1')) for runs longer than
 * SHORT_MAX: it decodes any length in ~80 ns, where String.fromCharCode.apply costs ~1.7 us for 512 bytes.
 * Null restores the portable decoder.
 */
export function setNativeBinaryDecoder(decoder: NativeBinaryDecoder | null): void {
  nativeDecoder = decoder;
}

/** Decodes bytes[start, end) to a binary string (byte i becomes char code bytes[i]). */
export function bytesToBinary(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const len = end - start;
  if (len <= 0) return '';
  if (len <= SHORT_MAX) return decodeShort(bytes, start, len);
  if (nativeDecoder !== null) return nativeDecoder(bytes, start, end);
  if (len <= CHUNK) return fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  const parts: string[] = [];
  for (let i = start; i < end; i += CHUNK) {
    parts.push(fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + CHUNK)) as unknown as number[]));
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
    const n = b.length;
    this.ensure(n);
    if (n <= 16) {
      // TypedArray#set is a native call: for a few bytes (+OK and other canned replies) a loop is cheaper.
      const buf = this.buf;
      let o = this.length;
      for (let i = 0; i < n; i++) buf[o++] = b[i];
    } else {
      this.buf.set(b, this.length);
    }
    this.length += n;
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

  /** Appends CR LF. */
  crlf(): void {
    this.ensure(2);
    this.buf[this.length++] = 13;
    this.buf[this.length++] = 10;
  }

  /**
   * Appends an integer in decimal, as String(n) would print it. RESP lengths and integer replies go through
   * here for every reply, so the common (32-bit) case writes digits directly instead of building a string.
   */
  decimal(n: number): void {
    if ((n | 0) !== n) {
      this.ascii(String(n));
      return;
    }
    this.ensure(11);
    const buf = this.buf;
    let o = this.length;
    if (n < 0) {
      buf[o++] = 45; // '-'
      n = -n; // at most 2^31, still exact
    }
    let digits = 1;
    for (let t = n; t >= 10; t = (t / 10) | 0) digits++;
    o += digits;
    this.length = o;
    while (n >= 10) {
      const q = (n / 10) | 0;
      buf[--o] = 48 + n - q * 10;
      n = q;
    }
    buf[--o] = 48 + n;
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
