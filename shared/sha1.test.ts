import { describe, expect, it } from 'vitest';
import { sha1, toHex } from './sha1.js';

/** Expected values from `sha1sum`. */
describe('sha1', () => {
  it('hashes the FIPS 180 examples and the empty input', () => {
    expect(toHex(sha1(''))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(toHex(sha1('abc'))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(toHex(sha1('a'.repeat(1_000_000)))).toBe('34aa973cd4c4daa4f61eeb2bdbad27316534016f');
  });

  it('pads correctly at every block boundary (55, 56, 63, 64, 65 and 119 bytes)', () => {
    const expected: Record<number, string> = {
      55: 'cef734ba81a024479e09eb5a75b6ddae62e6abf1',
      56: '901305367c259952f4e7af8323f480d59f81335b',
      63: '0ddc4e0cccd9a12850deb5abb0853a4425559fec',
      64: 'bb2fa3ee7afb9f54c6dfb5d021f14b1ffe40c163',
      65: '78c741ddc482e4cdf8c474a0876347a0905b6233',
      119: '4300320394f7ee239bcdce7d3b8bcee173a0cd5c',
    };
    for (const [n, hex] of Object.entries(expected)) expect(toHex(sha1('x'.repeat(Number(n))))).toBe(hex);
  });

  it('treats a binary string and the same bytes alike, and writes into a caller buffer', () => {
    const text = 'abcdbcdecdefdefgefghfghighijhijkijkljklmmnopnopq';
    const bytes = Uint8Array.from(text, (ch) => ch.charCodeAt(0));
    expect(toHex(sha1(bytes))).toBe('fc2aa9922332f42b7d400a89ecfe7976a003cca3');
    const out = new Uint8Array(20);
    expect(sha1(text, out)).toBe(out);
    expect(toHex(out)).toBe('fc2aa9922332f42b7d400a89ecfe7976a003cca3');
    // High bytes are single bytes, not UTF-16 units: \xff hashes as 0xff.
    expect(toHex(sha1('\xff'))).toBe(toHex(sha1(new Uint8Array([0xff]))));
  });

  it('can hash a buffer into itself (the digest feedback DEBUG DIGEST uses)', () => {
    const buf = sha1('abc');
    sha1(buf, buf);
    expect(toHex(buf)).toBe(toHex(sha1(sha1('abc'))));
  });
});
