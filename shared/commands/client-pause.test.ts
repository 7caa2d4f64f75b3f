import { describe, expect, it } from 'vitest';
import { createHarness } from '../../test/helpers/core-harness.js';
import { ErrorReply, OK, QUEUED } from '../resp/reply.js';

describe('CLIENT PAUSE', () => {
  it('WRITE holds writes, and what follows them on that connection, until UNPAUSE; reads go on', () => {
    const h = createHarness();
    const admin = h.client();
    const writer = h.client();
    const reader = h.client();
    reader.call('SET', 'k', 'old');
    const before = h.propagated.length;
    expect(admin.call('CLIENT', 'PAUSE', '10000', 'WRITE')).toEqual(OK);
    writer.send('SET', 'k', 'new');
    writer.send('GET', 'k');
    expect(writer.next()).toBeUndefined();
    expect(reader.call('GET', 'k')).toBe('old');
    const publisher = h.client();
    publisher.send('PUBLISH', 'ch', 'm'); // may replicate: held too
    expect(publisher.next()).toBeUndefined();
    expect(h.propagated.length).toBe(before);

    expect(admin.call('CLIENT', 'UNPAUSE')).toEqual(OK);
    expect(writer.next()).toEqual(OK);
    expect(writer.next()).toBe('new');
    expect(publisher.next()).toBe(0);
    expect(h.propagated.slice(before)).toEqual([['SET', 'k', 'new'], ['PUBLISH', 'ch', 'm']]);
  });

  it('ALL holds every command until the timeout, which the cron notices', () => {
    const h = createHarness();
    const admin = h.client();
    const c = h.client();
    c.call('SET', 'k', 'v');
    admin.call('CLIENT', 'PAUSE', '500');
    c.send('GET', 'k');
    h.clock.advance(499);
    h.core.cron();
    expect(c.next()).toBeUndefined();
    h.clock.advance(1);
    h.core.cron();
    expect(c.next()).toBe('v');
  });

  it('holds an EXEC that writes but lets MULTI begin; a longer or stricter pause extends the current one', () => {
    const h = createHarness();
    const admin = h.client();
    const c = h.client();
    admin.call('CLIENT', 'PAUSE', '1000', 'WRITE');
    admin.call('CLIENT', 'PAUSE', '100', 'ALL'); // stricter, shorter: ALL until 1000
    const reader = h.client();
    reader.send('GET', 'x');
    admin.send('CLIENT', 'UNPAUSE'); // under ALL, Redis holds UNPAUSE too
    h.clock.advance(999);
    h.core.cron();
    expect(reader.next()).toBeUndefined();
    expect(admin.next()).toBeUndefined();
    h.clock.advance(1);
    h.core.cron();
    expect(reader.next()).toBeNull();
    expect(admin.next()).toEqual(OK);

    admin.call('CLIENT', 'PAUSE', '1000', 'WRITE');
    expect(c.call('MULTI')).toEqual(OK);
    c.send('INCR', 'n'); // a write: held even while only queued, as in Redis
    expect(c.next()).toBeUndefined();
    admin.call('CLIENT', 'UNPAUSE');
    expect(c.next()).toEqual(QUEUED);
    expect(c.call('EXEC')).toEqual([1]);
  });

  it('neither expires nor deletes keys during the pause: expired keys are only hidden', () => {
    const h = createHarness();
    const admin = h.client();
    const c = h.client();
    c.call('SET', 'k', 'v', 'PX', '100');
    const before = h.propagated.length;
    admin.call('CLIENT', 'PAUSE', '10000', 'WRITE');
    h.clock.advance(200);
    h.core.cron(); // no active expiry
    expect(c.call('GET', 'k')).toBeNull();
    expect(h.core.dbs[0].dict.has('k')).toBe(true);
    expect(h.propagated.length).toBe(before);
    admin.call('CLIENT', 'UNPAUSE');
    expect(c.call('GET', 'k')).toBeNull();
    expect(h.core.dbs[0].dict.has('k')).toBe(false);
    expect(h.propagated.slice(before)).toEqual([['DEL', 'k']]);
  });

  it("answers Redis's errors for bad arguments", () => {
    const c = createHarness().client();
    expect(c.call('CLIENT', 'PAUSE', 'abc')).toEqual(new ErrorReply('ERR timeout is not an integer or out of range'));
    expect(c.call('CLIENT', 'PAUSE', '-1')).toEqual(new ErrorReply('ERR timeout is negative'));
    expect(c.call('CLIENT', 'PAUSE', '10', 'foo')).toEqual(new ErrorReply('ERR CLIENT PAUSE mode must be WRITE or ALL'));
    expect(c.call('CLIENT', 'PAUSE', '10', 'WRITE', 'x')).toEqual(
      new ErrorReply("ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."),
    );
  });
});

