import { describe, expect, it } from 'vitest';
import { createHarness } from '../../test/helpers/core-harness.js';
import { MemoryNetwork, settle } from '../../test/helpers/memory-network.js';
import { ErrorReply, SimpleString } from '../resp/reply.js';

function pair(masterConfig: Record<string, string> = {}) {
  const net = new MemoryNetwork();
  const master = createHarness({ config: masterConfig });
  net.register('master:6379', master.core);
  const replica = createHarness({ config: { replicaof: 'master 6379' }, connector: net.connector });
  return { net, master, replica };
}

/** Runs cron on both sides and lets messages flow until `check` holds. */
async function until(sides: Array<ReturnType<typeof createHarness>>, check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    for (const s of sides) s.core.cron();
    await settle();
    if (check()) return;
  }
  throw new Error(`never reached: ${what}`);
}

describe('replication between in-memory cores', () => {
  it('full-syncs, streams writes, and reports equal offsets', async () => {
    const { master, replica } = pair();
    const m = master.client();
    m.call('SET', 'a', '1');
    m.call('RPUSH', 'l', 'x', 'y');
    m.call('SELECT', '3');
    m.call('HSET', 'h', 'f', 'v');
    await until([master, replica], () => replica.core.masterLinkUp, 'link up');
    const r = replica.client();
    expect(r.call('GET', 'a')).toBe('1');
    expect(r.call('LRANGE', 'l', '0', '-1')).toEqual(['x', 'y']);
    m.call('SELECT', '0');
    m.call('SET', 'b', '2');
    m.call('INCR', 'a');
    await until([master, replica], () => replica.replication.offset === master.replication.offset, 'offsets equal');
    expect(r.call('GET', 'a')).toBe('2');
    r.call('SELECT', '3');
    expect(r.call('HGET', 'h', 'f')).toBe('v');
    expect(r.call('SET', 'x', 'y')).toEqual({ message: "READONLY You can't write against a read only replica." });
    expect(master.replication.stats.syncFull).toBe(1);
    // ACKs reach the master (the replica sends one a second).
    replica.clock.advance(1000);
    await until([master, replica], () => [...master.replication.peers.values()][0]?.ackOffset === master.replication.offset, 'ack');
  });

  it('resumes with a partial resync after the link is cut', async () => {
    const { net, master, replica } = pair();
    const m = master.client();
    m.call('SET', 'k', '0');
    await until([master, replica], () => replica.core.masterLinkUp, 'link up');
    for (const l of net.links) l.cut();
    await settle();
    m.call('SET', 'k', '1');
    m.call('SET', 'k2', 'missed');
    replica.clock.advance(10_000);
    await until([master, replica], () => replica.core.masterLinkUp && replica.replication.offset === master.replication.offset, 'resync');
    expect(master.replication.stats.syncPartialOk).toBe(1);
    expect(master.replication.stats.syncFull).toBe(1);
    const r = replica.client();
    expect(r.call('GET', 'k')).toBe('1');
    expect(r.call('GET', 'k2')).toBe('missed');
    expect(replica.replication.replid).toBe(master.replication.replid);
  });

  it('promotes with REPLICAOF NO ONE keeping the old id as replid2', async () => {
    const { master, replica } = pair();
    master.client().call('SET', 'k', 'v');
    await until([master, replica], () => replica.core.masterLinkUp, 'link up');
    const oldId = master.replication.replid;
    const r = replica.client();
    expect(r.call('REPLICAOF', 'NO', 'ONE')).toEqual(new SimpleString('OK'));
    expect(replica.replication.replid2).toBe(oldId);
    expect(replica.replication.secondReplOffset).toBe(replica.replication.offset + 1);
    expect(r.call('SET', 'x', 'y')).toEqual(new SimpleString('OK'));
  });
});

describe('moving a replica to another master', () => {
  it('continues its history with a partial resync from a promoted sibling (what a Sentinel failover does)', async () => {
    const net = new MemoryNetwork();
    const master = createHarness();
    net.register('master:6379', master.core);
    const r1 = createHarness({ config: { replicaof: 'master 6379' }, connector: net.connector });
    net.register('r1:6379', r1.core);
    const r2 = createHarness({ config: { replicaof: 'master 6379' }, connector: net.connector });
    const m = master.client();
    m.call('SET', 'k', '1');
    m.call('SELECT', '2');
    m.call('SET', 'in-db-2', 'x');
    const sides = [master, r1, r2];
    await until(sides, () => [r1, r2].every((r) => r.core.masterLinkUp && r.replication.offset === master.replication.offset), 'both in sync');
    for (const l of net.links) l.cut(); // the master dies
    await settle();
    expect(r1.client().call('REPLICAOF', 'NO', 'ONE')).toEqual(new SimpleString('OK'));
    expect(r2.client().call('REPLICAOF', 'r1', '6379')).toEqual(new SimpleString('OK'));
    r1.client().call('SET', 'after', 'yes');
    await until([r1, r2], () => r2.core.masterLinkUp && r2.replication.offset === r1.replication.offset, 'r2 follows r1');
    expect(r1.replication.stats.syncPartialOk).toBe(1);
    expect(r1.replication.stats.syncFull).toBe(0);
    const c = r2.client();
    expect(c.call('GET', 'after')).toBe('yes');
    c.call('SELECT', '2');
    expect(c.call('GET', 'in-db-2')).toBe('x');
  });
});

