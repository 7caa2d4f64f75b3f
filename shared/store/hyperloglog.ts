/**
 * HyperLogLog exactly as Redis 7.0 lays it out (src/hyperloglog.c). The value is an ordinary Redis string, so
 * RDB, DUMP and replication carry it unchanged: every byte here must match what Redis writes for the same
 * operations, including the stale cardinality bytes left behind by an invalidated cache and the exact sparse
 * opcode sequences (split, merge, promotion points).
 *
 * Layout: a 16-byte header ("HYLL", encoding, 3 unused bytes, 8-byte little-endian cached cardinality whose top
 * bit marks it invalid) followed by either 16384 6-bit registers packed LSB first (dense) or a run-length
 * sequence of ZERO / XZERO / VAL opcodes (sparse).
 */

import { bytesToBinary } from '../bytes.js';

/** Registers: 2^14. */
export const HLL_P = 14;
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
const HLL_BITS = 6;
export const HLL_REGISTER_MAX = (1 << HLL_BITS) - 1;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + ((HLL_REGISTERS * HLL_BITS + 7) >> 3);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const HLL_MAX_ENCODING = 1;

const XZERO_BIT = 0x40;
const VAL_BIT = 0x80;
const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const SPARSE_XZERO_MAX_LEN = 16384;
/** 0.5/ln(2), Redis's HLL_ALPHA_INF. */
const HLL_ALPHA_INF = 0.72134752044448170368;

/** MurmurHash64A's multiplier 0xc6a4a7935bd1e995, as two 32-bit halves. */
const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
/** The seed Redis's hllPatLen hashes with. */
const HLL_SEED = 0xadc83b19;

const isZero = (b: number) => (b & 0xc0) === 0;
const isXZero = (b: number) => (b & 0xc0) === XZERO_BIT;
const isVal = (b: number) => (b & VAL_BIT) !== 0;
const zeroLen = (b: number) => (b & 0x3f) + 1;
const xzeroLen = (b0: number, b1: number) => (((b0 & 0x3f) << 8) | b1) + 1;
const valValue = (b: number) => ((b >> 2) & 0x1f) + 1;
const valLen = (b: number) => (b & 0x3) + 1;
const valOp = (value: number, len: number) => (((value - 1) << 2) | (len - 1) | VAL_BIT) & 0xff;

// ---------------------------------------------------------------------------------------------------------
// MurmurHash64A on 32-bit halves (BigInt would cost ~20x on PFADD's hot path)
// ---------------------------------------------------------------------------------------------------------

let rHi = 0;
let rLo = 0;

/** (aHi:aLo) × (bHi:bLo) mod 2^64, into rHi:rLo. */
function mul64(aHi: number, aLo: number, bHi: number, bLo: number): void {
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  // 16-bit limbs: every partial product fits in 32 bits, and each sum below stays exact in a double.
  const p00 = a0 * b0;
  const mid = a0 * b1 + a1 * b0 + (p00 >>> 16); // < 2^34
  rLo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  const midHigh = (mid - (mid & 0xffff)) / 65536; // exact: mid >> 16 without 32-bit truncation
  rHi = (a1 * b1 + midHigh + Math.imul(aHi, bLo) + Math.imul(aLo, bHi)) >>> 0;
}

/**
 * Redis's MurmurHash64A of bytes [start, end) of a binary string (or byte array), as hi/lo 32-bit words into
 * rHi/rLo. Endian-neutral: 8-byte blocks are read little endian.
 */
