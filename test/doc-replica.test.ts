// A replica written only from PROTOCOL.md must full-sync, stream, and partially resync against our master.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, waitFor } from './helpers/server-process.js';
import { RespConnection } from './helpers/resp-connection.js';
// @ts-expect-error plain JS module without types
import { DocReplica } from './doc-replica/doc-replica.mjs';

type Server = Awaited<ReturnType<typeof startServer>>;

let server: Server;
let conn: RespConnection;
let replica: InstanceType<typeof DocReplica> | undefined;
let written = 0; // RESP bytes of the commands sent to the master

beforeAll(async () => {
  server = await startServer();
  conn = await RespConnection.tcp(server.port);
});

afterAll(async () => {
  replica?.close();
  conn?.close();
  await server?.stop();
});

/** Sends a command and counts its encoded size. */
function count(args: Array<string | number>): string[] {
  const argv = args.map(String);
  written += `*${argv.length}\r\n`.length;
  for (const a of argv) written += `$${a.length}\r\n`.length + a.length + 2; // latin1: one byte per char
  return argv;
}

async function cmd(...args: Array<string | number>): Promise<unknown> {
  return conn.call(...count(args));
}

async function info(section: string): Promise<Record<string, string>> {
  const text = (await conn.call('INFO', section)) as string;
  return Object.fromEntries(
    text
      .split('\r\n')
      .filter((l) => l.includes(':') && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
  );
}

const masterOffset = async () => Number((await info('replication')).master_repl_offset);
const status = (r: unknown) => (r as { value: string }).value;

/** What the master holds in `db`, in the replica's representation. */
async function masterDb(db: number): Promise<{ data: Map<string, unknown>; expires: Map<string, number> }> {
  expect(status(await conn.call('SELECT', db))).toBe('OK');
  const data = new Map<string, unknown>();
  const expires = new Map<string, number>();
  const keys = ((await conn.call('KEYS', '*')) as string[]).sort();
  for (const k of keys) {
    const type = status(await conn.call('TYPE', k));
    if (type === 'string') data.set(k, await conn.call('GET', k));
    else if (type === 'list') data.set(k, await conn.call('LRANGE', k, 0, -1));
    else if (type === 'set') data.set(k, ((await conn.call('SMEMBERS', k)) as string[]).sort());
    else if (type === 'hash') {
      const flat = (await conn.call('HGETALL', k)) as string[];
      const h: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) h[flat[i]] = flat[i + 1];
      data.set(k, h);
    } else if (type === 'zset') {
      const flat = (await conn.call('ZRANGE', k, 0, -1, 'WITHSCORES')) as string[];
      const z: Array<[string, number]> = [];
      for (let i = 0; i < flat.length; i += 2) z.push([flat[i], Number(flat[i + 1])]);
      data.set(k, z);
    } else throw new Error(`unexpected type ${type} for ${k}`);
    const at = await conn.call('PEXPIRETIME', k);
    if (typeof at === 'number' && at >= 0) expires.set(k, at);
  }
  return { data, expires };
}

async function expectSameData(r: InstanceType<typeof DocReplica>): Promise<void> {
  for (const db of [0, 1]) {
    const m = await masterDb(db);
    const replicaData = new Map([...(r.data.get(db) ?? new Map())].sort(([a], [b]) => (a < b ? -1 : 1)));
    expect(replicaData, `db ${db}`).toEqual(m.data);
    expect(r.expires.get(db) ?? new Map(), `db ${db} expiries`).toEqual(m.expires);
  }
}

async function caughtUp(r: InstanceType<typeof DocReplica>): Promise<void> {
  await waitFor(async () => r.offset === (await masterOffset()), 10_000, 'replica offset to reach the master offset');
}

