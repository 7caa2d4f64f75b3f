import { describe, expect, it } from 'vitest';
import { createHarness } from '../../test/helpers/core-harness.js';
import { ErrorReply, NULL_ARRAY, OK, QUEUED, SimpleString } from '../resp/reply.js';

describe('WATCH and keys that expire (Redis 7 semantics)', () => {
  it('EXEC fails when a key alive at WATCH has expired since, even if nothing deleted it yet', () => {
    const h = createHarness();
    const c = h.client();
    c.call('SET', 'key', '1', 'PX', '100');
    c.call('WATCH', 'key');
    h.clock.advance(101);
    expect(c.call('MULTI')).toEqual(OK);
    expect(c.call('INCR', 'key')).toEqual(QUEUED);
    expect(c.call('EXEC')).toEqual(NULL_ARRAY);
  });

  it('a key already expired at WATCH that is then lazily deleted does not fail EXEC', () => {
    const h = createHarness();
    const c = h.client();
    c.call('SET', 'x', 'foo', 'PX', '1');
    h.clock.advance(2);
    c.call('WATCH', 'x');
    expect(c.call('EXISTS', 'x')).toBe(0);
    c.call('MULTI');
    c.call('PING');
    expect(c.call('EXEC')).toEqual([new SimpleString('PONG')]);
  });

  it('FLUSHDB while watching a key that was already expired does not fail EXEC', () => {
    const h = createHarness();
    const c = h.client();
    c.call('SET', 'x', 'foo', 'PX', '1');
    h.clock.advance(2);
    c.call('WATCH', 'x');
    c.call('FLUSHDB');
    c.call('MULTI');
    c.call('PING');
    expect(c.call('EXEC')).toEqual([new SimpleString('PONG')]);
  });

  it('a stale watched key written again after its deletion fails EXEC', () => {
    const h = createHarness();
    const c = h.client();
    const other = h.client();
    c.call('SET', 'x', 'foo', 'PX', '1');
    h.clock.advance(2);
    c.call('WATCH', 'x');
    other.call('SET', 'x', 'bar');
    c.call('MULTI');
    c.call('PING');
    expect(c.call('EXEC')).toEqual(NULL_ARRAY);
  });

  it('the active expiry of a watched key fails EXEC', () => {
    const h = createHarness();
    const c = h.client();
    c.call('SET', 'x', 'foo', 'PX', '10');
    c.call('WATCH', 'x');
    h.clock.advance(20);
    h.core.activeExpireCycle();
    expect(c.call('DBSIZE')).toBe(0);
    c.call('MULTI');
    c.call('PING');
    expect(c.call('EXEC')).toEqual(NULL_ARRAY);
  });
});

describe('EXEC refused before it runs', () => {
  it('EXEC queuing a write when min-replicas-to-write is not met aborts the transaction with the reason', () => {
    const h = createHarness();
    const c = h.client();
    const admin = h.client();
    c.call('SET', 'xx', '1');
    c.call('MULTI');
    expect(c.call('INCR', 'xx')).toEqual(QUEUED);
    admin.call('CONFIG', 'SET', 'min-replicas-to-write', '2');
    expect(c.call('EXEC')).toEqual(
      new ErrorReply('EXECABORT Transaction discarded because of: NOREPLICAS Not enough good replicas to write.'),
    );
    admin.call('CONFIG', 'SET', 'min-replicas-to-write', '0');
    expect(c.call('GET', 'xx')).toBe('1');
    expect(c.call('EXEC')).toEqual(new ErrorReply('ERR EXEC without MULTI'));
  });

  it('EXEC of read-only commands is not refused by min-replicas-to-write', () => {
    const h = createHarness();
    const c = h.client();
    c.call('CONFIG', 'SET', 'min-replicas-to-write', '2');
    c.call('MULTI');
    c.call('PING');
    expect(c.call('EXEC')).toEqual([new SimpleString('PONG')]);
  });

  it('EXEC with arguments discards the transaction', () => {
    const h = createHarness();
    const c = h.client();
    c.call('MULTI');
    expect(c.call('EXEC', 'x')).toEqual(
      new ErrorReply("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command"),
    );
    expect(c.call('EXEC')).toEqual(new ErrorReply('ERR EXEC without MULTI'));
  });

  it('EXEC queuing a command not allowed on stale data is refused once the replica became stale', () => {
    const h = createHarness();
    const c = h.client();
    c.call('CONFIG', 'SET', 'replica-serve-stale-data', 'no');
    c.call('MULTI');
    expect(c.call('PING')).toEqual(QUEUED);
    // The replication layer's state for a replica whose link to its master is down.
    h.core.role = 'replica';
    h.core.masterLinkUp = false;
    expect(c.call('EXEC')).toEqual(
      new ErrorReply(
        'EXECABORT Transaction discarded because of: MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to \'no\'.',
      ),
    );
  });
});
