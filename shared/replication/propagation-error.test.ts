import { describe, expect, it } from 'vitest';
import { createHarness } from '../../test/helpers/core-harness.js';
import { MemoryNetwork, settle } from '../../test/helpers/memory-network.js';
import { PropagationPanic } from '../engine/dispatch.js';
import { ErrorReply, SimpleString } from '../resp/reply.js';

/** A client standing for our master's link: no replies, every write applied. */
function masterLink(config: Record<string, string> = {}) {
  const h = createHarness({ config });
  const c = h.client();
  c.client.isMaster = true;
  c.client.replyOff = true;
  return { h, c };
}

const critical = (logs: string[]) => logs.filter((l) => l.includes('== CRITICAL =='));

describe('propagation-error-behavior', () => {
  it('is a config that defaults to ignore and accepts panic and panic-on-replicas only', () => {
    const h = createHarness();
    const c = h.client();
    expect(c.call('CONFIG', 'GET', 'propagation-error-behavior')).toEqual(['propagation-error-behavior', 'ignore']);
    expect(c.call('CONFIG', 'SET', 'propagation-error-behavior', 'panic-on-replicas')).toEqual(new SimpleString('OK'));
    expect(c.call('CONFIG', 'GET', 'propagation-error-behavior')).toEqual(['propagation-error-behavior', 'panic-on-replicas']);
    expect(c.call('CONFIG', 'SET', 'propagation-error-behavior', 'crash')).toEqual(
      new ErrorReply(
        "ERR CONFIG SET failed (possibly related to argument 'propagation-error-behavior') - argument(s) must be one of the following: ignore, panic, panic-on-replicas",
      ),
    );
  });

  it('logs a failed command from the master as critical, naming the error and the command', () => {
    const { h, c } = masterLink();
    c.send('SET', 'k', 'v');
    c.send('INCRBY', 'k', '1');
    expect(critical(h.logs)).toEqual([
      "warning: == CRITICAL == This replica is sending an error to its master: 'ERR value is not an integer or out of range' after processing the command 'incrby'",
    ]);
  });

  it('names an unknown command <unknown>, its name appearing only in the error', () => {
    const { h, c } = masterLink();
    c.send('fake-command-1');
    const lines = critical(h.logs);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("'ERR unknown command 'fake-command-1', with args beginning with: ' after processing the command '<unknown>'");
  });

  it('does not log errors of ordinary clients', () => {
    const h = createHarness();
    const c = h.client();
    c.call('SET', 'k', 'v');
    c.call('INCRBY', 'k', '1');
    expect(critical(h.logs)).toEqual([]);
  });

  it('panics on a read-only replica with panic or panic-on-replicas, not with ignore', () => {
    for (const behavior of ['panic', 'panic-on-replicas']) {
      const { h, c } = masterLink({ 'propagation-error-behavior': behavior });
      c.send('SET', 'k', 'v');
      expect(() => c.send('INCRBY', 'k', '1')).toThrow(PropagationPanic);
      expect(h.logs.some((l) => l.includes("This replica panicked sending an error to its master after processing the command 'incrby'"))).toBe(true);
    }
  });

  it('does not panic on a writable replica, where divergence is allowed', () => {
    const { h, c } = masterLink({ 'propagation-error-behavior': 'panic', 'replica-read-only': 'no' });
    c.send('SET', 'k', 'v');
    expect(() => c.send('INCRBY', 'k', '1')).not.toThrow();
    expect(critical(h.logs)).toHaveLength(1);
  });

  it('logs an error a real replica meets in its master stream and keeps the link', async () => {
    const net = new MemoryNetwork();
    const master = createHarness();
    net.register('master:6379', master.core);
    const replica = createHarness({ config: { replicaof: 'master 6379' }, connector: net.connector });
    const m = master.client();
    const r = replica.client();
    const synced = () => String(r.call('INFO', 'replication')).includes('master_link_status:up');
    for (let i = 0; i < 200 && !synced(); i++) {
      master.core.cron();
      replica.core.cron();
      await settle();
    }
    expect(synced()).toBe(true);
    m.call('DEBUG', 'REPLICATE', 'fake-command-1');
    m.call('SET', 'foo', 'bar2');
    for (let i = 0; i < 20 && r.call('GET', 'foo') !== 'bar2'; i++) await settle();
    expect(r.call('GET', 'foo')).toBe('bar2');
    expect(critical(replica.logs)).toHaveLength(1);
    expect(critical(replica.logs)[0]).toContain('fake-command-1');
  });
});
