import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../shared/resp/reply.js';
import { pipeline, runWithKeyspaceEvents, withKeyspaceEvents, type Cmd, type ScriptRun } from './helpers/keyspace-events.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

/**
 * Keyspace notifications of the generic key commands (keys.ts, dump.ts, MIGRATE), compared event by event with
 * a stock redis-server 7.0.15 running the same scripts.
 */

const FLAGS = 'KEAnm';

let ours: ServerProcess;
let stock: StockRedis;
/** A third server, the MIGRATE target of both. */
let target: StockRedis;
/** A TCP server that accepts connections and never answers: a MIGRATE target that times out. */
let silent: Server;
let silentPort: number;
const silentSockets = new Set<Socket>();
/** A DUMP payload of the string "hello", made by the stock server. */
let helloPayload: string;

beforeAll(async () => {
  // DEBUG SLEEP (to let keys expire between pipelined commands) is off by default in Redis 7.
  [ours, stock, target] = await Promise.all([startServer(), startStockRedis(['--enable-debug-command', 'yes']), startStockRedis()]);
  const c = await RespConnection.tcp(stock.port);
  try {
    await c.call('SET', 'p', 'hello');
    helloPayload = (await c.call('DUMP', 'p')) as string;
    await c.call('DEL', 'p');
  } finally {
    c.close();
  }
  silent = createServer((s) => {
    silentSockets.add(s);
    s.on('close', () => silentSockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of silentSockets) s.destroy();
  await Promise.all([ours?.stop(), stock?.stop(), target?.stop(), new Promise<void>((r) => (silent ? silent.close(() => r()) : r()))]);
});

/** Runs the script on both servers and expects the same replies and the same events, in the same order. */
async function same(script: Cmd[], flags = FLAGS): Promise<string[]> {
  const [a, b] = await Promise.all([runWithKeyspaceEvents(ours.port, flags, script), runWithKeyspaceEvents(stock.port, flags, script)]);
  expect(a.events).toEqual(b.events);
  expect(a.replies).toEqual(b.replies);
  return a.events;
}

/**
 * Lazy expiry, deterministically: `keys` get a 20 ms TTL, the server sleeps 100 ms, then `script` runs in the same
 * pipeline, so the keys are expired but no active expiry cycle could have run in between.
 */
async function sameAfterExpiry(setup: Cmd[], script: Cmd[]): Promise<string[]> {
  const run = (port: number) => withKeyspaceEvents(port, FLAGS, (c) => pipeline(c, [...setup, ['DEBUG', 'SLEEP', '0.1'], ...script]));
  const [a, b] = await Promise.all([run(ours.port), run(stock.port)]);
  expect(a.events).toEqual(b.events);
  expect(a.replies).toEqual(b.replies);
  return a.events;
}

/** `__keyspace@db__:key event` and `__keyevent@db__:event key`, as a subscriber to both receives them. */
function ev(event: string, key: string, db = 0): string[] {
  return [`__keyspace@${db}__:${key} ${event}`, `__keyevent@${db}__:${event} ${key}`];
}

describe('DEL and UNLINK', () => {
  it('"del" for each key deleted, in argument order; nothing for missing keys or a repeated key', async () => {
    const events = await same([
      ['SET', 'a', '1'],
      ['RPUSH', 'b', 'x'],
      ['SET', 'c', '3'],
      ['DEL', 'a', 'missing', 'b', 'a'],
      ['DEL', 'missing'],
      ['UNLINK', 'c', 'nope'],
      ['UNLINK', 'c'],
    ]);
    expect(events.slice(-6)).toEqual([...ev('del', 'a'), ...ev('del', 'b'), ...ev('del', 'c')]);
  });
});

describe('RENAME and RENAMENX', () => {
  it('"new" for the destination, then "rename_from" and "rename_to"; the TTL moves with no "expire"', async () => {
    const events = await same([
      ['SET', 'a', '1', 'EX', '100'],
      ['RENAME', 'a', 'b'],
      ['TTL', 'b'],
    ]);
    expect(events.slice(-6)).toEqual([...ev('new', 'b'), ...ev('rename_from', 'a'), ...ev('rename_to', 'b')]);
  });

  it('onto an existing key: the old one is replaced without "del", and the destination is "new" again', async () => {
    const events = await same([
      ['SET', 'a', '1'],
      ['SADD', 'b', 'x'],
      ['RENAME', 'a', 'b'],
      ['TYPE', 'b'],
    ]);
    expect(events.slice(-6)).toEqual([...ev('new', 'b'), ...ev('rename_from', 'a'), ...ev('rename_to', 'b')]);
  });

  it('nothing for the same key, a missing source (no "keymiss"), or RENAMENX onto an existing key', async () => {
    const events = await same([
      ['SET', 'a', '1'],
      ['SET', 'b', '2'],
      ['RENAME', 'a', 'a'],
      ['RENAMENX', 'a', 'a'],
      ['RENAME', 'missing', 'x'],
      ['RENAMENX', 'missing', 'x'],
      ['RENAME', 'missing', 'missing'],
      ['RENAMENX', 'a', 'b'],
    ]);
    expect(events).toEqual([...ev('new', 'a'), ...ev('set', 'a'), ...ev('new', 'b'), ...ev('set', 'b')]);
  });

  it('RENAMENX to a free name sends the same events as RENAME', async () => {
    await same([
      ['HSET', 'h', 'f', 'v'],
      ['RENAMENX', 'h', 'g'],
      ['HGETALL', 'g'],
    ]);
  });
});

describe('COPY', () => {
  it('"new" and "copy_to" for the destination only; REPLACE replaces without "del"', async () => {
    const events = await same([
      ['SET', 'a', '1', 'EX', '100'],
      ['ZADD', 'z', '1', 'm'],
      ['COPY', 'a', 'b'],
      ['COPY', 'a', 'z'],
      ['COPY', 'a', 'z', 'REPLACE'],
      ['TTL', 'z'],
      ['TYPE', 'z'],
    ]);
    expect(events.slice(-8)).toEqual([...ev('new', 'b'), ...ev('copy_to', 'b'), ...ev('new', 'z'), ...ev('copy_to', 'z')]);
  });

  it('to another database with DB: the events name the destination database', async () => {
    const events = await same([
      ['RPUSH', 'l', 'a', 'b'],
      ['COPY', 'l', 'l', 'DB', '1'],
      ['COPY', 'l', 'l', 'DB', '1'],
      ['COPY', 'l', 'l', 'DB', '1', 'REPLACE'],
      ['SELECT', '1'],
      ['LRANGE', 'l', '0', '-1'],
    ]);
    expect(events.slice(-8)).toEqual([...ev('new', 'l', 1), ...ev('copy_to', 'l', 1), ...ev('new', 'l', 1), ...ev('copy_to', 'l', 1)]);
  });

  it('a missing source is a "keymiss" (COPY reads it); errors send nothing', async () => {
    const events = await same([
      ['SET', 'a', '1'],
      ['COPY', 'missing', 'b'],
      ['COPY', 'a', 'a'],
      ['COPY', 'a', 'b', 'DB', '99'],
      ['COPY', 'a', 'b', 'BOGUS'],
    ]);
    expect(events.slice(-2)).toEqual(ev('keymiss', 'missing'));
  });
});

describe('MOVE', () => {
  it('"new" in the destination database, then "move_from" (source db) and "move_to" (destination db)', async () => {
    const events = await same([
      ['SET', 'a', '1', 'PX', '100000'],
      ['MOVE', 'a', '2'],
      ['SELECT', '2'],
      ['GET', 'a'],
      ['TTL', 'a'],
    ]);
    expect(events.slice(-6)).toEqual([...ev('new', 'a', 2), ...ev('move_from', 'a', 0), ...ev('move_to', 'a', 2)]);
  });

  it('nothing when the key is missing (no "keymiss"), exists in the destination, or the db is the same', async () => {
    const events = await same([
      ['SELECT', '1'],
      ['SET', 'a', 'one'],
      ['SELECT', '0'],
      ['SET', 'a', 'zero'],
      ['MOVE', 'a', '1'],
      ['MOVE', 'missing', '1'],
      ['MOVE', 'a', '0'],
      ['MOVE', 'a', '99'],
      ['GET', 'a'],
    ]);
    expect(events).toEqual([...ev('new', 'a', 1), ...ev('set', 'a', 1), ...ev('new', 'a'), ...ev('set', 'a')]);
  });
});

describe('EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT', () => {
  it('"expire" for each TTL set by any of the four', async () => {
    const future = Math.floor(Date.now() / 1000) + 1000;
    const events = await same([
      ['SET', 'k', 'v'],
      ['EXPIRE', 'k', '100'],
      ['PEXPIRE', 'k', '200000'],
      ['EXPIREAT', 'k', future],
      ['PEXPIREAT', 'k', future * 1000 + 500],
      ['EXPIRETIME', 'k'],
    ]);
    expect(events.slice(-8)).toEqual([...ev('expire', 'k'), ...ev('expire', 'k'), ...ev('expire', 'k'), ...ev('expire', 'k')]);
  });

  it('NX, XX, GT, LT: "expire" only when the TTL was set; nothing when the condition failed', async () => {
    await same([
      ['SET', 'k', 'v'],
      ['EXPIRE', 'k', '100', 'XX'],
      ['EXPIRE', 'k', '100', 'GT'],
      ['EXPIRE', 'k', '100', 'NX'],
      ['EXPIRE', 'k', '50', 'NX'],
      ['EXPIRE', 'k', '50', 'GT'],
      ['EXPIRE', 'k', '200', 'GT'],
      ['EXPIRE', 'k', '300', 'LT'],
      ['EXPIRE', 'k', '100', 'LT'],
      ['EXPIRE', 'k', '150', 'XX'],
      ['PEXPIRE', 'k', '300000', 'XX', 'GT'],
      ['PEXPIRE', 'k', '1000', 'XX', 'GT'],
      ['TTL', 'k'],
      ['SET', 'n', 'v'],
      ['EXPIRE', 'n', '100', 'LT'],
      ['TTL', 'n'],
    ]);
  });

  it('a time in the past deletes the key with a "del" (not "expired"); a failed GT on a past time deletes nothing', async () => {
    const events = await same([
      ['SET', 'a', '1'],
      ['SET', 'b', '2'],
      ['SET', 'c', '3'],
      ['SET', 'd', '4', 'EX', '100'],
      ['EXPIRE', 'a', '-1'],
      ['PEXPIRE', 'b', '0'],
      ['EXPIREAT', 'c', '1'],
      ['EXPIRE', 'd', '-5', 'GT'],
      ['PEXPIREAT', 'd', '1000', 'LT'],
      ['EXISTS', 'a', 'b', 'c', 'd'],
    ]);
    expect(events.slice(-16, -8)).toEqual([...ev('del', 'a'), ...ev('del', 'b'), ...ev('del', 'c'), ...ev('del', 'd')]);
  });

  it('a missing key sends nothing (no "keymiss"), and neither do argument errors', async () => {
    const events = await same([
      ['EXPIRE', 'missing', '100'],
      ['PEXPIREAT', 'missing', '1'],
      ['SET', 'k', 'v'],
      ['EXPIRE', 'k', 'abc'],
      ['EXPIRE', 'k', '100', 'BOGUS'],
      ['EXPIRE', 'k', '100', 'NX', 'XX'],
      ['EXPIRE', 'k', '100', 'GT', 'LT'],
      ['EXPIRE', 'k', '9223372036854775807'],
    ]);
    expect(events).toEqual([...ev('new', 'k'), ...ev('set', 'k')]);
  });
});

describe('PERSIST', () => {
  it('"persist" when a TTL was removed; nothing without a TTL or for a missing key (no "keymiss")', async () => {
    const events = await same([
      ['SET', 'k', 'v', 'EX', '100'],
      ['PERSIST', 'k'],
      ['PERSIST', 'k'],
      ['PERSIST', 'missing'],
      ['TTL', 'k'],
    ]);
    expect(events.slice(-2)).toEqual(ev('persist', 'k'));
  });
});

describe('DUMP and RESTORE', () => {
  it('RESTORE: "new" then "restore"; with REPLACE over a key, no "del" and "new" again', async () => {
    const events = await same([
      ['RESTORE', 'a', '0', helloPayload],
      ['RESTORE', 'a', '0', helloPayload],
      ['RPUSH', 'l', 'x'],
      ['RESTORE', 'l', '100000', helloPayload, 'REPLACE'],
      ['GET', 'l'],
      ['TTL', 'l'],
    ]);
    expect(events.slice(0, 4)).toEqual([...ev('new', 'a'), ...ev('restore', 'a')]);
    expect(events.slice(-4)).toEqual([...ev('new', 'l'), ...ev('restore', 'l')]);
  });

  it('an already expired ABSTTL stores nothing; with REPLACE over a key it is a "del"', async () => {
    const events = await same([
      ['RESTORE', 'a', '1000', helloPayload, 'ABSTTL'],
      ['SET', 'b', 'old'],
      ['RESTORE', 'b', '1000', helloPayload, 'ABSTTL', 'REPLACE'],
      ['RESTORE', 'c', '1000', helloPayload, 'ABSTTL', 'REPLACE'],
      ['EXISTS', 'a', 'b', 'c'],
    ]);
    expect(events.slice(4, 6)).toEqual(ev('del', 'b'));
  });

  it('errors send nothing: BUSYKEY, a bad payload, a bad TTL, a bad option', async () => {
    const events = await same([
      ['SET', 'a', '1'],
      ['RESTORE', 'a', '0', helloPayload],
      ['RESTORE', 'b', '0', 'not a payload'],
      ['RESTORE', 'b', '-1', helloPayload],
      ['RESTORE', 'b', '0', helloPayload, 'BOGUS'],
      ['RESTORE', 'b', '0', helloPayload, 'FREQ', '300'],
    ]);
    expect(events).toEqual([...ev('new', 'a'), ...ev('set', 'a')]);
  });

  it('DUMP of a missing key is a "keymiss"', async () => {
    expect(await same([['DUMP', 'missing']])).toEqual(ev('keymiss', 'missing'));
  });
});

describe('reads of missing keys', () => {
  it('EXISTS, TYPE, TTL, PTTL, EXPIRETIME, PEXPIRETIME, TOUCH send "keymiss" per missing key', async () => {
    const events = await same([
      ['SET', 'k', 'v'],
      ['EXISTS', 'k', 'm1', 'm2'],
      ['TYPE', 'm3'],
      ['TTL', 'm4'],
      ['PTTL', 'm5'],
      ['EXPIRETIME', 'm6'],
      ['PEXPIRETIME', 'm7'],
      ['TOUCH', 'm8', 'k', 'm9'],
    ]);
    expect(events.slice(4)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9'].flatMap((k) => ev('keymiss', k)));
  });

  it('OBJECT, KEYS, RANDOMKEY, DBSIZE send nothing', async () => {
    expect(
      await same([
        ['OBJECT', 'ENCODING', 'missing'],
        ['OBJECT', 'REFCOUNT', 'missing'],
        ['OBJECT', 'IDLETIME', 'missing'],
        ['OBJECT', 'FREQ', 'missing'],
        ['KEYS', '*'],
        ['RANDOMKEY'],
        ['DBSIZE'],
      ]),
    ).toEqual([]);
  });
});

describe('FLUSHDB, FLUSHALL, SWAPDB', () => {
  it('send no key events at all', async () => {
    const events = await same([
      ['SET', 'a', '1'],
      ['SELECT', '1'],
      ['SET', 'b', '2'],
      ['SWAPDB', '0', '1'],
      ['SWAPDB', '0', '0'],
      ['FLUSHDB'],
      ['SELECT', '0'],
      ['DBSIZE'],
      ['FLUSHALL'],
      ['FLUSHDB', 'ASYNC'],
    ]);
    expect(events).toEqual([...ev('new', 'a'), ...ev('set', 'a'), ...ev('new', 'b', 1), ...ev('set', 'b', 1)]);
  });
});

describe('expired keys', () => {
  it('lazy expiry by the key commands: "expired" first, then "keymiss" where the command reads', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'];
    const events = await sameAfterExpiry(keys.map((k): Cmd => ['SET', k, 'v', 'PX', '20']), [
      ['EXISTS', 'a'],
      ['TYPE', 'b'],
      ['TTL', 'c'],
      ['DUMP', 'd'],
      ['OBJECT', 'ENCODING', 'e'],
      ['TOUCH', 'f'],
      ['DEL', 'g'],
      ['EXPIRE', 'h', '100'],
      ['PERSIST', 'i'],
      ['RENAME', 'j', 'x'],
      ['COPY', 'k', 'y'],
      ['KEYS', '*'],
    ]);
    // Reads (EXISTS, TYPE, TTL, DUMP, TOUCH, COPY's source) miss; OBJECT and the writes do not say "keymiss".
    const reads = ['a', 'b', 'c', 'd', 'f', 'k'];
    expect(events.slice(keys.length * 6)).toEqual(keys.flatMap((k) => [...ev('expired', k), ...(reads.includes(k) ? ev('keymiss', k) : [])]));
  });

  it('an expired destination of RENAME, COPY, MOVE, RESTORE is expired, then the key is "new"', async () => {
    const events = await sameAfterExpiry(
      [
        ['SET', 'src1', 'a'],
        ['SET', 'src2', 'b'],
        ['SET', 'src3', 'c'],
        ['SET', 'dst1', 'old', 'PX', '20'],
        ['SET', 'dst2', 'old', 'PX', '20'],
        ['SET', 'dst4', 'old', 'PX', '20'],
        ['SELECT', '1'],
        ['SET', 'src3', 'old', 'PX', '20'],
        ['SELECT', '0'],
      ],
      [
        ['RENAMENX', 'src1', 'dst1'],
        ['COPY', 'src2', 'dst2'],
        ['MOVE', 'src3', '1'],
        ['RESTORE', 'dst4', '0', helloPayload],
      ],
    );
    expect(events.slice(-28)).toEqual([
      ...ev('expired', 'dst1'),
      ...ev('new', 'dst1'),
      ...ev('rename_from', 'src1'),
      ...ev('rename_to', 'dst1'),
      ...ev('expired', 'dst2'),
      ...ev('new', 'dst2'),
      ...ev('copy_to', 'dst2'),
      ...ev('expired', 'src3', 1),
      ...ev('new', 'src3', 1),
      ...ev('move_from', 'src3'),
      ...ev('move_to', 'src3', 1),
      ...ev('expired', 'dst4'),
      ...ev('new', 'dst4'),
      ...ev('restore', 'dst4'),
    ]);
  });

  it('RANDOMKEY expires the keys it draws', async () => {
    const events = await sameAfterExpiry([['SET', 'a', 'v', 'PX', '20']], [['RANDOMKEY'], ['DBSIZE']]);
    expect(events.slice(-2)).toEqual(ev('expired', 'a'));
  });

  it('active expiry sends "expired" alone (SET ... PX itself sends "expire")', async () => {
    const run = (port: number) =>
      withKeyspaceEvents(port, FLAGS, async (c) => {
        const set = await c.call('SET', 'k', 'v', 'PX', '10');
        // DBSIZE counts keys without expiring any: it reaches 0 only when the server's own cycle deleted k.
        await waitFor(async () => (await c.call('DBSIZE')) === 0, 10_000, 'active expiry');
        return [set];
      });
    const [a, b] = await Promise.all([run(ours.port), run(stock.port)]);
    expect(a).toEqual(b);
    expect(a.events).toEqual([...ev('new', 'k'), ...ev('set', 'k'), ...ev('expire', 'k'), ...ev('expired', 'k')]);
  });
});

describe('MIGRATE (source side)', () => {
  /** Runs the script on each server in turn against a freshly prepared target. */
  async function sameMigration(targetSetup: Cmd[], run: (port: number) => Promise<ScriptRun>): Promise<string[]> {
    const results: ScriptRun[] = [];
    for (const port of [ours.port, stock.port]) {
      const t = await RespConnection.tcp(target.port);
      try {
        await t.call('FLUSHALL');
        for (const cmd of targetSetup) await t.call(...cmd);
      } finally {
        t.close();
      }
      results.push(await run(port));
    }
    expect(results[0].events).toEqual(results[1].events);
    expect(results[0].replies).toEqual(results[1].replies);
    return results[0].events;
  }

  it('"del" for each key the target took; "keymiss" for missing keys; nothing for COPY or refused keys', async () => {
    const host = '127.0.0.1';
    const events = await sameMigration([['SET', 'c', 'busy']], (port) =>
      runWithKeyspaceEvents(port, FLAGS, [
        ['SET', 'a', '1'],
        ['RPUSH', 'b', 'x'],
        ['SET', 'c', '3'],
        ['MIGRATE', host, target.port, 'a', '0', '5000'],
        ['MIGRATE', host, target.port, '', '0', '5000', 'KEYS', 'b', 'missing', 'c'],
        ['MIGRATE', host, target.port, '', '0', '5000', 'COPY', 'KEYS', 'c'],
        ['MIGRATE', host, target.port, '', '0', '5000', 'COPY', 'REPLACE', 'KEYS', 'c'],
        ['MIGRATE', host, target.port, 'nokey', '0', '5000'],
        ['MIGRATE', host, target.port, '', '0', '5000', 'REPLACE', 'KEYS', 'c'],
        ['DBSIZE'],
      ]),
    );
    expect(events.slice(-10)).toEqual([
      ...ev('del', 'a'),
      ...ev('keymiss', 'missing'),
      ...ev('del', 'b'),
      ...ev('keymiss', 'nokey'),
      ...ev('del', 'c'),
    ]);
  });

  it('expired keys among the keys: "expired" and "keymiss" in argument order, before the "del"s', async () => {
    const events = await sameMigration([], (port) =>
      withKeyspaceEvents(port, FLAGS, (c) =>
        pipeline(c, [
          ['SET', 'e', 'v', 'PX', '20'],
          ['SET', 'f', 'v'],
          ['SET', 'g', 'v', 'PX', '20'],
          ['DEBUG', 'SLEEP', '0.1'],
          ['MIGRATE', '127.0.0.1', target.port, '', '0', '5000', 'KEYS', 'missing', 'e', 'f'],
          ['MIGRATE', '127.0.0.1', target.port, '', '0', '5000', 'KEYS', 'g', 'nokey'],
        ]),
      ),
    );
    expect(events.slice(-14)).toEqual([
      ...ev('keymiss', 'missing'),
      ...ev('expired', 'e'),
      ...ev('keymiss', 'e'),
      ...ev('del', 'f'),
      ...ev('expired', 'g'),
      ...ev('keymiss', 'g'),
      ...ev('keymiss', 'nokey'),
    ]);
  });

  it('a target that never answers: the lookups still send their events, and the keys stay', async () => {
    const events = await sameMigration([], (port) =>
      withKeyspaceEvents(port, FLAGS, (c) =>
        pipeline(c, [
          ['SET', 'a', 'v'],
          ['SET', 'e', 'v', 'PX', '20'],
          ['DEBUG', 'SLEEP', '0.1'],
          ['MIGRATE', '127.0.0.1', silentPort, '', '0', '300', 'KEYS', 'e', 'missing', 'a'],
          ['EXISTS', 'a'],
        ]),
      ),
    );
    expect(events.slice(-6)).toEqual([...ev('expired', 'e'), ...ev('keymiss', 'e'), ...ev('keymiss', 'missing')]);
  });
});
