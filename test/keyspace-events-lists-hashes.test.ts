import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../shared/resp/reply.js';
import { runWithKeyspaceEvents } from './helpers/keyspace-events.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

type Script = Array<Array<string | number>>;

let ours: ServerProcess;
let stock: StockRedis;
beforeAll(async () => {
  [ours, stock] = await Promise.all([startServer(), startStockRedis()]);
});
afterAll(async () => {
  await Promise.all([ours?.stop(), stock?.stop()]);
});

/** Runs the script on both servers with every class selected and expects the same replies and events, in order. */
async function same(script: Script): Promise<string[]> {
  const [a, b] = await Promise.all([runWithKeyspaceEvents(ours.port, 'KEAnm', script), runWithKeyspaceEvents(stock.port, 'KEAnm', script)]);
  expect(a.events).toEqual(b.events);
  expect(a.replies).toEqual(b.replies);
  return a.events;
}

/** How many clients the server at `port` has blocked (INFO clients). */
async function blockedClients(port: number): Promise<number> {
  const c = await RespConnection.tcp(port);
  try {
    const info = String(await c.call('INFO', 'clients'));
    return Number(/blocked_clients:(\d+)/.exec(info)?.[1] ?? -1);
  } finally {
    c.close();
  }
}

/**
 * On one server: a second connection sends the blocking command `blocker` (on keys that are empty), then
 * `script` runs with events on; the blocked client is served by the script's push. Returns the events, the
 * script's replies and the blocked client's reply.
 */
async function runServedLater(port: number, blocker: Array<string | number>, script: Script): Promise<{ events: string[]; replies: Reply[]; served: Reply }> {
  const admin = await RespConnection.tcp(port);
  const waiting = await RespConnection.tcp(port);
  try {
    await admin.call('FLUSHALL');
    waiting.send(...blocker);
    await waitFor(async () => (await blockedClients(port)) === 1, 5000, 'the client to block');
    const run = await runWithKeyspaceEvents(port, 'KEAnm', script);
    return { ...run, served: await waiting.next() };
  } finally {
    admin.close();
    waiting.close();
  }
}

/** The served-later scenario on both servers, in turn (each server has its own blocked client). */
async function sameServedLater(blocker: Array<string | number>, script: Script): Promise<string[]> {
  const a = await runServedLater(ours.port, blocker, script);
  const b = await runServedLater(stock.port, blocker, script);
  expect(a.events).toEqual(b.events);
  expect(a.replies).toEqual(b.replies);
  expect(a.served).toEqual(b.served);
  return a.events;
}

