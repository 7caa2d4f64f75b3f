import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorReply, SimpleString } from '../shared/resp/reply.js';
import { info, readDataset, writeEveryType } from './helpers/dataset.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

const running: ServerProcess[] = [];
const conns: RespConnection[] = [];

afterAll(async () => {
  for (const c of conns) c.close();
  await Promise.all(running.map((s) => s.stop()));
});

async function serverAndClient(args: string[]): Promise<{ s: ServerProcess; c: RespConnection; dir: string }> {
  const s = await startServer(args);
  running.push(s);
  const c = await RespConnection.tcp(s.port);
  conns.push(c);
  const dir = ((await c.call('CONFIG', 'GET', 'dir')) as string[])[1];
  return { s, c, dir };
}

const OK = new SimpleString('OK');

async function waitRewrite(c: RespConnection): Promise<void> {
  await waitFor(async () => (await info(c, 'persistence')).aof_rewrite_in_progress === '0', 10_000, 'AOF rewrite');
}

describe('DEBUG LOADAOF on the Node server', () => {
  it('replaces the dataset with what the AOF files hold, keeping TTLs, without appending the replay again', async () => {
    const { c, dir } = await serverAndClient(['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no']);
    await writeEveryType(c, 30);
    await c.call('SET', 'ttl', 'v', 'EX', '1000');
    const before = await readDataset(c);
    const digest = await c.call('DEBUG', 'DIGEST');
    const incrDir = path.join(dir, 'appendonlydir');
    const incr = () => readdirSync(incrDir).find((f) => f.includes('.incr.'))!;
    const sizeBefore = readFileSync(path.join(incrDir, incr())).length;

    expect(await c.call('DEBUG', 'LOADAOF')).toEqual(OK);
    expect(await c.call('DEBUG', 'DIGEST')).toEqual(digest);
    expect(await readDataset(c)).toEqual(before);
    const ttl = (await c.call('TTL', 'ttl')) as number;
    expect(ttl).toBeGreaterThan(990);
    // The replayed commands are not written to the incr file a second time.
    expect(readFileSync(path.join(incrDir, incr())).length).toBe(sizeBefore);
    expect((await info(c, 'persistence')).rdb_changes_since_last_save).toBe('0');
  });

  it('loads a rewritten base with AOF off, and a key not in the files is gone', async () => {
    const { c } = await serverAndClient([]);
    await c.call('SET', 'a', '1');
    await c.call('HSET', 'h', 'f', 'v');
    await c.call('BGREWRITEAOF');
    await waitRewrite(c);
    await c.call('SET', 'later', 'x');
    expect(await c.call('DEBUG', 'LOADAOF')).toEqual(OK);
    expect(await c.call('GET', 'a')).toBe('1');
    expect(await c.call('HGET', 'h', 'f')).toBe('v');
    expect(await c.call('EXISTS', 'later')).toBe(0);
  });

  it('without any AOF file answers an error (Redis exits) and leaves the dataset empty', async () => {
    const { c } = await serverAndClient([]);
    await c.call('SET', 'a', '1');
    const r = await c.call('DEBUG', 'LOADAOF');
    expect(r).toBeInstanceOf(ErrorReply);
    expect(await c.call('DBSIZE')).toBe(0);
    expect(await c.call('PING')).toEqual(new SimpleString('PONG'));
  });
});

describe('DEBUG RELOAD on the Node server', () => {
  it('NOSAVE replaces the dataset and the libraries with the RDB file on disk', async () => {
    const { c } = await serverAndClient([]);
    await c.call('SET', 'saved', '1');
    await c.call('FUNCTION', 'LOAD', "#!lua name=lib1\nredis.register_function('f1', function() return 1 end)");
    expect(await c.call('SAVE')).toEqual(OK);
    await c.call('SET', 'unsaved', '1');
    await c.call('FUNCTION', 'LOAD', "#!lua name=lib2\nredis.register_function('f2', function() return 2 end)");
    expect(await c.call('DEBUG', 'RELOAD', 'NOSAVE')).toEqual(OK);
    expect(await c.call('GET', 'saved')).toBe('1');
    expect(await c.call('EXISTS', 'unsaved')).toBe(0);
    expect(await c.call('FCALL', 'f1', '0')).toBe(1);
    expect(await c.call('FCALL', 'f2', '0')).toBeInstanceOf(ErrorReply);
  });

  it('NOSAVE NOFLUSH MERGE adds the file to the dataset; NOFLUSH alone fails on a library that exists', async () => {
    const { c } = await serverAndClient([]);
    await c.call('FUNCTION', 'LOAD', "#!lua name=test1\nredis.register_function('test1', function() return 'hello' end)");
    await c.call('SET', 'x', '1');
    expect(await c.call('DEBUG', 'RELOAD')).toEqual(OK);
    expect(await c.call('DEBUG', 'RELOAD', 'NOFLUSH')).toEqual(new ErrorReply('ERR Error trying to load the RDB dump'));
    await c.call('FUNCTION', 'LOAD', "#!lua name=test2\nredis.register_function('test2', function() return 'hello' end)");
    await c.call('SET', 'y', '2');
    expect(await c.call('DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH', 'MERGE')).toEqual(OK);
    expect(await c.call('FCALL', 'test1', '0')).toBe('hello');
    expect(await c.call('FCALL', 'test2', '0')).toBe('hello');
    expect(await c.call('MGET', 'x', 'y')).toEqual(['1', '2']);
  });

  it('NOSAVE without a file fails as Redis does, after emptying the dataset', async () => {
    const { c } = await serverAndClient([]);
    await c.call('SET', 'k', 'v');
    expect(await c.call('DEBUG', 'RELOAD', 'NOSAVE')).toEqual(new ErrorReply('ERR Error trying to load the RDB dump'));
    expect(await c.call('DBSIZE')).toBe(0);
  });
});
