import { describe, expect, it } from 'vitest';
import { createHarness, OK_REPLY } from '../../test/helpers/core-harness.js';

describe('compact encodings follow the config and convert one way, as Redis 7.0', () => {
  it('hash: listpack until hash-max-listpack-entries or -value is passed, then hashtable for good', () => {
    const c = createHarness().client();
    expect(c.call('CONFIG', 'SET', 'hash-max-ziplist-entries', '4')).toEqual(OK_REPLY);
    expect(c.call('CONFIG', 'GET', 'hash-max-listpack-entries')).toEqual(['hash-max-listpack-entries', '4']);
    c.call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3', 'd', '4');
    expect(c.call('OBJECT', 'ENCODING', 'h')).toBe('listpack');
    c.call('HSET', 'h', 'e', '5');
    expect(c.call('OBJECT', 'ENCODING', 'h')).toBe('hashtable');
    c.call('HDEL', 'h', 'a', 'b', 'c');
    expect(c.call('OBJECT', 'ENCODING', 'h')).toBe('hashtable');
    c.call('CONFIG', 'SET', 'hash-max-listpack-value', '8');
    c.call('HSET', 'v', 'f', 'short');
    expect(c.call('OBJECT', 'ENCODING', 'v')).toBe('listpack');
    c.call('HSET', 'v', 'f', 'longer than eight');
    c.call('HSET', 'v', 'f', 'short');
    expect(c.call('OBJECT', 'ENCODING', 'v')).toBe('hashtable');
  });

  it('set: intset while every member is an integer and within set-max-intset-entries', () => {
    const c = createHarness().client();
    c.call('CONFIG', 'SET', 'set-max-intset-entries', '3');
    c.call('SADD', 's', '1', '2', '3');
    expect(c.call('OBJECT', 'ENCODING', 's')).toBe('intset');
    c.call('SADD', 's', 'x');
    c.call('SREM', 's', 'x');
    expect(c.call('OBJECT', 'ENCODING', 's')).toBe('hashtable');
    c.call('SADD', 't', '1', '2', '3', '4');
    expect(c.call('OBJECT', 'ENCODING', 't')).toBe('hashtable');
  });

  it('zset: listpack within zset-max-listpack-entries and -value, then skiplist for good', () => {
    const c = createHarness().client();
    c.call('CONFIG', 'SET', 'zset-max-ziplist-entries', '2');
    c.call('CONFIG', 'SET', 'zset-max-ziplist-value', '5');
    c.call('ZADD', 'z', '1', 'a', '2', 'b');
    expect(c.call('OBJECT', 'ENCODING', 'z')).toBe('listpack');
    c.call('ZADD', 'z', '3', 'c');
    c.call('ZREM', 'z', 'c');
    expect(c.call('OBJECT', 'ENCODING', 'z')).toBe('skiplist');
    c.call('ZADD', 'y', '1', 'toolong');
    expect(c.call('OBJECT', 'ENCODING', 'y')).toBe('skiplist');
  });

  it('accepts the list settings under both names, with Redis’s ranges', () => {
    const c = createHarness().client();
    expect(c.call('CONFIG', 'SET', 'list-max-ziplist-size', '-5')).toEqual(OK_REPLY);
    expect(c.call('CONFIG', 'GET', 'list-max-listpack-size')).toEqual(['list-max-listpack-size', '-5']);
    expect(c.call('CONFIG', 'SET', 'list-compress-depth', '2')).toEqual(OK_REPLY);
    expect((c.call('CONFIG', 'SET', 'list-compress-depth', '-1') as { message: string }).message).toContain('argument must be between 0 and 2147483647 inclusive');
  });
});
