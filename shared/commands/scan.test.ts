import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHarness, type TestClient } from '../../test/helpers/core-harness.js';
import { ErrorReply } from '../resp/reply.js';
import type { RedisValue } from '../store/database.js';
import { SortedSet } from '../store/sorted-set.js';
import { objectEncoding, parseScanCursor } from './scan.js';

const NOW = 1_700_000_000_000;

function setup() {
  const h = createHarness({ now: NOW });
  const c = h.client();
  const db = h.core.dbs[0];
  const put = (key: string, value: RedisValue, expireAt?: number) => {
    db.dict.set(key, value);
    if (expireAt !== undefined) db.expires.set(key, expireAt);
  };
  return { h, c, db, put };
}

const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
const err = (message: string) => new ErrorReply(message);

/** One SCAN-family call: [next cursor, elements]. */
function step(c: TestClient, argv: string[]): [string, string[]] {
  const r = c.call(...argv);
  if (!Array.isArray(r)) throw new Error(`unexpected reply ${JSON.stringify(r)}`);
  return r as [string, string[]];
}

/** A full iteration; `between` runs after every call that did not end it. Returns elements and call count. */
function iterate(c: TestClient, argv: (cursor: string) => string[], between?: (call: number) => void) {
  const seen: string[] = [];
  let cursor = '0';
  let calls = 0;
  do {
    const [next, items] = step(c, argv(cursor));
    seen.push(...items);
    cursor = next;
    calls++;
    if (calls > 100_000) throw new Error('SCAN did not terminate');
    if (cursor !== '0') between?.(calls);
  } while (cursor !== '0');
  return { seen, calls };
}

describe('cursor parsing', () => {
  it("accepts what Redis's strtoul accepts", () => {
    expect(parseScanCursor('0')).toBe(0n);
    expect(parseScanCursor('')).toBe(0n);
    expect(parseScanCursor('+5')).toBe(5n);
    expect(parseScanCursor('18446744073709551615')).toBe(18446744073709551615n);
    expect(parseScanCursor('-1')).toBe(18446744073709551615n);
    expect(parseScanCursor('-18446744073709551615')).toBe(1n);
  });

  it('rejects spaces, signs alone, other bases and values past 2^64-1', () => {
    const { c } = setup();
    for (const bad of ['abc', ' 1', '1 ', '+', '-', '0x10', '1.5', '18446744073709551616', '-18446744073709551616']) {
      expect([bad, c.call('SCAN', bad)]).toEqual([bad, err('ERR invalid cursor')]);
    }
    expect(c.call('HSCAN', 'h', 'abc')).toEqual(err('ERR invalid cursor'));
  });

  it('ends the iteration at once for a cursor beyond our cursor space', () => {
    const { c, put } = setup();
    for (let i = 0; i < 100; i++) put(`k${i}`, 'v');
    expect(c.call('SCAN', '-1')).toEqual(['0', []]);
  });
});

