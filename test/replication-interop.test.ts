import { afterEach, describe, expect, it } from 'vitest';
import { converged, info, readDataset, writeEveryType } from './helpers/dataset.js';
import { startStockRedis, type StockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function ours(args: string[] = []): Promise<ServerProcess> {
  const s = await startServer(args);
  cleanups.push(() => s.stop());
  return s;
}
async function stock(args: string[] = []): Promise<StockRedis> {
  const s = await startStockRedis(args);
  cleanups.push(() => s.stop());
  return s;
}
async function connect(port: number): Promise<RespConnection> {
  const c = await RespConnection.tcp(port);
  cleanups.push(() => c.close());
  return c;
}

describe('interop with a stock redis-server', () => {
  it('a stock redis-server replicates from our master: full sync from our RDB, streaming, partial resync', async () => {
    const m = await ours();
    const mc = await connect(m.port);
    await writeEveryType(mc, 40, 11);
    // Large values and aggregates so the snapshot spans many chunks and several encodings on the Redis side.
    await mc.call('SET', 'big', 'x'.repeat(200_000));
    for (let i = 0; i < 300; i++) mc.send('RPUSH', 'biglist', `item-${i}`);
    for (let i = 0; i < 300; i++) await mc.next();
    const r = await stock(['--replicaof', '127.0.0.1', String(m.port)]);
    const rc = await connect(r.port);
    await converged(mc, rc);
    expect(await readDataset(rc)).toEqual(await readDataset(mc));
    expect((await info(mc, 'stats')).sync_full).toBe('1');

    await writeEveryType(mc, 80, 12);
    await converged(mc, rc);
    expect(await readDataset(rc)).toEqual(await readDataset(mc));

    const killer = await connect(m.port);
    expect(await killer.call('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1);
    await writeEveryType(mc, 20, 13);
    await converged(mc, rc);
    const s = await info(mc, 'stats');
    expect(s.sync_partial_ok).toBe('1');
    expect(s.sync_full).toBe('1');
    expect(await readDataset(rc)).toEqual(await readDataset(mc));
  });

  it('our replica full-syncs from a stock redis-server master and follows its stream', async () => {
    // Redis waits repl-diskless-sync-delay (5 s) for more replicas before a diskless transfer, sending "\n"
    // keepalives meanwhile; the replica must skip those. 1 s keeps the keepalive path covered and the test short.
    const m = await stock(['--repl-diskless-sync-delay', '1']);
    const mc = await connect(m.port);
    await writeEveryType(mc, 40, 21);
    for (let i = 0; i < 600; i++) mc.send('SADD', 'intset', i);
    for (let i = 0; i < 600; i++) await mc.next();
    const r = await ours(['--replicaof', '127.0.0.1', String(m.port)]);
    const rc = await connect(r.port);
    await converged(mc, rc);
    expect(await readDataset(rc)).toEqual(await readDataset(mc));
    await writeEveryType(mc, 40, 22);
    await converged(mc, rc);
    expect(await readDataset(rc)).toEqual(await readDataset(mc));
    const killer = await connect(m.port);
    expect(await killer.call('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1);
    await writeEveryType(mc, 10, 23);
    await converged(mc, rc);
    expect((await info(mc, 'stats')).sync_partial_ok).toBe('1');
    expect(await readDataset(rc)).toEqual(await readDataset(mc));
  });

  it('FAILOVER hands the master role to a stock replica and back, each side continuing with a partial resync', async () => {
    const m = await ours();
    const mc = await connect(m.port);
    await writeEveryType(mc, 30, 21);
    const r = await stock(['--replicaof', '127.0.0.1', String(m.port)]);
    const rc = await connect(r.port);
    await converged(mc, rc);
    const dataset = await readDataset(mc);
    // Ours fails over to the stock replica (PSYNC ... FAILOVER from us), which takes over and we follow it.
    expect(await mc.call('FAILOVER')).toEqual({ value: 'OK' });
    await waitFor(async () => (await info(mc)).role === 'slave' && (await info(mc)).master_link_status === 'up', 20_000, 'our server to follow');
    expect((await info(rc)).role).toBe('master');
    expect((await info(mc)).master_failover_state).toBe('no-failover');
    expect((await info(rc, 'stats')).sync_partial_ok).toBe('1');
    await rc.call('SET', 'written-on', 'redis');
    await converged(rc, mc);
    expect(await mc.call('GET', 'written-on')).toBe('redis');
    // And back: the stock master's FAILOVER sends us PSYNC ... FAILOVER; we take over.
    expect(await rc.call('FAILOVER')).toEqual({ value: 'OK' });
    await waitFor(async () => (await info(rc)).role === 'slave' && (await info(rc)).master_link_status === 'up', 20_000, 'redis to follow');
    expect((await info(mc)).role).toBe('master');
    expect((await info(mc, 'stats')).sync_partial_ok).toBe('1');
    await mc.call('SET', 'written-on', 'ours');
    await converged(mc, rc);
    expect(await rc.call('GET', 'written-on')).toBe('ours');
    const { ['db0']: db0, ...rest } = await readDataset(rc);
    const { ['written-on']: _w, ...before } = db0 ?? {};
    expect({ db0: before, ...rest }).toEqual(dataset);
  });
});