describe('FAILOVER', () => {
  async function failoverPair() {
    const net = new MemoryNetwork();
    const master = createHarness({ config: { port: '6379' }, connector: net.connector });
    net.register('127.0.0.1:6379', master.core);
    const replica = createHarness({ config: { port: '6380', replicaof: '127.0.0.1 6379' }, connector: net.connector });
    net.register('127.0.0.1:6380', replica.core);
    master.client().call('SET', 'k', '1');
    const peerAcked = () => [...master.replication.peers.values()][0]?.ackOffset === master.replication.offset;
    replica.clock.advance(1000);
    await until([master, replica], () => replica.core.masterLinkUp && replica.replication.offset === master.replication.offset && peerAcked(), 'in sync');
    return { net, master, replica };
  }
  const failoverState = (h: ReturnType<typeof createHarness>) =>
    /master_failover_state:(\S+)/.exec(String(h.client().call('INFO', 'replication')))![1];

  it('hands over to a caught-up replica, which continues the history; writes held meanwhile then get READONLY', async () => {
    const { master, replica } = await failoverPair();
    const admin = master.client();
    expect(admin.call('FAILOVER')).toEqual(new SimpleString('OK'));
    expect(failoverState(master)).toBe('waiting-for-sync');
    const writer = master.client();
    writer.send('SET', 'k', 'held');
    expect(writer.next()).toBeUndefined();
    await until([master, replica], () => master.core.isReplica() && master.core.masterLinkUp, 'old master following the new one');
    expect(replica.core.isReplica()).toBe(false);
    expect(failoverState(master)).toBe('no-failover');
    expect(writer.next()).toEqual(new ErrorReply("READONLY You can't write against a read only replica."));
    expect(replica.replication.stats.syncPartialOk).toBe(1);
    expect(replica.replication.stats.syncFull).toBe(0);
    replica.client().call('SET', 'k', '2');
    await until([master, replica], () => master.replication.offset === replica.replication.offset, 'old master caught up');
    expect(master.client().call('GET', 'k')).toBe('2');
  });

  it('aborts when the target refuses PSYNC, logging the reason once', async () => {
    const { master, replica } = await failoverPair();
    replica.client().call('ACL', 'SETUSER', 'default', '-psync');
    expect(master.client().call('FAILOVER')).toEqual(new SimpleString('OK'));
    await until([master, replica], () => failoverState(master) === 'no-failover' && !master.core.isReplica(), 'failover aborted');
    expect(master.logs.filter((l) => l.includes('Failover target rejected psync request'))).toEqual([
      'notice: FAILOVER to 127.0.0.1:6380 aborted: Failover target rejected psync request',
    ]);
  });

  it('gives up after TIMEOUT when no replica catches up, and writes go on', async () => {
    const { master } = await failoverPair();
    const c = master.client();
    c.call('SET', 'k', 'unacked'); // not yet delivered: the replica is behind
    expect(c.call('FAILOVER', 'TIMEOUT', '100')).toEqual(new SimpleString('OK'));
    c.send('SET', 'k', 'held');
    expect(c.next()).toBeUndefined();
    master.clock.advance(100);
    master.core.cron();
    expect(c.next()).toEqual(new SimpleString('OK'));
    expect(failoverState(master)).toBe('no-failover');
    expect(master.core.isReplica()).toBe(false);
  });

  it("answers Redis's errors", async () => {
    const lone = createHarness().client();
    expect(lone.call('FAILOVER')).toEqual(new ErrorReply('ERR FAILOVER requires connected replicas.'));
    expect(lone.call('FAILOVER', 'ABORT')).toEqual(new ErrorReply('ERR No failover in progress.'));
    expect(lone.call('FAILOVER', 'TIMEOUT', '0')).toEqual(new ErrorReply('ERR FAILOVER timeout must be greater than 0'));
    expect(lone.call('FAILOVER', 'BOGUS')).toEqual(new ErrorReply('ERR syntax error'));
    const { master, replica } = await failoverPair();
    const c = master.client();
    expect(c.call('FAILOVER', 'FORCE')).toEqual(new ErrorReply('ERR FAILOVER with force option requires both a timeout and target HOST and IP.'));
    expect(c.call('FAILOVER', 'TO', '127.0.0.1', '9999')).toEqual(new ErrorReply('ERR FAILOVER target HOST and PORT is not a replica.'));
    expect(replica.client().call('FAILOVER')).toEqual(new ErrorReply('ERR FAILOVER is not valid when server is a replica.'));
    expect(c.call('FAILOVER', 'TO', '127.0.0.1', '6380', 'TIMEOUT', '5000')).toEqual(new SimpleString('OK'));
    expect(c.call('FAILOVER')).toEqual(new ErrorReply('ERR FAILOVER already in progress.'));
    expect(c.call('REPLICAOF', '127.0.0.1', '6380')).toEqual(new ErrorReply('ERR REPLICAOF not allowed while failing over.'));
    expect(c.call('FAILOVER', 'ABORT')).toEqual(new SimpleString('OK'));
    expect(failoverState(master)).toBe('no-failover');
    expect(replica.client().call('PSYNC', 'f'.repeat(40), '1', 'FAILOVER')).toEqual(new ErrorReply('ERR PSYNC FAILOVER replid must match my replid.'));

    // A master whose runtime cannot open links (the edge) refuses to start a handover it could not finish.
    const net = new MemoryNetwork();
    const fixed = createHarness();
    net.register('fixed:6379', fixed.core);
    const follower = createHarness({ config: { replicaof: 'fixed 6379' }, connector: net.connector });
    await until([fixed, follower], () => follower.core.masterLinkUp, 'link up');
    expect(fixed.client().call('FAILOVER')).toEqual(
      new ErrorReply('ERR FAILOVER is not supported here: this server cannot replicate from another'),
    );
    expect(master.client().call('PSYNC', master.replication.replid, '1', 'FAILOVER')).toEqual(new ErrorReply("ERR PSYNC FAILOVER can't be sent to a master."));
  });
});

