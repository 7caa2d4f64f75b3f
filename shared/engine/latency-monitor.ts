import type { Reply } from '../resp/reply.js';
import { LatencyHistogram } from './latency-histogram.js';

/** Redis's LATENCY_TS_LEN: samples kept per event (one per second, so the last 160 seconds with a spike). */
export const LATENCY_TS_LEN = 160;

/** One event's time series: a ring of (unix seconds, ms) samples and the worst latency ever seen. */
export interface TimeSeries {
  /** Unix seconds per slot; 0 marks a slot never written (Redis skips those in HISTORY). */
  times: number[];
  latencies: number[];
  /** The next slot to write. */
  idx: number;
  max: number;
}

/**
 * The latency monitor (Redis's latency.c): per event name ("command", "fast-command", ...), latency spikes at
 * or above `latency-monitor-threshold` ms. Events keep their creation order, which LATEST follows (Redis
 * iterates a hash table, so its order among several events may differ).
 */
export class LatencyMonitor {
  private readonly events = new Map<string, TimeSeries>();
  /**
   * Per command full name ("get", "config|get"): the latency-tracking histogram LATENCY HISTOGRAM reports,
   * created at the command's first recorded call as Redis allocates cmd->latency_histogram.
   */
  readonly histograms = new Map<string, LatencyHistogram>();

  /**
   * Redis's updateCommandLatencyHistogram for one completed call of `fullName` that took `micros`: Redis
   * measures whole microseconds and records them as nanoseconds.
   */
  recordCommand(fullName: string, micros: number): void {
    let h = this.histograms.get(fullName);
    if (h === undefined) this.histograms.set(fullName, (h = new LatencyHistogram()));
    h.record(Math.floor(micros) * 1000);
  }

  /** Forgets every command histogram (CONFIG RESETSTAT; LATENCY RESET keeps them, as in Redis). */
  resetHistograms(): void {
    this.histograms.clear();
  }

  /** The event's series, if it has samples (LATENCY GRAPH). */
  series(event: string): TimeSeries | undefined {
    return this.events.get(event);
  }