function murmur64a(data: string | Uint8Array, start: number, end: number, seed: number): void {
  const len = end - start;
  mul64(0, len >>> 0, M_HI, M_LO);
  let hHi = rHi;
  let hLo = (rLo ^ seed) >>> 0;
  const blocksEnd = start + (len - (len & 7));
  const str = typeof data === 'string';
  let i = start;
  for (; i < blocksEnd; i += 8) {
    let kLo: number;
    let kHi: number;
    if (str) {
      const d = data as string;
      kLo = ((d.charCodeAt(i) & 0xff) | ((d.charCodeAt(i + 1) & 0xff) << 8) | ((d.charCodeAt(i + 2) & 0xff) << 16) |
        ((d.charCodeAt(i + 3) & 0xff) << 24)) >>> 0;
      kHi = ((d.charCodeAt(i + 4) & 0xff) | ((d.charCodeAt(i + 5) & 0xff) << 8) |
        ((d.charCodeAt(i + 6) & 0xff) << 16) | ((d.charCodeAt(i + 7) & 0xff) << 24)) >>> 0;
    } else {
      const d = data as Uint8Array;
      kLo = (d[i] | (d[i + 1] << 8) | (d[i + 2] << 16) | (d[i + 3] << 24)) >>> 0;
      kHi = (d[i + 4] | (d[i + 5] << 8) | (d[i + 6] << 16) | (d[i + 7] << 24)) >>> 0;
    }
    mul64(kHi, kLo, M_HI, M_LO);
    // k ^= k >> 47; k *= m; h ^= k; h *= m
    mul64(rHi, (rLo ^ (rHi >>> 15)) >>> 0, M_HI, M_LO);
    mul64((hHi ^ rHi) >>> 0, (hLo ^ rLo) >>> 0, M_HI, M_LO);
    hHi = rHi;
    hLo = rLo;
  }
  const tail = len & 7;
  if (tail > 0) {
    // The fall-through switch of the C code: byte j goes to bit 8*j.
    for (let j = tail - 1; j >= 0; j--) {
      const b = str ? (data as string).charCodeAt(i + j) & 0xff : (data as Uint8Array)[i + j];
      if (j >= 4) hHi = (hHi ^ (b << ((j - 4) * 8))) >>> 0;
      else hLo = (hLo ^ (b << (j * 8))) >>> 0;
    }
    mul64(hHi, hLo, M_HI, M_LO);
    hHi = rHi;
    hLo = rLo;
  }
  hLo = (hLo ^ (hHi >>> 15)) >>> 0;
  mul64(hHi, hLo, M_HI, M_LO);
  hHi = rHi;
  hLo = (rLo ^ (rHi >>> 15)) >>> 0;
  rHi = hHi;
  rLo = hLo;
}

/** Redis's MurmurHash64A(key, len, seed) as an unsigned 64-bit BigInt (for tests and tools). */
export function murmurHash64A(data: string | Uint8Array, seed: number): bigint {
  murmur64a(data, 0, data.length, seed >>> 0);
  return (BigInt(rHi) << 32n) | BigInt(rLo);
}

const U64 = (1n << 64n) - 1n;
const M64 = 0xc6a4a7935bd1e995n;

/** m^-1 mod 2^64 (Newton's iteration: each step doubles the correct low bits). */
const M64_INV = (() => {
  let x = M64;
  for (let i = 0; i < 6; i++) x = (x * (2n - M64 * x)) & U64;
  return x;
})();

/** Undoes x ^= x >> 47 (the shift is wider than half the word, so one step restores it). */
const unshift47 = (y: bigint) => y ^ (y >> 47n);

/**
 * The 8 bytes whose MurmurHash64A (with `seed`) is `hash`: for 8-byte keys every step of the hash is invertible.
 * Lets tests build elements that land on a chosen register with a chosen pattern length (a count above 32,
 * which random elements reach once in 2^32).
 */
export function murmurHash64AInverse8(hash: bigint, seed: number): Uint8Array {
  const h0 = (BigInt(seed >>> 0) ^ ((8n * M64) & U64)) & U64;
  const hb = unshift47((unshift47(hash & U64) * M64_INV) & U64);
  const k2 = ((hb * M64_INV) & U64) ^ h0;
  const k = (unshift47((k2 * M64_INV) & U64) * M64_INV) & U64;
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) out[i] = Number((k >> BigInt(8 * i)) & 0xffn);
  return out;
}

