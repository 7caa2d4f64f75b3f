import { describe, expect, it } from 'vitest';
import { createHarness, OK_REPLY } from '../../test/helpers/core-harness.js';
import { allCommands } from './index.js';
import { BlockRequest, command } from '../engine/command-spec.js';
import { ErrorReply, NULL_ARRAY, SimpleString } from '../resp/reply.js';
import type { RedisValue } from '../store/database.js';
import { Deque } from '../store/deque.js';
import { SortedSet } from '../store/sorted-set.js';
import { keyCommands } from './keys.js';

const NOW = 1_700_000_000_000;

/** A harness whose keyspace the test fills directly, so these tests need no other command group. */
function setup() {
  // A test-only blocking command: waits until its key exists, then replies with the db it saw it in.
  const waitKey = command({
    name: 'waitkey',
    arity: 2,
    group: 'generic',
    flags: ['readonly', 'blocking'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    handler: (ctx, argv) =>
      ctx.lookupRead(argv[1]) === undefined ? new BlockRequest([argv[1]], 0, null) : `found in ${ctx.db.id}`,
  });
  const h = createHarness({ now: NOW, commands: [...allCommands, waitKey] });
  const c = h.client();
  const put = (key: string, value: RedisValue, opts: { db?: number; expireAt?: number } = {}) => {
    const db = h.core.dbs[opts.db ?? 0];
    db.dict.set(key, value);
    if (opts.expireAt !== undefined) db.expires.set(key, opts.expireAt);
  };
  const db = (i = 0) => h.core.dbs[i];
  return { h, c, put, db };
}

function zset(entries: Array<[string, number]>): SortedSet {
  const z = new SortedSet();
  for (const [m, s] of entries) z.add(m, s);
  return z;
}

const err = (message: string) => new ErrorReply(message);

describe('command table', () => {
  it("copies Redis 7.0's arity, flags and key positions", () => {
    const table = Object.fromEntries(keyCommands.map((s) => [s.name, [s.arity, s.flags.join(','), s.firstKey, s.lastKey, s.step]]));
    expect(table).toEqual({
      del: [-2, 'write', 1, -1, 1],
      unlink: [-2, 'write,fast', 1, -1, 1],
      exists: [-2, 'readonly,fast', 1, -1, 1],
      type: [2, 'readonly,fast', 1, 1, 1],
      keys: [2, 'readonly', 0, 0, 0],
      randomkey: [1, 'readonly', 0, 0, 0],
      dbsize: [1, 'readonly,fast', 0, 0, 0],
      rename: [3, 'write', 1, 2, 1],
      renamenx: [3, 'write,fast', 1, 2, 1],
      copy: [-3, 'write,denyoom', 1, 2, 1],
      move: [3, 'write,fast', 1, 1, 1],
      flushdb: [-1, 'write', 0, 0, 0],
      flushall: [-1, 'write', 0, 0, 0],
      swapdb: [3, 'write,fast', 0, 0, 0],
      touch: [-2, 'readonly,fast', 1, -1, 1],
      object: [-2, '', 0, 0, 0],
      expire: [-3, 'write,fast', 1, 1, 1],
      pexpire: [-3, 'write,fast', 1, 1, 1],
      expireat: [-3, 'write,fast', 1, 1, 1],
      pexpireat: [-3, 'write,fast', 1, 1, 1],
      ttl: [2, 'readonly,fast', 1, 1, 1],
      pttl: [2, 'readonly,fast', 1, 1, 1],
      expiretime: [2, 'readonly,fast', 1, 1, 1],
      pexpiretime: [2, 'readonly,fast', 1, 1, 1],
      persist: [2, 'write,fast', 1, 1, 1],
      scan: [-2, 'readonly', 0, 0, 0],
      hscan: [-3, 'readonly', 1, 1, 1],
      sscan: [-3, 'readonly', 1, 1, 1],
      zscan: [-3, 'readonly', 1, 1, 1],
    });
    const object = keyCommands.find((s) => s.name === 'object');
    const subs = Object.fromEntries((object?.subcommands ?? []).map((s) => [s.name, [s.arity, s.flags.join(','), s.firstKey, s.lastKey, s.step]]));
    expect(subs).toEqual({
      encoding: [3, 'readonly', 2, 2, 1],
      refcount: [3, 'readonly', 2, 2, 1],
      idletime: [3, 'readonly', 2, 2, 1],
      freq: [3, 'readonly', 2, 2, 1],
      help: [2, 'loading,stale', 0, 0, 0],
    });
  });
});

describe('DEL and UNLINK', () => {
  it('delete the existing keys, count each once and propagate as received', () => {
    const { h, c, put, db } = setup();
    put('a', '1');
    put('b', '2');
    put('c', '3');
    expect(c.call('DEL', 'a', 'a', 'missing', 'b')).toBe(2);
    expect(c.call('unlink', 'c', 'nope')).toBe(1);
    expect(db().size).toBe(0);
    expect(h.propagated).toEqual([['SELECT', '0'], ['DEL', 'a', 'a', 'missing', 'b'], ['unlink', 'c', 'nope']]);
  });

  it('propagate nothing when no key existed', () => {
    const { h, c } = setup();
    expect(c.call('DEL', 'x', 'y')).toBe(0);
    expect(c.call('UNLINK', 'x')).toBe(0);
    expect(h.propagated).toEqual([]);
  });

  it('do not count a logically expired key, whose lazy expiry propagates its own DEL', () => {
    const { h, c, put } = setup();
    put('old', 'v', { expireAt: NOW + 100 });
    h.clock.advance(101);
    expect(c.call('DEL', 'old')).toBe(0);
    expect(h.propagated).toEqual([['SELECT', '0'], ['DEL', 'old']]);
  });

  it('reject a call without keys', () => {
    const { c } = setup();
    expect(c.call('DEL')).toEqual(err("ERR wrong number of arguments for 'del' command"));
    expect(c.call('UNLINK')).toEqual(err("ERR wrong number of arguments for 'unlink' command"));
  });
});

describe('EXISTS, TYPE, TOUCH, DBSIZE', () => {
  it('EXISTS counts every argument that names a live key, repeats included', () => {
    const { c, put } = setup();
    put('a', 'v');
    put('l', new Deque(['x']));
    expect(c.call('EXISTS', 'a', 'a', 'l', 'missing')).toBe(3);
    expect(c.call('EXISTS', 'missing')).toBe(0);
  });

  it('TYPE names every type and "none" for a missing key', () => {
    const { c, put } = setup();
    put('s', 'v');
    put('l', new Deque(['x']));
    put('h', new Map([['f', 'v']]));
    put('set', new Set(['m']));
    put('z', zset([['m', 1]]));
    expect(['s', 'l', 'h', 'set', 'z', 'missing'].map((k) => c.call('TYPE', k))).toEqual(
      ['string', 'list', 'hash', 'set', 'zset', 'none'].map((t) => new SimpleString(t)),
    );
  });

  it('EXISTS, TYPE and TOUCH see an expired key as missing and delete it', () => {
    const { h, c, put, db } = setup();
    put('a', 'v', { expireAt: NOW + 1000 });
    put('b', 'v', { expireAt: NOW + 2000 });
    put('t', 'v', { expireAt: NOW + 3000 });
    expect(c.call('EXISTS', 'a')).toBe(1);
    h.clock.advance(1001);
    expect(c.call('EXISTS', 'a')).toBe(0);
    h.clock.advance(1000);
    expect(c.call('TYPE', 'b')).toEqual(new SimpleString('none'));
    expect(c.call('TOUCH', 't', 't')).toBe(2);
    h.clock.advance(1000);
    expect(c.call('TOUCH', 't')).toBe(0);
    expect(db().size).toBe(0);
    expect(h.propagated).toEqual([['SELECT', '0'], ['DEL', 'a'], ['DEL', 'b'], ['DEL', 't']]);
  });

  it('TOUCH counts existing keys and propagates nothing', () => {
    const { h, c, put } = setup();
    put('a', 'v');
    expect(c.call('TOUCH', 'a', 'missing', 'a')).toBe(2);
    expect(h.propagated).toEqual([]);
  });

  it('DBSIZE counts the keys of the selected database, expired ones not yet removed included', () => {
    const { h, c, put } = setup();
    put('a', 'v');
    put('b', 'v', { expireAt: NOW + 10 });
    put('c', 'v', { db: 2 });
    h.clock.advance(11);
    expect(c.call('DBSIZE')).toBe(2);
    expect(c.call('SELECT', '2')).toEqual(OK_REPLY);
    expect(c.call('DBSIZE')).toBe(1);
  });
});

describe('KEYS and RANDOMKEY', () => {
  it('KEYS returns the keys matching a glob and hides expired keys without deleting them', () => {
    const { h, c, put, db } = setup();
    for (const k of ['hello', 'hallo', 'hxllo', 'hllo', 'heeeello', 'other']) put(k, 'v');
    put('hzllo', 'v', { expireAt: NOW + 5 });
    h.clock.advance(6);
    expect((c.call('KEYS', 'h?llo') as string[]).sort()).toEqual(['hallo', 'hello', 'hxllo']);
    expect((c.call('KEYS', 'h*llo') as string[]).sort()).toEqual(['hallo', 'heeeello', 'hello', 'hllo', 'hxllo']);
    expect((c.call('KEYS', 'h[ae]llo') as string[]).sort()).toEqual(['hallo', 'hello']);
    expect((c.call('KEYS', '*') as string[]).length).toBe(6);
    expect(c.call('KEYS', 'nomatch*')).toEqual([]);
    expect(db().size).toBe(7);
    expect(h.propagated).toEqual([]);
  });

  it('KEYS still lists a key at exactly its expire millisecond and hides it one millisecond later', () => {
    const { h, c, put } = setup();
    put('k', 'v', { expireAt: NOW + 5 });
    h.clock.advance(5);
    expect(c.call('KEYS', '*')).toEqual(['k']);
    h.clock.advance(1);
    expect(c.call('KEYS', '*')).toEqual([]);
  });

  it('RANDOMKEY replies null on an empty database and a key otherwise', () => {
    const { c, put } = setup();
    expect(c.call('RANDOMKEY')).toBe(null);
    put('a', 'v');
    put('b', 'v');
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(c.call('RANDOMKEY') as string);
    expect([...seen].sort()).toEqual(['a', 'b']);
  });

  it('RANDOMKEY deletes the expired keys it draws and never returns one', () => {
    const { h, c, put, db } = setup();
    const gone = Array.from({ length: 20 }, (_, i) => `gone${i}`);
    for (const k of gone) put(k, 'v', { expireAt: NOW + 1 });
    put('live', 'v');
    h.clock.advance(2);
    for (let i = 0; i < 10; i++) expect(c.call('RANDOMKEY')).toBe('live');
    const deleted = gone.filter((k) => !db().dict.has(k));
    expect(deleted.length).toBeGreaterThan(0);
    expect(h.propagated.filter((op) => op[0] === 'DEL').map((op) => op[1]).sort()).toEqual(deleted.sort());
  });

  it('RANDOMKEY on a replica returns an expired key after its tries when every key has an expiry', () => {
    const { h, c, put, db } = setup();
    put('a', 'v', { expireAt: NOW + 1 });
    h.clock.advance(2);
    h.core.role = 'replica';
    expect(c.call('RANDOMKEY')).toBe('a');
    expect(db().size).toBe(1);
  });
});

describe('RENAME and RENAMENX', () => {
  it('RENAME moves the value and its TTL, overwriting the target and its TTL', () => {
    const { h, c, put, db } = setup();
    put('src', 'v', { expireAt: NOW + 5000 });
    put('dst', 'old', { expireAt: NOW + 9000 });
    expect(c.call('RENAME', 'src', 'dst')).toEqual(OK_REPLY);
    expect(db().dict.get('dst')).toBe('v');
    expect(db().dict.has('src')).toBe(false);
    expect(c.call('PTTL', 'dst')).toBe(5000);
    expect(c.call('PTTL', 'src')).toBe(-2);
    put('plain', 'p');
    expect(c.call('RENAME', 'plain', 'dst')).toEqual(OK_REPLY);
    expect(c.call('TTL', 'dst')).toBe(-1);
    expect(h.propagated).toEqual([['SELECT', '0'], ['RENAME', 'src', 'dst'], ['RENAME', 'plain', 'dst']]);
  });

  it('RENAME of a missing or expired key is an error; onto itself it is a no-op', () => {
    const { h, c, put } = setup();
    expect(c.call('RENAME', 'missing', 'x')).toEqual(err('ERR no such key'));
    put('gone', 'v', { expireAt: NOW + 1 });
    h.clock.advance(2);
    expect(c.call('RENAME', 'gone', 'x')).toEqual(err('ERR no such key'));
    put('same', 'v', { expireAt: NOW + 5000 });
    expect(c.call('RENAME', 'same', 'same')).toEqual(OK_REPLY);
    expect(c.call('PTTL', 'same')).toBe(4998);
    expect(c.call('RENAME', 'missing', 'missing')).toEqual(err('ERR no such key'));
    expect(h.propagated).toEqual([['SELECT', '0'], ['DEL', 'gone']]);
  });

  it('RENAMENX renames only onto a missing key', () => {
    const { h, c, put, db } = setup();
    put('a', '1');
    put('b', '2');
    expect(c.call('RENAMENX', 'a', 'b')).toBe(0);
    expect(c.call('RENAMENX', 'a', 'a')).toBe(0);
    expect(c.call('RENAMENX', 'a', 'c')).toBe(1);
    expect(db().dict.get('c')).toBe('1');
    expect(c.call('RENAMENX', 'missing', 'x')).toEqual(err('ERR no such key'));
    expect(h.propagated).toEqual([['SELECT', '0'], ['RENAMENX', 'a', 'c']]);
  });

  it('RENAMENX treats an expired target as missing', () => {
    const { h, c, put, db } = setup();
    put('a', '1');
    put('b', '2', { expireAt: NOW + 1 });
    h.clock.advance(2);
    expect(c.call('RENAMENX', 'a', 'b')).toBe(1);
    expect(db().dict.get('b')).toBe('1');
    expect(h.propagated).toEqual([['SELECT', '0'], ['MULTI'], ['DEL', 'b'], ['RENAMENX', 'a', 'b'], ['EXEC']]);
  });
});

describe('COPY', () => {
  it('deep-copies every type, so changing the original leaves the copy alone', () => {
    const { c, put, db } = setup();
    const list = new Deque(['a', 'b']);
    const hash = new Map([['f', 'v']]);
    const set = new Set(['m1', 'm2']);
    const z = zset([['x', 1], ['y', 2.5]]);
    put('s', 'str');
    put('l', list);
    put('h', hash);
    put('set', set);
    put('z', z);
    for (const k of ['s', 'l', 'h', 'set', 'z']) expect(c.call('COPY', k, `${k}2`)).toBe(1);
    list.pushBack('c');
    hash.set('g', 'w');
    set.delete('m1');
    z.add('w', 9);
    z.delete('x');
    expect(db().dict.get('s2')).toBe('str');
    expect([...(db().dict.get('l2') as Deque<string>)]).toEqual(['a', 'b']);
    expect([...(db().dict.get('h2') as Map<string, string>)]).toEqual([['f', 'v']]);
    expect([...(db().dict.get('set2') as Set<string>)]).toEqual(['m1', 'm2']);
    const z2 = db().dict.get('z2') as SortedSet;
    expect(z2).toBeInstanceOf(SortedSet);
    expect([...z2.entries()]).toEqual([['x', 1], ['y', 2.5]]);
  });

  it('keeps the TTL, copies to another database with DB, and overwrites only with REPLACE', () => {
    const { h, c, put, db } = setup();
    put('src', 'v', { expireAt: NOW + 7000 });
    put('dst', 'old', { db: 3 });
    expect(c.call('COPY', 'src', 'dst', 'DB', '3')).toBe(0);
    expect(c.call('COPY', 'src', 'dst', 'db', '3', 'replace')).toBe(1);
    expect(db(3).dict.get('dst')).toBe('v');
    expect(db(3).expires.get('dst')).toBe(NOW + 7000);
    expect(c.call('COPY', 'src', 'src', 'DB', '3')).toBe(1);
    expect(c.call('COPY', 'missing', 'x')).toBe(0);
    expect(db().dict.get('src')).toBe('v');
    expect(h.propagated).toEqual([['SELECT', '0'], ['COPY', 'src', 'dst', 'db', '3', 'replace'], ['COPY', 'src', 'src', 'DB', '3']]);
  });

  it('rejects a copy onto itself, bad databases and unknown options with Redis texts', () => {
    const { c, put } = setup();
    put('s', 'v');
    expect(c.call('COPY', 's', 's')).toEqual(err('ERR source and destination objects are the same'));
    expect(c.call('COPY', 's', 's', 'DB', '0')).toEqual(err('ERR source and destination objects are the same'));
    expect(c.call('COPY', 's', 't', 'DB', '16')).toEqual(err('ERR DB index is out of range'));
    expect(c.call('COPY', 's', 't', 'DB', '-1')).toEqual(err('ERR DB index is out of range'));
    expect(c.call('COPY', 's', 't', 'DB', 'x')).toEqual(err('ERR value is not an integer or out of range'));
    expect(c.call('COPY', 's', 't', 'DB', '4294967296')).toEqual(err('ERR value is not an integer or out of range'));
    expect(c.call('COPY', 's', 't', 'DB')).toEqual(err('ERR syntax error'));
    expect(c.call('COPY', 's', 't', 'foo')).toEqual(err('ERR syntax error'));
    expect(c.call('COPY', 's')).toEqual(err("ERR wrong number of arguments for 'copy' command"));
  });
});

describe('MOVE', () => {
  it('moves a key with its TTL to another database', () => {
    const { h, c, put, db } = setup();
    put('k', 'v', { expireAt: NOW + 3000 });
    expect(c.call('MOVE', 'k', '5')).toBe(1);
    expect(db().dict.has('k')).toBe(false);
    expect(db(5).dict.get('k')).toBe('v');
    expect(db(5).expires.get('k')).toBe(NOW + 3000);
    expect(h.propagated).toEqual([['SELECT', '0'], ['MOVE', 'k', '5']]);
  });

  it('does nothing when the key is missing or already in the target', () => {
    const { h, c, put } = setup();
    put('k', 'v');
    put('k', 'other', { db: 1 });
    expect(c.call('MOVE', 'k', '1')).toBe(0);
    expect(c.call('MOVE', 'missing', '1')).toBe(0);
    expect(h.propagated).toEqual([]);
  });

  it('treats an expired key in the target database as missing', () => {
    const { h, c, put, db } = setup();
    put('k', 'v');
    put('k', 'old', { db: 1, expireAt: NOW + 1 });
    h.clock.advance(2);
    expect(c.call('MOVE', 'k', '1')).toBe(1);
    expect(db(1).dict.get('k')).toBe('v');
    expect(db(1).expires.has('k')).toBe(false);
    expect(h.propagated).toEqual([['SELECT', '1'], ['MULTI'], ['DEL', 'k'], ['SELECT', '0'], ['MOVE', 'k', '1'], ['EXEC']]);
  });

  it('rejects the same database and bad indexes', () => {
    const { c, put } = setup();
    put('k', 'v');
    expect(c.call('MOVE', 'k', '0')).toEqual(err('ERR source and destination objects are the same'));
    expect(c.call('MOVE', 'k', '16')).toEqual(err('ERR DB index is out of range'));
    expect(c.call('MOVE', 'k', 'x')).toEqual(err('ERR value is not an integer or out of range'));
  });
});

describe('FLUSHDB and FLUSHALL', () => {
  it('FLUSHDB empties only the selected database and always propagates as received', () => {
    const { h, c, put, db } = setup();
    put('a', 'v', { expireAt: NOW + 100 });
    put('b', 'v', { db: 1 });
    expect(c.call('FLUSHDB')).toEqual(OK_REPLY);
    expect(db().size).toBe(0);
    expect(db().expires.size).toBe(0);
    expect(db(1).size).toBe(1);
    expect(c.call('FLUSHDB', 'ASYNC')).toEqual(OK_REPLY);
    expect(c.call('flushdb', 'sync')).toEqual(OK_REPLY);
    expect(h.propagated).toEqual([['SELECT', '0'], ['FLUSHDB'], ['FLUSHDB', 'ASYNC'], ['flushdb', 'sync']]);
  });

  it('FLUSHALL empties every database and propagates even when already empty', () => {
    const { h, c, put, db } = setup();
    put('a', 'v');
    put('b', 'v', { db: 7 });
    expect(c.call('FLUSHALL', 'async')).toEqual(OK_REPLY);
    expect(db().size + db(7).size).toBe(0);
    expect(c.call('FLUSHALL')).toEqual(OK_REPLY);
    expect(h.propagated).toEqual([['SELECT', '0'], ['FLUSHALL', 'async'], ['FLUSHALL']]);
  });

  it('reject anything but ASYNC or SYNC', () => {
    const { c } = setup();
    expect(c.call('FLUSHALL', 'foo')).toEqual(err('ERR syntax error'));
    expect(c.call('FLUSHDB', 'ASYNC', 'x')).toEqual(err('ERR syntax error'));
  });

  it('fail the transactions watching keys that existed, and only those', () => {
    const { c, put, h } = setup();
    const onPresent = h.client();
    const onMissing = h.client();
    put('present', 'v');
    for (const [client, key] of [[onPresent, 'present'], [onMissing, 'missing']] as const) {
      expect(client.call('WATCH', key)).toEqual(OK_REPLY);
      client.call('MULTI');
      client.call('PING');
    }
    expect(c.call('FLUSHALL')).toEqual(OK_REPLY);
    expect(onPresent.call('EXEC')).toEqual(NULL_ARRAY);
    expect(onMissing.call('EXEC')).toEqual([new SimpleString('PONG')]);
  });
});

describe('SWAPDB', () => {
  it('exchanges the contents of two databases and propagates, even for a database with itself', () => {
    const { h, c, put, db } = setup();
    put('a', 'in0', { expireAt: NOW + 1000 });
    put('b', 'in1', { db: 1 });
    expect(c.call('SWAPDB', '0', '1')).toEqual(OK_REPLY);
    expect(db().dict.get('b')).toBe('in1');
    expect(db(1).dict.get('a')).toBe('in0');
    expect(db(1).expires.get('a')).toBe(NOW + 1000);
    expect(c.call('SWAPDB', '3', '3')).toEqual(OK_REPLY);
    expect(h.propagated).toEqual([['SELECT', '0'], ['SWAPDB', '0', '1'], ['SWAPDB', '3', '3']]);
  });

  it('rejects bad indexes with the first/second texts', () => {
    const { c } = setup();
    expect(c.call('SWAPDB', 'a', '1')).toEqual(err('ERR invalid first DB index'));
    expect(c.call('SWAPDB', '1', 'b')).toEqual(err('ERR invalid second DB index'));
    expect(c.call('SWAPDB', '99999999999', '0')).toEqual(err('ERR invalid first DB index'));
    expect(c.call('SWAPDB', '0', '16')).toEqual(err('ERR DB index is out of range'));
    expect(c.call('SWAPDB', '-1', '0')).toEqual(err('ERR DB index is out of range'));
  });

  it('fails transactions watching keys that exist on either side, not others', () => {
    const { h, c, put } = setup();
    put('only1', 'v', { db: 1 });
    const w1 = h.client();
    const w2 = h.client();
    w1.call('WATCH', 'only1');
    w1.call('MULTI');
    w1.call('PING');
    w2.call('WATCH', 'nowhere');
    w2.call('MULTI');
    w2.call('PING');
    expect(c.call('SWAPDB', '0', '1')).toEqual(OK_REPLY);
    expect(w1.call('EXEC')).toEqual(NULL_ARRAY);
    expect(w2.call('EXEC')).toEqual([new SimpleString('PONG')]);
  });

  it('wakes a client blocked on a key that the swap brings into its database', () => {
    const { h, c, put } = setup();
    const waiter = h.client();
    waiter.send('WAITKEY', 'job');
    expect(waiter.next()).toBeUndefined();
    put('job', 'v', { db: 4 });
    expect(c.call('SWAPDB', '0', '4')).toEqual(OK_REPLY);
    expect(waiter.next()).toBe('found in 0');
  });
});

describe('OBJECT', () => {
  it('ENCODING names string encodings as Redis does', () => {
    const { c, put } = setup();
    const cases: Array<[string, string]> = [
      ['123', 'int'],
      ['-9223372036854775808', 'int'],
      ['9223372036854775808', 'embstr'],
      ['0123', 'embstr'],
      ['-0', 'embstr'],
      ['a'.repeat(44), 'embstr'],
      ['a'.repeat(45), 'raw'],
    ];
    cases.forEach(([v], i) => put(`s${i}`, v));
    expect(cases.map((_, i) => c.call('OBJECT', 'ENCODING', `s${i}`))).toEqual(cases.map(([, e]) => e));
  });

  it("ENCODING applies Redis 7.0's aggregate thresholds", () => {
    const { c, put } = setup();
    const range = <T,>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
    put('list', new Deque(['a']));
    put('h-small', new Map(range(512, (i) => `f${i}`.padEnd(64, '_')).map((f) => [f, 'v'.repeat(64)])));
    put('h-many', new Map(range(513, (i) => `f${i}`).map((f) => [f, 'v'])));
    put('h-longvalue', new Map([['f', 'v'.repeat(65)]]));
    put('h-longfield', new Map([['f'.repeat(65), 'v']]));
    put('set-int', new Set(range(512, (i) => String(i - 100))));
    put('set-many', new Set(range(513, (i) => String(i))));
    put('set-str', new Set(['1', 'x']));
    put('z-small', zset(range(128, (i) => [`m${i}`.padEnd(64, '_'), i] as [string, number])));
    put('z-many', zset(range(129, (i) => [`m${i}`, i] as [string, number])));
    put('z-long', zset([['m'.repeat(65), 1]]));
    const expected: Record<string, string> = {
      list: 'quicklist',
      'h-small': 'listpack',
      'h-many': 'hashtable',
      'h-longvalue': 'hashtable',
      'h-longfield': 'hashtable',
      'set-int': 'intset',
      'set-many': 'hashtable',
      'set-str': 'hashtable',
      'z-small': 'listpack',
      'z-many': 'skiplist',
      'z-long': 'skiplist',
    };
    for (const [key, encoding] of Object.entries(expected)) expect([key, c.call('OBJECT', 'encoding', key)]).toEqual([key, encoding]);
  });

  it('REFCOUNT reports shared small integers as Redis does', () => {
    const { c, put } = setup();
    put('shared', '9999');
    put('zero', '0');
    put('big', '10000');
    put('neg', '-1');
    put('str', 'x');
    put('list', new Deque(['x']));
    expect(['shared', 'zero', 'big', 'neg', 'str', 'list'].map((k) => c.call('OBJECT', 'REFCOUNT', k))).toEqual([
      2147483647, 2147483647, 1, 1, 1, 1,
    ]);
  });

  it('IDLETIME replies 0, FREQ the no-LFU error, and every subcommand null for a missing key', () => {
    const { h, c, put } = setup();
    put('k', 'v', { expireAt: NOW + 10 });
    expect(c.call('OBJECT', 'IDLETIME', 'k')).toBe(0);
    expect(c.call('OBJECT', 'FREQ', 'k')).toEqual(
      err(
        'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
      ),
    );
    h.clock.advance(11);
    for (const sub of ['ENCODING', 'REFCOUNT', 'IDLETIME', 'FREQ']) expect(c.call('OBJECT', sub, 'k')).toBe(null);
  });

  it('HELP lists the subcommands; unknown subcommands and wrong arity get Redis texts', () => {
    const { c } = setup();
    const help = c.call('OBJECT', 'HELP') as SimpleString[];
    expect(help).toHaveLength(15);
    expect(help[0]).toEqual(new SimpleString('OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:'));
    expect(help[14]).toEqual(new SimpleString('    Prints this help.'));
    expect(c.call('OBJECT', 'foo')).toEqual(err("ERR unknown subcommand 'foo'. Try OBJECT HELP."));
    expect(c.call('OBJECT')).toEqual(err("ERR wrong number of arguments for 'object' command"));
    expect(c.call('OBJECT', 'ENCODING')).toEqual(err("ERR wrong number of arguments for 'object|encoding' command"));
    expect(c.call('OBJECT', 'HELP', 'x')).toEqual(err("ERR wrong number of arguments for 'object|help' command"));
  });
});

describe('EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT', () => {
  it('set an absolute expiry and propagate PEXPIREAT with the flags as sent', () => {
    const { h, c, put, db } = setup();
    put('k', 'v');
    expect(c.call('EXPIRE', 'k', '100', 'NX')).toBe(1);
    expect(db().expires.get('k')).toBe(NOW + 100_000);
    expect(c.call('expire', 'k', '200', 'gt')).toBe(1);
    expect(c.call('PEXPIRE', 'k', '300000', 'xx')).toBe(1);
    expect(c.call('EXPIREAT', 'k', '99999999999')).toBe(1);
    expect(c.call('pExPiReAt', 'k', '99999999999999')).toBe(1);
    expect(db().expires.get('k')).toBe(99999999999999);
    expect(h.propagated).toEqual([
      ['SELECT', '0'],
      ['PEXPIREAT', 'k', String(NOW + 100_000), 'NX'],
      ['PEXPIREAT', 'k', String(NOW + 200_000), 'gt'],
      ['PEXPIREAT', 'k', String(NOW + 300_000), 'xx'],
      ['PEXPIREAT', 'k', '99999999999000'],
      ['pExPiReAt', 'k', '99999999999999'],
    ]);
  });

  it('delete the key and propagate DEL when the time is already past', () => {
    const { h, c, put, db } = setup();
    put('a', 'v');
    put('b', 'v');
    put('c', 'v');
    put('d', 'v');
    expect(c.call('EXPIRE', 'a', '-1')).toBe(1);
    expect(c.call('PEXPIRE', 'b', '0')).toBe(1);
    expect(c.call('EXPIREAT', 'c', String(NOW / 1000))).toBe(1);
    expect(c.call('PEXPIREAT', 'd', '1')).toBe(1);
    expect(db().size).toBe(0);
    expect(h.propagated).toEqual([['SELECT', '0'], ['DEL', 'a'], ['DEL', 'b'], ['DEL', 'c'], ['DEL', 'd']]);
  });

  it('on a replica keep a past expiry instead of deleting (the master sends the DEL)', () => {
    const { h, c, put, db } = setup();
    put('k', 'v');
    h.core.role = 'replica';
    c.client.isMaster = true;
    expect(c.call('PEXPIREAT', 'k', '1')).toBe(1);
    expect(db().dict.has('k')).toBe(true);
    expect(db().expires.get('k')).toBe(1);
    const reader = h.client();
    expect(reader.call('TTL', 'k')).toBe(-2);
  });

  it('reply 0 for a missing or expired key', () => {
    const { h, c, put } = setup();
    expect(c.call('EXPIRE', 'missing', '10')).toBe(0);
    put('gone', 'v', { expireAt: NOW + 1 });
    h.clock.advance(2);
    expect(c.call('EXPIRE', 'gone', '10')).toBe(0);
    expect(h.propagated).toEqual([['SELECT', '0'], ['DEL', 'gone']]);
  });

  it('apply NX, XX, GT and LT, counting no expiry as infinite', () => {
    const { h, c, put, db } = setup();
    put('k', 'v');
    expect(c.call('EXPIRE', 'k', '100', 'XX')).toBe(0);
    expect(c.call('EXPIRE', 'k', '100', 'GT')).toBe(0);
    expect(c.call('EXPIRE', 'k', '100', 'LT')).toBe(1);
    expect(c.call('EXPIRE', 'k', '50', 'NX')).toBe(0);
    expect(c.call('EXPIRE', 'k', '100', 'GT')).toBe(0);
    expect(c.call('EXPIRE', 'k', '101', 'GT')).toBe(1);
    expect(c.call('EXPIRE', 'k', '101', 'LT')).toBe(0);
    expect(c.call('EXPIRE', 'k', '50', 'LT', 'XX')).toBe(1);
    expect(db().expires.get('k')).toBe(NOW + 50_000);
    expect(h.propagated.slice(1).map((op) => op[3])).toEqual(['LT', 'GT', 'LT']);
  });

  it('reject incompatible flags, unknown options, non-integers and overflowing times', () => {
    const { c, put } = setup();
    put('k', 'v');
    const nx = err('ERR NX and XX, GT or LT options at the same time are not compatible');
    expect(c.call('EXPIRE', 'k', '1', 'NX', 'XX')).toEqual(nx);
    expect(c.call('EXPIRE', 'k', '1', 'NX', 'GT')).toEqual(nx);
    expect(c.call('PEXPIRE', 'k', '1', 'LT', 'NX')).toEqual(nx);
    expect(c.call('EXPIRE', 'k', '1', 'GT', 'LT')).toEqual(err('ERR GT and LT options at the same time are not compatible'));
    expect(c.call('EXPIRE', 'k', '1', 'foo')).toEqual(err('ERR Unsupported option foo'));
    // Options are checked before the time, and both before the key.
    expect(c.call('EXPIRE', 'missing', 'abc', 'NX', 'XX')).toEqual(nx);
    expect(c.call('EXPIRE', 'k', 'abc')).toEqual(err('ERR value is not an integer or out of range'));
    expect(c.call('PEXPIRE', 'k', '1.5')).toEqual(err('ERR value is not an integer or out of range'));
    expect(c.call('EXPIRE', 'k', '9223372036854775')).toEqual(err("ERR invalid expire time in 'expire' command"));
    expect(c.call('EXPIRE', 'k', '9223372036854776')).toEqual(err("ERR invalid expire time in 'expire' command"));
    expect(c.call('EXPIRE', 'missing', '-9223372036854776')).toEqual(err("ERR invalid expire time in 'expire' command"));
    expect(c.call('PEXPIRE', 'k', '9223372036854775807')).toEqual(err("ERR invalid expire time in 'pexpire' command"));
    expect(c.call('EXPIREAT', 'k', '9223372036854776')).toEqual(err("ERR invalid expire time in 'expireat' command"));
    expect(c.call('EXPIRE', 'k')).toEqual(err("ERR wrong number of arguments for 'expire' command"));
  });

  it('accept the largest absolute times and propagate them digit for digit', () => {
    const { h, c, put } = setup();
    put('k', 'v');
    expect(c.call('EXPIREAT', 'k', '9223372036854775')).toBe(1);
    expect(c.call('PEXPIREAT', 'k', '9223372036854775807')).toBe(1);
    expect(h.propagated.slice(1)).toEqual([
      ['PEXPIREAT', 'k', '9223372036854775000'],
      ['PEXPIREAT', 'k', '9223372036854775807'],
    ]);
  });

  it('make the key expire lazily once the clock passes the time, keeping it at exactly that millisecond', () => {
    const { h, c, put } = setup();
    put('k', 'v');
    c.call('PEXPIRE', 'k', '1500');
    h.clock.advance(1500);
    expect(c.call('EXISTS', 'k')).toBe(1);
    h.clock.advance(1);
    expect(c.call('EXISTS', 'k')).toBe(0);
    expect(h.propagated.slice(1)).toEqual([['PEXPIREAT', 'k', String(NOW + 1500)], ['DEL', 'k']]);
  });
});

describe('TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST', () => {
  it('report -2 for a missing key and -1 for a key without expiry', () => {
    const { c, put } = setup();
    put('k', 'v');
    for (const cmd of ['TTL', 'PTTL', 'EXPIRETIME', 'PEXPIRETIME']) {
      expect(c.call(cmd, 'missing')).toBe(-2);
      expect(c.call(cmd, 'k')).toBe(-1);
    }
  });

  it('report remaining and absolute times, seconds rounded to the nearest', () => {
    const { h, c, put } = setup();
    put('k', 'v', { expireAt: NOW + 10_499 });
    expect(c.call('PTTL', 'k')).toBe(10_499);
    expect(c.call('TTL', 'k')).toBe(10);
    h.clock.advance(-1);
    expect(c.call('TTL', 'k')).toBe(11);
    expect(c.call('PEXPIRETIME', 'k')).toBe(NOW + 10_499);
    expect(c.call('EXPIRETIME', 'k')).toBe(Math.floor((NOW + 10_499 + 500) / 1000));
  });

  it('see an expired key as missing, from one millisecond after its expire time', () => {
    const { h, c, put } = setup();
    put('k', 'v', { expireAt: NOW + 1000 });
    h.clock.advance(999);
    expect(c.call('PTTL', 'k')).toBe(1);
    expect(c.call('TTL', 'k')).toBe(0);
    h.clock.advance(1);
    expect(c.call('PTTL', 'k')).toBe(0);
    h.clock.advance(1);
    expect(c.call('TTL', 'k')).toBe(-2);
    expect(h.propagated).toEqual([['SELECT', '0'], ['DEL', 'k']]);
  });

  it('PERSIST removes an expiry, replies 0 when there was none, and propagates only a change', () => {
    const { h, c, put } = setup();
    put('k', 'v', { expireAt: NOW + 1000 });
    put('plain', 'v');
    expect(c.call('PERSIST', 'k')).toBe(1);
    expect(c.call('TTL', 'k')).toBe(-1);
    expect(c.call('PERSIST', 'k')).toBe(0);
    expect(c.call('PERSIST', 'plain')).toBe(0);
    expect(c.call('PERSIST', 'missing')).toBe(0);
    expect(h.propagated).toEqual([['SELECT', '0'], ['PERSIST', 'k']]);
  });
});

describe('TTL, TYPE and EXISTS leave the access time alone', () => {
  it('do not reset OBJECT IDLETIME (LOOKUP_NOTOUCH), while GET does', () => {
    const h = createHarness({ config: { maxmemory: '100mb', 'maxmemory-policy': 'allkeys-lru' } });
    const c = h.client();
    c.call('SET', 'k', 'v');
    h.clock.advance(5_000);
    for (const cmd of [['TTL', 'k'], ['PTTL', 'k'], ['EXPIRETIME', 'k'], ['PEXPIRETIME', 'k'], ['TYPE', 'k'], ['EXISTS', 'k']]) c.call(...cmd);
    expect(c.call('OBJECT', 'IDLETIME', 'k')).toBe(5);
    expect(c.call('INFO', 'stats')).toContain('keyspace_hits:7\r\n'); // the six, and OBJECT's own
    c.call('GET', 'k');
    expect(c.call('OBJECT', 'IDLETIME', 'k')).toBe(0);
  });
});
