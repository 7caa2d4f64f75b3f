import { describe, expect, it } from 'vitest';
import { binaryToBytes, bytesToBinary } from '../bytes.js';
import {
  HLL_CARD_OVERFLOW,
  HLL_DENSE,
  HLL_DENSE_SIZE,
  HLL_SPARSE,
  HyperLogLog,
  hllCountRaw,
  hllElementFor,
  hllPatLen,
  hllSelfTest,
  hllSigma,
  hllTau,
  isHllString,
  murmurHash64A,
  murmurHash64AInverse8,
} from './hyperloglog.js';

const U64 = (1n << 64n) - 1n;

/** MurmurHash64A straight from the C text, in BigInt: the reference the 32-bit-halves version must match. */
function referenceMurmur(data: Uint8Array, seed: number): bigint {
  const m = 0xc6a4a7935bd1e995n;
  let h = (BigInt(seed) ^ ((BigInt(data.length) * m) & U64)) & U64;
  const blocks = data.length - (data.length & 7);
  for (let i = 0; i < blocks; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(data[i + j]);
    k = (k * m) & U64;
    k ^= k >> 47n;
    k = (k * m) & U64;
    h ^= k;
    h = (h * m) & U64;
  }
  const tail = data.length & 7;
  if (tail > 0) {
    for (let j = tail - 1; j >= 0; j--) h ^= BigInt(data[blocks + j]) << BigInt(8 * j);
    h = (h * m) & U64;
  }
  h ^= h >> 47n;
  h = (h * m) & U64;
  h ^= h >> 47n;
  return h;
}

/** A deterministic byte generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Adds the element that sets `index` to `count`. */
function set(h: HyperLogLog, index: number, count: number, max = 3000): number {
  return h.add(hllElementFor(index, count), max);
}

describe('hashing', () => {
  it('MurmurHash64A matches the C algorithm for every tail length, any bytes, any seed', () => {
    const rand = rng(1);
    for (let len = 0; len < 70; len++) {
      const data = new Uint8Array(len);
      for (let i = 0; i < len; i++) data[i] = rand() & 0xff;
      for (const seed of [0, 0xadc83b19, 0xffffffff]) {
        expect(murmurHash64A(data, seed)).toBe(referenceMurmur(data, seed));
        expect(murmurHash64A(bytesToBinary(data), seed)).toBe(referenceMurmur(data, seed));
      }
    }
  });

  it('hllPatLen takes the register from the low 14 bits and counts the 000..1 pattern above them', () => {
    for (const ele of ['', 'a', 'hello', 'foobar', '\x00\xff\x80', 'x'.repeat(100)]) {
      const hash = referenceMurmur(binaryToBytes(ele), 0xadc83b19);
      const index = Number(hash & 0x3fffn);
      let rest = (hash >> 14n) | (1n << 50n);
      let count = 1;
      while ((rest & 1n) === 0n) {
        count++;
        rest >>= 1n;
      }
      expect(hllPatLen(ele)).toEqual([index, count]);
    }
  });

  it('the 8-byte inverse gives back the bytes of any hash, so elements for any register and count exist', () => {
    const rand = rng(2);
    for (let i = 0; i < 20; i++) {
      const hash = (BigInt(rand()) << 32n) | BigInt(rand());
      expect(referenceMurmur(murmurHash64AInverse8(hash, 0xadc83b19), 0xadc83b19)).toBe(hash);
    }
    expect(hllPatLen(hllElementFor(16383, 51))).toEqual([16383, 51]);
    expect(hllPatLen(hllElementFor(0, 1, 99n))).toEqual([0, 1]);
    expect(hllPatLen(hllElementFor(77, 33, 5n))).toEqual([77, 33]);
  });
});

