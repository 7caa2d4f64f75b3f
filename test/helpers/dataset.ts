import type { Reply } from '../../shared/resp/reply.js';
import { ErrorReply } from '../../shared/resp/reply.js';
import type { RespConnection } from './resp-connection.js';
import { waitFor } from './server-process.js';

/** A comparable image of a server's whole dataset: db -> key -> [type, value, has-ttl]. */
export type DatasetImage = Record<string, Record<string, [string, unknown, boolean]>>;

async function must(conn: RespConnection, ...argv: Array<string | number>): Promise<Reply> {
  const r = await conn.call(...argv);
  if (r instanceof ErrorReply) throw new Error(`${argv.join(' ')}: ${r.message}`);
  return r;
}

/**
 * Reads every key of every database through commands (so it works the same against our server and a stock
 * redis-server) into a structure tests can compare with toEqual.
 */
export async function readDataset(conn: RespConnection, databases = 16): Promise<DatasetImage> {
  const image: DatasetImage = {};
  for (let db = 0; db < databases; db++) {
    await must(conn, 'SELECT', db);
    const keys = ((await must(conn, 'KEYS', '*')) as string[]).sort();
    if (keys.length === 0) continue;
    const entries: Record<string, [string, unknown, boolean]> = {};
    for (const key of keys) {
      const t = ((await must(conn, 'TYPE', key)) as { value: string }).value;
      let value: unknown;
      if (t === 'string') value = await must(conn, 'GET', key);
      else if (t === 'list') value = await must(conn, 'LRANGE', key, 0, -1);
      else if (t === 'hash') value = Object.fromEntries(chunk((await must(conn, 'HGETALL', key)) as string[]));
      else if (t === 'set') value = ((await must(conn, 'SMEMBERS', key)) as string[]).sort();
      else if (t === 'zset') value = await must(conn, 'ZRANGE', key, 0, -1, 'WITHSCORES');
      else if (t === 'none') continue; // expired between KEYS and TYPE
      else value = `<${t}>`;
      const pttl = (await must(conn, 'PTTL', key)) as number;
      entries[key] = [t, value, pttl > 0];
    }
    image[`db${db}`] = entries;
  }
  await must(conn, 'SELECT', 0);
  return image;
}

function chunk(flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

/**
 * Sends `count` rounds of writes of every type (strings, counters, lists, hashes, sets, sorted sets, TTLs,
 * deletes, other databases, transactions), deterministic for a given seed.
 */
export async function writeEveryType(conn: RespConnection, count: number, seed = 1): Promise<void> {
  let x = seed;
  const rnd = (n: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
  for (let i = 0; i < count; i++) {
    const k = rnd(50);
    const cmds: Array<Array<string | number>> = [
      ['SET', `s:${k}`, `v${i}`],
      ['INCRBY', `n:${k % 7}`, rnd(100)],
      ['APPEND', `s:${k}`, '+'],
      ['RPUSH', `l:${k % 5}`, `e${i}`, `f${i}`],
      ['LPOP', `l:${(k + 1) % 5}`],
      ['HSET', `h:${k % 6}`, `f${rnd(10)}`, `v${i}`],
      ['HDEL', `h:${k % 6}`, `f${rnd(10)}`],
      ['SADD', `set:${k % 4}`, `m${rnd(30)}`, `m${rnd(30)}`],
      ['SREM', `set:${k % 4}`, `m${rnd(30)}`],
      ['ZADD', `z:${k % 3}`, rnd(1000) / 10, `m${rnd(40)}`],
      ['ZINCRBY', `z:${k % 3}`, 1.5, `m${rnd(40)}`],
      ['SET', `ttl:${k}`, 'x', 'EX', 1000 + rnd(1000)],
      ['EXPIRE', `s:${rnd(50)}`, 5000],
      ['DEL', `s:${rnd(50)}`],
    ];
    for (const c of cmds) conn.send(...c);
    if (i % 10 === 0) {
      conn.send('SELECT', 2);
      conn.send('SET', `other:${k}`, `${i}`);
      conn.send('SELECT', 0);
      conn.send('MULTI');
      conn.send('INCR', 'tx:counter');
      conn.send('RPUSH', 'tx:list', i);
      conn.send('EXEC');
    }
    const n = cmds.length + (i % 10 === 0 ? 7 : 0);
    for (let j = 0; j < n; j++) {
      const r = await conn.next();
      if (r instanceof ErrorReply) throw new Error(r.message);
    }
  }
}

/** Parses INFO text into a field map. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** INFO <section> as a field map. */
export async function info(conn: RespConnection, section = 'replication'): Promise<Record<string, string>> {
  const r = await must(conn, 'INFO', section);
  const text = typeof r === 'string' ? r : (r as unknown as { text: string }).text;
  return parseInfo(text);
}

/** Waits until every replica's link is up and its offset equals the master's (20 s at most). */
export async function converged(master: RespConnection, replicas: RespConnection | RespConnection[]): Promise<void> {
  const list = Array.isArray(replicas) ? replicas : [replicas];
  await waitFor(
    async () => {
      const m = await info(master);
      for (const r of list) {
        const ri = await info(r);
        if (ri.master_link_status !== 'up' || ri.slave_repl_offset !== m.master_repl_offset) return false;
      }
      return true;
    },
    20_000,
    'replicas to catch up',
  );
}
