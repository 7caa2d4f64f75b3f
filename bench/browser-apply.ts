/**
 * `npm run bench:browser`: the browser replica's figures, in real Chromium against a real master process:
 *
 * - persisted-apply rate: writes per second the replica applies AND commits to IndexedDB (data and offset in
 *   the same transactions), when catching up on a backlog after a reload, and while the writes stream live;
 * - cold start: from openReplica() to the first read with 100k keys stored (snapshot only, and snapshot plus a
 *   log to replay);
 * - the SDK's size, minified and min+gzip.
 *
 * Figures go to stdout as JSON lines ({"metric", "ours", "note"}) for `npm run bench`; a readable summary goes
 * to stderr. BENCH_QUICK=1 uses smaller counts. Not a test: nothing is asserted.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { CHROMIUM, launchChromium, masterOffset, openPage, pipeline, serveSdk } from '../test/browser/browser-harness.js';
import { RespConnection } from '../test/helpers/resp-connection.js';
import { startServer } from '../test/helpers/server-process.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- page.evaluate bodies run in the page, on window globals */

const QUICK = process.env.BENCH_QUICK === '1';
const WRITES = QUICK ? 100_000 : 400_000;
const COLD_KEYS = 100_000;

function figure(metric: string, ours: number, note: string, digits = 0): void {
  process.stdout.write(`${JSON.stringify({ metric, ours, note, digits })}\n`);
  process.stderr.write(`${metric}: ${ours.toLocaleString('en-US', { maximumFractionDigits: digits })} ${note ? `(${note})` : ''}\n`);
}

const sets = (n: number, prefix: string, valueLen: number) =>
  Array.from({ length: n }, (_, i) => ['SET', `${prefix}:${i % 100_000}`, String(i).padStart(valueLen, 'v')]);

async function open(page: Page, url: string, name: string, extra: Record<string, unknown> = {}): Promise<number> {
  return page.evaluate(
    async ([url, name, extra]) => {
      const w = window as any;
      const t0 = performance.now();
      w.r = await w.sdk.openReplica({ url, name, lagPollMs: 0, ...extra });
      return performance.now() - t0;
    },
    [url, name, extra] as const,
  );
}

/** Waits in the page until the stored offset reaches `target`; returns ms since `since` (page clock). */
function storedBy(page: Page, target: number, since: number): Promise<number> {
  return page.evaluate(
    async ([target, since]) => {
      const r = (window as any).r;
      while ((r.status().persistedOffset ?? -1) < target) await new Promise((res) => setTimeout(res, 2));
      return performance.now() - since;
    },
    [target, since] as const,
  );
}

