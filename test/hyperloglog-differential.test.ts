import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToBinary } from '../shared/bytes.js';
import { SimpleString, type Reply } from '../shared/resp/reply.js';
import { hllElementFor } from '../shared/store/hyperloglog.js';
import { pipeline, runWithKeyspaceEvents, withKeyspaceEvents, type Cmd, type ScriptRun } from './helpers/keyspace-events.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { startServer, type ServerProcess } from './helpers/server-process.js';

/**
 * PFADD / PFCOUNT / PFMERGE / PFDEBUG on our server and on a stock redis-server 7.0.15: the same replies, the same
 * keyspace events, and above all the same bytes in the string value (GET), since RDB, DUMP and replication carry
 * a HyperLogLog as a plain string.
 */

const FLAGS = 'KEAnm';

let ours: ServerProcess;
let stock: StockRedis;

beforeAll(async () => {
  [ours, stock] = await Promise.all([startServer(), startStockRedis()]);
});
afterAll(async () => {
  await Promise.all([ours?.stop(), stock?.stop()]);
});

/** Runs the script on both servers, one command at a time: the same replies and events, in the same order. */
async function same(script: Cmd[], flags = FLAGS): Promise<ScriptRun> {
  const [a, b] = await Promise.all([runWithKeyspaceEvents(ours.port, flags, script), runWithKeyspaceEvents(stock.port, flags, script)]);
  expect(a.replies).toEqual(b.replies);
  expect(a.events).toEqual(b.events);
  return a;
}

/** Runs the script on both servers as one pipeline, and compares replies and events. */
async function samePipelined(script: Cmd[], flags = FLAGS): Promise<ScriptRun> {
  const [a, b] = await Promise.all([
    withKeyspaceEvents(ours.port, flags, (c) => pipeline(c, script)),
    withKeyspaceEvents(stock.port, flags, (c) => pipeline(c, script)),
  ]);
  // One failing comparison of thousands of replies is unreadable: report the first differing command.
  for (let i = 0; i < script.length; i++) {
    if (!isEqual(a.replies[i], b.replies[i])) {
      expect({ command: script[i].map(String).join(' ').slice(0, 200), index: i, reply: a.replies[i] }).toEqual({
        command: script[i].map(String).join(' ').slice(0, 200),
        index: i,
        reply: b.replies[i],
      });
    }
  }
  expect(a.events).toEqual(b.events);
  return a;
}

function isEqual(x: Reply, y: Reply): boolean {
  return JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) === JSON.stringify(y, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
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

/** A random binary string of 0..maxLen bytes (every byte value, NULs included). */
function randomBinary(rand: () => number, maxLen: number): string {
  const n = Math.floor(rand() * (maxLen + 1));
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(rand() * 256));
  return s;
}

/** The element that sets `index` to `count`, as a binary string. */
function elementFor(index: number, count: number, salt = 0n): string {
  return bytesToBinary(hllElementFor(index, count, salt));
}

/** An empty sparse HLL's header with the given encoding byte and cache bytes, plus `body`. */
function hllBytes(encoding: number, card: number[], body: string): string {
  return 'HYLL' + String.fromCharCode(encoding, 0, 0, 0, ...card) + body;
}

