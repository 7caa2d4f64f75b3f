import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RdbError } from './rdb-error.js';
import { decodeIntset, decodeListpack, decodeZiplist, decodeZipmap } from './packed-encodings.js';

function hex(s: string): Uint8Array {
  return new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
}

function le(value: bigint, bytes: number): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(bytes * 8, value);
  for (let i = 0; i < bytes; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

function ascii(s: string): number[] {
  return Array.from(s, (c) => c.charCodeAt(0));
}

type Item = string | bigint;

/** Encodes a listpack as Redis's listpack.c does (test-side, from the format description). */
function listpack(items: Item[], declared = items.length): Uint8Array {
  const body: number[] = [];
  for (const item of items) {
    let entry: number[];
    if (typeof item === 'bigint') {
      const v = item;
      if (v >= 0n && v <= 127n) entry = [Number(v)];
      else if (v >= -4096n && v <= 4095n) {
        const u = Number(BigInt.asUintN(13, v));
        entry = [0xc0 | (u >> 8), u & 0xff];
      } else if (v >= -32768n && v <= 32767n) entry = [0xf1, ...le(v, 2)];
      else if (v >= -8388608n && v <= 8388607n) entry = [0xf2, ...le(v, 3)];
      else if (v >= -2147483648n && v <= 2147483647n) entry = [0xf3, ...le(v, 4)];
      else entry = [0xf4, ...le(v, 8)];
    } else {
      const n = item.length;
      if (n < 64) entry = [0x80 | n, ...ascii(item)];
      else if (n < 4096) entry = [0xe0 | (n >> 8), n & 0xff, ...ascii(item)];
      else entry = [0xf0, ...le(BigInt(n), 4), ...ascii(item)];
    }
    const l = entry.length;
    const back = l <= 127 ? [l] : l < 16383 ? [l >> 7, (l & 127) | 128] : [l >> 14, ((l >> 7) & 127) | 128, (l & 127) | 128];
    body.push(...entry, ...back);
  }
  const total = 6 + body.length + 1;
  return new Uint8Array([...le(BigInt(total), 4), ...le(BigInt(declared), 2), ...body, 0xff]);
}

/** Encodes a ziplist as Redis's ziplist.c did (test-side, from the format description). */
function ziplist(items: Item[], declared = items.length): Uint8Array {
  const entries: number[][] = [];
  let prev = 0;
  for (const item of items) {
    let enc: number[];
    if (typeof item === 'bigint') {
      const v = item;
      if (v >= 0n && v <= 12n) enc = [0xf1 + Number(v)];
      else if (v >= -128n && v <= 127n) enc = [0xfe, ...le(v, 1)];
      else if (v >= -32768n && v <= 32767n) enc = [0xc0, ...le(v, 2)];
      else if (v >= -8388608n && v <= 8388607n) enc = [0xf0, ...le(v, 3)];
      else if (v >= -2147483648n && v <= 2147483647n) enc = [0xd0, ...le(v, 4)];
      else enc = [0xe0, ...le(v, 8)];
    } else {
      const n = item.length;
      if (n <= 63) enc = [n];
      else if (n <= 16383) enc = [0x40 | (n >> 8), n & 0xff];
      else enc = [0x80, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
      enc.push(...ascii(item));
    }
    const entry = [...(prev < 254 ? [prev] : [0xfe, ...le(BigInt(prev), 4)]), ...enc];
    entries.push(entry);
    prev = entry.length;
  }
  const body = entries.flat();
  const tail = 10 + body.length - (entries.length ? entries[entries.length - 1].length : 0);
  const total = 10 + body.length + 1;
  return new Uint8Array([...le(BigInt(total), 4), ...le(BigInt(tail), 4), ...le(BigInt(declared), 2), ...body, 0xff]);
}

const EVERY_INT = [0n, 5n, 12n, 13n, 127n, 128n, -1n, -100n, 4095n, -4096n, 4096n, 30000n, -32768n, 100000n, -8388608n, 8388607n, 2147483647n, -2147483648n, 2147483648n, 9223372036854775807n, -9223372036854775808n];
const EVERY_STRING = ['', 'a', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(4095), 'w'.repeat(4096), 'v'.repeat(20000), '\u0000\u00ff\u0080'];

describe('listpack', () => {
  it('decodes a listpack stock Redis 7.0 wrote (a small hash)', () => {
    // DUMP of HSET h f1 v1 n 123 neg -5: 16 1c <28-byte listpack> ...
    expect(decodeListpack(hex('1c00000006008266310382763103816e027b01836e656704dffb02ff'))).toEqual(['f1', 'v1', 'n', '123', 'neg', '-5']);
  });

  it('decodes every integer and string encoding', () => {
    const items: Item[] = [...EVERY_INT, ...EVERY_STRING];
    expect(decodeListpack(listpack(items))).toEqual(items.map(String));
  });

  it('decodes arbitrary mixes of entries', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.string({ maxLength: 200 }).map((s) => s.replace(/[^\x00-\xff]/g, '?')))), (items) => {
        expect(decodeListpack(listpack(items))).toEqual(items.map(String));
      }),
    );
  });

  it('accepts the "unknown count" header 65535 and rejects a wrong count, size, terminator or back-length', () => {
    expect(decodeListpack(listpack(['a', 1n], 65535))).toEqual(['a', '1']);
    expect(() => decodeListpack(listpack(['a', 1n], 3))).toThrow(RdbError);
    const good = listpack(['abc']);
    const badSize = good.slice();
    badSize[0]++;
    expect(() => decodeListpack(badSize)).toThrow('Listpack integrity check failed');
    const badEnd = good.slice();
    badEnd[badEnd.length - 1] = 0;
    expect(() => decodeListpack(badEnd)).toThrow(RdbError);
    const badBack = good.slice();
    badBack[badBack.length - 2] = 9;
    expect(() => decodeListpack(badBack)).toThrow(RdbError);
    // A string entry claiming more bytes than the listpack holds.
    expect(() => decodeListpack(new Uint8Array([9, 0, 0, 0, 1, 0, 0x85, 0x61, 0xff]))).toThrow(RdbError);
    // 0xf5..0xfe are no encoding.
    expect(() => decodeListpack(new Uint8Array([9, 0, 0, 0, 1, 0, 0xf5, 1, 0xff]))).toThrow(RdbError);
  });
});

