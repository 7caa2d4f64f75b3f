import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RespConnection } from './resp-connection.js';
import { freePort, run, startServer, waitFor, type ServerProcess } from './server-process.js';

/** One cluster node process under test: ours or a stock redis-server, on free loopback ports. */
export interface ClusterNodeProcess {
  kind: 'ours' | 'stock';
  port: number;
  /** The cluster bus port (cluster-port). */
  cport: number;
  /** Holds nodes.conf. */
  dir: string;
  proc: ChildProcess;
  output(): string;
  /** SIGKILL: a crash, nothing saved or said to the cluster. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** cluster-node-timeout for tests: failures are detected and elections held within a few seconds. */
export const TEST_NODE_TIMEOUT = 1000;

/** Starts our server in cluster mode (again on the same ports and dir when `previous` is given). */
export async function startOurClusterNode(previous?: ClusterNodeProcess): Promise<ClusterNodeProcess> {
  const dir = previous?.dir ?? mkdtempSync(path.join(tmpdir(), 'cluster-ours-'));
  const cport = previous?.cport ?? (await freePort());
  const s: ServerProcess = await startServer(
    ['--cluster-enabled', 'yes', '--cluster-port', String(cport), '--cluster-node-timeout', String(TEST_NODE_TIMEOUT), '--dir', dir],
    { port: previous?.port },
  );
  const exited = new Promise<void>((r) => (s.proc.exitCode !== null ? r() : s.proc.once('exit', () => r())));
  return {
    kind: 'ours',
    port: s.port,
    cport,
    dir,
    proc: s.proc,
    output: s.output,
    kill: async () => {
      if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      await s.stop();
    },
  };
}

/** Starts a stock redis-server (the Debian package) in cluster mode, with no persistence but nodes.conf. */
export async function startStockClusterNode(): Promise<ClusterNodeProcess> {
  const port = await freePort();
  const cport = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'cluster-stock-'));
  const proc = spawn(
    'redis-server',
    [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
      '--cluster-enabled', 'yes', '--cluster-port', String(cport), '--cluster-node-timeout', String(TEST_NODE_TIMEOUT),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`redis-server exited:\n${out}`);
    try {
      (await RespConnection.tcp(port)).close();
      return true;
    } catch {
      return false;
    }
  }, 15_000, 'redis-server to start');
  const end = async (signal: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited;
  };
  return { kind: 'stock', port, cport, dir, proc, output: () => out, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}

/** Sends one command on a fresh connection. */
export async function ask(port: number, ...argv: Array<string | number>): Promise<unknown> {
  const c = await RespConnection.tcp(port);
  try {
    return await c.call(...argv);
  } finally {
    c.close();
  }
}

/** CLUSTER INFO as a record. */
export async function clusterInfo(port: number): Promise<Record<string, string>> {
  const text = String(await ask(port, 'CLUSTER', 'INFO'));
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** One parsed CLUSTER NODES line. */
export interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  master: string;
  configEpoch: number;
  link: string;
  slots: string[];
}

/** CLUSTER NODES, parsed. */
export async function clusterNodes(port: number): Promise<NodeLine[]> {
  const text = String(await ask(port, 'CLUSTER', 'NODES'));
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const f = line.split(' ');
      return {
        id: f[0],
        port: Number(f[1].split('@')[0].split(':').pop()),
        flags: f[2].split(','),
        master: f[3],
        configEpoch: Number(f[6]),
        link: f[7],
        slots: f.slice(8),
      };
    });
}

/** Waits until every node reports cluster_state:ok. */
export async function waitClusterOk(ports: number[], timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => {
    for (const p of ports) if ((await clusterInfo(p)).cluster_state !== 'ok') return false;
    return true;
  }, timeoutMs, `cluster_state:ok on ${ports.join(', ')}`);
}

/** Runs redis-cli with the given arguments; throws with its output if it fails. */
export async function redisCli(args: string[], timeoutMs = 120_000): Promise<string> {
  const r = await run('redis-cli', args, undefined, timeoutMs);
  const text = r.stdout + r.stderr;
  if (r.code !== 0) throw new Error(`redis-cli ${args.join(' ')} exited ${r.code}:\n${text}`);
  return text;
}