describe('SCAN', () => {
  it('returns a small database whole with cursor 0', () => {
    const { c, put } = setup();
    put('a', '1');
    put('b', '2');
    put('h', new Map([['f', 'v']]));
    const [cursor, keys] = step(c, ['SCAN', '0']);
    expect(cursor).toBe('0');
    expect(keys.sort()).toEqual(['a', 'b', 'h']);
  });

  it('filters by MATCH and TYPE (case-insensitive), unknown types matching nothing', () => {
    const { c, put } = setup();
    put('a', '1');
    put('ab', '2');
    put('h', new Map([['f', 'v']]));
    expect(step(c, ['SCAN', '0', 'MATCH', 'a*'])[1].sort()).toEqual(['a', 'ab']);
    expect(step(c, ['SCAN', '0', 'TYPE', 'HASH'])).toEqual(['0', ['h']]);
    expect(step(c, ['SCAN', '0', 'type', 'string', 'match', '*b'])).toEqual(['0', ['ab']]);
    expect(step(c, ['SCAN', '0', 'TYPE', 'foo'])).toEqual(['0', []]);
  });

  it('rejects bad options with Redis texts', () => {
    const { c } = setup();
    expect(c.call('SCAN', '0', 'COUNT', '0')).toEqual(err('ERR syntax error'));
    expect(c.call('SCAN', '0', 'COUNT', '-1')).toEqual(err('ERR syntax error'));
    expect(c.call('SCAN', '0', 'COUNT', 'abc')).toEqual(err('ERR value is not an integer or out of range'));
    expect(c.call('SCAN', '0', 'MATCH')).toEqual(err('ERR syntax error'));
    expect(c.call('SCAN', '0', 'foo')).toEqual(err('ERR syntax error'));
    expect(c.call('SCAN')).toEqual(err("ERR wrong number of arguments for 'scan' command"));
  });

  it('walks a large database in COUNT-sized steps, returning every key exactly once', () => {
    const { c, put } = setup();
    const keys = range(5000, (i) => `key:${i}`);
    for (const k of keys) put(k, 'v');
    const { seen, calls } = iterate(c, (cur) => ['SCAN', cur, 'COUNT', '100']);
    expect(seen.sort()).toEqual([...keys].sort());
    expect(calls).toBeGreaterThan(20);
    expect(calls).toBeLessThan(200);
  });

  it('returns every key present for the whole iteration while keys are added and deleted meanwhile', () => {
    const { c, db, put } = setup();
    const originals = range(3000, (i) => `orig:${i}`);
    for (const k of originals) put(k, 'v');
    const deleted = new Set<string>();
    let added = 0;
    const { seen } = iterate(
      c,
      (cur) => ['SCAN', cur],
      (call) => {
        // Delete a few originals and add new keys between calls, as other clients would.
        for (let j = 0; j < 3; j++) {
          const victim = originals[(call * 7 + j * 1013) % originals.length];
          if (db.dict.delete(victim)) deleted.add(victim);
        }
        for (let j = 0; j < 5; j++) put(`new:${added++}`, 'v');
      },
    );
    const seenSet = new Set(seen);
    const survivors = originals.filter((k) => !deleted.has(k));
    expect(deleted.size).toBeGreaterThan(100);
    expect(survivors.filter((k) => !seenSet.has(k))).toEqual([]);
    expect(seen.length).toBe(seenSet.size);
  });

  it('keeps its guarantee when other iterations start and finish in the middle of it', () => {
    const { h, c, db, put } = setup();
    const other = h.client();
    const originals = range(2000, (i) => `k${i}`);
    for (const k of originals) put(k, 'v');
    let n = 0;
    const { seen } = iterate(
      c,
      (cur) => ['SCAN', cur, 'COUNT', '50'],
      (call) => {
        if (call === 5) step(other, ['SCAN', '0', 'COUNT', '50']); // a new iteration rebuilds the index
        if (call === 10) iterate(other, (cur) => ['SCAN', cur, 'COUNT', '1000']); // one that ends drops it
        for (let j = 0; j < 20; j++) put(`late${n++}`, 'v');
        db.dict.delete(`late${n - 25}`);
      },
    );
    const seenSet = new Set(seen);
    expect(originals.filter((k) => !seenSet.has(k))).toEqual([]);
  });

  it('never returns a key in a call made after its deletion', () => {
    const { c, db, put } = setup();
    for (let i = 0; i < 2000; i++) put(`k${i}`, 'v');
    const deleted = new Set<string>();
    let cursor = '0';
    let call = 0;
    do {
      const [next, keys] = step(c, ['SCAN', cursor, 'COUNT', '30']);
      expect(keys.filter((k) => deleted.has(k))).toEqual([]);
      cursor = next;
      for (let j = 0; j < 10; j++) {
        const k = `k${(call * 131 + j * 17) % 2000}`;
        if (db.dict.delete(k)) deleted.add(k);
      }
      call++;
    } while (cursor !== '0');
    expect(deleted.size).toBeGreaterThan(100);
  });

  it('sees the keys added after an earlier iteration was abandoned', () => {
    const { c, put } = setup();
    for (let i = 0; i < 1000; i++) put(`old${i}`, 'v');
    step(c, ['SCAN', '0']);
    step(c, ['SCAN', step(c, ['SCAN', '0'])[0]]);
    for (let i = 0; i < 1000; i++) put(`new${i}`, 'v');
    const { seen } = iterate(c, (cur) => ['SCAN', cur, 'COUNT', '100']);
    expect(new Set(seen).size).toBe(2000);
  });

  it('returns no key twice when the index is rebuilt coarser mid-iteration', () => {
    const { h, c, db, put } = setup();
    const other = h.client();
    for (let i = 0; i < 8000; i++) put(`k${i}`, 'v');
    const seen: string[] = [];
    let cursor = '0';
    let call = 0;
    do {
      const [next, keys] = step(c, ['SCAN', cursor, 'COUNT', '10']);
      seen.push(...keys);
      cursor = next;
      if (++call === 20) {
        // Keep what was returned so far and thin out the rest, so a new index has far fewer buckets and our
        // cursor falls inside one of them, whose first members were already returned.
        const returned = new Set(seen);
        for (const k of db.dict.keys()) if (!returned.has(k) && Number(k.slice(1)) % 50 !== 0) db.dict.delete(k);
        step(other, ['SCAN', '0', 'COUNT', '10']);
      }
    } while (cursor !== '0');
    const returned = new Set(seen);
    expect(seen.length).toBe(returned.size);
    expect([...db.dict.keys()].filter((k) => !returned.has(k))).toEqual([]);
  });

  it('terminates even while the database keeps growing', () => {
    const { c, put } = setup();
    for (let i = 0; i < 1000; i++) put(`k${i}`, 'v');
    let n = 0;
    const { calls } = iterate(
      c,
      (cur) => ['SCAN', cur],
      () => {
        for (let j = 0; j < 50; j++) put(`grow${n++}`, 'v');
      },
    );
    expect(calls).toBeLessThan(1000);
  });

  it('skips expired keys, deleting them and propagating DEL', () => {
    const { h, c, db, put } = setup();
    put('live', 'v');
    put('gone', 'v', NOW + 10);
    h.clock.advance(11);
    expect(step(c, ['SCAN', '0'])).toEqual(['0', ['live']]);
    expect(db.dict.has('gone')).toBe(false);
    expect(h.propagated).toEqual([['SELECT', '0'], ['DEL', 'gone']]);
  });

  it('is a read: it propagates nothing of its own', () => {
    const { h, c, put } = setup();
    for (let i = 0; i < 100; i++) put(`k${i}`, 'v');
    iterate(c, (cur) => ['SCAN', cur]);
    expect(h.propagated).toEqual([]);
  });
});

