import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ErrorReply, SimpleString } from '../shared/resp/reply.js';
import { info, readDataset, writeEveryType } from './helpers/dataset.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { runServerToExit, startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

const running: ServerProcess[] = [];
const stock: StockRedis[] = [];
const conns: RespConnection[] = [];
const dirs: string[] = [];

async function server(args: string[]): Promise<ServerProcess> {
  const s = await startServer(args);
  running.push(s);
  return s;
}

async function connect(port: number): Promise<RespConnection> {
  const c = await RespConnection.tcp(port);
  conns.push(c);
  return c;
}

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'aof-'));
  dirs.push(d);
  return d;
}

/** Ends a process as a crash would: no shutdown code runs, only what reached the files survives. */
async function crash(s: ServerProcess): Promise<void> {
  const exited = new Promise<void>((r) => (s.proc.exitCode !== null ? r() : s.proc.once('exit', () => r())));
  s.proc.kill('SIGKILL');
  await exited;
}

afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await Promise.all(stock.splice(0).map((s) => s.stop()));
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const AOF = (dir: string, ...extra: string[]) => ['--dir', dir, '--appendonly', 'yes', ...extra];

/** Writes of every kind our AOF must carry: the shared mix plus streams, expiries, SELECT and a transaction. */
async function writeMix(c: RespConnection, seed = 1): Promise<void> {
  await writeEveryType(c, 40, seed);
  const must = async (...argv: Array<string | number>) => {
    const r = await c.call(...argv);
    if (r instanceof ErrorReply) throw new Error(`${argv.join(' ')}: ${r.message}`);
    return r;
  };
  await must('XADD', 'stream', `${seed}-1`, 'a', '1');
  await must('XADD', 'stream', `${seed}-2`, 'b', '2');
  await must('XGROUP', 'CREATE', 'stream', `g${seed}`, '0');
  await must('XREADGROUP', 'GROUP', `g${seed}`, 'alice', 'COUNT', 1, 'STREAMS', 'stream', '>');
  await must('XGROUP', 'CREATECONSUMER', 'stream', `g${seed}`, 'bob');
  await must('SET', 'px', 'v', 'PX', 100_000_000);
  await must('EXPIREAT', 'stream', Math.floor(Date.now() / 1000) + 100_000);
  await must('SELECT', 5);
  await must('HSET', 'db5hash', 'f', 'v');
  await must('MULTI');
  await must('LPUSH', 'db5list', 'x', 'y');
  await must('SADD', 'db5set', 'a');
  await must('EXEC');
  await must('SELECT', 0);
  await must('SET', 'short', 'gone', 'PX', 1);
  await must('PUBLISH', 'channel', 'not-in-the-aof');
}

/**
 * What a stream must keep across a reload: entries, TTL, counters, groups with their pending entries and
 * consumers. Not entries-read, lag or idle times: Redis's own AOF reload does not keep them either (its
 * XCLAIM ... LASTID does not carry entries-read).
 */
async function streamImage(c: RespConnection): Promise<unknown> {
  const byName = (flat: unknown[], names: string[]) => names.map((n) => flat[flat.indexOf(n) + 1]);
  const groups = ((await c.call('XINFO', 'GROUPS', 'stream')) as unknown[][]).map((g) =>
    byName(g, ['name', 'consumers', 'pending', 'last-delivered-id']),
  );
  const pending: unknown[] = [];
  for (const [name] of groups as string[][]) {
    pending.push(((await c.call('XPENDING', 'stream', name, '-', '+', 10)) as unknown[][]).map((p) => [p[0], p[1], p[3]]));
    pending.push(((await c.call('XINFO', 'CONSUMERS', 'stream', name)) as unknown[][]).map((x) => byName(x, ['name', 'pending'])));
  }
  const info = (await c.call('XINFO', 'STREAM', 'stream')) as unknown[];
  return [
    await c.call('XRANGE', 'stream', '-', '+'),
    ((await c.call('TTL', 'stream')) as number) > 90_000,
    groups,
    pending,
    byName(info, ['length', 'last-generated-id', 'max-deleted-entry-id', 'entries-added']),
  ];
}

