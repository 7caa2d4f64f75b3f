import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorReply, MapReply, type Reply } from '../shared/resp/reply.js';
import { converged, info } from './helpers/dataset.js';
import { pipeline, type Cmd } from './helpers/keyspace-events.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

/**
 * Redis 7.0 functions on our server and on a stock redis-server 7.0.15: the same replies to the same FUNCTION
 * and FCALL scripts, FUNCTION DUMP payloads that each side restores, libraries reaching a stock replica of our
 * master (full sync and stream) and our replica of a stock master, and libraries surviving a restart in the RDB.
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

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await Promise.all([a.call('FUNCTION', 'FLUSH'), b.call('FUNCTION', 'FLUSH'), a.call('FLUSHALL'), b.call('FLUSHALL')]);
});

const lib = (name: string, ...lines: string[]) => `#!lua name=${name}\n${lines.join('\n')}`;

/**
 * FUNCTION LIST with libraries (and each library's functions) in name order: Redis lists both in its hash
 * tables' order.
 */
function normalizeList(r: Reply): Reply {
  if (!Array.isArray(r)) return r;
  const libs = r.map((entry) => {
    const fields = [...(entry as Reply[])];
    const at = fields.indexOf('functions');
    if (at >= 0) {
      const fns = [...(fields[at + 1] as Reply[][])];
      fns.sort((x, y) => String(x[1]).localeCompare(String(y[1])));
      fields[at + 1] = fns;
    }
    return fields;
  });
  return libs.sort((x, y) => String(x[1]).localeCompare(String(y[1])));
}

/** Runs the script on both servers (pipelined) and expects the same replies, FUNCTION LIST compared as sets. */
async function same(script: Cmd[]): Promise<Reply[]> {
  const [ra, rb] = await Promise.all([pipeline(a, script), pipeline(b, script)]);
  const norm = (replies: Reply[]) =>
    replies.map((r, i) => (String(script[i][0]).toUpperCase() === 'FUNCTION' && String(script[i][1]).toUpperCase() === 'LIST' ? normalizeList(r) : r));
  expect(norm(ra)).toEqual(norm(rb));
  return ra;
}

const counter = lib(
  'counter',
  "local function incr(keys, args) return redis.call('INCRBY', keys[1], args[1] or 1) end",
  "redis.register_function('incr', incr)",
  "redis.register_function{function_name='peek', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads a counter'}",
  "redis.register_function{function_name='info', callback=function(keys, args) return {#keys, #args, redis.REDIS_VERSION} end, flags={'allow-stale', 'no-writes', 'allow-oom', 'no-cluster', 'allow-cross-slot-keys'}}",
);
const tools = lib(
  'tools',
  "redis.register_function('echo', function(keys, args) return args end)",
  "redis.register_function('fail', function() return redis.error_reply('MYERR custom') end)",
  "redis.register_function('raise', function() error('boom') end)",
  "redis.register_function('setglobal', function() x = 1 end)",
  "redis.register_function('status', function() return redis.status_reply('FINE') end)",
  "redis.register_function('writes', function(keys) redis.call('SET', keys[1], 'a'); return redis.call('LPUSH', keys[2], 'b') end)",
);

