import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithKeyspaceEvents } from './helpers/keyspace-events.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { startServer, type ServerProcess } from './helpers/server-process.js';

let ours: ServerProcess;
let stock: StockRedis;
beforeAll(async () => {
  [ours, stock] = await Promise.all([startServer(), startStockRedis()]);
});
afterAll(async () => {
  await Promise.all([ours?.stop(), stock?.stop()]);
});

/** Every class, key misses and new keys included. */
const ALL = 'KEAnm';
/** Far-future absolute expiries: PEXPIRETIME gives the same answer on both servers. */
const FAR_S = '99999999999';
const FAR_MS = '99999999999000';

/**
 * Runs the script on both servers and expects the same replies and the same events, in the same order.
 * Returns the keyevent half of the events ("event key") for extra, readable checks.
 */
async function same(script: Array<Array<string | number>>): Promise<string[]> {
  const [a, b] = await Promise.all([runWithKeyspaceEvents(ours.port, ALL, script), runWithKeyspaceEvents(stock.port, ALL, script)]);
  expect(a.events).toEqual(b.events);
  expect(a.replies).toEqual(b.replies);
  return a.events.filter((e) => e.startsWith('__keyevent@')).map((e) => e.replace(/^__keyevent@\d+__:/, ''));
}

describe('string keyspace events, compared with redis-server 7.0.15', () => {
  it('SET: new, set, and expire for EX/PX/EXAT/PXAT; nothing when NX/XX refuse', async () => {
    const events = await same([
      ['SET', 'k', 'v'],
      ['SET', 'k', 'v2'],
      ['SET', 'k', 'v3', 'NX'],
      ['SET', 'k', 'v4', 'XX'],
      ['SET', 'x', 'v', 'XX'],
      ['SET', 'x', 'v', 'NX'],
      ['SET', 'k', 'v', 'EX', '100'],
      ['SET', 'k', 'v', 'PX', '100000'],
      ['SET', 'k', 'v', 'EXAT', FAR_S],
      ['SET', 'k', 'v', 'PXAT', FAR_MS],
      ['SET', 'k', 'w', 'KEEPTTL'],
      ['PEXPIRETIME', 'k'],
      ['SET', 'k', 'v', 'XX', 'KEEPTTL'],
      ['SET', 'k', 'v'],
      ['PEXPIRETIME', 'k'],
    ]);
    expect(events.slice(0, 4)).toEqual(['new k', 'set k', 'set k', 'set k']);
    expect(events).toContain('expire k');
  });

  it('SET GET: a key miss for a missing key, the old value, and no set when NX/XX refuse', async () => {
    const events = await same([
      ['SET', 'k', 'v', 'GET'],
      ['SET', 'k', 'w', 'GET'],
      ['SET', 'k', 'x', 'NX', 'GET'],
      ['SET', 'm', 'x', 'XX', 'GET'],
      ['SET', 'k', 'y', 'XX', 'GET', 'EX', '100'],
      ['SET', 'k', 'z', 'GET', 'KEEPTTL'],
      ['SET', 'n', 'z', 'NX', 'GET', 'PXAT', FAR_MS],
    ]);
    expect(events.slice(0, 3)).toEqual(['keymiss k', 'new k', 'set k']);
  });

  it('SET errors and type changes: WRONGTYPE for GET on a list, invalid expires emit nothing, SET overwrites any type', async () => {
    await same([
      ['RPUSH', 'l', 'a'],
      ['SET', 'l', 'v', 'GET'],
      ['SET', 'k', 'v', 'EX', '0'],
      ['SET', 'k', 'v', 'PX', '-5'],
      ['SET', 'k', 'v', 'EX', 'abc'],
      ['SET', 'k', 'v', 'NX', 'XX'],
      ['SET', 'k', 'v', 'KEEPTTL', 'EX', '10'],
      ['SET', 'l', 'v'],
      ['TYPE', 'l'],
    ]);
  });

  it('SETNX, SETEX and PSETEX: set (+ expire), nothing when SETNX finds the key or the TTL is invalid', async () => {
    const events = await same([
      ['SETNX', 'a', '1'],
      ['SETNX', 'a', '2'],
      ['SETEX', 'b', '100', 'v'],
      ['SETEX', 'b', '200', 'w'],
      ['SETEX', 'b', '0', 'v'],
      ['SETEX', 'c', 'x', 'v'],
      ['PSETEX', 'c', '100000', 'v'],
      ['PSETEX', 'c', '-1', 'v'],
      ['GET', 'a'],
    ]);
    expect(events.slice(0, 5)).toEqual(['new a', 'set a', 'new b', 'set b', 'expire b']);
  });

  it('MSET and MSETNX: new + set per key, in argument order; MSETNX that refuses emits nothing', async () => {
    const events = await same([
      ['MSET', 'a', '1', 'b', '2', 'a', '3'],
      ['MSETNX', 'c', '1', 'a', '2'],
      ['MSETNX', 'c', '1', 'd', '2'],
      ['MSET', 'a', '1', 'b'],
      ['MSETNX', 'e', '1', 'f'],
      ['MGET', 'a', 'b', 'c', 'd'],
    ]);
    expect(events).toEqual(['new a', 'set a', 'new b', 'set b', 'set a', 'new c', 'set c', 'new d', 'set d']);
  });

  it('APPEND and SETRANGE: new + append/setrange; an empty SETRANGE changes nothing and says nothing', async () => {
    await same([
      ['APPEND', 's', 'hello'],
      ['APPEND', 's', ' world'],
      ['APPEND', 'e', ''],
      ['SETRANGE', 'r', '5', 'x'],
      ['SETRANGE', 'r', '0', 'ab'],
      ['SETRANGE', 'r', '0', ''],
      ['SETRANGE', 'm', '3', ''],
      ['SETRANGE', 'r', '-1', 'x'],
      ['SETRANGE', 'r', 'x', 'x'],
      ['RPUSH', 'l', 'a'],
      ['APPEND', 'l', 'x'],
      ['SETRANGE', 'l', '0', 'x'],
      ['SETRANGE', 'r', '536870912', 'x'],
      ['GET', 'r'],
      ['EXISTS', 'm', 'e'],
    ]);
  });

  it('INCR, DECR, INCRBY, DECRBY: new + incrby; errors and overflow emit nothing; the TTL stays', async () => {
    const events = await same([
      ['INCR', 'n'],
      ['INCR', 'n'],
      ['DECR', 'n'],
      ['DECR', 'd'],
      ['INCRBY', 'n', '10'],
      ['INCRBY', 'i', '-7'],
      ['DECRBY', 'n', '5'],
      ['DECRBY', 'e', '5'],
      ['DECRBY', 'n', '-9223372036854775808'],
      ['INCRBY', 'n', 'x'],
      ['SET', 's', 'abc'],
      ['INCR', 's'],
      ['SET', 'big', '9223372036854775807'],
      ['INCR', 'big'],
      ['INCRBY', 'big', '-1'],
      ['RPUSH', 'l', 'a'],
      ['DECR', 'l'],
      ['SET', 't', '5', 'PXAT', FAR_MS],
      ['INCR', 't'],
      ['PEXPIRETIME', 't'],
    ]);
    expect(events.slice(0, 3)).toEqual(['new n', 'incrby n', 'incrby n']);
  });

  it('INCRBYFLOAT: new + incrbyfloat; not-a-float and infinity emit nothing', async () => {
    await same([
      ['INCRBYFLOAT', 'f', '1.5'],
      ['INCRBYFLOAT', 'f', '0.1'],
      ['INCRBYFLOAT', 'f', 'abc'],
      ['INCRBYFLOAT', 'f', 'inf'],
      ['SET', 's', 'abc'],
      ['INCRBYFLOAT', 's', '1'],
      ['RPUSH', 'l', 'a'],
      ['INCRBYFLOAT', 'l', '1'],
      ['SET', 't', '2', 'PXAT', FAR_MS],
      ['INCRBYFLOAT', 't', '-0.5'],
      ['PEXPIRETIME', 't'],
    ]);
  });

  it('GETSET and GETDEL: key miss, set / del; WRONGTYPE emits nothing', async () => {
    const events = await same([
      ['GETSET', 'g', 'v'],
      ['GETSET', 'g', 'w'],
      ['SET', 't', 'v', 'PXAT', FAR_MS],
      ['GETSET', 't', 'x'],
      ['PEXPIRETIME', 't'],
      ['GETDEL', 'g'],
      ['GETDEL', 'g'],
      ['RPUSH', 'l', 'a'],
      ['GETSET', 'l', 'x'],
      ['GETDEL', 'l'],
    ]);
    expect(events.slice(0, 4)).toEqual(['keymiss g', 'new g', 'set g', 'set g']);
    expect(events).toContain('del g');
  });

  it('GETEX: expire for EX/PX/EXAT/PXAT, persist only when a TTL went, del for a past EXAT/PXAT', async () => {
    const events = await same([
      ['GETEX', 'x'],
      ['GETEX', 'x', 'EX', '100'],
      ['GETEX', 'x', 'EX', '0'],
      ['SET', 'x', 'v'],
      ['GETEX', 'x'],
      ['GETEX', 'x', 'PERSIST'],
      ['GETEX', 'x', 'EX', '100'],
      ['GETEX', 'x', 'PX', '100000'],
      ['GETEX', 'x', 'EXAT', FAR_S],
      ['GETEX', 'x', 'PXAT', FAR_MS],
      ['PEXPIRETIME', 'x'],
      ['GETEX', 'x', 'PERSIST'],
      ['GETEX', 'x', 'PERSIST'],
      ['GETEX', 'x', 'EX', '0'],
      ['GETEX', 'x', 'EX', '10', 'PERSIST'],
      ['GETEX', 'x', 'EXAT', '1'],
      ['EXISTS', 'x'],
      ['SET', 'y', 'v'],
      ['GETEX', 'y', 'PXAT', '1'],
      ['RPUSH', 'l', 'a'],
      ['GETEX', 'l', 'EX', '10'],
    ]);
    expect(events.slice(0, 2)).toEqual(['keymiss x', 'keymiss x']);
    expect(events).toContain('persist x');
    expect(events).toContain('del x');
    expect(events).toContain('del y');
  });

  it('keys already expired: expired, then the key miss or the new key of the command', async () => {
    // An absolute expiry in the past is accepted by SET in 7.0: the key dies at its next access (or by cron).
    await same([
      ['SET', 'e', 'v', 'PXAT', '1'],
      ['GET', 'e'],
      ['SET', 'f', '5', 'PXAT', '1'],
      ['INCR', 'f'],
      ['SET', 'g', 'v', 'PXAT', '1'],
      ['SET', 'g', 'w', 'NX'],
    ]);
  });

  it('events of another database carry its index', async () => {
    const [a, b] = await Promise.all(
      [ours.port, stock.port].map((port) =>
        runWithKeyspaceEvents(port, ALL, [['SELECT', '3'], ['SET', 'k', 'v'], ['INCR', 'n'], ['GETDEL', 'k'], ['SELECT', '0']]),
      ),
    );
    expect(a).toEqual(b);
    expect(a.events).toContain('__keyspace@3__:n incrby');
  });
});