describe('replica semantics', () => {
  it('hides logically expired keys on the replica and deletes them only when the master DEL arrives', async () => {
    const { master, replica } = pair();
    const m = master.client();
    m.call('SET', 'k', 'v', 'PX', '100');
    await until([master, replica], () => replica.core.masterLinkUp && replica.replication.offset === master.replication.offset, 'sync');
    replica.clock.advance(200);
    const r = replica.client();
    expect(r.call('GET', 'k')).toBeNull();
    expect(r.call('EXISTS', 'k')).toBe(0);
    // Still stored: only the master decides when it is gone.
    expect(replica.core.dbs[0].dict.has('k')).toBe(true);
    master.clock.advance(200);
    expect(m.call('GET', 'k')).toBeNull();
    expect(master.propagated.at(-1)).toEqual(['DEL', 'k']);
    await until([master, replica], () => !replica.core.dbs[0].dict.has('k'), 'DEL to arrive');
  });

  it('reports master_sync_* progress during a transfer and never exposes the half-loaded dataset', async () => {
    // A connector that delivers the master's bytes only when the test says so.
    const master = createHarness();
    const m = master.client();
    m.call('SET', 'old', 'x');
    for (let i = 0; i < 2000; i++) m.call('SET', `key:${i}`, 'v'.repeat(100));
    const held: Uint8Array[] = [];
    let deliver: ((b: Uint8Array) => void) | null = null;
    const net = new MemoryNetwork();
    net.register('master:6379', master.core);
    const replica = createHarness({
      config: { replicaof: 'master 6379' },
      connector: (target, events) =>
        net.connector(target, {
          onOpen: () => events.onOpen(),
          onClose: (r) => events.onClose(r),
          onData: (b) => {
            deliver = events.onData;
            held.push(b);
          },
        }),
    });
    replica.core.dbs[0].dict.set('stale', 'kept');
    replica.core.cron();
    // Let the handshake through; from the PSYNC answer on, hold everything.
    let holding = false;
    for (let i = 0; i < 20; i++) {
      await settle();
      while (!holding && held.length) {
        const chunk = held[0];
        if (String.fromCharCode(...chunk.subarray(0, 12)).startsWith('+FULLRESYNC')) {
          holding = true;
          break;
        }
        deliver!(held.shift()!);
      }
      master.core.cron();
    }
    expect(holding).toBe(true);
    const all = held.splice(0);
    const bytes = new Uint8Array(all.reduce((n, b) => n + b.length, 0));
    let o = 0;
    for (const b of all) {
      bytes.set(b, o);
      o += b.length;
    }
    deliver!(bytes.subarray(0, bytes.length >> 1));
    const r = replica.client();
    const info = r.call('INFO', 'replication') as string;
    expect(info).toContain('master_sync_in_progress:1');
    expect(info).toMatch(/master_sync_read_bytes:\d+/);
    expect(info).toContain('master_link_status:down');
    expect(r.call('GET', 'stale')).toBe('kept');
    expect(r.call('GET', 'old')).toBeNull();
    deliver!(bytes.subarray(bytes.length >> 1));
    expect(r.call('GET', 'old')).toBe('x');
    expect(r.call('GET', 'stale')).toBeNull();
    expect(r.call('DBSIZE')).toBe(2001);
  });

  it('answers MASTERDOWN while the link is down when replica-serve-stale-data is no', async () => {
    const net = new MemoryNetwork();
    const replica = createHarness({
      config: { replicaof: 'nowhere 1', 'replica-serve-stale-data': 'no' },
      connector: net.connector,
    });
    replica.core.cron();
    await settle();
    const r = replica.client();
    expect(r.call('GET', 'k')).toEqual({
      message: "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
    });
    expect(r.call('INFO', 'replication')).toMatch(/master_link_status:down/);
  });
});

