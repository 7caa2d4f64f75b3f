import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToBinary } from '../bytes.js';
import type { RedisValue } from '../store/database.js';
import { Deque } from '../store/deque.js';
import { ChunkSink } from './chunk-sink.js';
import { RdbError } from './rdb-error.js';
import { RdbReader } from './rdb-reader.js';
import { concat, makeDbs, plain, plainDbs, readAll, split, zset } from './rdb-test-support.js';
import { writeLength, writeRdb, writeString } from './rdb-writer.js';

const NOW = 1_700_000_000_000;

/** A hand-made RDB file: header, `body`, EOF, then a correct, zero or no checksum. */
function rdbFile(version: number, body: (s: ChunkSink) => void, checksum: 'crc' | 'zero' | 'none' = 'crc'): Uint8Array {
  const s = new ChunkSink(64);
  s.binary(`REDIS${String(version).padStart(4, '0')}`);
  body(s);
  s.byte(0xff);
  if (checksum === 'crc') s.bytes(s.checksumLE());
  else if (checksum === 'zero') s.bytes(new Uint8Array(8));
  return s.collect();
}

function oneKey(type: number, value: (s: ChunkSink) => void, version = 10): Uint8Array {
  return rdbFile(version, (s) => {
    s.byte(0xfe);
    writeLength(s, 0);
    s.byte(type);
    writeString(s, 'k');
    value(s);
  });
}

function readOne(file: Uint8Array): RedisValue | undefined {
  return readAll([file]).dbs[0].dict.get('k');
}

function rdbErrorOf(fn: () => void): RdbError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RdbError);
    return e as RdbError;
  }
  throw new Error('expected an RdbError');
}

const binary = fc.uint8Array({ maxLength: 40 }).map((b) => bytesToBinary(b));
const element = fc.oneof(binary, fc.integer().map(String), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), fc.constant('a'.repeat(100)));
const value: fc.Arbitrary<RedisValue> = fc.oneof(
  element,
  fc.array(element, { minLength: 1, maxLength: 20 }).map((items) => new Deque(items)),
  fc.uniqueArray(fc.tuple(element, element), { minLength: 1, maxLength: 20, selector: ([f]) => f }).map((pairs) => new Map(pairs)),
  fc.uniqueArray(element, { minLength: 1, maxLength: 20 }).map((items) => new Set(items)),
  fc
    .uniqueArray(fc.tuple(element, fc.double({ noNaN: true })), { minLength: 1, maxLength: 20, selector: ([m]) => m })
    .map((pairs) => zset(pairs)),
);
const database = fc.dictionary(
  binary,
  fc.tuple(value, fc.option(fc.integer({ min: 0, max: 2 ** 45 }), { nil: -1 })),
  { maxKeys: 12 },
);
const dataset = fc.dictionary(fc.integer({ min: 0, max: 15 }).map(String), database, { maxKeys: 4 });

