import { afterEach, describe, expect, it } from 'vitest';
import { ByteWriter, bytesToBinary, setNativeBinaryDecoder } from './bytes.js';

/** The definition of the binary-string mapping: byte i becomes char code bytes[i]. */
function reference(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function sample(length: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = (i * 151 + 7) & 255; // every byte value, high ones included
  return b;
}

function written(fill: (w: ByteWriter) => void): string {
  const w = new ByteWriter(4);
  fill(w);
  return bytesToBinary(w.take());
}

describe('bytesToBinary', () => {
  afterEach(() => setNativeBinaryDecoder(null));

  it('decodes every length and byte value exactly, at any offset', () => {
    const bytes = sample(300);
    for (let len = 0; len <= 80; len++) {
      for (const start of [0, 1, 300 - len]) {
        expect(bytesToBinary(bytes, start, start + len)).toBe(reference(bytes, start, start + len));
      }
    }
    const big = sample(20_000);
    expect(bytesToBinary(big)).toBe(reference(big, 0, big.length));
  });

  it('hands only runs longer than the short-run decoder to an installed native decoder', () => {
    const lengths: number[] = [];
    setNativeBinaryDecoder((b, s, e) => {
      lengths.push(e - s);
      return reference(b, s, e);
    });
    const bytes = sample(100);
    for (let len = 0; len <= 100; len++) expect(bytesToBinary(bytes, 0, len)).toBe(reference(bytes, 0, len));
    expect(Math.min(...lengths)).toBe(33);
    expect(lengths).toHaveLength(100 - 32);
  });
});

describe('ByteWriter', () => {
  it('writes integers exactly as String(n) prints them', () => {
    const values = [0, -0, 1, -1, 9, 10, -10, 99, 100, 12345, -98765, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1];
    for (const n of [...values, 2 ** 53 - 1, -(2 ** 53 - 1), 1.5, -0.25]) {
      expect(written((w) => w.decimal(n))).toBe(String(n));
    }
  });

  it('appends short and long byte runs, CRLF and single bytes in order', () => {
    const short = sample(5);
    const long = sample(40);
    const out = written((w) => {
      w.bytes(short);
      w.crlf();
      w.bytes(long);
      w.byte(42);
    });
    expect(out).toBe(reference(short, 0, 5) + '\r\n' + reference(long, 0, 40) + '*');
  });
});
