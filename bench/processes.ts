import { spawn, fork, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/server-process.js';

/** The repository root (bench/ lives directly under it). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/esm/index.mjs');

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let cleanupInstalled = false;

/**
 * Registers a child so that it dies with us. Every process the benchmark starts goes through here, because a
 * benchmark interrupted half-way must not leave servers holding ports and CPU on a shared machine.
 */
export function track<T extends ChildProcess>(proc: T): T {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

/** Kills every tracked child at once (SIGCONT first, so a SIGSTOPped one can die). Synchronous: safe in 'exit'. */
export function killAll(): void {
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    try {
      c.kill('SIGCONT');
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

/** Makes normal exit, Ctrl-C, SIGTERM and SIGHUP kill all children. Idempotent. */
export function installCleanup(onSignal?: (signal: string) => void): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      onSignal?.(sig);
      killAll();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

/** A private temporary directory, removed at exit. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

/** Spawns a tracked process. */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  return track(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts }));
}

/** Forks a tracked TypeScript module from bench/ with an IPC channel (advanced serialization: typed arrays pass as is). */
export function forkBenchScript(file: string, args: string[] = []): ChildProcess {
  return track(
    fork(path.join(ROOT, 'bench', file), args, {
      cwd: ROOT,
      execArgv: ['--import', TSX],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    }),
  );
}

/** Whether an executable is on PATH. */
export function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** The Debian package that provides each external tool the benchmark uses. */
const DEBIAN_PACKAGE: Record<string, string> = {
  'redis-server': 'redis-server',
  'redis-benchmark': 'redis-tools',
  'redis-cli': 'redis-tools',
  chromium: 'chromium',
};

/** Null when every tool is installed, else the reason to skip, naming the Debian packages to install. */
export function missingTools(tools: string[]): string | null {
  const missing = tools.filter((t) => !which(t));
  if (missing.length === 0) return null;
  const pkgs = [...new Set(missing.map((t) => DEBIAN_PACKAGE[t] ?? t))];
  return `skipped: ${missing.join(', ')} not found; install with \`apt-get install -y ${pkgs.join(' ')}\``;
}

/** The result of running a command to completion (or to its time limit). */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a tracked command to completion; on the time limit it is killed and `timedOut` is set (never throws). */
export function runCommand(cmd: string, args: string[], timeoutMs: number, opts: SpawnOptions = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const p = spawnTracked(cmd, args, opts);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    p.stdout?.on('data', (d) => (stdout += d));
    p.stderr?.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, timeoutMs);
    p.on('error', (e) => {
      stderr += String(e);
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** A server process the benchmark started. */
export interface ServerHandle {
  /** 'ours', 'redis' or 'bare'. */
  kind: string;
  port: number;
  /** The WebSocket/HTTP port (ours and the bare broadcaster). */
  httpPort: number;
  pid: number;
  proc: ChildProcess;
  /** The last 64 KB of what it printed. */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when it is gone. */
  stop(): Promise<void>;
}

async function startProcess(kind: string, cmd: string, args: string[], port: number, httpPort: number): Promise<ServerHandle> {
  const proc = spawnTracked(cmd, args, { cwd: ROOT });
  let out = '';
  const collect = (d: Buffer) => {
    out += d.toString();
    if (out.length > 65536) out = out.slice(-65536);
  };
  proc.stdout!.on('data', collect);
  proc.stderr!.on('data', collect);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const handle: ServerHandle = {
    kind,
    port,
    httpPort,
    pid: proc.pid ?? -1,
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGCONT');
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + 30_000;
  while (!/Ready to accept connections/.test(out)) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${kind} server exited before it was ready:\n${out}`);
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`${kind} server not ready after 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return handle;
}

/** Starts our server (server/main.ts) on free loopback ports, without persistence, plus extra directives. */
export async function startOurServer(extra: string[] = []): Promise<ServerHandle> {
  const port = await freePort();
  const httpPort = await freePort();
  const dir = tempDir('bench-ours-');
  // BENCH_OURS_NODE_FLAGS (e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof') profiles our server inside a benchmark run.
  const nodeFlags = (process.env.BENCH_OURS_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const args = [
    ...nodeFlags, '--import', TSX, path.join(ROOT, 'server/main.ts'),
    '--port', String(port), '--http-port', String(httpPort), '--bind', '127.0.0.1',
    '--save', '', '--appendonly', 'no', '--dir', dir, ...extra,
  ];
  return startProcess('ours', process.execPath, args, port, httpPort);
}

/** Starts a stock redis-server on a free loopback port, without persistence, plus extra directives. */
export async function startRedisServer(extra: string[] = []): Promise<ServerHandle> {
  const port = await freePort();
  const dir = tempDir('bench-redis-');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra];
  return startProcess('redis', 'redis-server', args, port, 0);
}

/** Starts the bare `ws` broadcaster (bench/bare-broadcast-server.ts), the fan-out ceiling. */
export async function startBareBroadcastServer(): Promise<ServerHandle> {
  const port = await freePort();
  const httpPort = await freePort();
  const args = ['--import', TSX, path.join(ROOT, 'bench/bare-broadcast-server.ts'), '--port', String(port), '--http-port', String(httpPort)];
  return startProcess('bare', process.execPath, args, port, httpPort);
}

/** Peak resident set size (VmHWM) of a live process, in bytes; null when it cannot be read. */
export function peakRssBytes(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
