import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { converged, info } from './helpers/dataset.js';
import { startStockRedis } from './helpers/redis-server.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from './helpers/server-process.js';
import { ErrorReply, SimpleString } from '../shared/resp/reply.js';

const OK = new SimpleString('OK');
const SHUTDOWN_ERROR = new ErrorReply('ERR Errors trying to SHUTDOWN. Check logs.');

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function ours(args: string[] = []): Promise<ServerProcess> {
  const s = await startServer(args);
  cleanups.push(() => s.stop());
  return s;
}
async function connect(port: number): Promise<RespConnection> {
  const c = await RespConnection.tcp(port);
  cleanups.push(() => c.close());
  return c;
}

/** Freezes a replica so it stops reading its master's stream; it is let go again before the cleanup stops it. */
function freeze(proc: ChildProcess): void {
  proc.kill('SIGSTOP');
  cleanups.push(() => {
    if (proc.exitCode === null) proc.kill('SIGCONT');
  });
}

/** How many times the master logged that it waits for its replicas. */
function waits(m: ServerProcess): number {
  return m.output().split('Waiting for replicas before shutting down.').length - 1;
}

/** Our master with one in-sync replica (ours or a stock redis-server) and a connection to each. */
async function masterAndReplica(kind: 'ours' | 'stock', masterArgs: string[] = []) {
  const m = await ours(masterArgs);
  const mc = await connect(m.port);
  let replica: { port: number; proc: ChildProcess };
  if (kind === 'ours') {
    replica = await ours(['--replicaof', '127.0.0.1', String(m.port)]);
  } else {
    const s = await startStockRedis(['--replicaof', '127.0.0.1', String(m.port)]);
    cleanups.push(() => s.stop());
    replica = s;
  }
  const rc = await connect(replica.port);
  await waitFor(async () => (await info(rc)).master_link_status === 'up', 15_000, 'replica link up');
  await mc.call('SET', 'k', 'v0');
  await converged(mc, rc);
  return { m, mc, replica, rc };
}

