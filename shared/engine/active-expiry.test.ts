import { describe, expect, it } from 'vitest';
import { createServerCore } from '../create-server.js';
import { createHarness } from '../../test/helpers/core-harness.js';

describe('active expiry', () => {
  it('deletes expired keys nobody reads and propagates a DEL for each', () => {
    const h = createHarness();
    const c = h.client();
    for (let i = 0; i < 100; i++) c.call('SET', `k${i}`, 'v', 'PX', '10');
    c.call('SET', 'forever', 'v');
    h.propagated.length = 0;
    h.clock.advance(11);
    for (let i = 0; i < 20 && h.core.dbs[0].size > 1; i++) h.core.cron();
    expect(h.core.dbs[0].size).toBe(1);
    expect(h.propagated.filter((p) => p[0] === 'DEL')).toHaveLength(100);
    expect(h.core.stats.expiredKeys).toBe(100);
  });

  it('stops each cycle within its time budget, so a mass expiry never blocks the server for long', () => {
    // A clock that moves 1 ms per reading: a cycle that keeps sampling would run far past its budget.
    let now = 1_700_000_000_000;
    const { core } = createServerCore({ host: { now: () => now++, log: () => {} } });
    const db = core.dbs[0];
    for (let i = 0; i < 50_000; i++) {
      db.dict.set(`k${i}`, 'v');
      db.expires.set(`k${i}`, now + 5);
    }
    now += 100;
    const before = now;
    core.activeExpireCycle();
    // hz 10: a quarter of a 100 ms period, plus the readings of the last batch.
    expect(now - before).toBeLessThan(40);
    expect(db.size).toBeGreaterThan(40_000);
    for (let i = 0; i < 5000 && db.size > 0; i++) core.activeExpireCycle();
    expect(db.size).toBe(0);
  });

  it('leaves expired keys to the master on a replica', () => {
    const h = createHarness();
    h.core.role = 'replica';
    h.core.dbs[0].dict.set('k', 'v');
    h.core.dbs[0].expires.set('k', h.clock.now + 1);
    h.clock.advance(10);
    h.core.cron();
    expect(h.core.dbs[0].dict.has('k')).toBe(true);
  });
});

describe('active expiry and the latency monitor', () => {
  it('records a slow cycle as the expire-cycle event, and a slow deletion as expire-del', () => {
    // Every reading of the microsecond clock is 30 ms after the previous one.
    let micros = 0;
    const now = 1_700_000_000_000;
    const { core } = createServerCore({ host: { now: () => now, micros: () => (micros += 30_000), log: () => {} } });
    core.config.set('latency-monitor-threshold', '20');
    core.dbs[0].dict.set('k', 'v');
    core.dbs[0].expires.set('k', now - 1);
    core.activeExpireCycle();
    expect(core.dbs[0].size).toBe(0);
    expect(core.latency.series('expire-cycle')?.max).toBeGreaterThanOrEqual(20);
    expect(core.latency.series('expire-del')?.max).toBe(30);
  });
});
