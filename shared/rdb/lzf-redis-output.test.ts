import { describe, expect, it } from 'vitest';
import { lzfCompress, lzfDecompress } from './lzf.js';

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0));

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('lzfCompress', () => {
  it('compresses a run as liblzf does: 45 "r" take 9 bytes (Redis: serializedlength 12 with its 3-byte header)', () => {
    const out = lzfCompress(bytes('r'.repeat(45)), 41)!;
    // Two literals (position 0 is never a match source), a back reference of 41 bytes at offset 0 (a match
    // stops 2 bytes before the end), then the last two bytes as literals.
    expect([...out]).toEqual([1, 0x72, 0x72, 0xe0, 41 - 2 - 7, 0, 1, 0x72, 0x72]);
    expect(lzfDecompress(out, 45)).toEqual(bytes('r'.repeat(45)));
  });

  it('returns null when the output would not fit (incompressible input, Redis keeps the string raw)', () => {
    const rand = rng(1);
    const noise = Uint8Array.from({ length: 200 }, () => Math.floor(rand() * 256));
    expect(lzfCompress(noise, noise.length - 4)).toBeNull();
    expect(lzfCompress(new Uint8Array(0), 10)).toBeNull();
  });

  it('round-trips through the decompressor for generated inputs of many shapes', () => {
    const rand = rng(42);
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(rand() * 3000);
      const alphabet = 1 + Math.floor(rand() * (t % 3 === 0 ? 255 : 6));
      const input = Uint8Array.from({ length: n }, () => Math.floor(rand() * alphabet));
      // liblzf's worst case: one run byte per 32 literals.
      const out = lzfCompress(input, n + Math.ceil(n / 32) + 8);
      expect(out).not.toBeNull();
      expect(lzfDecompress(out!, n)).toEqual(input);
    }
  });

  it('splits literal runs at 32 bytes and long matches at 264', () => {
    const distinct = Uint8Array.from({ length: 40 }, (_, i) => i);
    const lits = lzfCompress(distinct, 100)!;
    expect(lits[0]).toBe(31);
    expect(lits[33]).toBe(7);
    expect(lits.length).toBe(42);
    const long = lzfCompress(bytes('z'.repeat(1000)), 996)!;
    expect(lzfDecompress(long, 1000)).toEqual(bytes('z'.repeat(1000)));
    // Matches are at most MAX_REF + 2 = 266 octets: 1000 bytes need several.
    expect(long.length).toBeGreaterThan(6);
  });
});
