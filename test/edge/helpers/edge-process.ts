import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../helpers/server-process.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/esm/index.mjs');
const SCRIPT = path.join(ROOT, 'test/edge/helpers/start-edge.ts');

/** The environment every local Cloudflare tool gets in tests: offline, no telemetry. */
export const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
};

/** A local edge (Worker + Durable Objects in workerd) with its storage in a directory that outlives restarts. */
export interface EdgeProcess {
  port: number;
  secret: string;
  persistDir: string;
  /** ws://127.0.0.1:<port>/store/<name> */
  wsUrl(store: string): string;
  /** http://127.0.0.1:<port>/store/<name> */
  httpUrl(store: string): string;
  /** Everything the Worker and its objects logged, across restarts. */
  output(): string;
  /** Resolves when the output (from `since`, a length of output()) matches `re`. */
  waitForOutput(re: RegExp, timeoutMs?: number, since?: number): Promise<void>;
  /**
   * Stops workerd (the objects' sockets drop) and starts it again on the same port and storage, running
   * `whileStopped` in between.
   */
  restart(whileStopped?: () => Promise<void>): Promise<void>;
  /** Stops it for good and deletes its storage. */
  stop(): Promise<void>;
}

/** Starts the edge from wrangler.toml on a free port with fresh storage. */
export async function startEdge(opts: { secret?: string; storeConfig?: string } = {}): Promise<EdgeProcess> {
  const port = await freePort();
  const secret = opts.secret ?? 'edge-secret';
  const persistDir = mkdtempSync(path.join(tmpdir(), 'edge-state-'));
  let out = '';
  let proc: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const launch = async () => {
    const since = out.length;
    // Its own process group, so stopping it stops workerd too.
    const child = spawn(process.execPath, ['--import', TSX, SCRIPT, String(port), persistDir, secret, opts.storeConfig ?? ''], {
      cwd: ROOT,
      env: { ...process.env, ...OFFLINE_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    proc = child;
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await edge.waitForOutput(/edge ready on/, 30_000, since);
  };

  const halt = async () => {
    const child = proc;
    if (!child || child.exitCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGINT');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 10_000);
    await exited;
    clearTimeout(timer);
  };

  const edge: EdgeProcess = {
    port,
    secret,
    persistDir,
    wsUrl: (store) => `ws://127.0.0.1:${port}/store/${store}`,
    httpUrl: (store) => `http://127.0.0.1:${port}/store/${store}`,
    output: () => out,
    async waitForOutput(re, timeoutMs = 15_000, since = 0) {
      const deadline = Date.now() + timeoutMs;
      while (!re.test(out.slice(since))) {
        if (proc && proc.exitCode !== null) throw new Error(`edge exited before ${re}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; output:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async restart(whileStopped) {
      await halt();
      await whileStopped?.();
      await launch();
    },
    async stop() {
      await halt();
      rmSync(persistDir, { recursive: true, force: true });
    },
  };
  await launch();
  return edge;
}
