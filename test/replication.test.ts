import { afterEach, describe, expect, it } from 'vitest';
import { ErrorReply, SimpleString } from '../shared/resp/reply.js';
import { converged, info, readDataset, writeEveryType } from './helpers/dataset.js';
import { RespConnection } from './helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from './helpers/server-process.js';

const running: ServerProcess[] = [];
const conns: RespConnection[] = [];

async function server(args: string[] = []): Promise<ServerProcess> {
  const s = await startServer(args);
  running.push(s);
  return s;
}

async function connect(s: ServerProcess): Promise<RespConnection> {
  const c = await RespConnection.tcp(s.port);
  conns.push(c);
  return c;
}

afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function stats(c: RespConnection) {
  const s = await info(c, 'stats');
  return { full: Number(s.sync_full), partialOk: Number(s.sync_partial_ok), partialErr: Number(s.sync_partial_err) };
}

describe('replication between server processes', () => {
  it('runs the seed flow: --replicaof, REPLICAOF at runtime, INFO, READONLY, SLAVEOF NO ONE', async () => {
    const m = await server();
    const mc = await connect(m);
    await writeEveryType(mc, 30, 7);
    const r1 = await server(['--replicaof', '127.0.0.1', String(m.port)]);
    const r2 = await server();
    const r1c = await connect(r1);
    const r2c = await connect(r2);
    expect(await r2c.call('REPLICAOF', '127.0.0.1', m.port)).toEqual(new SimpleString('OK'));
    expect(await r2c.call('REPLICAOF', '127.0.0.1', m.port)).toEqual(new SimpleString('OK Already connected to specified master'));
    await writeEveryType(mc, 60, 8);
    await converged(mc, [r1c, r2c]);
    const expected = await readDataset(mc);
    expect(await readDataset(r1c)).toEqual(expected);
    expect(await readDataset(r2c)).toEqual(expected);

    const mi = await info(mc);
    expect(mi.role).toBe('master');
    expect(mi.connected_slaves).toBe('2');
    expect(mi.slave0).toMatch(/^ip=127\.0\.0\.1,port=\d+,state=online,offset=\d+,lag=\d+$/);
    expect(mi.master_replid).toMatch(/^[0-9a-f]{40}$/);
    expect(mi.repl_backlog_active).toBe('1');
    expect(Number(mi.slave0_lag_bytes)).toBeGreaterThanOrEqual(0);
    const ri = await info(r1c);
    expect(ri).toMatchObject({
      role: 'slave',
      master_host: '127.0.0.1',
      master_port: String(m.port),
      master_link_status: 'up',
      master_sync_in_progress: '0',
      slave_read_only: '1',
      master_replid: mi.master_replid,
    });
    expect(Number(ri.master_last_io_seconds_ago)).toBeGreaterThanOrEqual(0);
    const fields = Object.keys(ri);
    const order = ['role', 'master_host', 'master_port', 'master_link_status', 'master_last_io_seconds_ago', 'master_sync_in_progress', 'slave_read_repl_offset', 'slave_repl_offset', 'slave_priority', 'slave_read_only', 'replica_announced', 'connected_slaves', 'master_failover_state', 'master_replid', 'master_replid2', 'master_repl_offset', 'second_repl_offset', 'repl_backlog_active', 'repl_backlog_size', 'repl_backlog_first_byte_offset', 'repl_backlog_histlen'];
    expect(fields.filter((f) => order.includes(f))).toEqual(order);

    expect(await r1c.call('SET', 'x', 'y')).toEqual(new ErrorReply("READONLY You can't write against a read only replica."));
    expect(await r2c.call('SLAVEOF', 'NO', 'ONE')).toEqual(new SimpleString('OK'));
    expect((await info(r2c)).role).toBe('master');
    expect(await r2c.call('SET', 'x', 'y')).toEqual(new SimpleString('OK'));
    expect(await r2c.call('GET', 'x')).toBe('y');
  });

  it('authenticates to a master with requirepass using masterauth (and masteruser)', async () => {
    const m = await server(['--requirepass', 'sekret']);
    const mc = await connect(m);
    expect(await mc.call('AUTH', 'sekret')).toEqual(new SimpleString('OK'));
    await mc.call('SET', 'k', 'v');
    const bad = await server(['--replicaof', '127.0.0.1', String(m.port), '--masterauth', 'wrong']);
    const good = await server(['--replicaof', '127.0.0.1', String(m.port), '--masteruser', 'default', '--masterauth', 'sekret']);
    const gc = await connect(good);
    await converged(mc, [gc]);
    expect(await gc.call('GET', 'k')).toBe('v');
    await waitFor(() => /Unable to AUTH to MASTER: -WRONGPASS/.test(bad.output()), 10_000, 'the AUTH failure to be logged');
    expect((await info(await connect(bad))).master_link_status).toBe('down');
  });

  for (const transport of ['tcp', 'websocket'] as const) {
    it(`resyncs partially after CLIENT KILL TYPE replica under write load (${transport})`, async () => {
      const m = await server();
      const mc = await connect(m);
      const target = transport === 'tcp' ? ['127.0.0.1', String(m.port)] : [`ws://127.0.0.1:${m.httpPort}/`];
      const r = await server(['--replicaof', ...target]);
      const rc = await connect(r);
      await writeEveryType(mc, 20, 1);
      await converged(mc, [rc]);
      const before = await stats(mc);
      const load = (async () => {
        const w = await connect(m);
        await writeEveryType(w, 150, 2);
      })();
      await new Promise((res) => setTimeout(res, 30));
      const killer = await connect(m);
      expect(await killer.call('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1);
      await load;
      await converged(mc, [rc]);
      const after = await stats(mc);
      expect(after.partialOk).toBe(before.partialOk + 1);
      expect(after.full).toBe(before.full);
      expect(await readDataset(rc)).toEqual(await readDataset(mc));
    });

    it(`full-resyncs when the disconnect outlasts the backlog (${transport})`, async () => {
      const m = await server(['--repl-backlog-size', '16kb']);
      const mc = await connect(m);
      const target = transport === 'tcp' ? ['127.0.0.1', String(m.port)] : [`ws://127.0.0.1:${m.httpPort}/`];
      const r = await server(['--replicaof', ...target]);
      const rc = await connect(r);
      await writeEveryType(mc, 10, 3);
      await converged(mc, [rc]);
      const before = await stats(mc);
      // Freeze the replica so it cannot reconnect while the master writes more than the backlog holds.
      r.proc.kill('SIGSTOP');
      try {
        const killer = await connect(m);
        expect(await killer.call('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1);
        await writeEveryType(mc, 200, 4);
        expect(Number((await info(mc)).master_repl_offset)).toBeGreaterThan(16 * 1024 * 2);
      } finally {
        r.proc.kill('SIGCONT');
      }
      await converged(mc, [rc]);
      const after = await stats(mc);
      expect(after.full).toBe(before.full + 1);
      expect(after.partialErr).toBe(before.partialErr + 1);
      expect(await readDataset(rc)).toEqual(await readDataset(mc));
    });
  }

  it('keeps a chain master -> replica -> sub-replica at equal offsets, and continues partially after promotion', async () => {
    const m = await server();
    const mc = await connect(m);
    const r1 = await server(['--replicaof', '127.0.0.1', String(m.port)]);
    const r1c = await connect(r1);
    const r2 = await server(['--replicaof', '127.0.0.1', String(r1.port)]);
    const r2c = await connect(r2);
    await writeEveryType(mc, 50, 5);
    await converged(mc, [r1c]);
    await converged(r1c, [r2c]);
    const [mi, r1i, r2i] = [await info(mc), await info(r1c), await info(r2c)];
    expect(r1i.master_repl_offset).toBe(mi.master_repl_offset);
    expect(r2i.master_repl_offset).toBe(mi.master_repl_offset);
    expect(r2i.master_replid).toBe(mi.master_replid);
    expect(await readDataset(r2c)).toEqual(await readDataset(mc));

    // Promote the middle node; the sub-replica re-attaches partially, and so does the old master demoted under it.
    const r1Before = await stats(r1c);
    expect(await r1c.call('REPLICAOF', 'NO', 'ONE')).toEqual(new SimpleString('OK'));
    expect(await mc.call('REPLICAOF', '127.0.0.1', r1.port)).toEqual(new SimpleString('OK'));
    await writeEveryType(r1c, 30, 6);
    await converged(r1c, [r2c, mc]);
    const r1After = await stats(r1c);
    expect(r1After.full).toBe(r1Before.full);
    expect(r1After.partialOk).toBe(r1Before.partialOk + 2);
    const promoted = await info(r1c);
    expect(promoted.master_replid2).toBe(mi.master_replid);
    expect(await readDataset(r2c)).toEqual(await readDataset(r1c));
    expect(await readDataset(mc)).toEqual(await readDataset(r1c));
  });
});
