import { describe, expect, it } from 'vitest';
import { Config } from '../engine/config.js';
import { encodeCommand } from '../resp/encoder.js';
import { ErrorReply, SimpleString } from '../resp/reply.js';
import { createHarness } from '../../test/helpers/core-harness.js';
import { shutdownOf, signalShutdownOptions } from './shutdown.js';

const OK = new SimpleString('OK');
const SHUTDOWN_ERROR = new ErrorReply('ERR Errors trying to SHUTDOWN. Check logs.');

/**
 * A master (with a host that can stop) and one replica speaking the protocol by hand: it syncs, acknowledges
 * the offset it is told to, and is online. `tick` runs the cron after moving the clock.
 */
function masterWithReplica(config: Record<string, string> = {}) {
  const h = createHarness({ config: { 'repl-diskless-sync-delay': '0', ...config } });
  let stopped = 0;
  h.core.host.shutdown = () => stopped++;
  const replica = h.core.connect(
    { write: () => {}, close: () => {}, bufferedAmount: () => 0 },
    { addr: '127.0.0.1:50001', laddr: '127.0.0.1:6379', loopback: true, kind: 'internal' },
  )!;
  const fromReplica = (...argv: string[]) => h.core.receive(replica, encodeCommand(argv));
  const tick = (ms = 100) => {
    h.clock.advance(ms);
    h.core.cron();
  };
  fromReplica('REPLCONF', 'listening-port', '6380');
  fromReplica('REPLCONF', 'capa', 'eof', 'capa', 'psync2');
  fromReplica('PSYNC', '?', '-1');
  for (let i = 0; i < 3; i++) tick();
  const ack = (offset = h.replication.offset) => fromReplica('REPLCONF', 'ACK', String(offset));
  ack();
  const peer = () => [...h.replication.peers.values()][0];
  return { h, ack, tick, peer, stopped: () => stopped };
}

