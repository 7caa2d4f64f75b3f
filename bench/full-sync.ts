import type { BenchOptions } from './options.js';
import { nowUs } from './clock.js';
import { PipelinedWriter, pipeline, setCommand } from './pipelined-writer.js';
import { missingTools, peakRssBytes, startOurServer, startRedisServer, type ServerHandle } from './processes.js';
import type { Report } from './report.js';
import { ValuePool } from './value-pool.js';
import { ServerControl, pollUntil } from './server-info.js';

/** The figures of one master -> replica full sync. */
interface SyncResult {
  loadRate: number;
  seconds: number | null;
  snapshotBytes: number;
  masterPeak: number | null;
  replicaPeak: number | null;
  note?: string;
}

/** Redis forks for the snapshot (its child's memory is not the master's RSS); ours needs no delay to batch replicas. */
const MASTER_ARGS = ['--repl-diskless-sync-delay', '0'];

async function syncOnce(kind: 'ours' | 'redis', opts: BenchOptions, values: ValuePool): Promise<SyncResult> {
  const start = kind === 'ours' ? startOurServer : startRedisServer;
  const servers: ServerHandle[] = [];
  const controls: ServerControl[] = [];
  let writer: PipelinedWriter | null = null;
  try {
    const master = await start(MASTER_ARGS);
    servers.push(master);
    writer = await PipelinedWriter.connect(master.port);
    const loadSeconds = await pipeline(writer, opts.keys, (i) => setCommand(`key:${i}`, values.value(i)), { stallMs: 120_000 });
    writer.close();
    writer = null;
    const replica = await start();
    servers.push(replica);
    const mc = await ServerControl.connect(master.port);
    const rc = await ServerControl.connect(replica.port);
    controls.push(mc, rc);
    const dbsize = Number(await mc.call('DBSIZE'));
    const out0 = await mc.infoNumber('stats', 'total_net_repl_output_bytes');
    const t0 = nowUs();
    await rc.call('REPLICAOF', '127.0.0.1', master.port);
    let keysSeen = 0;
    const ok = await pollUntil(async () => {
      const info = await rc.info('replication');
      if (info.master_link_status !== 'up') return false;
      keysSeen = Number(await rc.call('DBSIZE'));
      return keysSeen === dbsize;
    }, opts.syncTimeoutSeconds * 1000, 10);
    const seconds = ok ? (nowUs() - t0) / 1e6 : null;
    const out1 = await mc.infoNumber('stats', 'total_net_repl_output_bytes');
    return {
      loadRate: opts.keys / loadSeconds,
      seconds,
      snapshotBytes: out1 - out0,
      masterPeak: peakRssBytes(master.pid),
      replicaPeak: peakRssBytes(replica.pid),
      note: ok ? undefined : `${kind}: replica not in sync after ${opts.syncTimeoutSeconds} s (${keysSeen} of ${dbsize} keys)`,
    };
  } finally {
    writer?.close();
    for (const c of controls) c.close();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/**
 * Part 3: full sync of N keys, our master to our replica against redis-server to redis-server: time from
 * REPLICAOF until the replica's link is up with every key, the snapshot's size and rate, and both processes'
 * peak RSS.
 */
export async function runFullSync(opts: BenchOptions, report: Report): Promise<void> {
  const part = 'full sync';
  const values = new ValuePool(opts.valueSize);
  const results: Partial<Record<'ours' | 'redis', SyncResult>> = {};
  const notes: string[] = [];
  const skipped = missingTools(['redis-server']);
  if (skipped) notes.push(`redis-server side ${skipped}`);
  const kinds: Array<'ours' | 'redis'> = skipped ? ['ours'] : ['ours', 'redis'];
  for (const kind of kinds) {
    process.stderr.write(`  full sync: ${kind}, loading ${opts.keys} keys...\n`);
    try {
      results[kind] = await syncOnce(kind, opts, values);
      if (results[kind]!.note) notes.push(results[kind]!.note!);
    } catch (e) {
      notes.push(`${kind}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const o = results.ours;
  const r = results.redis;
  const mb = (b: number | null | undefined) => (b === null || b === undefined ? null : b / 1e6);
  const rate = (x: SyncResult | undefined) => (x && x.seconds ? x.snapshotBytes / 1e6 / x.seconds : null);
  const keys = opts.keys.toLocaleString('en-US');
  report.add({
    part,
    metric: `${keys} keys (${opts.valueSize}-byte values): seconds to link up with all keys`,
    ours: o?.seconds ?? null,
    ref: r?.seconds ?? null,
    digits: 2,
    note: notes.length ? notes.join('; ') : undefined,
  });
  report.add({ part, metric: 'snapshot MB/s', ours: rate(o), ref: rate(r), digits: 1 });
  report.add({ part, metric: 'snapshot MB (repl output bytes)', ours: mb(o?.snapshotBytes), ref: mb(r?.snapshotBytes), digits: 1 });
  report.add({
    part,
    metric: 'master peak RSS MB',
    ours: mb(o?.masterPeak),
    ref: mb(r?.masterPeak),
    digits: 0,
    note: r ? "redis-server's fork that writes the snapshot is not counted in its master's RSS" : undefined,
  });
  report.add({ part, metric: 'replica peak RSS MB', ours: mb(o?.replicaPeak), ref: mb(r?.replicaPeak), digits: 0 });
  report.add({ part, metric: 'loading the master: pipelined SET writes/s', ours: o?.loadRate ?? null, ref: r?.loadRate ?? null });
}
