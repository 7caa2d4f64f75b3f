import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorReply, SimpleString } from '../../shared/resp/reply.js';
import { readDataset, writeEveryType } from '../helpers/dataset.js';
import { RespConnection } from '../helpers/resp-connection.js';
import { waitFor, type ServerProcess } from '../helpers/server-process.js';
import { converged, edgeClient, infoOf, must, postJson, startEdgeReplica } from './helpers/edge-clients.js';
import { startEdge, type EdgeProcess } from './helpers/edge-process.js';
import { runStoreSql } from './helpers/storage-surgery.js';

let edge: EdgeProcess;
const replicas: ServerProcess[] = [];
const conns: RespConnection[] = [];

beforeAll(async () => {
  edge = await startEdge();
}, 60_000);

afterAll(async () => {
  await edge?.stop();
});

afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  await Promise.all(replicas.splice(0).map((r) => r.stop()));
});

async function client(store: string): Promise<RespConnection> {
  const c = await edgeClient(edge, store);
  conns.push(c);
  return c;
}

async function replicaOf(store: string): Promise<{ proc: ServerProcess; conn: RespConnection }> {
  const proc = await startEdgeReplica(edge.wsUrl(store), edge.secret);
  replicas.push(proc);
  const conn = await RespConnection.tcp(proc.port);
  conns.push(conn);
  return { proc, conn };
}

