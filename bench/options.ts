import { parseArgs } from 'node:util';

/** The parts of the benchmark, in the order they run. */
export const PARTS = ['redis-benchmark', 'maxmemory', 'fanout', 'full-sync', 'partial-resync', 'cluster', 'browser'] as const;
/** One part's name, as `--only` takes it. */
export type PartName = (typeof PARTS)[number];

/** Every size and limit of a run; `--quick` picks small defaults, each flag overrides one. */
export interface BenchOptions {
  quick: boolean;
  only: Set<PartName>;
  /**
   * redis-benchmark: parallel clients, requests per test unpipelined and with -P, the -P depth, repetitions.
   * The cluster part uses the same figures for `redis-benchmark --cluster`, and its rounds for every measurement.
   */
  clients: number;
  requests: number;
  pipelinedRequests: number;
  pipeline: number;
  rounds: number;
  /** Fan-out: replica counts, replica processes, fixed write rate, seconds at that rate, seconds flat out. */
  replicas: number[];
  replicaProcesses: number;
  writeRate: number;
  lagSeconds: number;
  throughputSeconds: number;
  /** How long to wait for every replica to have the last write. */
  deliveryTimeoutSeconds: number;
  /** Full sync: keys loaded and their value size; the sync time limit. */
  keys: number;
  valueSize: number;
  syncTimeoutSeconds: number;
  /** Partial resync: writes made while the replica is away. */
  missedWrites: number;
  /** The whole run stops (and prints what it has) after this. */
  timeLimitSeconds: number;
}

export const USAGE = `Usage: npm run bench -- [options]
Measures this server against redis-server (and fan-out against a bare ws broadcaster) in one run and prints a
markdown table of ratios. The cluster part compares a cluster of our nodes with one of redis-server nodes (3 masters
+ 3 replicas each): redis-benchmark --cluster SET/GET, failover after a master is killed, redis-cli --cluster create.

  --quick                     small sizes (about a minute)
  --only PART[,PART]          run only these parts: ${PARTS.join(', ')}
  --clients N                 redis-benchmark clients (50), in the cluster part too
  --requests N                redis-benchmark requests per test, unpipelined (100000; quick 20000); the cluster
                              part runs 10x (redis-benchmark --cluster times runs to its 250 ms tick)
  --pipelined-requests N      requests per test with -P (1000000; quick 100000); the cluster part runs 20x
  --pipeline N                the -P depth (16), in the cluster part too
  --rounds N                  repeat redis-benchmark and the cluster part (fresh clusters each round), report
                              medians (1)
  --replicas N[,N]            fan-out replica counts (1,10,1000)
  --replica-processes N       processes the replicas are spread over (4)
  --write-rate N              fixed write rate for lag, writes/s (10000)
  --lag-seconds S             seconds at that rate (4; quick 1.5)
  --throughput-seconds S      seconds writing flat out (3; quick 1)
  --delivery-timeout S        wait for the last write to reach every replica (60; quick 20)
  --keys N                    full-sync keys (1000000; quick 100000)
  --value-size N              full-sync value bytes (100)
  --sync-timeout S            full-sync time limit (300; quick 60)
  --missed-writes N           partial-resync writes while the replica is away (10000)
  --time-limit S              stop everything after S seconds (1800; quick 300)
  -h, --help`;

/** Parses the command line (after `npm run bench --`). Throws on unknown options or bad values. */
export function parseBenchOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      clients: { type: 'string' },
      requests: { type: 'string' },
      'pipelined-requests': { type: 'string' },
      pipeline: { type: 'string' },
      rounds: { type: 'string' },
      replicas: { type: 'string' },
      'replica-processes': { type: 'string' },
      'write-rate': { type: 'string' },
      'lag-seconds': { type: 'string' },
      'throughput-seconds': { type: 'string' },
      'delivery-timeout': { type: 'string' },
      keys: { type: 'string' },
      'value-size': { type: 'string' },
      'sync-timeout': { type: 'string' },
      'missed-writes': { type: 'string' },
      'time-limit': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick === true;
  const num = (name: keyof typeof values, full: number, small: number, min = 0): number => {
    const raw = values[name];
    if (raw === undefined) return quick ? small : full;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} wants a number >= ${min}, got '${raw}'`);
    return n;
  };
  const only = new Set<PartName>();
  for (const item of (values.only ?? []).flatMap((s) => s.split(','))) {
    const name = item.trim();
    if (!name) continue;
    if (!(PARTS as readonly string[]).includes(name)) throw new Error(`--only: unknown part '${name}' (parts: ${PARTS.join(', ')})`);
    only.add(name as PartName);
  }
  if (only.size === 0) for (const p of PARTS) only.add(p);
  const replicas = (values.replicas ?? '1,10,1000').split(',').map((s) => Number(s.trim()));
  if (replicas.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--replicas wants positive integers, got '${values.replicas}'`);
  return {
    quick,
    only,
    clients: num('clients', 50, 50, 1),
    requests: num('requests', 100_000, 20_000, 1),
    pipelinedRequests: num('pipelined-requests', 1_000_000, 100_000, 1),
    pipeline: num('pipeline', 16, 16, 2),
    rounds: num('rounds', 1, 1, 1),
    replicas,
    replicaProcesses: num('replica-processes', 4, 4, 1),
    writeRate: num('write-rate', 10_000, 10_000, 1),
    lagSeconds: num('lag-seconds', 4, 1.5, 0.1),
    throughputSeconds: num('throughput-seconds', 3, 1, 0.1),
    deliveryTimeoutSeconds: num('delivery-timeout', 60, 20, 1),
    keys: num('keys', 1_000_000, 100_000, 1),
    valueSize: num('value-size', 100, 100, 1),
    syncTimeoutSeconds: num('sync-timeout', 300, 60, 1),
    missedWrites: num('missed-writes', 10_000, 10_000, 1),
    timeLimitSeconds: num('time-limit', 1800, 300, 1),
  };
}