describe('the same replies as Redis', () => {
  it('FUNCTION LOAD, FCALL, FCALL_RO, LIST, STATS, DELETE, FLUSH', async () => {
    await same([
      ['FUNCTION', 'LOAD', counter],
      ['FUNCTION', 'LOAD', tools],
      ['FUNCTION', 'LOAD', counter],
      ['FUNCTION', 'LOAD', 'REPLACE', counter],
      ['FCALL', 'incr', '1', 'c'],
      ['FCALL', 'INCR', '1', 'c', '5'],
      ['FCALL_RO', 'peek', '1', 'c'],
      ['FCALL_RO', 'incr', '1', 'c'],
      ['FCALL', 'info', '2', 'k1', 'k2', 'a1'],
      ['FCALL', 'echo', '0', 'x', 'y'],
      ['FCALL', 'fail', '0'],
      ['FCALL', 'raise', '0'],
      ['FCALL', 'setglobal', '0'],
      ['FCALL', 'status', '0'],
      ['FCALL', 'writes', '2', 's', 'l'],
      ['FCALL', 'writes', '2', 'l', 's'],
      ['FCALL', 'nosuch', '0'],
      ['FCALL', 'incr', 'x'],
      ['FCALL', 'incr', '2', 'c'],
      ['FCALL', 'incr', '-1'],
      ['FUNCTION', 'LIST'],
      ['FUNCTION', 'LIST', 'WITHCODE'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'co*'],
      ['FUNCTION', 'LIST', 'libraryname', 'TOOLS', 'withcode'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME'],
      ['FUNCTION', 'LIST', 'bogus'],
      ['FUNCTION', 'STATS'],
      ['FUNCTION', 'DELETE', 'nosuch'],
      ['FUNCTION', 'DELETE', 'tools'],
      ['FCALL', 'echo', '0'],
      ['FUNCTION', 'STATS'],
      ['FUNCTION', 'FLUSH', 'bogus'],
      ['FUNCTION', 'FLUSH', 'SYNC'],
      ['FUNCTION', 'LIST'],
      ['FUNCTION', 'KILL'],
      ['FUNCTION', 'HELP'],
      ['FUNCTION', 'STATS', 'x'],
      ['FUNCTION', 'bogus'],
    ]);
    expect((await info(a, 'memory')).number_of_functions).toBe('0');
  });

  it('load errors: metadata, names, engine, compile and registration errors, the load-time sandbox', async () => {
    await same([
      ['FUNCTION', 'LOAD', 'return 1'],
      ['FUNCTION', 'LOAD', '#!lua name=x'],
      ['FUNCTION', 'LOAD', '#!lua\nreturn 1'],
      ['FUNCTION', 'LOAD', '#!lua name=bad-name\nreturn 1'],
      ['FUNCTION', 'LOAD', '#!LUA name=ok\nredis.register_function("f", function() return 1 end)'],
      ['FUNCTION', 'LOAD', '#!js name=x\nreturn 1'],
      ['FUNCTION', 'LOAD', '#!lua name=x other=y\nreturn 1'],
      ['FUNCTION', 'LOAD', '#!lua name=x name=y\nreturn 1'],
      ['FUNCTION', 'LOAD', '#!lua "name=q x"\nredis.register_function("g", function() return 1 end)'],
      ['FUNCTION', 'LOAD', lib('x', 'local a = 1')],
      ['FUNCTION', 'LOAD', lib('x', 'local a = ')],
      ['FUNCTION', 'LOAD', lib('x', "local s = string.len('a')")],
      ['FUNCTION', 'LOAD', lib('x', 'redis.call("ping")')],
      ['FUNCTION', 'LOAD', lib('x', 'y = 1')],
      ['FUNCTION', 'LOAD', lib('x', 'redis.log(redis.LOG_NOTICE, "loading", redis.REDIS_VERSION_NUM)', "redis.register_function('f2', function() end)")],
      ['FUNCTION', 'LOAD', lib('x', "redis.register_function('f', function() end)")],
      ['FUNCTION', 'LOAD', lib('y', "redis.register_function('z', function() end)", "redis.register_function('z', function() end)")],
      ['FUNCTION', 'LOAD', lib('y', "redis.register_function('z-z', function() end)")],
      ['FUNCTION', 'LOAD', lib('y', "redis.register_function('z')")],
      ['FUNCTION', 'LOAD', lib('y', "redis.register_function('z', 1)")],
      ['FUNCTION', 'LOAD', lib('y', 'redis.register_function(1, 2, 3)')],
      ['FUNCTION', 'LOAD', lib('y', "redis.register_function{function_name='z'}")],
      ['FUNCTION', 'LOAD', lib('y', 'redis.register_function{callback=function() end}')],
      ['FUNCTION', 'LOAD', lib('y', "redis.register_function{function_name='z', callback=function() end, flags={'nope'}}")],
      ['FUNCTION', 'LOAD', lib('y', "redis.register_function{function_name='z', callback=function() end, flags='no-writes'}")],
      ['FUNCTION', 'LOAD', lib('y', "redis.register_function{function_name='z', callback=function() end, extra=1}")],
      ['FUNCTION', 'LOAD', lib('y', "redis.register_function{function_name=7, callback=function() return 7 end}")],
      ['FCALL', '7', '0'],
      ['FUNCTION', 'LOAD', 'bogus', lib('w', "redis.register_function('w', function() end)")],
      ['FUNCTION', 'LOAD', 'replace'],
      ['FUNCTION', 'LOAD'],
      ['FUNCTION', 'LOAD', lib('v', "redis.register_function('later', function() return redis.register_function end)")],
      ['FCALL', 'later', '0'],
      ['FUNCTION', 'LOAD', lib('u', "redis.register_function('api', function() return {type(redis.breakpoint), type(redis.debug), type(redis.replicate_commands), type(redis.set_repl), type(redis.setresp), type(redis.pcall)} end)")],
      ['FCALL', 'api', '0'],
      ['FUNCTION', 'LOAD', lib('t', 'while true do end')],
      // One math.random generator for the whole process, shared with EVAL.
      ['FUNCTION', 'LOAD', lib('rnd', "redis.register_function('rnd', function() return {math.random(1000000), math.random(1000000)} end)")],
      ['FCALL', 'rnd', '0'],
      ['EVAL', 'return math.random(1000000)', '0'],
      ['FCALL', 'rnd', '0'],
      ['FUNCTION', 'LIST'],
    ]);
  });

  it('FUNCTION RESTORE policies and errors give the same replies', async () => {
    // Each side restores its own dump: the payloads are compared byte for byte in the next test. The dump holds
    // one library: with several, which collision Redis reports first depends on its hash table's random seed.
    const one = lib('one', "redis.register_function('f1', function() return 1 end)");
    const two = lib('two', "redis.register_function('f2', function() return 2 end)");
    const clash = lib('clash', "redis.register_function('f1', function() return 3 end)");
    await same([['FUNCTION', 'LOAD', one]]);
    const [da, db] = await Promise.all([a.call('FUNCTION', 'DUMP'), b.call('FUNCTION', 'DUMP')]);
    await same([['FUNCTION', 'LOAD', two]]);
    const run = async (c: RespConnection, dump: Reply) =>
      pipeline(c, [
        ['FUNCTION', 'RESTORE', dump as string],
        ['FUNCTION', 'RESTORE', dump as string, 'REPLACE'],
        ['FUNCTION', 'RESTORE', dump as string, 'bogus'],
        ['FUNCTION', 'RESTORE', dump as string, 'FLUSH', 'x'],
        ['FUNCTION', 'RESTORE', 'garbage'],
        ['FUNCTION', 'DELETE', 'two'],
        ['FUNCTION', 'LOAD', clash],
        ['FUNCTION', 'DELETE', 'one'],
        ['FUNCTION', 'LOAD', clash],
        ['FUNCTION', 'RESTORE', dump as string],
        ['FUNCTION', 'RESTORE', dump as string, 'replace'],
        ['FUNCTION', 'RESTORE', dump as string, 'flush'],
        ['FCALL', 'f1', '0'],
        ['FCALL', 'f2', '0'],
        ['FUNCTION', 'FLUSH'],
        ['FUNCTION', 'RESTORE', dump as string, 'APPEND'],
        ['FUNCTION', 'STATS'],
      ]);
    const [ra, rb] = await Promise.all([run(a, da), run(b, db)]);
    expect(ra).toEqual(rb);
    expect(ra[0]).toEqual(new ErrorReply('ERR Library one already exists'));
  });
});

describe('RESP3', () => {
  it('FUNCTION LIST (maps, sets of flags), STATS (nulls) and FCALL replies match', async () => {
    await same([['FUNCTION', 'LOAD', counter]]);
    const [a3, b3] = await Promise.all([connect(ours.port), connect(stock.port)]);
    await Promise.all([a3.call('HELLO', '3'), b3.call('HELLO', '3')]);
    const script: Cmd[] = [
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'counter', 'WITHCODE'],
      ['FUNCTION', 'STATS'],
      ['FCALL', 'info', '1', 'k', 'a'],
      ['FCALL_RO', 'peek', '1', 'missing'],
    ];
    const [ra, rb] = await Promise.all([pipeline(a3, script), pipeline(b3, script)]);
    // Each library's functions in name order (Redis lists them in its hash table's order).
    const sortFunctions = (r: Reply) => {
      for (const libMap of r as MapReply[]) {
        const entry = libMap.entries.find(([k]) => k === 'functions')!;
        (entry[1] as MapReply[]).sort((x, y) => String(x.entries[0][1]).localeCompare(String(y.entries[0][1])));
      }
      return r;
    };
    sortFunctions(ra[0]);
    sortFunctions(rb[0]);
    expect(ra).toEqual(rb);
    expect(ra[0]).toEqual([expect.any(MapReply)]);
  });
});

