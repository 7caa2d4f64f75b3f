import type { BenchOptions } from './options.js';
import { nowUs } from './clock.js';
import { PipelinedWriter, pipeline, setCommand } from './pipelined-writer.js';
import { missingTools, startOurServer, startRedisServer, type ServerHandle } from './processes.js';
import type { Report } from './report.js';
import { ServerControl, pollUntil } from './server-info.js';

/** The figures of one replica coming back after missing writes. */
interface ResyncResult {
  missedBytes: number;
  resentBytes: number;
  seconds: number | null;
  partial: boolean;
}

const VALUE = 'p'.repeat(16);
/** Big enough that the missed writes stay in the backlog on both servers: a partial resync is possible. */
const MASTER_ARGS = ['--repl-backlog-size', '64mb', '--repl-diskless-sync-delay', '0'];

async function resyncOnce(kind: 'ours' | 'redis', opts: BenchOptions): Promise<ResyncResult> {
  const start = kind === 'ours' ? startOurServer : startRedisServer;
  const servers: ServerHandle[] = [];
  const controls: ServerControl[] = [];
  let writer: PipelinedWriter | null = null;
  try {
    const master = await start(MASTER_ARGS);
    servers.push(master);
    const replica = await start();
    servers.push(replica);
    const mc = await ServerControl.connect(master.port);
    const rc = await ServerControl.connect(replica.port);
    controls.push(mc, rc);
    writer = await PipelinedWriter.connect(master.port);
    await rc.call('REPLICAOF', '127.0.0.1', master.port);
    await pipeline(writer, 1000, (i) => setCommand(`key:${i}`, VALUE));
    const inSync = async () => {
      const target = await mc.infoNumber('replication', 'master_repl_offset');
      const r = await rc.info('replication');
      return r.master_link_status === 'up' && Number(r.slave_repl_offset) >= target;
    };
    if (!(await pollUntil(inSync, 30_000))) throw new Error('replica did not get in sync within 30 s');

    process.kill(replica.pid, 'SIGSTOP');
    await mc.call('CLIENT', 'KILL', 'TYPE', 'replica');
    const before = await mc.info('replication', 'stats');
    await pipeline(writer, opts.missedWrites, (i) => setCommand(`missed:${i}`, VALUE));
    const after = await mc.info('replication', 'stats');
    const target = Number(after.master_repl_offset);
    const t0 = nowUs();
    process.kill(replica.pid, 'SIGCONT');
    const caughtUp = await pollUntil(async () => {
      const r = await rc.info('replication');
      return r.master_link_status === 'up' && Number(r.slave_repl_offset) >= target;
    }, 60_000, 2);
    const seconds = caughtUp ? (nowUs() - t0) / 1e6 : null;
    const end = await mc.info('replication', 'stats');
    return {
      missedBytes: target - Number(before.master_repl_offset),
      resentBytes: Number(end.total_net_repl_output_bytes) - Number(after.total_net_repl_output_bytes),
      seconds,
      partial: Number(end.sync_partial_ok) > Number(before.sync_partial_ok) && Number(end.sync_full) === Number(before.sync_full),
    };
  } finally {
    writer?.close();
    for (const c of controls) c.close();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/**
 * Part 4: a replica is frozen (SIGSTOP), its link killed at the master (CLIENT KILL TYPE replica), N writes made,
 * and the replica thawed: bytes the master sends to bring it back per byte it missed, and the time to catch up.
 * Same procedure on redis-server. Redis reconnects from its once-a-second replication cron, which shows in the
 * catch-up time.
 */
export async function runPartialResync(opts: BenchOptions, report: Report): Promise<void> {
  const part = 'partial resync';
  const skipped = missingTools(['redis-server']);
  const results: Partial<Record<'ours' | 'redis', ResyncResult>> = {};
  const notes: string[] = skipped ? [`redis-server side ${skipped}`] : [];
  for (const kind of skipped ? (['ours'] as const) : (['ours', 'redis'] as const)) {
    try {
      const r = await resyncOnce(kind, opts);
      results[kind] = r;
      if (!r.partial) notes.push(`${kind}: the reconnect was not a partial resync (sync_partial_ok did not grow or sync_full did)`);
      if (r.seconds === null) notes.push(`${kind}: replica had not caught up after 60 s`);
    } catch (e) {
      notes.push(`${kind}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const o = results.ours;
  const r = results.redis;
  const ratio = (x: ResyncResult | undefined) => (x ? x.resentBytes / x.missedBytes : null);
  const writes = opts.missedWrites.toLocaleString('en-US');
  report.add({
    part,
    metric: `bytes sent on reconnect / bytes missed (${writes} writes)`,
    ours: ratio(o),
    ref: ratio(r),
    digits: 4,
    note: notes.length ? notes.join('; ') : undefined,
  });
  report.add({ part, metric: 'bytes missed (stream bytes of those writes)', ours: o?.missedBytes ?? null, ref: r?.missedBytes ?? null });
  report.add({ part, metric: 'seconds from SIGCONT to caught up', ours: o?.seconds ?? null, ref: r?.seconds ?? null, digits: 3 });
}
