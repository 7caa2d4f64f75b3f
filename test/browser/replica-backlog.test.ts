import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readDataset, writeEveryType } from '../helpers/dataset.js';
import { RespConnection } from '../helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from '../helpers/server-process.js';
import { requireChromium, info, launchChromium, masterOffset, openPage, pipeline, reloadPage, serveSdk, type SdkSite } from './browser-harness.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- page.evaluate bodies run in the page, on window globals */

requireChromium();

describe('browser replica: a disconnect longer than the backlog covers', { timeout: 90_000 }, () => {
  let site: SdkSite;
  let browser: Browser;
  let master: ServerProcess;

  beforeAll(async () => {
    [site, browser, master] = await Promise.all([
      serveSdk(),
      launchChromium(),
      startServer(['--repl-backlog-size', '16kb', '--repl-ping-replica-period', '3600']),
    ]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await master?.stop();
  });

  test('leads to a full resync that keeps the old dataset readable until the new one is complete, then equal data, stored', async () => {
    const url = `ws://127.0.0.1:${master.httpPort}/`;
    const mconn = await RespConnection.tcp(master.port);
    await writeEveryType(mconn, 30);
    await mconn.call('SET', 'marker', 'old');
    const context = await browser.newContext();
    const page = await openPage(context, site);
    await page.evaluate(async (url) => {
      const w = window as any;
      w.r = await w.sdk.openReplica({ url, name: 'backlog' });
    }, url);
    // The master's offset stays 0 until the stream carries something (no heartbeat for an hour here, and
    // Redis's first PING comes on its own schedule, not when a replica attaches): one write after the attach.
    await waitFor(async () => (await page.evaluate(() => (window as any).r.status().link)) === 'up', 15_000, 'replica link up');
    await mconn.call('SET', 'attached', 'yes');
    await waitFor(async () => {
      const o = await masterOffset(master.port);
      return o > 0 && (await page.evaluate(() => (window as any).r.status().persistedOffset)) === o;
    }, 15_000, 'replica synced and stored');
    expect(await page.evaluate(() => (window as any).image((window as any).r))).toEqual(await readDataset(mconn));
    const left = await page.evaluate(async () => {
      const w = window as any;
      const offset = w.r.status().offset;
      await w.r.close();
      return offset;
    });

    // While the page is closed the master takes far more than its 16 KB backlog.
    await mconn.call('SET', 'marker', 'new');
    await writeEveryType(mconn, 200, 3);
    await pipeline(master.port, Array.from({ length: 20_000 }, (_, i) => ['SET', `bulk:${i}`, 'v'.repeat(100)]));
    const fullBefore = Number((await info(master.port)).sync_full);
    const errBefore = Number((await info(master.port)).sync_partial_err);
    expect((await masterOffset(master.port)) - left).toBeGreaterThan(16 * 1024);

    // Reopen in a slowed-down page; record what reads return while the snapshot is arriving.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    const opened = await page.evaluate(async (url) => {
      const w = window as any;
      w.r = await w.sdk.openReplica({ url, name: 'backlog' });
      w.duringSync = [];
      w.r.onStatus((s: any) => {
        if (s.link === 'syncing') w.duringSync.push(w.r.get('marker'));
      });
      return w.r.get('marker');
    }, url);
    expect(opened).toBe('old');
    const target = await masterOffset(master.port);
    await page.waitForFunction((o) => (window as any).r.status().offset === o && (window as any).r.status().link === 'up', target, { timeout: 30_000 });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    const during = await page.evaluate(() => (window as any).duringSync as string[]);
    expect(during.length).toBeGreaterThan(0);
    expect(new Set(during)).toEqual(new Set(['old']));
    expect(await page.evaluate(() => (window as any).r.get('marker'))).toBe('new');

    const after = await info(master.port);
    expect(Number(after.sync_full)).toBe(fullBefore + 1);
    expect(Number(after.sync_partial_err)).toBe(errBefore + 1);
    const expected = await readDataset(mconn);
    expect(await page.evaluate(() => (window as any).image((window as any).r))).toEqual(expected);

    // The new dataset was stored whole: a reload reads it before any network.
    await page.waitForFunction((o) => (window as any).r.status().persistedOffset === o, target, { timeout: 15_000 });
    await reloadPage(page);
    const reloaded = await page.evaluate(async (url) => {
      const w = window as any;
      w.r = await w.sdk.openReplica({ url, name: 'backlog' });
      return { image: w.image(w.r), offset: w.r.status().offset };
    }, url);
    expect(reloaded.offset).toBe(target);
    expect(reloaded.image).toEqual(expected);
    mconn.close();
    await context.close();
  });
});