describe('SHUTDOWN with replicas', () => {
  it('waits for a lagging replica with writes held and no heartbeat growing the offset', () => {
    const { h, tick, stopped } = masterWithReplica();
    const writer = h.client();
    expect(writer.call('SET', 'k', 'v1')).toEqual(OK);
    const c = h.client();
    h.propagated.length = 0;
    c.send('SHUTDOWN');
    expect(c.next()).toBeUndefined();
    expect(stopped()).toBe(0);
    expect(shutdownOf(h.core).inProgress()).toBe(true);
    expect(shutdownOf(h.core).remainingMs()).toBe(10_000);
    expect(h.logs).toContain('notice: Waiting for replicas before shutting down.');
    // The replicas are asked for an ACK at once.
    expect(h.propagated).toEqual([['REPLCONF', 'GETACK', '*']]);
    // Writes wait; reads go on.
    writer.send('SET', 'k', 'v2');
    expect(writer.next()).toBeUndefined();
    expect(h.client().call('GET', 'k')).toBe('v1');
    tick();
    expect(stopped()).toBe(0);
    // No heartbeat PING while waiting: the offset must stay where the replica can reach it.
    tick(11_000 - 100);
    expect(stopped()).toBe(1);
    expect(h.propagated).toEqual([['REPLCONF', 'GETACK', '*']]);
  });

  it('finishes from the cron as soon as every replica acknowledged', () => {
    const { h, ack, tick, stopped } = masterWithReplica();
    h.client().call('SET', 'k', 'v');
    const c = h.client();
    c.send('SHUTDOWN', 'NOSAVE');
    tick();
    expect(stopped()).toBe(0);
    ack();
    expect(stopped()).toBe(0);
    tick();
    expect(stopped()).toBe(1);
    expect(c.next()).toBeUndefined();
    expect(h.logs).toContain('notice: 1 of 1 replicas are in sync when shutting down.');
    expect(h.logs.some((l) => l.includes('Lagging replica'))).toBe(false);
  });

  it('gives up after shutdown-timeout seconds and logs the lagging replica', () => {
    const { h, tick, peer, stopped } = masterWithReplica({ 'shutdown-timeout': '2' });
    h.client().call('SET', 'k', 'v');
    h.client().send('SHUTDOWN');
    tick(1900);
    expect(stopped()).toBe(0);
    tick(100);
    expect(stopped()).toBe(1);
    const behind = h.replication.offset - peer().ackOffset;
    expect(behind).toBeGreaterThan(0);
    expect(h.logs).toContain(`warning: Lagging replica 127.0.0.1:6380 reported offset ${behind} behind master, lag=2, state=online.`);
    expect(h.logs).toContain('notice: 0 of 1 replicas are in sync when shutting down.');
  });

  it('SHUTDOWN ABORT answers the waiting clients with an error and lets the held writes run', () => {
    const { h, tick, stopped } = masterWithReplica();
    h.client().call('SET', 'k', 'v1');
    const first = h.client();
    const second = h.client();
    const writer = h.client();
    first.send('SHUTDOWN');
    // A second SHUTDOWN joins the one in progress.
    second.send('SHUTDOWN', 'NOW');
    expect(second.next()).toBeUndefined();
    writer.send('SET', 'k', 'v2');
    expect(h.client().call('SHUTDOWN', 'ABORT')).toEqual(OK);
    expect(first.next()).toEqual(SHUTDOWN_ERROR);
    expect(second.next()).toEqual(SHUTDOWN_ERROR);
    expect(writer.next()).toEqual(OK);
    expect(h.client().call('GET', 'k')).toBe('v2');
    expect(h.logs).toContain('notice: Shutdown manually aborted.');
    expect(h.client().call('SHUTDOWN', 'ABORT')).toEqual(new ErrorReply('ERR No shutdown in progress.'));
    tick(20_000);
    expect(stopped()).toBe(0);
    // The aborted client can use its connection again.
    expect(first.call('PING')).toEqual(new SimpleString('PONG'));
  });

  it('keeps a CLIENT PAUSE of its own across an abort', () => {
    const { h } = masterWithReplica();
    h.client().call('SET', 'k', 'v1');
    expect(h.client().call('CLIENT', 'PAUSE', '60000', 'WRITE')).toEqual(OK);
    h.client().send('SHUTDOWN');
    const writer = h.client();
    writer.send('SET', 'k', 'v2');
    // The stream is paused already: no GETACK grows it.
    expect(h.propagated.some((p) => p[0] === 'REPLCONF')).toBe(false);
    expect(h.client().call('SHUTDOWN', 'ABORT')).toEqual(OK);
    expect(writer.next()).toBeUndefined();
    h.clock.advance(60_000);
    h.core.cron();
    expect(writer.next()).toEqual(OK);
  });

  it('CLIENT UNPAUSE does not release the writes a shutdown holds, CLIENT UNBLOCK does not answer it', () => {
    const { h } = masterWithReplica();
    h.client().call('SET', 'k', 'v1');
    const sc = h.client();
    sc.send('SHUTDOWN');
    const writer = h.client();
    writer.send('SET', 'k', 'v2');
    const admin = h.client();
    expect(admin.call('CLIENT', 'UNPAUSE')).toEqual(OK);
    expect(writer.next()).toBeUndefined();
    expect(admin.call('CLIENT', 'UNBLOCK', String(sc.client.id))).toBe(0);
    expect(sc.next()).toBeUndefined();
    // A CLIENT PAUSE given during the wait outlives an abort.
    expect(admin.call('CLIENT', 'PAUSE', '5000', 'WRITE')).toEqual(OK);
    expect(admin.call('SHUTDOWN', 'ABORT')).toEqual(OK);
    expect(sc.next()).toEqual(SHUTDOWN_ERROR);
    expect(writer.next()).toBeUndefined();
    h.clock.advance(5000);
    h.core.cron();
    expect(writer.next()).toEqual(OK);
  });

  it('does not wait with NOW, with shutdown-timeout 0, or when the replicas are in sync', () => {
    const now = masterWithReplica();
    now.h.client().call('SET', 'k', 'v');
    now.h.client().send('SHUTDOWN', 'NOW');
    expect(now.stopped()).toBe(1);
    expect(now.h.logs).toContain('warning: Lagging replica 127.0.0.1:6380 reported offset 50 behind master, lag=0, state=online.');

    const zero = masterWithReplica({ 'shutdown-timeout': '0' });
    zero.h.client().call('SET', 'k', 'v');
    zero.h.client().send('SHUTDOWN');
    expect(zero.stopped()).toBe(1);

    const synced = masterWithReplica();
    synced.h.client().call('SET', 'k', 'v');
    synced.ack();
    synced.h.client().send('SHUTDOWN');
    expect(synced.stopped()).toBe(1);
    expect(synced.h.logs.some((l) => l.includes('Waiting for replicas'))).toBe(false);
  });

  it('does not wait without replicas', () => {
    const h = createHarness();
    let stopped = 0;
    h.core.host.shutdown = () => stopped++;
    h.client().call('SET', 'k', 'v');
    h.client().send('SHUTDOWN');
    expect(stopped).toBe(1);
  });

  it('checks NOW, FORCE and ABORT combinations like Redis', () => {
    const { h, stopped } = masterWithReplica();
    const c = h.client();
    expect(c.call('SHUTDOWN', 'ABORT', 'FORCE')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('SHUTDOWN', 'NOW', 'ABORT')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('SHUTDOWN', 'ABORT', 'NOSAVE')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('SHUTDOWN', 'SAVE', 'NOSAVE', 'NOW')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('SHUTDOWN', 'NOW', 'bogus')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('SHUTDOWN', 'abort')).toEqual(new ErrorReply('ERR No shutdown in progress.'));
    expect(stopped()).toBe(0);
    c.send('SHUTDOWN', 'nosave', 'now', 'force');
    expect(stopped()).toBe(1);
  });
});

