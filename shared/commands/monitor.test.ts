import { describe, expect, it } from 'vitest';
import { createHarness, type TestClient } from '../../test/helpers/core-harness.js';
import { quoteArgument } from '../engine/monitor.js';
import { ErrorReply, SimpleString, type Reply } from '../resp/reply.js';

/** Every MONITOR line received so far, without the timestamp. */
function lines(m: TestClient): string[] {
  const out: string[] = [];
  for (let r: Reply | undefined = m.next(); r !== undefined; r = m.next()) {
    expect(r).toBeInstanceOf(SimpleString);
    out.push((r as SimpleString).value.replace(/^\d+\.\d{6} /, ''));
  }
  return out;
}

describe('MONITOR', () => {
  it("shows each command after it ran, as Redis formats it, and hides what Redis hides", () => {
    const h = createHarness();
    const m = h.client();
    const c = h.client();
    expect(m.call('MONITOR')).toEqual(new SimpleString('OK'));
    c.call('SET', 'a', '1');
    c.call('MULTI');
    c.call('SET', 'b', 'x\ny');
    c.call('INCR', 'n');
    c.call('EXEC');
    c.call('SELECT', '2');
    c.call('SET', 'd', '\x01\xff"q\\');
    c.call('CONFIG', 'GET', 'port'); // administrative: not shown
    c.call('AUTH', 'secret'); // fails (no password set), still shown, redacted
    c.call('HELLO', '2', 'AUTH', 'default', 'pw');
    c.call('NOSUCHCOMMAND'); // rejected before it runs: not shown
    c.call('GET'); // wrong arity: not shown
    c.call('PING');
    expect(lines(m)).toEqual([
      '[0 127.0.0.1:50000] "SET" "a" "1"',
      '[0 127.0.0.1:50000] "MULTI"',
      '[0 127.0.0.1:50000] "SET" "b" "x\\ny"',
      '[0 127.0.0.1:50000] "INCR" "n"',
      '[0 127.0.0.1:50000] "EXEC"',
      '[2 127.0.0.1:50000] "SELECT" "2"',
      '[2 127.0.0.1:50000] "SET" "d" "\\x01\\xff\\"q\\\\"',
      '[2 127.0.0.1:50000] "AUTH" "(redacted)"',
      '[2 127.0.0.1:50000] "HELLO" "2" "AUTH" "(redacted)" "(redacted)"',
      '[2 127.0.0.1:50000] "PING"',
    ]);
  });

  it('stamps lines with the time in seconds and microseconds', () => {
    const h = createHarness({ now: 1_700_000_000_123 });
    const m = h.client();
    m.call('MONITOR');
    h.client().call('PING');
    expect(m.next()).toEqual(new SimpleString('1700000000.123000 [0 127.0.0.1:50000] "PING"'));
  });

  it('shows a blocking command once, not again when it is woken', () => {
    const h = createHarness();
    const m = h.client();
    m.call('MONITOR');
    const waiter = h.client();
    waiter.send('BLPOP', 'q', '0');
    h.client().call('RPUSH', 'q', 'x');
    expect(waiter.next()).toEqual(['q', 'x']);
    expect(lines(m)).toEqual(['[0 127.0.0.1:50000] "BLPOP" "q" "0"', '[0 127.0.0.1:50000] "RPUSH" "q" "x"']);
  });

  it('stops at RESET and on disconnect, and is refused inside EXEC', () => {
    const h = createHarness();
    const m = h.client();
    const c = h.client();
    m.call('MONITOR');
    expect(m.call('RESET')).toEqual(new SimpleString('RESET'));
    c.call('PING');
    expect(m.next()).toBeUndefined();
    m.call('MULTI');
    m.call('MONITOR');
    expect(m.call('EXEC')).toEqual([new ErrorReply("ERR MONITOR isn't allowed for DENY BLOCKING client")]);
    const gone = h.client();
    gone.call('MONITOR');
    gone.client.transport.close();
    expect(h.core.monitors.size).toBe(0);
  });

  it('quotes like sdscatrepr', () => {
    expect(quoteArgument('plain text')).toBe('"plain text"');
    expect(quoteArgument('\r\t\x07\x08\x00\x7f')).toBe('"\\r\\t\\a\\b\\x00\\x7f"');
  });
});
