import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { binaryToUtf8, utf8ToBinary } from '../../shared/bytes.js';
import { ErrorReply, type Reply } from '../../shared/resp/reply.js';
import { RespConnection } from '../helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from '../helpers/server-process.js';
import { requireChromium, info, launchChromium, masterOffset, openPage, reloadPage, serveSdk, type SdkSite } from './browser-harness.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- page.evaluate bodies run in the page, on window globals */

requireChromium();

/** A master reply as the SDK gives it: strings decoded from UTF-8, errors as their message. */
function text(r: Reply): unknown {
  if (typeof r === 'string') return binaryToUtf8(r);
  if (Array.isArray(r)) return r.map(text);
  if (r instanceof ErrorReply) return { error: r.message };
  return r;
}

describe('browser replica: reads, writes, subscriptions, status', { timeout: 90_000 }, () => {
  let site: SdkSite;
  let browser: Browser;
  let master: ServerProcess;
  let mconn: RespConnection;
  let context: BrowserContext;
  let page: Page;
  let url: string;

  /** Runs a command on the master with UTF-8 arguments. */
  const m = (...args: Array<string | number>) => mconn.call(...args.map((a) => (typeof a === 'string' ? utf8ToBinary(a) : a)));

  beforeAll(async () => {
    [site, browser, master] = await Promise.all([serveSdk(), launchChromium(), startServer(['--repl-ping-replica-period', '3600'])]);
    mconn = await RespConnection.tcp(master.port);
    url = `ws://127.0.0.1:${master.httpPort}/`;
    context = await browser.newContext();
    page = await openPage(context, site);
    await page.evaluate(async (url) => {
      const w = window as any;
      w.r = await w.sdk.openReplica({ url, name: 'api', lagPollMs: 100 });
    }, url);
  }, 60_000);
  afterAll(async () => {
    mconn?.close();
    await browser?.close();
    await site?.close();
    await master?.stop();
  });

  async function synced(): Promise<void> {
    const o = await masterOffset(master.port);
    await page.waitForFunction((o) => (window as any).r.status().offset >= o && (window as any).r.status().link === 'up', o, { timeout: 15_000 });
  }

  test('typed reads answer as the master does for the same commands, with text decoded from UTF-8', async () => {
    await m('SET', 'str', 'héllo wörld ✓');
    await m('SET', 'n', '42');
    await m('HSET', 'h', 'f1', 'v1', 'fé', 'vé');
    await m('RPUSH', 'l', 'a', 'b', 'c', 'd');
    await m('SADD', 's', 'x', 'y', 'z');
    await m('ZADD', 'z', '1', 'one', '2', 'two', '2.5', 'two.5', 'inf', 'top', '0', 'a', '0', 'b', '0', 'c');
    for (let i = 0; i < 30; i++) await m('SET', `scan:${i}`, i);
    await synced();

    const got = await page.evaluate(() => {
      const r = (window as any).r;
      const scanned: string[] = [];
      let cursor = '0';
      do {
        const step = r.scan(cursor, { match: 'scan:1*', count: 5 });
        scanned.push(...step.keys);
        cursor = step.cursor;
      } while (cursor !== '0');
      let wrongType = '';
      try {
        r.hget('str', 'f');
      } catch (e) {
        wrongType = `${(e as Error).name}: ${(e as Error).message}`;
      }
      return {
        get: r.get('str'),
        missing: r.get('nope'),
        mget: r.mget('str', 'nope', 'n'),
        exists: r.exists('str', 'n', 'nope', 'str'),
        type: [r.type('h'), r.type('l'), r.type('s'), r.type('z'), r.type('nope')],
        ttl: [r.ttl('str'), r.pttl('nope')],
        strlen: r.strlen('str'),
        getrange: r.getrange('str', 0, 5),
        hget: r.hget('h', 'fé'),
        hmget: r.hmget('h', 'f1', 'nope'),
        hgetall: r.hgetall('h'),
        hlen: r.hlen('h'),
        hexists: [r.hexists('h', 'f1'), r.hexists('h', 'nope')],
        hkeys: r.hkeys('h').sort(),
        hvals: r.hvals('h').sort(),
        lrange: r.lrange('l', 1, -1),
        llen: r.llen('l'),
        lindex: [r.lindex('l', -1), r.lindex('l', 10)],
        smembers: r.smembers('s').sort(),
        sismember: [r.sismember('s', 'x'), r.sismember('s', 'q')],
        scard: r.scard('s'),
        zrank: r.zrange('z', 0, 2),
        zscore: r.zrange('z', '(1', '+inf', { by: 'score' }),
        zscoreLimit: r.zrange('z', '+inf', '-inf', { by: 'score', rev: true, limit: { offset: 1, count: 2 } }),
        zlex: r.zrange('z', '[a', '(c', { by: 'lex' }),
        zwith: r.zrangeWithScores('z', -2, -1),
        zscoreOf: [r.zscore('z', 'two.5'), r.zscore('z', 'top'), r.zscore('z', 'nope')],
        zrankOf: [r.zrank('z', 'two'), r.zrank('z', 'nope')],
        zcard: r.zcard('z'),
        scanned: scanned.sort(),
        keys: r.keys('scan:2*').sort(),
        wrongType,
        // Binary results keep bytes as chars: 'h' then the first byte of 'é' (0xC3).
        callRaw: r.call(['GETRANGE', 'str', 0, 1], { binary: true }),
      };
    });

    const sorted = (r: Reply) => (text(r) as string[]).sort();
    const flatToObject = (r: Reply) => {
      const a = text(r) as string[];
      const o: Record<string, string> = {};
      for (let i = 0; i < a.length; i += 2) o[a[i]] = a[i + 1];
      return o;
    };
    expect(got).toEqual({
      get: text(await m('GET', 'str')),
      missing: null,
      mget: text(await m('MGET', 'str', 'nope', 'n')),
      exists: await m('EXISTS', 'str', 'n', 'nope', 'str'),
      type: ['hash', 'list', 'set', 'zset', 'none'],
      ttl: [await m('TTL', 'str'), await m('PTTL', 'nope')],
      strlen: await m('STRLEN', 'str'),
      getrange: text(await m('GETRANGE', 'str', 0, 5)),
      hget: 'vé',
      hmget: text(await m('HMGET', 'h', 'f1', 'nope')),
      hgetall: flatToObject(await m('HGETALL', 'h')),
      hlen: 2,
      hexists: [true, false],
      hkeys: sorted(await m('HKEYS', 'h')),
      hvals: sorted(await m('HVALS', 'h')),
      lrange: text(await m('LRANGE', 'l', 1, -1)),
      llen: 4,
      lindex: ['d', null],
      smembers: ['x', 'y', 'z'],
      sismember: [true, false],
      scard: 3,
      zrank: text(await m('ZRANGE', 'z', 0, 2)),
      zscore: text(await m('ZRANGE', 'z', '(1', '+inf', 'BYSCORE')),
      zscoreLimit: text(await m('ZRANGE', 'z', '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 1, 2)),
      zlex: text(await m('ZRANGE', 'z', '[a', '(c', 'BYLEX')),
      zwith: [
        ['two.5', 2.5],
        ['top', Infinity],
      ],
      zscoreOf: [2.5, Infinity, null],
      zrankOf: [await m('ZRANK', 'z', 'two'), null],
      zcard: 7,
      scanned: sorted(await m('KEYS', 'scan:1*')),
      keys: sorted(await m('KEYS', 'scan:2*')),
      wrongType: `ReplyError: ${(text(await m('HGET', 'str', 'f')) as { error: string }).error}`,
      callRaw: 'h\u00c3',
    });
  });

  test('a key past its TTL is hidden at once, before the master deletes it', async () => {
    await m('SET', 'brief', 'v', 'PX', 300);
    await synced();
    expect(await page.evaluate(() => (window as any).r.get('brief'))).toBe('v');
    // The master sleeps: no expiry cycle, no DEL in the stream, while the TTL passes.
    const asleep = mconn.call('DEBUG', 'SLEEP', '1.5');
    const before = await page.evaluate(() => (window as any).r.status().offset);
    await page.waitForFunction(() => (window as any).r.get('brief') === null, undefined, { timeout: 5_000, polling: 20 });
    const hidden = await page.evaluate(() => {
      const r = (window as any).r;
      return { offset: r.status().offset, exists: r.exists('brief'), pttl: r.pttl('brief'), type: r.type('brief'), keys: r.keys('brief') };
    });
    expect(hidden).toEqual({ offset: before, exists: 0, pttl: -2, type: 'none', keys: [] });
    await asleep;
  });

  test('subscriptions hear keys and patterns once per change, null for everything, and stop when unsubscribed', async () => {
    await page.evaluate(() => {
      const w = window as any;
      w.events = { exact: [], pattern: [] };
      w.stopExact = w.r.subscribe('user:1', (k: string | null) => w.events.exact.push(k));
      w.r.subscribe('user:*', (k: string | null) => w.events.pattern.push(k));
    });
    await m('SET', 'user:1', 'ann');
    await m('HSET', 'user:2', 'name', 'bob');
    await m('SET', 'other', 'x');
    await synced();
    expect(await page.evaluate(() => (window as any).events)).toEqual({ exact: ['user:1'], pattern: ['user:1', 'user:2'] });
    await page.evaluate(() => (window as any).stopExact());
    await m('DEL', 'user:1');
    await m('FLUSHDB');
    await synced();
    expect(await page.evaluate(() => (window as any).events)).toEqual({ exact: ['user:1'], pattern: ['user:1', 'user:2', 'user:1', null] });
  });

  test('command() resolves only once the write is readable here; error replies reject; call() refuses writes', async () => {
    const results = await page.evaluate(async () => {
      const r = (window as any).r;
      const seen = await Promise.all(
        Array.from({ length: 40 }, async () => {
          const n = (await r.command(['INCR', 'ryw'])) as number;
          return Number(r.get('ryw')) >= n;
        }),
      );
      const errors: string[] = [];
      try {
        await r.command(['LPUSH', 'ryw', 'x']);
      } catch (e) {
        errors.push(`${(e as Error).name}: ${(e as Error).message}`);
      }
      try {
        r.call(['SET', 'local', '1']);
      } catch (e) {
        errors.push((e as Error).message);
      }
      return { seen, final: r.get('ryw'), errors, hset: await r.command(['HSET', 'rh', 'k', 'ü']), read: r.hget('rh', 'k') };
    });
    expect(results.seen).toEqual(Array(40).fill(true));
    expect(results.final).toBe('40');
    expect(results.errors).toEqual([
      'ReplyError: WRONGTYPE Operation against a key holding the wrong kind of value',
      "ERR 'set' is not a read-only command: send writes to the master with command()",
    ]);
    expect(results.hset).toBe(1);
    expect(results.read).toBe('ü');
    expect(binaryToUtf8((await mconn.call('HGET', 'rh', 'k')) as string)).toBe('ü');
  });

  test('status reports link, offset and lag; the master sees the replica ACK its offset', async () => {
    await m('SET', 'status', '1');
    await synced();
    const offset = await masterOffset(master.port);
    await page.waitForFunction((o) => {
      const s = (window as any).r.status();
      return s.masterOffset === o && s.lagBytes === 0;
    }, offset, { timeout: 10_000 });
    const s = await page.evaluate(() => (window as any).r.status());
    expect(s).toMatchObject({ link: 'up', role: 'leader', offset, lagBytes: 0, sync: null, storage: 'indexeddb', storageError: null });
    expect(s.lastIoSeconds).toBeGreaterThanOrEqual(0);
    // REPLCONF ACK about once a second: the master's INFO shows this replica's offset and lag.
    await waitFor(async () => (await info(master.port)).slave0?.includes(`offset=${offset},`) ?? false, 5_000, 'an ACK of the offset');
    expect((await info(master.port)).slave0).toMatch(/state=online,offset=\d+,lag=[01]$/);
  });

  test('status changes are events: the link comes up, and goes down when the master stops', async () => {
    const dedicated = await startServer();
    try {
      const p = await openPage(context, site);
      await p.evaluate(async (url) => {
        const w = window as any;
        w.r = await w.sdk.openReplica({ url, name: 'events' });
        w.links = [];
        w.r.onStatus((s: any) => {
          if (w.links[w.links.length - 1] !== s.link) w.links.push(s.link);
        });
      }, `ws://127.0.0.1:${dedicated.httpPort}/`);
      await p.waitForFunction(() => (window as any).r.status().link === 'up', undefined, { timeout: 15_000 });
      await dedicated.stop();
      await p.waitForFunction(() => (window as any).links.includes('down'), undefined, { timeout: 15_000 });
      const links = await p.evaluate(() => (window as any).links as string[]);
      expect(links[links.length - 1]).toBe('down');
      expect(links).toContain('up');
      await p.close();
    } finally {
      await dedicated.stop();
    }
  });

  test('a store deleted under the page is reopened and written again; a reload still finds the data', async () => {
    await m('SET', 'survivor', 'yes');
    await synced();
    await page.evaluate(async () => {
      await new Promise<void>((resolve, reject) => {
        const req = indexedDB.deleteDatabase('redis-replica:api');
        req.onsuccess = () => resolve();
        req.onerror = () => reject(req.error);
      });
    });
    const offset = await masterOffset(master.port);
    // The replica notices, reopens, and stores its whole dataset again.
    await page.waitForFunction(
      (o) => {
        const s = (window as any).r.status();
        return s.storageError === null && s.persistedOffset === o;
      },
      offset,
      { timeout: 15_000 },
    );
    await page.waitForFunction(() => (window as any).r.debug.persister.snapshots >= 2, undefined, { timeout: 15_000 });
    await reloadPage(page);
    const reloaded = await page.evaluate(async (url) => {
      const w = window as any;
      w.r = await w.sdk.openReplica({ url, name: 'api', lagPollMs: 100 });
      return { survivor: w.r.get('survivor'), offset: w.r.status().offset };
    }, url);
    expect(reloaded).toEqual({ survivor: 'yes', offset });
  });

  test('QuotaExceededError: replication goes on in memory, the error shows in status, and storage recovers when space returns', async () => {
    // A fresh origin partition whose quota is 1 MB from its first use (Chromium applies the override then).
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    const cdp = await ctx.newCDPSession(p);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: site.origin, quotaSize: 1024 * 1024 });
    await p.goto(`${site.origin}/index.html`);
    await p.waitForFunction(() => (window as any).sdkReady === true);
    const open = () =>
      p.evaluate(async (url) => {
        const w = window as any;
        w.r = await w.sdk.openReplica({ url, name: 'quota' });
        return { q: w.r.strlen('quota:7'), d: w.r.get('during-quota'), offset: w.r.status().offset };
      }, url);
    await open();
    await p.waitForFunction(() => (window as any).r.status().link === 'up', undefined, { timeout: 15_000 });
    // Random bytes: IndexedDB compresses what it stores, so repetitive values would fit any quota.
    for (let i = 0; i < 8; i++) await mconn.call('SET', `quota:${i}`, randomBytes(200_000).toString('latin1'));
    await p.waitForFunction(() => /QuotaExceededError/.test((window as any).r.status().storageError ?? ''), undefined, { timeout: 15_000 });
    await m('SET', 'during-quota', 'still replicating');
    const offset = await masterOffset(master.port);
    await p.waitForFunction((o) => (window as any).r.status().offset === o, offset, { timeout: 10_000 });
    const during = await p.evaluate(() => {
      const r = (window as any).r;
      return { q: r.strlen('quota:7'), d: r.get('during-quota'), stored: r.status().persistedOffset, offset: r.status().offset };
    });
    expect(during.q).toBe(200_000);
    expect(during.d).toBe('still replicating');
    expect(during.stored).toBeLessThan(during.offset);

    // Space returns: the next attempt stores the whole dataset, and a reload finds it.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: site.origin });
    await p.waitForFunction(
      (o) => {
        const s = (window as any).r.status();
        return s.storageError === null && s.persistedOffset === o;
      },
      offset,
      { timeout: 20_000 },
    );
    await p.reload();
    await p.waitForFunction(() => (window as any).sdkReady === true);
    expect(await open()).toEqual({ q: 200_000, d: 'still replicating', offset });
    await ctx.close();
  });
});
