import type { ChildProcess } from 'node:child_process';
import { freePort } from '../test/helpers/server-process.js';
import { nowUs } from './clock.js';
import type { BenchOptions } from './options.js';
import { median } from './percentile.js';
import { missingTools, runCommand, spawnTracked, startOurServer, startRedisServer, type ServerHandle } from './processes.js';
import { parseBenchmarkCsv } from './redis-benchmark-suite.js';
import type { Report } from './report.js';
import { ServerControl, pollUntil } from './server-info.js';

type Kind = 'ours' | 'redis';
const KINDS: Kind[] = ['ours', 'redis'];

const PART = 'cluster';
const MASTERS = 3;
const SLOTS = 16384;
/** Short, so that a failover is over in seconds; both clusters get the same value. */
const NODE_TIMEOUT_MS = 1000;
/** How often the failover and create measurements look at every node. */
const POLL_MS = 20;
/** Generous limits: a slow node must not hang the run, and a missed deadline is reported, not thrown. */
const CREATE_TIMEOUT_MS = 120_000;
const SETTLE_TIMEOUT_MS = 60_000;
const FAILOVER_TIMEOUT_MS = 60_000;
const OK_LINE = '[OK] All 16384 slots covered';
/**
 * `redis-benchmark --cluster` runs one thread per master, and its threads only notice that the requests are done
 * on their 250 ms throughput timer: a run's time is rounded up to that tick. The suite's request counts would
 * make the stock cluster's runs a tick or two long (pure rounding), so this part runs these multiples of them.
 */
const UNPIPELINED_SCALE = 10;
const PIPELINED_SCALE = 20;
/** redis-benchmark's CSV labels for `-t set,get`. */
const TESTS = ['SET', 'GET'] as const;

/** One cluster of 3 masters + 3 replicas, with a control connection to each node that polling never shares. */
interface ClusterUnderTest {
  kind: Kind;
  nodes: ServerHandle[];
  controls: ServerControl[];
}

/** One parsed CLUSTER NODES line (only what the measurements need). */
interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  master: string;
  slotCount: number;
}

function parseClusterNodes(text: string): NodeLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const f = line.trim().split(' ');
      let slotCount = 0;
      // Slot ranges from field 8 on; `[slot->-id]` entries are migrations in flight, not served slots.
      for (const range of f.slice(8)) {
        if (range.startsWith('[')) continue;
        const [a, b = a] = range.split('-').map(Number);
        slotCount += b - a + 1;
      }
      return { id: f[0], port: Number(f[1].split('@')[0].split(':').pop()), flags: f[2].split(','), master: f[3], slotCount };
    });
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

async function clusterState(c: ServerControl): Promise<string> {
  return parseInfo(String(await c.call('CLUSTER', 'INFO'))).cluster_state;
}

async function clusterNodes(c: ServerControl): Promise<NodeLine[]> {
  return parseClusterNodes(String(await c.call('CLUSTER', 'NODES')));
}

async function everyNode(controls: ServerControl[], check: (c: ServerControl) => Promise<boolean>): Promise<boolean> {
  const results = await Promise.all(controls.map(check));
  return results.every(Boolean);
}

/** The first line of an error for the table's note; the whole of it (a server's output) goes to stderr. */
function errorText(e: unknown): string {
  const message = (e as Error).message;
  process.stderr.write(`  cluster: ${message.slice(-4000)}\n`);
  return message.split('\n')[0];
}

/** Starts one node of one kind in cluster mode, in its own temp dir (for nodes.conf). */
async function startNode(kind: Kind): Promise<ServerHandle> {
  const start = kind === 'ours' ? startOurServer : startRedisServer;
  for (let attempt = 1; ; attempt++) {
    const cport = await freePort();
    try {
      return await start(['--cluster-enabled', 'yes', '--cluster-port', String(cport), '--cluster-node-timeout', String(NODE_TIMEOUT_MS)]);
    } catch (e) {
      // freePort releases a port before the server binds it; on this shared machine another process may take it first.
      if (attempt < 3 && /Address already in use|EADDRINUSE/.test((e as Error).message)) continue;
      throw e;
    }
  }
}

