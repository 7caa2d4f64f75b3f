import type { BenchOptions } from './options.js';
import { median } from './percentile.js';
import { parseBenchmarkCsv } from './redis-benchmark-suite.js';
import { missingTools, runCommand, startOurServer, startRedisServer, type ServerHandle } from './processes.js';
import type { Report } from './report.js';
import { ServerControl } from './server-info.js';

/** The limit both servers run under: small enough that the random-key SETs below evict all the time. */
const MAXMEMORY = '32mb';
/** redis-benchmark's keyspace for -r: far more keys than fit under the limit. */
const KEYSPACE = '10000000';

/** One redis-benchmark run of SET or GET over random keys; requests/s or null. */
async function run(server: ServerHandle, test: 'set' | 'get', opts: BenchOptions, pipeline: number, requests: number): Promise<number | null> {
  const args = ['-h', '127.0.0.1', '-p', String(server.port), '-c', String(opts.clients), '-n', String(requests), '-t', test, '-r', KEYSPACE, '-d', '100', '--csv'];
  if (pipeline > 1) args.push('-P', String(pipeline));
  const r = await runCommand('redis-benchmark', args, Math.max(60_000, (requests / 2000) * 1000));
  return parseBenchmarkCsv(r.stdout).get(test.toUpperCase()) ?? null;
}

/**
 * Part: maxmemory. Both servers run with `maxmemory 32mb` and `allkeys-lru`; redis-benchmark writes 100-byte
 * values under random keys from a keyspace of ten million, so nearly every SET evicts a key. Reported: SET
 * and GET throughput under eviction, how many keys each kept, and the cost of the bookkeeping itself (our SET
 * with a limit that is never reached against our SET without one).
 */
export async function runMaxmemory(opts: BenchOptions, report: Report): Promise<void> {
  const part = 'maxmemory';
  const missing = missingTools(['redis-server', 'redis-benchmark']);
  if (missing) return report.skip(part, missing);
  const limitArgs = ['--maxmemory', MAXMEMORY, '--maxmemory-policy', 'allkeys-lru'];
  const servers: ServerHandle[] = [];
  try {
    const ours = await startOurServer(limitArgs);
    servers.push(ours);
    const redis = await startRedisServer(limitArgs);
    servers.push(redis);
    const oursUnlimited = await startOurServer(['--maxmemory-policy', 'allkeys-lru']);
    servers.push(oursUnlimited);
    const oursHigh = await startOurServer(['--maxmemory', '64gb', '--maxmemory-policy', 'allkeys-lru']);
    servers.push(oursHigh);
    const requests = opts.pipelinedRequests;
    // Fill both to the limit first, so every measured SET runs at the limit.
    for (const s of [ours, redis]) await run(s, 'set', opts, opts.pipeline, requests);
    const results: Record<string, number[]> = { setOurs: [], setRedis: [], getOurs: [], getRedis: [], plain: [], high: [] };
    for (let round = 0; round < opts.rounds; round++) {
      const order = round % 2 === 0 ? [ours, redis] : [redis, ours];
      for (const s of order) {
        const set = await run(s, 'set', opts, opts.pipeline, requests);
        const get = await run(s, 'get', opts, opts.pipeline, requests);
        if (set !== null) results[s === ours ? 'setOurs' : 'setRedis'].push(set);
        if (get !== null) results[s === ours ? 'getOurs' : 'getRedis'].push(get);
      }
      const plain = await run(oursUnlimited, 'set', opts, opts.pipeline, requests / 2);
      const high = await run(oursHigh, 'set', opts, opts.pipeline, requests / 2);
      if (plain !== null) results.plain.push(plain);
      if (high !== null) results.high.push(high);
    }
    const m = (xs: number[]) => (xs.length ? median(xs) : null);
    report.add({ part, metric: `SET req/s at maxmemory ${MAXMEMORY} allkeys-lru, -P ${opts.pipeline}`, ours: m(results.setOurs), ref: m(results.setRedis) });
    report.add({ part, metric: `GET req/s at maxmemory ${MAXMEMORY} allkeys-lru, -P ${opts.pipeline}`, ours: m(results.getOurs), ref: m(results.getRedis) });
    const keys: number[] = [];
    const evicted: number[] = [];
    for (const s of [ours, redis]) {
      const c = await ServerControl.connect(s.port);
      keys.push(Number(await c.call('DBSIZE')));
      evicted.push(await c.infoNumber('stats', 'evicted_keys'));
      c.close();
    }
    report.add({ part, metric: `keys kept under ${MAXMEMORY}`, ours: keys[0], ref: keys[1], digits: 0 });
    report.add({ part, metric: 'keys evicted', ours: evicted[0], ref: evicted[1], digits: 0 });
    report.add({
      part,
      metric: `our SET req/s, -P ${opts.pipeline}: limit set but never reached (ref: no limit)`,
      ours: m(results.high),
      ref: m(results.plain),
    });
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