describe('the sparse representation', () => {
  it('a new HLL is the 16-byte header with a valid zero cache and one XZERO of 16384 registers', () => {
    const h = HyperLogLog.create();
    expect(h.toString()).toBe('HYLL\x01\x00\x00\x00' + '\x00'.repeat(8) + '\x7f\xff');
    expect(h.cacheValid).toBe(true);
    expect(h.decode()).toBe('Z:16384');
    expect(h.count()).toBe(0);
  });

  it('setting a register splits XZERO into XZERO/ZERO, VAL and XZERO/ZERO around it', () => {
    const h = HyperLogLog.create();
    expect(set(h, 1000, 3)).toBe(1);
    expect(h.decode()).toBe('Z:1000 v:3,1 Z:15383');
    expect(set(h, 1010, 2)).toBe(1);
    expect(h.decode()).toBe('Z:1000 v:3,1 z:9 v:2,1 Z:15373');
    expect(set(h, 0, 1)).toBe(1);
    expect(h.decode()).toBe('v:1,1 Z:999 v:3,1 z:9 v:2,1 Z:15373');
    expect(set(h, 16383, 5)).toBe(1);
    expect(h.decode()).toBe('v:1,1 Z:999 v:3,1 z:9 v:2,1 Z:15372 v:5,1');
    // A ZERO of length one becomes the VAL itself.
    expect(set(h, 1009, 4)).toBe(1);
    expect(h.decode()).toBe('v:1,1 Z:999 v:3,1 z:8 v:4,1 v:2,1 Z:15372 v:5,1');
  });

  it('equal neighbours merge into VAL runs of at most 4; a higher count splits a run', () => {
    const h = HyperLogLog.create();
    for (const i of [10, 11, 12, 13, 14]) set(h, i, 2);
    expect(h.decode()).toBe('z:10 v:2,4 v:2,1 Z:16369');
    // Lower or equal counts change nothing.
    expect(set(h, 11, 2)).toBe(0);
    expect(set(h, 11, 1)).toBe(0);
    expect(set(h, 12, 6)).toBe(1);
    expect(h.decode()).toBe('z:10 v:2,2 v:6,1 v:2,2 Z:16369');
    expect(set(h, 12, 2 + 0)).toBe(0);
  });

  it('a count above 32 promotes to dense at once, keeping the header bytes', () => {
    const h = HyperLogLog.create();
    set(h, 5, 3);
    h.setCachedCard(1);
    expect(set(h, 6, 33)).toBe(1);
    expect(h.encoding).toBe(HLL_DENSE);
    expect(h.len).toBe(HLL_DENSE_SIZE);
    expect(h.cachedCard()).toBe(1);
    expect(h.registers().slice(4, 8)).toEqual([0, 3, 33, 0]);
  });

  it('promotes when a split would grow the value past hll-sparse-max-bytes, not before', () => {
    const h = HyperLogLog.create();
    // 18 bytes now; a split of the XZERO into XZERO-VAL-XZERO adds 3.
    expect(set(h, 1000, 3, 21)).toBe(1);
    expect(h.encoding).toBe(HLL_SPARSE);
    expect(h.len).toBe(21);
    // In place (VAL of length one raised): no growth, no promotion even at the limit.
    expect(set(h, 1000, 4, 21)).toBe(1);
    expect(h.encoding).toBe(HLL_SPARSE);
    expect(set(h, 3000, 1, 21)).toBe(1);
    expect(h.encoding).toBe(HLL_DENSE);
    expect(h.registers()[1000]).toBe(4);
    expect(h.registers()[3000]).toBe(1);
  });

  it('sparse and dense forms of the same registers give the same count', () => {
    const rand = rng(3);
    const sparse = HyperLogLog.create();
    for (let i = 0; i < 300; i++) sparse.add(`e${rand()}`, 1_000_000);
    expect(sparse.encoding).toBe(HLL_SPARSE);
    const dense = HyperLogLog.fromString(sparse.toString());
    expect(dense.toDense()).toBe(true);
    const card = sparse.count();
    expect(card).toBe(dense.count());
    expect(Math.abs(card - 300)).toBeLessThan(15);
    const max = new Uint8Array(16384);
    expect(sparse.mergeInto(max)).toBe(true);
    expect(hllCountRaw(max)).toBe(card);
  });
});