/**
 * An 8-byte element that sets register `index` to `count` (1..Q+1) when added; `salt` picks among the many such
 * elements (it fills the hash bits above the pattern).
 */
export function hllElementFor(index: number, count: number, salt = 0n): Uint8Array {
  const patternBit = BigInt(HLL_P + count - 1);
  const high = patternBit >= 63n ? 0n : (salt << (patternBit + 1n)) & U64;
  return murmurHash64AInverse8(high | (1n << patternBit) | BigInt(index & HLL_P_MASK), HLL_SEED);
}

let patIndex = 0;

/**
 * Redis's hllPatLen: the length of the 000..1 pattern of the element's hash (1..Q+1); the register index goes
 * to patIndex.
 */
function patLen(ele: string | Uint8Array, start = 0, end = ele.length): number {
  murmur64a(ele, start, end, HLL_SEED);
  patIndex = rLo & HLL_P_MASK;
  // hash >>= P; hash |= 1 << Q: then count the trailing zeros, plus one.
  const lo = ((rLo >>> HLL_P) | (rHi << (32 - HLL_P))) >>> 0;
  const hi = ((rHi >>> HLL_P) | (1 << (HLL_Q - 32))) >>> 0;
  const ctz = lo !== 0 ? 31 - Math.clz32(lo & -lo) : 32 + 31 - Math.clz32(hi & -hi);
  return ctz + 1;
}

/** [register index, pattern length] of an element, as Redis's hllPatLen computes them. */
export function hllPatLen(ele: string | Uint8Array): [number, number] {
  const count = patLen(ele);
  return [patIndex, count];
}

// ---------------------------------------------------------------------------------------------------------
// Dense registers
// ---------------------------------------------------------------------------------------------------------

/** HLL_DENSE_GET_REGISTER on registers starting at `base` (the byte after the last is read as C's NUL would be). */
export function denseGet(p: Uint8Array, base: number, regnum: number): number {
  const byte = base + ((regnum * HLL_BITS) >>> 3);
  const fb = (regnum * HLL_BITS) & 7;
  const b0 = p[byte];
  const b1 = byte + 1 < p.length ? p[byte + 1] : 0;
  return ((b0 >> fb) | (b1 << (8 - fb))) & HLL_REGISTER_MAX;
}

/** HLL_DENSE_SET_REGISTER: `val` must be 0..63. */
export function denseSet(p: Uint8Array, base: number, regnum: number, val: number): void {
  const byte = base + ((regnum * HLL_BITS) >>> 3);
  const fb = (regnum * HLL_BITS) & 7;
  const fb8 = 8 - fb;
  p[byte] = (p[byte] & ~(HLL_REGISTER_MAX << fb)) | (val << fb);
  // The last register never spills (its high bits land in the NUL past the end, and are zero).
  if (byte + 1 < p.length) p[byte + 1] = (p[byte + 1] & ~(HLL_REGISTER_MAX >> fb8)) | (val >> fb8);
}

