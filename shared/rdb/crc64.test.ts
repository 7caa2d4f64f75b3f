import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Crc64, crc64 } from './crc64.js';

/** Bit-by-bit reference: the reflected Jones polynomial, initial value 0, as Redis's crc64.c defines it. */
function reference(bytes: Uint8Array): bigint {
  const poly = 0x95ac9329ac4bc9b5n;
  let crc = 0n;
  for (const b of bytes) {
    crc ^= BigInt(b);
    for (let i = 0; i < 8; i++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc;
}

describe('crc64', () => {
  it('gives Redis check value 0xe9c6d914c4b8d9ca for "123456789"', () => {
    expect(crc64(new TextEncoder().encode('123456789'))).toBe(0xe9c6d914c4b8d9can);
  });

  it('is 0 for no input', () => {
    expect(crc64(new Uint8Array(0))).toBe(0n);
  });

  it('matches the bit-by-bit definition for any input, fed whole or in two pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
        const split = bytes.length === 0 ? 0 : cut % bytes.length;
        const expected = reference(bytes);
        expect(crc64(bytes)).toBe(expected);
        expect(new Crc64().update(bytes, 0, split).update(bytes, split).value).toBe(expected);
        expect(crc64(bytes.subarray(split), crc64(bytes.subarray(0, split)))).toBe(expected);
      }),
    );
  });

  it('serialises little-endian and compares against stored little-endian bytes', () => {
    const c = new Crc64().update(new TextEncoder().encode('123456789'));
    const le = c.toBytesLE();
    expect(Array.from(le)).toEqual([0xca, 0xd9, 0xb8, 0xc4, 0x14, 0xd9, 0xc6, 0xe9]);
    const stored = new Uint8Array([0, 0, ...le]);
    expect(c.matchesLE(stored, 2)).toBe(true);
    stored[9] ^= 1;
    expect(c.matchesLE(stored, 2)).toBe(false);
  });
});