describe('CLIENT PAUSE and INFO', () => {
  it('counts clients held by the pause in blocked_clients, as Redis 7.0 does, until the pause ends', () => {
    const h = createHarness();
    const admin = h.client();
    const writer = h.client();
    const blockedClients = () => /blocked_clients:(\d+)/.exec(String(admin.call('INFO', 'clients')))?.[1];
    admin.call('CLIENT', 'PAUSE', '10000', 'WRITE');
    writer.send('SET', 'k', 'v');
    expect(blockedClients()).toBe('1');
    admin.call('CLIENT', 'UNPAUSE');
    expect(writer.next()).toEqual(OK);
    expect(blockedClients()).toBe('0');
  });
});

describe('CLIENT PAUSE WRITE and commands that may replicate', () => {
  it('holds PFCOUNT (it may store its cache) and SPUBLISH until UNPAUSE', () => {
    const h = createHarness();
    const admin = h.client();
    admin.call('PFADD', 'hll', 'a');
    admin.call('CLIENT', 'PAUSE', '10000', 'WRITE');
    const counter = h.client();
    const publisher = h.client();
    counter.send('PFCOUNT', 'hll');
    publisher.send('SPUBLISH', 'ch', 'm');
    expect(counter.next()).toBeUndefined();
    expect(publisher.next()).toBeUndefined();
    admin.call('CLIENT', 'UNPAUSE');
    expect(counter.next()).toBe(1);
    expect(publisher.next()).toBe(0);
  });

  it('holds EVAL, EVALSHA and FCALL of scripts that may write, alone or queued in MULTI', () => {
    const h = createHarness();
    const admin = h.client();
    admin.call('FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function('f', function() return 3 end)");
    const sha = admin.call('SCRIPT', 'LOAD', 'return 2') as string;
    const queued = h.client();
    queued.call('MULTI');
    expect(queued.call('EVAL', '#!lua\nreturn 4', '0')).toEqual(QUEUED);
    admin.call('CLIENT', 'PAUSE', '10000', 'WRITE');
    const [a, b, c, d] = [h.client(), h.client(), h.client(), h.client()];
    a.send('EVAL', 'return 1', '0');
    b.send('EVAL', '#!lua\nreturn 1', '0');
    c.send('EVALSHA', sha, '0');
    d.send('FCALL', 'f', '0');
    queued.send('EXEC');
    for (const x of [a, b, c, d, queued]) expect(x.next()).toBeUndefined();
    admin.call('CLIENT', 'UNPAUSE');
    expect([a.next(), b.next(), c.next(), d.next(), queued.next()]).toEqual([1, 1, 2, 3, [4]]);
  });

  it('does not hold scripts declared no-writes, nor the _RO forms', () => {
    const h = createHarness();
    const admin = h.client();
    admin.call('FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function{function_name='f', callback=function() return 3 end, flags={'no-writes'}}");
    const sha = admin.call('SCRIPT', 'LOAD', '#!lua flags=no-writes\nreturn 2') as string;
    admin.call('CLIENT', 'PAUSE', '10000', 'WRITE');
    const c = h.client();
    expect(c.call('EVAL', '#!lua flags=no-writes\nreturn 1', '0')).toBe(1);
    expect(c.call('EVALSHA', sha, '0')).toBe(2);
    expect(c.call('FCALL', 'f', '0')).toBe(3);
    expect(c.call('EVAL_RO', 'return 5', '0')).toBe(5);
    expect(c.call('FCALL_RO', 'f', '0')).toBe(3);
    c.call('MULTI');
    c.call('EVAL', '#!lua flags=no-writes\nreturn 6', '0');
    expect(c.call('EXEC')).toEqual([6]);
  });
});
