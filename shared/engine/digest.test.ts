import { describe, expect, it } from 'vitest';
import { datasetDigest, digestHex, keyValueDigest, mixDigest, xorDigest } from './digest.js';
import { sha1 } from '../sha1.js';
import { Database, type RedisValue } from '../store/database.js';
import { Deque } from '../store/deque.js';
import { SortedSet } from '../store/sorted-set.js';
import { Stream, streamId } from '../store/stream.js';

/** Databases 0..15 with the given keys (value, or [value, expire ms]) in database `db`. */
function dataset(keys: Record<string, RedisValue | [RedisValue, number]>, db = 0): Database[] {
  const dbs = Array.from({ length: 16 }, (_, i) => new Database(i));
  for (const [k, v] of Object.entries(keys)) {
    if (Array.isArray(v)) {
      dbs[db].dict.set(k, v[0]);
      dbs[db].expires.set(k, v[1]);
    } else {
      dbs[db].dict.set(k, v);
    }
  }
  return dbs;
}

function zset(pairs: Array<[string, number]>): SortedSet {
  const z = new SortedSet();
  for (const [m, s] of pairs) z.add(m, s);
  return z;
}

function stream(entries: Array<[bigint, bigint, string[]]>): Stream {
  const s = new Stream();
  for (const [ms, seq, fields] of entries) s.entries.push({ id: streamId(ms, seq), fields });
  return s;
}

const hexOf = (dbs: Database[], key: string, db = 0): string => digestHex(keyValueDigest(dbs[db], key));

describe('DEBUG DIGEST values equal stock redis-server 7.0.15', () => {
  // Each expected value was printed by redis-server 7.0.15 for the same data.
  it('an empty dataset is 40 zeros, a missing key too', () => {
    const dbs = dataset({});
    expect(digestHex(datasetDigest(dbs))).toBe('0'.repeat(40));
    expect(hexOf(dbs, 'missing')).toBe('0'.repeat(40));
  });

  it('SET a 1', () => {
    const dbs = dataset({ a: '1' });
    expect(digestHex(datasetDigest(dbs))).toBe('943d800368fb9c0e951138f1bc0e313ac769d91f');
    expect(hexOf(dbs, 'a')).toBe('b4fc66738120fba0b5aa500ab5c2bf89cea1c5da');
  });

  it('one key of each type, one with a TTL, and a key in database 5', () => {
    const dbs = dataset({
      l: new Deque(['a', 'b', 'c']),
      s: new Set(['x', 'y', '1']),
      z: zset([['m', 1.5], ['n', 2], ['o', -Infinity]]),
      h: new Map([['f', 'v'], ['g', 'w']]),
      st: stream([[1n, 1n, ['f', 'v']]]),
      e: ['v', 1_900_000_000_000],
    });
    expect(hexOf(dbs, 'l')).toBe('8bf72d812571eea9b927f3c11beb0c4165a6ff89');
    expect(hexOf(dbs, 's')).toBe('03ee76a1ebe8db27d61b3ea784011d5acc537675');
    expect(hexOf(dbs, 'z')).toBe('924162bf979d71dbdfb87c9068f9fea6c2caea32');
    expect(hexOf(dbs, 'h')).toBe('d127864ed50239662bf61bafc9bda63c17da5b37');
    expect(hexOf(dbs, 'st')).toBe('2ed9a7a81688084b1f7eae33456ef7727d357031');
    expect(hexOf(dbs, 'e')).toBe('311b17018163335616e089f6b951c82c477335ac');
    expect(digestHex(datasetDigest(dbs))).toBe('eb1eafae4e108576e5113e5de7ddd1fb0bf6fe3b');
    dbs[5].dict.set('k', 'v');
    expect(digestHex(datasetDigest(dbs))).toBe('e5fbdeb8271133bd13944ff2f047b419522a1dcf');
    expect(hexOf(dbs, 'k', 5)).toBe('d79ee9fe5d5ad902d7f6620efc3b07b75ddd742f');
  });
});

