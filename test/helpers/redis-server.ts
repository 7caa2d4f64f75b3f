import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './server-process.js';
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
      const c = await RespConnection.tcp(port);
      c.close();
      return true;
    } catch {
      return false;
    }
  }, 15_000, 'redis-server to start');
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
