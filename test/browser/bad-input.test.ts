import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requireChromium, launchChromium, openPage, reloadPage, serveSdk, type SdkSite } from './browser-harness.js';
import { waitFor } from '../helpers/server-process.js';
import { FakeMaster, cmd, eofTransfer, rdbOf } from './fake-master.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- page.evaluate bodies run in the page, on window globals */

requireChromium();

const ID_A = 'a'.repeat(40);
const ID_B = 'b'.repeat(40);
const DATA = { a: '1', b: '2' };

/** What a replica holds, as far as these tests look. */
async function snapshot(page: Page): Promise<any> {
  return page.evaluate(() => {
    const r = (window as any).r;
    const s = r.status();
    return { keys: r.keys('*').sort(), c: r.get('c'), replid: s.replid, offset: s.offset, persistedOffset: s.persistedOffset };
  });
}

/** Reloads the page and opens the replica from IndexedDB alone (the fake master holds its PSYNC unanswered). */
async function reopen(page: Page, url: string): Promise<any> {
  await reloadPage(page);
  await page.evaluate(async (url) => {
    const w = window as any;
    w.r = await w.sdk.openReplica({ url, name: 'bad', multiTab: false });
  }, url);
  return snapshot(page);
}

describe('browser replica: bad input from the network', { timeout: 90_000 }, () => {
  let site: SdkSite;
  let browser: Browser;
  let fake: FakeMaster;

  beforeAll(async () => {
    [site, browser, fake] = await Promise.all([serveSdk(), launchChromium(), FakeMaster.start()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await fake?.close();
  });

  test('a corrupt frame, a corrupt snapshot and malformed replication ids never corrupt the stored replica', async () => {
    const context = await browser.newContext();
    const page = await openPage(context, site);
    const setC = cmd('SET', 'c', '3');
    const select = cmd('SELECT', '0');
    const good = select.length + setC.length;

    // 1. A valid full sync and one valid command, then a frame that is not RESP.
    fake.next(async (conn) => {
      conn.send(`+FULLRESYNC ${ID_A} 0\r\n`);
      conn.send(eofTransfer(rdbOf(DATA, ID_A, 0)));
      await conn.nextAck();
      conn.send(Buffer.concat([select, setC]));
      conn.send('*3\r\n$3\r\nSET\r\n$1\r\nd\r\n$x\r\n');
    });
    await page.evaluate(async (url) => {
      const w = window as any;
      w.r = await w.sdk.openReplica({ url, name: 'bad', multiTab: false });
    }, fake.url);
    await page.waitForFunction(() => /Protocol error/i.test((window as any).r.status().lastError ?? ''), undefined, { timeout: 15_000 });
    await page.waitForFunction((o) => (window as any).r.status().persistedOffset === o, good, { timeout: 10_000 });
    const afterFrame = { keys: ['a', 'b', 'c'], c: '3', replid: ID_A, offset: good, persistedOffset: good };
    expect(await snapshot(page)).toEqual(afterFrame);
    expect(await reopen(page, fake.url)).toEqual(afterFrame);

    // 2. A new history whose snapshot fails its checksum: nothing of it is used or stored.
    let retry = -1;
    fake.next((conn) => {
      retry = fake.psyncs.indexOf(conn.psync) + 1;
      const rdb = rdbOf({ evil: 'x' }, ID_B, 1000);
      rdb[20] ^= 0xff;
      conn.send(`+FULLRESYNC ${ID_B} 1000\r\n`);
      conn.send(eofTransfer(rdb));
    });
    await page.waitForFunction(() => /checksum|RDB|snapshot/i.test((window as any).r.status().lastError ?? ''), undefined, { timeout: 15_000 });
    expect(await snapshot(page)).toEqual(afterFrame);
    // Its next attempt offers the history its data belongs to, not the one of the failed transfer.
    await waitFor(() => retry > 0 && fake.psyncs.length > retry, 10_000, 'the replica to try again');
    expect(fake.psyncs[retry]).toEqual({ replid: ID_A, offset: good + 1 });
    expect(await reopen(page, fake.url)).toEqual(afterFrame);

    // 3. A FULLRESYNC whose replication id is not one (a valid snapshot under it): dropped, not stored, and
    // the replica goes back to its stored dataset.
    fake.next(async (conn) => {
      conn.send('+FULLRESYNC not-a-replication-id 77\r\n');
      conn.send(eofTransfer(rdbOf({ evil: 'x' }, ID_B, 77)));
    });
    await page.waitForFunction(() => /Bad FULLRESYNC|malformed FULLRESYNC/.test((window as any).r.status().lastError ?? ''), undefined, { timeout: 15_000 });
    await page.waitForFunction(() => (window as any).r.status().replid === 'a'.repeat(40), undefined, { timeout: 10_000 });
    expect(await snapshot(page)).toEqual(afterFrame);
    expect(await reopen(page, fake.url)).toEqual(afterFrame);

    // 4. A +CONTINUE naming a malformed id, with stream bytes: applied in memory by the link, but never
    // stored, and undone.
    fake.next((conn) => {
      conn.send('+CONTINUE zz\r\n');
      conn.send(cmd('SET', 'c', 'evil'));
    });
    await page.waitForFunction(() => /Bad replication|malformed CONTINUE/.test((window as any).r.status().lastError ?? ''), undefined, { timeout: 15_000 });
    await page.waitForFunction(() => (window as any).r.status().replid === 'a'.repeat(40) && (window as any).r.get('c') === '3', undefined, { timeout: 10_000 });
    expect(await snapshot(page)).toEqual(afterFrame);
    expect(await reopen(page, fake.url)).toEqual(afterFrame);

    // 5. The replica asks to continue exactly after its stored offset, and does.
    const setE = cmd('SET', 'e', '5');
    let asked: unknown = null;
    fake.next((conn) => {
      asked = conn.psync;
      conn.send(`+CONTINUE ${ID_A}\r\n`);
      conn.send(setE);
    });
    await page.waitForFunction(() => (window as any).r.get('e') === '5', undefined, { timeout: 15_000 });
    expect(asked).toEqual({ replid: ID_A, offset: good + 1 });
    await page.waitForFunction((o) => (window as any).r.status().persistedOffset === o, good + setE.length, { timeout: 10_000 });
    expect(await reopen(page, fake.url)).toEqual({ ...afterFrame, keys: ['a', 'b', 'c', 'e'], offset: good + setE.length, persistedOffset: good + setE.length });
    await context.close();
  });
});
