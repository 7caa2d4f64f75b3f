import { describe, expect, it } from 'vitest';
import { createHarness } from '../../test/helpers/core-harness.js';

/** CLIENT LIST's qbuf and qbuf-free of the client named `name`. */
function qbuf(list: string, name: string): { qbuf: number; free: number } {
  const line = list.split('\n').find((l) => l.includes(` name=${name} `)) ?? '';
  return { qbuf: Number(/ qbuf=(\d+)/.exec(line)?.[1]), free: Number(/ qbuf-free=(\d+)/.exec(line)?.[1]) };
}

describe('query buffer sizes in CLIENT LIST (as Redis 7.0 reports them)', () => {
  it('the calling client still holds its own command: qbuf=26 for CLIENT LIST', () => {
    const h = createHarness();
    const c = h.client();
    c.call('CLIENT', 'SETNAME', 'me');
    expect(qbuf(String(c.call('CLIENT', 'LIST')), 'me').qbuf).toBe(26);
    expect(String(c.call('CLIENT', 'INFO'))).toMatch(/ qbuf=26 /);
  });

  it('a read makes 16k of room, which the cron frees once the client has been idle for more than 2 s', () => {
    const h = createHarness();
    const c = h.client();
    const admin = h.client();
    c.call('CLIENT', 'SETNAME', 'idle');
    const before = qbuf(String(admin.call('CLIENT', 'LIST')), 'idle');
    expect(before.qbuf).toBe(0);
    expect(before.free).toBeGreaterThanOrEqual(16384);
    expect(before.free).toBeLessThan(32768);
    h.clock.advance(1000);
    h.core.cron();
    expect(qbuf(String(admin.call('CLIENT', 'LIST')), 'idle').free).toBe(before.free);
    h.clock.advance(3000);
    h.core.cron();
    expect(qbuf(String(admin.call('CLIENT', 'LIST')), 'idle')).toEqual({ qbuf: 0, free: 0 });
  });

  it('a buffer a big argument grew shrinks back towards the recent peak while the client stays busy', () => {
    const h = createHarness();
    const c = h.client();
    const admin = h.client();
    c.call('CLIENT', 'SETNAME', 'busy');
    const big = 'A'.repeat(400000);
    const bytes = `*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$${big.length}\r\n${big}\r\n`;
    for (let i = 0; i < bytes.length; i += 65536) c.sendRaw(bytes.slice(i, i + 65536));
    const grown = qbuf(String(admin.call('CLIENT', 'LIST')), 'busy');
    expect(grown.qbuf + grown.free).toBeGreaterThan(32768);
    h.core.cron();
    c.call('SET', 'x', 'small');
    h.core.cron();
    const shrunk = qbuf(String(admin.call('CLIENT', 'LIST')), 'busy');
    expect(shrunk.qbuf + shrunk.free).toBeGreaterThan(0);
    expect(shrunk.qbuf + shrunk.free).toBeLessThan(grown.qbuf + grown.free);
  });
});