async function writeMix(tag: string, n: number): Promise<void> {
  const ttl = Date.now() + 3_600_000;
  for (const db of [0, 1]) {
    await cmd('SELECT', db);
    await cmd('SET', `${tag}:plain`, `hello-${db}`);
    await cmd('SET', `${tag}:int`, 12345 + db);
    await cmd('SET', `${tag}:neg`, -7);
    await cmd('SET', `${tag}:bin`, 'caf\xe9\x00\xff\r\n');
    await cmd('SET', `${tag}:long`, 'abcdefgh'.repeat(64)); // compressible: LZF in the RDB
    await cmd('SET', `${tag}:ttl`, 'expiring', 'EX', 3600);
    await cmd('SET', `${tag}:pxat`, 'expiring', 'PXAT', ttl);
    await cmd('INCRBY', `${tag}:int`, 5);
    await cmd('INCR', `${tag}:counter`);
    await cmd('APPEND', `${tag}:plain`, '-world');
    await cmd('RPUSH', `${tag}:list`, 'a', 'b', 'c', 'd');
    await cmd('LPUSH', `${tag}:list`, 'z', 'y');
    await cmd('LPOP', `${tag}:list`);
    await cmd('RPOP', `${tag}:list`);
    await cmd('HSET', `${tag}:hash`, 'f1', 'v1', 'f2', 'v2', 'f3', '300');
    await cmd('HDEL', `${tag}:hash`, 'f2');
    await cmd('SADD', `${tag}:set`, 'm3', 'm1', 'm2', '42');
    await cmd('SREM', `${tag}:set`, 'm2');
    await cmd('ZADD', `${tag}:zset`, 1.5, 'one', -2, 'two', 3, 'three', 0.25, 'quarter');
    await cmd('ZADD', `${tag}:zset`, 10, 'one');
    await cmd('EXPIRE', `${tag}:hash`, 3600);
    await cmd('PEXPIREAT', `${tag}:zset`, ttl + 1);
    await cmd('SET', `${tag}:gone`, 'x');
    await cmd('DEL', `${tag}:gone`);
    expect(status(await cmd('MULTI'))).toBe('OK');
    conn.send(...count(['SET', `${tag}:tx1`, 'in-tx']));
    conn.send(...count(['RPUSH', `${tag}:txlist`, 'p', 'q']));
    expect(status(await conn.next())).toBe('QUEUED');
    expect(status(await conn.next())).toBe('QUEUED');
    await cmd('EXEC');
    for (let i = 0; i < n; i++) await cmd('RPUSH', `${tag}:bulk`, `item-${i}-${'x'.repeat(40)}`);
  }
}

describe('a replica written from PROTOCOL.md alone', () => {
  it('full-syncs, streams, and partially resyncs over a WebSocket', async () => {
    await writeMix('a', 20);
    replica = new DocReplica(`ws://127.0.0.1:${server.httpPort}/`);
    await replica.connect();
    expect(replica.lastSync).toBe('full');
    expect(replica.replid).toMatch(/^[0-9a-f]{40}$/);
    await caughtUp(replica);
    await expectSameData(replica);

    // Writes while connected arrive through the stream.
    await writeMix('b', 5);
    await caughtUp(replica);
    await expectSameData(replica);

    // Disconnect, write more, reconnect: only the missed bytes should come back.
    replica.close();
    await waitFor(async () => (await info('replication')).connected_slaves === '0', 10_000, 'master to drop the replica');
    const partialBefore = Number((await info('stats')).sync_partial_ok);
    const replid = replica.replid;
    const offsetBefore = replica.offset;
    written = 0;
    await writeMix('c', 40);
    const writtenMeanwhile = written;
    const missed = (await masterOffset()) - offsetBefore;
    const bytesBefore = replica.bytesReceived;

    await replica.connect();
    expect(replica.lastSync).toBe('partial');
    expect(replica.replid).toBe(replid);
    await caughtUp(replica);
    const received = replica.bytesReceived - bytesBefore;
    expect(Number((await info('stats')).sync_partial_ok)).toBe(partialBefore + 1);
    expect(received).toBeGreaterThanOrEqual(missed);
    expect(received).toBeLessThan(2 * writtenMeanwhile);
    await expectSameData(replica);
    expect(replica.offset).toBe(await masterOffset());
  });
});
