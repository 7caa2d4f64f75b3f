import { describe, expect, it } from 'vitest';
import { ErrorReply, SimpleString } from '../resp/reply.js';
import { createHarness } from '../../test/helpers/core-harness.js';
import { keySize } from './object-size.js';

const OOM = new ErrorReply("OOM command not allowed when used memory > 'maxmemory'.");
const OK = new SimpleString('OK');
const VALUE = 'x'.repeat(100);
/** One key "key:N" holding VALUE: 160 bytes in Redis's terms (see object-size.ts). */
const KEY_BYTES = keySize('key:1', VALUE);

/** A dict's bucket array for n entries (8 bytes per bucket, a power of two). */
function buckets(n: number): number {
  return n === 0 ? 0 : 8 * 2 ** Math.ceil(Math.log2(n));
}

/** What maxmemory counts for n keys of the shape above, none with a TTL: entries in 32-byte classes, buckets. */
function accounted(n: number): number {
  return n * (KEY_BYTES + 8) + buckets(n);
}

/** A core with a limit that fits `keys` keys of the shape above, and not one more. */
function limited(policy: string, keys: number, extra: Record<string, string> = {}) {
  return createHarness({ config: { maxmemory: String(accounted(keys) + KEY_BYTES / 2), 'maxmemory-policy': policy, ...extra } });
}

function dels(propagated: string[][]): string[] {
  return propagated.filter((c) => c[0] === 'DEL').map((c) => c[1]);
}