describe('maxmemory', () => {
  it('refuses write functions without allow-oom, runs allow-oom and no-writes ones, and refuses writes inside EVAL', async () => {
    const oomLib = lib(
      'oom',
      "redis.register_function('w', function(keys) return redis.call('SET', keys[1], 'v') end)",
      "redis.register_function{function_name='wok', callback=function(keys) return redis.call('SET', keys[1], 'v') end, flags={'allow-oom'}}",
      "redis.register_function{function_name='r', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}",
    );
    // Our memory model counts the dataset only: a key puts both servers over a 1-byte limit.
    await same([['FUNCTION', 'LOAD', oomLib], ['SET', 'filler', 'x'.repeat(100)]]);
    try {
      await Promise.all([a.call('CONFIG', 'SET', 'maxmemory', '1'), b.call('CONFIG', 'SET', 'maxmemory', '1')]);
      await same([
        ['FCALL', 'w', '1', 'k'],
        ['FCALL', 'wok', '1', 'k'],
        ['FCALL_RO', 'r', '1', 'k'],
        ['FCALL', 'r', '1', 'k'],
        ['EVAL', "return redis.call('SET', KEYS[1], 'x')", '1', 'k'],
        ['EVAL', "return redis.call('GET', KEYS[1])", '1', 'k'],
        ['EVAL', "#!lua flags=allow-oom\nreturn redis.call('SET', KEYS[1], 'y')", '1', 'k'],
        ['EVAL', "#!lua\nreturn redis.call('SET', KEYS[1], 'y')", '1', 'k'],
        ['FUNCTION', 'LOAD', lib('more', "redis.register_function('m', function() end)")],
        ['FUNCTION', 'DELETE', 'oom'],
      ]);
    } finally {
      await Promise.all([a.call('CONFIG', 'SET', 'maxmemory', '0'), b.call('CONFIG', 'SET', 'maxmemory', '0')]);
    }
  });
});

