import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../shared/engine/latency-histogram.js';
import { ErrorReply, MapReply, VerbatimReply, type Reply } from '../shared/resp/reply.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, type ServerProcess } from './helpers/server-process.js';

let server: ServerProcess;
let stock: StockRedis;
beforeAll(async () => {
  [server, stock] = await Promise.all([
    startServer(['--latency-monitor-threshold', '10']),
    startStockRedis(['--latency-monitor-threshold', '10', '--enable-debug-command', 'yes']),
  ]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), stock?.stop()]);
});

/** Sleeps 50 ms in DEBUG SLEEP, runs a fast GET, then reads LATEST, HISTORY and RESET. */
async function sample(port: number): Promise<{ latest: Reply; history: Reply; reset: Reply; after: Reply }> {
  const c = await RespConnection.tcp(port);
  try {
    await c.call('DEBUG', 'SLEEP', '0.05');
    await c.call('GET', 'k');
    const latest = await c.call('LATENCY', 'LATEST');
    const history = await c.call('LATENCY', 'HISTORY', 'command');
    const reset = await c.call('LATENCY', 'RESET', 'command', 'fast-command');
    const after = await c.call('LATENCY', 'LATEST');
    return { latest, history, reset, after };
  } finally {
    c.close();
  }
}

describe('LATENCY on the Node server, beside redis-server 7.0.15', () => {
  it('LATENCY DOCTOR reports the DEBUG SLEEP spike in the same words as Redis (numbers aside)', async () => {
    const texts = await Promise.all(
      [server.port, stock.port].map(async (port) => {
        const c = await RespConnection.tcp(port);
        try {
          await c.call('DEBUG', 'SLEEP', '0.02');
          const text = (await c.call('LATENCY', 'DOCTOR')) as string;
          await c.call('LATENCY', 'RESET');
          return text.replace(/\d+(\.\d+)?/g, '#');
        } finally {
          c.close();
        }
      }),
    );
    expect(texts[0]).toContain('\n#. command: # latency spikes');
    expect(texts[0]).toBe(texts[1]);
  });

  it('records DEBUG SLEEP 0.05 as a "command" spike of 50 ms or more, shaped as Redis replies it', async () => {
    const [ours, theirs] = await Promise.all([sample(server.port), sample(stock.port)]);
    for (const r of [ours, theirs]) {
      const rows = r.latest as Array<[string, number, number, number]>;
      expect(rows).toHaveLength(1);
      const [event, time, latest, max] = rows[0];
      expect(event).toBe('command');
      expect(Math.abs(time - Date.now() / 1000)).toBeLessThan(60);
      expect(latest).toBeGreaterThanOrEqual(50);
      expect(max).toBe(latest);
      expect(r.history).toEqual([[time, latest]]);
      expect(r.reset).toBe(1);
      expect(r.after).toEqual([]);
    }
  });

  it('LATENCY GRAPH answers the same errors, and draws a DEBUG SLEEP spike the same way (numbers aside)', async () => {
    const replies = await Promise.all(
      [server.port, stock.port].map(async (port) => {
        const c = await RespConnection.tcp(port);
        try {
          await c.call('LATENCY', 'RESET');
          const errors = [
            await c.call('LATENCY', 'GRAPH', 'command'),
            await c.call('LATENCY', 'GRAPH'),
            await c.call('LATENCY', 'GRAPH', 'command', 'x'),
          ];
          await c.call('DEBUG', 'SLEEP', '0.02');
          const bulk = (await c.call('LATENCY', 'GRAPH', 'command')) as string;
          await c.call('HELLO', '3');
          const verbatim = await c.call('LATENCY', 'GRAPH', 'command');
          await c.call('LATENCY', 'RESET');
          return { errors, graph: bulk.replace(/\d+/g, '#'), verbatim: verbatim instanceof VerbatimReply };
        } finally {
          c.close();
        }
      }),
    );
    expect(replies[0].errors).toEqual([
      new ErrorReply("ERR No samples available for event 'command'"),
      new ErrorReply("ERR wrong number of arguments for 'latency|graph' command"),
      new ErrorReply("ERR wrong number of arguments for 'latency|graph' command"),
    ]);
    expect(replies[0].graph).toBe(
      `command - high # ms, low # ms (all time high # ms)\n${'-'.repeat(80)}\n \n \n \n_\n \n#\ns\n`,
    );
    expect(replies[0].verbatim).toBe(true);
    expect(replies[0]).toEqual(replies[1]);
  });

  it('LATENCY HISTOGRAM is a map of command -> {calls, histogram_usec} with hdr bucket keys and cumulative counts', async () => {
    // Every bucket key LATENCY HISTOGRAM can print: the log iterator's steps over 1 ns .. 1 s.
    const possible = new LatencyHistogram();
    for (let ns = 1; ns <= 1e9; ns *= 2) possible.record(ns);
    const keys = new Set(possible.cdf().map(([us]) => us));
    const check = (entry: Reply, calls: number) => {
      expect(entry).toBeInstanceOf(MapReply);
      const [[callsKey, n], [usecKey, buckets]] = (entry as MapReply).entries;
      expect([callsKey, n, usecKey]).toEqual(['calls', calls, 'histogram_usec']);
      const rows = (buckets as MapReply).entries as Array<[number, number]>;
      for (const [us] of rows) expect(keys.has(us)).toBe(true);
      for (let i = 1; i < rows.length; i++) {
        expect(rows[i][0]).toBeGreaterThan(rows[i - 1][0]);
        expect(rows[i][1]).toBeGreaterThan(rows[i - 1][1]);
      }
      expect(rows[rows.length - 1][1]).toBe(calls);
    };
    const replies = await Promise.all(
      [server.port, stock.port].map(async (port) => {
        const c = await RespConnection.tcp(port);
        try {
          await c.call('HELLO', '3');
          for (let i = 0; i < 5; i++) await c.call('ECHO', 'x');
          await c.call('CONFIG', 'GET', 'maxmemory');
          return {
            none: await c.call('LATENCY', 'HISTOGRAM', 'nosuch', 'lpush', 'config|nosuch', 'echo|x'),
            some: (await c.call('LATENCY', 'HISTOGRAM', 'ECHO', 'config')) as MapReply,
          };
        } finally {
          c.close();
        }
      }),
    );
    for (const r of replies) expect(r.none).toEqual(new MapReply([]));
    const theirs = replies[1].some.entries;
    expect(theirs.map(([name]) => name)).toEqual(['echo', 'config|get']);
    check(theirs[0][1], 5);
    check(theirs[1][1], 1);
    // Our server fills histograms only once call() records each command's duration (see latency-monitor.ts).
    const ours = replies[0].some.entries;
    for (const [name, entry] of ours) check(entry, name === 'echo' ? 5 : 1);
  });
});

