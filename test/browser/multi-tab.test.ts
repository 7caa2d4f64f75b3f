import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readDataset } from '../helpers/dataset.js';
import { RespConnection } from '../helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from '../helpers/server-process.js';
import { requireChromium, info, launchChromium, masterOffset, openPage, serveSdk, type SdkSite } from './browser-harness.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- page.evaluate bodies run in the page, on window globals */

requireChromium();

async function open(page: Page, url: string, name: string, extra: Record<string, unknown> = {}): Promise<void> {
  await page.evaluate(
    async ([url, name, extra]) => {
      const w = window as any;
      w.r = await w.sdk.openReplica({ url, name, ...extra });
    },
    [url, name, extra] as const,
  );
}

const status = (page: Page): Promise<any> => page.evaluate(() => (window as any).r.status());

function waitStatus(page: Page, pred: string, timeout = 15_000): Promise<unknown> {
  return page.waitForFunction(`(() => { const s = window.r.status(); return ${pred}; })()`, undefined, { timeout, polling: 20 });
}

describe('browser replica: tabs of one origin share one replica', { timeout: 90_000 }, () => {
  let site: SdkSite;
  let browser: Browser;
  let master: ServerProcess;
  let mconn: RespConnection;

  beforeAll(async () => {
    [site, browser, master] = await Promise.all([serveSdk(), launchChromium(), startServer(['--repl-ping-replica-period', '3600'])]);
    mconn = await RespConnection.tcp(master.port);
  }, 60_000);
  afterAll(async () => {
    mconn?.close();
    await browser?.close();
    await site?.close();
    await master?.stop();
  });

  test('two tabs: one socket to the master; both see updates and their own writes; closing the leader hands over without a full resync', async () => {
    const url = `ws://127.0.0.1:${master.httpPort}/`;
    await mconn.call('SET', 'shared', '0');
    const context = await browser.newContext();
    const a = await openPage(context, site);
    await open(a, url, 'tabs');
    await waitStatus(a, `s.role === 'leader' && s.link === 'up'`);
    const b = await openPage(context, site);
    await open(b, url, 'tabs');
    await waitStatus(b, `s.role === 'follower' && s.link === 'up'`);
    expect(await b.evaluate(() => (window as any).r.get('shared'))).toBe('0');

    // One replication socket: the master sees one replica; the follower never opened a link.
    expect((await info(master.port)).connected_slaves).toBe('1');
    expect(await b.evaluate(() => (window as any).r.debug.linkConnections)).toBe(0);

    // Both see the master's writes; subscribers in the follower hear them.
    await b.evaluate(() => {
      const w = window as any;
      w.heard = [];
      w.r.subscribe('shared', (k: string | null) => w.heard.push(k));
    });
    await mconn.call('SET', 'shared', '1');
    for (const p of [a, b]) await p.waitForFunction(() => (window as any).r.get('shared') === '1', undefined, { timeout: 10_000 });
    expect(await b.evaluate(() => (window as any).heard)).toEqual(['shared']);

    // A write from the follower is readable there as soon as it resolves.
    const mine = await b.evaluate(async () => {
      const r = (window as any).r;
      const reply = await r.command(['INCR', 'counter']);
      return [reply, r.get('counter')];
    });
    expect(mine).toEqual([1, '1']);
    await waitStatus(b, `s.offset === ${await masterOffset(master.port)}`);

    // The leader's tab closes: the follower takes over and continues the stream partially.
    const before = await info(master.port);
    await a.close();
    await waitStatus(b, `s.role === 'leader' && s.link === 'up'`);
    const after = await info(master.port);
    expect(after.sync_full).toBe(before.sync_full);
    expect(Number(after.sync_partial_ok)).toBe(Number(before.sync_partial_ok) + 1);
    await waitFor(async () => (await info(master.port)).connected_slaves === '1', 10_000, 'one replica left');
    // The new leader continued the stored log (appending what it had applied beyond it), no snapshot rewrite.
    expect(await b.evaluate(() => (window as any).r.debug.persister.snapshots)).toBe(0);

    await mconn.call('HSET', 'after', 'f', 'v');
    await b.waitForFunction(() => (window as any).r.hget('after', 'f') === 'v', undefined, { timeout: 10_000 });
    // The new leader stores the stream: its stored offset follows the master.
    await waitStatus(b, `s.persistedOffset === ${await masterOffset(master.port)}`);
    expect(await b.evaluate(() => (window as any).image((window as any).r))).toEqual(await readDataset(mconn));
    await context.close();
  });

  test('a leader whose page stops running (frozen: its JavaScript paused) does not stall the others: a follower steals the link and continues partially; the old leader follows when it wakes', async () => {
    const url = `ws://127.0.0.1:${master.httpPort}/`;
    const context = await browser.newContext();
    const c = await openPage(context, site);
    await open(c, url, 'frozen', { leaderTimeoutMs: 1000 });
    await waitStatus(c, `s.role === 'leader' && s.link === 'up'`);
    const d = await openPage(context, site);
    await open(d, url, 'frozen', { leaderTimeoutMs: 1000 });
    await waitStatus(d, `s.role === 'follower' && s.link === 'up'`);
    const before = await info(master.port);

    // Headless pages are always visible, which Chromium never freezes; stopping the page's JavaScript in the
    // debugger has the same effect on the replica (no timers, no messages, the lock still held).
    const cdp = await context.newCDPSession(c);
    await cdp.send('Debugger.enable');
    await cdp.send('Debugger.pause');
    await mconn.call('SET', 'while-frozen', 'yes');
    await waitStatus(d, `s.role === 'leader' && s.link === 'up'`, 20_000);
    await d.waitForFunction(() => (window as any).r.get('while-frozen') === 'yes', undefined, { timeout: 10_000 });
    const after = await info(master.port);
    expect(after.sync_full).toBe(before.sync_full);
    expect(Number(after.sync_partial_ok)).toBe(Number(before.sync_partial_ok) + 1);

    // The old leader wakes up, finds its lock taken, and follows the new one.
    await cdp.send('Debugger.resume');
    await waitStatus(c, `s.role === 'follower'`);
    await mconn.call('SET', 'after-wake', 'yes');
    await c.waitForFunction(() => (window as any).r.get('after-wake') === 'yes', undefined, { timeout: 10_000 });
    await d.waitForFunction(() => (window as any).r.get('after-wake') === 'yes', undefined, { timeout: 10_000 });
    await waitFor(async () => (await info(master.port)).connected_slaves === '1', 10_000, 'the old leader dropped its link');
    await context.close();
  });
});
