import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimpleString, type Reply } from '../shared/resp/reply.js';
import { runWithKeyspaceEvents, type Cmd, type ScriptRun } from './helpers/keyspace-events.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, type ServerProcess } from './helpers/server-process.js';

/**
 * DEBUG on our server and on a stock redis-server 7.0.15: DIGEST and DIGEST-VALUE must agree bit for bit on the
 * same data (the strongest dataset-equality check there is), and POPULATE, OBJECT (encoding, refcount,
 * serializedlength, quicklist figures), PROTOCOL, RELOAD, ERROR and HELP must reply alike.
 */

const FLAGS = 'KEAn';

let ours: ServerProcess;
let stock: StockRedis;

beforeAll(async () => {
  [ours, stock] = await Promise.all([startServer(), startStockRedis(['--enable-debug-command', 'yes'])]);
});
afterAll(async () => {
  await Promise.all([ours?.stop(), stock?.stop()]);
});

/**
 * DEBUG OBJECT without what differs between processes: the value's address and its access clock (Redis's
 * 1-second LRU clock makes the idle seconds depend on when the second ticked; shared integers date from startup).
 */
function masked(r: Reply): Reply {
  if (!(r instanceof SimpleString)) return r;
  return new SimpleString(
    r.value
      .replace(/^Value at:0x[0-9a-f]+ /, 'Value at:ADDR ')
      .replace(/ lru:\d+ lru_seconds_idle:\d+/, ' lru:LRU lru_seconds_idle:IDLE'),
  );
}

/** Runs the script on both servers (after FLUSHALL) and expects the same replies and keyspace events. */
async function same(script: Cmd[]): Promise<ScriptRun> {
  const [a, b] = await Promise.all([runWithKeyspaceEvents(ours.port, FLAGS, script), runWithKeyspaceEvents(stock.port, FLAGS, script)]);
  expect(a.replies.map(masked)).toEqual(b.replies.map(masked));
  expect(a.events).toEqual(b.events);
  return a;
}

/** The script followed by DEBUG DIGEST and DEBUG DIGEST-VALUE of `keys` (and a missing key). */
function withDigests(script: Cmd[], keys: string[]): Cmd[] {
  return [...script, ['DEBUG', 'DIGEST'], ['DEBUG', 'DIGEST-VALUE', ...keys, 'no-such-key']];
}

