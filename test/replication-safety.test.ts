import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Socket } from 'node:net';
import { binaryToBytes } from '../shared/bytes.js';
import { writeRdb } from '../shared/rdb/rdb-writer.js';
import { ErrorReply, SimpleString } from '../shared/resp/reply.js';
import { encodeCommand } from '../shared/resp/encoder.js';
import { Database } from '../shared/store/database.js';
import { info, writeEveryType } from './helpers/dataset.js';
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
async function connect(port: number): Promise<RespConnection> {
  const c = await RespConnection.tcp(port);
  cleanups.push(() => c.close());
  return c;
}

const REPLID = 'a'.repeat(40);
const MARK = 'm'.repeat(40);

function rdbWith(entries: Record<string, string>): Uint8Array {
  const db = new Database(0);
  for (const [k, v] of Object.entries(entries)) db.dict.set(k, v);
  const parts = [...writeRdb({ dbs: [db], now: Date.now(), replId: REPLID, replOffset: 0 })];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * A scripted master: answers the handshake, then plays one scenario per connection (valid snapshot, truncated
 * snapshot, bad checksum, garbage in the stream...). Each scenario gets the socket after +FULLRESYNC.
 */
async function fakeMaster(scenarios: Array<(s: Socket) => void>): Promise<{ port: number; connections: () => number }> {
  let n = 0;
  const server = createServer((socket) => {
    const scenario = scenarios[Math.min(n, scenarios.length - 1)];
    n++;
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        // The replica pipelines its handshake as RESP arrays; answer each command.
        const m = /^\*(\d+)\r\n/.exec(buf);
        if (!m) return;
        const argc = Number(m[1]);
        let pos = m[0].length;
        const argv: string[] = [];
        for (let i = 0; i < argc; i++) {
          const h = /^\$(\d+)\r\n/.exec(buf.slice(pos));
          if (!h) return;
          const len = Number(h[1]);
          pos += h[0].length;
          if (buf.length < pos + len + 2) return;
          argv.push(buf.slice(pos, pos + len));
          pos += len + 2;
        }
        buf = buf.slice(pos);
        const cmd = argv[0].toUpperCase();
        if (cmd === 'PING') socket.write('+PONG\r\n');
        else if (cmd === 'PSYNC') {
          socket.write(`+FULLRESYNC ${REPLID} 0\r\n`);
          scenario(socket);
        } else if (cmd === 'REPLCONF' && argv[1].toUpperCase() === 'ACK') continue;
        else socket.write('+OK\r\n');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  cleanups.push(() => {
    (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
  return { port: (server.address() as { port: number }).port, connections: () => n };
}

/** A replica that handshakes and then never reads nor acknowledges anything: a stalled or dead peer. */
async function stalledReplica(port: number, opts: { capaEof: boolean }): Promise<Socket> {
  const { connect: netConnect } = await import('node:net');
  const socket = netConnect({ port, host: '127.0.0.1' });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.on('error', () => {});
  if (opts.capaEof) socket.write(encodeCommand(['REPLCONF', 'capa', 'eof']));
  socket.write(encodeCommand(['PSYNC', '?', '-1']));
  cleanups.push(() => void socket.destroy());
  return socket;
}

describe('replication protocol details', () => {
  it('serves the old SYNC (length-prefixed RDB, no FULLRESYNC line) and PINGs into the stream every period', async () => {
    const m = await ours(['--repl-ping-replica-period', '1']);
    const mc = await connect(m.port);
    await mc.call('SET', 'k', 'v');
    const { connect: netConnect } = await import('node:net');
    const socket = netConnect({ port: m.port, host: '127.0.0.1' });
    cleanups.push(() => void socket.destroy());
    let got = Buffer.alloc(0);
    socket.on('data', (d) => (got = Buffer.concat([got, d])));
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(encodeCommand(['SYNC']));
    await waitFor(() => /^\$\d+\r\n/.test(got.toString('latin1')), 10_000, 'the bulk header');
    const header = /^\$(\d+)\r\n/.exec(got.toString('latin1'))!;
    const rdbEnd = header[0].length + Number(header[1]);
    await waitFor(() => got.length >= rdbEnd, 10_000, 'the whole RDB');
    expect(got.subarray(header[0].length, header[0].length + 9).toString('latin1')).toBe('REDIS0010');
    await waitFor(() => got.subarray(rdbEnd).toString('latin1').includes('*1\r\n$4\r\nPING\r\n'), 10_000, 'a PING');
    await mc.call('SET', 'k2', 'v2');
    await waitFor(() => got.subarray(rdbEnd).toString('latin1').includes('$2\r\nk2\r\n$2\r\nv2'), 10_000, 'the write');
    const stats = await info(mc, 'stats');
    expect(Number(stats.total_net_repl_output_bytes)).toBeGreaterThan(rdbEnd - header[0].length);
    expect(stats.sync_full).toBe('1');
    expect(stats.sync_partial_err).toBe('0');
  });
});

describe('replication safety', () => {
  it('disconnects a replica that stops reading once it crosses client-output-buffer-limit, keeping memory bounded', async () => {
    const m = await ours(['--client-output-buffer-limit', 'replica', '1mb', '512kb', '1']);
    const mc = await connect(m.port);
    const socket = await stalledReplica(m.port, { capaEof: false });
    await waitFor(async () => (await info(mc)).connected_slaves === '1', 10_000, 'the replica to attach');
    socket.pause();
    const value = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 400; i++) mc.send('SET', `big:${i % 10}`, value);
    for (let i = 0; i < 400; i++) await mc.next();
    await waitFor(async () => (await info(mc)).connected_slaves === '0', 10_000, 'the slow replica to be dropped');
    expect(m.output()).toMatch(/closed for overcoming of output buffer limits/);
    expect(await mc.call('GET', 'big:1')).toBe(value);
  });

  it('drops a replica silent for repl-timeout, and a replica drops a silent master', async () => {
    const m = await ours(['--repl-timeout', '1']);
    const mc = await connect(m.port);
    await stalledReplica(m.port, { capaEof: true });
    await waitFor(async () => (await info(mc)).connected_slaves === '1', 10_000, 'the replica to attach');
    await waitFor(async () => (await info(mc)).connected_slaves === '0', 10_000, 'the silent replica to be dropped');
    expect(m.output()).toMatch(/Disconnecting timedout replica/);

    const silent = await fakeMaster([
      (s) => {
        s.write(`$EOF:${MARK}\r\n`);
        s.write(rdbWith({ k: 'v' }));
        s.write(MARK);
      },
    ]);
    const r = await ours(['--repl-timeout', '1', '--replicaof', '127.0.0.1', String(silent.port)]);
    const rc = await connect(r.port);
    await waitFor(async () => (await rc.call('GET', 'k')) === 'v', 10_000, 'the snapshot');
    await waitFor(() => /MASTER timeout: no data nor PING received/.test(r.output()), 10_000, 'the timeout');
    await waitFor(() => silent.connections() >= 2, 10_000, 'a reconnect');
  });

  it('never applies half a snapshot: truncated or corrupt RDBs and stream garbage drop the link and resync', async () => {
    const good = rdbWith({ a: '1', b: '2' });
    const sockets: Socket[] = [];
    const master = await fakeMaster([
      // 1: a valid snapshot; then the master dies.
      (s) => {
        s.write(`$EOF:${MARK}\r\n`);
        s.write(good);
        s.write(MARK);
        sockets.push(s);
        setTimeout(() => s.destroy(), 300);
      },
      // 2: a snapshot cut in the middle.
      (s) => {
        const bad = rdbWith({ a: 'half', c: '3' });
        s.write(`$${bad.length}\r\n`);
        s.end(bad.subarray(0, bad.length >> 1));
      },
      // 3: a snapshot with a wrong checksum.
      (s) => {
        const bad = rdbWith({ a: 'corrupt' });
        bad[bad.length - 1] ^= 0xff;
        s.write(`$EOF:${MARK}\r\n`);
        s.write(bad);
        s.write(MARK);
      },
      // 4: a valid snapshot, then garbage where the command stream should be.
      (s) => {
        s.write(`$EOF:${MARK}\r\n`);
        s.write(rdbWith({ a: 'fresh' }));
        s.write(MARK);
        setTimeout(() => s.write(encodeCommand(['SET', 'g', '1'])), 50);
        setTimeout(() => s.write(binaryToBytes('*2\r\n$3\r\nSET\r\n\x00garbage\r\n')), 100);
      },
      () => {},
    ]);
    const r = await ours(['--replicaof', '127.0.0.1', String(master.port)]);
    const rc = await connect(r.port);
    await waitFor(async () => (await rc.call('GET', 'b')) === '2', 10_000, 'first snapshot');
    await waitFor(() => master.connections() >= 4, 20_000, 'reconnects');
    await waitFor(() => /Protocol error/.test(r.output()), 10_000, 'stream garbage to be logged').catch((e) => {
      throw new Error(`${(e as Error).message}\n${r.output()}`);
    });
    await waitFor(() => master.connections() >= 5, 20_000, 'reconnect after garbage');
    const out = r.output();
    expect(out).toMatch(/truncated|Unexpected EOF/i);
    expect(out).toMatch(/checksum/i);
    // The corrupt snapshots were never visible: "a" went from the first snapshot straight to the fourth.
    expect(out).not.toMatch(/Internal error/);
    expect(await rc.call('GET', 'a')).toBe('fresh');
    expect(await rc.call('GET', 'g')).toBe('1');
    expect(await rc.call('GET', 'c')).toBeNull();
  });

  it('the master survives any bytes a replica sends', async () => {
    const m = await ours();
    const mc = await connect(m.port);
    await mc.call('SET', 'k', 'v');
    const evil = await connect(m.port);
    evil.send('REPLCONF', 'capa', 'eof');
    await evil.next();
    evil.send('PSYNC', '?', '-1');
    evil.sendRaw(new Uint8Array(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)));
    evil.sendRaw('*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$3\r\nabc\r\n*1\r\n$-9\r\n');
    await evil.waitClosed().catch(() => {});
    expect(await mc.call('GET', 'k')).toBe('v');
    const r = await ours(['--replicaof', '127.0.0.1', String(m.port)]);
    const rc = await connect(r.port);
    await mc.call('SET', 'after', '1');
    await waitFor(async () => (await rc.call('GET', 'after')) === '1', 10_000, 'replica to get writes');
  });

  it('WAIT counts acknowledging replicas and times out with the count reached', async () => {
    const m = await ours();
    const mc = await connect(m.port);
    expect(await mc.call('WAIT', 0, 0)).toBe(0);
    await mc.call('SET', 'k', 'v');
    expect(await mc.call('WAIT', 1, 200)).toBe(0);
    const r1 = await ours(['--replicaof', '127.0.0.1', String(m.port)]);
    const r2 = await ours(['--replicaof', '127.0.0.1', String(m.port)]);
    await waitFor(async () => (await info(mc)).connected_slaves === '2', 10_000, 'replicas');
    await writeEveryType(mc, 5, 1);
    expect(await mc.call('WAIT', 2, 5000)).toBe(2);
    expect(await mc.call('WAIT', 3, 300)).toBe(2);
    const rc = await connect(r1.port);
    expect(await rc.call('WAIT', 1, 0)).toEqual(
      new ErrorReply(
        'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.',
      ),
    );
    void r2;
  });

  it('min-replicas-to-write refuses writes without enough good replicas', async () => {
    const m = await ours(['--min-replicas-to-write', '1', '--min-replicas-max-lag', '10']);
    const mc = await connect(m.port);
    expect(await mc.call('SET', 'k', 'v')).toEqual(new ErrorReply('NOREPLICAS Not enough good replicas to write.'));
    expect(await mc.call('GET', 'k')).toBeNull();
    const r = await ours(['--replicaof', '127.0.0.1', String(m.port)]);
    await waitFor(async () => (await info(mc)).min_slaves_good_slaves === '1', 10_000, 'a good replica');
    expect(await mc.call('SET', 'k', 'v')).toEqual(new SimpleString('OK'));
    await r.stop();
    await waitFor(async () => (await info(mc)).connected_slaves === '0', 10_000, 'replica gone');
    expect(await mc.call('SET', 'k', 'w')).toEqual(new ErrorReply('NOREPLICAS Not enough good replicas to write.'));
  });
});