describe('bitmap keyspace events, compared with redis-server 7.0.15', () => {
  it('SETBIT: new + setbit; nothing when the bit already has the value and the string does not grow', async () => {
    const events = await same([
      ['SETBIT', 'b', '7', '1'],
      ['SETBIT', 'b', '7', '1'],
      ['SETBIT', 'b', '7', '0'],
      ['SETBIT', 'b', '100', '0'],
      ['SETBIT', 'b', '100', '0'],
      ['SETBIT', 'z', '0', '0'],
      ['SETBIT', 'b', '-1', '1'],
      ['SETBIT', 'b', '0', '2'],
      ['RPUSH', 'l', 'a'],
      ['SETBIT', 'l', '0', '1'],
      ['STRLEN', 'b'],
    ]);
    expect(events.slice(0, 5)).toEqual(['new b', 'setbit b', 'setbit b', 'setbit b', 'new z']);
  });

  it('BITOP: key misses for missing sources, new + set for the result, del when the result is empty', async () => {
    const events = await same([
      ['SET', 'a', 'abc'],
      ['SET', 'b', 'zz'],
      ['BITOP', 'AND', 'd', 'a', 'b'],
      ['BITOP', 'OR', 'd', 'a', 'b'],
      ['BITOP', 'XOR', 'd', 'a', 'missing'],
      ['BITOP', 'NOT', 'd', 'a'],
      ['GET', 'd'],
      ['BITOP', 'AND', 'd', 'm1', 'm2'],
      ['BITOP', 'AND', 'd', 'm1'],
      ['SET', 'empty', ''],
      ['BITOP', 'OR', 'e', 'empty', 'm1'],
      ['RPUSH', 'l', 'a'],
      ['BITOP', 'OR', 'd', 'm1', 'l'],
      ['BITOP', 'NOT', 'd', 'a', 'b'],
      ['BITOP', 'FOO', 'd', 'a'],
      ['BITOP', 'OR', 'l', 'a'],
      ['TYPE', 'l'],
    ]);
    expect(events).toContain('del d');
  });

  it('BITFIELD: one setbit per command; OVERFLOW FAIL changes nothing; a missing key is created anyway', async () => {
    const events = await same([
      ['BITFIELD', 'bf', 'SET', 'u8', '0', '200'],
      ['BITFIELD', 'bf', 'INCRBY', 'u8', '0', '100'],
      ['BITFIELD', 'bf', 'OVERFLOW', 'FAIL', 'INCRBY', 'u8', '0', '250'],
      ['BITFIELD', 'bf', 'OVERFLOW', 'SAT', 'INCRBY', 'u8', '0', '250'],
      ['BITFIELD', 'bf', 'SET', 'u8', '0', '255'],
      ['BITFIELD', 'bf', 'INCRBY', 'i8', '0', '1', 'SET', 'u4', '4', '1', 'GET', 'u8', '0'],
      ['BITFIELD', 'bf', 'SET', 'u8', '#100', '0'],
      ['BITFIELD', 'bf', 'OVERFLOW', 'FAIL', 'INCRBY', 'u8', '8000', '300'],
      ['STRLEN', 'bf'],
      ['BITFIELD', 'bf', 'GET', 'u8', '0'],
      ['BITFIELD', 'bf'],
      ['BITFIELD', 'bf', 'FOO'],
      ['BITFIELD', 'bf', 'OVERFLOW', 'NOPE', 'SET', 'u8', '0', '1'],
      ['RPUSH', 'l', 'a'],
      ['BITFIELD', 'l', 'SET', 'u8', '0', '1'],
      ['BITFIELD_RO', 'bf', 'SET', 'u8', '0', '1'],
    ]);
    expect(events.slice(0, 3)).toEqual(['new bf', 'setbit bf', 'setbit bf']);
  });

  it('BITFIELD on a missing key whose every write FAILs: only "new", and the key exists', async () => {
    const events = await same([['BITFIELD', 'nf', 'OVERFLOW', 'FAIL', 'INCRBY', 'u8', '0', '300'], ['EXISTS', 'nf'], ['GET', 'nf']]);
    expect(events).toEqual(['new nf']);
  });
});

