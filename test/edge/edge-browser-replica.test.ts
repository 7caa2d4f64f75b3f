import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utf8ToBinary } from '../../shared/bytes.js';
import { readDataset, writeEveryType } from '../helpers/dataset.js';
import type { RespConnection } from '../helpers/resp-connection.js';
import { requireChromium, launchChromium, openPage, reloadPage, serveSdk, type SdkSite } from '../browser/browser-harness.js';
import { edgeClient, infoOf, must, postJson } from './helpers/edge-clients.js';
import { startEdge, type EdgeProcess } from './helpers/edge-process.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- page.evaluate bodies run in the page, on window globals */

requireChromium();
const STORE = 'browser';

/** Opens the SDK's replica of the edge store in the page (window.r). */
async function openReplicaIn(page: Page, url: string, secret: string): Promise<void> {
  await page.evaluate(
    async ([url, secret]) => {
      const w = window as any;
      w.r = await w.sdk.openReplica({ url, name: 'edge', auth: secret, lagPollMs: 200 });
    },
    [url, secret] as const,
  );
}

const image = (page: Page): Promise<any> => page.evaluate(() => (window as any).image((window as any).r));

/** Waits until the page's replica is linked and has applied at least the edge's current offset. */
async function caughtUp(page: Page, c: RespConnection): Promise<void> {
  const offset = Number((await infoOf(c)).master_repl_offset);
  await page.waitForFunction(
    (o) => {
      const s = (window as any).r.status();
      return s.link === 'up' && s.offset >= o;
    },
    offset,
    { timeout: 20_000, polling: 50 },
  );
}

describe('a browser replica (the SDK in Chromium) of the edge master', () => {
  let edge: EdgeProcess;
  let site: SdkSite;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    [edge, site, browser] = await Promise.all([startEdge(), serveSdk(), launchChromium()]);
    context = await browser.newContext();
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await site?.close();
    await edge?.stop();
  });

  it(
    'full-syncs, follows writes, resumes partially after a cut, after the edge restarts and after a page reload',
    async () => {
      let c = await edgeClient(edge, STORE);
      await writeEveryType(c, 30, 51);
      const page = await openPage(context, site);
      await openReplicaIn(page, edge.wsUrl(STORE), edge.secret);
      await caughtUp(page, c);
      expect(await image(page)).toEqual(await readDataset(c));
      expect((await infoOf(c, 'stats')).sync_full).toBe('1');

      // Streamed writes from a WebSocket client, an HTTP caller and the page itself (through the edge).
      await writeEveryType(c, 20, 52);
      await postJson(edge, STORE, ['SET', 'http', 'héllo']);
      expect(await page.evaluate(() => (window as any).r.command(['SET', 'from:page', 'hi']))).toBe('OK');
      await caughtUp(page, c);
      expect(await image(page)).toEqual(await readDataset(c));
      expect(await page.evaluate(() => (window as any).r.get('http'))).toBe('héllo');
      expect(await c.call('GET', 'from:page')).toBe('hi');

      // The link is cut: the replica comes back with +CONTINUE.
      expect(await c.call('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1);
      await writeEveryType(c, 10, 53);
      await caughtUp(page, c);
      expect((await infoOf(c, 'stats')).sync_partial_ok).toBe('1');
      expect(await image(page)).toEqual(await readDataset(c));

      // The edge restarts: the object reloads its history and the replica continues it.
      c.close();
      await edge.restart();
      c = await edgeClient(edge, STORE);
      await must(c, 'SET', 'after:restart', utf8ToBinary('✓'));
      await caughtUp(page, c);
      const stats = await infoOf(c, 'stats');
      expect([stats.sync_full, stats.sync_partial_ok]).toEqual(['0', '1']);
      expect(await image(page)).toEqual(await readDataset(c));

      // The page goes away and comes back: from IndexedDB, it asks only for what it missed.
      await page.evaluate(() => (window as any).r.close());
      await writeEveryType(c, 10, 54);
      await reloadPage(page);
      await openReplicaIn(page, edge.wsUrl(STORE), edge.secret);
      await caughtUp(page, c);
      expect((await infoOf(c, 'stats')).sync_partial_ok).toBe('2');
      expect((await infoOf(c, 'stats')).sync_full).toBe('0');
      expect(await image(page)).toEqual(await readDataset(c));
      await page.evaluate(() => (window as any).r.close());
      c.close();
    },
    120_000,
  );
});