describe('PFADD and PFCOUNT', () => {
  it('small sets: creation, repeated elements, the cache written by PFCOUNT and invalidated by PFADD', async () => {
    await same([
      ['PFADD', 'h'],
      ['GET', 'h'],
      ['PFCOUNT', 'h'],
      ['GET', 'h'],
      ['PFADD', 'h'],
      ['PFADD', 'h', 'a', 'b', 'c'],
      ['GET', 'h'],
      ['PFADD', 'h', 'a', 'b'],
      ['PFCOUNT', 'h'],
      ['GET', 'h'],
      ['PFCOUNT', 'h'],
      ['PFADD', 'h', 'd'],
      // The stale cached bytes stay; only the top bit says they are invalid.
      ['GET', 'h'],
      ['PFCOUNT', 'h'],
      ['PFDEBUG', 'ENCODING', 'h'],
      ['PFDEBUG', 'DECODE', 'h'],
      ['PFCOUNT', 'missing'],
      ['PFADD', 'e', ''],
      ['GET', 'e'],
      ['PFADD', 'bin', '\x00', '\x00\x00', '\xff\xfe', 'a\x00b', '\x80'.repeat(17)],
      ['GET', 'bin'],
      ['PFCOUNT', 'bin'],
    ]);
  });

  it('sparse opcodes: ZERO/XZERO splits, VAL runs merged up to length 4, one element per command', async () => {
    const script: Cmd[] = [];
    // Registers next to each other with equal values merge into VAL runs; neighbours at a distance leave ZERO
    // and XZERO gaps of every size class (1, 2..64, 65+).
    const plan: Array<[number, number]> = [
      [100, 2], [101, 2], [102, 2], [103, 2], [104, 2], [99, 2], [98, 3], [102, 3], [102, 5], [105, 1], [106, 1],
      [0, 1], [1, 1], [16383, 4], [16382, 4], [16381, 4], [16380, 4], [16379, 4], [200, 32], [201, 32], [264, 7],
      [265, 7], [330, 7], [331, 1], [329, 1], [8000, 20], [8002, 20], [8001, 20], [8001, 21], [8001, 19], [103, 1],
    ];
    plan.forEach(([index, count], i) => {
      script.push(['PFADD', 's', elementFor(index, count, BigInt(i))], ['GET', 's'], ['PFDEBUG', 'DECODE', 's']);
    });
    script.push(['PFCOUNT', 's'], ['GET', 's']);
    await same(script);
  });

  it('random binary elements one by one, sparse all the way into dense at the default hll-sparse-max-bytes', async () => {
    const rand = rng(7);
    const script: Cmd[] = [];
    for (let i = 0; i < 2600; i++) {
      script.push(['PFADD', 'r', randomBinary(rand, 24)], ['GET', 'r']);
      if (i % 97 === 0) script.push(['PFCOUNT', 'r'], ['GET', 'r']);
    }
    script.push(['PFDEBUG', 'ENCODING', 'r'], ['PFCOUNT', 'r'], ['GET', 'r']);
    const run = await samePipelined(script);
    expect(run.replies[run.replies.length - 3]).toEqual(new SimpleString('dense'));
  });

  it('a pattern longer than 32 turns a sparse HLL dense at once', async () => {
    await same([
      ['PFADD', 'p', 'x', 'y'],
      ['PFADD', 'p', elementFor(42, 33)],
      ['PFDEBUG', 'ENCODING', 'p'],
      ['GET', 'p'],
      ['PFADD', 'p', elementFor(42, 32), elementFor(16383, 51)],
      ['PFCOUNT', 'p'],
      ['GET', 'p'],
      ['PFADD', 'q', elementFor(7, 32), elementFor(7, 33)],
      ['GET', 'q'],
      ['PFCOUNT', 'q'],
    ]);
  });

  it('hll-sparse-max-bytes decides when a growing sparse HLL turns dense', async () => {
    try {
      for (const max of ['0', '30', '100', '500', '20000']) {
        const rand = rng(Number(max) + 1);
        const script: Cmd[] = [['CONFIG', 'SET', 'hll-sparse-max-bytes', max]];
        for (let i = 0; i < 400; i++) script.push(['PFADD', 'm', randomBinary(rand, 10)], ['PFDEBUG', 'ENCODING', 'm'], ['GET', 'm']);
        script.push(['PFCOUNT', 'm'], ['GET', 'm']);
        // PFMERGE grows its sparse destination register by register under the same limit.
        script.push(['PFMERGE', 'm2', 'm'], ['PFDEBUG', 'ENCODING', 'm2'], ['GET', 'm2']);
        await samePipelined(script);
      }
    } finally {
      await same([['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000']]);
    }
  });

  it('100k elements pipelined in batches and singly: identical bytes and counts throughout', async () => {
    const rand = rng(99);
    const script: Cmd[] = [];
    let n = 0;
    for (let batch = 0; batch < 800; batch++) {
      const cmd: Cmd = ['PFADD', 'big'];
      for (let i = 0; i < 100; i++) cmd.push(`el:${n++}:${Math.floor(rand() * 1e9)}`);
      script.push(cmd);
      if (batch % 40 === 0) script.push(['PFCOUNT', 'big'], ['GET', 'big']);
    }
    for (let i = 0; i < 20000; i++) script.push(['PFADD', 'big', `single:${i}`]);
    script.push(['PFCOUNT', 'big'], ['GET', 'big'], ['PFCOUNT', 'big']);
    const run = await samePipelined(script, '');
    const count = run.replies[run.replies.length - 1] as number;
    expect(Math.abs(count - 100000) / 100000).toBeLessThan(0.03);
  });

  it('counts across the estimator range: every few elements up to tens of thousands', async () => {
    const script: Cmd[] = [];
    let n = 0;
    for (let step = 1; n < 60000; step = Math.ceil(step * 1.3)) {
      const cmd: Cmd = ['PFADD', 'c'];
      for (let i = 0; i < step; i++) cmd.push(String(n++));
      script.push(cmd, ['PFCOUNT', 'c'], ['PFCOUNT', 'c', 'missing']);
    }
    await samePipelined(script, '');
  });
});

