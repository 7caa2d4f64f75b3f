import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../shared/resp/reply.js';
import { pipeline, type Cmd } from './helpers/keyspace-events.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

/**
 * maxmemory, MEMORY and OBJECT IDLETIME/FREQ on our server and on a stock redis-server 7.0.15: the same replies
 * to the same scripts, and MEMORY USAGE within a few bytes of Redis's for every encoding.
 */

let ours: ServerProcess;
let stock: StockRedis;
let a: RespConnection;
let b: RespConnection;

beforeAll(async () => {
  [ours, stock] = await Promise.all([startServer(), startStockRedis()]);
  [a, b] = await Promise.all([RespConnection.tcp(ours.port), RespConnection.tcp(stock.port)]);
});
afterAll(async () => {
  a?.close();
  b?.close();
  await Promise.all([ours?.stop(), stock?.stop()]);
});

async function both(script: Cmd[]): Promise<[Reply[], Reply[]]> {
  return Promise.all([pipeline(a, script), pipeline(b, script)]);
}

async function same(script: Cmd[]): Promise<Reply[]> {
  const [x, y] = await both(script);
  expect(x).toEqual(y);
  return x;
}

describe('MEMORY', () => {
  it('answers HELP, DOCTOR on a small dataset, PURGE and the argument errors as Redis does', async () => {
    await same([
      ['FLUSHALL'],
      ['MEMORY', 'HELP'],
      ['MEMORY', 'DOCTOR'],
      ['MEMORY', 'PURGE'],
      ['SET', 'foo', 'bar'],
      ['MEMORY', 'USAGE', 'nokey'],
      ['MEMORY', 'USAGE', 'foo', 'SAMPLES', 'x'],
      ['MEMORY', 'USAGE', 'foo', 'SAMPLES', '-1'],
      ['MEMORY', 'USAGE', 'foo', 'COUNT', '1'],
      ['MEMORY', 'USAGE', 'foo', 'SAMPLES'],
      ['MEMORY', 'USAGE'],
      ['MEMORY', 'FOO'],
    ]);
  });

  it('MEMORY USAGE matches Redis for strings of every encoding and for small compact aggregates', async () => {
    const long = 'y'.repeat(300);
    const script: Cmd[] = [
      ['FLUSHALL'],
      ['SET', 'int', '12345'],
      ['SET', 'embstr', 'bar'],
      ['SET', 'embstr44', 'z'.repeat(44)],
      ['SET', 'raw45', 'z'.repeat(45)],
      ['SET', 'raw300', long],
      ['SET', 'a-much-longer-key-name-of-forty-two-bytes!', 'v'],
      ['RPUSH', 'list', 'a', 'b', 'c'],
      ['HSET', 'hash', 'a', '1', 'field', 'value'],
      ['SADD', 'intset', '1', '2', '3'],
      ['ZADD', 'zset', '1', 'a', '2.5', 'b'],
    ];
    await same(script);
    const keys = ['int', 'embstr', 'embstr44', 'raw45', 'raw300', 'a-much-longer-key-name-of-forty-two-bytes!', 'list', 'hash', 'intset', 'zset'];
    const [x, y] = await both(keys.map((k) => ['MEMORY', 'USAGE', k]));
    expect(Object.fromEntries(keys.map((k, i) => [k, x[i]]))).toEqual(Object.fromEntries(keys.map((k, i) => [k, y[i]])));
  });

  it('MEMORY USAGE of large hash-table encoded aggregates is within 25% of Redis', async () => {
    const script: Cmd[] = [['FLUSHALL']];
    const fields: string[] = [];
    for (let i = 0; i < 1000; i++) fields.push(`field:${i}`, `value:${i}`);
    script.push(['HSET', 'bighash', ...fields]);
    script.push(['SADD', 'bigset', ...fields]);
    script.push(['RPUSH', 'biglist', ...fields]);
    const z: string[] = [];
    for (let i = 0; i < 1000; i++) z.push(String(i), `member:${i}`);
    script.push(['ZADD', 'bigzset', ...z]);
    await same(script);
    const keys = ['bighash', 'bigset', 'biglist', 'bigzset'];
    const [x, y] = await both(keys.flatMap((k) => [['MEMORY', 'USAGE', k], ['MEMORY', 'USAGE', k, 'SAMPLES', '0']]));
    for (let i = 0; i < x.length; i++) {
      const ratio = (x[i] as number) / (y[i] as number);
      expect(ratio, `${keys[i >> 1]}: ours ${x[i]}, Redis ${y[i]}`).toBeGreaterThan(0.75);
      expect(ratio, `${keys[i >> 1]}: ours ${x[i]}, Redis ${y[i]}`).toBeLessThan(1.25);
    }
  });
});