describe('a Node replica of the edge master', () => {
  it('full-syncs the existing data, then follows writes sent over the WebSocket and by HTTP POST', async () => {
    const c = await client('sync');
    await writeEveryType(c, 40, 3);
    const { proc, conn: rc } = await replicaOf('sync');
    await converged(c, rc);
    expect(await readDataset(rc)).toEqual(await readDataset(c));
    expect(proc.output()).toMatch(/Full resync from master: [0-9a-f]{40}:\d+/);

    await writeEveryType(c, 40, 4);
    expect(await postJson(edge, 'sync', ['SET', 'http:key', 'from HTTP ✓'])).toEqual({ status: 200, body: { result: 'OK' } });
    const pipeline = await postJson(edge, 'sync', [['RPUSH', 'http:list', 'a', 'b'], ['HSET', 'http:hash', 'f', '1'], ['GET', 'http:key']], {
      pipeline: true,
    });
    expect(pipeline).toEqual({ status: 200, body: [{ result: 2 }, { result: 1 }, { result: 'from HTTP ✓' }] });
    await converged(c, rc);
    expect(await readDataset(rc)).toEqual(await readDataset(c));
    expect(await rc.call('GET', 'http:key')).toBe(Buffer.from('from HTTP ✓').toString('latin1'));

    const m = await infoOf(c);
    expect(m.role).toBe('master');
    expect(m.connected_slaves).toBe('1');
    expect(m.slave0).toMatch(new RegExp(`^ip=127\\.0\\.0\\.1,port=${proc.port},state=online,offset=\\d+,lag=\\d+$`));
    const stats = await infoOf(c, 'stats');
    expect([stats.sync_full, stats.sync_partial_ok]).toEqual(['1', '0']);
  });

  it('resumes with +CONTINUE and only the missed bytes after its link is cut (CLIENT KILL TYPE replica)', async () => {
    const c = await client('cut');
    await writeEveryType(c, 20, 5);
    const { proc, conn: rc } = await replicaOf('cut');
    await converged(c, rc);
    expect(await c.call('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1);
    await writeEveryType(c, 20, 6);
    await proc.waitForOutput(/Successful partial resynchronization with master\./);
    await converged(c, rc);
    expect(await readDataset(rc)).toEqual(await readDataset(c));
    const stats = await infoOf(c, 'stats');
    expect([stats.sync_full, stats.sync_partial_ok, stats.sync_partial_err]).toEqual(['1', '1', '0']);
    expect(edge.output()).toMatch(/Partial resynchronization request from 127\.0\.0\.1:\d+ accepted\. Sending \d+ bytes of backlog/);
  });

  it('reloads the dataset, ids, offset and backlog after the edge restarts, and the replica continues partially', async () => {
    const c = await client('restart');
    await writeEveryType(c, 30, 7);
    // A snapshot in the middle: the reload reads it, then replays the log written after it.
    expect(await c.call('SAVE')).toEqual(new SimpleString('OK'));
    await writeEveryType(c, 30, 8);
    const { proc, conn: rc } = await replicaOf('restart');
    await converged(c, rc);
    const before = await infoOf(c);
    const data = await readDataset(c);
    c.close();

    const since = proc.output().length;
    await edge.restart();
    await waitFor(() => /Successful partial resynchronization with master\./.test(proc.output().slice(since)), 20_000, 'the replica to continue');
    expect(proc.output().slice(since)).not.toMatch(/Full resync/);

    const c2 = await client('restart');
    const after = await infoOf(c2);
    expect(after.master_replid).toBe(before.master_replid);
    expect(Number(after.master_repl_offset)).toBeGreaterThanOrEqual(Number(before.master_repl_offset));
    expect(await readDataset(c2)).toEqual(data);
    const stats = await infoOf(c2, 'stats');
    expect([stats.sync_full, stats.sync_partial_ok]).toEqual(['0', '1']);
    const persistence = await infoOf(c2, 'persistence');
    expect(Number(persistence.rdb_last_load_keys_loaded)).toBeGreaterThan(0);
    expect(Number(persistence.edge_stream_replayed_bytes)).toBeGreaterThan(0);
    expect(Number((await infoOf(c2, 'server')).edge_object_starts)).toBeGreaterThanOrEqual(2);

    await writeEveryType(c2, 20, 9);
    await converged(c2, rc);
    expect(await readDataset(rc)).toEqual(await readDataset(c2));
  });

  it('after a restart that lost the end of the log, takes a new replid with the old one as replid2 (PSYNC2)', async () => {
    const c = await client('lost');
    await writeEveryType(c, 10, 10);
    const { proc, conn: rc } = await replicaOf('lost');
    const beforeSet = Number((await infoOf(c)).master_repl_offset);
    await must(c, 'SET', 'last', 'write');
    await converged(c, rc);
    const before = await infoOf(c);
    c.close();

    // Lose the stream rows from the one holding the SET on, as if their writes never reached storage. The data
    // can be rebuilt only up to the row before: the replica, which applied the SET, must not continue under
    // the old id.
    let lostFrom = 0;
    await edge.restart(async () => {
      const lost = `FROM log WHERE start + length(data) > ${beforeSet}`;
      const [row] = await runStoreSql(edge.persistDir, 'lost', `SELECT min(start) AS start ${lost}`);
      lostFrom = Number(row.start);
      await runStoreSql(edge.persistDir, 'lost', `DELETE ${lost}`);
    });
    const c2 = await client('lost');
    const after = await infoOf(c2);
    expect(after.master_replid).not.toBe(before.master_replid);
    expect(after.master_replid2).toBe(before.master_replid);
    expect(after.second_repl_offset).toBe(String(lostFrom + 1));
    expect(after.master_repl_offset).toBe(String(lostFrom));
    expect(await c2.call('GET', 'last')).toBeNull();
    expect(edge.output()).toMatch(/Setting secondary replication ID to [0-9a-f]{40}, valid up to offset: \d+/);

    // The replica asks to continue past the lost point: refused, it resynchronizes fully and drops the SET.
    await proc.waitForOutput(new RegExp(`Full resync from master: ${after.master_replid}:`), 20_000);
    await converged(c2, rc);
    expect(await rc.call('GET', 'last')).toBeNull();
    expect(await readDataset(rc)).toEqual(await readDataset(c2));
    expect(edge.output()).toMatch(/Partial resynchronization not accepted: Requested offset for second ID was \d+, but I can reply up to \d+/);
  });
});

/** `n` pseudo-random bytes as a binary string (incompressible, so snapshots stay as large as the data). */
function noise(n: number, seed: number): string {
  let x = seed;
  const codes = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    codes[i] = x >>> 16 & 0xff;
  }
  let out = '';
  for (let i = 0; i < n; i += 65536) out += String.fromCharCode(...codes.slice(i, i + 65536));
  return out;
}

describe('the stored dataset', () => {
  it('chunks what exceeds platform limits: multi-megabyte values, log rows, snapshots and messages', async () => {
    const c = await client('large');
    const values = [0, 1, 2, 3].map((i) => noise(2_500_000 + i, 40 + i));
    for (const [i, v] of values.slice(0, 3).entries()) await must(c, 'SET', `big:${i}`, v);
    // One in the snapshot's chunks, one only in log rows: both are split below SQLite's 2 MB row limit.
    expect(await c.call('SAVE')).toEqual(new SimpleString('OK'));
    await must(c, 'SET', 'big:3', values[3]);
    const { conn: rc } = await replicaOf('large');
    await converged(c, rc, 60_000);
    for (const [i, v] of values.entries()) expect((await rc.call('GET', `big:${i}`)) === v).toBe(true);
    c.close();
    await edge.restart(async () => {
      const [log] = await runStoreSql(edge.persistDir, 'large', 'SELECT max(length(data)) AS n, count(*) AS rows FROM log');
      const [snap] = await runStoreSql(edge.persistDir, 'large', 'SELECT max(length(data)) AS n FROM snapshot');
      expect(Number(log.n)).toBeLessThanOrEqual(1024 * 1024);
      expect(Number(log.rows)).toBeGreaterThanOrEqual(3);
      expect(Number(snap.n)).toBeLessThanOrEqual(1024 * 1024);
    });
    const c2 = await client('large');
    for (const [i, v] of values.entries()) expect((await c2.call('GET', `big:${i}`)) === v).toBe(true);
    expect(Number((await infoOf(c2, 'persistence')).edge_snapshot_bytes)).toBeGreaterThan(7_500_000);
  });


  it('is rebuilt with the master\'s expiry rules: a replayed write to a key that expired later keeps its history', async () => {
    const c = await client('expiry');
    await must(c, 'SET', 'counter', '10', 'PX', '400');
    await must(c, 'INCR', 'counter');
    await must(c, 'SET', 'kept', 'yes');
    c.close();
    // Past its TTL while nothing runs: no DEL was logged. Replaying INCR as a fresh master would recreate
    // "counter" as 1 without a TTL; replayed as the stream it is, it is 11 and expired, so it is gone.
    await new Promise((r) => setTimeout(r, 500));
    await edge.restart();
    const c2 = await client('expiry');
    expect(await c2.call('GET', 'counter')).toBeNull();
    expect(await c2.call('GET', 'kept')).toBe('yes');
    expect(await c2.call('EXISTS', 'counter')).toBe(0);
  });

  it('is compacted by BGSAVE into a snapshot, and the log before it is dropped except for the backlog', async () => {
    const c = await client('compact');
    await writeEveryType(c, 30, 11);
    expect(await c.call('BGSAVE')).toEqual(new SimpleString('Background saving started'));
    await waitFor(async () => (await infoOf(c, 'persistence')).rdb_bgsave_in_progress === '0', 10_000, 'BGSAVE');
    const p = await infoOf(c, 'persistence');
    const repl = await infoOf(c);
    expect(p.edge_snapshot_offset).toBe(repl.master_repl_offset);
    expect(Number(p.edge_snapshot_bytes)).toBeGreaterThan(0);
    expect(p.edge_log_bytes_since_snapshot).toBe('0');
    expect(Number(await c.call('LASTSAVE'))).toBeGreaterThan(0);
    const data = await readDataset(c);
    c.close();
    await edge.restart();
    const c2 = await client('compact');
    expect(await readDataset(c2)).toEqual(data);
    expect((await infoOf(c2, 'persistence')).edge_stream_replayed_bytes).toBe('0');
  });
});

describe('commands whose meaning is the edge\'s', () => {
  it('keeps CONFIG SET changes across restarts, refuses the pinned parameters and never becomes a replica', async () => {
    const c = await client('config');
    await must(c, 'CONFIG', 'SET', 'repl-backlog-size', '2mb');
    expect(await c.call('CONFIG', 'SET', 'requirepass', 'other')).toEqual(
      new ErrorReply("ERR CONFIG SET failed (possibly related to argument 'requirepass') - can't set immutable config"),
    );
    expect(await c.call('REPLICAOF', '127.0.0.1', '6379')).toEqual(new ErrorReply('ERR REPLICAOF is not supported by the edge master: it is always a master'));
    expect(await c.call('REPLICAOF', 'NO', 'ONE')).toEqual(new SimpleString('OK'));
    c.close();
    await edge.restart();
    const c2 = await client('config');
    expect(await c2.call('CONFIG', 'GET', 'repl-backlog-size')).toEqual(['repl-backlog-size', '2097152']);
    expect((await infoOf(c2)).repl_backlog_size).toBe('2097152');
  });
});