function files(dir: string, sub = 'appendonlydir'): string[] {
  return readdirSync(path.join(dir, sub)).sort();
}

function manifest(dir: string): string {
  return readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1');
}

describe('append-only file: crash and restart', () => {
  it('restores every write after SIGKILL from the base and incr files (appendfsync everysec)', async () => {
    const dir = tempDir();
    const s1 = await server(AOF(dir));
    const c1 = await connect(s1.port);
    await writeMix(c1);
    const before = await readDataset(c1);
    const streamBefore = await streamImage(c1);
    expect(before.db5).toBeDefined();
    await crash(s1);
    expect(files(dir)).toEqual(['appendonly.aof.1.base.rdb', 'appendonly.aof.1.incr.aof', 'appendonly.aof.manifest']);
    expect(manifest(dir)).toBe('file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
    const incr = readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1');
    expect(incr.startsWith('*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n')).toBe(true);
    expect(incr).toContain('*1\r\n$5\r\nMULTI\r\n');
    expect(incr).not.toContain('PUBLISH');
    expect(incr).not.toContain('not-in-the-aof');

    const s2 = await server(AOF(dir));
    expect(s2.output()).toContain('DB loaded from incr file appendonly.aof.1.incr.aof');
    expect(s2.output()).toContain('Opening AOF incr file appendonly.aof.1.incr.aof on server start');
    const c2 = await connect(s2.port);
    expect(await readDataset(c2)).toEqual(before);
    expect(await streamImage(c2)).toEqual(streamBefore);
    const p = await info(c2, 'persistence');
    expect(p.aof_enabled).toBe('1');
    expect(Number(p.aof_current_size)).toBeGreaterThan(0);
    expect(p.aof_last_write_status).toBe('ok');
  });

  it('with appendfsync always, appends to the same incr file across restarts', async () => {
    const dir = tempDir();
    const s1 = await server(AOF(dir, '--appendfsync', 'always'));
    const c1 = await connect(s1.port);
    await c1.call('SET', 'a', '1');
    await crash(s1);
    const s2 = await server(AOF(dir, '--appendfsync', 'always'));
    const c2 = await connect(s2.port);
    expect(await c2.call('GET', 'a')).toBe('1');
    await c2.call('RPUSH', 'b', 'x', 'y');
    await crash(s2);
    const s3 = await server(AOF(dir, '--appendfsync', 'always'));
    const c3 = await connect(s3.port);
    expect(await c3.call('GET', 'a')).toBe('1');
    expect(await c3.call('LRANGE', 'b', 0, -1)).toEqual(['x', 'y']);
    expect(await c3.call('CONFIG', 'GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
  });

  it('starts empty with appendonly yes and no AOF, even when an RDB file exists (as Redis 7)', async () => {
    const dir = tempDir();
    const s1 = await server(['--dir', dir]);
    const c1 = await connect(s1.port);
    await c1.call('SET', 'rdb-only', '1');
    expect(await c1.call('SAVE')).toEqual(new SimpleString('OK'));
    await crash(s1);
    const s2 = await server(AOF(dir));
    expect(s2.output()).toContain('Creating AOF base file appendonly.aof.1.base.rdb on server start');
    const c2 = await connect(s2.port);
    expect(await c2.call('DBSIZE')).toBe(0);
  });
});

describe('append-only file: BGREWRITEAOF', () => {
  for (const preamble of ['yes', 'no']) {
    it(`writes a new base (aof-use-rdb-preamble ${preamble}), retires the old files, and restarts from them`, async () => {
      const dir = tempDir();
      const s1 = await server(AOF(dir, '--aof-use-rdb-preamble', preamble));
      const c1 = await connect(s1.port);
      await writeMix(c1, 3);
      expect(await c1.call('BGREWRITEAOF')).toEqual(new SimpleString('Background append only file rewriting started'));
      await waitFor(async () => (await info(c1, 'persistence')).aof_rewrite_in_progress === '0', 10_000, 'the rewrite');
      await c1.call('SET', 'after-rewrite', 'yes');
      await c1.call('SELECT', 5);
      await c1.call('SET', 'after-rewrite-db5', 'yes');
      await c1.call('SELECT', 0);
      const before = await readDataset(c1);
      const streamBefore = await streamImage(c1);
      const p = await info(c1, 'persistence');
      expect(p.aof_rewrites).toBe('1');
      expect(p.aof_last_bgrewrite_status).toBe('ok');
      const ext = preamble === 'yes' ? 'rdb' : 'aof';
      expect(files(dir)).toEqual([`appendonly.aof.2.base.${ext}`, 'appendonly.aof.2.incr.aof', 'appendonly.aof.manifest']);
      expect(manifest(dir)).toBe(`file appendonly.aof.2.base.${ext} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n`);
      const base = readFileSync(path.join(dir, 'appendonlydir', `appendonly.aof.2.base.${ext}`), 'latin1');
      expect(base.startsWith(preamble === 'yes' ? 'REDIS' : '*2\r\n$6\r\nSELECT\r\n')).toBe(true);
      // Writes after the rewrite start in the new incr file with their own SELECT.
      const incr = readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.2.incr.aof'), 'latin1');
      expect(incr.startsWith('*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n')).toBe(true);
      await crash(s1);
      const s2 = await server(AOF(dir));
      const c2 = await connect(s2.port);
      expect(await readDataset(c2)).toEqual(before);
      expect(await streamImage(c2)).toEqual(streamBefore);
    });
  }

  it('schedules a rewrite asked for inside a transaction and runs it from the cron', async () => {
    const dir = tempDir();
    const s = await server(AOF(dir));
    const c = await connect(s.port);
    await c.call('SET', 'k', 'v');
    await c.call('MULTI');
    await c.call('BGREWRITEAOF');
    expect(await c.call('EXEC')).toEqual([new SimpleString('Background append only file rewriting scheduled')]);
    await waitFor(async () => (await info(c, 'persistence')).aof_rewrites === '1', 10_000, 'the scheduled rewrite');
    await waitFor(async () => (await info(c, 'persistence')).aof_rewrite_in_progress === '0', 10_000, 'the rewrite');
    expect(files(dir)).toContain('appendonly.aof.2.base.rdb');
  });

  it('rewrites with appendonly no: a base only, no incr file', async () => {
    const dir = tempDir();
    const s = await server(['--dir', dir]);
    const c = await connect(s.port);
    await c.call('SET', 'k', 'v');
    expect((await info(c, 'persistence')).aof_current_size).toBeUndefined();
    expect(await c.call('BGREWRITEAOF')).toEqual(new SimpleString('Background append only file rewriting started'));
    await waitFor(async () => (await info(c, 'persistence')).aof_rewrite_in_progress === '0', 10_000, 'the rewrite');
    expect(files(dir)).toEqual(['appendonly.aof.1.base.rdb', 'appendonly.aof.manifest']);
    expect(manifest(dir)).toBe('file appendonly.aof.1.base.rdb seq 1 type b\n');
  });
});

describe('append-only file: automatic rewrite and annotations', () => {
  it('rewrites by itself once the file grew by auto-aof-rewrite-percentage over auto-aof-rewrite-min-size', async () => {
    const dir = tempDir();
    const s = await server(AOF(dir, '--auto-aof-rewrite-min-size', '2kb', '--auto-aof-rewrite-percentage', '100'));
    const c = await connect(s.port);
    for (let i = 0; i < 100; i++) await c.call('SET', `key:${i}`, 'x'.repeat(40));
    await s.waitForOutput(/Starting automatic rewriting of AOF on \d+% growth/);
    await waitFor(async () => (await info(c, 'persistence')).aof_rewrite_in_progress === '0', 10_000, 'the rewrite');
    const p = await info(c, 'persistence');
    expect(Number(p.aof_rewrites)).toBeGreaterThanOrEqual(1);
    expect(Number(p.aof_base_size)).toBeGreaterThan(0);
    expect(manifest(dir)).toMatch(/^file appendonly\.aof\.\d+\.base\.rdb seq \d+ type b\nfile appendonly\.aof\.\d+\.incr\.aof seq \d+ type i\n$/);
    expect(await c.call('DBSIZE')).toBe(100);
  });

  it('with aof-timestamp-enabled annotates the incr file, and both servers load it', async () => {
    const dir = tempDir();
    const s1 = await server(AOF(dir, '--aof-timestamp-enabled', 'yes'));
    const c1 = await connect(s1.port);
    await c1.call('SET', 'a', '1');
    await crash(s1);
    const incr = readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1');
    expect(incr).toMatch(/^#TS:\d+\r\n\*2\r\n\$6\r\nSELECT/);
    const s2 = await server(AOF(dir));
    const c2 = await connect(s2.port);
    expect(await c2.call('GET', 'a')).toBe('1');
    await s2.stop();
    const r = await startStockRedis(['--dir', dir, '--appendonly', 'yes']);
    stock.push(r);
    const rc = await connect(r.port);
    expect(await rc.call('GET', 'a')).toBe('1');
  });
});

describe('append-only file on a replica', () => {
  it('rewrites the base once the sync with the master completed and appends what the master streams after it', async () => {
    const master = await server(['--dir', tempDir(), '--repl-diskless-sync-delay', '0']);
    const mc = await connect(master.port);
    await mc.call('SET', 'synced', 'yes');
    await mc.call('RPUSH', 'list', 'a', 'b');
    const dir = tempDir();
    const replica = await server(AOF(dir, '--replicaof', '127.0.0.1', String(master.port)));
    const rc = await connect(replica.port);
    await waitFor(async () => (await rc.call('GET', 'synced')) === 'yes', 10_000, 'the sync');
    await waitFor(
      async () => {
        const p = await info(rc, 'persistence');
        return p.aof_rewrites === '1' && p.aof_rewrite_in_progress === '0';
      },
      10_000,
      'the rewrite after the sync',
    );
    // Writes streamed after the sync go to the replica's incr file as it applies them (several dbs, MULTI).
    await mc.call('SET', 'streamed', '1');
    await mc.call('SELECT', '3');
    await mc.call('MULTI');
    await mc.call('INCR', 'n');
    await mc.call('RPUSH', 'list3', 'x');
    await mc.call('EXEC');
    await mc.call('SELECT', '0');
    await mc.call('RPUSH', 'list', 'c');
    expect(await mc.call('WAIT', 1, 10_000)).toBe(1);
    await crash(replica);
    const again = await server(AOF(dir));
    const ac = await connect(again.port);
    expect(await ac.call('GET', 'synced')).toBe('yes');
    expect(await ac.call('GET', 'streamed')).toBe('1');
    expect(await ac.call('LRANGE', 'list', 0, -1)).toEqual(['a', 'b', 'c']);
    await ac.call('SELECT', '3');
    expect(await ac.call('GET', 'n')).toBe('1');
    expect(await ac.call('LRANGE', 'list3', 0, -1)).toEqual(['x']);
  });
});

describe('append-only file: truncated incr file', () => {
  async function truncatedDir(): Promise<{ dir: string; incr: string; goodSize: number }> {
    const dir = tempDir();
    const s = await server(AOF(dir));
    const c = await connect(s.port);
    await c.call('SET', 'a', '1');
    await c.call('SET', 'b', '2');
    await crash(s);
    const incr = path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
    const goodSize = readFileSync(incr).length;
    appendFileSync(incr, '*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$5\r\nhal');
    return { dir, incr, goodSize };
  }

  it('aof-load-truncated yes: drops the cut command, truncates the file and starts', async () => {
    const { dir, incr, goodSize } = await truncatedDir();
    const s = await server(AOF(dir));
    expect(s.output()).toContain('!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!');
    expect(s.output()).toContain(`!!! Truncating the AOF appendonly.aof.1.incr.aof at offset ${goodSize} !!!`);
    expect(s.output()).toContain('AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled');
    const c = await connect(s.port);
    expect(await c.call('MGET', 'a', 'b', 'c')).toEqual(['1', '2', null]);
    await c.call('SET', 'd', '4');
    await s.stop();
    expect(readFileSync(incr, 'latin1').slice(goodSize).startsWith('*2\r\n$6\r\nSELECT')).toBe(true);
  });

  it('aof-load-truncated no: refuses to start with Redis message', async () => {
    const { dir } = await truncatedDir();
    const r = await runServerToExit(AOF(dir, '--aof-load-truncated', 'no'));
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(
      "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
    );
  });

  it('drops a transaction without its EXEC at the end of the file', async () => {
    const dir = tempDir();
    const s = await server(AOF(dir));
    const c = await connect(s.port);
    await c.call('SET', 'a', '1');
    await crash(s);
    const incr = path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
    appendFileSync(incr, '*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n');
    const s2 = await server(AOF(dir));
    expect(s2.output()).toContain('Revert incomplete MULTI/EXEC transaction in AOF file appendonly.aof.1.incr.aof');
    const c2 = await connect(s2.port);
    expect(await c2.call('MGET', 'a', 'b')).toEqual(['1', null]);
  });
});

describe('append-only file: CONFIG SET appendonly', () => {
  it('yes at runtime writes a base of the dataset, then appends; no stops appending', async () => {
    const dir = tempDir();
    const s1 = await server(['--dir', dir]);
    const c1 = await connect(s1.port);
    await c1.call('SET', 'before', '1');
    await c1.call('RPUSH', 'list', 'a', 'b');
    expect(await c1.call('CONFIG', 'SET', 'appendonly', 'yes')).toEqual(new SimpleString('OK'));
    await c1.call('SET', 'during', '2');
    await waitFor(async () => (await info(c1, 'persistence')).aof_rewrite_in_progress === '0', 10_000, 'the first rewrite');
    await c1.call('SET', 'after', '3');
    expect(files(dir)).toEqual(['appendonly.aof.1.base.rdb', 'appendonly.aof.1.incr.aof', 'appendonly.aof.manifest']);
    const p = await info(c1, 'persistence');
    expect(p.aof_enabled).toBe('1');
    expect(await c1.call('CONFIG', 'GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    await crash(s1);
    const s2 = await server(AOF(dir));
    const c2 = await connect(s2.port);
    expect(await c2.call('MGET', 'before', 'during', 'after')).toEqual(['1', '2', '3']);
    expect(await c2.call('LRANGE', 'list', 0, -1)).toEqual(['a', 'b']);
    expect(await c2.call('CONFIG', 'SET', 'appendonly', 'no')).toEqual(new SimpleString('OK'));
    await c2.call('SET', 'not-appended', '1');
    expect((await info(c2, 'persistence')).aof_enabled).toBe('0');
    await crash(s2);
    const s3 = await server(AOF(dir));
    const c3 = await connect(s3.port);
    expect(await c3.call('EXISTS', 'not-appended', 'after')).toBe(1);
  });

  it('validates the AOF parameters as Redis does', async () => {
    const s = await server(['--dir', tempDir()]);
    const c = await connect(s.port);
    expect(await c.call('CONFIG', 'GET', 'append*')).toEqual([
      'appendonly',
      'no',
      'appendfilename',
      'appendonly.aof',
      'appenddirname',
      'appendonlydir',
      'appendfsync',
      'everysec',
    ]);
    expect(await c.call('CONFIG', 'GET', 'auto-aof-rewrite-min-size')).toEqual(['auto-aof-rewrite-min-size', '67108864']);
    const err = (await c.call('CONFIG', 'SET', 'appendfsync', 'sometimes')) as ErrorReply;
    expect(err.message).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of the following: always, everysec, no",
    );
    expect(((await c.call('CONFIG', 'SET', 'appendfilename', 'x.aof')) as ErrorReply).message).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'appendfilename') - can't set immutable config",
    );
  });
});

describe('append-only file: interoperability with redis-server 7.0.15', () => {
  for (const preamble of ['yes', 'no']) {
    it(`stock redis-server loads our appendonlydir (aof-use-rdb-preamble ${preamble})`, async () => {
      const dir = tempDir();
      const s = await server(AOF(dir, '--aof-use-rdb-preamble', preamble));
      const c = await connect(s.port);
      await writeMix(c, 5);
      await c.call('BGREWRITEAOF');
      await waitFor(async () => (await info(c, 'persistence')).aof_rewrite_in_progress === '0', 10_000, 'the rewrite');
      await writeMix(c, 6);
      const before = await readDataset(c);
      const streamBefore = await streamImage(c);
      await s.stop();
      const r = await startStockRedis(['--dir', dir, '--appendonly', 'yes']);
      stock.push(r);
      const rc = await connect(r.port);
      expect(r.output()).toContain('DB loaded from append only file');
      expect(await readDataset(rc)).toEqual(before);
      expect(await streamImage(rc)).toEqual(streamBefore);
    });

    it(`we load an appendonlydir written by stock redis-server (aof-use-rdb-preamble ${preamble})`, async () => {
      const dir = tempDir();
      const r = await startStockRedis(['--dir', dir, '--appendonly', 'yes', '--aof-use-rdb-preamble', preamble]);
      stock.push(r);
      const rc = await connect(r.port);
      await writeMix(rc, 7);
      await rc.call('BGREWRITEAOF');
      await waitFor(async () => (await info(rc, 'persistence')).aof_rewrite_in_progress === '0', 10_000, 'the rewrite');
      await writeMix(rc, 8);
      const before = await readDataset(rc);
      const streamBefore = await streamImage(rc);
      rc.close();
      await r.stop();
      stock.splice(stock.indexOf(r), 1);
      const s = await server(AOF(dir));
      const c = await connect(s.port);
      expect(await readDataset(c)).toEqual(before);
      expect(await streamImage(c)).toEqual(streamBefore);
    });
  }

  it('writes a command base byte for byte as redis-server does (aof-use-rdb-preamble no)', async () => {
    // One key per database, so the order of keys (Redis's dict order) cannot differ.
    const script: Array<Array<string | number>> = [
      ['SELECT', 0],
      ['SET', 'str', 'hello', 'PXAT', 4102444800000],
      ['SELECT', 1],
      ['RPUSH', 'list', ...Array.from({ length: 70 }, (_, i) => `e${i}`)],
      ['SELECT', 2],
      ['SADD', 'ints', 1, 2, 3, 10, 200],
      ['SELECT', 3],
      ['HSET', 'hash', 'f1', 'v1', 'f2', 'v2'],
      ['SELECT', 4],
      ['ZADD', 'zset', 0.1, 'a', 2, 'b', -3.5, 'c', 'inf', 'd'],
      ['SELECT', 5],
      ['XADD', 'stream', '1-1', 'a', '1'],
      ['XADD', 'stream', '2-1', 'b', '2'],
      ['XDEL', 'stream', '2-1'],
      ['XGROUP', 'CREATE', 'stream', 'g', '0'],
      ['XCLAIM', 'stream', 'g', 'alice', 0, '1-1', 'TIME', 1700000000000, 'RETRYCOUNT', 3, 'FORCE', 'JUSTID'],
      ['XGROUP', 'CREATECONSUMER', 'stream', 'g', 'bob'],
      ['SELECT', 6],
      ['XADD', 'empty', 'MAXLEN', 0, '5-5', 'f', 'v'],
      ['SELECT', 7],
      ['SET', 'n', 12345],
    ];
    const baseOf = async (port: number, dir: string): Promise<string> => {
      const c = await connect(port);
      for (const cmd of script) {
        const r = await c.call(...cmd);
        if (r instanceof ErrorReply) throw new Error(`${cmd.join(' ')}: ${r.message}`);
      }
      await c.call('BGREWRITEAOF');
      await waitFor(async () => (await info(c, 'persistence')).aof_rewrite_in_progress === '0', 10_000, 'the rewrite');
      await waitFor(() => existsSync(path.join(dir, 'appendonlydir', 'appendonly.aof.2.base.aof')), 10_000, 'the base');
      return readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.2.base.aof'), 'latin1');
    };
    const ourDir = tempDir();
    const s = await server(AOF(ourDir, '--aof-use-rdb-preamble', 'no'));
    const stockDir = tempDir();
    const r = await startStockRedis(['--dir', stockDir, '--appendonly', 'yes', '--aof-use-rdb-preamble', 'no']);
    stock.push(r);
    const ours = await baseOf(s.port, ourDir);
    const theirs = await baseOf(r.port, stockDir);
    expect(ours.split('\r\n')).toEqual(theirs.split('\r\n'));
  });

  it('appends the same incr file as redis-server for the same writes', async () => {
    const script: Array<Array<string | number>> = [
      ['SET', 'a', '1'],
      ['SET', 'a', '2', 'NX'],
      ['DEL', 'missing'],
      ['PUBLISH', 'ch', 'only-replicas'],
      ['SELECT', 3],
      ['PUBLISH', 'ch', 'no-select-for-me'],
      ['SELECT', 0],
      ['RPUSH', 'l', 'x'],
      ['SELECT', 3],
      ['MULTI'],
      ['SET', 'b', '1'],
      ['PUBLISH', 'ch', 'inside'],
      ['INCRBYFLOAT', 'f', '1.5'],
      ['EXEC'],
      ['MULTI'],
      ['PUBLISH', 'ch', 'alone'],
      ['EXEC'],
      ['EXPIREAT', 'b', 4102444800],
      ['HSET', 'h', 'k', 'v'],
      ['HINCRBYFLOAT', 'h', 'n', '2.5'],
      ['SELECT', 0],
      ['LPOP', 'l'],
      ['FLUSHALL'],
    ];
    const incrOf = async (port: number, dir: string): Promise<string> => {
      const c = await connect(port);
      for (const cmd of script) await c.call(...cmd);
      await c.call('PING');
      return readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1');
    };
    const ourDir = tempDir();
    const s = await server(AOF(ourDir));
    const stockDir = tempDir();
    const r = await startStockRedis(['--dir', stockDir, '--appendonly', 'yes']);
    stock.push(r);
    const ours = await incrOf(s.port, ourDir);
    const theirs = await incrOf(r.port, stockDir);
    expect(ours).toBe(theirs);
  });

  it('moves an old single-file appendonly.aof into the directory and loads it (Redis 7 upgrade)', async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'appendonly.aof'),
      '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$5\r\nstyle\r\n*3\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\nx\r\n',
    );
    const s = await server(AOF(dir));
    expect(s.output()).toContain('Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory (appendonlydir).');
    expect(existsSync(path.join(dir, 'appendonly.aof'))).toBe(false);
    expect(manifest(dir)).toBe('file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
    const c = await connect(s.port);
    expect(await c.call('GET', 'old')).toBe('style');
    expect(await c.call('LRANGE', 'l', 0, -1)).toEqual(['x']);
  });
});
