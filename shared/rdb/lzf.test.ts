import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lzfCompress, lzfDecompress } from './lzf.js';

function hex(s: string): Uint8Array {
  return new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
}

/** Compressible data: random bytes from a small alphabet with repeated slices. */
const repetitive = fc
  .array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 50 })), {
    maxLength: 30,
  })
  .map((parts) => {
    const out: number[] = [];
    for (const [piece, times] of parts) for (let i = 0; i < times; i++) out.push(...piece);
    return new Uint8Array(out);
  });

describe('lzf', () => {
  it('decompresses what stock Redis compressed (the DUMP of "ab" x 50)', () => {
    // From redis-server 7.0.15: DUMP of a 100-byte "abab..." string is 00 C3 <clen 10> <len 100> <10 bytes>.
    const packed = hex('02616261e05601016162');
    const out = lzfDecompress(packed, 100);
    expect(out && new TextDecoder().decode(out)).toBe('ab'.repeat(50));
  });

  it('round-trips any data it manages to compress', () => {
    fc.assert(
      fc.property(fc.oneof(repetitive, fc.uint8Array({ maxLength: 2000 })).filter((d) => d.length > 0), (data) => {
        const packed = lzfCompress(data, data.length + 64);
        expect(packed).not.toBeNull();
        expect(lzfDecompress(packed!, data.length)).toEqual(data);
      }),
    );
  });

  it('compresses long repeated runs and overlapping matches far below their size', () => {
    const data = new Uint8Array(100_000).fill(97);
    const packed = lzfCompress(data, data.length - 4)!;
    // Each 3-byte reference covers at most 264 bytes (liblzf starts with two literals and ends with two).
    expect(packed.length).toBeLessThanOrEqual(Math.ceil(100_000 / 264) * 3 + 8);
    expect(lzfDecompress(packed, data.length)).toEqual(data);
  });

  it('gives up (null) when the output would exceed the limit, as for random bytes', () => {
    const data = new Uint8Array(4096);
    let x = 12345;
    for (let i = 0; i < data.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      data[i] = x >>> 24;
    }
    expect(lzfCompress(data, data.length - 4)).toBeNull();
    expect(lzfCompress(new Uint8Array(0), 10)).toBeNull();
  });

  it('rejects corrupt streams: back reference before the start, overflow, truncation, wrong size', () => {
    expect(lzfDecompress(hex('2000'), 3)).toBeNull(); // reference with nothing before it
    expect(lzfDecompress(hex('0161'), 2)).toBeNull(); // literal run longer than the input
    expect(lzfDecompress(hex('0061'), 2)).toBeNull(); // expands to 1 byte, not 2
    expect(lzfDecompress(hex('01616220'), 5)).toBeNull(); // reference missing its offset byte
    expect(lzfDecompress(hex('00612000'), 2)).toBeNull(); // output overflow
    expect(lzfDecompress(hex('00612000'), 4)).toEqual(new Uint8Array([97, 97, 97, 97]));
  });
});