describe('digest properties', () => {
  it('sets, hashes, sorted sets and keys are order-independent; lists and streams are not', () => {
    const a = dataset({ s: new Set(['x', 'y']), h: new Map([['f', '1'], ['g', '2']]), z: zset([['a', 1], ['b', 2]]), k1: 'v', k2: 'w' });
    const b = dataset({ k2: 'w', z: zset([['b', 2], ['a', 1]]), h: new Map([['g', '2'], ['f', '1']]), s: new Set(['y', 'x']), k1: 'v' });
    expect(digestHex(datasetDigest(a))).toBe(digestHex(datasetDigest(b)));
    const l1 = dataset({ l: new Deque(['a', 'b']) });
    const l2 = dataset({ l: new Deque(['b', 'a']) });
    expect(digestHex(datasetDigest(l1))).not.toBe(digestHex(datasetDigest(l2)));
    const s1 = dataset({ st: stream([[1n, 0n, ['f', 'v']], [2n, 0n, ['f', 'w']]]) });
    const s2 = dataset({ st: stream([[1n, 0n, ['f', 'w']], [2n, 0n, ['f', 'v']]]) });
    expect(hexOf(s1, 'st')).not.toBe(hexOf(s2, 'st'));
  });

  it('mixing keeps element boundaries: ["ab","c"] differs from ["a","bc"]', () => {
    expect(hexOf(dataset({ l: new Deque(['ab', 'c']) }), 'l')).not.toBe(hexOf(dataset({ l: new Deque(['a', 'bc']) }), 'l'));
  });

  it('a TTL adds the same marker whatever its time; the type is part of the digest', () => {
    expect(hexOf(dataset({ k: ['v', 1] }), 'k')).toBe(hexOf(dataset({ k: ['v', 2_000_000_000_000] }), 'k'));
    expect(hexOf(dataset({ k: ['v', 1] }), 'k')).not.toBe(hexOf(dataset({ k: 'v' }), 'k'));
    expect(hexOf(dataset({ k: new Set(['v']) }), 'k')).not.toBe(hexOf(dataset({ k: new Deque(['v']) }), 'k'));
  });

  it('scores are digested as %.17g text (0.1 as 0.10000000000000001, 3 as 3, infinities as inf)', () => {
    /** The digest of a one-member zset whose score is digested as `text`, built from the primitives. */
    const expected = (member: string, text: string): string => {
      const d = new Uint8Array(20);
      mixDigest(d, new Uint8Array([0, 0, 0, 3])); // OBJ_ZSET
      const ele = new Uint8Array(20);
      mixDigest(ele, member);
      mixDigest(ele, text);
      xorDigest(d, ele);
      return digestHex(d);
    };
    expect(hexOf(dataset({ z: zset([['m', 0.1]]) }), 'z')).toBe(expected('m', '0.10000000000000001'));
    expect(hexOf(dataset({ z: zset([['m', 3]]) }), 'z')).toBe(expected('m', '3'));
    expect(hexOf(dataset({ z: zset([['m', -Infinity]]) }), 'z')).toBe(expected('m', '-inf'));
    expect(hexOf(dataset({ z: zset([['m', 1e300]]) }), 'z')).toBe(expected('m', '1.0000000000000001e+300'));
  });

  it('the same keys in another database give another dataset digest', () => {
    expect(digestHex(datasetDigest(dataset({ k: 'v' }, 0)))).not.toBe(digestHex(datasetDigest(dataset({ k: 'v' }, 1))));
  });

  it('xorDigest twice cancels out; mixDigest does not', () => {
    const d = new Uint8Array(20);
    xorDigest(d, 'x');
    xorDigest(d, 'x');
    expect(digestHex(d)).toBe('0'.repeat(40));
    mixDigest(d, 'x');
    expect(digestHex(d)).toBe(digestHex(sha1(sha1('x'))));
  });
});
