import { afterEach, describe, expect, it } from 'vitest';
import { converged } from './helpers/dataset.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(args: string[]): Promise<ServerProcess> {
  const s = await startServer(args);
  cleanups.push(() => s.stop());
  return s;
}

describe('a writable replica and keys its master let expire (Redis 7.0, replication-3.tcl)', () => {
  it('hides them from reads, and a write of its own starts from a deleted key (no old TTL)', async () => {
    const master = await server([]);
    const replica = await server(['--replicaof', '127.0.0.1', String(master.port)]);
    const m = await RespConnection.tcp(master.port);
    const r = await RespConnection.tcp(replica.port);
    cleanups.push(() => m.close(), () => r.close());
    await m.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    await m.call('SET', 'key1', '5', 'PX', '10');
    await m.call('SET', 'key2', '5', 'PX', '10');
    await converged(m, r);
    await waitFor(async () => (await r.call('EXISTS', 'key1', 'key2')) === 0, 5000, 'the keys to expire on the replica');
    await r.call('CONFIG', 'SET', 'replica-read-only', 'no');
    expect(await r.call('DBSIZE')).toBe(2);
    expect(await r.call('INCR', 'key1')).toBe(1);
    expect(await r.call('TTL', 'key1')).toBe(-1);
    expect(await r.call('GET', 'key2')).toBeNull();
    expect(await r.call('DBSIZE')).toBe(2);
  });
});
