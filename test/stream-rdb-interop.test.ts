import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryToBytes } from '../shared/bytes.js';
import { createDumpPayload, decodeDumpPayload } from '../shared/rdb/dump-payload.js';
import type { StreamNodeLimits } from '../shared/rdb/stream-rdb.js';
import { ErrorReply, SimpleString, type Reply } from '../shared/resp/reply.js';
import { Stream } from '../shared/store/stream.js';
import { pipeline, type Cmd } from './helpers/keyspace-events.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { converged } from './helpers/dataset.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { run as runProcess, startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

/**
 * Streams in RDB against a stock redis-server 7.0.15: streams built there with XADD / XDEL / XTRIM / XGROUP /
 * XREADGROUP / XCLAIM / XSETID are DUMPed, read with our reader, written again with our writer and RESTOREd on
 * the same server under another key; both keys must then answer XINFO STREAM [FULL], XRANGE and XINFO GROUPS
 * identically. Where Redis's nodes are what XADD alone makes (no entry deleted inside a node), our payload must
 * be byte for byte Redis's own (compared with rdbcompression off: our LZF output is valid but not Redis's).
 */

let stock: StockRedis;
let c: RespConnection;

beforeAll(async () => {
  stock = await startStockRedis();
  c = await RespConnection.tcp(stock.port);
});
afterAll(async () => {
  c?.close();
  await stock?.stop();
});

async function ok(...argv: Array<string | number>): Promise<Reply> {
  return okOn(c, ...argv);
}

async function okOn(conn: RespConnection, ...argv: Array<string | number>): Promise<Reply> {
  const r = await conn.call(...argv);
  if (r instanceof ErrorReply) throw new Error(`${argv.join(' ')}: ${r.message}`);
  return r;
}

async function run(script: Cmd[], conn = c): Promise<void> {
  const replies = await pipeline(conn, script);
  replies.forEach((r, i) => {
    if (r instanceof ErrorReply) throw new Error(`${script[i].join(' ')}: ${r.message}`);
  });
}

async function nodeLimits(): Promise<StreamNodeLimits> {
  const bytes = (await ok('CONFIG', 'GET', 'stream-node-max-bytes')) as string[];
  const entries = (await ok('CONFIG', 'GET', 'stream-node-max-entries')) as string[];
  return { maxBytes: Number(bytes[1]), maxEntries: Number(entries[1]) };
}

/** XINFO STREAM FULL without the radix tree sizes (which count Redis's nodes, deleted entries included). */
function withoutNodeCounts(info: Reply): Reply {
  const out = [...(info as Reply[])];
  for (const field of ['radix-tree-keys', 'radix-tree-nodes']) {
    const i = out.indexOf(field);
    if (i >= 0) out.splice(i, 2);
  }
  return out;
}

/** Everything a client can see of a stream key (on stock unless another connection is given). */
async function observe(key: string, withNodeCounts: boolean, conn = c): Promise<Reply[]> {
  const full = await okOn(conn, 'XINFO', 'STREAM', key, 'FULL');
  const brief = await okOn(conn, 'XINFO', 'STREAM', key);
  return [
    withNodeCounts ? full : withoutNodeCounts(full),
    withNodeCounts ? brief : withoutNodeCounts(brief),
    await okOn(conn, 'XINFO', 'GROUPS', key),
    await okOn(conn, 'XRANGE', key, '-', '+'),
    await okOn(conn, 'XREVRANGE', key, '+', '-', 'COUNT', 3),
    await okOn(conn, 'XLEN', key),
    await okOn(conn, 'TYPE', key),
  ];
}

/**
 * DUMPs `key` from stock, decodes it with our reader, encodes it with our writer and RESTOREs it as `key:copy`,
 * with rdbcompression off and on; expects both keys to look the same and, when `sameBytes`, our uncompressed
 * payload to be Redis's. Returns the decoded stream.
 */
async function throughOurCodec(key: string, sameBytes: boolean): Promise<Stream> {
  const limits = await nodeLimits();
  let decoded: Stream | undefined;
  for (const compression of ['no', 'yes']) {
    await ok('CONFIG', 'SET', 'rdbcompression', compression);
    const payload = (await ok('DUMP', key)) as string;
    const value = decodeDumpPayload(binaryToBytes(payload));
    expect(value).toBeInstanceOf(Stream);
    decoded = value as Stream;
    const ours = createDumpPayload(value, { compress: compression === 'yes', streamNodeLimits: limits });
    if (compression === 'no' && sameBytes) expect(ours).toBe(payload);
    const copy = `${key}:copy`;
    await ok('DEL', copy);
    expect(await ok('RESTORE', copy, 0, ours)).toEqual(new SimpleString('OK'));
    expect(await observe(copy, sameBytes)).toEqual(await observe(key, sameBytes));
  }
  await ok('CONFIG', 'SET', 'rdbcompression', 'yes');
  return decoded!;
}

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INT_LIKE = ['0', '-0', '7', '007', '127', '128', '-4096', '4095', '32767', '-32769', '8388607', '2147483648', '9223372036854775807', '9223372036854775808', '-9223372036854775808', '123456789012345678901', '+1', ' 1'];

describe('streams XADD alone built: byte for byte', () => {
  it('same and changing fields, integer-like and long values, several nodes by entry count', async () => {
    const script: Cmd[] = [['DEL', 'plain']];
    for (let i = 1; i <= 260; i++) {
      const fields =
        i % 37 === 0
          ? ['other', `x${i}`]
          : i % 11 === 0
            ? ['name', INT_LIKE[i % INT_LIKE.length], 'n', String(i), 'extra', '\x00\xff\r\n']
            : ['name', INT_LIKE[i % INT_LIKE.length], 'n', String(i * 977)];
      script.push(['XADD', 'plain', `${1_700_000_000_000 + Math.floor(i / 3)}-${i % 3}`, ...fields]);
    }
    script.push(['XADD', 'plain', '*', 'name', 'a'.repeat(100), 'n', 'b'.repeat(5000)]);
    script.push(['XADD', 'plain', '*', 'name', 'c'.repeat(70), 'n', '1']);
    await run(script);
    const s = await throughOurCodec('plain', true);
    expect(s.length).toBe(262);
  });

  it('nodes cut by stream-node-max-bytes', async () => {
    const next = rng(7);
    try {
      for (const [bytes, entries] of [
        [200, 0],
        [700, 5],
        [1, 100],
      ]) {
        await ok('CONFIG', 'SET', 'stream-node-max-bytes', bytes);
        await ok('CONFIG', 'SET', 'stream-node-max-entries', entries);
        const script: Cmd[] = [['DEL', 'bybytes']];
        for (let i = 0; i < 150; i++) {
          const f = next() < 0.7 ? ['k', 'v'.repeat(Math.floor(next() * 120))] : ['k', 'v', 'k2', String(Math.floor(next() * 1e6))];
          script.push(['XADD', 'bybytes', '*', ...f]);
        }
        await run(script);
        await throughOurCodec('bybytes', true);
      }
    } finally {
      await ok('CONFIG', 'SET', 'stream-node-max-bytes', 4096);
      await ok('CONFIG', 'SET', 'stream-node-max-entries', 100);
    }
  });

  it('XADD with MAXLEN ~ (whole nodes trimmed) and XTRIM MINID ~', async () => {
    const script: Cmd[] = [['DEL', 'capped']];
    for (let i = 1; i <= 520; i++) script.push(['XADD', 'capped', 'MAXLEN', '~', 150, `${i}-1`, 'f', String(i)]);
    script.push(['XTRIM', 'capped', 'MINID', '~', '430']);
    await run(script);
    const s = await throughOurCodec('capped', true);
    expect(s.entriesAdded).toBe(520);
    expect(s.length).toBeLessThan(150);
    // Trimming, unlike XDEL, leaves no tombstone ID.
    expect(s.maxDeletedId).toBe(0n);
  });

  it('the largest IDs and millisecond deltas beyond int64', async () => {
    await run([
      ['DEL', 'huge'],
      ['XADD', 'huge', '0-1', 'f', 'v'],
      ['XADD', 'huge', '1-0', 'f', 'v'],
      ['XADD', 'huge', '9223372036854775808-5', 'f', 'v'],
      ['XADD', 'huge', '18446744073709551615-18446744073709551614', 'f', 'v'],
      ['XADD', 'huge', '18446744073709551615-18446744073709551615', 'g', 'w'],
      ['XGROUP', 'CREATE', 'huge', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'huge', '>'],
    ]);
    const s = await throughOurCodec('huge', true);
    expect(s.lastId).toBe((1n << 128n) - 1n);
  });

  it('consumer groups: PELs, consumers with and without pending entries, acks, claims, entries read', async () => {
    const script: Cmd[] = [['DEL', 'groups']];
    for (let i = 1; i <= 30; i++) script.push(['XADD', 'groups', `${i}-0`, 'f', String(i)]);
    script.push(
      ['XGROUP', 'CREATE', 'groups', 'g1', '0'],
      ['XGROUP', 'CREATE', 'groups', 'g2', '$'],
      ['XGROUP', 'CREATE', 'groups', 'a-first', '5-0'],
      ['XGROUP', 'CREATE', 'groups', '123', '0', 'ENTRIESREAD', '0'],
      ['XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', 5, 'STREAMS', 'groups', '>'],
      ['XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', 3, 'STREAMS', 'groups', '>'],
      ['XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', 3, 'STREAMS', 'groups', '0'],
      ['XACK', 'groups', 'g1', '2-0', '7-0'],
      ['XCLAIM', 'groups', 'g1', 'carol', 0, '3-0', '8-0'],
      ['XGROUP', 'CREATECONSUMER', 'groups', 'g1', 'dave'],
      ['XGROUP', 'CREATECONSUMER', 'groups', 'g1', '42'],
      ['XREADGROUP', 'GROUP', 'a-first', 'zed', 'STREAMS', 'groups', '>'],
      ['XREADGROUP', 'GROUP', '123', 'x', 'NOACK', 'COUNT', 2, 'STREAMS', 'groups', '>'],
      ['XADD', 'groups', '31-0', 'f', '31'],
      ['XREADGROUP', 'GROUP', 'g2', 'erin', 'STREAMS', 'groups', '>'],
      ['XGROUP', 'SETID', 'groups', 'g2', '10-0', 'ENTRIESREAD', '10'],
    );
    await run(script);
    const s = await throughOurCodec('groups', true);
    expect([...s.groups.keys()]).toEqual(['123', 'a-first', 'g1', 'g2']);
    expect([...s.groups.get('g1')!.consumers.keys()]).toEqual(['42', 'alice', 'bob', 'carol', 'dave']);
  });

  it('empty streams: created by MKSTREAM, emptied by XDEL, and XSETID counters', async () => {
    await run([
      ['DEL', 'mk', 'emptied', 'setid'],
      ['XGROUP', 'CREATE', 'mk', 'g', '$', 'MKSTREAM'],
      ['XADD', 'emptied', '5-5', 'a', '1'],
      ['XADD', 'emptied', '6-0', 'a', '2'],
      ['XGROUP', 'CREATE', 'emptied', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'emptied', '>'],
      ['XDEL', 'emptied', '5-5', '6-0'],
      ['XADD', 'setid', '1-1', 'a', '1'],
      ['XSETID', 'setid', '99999-3', 'ENTRIESADDED', 1000, 'MAXDELETEDID', '50-0'],
    ]);
    expect((await throughOurCodec('mk', true)).length).toBe(0);
    const emptied = await throughOurCodec('emptied', true);
    expect(emptied.length).toBe(0);
    expect(emptied.groups.get('g')!.pending.size).toBe(2);
    expect((await throughOurCodec('setid', true)).entriesAdded).toBe(1000);
  });
});

describe('streams with entries deleted inside nodes: the same stream, our own node layout', () => {
  it('XDEL in the middle and at the head of nodes', async () => {
    const script: Cmd[] = [['DEL', 'holes']];
    for (let i = 1; i <= 230; i++) script.push(['XADD', 'holes', `${i}-0`, 'f', String(i), ...(i % 4 === 0 ? ['g', 'x'] : [])]);
    script.push(['XDEL', 'holes', '1-0', '2-0', '50-0', '101-0', '150-0', '230-0']);
    script.push(['XGROUP', 'CREATE', 'holes', 'g', '0'], ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', 10, 'STREAMS', 'holes', '>']);
    await run(script);
    const s = await throughOurCodec('holes', false);
    expect(s.length).toBe(224);
    expect(s.maxDeletedId).toBe(230n << 64n);
  });

  it('exact XTRIM, which flags entries deleted in the first node', async () => {
    const script: Cmd[] = [['DEL', 'trimmed']];
    for (let i = 1; i <= 250; i++) script.push(['XADD', 'trimmed', '*', 'f', String(i)]);
    script.push(['XTRIM', 'trimmed', 'MAXLEN', 130]);
    await run(script);
    expect((await throughOurCodec('trimmed', false)).length).toBe(130);
  });

  it('random XADD / XDEL / XTRIM / group scripts', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const next = rng(seed);
      const script: Cmd[] = [['DEL', 'rnd'], ['XGROUP', 'CREATE', 'rnd', 'g', '$', 'MKSTREAM']];
      let ms = 1;
      for (let i = 0; i < 400; i++) {
        const r = next();
        if (r < 0.7) {
          ms += Math.floor(next() * 3);
          const fields = next() < 0.5 ? ['a', String(i)] : ['a', 'x'.repeat(Math.floor(next() * 300)), 'b', String(-i)];
          script.push(['XADD', 'rnd', `${ms}-*`, ...fields]);
        } else if (r < 0.85) {
          script.push(['XDEL', 'rnd', `${Math.floor(next() * ms) + 1}-0`]);
        } else if (r < 0.9) {
          script.push(['XTRIM', 'rnd', 'MAXLEN', next() < 0.5 ? '~' : '=', 100 + Math.floor(next() * 100)]);
        } else {
          script.push(['XREADGROUP', 'GROUP', 'g', `c${Math.floor(next() * 3)}`, 'COUNT', 3, 'STREAMS', 'rnd', '>']);
        }
      }
      await run(script);
      await throughOurCodec('rnd', false);
    }
  });
});

