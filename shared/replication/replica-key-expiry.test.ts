import { describe, expect, it } from 'vitest';
import { createHarness } from '../../test/helpers/core-harness.js';
import { MemoryNetwork, settle } from '../../test/helpers/memory-network.js';
import { replicaKeysWithExpire } from './replica-key-expiry.js';

async function syncedPair() {
  const net = new MemoryNetwork();
  const master = createHarness();
  net.register('master:6379', master.core);
  const replica = createHarness({ config: { replicaof: 'master 6379', 'replica-read-only': 'no' }, connector: net.connector });
  for (let i = 0; i < 200 && !replica.core.masterLinkUp; i++) {
    master.core.cron();
    replica.core.cron();
    await settle();
  }
  expect(replica.core.masterLinkUp).toBe(true);
  return { master, replica };
}

describe('keys with a TTL written on a writable replica', () => {
  it('are expired by the replica itself once due', async () => {
    const { replica } = await syncedPair();
    const r = replica.client();
    r.call('SELECT', '5');
    r.call('SET', 'key1', '1', 'EX', '5');
    r.call('SET', 'key2', '2', 'EX', '5');
    r.call('SET', 'plain', '3');
    expect(replicaKeysWithExpire(replica.core)).toBe(2);
    replica.clock.advance(4000);
    replica.core.cron();
    expect(r.call('DBSIZE')).toBe(3);
    replica.clock.advance(2000);
    replica.core.cron();
    expect(r.call('DBSIZE')).toBe(1);
    expect(replicaKeysWithExpire(replica.core)).toBe(0);
  });

  it('are forgotten when their TTL is removed, and keys from the master are left to the master', async () => {
    const { master, replica } = await syncedPair();
    const r = replica.client();
    r.call('SET', 'mine', '1', 'EX', '5');
    r.call('PERSIST', 'mine');
    master.client().call('SET', 'theirs', '1', 'PX', '100');
    for (let i = 0; i < 20 && r.call('DBSIZE') !== 2; i++) await settle();
    expect(r.call('DBSIZE')).toBe(2);
    master.core.activeExpireEnabled = false;
    replica.clock.advance(10_000);
    replica.core.cron();
    expect(r.call('DBSIZE')).toBe(2);
    expect(replicaKeysWithExpire(replica.core)).toBe(0);
  });

  it('are not expired while active expiry is off (DEBUG SET-ACTIVE-EXPIRE 0)', async () => {
    const { replica } = await syncedPair();
    const r = replica.client();
    r.call('SET', 'k', '1', 'PX', '10');
    r.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    replica.clock.advance(1000);
    replica.core.cron();
    expect(r.call('DBSIZE')).toBe(1);
    expect(r.call('EXISTS', 'k')).toBe(0);
  });
});