describe('FUNCTION DUMP payloads', () => {
  it('are byte-identical for one library, and each side restores the other one', async () => {
    await same([['FUNCTION', 'LOAD', counter]]);
    const [da, db] = await Promise.all([a.call('FUNCTION', 'DUMP'), b.call('FUNCTION', 'DUMP')]);
    expect(da).toEqual(db);
    await b.call('FUNCTION', 'LOAD', tools);
    const fromStock = await b.call('FUNCTION', 'DUMP');
    await a.call('FUNCTION', 'LOAD', tools);
    const fromOurs = await a.call('FUNCTION', 'DUMP');
    await same([['FUNCTION', 'FLUSH']]);
    expect(await a.call('FUNCTION', 'RESTORE', fromStock as string)).toEqual(await b.call('FUNCTION', 'RESTORE', fromOurs as string));
    await same([
      ['FUNCTION', 'LIST', 'WITHCODE'],
      ['FCALL', 'incr', '1', 'n', '3'],
      ['FCALL', 'echo', '0', 'hello'],
    ]);
  });
});

async function connect(port: number): Promise<RespConnection> {
  const c = await RespConnection.tcp(port);
  cleanups.push(() => c.close());
  return c;
}

describe('replication', () => {
  it('a stock replica of our master gets the libraries by full sync and by the stream, and runs them', async () => {
    const m = await startServer();
    cleanups.push(() => m.stop());
    const mc = await connect(m.port);
    expect(await mc.call('FUNCTION', 'LOAD', counter)).toBe('counter');
    await mc.call('FCALL', 'incr', '1', 'c', '41');
    const r = await startStockRedis(['--replicaof', '127.0.0.1', String(m.port)]);
    cleanups.push(() => r.stop());
    const rc = await connect(r.port);
    await converged(mc, rc);
    expect(await rc.call('FCALL_RO', 'peek', '1', 'c')).toBe('41');
    // The stream: a new library, an FCALL's effects, a deletion.
    expect(await mc.call('FUNCTION', 'LOAD', tools)).toBe('tools');
    await mc.call('FCALL', 'writes', '2', 's', 'l');
    await mc.call('FCALL', 'incr', '1', 'c');
    await converged(mc, rc);
    expect(await rc.call('GET', 'c')).toBe('42');
    expect(await rc.call('LRANGE', 'l', '0', '-1')).toEqual(['b']);
    // A function without the no-writes flag is a write for the replica's read-only check, even under FCALL_RO.
    expect(await rc.call('FCALL_RO', 'echo', '0', 'from', 'replica')).toEqual(new ErrorReply("READONLY You can't write against a read only replica."));
    expect(await rc.call('FCALL_RO', 'peek', '1', 'c')).toBe('42');
    expect(normalizeList(await rc.call('FUNCTION', 'LIST', 'WITHCODE'))).toEqual(normalizeList(await mc.call('FUNCTION', 'LIST', 'WITHCODE')));
    await mc.call('FUNCTION', 'DELETE', 'tools');
    await converged(mc, rc);
    expect(await rc.call('FCALL', 'echo', '0')).toEqual(new ErrorReply('ERR Function not found'));
    await mc.call('FUNCTION', 'FLUSH');
    await converged(mc, rc);
    expect(await rc.call('FUNCTION', 'LIST')).toEqual([]);
  });

  it('our replica of a stock master gets the libraries by full sync and by the stream', async () => {
    const m = await startStockRedis(['--repl-diskless-sync-delay', '0']);
    cleanups.push(() => m.stop());
    const mc = await connect(m.port);
    await mc.call('FUNCTION', 'LOAD', counter);
    const r = await startServer(['--replicaof', '127.0.0.1', String(m.port)]);
    cleanups.push(() => r.stop());
    const rc = await connect(r.port);
    await converged(mc, rc);
    expect(await rc.call('FCALL_RO', 'peek', '1', 'nothing')).toBe(null);
    await mc.call('FUNCTION', 'LOAD', tools);
    await mc.call('FCALL', 'incr', '1', 'c', '7');
    await converged(mc, rc);
    expect(await rc.call('FCALL_RO', 'peek', '1', 'c')).toBe('7');
    expect(await rc.call('FCALL', 'incr', '1', 'c')).toEqual(new ErrorReply("READONLY You can't write against a read only replica."));
    const dump = await mc.call('FUNCTION', 'DUMP');
    await mc.call('FUNCTION', 'RESTORE', dump as string, 'FLUSH');
    await converged(mc, rc);
    expect(normalizeList(await rc.call('FUNCTION', 'LIST', 'WITHCODE'))).toEqual(normalizeList(await mc.call('FUNCTION', 'LIST', 'WITHCODE')));
  });
});