describe('replica link robustness', () => {
  /** A scripted master: answers the handshake, then plays `afterPsync` with the PSYNC arguments. */
  function scripted(afterPsync: (args: string[], send: (s: string | Uint8Array) => void, close: () => void) => void) {
    const psyncs: string[][] = [];
    const connector = (_t: unknown, events: { onOpen(): void; onData(b: Uint8Array): void; onClose(r: string): void }) => {
      let closed = false;
      const send = (s: string | Uint8Array) =>
        queueMicrotask(() => !closed && events.onData(typeof s === 'string' ? Uint8Array.from(s, (c) => c.charCodeAt(0)) : s));
      const close = () =>
        queueMicrotask(() => {
          if (closed) return;
          closed = true;
          events.onClose('closed by the script');
        });
      queueMicrotask(() => events.onOpen());
      return {
        write(bytes: Uint8Array) {
          const text = String.fromCharCode(...bytes);
          if (text.includes('PSYNC')) {
            const args = text.split('\r\n').filter((_, i) => i % 2 === 0 && i > 0).slice(1);
            psyncs.push(args);
            afterPsync(args, send, close);
          } else if (!text.includes('ACK')) {
            for (const _ of text.matchAll(/\*\d+\r\n/g)) send('+OK\r\n');
          }
        },
        close() {
          closed = true;
        },
      };
    };
    return { connector, psyncs };
  }

  it('keeps offering its old history after a full sync whose snapshot never completed', async () => {
    const oldId = 'b'.repeat(40);
    const { connector, psyncs } = scripted((_args, send, close) => {
      send(`+FULLRESYNC ${'c'.repeat(40)} 999\r\n$100\r\nREDIS0010`);
      close();
    });
    const replica = createHarness({ connector });
    replica.replication.restoreState({ replid: oldId, offset: 42 });
    replica.client().call('SET', 'mine', 'kept');
    replica.replication.setMaster({ kind: 'tcp', host: 'm', port: 1 });
    for (let i = 0; i < 30 && psyncs.length < 2; i++) {
      replica.clock.advance(6000);
      replica.core.cron();
      await settle();
    }
    expect(psyncs.length).toBeGreaterThanOrEqual(2);
    expect(psyncs[0]).toEqual([oldId, '43']);
    expect(psyncs[1]).toEqual([oldId, '43']);
    expect(replica.replication.replid).toBe(oldId);
    expect(replica.client().call('GET', 'mine')).toBe('kept');
  });

  it('refuses malformed PSYNC answers instead of adopting them', async () => {
    const answers = [`+FULLRESYNC nothex 12\r\n`, `+FULLRESYNC ${'d'.repeat(40)} x\r\n`, `+CONTINUE short\r\n`];
    let n = 0;
    const { connector, psyncs } = scripted((_args, send, close) => {
      send(answers[Math.min(n++, answers.length - 1)]);
      close();
    });
    const replica = createHarness({ connector });
    replica.replication.restoreState({ replid: 'e'.repeat(40), offset: 7 });
    replica.replication.setMaster({ kind: 'tcp', host: 'm', port: 1 });
    for (let i = 0; i < 40 && psyncs.length < 4; i++) {
      replica.clock.advance(6000);
      replica.core.cron();
      await settle();
    }
    expect(psyncs.length).toBeGreaterThanOrEqual(4);
    for (const p of psyncs) expect(p).toEqual(['e'.repeat(40), '8']);
    expect(replica.logs.some((l) => l.includes('malformed FULLRESYNC'))).toBe(true);
    expect(replica.logs.some((l) => l.includes('malformed CONTINUE'))).toBe(true);
  });
});
