import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../shared/resp/reply.js';
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
});
