import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, openPage, serveSdk, type SdkSite } from './browser-harness.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { RespConnection } from '../helpers/resp-connection.js';

let site: SdkSite; let browser: Browser; let master: ServerProcess;
beforeAll(async () => {
  [site, browser, master] = await Promise.all([serveSdk(), launchChromium(), startServer()]);
});
afterAll(async () => { await browser?.close(); await site?.close(); await master?.stop(); });

test('smoke', async () => {
  const ctx = await browser.newContext();
  const page = await openPage(ctx, site);
  page.on('console', (m) => console.log('[console]', m.text()));
  const conn = await RespConnection.tcp(master.port);
  await conn.call('SET', 'a', '1');
  const url = `ws://127.0.0.1:${master.httpPort}/`;
  const st = await page.evaluate(async (url) => {
    const w = window as any;
    w.r = await w.sdk.openReplica({ url, name: 'x', log: (l: string, m: string) => console.log(l, m) });
    return w.r.status();
  }, url);
  console.log(st);
  await page.waitForFunction(() => (window as any).r.get('a') === '1', undefined, { timeout: 10000 });
  const res = await page.evaluate(async () => { const r = (window as any).r; const v = await r.command(['SET', 'b', 'héllo']); return [v, r.get('b'), r.status()]; });
  console.log(res);
  expect(res[1]).toBe('héllo');
});
