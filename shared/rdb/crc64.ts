/**
 * Redis's CRC-64 (the "Jones" polynomial 0xad93d23594c935a9, reflected input and output, initial value 0, no
 * final xor): the checksum at the end of RDB files and DUMP payloads. crc64("123456789") = 0xe9c6d914c4b8d9ca.
 *
 * JS has no fast 64-bit integers, so the register is kept as two 32-bit halves and the table as two
 * Uint32Arrays; slicing-by-8 (eight tables, eight bytes a step) keeps it fast enough for multi-gigabyte
 * snapshots. Only the public value is a bigint.
 */

/** The reflected polynomial: bit-reversal of 0xad93d23594c935a9, as two halves. */
const POLY_HI = 0x95ac9329;
const POLY_LO = 0xac4bc9b5;

/** Tables for slicing-by-8: TABLE_x[k * 256 + b] is the CRC of byte b followed by k zero bytes. */
const TABLE_HI = new Uint32Array(8 * 256);
const TABLE_LO = new Uint32Array(8 * 256);

for (let b = 0; b < 256; b++) {
  let hi = 0;
  let lo = b;
  for (let bit = 0; bit < 8; bit++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | (hi << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  TABLE_HI[b] = hi;
  TABLE_LO[b] = lo;
}
for (let k = 1; k < 8; k++) {
  for (let b = 0; b < 256; b++) {
    // One more zero byte: crc' = T[crc & 0xff] ^ (crc >> 8).
    const hi = TABLE_HI[(k - 1) * 256 + b];
    const lo = TABLE_LO[(k - 1) * 256 + b];
    const i = lo & 0xff;
    TABLE_HI[k * 256 + b] = (TABLE_HI[i] ^ (hi >>> 8)) >>> 0;
    TABLE_LO[k * 256 + b] = (TABLE_LO[i] ^ ((lo >>> 8) | (hi << 24))) >>> 0;
  }
}

/** An incremental CRC-64 over bytes fed in any number of pieces. */
export class Crc64 {
  private hi = 0;
  private lo = 0;

  /** Starts from `init` (0, as Redis does, unless continuing an earlier checksum). */
  constructor(init = 0n) {
    this.hi = Number((init >> 32n) & 0xffffffffn);
    this.lo = Number(init & 0xffffffffn);
  }

  /** Feeds bytes[start, end). */
  update(bytes: Uint8Array, start = 0, end = bytes.length): this {
    let hi = this.hi;
    let lo = this.lo;
    let i = start;
    const th = TABLE_HI;
    const tl = TABLE_LO;
    while (end - i >= 8) {
      const a = lo ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
      const b = hi ^ (bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24));
      const i7 = 7 * 256 + (a & 0xff);
      const i6 = 6 * 256 + ((a >>> 8) & 0xff);
      const i5 = 5 * 256 + ((a >>> 16) & 0xff);
      const i4 = 4 * 256 + (a >>> 24);
      const i3 = 3 * 256 + (b & 0xff);
      const i2 = 2 * 256 + ((b >>> 8) & 0xff);
      const i1 = 256 + ((b >>> 16) & 0xff);
      const i0 = b >>> 24;
      hi = th[i7] ^ th[i6] ^ th[i5] ^ th[i4] ^ th[i3] ^ th[i2] ^ th[i1] ^ th[i0];
      lo = tl[i7] ^ tl[i6] ^ tl[i5] ^ tl[i4] ^ tl[i3] ^ tl[i2] ^ tl[i1] ^ tl[i0];
      i += 8;
    }
    for (; i < end; i++) {
      const idx = (lo ^ bytes[i]) & 0xff;
      lo = tl[idx] ^ ((lo >>> 8) | (hi << 24));
      hi = th[idx] ^ (hi >>> 8);
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
    return this;
  }

  /** The checksum so far. */
  get value(): bigint {
    return (BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0);
  }

  /** The checksum so far as 8 little-endian bytes, the way Redis stores it. */
  toBytesLE(): Uint8Array {
    const out = new Uint8Array(8);
    const lo = this.lo >>> 0;
    const hi = this.hi >>> 0;
    for (let i = 0; i < 4; i++) {
      out[i] = (lo >>> (8 * i)) & 0xff;
      out[i + 4] = (hi >>> (8 * i)) & 0xff;
    }
    return out;
  }

  /** Whether the checksum so far equals the 8 little-endian bytes at bytes[offset]. */
  matchesLE(bytes: Uint8Array, offset: number): boolean {
    const lo = (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
    const hi = (bytes[offset + 4] | (bytes[offset + 5] << 8) | (bytes[offset + 6] << 16) | (bytes[offset + 7] << 24)) >>> 0;
    return lo === this.lo >>> 0 && hi === this.hi >>> 0;
  }
}

/** The CRC-64 of bytes[start, end), continuing from `init`. */
export function crc64(bytes: Uint8Array, init = 0n, start = 0, end = bytes.length): bigint {
  return new Crc64(init).update(bytes, start, end).value;
}
