import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../shared/resp/reply.js';
import { pipeline, runWithKeyspaceEvents, withKeyspaceEvents, type Cmd, type ScriptRun } from './helpers/keyspace-events.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, type ServerProcess } from './helpers/server-process.js';

/**
 * SORT and SORT_RO on our server and on a stock redis-server 7.0.15, script by script: the same replies (order,
 * nils, error texts) and the same keyspace events (keymiss of every pattern lookup, "new", "sortstore", "del",
 * "expired"), in the same order.
 */

const FLAGS = 'KEAnm';

let ours: ServerProcess;
let stock: StockRedis;

beforeAll(async () => {
  // DEBUG SLEEP (to let keys expire between pipelined commands) is off by default in Redis 7.
  [ours, stock] = await Promise.all([startServer(), startStockRedis(['--enable-debug-command', 'yes'])]);
});
afterAll(async () => {
  await Promise.all([ours?.stop(), stock?.stop()]);
});

/** Runs the script on both servers and expects the same replies and the same events, in the same order. */
async function same(script: Cmd[], flags = FLAGS): Promise<ScriptRun> {
  const [a, b] = await Promise.all([runWithKeyspaceEvents(ours.port, flags, script), runWithKeyspaceEvents(stock.port, flags, script)]);
  expect(a.replies).toEqual(b.replies);
  expect(a.events).toEqual(b.events);
  return a;
}

/** `__keyspace@db__:key event` and `__keyevent@db__:event key`, as a subscriber to both receives them. */
function ev(event: string, key: string, db = 0): string[] {
  return [`__keyspace@${db}__:${key} ${event}`, `__keyevent@${db}__:${event} ${key}`];
}

/** Keys set up with a 20 ms TTL, a 100 ms server sleep, then `script`, all in one pipeline on both servers. */
async function sameAfterExpiry(setup: Cmd[], script: Cmd[]): Promise<ScriptRun> {
  const all = [...setup, ['DEBUG', 'SLEEP', '0.1'], ...script];
  const [a, b] = await Promise.all([withKeyspaceEvents(ours.port, FLAGS, (c) => pipeline(c, all)), withKeyspaceEvents(stock.port, FLAGS, (c) => pipeline(c, all))]);
  expect(a.replies).toEqual(b.replies);
  expect(a.events).toEqual(b.events);
  return a;
}