describe('SHUTDOWN waits for lagging replicas', () => {
  for (const kind of ['ours', 'stock'] as const) {
    it(`holds writes while a frozen replica (${kind}) lags, ABORT cancels, and after SIGCONT the master exits once it acknowledged`, async () => {
      const { m, mc, replica, rc } = await masterAndReplica(kind, ['--shutdown-timeout', '60']);
      freeze(replica.proc);
      expect(await mc.call('SET', 'k', 'v1')).toEqual(OK);

      const sc = await connect(m.port);
      sc.send('SHUTDOWN');
      await waitFor(() => waits(m) === 1, 10_000, 'the master to wait for its replica');
      const wc = await connect(m.port);
      wc.send('SET', 'k', 'v2');
      // Reads go on while the write is held; INFO tells how long the wait may last.
      const other = await connect(m.port);
      expect(await other.call('GET', 'k')).toBe('v1');
      const left = Number((await info(other, 'server')).shutdown_in_milliseconds);
      expect(left).toBeGreaterThan(50_000);
      expect(left).toBeLessThanOrEqual(60_000);
      expect(await other.call('SHUTDOWN', 'ABORT')).toEqual(OK);
      expect(await sc.next()).toEqual(SHUTDOWN_ERROR);
      expect(await wc.next()).toEqual(OK);
      expect(m.output()).toContain('Shutdown manually aborted.');
      expect(await other.call('SHUTDOWN', 'ABORT')).toEqual(new ErrorReply('ERR No shutdown in progress.'));
      expect((await info(other, 'server')).shutdown_in_milliseconds).toBeUndefined();

      expect(await mc.call('SET', 'last', 'write')).toEqual(OK);
      sc.send('SHUTDOWN', 'NOSAVE');
      await waitFor(() => waits(m) === 2, 10_000, 'the master to wait again');
      expect(m.proc.exitCode).toBe(null);
      replica.proc.kill('SIGCONT');
      await sc.waitClosed(15_000);
      await waitFor(() => m.proc.exitCode !== null, 15_000, 'the master to exit');
      expect(m.proc.exitCode).toBe(0);
      expect(m.output()).toContain('1 of 1 replicas are in sync when shutting down.');
      expect(m.output()).not.toContain('Lagging replica');
      expect(await rc.call('GET', 'k')).toBe('v2');
      expect(await rc.call('GET', 'last')).toBe('write');
    });
  }

  it('SHUTDOWN NOW exits at once and logs the lagging replica', async () => {
    const { m, mc, replica } = await masterAndReplica('ours');
    freeze(replica.proc);
    await mc.call('SET', 'k', 'v1');
    const sc = await connect(m.port);
    sc.send('SHUTDOWN', 'NOW');
    await sc.waitClosed();
    await waitFor(() => m.proc.exitCode !== null, 10_000, 'the master to exit');
    expect(m.proc.exitCode).toBe(0);
    expect(m.output()).not.toContain('Waiting for replicas');
    expect(m.output()).toMatch(/Lagging replica 127\.0\.0\.1:\d+ reported offset \d+ behind master, lag=\d+, state=online\./);
    expect(m.output()).toContain('0 of 1 replicas are in sync when shutting down.');
  });

  it('gives up after shutdown-timeout (1 s) and exits', async () => {
    const { m, mc, replica } = await masterAndReplica('ours', ['--shutdown-timeout', '1']);
    freeze(replica.proc);
    await mc.call('SET', 'k', 'v1');
    const sc = await connect(m.port);
    const start = Date.now();
    sc.send('SHUTDOWN');
    await waitFor(() => m.proc.exitCode !== null, 10_000, 'the master to exit');
    const elapsed = Date.now() - start;
    expect(m.proc.exitCode).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(5000);
    expect(m.output()).toContain('Waiting for replicas before shutting down.');
    expect(m.output()).toContain('0 of 1 replicas are in sync when shutting down.');
  });

  it('SIGTERM waits for the replica too; with shutdown-on-sigterm now it does not', async () => {
    const a = await masterAndReplica('ours');
    freeze(a.replica.proc);
    await a.mc.call('SET', 'k', 'v1');
    a.m.proc.kill('SIGTERM');
    await waitFor(() => waits(a.m) === 1, 10_000, 'the master to wait for its replica');
    expect(a.m.proc.exitCode).toBe(null);
    a.replica.proc.kill('SIGCONT');
    await waitFor(() => a.m.proc.exitCode !== null, 15_000, 'the master to exit');
    expect(a.m.proc.exitCode).toBe(0);
    expect(a.m.output()).toContain('1 of 1 replicas are in sync when shutting down.');
    expect(await a.rc.call('GET', 'k')).toBe('v1');

    const b = await masterAndReplica('ours', ['--shutdown-on-sigterm', 'now']);
    freeze(b.replica.proc);
    await b.mc.call('SET', 'k', 'v1');
    b.m.proc.kill('SIGTERM');
    await waitFor(() => b.m.proc.exitCode !== null, 10_000, 'the master to exit');
    expect(b.m.output()).not.toContain('Waiting for replicas');
    expect(b.m.output()).toContain('0 of 1 replicas are in sync when shutting down.');
  });

  it('a second SIGINT while the shutdown waits exits at once with an error code', async () => {
    const { m, mc, replica } = await masterAndReplica('ours');
    freeze(replica.proc);
    await mc.call('SET', 'k', 'v1');
    m.proc.kill('SIGINT');
    await waitFor(() => waits(m) === 1, 10_000, 'the master to wait for its replica');
    m.proc.kill('SIGINT');
    await waitFor(() => m.proc.exitCode !== null, 10_000, 'the master to exit');
    expect(m.proc.exitCode).toBe(1);
    expect(m.output()).toContain('You insist... exiting now.');
  });
});
