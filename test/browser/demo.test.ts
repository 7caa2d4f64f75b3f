import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoConfig } from '../../vite.config.js';
import { RespConnection } from '../helpers/resp-connection.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { requireChromium, launchChromium, staticServer } from './browser-harness.js';

requireChromium();

describe('demo page', { timeout: 90_000 }, () => {
  let dir: string;
  let server: Server;
  let browser: Browser;
  let master: ServerProcess;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'replica-demo-'));
    await build(demoConfig(dir));
    [server, browser, master] = await Promise.all([staticServer(dir), launchChromium(), startServer()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
    server?.closeAllConnections();
    await master?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('shows keys updating live with the link status and lag, and still shows them after the master stops and the page reloads', async () => {
    const mconn = await RespConnection.tcp(master.port);
    await mconn.call('SET', 'greeting', 'hello');
    await mconn.call('RPUSH', 'queue', 'a', 'b');
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${origin}/index.html?url=${encodeURIComponent(`ws://127.0.0.1:${master.httpPort}/`)}&name=demo-test`);
    await page.locator('#link', { hasText: 'up' }).waitFor({ timeout: 15_000 });
    const row = (key: string) => page.locator(`tr[data-key="${key}"] td:nth-child(3)`);
    await expect.poll(() => row('greeting').textContent(), { timeout: 10_000 }).toBe('hello');
    expect(await row('queue').textContent()).toBe('["a","b"]');
    await expect.poll(() => page.locator('#lag').textContent(), { timeout: 10_000 }).toBe('0 bytes');

    // Live: a write on the master shows up without a reload.
    await mconn.call('SET', 'greeting', 'changed');
    await mconn.call('HSET', 'user:1', 'name', 'ann');
    await expect.poll(() => row('greeting').textContent(), { timeout: 10_000 }).toBe('changed');
    await expect.poll(() => row('user:1').textContent(), { timeout: 10_000 }).toBe('{"name":"ann"}');
    await expect.poll(() => page.locator('#persisted').textContent(), { timeout: 10_000 }).toBe(await page.locator('#offset').textContent());

    // Offline: the master stops, the page reloads, the data is still shown.
    mconn.close();
    await master.stop();
    await page.reload();
    await page.locator('#link', { hasText: 'down' }).waitFor({ timeout: 15_000 });
    expect(await row('greeting').textContent()).toBe('changed');
    expect(await row('user:1').textContent()).toBe('{"name":"ann"}');
    expect(await page.locator('#count').textContent()).toBe('3 keys');
  });
});