  /** Records `ms` for `event` at unix time `now` (seconds): within one second only the worst sample stays. */
  addSample(event: string, ms: number, now: number): void {
    let ts = this.events.get(event);
    if (ts === undefined) {
      ts = { times: new Array<number>(LATENCY_TS_LEN).fill(0), latencies: new Array<number>(LATENCY_TS_LEN).fill(0), idx: 0, max: 0 };
      this.events.set(event, ts);
    }
    if (ms > ts.max) ts.max = ms;
    const prev = (ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
    if (ts.times[prev] === now) {
      if (ms > ts.latencies[prev]) ts.latencies[prev] = ms;
      return;
    }
    ts.times[ts.idx] = now;
    ts.latencies[ts.idx] = ms;
    ts.idx = (ts.idx + 1) % LATENCY_TS_LEN;
  }

  /** LATENCY LATEST: per event [name, time of the latest sample, its ms, the max ms]. */
  latest(): Reply {
    const rows: Reply[] = [];
    for (const [name, ts] of this.events) {
      const last = (ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
      rows.push([name, ts.times[last], ts.latencies[last], ts.max]);
    }
    return rows;
  }

  /** LATENCY HISTORY: the event's samples oldest first as [time, ms] (empty for an unknown event). */
  history(event: string): Reply {
    const ts = this.events.get(event);
    if (ts === undefined) return [];
    const rows: Reply[] = [];
    for (let j = 0; j < LATENCY_TS_LEN; j++) {
      const i = (ts.idx + j) % LATENCY_TS_LEN;
      if (ts.times[i] !== 0) rows.push([ts.times[i], ts.latencies[i]]);
    }
    return rows;
  }

  /** The events and their series, oldest event first (for the doctor's report). */
  eventEntries(): Array<[string, TimeSeries]> {
    return [...this.events];
  }

  /** Forgets one event (or all, when `event` is undefined); returns how many existed. */
  reset(event?: string): number {
    if (event === undefined) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    return this.events.delete(event) ? 1 : 0;
  }
}

/** The settings LATENCY DOCTOR's advice depends on. */
export interface DoctorSettings {
  /** latency-monitor-threshold, ms. */
  threshold: number;
  /** slowlog-log-slower-than, microseconds. */
  slowlogThreshold: number;
  /** Unix seconds now. */
  now: number;
}

const DISABLED =
  'I\'m sorry, Dave, I can\'t do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren\'t in a deep space mission I\'d suggest to take a look at https://redis.io/topics/latency-monitor.\n';

/**
 * LATENCY DOCTOR's text (Redis's createLatencyReport) for the events this server records: "command",
 * "fast-command" and "command-unblocking". Redis's host checks (transparent huge pages) are not made.
 */
export function latencyReport(monitor: LatencyMonitor, s: DoctorSettings): string {
  const events = monitor.eventEntries();
  if (events.length === 0 && s.threshold === 0) return DISABLED;
  let report = '';
  let advices = 0;
  let slowlogEnabled = false;
  let slowlogTuning = false;
  let slowlogInspect = false;
  let scheduler = false;
  let largeObjects = false;
  let eventnum = 0;
  for (const [event, ts] of events) {
    eventnum++;
    if (eventnum === 1) {
      report += "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
    }
    const st = analyze(ts, s.now);
    report += `${eventnum}. ${event}: ${st.samples} latency spikes (average ${st.avg}ms, mean deviation ${st.mad}ms, period ${(st.period / st.samples).toFixed(2)} sec). Worst all time event ${ts.max}ms.`;
    if (event.toLowerCase() === 'command') {
      if (s.slowlogThreshold < 0) {
        slowlogEnabled = true;
        advices++;
      } else if (Math.trunc(s.slowlogThreshold / 1000) > s.threshold) {
        slowlogTuning = true;
        advices++;
      }
      slowlogInspect = true;
      largeObjects = true;
      advices += 2;
    }
    if (event.toLowerCase() === 'fast-command') {
      scheduler = true;
      advices++;
    }
    report += '\n';
  }
  if (eventnum === 0 && advices === 0) {
    return `${report}Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n`;
  }
  if (advices === 0) {
    return `${report}\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n`;
  }
  report += '\nI have a few advices for you:\n\n';
  if (slowlogEnabled) {
    report += `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${s.threshold * 1000}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n`;
  }
  if (slowlogTuning) {
    report += `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${s.threshold * 1000}'.\n`;
  }
  if (slowlogInspect) {
    report +=
      '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n';
  }
  if (scheduler) {
    report +=
      '- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n' +
      '  1) Lower the system load.\n' +
      '  2) Use a computer / VM just for Redis if you are running other software in the same system.\n' +
      '  3) Check if you have a "noisy neighbour" problem.\n' +
      "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
      '  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n';
  }
  if (largeObjects) {
    report +=
      '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n';
  }
  return report;
}

/** Redis's analyzeLatencyForEvent: sample count, integer average and mean deviation, seconds since the oldest. */
function analyze(ts: TimeSeries, now: number): { samples: number; avg: number; mad: number; period: number } {
  let samples = 0;
  let sum = 0;
  let oldest = 0;
  for (let j = 0; j < LATENCY_TS_LEN; j++) {
    if (ts.times[j] === 0) continue;
    samples++;
    sum += ts.latencies[j];
    if (oldest === 0 || ts.times[j] < oldest) oldest = ts.times[j];
  }
  if (samples === 0) return { samples: 0, avg: 0, mad: 0, period: 0 };
  const avg = Math.floor(sum / samples);
  let period = now - oldest;
  if (period === 0) period = 1;
  let dev = 0;
  for (let j = 0; j < LATENCY_TS_LEN; j++) {
    if (ts.times[j] !== 0) dev += Math.abs(avg - ts.latencies[j]);
  }
  return { samples, avg, mad: Math.floor(dev / samples), period };
}