describe('persistence', () => {
  it('our server restarts with its libraries from its RDB, which stock Redis loads too', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'functions-rdb-'));
    const s1 = await startServer(['--dir', dir, '--save', '']);
    const c1 = await RespConnection.tcp(s1.port);
    await c1.call('FUNCTION', 'LOAD', counter);
    await c1.call('FUNCTION', 'LOAD', tools);
    await c1.call('FCALL', 'incr', '1', 'c', '9');
    expect(await c1.call('SAVE')).toEqual(expect.anything());
    c1.close();
    await s1.stop();

    const s2 = await startServer(['--dir', dir, '--save', '']);
    cleanups.push(() => s2.stop());
    const c2 = await connect(s2.port);
    expect(await c2.call('FCALL_RO', 'peek', '1', 'c')).toBe('9');
    expect(await c2.call('FCALL', 'incr', '1', 'c')).toBe(10);
    expect((await info(c2, 'memory')).number_of_libraries).toBe('2');

    const r = await startStockRedis(['--dir', dir, '--dbfilename', 'dump.rdb']);
    cleanups.push(() => r.stop());
    const rc = await connect(r.port);
    expect(await rc.call('FCALL_RO', 'peek', '1', 'c')).toBe('9');
    expect(normalizeList(await rc.call('FUNCTION', 'LIST', 'WITHCODE'))).toEqual(normalizeList(await c2.call('FUNCTION', 'LIST', 'WITHCODE')));
  });

  it('our server keeps its libraries in the AOF: FUNCTION LOAD in the incr file, then in rewritten bases of both kinds', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'functions-aof-'));
    const aofDir = path.join(dir, 'appendonlydir');
    const start = async (...extra: string[]) => {
      const s = await startServer(['--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', ...extra]);
      return { s, c: await RespConnection.tcp(s.port) };
    };
    const restartAndCheck = async (extra: string[] = []) => {
      const { s, c } = await start(...extra);
      expect(await c.call('FCALL_RO', 'peek', '1', 'c')).toBe('3');
      expect(await c.call('FCALL', 'echo', '0', 'ok')).toEqual(['ok']);
      return { s, c };
    };
    let { s, c } = await start();
    await c.call('FUNCTION', 'LOAD', counter);
    await c.call('FUNCTION', 'LOAD', tools);
    await c.call('FCALL', 'incr', '1', 'c', '3');
    const incr = readdirSync(aofDir).find((f) => f.endsWith('.incr.aof'))!;
    expect(readFileSync(path.join(aofDir, incr), 'latin1')).toContain('$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n');
    c.close();
    await s.stop();
    ({ s, c } = await restartAndCheck());
    // An RDB-preamble base holds them as FUNCTION2 records.
    await c.call('BGREWRITEAOF');
    await waitFor(async () => (await info(c, 'persistence')).aof_rewrite_in_progress === '0' && readdirSync(aofDir).some((f) => f.endsWith('.2.base.rdb')), 10_000, 'rewrite');
    c.close();
    await s.stop();
    ({ s, c } = await restartAndCheck(['--aof-use-rdb-preamble', 'no']));
    // A command base starts with their FUNCTION LOAD commands.
    await c.call('BGREWRITEAOF');
    await waitFor(async () => (await info(c, 'persistence')).aof_rewrite_in_progress === '0' && readdirSync(aofDir).some((f) => f.endsWith('.3.base.aof')), 10_000, 'rewrite');
    const base = readFileSync(path.join(aofDir, readdirSync(aofDir).find((f) => f.endsWith('.3.base.aof'))!), 'latin1');
    expect(base.startsWith('*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n')).toBe(true);
    c.close();
    await s.stop();
    ({ s, c } = await restartAndCheck(['--aof-use-rdb-preamble', 'no']));
    c.close();
    await s.stop();
  });

  it('our server loads the libraries of a stock RDB', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'functions-stock-rdb-'));
    const r = await startStockRedis(['--dir', dir, '--dbfilename', 'dump.rdb']);
    const rc = await RespConnection.tcp(r.port);
    await rc.call('FUNCTION', 'LOAD', counter);
    await rc.call('SET', 'c', '5');
    await rc.call('SAVE');
    rc.close();
    await r.stop();
    const s = await startServer(['--dir', dir, '--save', '']);
    cleanups.push(() => s.stop());
    const c = await connect(s.port);
    await waitFor(async () => (await c.call('PING')) !== null, 5000, 'server');
    expect(await c.call('FCALL', 'incr', '1', 'c')).toBe(6);
  });
});