describe('the estimator on both servers', () => {
  it('PFCOUNT after every single PFADD, through the sparse and into the dense range', async () => {
    const script: Cmd[] = [];
    for (let i = 0; i < 4000; i++) script.push(['PFADD', 'e', `item-${i}`], ['PFCOUNT', 'e']);
    await samePipelined(script, '');
  });

  it('hand-written dense registers of every shape: uniform, skewed high, at the 51 cap, beyond it', async () => {
    const rand = rng(21);
    const shapes: Array<() => number> = [
      () => Math.floor(rand() * 64),
      () => Math.floor(rand() * 8),
      () => 10 + Math.floor(rand() * 20),
      () => (rand() < 0.5 ? 51 : Math.floor(rand() * 51)),
      () => (rand() < 0.999 ? 0 : 1 + Math.floor(rand() * 5)),
      () => (rand() < 0.2 ? 0 : 1 + Math.floor(rand() * 3)),
      () => 51,
      () => 0,
      () => 1,
      () => 40 + Math.floor(rand() * 24),
    ];
    const script: Cmd[] = [];
    for (let k = 0; k < 60; k++) {
      const shape = shapes[k % shapes.length];
      const bytes = new Uint8Array(12288);
      for (let r = 0; r < 16384; r++) {
        const v = shape();
        const bit = r * 6;
        const byte = bit >> 3;
        const fb = bit & 7;
        bytes[byte] |= (v << fb) & 0xff;
        if (fb > 2) bytes[byte + 1] |= v >> (8 - fb);
      }
      const key = `d${k}`;
      script.push(['SET', key, hllBytes(0, [0, 0, 0, 0, 0, 0, 0, 0x80], bytesToBinary(bytes))], ['PFCOUNT', key], ['GET', key]);
      if (k > 0) script.push(['PFCOUNT', key, `d${k - 1}`], ['PFMERGE', `m${k}`, key, `d${k - 1}`], ['GET', `m${k}`]);
    }
    await samePipelined(script, '');
  });

  it('sparse values written by hand with every VAL value and run length', async () => {
    const rand = rng(22);
    const script: Cmd[] = [];
    for (let k = 0; k < 40; k++) {
      let body = '';
      let covered = 0;
      while (covered < 16384) {
        const left = 16384 - covered;
        const kind = rand();
        if (kind < 0.5) {
          const len = Math.min(left, 1 + Math.floor(rand() * 4));
          body += String.fromCharCode(0x80 | (Math.floor(rand() * 32) << 2) | (len - 1));
          covered += len;
        } else if (kind < 0.8) {
          const len = Math.min(left, 1 + Math.floor(rand() * 64));
          body += String.fromCharCode(len - 1);
          covered += len;
        } else {
          const len = Math.min(left, 1 + Math.floor(rand() * 700));
          body += String.fromCharCode(0x40 | ((len - 1) >> 8), (len - 1) & 0xff);
          covered += len;
        }
      }
      const key = `s${k}`;
      script.push(['SET', key, hllBytes(1, [0, 0, 0, 0, 0, 0, 0, 0x80], body)], ['PFCOUNT', key], ['PFCOUNT', key, 'nokey']);
      script.push(['PFADD', key, `x${k}`, `y${k}`], ['GET', key], ['PFDEBUG', 'ENCODING', key]);
      script.push(['PFMERGE', `t${k}`, key], ['GET', `t${k}`], ['PFDEBUG', 'TODENSE', key], ['GET', key]);
    }
    await samePipelined(script, '');
  });
});