/** Streams of every shape, built on stock: key -> whether Redis's nodes are XADD's alone (no tombstones). */
async function buildVariety(prefix: string): Promise<Map<string, boolean>> {
  const k = (name: string): string => `${prefix}:${name}`;
  const script: Cmd[] = [['DEL', k('plain'), k('groups'), k('huge'), k('holes'), k('empty'), k('setid')]];
  for (let i = 1; i <= 230; i++) {
    script.push(['XADD', k('plain'), `${1000 + i}-${i % 4}`, 'name', INT_LIKE[i % INT_LIKE.length], ...(i % 9 === 0 ? ['more', 'x'.repeat(i)] : ['n', String(i)])]);
    script.push(['XADD', k('holes'), `${i}-0`, 'f', String(i)]);
  }
  script.push(['XDEL', k('holes'), '1-0', '77-0', '101-0', '102-0', '230-0']);
  for (let i = 1; i <= 12; i++) script.push(['XADD', k('groups'), `${i}-1`, 'f', String(i)]);
  script.push(
    ['XGROUP', 'CREATE', k('groups'), 'g1', '0'],
    ['XGROUP', 'CREATE', k('groups'), 'g0', '$'],
    ['XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', 4, 'STREAMS', k('groups'), '>'],
    ['XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', 2, 'STREAMS', k('groups'), '>'],
    ['XACK', k('groups'), 'g1', '2-1'],
    ['XCLAIM', k('groups'), 'g1', 'carol', 0, '3-1'],
    ['XGROUP', 'CREATECONSUMER', k('groups'), 'g1', 'dave'],
    ['XGROUP', 'CREATE', k('holes'), 'h', '50-0'],
    ['XREADGROUP', 'GROUP', 'h', 'c', 'COUNT', 5, 'STREAMS', k('holes'), '>'],
    ['XADD', k('huge'), '1-1', 'f', 'v'],
    ['XADD', k('huge'), '18446744073709551615-18446744073709551615', 'f', 'w'],
    ['XGROUP', 'CREATE', k('empty'), 'g', '$', 'MKSTREAM'],
    ['XADD', k('setid'), '5-0', 'a', 'b'],
    ['XSETID', k('setid'), '900-0', 'ENTRIESADDED', 77, 'MAXDELETEDID', '7-0'],
  );
  await run(script);
  return new Map([
    [k('plain'), true],
    [k('groups'), true],
    [k('huge'), true],
    [k('holes'), false],
    [k('empty'), true],
    [k('setid'), true],
  ]);
}

