import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimpleString } from '../shared/resp/reply.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer } from './helpers/server-process.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kld-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const loadSeconds = (output: string) => Number(/DB loaded from disk: ([\d.]+) seconds/.exec(output)?.[1]);

describe('key-load-delay (hidden debug config)', { timeout: 60_000 }, () => {
  it('slows RDB loading by its microseconds per key and is shown by CONFIG GET only when named exactly', async () => {
    const first = await startServer(['--dir', dir]);
    const c = await RespConnection.tcp(first.port);
    for (let i = 0; i < 10; i++) await c.call('SET', `k${i}`, 'v');
    expect(await c.call('SAVE')).toEqual(new SimpleString('OK'));
    c.close();
    await first.stop();

    const slow = await startServer(['--dir', dir, '--key-load-delay', '50000']);
    try {
      await slow.waitForOutput(/DB loaded from disk/);
      // Ten keys at 50ms each.
      expect(loadSeconds(slow.output())).toBeGreaterThanOrEqual(0.5);
      const s = await RespConnection.tcp(slow.port);
      expect(await s.call('DBSIZE')).toBe(10);
      expect(await s.call('CONFIG', 'GET', 'key-load-delay')).toEqual(['key-load-delay', '50000']);
      const all = (await s.call('CONFIG', 'GET', '*')) as string[];
      expect(all).toContain('maxmemory');
      expect(JSON.stringify(all)).not.toContain('key-load-delay');
      expect(await s.call('CONFIG', 'GET', 'key-load-dela?')).toEqual([]);
      // Our own http-port is hidden the same way, so CONFIG GET * lists only parameters CONFIG SET accepts back.
      expect(all).not.toContain('http-port');
      expect(await s.call('CONFIG', 'GET', 'http-port')).toEqual(['http-port', String(slow.httpPort)]);
      s.close();
    } finally {
      await slow.stop();
    }
  });
});