/** A small deterministic generator (mulberry32), so the generated scripts are the same on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('numeric and ALPHA sorting of lists', () => {
  it('ascending, descending, ties broken bytewise, ALPHA in byte order', async () => {
    await same([
      ['RPUSH', 'l', '3', '1', '2', '10', '-5', '1.5', '01', '1.0', '+1', '-0', '0', '1e1'],
      ['SORT', 'l'],
      ['SORT', 'l', 'DESC'],
      ['SORT', 'l', 'ASC'],
      ['SORT', 'l', 'DESC', 'ASC'],
      ['SORT', 'l', 'ALPHA'],
      ['SORT', 'l', 'alpha', 'desc'],
      ['SORT_RO', 'l'],
      ['SORT_RO', 'l', 'ALPHA', 'DESC'],
      ['RPUSH', 'w', 'b', 'B', 'a', 'A', '\xc3\xa9', '\xff', '\x80', 'ab', 'a', ' a', '~'],
      ['SORT', 'w', 'ALPHA'],
      ['SORT', 'w', 'ALPHA', 'DESC'],
    ]);
  });

  it('LIMIT: offsets and counts, negative, zero and out of range', async () => {
    const limits: Array<[string, string]> = [
      ['0', '3'],
      ['2', '3'],
      ['-1', '2'],
      ['-5', '-5'],
      ['0', '-1'],
      ['3', '0'],
      ['5', '100'],
      ['6', '1'],
      ['100', '5'],
      ['0', '0'],
      ['9223372036854775807', '9223372036854775807'],
      ['-9223372036854775808', '1'],
    ];
    const script: Cmd[] = [['RPUSH', 'l', '5', '3', '1', '4', '2', '6']];
    for (const [off, count] of limits) {
      script.push(['SORT', 'l', 'LIMIT', off, count]);
      script.push(['SORT', 'l', 'LIMIT', off, count, 'DESC', 'ALPHA']);
      script.push(['SORT', 'l', 'BY', 'nosort', 'LIMIT', off, count]);
      script.push(['SORT', 'l', 'BY', 'nosort', 'LIMIT', off, count, 'DESC']);
      script.push(['SORT', 'nokey', 'LIMIT', off, count]);
    }
    script.push(['SORT', 'l', 'LIMIT', '1', '2', 'LIMIT', '0', '1']);
    await same(script);
  });

  it('weights as glibc strtod reads them: spaces, hex, inf, subnormals, trailing bytes', async () => {
    const accepted = ['', ' 1', '\t7', '0x10', '0X1A', '0x.8', '0x1p-1074', '0x1.8p-1022', 'inf', '-Infinity', '+5', '.5', '5.', '1e+5', '2.2250738585072014e-308', '2.2250738585072013e-308', '1.797693134862315807e308', '0e-500', '4\x00abc'];
    const script: Cmd[] = [];
    for (const w of accepted) script.push(['DEL', 'l'], ['RPUSH', 'l', w, '0', '-1'], ['SORT', 'l'], ['SORT', 'l', 'DESC']);
    const rejected = [' ', '1 ', 'nan', '-nan', 'nan(1)', '1e400', '1e-310', '1e-400', '1e-320', '2.2250738585072012e-308', '1.7976931348623159e308', '0x1.fffffffffffff8p1023', '0x0.fffffffffffff8p-1022', '0x1p-1080', '1e', '0x', '0x1p', 'infin', 'infinityx', '1_0', 'abc', '.', '-', '\x001'];
    // Redis never clears errno before its strtod here, so an ERANGE stays and fails later SORTs until something
    // else resets errno (INCRBYFLOAT's parser does): reset it after each case so every case stands alone.
    for (const w of rejected) {
      script.push(['DEL', 'l'], ['RPUSH', 'l', '2', w, '1'], ['SORT', 'l'], ['SORT', 'l', 'LIMIT', '0', '1']);
      script.push(['INCRBYFLOAT', 'errno-reset', '1']);
    }
    await same(script);
  });

  it('"One or more scores" error: a non-number element, and STORE then leaves the destination alone', async () => {
    const { events } = await same([
      ['RPUSH', 'l', '1', 'x', '2'],
      ['SET', 'dst', 'keep'],
      ['SORT', 'l'],
      ['SORT', 'l', 'STORE', 'dst'],
      ['GET', 'dst'],
      ['SORT', 'l', 'ALPHA', 'STORE', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
    ]);
    // The failed SORT ... STORE sends nothing: "set" is followed straight by the ALPHA store's "sortstore".
    expect(events.slice(-4)).toEqual([...ev('set', 'dst'), ...ev('sortstore', 'dst')]);
  });

  it('binary elements: NUL bytes end the ALPHA comparison of a reply, not of a STORE', async () => {
    await same([
      ['RPUSH', 'l', 'a\x00b', 'a', 'a\x00a', 'ab', '\x00', '', 'a\x00', 'b'],
      ['SORT', 'l', 'ALPHA'],
      ['SORT', 'l', 'ALPHA', 'DESC'],
      ['SORT', 'l', 'ALPHA', 'STORE', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
      ['SORT', 'l', 'ALPHA', 'DESC', 'STORE', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
    ]);
  });
});

describe('sets and sorted sets', () => {
  it('sets sort by value; BY nosort keeps an intset in numeric order, ignoring DESC, and STORE sorts it ALPHA', async () => {
    await same([
      ['SADD', 's', '30', '2', '100', '-7', '11'],
      ['SORT', 's'],
      ['SORT', 's', 'DESC'],
      ['SORT', 's', 'ALPHA'],
      ['SORT', 's', 'BY', 'nosort'],
      ['SORT', 's', 'BY', 'nosort', 'DESC'],
      ['SORT', 's', 'BY', 'nosort', 'LIMIT', '1', '3'],
      ['SORT', 's', 'BY', 'nosort', 'GET', '#'],
      ['SORT_RO', 's', 'BY', 'nosort'],
      ['SORT', 's', 'BY', 'nosort', 'STORE', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
      ['SORT', 's', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '2', 'STORE', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
      ['SORT', 's', 'BY', 'w_*', 'STORE', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
      ['SADD', 't', 'b', 'a', 'c', '10', '9'],
      ['SORT', 't', 'ALPHA'],
      ['SORT', 't', 'ALPHA', 'DESC', 'LIMIT', '1', '3'],
      ['SORT', 't'],
      ['SORT', 't', 'BY', 'nosort', 'STORE', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
    ]);
  });

  it('sorted sets: sorted by member value, or in score order with BY nosort (DESC and LIMIT on that order)', async () => {
    await same([
      ['ZADD', 'z', '1', '30', '2', '4', '3', '100', '4', '-1', '5', '7'],
      ['SORT', 'z'],
      ['SORT', 'z', 'DESC'],
      ['SORT', 'z', 'ALPHA'],
      ['SORT', 'z', 'BY', 'nosort'],
      ['SORT', 'z', 'BY', 'nosort', 'DESC'],
      ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '1', '2'],
      ['SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '2'],
      ['SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', '4', '10'],
      ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '5', '1'],
      ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '0', '0'],
      ['SORT', 'z', 'BY', 'nosort', 'DESC', 'STORE', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
      ['ZADD', 'zz', '1', 'x', '2', 'y'],
      ['SORT', 'zz'],
      ['SORT', 'zz', 'ALPHA', 'DESC'],
    ]);
  });
});

describe('BY and GET patterns', () => {
  it('BY string weights, hash fields, missing and wrong-type weights (each miss a "keymiss")', async () => {
    const { events } = await same([
      ['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e'],
      ['MSET', 'w_a', '3', 'w_b', '1', 'w_c', '2'],
      ['HSET', 'h_a', 'f', '9', 'g', 'x'],
      ['HSET', 'h_b', 'f', '-1'],
      ['SADD', 'w_d', 'm'],
      ['SORT', 'l', 'BY', 'w_*'],
      ['SORT', 'l', 'BY', 'w_*', 'DESC'],
      ['SORT', 'l', 'BY', 'h_*->f'],
      ['SORT', 'l', 'BY', 'h_*->f', 'DESC'],
      ['SORT', 'l', 'BY', 'h_*->g'],
      ['SORT', 'l', 'BY', 'h_*->g', 'ALPHA'],
      ['SORT', 'l', 'BY', 'w_*', 'ALPHA'],
      ['SORT', 'l', 'BY', 'w_*', 'ALPHA', 'DESC'],
      ['SORT', 'l', 'BY', '*', 'ALPHA'],
      ['SORT', 'l', 'BY', 'w_*->'],
      ['SORT', 'l', 'BY', 'h_*->nofield'],
    ]);
    expect(events).toContain(ev('keymiss', 'w_e')[0]);
  });

  it('GET #, GET patterns, hash fields, constants and misses (nil), several GETs per element', async () => {
    await same([
      ['RPUSH', 'l', '2', '1', '3'],
      ['MSET', 'n_1', 'one', 'n_2', 'two', 'w_1', '30', 'w_2', '20', 'w_3', '10'],
      ['HSET', 'h_1', 'name', 'uno'],
      ['HSET', 'h_3', 'name', 'tres'],
      ['SET', 'const', 'c'],
      ['SORT', 'l', 'GET', '#'],
      ['SORT', 'l', 'GET', 'n_*'],
      ['SORT', 'l', 'GET', 'n_*', 'GET', '#', 'GET', 'h_*->name'],
      ['SORT', 'l', 'BY', 'w_*', 'GET', 'n_*', 'GET', 'h_*->name'],
      ['SORT', 'l', 'GET', 'const'],
      ['SORT', 'l', 'GET', 'h_*->'],
      ['SORT', 'l', 'GET', 'l'],
      ['SORT', 'l', 'GET', '#', 'LIMIT', '1', '1'],
      ['SORT', 'l', 'BY', 'nosort', 'GET', 'n_*', 'DESC'],
      ['SORT_RO', 'l', 'GET', 'n_*', 'GET', '#'],
      ['SORT', 'l', 'GET', 'n_*', 'STORE', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
      ['SORT', 'l', 'GET', '#', 'GET', 'h_*->name', 'STORE', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
      ['SORT', 'nokey', 'GET', '#', 'GET', 'x_*'],
    ]);
  });

  it('pattern corner cases: the first "*" only, "->" before the "*", an empty field, NUL bytes', async () => {
    await same([
      ['RPUSH', 'l', 'a', 'b'],
      ['SET', 'x_a_*', '1'],
      ['SET', 'x_b_*', '2'],
      ['SET', 'h->a', '5'],
      ['HSET', 'k_a', '->f', 'F', 'f*', 'star'],
      ['HSET', 'k_b', 'f->g', 'arrow'],
      ['SET', 'k_a->', 'plain'],
      ['SORT', 'l', 'GET', 'x_*_*'],
      ['SORT', 'l', 'GET', 'h->*'],
      ['SORT', 'l', 'GET', 'k_*->->f'],
      ['SORT', 'l', 'GET', 'k_*->f*'],
      ['SORT', 'l', 'GET', 'k_*->f->g'],
      ['SORT', 'l', 'GET', 'k_*->'],
      ['SORT', 'l', 'GET', '#\x00x'],
      ['SORT', 'l', 'GET', 'k_\x00*'],
      ['SORT', 'l', 'GET', 'k_*->\x00f'],
      ['SORT', 'l', 'BY', 'x\x00*'],
      ['SORT', 'l', 'BY', 'x_*_*', 'DESC'],
    ]);
  });

  it('BY with a constant pattern (nosort) never looks weights up; BY with "*" looks each one up once', async () => {
    const { events } = await same([
      ['RPUSH', 'l', 'b', 'a'],
      ['SORT', 'l', 'BY', 'nosort'],
      ['SORT', 'l', 'BY', 'missing_*', 'GET', 'g_*'],
    ]);
    expect(events.slice(4)).toEqual([
      ...ev('keymiss', 'missing_b'),
      ...ev('keymiss', 'missing_a'),
      ...ev('keymiss', 'g_a'),
      ...ev('keymiss', 'g_b'),
    ]);
  });

  it('weights of a set are looked up in its iteration order (an intset: numeric order)', async () => {
    const { events } = await same([
      ['SADD', 's', '30', '-2', '7', '100'],
      ['SET', 'w_7', '1'],
      ['SORT', 's', 'BY', 'w_*', 'GET', 'g_*', 'GET', '#'],
      ['SORT', 's', 'BY', 'w_*', 'ALPHA', 'LIMIT', '1', '2'],
    ]);
    expect(events.slice(8, 14)).toEqual([...ev('keymiss', 'w_-2'), ...ev('keymiss', 'w_30'), ...ev('keymiss', 'w_100')]);
  });

  it('ALPHA BY ties keep the stable order; with a narrowing LIMIT, pqsort moves them as Redis does', async () => {
    const script: Cmd[] = [];
    const rand = rng(7);
    for (const size of [5, 7, 8, 20, 41, 60, 150]) {
      script.push(['DEL', 'l']);
      const elements: string[] = [];
      for (let i = 0; i < size; i++) elements.push(`e${i}`);
      script.push(['RPUSH', 'l', ...elements]);
      // Few distinct weights (and some missing ones) make many ties.
      for (const e of elements) if (rand() < 0.8) script.push(['SET', `w_${e}`, String(Math.floor(rand() * 4))]);
      for (const e of elements) if (rand() < 0.7) script.push(['HSET', `h_${e}`, 'f', String(Math.floor(rand() * 3))]);
      for (const order of ['ASC', 'DESC']) {
        script.push(['SORT', 'l', 'BY', 'w_*', 'ALPHA', order]);
        script.push(['SORT', 'l', 'BY', 'h_*->f', 'ALPHA', order]);
        script.push(['SORT', 'l', 'BY', 'w_*', order]);
        for (const [off, count] of [
          [0, 1],
          [0, 3],
          [1, 4],
          [Math.floor(size / 2), 3],
          [size - 2, 5],
          [3, size],
          [0, size - 1],
        ]) {
          script.push(['SORT', 'l', 'BY', 'w_*', 'ALPHA', order, 'LIMIT', off, count]);
          script.push(['SORT', 'l', 'BY', 'h_*->f', 'ALPHA', order, 'LIMIT', off, count]);
          script.push(['SORT', 'l', 'BY', 'w_*', order, 'LIMIT', off, count]);
          script.push(['SORT', 'l', 'BY', 'w_*', 'ALPHA', order, 'LIMIT', off, count, 'STORE', 'dst']);
          script.push(['LRANGE', 'dst', '0', '-1']);
        }
      }
    }
    await same(script, '');
  });

  it('random lists of numbers and words, sorted every way against the stock server', async () => {
    const rand = rng(42);
    const script: Cmd[] = [];
    for (let round = 0; round < 12; round++) {
      const size = 1 + Math.floor(rand() * 60);
      const nums: string[] = [];
      for (let i = 0; i < size; i++) nums.push(String(Math.floor(rand() * 40) - 20) + (rand() < 0.3 ? '.5' : ''));
      script.push(['DEL', 'n'], ['RPUSH', 'n', ...nums]);
      const words: string[] = [];
      for (let i = 0; i < size; i++) words.push(String.fromCharCode(97 + Math.floor(rand() * 5)) + String.fromCharCode(65 + Math.floor(rand() * 60)));
      script.push(['DEL', 'a'], ['RPUSH', 'a', ...words]);
      const off = Math.floor(rand() * (size + 2)) - 1;
      const count = Math.floor(rand() * (size + 2)) - 1;
      for (const order of ['ASC', 'DESC']) {
        script.push(['SORT', 'n', order], ['SORT', 'n', order, 'LIMIT', off, count]);
        script.push(['SORT', 'a', 'ALPHA', order], ['SORT', 'a', 'ALPHA', order, 'LIMIT', off, count]);
        script.push(['SORT', 'a', 'BY', '*', 'ALPHA', order, 'LIMIT', off, count]);
        script.push(['SORT', 'n', 'BY', '*', order, 'LIMIT', off, count]);
        script.push(['SORT', 'a', 'BY', 'nosort', order, 'LIMIT', off, count]);
      }
    }
    await same(script, '');
  });
});

describe('STORE', () => {
  it('"new" then "sortstore" on a new destination; overwriting any type and dropping the TTL', async () => {
    const { events } = await same([
      ['RPUSH', 'l', '3', '1', '2'],
      ['SORT', 'l', 'STORE', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
      ['SORT', 'l', 'DESC', 'STORE', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
      ['SET', 'str', 'v', 'EX', '1000'],
      ['SORT', 'l', 'STORE', 'str'],
      ['TYPE', 'str'],
      ['TTL', 'str'],
      ['HSET', 'h', 'f', 'v'],
      ['SORT', 'l', 'LIMIT', '0', '1', 'STORE', 'h'],
      ['LRANGE', 'h', '0', '-1'],
    ]);
    expect(events.slice(4, 8)).toEqual([...ev('new', 'dst'), ...ev('sortstore', 'dst')]);
  });

  it('an empty result deletes the destination ("del"), or changes nothing when it is missing', async () => {
    const { events } = await same([
      ['RPUSH', 'l', '1', '2'],
      ['SET', 'dst', 'v'],
      ['SORT', 'nokey', 'STORE', 'dst'],
      ['EXISTS', 'dst'],
      ['SORT', 'nokey', 'STORE', 'dst'],
      ['SET', 'dst', 'v'],
      ['SORT', 'l', 'LIMIT', '5', '1', 'STORE', 'dst'],
      ['EXISTS', 'dst'],
      ['SORT', 'l', 'LIMIT', '0', '0', 'STORE', 'dst'],
      ['SORT', 'l', 'BY', 'nosort', 'LIMIT', '9', '9', 'STORE', 'dst'],
    ]);
    // One "del" per existing destination emptied; none for the missing one.
    expect(events.filter((e) => e.endsWith(' del') || e.includes(':del '))).toEqual([...ev('del', 'dst'), ...ev('del', 'dst')]);
  });

  it('into the sorted key itself, the last STORE wins, and STORE with GET stores misses as ""', async () => {
    await same([
      ['RPUSH', 'l', 'c', 'a', 'b'],
      ['SORT', 'l', 'ALPHA', 'STORE', 'x', 'STORE', 'y'],
      ['EXISTS', 'x'],
      ['LRANGE', 'y', '0', '-1'],
      ['SORT', 'l', 'ALPHA', 'DESC', 'STORE', 'l'],
      ['LRANGE', 'l', '0', '-1'],
      ['SET', 'v_a', 'A'],
      ['SORT', 'l', 'ALPHA', 'GET', 'v_*', 'GET', '#', 'STORE', 'g'],
      ['LRANGE', 'g', '0', '-1'],
      ['SORT', 'z', 'STORE', 'store'],
      ['SORT', 'l', 'BY', 'store', 'STORE', 'by'],
      ['LRANGE', 'by', '0', '-1'],
    ]);
  });

  it('sets and sorted sets stored: sorted members, or the zset order with BY nosort', async () => {
    await same([
      ['SADD', 's', 'b', 'c', 'a', '1'],
      ['SORT', 's', 'ALPHA', 'STORE', 'd1'],
      ['LRANGE', 'd1', '0', '-1'],
      ['ZADD', 'z', '3', 'x', '1', 'y', '2', 'w'],
      ['SORT', 'z', 'BY', 'nosort', 'STORE', 'd2'],
      ['LRANGE', 'd2', '0', '-1'],
      ['SORT', 'z', 'ALPHA', 'DESC', 'LIMIT', '0', '2', 'STORE', 'd3'],
      ['LRANGE', 'd3', '0', '-1'],
    ]);
  });
});

describe('errors', () => {
  it('syntax errors (before the type check), WRONGTYPE, LIMIT values, SORT_RO refusing STORE', async () => {
    await same([
      ['SET', 'str', 'v'],
      ['HSET', 'h', 'f', 'v'],
      ['RPUSH', 'l', '1'],
      ['SORT', 'str'],
      ['SORT', 'h'],
      ['SORT', 'str', 'STORE', 'dst'],
      ['SORT_RO', 'str'],
      ['SORT', 'str', 'FOO'],
      ['SORT', 'l', 'FOO'],
      ['SORT', 'l', 'LIMIT', '1'],
      ['SORT', 'l', 'LIMIT', 'a', '1'],
      ['SORT', 'l', 'LIMIT', '1', 'b'],
      ['SORT', 'l', 'LIMIT', '1.5', '1'],
      ['SORT', 'str', 'LIMIT', 'x', '1'],
      ['SORT', 'l', 'BY'],
      ['SORT', 'l', 'GET'],
      ['SORT', 'l', 'STORE'],
      ['SORT_RO', 'l', 'STORE', 'dst'],
      ['SORT_RO', 'str', 'STORE', 'dst'],
      ['SORT'],
      ['SORT_RO'],
      ['EXISTS', 'dst'],
    ]);
  });

  it('missing keys: an empty array, and lookups of BY/GET never happen', async () => {
    const { events } = await same([
      ['SORT', 'nokey'],
      ['SORT', 'nokey', 'BY', 'w_*', 'GET', 'g_*', 'ALPHA'],
      ['SORT_RO', 'nokey', 'DESC'],
    ]);
    expect(events).toEqual([...ev('keymiss', 'nokey'), ...ev('keymiss', 'nokey'), ...ev('keymiss', 'nokey')]);
  });
});

describe('expired keys', () => {
  it('an expired sorted key is "expired" then "keymiss"; an expired weight too; an expired destination is replaced', async () => {
    await sameAfterExpiry(
      [
        ['RPUSH', 'gone', '1'],
        ['PEXPIRE', 'gone', '20'],
        ['RPUSH', 'l', 'a', 'b'],
        ['SET', 'w_a', '1', 'PX', '20'],
        ['SET', 'w_b', '2'],
        ['SET', 'dst', 'old', 'PX', '20'],
        ['SET', 'dst2', 'old', 'PX', '20'],
      ],
      [
        ['SORT', 'gone'],
        ['SORT', 'l', 'BY', 'w_*', 'DESC'],
        ['SORT', 'l', 'STORE', 'dst'],
        ['LRANGE', 'dst', '0', '-1'],
        ['SORT', 'nokey', 'STORE', 'dst2'],
        ['EXISTS', 'dst2'],
      ],
    );
  });
});

describe('introspection', () => {
  it('COMMAND INFO, COMMAND GETKEYS and COMMAND DOCS for SORT and SORT_RO', async () => {
    await same([
      ['COMMAND', 'INFO', 'sort', 'sort_ro'],
      ['COMMAND', 'GETKEYS', 'SORT', 'k'],
      ['COMMAND', 'GETKEYS', 'SORT', 'k', 'STORE', 'd'],
      ['COMMAND', 'GETKEYS', 'SORT', 'k', 'STORE', 'd', 'LIMIT', '0', '1', 'STORE', 'e'],
      ['COMMAND', 'GETKEYS', 'SORT', 'k', 'BY', 'store', 'GET', 'store', 'LIMIT', 'store', 'store'],
      ['COMMAND', 'GETKEYS', 'SORT', 'k', 'STORE'],
      ['COMMAND', 'GETKEYS', 'SORT_RO', 'k', 'STORE', 'd'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'SORT', 'k', 'STORE', 'd'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'SORT_RO', 'k', 'BY', 'x'],
    ]);
  });
});
