import type { BenchOptions } from './options.js';
import { median } from './percentile.js';
import { missingTools, runCommand, startOurServer, startRedisServer, type ServerHandle } from './processes.js';
import type { Report } from './report.js';

/** redis-benchmark's test names (for -t) and the CSV label each one reports under. */
const TESTS: Array<{ t: string; label: string }> = [
  { t: 'set', label: 'SET' },
  { t: 'get', label: 'GET' },
  { t: 'incr', label: 'INCR' },
  { t: 'lpush', label: 'LPUSH' },
  { t: 'hset', label: 'HSET' },
  { t: 'zadd', label: 'ZADD' },
  { t: 'lrange_100', label: 'LRANGE_100 (first 100 elements)' },
];

/** Requests/s per CSV label from `redis-benchmark --csv` output. */
export function parseBenchmarkCsv(csv: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of csv.split('\n')) {
    const m = /^"([^"]+)","([\d.]+)"/.exec(line.trim());
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

async function benchmarkOnce(
  server: ServerHandle,
  test: { t: string; label: string },
  opts: BenchOptions,
  pipeline: number,
  requests: number,
): Promise<{ rps: number | null; error?: string }> {
  const args = ['-h', '127.0.0.1', '-p', String(server.port), '-c', String(opts.clients), '-n', String(requests), '-t', test.t, '--csv'];
  if (pipeline > 1) args.push('-P', String(pipeline));
  // Generous: a slow server must not hang the run, but a fair run of a slow server must still finish.
  const timeoutMs = Math.max(60_000, (requests / 2000) * 1000);
  const r = await runCommand('redis-benchmark', args, timeoutMs);
  if (r.timedOut) return { rps: null, error: `timed out after ${Math.round(timeoutMs / 1000)} s` };
  const rps = parseBenchmarkCsv(r.stdout).get(test.label);
  if (rps === undefined) return { rps: null, error: `no result (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 200)}` };
  return { rps };
}

/**
 * Part 1: redis-benchmark's classic tests, 50 clients, unpipelined and pipelined, against our server and a stock
 * redis-server started side by side. Each (test, pipeline) pair runs against both servers back to back, the
 * order alternating, so drift in a noisy machine hits both alike.
 */
export async function runRedisBenchmarkSuite(opts: BenchOptions, report: Report): Promise<void> {
  const part = 'redis-benchmark';
  const missing = missingTools(['redis-server', 'redis-benchmark']);
  if (missing) return report.skip(part, missing);
  const servers: ServerHandle[] = [];
  try {
    const ours = await startOurServer();
    servers.push(ours);
    const redis = await startRedisServer();
    servers.push(redis);
    // Warm-up: Node's JIT needs a few hundred thousand calls before it shows its steady state.
    const warm = String(Math.min(opts.requests, 20_000));
    for (const s of [ours, redis]) {
      await runCommand('redis-benchmark', ['-h', '127.0.0.1', '-p', String(s.port), '-c', String(opts.clients), '-n', warm, '-t', TESTS.map((t) => t.t).join(','), '--csv'], 120_000);
    }
    let flip = 0;
    for (const pipeline of [1, opts.pipeline]) {
      const requests = pipeline > 1 ? opts.pipelinedRequests : opts.requests;
      for (const test of TESTS) {
        const results: Record<string, number[]> = { ours: [], redis: [] };
        const errors: string[] = [];
        for (let round = 0; round < opts.rounds; round++) {
          const order = flip++ % 2 === 0 ? [ours, redis] : [redis, ours];
          for (const s of order) {
            const r = await benchmarkOnce(s, test, opts, pipeline, requests);
            if (r.rps !== null) results[s.kind].push(r.rps);
            else errors.push(`${s.kind}: ${r.error}`);
          }
        }
        const name = test.t.toUpperCase();
        report.add({
          part,
          metric: `${name} req/s, ${pipeline > 1 ? `-P ${pipeline}` : 'unpipelined'}`,
          ours: results.ours.length ? median(results.ours) : null,
          ref: results.redis.length ? median(results.redis) : null,
          note: errors.length ? `${name} ${pipeline > 1 ? `-P ${pipeline}` : 'unpipelined'}: ${errors.join('; ')}` : undefined,
        });
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
