import { describe, expect, it } from 'vitest';
import { Database, type RedisValue } from '../store/database.js';
import { Deque } from '../store/deque.js';
import { ChunkSink } from './chunk-sink.js';
import { crc64 } from './crc64.js';
import { lzfDecompress } from './lzf.js';
import { bin, concat, makeDbs, plainDbs, readAll, zset } from './rdb-test-support.js';
import { writeLength, writeRdb, writeString } from './rdb-writer.js';

function encoded(write: (sink: ChunkSink) => void): number[] {
  const sink = new ChunkSink(16);
  write(sink);
  return Array.from(sink.collect());
}

const NOW = 1_700_000_123_456;

describe('writeLength', () => {
  it('uses the 6-bit, 14-bit, 32-bit and 64-bit big-endian forms at their boundaries', () => {
    expect(encoded((s) => writeLength(s, 0))).toEqual([0x00]);
    expect(encoded((s) => writeLength(s, 63))).toEqual([0x3f]);
    expect(encoded((s) => writeLength(s, 64))).toEqual([0x40, 0x40]);
    expect(encoded((s) => writeLength(s, 16383))).toEqual([0x7f, 0xff]);
    expect(encoded((s) => writeLength(s, 16384))).toEqual([0x80, 0x00, 0x00, 0x40, 0x00]);
    expect(encoded((s) => writeLength(s, 0xffffffff))).toEqual([0x80, 0xff, 0xff, 0xff, 0xff]);
    expect(encoded((s) => writeLength(s, 2 ** 32))).toEqual([0x81, 0, 0, 0, 1, 0, 0, 0, 0]);
  });
});

describe('writeString', () => {
  it('integer-encodes canonical int32 decimals as Redis does (int8, int16, int32, little-endian)', () => {
    expect(encoded((s) => writeString(s, '0'))).toEqual([0xc0, 0x00]);
    expect(encoded((s) => writeString(s, '-128'))).toEqual([0xc0, 0x80]);
    expect(encoded((s) => writeString(s, '127'))).toEqual([0xc0, 0x7f]);
    expect(encoded((s) => writeString(s, '128'))).toEqual([0xc1, 0x80, 0x00]);
    expect(encoded((s) => writeString(s, '-32768'))).toEqual([0xc1, 0x00, 0x80]);
    expect(encoded((s) => writeString(s, '12345'))).toEqual([0xc1, 0x39, 0x30]);
    expect(encoded((s) => writeString(s, '32768'))).toEqual([0xc2, 0x00, 0x80, 0x00, 0x00]);
    expect(encoded((s) => writeString(s, '2147483647'))).toEqual([0xc2, 0xff, 0xff, 0xff, 0x7f]);
    expect(encoded((s) => writeString(s, '-2147483648'))).toEqual([0xc2, 0x00, 0x00, 0x00, 0x80]);
  });

  it('stores non-canonical or out-of-range integers verbatim', () => {
    for (const s of ['2147483648', '-2147483649', '007', '-0', '+5', ' 5', '5 ', '1e3', '']) {
      expect(encoded((sink) => writeString(sink, s))).toEqual([s.length, ...Array.from(s, (c) => c.charCodeAt(0))]);
    }
  });

  it('LZF-compresses strings over 20 bytes when that saves 4 bytes, and only then', () => {
    const long = 'ab'.repeat(50);
    const bytes = encoded((s) => writeString(s, long));
    expect(bytes[0]).toBe(0xc3);
    const clen = bytes[1];
    expect(bytes[2]).toBe(0x40);
    expect(bytes[3]).toBe(100);
    expect(bin(lzfDecompress(new Uint8Array(bytes.slice(4)), 100)!)).toBe(long);
    expect(bytes.length).toBe(4 + clen);

    expect(encoded((s) => writeString(s, 'a'.repeat(20)))[0]).toBe(20); // 20 bytes: never compressed
    const noisy = Array.from({ length: 30 }, (_, i) => String.fromCharCode((i * 97 + 13) % 256)).join('');
    expect(encoded((s) => writeString(s, noisy))[0]).toBe(30); // incompressible
    expect(encoded((s) => writeString(s, long, false)).slice(0, 2)).toEqual([0x40, 100]); // compression off
  });
});

