import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../shared/resp/reply.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

/**
 * Client-side caching on our server and on a stock redis-server 7.0.15: the same scripts over raw RESP2/RESP3
 * connections, comparing every reply and every invalidation push (or __redis__:invalidate message) each
 * connection receives after each step. Client ids differ between servers: `{id:name}` in a command stands for the
 * id of connection `name`, and integers equal to a connection's id are compared as that name.
 */

/** One step: a command on a named connection (`ignore`: its reply differs by design, e.g. HELLO), or a close. */
type Step = { on: string; cmd: string[]; ignore?: boolean } | { close: string };
/** What each connection received after each step. */
type Transcript = Array<Record<string, unknown[]>>;

const IDLE_MS = 40;

/** Reads whatever a connection has received until it has been idle for IDLE_MS. */
async function drain(c: RespConnection): Promise<Reply[]> {
  const out: Reply[] = [];
  for (;;) {
    try {
      out.push(await c.next(IDLE_MS));
    } catch {
      return out;
    }
  }
}

function normalize(r: unknown, ids: Map<number, string>): unknown {
  if (typeof r === 'number' && ids.has(r)) return `id:${ids.get(r)}`;
  if (Array.isArray(r)) return r.map((x) => normalize(x, ids));
  if (r !== null && typeof r === 'object') {
    const copy: Record<string, unknown> = { kind: r.constructor.name };
    for (const [k, v] of Object.entries(r)) copy[k] = normalize(v, ids);
    return copy;
  }
  return r;
}

