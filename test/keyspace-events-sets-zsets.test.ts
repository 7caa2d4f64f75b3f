import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../shared/resp/reply.js';
import { runWithKeyspaceEvents, withKeyspaceEvents, type ScriptRun } from './helpers/keyspace-events.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

type Script = Array<Array<string | number>>;

const FLAGS = 'KEAnm';

let ours: ServerProcess;
let stock: StockRedis;
beforeAll(async () => {
  [ours, stock] = await Promise.all([startServer(), startStockRedis()]);
});
afterAll(async () => {
  await Promise.all([ours?.stop(), stock?.stop()]);
});

/**
 * Runs the script on both servers and expects the same events and replies, in order. Replies at the indices in
 * `random` (commands whose result Redis draws at random) are left out of the comparison.
 */
async function same(script: Script, random: number[] = [], flags = FLAGS): Promise<string[]> {
  const [a, b] = await Promise.all([runWithKeyspaceEvents(ours.port, flags, script), runWithKeyspaceEvents(stock.port, flags, script)]);
  expect(a.events).toEqual(b.events);
  const keep = (r: Reply[]) => r.filter((_, i) => !random.includes(i));
  expect(keep(a.replies)).toEqual(keep(b.replies));
  return a.events;
}

async function blockedClients(c: RespConnection): Promise<number> {
  const info = String(await c.call('INFO', 'clients'));
  return Number(/blocked_clients:(\d+)/.exec(info)?.[1] ?? -1);
}

/**
 * Like runWithKeyspaceEvents, with a second client that sends `blocking` after `setup` and waits blocked until
 * `push` (run on the first client) serves it. Its reply comes last in `replies`.
 */
async function runServedLater(port: number, setup: Script, blocking: string[], push: Script): Promise<ScriptRun> {
  const blocker = await RespConnection.tcp(port);
  try {
    return await withKeyspaceEvents(port, FLAGS, async (admin) => {
      const replies: Reply[] = [];
      for (const argv of setup) replies.push(await admin.call(...argv));
      blocker.send(...blocking);
      await waitFor(async () => (await blockedClients(admin)) === 1, 5000, 'the client to block');
      for (const argv of push) replies.push(await admin.call(...argv));
      replies.push(await blocker.next());
      return replies;
    });
  } finally {
    blocker.close();
  }
}

async function sameServedLater(setup: Script, blocking: string[], push: Script): Promise<string[]> {
  const a = await runServedLater(ours.port, setup, blocking, push);
  const b = await runServedLater(stock.port, setup, blocking, push);
  expect(a.events).toEqual(b.events);
  expect(a.replies).toEqual(b.replies);
  return a.events;
}