describe('HSCAN', () => {
  it('returns a listpack hash whole, in insertion order, whatever the cursor and COUNT', () => {
    const { c, put } = setup();
    put('h', new Map([['b', '1'], ['a', '2'], ['c', '3']]));
    expect(step(c, ['HSCAN', 'h', '0', 'COUNT', '1'])).toEqual(['0', ['b', '1', 'a', '2', 'c', '3']]);
    expect(step(c, ['HSCAN', 'h', '7'])).toEqual(['0', ['b', '1', 'a', '2', 'c', '3']]);
    expect(step(c, ['HSCAN', 'h', '0', 'MATCH', '[ab]'])).toEqual(['0', ['b', '1', 'a', '2']]);
  });

  it('iterates a hashtable hash in steps, pairing each field with its value', () => {
    const { c, put } = setup();
    const hash = new Map(range(2000, (i) => `f${i}`).map((f) => [f, `v${f}`]));
    put('h', hash);
    const { seen, calls } = iterate(c, (cur) => ['HSCAN', 'h', cur, 'COUNT', '100']);
    expect(calls).toBeGreaterThan(5);
    const pairs = new Map<string, string>();
    for (let i = 0; i < seen.length; i += 2) pairs.set(seen[i], seen[i + 1]);
    expect(pairs.size).toBe(2000);
    expect(seen.length).toBe(4000);
    for (const [f, v] of pairs) expect(v).toBe(`v${f}`);
  });

  it('returns every field present throughout while fields change', () => {
    const { c, put } = setup();
    const hash = new Map(range(1500, (i) => `f${i}`).map((f) => [f, 'v']));
    put('h', hash);
    const removed = new Set<string>();
    let n = 0;
    const { seen } = iterate(
      c,
      (cur) => ['HSCAN', 'h', cur, 'MATCH', 'f*'],
      (call) => {
        const victim = `f${(call * 37) % 1500}`;
        if (hash.delete(victim)) removed.add(victim);
        hash.set(`g${n++}`, 'v');
      },
    );
    const fields = new Set(seen.filter((_, i) => i % 2 === 0));
    expect([...hash.keys()].filter((f) => f.startsWith('f') && !fields.has(f))).toEqual([]);
    expect([...fields].some((f) => f.startsWith('g'))).toBe(false);
    expect(removed.size).toBeGreaterThan(0);
  });

  it('checks the cursor, then the key, then the options', () => {
    const { c, put } = setup();
    put('s', 'string');
    expect(c.call('HSCAN', 's', 'x')).toEqual(err('ERR invalid cursor'));
    expect(c.call('HSCAN', 's', '0', 'foo')).toEqual(err('WRONGTYPE Operation against a key holding the wrong kind of value'));
    expect(c.call('HSCAN', 'missing', '0', 'foo')).toEqual(['0', []]);
    put('h', new Map([['f', 'v']]));
    expect(c.call('HSCAN', 'h', '0', 'TYPE', 'hash')).toEqual(err('ERR syntax error'));
    expect(c.call('HSCAN', 'h', '0', 'COUNT', '0')).toEqual(err('ERR syntax error'));
  });
});