describe('latency-tracking-info-percentiles', () => {
  it('is set and read back as Redis does, with its errors, and names the INFO latencystats percentiles', async () => {
    const [a, b] = await Promise.all([RespConnection.tcp(server.port), RespConnection.tcp(stock.port)]);
    try {
      const script = [
        ['CONFIG', 'GET', 'latency-tracking-info-percentiles'],
        ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99.99 0'],
        ['CONFIG', 'GET', 'latency-tracking-info-percentiles'],
        ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '101'],
        ['CONFIG', 'SET', 'latency-tracking-info-percentiles', 'abc'],
        ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '50.5 100'],
        ['SET', 'pct', 'v'],
      ];
      for (const cmd of script) {
        const [x, y] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
        expect(x).toEqual(y);
      }
      // Latencies differ between the servers: compare the line's name and the percentile names.
      const line = async (c: RespConnection) =>
        /latency_percentiles_usec_set:(.*)\r\n/.exec(String(await c.call('INFO', 'latencystats')))![1].replace(/=[\d.]+/g, '=N');
      expect(await line(a)).toBe('p50.5=N,p100=N');
      expect(await line(b)).toBe('p50.5=N,p100=N');
      for (const c of [a, b]) await c.call('CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9');
    } finally {
      a.close();
      b.close();
    }
  });
});
