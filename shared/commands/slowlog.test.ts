import { describe, expect, it } from 'vitest';
import { createHarness, OK_REPLY } from '../../test/helpers/core-harness.js';
import { ErrorReply, type Reply } from '../resp/reply.js';

/** A harness logging every command (threshold 0), with a fake microsecond clock commands can advance. */
function logged(config: Record<string, string> = { 'slowlog-log-slower-than': '0' }) {
  const h = createHarness({ config });
  const clock = { micros: 0 };
  h.core.host.micros = () => clock.micros;
  return { h, clock, c: h.client() };
}

type Entry = [number, number, number, string[], string, string];

describe('SLOWLOG (checked against redis-server 7.0.15)', () => {
  it('logs nothing fast by default (10 ms threshold)', () => {
    const { c } = logged({});
    c.call('SET', 'k', 'v');
    expect(c.call('SLOWLOG', 'LEN')).toBe(0);
  });

  it('keeps entries newest first with id, unix time, microseconds, arguments, address and client name', () => {
    const { h, c } = logged();
    c.call('SET', 'k', 'v');
    c.call('CLIENT', 'SETNAME', 'bob');
    c.call('GET', 'k');
    const entries = c.call('SLOWLOG', 'GET') as Entry[];
    expect(entries.map((e) => e[3])).toEqual([['GET', 'k'], ['CLIENT', 'SETNAME', 'bob'], ['SET', 'k', 'v']]);
    expect(entries.map((e) => e[0])).toEqual([2, 1, 0]);
    expect(entries[0][1]).toBe(Math.floor(h.clock.now / 1000));
    expect(entries[0][4]).toMatch(/:\d+$/);
    expect(entries.map((e) => e[5])).toEqual(['bob', 'bob', '']);
    // SLOWLOG GET itself was logged after it ran.
    expect((c.call('SLOWLOG', 'GET', '1') as Entry[])[0][3]).toEqual(['SLOWLOG', 'GET']);
  });

  it('times commands in microseconds and logs those at or above the threshold', () => {
    const { h, clock, c } = logged({ 'slowlog-log-slower-than': '5000' });
    h.core.host.micros = () => clock.micros;
    // A command that takes 4999 us, then one that takes 5000 us (the fake clock moves while each runs).
    let step = 4999;
    const real = h.core.host.micros;
    let calls = 0;
    h.core.host.micros = () => (calls++ % 2 === 0 ? clock.micros : (clock.micros += step));
    c.call('SET', 'a', '1');
    step = 5000;
    c.call('SET', 'b', '2');
    h.core.host.micros = real;
    const entries = c.call('SLOWLOG', 'GET') as Entry[];
    expect(entries.map((e) => [e[3][1], e[2]])).toEqual([['b', 5000]]);
    expect(c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '-1')).toEqual(OK_REPLY);
    c.call('SLOWLOG', 'RESET');
    expect(c.call('SLOWLOG', 'LEN')).toBe(0);
  });

  it('cuts long commands to 32 arguments and long arguments to 128 bytes, and redacts secrets', () => {
    const { c } = logged();
    c.call('RPUSH', 'l', ...Array.from({ length: 40 }, (_, i) => String(i + 1)));
    c.call('SET', 'k', 'a'.repeat(200));
    c.call('AUTH', 'secret');
    c.call('MIGRATE', '127.0.0.1', '1', '', '0', '10', 'AUTH2', 'user', 'pw', 'KEYS', 'nokey');
    const [migrate, auth, set, rpush] = c.call('SLOWLOG', 'GET', '4') as Entry[];
    expect(rpush[3]).toHaveLength(32);
    expect(rpush[3].slice(0, 3)).toEqual(['RPUSH', 'l', '1']);
    expect(rpush[3][31]).toBe('... (11 more arguments)');
    expect(set[3][2]).toBe(`${'a'.repeat(128)}... (72 more bytes)`);
    expect(auth[3]).toEqual(['AUTH', '(redacted)']);
    expect(migrate[3]).toEqual(['MIGRATE', '127.0.0.1', '1', '', '0', '10', 'AUTH2', '(redacted)', '(redacted)', 'KEYS', 'nokey']);
  });

  it('keeps at most slowlog-max-len entries; ids go on counting after RESET', () => {
    const { c } = logged({ 'slowlog-log-slower-than': '0', 'slowlog-max-len': '2' });
    for (let i = 0; i < 4; i++) c.call('PING');
    expect(c.call('SLOWLOG', 'LEN')).toBe(2);
    expect(c.call('SLOWLOG', 'RESET')).toEqual(OK_REPLY);
    c.call('PING');
    const [entry] = c.call('SLOWLOG', 'GET') as Entry[];
    expect(entry[0]).toBe(6);
  });

  it('GET counts: default 10, -1 for all, 0 for none, and Redis\'s errors', () => {
    const { c } = logged();
    for (let i = 0; i < 12; i++) c.call('PING');
    expect((c.call('SLOWLOG', 'GET') as Reply[]).length).toBe(10);
    expect((c.call('SLOWLOG', 'GET', '-1') as Reply[]).length).toBe(13);
    expect(c.call('SLOWLOG', 'GET', '0')).toEqual([]);
    expect(c.call('SLOWLOG', 'GET', '-2')).toEqual(new ErrorReply('ERR count should be greater than or equal to -1'));
    expect(c.call('SLOWLOG', 'GET', 'foo')).toEqual(new ErrorReply('ERR count should be greater than or equal to -1'));
    expect(c.call('SLOWLOG', 'GET', '1', '2')).toEqual(
      new ErrorReply("ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP."),
    );
    expect(c.call('SLOWLOG', 'LEN', 'x')).toEqual(new ErrorReply("ERR wrong number of arguments for 'slowlog|len' command"));
  });

  it('logs the commands of a transaction one by one but not EXEC, and a blocked command once, when served', () => {
    const { h, c } = logged();
    c.call('MULTI');
    c.call('SET', 'a', '1');
    c.call('INCR', 'a');
    c.call('EXEC');
    const waiter = h.client();
    waiter.send('BLPOP', 'q', '0');
    c.call('RPUSH', 'q', 'x');
    expect(waiter.next()).toEqual(['q', 'x']);
    const names = (c.call('SLOWLOG', 'GET', '-1') as Entry[]).map((e) => e[3][0]).reverse();
    expect(names).toEqual(['MULTI', 'SET', 'INCR', 'RPUSH', 'BLPOP']);
  });
});

describe('SLOWLOG redaction of secrets', () => {
  it('redacts every ACL SETUSER argument, failed or not, and sensitive CONFIG SET values', () => {
    const h = createHarness();
    const c = h.client();
    c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    c.call('SLOWLOG', 'RESET');
    c.call('ACL', 'SETUSER', 'slowlog test user', '+get', '+set');
    c.call('CONFIG', 'SET', 'masterauth', '');
    c.call('ACL', 'SETUSER', 'slowlog-test-user', '+get', '+set');
    c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
    const entries = c.call('SLOWLOG', 'GET') as Array<[number, number, number, string[]]>;
    expect(entries.map((e) => e[3].join(' '))).toEqual([
      'ACL SETUSER (redacted) (redacted) (redacted)',
      'CONFIG SET masterauth (redacted)',
      'ACL SETUSER (redacted) (redacted) (redacted)',
      'SLOWLOG RESET',
    ]);
  });
});
