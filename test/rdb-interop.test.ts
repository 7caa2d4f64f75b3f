import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToBinary } from '../shared/bytes.js';
import { allCommands } from '../shared/commands/index.js';
import { dumpCommands } from '../shared/commands/dump.js';
import { plain, plainDbs, makeDbs, readAll, split, zset } from '../shared/rdb/rdb-test-support.js';
import { writeRdb } from '../shared/rdb/rdb-writer.js';
import { encodeCommand } from '../shared/resp/encoder.js';
import { ErrorReply, SimpleString, type Reply } from '../shared/resp/reply.js';
import { ReplyParser } from '../shared/resp/reply-parser.js';
import type { Database, RedisValue } from '../shared/store/database.js';
import { Deque } from '../shared/store/deque.js';
import { SortedSet } from '../shared/store/sorted-set.js';
import { createHarness } from './helpers/core-harness.js';

/**
 * Interoperability with a stock redis-server 7.0.15 (installed at /usr/bin): RDB files we write load in Redis and
 * pass redis-check-rdb, RDB files Redis writes load here, and DUMP payloads move both ways.
 */

const REDIS_SERVER = '/usr/bin/redis-server';
const REDIS_CHECK_RDB = '/usr/bin/redis-check-rdb';
const FAR_FUTURE = 4_102_444_800_000; // 2100-01-01

/** A minimal RESP client over a unix socket. */
class RespClient {
  private readonly parser = new ReplyParser();
  private readonly waiting: Array<(r: Reply) => void> = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (data) => {
      this.parser.push(new Uint8Array(data));
      let r: Reply | undefined;
      while ((r = this.parser.next()) !== undefined) this.waiting.shift()?.(r);
    });
  }

  static connect(socketPath: string): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(socketPath);
      socket.once('connect', () => resolve(new RespClient(socket)));
      socket.once('error', reject);
    });
  }

  call(...argv: string[]): Promise<Reply> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(encodeCommand(argv));
    });
  }

  /** Like call, but fails on an error reply. */
  async ok(...argv: string[]): Promise<Reply> {
    const r = await this.call(...argv);
    if (r instanceof ErrorReply) throw new Error(`${argv[0]} failed: ${r.message}`);
    return r;
  }

  close(): void {
    this.socket.destroy();
  }
}

interface RedisProcess {
  dir: string;
  socket: string;
  child: ChildProcess;
  log: string[];
  client: RespClient;
}

const started: RedisProcess[] = [];

/** Starts redis-server in `dir` (loading dir/x.rdb if present) and connects to it. */
async function startRedis(dir: string, extra: string[] = []): Promise<RedisProcess> {
  const socket = path.join(dir, 's.sock');
  const args = ['--port', '0', '--unixsocket', socket, '--dir', dir, '--dbfilename', 'x.rdb', '--save', '', '--appendonly', 'no', ...extra];
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  child.stdout?.on('data', (d) => log.push(String(d)));
  child.stderr?.on('data', (d) => log.push(String(d)));
  const proc: RedisProcess = { dir, socket, child, log, client: null as unknown as RespClient };
  started.push(proc);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited (${child.exitCode}):\n${log.join('')}`);
    if (existsSync(socket)) {
      try {
        proc.client = await RespClient.connect(socket);
        const pong = await proc.client.call('PING');
        if (pong instanceof SimpleString && pong.value === 'PONG') return proc;
        proc.client.close();
      } catch {
        // not accepting yet
      }
    }
    if (Date.now() > deadline) throw new Error(`redis-server did not start:\n${log.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopRedis(proc: RedisProcess): Promise<void> {
  proc.client?.close();
  if (proc.child.exitCode === null && proc.child.signalCode === null) {
    const exited = new Promise((r) => proc.child.once('exit', r));
    proc.child.kill('SIGKILL');
    await exited;
  }
}

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rdb-interop-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const p of started) await stopRedis(p);
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

function parseScore(s: string): number {
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

/** One key read back from Redis, in the plain form of rdb-test-support. */
async function readRedisKey(client: RespClient, key: string): Promise<[unknown, number]> {
  const type = ((await client.ok('TYPE', key)) as SimpleString).value;
  let value: unknown;
  if (type === 'string') value = await client.ok('GET', key);
  else if (type === 'list') value = { list: await client.ok('LRANGE', key, '0', '-1') };
  else if (type === 'set') value = { set: ((await client.ok('SMEMBERS', key)) as string[]).sort() };
  else if (type === 'hash') {
    const flat = (await client.ok('HGETALL', key)) as string[];
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
    value = { hash: pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
  } else if (type === 'zset') {
    const flat = (await client.ok('ZRANGE', key, '0', '-1', 'WITHSCORES')) as string[];
    const pairs: Array<[string, number]> = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], parseScore(flat[i + 1])]);
    value = { zset: pairs };
  } else {
    throw new Error(`unexpected type ${type}`);
  }
  const expire = (await client.ok('PEXPIRETIME', key)) as number;
  return [value, expire];
}