describe('shutdown configuration', () => {
  it('reads and prints shutdown-on-sigterm / shutdown-on-sigint as Redis', () => {
    const config = new Config();
    expect(config.getText('shutdown-timeout')).toBe('10');
    expect(config.getText('shutdown-on-sigterm')).toBe('default');
    expect(config.getText('shutdown-on-sigint')).toBe('default');
    config.set('shutdown-on-sigterm', 'now NOSAVE');
    expect(config.getText('shutdown-on-sigterm')).toBe('nosave now');
    config.set('shutdown-on-sigterm', 'default now');
    expect(config.getText('shutdown-on-sigterm')).toBe('now');
    expect(() => config.set('shutdown-on-sigterm', 'save nosave')).toThrow("shutdown options SAVE and NOSAVE can't be used simultaneously");
    expect(() => config.set('shutdown-on-sigint', 'foo')).toThrow('argument(s) must be one of the following: default, save, nosave, now, force');
    expect(() => config.set('shutdown-on-sigint', '')).toThrow('argument(s) must be one of the following: default, save, nosave, now, force');
    expect(() => config.set('shutdown-timeout', '-1')).toThrow('argument must be between 0 and 2147483647 inclusive');
  });

  it('turns the signal settings into SHUTDOWN options', () => {
    const h = createHarness({ config: { 'shutdown-on-sigint': 'force nosave now' } });
    expect(signalShutdownOptions(h.core, 'SIGINT')).toEqual({ save: false, nosave: true, now: true, force: true });
    expect(signalShutdownOptions(h.core, 'SIGTERM')).toEqual({ save: false, nosave: false, now: false, force: false });
  });

  it('is reported by CONFIG SET errors with the parameter name', () => {
    const c = createHarness().client();
    expect(c.call('CONFIG', 'SET', 'shutdown-on-sigterm', 'save nosave')).toEqual(
      new ErrorReply(
        "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigterm') - shutdown options SAVE and NOSAVE can't be used simultaneously",
      ),
    );
    expect(c.call('CONFIG', 'SET', 'shutdown-on-sigint', 'save now')).toEqual(OK);
    expect(c.call('CONFIG', 'GET', 'shutdown-on-sigint')).toEqual(['shutdown-on-sigint', 'save now']);
  });
});
