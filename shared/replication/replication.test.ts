import { describe, expect, it } from 'vitest';
import { createHarness } from '../../test/helpers/core-harness.js';
import { MemoryNetwork, settle } from '../../test/helpers/memory-network.js';
import { SimpleString } from '../resp/reply.js';

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