describe('ziplist', () => {
  it('decodes every integer and string encoding, including 5-byte previous lengths', () => {
    const items: Item[] = [...EVERY_INT, ...EVERY_STRING, 7n];
    expect(decodeZiplist(ziplist(items))).toEqual(items.map(String));
  });

  it('decodes arbitrary mixes of entries', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.string({ maxLength: 300 }).map((s) => s.replace(/[^\x00-\xff]/g, '?')))), (items) => {
        expect(decodeZiplist(ziplist(items))).toEqual(items.map(String));
      }),
    );
  });

  it('rejects a wrong count, size or terminator and entries running past the end', () => {
    expect(() => decodeZiplist(ziplist(['a'], 2))).toThrow('Ziplist integrity check failed');
    const good = ziplist(['hello']);
    const short = good.slice(0, good.length - 3);
    short[0] = short.length;
    short[short.length - 1] = 0xff;
    expect(() => decodeZiplist(short)).toThrow(RdbError);
    const noEnd = good.slice();
    noEnd[noEnd.length - 1] = 1;
    expect(() => decodeZiplist(noEnd)).toThrow(RdbError);
  });
});

describe('intset', () => {
  it('decodes a 16-bit intset stock Redis 7.0 wrote, and 32- and 64-bit ones', () => {
    expect(decodeIntset(hex('0200000003000000feff01002c01'))).toEqual(['-2', '1', '300']);
    expect(decodeIntset(new Uint8Array([4, 0, 0, 0, 2, 0, 0, 0, ...le(-70000n, 4), ...le(70000n, 4)]))).toEqual(['-70000', '70000']);
    expect(decodeIntset(new Uint8Array([8, 0, 0, 0, 1, 0, 0, 0, ...le(-(2n ** 63n), 8)]))).toEqual(['-9223372036854775808']);
  });

  it('rejects a bad width, a length that does not match, and an empty intset', () => {
    expect(() => decodeIntset(new Uint8Array([3, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3]))).toThrow('Intset integrity check failed');
    expect(() => decodeIntset(new Uint8Array([2, 0, 0, 0, 2, 0, 0, 0, 1, 0]))).toThrow(RdbError);
    expect(() => decodeIntset(new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]))).toThrow(RdbError);
  });
});

describe('zipmap', () => {
  it('decodes field/value pairs with free space and 5-byte lengths', () => {
    const big = 'q'.repeat(300);
    const bytes = new Uint8Array([
      2,
      2, ...ascii('f1'), 2, 0, ...ascii('v1'),
      2, ...ascii('f2'), 254, ...le(300n, 4), 3, ...ascii(big), 0, 0, 0,
      0xff,
    ]);
    expect(decodeZipmap(bytes)).toEqual(['f1', 'v1', 'f2', big]);
  });

  it('rejects a zipmap that runs past its end', () => {
    expect(() => decodeZipmap(new Uint8Array([1, 5, 0x61, 0xff]))).toThrow('Zipmap integrity check failed');
    expect(() => decodeZipmap(new Uint8Array([1, 1, 0x61]))).toThrow(RdbError);
  });
});