describe('writeRdb', () => {
  it('writes the header, Redis 7.0 aux fields, SELECTDB/RESIZEDB, EXPIRETIME_MS, EOF and CRC-64', () => {
    const dbs = makeDbs({ 0: { k: '12' }, 2: { t: ['v', 0x0102030405] } }, 4);
    const file = concat(writeRdb({ dbs, now: NOW, replId: 'f'.repeat(40), replOffset: 1234, replStreamDb: 2, usedMem: 999 }));
    expect(bin(file.subarray(0, 9))).toBe('REDIS0010');
    const { aux, events, checksumOk } = readAll([file]);
    expect(aux).toEqual([
      ['redis-ver', '7.0.15'],
      ['redis-bits', '64'],
      ['ctime', String(Math.floor(NOW / 1000))],
      ['used-mem', '999'],
      ['repl-stream-db', '2'],
      ['repl-id', 'f'.repeat(40)],
      ['repl-offset', '1234'],
      ['aof-base', '0'],
    ]);
    expect(events).toEqual(['select 0', 'resize 1 0', 'select 2', 'resize 1 1', 'end']);
    expect(checksumOk).toBe(true);

    const tail = Array.from(file.subarray(file.length - 38, file.length - 8));
    expect(tail).toEqual([
      0xfe, 0x00, 0xfb, 0x01, 0x00, // SELECTDB 0, RESIZEDB 1 0
      0x00, 0x01, 0x6b, 0xc0, 0x0c, // string "k" = int8 12
      0xfe, 0x02, 0xfb, 0x01, 0x01, // SELECTDB 2, RESIZEDB 1 1
      0xfc, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00, 0x00, 0x00, // EXPIRETIME_MS, little-endian
      0x00, 0x01, 0x74, 0x01, 0x76, // string "t" = "v"
      0xff, // EOF
    ]);
    const sum = crc64(file, 0n, 0, file.length - 8);
    expect(new DataView(file.buffer, file.byteOffset + file.length - 8).getBigUint64(0, true)).toBe(sum);
  });

  it('leaves out the replication aux fields without a replication id, and empty databases entirely', () => {
    const file = concat(writeRdb({ dbs: makeDbs({}, 16), now: NOW }));
    const { aux, events } = readAll([file]);
    expect(aux.map(([n]) => n)).toEqual(['redis-ver', 'redis-bits', 'ctime', 'used-mem', 'aof-base']);
    expect(events).toEqual(['end']);
  });

  it('leaves out empty aggregates, which Redis would refuse to store', () => {
    const dbs = makeDbs({ 0: { list: new Deque(), set: new Set(), kept: 'v' } });
    const back = readAll(writeRdb({ dbs, now: NOW }));
    expect([...back.dbs[0].dict.keys()]).toEqual(['kept']);
  });

  it('encodes every type so that it reads back identically', () => {
    const content: Record<string, RedisValue | [RedisValue, number]> = {
      str: 'hello',
      int: '-42',
      big: 'x'.repeat(70_000),
      '\u0000bin\u00ff': '\u0001\u0002\u00fe',
      list: new Deque(['a', '1', '', 'b'.repeat(300)]),
      hash: new Map([['f', 'v'], ['n', '7']]),
      set: new Set(['1', '2', 'three']),
      zs: zset([['a', 1.5], ['b', -Infinity], ['c', Infinity], ['d', -0], ['e', 1e-300]]),
      ttl: ['soon', NOW + 5000],
    };
    const dbs = makeDbs({ 0: content, 9: { other: 'db' } });
    const back = readAll(writeRdb({ dbs, now: NOW }));
    expect(plainDbs(back.dbs)).toEqual(plainDbs(dbs));
  });

  it('yields chunks of exactly chunkSize (but the last), lazily, key by key', () => {
    let visited = 0;
    const db = new Database(0);
    const entries: Array<[string, RedisValue]> = [];
    for (let i = 0; i < 2000; i++) entries.push([`key:${i}`, `value:${i}:${'z'.repeat(i % 50)}`]);
    entries.push(['huge', 'q'.repeat(300_000)]);
    entries.push(['list', new Deque(Array.from({ length: 5000 }, (_, i) => `item ${i}`))]);
    db.dict = new (class extends Map<string, RedisValue> {
      override *[Symbol.iterator](): MapIterator<[string, RedisValue]> {
        for (const e of super[Symbol.iterator]()) {
          visited++;
          yield e;
        }
      }
    })(entries);
    const gen = writeRdb({ dbs: [db], now: NOW }, { chunkSize: 1024, compress: false });
    const first = gen.next();
    expect(first.done).toBe(false);
    expect(first.value!.length).toBe(1024);
    expect(visited).toBeLessThan(100);
    const rest = [...gen];
    const chunks = [first.value!, ...rest];
    for (const c of chunks.slice(0, -1)) expect(c.length).toBe(1024);
    expect(chunks[chunks.length - 1].length).toBeLessThanOrEqual(1024);
    expect(chunks.length).toBeGreaterThan(300);
    expect(plainDbs(readAll(chunks).dbs)).toEqual(plainDbs([db]));
  });
});