/** A small deterministic generator (mulberry32), so the generated scripts are the same on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('DEBUG DIGEST and DIGEST-VALUE', () => {
  it('an empty dataset digests to 40 zeros; DIGEST-VALUE of nothing is an empty array', async () => {
    const run = await same([['DEBUG', 'DIGEST'], ['DEBUG', 'DIGEST-VALUE'], ['DEBUG', 'DIGEST-VALUE', 'missing']]);
    expect(run.replies[0]).toEqual(new SimpleString('0'.repeat(40)));
  });

  it('strings: integers, binary bytes, empty, long compressible values, and keys with a TTL', async () => {
    const run = await same(
      withDigests(
        [
          ['SET', 's1', '1'],
          ['SET', 's2', 'hello'],
          ['SET', 's3', ''],
          ['SET', 's4', '\x00\xff\x80binary\r\n'],
          ['SET', 's5', 'x'.repeat(500)],
          ['SET', 's6', '-9223372036854775808'],
          ['SET', 's7', '12345678901234567890'],
          ['SET', 'ttl', 'v', 'EX', '1000'],
          ['APPEND', 's2', ' world'],
          ['INCRBY', 's1', '41'],
        ],
        ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 'ttl'],
      ),
    );
    expect(run.replies.at(-2)).not.toEqual(new SimpleString('0'.repeat(40)));
  });

  it('lists are order-sensitive; sets and hashes are not', async () => {
    await same(
      withDigests(
        [
          ['RPUSH', 'l1', 'a', 'b', 'c', '1', '2'],
          ['LPUSH', 'l2', '2', '1', 'c', 'b', 'a'],
          ['RPUSH', 'l3', 'c', 'b', 'a'],
          ['SADD', 'set1', 'x', 'y', 'z'],
          ['SADD', 'set2', 'z', 'y', 'x'],
          ['SADD', 'iset', '3', '-1', '100000', '2'],
          ['HSET', 'h1', 'f1', 'v1', 'f2', 'v2'],
          ['HSET', 'h2', 'f2', 'v2', 'f1', 'v1'],
        ],
        ['l1', 'l2', 'l3', 'set1', 'set2', 'iset', 'h1', 'h2'],
      ),
    );
  });

  it('sorted sets: scores formatted as %.17g (fractions, integers, negative zero, infinities, huge values)', async () => {
    await same(
      withDigests(
        [
          ['ZADD', 'z1', '1', 'a', '1.5', 'b', '0.1', 'c', '-0', 'd', '+inf', 'e', '-inf', 'f'],
          ['ZADD', 'z1', '1e300', 'g', '3.0000000000000004', 'h', '123456789012345678', 'i', '-2.5e-10', 'j'],
          ['ZINCRBY', 'z1', '0.2', 'c'],
          ['ZADD', 'z2', '-inf', 'f', '-2.5e-10', 'j', '1', 'a'],
          // A skiplist (over 128 members): scores digested from the doubles themselves.
          ['ZADD', 'big', ...Array.from({ length: 130 }, (_, i) => [String(i / 3 - 20), `m${i}`]).flat(), '+inf', 'top'],
        ],
        ['z1', 'z2', 'big'],
      ),
    );
  });

  it('large encodings digest the same as compact ones would: hashtable sets and hashes, skiplist zsets, long lists', async () => {
    const script: Cmd[] = [];
    for (let i = 0; i < 600; i++) {
      script.push(['SADD', 'bigset', `m${i}`], ['HSET', 'bighash', `f${i}`, `v${i}`], ['RPUSH', 'biglist', `e${i}`]);
      if (i < 200) script.push(['ZADD', 'bigz', String(i / 7), `m${i}`]);
    }
    script.push(['HSET', 'longfield', 'f'.repeat(100), 'v'], ['ZADD', 'longmember', '1', 'm'.repeat(100)]);
    await same(withDigests(script, ['bigset', 'bighash', 'biglist', 'bigz', 'longfield', 'longmember']));
  });

  it('streams: entries with their IDs and fields; deletions and consumer groups', async () => {
    await same(
      withDigests(
        [
          ['XADD', 'st', '1-1', 'a', '1', 'b', '2'],
          ['XADD', 'st', '1-2', 'a', '3', 'b', '4'],
          ['XADD', 'st', '5-0', 'other', 'x'],
          ['XADD', 'st', '18446744073709551615-7', 'f', 'v'],
          ['XDEL', 'st', '1-2'],
          ['XGROUP', 'CREATE', 'st', 'g', '0'],
          ['XADD', 'empty', '1-1', 'f', 'v'],
          ['XDEL', 'empty', '1-1'],
        ],
        ['st', 'empty'],
      ),
    );
  });

  it('HyperLogLogs are strings: sparse and dense representations', async () => {
    const dense: Cmd = ['PFADD', 'dense'];
    for (let i = 0; i < 2000; i++) dense.push(`e${i}`);
    await same(withDigests([['PFADD', 'hll', 'a', 'b', 'c'], dense], ['hll', 'dense']));
  });

  it('the database number is part of the digest', async () => {
    await same([
      ['SET', 'k', 'v'],
      ['DEBUG', 'DIGEST'],
      ['MOVE', 'k', '3'],
      ['DEBUG', 'DIGEST'],
      ['SELECT', '3'],
      ['DEBUG', 'DIGEST-VALUE', 'k'],
      ['SWAPDB', '3', '0'],
      ['DEBUG', 'DIGEST'],
      ['SELECT', '0'],
    ]);
  });

  it('a generated mix of writes over every type digests identically', async () => {
    const rand = rng(20260101);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const members = ['1', '2', '10', '-3', 'x', 'y', 'zz', 'long-member-'.repeat(7), '\x00\x01'];
    const script: Cmd[] = [];
    for (let i = 0; i < 400; i++) {
      const k = `${pick(['str', 'list', 'set', 'zset', 'hash'])}:${pick(keys)}`;
      const type = k.split(':')[0];
      const m = pick(members);
      switch (type) {
        case 'str':
          script.push(pick([['SET', k, m], ['APPEND', k, m], ['SETRANGE', k, String(Math.floor(rand() * 10)), m], ['DEL', k]]));
          break;
        case 'list':
          script.push(pick([['RPUSH', k, m], ['LPUSH', k, m], ['LPOP', k], ['LREM', k, '1', m], ['LSET', k, '0', m]]));
          break;
        case 'set':
          script.push(pick([['SADD', k, m], ['SREM', k, m], ['SADD', k, m, pick(members)]]));
          break;
        case 'zset':
          script.push(pick([['ZADD', k, String(Math.floor(rand() * 2000) / 8 - 100), m], ['ZREM', k, m], ['ZINCRBY', k, '0.1', m]]));
          break;
        default:
          script.push(pick([['HSET', k, m, pick(members)], ['HDEL', k, m], ['HINCRBY', k, 'n', '3']]));
      }
      if (rand() < 0.05) script.push(['EXPIRE', k, '1000']);
      if (rand() < 0.03) script.push(['PERSIST', k]);
      if (i % 50 === 49) script.push(['DEBUG', 'DIGEST']);
    }
    const all: string[] = [];
    for (const t of ['str', 'list', 'set', 'zset', 'hash']) for (const k of keys) all.push(`${t}:${k}`);
    await same(withDigests(script, all));
  });
});

describe('DEBUG POPULATE', () => {
  it('creates key:N = value:N, skips existing keys, takes a prefix and pads or cuts values to a size', async () => {
    await same([
      ['SET', 'key:3', 'mine'],
      ['DEBUG', 'POPULATE', '10'],
      ['DBSIZE'],
      ['GET', 'key:3'],
      ['GET', 'key:9'],
      ['DEBUG', 'POPULATE', '3', 'p'],
      ['GET', 'p:2'],
      ['DEBUG', 'POPULATE', '3', 'padded', '20'],
      ['GET', 'padded:1'],
      ['DEBUG', 'POPULATE', '3', 'cut', '3'],
      ['GET', 'cut:2'],
      ['DEBUG', 'POPULATE', '2', 'zero', '0'],
      ['GET', 'zero:1'],
      ['DEBUG', 'POPULATE', '0'],
      ['DEBUG', 'DIGEST'],
      ['DBSIZE'],
    ]);
  });

  it('rejects counts and sizes that are not positive integers, and wrong arities', async () => {
    await same([
      ['DEBUG', 'POPULATE', '-1'],
      ['DEBUG', 'POPULATE', 'x'],
      ['DEBUG', 'POPULATE', '1.5'],
      ['DEBUG', 'POPULATE', '1', 'a', '-1'],
      ['DEBUG', 'POPULATE', '1', 'a', 'x'],
      ['DEBUG', 'POPULATE'],
      ['DEBUG', 'POPULATE', '1', 'a', '1', '2'],
      ['DBSIZE'],
    ]);
  });

  it('a large populate digests the same', async () => {
    await same([['DEBUG', 'POPULATE', '5000', 'big', '30'], ['DEBUG', 'DIGEST'], ['DEBUG', 'DIGEST-VALUE', 'big:0', 'big:4999']]);
  });
});

describe('DEBUG OBJECT', () => {
  it('reports encoding, refcount and serializedlength of strings as Redis does', async () => {
    await same([
      ['SET', 'small-int', '123'],
      ['SET', 'int', '99999'],
      ['SET', 'big-int', '-9223372036854775808'],
      ['SET', 'embstr', 'hello'],
      ['SET', 'raw', 'r'.repeat(45)],
      ['SET', 'incompressible', 'abcdefghijklmnopqrstuvwxyz0123456789'],
      ['DEBUG', 'OBJECT', 'small-int'],
      ['DEBUG', 'OBJECT', 'int'],
      ['DEBUG', 'OBJECT', 'big-int'],
      ['DEBUG', 'OBJECT', 'embstr'],
      ['DEBUG', 'OBJECT', 'raw'],
      ['DEBUG', 'OBJECT', 'incompressible'],
      ['DEBUG', 'OBJECT', 'missing'],
      ['DEBUG', 'OBJECT'],
    ]);
  });

  it('reports compact and large aggregates: listpack, intset, hashtable, skiplist, quicklist and stream', async () => {
    const script: Cmd[] = [
      ['HSET', 'h', 'a', '1', 'b', 'two', 'c', '-300', 'd', '70000'],
      ['SADD', 'iset', '1', '2', '3', '40000'],
      ['SADD', 'iset64', '1', '5000000000'],
      ['SADD', 'hset', 'a', 'b'],
      ['ZADD', 'z', '1', 'a', '2.5', 'b', '-3', 'c', '1e300', 'd', 'inf', 'e'],
      ['RPUSH', 'l', 'a', 'b', 'c', '1', '-200', '99999999999'],
      ['XADD', 'st', '1-1', 'f', 'v'],
      ['XADD', 'st', '2-1', 'f', 'w'],
      ['HSET', 'wide', 'f', 'v'.repeat(100)],
      ['ZADD', 'zwide', '1', 'm'.repeat(100), '2', 'short'],
    ];
    for (let i = 0; i < 3000; i++) script.push(['RPUSH', 'longlist', `element-${i % 37}`]);
    for (let i = 0; i < 600; i++) script.push(['SADD', 'bigiset', String(i * 3)]);
    for (const k of ['h', 'iset', 'iset64', 'hset', 'z', 'l', 'st', 'wide', 'zwide', 'longlist', 'bigiset']) {
      script.push(['OBJECT', 'ENCODING', k], ['DEBUG', 'OBJECT', k]);
    }
    await same(script);
  });
});

describe('DEBUG OBJECT serializedlength over generated values (LZF as liblzf compresses)', () => {
  it('strings, hashes, sorted sets, sets and lists of generated contents', async () => {
    const rand = rng(7);
    const alphabet = ['a', 'b', 'ab', 'abc', 'xyz', '0', '12', '\x00', '\xff', ' ', 'hello'];
    const text = (n: number): string => {
      let s = '';
      while (s.length < n) s += alphabet[Math.floor(rand() * alphabet.length)];
      return s.slice(0, n);
    };
    const script: Cmd[] = [];
    const keys: string[] = [];
    for (let i = 0; i < 40; i++) {
      const len = [5, 21, 30, 64, 100, 300, 2000, 9000][i % 8];
      script.push(['SET', `s${i}`, text(len)]);
      keys.push(`s${i}`);
      const h: Cmd = ['HSET', `h${i}`];
      const z: Cmd = ['ZADD', `z${i}`];
      const l: Cmd = ['RPUSH', `l${i}`];
      const st: Cmd = ['SADD', `set${i}`];
      const n = 1 + Math.floor(rand() * (i % 4 === 0 ? 700 : 20));
      for (let j = 0; j < n; j++) {
        h.push(`f${j}`, text(1 + Math.floor(rand() * (i % 5 === 0 ? 90 : 30))));
        z.push(String(Math.floor(rand() * 1000) / 4), `m${j}${text(3)}`);
        l.push(text(1 + Math.floor(rand() * 40)));
        st.push(i % 3 === 0 ? String(Math.floor(rand() * 1e6) - 5e5) : `m${text(8)}`);
      }
      script.push(h, z, l, st);
      keys.push(`h${i}`, `z${i}`, `l${i}`, `set${i}`);
    }
    for (const k of keys) script.push(['DEBUG', 'OBJECT', k]);
    await same(script);
  });

  // Without XDEL: Redis keeps deleted entries inside its node listpacks (flagged), which our store does not hold.
  it('streams of several nodes, with groups, consumers and pending entries', async () => {
    const script: Cmd[] = [];
    for (let i = 1; i <= 450; i++) script.push(['XADD', 'st', `${i}-0`, 'field', `value-${i % 13}`, 'n', String(i)]);
    script.push(
      ['XADD', 'st', '451-0', 'other', 'fields', 'x', 'y'],
      ['XGROUP', 'CREATE', 'st', 'group-name-that-is-long-and-repetitive-repetitive', '0'],
      ['XREADGROUP', 'GROUP', 'group-name-that-is-long-and-repetitive-repetitive', `consumer-${'c'.repeat(30)}`, 'COUNT', '3', 'STREAMS', 'st', '>'],
      ['DEBUG', 'OBJECT', 'st'],
    );
    await same(script);
  });
});

describe('DEBUG PROTOCOL, ERROR, HELP and unknown subcommands', () => {
  const types = ['string', 'integer', 'double', 'bignum', 'null', 'array', 'set', 'map', 'attrib', 'push', 'verbatim', 'true', 'false', 'nope'];

  it('RESP2 replies of every type', async () => {
    await same(types.map((t) => ['DEBUG', 'PROTOCOL', t]));
  });

  it('RESP3 replies of every type are the same bytes', async () => {
    const raw = async (port: number): Promise<string> => {
      const c = await RespConnection.tcp(port);
      try {
        await c.call('HELLO', '3');
        const replies: string[] = [];
        for (const t of types) {
          // PING after each: its reply marks where the DEBUG reply ended, however many frames it had.
          c.send('DEBUG', 'PROTOCOL', t);
          c.send('PING');
          const parts: string[] = [];
          for (;;) {
            const r = await c.next();
            if (r instanceof SimpleString && r.value === 'PONG') break;
            parts.push(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
          }
          replies.push(`${t}: ${parts.join(' | ')}`);
        }
        return replies.join('\n');
      } finally {
        c.close();
      }
    };
    const [a, b] = await Promise.all([raw(ours.port), raw(stock.port)]);
    expect(a).toBe(b);
  });

  it('ERROR replies with the message as given; HELP and errors match', async () => {
    await same([
      ['DEBUG', 'ERROR', 'MYERR something bad'],
      ['DEBUG', 'ERROR', 'line1\r\nline2'],
      ['DEBUG', 'HELP'],
      ['DEBUG', 'help', 'extra'],
      ['DEBUG', 'NO-SUCH-THING'],
      ['DEBUG', 'DIGEST', 'extra'],
      ['DEBUG', 'PROTOCOL'],
      ['DEBUG', 'RELOAD', 'BOGUS'],
      ['DEBUG', 'LOG', 'hello from the test'],
      ['DEBUG', 'CHANGE-REPL-ID'],
      ['DEBUG', 'SET-ACTIVE-EXPIRE', '1'],
      ['DEBUG', 'SLEEP', '0'],
    ]);
  });
});

describe('DEBUG RELOAD', () => {
  it('saves and reloads the dataset: the same digest before and after, expired keys gone', async () => {
    const script: Cmd[] = [
      ['SET', 's', 'v'],
      ['SET', 'ttl', 'v', 'PX', '100000'],
      ['RPUSH', 'l', 'a', 'b'],
      ['SADD', 'set', '1', 'x'],
      ['ZADD', 'z', '1.5', 'a'],
      ['HSET', 'h', 'f', 'v'],
      ['XADD', 'st', '1-1', 'f', 'v'],
      ['SELECT', '2'],
      ['SET', 'other-db', 'v'],
      ['SELECT', '0'],
      ['DEBUG', 'DIGEST'],
      ['DEBUG', 'RELOAD'],
      ['DEBUG', 'DIGEST'],
      ['TTL', 'ttl'],
      ['DBSIZE'],
      ['DEBUG', 'RELOAD', 'MERGE', 'NOFLUSH'],
      ['DEBUG', 'DIGEST'],
    ];
    const run = await same(script);
    expect(run.replies[10]).toEqual(run.replies[12]);
  });
});

describe('enable-debug-command', () => {
  it("refuses DEBUG by default with Redis's text, allows it from loopback with local, and cannot be CONFIG SET", async () => {
    for (const setting of [[], ['--enable-debug-command', 'local']]) {
      const [o, s] = await Promise.all([
        startServer(setting.length ? setting : ['--enable-debug-command', 'no']),
        startStockRedis(setting),
      ]);
      try {
        const [a, b] = await Promise.all([RespConnection.tcp(o.port), RespConnection.tcp(s.port)]);
        const script: Array<Array<string>> = [
          ['DEBUG', 'SLEEP', '0'],
          ['CONFIG', 'GET', 'enable-debug-command'],
          ['CONFIG', 'SET', 'enable-debug-command', 'yes'],
        ];
        for (const cmd of script) {
          const [x, y] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
          expect(x).toEqual(y);
        }
        a.close();
        b.close();
      } finally {
        await Promise.all([o.stop(), s.stop()]);
      }
    }
  });
});
