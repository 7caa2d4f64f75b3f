import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { converged, info, readDataset, writeEveryType } from './helpers/dataset.js';
import { RespConnection } from './helpers/resp-connection.js';
import { freePort, startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function ours(args: string[] = [], port?: number): Promise<ServerProcess> {
  const s = await startServer(args, { port });
  cleanups.push(() => s.stop());
  return s;
}

async function connect(port: number): Promise<RespConnection> {
  const c = await RespConnection.tcp(port);
  cleanups.push(() => c.close());
  return c;
}

/**
 * Starts a stock Sentinel (`redis-server <conf> --sentinel`, from the Debian redis-server package) watching
 * `master` with a quorum of one and short timeouts. Sentinel rewrites its config file, so it gets its own.
 */
async function startSentinel(masterPort: number): Promise<{ port: number; output: () => string }> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'sentinel-'));
  const conf = path.join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor mymaster 127.0.0.1 ${masterPort} 1`,
      'sentinel down-after-milliseconds mymaster 3000',
      'sentinel failover-timeout mymaster 5000',
      'sentinel parallel-syncs mymaster 1',
      '',
    ].join('\n'),
  );
  const proc = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  cleanups.push(async () => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await exited;
  });
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`sentinel exited:\n${out}`);
    try {
      (await RespConnection.tcp(port)).close();
      return true;
    } catch {
      return false;
    }
  }, 15_000, 'sentinel to start');
  return { port, output: () => out };
}

describe('failover by a stock Redis Sentinel', () => {
  it('promotes one of our replicas when our master dies, repoints the other with a partial resync, and demotes the old master when it returns', async () => {
    const m = await ours();
    const r1 = await ours(['--replicaof', '127.0.0.1', String(m.port)]);
    const r2 = await ours(['--replicaof', '127.0.0.1', String(m.port)]);
    const mc = await connect(m.port);
    const r1c = await connect(r1.port);
    const r2c = await connect(r2.port);
    await writeEveryType(mc, 30, 5);
    await converged(mc, r1c);
    await converged(mc, r2c);
    const dataset = await readDataset(mc);

    const sentinel = await startSentinel(m.port);
    const sc = await connect(sentinel.port);
    // Sentinel finds the replicas in the master's INFO replication.
    await waitFor(async () => ((await sc.call('SENTINEL', 'REPLICAS', 'mymaster')) as unknown[]).length === 2, 20_000, 'sentinel to see both replicas');

    await m.stop();
    let promoted = 0;
    await waitFor(
      async () => {
        const addr = (await sc.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as string[];
        promoted = Number(addr[1]);
        return promoted !== m.port;
      },
      30_000,
      'sentinel to fail over',
    );
    // Sentinel ends each reconfiguration with CLIENT KILL TYPE normal (as it does with Redis): every check below
    // uses a connection opened after it.
    const [newPort, otherPort] = promoted === r1.port ? [r1.port, r2.port] : [r2.port, r1.port];
    expect([r1.port, r2.port]).toContain(promoted);
    // A connection opened just before one of those kills dies under the query: run it again on a new one.
    const on = async <T>(port: number, query: (c: RespConnection) => Promise<T>): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        const c = await RespConnection.tcp(port);
        try {
          return await query(c);
        } catch (e) {
          if (attempt >= 5 || !/connection closed/.test(String(e))) throw e;
        } finally {
          c.close();
        }
      }
    };
    const caughtUp = async (masterPort: number, replicaPort: number) => {
      const m = await on(masterPort, (c) => info(c));
      const r = await on(replicaPort, (c) => info(c));
      return r.master_port === String(masterPort) && r.master_link_status === 'up' && r.slave_repl_offset === m.master_repl_offset;
    };
    await waitFor(async () => (await on(newPort, (c) => info(c))).role === 'master', 30_000, 'the promoted replica to report role:master');
    expect(await on(newPort, (c) => readDataset(c))).toEqual(dataset);

    // The other replica is told to follow the new master; PSYNC2 lets it continue where it was.
    await waitFor(() => caughtUp(newPort, otherPort), 30_000, 'the other replica to follow the new master');
    await on(newPort, (c) => c.call('SET', 'after-failover', 'yes'));
    await waitFor(() => caughtUp(newPort, otherPort), 30_000, 'the other replica to get the new write');
    expect(await on(otherPort, (c) => c.call('GET', 'after-failover'))).toBe('yes');
    const stats = await on(newPort, (c) => info(c, 'stats'));
    if (stats.sync_partial_ok !== '1' || stats.sync_full !== '0') {
      throw new Error(`expected one partial resync and no full one, got ${JSON.stringify(stats)}\n${r1.output()}\n======\n${r2.output()}\n======\n${sentinel.output()}`);
    }
    expect(stats.sync_partial_ok).toBe('1');
    expect(stats.sync_full).toBe('0');

    // The old master comes back (empty: no persistence) as a master; Sentinel turns it into a replica.
    const back = await ours([], m.port);
    // Sentinel waits 8 s after it sees a returning master's role before it converts it, and polls every 10 s;
    // on a loaded two-core machine that has taken longer than a minute.
    // Follow Sentinel's current answer: a master too slow to answer its PINGs on a loaded machine can be failed
    // over once more, and the returning node then follows the newest master.
    const currentMaster = async () => Number(((await sc.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as string[])[1]);
    try {
      await waitFor(async () => caughtUp(await currentMaster(), back.port), 100_000, 'the old master to be demoted and synced');
    } catch (e) {
      const state = async (port: number) => JSON.stringify(await on(port, (c) => info(c)).catch((err) => String(err)));
      throw new Error(
        `${String(e)}\npromoted: ${await state(newPort)}\nsentinel's master: ${await currentMaster()}\nreturned: ${await state(back.port)}\n` +
          `returned log:\n${back.output()}\n====== sentinel:\n${sentinel.output()}`,
      );
    }
    expect(await on(back.port, (c) => readDataset(c))).toEqual(await on(await currentMaster(), (c) => readDataset(c)));
    expect(sentinel.output()).toMatch(/\+switch-master mymaster 127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+/);
  }, 180_000);
});
