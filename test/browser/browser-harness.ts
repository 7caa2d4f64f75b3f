import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { sdkBuildConfig } from '../../vite.config.js';
import { connect } from 'node:net';
import { encodeCommand } from '../../shared/resp/encoder.js';
import { RespConnection } from '../helpers/resp-connection.js';

/** Where Debian's chromium lives (`apt-get install chromium`); no test tool may download its own browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags that keep Chromium quiet on a closed network and runnable as root in a container. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Fails the suite with a clear message when Chromium is missing: the browser suite is part of `npm test`, like
 * redis-server for the integration tests (apt-get install chromium).
 */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the browser suite needs Debian's Chromium (apt-get install chromium)`);
  }
}

/**
 * The test page: loads the built SDK as window.sdk, plus window.image(r), which reads a replica's whole dataset
 * into the same shape as test/helpers/dataset.ts readDataset does from a server (binary strings).
 */
const INDEX_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>replica test page</title></head>
<body><script type="module">
import * as sdk from './redis-replica.js';
window.sdk = sdk;
window.image = (r, databases = 16) => {
  const image = {};
  const call = (...a) => r.call(a, { binary: true });
  for (let db = 0; db < databases; db++) {
    call('SELECT', db);
    const keys = call('KEYS', '*').sort();
    if (keys.length === 0) continue;
    const entries = {};
    for (const key of keys) {
      const t = call('TYPE', key);
      let value;
      if (t === 'string') value = call('GET', key);
      else if (t === 'list') value = call('LRANGE', key, 0, -1);
      else if (t === 'hash') { const f = call('HGETALL', key); value = {}; for (let i = 0; i < f.length; i += 2) value[f[i]] = f[i + 1]; }
      else if (t === 'set') value = call('SMEMBERS', key).sort();
      else if (t === 'zset') value = call('ZRANGE', key, 0, -1, 'WITHSCORES');
      else if (t === 'none') continue;
      entries[key] = [t, value, call('PTTL', key) > 0];
    }
    image['db' + db] = entries;
  }
  call('SELECT', 0);
  return image;
};
window.sdkReady = true;
</script></body></html>`;

/** A built SDK served from a loopback HTTP server: one origin for the whole test file, so IndexedDB persists. */
export interface SdkSite {
  origin: string;
  dir: string;
  close(): Promise<void>;
}

/** Builds the SDK with vite (the same config as `npm run build:sdk`) into a temp dir and serves it. */
export async function serveSdk(extraFiles: Record<string, string> = {}): Promise<SdkSite> {
  const dir = mkdtempSync(path.join(tmpdir(), 'replica-sdk-'));
  const cfg = sdkBuildConfig(dir);
  cfg.plugins = [];
  await build(cfg);
  writeFileSync(path.join(dir, 'index.html'), INDEX_HTML);
  for (const [name, text] of Object.entries(extraFiles)) writeFileSync(path.join(dir, name), text);
  const server = await staticServer(dir);
  const port = (server.address() as { port: number }).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    dir,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Serves the files of `dir` on a free loopback port. */
export function staticServer(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = path.join(dir, rel);
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Launches headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}

/** Opens a page of the site and waits for the SDK to load. */
export async function openPage(context: BrowserContext, site: SdkSite, file = 'index.html'): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await page.goto(`${site.origin}/${file}`);
  await page.waitForFunction(() => (window as unknown as { sdkReady?: boolean }).sdkReady === true);
  return page;
}

/** Reloads a page and waits for the SDK again. */
export async function reloadPage(page: Page): Promise<void> {
  await page.reload();
  await page.waitForFunction(() => (window as unknown as { sdkReady?: boolean }).sdkReady === true);
}

/** Reads numeric fields of a server's INFO (all sections). */
export async function info(port: number): Promise<Record<string, string>> {
  const conn = await RespConnection.tcp(port);
  try {
    const text = String(await conn.call('INFO', 'everything'));
    const out: Record<string, string> = {};
    for (const line of text.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
    }
    return out;
  } finally {
    conn.close();
  }
}

/** Polls a condition evaluated in the page until it holds (bounded). */
export async function pageWaitFor(page: Page, fn: string, timeoutMs = 15_000): Promise<void> {
  await page.waitForFunction(fn, undefined, { timeout: timeoutMs, polling: 20 });
}

/** The master's replication offset (ROLE). */
export async function masterOffset(port: number): Promise<number> {
  const conn = await RespConnection.tcp(port);
  try {
    const r = (await conn.call('ROLE')) as [string, number];
    return r[1];
  } finally {
    conn.close();
  }
}

/**
 * Sends many commands in one pipeline over a raw socket and waits until all are answered (a PING goes last;
 * its +PONG ends the replies). Much faster than awaiting each reply.
 */
export function pipeline(port: number, commands: Array<Array<string | number>>): Promise<void> {
  const parts = commands.map((c) => encodeCommand(c.map(String)));
  parts.push(encodeCommand(['PING']));
  const buf = Buffer.concat(parts);
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(buf));
    let tail = '';
    socket.on('data', (d) => {
      tail = (tail + d.toString('latin1')).slice(-16);
      if (tail.endsWith('+PONG\r\n')) {
        socket.end();
        resolve();
      }
    });
    socket.on('error', reject);
  });
}