describe('key misses of string and bitmap reads, compared with redis-server 7.0.15', () => {
  it('GET, MGET, STRLEN, GETRANGE, SUBSTR, GETBIT, BITCOUNT, BITPOS, BITFIELD(_RO) GET and LCS on missing keys', async () => {
    const events = await same([
      ['SET', 'a', 'abc'],
      ['RPUSH', 'l', 'x'],
      ['GET', 'nope'],
      ['GET', 'a'],
      ['GET', 'l'],
      ['MGET', 'a', 'm1', 'l', 'm2'],
      ['STRLEN', 'm3'],
      ['GETRANGE', 'm4', '0', '-1'],
      ['SUBSTR', 'm5', '0', '-1'],
      ['GETBIT', 'm6', '3'],
      ['BITCOUNT', 'm7'],
      ['BITCOUNT', 'm8', '0', '-1', 'BIT'],
      ['BITPOS', 'm9', '1'],
      ['BITPOS', 'm10', '0', '2'],
      ['BITFIELD', 'm11', 'GET', 'u8', '0'],
      ['BITFIELD_RO', 'm12', 'GET', 'i4', '0'],
      ['LCS', 'a', 'm13'],
      ['LCS', 'm14', 'm15', 'LEN'],
    ]);
    expect(events).toContain('keymiss nope');
    expect(events).toContain('keymiss m15');
  });

  it('argument errors checked before the lookup emit no key miss; those checked after it do', async () => {
    await same([
      ['GETRANGE', 'm1', 'x', '1'],
      ['GETBIT', 'm2', '-1'],
      ['BITPOS', 'm3', '2'],
      ['BITCOUNT', 'm4', 'x', '1'],
      ['BITCOUNT', 'm5', '0'],
      ['BITFIELD', 'm6', 'GET', 'u99', '0'],
      ['GETEX', 'm7', 'EX', '-1'],
      ['LCS', 'm8', 'm9', 'LEN', 'IDX'],
    ]);
  });
});