describe('set commands emit the keyspace events redis-server 7.0.15 emits', () => {
  it('SADD: "new" then "sadd" on creation, "sadd" when a member is added, nothing when none is', async () => {
    const events = await same([
      ['SADD', 's', 'a', 'b'],
      ['SADD', 's', 'b', 'c'],
      ['SADD', 's', 'a', 'b'],
    ]);
    expect(events.slice(0, 4)).toEqual(['__keyspace@0__:s new', '__keyevent@0__:new s', '__keyspace@0__:s sadd', '__keyevent@0__:sadd s']);
  });

  it('SREM: "srem", then "del" when the set empties; nothing for absent members or a missing key', async () => {
    const events = await same([
      ['SADD', 's', 'a', 'b', 'c'],
      ['SREM', 's', 'a'],
      ['SREM', 's', 'x', 'y'],
      ['SREM', 'missing', 'a'],
      ['SREM', 's', 'b', 'c', 'd'],
    ]);
    expect(events.slice(-4)).toEqual(['__keyspace@0__:s srem', '__keyevent@0__:srem s', '__keyspace@0__:s del', '__keyevent@0__:del s']);
  });

  it('SPOP without count: "spop", then "del" for the last member; nothing on a missing key', async () => {
    await same([
      ['SADD', 's', 'only'],
      ['SPOP', 's'],
      ['SPOP', 's'],
      ['SADD', 't', 'a', 'b'],
      ['SPOP', 't'],
      ['SCARD', 't'],
    ], [4]);
  });

  it('SPOP with count: "spop" for a partial pop, "spop" and "del" for the whole set, nothing for count 0', async () => {
    await same([
      ['SADD', 's', 'a', 'b', 'c', 'd', 'e'],
      ['SPOP', 's', 2],
      ['SCARD', 's'],
      ['SPOP', 's', 0],
      ['SPOP', 's', 3],
      ['SADD', 'i', 1, 2, 3],
      ['SPOP', 'i', 10],
      ['SPOP', 'missing', 2],
      ['SPOP', 's', -1],
    ], [1, 4]);
  });

  it('SMOVE: "srem" on the source ("del" when emptied), "new" and "sadd" on the destination', async () => {
    await same([
      ['SADD', 'src', 'a', 'b', 'c'],
      ['SMOVE', 'src', 'dst', 'a'],
      ['SADD', 'other', 'b'],
      ['SMOVE', 'src', 'other', 'b'],
      ['SMOVE', 'src', 'dst', 'c'],
      ['SMOVE', 'dst', 'dst', 'a'],
      ['SMOVE', 'dst', 'dst', 'zz'],
      ['SMOVE', 'dst', 'other', 'zz'],
      ['SMOVE', 'missing', 'dst', 'a'],
      ['EXISTS', 'src'],
    ]);
  });

  it('SMOVE of the last member into a set that already holds it: only "srem" and "del"', async () => {
    await same([
      ['SADD', 'src', 'a'],
      ['SADD', 'dst', 'a'],
      ['SMOVE', 'src', 'dst', 'a'],
    ]);
  });

  it('SINTERSTORE: "new" and "sinterstore", overwrite without "new", "del" for an empty result, keymiss for missing sources', async () => {
    await same([
      ['SADD', 'a', 'x', 'y'],
      ['SADD', 'b', 'y', 'z'],
      ['SINTERSTORE', 'd', 'a', 'b'],
      ['SINTERSTORE', 'd', 'a', 'b', 'a'],
      ['SINTERSTORE', 'd', 'a', 'missing'],
      ['SINTERSTORE', 'd', 'a', 'missing'],
      ['SADD', 'c', 'q'],
      ['SINTERSTORE', 'd', 'a', 'b'],
      ['SINTERSTORE', 'd', 'a', 'c'],
      ['SINTERSTORE', 'd', 'a', 'c'],
    ]);
  });

  it('SUNIONSTORE and SDIFFSTORE: their own event names, and "del" when the result is empty', async () => {
    await same([
      ['SADD', 'a', 'x', 'y'],
      ['SADD', 'b', 'y'],
      ['SUNIONSTORE', 'u', 'a', 'b', 'missing'],
      ['SUNIONSTORE', 'u', 'a'],
      ['SUNIONSTORE', 'u', 'missing', 'missing2'],
      ['SUNIONSTORE', 'u', 'missing'],
      ['SDIFFSTORE', 'd', 'a', 'b', 'missing'],
      ['SDIFFSTORE', 'd', 'a', 'b'],
      ['SDIFFSTORE', 'd', 'b', 'a'],
      ['SDIFFSTORE', 'd', 'a', 'a'],
      ['SUNIONSTORE', 'a', 'a', 'b'],
    ]);
  });

  it('WRONGTYPE errors change nothing and say nothing but the keymiss of earlier missing keys', async () => {
    await same([
      ['SET', 'str', 'v'],
      ['SADD', 's', 'a'],
      ['SADD', 'str', 'a'],
      ['SREM', 'str', 'a'],
      ['SPOP', 'str'],
      ['SPOP', 'str', 2],
      ['SMOVE', 'str', 's', 'a'],
      ['SMOVE', 's', 'str', 'a'],
      ['SINTERSTORE', 'd', 'missing', 'str'],
      ['SUNIONSTORE', 'd', 's', 'str'],
      ['SDIFFSTORE', 'd', 'missing', 'str'],
      ['SMEMBERS', 'str'],
    ]);
  });

  it('reads of missing keys say "keymiss" (once per missing key)', async () => {
    await same([
      ['SADD', 's', 'a'],
      ['SMEMBERS', 'm1'],
      ['SISMEMBER', 'm2', 'a'],
      ['SMISMEMBER', 'm3', 'a', 'b'],
      ['SCARD', 'm4'],
      ['SRANDMEMBER', 'm5'],
      ['SRANDMEMBER', 'm6', 3],
      ['SINTER', 's', 'm7', 'm8'],
      ['SINTERCARD', 2, 'm9', 's', 'LIMIT', 1],
      ['SUNION', 'm10', 's'],
      ['SDIFF', 's', 'm11'],
      ['SRANDMEMBER', 's'],
      ['SRANDMEMBER', 's', 5],
      ['SMEMBERS', 's'],
    ]);
  });
});

