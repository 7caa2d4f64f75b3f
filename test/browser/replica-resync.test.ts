import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { utf8ToBinary } from '../../shared/bytes.js';
import { readDataset, writeEveryType } from '../helpers/dataset.js';
import { RespConnection } from '../helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from '../helpers/server-process.js';
import { requireChromium, info, launchChromium, masterOffset, openPage, reloadPage, serveSdk, type SdkSite } from './browser-harness.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- page.evaluate bodies run in the page, on window globals */

requireChromium();

/** Opens replica `name` in the page (window.r) and returns its status, read before any network event. */
async function openIn(page: Page, url: string, name: string): Promise<{ status: any; image: any }> {
  return page.evaluate(
    async ([url, name]) => {
      const w = window as any;
      w.r = await w.sdk.openReplica({ url, name, lagPollMs: 200 });
      // Same task as the resolution: nothing from the network can have been applied yet.
      return { status: w.r.status(), image: w.image(w.r) };
    },
    [url, name] as const,
  );
}

const status = (page: Page): Promise<any> => page.evaluate(() => (window as any).r.status());
const image = (page: Page): Promise<any> => page.evaluate(() => (window as any).image((window as any).r));

describe('browser replica: full sync, offline reload, partial resync after the master returns', { timeout: 90_000 }, () => {
  let site: SdkSite;
  let browser: Browser;
  const procs: ServerProcess[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    [site, browser] = await Promise.all([serveSdk(), launchChromium()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    for (const p of procs) await p.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('first load full-syncs; writes appear live; a reload with the master stopped reads the stored data; the master returns, more writes happen, and the next load resyncs partially, receiving about the bytes it missed', async () => {
    // The master persists: SIGTERM saves its dataset and replication history, which it reloads on restart.
    const dir = mkdtempSync(path.join(tmpdir(), 'resync-master-'));
    dirs.push(dir);
    const args = ['--repl-ping-replica-period', '3600', '--save', '3600 1', '--dir', dir];
    const master = await startServer(args);
    procs.push(master);
    let mconn = await RespConnection.tcp(master.port);
    await writeEveryType(mconn, 40);
    const url = `ws://127.0.0.1:${master.httpPort}/`;

    // 1. First load: a full sync.
    const context = await browser.newContext();
    const page = await openPage(context, site);
    const first = await openIn(page, url, 'resync');
    expect(first.status.replid).toBeNull();
    expect(first.image).toEqual({});
    await page.waitForFunction(() => (window as any).r.status().link === 'up', undefined, { timeout: 15_000 });
    expect((await info(master.port)).sync_full).toBe('1');
    expect(await image(page)).toEqual(await readDataset(mconn));

    // 2. Writes on the master appear live, and subscribers hear about them.
    await page.evaluate(() => {
      const w = window as any;
      w.heard = [];
      w.r.subscribe('live:*', (k: string | null) => w.heard.push(k));
    });
    await mconn.call('SET', 'live:1', utf8ToBinary('héllo wörld'));
    await mconn.call('HSET', 'live:h', 'f', 'v');
    await page.waitForFunction(() => (window as any).r.get('live:1') === 'héllo wörld', undefined, { timeout: 10_000 });
    await page.waitForFunction(() => (window as any).r.hget('live:h', 'f') === 'v', undefined, { timeout: 10_000 });
    expect(await page.evaluate(() => (window as any).heard)).toEqual(['live:1', 'live:h']);
    expect(await image(page)).toEqual(await readDataset(mconn));
    const finalOffset = await masterOffset(master.port);
    await page.waitForFunction((o) => (window as any).r.status().persistedOffset === o, finalOffset, { timeout: 10_000 });
    const beforeStop = await readDataset(mconn);
    const replid = (await status(page)).replid;
    // Stop the master once it has the replica's ACK of its final offset: a master with a lagging replica waits
    // at shutdown (shutdown-timeout) and sends REPLCONF GETACK, which moves the offsets (Redis 7.0 does too).
    await waitFor(
      async () => {
        const role = (await mconn.call('ROLE')) as [string, number, Array<[string, string, string]>];
        return role[2].length === 1 && Number(role[2][0][2]) === finalOffset;
      },
      10_000,
      "the replica's ACK of the final offset",
    );
    mconn.close();
    await master.stop();

    // 3. The master is gone: the reloaded page reads the stored dataset, before and after trying the network.
    await reloadPage(page);
    const offline = await openIn(page, url, 'resync');
    expect(offline.image).toEqual(beforeStop);
    expect(offline.status).toMatchObject({ replid, offset: finalOffset, persistedOffset: finalOffset });
    await page.waitForFunction(() => (window as any).r.status().link === 'down', undefined, { timeout: 10_000 });
    expect(await image(page)).toEqual(beforeStop);
    expect(await page.evaluate(() => (window as any).r.get('live:1'))).toBe('héllo wörld');

    // 4. The master returns on the same ports from its file: same dataset, a new replication id with the old one
    // as replid2. The replica, reconnecting by itself, continues partially (+CONTINUE <new id>, no bytes).
    const back = await startServer(args, { port: master.port, httpPort: master.httpPort });
    procs.push(back);
    const port = master.port;
    expect((await info(port)).master_replid2).toBe(replid);
    mconn = await RespConnection.tcp(port);
    expect(await readDataset(mconn)).toEqual(beforeStop);
    await page.waitForFunction((old) => {
      const s = (window as any).r.status();
      return s.link === 'up' && s.replid !== old;
    }, replid, { timeout: 15_000 });
    const resumed = await info(port);
    expect(resumed.sync_partial_ok).toBe('1');
    expect(resumed.sync_full).toBe('0');
    expect((await status(page)).replid).toBe(resumed.master_replid);
    await writeEveryType(mconn, 20, 7);
    const written = await readDataset(mconn);
    await page.waitForFunction(async (o) => (window as any).r.status().offset >= o, await masterOffset(port), { timeout: 10_000 });
    // Equal data within the wait. Once, on a loaded machine, the image lacked the last writes when the offset check
    // had passed (not reproduced since); a real mismatch still fails here with the diff.
    await waitFor(async () => JSON.stringify(await image(page)) === JSON.stringify(written), 10_000, 'the replica to show the writes').catch(async () => {
      expect(await image(page)).toEqual(written);
    });
    expect(await image(page)).toEqual(written);
    await page.evaluate(() => (window as any).r.close());

    // 5. More writes while the page is away; the next load continues partially: only the missed stream
    // crosses the network.
    const left = (await page.evaluate(() => (window as any).r.status())).offset;
    for (let i = 0; i < 50; i++) await mconn.call('SET', `after:${i}`, 'x'.repeat(100));
    await mconn.call('DEL', 'live:1');
    const target = await masterOffset(port);
    const missed = target - left;
    await reloadPage(page);
    await openIn(page, url, 'resync');
    await page.waitForFunction((o) => (window as any).r.status().offset === o, target, { timeout: 15_000 });
    const after = await info(port);
    expect(Number(after.sync_partial_ok)).toBe(Number(resumed.sync_partial_ok) + 1);
    expect(after.sync_full).toBe('0');
    const st = await status(page);
    expect(st.link).toBe('up');
    expect(st.bytesReceived).toBeGreaterThanOrEqual(missed);
    // The handshake replies (+PONG, +OK, +OK, +CONTINUE <id>) are the only extra bytes.
    expect(st.bytesReceived - missed).toBeLessThan(120);
    expect(await image(page)).toEqual(await readDataset(mconn));
    mconn.close();
    await context.close();
  });
});