describe('PFCOUNT over several keys and PFMERGE', () => {
  it('unions of sparse and dense keys, missing keys, a key given twice; nothing is written', async () => {
    const rand = rng(3);
    const many: string[] = [];
    for (let i = 0; i < 5000; i++) many.push(randomBinary(rand, 12));
    await same([
      ['PFADD', 'a', 'x', 'y', 'z'],
      ['PFADD', 'b', 'z', 'w'],
      ['PFADD', 'd', ...many],
      ['PFCOUNT', 'a', 'b'],
      ['PFCOUNT', 'a', 'nokey', 'b', 'a'],
      ['PFCOUNT', 'a', 'd'],
      ['PFCOUNT', 'nokey', 'nokey2'],
      ['GET', 'a'],
      ['GET', 'd'],
      ['PFCOUNT', 'd', 'd'],
      ['PFCOUNT', 'd'],
    ]);
  });

  it('PFMERGE: sparse sources keep a sparse destination, a dense source makes it dense, byte for byte', async () => {
    const rand = rng(11);
    const many: string[] = [];
    for (let i = 0; i < 4000; i++) many.push(randomBinary(rand, 12));
    await same([
      ['PFADD', 'a', 'x', 'y', 'z'],
      ['PFADD', 'b', 'z', 'w', 'v'],
      ['PFMERGE', 'm1', 'a', 'b'],
      ['GET', 'm1'],
      ['PFDEBUG', 'DECODE', 'm1'],
      ['PFCOUNT', 'm1'],
      ['PFMERGE', 'm1', 'a'],
      ['GET', 'm1'],
      ['PFMERGE', 'alone'],
      ['GET', 'alone'],
      ['PFMERGE', 'alone'],
      ['GET', 'alone'],
      ['PFMERGE', 'm2', 'nokey'],
      ['GET', 'm2'],
      ['PFADD', 'd', ...many],
      ['PFMERGE', 'm3', 'a', 'd'],
      ['GET', 'm3'],
      ['PFCOUNT', 'm3'],
      ['GET', 'm3'],
      // An existing sparse destination with a valid cache: converted dense, the old cache bytes kept, then
      // invalidated.
      ['PFCOUNT', 'a'],
      ['PFMERGE', 'a', 'd'],
      ['GET', 'a'],
      ['PFMERGE', 'd', 'b'],
      ['GET', 'd'],
      ['PFMERGE', 'd', 'd'],
      ['GET', 'd'],
    ]);
  });

  it('PFMERGE of many sparse sources grows the destination past hll-sparse-max-bytes into dense', async () => {
    const rand = rng(12);
    const script: Cmd[] = [];
    const keys: string[] = [];
    for (let k = 0; k < 12; k++) {
      const els: string[] = [];
      for (let i = 0; i < 150; i++) els.push(randomBinary(rand, 8));
      script.push(['PFADD', `s${k}`, ...els]);
      keys.push(`s${k}`);
    }
    script.push(['PFDEBUG', 'ENCODING', 's0']);
    for (let k = 1; k <= keys.length; k++) script.push(['PFMERGE', `u${k}`, ...keys.slice(0, k)], ['GET', `u${k}`], ['PFCOUNT', `u${k}`]);
    script.push(['PFCOUNT', ...keys]);
    await same(script);
  });

  it('DUMP payloads cross between the servers: RESTOREd on the other side, the values and counts are identical', async () => {
    const many: string[] = [];
    for (let i = 0; i < 3000; i++) many.push(`m${i}`);
    const build: Cmd[] = [['FLUSHALL'], ['PFADD', 'sp', 'a', 'b', 'c'], ['PFADD', 'de', ...many], ['PFMERGE', 'mg', 'sp', 'de'], ['PFCOUNT', 'mg']];
    const keys = ['sp', 'de', 'mg'];
    const [a, b] = await Promise.all([RespConnection.tcp(ours.port), RespConnection.tcp(stock.port)]);
    try {
      for (const c of [a, b]) await pipeline(c, build);
      const dumps = await Promise.all([a, b].map((c) => pipeline(c, keys.map((k) => ['DUMP', k]))));
      // Each server restores the other's payloads under new names.
      await pipeline(a, keys.map((k, i) => ['RESTORE', `${k}-x`, '0', dumps[1][i] as string]));
      await pipeline(b, keys.map((k, i) => ['RESTORE', `${k}-x`, '0', dumps[0][i] as string]));
      const check: Cmd[] = keys.flatMap((k): Cmd[] => [['GET', k], ['GET', `${k}-x`], ['PFCOUNT', `${k}-x`], ['PFADD', `${k}-x`, 'new'], ['GET', `${k}-x`]]);
      const [ra, rb] = await Promise.all([pipeline(a, check), pipeline(b, check)]);
      expect(ra).toEqual(rb);
      expect(ra[1]).toBe(ra[0]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('PFMERGE keeps the destination TTL; PFADD keeps it too', async () => {
    await same([
      ['PFADD', 't', 'a'],
      ['EXPIRE', 't', '1000'],
      ['PFADD', 't', 'b'],
      ['TTL', 't'],
      ['PFMERGE', 't', 'nokey'],
      ['TTL', 't'],
      ['PFCOUNT', 't'],
      ['TTL', 't'],
    ]);
  });
});

describe('errors', () => {
  it('wrong types, values that are not HyperLogLogs, and arity', async () => {
    await same([
      ['RPUSH', 'list', 'a'],
      ['SET', 'str', 'hello'],
      ['SET', 'int', '12345'],
      ['SET', 'short', 'HYLL'],
      ['SET', 'badenc', hllBytes(2, [0, 0, 0, 0, 0, 0, 0, 0], '\x7f\xff')],
      ['SET', 'badmagic', hllBytes(1, [0, 0, 0, 0, 0, 0, 0, 0], '\x7f\xff').replace('HYLL', 'HYLX')],
      ['SET', 'shortdense', hllBytes(0, [0, 0, 0, 0, 0, 0, 0, 0], '\x00'.repeat(100))],
      ['PFADD', 'h', 'a'],
      ...['list', 'str', 'int', 'short', 'badenc', 'badmagic', 'shortdense'].flatMap((k): Cmd[] => [
        ['PFADD', k, 'x'],
        ['PFADD', k],
        ['PFCOUNT', k],
        ['PFCOUNT', 'h', k],
        ['PFMERGE', 'dst', 'h', k],
        ['PFMERGE', k, 'h'],
        ['PFDEBUG', 'GETREG', k],
        ['PFDEBUG', 'ENCODING', k],
      ]),
      ['EXISTS', 'dst'],
      ['PFADD'],
      ['PFCOUNT'],
      ['PFMERGE'],
      ['PFDEBUG'],
      ['PFDEBUG', 'GETREG'],
      ['PFDEBUG', 'GETREG', 'h', 'extra'],
      ['PFSELFTEST', 'x'],
    ]);
  });

  it('PFDEBUG: missing key, unknown subcommand, DECODE of a dense value, and each subcommand', async () => {
    await same([
      ['PFDEBUG', 'GETREG', 'nokey'],
      ['PFDEBUG', 'nosuch', 'nokey'],
      ['PFADD', 'h', 'a', 'b', 'c'],
      ['PFDEBUG', 'NoSuch', 'h'],
      ['PFDEBUG', 'encoding', 'h'],
      ['PFDEBUG', 'Decode', 'h'],
      ['PFDEBUG', 'TODENSE', 'h'],
      ['PFDEBUG', 'TODENSE', 'h'],
      ['PFDEBUG', 'DECODE', 'h'],
      ['PFDEBUG', 'ENCODING', 'h'],
      ['GET', 'h'],
      ['PFADD', 'g', 'x', 'y'],
      ['PFDEBUG', 'GETREG', 'g'],
      ['GET', 'g'],
      ['PFDEBUG', 'GETREG', 'g'],
      ['PFDEBUG', 'ENCODING', 'g'],
    ]);
  });

  it('corrupted HLLs written with SET and SETRANGE: INVALIDOBJ, a valid cache still answered, partial updates kept', async () => {
    const cacheValid = [5, 0, 0, 0, 0, 0, 0, 0];
    const cacheInvalid = [5, 0, 0, 0, 0, 0, 0, 0x80];
    await same([
      // Opcodes covering only 16000 registers.
      ['SET', 'short', hllBytes(1, cacheInvalid, '\x7e\x7f')],
      ['PFCOUNT', 'short'],
      ['PFCOUNT', 'short', 'short'],
      ['PFMERGE', 'dst', 'short'],
      ['EXISTS', 'dst'],
      ['PFDEBUG', 'GETREG', 'short'],
      ['PFDEBUG', 'TODENSE', 'short'],
      ['PFDEBUG', 'DECODE', 'short'],
      // Index 100 lies inside the opcodes: updated in place; index 16100 is past them: the error, and the first
      // update stays without an event.
      ['PFADD', 'short', elementFor(100, 3), elementFor(16100, 2)],
      ['GET', 'short'],
      ['PFADD', 'short', elementFor(16200, 40)],
      ['GET', 'short'],
      // Too many registers.
      ['SET', 'long', hllBytes(1, cacheValid, '\x7f\xff\x7f\xff')],
      ['PFCOUNT', 'long'],
      ['SETRANGE', 'long', '15', '\x80'],
      ['PFCOUNT', 'long'],
      ['PFCOUNT', 'long', 'nokey'],
      ['PFADD', 'long', elementFor(5, 2)],
      ['GET', 'long'],
      // A VAL run overflowing the end.
      ['SET', 'over', hllBytes(1, cacheInvalid, '\x7f\xfe\x83')],
      ['PFCOUNT', 'over'],
      ['PFMERGE', 'over2', 'over'],
      ['PFDEBUG', 'TODENSE', 'over'],
      // A valid sparse HLL corrupted by SETRANGE; a dense one with arbitrary register bytes.
      ['PFADD', 'v', 'a', 'b', 'c'],
      ['SETRANGE', 'v', '16', '\x00\x00\x00'],
      ['PFCOUNT', 'v'],
      ['PFADD', 'v', 'zzz'],
      ['GET', 'v'],
      ['SET', 'dn', hllBytes(0, cacheInvalid, '\xff\xfe\xfd\x01\x02\x03'.repeat(2048))],
      ['PFCOUNT', 'dn'],
      ['GET', 'dn'],
      ['PFADD', 'dn', 'a', 'b'],
      ['PFCOUNT', 'dn', 'nokey'],
      ['PFMERGE', 'dm', 'dn'],
      ['GET', 'dm'],
    ]);
  });
});

it('PFSELFTEST passes', async () => {
  const c = await RespConnection.tcp(ours.port);
  try {
    expect(await c.call('PFSELFTEST')).toEqual(new SimpleString('OK'));
  } finally {
    c.close();
  }
}, 30_000);