describe('RdbReader', () => {
  it('reads back whatever the writer wrote, split into arbitrary chunks', () => {
    fc.assert(
      fc.property(dataset, fc.array(fc.nat(), { maxLength: 30 }), fc.boolean(), (content, cuts, compress) => {
        const dbs = makeDbs(content as unknown as Record<number, Record<string, [RedisValue, number]>>);
        const file = concat(writeRdb({ dbs, now: NOW, replId: 'r'.repeat(40), replOffset: 7, replStreamDb: 0 }, { compress }));
        const back = readAll(split(file, cuts));
        expect(plainDbs(back.dbs)).toEqual(plainDbs(dbs));
        expect(back.checksumOk).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('reads a file fed one byte at a time, reporting aux fields, databases and the end in order', () => {
    const dbs = makeDbs({
      0: { s: 'v', n: '300', l: new Deque(['x', '1', 'y'.repeat(40)]), h: new Map([['f', 'v']]) },
      3: { set: new Set(['a', '2']), z: zset([['m', 2.5]]), t: ['e', NOW + 1] },
    });
    const file = concat(writeRdb({ dbs, now: NOW }));
    const bytes = Array.from(file, (b) => new Uint8Array([b]));
    const back = readAll(bytes);
    expect(plainDbs(back.dbs)).toEqual(plainDbs(dbs));
    expect(back.aux[0]).toEqual(['redis-ver', '7.0.15']);
    expect(back.events).toEqual(['select 0', 'resize 4 0', 'select 3', 'resize 3 1', 'end']);
    expect(back.reader.done).toBe(true);
    expect(back.reader.version).toBe(10);
  });

  it('reports a truncated file as RdbError at end(), whatever the cut', () => {
    const dbs = makeDbs({ 0: { s: 'v'.repeat(30), l: new Deque(['1', '2']), z: zset([['a', 1]]) }, 1: { t: ['x', NOW] } });
    const file = concat(writeRdb({ dbs, now: NOW }));
    for (let cut = 0; cut < file.length; cut++) {
      const reader = new RdbReader({ onKey: () => {} });
      reader.push(file.subarray(0, cut));
      const err = rdbErrorOf(() => reader.end());
      expect(err.message).toMatch(/truncated/);
      // The reader stays failed.
      expect(() => reader.push(file.subarray(cut))).toThrow(RdbError);
    }
  });

  it('rejects any single flipped byte with an RdbError (checksum or format), never another error', () => {
    const dbs = makeDbs({ 0: { s: 'hello', l: new Deque(['a', 'b']), h: new Map([['f', '1']]) } });
    const file = concat(writeRdb({ dbs, now: NOW }));
    for (let i = 9; i < file.length; i++) {
      const bad = file.slice();
      bad[i] ^= 0x5a;
      const err = rdbErrorOf(() => readAll([bad]));
      expect(err.message.length).toBeGreaterThan(0);
    }
  });

  it('names a checksum mismatch', () => {
    const file = concat(writeRdb({ dbs: makeDbs({ 0: { key: 'value' } }), now: NOW }));
    const bad = file.slice();
    bad[bad.length - 12] ^= 1; // inside "value": still well-formed
    expect(rdbErrorOf(() => readAll([bad])).message).toMatch(/^Wrong RDB checksum: expected [0-9a-f]{16} but got [0-9a-f]{16} \(bad checksum\)$/);
  });

  it('accepts a zero checksum (rdbchecksum off) and files before version 5 without one, reporting checksumOk false', () => {
    const body = (s: ChunkSink) => {
      s.byte(0);
      writeString(s, 'k');
      writeString(s, 'v');
    };
    const zero = readAll([rdbFile(10, body, 'zero')]);
    expect(zero.checksumOk).toBe(false);
    expect(zero.dbs[0].dict.get('k')).toBe('v');
    const old = readAll([rdbFile(4, body, 'none')]);
    expect(old.checksumOk).toBe(false);
    expect(old.dbs[0].dict.get('k')).toBe('v');
  });

  it('rejects a bad magic, a malformed version and versions above 10', () => {
    expect(rdbErrorOf(() => readAll([new TextEncoder().encode('RADIS0010\xff')])).message).toMatch(/bad magic/);
    expect(rdbErrorOf(() => readAll([new TextEncoder().encode('REDIS00x0')])).message).toBe("Bad RDB version '00x0'");
    expect(rdbErrorOf(() => readAll([rdbFile(11, () => {})])).message).toBe("Can't handle RDB format version 11 (this reader supports 1 to 10)");
    expect(rdbErrorOf(() => readAll([rdbFile(0, () => {}, 'none')])).message).toMatch(/version 0/);
  });

  it('rejects unknown value types, and modules as unsupported', () => {
    expect(rdbErrorOf(() => readAll([oneKey(30, () => {})])).message).toBe('Unknown RDB value type 30');
    expect(rdbErrorOf(() => readAll([oneKey(8, () => {})])).message).toBe('Unknown RDB value type 8');
    for (const type of [6, 7]) {
      expect(rdbErrorOf(() => readAll([oneKey(type, () => {})])).message).toMatch(/^unsupported type: module \(RDB type \d+\)$/);
    }
    // Streams are read (stream-rdb.test.ts); a key with no stream body after it is corrupt, not unsupported.
    for (const type of [15, 19, 21]) expect(rdbErrorOf(() => readAll([oneKey(type, () => {})])).message).not.toMatch(/unsupported/);
    const moduleAux = rdbFile(10, (s) => s.byte(247));
    expect(rdbErrorOf(() => readAll([moduleAux])).message).toMatch(/unsupported type/);
  });

  it('reads old files: EXPIRETIME in seconds and RDB_TYPE_ZSET with text scores', () => {
    const file = rdbFile(
      3,
      (s) => {
        s.byte(0xfd);
        s.bytes(new Uint8Array([0x10, 0x20, 0x30, 0x40])); // 0x40302010 s
        s.byte(3);
        writeString(s, 'z');
        writeLength(s, 3);
        writeString(s, 'a');
        s.byte(3);
        s.binary('1.5');
        writeString(s, 'b');
        s.byte(254);
        writeString(s, 'c');
        s.byte(255);
      },
      'none',
    );
    const back = readAll([file]);
    expect(plain(back.dbs[0].dict.get('z')!)).toEqual({ zset: [['c', -Infinity], ['a', 1.5], ['b', Infinity]] });
    expect(back.dbs[0].expires.get('z')).toBe(0x40302010 * 1000);
  });

  it('rejects NaN scores and duplicate members as Redis does', () => {
    const nan = oneKey(3, (s) => {
      writeLength(s, 1);
      writeString(s, 'a');
      s.byte(253);
    });
    expect(rdbErrorOf(() => readAll([nan])).message).toBe('Zset with NAN score detected');
    const dupSet = oneKey(2, (s) => {
      writeLength(s, 2);
      writeString(s, 'a');
      writeString(s, 'a');
    });
    expect(rdbErrorOf(() => readAll([dupSet])).message).toBe('Duplicate set members detected');
    const dupHash = oneKey(4, (s) => {
      writeLength(s, 2);
      for (let i = 0; i < 2; i++) {
        writeString(s, 'f');
        writeString(s, String(i));
      }
    });
    expect(rdbErrorOf(() => readAll([dupHash])).message).toBe('Duplicate hash fields detected');
  });

  it('skips empty aggregates, as Redis does when loading', () => {
    const file = rdbFile(10, (s) => {
      for (const type of [1, 2, 4, 5]) {
        s.byte(type);
        writeString(s, `empty${type}`);
        writeLength(s, 0);
      }
      s.byte(0);
      writeString(s, 'kept');
      writeString(s, '');
    });
    const back = readAll([file]);
    expect([...back.dbs[0].dict.keys()]).toEqual(['kept']);
  });

  it('reads quicklist 2 nodes, packed and plain, and listpack hashes and sorted sets', () => {
    // A listpack with "a", 5 and the plain node "big": written as Redis 7.0 does.
    const lp = new Uint8Array([13, 0, 0, 0, 2, 0, 0x81, 0x61, 2, 5, 1, 0xff]);
    lp[0] = lp.length;
    const list = oneKey(18, (s) => {
      writeLength(s, 2);
      writeLength(s, 2);
      writeLength(s, lp.length);
      s.bytes(lp);
      writeLength(s, 1);
      writeString(s, 'big');
    });
    expect(plain(readOne(list)!)).toEqual({ list: ['a', '5', 'big'] });
    const hashLp = new Uint8Array([0, 0, 0, 0, 2, 0, 0x81, 0x66, 2, 7, 1, 0xff]);
    hashLp[0] = hashLp.length;
    const hash = oneKey(16, (s) => {
      writeLength(s, hashLp.length);
      s.bytes(hashLp);
    });
    expect(plain(readOne(hash)!)).toEqual({ hash: [['f', '7']] });
    // Entries "a", "-inf", "b", "1.5": scores are text (or integer) entries.
    const z = [0, 0, 0, 0, 4, 0, 0x81, 0x61, 2, 0x84, ...Array.from('-inf', (c) => c.charCodeAt(0)), 5, 0x81, 0x62, 2, 0x83, ...Array.from('1.5', (c) => c.charCodeAt(0)), 4, 0xff];
    z[0] = z.length;
    const zs = oneKey(17, (s) => {
      writeLength(s, z.length);
      s.bytes(new Uint8Array(z));
    });
    expect(plain(readOne(zs)!)).toEqual({ zset: [['a', -Infinity], ['b', 1.5]] });
  });

  it('reports function libraries, skips LRU/LFU hints and keeps bytes after the checksum', () => {
    const file = rdbFile(10, (s) => {
      s.byte(245);
      writeString(s, '#!lua name=lib\nreturn 1');
      s.byte(248);
      writeLength(s, 1000);
      s.byte(249);
      s.byte(7);
      s.byte(0);
      writeString(s, 'k');
      writeString(s, 'v');
    });
    const seen: string[] = [];
    const r2 = new RdbReader({ onKey: (_db, k) => seen.push(`key ${k}`), onFunction: (c) => seen.push(c) });
    r2.push(concat([file, new TextEncoder().encode('EOFMARK')]));
    r2.push(new TextEncoder().encode('!!'));
    r2.end();
    expect(seen).toEqual(['#!lua name=lib\nreturn 1', 'key k']);
    expect(new TextDecoder().decode(r2.takeRemaining())).toBe('EOFMARK!!');
    const exact = new RdbReader({ onKey: () => {} });
    exact.push(file);
    exact.end();
    expect(exact.takeRemaining().length).toBe(0);
  });

  it('lets a handler error through unchanged and stays failed', () => {
    const file = concat(writeRdb({ dbs: makeDbs({ 0: { a: '1', b: '2' } }), now: NOW }));
    const boom = new Error('handler failed');
    const reader = new RdbReader({
      onKey: () => {
        throw boom;
      },
    });
    expect(() => reader.push(file)).toThrow(boom);
    expect(() => reader.end()).toThrow(boom);
  });

  it('copies a large string once, not once per chunk (a 5 MB value in 1 KiB pushes)', () => {
    const big = 'b'.repeat(5_000_000);
    const file = concat(writeRdb({ dbs: makeDbs({ 0: { big } }), now: NOW }, { compress: false }));
    const started = Date.now();
    const back = readAll(split(file, Array.from({ length: Math.ceil(file.length / 1024) }, (_, i) => i * 1024)));
    expect(back.dbs[0].dict.get('big')).toBe(big);
    // Quadratic re-copying would take minutes here.
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