describe('maxmemory', () => {
  it('noeviction refuses commands that may grow the dataset and still serves reads and deletes', () => {
    const h = limited('noeviction', 10);
    const c = h.client();
    for (let i = 0; i < 11; i++) expect(c.call('SET', `key:${i}`, VALUE)).toEqual(OK);
    expect(c.call('SET', 'key:99', VALUE)).toEqual(OOM);
    expect(c.call('GET', 'key:1')).toBe(VALUE);
    expect(c.call('DEL', 'key:1', 'key:2')).toBe(2);
    expect(c.call('SET', 'key:99', VALUE)).toEqual(OK);
    expect(h.core.stats.evictedKeys).toBe(0);
  });

  it('refuses queuing in MULTI when full, and EXEC then discards the transaction as Redis does', () => {
    const h = limited('noeviction', 2);
    const c = h.client();
    for (let i = 0; i < 3; i++) c.call('SET', `key:${i}`, VALUE);
    expect(c.call('MULTI')).toEqual(OK);
    expect(c.call('GET', 'key:1')).toEqual(OOM);
    expect(c.call('EXEC')).toEqual(new ErrorReply('EXECABORT Transaction discarded because of previous errors.'));
    // A transaction queued before memory ran out is refused at EXEC.
    c.call('DEL', 'key:0', 'key:1', 'key:2');
    expect(c.call('MULTI')).toEqual(OK);
    expect(c.call('SET', 'a', VALUE)).toEqual(new SimpleString('QUEUED'));
    for (let i = 0; i < 3; i++) h.client().call('SET', `key:${i}`, VALUE);
    expect(c.call('EXEC')).toEqual(new ErrorReply(`EXECABORT Transaction discarded because of: ${OOM.message}`));
    expect(c.call('EXEC')).toEqual(new ErrorReply('ERR EXEC without MULTI'));
  });

  it('allkeys-lru evicts the least recently used keys and propagates each DEL on its own', () => {
    const h = limited('allkeys-lru', 20);
    const c = h.client();
    for (let i = 0; i < 20; i++) {
      c.call('SET', `key:${i}`, VALUE);
      h.clock.advance(1000);
    }
    // The first five keys are read recently: they must outlive the other old keys.
    for (let i = 0; i < 5; i++) c.call('GET', `key:${i}`);
    h.clock.advance(1000);
    h.propagated.length = 0;
    for (let i = 20; i < 30; i++) {
      c.call('SET', `key:${i}`, VALUE);
      h.clock.advance(1000);
    }
    // Evictions run before each command: the last SET's excess goes at the next one.
    c.call('PING');
    const evicted = dels(h.propagated);
    // Exact LRU order: the keys written first and never read since, oldest first.
    expect(evicted).toEqual(Array.from({ length: 10 }, (_, i) => `key:${i + 5}`));
    expect(h.core.stats.evictedKeys).toBe(10);
    for (let i = 0; i < 5; i++) expect(c.call('EXISTS', `key:${i}`)).toBe(1);
    expect(h.core.memory.used()).toBeLessThanOrEqual(h.core.config.int('maxmemory'));
    // Evictions are not wrapped in MULTI/EXEC with the write that caused them (Redis 7.0 sends them alone).
    expect(h.propagated.some((cmd) => cmd[0] === 'MULTI')).toBe(false);
    expect(c.call('INFO', 'stats')).toContain(`evicted_keys:${evicted.length}\r\n`);
  });

  it('allkeys-lfu keeps the keys read often and OBJECT FREQ reports the counter', () => {
    const h = limited('allkeys-lfu', 20, { 'lfu-log-factor': '0' });
    const c = h.client();
    for (let i = 0; i < 20; i++) c.call('SET', `key:${i}`, VALUE);
    for (let r = 0; r < 20; r++) for (let i = 10; i < 20; i++) c.call('GET', `key:${i}`);
    expect(c.call('OBJECT', 'FREQ', 'key:15')).toBeGreaterThan(20);
    expect(c.call('OBJECT', 'FREQ', 'key:1')).toBe(5);
    expect(c.call('OBJECT', 'IDLETIME', 'key:1')).toEqual(
      new ErrorReply(
        'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
      ),
    );
    for (let i = 20; i < 26; i++) c.call('SET', `key:${i}`, VALUE);
    for (let i = 10; i < 20; i++) expect(c.call('EXISTS', `key:${i}`)).toBe(1);
    expect(h.core.stats.evictedKeys).toBeGreaterThanOrEqual(6);
  });

  it('volatile-ttl evicts the keys closest to expiring; volatile policies fail with no TTL keys left', () => {
    const h = limited('volatile-ttl', 10);
    const c = h.client();
    for (let i = 0; i < 5; i++) c.call('SET', `key:${i}`, VALUE, 'EX', String(1000 - i * 100));
    for (let i = 5; i < 10; i++) c.call('SET', `key:${i}`, VALUE);
    c.call('SET', 'key:10', VALUE);
    c.call('SET', 'key:11', VALUE);
    c.call('PING');
    // Soonest expiry first (the TTL keys' expires entries count too, so how many go depends on them).
    const evicted = dels(h.propagated);
    expect(evicted.length).toBeGreaterThanOrEqual(2);
    expect(evicted).toEqual(['key:4', 'key:3', 'key:2', 'key:1', 'key:0'].slice(0, evicted.length));
    for (let i = 12; i < 20; i++) c.call('SET', `key:${i}`, VALUE);
    expect(c.call('SET', 'key:99', VALUE)).toEqual(OOM);
    // Evictions run before a command, so the last write that fitted left the dataset one key over.
    expect(c.call('DBSIZE')).toBe(11);
    expect(h.core.dbs[0].expires.size).toBe(0);
  });

  it('a lower maxmemory set at runtime evicts on the next command; the "evicted" event is published', () => {
    const h = createHarness({ config: { 'maxmemory-policy': 'allkeys-random', 'notify-keyspace-events': 'Ee' } });
    const c = h.client();
    for (let i = 0; i < 50; i++) c.call('SET', `key:${i}`, VALUE);
    const sub = h.client();
    sub.call('SUBSCRIBE', '__keyevent@0__:evicted');
    expect(c.call('CONFIG', 'SET', 'maxmemory', String(accounted(10)))).toEqual(OK);
    c.call('PING');
    expect(c.call('DBSIZE')).toBeLessThanOrEqual(10);
    const events = [];
    for (let m = sub.next(); m !== undefined; m = sub.next()) events.push(m);
    expect(events.length).toBe(h.core.stats.evictedKeys);
    expect(h.core.stats.evictedKeys).toBeGreaterThanOrEqual(40);
  });

  it('OBJECT IDLETIME counts seconds since the last access under an LRU policy', () => {
    const h = limited('allkeys-lru', 100);
    const c = h.client();
    c.call('SET', 'key:1', VALUE);
    h.clock.advance(42_000);
    expect(c.call('OBJECT', 'IDLETIME', 'key:1')).toBe(42);
    c.call('GET', 'key:1');
    expect(c.call('OBJECT', 'IDLETIME', 'key:1')).toBe(0);
  });

  it('a replica ignores maxmemory (its master sends the DELs) unless replica-ignore-maxmemory is no', () => {
    const h = limited('allkeys-lru', 5);
    h.core.role = 'replica';
    expect(h.core.performEvictions()).toBe('ok');
    h.core.config.set('replica-ignore-maxmemory', 'no');
    for (let i = 0; i < 10; i++) h.core.dbs[0].dict.set(`key:${i}`, VALUE);
    h.core.memory.invalidate();
    expect(h.core.performEvictions()).toBe('ok');
    expect(h.core.dbs[0].dict.size).toBeLessThanOrEqual(5);
  });

  it('switching between LRU and LFU at runtime restarts access tracking and keeps the sizes exact', () => {
    const h = limited('allkeys-lru', 1000);
    const c = h.client();
    for (let i = 0; i < 10; i++) c.call('SET', `key:${i}`, VALUE);
    h.clock.advance(30_000);
    expect(c.call('OBJECT', 'IDLETIME', 'key:3')).toBe(30);
    const before = h.core.memory.used();
    expect(c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu')).toEqual(OK);
    expect(c.call('OBJECT', 'FREQ', 'key:3')).toBe(5);
    expect(h.core.memory.used()).toBe(before);
    expect(c.call('CONFIG', 'SET', 'maxmemory-policy', 'volatile-lru')).toEqual(OK);
    expect(c.call('OBJECT', 'IDLETIME', 'key:3')).toBe(0);
    expect(h.core.memory.used()).toBe(before);
  });

  it('keeps the dataset estimate exact across overwrites, in-place growth, deletes and FLUSHALL', () => {
    const h = limited('allkeys-lru', 1000);
    const c = h.client();
    c.call('SET', 'a', 'x');
    c.call('SET', 'a', VALUE);
    c.call('RPUSH', 'l', 'a', 'b', 'c');
    c.call('RPUSH', 'l', 'd');
    c.call('HSET', 'h', 'f', 'v');
    c.call('SADD', 's', '1', '2');
    c.call('ZADD', 'z', '1', 'm');
    c.call('DEL', 'z');
    const db = h.core.dbs[0];
    const fresh = [...db.dict].reduce((n, [k, v]) => n + keySize(k, v), 0);
    expect(h.core.memory.used()).toBe(fresh + db.dict.size * 8 + buckets(db.dict.size));
    c.call('FLUSHALL');
    expect(h.core.memory.used()).toBe(0);
  });
});