describe('list keyspace events, compared with redis-server 7.0.15', () => {
  it('LPUSH/RPUSH notify "new" for a created list, then lpush/rpush once per command', async () => {
    const events = await same([
      ['LPUSH', 'l', 'a', 'b'],
      ['RPUSH', 'l', 'c'],
      ['RPUSH', 'r', 'x', 'y', 'z'],
      ['SET', 's', 'v'],
      ['LPUSH', 's', 'a'],
      ['RPUSH', 's', 'a'],
    ]);
    expect(events).toEqual([
      '__keyspace@0__:l new',
      '__keyevent@0__:new l',
      '__keyspace@0__:l lpush',
      '__keyevent@0__:lpush l',
      '__keyspace@0__:l rpush',
      '__keyevent@0__:rpush l',
      '__keyspace@0__:r new',
      '__keyevent@0__:new r',
      '__keyspace@0__:r rpush',
      '__keyevent@0__:rpush r',
      '__keyspace@0__:s new',
      '__keyevent@0__:new s',
      '__keyspace@0__:s set',
      '__keyevent@0__:set s',
    ]);
  });

  it('LPUSHX/RPUSHX notify only when the list exists', async () => {
    const events = await same([
      ['LPUSHX', 'l', 'a'],
      ['RPUSHX', 'l', 'a'],
      ['RPUSH', 'l', 'a'],
      ['LPUSHX', 'l', 'b', 'c'],
      ['RPUSHX', 'l', 'd'],
      ['SET', 's', 'v'],
      ['LPUSHX', 's', 'a'],
    ]);
    expect(events.filter((e) => e.startsWith('__keyevent')).map((e) => e.split(' ')[0])).toEqual([
      '__keyevent@0__:new',
      '__keyevent@0__:rpush',
      '__keyevent@0__:lpush',
      '__keyevent@0__:rpush',
      '__keyevent@0__:new',
      '__keyevent@0__:set',
    ]);
  });

  it('LPOP/RPOP without count notify the pop, then "del" when the list is emptied', async () => {
    const events = await same([
      ['LPOP', 'missing'],
      ['RPOP', 'missing'],
      ['RPUSH', 'l', 'a', 'b', 'c'],
      ['LPOP', 'l'],
      ['RPOP', 'l'],
      ['LPOP', 'l'],
      ['LPOP', 'l'],
      ['SET', 's', 'v'],
      ['RPOP', 's'],
    ]);
    expect(events.slice(-8)).toEqual([
      '__keyspace@0__:l lpop',
      '__keyevent@0__:lpop l',
      '__keyspace@0__:l del',
      '__keyevent@0__:del l',
      '__keyspace@0__:s new',
      '__keyevent@0__:new s',
      '__keyspace@0__:s set',
      '__keyevent@0__:set s',
    ]);
  });

  it('LPOP/RPOP with a count: one event per command, none for count 0 or a missing key, "del" when emptied', async () => {
    await same([
      ['LPOP', 'missing', 2],
      ['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e'],
      ['LPOP', 'l', 0],
      ['RPOP', 'l', 0],
      ['LPOP', 'l', 2],
      ['RPOP', 'l', 1],
      ['RPOP', 'l', 10],
      ['RPUSH', 'm', 'x'],
      ['LPOP', 'm', 5],
      ['SET', 's', 'v'],
      ['LPOP', 's', 2],
      ['LPOP', 'l', -1],
    ]);
  });

  it('LINSERT notifies only when the pivot was found', async () => {
    const events = await same([
      ['LINSERT', 'missing', 'BEFORE', 'p', 'x'],
      ['RPUSH', 'l', 'a', 'b'],
      ['LINSERT', 'l', 'BEFORE', 'b', 'x'],
      ['LINSERT', 'l', 'AFTER', 'b', 'y'],
      ['LINSERT', 'l', 'AFTER', 'nope', 'z'],
      ['LINSERT', 'l', 'SIDEWAYS', 'b', 'z'],
      ['SET', 's', 'v'],
      ['LINSERT', 's', 'BEFORE', 'a', 'b'],
      ['LRANGE', 'l', 0, -1],
    ]);
    expect(events.filter((e) => e === '__keyevent@0__:linsert l')).toHaveLength(2);
  });

  it('LSET notifies lset; a missing key, a bad index and WRONGTYPE notify nothing', async () => {
    const events = await same([
      ['LSET', 'missing', 0, 'x'],
      ['RPUSH', 'l', 'a', 'b'],
      ['LSET', 'l', 0, 'x'],
      ['LSET', 'l', -1, 'y'],
      ['LSET', 'l', 5, 'z'],
      ['SET', 's', 'v'],
      ['LSET', 's', 0, 'x'],
      ['LRANGE', 'l', 0, -1],
    ]);
    expect(events.filter((e) => e === '__keyevent@0__:lset l')).toHaveLength(2);
  });

  it('LREM notifies only when something was removed, then "del" when it emptied the list', async () => {
    const events = await same([
      ['LREM', 'missing', 0, 'a'],
      ['RPUSH', 'l', 'a', 'b', 'a', 'c', 'a'],
      ['LREM', 'l', 0, 'nope'],
      ['LREM', 'l', 1, 'a'],
      ['LREM', 'l', -1, 'a'],
      ['LREM', 'l', 0, 'a'],
      ['RPUSH', 'm', 'x', 'x'],
      ['LREM', 'm', 0, 'x'],
      ['SET', 's', 'v'],
      ['LREM', 's', 0, 'v'],
    ]);
    expect(events.slice(-8, -2)).toEqual([
      '__keyspace@0__:m lrem',
      '__keyevent@0__:lrem m',
      '__keyspace@0__:m del',
      '__keyevent@0__:del m',
      '__keyspace@0__:s new',
      '__keyevent@0__:new s',
    ]);
  });

  it('LTRIM notifies even when it kept everything, and "del" when it emptied the list', async () => {
    const events = await same([
      ['LTRIM', 'missing', 0, 1],
      ['RPUSH', 'l', 'a', 'b', 'c', 'd'],
      ['LTRIM', 'l', 0, -1],
      ['LTRIM', 'l', 1, 2],
      ['LTRIM', 'l', 5, 10],
      ['SET', 's', 'v'],
      ['LTRIM', 's', 0, 1],
      ['EXISTS', 'l'],
    ]);
    expect(events.filter((e) => e === '__keyevent@0__:ltrim l')).toHaveLength(3);
    expect(events).toContain('__keyevent@0__:del l');
  });

  it('LMOVE/RPOPLPUSH: "new" and the push on the destination, then the pop on the source, then its "del"', async () => {
    const events = await same([
      ['LMOVE', 'missing', 'd', 'LEFT', 'RIGHT'],
      ['RPUSH', 'src', 'a', 'b', 'c'],
      ['LMOVE', 'src', 'dst', 'LEFT', 'RIGHT'],
      ['LMOVE', 'src', 'dst', 'RIGHT', 'LEFT'],
      ['RPOPLPUSH', 'src', 'other'],
      ['RPOPLPUSH', 'src', 'other'],
      ['LMOVE', 'dst', 'dst', 'LEFT', 'LEFT'],
      ['LMOVE', 'dst', 'dst', 'LEFT', 'RIGHT'],
      ['RPUSH', 'one', 'x'],
      ['RPOPLPUSH', 'one', 'one'],
      ['LMOVE', 'one', 'one', 'RIGHT', 'LEFT'],
      ['SET', 's', 'v'],
      ['LMOVE', 'dst', 's', 'LEFT', 'LEFT'],
      ['RPOPLPUSH', 's', 'dst'],
      ['LMOVE', 'dst', 'x', 'UP', 'LEFT'],
      ['LRANGE', 'dst', 0, -1],
      ['LRANGE', 'one', 0, -1],
    ]);
    expect(events.slice(4, 12)).toEqual([
      '__keyspace@0__:dst new',
      '__keyevent@0__:new dst',
      '__keyspace@0__:dst rpush',
      '__keyevent@0__:rpush dst',
      '__keyspace@0__:src lpop',
      '__keyevent@0__:lpop src',
      '__keyspace@0__:dst lpush',
      '__keyevent@0__:lpush dst',
    ]);
  });

  it('LMPOP pops from the first non-empty list with one event, "del" when emptied, nothing when all are empty', async () => {
    await same([
      ['LMPOP', 2, 'a', 'b', 'LEFT'],
      ['RPUSH', 'b', 'x', 'y', 'z'],
      ['LMPOP', 2, 'a', 'b', 'LEFT'],
      ['LMPOP', 2, 'a', 'b', 'RIGHT', 'COUNT', 1],
      ['RPUSH', 'a', 'p'],
      ['LMPOP', 2, 'a', 'b', 'RIGHT', 'COUNT', 5],
      ['LMPOP', 2, 'a', 'b', 'LEFT', 'COUNT', 5],
      ['SET', 's', 'v'],
      ['LMPOP', 2, 'missing', 's', 'LEFT'],
      ['LMPOP', 0, 'a', 'LEFT'],
    ]);
  });

  it('BLPOP/BRPOP/BLMPOP served at once notify like the non-blocking pops', async () => {
    await same([
      ['RPUSH', 'l', 'a', 'b', 'c'],
      ['BLPOP', 'missing', 'l', 0],
      ['BRPOP', 'l', 'missing', 0],
      ['RPUSH', 'm', 'x', 'y'],
      ['BLMPOP', 0, 2, 'missing', 'm', 'RIGHT', 'COUNT', 1],
      ['BLMPOP', 0, 2, 'l', 'm', 'LEFT', 'COUNT', 3],
      ['BLPOP', 'm', 0],
      ['SET', 's', 'v'],
      ['BRPOP', 's', 0],
      ['BLPOP', 'nothing', 0.01],
    ]);
  });

  it('BLMOVE/BRPOPLPUSH served at once notify like LMOVE, same key included', async () => {
    await same([
      ['RPUSH', 'src', 'a', 'b'],
      ['BLMOVE', 'src', 'dst', 'RIGHT', 'LEFT', 0],
      ['BRPOPLPUSH', 'src', 'dst', 0],
      ['BLMOVE', 'dst', 'dst', 'LEFT', 'RIGHT', 0],
      ['SET', 's', 'v'],
      ['BLMOVE', 'dst', 's', 'LEFT', 'LEFT', 0],
    ]);
  });

  it('BLPOP/BRPOP served later by a push from another client: the push, then the pop and "del"', async () => {
    const events = await sameServedLater(['BLPOP', 'l', 0], [['LPUSH', 'l', 'a']]);
    expect(events).toEqual([
      '__keyspace@0__:l new',
      '__keyevent@0__:new l',
      '__keyspace@0__:l lpush',
      '__keyevent@0__:lpush l',
      '__keyspace@0__:l lpop',
      '__keyevent@0__:lpop l',
      '__keyspace@0__:l del',
      '__keyevent@0__:del l',
    ]);
    await sameServedLater(['BRPOP', 'x', 'l', 0], [['RPUSH', 'l', 'a', 'b'], ['LRANGE', 'l', 0, -1]]);
  });

  it('BLMPOP served later by a push from another client', async () => {
    await sameServedLater(['BLMPOP', 0, 2, 'x', 'l', 'LEFT', 'COUNT', 2], [['RPUSH', 'l', 'a', 'b', 'c'], ['LRANGE', 'l', 0, -1]]);
    await sameServedLater(['BLMPOP', 0, 1, 'l', 'RIGHT', 'COUNT', 5], [['RPUSH', 'l', 'a', 'b']]);
  });

  it('BLMOVE/BRPOPLPUSH served later by a push from another client', async () => {
    await sameServedLater(['BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', 0], [['RPUSH', 'src', 'a'], ['LRANGE', 'dst', 0, -1]]);
    await sameServedLater(['BRPOPLPUSH', 'src', 'src', 0], [['RPUSH', 'src', 'a', 'b'], ['LRANGE', 'src', 0, -1]]);
  });

  it('a client blocked on a list is served after the LMOVE or the transaction that filled it', async () => {
    await sameServedLater(['BLPOP', 'dst', 0], [['RPUSH', 'src', 'a', 'b'], ['LMOVE', 'src', 'dst', 'LEFT', 'LEFT']]);
    await sameServedLater(['BRPOP', 'l', 0], [['MULTI'], ['RPUSH', 'l', 'a'], ['RPUSH', 'l', 'b'], ['EXEC']]);
  });

  it('BLMOVE served later onto a destination of another type', async () => {
    await sameServedLater(['BLMOVE', 'src', 's', 'LEFT', 'LEFT', 0], [['SET', 's', 'v'], ['RPUSH', 'src', 'a'], ['LRANGE', 'src', 0, -1]]);
  });

  it('list reads on missing keys notify keymiss, on present keys nothing', async () => {
    await same([
      ['LLEN', 'l'],
      ['LRANGE', 'l', 0, -1],
      ['LINDEX', 'l', 0],
      ['LPOS', 'l', 'a'],
      ['LPOS', 'l', 'a', 'COUNT', 0],
      ['RPUSH', 'l', 'a'],
      ['LLEN', 'l'],
      ['LRANGE', 'l', 0, -1],
      ['LINDEX', 'l', 0],
      ['LPOS', 'l', 'a'],
    ]);
  });
});