describe('our server and a stock redis-server exchange streams', { timeout: 60_000 }, () => {
  let ours: ServerProcess;
  let oc: RespConnection;
  const extra: Array<() => Promise<unknown> | void> = [];

  beforeAll(async () => {
    ours = await startServer();
    oc = await RespConnection.tcp(ours.port);
  });
  afterAll(async () => {
    for (const f of extra.reverse()) await f();
    oc?.close();
    await ours?.stop();
  });

  /** Copies `key` from stock to our server with DUMP / RESTORE. */
  async function stockToOurs(key: string, conn = oc): Promise<void> {
    const payload = (await ok('DUMP', key)) as string;
    await okOn(conn, 'DEL', key);
    expect(await okOn(conn, 'RESTORE', key, 0, payload)).toEqual(new SimpleString('OK'));
  }

  it('RESTOREs stock DUMPs and answers XINFO STREAM FULL, XINFO GROUPS and XRANGE as stock does', async () => {
    for (const [key, xaddOnly] of await buildVariety('in')) {
      await stockToOurs(key);
      // Our layout drops tombstones, so a stream with entries deleted inside nodes may count its nodes differently.
      expect(await observe(key, xaddOnly, oc)).toEqual(await observe(key, xaddOnly));
    }
  });

  it('DUMPs streams that stock RESTOREs unchanged', async () => {
    for (const [key, xaddOnly] of await buildVariety('out')) {
      await stockToOurs(key);
      const payload = (await okOn(oc, 'DUMP', key)) as string;
      await ok('DEL', `${key}:back`);
      expect(await ok('RESTORE', `${key}:back`, 0, payload)).toEqual(new SimpleString('OK'));
      expect(await observe(`${key}:back`, xaddOnly)).toEqual(await observe(key, xaddOnly));
    }
  });

  it('DUMPs a stream built by the same XADDs byte for byte as stock, under any node limits', async () => {
    try {
      for (const [bytes, entries] of [
        [4096, 100],
        [300, 7],
      ]) {
        const script: Cmd[] = [
          ['CONFIG', 'SET', 'rdbcompression', 'no'],
          ['CONFIG', 'SET', 'stream-node-max-bytes', bytes],
          ['CONFIG', 'SET', 'stream-node-max-entries', entries],
          ['DEL', 'same'],
        ];
        for (let i = 1; i <= 180; i++) {
          script.push(['XADD', 'same', `${i * 3}-${i % 2}`, 'k', i % 5 === 0 ? 'v'.repeat(i) : String(i * 31), ...(i % 7 === 0 ? ['x', '-1'] : [])]);
        }
        // Approximate trimming drops whole nodes only; XDEL would leave tombstones in Redis's nodes.
        script.push(['XTRIM', 'same', 'MAXLEN', '~', 120]);
        await Promise.all([run(script), run(script, oc)]);
        expect(await okOn(oc, 'DUMP', 'same')).toBe(await ok('DUMP', 'same'));
        expect(await observe('same', true, oc)).toEqual(await observe('same', true));
      }
    } finally {
      const reset: Cmd[] = [
        ['CONFIG', 'SET', 'rdbcompression', 'yes'],
        ['CONFIG', 'SET', 'stream-node-max-bytes', 4096],
        ['CONFIG', 'SET', 'stream-node-max-entries', 100],
      ];
      await Promise.all([run(reset), run(reset, oc)]);
    }
  });

  it('keeps streams across SAVE and a restart, in a file stock redis-server loads', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stream-rdb-'));
    extra.push(() => rmSync(dir, { recursive: true, force: true }));
    const args = ['--dir', dir];
    const first = await startServer(args);
    const fc = await RespConnection.tcp(first.port);
    const keys = await buildVariety('saved');
    for (const key of keys.keys()) await stockToOurs(key, fc);
    const before = new Map<string, Reply[]>();
    for (const [key, xaddOnly] of keys) before.set(key, await observe(key, xaddOnly, fc));
    expect(await okOn(fc, 'SAVE')).toEqual(new SimpleString('OK'));
    fc.close();
    await first.stop();
    // redis-check-rdb validates every stream listpack deeply (streamValidateListpackIntegrity).
    const check = await runProcess('redis-check-rdb', [path.join(dir, 'dump.rdb')]);
    expect(check.stdout + check.stderr).toContain('RDB looks OK');

    const again = await startServer(args);
    extra.push(() => again.stop());
    const ac = await RespConnection.tcp(again.port);
    extra.push(() => ac.close());
    const loaded = await startStockRedis(['--dir', dir, '--dbfilename', 'dump.rdb']);
    extra.push(() => loaded.stop());
    const lc = await RespConnection.tcp(loaded.port);
    extra.push(() => lc.close());
    // Redis accepts connections while it loads, answering -LOADING until done.
    await waitFor(async () => !((await lc.call('PING')) instanceof ErrorReply), 10_000, 'stock to load our file');
    for (const [key, xaddOnly] of keys) {
      expect(await observe(key, xaddOnly, ac)).toEqual(before.get(key));
      // Stock loads our nodes as they are, so it counts the same nodes as we do.
      expect(await observe(key, true, lc)).toEqual(await observe(key, true, ac));
    }
  });

  it('a stock replica of our master receives streams by full sync and then follows XADD and XDEL', async () => {
    const keys = await buildVariety('sync');
    for (const key of keys.keys()) await stockToOurs(key);
    const replica = await startStockRedis(['--replicaof', '127.0.0.1', String(ours.port)]);
    extra.push(() => replica.stop());
    const rc = await RespConnection.tcp(replica.port);
    extra.push(() => rc.close());
    await converged(oc, rc);
    for (const key of keys.keys()) expect(await observe(key, true, rc)).toEqual(await observe(key, true, oc));

    const more: Cmd[] = [];
    for (let i = 0; i < 150; i++) more.push(['XADD', 'sync:plain', '*', 'name', String(i)]);
    more.push(['XDEL', 'sync:plain', '1001-1'], ['XADD', 'sync:holes', 'MAXLEN', '~', 100, '*', 'f', 'new']);
    await run(more, oc);
    await converged(oc, rc);
    for (const key of keys.keys()) expect(await observe(key, true, rc)).toEqual(await observe(key, true, oc));
  });
});