describe('sorted set commands emit the keyspace events redis-server 7.0.15 emits', () => {
  it('ZADD: "new" then "zadd"; nothing when nothing is added or updated; CH changes only the reply', async () => {
    await same([
      ['ZADD', 'z', 1, 'a', 2, 'b'],
      ['ZADD', 'z', 1, 'a'],
      ['ZADD', 'z', 5, 'a'],
      ['ZADD', 'z', 'CH', 5, 'a', 3, 'b'],
      ['ZADD', 'z', 'CH', 5, 'a'],
    ]);
  });

  it('ZADD NX / XX: no event when NX finds the member or XX does not; XX on a missing key creates nothing', async () => {
    await same([
      ['ZADD', 'z', 'XX', 1, 'a'],
      ['EXISTS', 'z'],
      ['ZADD', 'z', 'NX', 1, 'a'],
      ['ZADD', 'z', 'NX', 2, 'a'],
      ['ZADD', 'z', 'XX', 1, 'b'],
      ['ZADD', 'z', 'XX', 3, 'a'],
      ['ZADD', 'z', 'NX', 'CH', 1, 'a', 2, 'b'],
    ]);
  });

  it('ZADD GT / LT: "zadd" only when a score moves the allowed way or a member is new', async () => {
    await same([
      ['ZADD', 'z', 'GT', 5, 'a'],
      ['ZADD', 'z', 'GT', 4, 'a'],
      ['ZADD', 'z', 'GT', 'CH', 6, 'a'],
      ['ZADD', 'z', 'LT', 7, 'a'],
      ['ZADD', 'z', 'LT', 'CH', 1, 'a'],
      ['ZADD', 'z', 'XX', 'GT', 0, 'a'],
      ['ZADD', 'z', 'XX', 'LT', 'CH', 0, 'a'],
      ['ZADD', 'z', 'GT', 1, 'new'],
    ]);
  });

  it('ZADD INCR and ZINCRBY: "zincr" (after "new" for a new key); nothing when the option blocks it', async () => {
    await same([
      ['ZADD', 'z', 'INCR', 1, 'a'],
      ['ZADD', 'z', 'INCR', 2.5, 'a'],
      ['ZADD', 'z', 'NX', 'INCR', 1, 'a'],
      ['ZADD', 'z', 'XX', 'INCR', 1, 'b'],
      ['ZADD', 'z', 'GT', 'INCR', -1, 'a'],
      ['ZADD', 'z', 'INCR', 0, 'a'],
      ['ZINCRBY', 'y', 3, 'm'],
      ['ZINCRBY', 'y', -1, 'm'],
      ['ZINCRBY', 'y', 0, 'm'],
      ['ZADD', 'inf', 'inf', 'm'],
      ['ZINCRBY', 'inf', '-inf', 'm'],
    ]);
  });

  it('ZADD errors (syntax, NaN-free parsing, WRONGTYPE) say nothing', async () => {
    await same([
      ['SET', 'str', 'v'],
      ['ZADD', 'str', 1, 'a'],
      ['ZINCRBY', 'str', 1, 'a'],
      ['ZADD', 'z', 'NX', 'XX', 1, 'a'],
      ['ZADD', 'z', 'x', 'a'],
      ['ZADD', 'z', 'INCR', 1, 'a', 2, 'b'],
      ['EXISTS', 'z'],
    ]);
  });

  it('ZREM: "zrem", then "del" when the sorted set empties; nothing when nothing is removed', async () => {
    await same([
      ['ZADD', 'z', 1, 'a', 2, 'b', 3, 'c'],
      ['ZREM', 'z', 'a'],
      ['ZREM', 'z', 'nope'],
      ['ZREM', 'missing', 'a'],
      ['ZREM', 'z', 'b', 'c', 'd'],
      ['SET', 'str', 'v'],
      ['ZREM', 'str', 'a'],
    ]);
  });

  it('ZREMRANGEBYRANK / BYSCORE / BYLEX: their own event names, "del" when emptied, nothing for an empty range', async () => {
    await same([
      ['ZADD', 'z', 1, 'a', 2, 'b', 3, 'c', 4, 'd', 5, 'e', 6, 'f'],
      ['ZREMRANGEBYRANK', 'z', 0, 0],
      ['ZREMRANGEBYRANK', 'z', 10, 20],
      ['ZREMRANGEBYSCORE', 'z', 2, 3],
      ['ZREMRANGEBYSCORE', 'z', 100, 200],
      ['ZADD', 'lex', 0, 'a', 0, 'b', 0, 'c'],
      ['ZREMRANGEBYLEX', 'lex', '[a', '(b'],
      ['ZREMRANGEBYLEX', 'lex', '[x', '+'],
      ['ZREMRANGEBYLEX', 'lex', '-', '+'],
      ['ZREMRANGEBYRANK', 'z', 0, -1],
      ['ZADD', 'z', 1, 'a'],
      ['ZREMRANGEBYSCORE', 'z', '-inf', '+inf'],
      ['ZREMRANGEBYRANK', 'missing', 0, -1],
      ['ZREMRANGEBYSCORE', 'missing', 0, 1],
      ['ZREMRANGEBYLEX', 'missing', '-', '+'],
    ]);
  });

  it('ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE: "new" and their event, "del" for an empty result over an existing key', async () => {
    await same([
      ['ZADD', 'a', 1, 'x', 2, 'y'],
      ['ZADD', 'b', 3, 'y', 4, 'z'],
      ['SADD', 's', 'x'],
      ['ZUNIONSTORE', 'u', 2, 'a', 'b'],
      ['ZUNIONSTORE', 'u', 3, 'a', 's', 'missing', 'WEIGHTS', 1, 2, 3, 'AGGREGATE', 'MAX'],
      ['ZUNIONSTORE', 'u', 1, 'missing'],
      ['ZUNIONSTORE', 'u', 1, 'missing'],
      ['ZINTERSTORE', 'i', 2, 'a', 'b'],
      ['ZINTERSTORE', 'i', 2, 'a', 's'],
      ['ZINTERSTORE', 'i', 2, 'a', 'missing'],
      ['ZINTERSTORE', 'i', 2, 'b', 's'],
      ['ZDIFFSTORE', 'd', 2, 'a', 'b'],
      ['ZDIFFSTORE', 'd', 2, 'a', 'a'],
      ['ZDIFFSTORE', 'd', 2, 'missing', 'a'],
      ['ZUNIONSTORE', 'a', 2, 'a', 'b'],
      ['SET', 'str', 'v'],
      ['ZUNIONSTORE', 'u', 2, 'a', 'str'],
      ['ZINTERSTORE', 'u', 2, 'missing', 'str'],
      ['ZDIFFSTORE', 'u', 1, 'str'],
      ['ZUNIONSTORE', 'u', 0, 'a'],
    ]);
  });

  it('ZRANGESTORE: "new" and "zrangestore", "del" when the range is empty, keymiss for a missing source', async () => {
    await same([
      ['ZADD', 'z', 1, 'a', 2, 'b', 3, 'c'],
      ['ZRANGESTORE', 'd', 'z', 0, 1],
      ['ZRANGESTORE', 'd', 'z', 1, 2, 'BYSCORE', 'LIMIT', 0, 1],
      ['ZRANGESTORE', 'd', 'z', '[a', '[b', 'BYLEX'],
      ['ZRANGESTORE', 'd', 'z', 5, 10],
      ['ZRANGESTORE', 'd', 'z', 5, 10],
      ['ZRANGESTORE', 'd', 'missing', 0, -1],
      ['ZRANGESTORE', 'd', 'z', 0, -1, 'REV'],
      ['ZRANGESTORE', 'd', 'missing', 0, -1],
      ['SET', 'str', 'v'],
      ['ZRANGESTORE', 'd', 'str', 0, -1],
    ]);
  });

  it('ZPOPMIN / ZPOPMAX: one "zpopmin"/"zpopmax" per call whatever the count, "del" when emptied', async () => {
    await same([
      ['ZADD', 'z', 1, 'a', 2, 'b', 3, 'c', 4, 'd', 5, 'e'],
      ['ZPOPMIN', 'z'],
      ['ZPOPMAX', 'z'],
      ['ZPOPMIN', 'z', 2],
      ['ZPOPMAX', 'z', 0],
      ['ZPOPMAX', 'z', 5],
      ['ZPOPMIN', 'z'],
      ['ZPOPMIN', 'missing', 3],
      ['SET', 'str', 'v'],
      ['ZPOPMAX', 'str'],
      ['ZPOPMIN', 'z', -1],
    ]);
  });

  it('ZMPOP: pops from the first non-empty key with "zpopmin"/"zpopmax", "del" when emptied, no keymiss', async () => {
    await same([
      ['ZADD', 'z', 1, 'a', 2, 'b', 3, 'c'],
      ['ZMPOP', 2, 'missing', 'z', 'MIN'],
      ['ZMPOP', 1, 'z', 'MAX', 'COUNT', 1],
      ['ZMPOP', 2, 'missing', 'z', 'MIN', 'COUNT', 10],
      ['ZMPOP', 2, 'missing', 'z', 'MIN'],
      ['SET', 'str', 'v'],
      ['ZMPOP', 2, 'missing', 'str', 'MAX'],
    ]);
  });

  it('BZPOPMIN / BZPOPMAX / BZMPOP served at once: the same events as the non-blocking pops', async () => {
    await same([
      ['ZADD', 'z', 1, 'a', 2, 'b', 3, 'c', 4, 'd'],
      ['ZADD', 'y', 1, 'q'],
      ['BZPOPMIN', 'missing', 'z', 0],
      ['BZPOPMAX', 'z', 'y', 0],
      ['BZMPOP', 0, 2, 'missing', 'z', 'MIN', 'COUNT', 5],
      ['BZPOPMAX', 'y', 0],
      ['BZMPOP', 0.01, 1, 'y', 'MAX'],
      ['BZPOPMIN', 'missing', 0.01],
      ['SET', 'str', 'v'],
      ['BZPOPMIN', 'str', 0],
      ['BZMPOP', 0, 1, 'str', 'MIN'],
    ]);
  });

  it('BZPOPMIN served by a ZADD from another client: "new"/"zadd", then "zpopmin" and "del"', async () => {
    const events = await sameServedLater([], ['BZPOPMIN', 'z', '0'], [['ZADD', 'z', 1, 'a']]);
    expect(events.filter((e) => e.startsWith('__keyevent'))).toEqual([
      '__keyevent@0__:new z',
      '__keyevent@0__:zadd z',
      '__keyevent@0__:zpopmin z',
      '__keyevent@0__:del z',
    ]);
  });

  it('BZPOPMAX and BZMPOP served by pushes from another client', async () => {
    await sameServedLater([], ['BZPOPMAX', 'm1', 'z', '0'], [['ZADD', 'z', 1, 'a', 2, 'b']]);
    await sameServedLater([['SET', 'str', 'v']], ['BZMPOP', '0', '2', 'str2', 'z', 'MIN', 'COUNT', '5'], [['ZADD', 'z', 1, 'a', 2, 'b', 3, 'c']]);
    await sameServedLater([], ['BZMPOP', '0', '1', 'z', 'MAX'], [['ZUNIONSTORE', 'z', 1, 'missing'], ['ZINCRBY', 'z', 2, 'a']]);
  });

  it('reads of missing keys say "keymiss"', async () => {
    await same([
      ['ZADD', 'z', 1, 'a'],
      ['ZCARD', 'm1'],
      ['ZSCORE', 'm2', 'a'],
      ['ZMSCORE', 'm3', 'a', 'b'],
      ['ZRANK', 'm4', 'a'],
      ['ZREVRANK', 'm5', 'a'],
      ['ZCOUNT', 'm6', 0, 1],
      ['ZLEXCOUNT', 'm7', '-', '+'],
      ['ZRANGE', 'm8', 0, -1],
      ['ZRANGEBYSCORE', 'm9', 0, 1],
      ['ZREVRANGEBYSCORE', 'm10', 1, 0],
      ['ZRANGEBYLEX', 'm11', '-', '+'],
      ['ZREVRANGEBYLEX', 'm12', '+', '-'],
      ['ZREVRANGE', 'm13', 0, -1],
      ['ZUNION', 2, 'z', 'm14'],
      ['ZINTER', 2, 'm15', 'z'],
      ['ZDIFF', 2, 'z', 'm16'],
      ['ZINTERCARD', 2, 'm17', 'm18'],
      ['ZRANDMEMBER', 'm19'],
      ['ZRANDMEMBER', 'm20', 2, 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', 5, 'WITHSCORES'],
      ['ZSCORE', 'z', 'a'],
    ]);
  });
});

describe('each event belongs to the class Redis gives it', () => {
  const script: Script = [
    ['SADD', 's', 'a', 'b'],
    ['SMOVE', 's', 't', 'a'],
    ['SPOP', 's', 5],
    ['SUNIONSTORE', 'u', 't', 'missing'],
    ['SINTERSTORE', 'u', 't', 'missing'],
    ['ZADD', 'z', 1, 'a', 2, 'b'],
    ['ZINCRBY', 'z', 1, 'a'],
    ['ZRANGESTORE', 'd', 'z', 0, 0],
    ['ZREM', 'z', 'a'],
    ['ZPOPMAX', 'z'],
    ['ZUNIONSTORE', 'd', 1, 'missing'],
  ];

  it('set events under "s", sorted set events under "z", the "del" of an emptied key under "g"', async () => {
    const s = await same(script, [], 'Ks');
    expect(s.length).toBeGreaterThan(0);
    expect(s.every((e) => / s(add|rem|pop|unionstore)$/.test(e))).toBe(true);
    const z = await same(script, [], 'Ez');
    expect(z.length).toBeGreaterThan(0);
    expect(z.every((e) => /^__keyevent@0__:z/.test(e))).toBe(true);
    expect(await same(script, [], 'Kg')).toEqual(['__keyspace@0__:s del', '__keyspace@0__:u del', '__keyspace@0__:z del', '__keyspace@0__:d del']);
  });

  it('"new" and "keymiss" only with n and m', async () => {
    await same(script, [], 'En');
    await same(script, [], 'Km');
    expect(await same(script, [], 'KE$lh')).toEqual([]);
  });
});