describe('the cache', () => {
  it('invalidating sets only the top bit: the stale bytes stay', () => {
    const h = HyperLogLog.create();
    h.setCachedCard(0x0102030405);
    expect(h.cacheValid).toBe(true);
    h.invalidateCache();
    expect(h.cacheValid).toBe(false);
    expect(h.toString().slice(8, 16)).toBe('\x05\x04\x03\x02\x01\x00\x00\x80');
  });

  it('a hand-written cache beyond 2^53 reads back exactly', () => {
    const h = HyperLogLog.fromString('HYLL\x01\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\x7f\x7f\xff');
    expect(h.cachedCard()).toBe(0x7fffffffffffffffn);
  });
});

describe('corrupt values', () => {
  const header = 'HYLL\x01\x00\x00\x00' + '\x00'.repeat(7) + '\x80';

  it('opcodes covering too few or too many registers are detected by count, merge, to-dense and set', () => {
    for (const body of ['\x7e\x7f', '\x7f\xff\x00', '\x7f\xfe\x83', '']) {
      const h = HyperLogLog.fromString(header + body);
      expect(h.count()).toBe(-1);
      expect(h.mergeInto(new Uint8Array(16384))).toBe(false);
      expect(h.toDense()).toBe(false);
      expect(h.encoding).toBe(HLL_SPARSE);
    }
    const short = HyperLogLog.fromString(header + '\x7e\x7f');
    expect(set(short, 16100, 1)).toBe(-1);
    expect(set(short, 100, 1)).toBe(1);
    expect(short.decode()).toBe('Z:100 v:1,1 Z:15899');
  });

  it('isHllString checks magic, encoding, minimum length and the exact dense length', () => {
    expect(isHllString(HyperLogLog.create().toString())).toBe(true);
    expect(isHllString(header)).toBe(true);
    expect(isHllString(header.slice(0, 15))).toBe(false);
    expect(isHllString('HYLX' + header.slice(4))).toBe(false);
    expect(isHllString('HYLL\x02' + header.slice(5))).toBe(false);
    const dense = 'HYLL\x00' + '\x00'.repeat(HLL_DENSE_SIZE - 5);
    expect(isHllString(dense)).toBe(true);
    expect(isHllString(dense + '\x00')).toBe(false);
    expect(isHllString(dense.slice(1))).toBe(false);
  });
});

describe('the estimator', () => {
  it('sigma and tau at their end points', () => {
    expect(hllSigma(1)).toBe(Infinity);
    expect(hllSigma(0)).toBe(0);
    expect(hllTau(0)).toBe(0);
    expect(hllTau(1)).toBe(0);
    expect(hllTau(0.5)).toBeGreaterThan(0);
  });

  it('counts a few distinct elements exactly and large sets within the standard error', () => {
    const h = HyperLogLog.create();
    for (const e of ['a', 'b', 'c', 'hello', 'foobar', '12345678', '123456789']) h.add(e, 3000);
    expect(h.count()).toBe(7);
    for (let i = 0; i < 200000; i++) h.add(`n${i}`, 3000);
    expect(h.encoding).toBe(HLL_DENSE);
    expect(Math.abs(h.count() - 200007) / 200007).toBeLessThan(0.02);
  });

  it('overflows to 2^63 as Redis does once no register is below 50 (the estimator divides by zero)', () => {
    for (const value of [50, 51, 63]) {
      const h = HyperLogLog.fromString('HYLL\x00' + '\x00'.repeat(HLL_DENSE_SIZE - 5));
      for (let r = 0; r < 16384; r++) h.denseSetIfGreater(r, value);
      expect(h.count()).toBe(HLL_CARD_OVERFLOW);
      h.setCachedCard(h.count());
      expect(h.cacheValid).toBe(false);
    }
    const max = new Uint8Array(16384).fill(49);
    expect(hllCountRaw(max)).toBeLessThan(HLL_CARD_OVERFLOW);
    expect(hllCountRaw(max)).toBeGreaterThan(2 ** 53);
  });

  it('PFSELFTEST passes its register and error checks', () => {
    expect(hllSelfTest(3000)).toBeNull();
  }, 30_000);
});