/** Every database of a Redis server, in the form plainDbs gives. */
async function readRedisDbs(client: RespClient): Promise<Record<number, Record<string, [unknown, number]>>> {
  const out: Record<number, Record<string, [unknown, number]>> = {};
  for (let db = 0; db < 16; db++) {
    await client.ok('SELECT', String(db));
    const keys = (await client.ok('KEYS', '*')) as string[];
    if (keys.length === 0) continue;
    out[db] = {};
    for (const k of keys) out[db][k] = await readRedisKey(client, k);
  }
  await client.ok('SELECT', '0');
  return out;
}

/** Pseudo-random bytes as a binary string (incompressible). */
function noise(length: number, seed: number): string {
  const out = new Uint8Array(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return bytesToBinary(out);
}

/** A dataset with every type, in small and large forms, TTLs, binary keys and integers, over several dbs. */
function richDataset(): Database[] {
  const bigList = new Deque<string>();
  for (let i = 0; i < 3000; i++) bigList.pushBack(i % 3 === 0 ? String(i) : `item-${i}`);
  bigList.pushBack('L'.repeat(100_000));
  const bigHash = new Map<string, string>();
  for (let i = 0; i < 500; i++) bigHash.set(`field:${i}`, i % 2 ? String(i * 1000) : `v${i}`);
  bigHash.set('huge', noise(70_000, 7));
  const intSet = new Set<string>();
  for (let i = -300; i < 300; i++) intSet.add(String(i * 7919));
  const bigZset = zset([]);
  for (let i = 0; i < 400; i++) bigZset.add(`member:${i}`, i % 5 === 0 ? i : i / 7);
  bigZset.add('M'.repeat(70_000), 0.5);
  return makeDbs({
    0: {
      str: 'hello world',
      int8: '-12',
      int16: '30000',
      int32: '-2000000000',
      int64: '9223372036854775807',
      notint: '007',
      empty: '',
      compressible: 'abc'.repeat(70_000),
      random: noise(100_000, 1),
      '\u0000\r\n\u00ff binary key': '\u0000\u0001\u00fe\u00ff',
      ttl: ['expires later', FAR_FUTURE],
      gone: ['already expired', 1_000],
      smallList: new Deque(['a', '1', '', '-5', 'b'.repeat(30)]),
      bigList,
    },
    1: {
      smallHash: new Map([['f', 'v'], ['n', '42'], ['', 'empty field']]),
      bigHash: [bigHash, FAR_FUTURE + 1],
      intSet,
      smallIntSet: new Set(['1', '2', '3', '-4']),
      strSet: new Set(['x', 'y', 'S'.repeat(70_000)]),
    },
    15: {
      smallZset: zset([['a', 1.5], ['b', -Infinity], ['c', Infinity], ['d', 1e300], ['e', -0.25], ['f', 3]]),
      bigZset,
    },
  });
}

/** The expected content once Redis (a master) has loaded: keys whose TTL already passed are dropped. */
function withoutExpired(dbs: Database[], now: number): Record<number, Record<string, [unknown, number]>> {
  const all = plainDbs(dbs);
  for (const keys of Object.values(all)) {
    for (const [k, [, exp]] of Object.entries(keys)) if (exp !== -1 && exp <= now) delete keys[k];
  }
  return all;
}

describe('RDB interop with redis-server 7.0.15', () => {
  it('writes RDB files that redis-check-rdb accepts and redis-server loads with every value intact', async () => {
    const dir = tempDir();
    const dbs = richDataset();
    const file = path.join(dir, 'x.rdb');
    const fd = openSync(file, 'w');
    let chunks = 0;
    for (const chunk of writeRdb({ dbs, now: Date.now(), replId: 'c'.repeat(40), replOffset: 0, replStreamDb: 0 }, { chunkSize: 16 * 1024 })) {
      writeSync(fd, chunk);
      chunks++;
    }
    closeSync(fd);
    expect(chunks).toBeGreaterThan(10);

    const check = execFileSync(REDIS_CHECK_RDB, [file], { encoding: 'utf8' });
    expect(check).toContain('\\o/ RDB looks OK! \\o/');
    expect(check).toContain('Checksum OK');

    const redis = await startRedis(dir);
    expect(await readRedisDbs(redis.client)).toEqual(withoutExpired(dbs, Date.now()));
    // Redis rebuilt its own compact encodings from our plain ones.
    expect(await redis.client.ok('OBJECT', 'ENCODING', 'bigList')).toBe('quicklist');
    await redis.client.ok('SELECT', '1');
    expect(await redis.client.ok('OBJECT', 'ENCODING', 'smallIntSet')).toBe('intset');
    expect(await redis.client.ok('OBJECT', 'ENCODING', 'smallHash')).toBe('listpack');
    await stopRedis(redis);
  });

  describe('with data written by Redis itself', () => {
    let redis: RedisProcess;
    let expected: Database[];

    beforeAll(async () => {
      redis = await startRedis(tempDir(), ['--enable-debug-command', 'yes']);
      const c = redis.client;
      // Elements of 1000 bytes and more go into PLAIN quicklist nodes.
      await c.ok('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1000');
      expected = makeDbs({});
      const set = async (db: number, key: string, value: RedisValue, expire = -1) => {
        await c.ok('SELECT', String(db));
        if (typeof value === 'string') await c.ok('SET', key, value);
        else if (value instanceof Deque) {
          const items = [...value];
          for (let i = 0; i < items.length; i += 500) await c.ok('RPUSH', key, ...items.slice(i, i + 500));
        } else if (value instanceof Map) {
          await c.ok('HSET', key, ...[...value].flat());
        } else if (value instanceof Set) {
          await c.ok('SADD', key, ...value);
        } else if (value instanceof SortedSet) {
          const args: string[] = [];
          for (const [m, s] of value.entries()) args.push(String(s === Infinity ? '+inf' : s === -Infinity ? '-inf' : s), m);
          await c.ok('ZADD', key, ...args);
        }
        if (expire !== -1) await c.ok('PEXPIREAT', key, String(expire));
        expected[db].dict.set(key, value);
        if (expire !== -1) expected[db].expires.set(key, expire);
      };
      const longList = new Deque<string>();
      for (let i = 0; i < 5000; i++) longList.pushBack(i % 2 ? String(i * 31) : `element number ${i}`);
      longList.pushBack('P'.repeat(5000));
      longList.pushBack('tail');
      const bigHash = new Map<string, string>();
      for (let i = 0; i < 600; i++) bigHash.set(`f${i}`, String(i));
      const bigIntSet = new Set<string>();
      for (let i = 0; i < 1000; i++) bigIntSet.add(String(i * 3));
      const bigZset = zset([]);
      for (let i = 0; i < 300; i++) bigZset.add(`m${i}`, i * 1.25);

      await set(0, 'str', 'plain string');
      await set(0, 'int', '123456');
      await set(0, 'negint', '-70000');
      await set(0, 'compressible', 'xyz'.repeat(40_000));
      await set(0, 'random', noise(80_000, 3));
      await set(0, '\u0000\u00ffbin', '\r\n\u0000');
      await set(0, 'ttl', 'with ttl', FAR_FUTURE);
      await set(0, 'smallList', new Deque(['1', 'two', '-3', '4000000000', '-9223372036854775808', '', 'x'.repeat(70)]));
      await set(0, 'longList', longList);
      await set(0, 'plainNodes', new Deque(['a', 'Q'.repeat(2000), 'b', 'R'.repeat(3000)]));
      await set(2, 'smallHash', new Map([['a', '1'], ['b', 'two'], ['c', '-300']]));
      await set(2, 'bigHash', bigHash, FAR_FUTURE + 5);
      await set(2, 'longValueHash', new Map([['k', 'v'.repeat(100)]]));
      await set(3, 'intSet', new Set(['5', '-10', '70000', '5000000000']));
      await set(3, 'bigIntSet', bigIntSet);
      await set(3, 'strSet', new Set(['a', 'b', 'c']));
      await set(4, 'smallZset', zset([['a', 1], ['b', 2.5], ['c', -Infinity], ['d', 1e-10]]));
      await set(4, 'bigZset', bigZset);
      await c.ok('SELECT', '0');
    });

    it('uses the compact encodings the reader must handle', async () => {
      const c = redis.client;
      const enc = async (db: number, key: string) => {
        await c.ok('SELECT', String(db));
        return c.ok('OBJECT', 'ENCODING', key);
      };
      expect(await enc(0, 'int')).toBe('int');
      expect(await enc(0, 'smallList')).toBe('quicklist');
      expect(await enc(2, 'smallHash')).toBe('listpack');
      expect(await enc(2, 'bigHash')).toBe('hashtable');
      expect(await enc(3, 'intSet')).toBe('intset');
      expect(await enc(3, 'bigIntSet')).toBe('hashtable');
      expect(await enc(4, 'smallZset')).toBe('listpack');
      expect(await enc(4, 'bigZset')).toBe('skiplist');
      await c.ok('SELECT', '0');
    });

    it('reads the dump.rdb redis-server SAVEs, in arbitrary chunks', async () => {
      const c = redis.client;
      await c.ok('FUNCTION', 'LOAD', "#!lua name=interoplib\nredis.register_function('f', function() return 1 end)");
      await c.ok('SAVE');
      const bytes = new Uint8Array(readFileSync(path.join(redis.dir, 'x.rdb')));
      const cuts = Array.from({ length: 200 }, (_, i) => (i * 7919 * 13) % bytes.length);
      const result = readAll(split(bytes, cuts));
      expect(result.checksumOk).toBe(true);
      expect(result.aux.find(([n]) => n === 'redis-ver')?.[1]).toBe('7.0.15');
      expect(result.events.filter((e) => e.startsWith('function'))).toEqual([
        "function #!lua name=interoplib\nredis.register_function('f', function() return 1 end)",
      ]);
      expect(plainDbs(result.dbs)).toEqual(plainDbs(expected));
      await c.ok('FUNCTION', 'FLUSH');
    });

    it('RESTOREs every DUMP payload from Redis into our core', async () => {
      const c = redis.client;
      const h = createHarness({ commands: [...allCommands, ...dumpCommands] });
      const ours = h.client();
      for (const db of expected) {
        if (db.dict.size === 0) continue;
        await c.ok('SELECT', String(db.id));
        for (const [key, value] of db.dict) {
          const payload = (await c.ok('DUMP', key)) as string;
          expect(ours.call('RESTORE', key, '0', payload, 'REPLACE')).toEqual(new SimpleString('OK'));
          expect(plain(h.core.dbs[0].dict.get(key)!)).toEqual(plain(value));
        }
      }
      await c.ok('SELECT', '0');
    });

    it('RESTOREs DUMP payloads from our core into Redis, with deep payload sanitization on', async () => {
      const c = redis.client;
      await c.ok('CONFIG', 'SET', 'sanitize-dump-payload', 'yes');
      const h = createHarness({ commands: [...allCommands, ...dumpCommands] });
      const ours = h.client();
      const source = richDataset();
      await c.ok('SELECT', '9');
      for (const db of source) {
        for (const [key, value] of db.dict) {
          h.core.dbs[0].dict.set(key, value);
          const payload = ours.call('DUMP', key) as string;
          expect(await c.call('RESTORE', key, '0', payload, 'REPLACE')).toEqual(new SimpleString('OK'));
          expect((await readRedisKey(c, key))[0]).toEqual(plain(value));
        }
      }
      // A relative TTL survives the trip as an absolute deadline.
      const payload = ours.call('DUMP', 'str') as string;
      expect(await c.call('RESTORE', 'withTtl', '100000', payload)).toEqual(new SimpleString('OK'));
      const pttl = (await c.ok('PTTL', 'withTtl')) as number;
      expect(pttl).toBeGreaterThan(90_000);
      expect(pttl).toBeLessThanOrEqual(100_000);
      await c.ok('FLUSHDB');
      await c.ok('SELECT', '0');
      await c.ok('CONFIG', 'SET', 'sanitize-dump-payload', 'no');
    });
  });
});
