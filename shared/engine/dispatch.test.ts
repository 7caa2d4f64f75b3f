import { describe, expect, it } from 'vitest';
import { ErrorReply, MapReply, NULL_ARRAY, PushReply, SimpleString } from '../resp/reply.js';
import { createHarness, OK_REPLY } from '../../test/helpers/core-harness.js';

describe('dispatch', () => {
  it('answers PING and ECHO and rejects unknown commands and wrong arity with Redis text', () => {
    const h = createHarness();
    const c = h.client();
    expect(c.call('PING')).toEqual(new SimpleString('PONG'));
    expect(c.call('ping', 'hi')).toBe('hi');
    expect(c.call('ECHO', 'x')).toBe('x');
    expect(c.call('NOPE', 'a', 'b')).toEqual(new ErrorReply("ERR unknown command 'NOPE', with args beginning with: 'a' 'b' "));
    expect(c.call('ECHO')).toEqual(new ErrorReply("ERR wrong number of arguments for 'echo' command"));
    expect(c.call('PUBSUB', 'nope')).toEqual(new ErrorReply("ERR unknown subcommand 'nope'. Try PUBSUB HELP."));
  });

  it('accepts inline commands and pipelines split at every byte', () => {
    const h = createHarness();
    const c = h.client();
    const input = 'PING\r\n*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\necho "a b"\n';
    for (const ch of input) c.sendRaw(ch);
    expect(c.next()).toEqual(new SimpleString('PONG'));
    expect(c.next()).toBe('abc');
    expect(c.next()).toBe('a b');
  });

  it('replies to a protocol error and closes', () => {
    const h = createHarness();
    const c = h.client();
    c.sendRaw('*1\r\nfoo\r\n');
    expect(c.next()).toEqual(new ErrorReply("ERR Protocol error: expected '$', got 'f'"));
    expect(c.closed).toBe(true);
  });

  it('requires AUTH when requirepass is set', () => {
    const h = createHarness({ config: { requirepass: 's3cret' } });
    const c = h.client();
    expect(c.call('ECHO', 'x')).toEqual(new ErrorReply('NOAUTH Authentication required.'));
    expect(c.call('AUTH', 'bad')).toEqual(new ErrorReply('WRONGPASS invalid username-password pair or user is disabled.'));
    expect(c.call('AUTH', 's3cret')).toEqual(OK_REPLY);
    expect(c.call('ECHO', 'x')).toBe('x');
  });

  it('refuses non-loopback clients in protected mode without a password', () => {
    const h = createHarness();
    expect(() => h.client({ loopback: false })).toThrow('connection refused');
  });

  it('switches to RESP3 with HELLO', () => {
    const h = createHarness();
    const c = h.client();
    const r = c.call('HELLO', '3') as MapReply;
    expect(r).toBeInstanceOf(MapReply);
    expect(r.entries.find(([k]) => k === 'proto')?.[1]).toBe(3);
  });

  it('runs MULTI/EXEC and pub/sub', () => {
    const h = createHarness();
    const a = h.client();
    const b = h.client();
    expect(a.call('SUBSCRIBE', 'ch')).toEqual(['subscribe', 'ch', 1]);
    expect(a.call('ECHO', 'x')).toEqual(
      new ErrorReply("ERR Can't execute 'echo': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"),
    );
    expect(b.call('PUBLISH', 'ch', 'hello')).toBe(1);
    expect(a.next()).toEqual(['message', 'ch', 'hello']);
    expect(h.propagated).toEqual([['SELECT', '0'], ['PUBLISH', 'ch', 'hello']]);
    expect(b.call('MULTI')).toEqual(OK_REPLY);
    expect(b.call('ECHO', 'y')).toEqual(new SimpleString('QUEUED'));
    expect(b.call('EXEC')).toEqual(['y']);
    expect(b.call('MULTI')).toEqual(OK_REPLY);
    expect(b.call('NOPE')).toBeInstanceOf(ErrorReply);
    expect(b.call('EXEC')).toEqual(new ErrorReply('EXECABORT Transaction discarded because of previous errors.'));
    void PushReply;
    void NULL_ARRAY;
  });
});

describe('request limits', () => {
  it('applies CONFIG SET proto-max-bulk-len to connected clients at once', () => {
    const h = createHarness();
    const c = h.client();
    const other = h.client();
    expect(c.call('CONFIG', 'SET', 'proto-max-bulk-len', '1mb')).toEqual(OK_REPLY);
    other.sendRaw(`*2\r\n$4\r\nECHO\r\n$${1024 * 1024 + 1}\r\n`);
    expect(other.next()).toEqual(new ErrorReply('ERR Protocol error: invalid bulk length'));
    expect(other.closed).toBe(true);
    expect(c.call('ECHO', 'still here')).toBe('still here');
  });
});

describe('output buffer limits', () => {
  it('disconnects a subscriber that does not read once it crosses the pubsub hard limit; others are unaffected', () => {
    const h = createHarness({ config: { 'client-output-buffer-limit': 'pubsub 4kb 2kb 60' } });
    let buffered = 0;
    let closed = false;
    const slow = h.core.connect(
      { write: (b) => (buffered += b.length), close: () => (closed = true), bufferedAmount: () => buffered },
      { addr: '127.0.0.1:1', laddr: '127.0.0.1:2', loopback: true, kind: 'internal' },
    )!;
    h.core.receive(slow, new TextEncoder().encode('SUBSCRIBE news\r\n'));
    const publisher = h.client();
    const fast = h.client();
    fast.call('SUBSCRIBE', 'news');
    for (let i = 0; i < 10 && !closed; i++) publisher.call('PUBLISH', 'news', 'x'.repeat(1000));
    expect(closed).toBe(true);
    expect(h.core.clients.has(slow.id)).toBe(false);
    expect(h.logs.some((l) => l.includes('closed for overcoming of output buffer limits'))).toBe(true);
    expect(publisher.call('PUBLISH', 'news', 'after')).toBe(1);
  });
});
