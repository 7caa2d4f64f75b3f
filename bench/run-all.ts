/**
 * `npm run bench`: measures this server against its peers in one run (redis-server for commands and sync, a bare
 * `ws` broadcaster for fan-out) and prints a markdown table of ratios. The machine is shared and noisy, so only
 * figures measured side by side are compared. Every process it starts dies with it, on Ctrl-C too.
 * Run `npm run bench -- --help` for the options.
 */
import { runBrowser } from './browser.js';
import { runCluster } from './cluster.js';
import { runFanout } from './fanout.js';
import { runFullSync } from './full-sync.js';
import { runMaxmemory } from './maxmemory.js';
import { PARTS, USAGE, parseBenchOptions, type BenchOptions, type PartName } from './options.js';
import { runPartialResync } from './partial-resync.js';
import { installCleanup, killAll } from './processes.js';
import { runRedisBenchmarkSuite } from './redis-benchmark-suite.js';
import { Report, machineInfo } from './report.js';

const RUNNERS: Record<PartName, (opts: BenchOptions, report: Report) => Promise<void>> = {
  'redis-benchmark': runRedisBenchmarkSuite,
  maxmemory: runMaxmemory,
  fanout: runFanout,
  'full-sync': runFullSync,
  'partial-resync': runPartialResync,
  cluster: runCluster,
  browser: runBrowser,
};

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let opts: BenchOptions | 'help';
  try {
    opts = parseBenchOptions(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const report = new Report();
  const machine = machineInfo();
  const print = (status?: string) => {
    process.stdout.write(`\n${report.render(command, machine)}\n${status ? `\n${status}\n` : ''}`);
  };
  installCleanup((sig) => print(`Interrupted by ${sig}: the table holds the parts that finished.`));
  const limit = opts.timeLimitSeconds;
  const watchdog = setTimeout(() => {
    print(`Stopped by the time limit (${limit} s; --time-limit): the table holds the parts that finished.`);
    killAll();
    process.exit(3);
  }, limit * 1000);
  watchdog.unref();

  const started = Date.now();
  for (const part of PARTS) {
    if (!opts.only.has(part)) continue;
    process.stderr.write(`== ${part} (${Math.round((Date.now() - started) / 1000)} s elapsed)\n`);
    try {
      await RUNNERS[part](opts, report);
    } catch (e) {
      report.skip(part, `failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  process.stderr.write(`== done in ${Math.round((Date.now() - started) / 1000)} s\n`);
  print();
  // Helper connections may hold timers; the table is out, so leave now (the exit hook kills any leftover child).
  process.exit(0);
}

void main();