async function main(): Promise<void> {
  process.stderr.write(`Chromium: ${CHROMIUM}; ${WRITES.toLocaleString()} writes, ${COLD_KEYS.toLocaleString()} keys for the cold start\n`);
  const [site, browser, master] = await Promise.all([
    serveSdk(),
    launchChromium(),
    startServer(['--repl-backlog-size', '512mb', '--repl-ping-replica-period', '3600']),
  ]);
  try {
    const code = readFileSync(path.join(site.dir, 'redis-replica.js'));
    figure('SDK size, min+gzip (KB)', gzipSync(code, { level: 9 }).length / 1024, 'target 12 KB; the whole replica core is bundled', 1);
    figure('SDK size, minified (KB)', code.length / 1024, 'idb included', 1);

    const url = `ws://127.0.0.1:${master.httpPort}/`;
    const context = await browser.newContext();
    const page = await openPage(context, site);
    const mconn = await RespConnection.tcp(master.port);

    // 1. Catch-up after a reload: the writes happened while the page was away; the master sends the missed
    //    stream at network speed and the replica applies and stores it.
    await open(page, url, 'bench');
    await mconn.call('SET', 'warm', '1');
    await storedBy(page, await masterOffset(master.port), 0);
    await page.evaluate(() => (window as any).r.close());
    const w0 = Date.now();
    await pipeline(master.port, sets(WRITES, 'key', 16));
    const masterRate = WRITES / ((Date.now() - w0) / 1000);
    const target = await masterOffset(master.port);
    const catchUp = await page.evaluate(
      async ([url, target]) => {
        const w = window as any;
        const t0 = performance.now();
        w.r = await w.sdk.openReplica({ url, name: 'bench', lagPollMs: 0 });
        let applied = 0;
        while ((w.r.status().persistedOffset ?? -1) < target) {
          if (!applied && w.r.status().offset >= target) applied = performance.now() - t0;
          await new Promise((res) => setTimeout(res, 2));
        }
        return { applied: applied || performance.now() - t0, stored: performance.now() - t0, debug: w.r.debug };
      },
      [url, target] as const,
    );
    figure('persisted apply, catching up after a reload (writes/s)', WRITES / (catchUp.stored / 1000), `${WRITES.toLocaleString()} SETs, partial resync, applied and committed to IndexedDB in ${catchUp.stored.toFixed(0)} ms`);
    figure('apply only, catching up (writes/s)', WRITES / (catchUp.applied / 1000), 'offset reached, before the last commit');

    // 2. Live: the replica is connected while a client pipelines the writes into the master.
    const before = await masterOffset(master.port);
    const measuring = page.evaluate(async (before) => {
      const w = window as any;
      w.benchTarget = undefined;
      const r = w.r;
      // The clock starts when the first byte of the burst is applied.
      while (r.status().offset <= before) await new Promise((res) => setTimeout(res, 1));
      const first = performance.now();
      while (w.benchTarget === undefined || (r.status().persistedOffset ?? -1) < w.benchTarget) await new Promise((res) => setTimeout(res, 2));
      return performance.now() - first;
    }, before);
    const l0 = Date.now();
    await pipeline(master.port, sets(WRITES, 'key', 16));
    const liveMasterRate = WRITES / ((Date.now() - l0) / 1000);
    const liveTarget = await masterOffset(master.port);
    await page.evaluate((t) => ((window as any).benchTarget = t), liveTarget);
    const liveMs = await measuring;
    figure('persisted apply, live stream (writes/s)', WRITES / (liveMs / 1000), `while the master took the same writes at ${Math.round(liveMasterRate).toLocaleString('en-US')}/s (${Math.round(masterRate).toLocaleString('en-US')}/s with no replica attached)`);

    // 3. Cold start with 100k keys stored as a snapshot (a fresh full sync), then with a log to replay too.
    await mconn.call('FLUSHALL');
    await pipeline(master.port, sets(COLD_KEYS, 'cold', 32));
    const cold = await openPage(context, site);
    await open(cold, url, 'cold', { compactLogBytes: 1 << 30 });
    await storedBy(cold, await masterOffset(master.port), 0);
    const snapshotBytes = await cold.evaluate(() => (window as any).r.debug.stored.snapshotBytes);
    const measureCold = async () => {
      await cold.reload();
      await cold.waitForFunction(() => (window as any).sdkReady === true);
      return cold.evaluate(async (url) => {
        const w = window as any;
        const t0 = performance.now();
        w.r = await w.sdk.openReplica({ url, name: 'cold', lagPollMs: 0, compactLogBytes: 1 << 30 });
        const v = w.r.get('cold:99999');
        const t1 = performance.now();
        return { openToRead: t1 - t0, sinceNavigation: t1, value: v, keys: w.r.dbsize() };
      }, url);
    };
    const c1 = await measureCold();
    figure('cold start, 100k keys: openReplica to first read (ms)', c1.openToRead, `snapshot of ${(snapshotBytes / 1e6).toFixed(1)} MB in IndexedDB, ${c1.keys} keys loaded; ${c1.sinceNavigation.toFixed(0)} ms after navigation`);
    await pipeline(master.port, sets(COLD_KEYS, 'cold', 32));
    await storedBy(cold, await masterOffset(master.port), 0);
    const logBytes = await cold.evaluate(() => (window as any).r.debug.stored.logBytes);
    const c2 = await measureCold();
    figure('cold start, 100k keys + 100k logged writes: openReplica to first read (ms)', c2.openToRead, `snapshot plus ${(logBytes / 1e6).toFixed(1)} MB of stream replayed`);
    mconn.close();
    await context.close();
  } finally {
    await browser.close();
    await site.close();
    await master.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