describe('hash keyspace events, compared with redis-server 7.0.15', () => {
  it('HSET/HMSET notify "new" for a created hash, then hset for every call, even one that changed nothing', async () => {
    const events = await same([
      ['HSET', 'h', 'f', 'v'],
      ['HSET', 'h', 'f', 'v'],
      ['HSET', 'h', 'g', '1', 'k', '2'],
      ['HMSET', 'h', 'f', 'w'],
      ['HMSET', 'm', 'a', 'b', 'c', 'd'],
      ['HSET', 'h', 'odd'],
      ['SET', 's', 'v'],
      ['HSET', 's', 'f', 'v'],
      ['HMSET', 's', 'f', 'v'],
    ]);
    expect(events.filter((e) => e === '__keyevent@0__:hset h')).toHaveLength(4);
  });

  it('HSETNX notifies hset only when it set the field', async () => {
    const events = await same([
      ['HSETNX', 'h', 'f', 'v'],
      ['HSETNX', 'h', 'f', 'w'],
      ['HSETNX', 'h', 'g', 'w'],
      ['SET', 's', 'v'],
      ['HSETNX', 's', 'f', 'v'],
      ['HGETALL', 'h'],
    ]);
    expect(events.filter((e) => e === '__keyevent@0__:hset h')).toHaveLength(2);
  });

  it('HDEL notifies only when it deleted a field, then "del" when the hash is emptied', async () => {
    const events = await same([
      ['HDEL', 'missing', 'f'],
      ['HSET', 'h', 'a', '1', 'b', '2', 'c', '3'],
      ['HDEL', 'h', 'nope'],
      ['HDEL', 'h', 'a', 'nope'],
      ['HDEL', 'h', 'b', 'c', 'd'],
      ['EXISTS', 'h'],
      ['SET', 's', 'v'],
      ['HDEL', 's', 'f'],
    ]);
    expect(events.slice(4, 10)).toEqual([
      '__keyspace@0__:h hdel',
      '__keyevent@0__:hdel h',
      '__keyspace@0__:h hdel',
      '__keyevent@0__:hdel h',
      '__keyspace@0__:h del',
      '__keyevent@0__:del h',
    ]);
  });

  it('HINCRBY notifies hincrby; errors create nothing and notify nothing', async () => {
    await same([
      ['HINCRBY', 'h', 'n', 5],
      ['HINCRBY', 'h', 'n', -2],
      ['HINCRBY', 'h', 'm', 1],
      ['HINCRBY', 'x', 'n', 'notanumber'],
      ['HSET', 'h', 's', 'text'],
      ['HINCRBY', 'h', 's', 1],
      ['HSET', 'h', 'big', '9223372036854775807'],
      ['HINCRBY', 'h', 'big', 1],
      ['SET', 's', 'v'],
      ['HINCRBY', 's', 'n', 1],
      ['EXISTS', 'x'],
    ]);
  });

  it('HINCRBYFLOAT notifies hincrbyfloat; errors create nothing and notify nothing', async () => {
    await same([
      ['HINCRBYFLOAT', 'h', 'f', '1.5'],
      ['HINCRBYFLOAT', 'h', 'f', '-0.25'],
      ['HINCRBYFLOAT', 'h', 'g', '3'],
      ['HINCRBYFLOAT', 'x', 'f', 'abc'],
      ['HINCRBYFLOAT', 'x', 'f', 'inf'],
      ['HSET', 'h', 's', 'text'],
      ['HINCRBYFLOAT', 'h', 's', 1],
      ['SET', 's', 'v'],
      ['HINCRBYFLOAT', 's', 'f', 1],
      ['EXISTS', 'x'],
    ]);
  });

  it('hash reads on missing keys notify keymiss, on present keys nothing', async () => {
    await same([
      ['HGET', 'h', 'f'],
      ['HMGET', 'h', 'f', 'g'],
      ['HGETALL', 'h'],
      ['HKEYS', 'h'],
      ['HVALS', 'h'],
      ['HLEN', 'h'],
      ['HSTRLEN', 'h', 'f'],
      ['HEXISTS', 'h', 'f'],
      ['HRANDFIELD', 'h'],
      ['HRANDFIELD', 'h', 2],
      ['HSET', 'h', 'f', 'v'],
      ['HGET', 'h', 'f'],
      ['HGET', 'h', 'nofield'],
      ['HMGET', 'h', 'f', 'g'],
      ['HLEN', 'h'],
      ['HEXISTS', 'h', 'g'],
    ]);
  });
});