/** Redis's hllDenseRegHisto. */
function denseRegHisto(p: Uint8Array, base: number, histo: Float64Array): void {
  let r = base;
  for (let j = 0; j < 1024; j++) {
    const b0 = p[r], b1 = p[r + 1], b2 = p[r + 2], b3 = p[r + 3], b4 = p[r + 4], b5 = p[r + 5];
    const b6 = p[r + 6], b7 = p[r + 7], b8 = p[r + 8], b9 = p[r + 9], b10 = p[r + 10], b11 = p[r + 11];
    histo[b0 & 63]++;
    histo[((b0 >> 6) | (b1 << 2)) & 63]++;
    histo[((b1 >> 4) | (b2 << 4)) & 63]++;
    histo[(b2 >> 2) & 63]++;
    histo[b3 & 63]++;
    histo[((b3 >> 6) | (b4 << 2)) & 63]++;
    histo[((b4 >> 4) | (b5 << 4)) & 63]++;
    histo[(b5 >> 2) & 63]++;
    histo[b6 & 63]++;
    histo[((b6 >> 6) | (b7 << 2)) & 63]++;
    histo[((b7 >> 4) | (b8 << 4)) & 63]++;
    histo[(b8 >> 2) & 63]++;
    histo[b9 & 63]++;
    histo[((b9 >> 6) | (b10 << 2)) & 63]++;
    histo[((b10 >> 4) | (b11 << 4)) & 63]++;
    histo[(b11 >> 2) & 63]++;
    r += 12;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The estimator (Ertl, "New cardinality estimation algorithms for HyperLogLog sketches")
// ---------------------------------------------------------------------------------------------------------

/** Redis's hllSigma. */
export function hllSigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

/**
 * Redis's hllTau. The C code's pow(1 - x, 2) is folded by the compiler into (1 - x) * (1 - x), which is what
 * runs; V8's Math.pow may differ from a correctly rounded square in the last bit, so the product is used.
 */
export function hllTau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/** The cardinality estimate from a register histogram (the common part of Redis's hllCount). */
function countFromHisto(histo: Float64Array): number {
  const m = HLL_REGISTERS;
  let z = m * hllTau((m - histo[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * hllSigma(histo[0] / m);
  const q = (HLL_ALPHA_INF * m * m) / z;
  // llroundl overflows from 2^63 on (z is 0 when every register is 50 or more): x86 answers LLONG_MIN, which
  // Redis then reads as the unsigned 2^63.
  if (!(q < HLL_CARD_OVERFLOW)) return HLL_CARD_OVERFLOW;
  // llroundl of the double quotient: halves away from zero (the quotient is positive, or 0 when z is infinite).
  return roundHalfAway(q);
}

/**
 * The estimate Redis computes when the estimator overflows: 2^63, stored as such in the cache (whose top bit
 * then reads as "invalid") and replied as a signed 64-bit integer, -2^63.
 */
export const HLL_CARD_OVERFLOW = 9223372036854775808;

/** llround for a non-negative double, without the double rounding of Math.floor(x + 0.5). */
function roundHalfAway(x: number): number {
  const f = Math.floor(x);
  return x - f >= 0.5 ? f + 1 : f;
}

/** The estimate for one register per byte (Redis's HLL_RAW, used by multi-key PFCOUNT). */
export function hllCountRaw(max: Uint8Array): number {
  const histo = new Float64Array(64);
  for (let i = 0; i < HLL_REGISTERS; i++) histo[max[i]]++;
  return countFromHisto(histo);
}

// ---------------------------------------------------------------------------------------------------------
// The value
// ---------------------------------------------------------------------------------------------------------

/** Whether a string value is a HyperLogLog as Redis's isHLLObjectOrReply accepts it (header checks only). */
export function isHllString(s: string): boolean {
  if (s.length < HLL_HDR_SIZE) return false;
  if (s.charCodeAt(0) !== 72 || s.charCodeAt(1) !== 89 || s.charCodeAt(2) !== 76 || s.charCodeAt(3) !== 76) {
    return false;
  }
  const encoding = s.charCodeAt(4);
  if (encoding > HLL_MAX_ENCODING) return false;
  if (encoding === HLL_DENSE && s.length !== HLL_DENSE_SIZE) return false;
  return true;
}

/**
 * A HyperLogLog value being worked on: the string's bytes in a growable buffer (an sds string: `len` bytes
 * used, the rest spare), changed in place as Redis changes its sds.
 */
export class HyperLogLog {
  buf: Uint8Array;
  len: number;

  constructor(buf: Uint8Array, len: number) {
    this.buf = buf;
    this.len = len;
  }

  /** Redis's createHLLObject: an empty sparse HLL (one XZERO covering all registers), cache valid at 0. */
  static create(): HyperLogLog {
    const len = HLL_HDR_SIZE + Math.floor((HLL_REGISTERS + (SPARSE_XZERO_MAX_LEN - 1)) / SPARSE_XZERO_MAX_LEN) * 2;
    const h = new HyperLogLog(new Uint8Array(len + 16), len);
    const b = h.buf;
    b[0] = 72; // H
    b[1] = 89; // Y
    b[2] = 76; // L
    b[3] = 76; // L
    b[4] = HLL_SPARSE;
    let p = HLL_HDR_SIZE;
    let aux = HLL_REGISTERS;
    while (aux > 0) {
      const xzero = Math.min(SPARSE_XZERO_MAX_LEN, aux);
      b[p] = ((xzero - 1) >> 8) | XZERO_BIT;
      b[p + 1] = (xzero - 1) & 0xff;
      p += 2;
      aux -= xzero;
    }
    return h;
  }

  /** The bytes of a string value (checked with isHllString first). */
  static fromString(s: string): HyperLogLog {
    const len = s.length;
    const buf = new Uint8Array(len + 16);
    for (let i = 0; i < len; i++) buf[i] = s.charCodeAt(i);
    return new HyperLogLog(buf, len);
  }

  /** The value as a binary string. */
  toString(): string {
    return bytesToBinary(this.buf, 0, this.len);
  }

  get encoding(): number {
    return this.buf[4];
  }

  /** Whether the cached cardinality may be used (its top bit clear). */
  get cacheValid(): boolean {
    return (this.buf[15] & 0x80) === 0;
  }

  /** HLL_INVALIDATE_CACHE: sets only the top bit, the other cached bytes stay as they were. */
  invalidateCache(): void {
    this.buf[15] |= 0x80;
  }

  /** The cached cardinality (a BigInt past 2^53, which only a hand-written value can hold). */
  cachedCard(): number | bigint {
    const b = this.buf;
    const lo = (b[8] | (b[9] << 8) | (b[10] << 16) | (b[11] << 24)) >>> 0;
    const hi = (b[12] | (b[13] << 8) | (b[14] << 16) | (b[15] << 24)) >>> 0;
    if (hi < 0x200000) return hi * 4294967296 + lo;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Stores a cardinality in the cache (little endian), which makes it valid. */
  setCachedCard(card: number): void {
    const b = this.buf;
    let lo = card % 4294967296;
    let hi = Math.floor(card / 4294967296);
    for (let i = 8; i < 12; i++) {
      b[i] = lo & 0xff;
      lo = Math.floor(lo / 256);
    }
    for (let i = 12; i < 16; i++) {
      b[i] = hi & 0xff;
      hi = Math.floor(hi / 256);
    }
  }

  /** Makes room for `n` more bytes past len (sdsMakeRoomFor), keeping a zero byte after the end. */
  private makeRoom(n: number): void {
    if (this.len + n + 1 <= this.buf.length) return;
    const next = new Uint8Array((this.len + n + 1) * 2);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** The byte at i, or 0 past the end (the sds NUL terminator the C code may read). */
  private at(i: number): number {
    return i < this.len ? this.buf[i] : 0;
  }

  /**
   * Redis's hllAdd: 1 when a register grew, 0 when not, -1 when the sparse form is corrupt (or the encoding
   * unknown). `sparseMaxBytes` is hll-sparse-max-bytes.
   */
  add(ele: string | Uint8Array, sparseMaxBytes: number, start = 0, end = ele.length): number {
    const count = patLen(ele, start, end);
    const index = patIndex;
    const enc = this.encoding;
    if (enc === HLL_DENSE) return this.denseSetIfGreater(index, count);
    if (enc === HLL_SPARSE) return this.sparseSet(index, count, sparseMaxBytes);
    return -1;
  }

  /** Redis's hllDenseSet. */
  denseSetIfGreater(index: number, count: number): number {
    if (count > denseGet(this.buf, HLL_HDR_SIZE, index)) {
      denseSet(this.buf, HLL_HDR_SIZE, index, count);
      return 1;
    }
    return 0;
  }

  /**
   * Redis's hllSparseToDense: rewrites a sparse value as dense, keeping the 16 header bytes (magic, unused
   * bytes, cached cardinality). Returns false (and changes nothing) when the sparse form is corrupt.
   */
  toDense(): boolean {
    if (this.encoding === HLL_DENSE) return true;
    const dense = new Uint8Array(HLL_DENSE_SIZE + 1);
    dense.set(this.buf.subarray(0, HLL_HDR_SIZE));
    dense[4] = HLL_DENSE;
    let idx = 0;
    let p = HLL_HDR_SIZE;
    const end = this.len;
    while (p < end) {
      const b = this.buf[p];
      if (isZero(b)) {
        idx += zeroLen(b);
        p++;
      } else if (isXZero(b)) {
        idx += xzeroLen(b, this.at(p + 1));
        p += 2;
      } else {
        let runlen = valLen(b);
        const regval = valValue(b);
        if (runlen + idx > HLL_REGISTERS) break;
        while (runlen--) {
          denseSet(dense, HLL_HDR_SIZE, idx, regval);
          idx++;
        }
        p++;
      }
    }
    if (idx !== HLL_REGISTERS) return false;
    this.buf = dense;
    this.len = HLL_DENSE_SIZE;
    return true;
  }

  /**
   * Redis's hllSparseSet: raises register `index` to `count` in the sparse form, splitting and merging opcodes
   * exactly as Redis does, or promotes to dense when `count` exceeds what VAL holds or the value would outgrow
   * `sparseMaxBytes`. Returns 1 (updated), 0 (no change) or -1 (corrupt).
   */
  sparseSet(index: number, count: number, sparseMaxBytes: number): number {
    if (count > SPARSE_VAL_MAX_VALUE) return this.promote(index, count);
    this.makeRoom(3);
    const b = this.buf;
    const sparse = HLL_HDR_SIZE;
    let p = sparse;
    let end = this.len;
    let first = 0;
    let prev = -1;
    let span = 0;
    while (p < end) {
      let oplen = 1;
      const op = b[p];
      if (isZero(op)) {
        span = zeroLen(op);
      } else if (isVal(op)) {
        span = valLen(op);
      } else {
        span = xzeroLen(op, b[p + 1]);
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;

    let next = isXZero(b[p]) ? p + 2 : p + 1;
    if (next >= end) next = -1;

    const op = b[p];
    let isZeroOp = false;
    let isXZeroOp = false;
    let isValOp = false;
    let runlen: number;
    if (isZero(op)) {
      isZeroOp = true;
      runlen = zeroLen(op);
    } else if (isXZero(op)) {
      isXZeroOp = true;
      runlen = xzeroLen(op, b[p + 1]);
    } else {
      isValOp = true;
      runlen = valLen(op);
    }

    let updated = false;
    if (isValOp) {
      const oldcount = valValue(op);
      if (oldcount >= count) return 0;
      if (runlen === 1) {
        b[p] = valOp(count, 1);
        updated = true;
      }
    }
    if (!updated && isZeroOp && runlen === 1) {
      b[p] = valOp(count, 1);
      updated = true;
    }

    if (!updated) {
      // The general case: split the opcode into up to three (XZERO-VAL-XZERO at worst, 5 bytes).
      const seq: number[] = [];
      const last = first + span - 1;
      if (isZeroOp || isXZeroOp) {
        if (index !== first) pushZeros(seq, index - first);
        seq.push(valOp(count, 1));
        if (index !== last) pushZeros(seq, last - index);
      } else {
        const curval = valValue(op);
        if (index !== first) seq.push(valOp(curval, index - first));
        seq.push(valOp(count, 1));
        if (index !== last) seq.push(valOp(curval, last - index));
      }
      const seqlen = seq.length;
      const oldlen = isXZeroOp ? 2 : 1;
      const deltalen = seqlen - oldlen;
      if (deltalen > 0 && this.len + deltalen > sparseMaxBytes) return this.promote(index, count);
      if (deltalen !== 0 && next >= 0) b.copyWithin(next + deltalen, next, end);
      this.len += deltalen;
      for (let i = 0; i < seqlen; i++) b[p + i] = seq[i];
      end += deltalen;
      b[this.len] = 0;
    }

    // Merge adjacent VAL opcodes of the same value, scanning up to 5 opcodes from the previous one.
    p = prev >= 0 ? prev : sparse;
    let scanlen = 5;
    while (p < end && scanlen--) {
      const cur = b[p];
      if (isXZero(cur)) {
        p += 2;
        continue;
      } else if (isZero(cur)) {
        p++;
        continue;
      }
      if (p + 1 < end && isVal(b[p + 1])) {
        const v1 = valValue(cur);
        const v2 = valValue(b[p + 1]);
        if (v1 === v2) {
          const len = valLen(cur) + valLen(b[p + 1]);
          if (len <= SPARSE_VAL_MAX_LEN) {
            b[p + 1] = valOp(v1, len);
            // memmove(p, p+1, end-p): the NUL after the end moves down with it.
            b.copyWithin(p, p + 1, end + 1);
            this.len--;
            end--;
            continue;
          }
        }
      }
      p++;
    }
    this.invalidateCache();
    return 1;
  }

  /** The promote: label of hllSparseSet: to dense, then set the register there. */
  private promote(index: number, count: number): number {
    if (!this.toDense()) return -1;
    return this.denseSetIfGreater(index, count);
  }

  /**
   * Redis's hllCount: the estimate from the registers, or -1 when the sparse form is corrupt (its opcodes do
   * not cover exactly 16384 registers).
   */
  count(): number {
    const histo = new Float64Array(64);
    if (this.encoding === HLL_DENSE) {
      denseRegHisto(this.buf, HLL_HDR_SIZE, histo);
    } else {
      let idx = 0;
      let p = HLL_HDR_SIZE;
      const end = this.len;
      const b = this.buf;
      while (p < end) {
        const op = b[p];
        if (isZero(op)) {
          const runlen = zeroLen(op);
          idx += runlen;
          histo[0] += runlen;
          p++;
        } else if (isXZero(op)) {
          const runlen = xzeroLen(op, this.at(p + 1));
          idx += runlen;
          histo[0] += runlen;
          p += 2;
        } else {
          const runlen = valLen(op);
          idx += runlen;
          histo[valValue(op)] += runlen;
          p++;
        }
      }
      if (idx !== HLL_REGISTERS) return -1;
    }
    return countFromHisto(histo);
  }

  /** Redis's hllMerge: max[i] = max(max[i], register i). False when the sparse form is corrupt. */
  mergeInto(max: Uint8Array): boolean {
    const b = this.buf;
    if (this.encoding === HLL_DENSE) {
      for (let i = 0; i < HLL_REGISTERS; i++) {
        const val = denseGet(b, HLL_HDR_SIZE, i);
        if (val > max[i]) max[i] = val;
      }
      return true;
    }
    let i = 0;
    let p = HLL_HDR_SIZE;
    const end = this.len;
    while (p < end) {
      const op = b[p];
      if (isZero(op)) {
        i += zeroLen(op);
        p++;
      } else if (isXZero(op)) {
        i += xzeroLen(op, this.at(p + 1));
        p += 2;
      } else {
        let runlen = valLen(op);
        const regval = valValue(op);
        if (runlen + i > HLL_REGISTERS) break;
        while (runlen--) {
          if (regval > max[i]) max[i] = regval;
          i++;
        }
        p++;
      }
    }
    return i === HLL_REGISTERS;
  }

  /** PFDEBUG DECODE's text of a sparse value: "z:N", "Z:N", "v:value,len" opcodes separated by spaces. */
  decode(): string {
    const parts: string[] = [];
    let p = HLL_HDR_SIZE;
    const end = this.len;
    while (p < end) {
      const op = this.buf[p];
      if (isZero(op)) {
        parts.push(`z:${zeroLen(op)}`);
        p++;
      } else if (isXZero(op)) {
        parts.push(`Z:${xzeroLen(op, this.at(p + 1))}`);
        p += 2;
      } else {
        parts.push(`v:${valValue(op)},${valLen(op)}`);
        p++;
      }
    }
    return parts.join(' ');
  }

  /** The dense registers, in order (the value must be dense). */
  registers(): number[] {
    const out = new Array<number>(HLL_REGISTERS);
    for (let i = 0; i < HLL_REGISTERS; i++) out[i] = denseGet(this.buf, HLL_HDR_SIZE, i);
    return out;
  }
}

/** Appends the ZERO (up to 64) or XZERO opcode for a run of `len` zero registers. */
function pushZeros(seq: number[], len: number): void {
  if (len > SPARSE_ZERO_MAX_LEN) {
    const l = len - 1;
    seq.push((l >> 8) | XZERO_BIT, l & 0xff);
  } else {
    seq.push(len - 1);
  }
}

// ---------------------------------------------------------------------------------------------------------
// PFSELFTEST
// ---------------------------------------------------------------------------------------------------------

/** A small deterministic stand-in for C's rand() (xorshift32, 31-bit results). */
function makeRand(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x & 0x7fffffff;
  };
}

/**
 * Redis's PFSELFTEST: (1) random values written to every dense register read back unchanged without touching
 * their neighbours; (2) 10 million distinct elements added to a dense and a sparse HLL side by side: the
 * sparse one stays sparse while small, both agree, and the estimate stays within 6 standard errors at every
 * power of ten. Returns null on success, else the failure text (without the ERR prefix).
 */
export function hllSelfTest(sparseMaxBytes: number, seed = 0x5eed): string | null {
  const rand = makeRand(seed);
  const dense = new Uint8Array(HLL_DENSE_SIZE + 1);
  const bytecounters = new Uint8Array(HLL_REGISTERS);
  for (let j = 0; j < 1000; j++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = rand() & HLL_REGISTER_MAX;
      bytecounters[i] = r;
      denseSet(dense, HLL_HDR_SIZE, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const val = denseGet(dense, HLL_HDR_SIZE, i);
      if (val !== bytecounters[i]) return `TESTFAILED Register ${i} should be ${bytecounters[i]} but is ${val}`;
    }
  }

  dense.fill(0);
  dense.set([72, 89, 76, 76, HLL_DENSE]);
  const denseHll = new HyperLogLog(dense, HLL_DENSE_SIZE);
  const sparseHll = HyperLogLog.create();
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  let checkpoint = 1;
  const seedLo = rand() >>> 0;
  const seedHi = rand() >>> 0;
  const ele = new Uint8Array(8);
  for (let j = 1; j <= 10000000; j++) {
    // ele = j ^ seed, as 8 little-endian bytes.
    const lo = (j ^ seedLo) >>> 0;
    ele[0] = lo & 0xff;
    ele[1] = (lo >>> 8) & 0xff;
    ele[2] = (lo >>> 16) & 0xff;
    ele[3] = lo >>> 24;
    ele[4] = seedHi & 0xff;
    ele[5] = (seedHi >>> 8) & 0xff;
    ele[6] = (seedHi >>> 16) & 0xff;
    ele[7] = seedHi >>> 24;
    // Both sides would hash the same bytes: hash once and set the same register in each.
    const count = patLen(ele);
    const index = patIndex;
    denseHll.denseSetIfGreater(index, count);
    if (sparseHll.encoding === HLL_DENSE) sparseHll.denseSetIfGreater(index, count);
    else sparseHll.sparseSet(index, count, sparseMaxBytes);
    if (j !== checkpoint) continue;
    if (j < sparseMaxBytes / 2 && sparseHll.encoding !== HLL_SPARSE) return 'TESTFAILED sparse encoding not used';
    const card = denseHll.count();
    if (card !== sparseHll.count()) return 'TESTFAILED dense/sparse disagree';
    const abserr = Math.abs(checkpoint - card);
    const maxerr = j === 10 ? 1 : Math.ceil(relerr * 6 * checkpoint);
    if (abserr > maxerr) return `TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`;
    checkpoint *= 10;
  }
  return null;
}
