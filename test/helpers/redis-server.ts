import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './server-process.js';
import { ErrorReply } from '../../shared/resp/reply.js';
import { RespConnection } from './resp-connection.js';

/** A stock redis-server (the Debian package) on a free loopback port, with no persistence. */
export interface StockRedis {
  port: number;
  proc: ChildProcess;
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `redis-server` with extra arguments and waits until it answers PING. */
export async function startStockRedis(args: string[] = []): Promise<StockRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'stock-redis-'));
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`redis-server exited:\n${out}`);
    try {
      // Ready once PING answers other than -LOADING (PONG, or NOAUTH when it wants a password): while it loads a
      // dataset Redis accepts connections but replies -LOADING.
      const c = await RespConnection.tcp(port);
      try {
        const r = await c.call('PING');
        return !(r instanceof ErrorReply && r.message.startsWith('LOADING'));
      } finally {
        c.close();
      }
    } catch {
      return false;
    }
  }, 30_000, 'redis-server to start and load its dataset');
  return {
    port,
    proc,
    dir,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
