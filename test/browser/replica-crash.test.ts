import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RespConnection } from '../helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from '../helpers/server-process.js';
import { requireChromium, info, launchChromium, masterOffset, openPage, pipeline, serveSdk, type SdkSite } from './browser-harness.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- page.evaluate bodies run in the page, on window globals */

requireChromium();

/** `*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n`: every INCR of the burst adds exactly this many bytes to the stream. */
const INCR_BYTES = 27;
const BURST = 300_000;

describe('browser replica: a tab killed while applying a large stream', { timeout: 90_000 }, () => {
  let site: SdkSite;
  let browser: Browser;
  let master: ServerProcess;

  beforeAll(async () => {
    [site, browser, master] = await Promise.all([
      serveSdk(),
      launchChromium(),
      startServer(['--repl-backlog-size', '64mb', '--repl-ping-replica-period', '3600']),
    ]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await master?.stop();
  });

  test('reopens exactly at a stored offset (data and offset agree) and resumes with a partial resync', async () => {
    const url = `ws://127.0.0.1:${master.httpPort}/`;
    const mconn = await RespConnection.tcp(master.port);
    await mconn.call('SET', 'warm', '1');
    const context = await browser.newContext();
    const page = await openPage(context, site);
    await page.evaluate(async (url) => {
      const w = window as any;
      w.r = await w.sdk.openReplica({ url, name: 'crash' });
    }, url);
    await page.waitForFunction(() => (window as any).r.status().link === 'up', undefined, { timeout: 15_000 });
    await mconn.call('SET', 'warm', '2');
    let base = 0;
    await waitFor(async () => {
      base = await masterOffset(master.port);
      return (await page.evaluate(() => (window as any).r.status().persistedOffset)) === base;
    }, 15_000, 'the warm-up write stored');

    // A slow tab (CPU throttled) receives a large stream of INCRs: kill its renderer while the stored offset
    // is somewhere in the middle.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 6 });
    const burst = pipeline(master.port, Array.from({ length: BURST }, () => ['INCR', 'counter']));
    let end = base + BURST * INCR_BYTES;
    let killedAt = -1;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      const stored = await page.evaluate(() => (window as any).r.status().persistedOffset as number);
      if (stored > base + (end - base) * 0.05) {
        killedAt = stored;
        break;
      }
    }
    const crashed = page.waitForEvent('crash');
    void cdp.send('Page.crash').catch(() => {});
    await crashed;
    expect(killedAt).toBeGreaterThan(base);
    await burst;
    // The burst may start with a SELECT and the master's first heartbeat PING; after them, only INCRs.
    end = await masterOffset(master.port);
    expect(end - base).toBeGreaterThanOrEqual(BURST * INCR_BYTES);
    expect(end - base).toBeLessThanOrEqual(BURST * INCR_BYTES + 37);
    const partialBefore = Number((await info(master.port)).sync_partial_ok);

    // A new tab of the same origin: what it loads is one consistent point of the stream.
    const again = await openPage(context, site);
    const reopened = await again.evaluate(async (url) => {
      const w = window as any;
      w.r = await w.sdk.openReplica({ url, name: 'crash' });
      return { counter: w.r.get('counter'), warm: w.r.get('warm'), status: w.r.status() };
    }, url);
    const counter = Number(reopened.counter ?? 0);
    expect(reopened.warm).toBe('2');
    expect(reopened.status.offset).toBe(end - (BURST - counter) * INCR_BYTES);
    expect(reopened.status.persistedOffset).toBe(reopened.status.offset);
    // Killed in the middle: some of the burst was stored, not all of it.
    expect(counter).toBeGreaterThan(0);
    expect(counter).toBeLessThan(BURST);

    // It resumes where its store ends, partially.
    await again.waitForFunction((o) => (window as any).r.status().offset === o, end, { timeout: 30_000 });
    expect(await again.evaluate(() => (window as any).r.get('counter'))).toBe(String(BURST));
    const after = await info(master.port);
    expect(Number(after.sync_partial_ok)).toBe(partialBefore + 1);
    expect(after.sync_full).toBe('1');
    mconn.close();
    await context.close();
  });
});
