import { describe, expect, it } from 'vitest';
import { createHarness, OK_REPLY, type TestClient } from '../../test/helpers/core-harness.js';
import { ErrorReply, MapReply, PushReply, SetReply, SimpleString, type Reply } from '../resp/reply.js';

/** Every reply or push already received. */
function drain(c: TestClient): Reply[] {
  const out: Reply[] = [];
  for (let r = c.next(); r !== undefined; r = c.next()) out.push(r);
  return out;
}

const invalidate = (keys: string[] | null) => new PushReply(['invalidate', keys]);

function resp3(h: ReturnType<typeof createHarness>): TestClient {
  const c = h.client();
  c.call('HELLO', '3');
  return c;
}

describe('CLIENT TRACKING options', () => {
  it('rejects bad combinations with Redis texts', () => {
    const h = createHarness();
    const c = h.client();
    const err = (...argv: string[]) => c.call('CLIENT', 'TRACKING', ...argv);
    expect(err('on', 'PREFIX', 'a')).toEqual(new ErrorReply('ERR PREFIX option requires BCAST mode to be enabled'));
    expect(err('on', 'redirect', '999')).toEqual(new ErrorReply('ERR The client ID you want redirect to does not exist'));
    expect(err('on', 'redirect', '0')).toEqual(new ErrorReply('ERR The client ID you want redirect to does not exist'));
    expect(err('on', 'redirect', 'abc')).toEqual(new ErrorReply('ERR value is not an integer or out of range'));
    expect(err('on', 'optin', 'optout')).toEqual(new ErrorReply("ERR You can't specify both OPTIN mode and OPTOUT mode"));
    expect(err('on', 'bcast', 'optin')).toEqual(new ErrorReply('ERR OPTIN and OPTOUT are not compatible with BCAST'));
    expect(err('maybe')).toEqual(new ErrorReply('ERR syntax error'));
    expect(err('on', 'redirect')).toEqual(new ErrorReply('ERR syntax error'));
    expect(err('on', 'prefix')).toEqual(new ErrorReply('ERR syntax error'));
    expect(err('off', 'foo')).toEqual(new ErrorReply('ERR syntax error'));
    expect(err('on', 'bcast', 'prefix', 'ab', 'prefix', 'a')).toEqual(
      new ErrorReply("ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap."),
    );
    const other = h.client();
    const id = String(other.call('CLIENT', 'ID'));
    expect(err('on', 'redirect', id, 'redirect', id)).toEqual(new ErrorReply('ERR A client can only redirect to a single other client'));
    expect(c.call('CLIENT', 'TRACKING')).toEqual(new ErrorReply("ERR wrong number of arguments for 'client|tracking' command"));
  });

  it('refuses to switch BCAST or OPTIN/OPTOUT while tracking, and checks prefixes against existing ones', () => {
    const h = createHarness();
    const c = h.client();
    expect(c.call('CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'a', 'prefix', 'b')).toEqual(OK_REPLY);
    expect(c.call('CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'ab')).toEqual(
      new ErrorReply("ERR Prefix 'ab' overlaps with an existing prefix 'a'. Prefixes for a single client must not overlap."),
    );
    expect(c.call('CLIENT', 'TRACKING', 'on')).toEqual(
      new ErrorReply(
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
      ),
    );
    expect(c.call('CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'c')).toEqual(OK_REPLY);
    expect(c.call('CLIENT', 'TRACKINGINFO')).toEqual([
      'flags', ['on', 'bcast'], 'redirect', 0, 'prefixes', ['a', 'b', 'c'],
    ]);
    c.call('CLIENT', 'TRACKING', 'off');
    c.call('CLIENT', 'TRACKING', 'on', 'optin');
    expect(c.call('CLIENT', 'TRACKING', 'on', 'optout')).toEqual(
      new ErrorReply(
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
      ),
    );
  });

  it('sends the error and then +OK when a later provided prefix overlaps, as Redis 7.0 does', () => {
    const h = createHarness();
    const c = h.client();
    c.send('CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'a', 'prefix', 'b', 'prefix', 'bc');
    expect(drain(c)).toEqual([
      new ErrorReply("ERR Prefix 'b' overlaps with another provided prefix 'bc'. Prefixes for a single client must not overlap."),
      OK_REPLY,
    ]);
    expect(c.call('CLIENT', 'TRACKINGINFO')).toEqual(['flags', ['on', 'bcast'], 'redirect', 0, 'prefixes', ['a', 'b', 'bc']]);
  });

  it('reports state with TRACKINGINFO (a RESP3 map with a set of flags), GETREDIR and CLIENT LIST', () => {
    const h = createHarness();
    const c = resp3(h);
    expect(c.call('CLIENT', 'TRACKINGINFO')).toEqual(
      new MapReply([['flags', new SetReply(['off'])], ['redirect', -1], ['prefixes', []]]),
    );
    expect(c.call('CLIENT', 'GETREDIR')).toBe(-1);
    const target = h.client();
    const id = target.call('CLIENT', 'ID') as number;
    c.call('CLIENT', 'TRACKING', 'on', 'redirect', String(id), 'noloop', 'bcast', 'prefix', 'x');
    expect(c.call('CLIENT', 'GETREDIR')).toBe(id);
    expect(c.call('CLIENT', 'TRACKINGINFO')).toEqual(
      new MapReply([['flags', new SetReply(['on', 'bcast', 'noloop'])], ['redirect', id], ['prefixes', ['x']]]),
    );
    const line = String(target.call('CLIENT', 'LIST', 'ID', String(c.client.id)));
    expect(line).toContain(' flags=tB ');
    expect(line).toContain(` redir=${id} resp=3`);
  });
});

describe('default mode invalidation', () => {
  it('invalidates a key read by the client once, after the reply of the write that changed it', () => {
    const h = createHarness();
    const a = resp3(h);
    const w = h.client();
    a.call('CLIENT', 'TRACKING', 'on');
    a.call('GET', 'k1');
    a.send('SET', 'k1', 'v');
    expect(drain(a)).toEqual([OK_REPLY, invalidate(['k1'])]);
    a.send('SET', 'k1', 'v');
    expect(drain(a)).toEqual([OK_REPLY]);
    a.call('MGET', 'k1', 'k2');
    w.call('MSET', 'k1', '1', 'k2', '2');
    expect(drain(a)).toEqual([invalidate(['k1']), invalidate(['k2'])]);
    w.call('MSET', 'k1', '1', 'k2', '2');
    expect(drain(a)).toEqual([]);
  });

  it('tracks keys by name across databases, and reads that failed with WRONGTYPE too', () => {
    const h = createHarness();
    const a = resp3(h);
    const w = h.client();
    a.call('CLIENT', 'TRACKING', 'on');
    a.call('LPUSH', 'l', 'x');
    expect(a.call('GET', 'l')).toBeInstanceOf(ErrorReply);
    a.call('GET', 'k');
    w.call('SELECT', '1');
    w.call('SET', 'k', 'x');
    w.call('SELECT', '0');
    w.call('SET', 'l', 'x');
    expect(drain(a)).toEqual([invalidate(['k']), invalidate(['l'])]);
  });

  it('sends invalidations of a transaction after the EXEC reply', () => {
    const h = createHarness();
    const a = resp3(h);
    a.call('CLIENT', 'TRACKING', 'on');
    a.call('SET', 'k1', 'x');
    a.call('GET', 'k1');
    a.call('MULTI');
    a.call('SET', 'k1', 'z');
    a.call('GET', 'k1');
    a.call('SET', 'k1', 'y');
    a.send('EXEC');
    expect(drain(a)).toEqual([[OK_REPLY, 'z', OK_REPLY], invalidate(['k1']), invalidate(['k1'])]);
  });

  it('NOLOOP skips the client own writes but still forgets the key', () => {
    const h = createHarness();
    const a = resp3(h);
    const w = h.client();
    a.call('CLIENT', 'TRACKING', 'on', 'noloop');
    a.call('GET', 'q');
    a.send('SET', 'q', '2');
    expect(drain(a)).toEqual([OK_REPLY]);
    w.call('SET', 'q', '3');
    expect(drain(a)).toEqual([]);
    a.call('GET', 'q');
    w.call('SET', 'q', '4');
    expect(drain(a)).toEqual([invalidate(['q'])]);
  });

  it('invalidates everything with a null after FLUSHALL/FLUSHDB, the flusher after its reply', () => {
    const h = createHarness();
    const a = resp3(h);
    const w = h.client();
    a.call('CLIENT', 'TRACKING', 'on');
    a.call('GET', 'k');
    a.send('FLUSHALL');
    expect(drain(a)).toEqual([OK_REPLY, invalidate(null)]);
    w.call('FLUSHDB');
    expect(drain(a)).toEqual([invalidate(null)]);
    expect(a.call('FLUSHDB', 'bogus')).toEqual(new ErrorReply('ERR syntax error'));
    expect(drain(a)).toEqual([]);
  });

  it('invalidates keys deleted by expiry, lazily or by the cron', () => {
    const h = createHarness();
    const a = resp3(h);
    const w = h.client();
    w.call('SET', 'e', '1', 'PX', '100');
    a.call('CLIENT', 'TRACKING', 'on');
    a.call('GET', 'e');
    h.clock.advance(200);
    w.call('GET', 'e');
    expect(drain(a)).toEqual([invalidate(['e'])]);
    w.call('SET', 'e2', '1', 'PX', '100');
    a.call('GET', 'e2');
    h.clock.advance(200);
    h.core.cron();
    expect(drain(a)).toEqual([invalidate(['e2'])]);
  });

  it('delivers pushes even under CLIENT REPLY OFF', () => {
    const h = createHarness();
    const a = resp3(h);
    const w = h.client();
    a.call('CLIENT', 'TRACKING', 'on');
    a.call('GET', 'k');
    a.send('CLIENT', 'REPLY', 'OFF');
    w.call('SET', 'k', '1');
    expect(drain(a)).toEqual([invalidate(['k'])]);
  });

  it('sends nothing to a RESP2 client without a redirect', () => {
    const h = createHarness();
    const a = h.client();
    const w = h.client();
    a.call('CLIENT', 'TRACKING', 'on');
    a.call('GET', 'k');
    w.call('SET', 'k', '1');
    expect(drain(a)).toEqual([]);
  });
});

describe('OPTIN / OPTOUT and CLIENT CACHING', () => {
  it('checks CLIENT CACHING against the mode', () => {
    const h = createHarness();
    const c = h.client();
    expect(c.call('CLIENT', 'CACHING', 'yes')).toEqual(
      new ErrorReply(
        'ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled',
      ),
    );
    c.call('CLIENT', 'TRACKING', 'on');
    expect(c.call('CLIENT', 'CACHING', 'yes')).toEqual(
      new ErrorReply('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.'),
    );
    expect(c.call('CLIENT', 'CACHING', 'no')).toEqual(
      new ErrorReply('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.'),
    );
    expect(c.call('CLIENT', 'CACHING', 'maybe')).toEqual(new ErrorReply('ERR syntax error'));
    c.call('CLIENT', 'TRACKING', 'off');
    c.call('CLIENT', 'TRACKING', 'on', 'optout');
    expect(c.call('CLIENT', 'CACHING', 'no')).toEqual(OK_REPLY);
    expect(c.call('CLIENT', 'TRACKINGINFO')).toEqual(['flags', ['on', 'optout', 'caching-no'], 'redirect', 0, 'prefixes', []]);
  });

  it('OPTIN tracks only the command (or transaction) after CACHING YES; CLIENT commands keep the flag', () => {
    const h = createHarness();
    const a = resp3(h);
    const w = h.client();
    a.call('CLIENT', 'TRACKING', 'on', 'optin');
    a.call('GET', 'o0');
    a.call('CLIENT', 'CACHING', 'yes');
    a.call('CLIENT', 'ID');
    a.call('GET', 'o1');
    a.call('GET', 'o2');
    a.call('CLIENT', 'CACHING', 'yes');
    a.call('MULTI');
    a.call('GET', 'o3');
    a.call('GET', 'o4');
    a.call('EXEC');
    a.call('GET', 'o5');
    w.call('MSET', 'o0', '1', 'o1', '1', 'o2', '1', 'o3', '1', 'o4', '1', 'o5', '1');
    expect(drain(a)).toEqual([invalidate(['o1']), invalidate(['o3']), invalidate(['o4'])]);
  });

  it('OPTOUT tracks every read but the one after CACHING NO', () => {
    const h = createHarness();
    const a = resp3(h);
    const w = h.client();
    a.call('CLIENT', 'TRACKING', 'on', 'optout');
    a.call('CLIENT', 'CACHING', 'no');
    a.call('GET', 'x1');
    a.call('GET', 'x2');
    w.call('MSET', 'x1', '1', 'x2', '1');
    expect(drain(a)).toEqual([invalidate(['x2'])]);
  });
});

describe('redirection', () => {
  it('sends to a RESP2 subscriber of __redis__:invalidate, with the null of the tracking client protocol', () => {
    const h = createHarness();
    const s = h.client();
    const sid = String(s.call('CLIENT', 'ID'));
    s.call('SUBSCRIBE', '__redis__:invalidate');
    const a = h.client();
    a.call('CLIENT', 'TRACKING', 'on', 'redirect', sid);
    a.call('GET', 'k1');
    a.call('SET', 'k1', '1');
    expect(drain(s)).toEqual([['message', '__redis__:invalidate', ['k1']]]);
    const b = resp3(h);
    b.call('CLIENT', 'TRACKING', 'on', 'redirect', sid);
    b.call('FLUSHALL');
    // b (RESP3) flushing: a's null is RESP2's $-1, b's is RESP3's _ (decoded as null too).
    expect(drain(s)).toEqual([
      ['message', '__redis__:invalidate', null],
      ['message', '__redis__:invalidate', null],
    ]);
  });

  it('tells a RESP3 client its redirect target is gone, and flags it broken', () => {
    const h = createHarness();
    const s = h.client();
    const sid = s.call('CLIENT', 'ID') as number;
    const b = resp3(h);
    const w = h.client();
    b.call('CLIENT', 'TRACKING', 'on', 'redirect', String(sid));
    b.call('GET', 'z');
    s.client.transport.close();
    w.call('SET', 'z', '1');
    expect(drain(b)).toEqual([new PushReply(['tracking-redir-broken', sid])]);
    expect(b.call('CLIENT', 'TRACKINGINFO')).toEqual(
      new MapReply([['flags', new SetReply(['on', 'broken_redirect'])], ['redirect', sid], ['prefixes', []]]),
    );
    expect(String(w.call('CLIENT', 'LIST', 'ID', String(b.client.id)))).toContain(' flags=tR ');
  });
});

describe('BCAST', () => {
  it('sends the keys changed under each prefix once per event, in key order, NOLOOP leaving out own changes', () => {
    const h = createHarness();
    const b = resp3(h);
    const w = h.client();
    b.call('CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'q', 'prefix', 'p', 'noloop');
    w.call('MSET', 'p2', '1', 'p1', '1', 'x', '1', 'q1', '1');
    expect(drain(b)).toEqual([invalidate(['p1', 'p2']), invalidate(['q1'])]);
    b.call('MSET', 'p4', '1', 'q4', '1');
    expect(drain(b)).toEqual([]);
    // A pipeline of b's own writes is one event in which b wrote last: nothing is sent.
    b.sendRaw('*3\r\n$3\r\nSET\r\n$2\r\np5\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$2\r\nq5\r\n$1\r\n1\r\n');
    expect(drain(b)).toEqual([OK_REPLY, OK_REPLY]);
    w.call('SET', 'p5', '1');
    expect(drain(b)).toEqual([invalidate(['p5'])]);
  });

  it('without a prefix covers every key', () => {
    const h = createHarness();
    const b = resp3(h);
    const w = h.client();
    b.call('CLIENT', 'TRACKING', 'on', 'bcast');
    expect(b.call('CLIENT', 'TRACKINGINFO')).toEqual(
      new MapReply([['flags', new SetReply(['on', 'bcast'])], ['redirect', 0], ['prefixes', ['']]]),
    );
    w.send('SET', 'b', '1');
    w.send('SET', 'a', '1');
    expect(drain(b)).toEqual([invalidate(['b']), invalidate(['a'])]);
    // A pipeline is one event: one message.
    w.sendRaw('*3\r\n$3\r\nSET\r\n$1\r\nd\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n1\r\n');
    expect(drain(b)).toEqual([invalidate(['c', 'd'])]);
  });
});

describe('limits, INFO and cleanup', () => {
  it('keeps the table within tracking-table-max-keys, invalidating the keys it drops', () => {
    const h = createHarness();
    const a = resp3(h);
    expect(a.call('CONFIG', 'SET', 'tracking-table-max-keys', '-1')).toEqual(
      new ErrorReply(
        "ERR CONFIG SET failed (possibly related to argument 'tracking-table-max-keys') - argument must be between 0 and 9223372036854775807 inclusive",
      ),
    );
    a.call('CONFIG', 'SET', 'tracking-table-max-keys', '2');
    a.call('CLIENT', 'TRACKING', 'on');
    a.call('MGET', 'a', 'b', 'c', 'd');
    h.core.cron();
    expect(drain(a)).toEqual([invalidate(['a']), invalidate(['b'])]);
    expect(h.core.tracking.table.size).toBe(2);
    a.call('GET', 'e');
    a.send('PING');
    expect(drain(a)).toEqual([invalidate(['c']), new SimpleString('PONG')]);
  });

  it('reports tracking_clients and tracking_total_* in INFO, keeping ids of clients that stopped until their keys change', () => {
    const h = createHarness();
    const a = resp3(h);
    const b = h.client();
    const w = h.client();
    a.call('CLIENT', 'TRACKING', 'on');
    b.call('CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'x', 'prefix', 'y');
    a.call('MGET', 'k1', 'k2');
    w.call('CLIENT', 'TRACKING', 'on');
    w.call('GET', 'k1');
    const info = String(w.call('INFO'));
    expect(info).toContain('tracking_clients:3\r\n');
    expect(info).toContain('tracking_total_keys:2\r\n');
    expect(info).toContain('tracking_total_items:3\r\n');
    expect(info).toContain('tracking_total_prefixes:2\r\n');
    a.call('CLIENT', 'TRACKING', 'off');
    b.client.transport.close();
    const after = String(w.call('INFO'));
    expect(after).toContain('tracking_clients:1\r\n');
    expect(after).toContain('tracking_total_items:3\r\n');
    expect(after).toContain('tracking_total_prefixes:0\r\n');
    w.call('SET', 'k1', 'x');
    expect(String(w.call('INFO'))).toContain('tracking_total_items:1\r\n');
  });

  it('RESET turns tracking off', () => {
    const h = createHarness();
    const a = resp3(h);
    a.call('CLIENT', 'TRACKING', 'on');
    a.call('RESET');
    expect(a.call('CLIENT', 'TRACKINGINFO')).toEqual(['flags', ['off'], 'redirect', -1, 'prefixes', []]);
    expect(h.core.tracking.clients).toBe(0);
  });
});

describe('tracking: who changed a key, and when invalidations go out', () => {
  it('BCAST NOLOOP still reports a key the client itself found expired: the server deleted it', () => {
    const h = createHarness();
    const c = resp3(h);
    c.call('CLIENT', 'TRACKING', 'on', 'BCAST', 'NOLOOP');
    c.call('SET', 'mykey', 'v', 'PX', '1');
    c.call('SET', 'other', 'v');
    h.clock.advance(5);
    expect(c.call('GET', 'mykey')).toBeNull();
    h.core.flushWrites();
    expect(drain(c)).toEqual([invalidate(['mykey'])]);
  });

  it('a script that reads remembers the keys it declared for its caller; one that only writes, none', () => {
    const h = createHarness();
    const c = resp3(h);
    const other = h.client();
    c.call('CLIENT', 'TRACKING', 'on');
    c.call('EVAL', "redis.call('set', 'key3', 'bar')", '2', 'key1', 'key2');
    other.call('MSET', 'key2', '1', 'key1', '1');
    expect(drain(c)).toEqual([]);
    c.call('EVAL', "redis.call('get', 'key3')", '2', 'key1', 'key2');
    other.call('MSET', 'key2', '2', 'key1', '2');
    expect(drain(c)).toEqual([invalidate(['key2']), invalidate(['key1'])]);
    // EVAL_RO is not tracked itself: only what it reads makes the declared keys tracked.
    c.call('EVAL_RO', "redis.call('ping')", '2', 'key1', 'key2');
    other.call('MSET', 'key2', '3', 'key1', '3');
    expect(drain(c)).toEqual([]);
  });

  it('a blocked command served later gets its own invalidation after its reply', () => {
    const h = createHarness();
    const c = resp3(h);
    const other = h.client();
    other.call('RPUSH', 'list2', 'a');
    c.call('CLIENT', 'TRACKING', 'on');
    c.call('LRANGE', 'list2', '0', '-1');
    c.send('BLMOVE', 'list1', 'list2', 'LEFT', 'LEFT', '0');
    expect(c.next()).toBeUndefined();
    other.call('RPUSH', 'list1', 'foo');
    expect(drain(c)).toEqual(['foo', invalidate(['list2'])]);
  });
});