describe('SSCAN', () => {
  it('returns an intset whole in ascending numeric order', () => {
    const { c, put } = setup();
    put('s', new Set(['10', '-3', '2', '9223372036854775807', '-9223372036854775808']));
    expect(step(c, ['SSCAN', 's', '0'])).toEqual(['0', ['-9223372036854775808', '-3', '2', '10', '9223372036854775807']]);
    expect(step(c, ['SSCAN', 's', '0', 'MATCH', '1*'])).toEqual(['0', ['10']]);
  });

  it('iterates a hashtable set fully, and one no larger than COUNT in a single call', () => {
    const { c, put } = setup();
    const members = range(1000, (i) => `m${i}`);
    put('big', new Set(members));
    const { seen } = iterate(c, (cur) => ['SSCAN', 'big', cur]);
    expect(seen.sort()).toEqual([...members].sort());
    put('small', new Set(['x', 'y', 'z']));
    expect(step(c, ['SSCAN', 'small', '0'])).toEqual(['0', ['x', 'y', 'z']]);
  });

  it('returns an empty scan for a missing key and WRONGTYPE for another type', () => {
    const { c, put } = setup();
    put('h', new Map([['f', 'v']]));
    expect(c.call('SSCAN', 'missing', '0')).toEqual(['0', []]);
    expect(c.call('SSCAN', 'h', '0')).toEqual(err('WRONGTYPE Operation against a key holding the wrong kind of value'));
  });
});