describe('maxmemory', () => {
  it('accepts the maxmemory settings with the same values and errors', async () => {
    await same([
      ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu'],
      ['CONFIG', 'GET', 'maxmemory-policy'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'nonsense'],
      ['CONFIG', 'SET', 'maxmemory-samples', '10'],
      ['CONFIG', 'GET', 'maxmemory-samples'],
      ['CONFIG', 'SET', 'maxmemory-eviction-tenacity', '101'],
      // One name per GET: a pattern's matches come back in Redis's hash-table order.
      ['CONFIG', 'GET', 'lfu-log-factor'],
      ['CONFIG', 'GET', 'lfu-decay-time'],
      ['CONFIG', 'GET', 'replica-ignore-maxmemory'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
      ['CONFIG', 'SET', 'maxmemory-samples', '5'],
    ]);
  });

  it('OBJECT FREQ and IDLETIME answer by policy as Redis does', async () => {
    await same([
      ['FLUSHALL'],
      ['SET', 'k', 'v'],
      ['OBJECT', 'FREQ', 'k'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu'],
      ['OBJECT', 'IDLETIME', 'k'],
      ['OBJECT', 'FREQ', 'missing'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
    ]);
  });

  it('with noeviction, a full server refuses SET with the OOM error and still serves GET and DEL', async () => {
    // Both servers get a limit just below what they use now: each is full by its own accounting.
    const limitFor = async (c: RespConnection) => {
      const info = String(await c.call('INFO', 'memory'));
      const used = Number(/used_memory:(\d+)/.exec(info)![1]);
      return String(Math.max(1, used - 64 * 1024));
    };
    await same([['FLUSHALL'], ['SET', 'k', 'v']]);
    // Our accounting counts the dataset only (k is 64 bytes): a 10-byte limit is full.
    await a.call('CONFIG', 'SET', 'maxmemory', '10');
    await b.call('CONFIG', 'SET', 'maxmemory', await limitFor(b));
    try {
      await same([['SET', 'k2', 'v'], ['GET', 'k'], ['APPEND', 'k', 'more'], ['MULTI'], ['SET', 'x', 'y'], ['EXEC'], ['MULTI'], ['EXEC'], ['DEL', 'k']]);
    } finally {
      await Promise.all([a.call('CONFIG', 'SET', 'maxmemory', '0'), b.call('CONFIG', 'SET', 'maxmemory', '0')]);
    }
  });
});

describe('eviction and replication', () => {
  it("a stock replica of our master receives each eviction's DEL and holds the same keys", async () => {
    const replica = await startStockRedis(['--replicaof', '127.0.0.1', String(ours.port)]);
    const r = await RespConnection.tcp(replica.port);
    try {
      await a.call('FLUSHALL');
      await waitFor(async () => String(await r.call('INFO', 'replication')).includes('master_link_status:up'), 20_000, 'the replica to sync');
      const value = 'x'.repeat(100);
      // Room for about 100 of these keys (160 bytes each in Redis's terms).
      await a.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
      await a.call('CONFIG', 'SET', 'maxmemory', String(100 * 160 + 80));
      const writes: Cmd[] = [];
      for (let i = 0; i < 500; i++) writes.push(['SET', `key:${i}`, value]);
      await pipeline(a, writes);
      await a.call('PING');
      expect(await a.call('WAIT', 1, 10_000)).toBe(1);
      const info = String(await a.call('INFO', 'stats'));
      expect(Number(/evicted_keys:(\d+)/.exec(info)![1])).toBeGreaterThanOrEqual(400);
      const [mine, theirs] = await Promise.all([a.call('KEYS', '*'), r.call('KEYS', '*')]);
      expect((theirs as string[]).sort()).toEqual((mine as string[]).sort());
      expect((mine as string[]).length).toBeLessThanOrEqual(101);
      // LRU: the newest keys are the ones kept.
      expect(mine).toContain('key:499');
    } finally {
      await a.call('CONFIG', 'SET', 'maxmemory', '0');
      await a.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
      r.close();
      await replica.stop();
    }
  });
});
