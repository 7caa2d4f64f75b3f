import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ErrorReply, SimpleString } from '../shared/resp/reply.js';
import { converged, info, readDataset, writeEveryType } from './helpers/dataset.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { run, runServerToExit, startServer, waitFor, type ServerProcess, type StartServerOptions } from './helpers/server-process.js';

const running: ServerProcess[] = [];
const stock: StockRedis[] = [];
const conns: RespConnection[] = [];
const dirs: string[] = [];

async function server(args: string[] = [], opts: StartServerOptions = {}): Promise<ServerProcess> {
  const s = await startServer(args, opts);
  running.push(s);
  return s;
}

async function connect(port: number): Promise<RespConnection> {
  const c = await RespConnection.tcp(port);
  conns.push(c);
  return c;
}

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'persistence-'));
  dirs.push(d);
  return d;
}

afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await Promise.all(stock.splice(0).map((s) => s.stop()));
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function syncStats(c: RespConnection): Promise<{ full: number; partialOk: number; partialErr: number }> {
  const s = await info(c, 'stats');
  return { full: Number(s.sync_full), partialOk: Number(s.sync_partial_ok), partialErr: Number(s.sync_partial_err) };
}

async function checkRdb(file: string): Promise<string> {
  const r = await run('redis-check-rdb', [file]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.stdout;
}

describe('RDB persistence of the Node server', { timeout: 60_000 }, () => {
  it('SAVE writes a file that redis-check-rdb accepts and a stock redis-server loads with equal data', async () => {
    const dir = tempDir();
    const s = await server(['--dir', dir]);
    const c = await connect(s.port);
    await writeEveryType(c, 80, 3);
    await c.call('SET', 'big', 'x'.repeat(200_000));
    await c.call('SET', 'bin', '\x00\xff\r\n');
    expect(Number((await info(c, 'persistence')).rdb_changes_since_last_save)).toBeGreaterThan(0);
    expect(await c.call('SAVE')).toEqual(new SimpleString('OK'));
    const p = await info(c, 'persistence');
    expect(p.rdb_changes_since_last_save).toBe('0');
    expect(p.rdb_last_save_time).toBe(String(await c.call('LASTSAVE')));
    expect(s.output()).toContain('DB saved on disk');
    // Written whole under a temporary name, then renamed: nothing else is left in the directory.
    expect(readdir(dir)).toEqual(['dump.rdb']);
    expect(await checkRdb(path.join(dir, 'dump.rdb'))).toContain('RDB looks OK');

    const redis = await startStockRedis(['--dir', dir, '--dbfilename', 'dump.rdb']);
    stock.push(redis);
    const rc = await connect(redis.port);
    expect(await readDataset(rc)).toEqual(await readDataset(c));
  });

  it('restarts with --save after SIGTERM and reloads every type, with its TTLs', async () => {
    const dir = tempDir();
    const args = ['--save', '60 1', '--dir', dir];
    const s = await server(args);
    let c = await connect(s.port);
    expect(await c.call('CONFIG', 'GET', 'save')).toEqual(['save', '60 1']);
    await writeEveryType(c, 120, 5);
    await c.call('SET', 'ttl:exact', 'v', 'PXAT', Date.now() + 500_000);
    const expected = await readDataset(c);
    c.close();
    expect(await s.stop()).toBe(0);
    expect(s.output()).toContain('Saving the final RDB snapshot before exiting.');
    expect(s.output()).toContain('DB saved on disk');

    const again = await server(args);
    expect(again.output()).toMatch(/DB loaded from disk: \d+\.\d{3} seconds/);
    const keys = Object.values(expected).reduce((n, db) => n + Object.keys(db).length, 0);
    expect(again.output()).toContain(`Done loading RDB, keys loaded: ${keys}, keys expired: 0.`);
    c = await connect(again.port);
    expect(await readDataset(c)).toEqual(expected);
    const pttl = (await c.call('PTTL', 'ttl:exact')) as number;
    expect(pttl).toBeGreaterThan(490_000);
    expect(pttl).toBeLessThanOrEqual(500_000);
    expect((await info(c, 'persistence')).rdb_last_load_keys_loaded).toBe(String(keys));
  });

  it('SHUTDOWN NOSAVE does not save; SHUTDOWN saves with save points; SHUTDOWN SAVE saves without them; SIGTERM without them does not', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'dump.rdb');
    const s1 = await server(['--save', '60 1', '--dir', dir]);
    const c1 = await connect(s1.port);
    await c1.call('SET', 'k', '1');
    c1.send('SHUTDOWN', 'NOSAVE');
    await c1.waitClosed();
    await waitFor(() => s1.proc.exitCode !== null, 10_000, 'exit after SHUTDOWN NOSAVE');
    expect(s1.proc.exitCode).toBe(0);
    expect(existsSync(file)).toBe(false);

    const s2 = await server(['--dir', dir]);
    const c2 = await connect(s2.port);
    await c2.call('SET', 'k', '2');
    expect(await s2.stop()).toBe(0);
    expect(existsSync(file)).toBe(false);

    const s3 = await server(['--save', '60 1', '--dir', dir]);
    const c3 = await connect(s3.port);
    await c3.call('SET', 'k', '3');
    c3.send('SHUTDOWN');
    await c3.waitClosed();
    await waitFor(() => s3.proc.exitCode !== null, 10_000, 'exit after SHUTDOWN');
    expect(s3.output()).toContain('Saving the final RDB snapshot before exiting.');

    const s4 = await server(['--dir', dir]);
    const c4 = await connect(s4.port);
    expect(await c4.call('GET', 'k')).toBe('3');
    await c4.call('SET', 'k', '4');
    c4.send('SHUTDOWN', 'SAVE');
    await c4.waitClosed();
    await waitFor(() => s4.proc.exitCode !== null, 10_000, 'exit after SHUTDOWN SAVE');

    const s5 = await server(['--dir', dir]);
    expect(await (await connect(s5.port)).call('GET', 'k')).toBe('4');
  });

  it('BGSAVE writes a point-in-time copy over several events; a second BGSAVE or a SAVE meanwhile is refused; LASTSAVE moves', async () => {
    const dir = tempDir();
    const s = await server(['--dir', dir]);
    const c = await connect(s.port);
    // Enough data that LZF cannot shrink for several background steps of a megabyte.
    const blobs = Array.from({ length: 40 }, () => randomBytes(50_000).toString('hex'));
    blobs.forEach((b, i) => c.send('SET', `blob:${i}`, b));
    for (const _ of blobs) await c.next();
    await c.call('RPUSH', 'list', 'a', 'b');
    const lastBefore = (await c.call('LASTSAVE')) as number;
    // Pipelined: all four are handled while the save has only just started.
    c.send('BGSAVE');
    c.send('BGSAVE');
    c.send('SAVE');
    c.send('SET', 'after', 'not in the file');
    c.send('RPUSH', 'list', 'c');
    expect(await c.next()).toEqual(new SimpleString('Background saving started'));
    expect(await c.next()).toEqual(new ErrorReply('ERR Background save already in progress'));
    expect(await c.next()).toEqual(new ErrorReply('ERR Background save already in progress'));
    expect(await c.next()).toEqual(new SimpleString('OK'));
    expect(await c.next()).toBe(3);
    await waitFor(async () => (await info(c, 'persistence')).rdb_bgsave_in_progress === '0', 20_000, 'BGSAVE to finish');
    const p = await info(c, 'persistence');
    expect(p.rdb_last_bgsave_status).toBe('ok');
    expect(p.rdb_saves).toBe('1');
    // The two writes made after the snapshot began are still unsaved.
    expect(p.rdb_changes_since_last_save).toBe('2');
    expect(Number(await c.call('LASTSAVE'))).toBeGreaterThanOrEqual(lastBefore);
    expect(s.output()).toContain('Background saving terminated with success');
    expect(readdir(dir)).toEqual(['dump.rdb']);
    await checkRdb(path.join(dir, 'dump.rdb'));

    const redis = await startStockRedis(['--dir', dir, '--dbfilename', 'dump.rdb']);
    stock.push(redis);
    const rc = await connect(redis.port);
    expect(await rc.call('EXISTS', 'after')).toBe(0);
    expect(await rc.call('LRANGE', 'list', 0, -1)).toEqual(['a', 'b']);
    expect(await rc.call('DBSIZE')).toBe(41);
    expect(await rc.call('GET', 'blob:7')).toBe(blobs[7]);

    // Inside a transaction Redis schedules the save for its cron instead.
    await c.call('MULTI');
    await c.call('BGSAVE');
    expect(await c.call('EXEC')).toEqual([new SimpleString('Background saving scheduled')]);
    await waitFor(async () => (await info(c, 'persistence')).rdb_saves === '2', 10_000, 'the scheduled BGSAVE');
  });

  it('save points trigger a BGSAVE from the cron', async () => {
    const dir = tempDir();
    const s = await server(['--save', '3600 1000', '--save', '1 2', '--dir', dir]);
    const c = await connect(s.port);
    // Several save lines add up, as in redis.conf.
    expect(await c.call('CONFIG', 'GET', 'save')).toEqual(['save', '3600 1000 1 2']);
    await c.call('SET', 'a', '1');
    await c.call('SET', 'b', '2');
    await s.waitForOutput(/2 changes in 1 seconds\. Saving\.\.\./, 10_000);
    await s.waitForOutput(/Background saving terminated with success/, 10_000);
    expect((await info(c, 'persistence')).rdb_changes_since_last_save).toBe('0');
    expect(await checkRdb(path.join(dir, 'dump.rdb'))).toContain('2 keys read');
  });

  it('refuses writes with MISCONF after a failed background save, until a save succeeds', async () => {
    const dir = tempDir();
    const s = await server(['--save', '1 1', '--dir', dir]);
    const c = await connect(s.port);
    // A directory where the file should go makes the final rename fail.
    mkdirSync(path.join(dir, 'dump.rdb'));
    await c.call('SET', 'a', '1');
    await s.waitForOutput(/Background saving error/, 10_000);
    expect(s.output()).toMatch(/Error moving temp DB file temp-\d+-1\.rdb on the final destination dump\.rdb \(in server root dir .*\): Is a directory/);
    expect((await info(c, 'persistence')).rdb_last_bgsave_status).toBe('err');
    const misconf = (await c.call('SET', 'b', '2')) as ErrorReply;
    expect(misconf.message).toMatch(/^MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk\./);
    expect(await c.call('PING')).toEqual(misconf);
    expect(await c.call('GET', 'a')).toBe('1');
    expect(await c.call('SAVE')).toEqual(new ErrorReply('ERR'));
    rmSync(path.join(dir, 'dump.rdb'), { recursive: true });
    expect(await c.call('SAVE')).toEqual(new SimpleString('OK'));
    expect(await c.call('SET', 'b', '2')).toEqual(new SimpleString('OK'));
    expect(readdir(dir)).toEqual(['dump.rdb']);
  });

  it('validates save and appendonly, keeps dir and dbfilename protected and appendfilename immutable, as CONFIG SET', async () => {
    const s = await server(['--dir', tempDir()]);
    const c = await connect(s.port);
    expect(await c.call('CONFIG', 'SET', 'save', '3600 1 300 100 60 10000')).toEqual(new SimpleString('OK'));
    expect(await c.call('CONFIG', 'GET', 'save')).toEqual(['save', '3600 1 300 100 60 10000']);
    const invalid = new ErrorReply("ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters");
    expect(await c.call('CONFIG', 'SET', 'save', '3600')).toEqual(invalid);
    expect(await c.call('CONFIG', 'SET', 'save', '0 1')).toEqual(invalid);
    expect(await c.call('CONFIG', 'SET', 'save', '10 x')).toEqual(invalid);
    expect(await c.call('CONFIG', 'SET', 'save', '+5 -0')).toEqual(new SimpleString('OK'));
    expect(await c.call('CONFIG', 'GET', 'save')).toEqual(['save', '5 0']);
    expect(await c.call('CONFIG', 'SET', 'save', '')).toEqual(new SimpleString('OK'));
    expect(await c.call('CONFIG', 'GET', 'save')).toEqual(['save', '']);
    expect(await c.call('CONFIG', 'SET', 'dir', '/tmp')).toEqual(
      new ErrorReply("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"),
    );
    expect(await c.call('CONFIG', 'SET', 'dbfilename', 'x.rdb')).toEqual(
      new ErrorReply("ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config"),
    );
    // appendonly is a plain yes/no (the AOF itself is tested in test/aof.test.ts); appendfilename is immutable.
    expect(await c.call('CONFIG', 'SET', 'appendonly', 'maybe')).toEqual(
      new ErrorReply("ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'"),
    );
    expect(await c.call('CONFIG', 'SET', 'appendfilename', 'x.aof')).toEqual(
      new ErrorReply("ERR CONFIG SET failed (possibly related to argument 'appendfilename') - can't set immutable config"),
    );
    const bad = await runServerToExit(['--port', '0', '--http-port', '0', '--dbfilename', 'a/b.rdb']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("dbfilename can't be a path, just a filename");
  });

  it('refuses to start on a corrupt file, with one line and exit code 1', async () => {
    const dir = tempDir();
    const s = await server(['--dir', dir]);
    const c = await connect(s.port);
    await writeEveryType(c, 30, 9);
    await c.call('SAVE');
    await s.stop();
    const file = path.join(dir, 'dump.rdb');
    const good = readFileSync(file);
    const start = (extra: string[] = []) => runServerToExit(['--port', '0', '--http-port', '0', '--dir', dir, ...extra]);

    writeFileSync(file, good.subarray(0, good.length - 40));
    let r = await start();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Short read or OOM loading DB. Unrecoverable error, aborting now.\n');
    expect(r.stdout).not.toContain('Ready to accept connections');

    const flipped = Buffer.from(good);
    flipped[flipped.length - 1] ^= 0xff;
    writeFileSync(file, flipped);
    r = await start();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Wrong RDB checksum expected: \([0-9a-f]+\) but got \([0-9a-f]+\)\. Aborting now\.\n$/);

    writeFileSync(file, 'not an rdb file at all');
    r = await start();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Wrong signature trying to load DB from file\n');

    // A database the server does not have.
    writeFileSync(file, good);
    r = await start(['--databases', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('FATAL: Data file was created with a Redis server configured to handle more than 1 databases. Exiting\n');

    r = await runServerToExit(['--port', '0', '--http-port', '0', '--dir', path.join(dir, 'missing')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Can't chdir to '${path.join(dir, 'missing')}': No such file or directory\n`);
  });
});

describe('replication across restarts', { timeout: 90_000 }, () => {
  it('a replica continues with a partial resync after its master restarts from its file (SIGTERM with save points)', async () => {
    const dir = tempDir();
    const args = ['--save', '60 1', '--dir', dir, '--repl-ping-replica-period', '3600'];
    const m = await server(args);
    let mc = await connect(m.port);
    const r = await server(['--replicaof', '127.0.0.1', String(m.port)]);
    const rc = await connect(r.port);
    await writeEveryType(mc, 80, 11);
    await converged(mc, [rc]);
    const before = await info(mc);
    // Stop once the master has the replica's ACK of that offset: with a replica that looks behind, SHUTDOWN
    // waits and sends REPLCONF GETACK, which moves the offset (as Redis 7 does).
    await waitFor(async () => {
      const role = (await mc.call('ROLE')) as [string, number, Array<[string, string, string]>];
      return role[2].length === 1 && role[2][0][2] === before.master_repl_offset;
    }, 10_000, "the replica's ACK of the final offset");
    mc.close();
    expect(await m.stop()).toBe(0);

    const m2 = await server(args, { port: m.port });
    mc = await connect(m2.port);
    const after = await info(mc);
    // Redis 7: a new id, the old one as replid2 valid up to the saved offset + 1, and a backlog from there.
    expect(after.master_replid).not.toBe(before.master_replid);
    expect(after.master_replid2).toBe(before.master_replid);
    expect(after.second_repl_offset).toBe(String(Number(before.master_repl_offset) + 1));
    expect(after.master_repl_offset).toBe(before.master_repl_offset);
    await waitFor(async () => (await info(rc)).master_link_status === 'up', 20_000, 'the replica to reconnect');
    expect(await syncStats(mc)).toEqual({ full: 0, partialOk: 1, partialErr: 0 });
    expect(m2.output()).toMatch(/Partial resynchronization request from .* accepted\. Sending 0 bytes of backlog/);
    expect((await info(rc)).master_replid).toBe(after.master_replid);

    await writeEveryType(mc, 40, 12);
    await converged(mc, [rc]);
    expect(await readDataset(rc)).toEqual(await readDataset(mc));
    expect((await syncStats(mc)).full).toBe(0);
  });

  it('a restarted master sends DELs for the keys that expired while it was down', async () => {
    const dir = tempDir();
    const args = ['--save', '60 1', '--dir', dir, '--repl-ping-replica-period', '3600'];
    const m = await server(args);
    let mc = await connect(m.port);
    const r = await server(['--replicaof', '127.0.0.1', String(m.port)]);
    const rc = await connect(r.port);
    await mc.call('SET', 'stays', '1');
    await mc.call('SET', 'goes', '1', 'PX', 1500);
    await converged(mc, [rc]);
    const saved = Number((await info(mc)).master_repl_offset);
    mc.close();
    await m.stop();
    await new Promise((res) => setTimeout(res, 1600));

    const m2 = await server(args, { port: m.port });
    expect(m2.output()).toContain('Done loading RDB, keys loaded: 1, keys expired: 1.');
    mc = await connect(m2.port);
    // SELECT 0 and DEL goes: the stream goes on past the saved offset, and the replica applies it.
    expect(Number((await info(mc)).master_repl_offset)).toBeGreaterThan(saved);
    await converged(mc, [rc]);
    expect(await syncStats(mc)).toEqual({ full: 0, partialOk: 1, partialErr: 0 });
    expect(await rc.call('DBSIZE')).toBe(1);
    expect(await readDataset(rc)).toEqual(await readDataset(mc));
  });

  it('a restarted replica offers the history in its file and continues partially', async () => {
    const rdir = tempDir();
    const m = await server(['--repl-ping-replica-period', '3600']);
    const mc = await connect(m.port);
    const rargs = ['--replicaof', '127.0.0.1', String(m.port), '--save', '60 1', '--dir', rdir];
    const r = await server(rargs);
    let rc = await connect(r.port);
    await writeEveryType(mc, 60, 21);
    await mc.call('SELECT', 3);
    await mc.call('SET', 'in-db-3', 'x');
    await converged(mc, [rc]);
    rc.close();
    expect(await r.stop()).toBe(0);
    // Written while the replica is down, in the db the stream had selected: no new SELECT comes after it.
    await mc.call('SET', 'also-in-db-3', 'y');
    await mc.call('SELECT', 0);

    const r2 = await server(rargs);
    expect(r2.output()).toContain('using my own master parameters to synthesize a cached master');
    rc = await connect(r2.port);
    await converged(mc, [rc]);
    expect(r2.output()).toMatch(/Trying a partial resynchronization \(request [0-9a-f]{40}:\d+\)/);
    expect(r2.output()).toContain('Successful partial resynchronization with master.');
    expect(await syncStats(mc)).toEqual({ full: 1, partialOk: 1, partialErr: 0 });
    expect(await readDataset(rc)).toEqual(await readDataset(mc));
  });
});

/** The names in a directory, sorted. */
function readdir(dir: string): string[] {
  return readdirSync(dir).sort();
}