describe('ZSCAN', () => {
  function zset(entries: Array<[string, number]>): SortedSet {
    const z = new SortedSet();
    for (const [m, s] of entries) z.add(m, s);
    return z;
  }

  it('returns a listpack zset whole by score, with scores as a listpack stores them', () => {
    const { c, put } = setup();
    const scores: Array<[string, number]> = [
      ['a', 0.1],
      ['b', 1e20],
      ['c', 0],
      ['d', 1.5],
      ['e', 1e-20],
      ['f', Infinity],
      ['g', 3],
      ['h', 123456789012345678],
      ['i', -Infinity],
      ['j', 2 ** 62],
      ['k', -(2 ** 62)],
    ];
    put('z', zset(scores));
    expect(step(c, ['ZSCAN', 'z', '0'])).toEqual([
      '0',
      [
        ['i', '-inf'],
        ['k', '-4611686018427387904'],
        ['c', '0'],
        ['e', '9.9999999999999995e-21'],
        ['a', '0.10000000000000001'],
        ['d', '1.5'],
        ['g', '3'],
        ['h', '123456789012345680'],
        ['j', '4611686018427387904'],
        ['b', '1e+20'],
        ['f', 'inf'],
      ].flat(),
    ]);
    expect(step(c, ['ZSCAN', 'z', '0', 'MATCH', '[ab]'])).toEqual(['0', ['a', '0.10000000000000001', 'b', '1e+20']]);
  });

  it('iterates a skiplist zset in steps, with scores in %.17g', () => {
    const { c, db, put } = setup();
    const entries = range(500, (i) => `m${i}`).map((m, i) => [m, i + 0.5] as [string, number]);
    entries.push(['big', 123456789012345678]);
    put('z', zset(entries));
    expect(objectEncoding(db.dict.get('z') as RedisValue)).toBe('skiplist');
    const { seen, calls } = iterate(c, (cur) => ['ZSCAN', 'z', cur]);
    expect(calls).toBeGreaterThan(5);
    const scores = new Map<string, string>();
    for (let i = 0; i < seen.length; i += 2) scores.set(seen[i], seen[i + 1]);
    expect(scores.size).toBe(501);
    expect(scores.get('m0')).toBe('0.5');
    expect(scores.get('m499')).toBe('499.5');
    expect(scores.get('big')).toBe('1.2345678901234568e+17');
  });

  it('returns every member present throughout while members are removed', () => {
    const { c, put } = setup();
    const z = zset(range(800, (i) => `m${i}`).map((m, i) => [m, i] as [string, number]));
    put('z', z);
    const { seen } = iterate(
      c,
      (cur) => ['ZSCAN', 'z', cur, 'COUNT', '20'],
      (call) => {
        z.delete(`m${(call * 53) % 800}`);
        z.add(`new${call}`, -call);
      },
    );
    const members = new Set(seen.filter((_, i) => i % 2 === 0));
    const survivors = [...z.entries()].map(([m]) => m).filter((m) => m.startsWith('m'));
    expect(survivors.length).toBeLessThan(800);
    expect(survivors.filter((m) => !members.has(m))).toEqual([]);
  });

  it('returns an empty scan for a missing key and WRONGTYPE for another type', () => {
    const { c, put } = setup();
    put('s', new Set(['x']));
    expect(c.call('ZSCAN', 'missing', '0')).toEqual(['0', []]);
    expect(c.call('ZSCAN', 's', '0')).toEqual(err('WRONGTYPE Operation against a key holding the wrong kind of value'));
  });
});

describe('SCAN guarantee under random interleavings', () => {
  it('returns every key present from the first call to the last, and ends', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 30 }), fc.array(fc.integer({ min: 0, max: 600 }), { maxLength: 15 })), {
          maxLength: 60,
        }),
        (initial, rounds) => {
          const { h, c, db, put } = setup();
          const other = h.client();
          for (let i = 0; i < initial; i++) put(`k${i}`, 'v');
          const present = new Set(db.dict.keys());
          const seen = new Set<string>();
          let cursor = '0';
          let calls = 0;
          for (;;) {
            const round = rounds[calls % Math.max(1, rounds.length)] ?? [10, []];
            const [next, keys] = step(c, ['SCAN', cursor, 'COUNT', String(round[0])]);
            for (const k of keys) seen.add(k);
            cursor = next;
            if (++calls > 10_000) return false;
            if (cursor === '0') break;
            // Toggle keys: a key deleted at any point is no longer owed to the iteration.
            for (const n of round[1]) {
              const k = `k${n}`;
              if (db.dict.delete(k)) present.delete(k);
              else put(k, 'v');
            }
            if (calls % 7 === 0) step(other, ['SCAN', '0']);
          }
          return [...present].every((k) => seen.has(k));
        },
      ),
      { numRuns: 200 },
    );
  });
});
