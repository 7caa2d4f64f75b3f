import { describe, expect, it } from 'vitest';
import { binaryToBytes, bytesToBinary } from '../bytes.js';
import { Deque } from '../store/deque.js';
import { Crc64 } from './crc64.js';
import { createDumpPayload, decodeDumpPayload, verifyDumpPayload } from './dump-payload.js';
import { RdbError } from './rdb-error.js';
import { plain, zset } from './rdb-test-support.js';

function hex(s: string): Uint8Array {
  return new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
}

/** Payloads stock redis-server 7.0.15 returned for DUMP. */
const REDIS = {
  // SET str hello
  str: '000568656c6c6f0a006372df766534200a',
  // SET int 12345
  int: '00c139300a009d94ea2793fc08b9',
  // SET long <"ab" x 50>: LZF
  long: '00c30a406402616261e056010161620a0017383d942096d863',
  // RPUSH l 5 -100 1000 100000 -8388608 2147483647 -2147483648 INT64_MAX INT64_MIN abc "" <"y" x 100>
  list:
    '120102c3404540a71ea70000000c000501df9c02c3e802f2a0860104f200008004f3ffffff7f05f3201d028005f4200b4000027f09f4200f40000b800983616263048001e06479e05a000166ff0a0058e6d903ee22b53b',
  // RPUSH pl a <"z" x 200> b, with DEBUG QUICKLIST-PACKED-THRESHOLD 100: a plain node between two packed ones
  plainList:
    '1203020a0a0000000100816102ff01c30940c8017a7ae0bb00017a7a020a0a0000000100816202ff0a000f037ac3ff2ee8b3',
  // HSET h f1 v1 n 123 neg -5
  hash: '101c1c00000006008266310382763103816e027b01836e656704dffb02ff0a00fbeb87d8110f5c65',
  // SADD s 1 -2 300
  intset: '0b0e0200000003000000feff01002c010a005b0aa862f794600a',
  // ZADD z 1.5 a -inf b 3 c 1e300 d
  zset: '11c331391f390000000800816202842d696e660581610283312e350481630203018164029702312e30e005000731652b33303018ff0a004c5aa102d5df1b22',
};

describe('DUMP payloads', () => {
  it('writes strings byte for byte as Redis 7.0 does: type, encoding, version 10, CRC-64', () => {
    expect(bytesToBinary(hex(REDIS.str))).toBe(createDumpPayload('hello'));
    expect(bytesToBinary(hex(REDIS.int))).toBe(createDumpPayload('12345'));
  });

  it('reads every payload stock Redis 7.0 produced', () => {
    const decode = (h: string) => plain(decodeDumpPayload(hex(h)));
    expect(decode(REDIS.str)).toBe('hello');
    expect(decode(REDIS.int)).toBe('12345');
    expect(decode(REDIS.long)).toBe('ab'.repeat(50));
    expect(decode(REDIS.list)).toEqual({
      list: ['5', '-100', '1000', '100000', '-8388608', '2147483647', '-2147483648', '9223372036854775807', '-9223372036854775808', 'abc', '', 'y'.repeat(100)],
    });
    expect(decode(REDIS.plainList)).toEqual({ list: ['a', 'z'.repeat(200), 'b'] });
    expect(decode(REDIS.hash)).toEqual({ hash: [['f1', 'v1'], ['n', '123'], ['neg', '-5']] });
    expect(decode(REDIS.intset)).toEqual({ set: ['-2', '1', '300'] });
    expect(decode(REDIS.zset)).toEqual({ zset: [['b', -Infinity], ['a', 1.5], ['c', 3], ['d', 1e300]] });
    for (const h of Object.values(REDIS)) expect(verifyDumpPayload(hex(h))).toBe(true);
  });

  it('round-trips every type', () => {
    const values = [
      '',
      'x'.repeat(100_000),
      '\u0000\u00ff',
      new Deque(['a', '1', 'b'.repeat(70_000)]),
      new Map([['f', 'v'], ['', '']]),
      new Set(['1', 'two']),
      zset([['a', 1], ['b', -0.5], ['c', Infinity]]),
    ];
    for (const v of values) {
      const payload = binaryToBytes(createDumpPayload(v));
      expect(verifyDumpPayload(payload)).toBe(true);
      expect(plain(decodeDumpPayload(payload))).toEqual(plain(v));
    }
  });

  it('fails verification for short payloads, newer RDB versions and wrong checksums', () => {
    const good = hex(REDIS.str);
    expect(verifyDumpPayload(good.subarray(0, 9))).toBe(false);
    const flipped = good.slice();
    flipped[3] ^= 1;
    expect(verifyDumpPayload(flipped)).toBe(false);
    // Version 11 (Redis 7.2) with a correct checksum is still refused, as by Redis 7.0.
    const v11 = good.slice();
    v11[v11.length - 10] = 11;
    v11.set(new Crc64().update(v11, 0, v11.length - 8).toBytesLE(), v11.length - 8);
    expect(verifyDumpPayload(v11)).toBe(false);
    // Older versions are fine.
    const v9 = good.slice();
    v9[v9.length - 10] = 9;
    v9.set(new Crc64().update(v9, 0, v9.length - 8).toBytesLE(), v9.length - 8);
    expect(verifyDumpPayload(v9)).toBe(true);
  });

  it('refuses bodies that are not one valid value: empty aggregates, truncation, unknown or unsupported types', () => {
    const withFooter = (body: number[]) => {
      const p = new Uint8Array([...body, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      p.set(new Crc64().update(p, 0, p.length - 8).toBytesLE(), p.length - 8);
      return p;
    };
    expect(() => decodeDumpPayload(withFooter([2, 0]))).toThrow(RdbError); // empty set
    expect(() => decodeDumpPayload(withFooter([0, 5, 0x61]))).toThrow('truncated');
    expect(() => decodeDumpPayload(withFooter([8, 0]))).toThrow('Unknown RDB value type 8');
    expect(() => decodeDumpPayload(withFooter([6, 0]))).toThrow('unsupported type');
    expect(() => decodeDumpPayload(withFooter([19, 0]))).toThrow('truncated'); // a stream cut after its node count
    expect(() => decodeDumpPayload(withFooter([]))).toThrow(RdbError);
  });
});
