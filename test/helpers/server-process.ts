import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/esm/index.mjs');

/** Asks the OS for a free loopback port (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * `--dir <a new temp dir>` unless the arguments or the config file choose a dir: a stray dump.rdb or nodes.conf
 * in the working directory must never be loaded by a server under test.
 */
function ownDir(args: string[], configFile?: string): string[] {
  if (args.includes('--dir')) return [];
  if (configFile && /^\s*dir\s/m.test(readFileSync(configFile, 'utf8'))) return [];
  return ['--dir', mkdtempSync(path.join(tmpdir(), 'server-'))];
}

/** A server process under test. */
export interface ServerProcess {
  port: number;
  httpPort: number;
  proc: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves when the output matches `re` (polls until the deadline). */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends SIGTERM and waits for the exit code. */
  stop(): Promise<number | null>;
}

/** How to start a server process. */
export interface StartServerOptions {
  configFile?: string;
  /** Listen on this TCP port instead of a free one (a restart on the same port). */
  port?: number;
  /** Listen on this HTTP/WebSocket port instead of a free one. */
  httpPort?: number;
}

/**
 * Starts `server/main.ts` in its own process on free ports (or the ones given) with the given extra arguments
 * and waits until it logs that it is ready.
 */
export async function startServer(args: string[] = [], opts: StartServerOptions = {}): Promise<ServerProcess> {
  const port = opts.port ?? (await freePort());
  const httpPort = opts.httpPort ?? (await freePort());
  const argv = [
    '--import',
    TSX,
    path.join(ROOT, 'server/main.ts'),
    ...(opts.configFile ? [opts.configFile] : []),
    '--port',
    String(port),
    '--http-port',
    String(httpPort),
    '--bind',
    '127.0.0.1',
    // Its own empty dir unless the test chose one: a stray dump.rdb or nodes.conf in the working directory must
    // never be loaded by a server under test.
    ...ownDir(args, opts.configFile),
    // Tests use DEBUG (SLEEP, RELOAD, DIGEST) as Redis's own test suite does; Redis's default refuses it.
    ...(args.includes('--enable-debug-command') ? [] : ['--enable-debug-command', 'yes']),
    ...args,
  ];
  const proc = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const sp: ServerProcess = {
    port,
    httpPort,
    proc,
    output: () => out,
    async waitForOutput(re, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!re.test(out)) {
        if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}) before ${re}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; output:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
  await sp.waitForOutput(/Ready to accept connections/);
  return sp;
}

/** Runs a command to completion and returns its exit code and output. */
export function run(cmd: string, args: string[], input?: string, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) p.stdin.end(input);
    else p.stdin.end();
  });
}

/** Polls `check` until it returns true or the deadline passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs `server/main.ts` with `args` until it exits by itself (a startup failure): its exit code and output. */
export function runServerToExit(args: string[], timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const config = args[0] && !args[0].startsWith('-') ? args[0] : undefined;
  return run(process.execPath, ['--import', TSX, path.join(ROOT, 'server/main.ts'), ...args, ...ownDir(args, config)], undefined, timeoutMs);
}