/** Starts six nodes of one kind; none is left running on failure. */
async function startNodes(kind: Kind): Promise<ClusterUnderTest> {
  const started = await Promise.allSettled(Array.from({ length: MASTERS * 2 }, () => startNode(kind)));
  const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const controls: ServerControl[] = [];
  try {
    if (failed) throw failed.reason;
    for (const n of nodes) controls.push(await ServerControl.connect(n.port));
    return { kind, nodes, controls };
  } catch (e) {
    for (const c of controls) c.close();
    await Promise.all(nodes.map((n) => n.stop()));
    throw e;
  }
}

async function stopCluster(c: ClusterUnderTest): Promise<void> {
  for (const ctl of c.controls) ctl.close();
  await Promise.all(c.nodes.map((n) => n.stop()));
}

/**
 * `redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes`, timed from its launch until it has printed
 * that all slots are covered and every node says cluster_state:ok. Seconds, or throws with redis-cli's output.
 */
async function createCluster(c: ClusterUnderTest): Promise<number> {
  const args = ['--cluster', 'create', ...c.nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'];
  const t0 = nowUs();
  const proc: ChildProcess = spawnTracked('redis-cli', args);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), CREATE_TIMEOUT_MS);
    proc.once('close', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  // redis-cli prints the line as its last act and exits, so its exit stands for the line's arrival.
  const tail = out.trim().split('\n').slice(-3).join(' ').replace(/\x1b\[[\d;]*m/g, '');
  if (code !== 0 || !out.includes(OK_LINE)) throw new Error(`redis-cli --cluster create exited ${code}: ${tail}`);
  const ok = await pollUntil(() => everyNode(c.controls, async (ctl) => (await clusterState(ctl)) === 'ok'), CREATE_TIMEOUT_MS, POLL_MS);
  if (!ok) throw new Error(`cluster_state not ok on every node ${CREATE_TIMEOUT_MS / 1000} s after create`);
  return (nowUs() - t0) / 1e6;
}

/**
 * Waits until the cluster is fully formed, not just serving: every node knows the three replicas and their
 * masters, and each replica's link to its master is up (a replica that never synced cannot win a failover).
 */
async function settle(c: ClusterUnderTest): Promise<void> {
  const ok = await pollUntil(
    () =>
      everyNode(c.controls, async (ctl) => {
        const lines = await clusterNodes(ctl);
        const replicas = lines.filter((l) => l.flags.includes('slave') && l.master !== '-').length;
        const masters = lines.filter((l) => l.flags.includes('master') && l.slotCount > 0).length;
        if (replicas !== MASTERS || masters !== MASTERS || lines.some((l) => l.flags.includes('handshake'))) return false;
        const repl = parseInfo(String(await ctl.call('INFO', 'replication')));
        return repl.role === 'master' || repl.master_link_status === 'up';
      }),
    SETTLE_TIMEOUT_MS,
    100,
  );
  if (!ok) throw new Error(`replicas not attached and in sync ${SETTLE_TIMEOUT_MS / 1000} s after create`);
}

/** The port of a master that serves slots, as the first node sees it. */
async function aMasterPort(c: ClusterUnderTest): Promise<number> {
  const m = (await clusterNodes(c.controls[0])).find((l) => l.flags.includes('master') && l.slotCount > 0);
  if (!m) throw new Error('no master with slots');
  return m.port;
}

/** One `redis-benchmark --cluster -t set,get` run: req/s per test, or why there is none. */
async function benchmarkOnce(
  c: ClusterUnderTest,
  opts: BenchOptions,
  pipeline: number,
  requests: number,
): Promise<{ rps: Map<string, number>; error?: string }> {
  const port = await aMasterPort(c);
  const args = ['--cluster', '-h', '127.0.0.1', '-p', String(port), '-c', String(opts.clients), '-n', String(requests), '-t', 'set,get', '--csv'];
  if (pipeline > 1) args.push('-P', String(pipeline));
  // Two tests per run; as generous as the single-server suite for each.
  const timeoutMs = 2 * Math.max(60_000, (requests / 2000) * 1000);
  const r = await runCommand('redis-benchmark', args, timeoutMs);
  if (r.timedOut) return { rps: new Map(), error: `timed out after ${Math.round(timeoutMs / 1000)} s` };
  // In cluster mode redis-benchmark first lists the masters it found; the CSV rows follow as in single-node mode.
  const rps = parseBenchmarkCsv(r.stdout);
  const lacking = TESTS.filter((t) => !rps.has(t));
  if (lacking.length) return { rps, error: `no ${lacking.join('/')} result (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(-200)}` };
  return { rps };
}

/**
 * SIGKILLs one master and times until every surviving node says cluster_state:ok and sees all 16384 slots
 * served by masters that are alive and not suspected (the dead one owns none). Until the failure is detected
 * the survivors still report ok with the dead master's slots, hence the slot check. Seconds, or null on timeout.
 */
async function failover(c: ClusterUnderTest): Promise<number | null> {
  const lines = await clusterNodes(c.controls[0]);
  const victimLine = lines.find((l) => l.flags.includes('master') && l.slotCount > 0);
  if (!victimLine) throw new Error('no master with slots');
  const index = c.nodes.findIndex((n) => n.port === victimLine.port);
  if (index < 0) throw new Error(`CLUSTER NODES names a master on port ${victimLine.port}, not one of this cluster's nodes`);
  const victim = c.nodes[index];
  const survivors = c.controls.filter((_, i) => i !== index);
  c.controls[index].close();
  const t0 = nowUs();
  victim.proc.kill('SIGKILL');
  const ok = await pollUntil(
    () =>
      everyNode(survivors, async (ctl) => {
        if ((await clusterState(ctl)) !== 'ok') return false;
        let served = 0;
        for (const l of await clusterNodes(ctl)) {
          if (l.slotCount === 0) continue;
          if (l.id === victimLine.id || l.flags.includes('fail') || l.flags.includes('fail?') || !l.flags.includes('master')) return false;
          served += l.slotCount;
        }
        return served === SLOTS;
      }),
    FAILOVER_TIMEOUT_MS,
    POLL_MS,
  );
  return ok ? (nowUs() - t0) / 1e6 : null;
}

/** Collects each kind's samples of one metric over the rounds, and what went wrong. */
class Samples {
  readonly values: Record<Kind, number[]> = { ours: [], redis: [] };
  readonly errors: string[] = [];

  median(kind: Kind): number | null {
    return this.values[kind].length ? median(this.values[kind]) : null;
  }

  note(): string | undefined {
    return this.errors.length ? this.errors.join('; ') : undefined;
  }
}

/**
 * Part: Redis Cluster, our nodes against stock redis-server nodes, two separate clusters of 3 masters + 3
 * replicas on loopback. Each round starts both clusters afresh and measures, the order alternating between the
 * two at every step: `redis-cli --cluster create` until served everywhere, `redis-benchmark --cluster` SET/GET
 * unpipelined and pipelined, then a master SIGKILLed and the time until the survivors serve every slot again.
 * Medians over the rounds.
 */
export async function runCluster(opts: BenchOptions, report: Report): Promise<void> {
  const missing = missingTools(['redis-server', 'redis-cli', 'redis-benchmark']);
  if (missing) return report.skip(PART, missing);
  const create = new Samples();
  const failovers = new Samples();
  const pipelines = [1, opts.pipeline];
  const throughput = new Map<string, Samples>();
  const key = (test: string, pipeline: number) => `${test} ${pipeline}`;
  for (const p of pipelines) for (const t of TESTS) throughput.set(key(t, p), new Samples());
  let flip = 0;
  const alternate = <T>(items: T[]): T[] => (flip++ % 2 === 0 ? items : [...items].reverse());

  for (let round = 0; round < opts.rounds; round++) {
    process.stderr.write(`  cluster: round ${round + 1} of ${opts.rounds}, starting 2 x ${MASTERS * 2} nodes...\n`);
    const live: Partial<Record<Kind, ClusterUnderTest>> = {};
    const drop = async (kind: Kind, samples: Samples, e: unknown) => {
      samples.errors.push(`${kind}: ${errorText(e)}`);
      const c = live[kind];
      delete live[kind];
      if (c) await stopCluster(c);
    };
    try {
      // Node processes first, both kinds, so that neither cluster's create overlaps the other's start-up.
      for (const kind of KINDS) {
        try {
          live[kind] = await startNodes(kind);
        } catch (e) {
          create.errors.push(`${kind}: ${errorText(e)}`);
        }
      }
      for (const kind of alternate(KINDS)) {
        const c = live[kind];
        if (!c) continue;
        try {
          create.values[kind].push(await createCluster(c));
          await settle(c);
        } catch (e) {
          await drop(kind, create, e);
        }
      }
      // Warm-up: each of our masters' JIT needs as much traffic as the single-server suite gives its one server.
      const warm = String(MASTERS * Math.min(opts.requests, 20_000));
      for (const kind of KINDS) {
        const c = live[kind];
        if (!c) continue;
        try {
          const port = await aMasterPort(c);
          await runCommand('redis-benchmark', ['--cluster', '-h', '127.0.0.1', '-p', String(port), '-c', String(opts.clients), '-n', warm, '-t', 'set,get', '--csv'], 120_000);
        } catch (e) {
          await drop(kind, throughput.get(key(TESTS[0], 1))!, e);
        }
      }
      for (const pipeline of pipelines) {
        const requests = pipeline > 1 ? opts.pipelinedRequests * PIPELINED_SCALE : opts.requests * UNPIPELINED_SCALE;
        for (const kind of alternate(KINDS)) {
          const c = live[kind];
          if (!c) continue;
          const r = await benchmarkOnce(c, opts, pipeline, requests);
          for (const t of TESTS) {
            const v = r.rps.get(t);
            if (v !== undefined) throughput.get(key(t, pipeline))!.values[kind].push(v);
          }
          if (r.error) throughput.get(key(TESTS[0], pipeline))!.errors.push(`${kind}: ${r.error}`);
        }
      }
      for (const kind of alternate(KINDS)) {
        const c = live[kind];
        if (!c) continue;
        try {
          const s = await failover(c);
          if (s === null) failovers.errors.push(`${kind}: slots not all served again ${FAILOVER_TIMEOUT_MS / 1000} s after the kill`);
          else failovers.values[kind].push(s);
        } catch (e) {
          await drop(kind, failovers, e);
        }
      }
    } finally {
      await Promise.all(Object.values(live).map((c) => stopCluster(c)));
    }
  }

  for (const pipeline of pipelines) {
    for (const t of TESTS) {
      const s = throughput.get(key(t, pipeline))!;
      const mode = pipeline > 1 ? `-P ${pipeline}` : 'unpipelined';
      const note = s.note();
      report.add({
        part: PART,
        metric: `cluster ${t} req/s, ${mode}`,
        ours: s.median('ours'),
        ref: s.median('redis'),
        note: note ? `cluster SET/GET ${mode}: ${note}` : undefined,
      });
    }
  }
  report.add({
    part: PART,
    metric: `cluster failover after a master dies (node timeout ${NODE_TIMEOUT_MS / 1000} s), s`,
    ours: failovers.median('ours'),
    ref: failovers.median('redis'),
    digits: 2,
    note: failovers.note(),
  });
  report.add({
    part: PART,
    metric: `redis-cli --cluster create, ${MASTERS} masters + ${MASTERS} replicas, to all slots covered and cluster_state:ok, s`,
    ours: create.median('ours'),
    ref: create.median('redis'),
    digits: 2,
    // redis-cli --cluster create checks that the nodes agree on the configuration, then sleeps 1 s and checks again.
    note: [create.note(), 'redis-cli waits for the nodes to agree in 1 s steps, so the create time moves in whole seconds']
      .filter(Boolean)
      .join('; '),
  });
}