/** Runs a script on the server at `port` and records what every connection received after each step. */
async function run(port: number, names: string[], steps: Step[]): Promise<Transcript> {
  const conns = new Map<string, RespConnection>();
  const ids = new Map<number, string>();
  const idOf = new Map<string, number>();
  for (const n of names) {
    const c = await RespConnection.tcp(port);
    const id = (await c.call('CLIENT', 'ID')) as number;
    conns.set(n, c);
    ids.set(id, n);
    idOf.set(n, id);
  }
  const transcript: Transcript = [];
  try {
    for (const step of steps) {
      if ('close' in step) {
        conns.get(step.close)!.close();
        conns.delete(step.close);
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const argv = step.cmd.map((a) => a.replace(/\{id:(\w+)\}/g, (_, n: string) => String(idOf.get(n))));
      conns.get(step.on)!.send(...argv);
      const got: Record<string, unknown[]> = {};
      for (const [n, c] of conns) {
        const received = await drain(c);
        if (step.ignore && n === step.on) received.shift();
        if (received.length > 0) got[n] = received.map((r) => normalize(r, ids));
      }
      transcript.push(got);
    }
  } finally {
    for (const c of conns.values()) c.close();
  }
  return transcript;
}

const cmd = (on: string, ...argv: string[]): Step => ({ on, cmd: argv });
const hello3 = (on: string): Step => ({ on, cmd: ['HELLO', '3'], ignore: true });

let ours: ServerProcess;
let stock: StockRedis;

beforeAll(async () => {
  [ours, stock] = await Promise.all([startServer(), startStockRedis()]);
});
afterAll(async () => {
  await Promise.all([ours?.stop(), stock?.stop()]);
});

/** Runs the script on both servers and expects identical transcripts; returns ours. */
async function same(names: string[], steps: Step[]): Promise<Transcript> {
  const [a, b] = await Promise.all([run(ours.port, names, steps), run(stock.port, names, steps)]);
  expect(a).toEqual(b);
  return a;
}

describe('CLIENT TRACKING differential', () => {
  it('answers options, CLIENT CACHING, GETREDIR and TRACKINGINFO as Redis, errors included', async () => {
    const t = await same(
      ['a', 'b'],
      [
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'PREFIX', 'a'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'redirect', '999999'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'redirect', 'abc'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'optin', 'optout'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'bcast', 'optin'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'ab', 'prefix', 'a'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'a', 'prefix', 'b', 'prefix', 'bc'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'a'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'c'),
        cmd('a', 'CLIENT', 'TRACKINGINFO'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'optin'),
        cmd('a', 'CLIENT', 'TRACKING', 'maybe'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'foo'),
        cmd('a', 'CLIENT', 'TRACKING', 'off'),
        cmd('a', 'CLIENT', 'TRACKINGINFO'),
        cmd('a', 'CLIENT', 'GETREDIR'),
        cmd('a', 'CLIENT', 'CACHING', 'yes'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'optin'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'optout'),
        cmd('a', 'CLIENT', 'CACHING', 'no'),
        cmd('a', 'CLIENT', 'CACHING', 'maybe'),
        cmd('a', 'CLIENT', 'CACHING', 'yes'),
        cmd('a', 'CLIENT', 'TRACKINGINFO'),
        cmd('a', 'CLIENT', 'TRACKING', 'off'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'redirect', '{id:b}', 'redirect', '{id:b}'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'redirect', '{id:b}', 'noloop', 'optout'),
        cmd('a', 'CLIENT', 'GETREDIR'),
        hello3('a'),
        cmd('a', 'CLIENT', 'TRACKINGINFO'),
        cmd('a', 'CLIENT', 'TRACKINGINFO', 'x'),
        cmd('a', 'CLIENT', 'CACHING'),
      ],
    );
    expect(t[6].a).toHaveLength(2);
  });

  it('sends RESP3 invalidations once per read, after the reply of the client own writes and EXEC', async () => {
    const t = await same(
      ['a', 'w'],
      [
        hello3('a'),
        cmd('a', 'CLIENT', 'TRACKING', 'on'),
        cmd('a', 'GET', 'k1'),
        cmd('a', 'SET', 'k1', 'v'),
        cmd('a', 'SET', 'k1', 'v'),
        cmd('a', 'MGET', 'k1', 'k2'),
        cmd('w', 'MSET', 'k1', '1', 'k2', '2'),
        cmd('w', 'MSET', 'k1', '1', 'k2', '2'),
        cmd('a', 'LPUSH', 'l', 'x'),
        cmd('a', 'GET', 'l'),
        cmd('w', 'SET', 'l', 'x'),
        cmd('a', 'EXISTS', 'q1', 'q2'),
        cmd('a', 'TYPE', 'q1'),
        cmd('w', 'MSET', 'q1', '1', 'q2', '2'),
        cmd('a', 'GET', 'k1'),
        cmd('a', 'MULTI'),
        cmd('a', 'SET', 'k1', 'z'),
        cmd('a', 'GET', 'k1'),
        cmd('a', 'SET', 'k1', 'y'),
        cmd('a', 'EXEC'),
        cmd('a', 'GET', 'k1'),
        cmd('w', 'SELECT', '1'),
        cmd('w', 'SET', 'k1', 'other-db'),
        cmd('w', 'SELECT', '0'),
        cmd('a', 'GET', 'k1'),
        cmd('a', 'FLUSHALL'),
        cmd('w', 'FLUSHDB'),
        cmd('a', 'GET', 'r'),
        cmd('a', 'CLIENT', 'REPLY', 'OFF'),
        cmd('w', 'SET', 'r', '1'),
        cmd('a', 'CLIENT', 'REPLY', 'ON'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'noloop'),
        cmd('a', 'GET', 'n'),
        cmd('a', 'SET', 'n', '1'),
        cmd('a', 'GET', 'n'),
        cmd('w', 'SET', 'n', '2'),
        cmd('a', 'CLIENT', 'TRACKING', 'off'),
      ],
    );
    expect(t[3].a).toEqual([expect.anything(), expect.objectContaining({ kind: 'PushReply' })]);
  });

  it('OPTIN and OPTOUT track exactly what CLIENT CACHING selects', async () => {
    await same(
      ['a', 'w'],
      [
        hello3('a'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'optin'),
        cmd('a', 'GET', 'o0'),
        cmd('a', 'CLIENT', 'CACHING', 'yes'),
        cmd('a', 'CLIENT', 'ID'),
        cmd('a', 'GET', 'o1'),
        cmd('a', 'GET', 'o2'),
        cmd('a', 'CLIENT', 'CACHING', 'yes'),
        cmd('a', 'MULTI'),
        cmd('a', 'GET', 'o3'),
        cmd('a', 'EXEC'),
        cmd('a', 'GET', 'o4'),
        cmd('w', 'MSET', 'o0', '1', 'o1', '1', 'o2', '1', 'o3', '1', 'o4', '1'),
        cmd('a', 'CLIENT', 'TRACKING', 'off'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'optout'),
        cmd('a', 'CLIENT', 'CACHING', 'no'),
        cmd('a', 'GET', 'x1'),
        cmd('a', 'GET', 'x2'),
        cmd('w', 'MSET', 'x1', '1', 'x2', '1'),
      ],
    );
  });

  it('redirects to a RESP2 subscriber of __redis__:invalidate and reports a broken redirect', async () => {
    await same(
      ['s', 'a', 'b', 'w'],
      [
        cmd('s', 'SUBSCRIBE', '__redis__:invalidate'),
        cmd('a', 'CLIENT', 'TRACKING', 'on', 'redirect', '{id:s}'),
        cmd('a', 'GET', 'k1'),
        cmd('a', 'SET', 'k1', '1'),
        cmd('a', 'GET', 'k1'),
        cmd('a', 'FLUSHALL'),
        hello3('b'),
        cmd('b', 'CLIENT', 'TRACKING', 'on', 'redirect', '{id:s}'),
        cmd('b', 'FLUSHALL'),
        cmd('b', 'GET', 'z'),
        cmd('a', 'GET', 'z'),
        { close: 's' },
        cmd('w', 'SET', 'z', '1'),
        cmd('b', 'CLIENT', 'TRACKINGINFO'),
        cmd('b', 'GET', 'z'),
        cmd('w', 'SET', 'z', '2'),
        cmd('b', 'CLIENT', 'GETREDIR'),
      ],
    );
  });

  it('broadcasts changed keys per prefix in BCAST mode, with NOLOOP', async () => {
    await same(
      ['b', 'c', 'w'],
      [
        hello3('b'),
        hello3('c'),
        cmd('b', 'CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'q', 'prefix', 'p', 'noloop'),
        cmd('c', 'CLIENT', 'TRACKING', 'on', 'bcast'),
        cmd('w', 'MSET', 'p2', '1', 'p1', '1', 'x', '1', 'q1', '1'),
        cmd('b', 'SET', 'p3', '1'),
        cmd('b', 'MSET', 'p4', '1', 'q4', '1'),
        cmd('w', 'DEL', 'p1', 'nope'),
        cmd('c', 'CLIENT', 'TRACKINGINFO'),
        cmd('w', 'FLUSHALL'),
        cmd('b', 'CLIENT', 'TRACKING', 'off'),
        cmd('w', 'SET', 'p9', '1'),
      ],
    );
  });
});

describe('replica invalidation', () => {
  let oursReplica: ServerProcess;
  let stockReplica: StockRedis;

  beforeAll(async () => {
    [oursReplica, stockReplica] = await Promise.all([
      startServer(['--replicaof', '127.0.0.1', String(ours.port)]),
      startStockRedis(['--replicaof', '127.0.0.1', String(stock.port)]),
    ]);
    for (const port of [oursReplica.port, stockReplica.port]) {
      const c = await RespConnection.tcp(port);
      await waitFor(async () => String(await c.call('INFO', 'replication')).includes('master_link_status:up'), 15_000, 'replica link');
      c.close();
    }
  });
  afterAll(async () => {
    await Promise.all([oursReplica?.stop(), stockReplica?.stop()]);
  });

  it('invalidates keys a replica tracker read when the master stream changes them', async () => {
    const script = async (masterPort: number, replicaPort: number) => {
      const m = await RespConnection.tcp(masterPort);
      const r = await RespConnection.tcp(replicaPort);
      await r.call('HELLO', '3');
      const got: unknown[] = [await r.call('CLIENT', 'TRACKING', 'on'), await r.call('GET', 'rk')];
      await m.call('SET', 'rk', 'v');
      got.push(await r.next(5000));
      got.push(await r.call('GET', 'rk'));
      m.close();
      r.close();
      return got;
    };
    const [a, b] = await Promise.all([script(ours.port, oursReplica.port), script(stock.port, stockReplica.port)]);
    expect(a).toEqual(b);
  });
});
