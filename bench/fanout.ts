import type { BenchOptions } from './options.js';
import { percentile } from './percentile.js';
import { nowUs } from './clock.js';
import { PipelinedWriter, setCommand } from './pipelined-writer.js';
import { startBareBroadcastServer, startOurServer, type ServerHandle } from './processes.js';
import { ReplicaFleet } from './replica-fleet.js';
import type { Report } from './report.js';

const VALUE = 'v'.repeat(16);
/** Plain writes cycle over this many keys, so the master's keyspace stays small. */
const KEYSPACE = 10_000;

/** What one target (our master or the bare broadcaster) achieved with N replicas. */
interface FanoutResult {
  /** Writes/s from the first write until the last replica had the last one, writing flat out. */
  delivered: number | null;
  p50: number | null;
  p99: number | null;
  notes: string[];
}

/**
 * Writes at `rate` writes/s for `seconds`, every `markerEvery`-th one a lag marker carrying its send time.
 * Batches are sent every millisecond, as the clock makes them due. Returns the number of markers sent.
 */
async function writeAtRate(w: PipelinedWriter, rate: number, seconds: number, markerEvery: number): Promise<number> {
  const total = Math.round(rate * seconds);
  const t0 = nowUs();
  let i = 0;
  let markers = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = nowUs();
      const due = Math.min(total, Math.floor(((now - t0) / 1e6) * rate));
      if (due > i) {
        let s = '';
        const n = due - i;
        for (; i < due; i++) {
          if (i % markerEvery === 0) {
            s += setCommand('__bench_lag', String(now));
            markers++;
          } else s += setCommand(`key:${i % KEYSPACE}`, VALUE);
        }
        w.write(s, n);
      }
      if (i >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  return markers;
}

/** Writes as fast as the master answers (a bounded window of unanswered writes) for `seconds`; returns the count. */
async function writeFlatOut(w: PipelinedWriter, seconds: number): Promise<number> {
  const window = 5000;
  const batch = 250;
  const t0 = nowUs();
  const base = w.sent;
  let i = 0;
  while (nowUs() - t0 < seconds * 1e6) {
    if (w.sent - w.replies + batch > window) {
      if (!(await w.waitReplies(w.sent - window + batch, 30_000))) throw new Error('the master stopped answering writes for 30 s');
      continue;
    }
    let s = '';
    for (let j = 0; j < batch; j++, i++) s += setCommand(`key:${i % KEYSPACE}`, VALUE);
    w.write(s, batch);
  }
  return w.sent - base;
}

async function measure(kind: 'ours' | 'bare', replicas: number, opts: BenchOptions): Promise<FanoutResult> {
  const notes: string[] = [];
  let server: ServerHandle | null = null;
  let fleet: ReplicaFleet | null = null;
  let writer: PipelinedWriter | null = null;
  const deliveryMs = opts.deliveryTimeoutSeconds * 1000;
  try {
    server = kind === 'ours' ? await startOurServer(['--repl-diskless-sync-delay', '0']) : await startBareBroadcastServer();
    fleet = await ReplicaFleet.start(`ws://127.0.0.1:${server.httpPort}/`, replicas, opts.replicaProcesses, 120_000);
    if (fleet.failed > 0) notes.push(`${fleet.failed} of ${replicas} replicas failed to sync (${fleet.error ?? 'closed'})`);
    writer = await PipelinedWriter.connect(server.port);
    let endId = 0;

    // Warm-up, which also proves every replica is streaming before anything is timed.
    await writeFlatOut(writer, 0.3);
    writer.write(setCommand('__bench_end', String(++endId)), 1);
    const warm = await fleet.waitEnd(endId, deliveryMs);
    if (warm.at === null) notes.push(`warm-up writes never reached ${warm.missing} replicas`);
    await fleet.collect();

    // Lag at a fixed rate first, while nothing is queued from a flat-out run.
    const markerEvery = replicas >= 100 ? 100 : 10;
    const markers = await writeAtRate(writer, opts.writeRate, opts.lagSeconds, markerEvery);
    writer.write(setCommand('__bench_end', String(++endId)), 1);
    const lagEnd = await fleet.waitEnd(endId, deliveryMs);
    const { samples, closed } = await fleet.collect();
    const expected = markers * (fleet.connected - closed);
    if (lagEnd.at === null) notes.push(`at ${opts.writeRate} writes/s, ${lagEnd.missing} replicas still lacked the last write after ${opts.deliveryTimeoutSeconds} s`);
    if (samples.length < expected) notes.push(`${expected - samples.length} of ${expected} lag markers not received (p50/p99 are of the rest)`);
    if (samples.length > expected) notes.push(`${samples.length} lag markers counted for ${expected} sent`);
    if (closed > 0) notes.push(`${closed} replicas were disconnected`);
    const p50 = samples.length ? percentile(samples, 50) : null;
    const p99 = samples.length ? percentile(samples, 99) : null;

    // Throughput flat out, until the last replica has the last write.
    const t0 = nowUs();
    const sent = await writeFlatOut(writer, opts.throughputSeconds);
    writer.write(setCommand('__bench_end', String(++endId)), 1);
    const end = await fleet.waitEnd(endId, deliveryMs);
    let delivered: number | null = null;
    if (end.at !== null) delivered = sent / ((end.at - t0) / 1e6);
    else notes.push(`flat out: ${end.missing} replicas still lacked the last of ${sent} writes after ${opts.deliveryTimeoutSeconds} s`);
    return { delivered, p50, p99, notes };
  } finally {
    writer?.close();
    fleet?.stop();
    await server?.stop();
  }
}

/**
 * Part 2: replication fan-out to WebSocket replicas in separate processes. For each replica count, our master and
 * the bare `ws` broadcaster (the ceiling: same bytes, same sockets, no work) get the same writer: a fixed rate
 * with lag markers, then flat out.
 */
export async function runFanout(opts: BenchOptions, report: Report): Promise<void> {
  const part = 'fan-out';
  let flip = 0;
  for (const n of opts.replicas) {
    const results: Partial<Record<'ours' | 'bare', FanoutResult>> = {};
    const errors: string[] = [];
    const order: Array<'ours' | 'bare'> = flip++ % 2 === 0 ? ['ours', 'bare'] : ['bare', 'ours'];
    for (const kind of order) {
      process.stderr.write(`  fan-out: ${n} replica(s), ${kind === 'ours' ? 'our master' : 'bare ws ceiling'}...\n`);
      try {
        results[kind] = await measure(kind, n, opts);
      } catch (e) {
        errors.push(`${kind}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    const ours = results.ours;
    const bare = results.bare;
    const notes = [
      ...errors,
      ...(ours?.notes ?? []).map((s) => `ours: ${s}`),
      ...(bare?.notes ?? []).map((s) => `ceiling: ${s}`),
    ];
    const note = notes.length ? `${n} replica(s): ${notes.join('; ')}` : undefined;
    const label = `${n.toLocaleString('en-US')} replica${n === 1 ? '' : 's'}`;
    const rate = opts.writeRate.toLocaleString('en-US');
    report.add({ part, metric: `${label}: writes/s delivered to all, flat out`, ours: ours?.delivered ?? null, ref: bare?.delivered ?? null, note });
    report.add({ part, metric: `${label}: lag p50 ms at ${rate} writes/s`, ours: ours?.p50 ?? null, ref: bare?.p50 ?? null, digits: 2 });
    report.add({ part, metric: `${label}: lag p99 ms at ${rate} writes/s`, ours: ours?.p99 ?? null, ref: bare?.p99 ?? null, digits: 2 });
  }
}
