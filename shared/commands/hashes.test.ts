import { describe, expect, it } from 'vitest';
import { createHarness, OK_REPLY } from '../../test/helpers/core-harness.js';
import { ErrorReply, MapReply } from '../resp/reply.js';

const WRONGTYPE = new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value');

/** A harness with a string key 's' planted directly, for WRONGTYPE checks. */
function setup() {
  const h = createHarness();
  const c = h.client();
  h.core.dbs[0].dict.set('s', 'x');
  return { h, c };
}

/** Sorts a flat [field, value, ...] reply into pairs, for order-independent comparison. */
function pairs(flat: unknown): string[][] {
  const arr = flat as string[];
  const out: string[][] = [];
  for (let i = 0; i < arr.length; i += 2) out.push([arr[i], arr[i + 1]]);
  return out.sort();
}

describe('HSET / HMSET / HSETNX', () => {
  it('HSET counts only new fields and overwrites existing ones', () => {
    const { c } = setup();
    expect(c.call('HSET', 'h', 'a', '1', 'b', '2')).toBe(2);
    expect(c.call('HSET', 'h', 'a', '10', 'c', '3')).toBe(1);
    expect(c.call('HGET', 'h', 'a')).toBe('10');
    expect(c.call('HLEN', 'h')).toBe(3);
  });

  it('HSET and HMSET reject an unpaired field with the arity error naming the command', () => {
    const { h, c } = setup();
    expect(c.call('HSET', 'h', 'a', '1', 'b')).toEqual(new ErrorReply("ERR wrong number of arguments for 'hset' command"));
    expect(c.call('HMSET', 'h', 'a', '1', 'b')).toEqual(new ErrorReply("ERR wrong number of arguments for 'hmset' command"));
    expect(c.call('HSET', 'h', 'a')).toEqual(new ErrorReply("ERR wrong number of arguments for 'hset' command"));
    expect(h.core.dbs[0].dict.has('h')).toBe(false);
  });

  it('HMSET replies OK', () => {
    const { c } = setup();
    expect(c.call('HMSET', 'h', 'a', '1', 'b', '2')).toEqual(OK_REPLY);
    expect(c.call('HMGET', 'h', 'a', 'b')).toEqual(['1', '2']);
  });

  it('HSETNX sets only a missing field', () => {
    const { c } = setup();
    expect(c.call('HSETNX', 'h', 'a', '1')).toBe(1);
    expect(c.call('HSETNX', 'h', 'a', '2')).toBe(0);
    expect(c.call('HGET', 'h', 'a')).toBe('1');
  });

  it('keeps binary fields and values intact', () => {
    const { c } = setup();
    const bin = '\x00\xff\r\n';
    expect(c.call('HSET', 'h', bin, bin)).toBe(1);
    expect(c.call('HGET', 'h', bin)).toBe(bin);
    expect(c.call('HSTRLEN', 'h', bin)).toBe(4);
  });

  it('propagates HSET and HMSET as sent, even when nothing new was added', () => {
    const { h, c } = setup();
    c.call('HSET', 'h', 'a', '1');
    c.call('HSET', 'h', 'a', '1');
    c.call('HMSET', 'h', 'b', '2');
    expect(h.propagated).toEqual([
      ['SELECT', '0'],
      ['HSET', 'h', 'a', '1'],
      ['HSET', 'h', 'a', '1'],
      ['HMSET', 'h', 'b', '2'],
    ]);
  });

  it('propagates HSETNX only when it set the field', () => {
    const { h, c } = setup();
    c.call('HSETNX', 'h', 'a', '1');
    c.call('HSETNX', 'h', 'a', '2');
    expect(h.propagated).toEqual([['SELECT', '0'], ['HSETNX', 'h', 'a', '1']]);
  });

  it('answers WRONGTYPE for every write on a non-hash', () => {
    const { c } = setup();
    expect(c.call('HSET', 's', 'a', '1')).toEqual(WRONGTYPE);
    expect(c.call('HMSET', 's', 'a', '1')).toEqual(WRONGTYPE);
    expect(c.call('HSETNX', 's', 'a', '1')).toEqual(WRONGTYPE);
    expect(c.call('HDEL', 's', 'a')).toEqual(WRONGTYPE);
    expect(c.call('HINCRBY', 's', 'a', '1')).toEqual(WRONGTYPE);
    expect(c.call('HINCRBYFLOAT', 's', 'a', '1')).toEqual(WRONGTYPE);
  });
});

describe('hash reads', () => {
  it('HGET, HMGET, HLEN, HSTRLEN, HEXISTS on present and missing keys and fields', () => {
    const { c } = setup();
    c.call('HSET', 'h', 'a', 'hello', 'b', '');
    expect(c.call('HGET', 'h', 'a')).toBe('hello');
    expect(c.call('HGET', 'h', 'zz')).toBe(null);
    expect(c.call('HGET', 'nokey', 'a')).toBe(null);
    expect(c.call('HMGET', 'h', 'a', 'zz', 'b')).toEqual(['hello', null, '']);
    expect(c.call('HMGET', 'nokey', 'a', 'b')).toEqual([null, null]);
    expect(c.call('HLEN', 'h')).toBe(2);
    expect(c.call('HLEN', 'nokey')).toBe(0);
    expect(c.call('HSTRLEN', 'h', 'a')).toBe(5);
    expect(c.call('HSTRLEN', 'h', 'zz')).toBe(0);
    expect(c.call('HSTRLEN', 'nokey', 'a')).toBe(0);
    expect(c.call('HEXISTS', 'h', 'b')).toBe(1);
    expect(c.call('HEXISTS', 'h', 'zz')).toBe(0);
    expect(c.call('HEXISTS', 'nokey', 'a')).toBe(0);
  });

  it('HGETALL, HKEYS, HVALS list the whole hash', () => {
    const { c } = setup();
    c.call('HSET', 'h', 'a', '1', 'b', '2');
    expect(pairs(c.call('HGETALL', 'h'))).toEqual([['a', '1'], ['b', '2']]);
    expect((c.call('HKEYS', 'h') as string[]).sort()).toEqual(['a', 'b']);
    expect((c.call('HVALS', 'h') as string[]).sort()).toEqual(['1', '2']);
    expect(c.call('HGETALL', 'nokey')).toEqual([]);
    expect(c.call('HKEYS', 'nokey')).toEqual([]);
    expect(c.call('HVALS', 'nokey')).toEqual([]);
  });

  it('HGETALL is a map in RESP3, empty map for a missing key', () => {
    const { c } = setup();
    c.call('HELLO', '3');
    c.call('HSET', 'h', 'a', '1');
    expect(c.call('HGETALL', 'h')).toEqual(new MapReply([['a', '1']]));
    expect(c.call('HGETALL', 'nokey')).toEqual(new MapReply([]));
  });

  it('answers WRONGTYPE for every read on a non-hash', () => {
    const { c } = setup();
    for (const argv of [
      ['HGET', 's', 'a'],
      ['HMGET', 's', 'a'],
      ['HGETALL', 's'],
      ['HKEYS', 's'],
      ['HVALS', 's'],
      ['HLEN', 's'],
      ['HSTRLEN', 's', 'a'],
      ['HEXISTS', 's', 'a'],
      ['HRANDFIELD', 's'],
      ['HRANDFIELD', 's', '2'],
    ]) {
      expect(c.call(...argv)).toEqual(WRONGTYPE);
    }
  });

  it('treats a lazily expired hash as missing and propagates its DEL', () => {
    const { h, c } = setup();
    c.call('HSET', 'h', 'a', '1');
    h.core.dbs[0].expires.set('h', h.clock.now + 10);
    h.clock.advance(20);
    expect(c.call('HGET', 'h', 'a')).toBe(null);
    expect(c.call('HLEN', 'h')).toBe(0);
    expect(h.core.dbs[0].dict.has('h')).toBe(false);
    expect(h.propagated).toEqual([['SELECT', '0'], ['HSET', 'h', 'a', '1'], ['DEL', 'h']]);
  });

  it('a write to a lazily expired hash starts from an empty hash', () => {
    const { h, c } = setup();
    c.call('HSET', 'h', 'a', '1');
    h.core.dbs[0].expires.set('h', h.clock.now + 10);
    h.clock.advance(20);
    expect(c.call('HINCRBY', 'h', 'n', '5')).toBe(5);
    expect(c.call('HGETALL', 'h')).toEqual(['n', '5']);
    expect(h.core.dbs[0].expires.has('h')).toBe(false);
  });
});

describe('HDEL', () => {
  it('deletes fields, counts them, and removes the emptied key', () => {
    const { h, c } = setup();
    c.call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
    expect(c.call('HDEL', 'h', 'a', 'zz', 'a')).toBe(1);
    expect(c.call('HDEL', 'h', 'b', 'c')).toBe(2);
    expect(h.core.dbs[0].dict.has('h')).toBe(false);
    expect(c.call('HDEL', 'nokey', 'a')).toBe(0);
  });

  it('propagates only when a field was deleted', () => {
    const { h, c } = setup();
    c.call('HSET', 'h', 'a', '1');
    c.call('HDEL', 'h', 'zz');
    c.call('HDEL', 'nokey', 'a');
    c.call('HDEL', 'h', 'a');
    expect(h.propagated).toEqual([['SELECT', '0'], ['HSET', 'h', 'a', '1'], ['HDEL', 'h', 'a']]);
  });
});

describe('HINCRBY', () => {
  it('increments, creating the key and field from 0', () => {
    const { c } = setup();
    expect(c.call('HINCRBY', 'h', 'n', '5')).toBe(5);
    expect(c.call('HINCRBY', 'h', 'n', '-7')).toBe(-2);
    expect(c.call('HGET', 'h', 'n')).toBe('-2');
  });

  it('rejects a bad increment and a non-integer field value with Redis texts', () => {
    const { h, c } = setup();
    c.call('HSET', 'h', 'f', 'abc', 'z', '-0', 'sp', ' 1');
    expect(c.call('HINCRBY', 'h', 'n', 'x')).toEqual(new ErrorReply('ERR value is not an integer or out of range'));
    expect(c.call('HINCRBY', 'h', 'n', '+1')).toEqual(new ErrorReply('ERR value is not an integer or out of range'));
    expect(c.call('HINCRBY', 'h', 'n', '-0')).toEqual(new ErrorReply('ERR value is not an integer or out of range'));
    expect(c.call('HINCRBY', 'h', 'n', '9223372036854775808')).toEqual(new ErrorReply('ERR value is not an integer or out of range'));
    expect(c.call('HINCRBY', 'h', 'f', '1')).toEqual(new ErrorReply('ERR hash value is not an integer'));
    expect(c.call('HINCRBY', 'h', 'z', '1')).toEqual(new ErrorReply('ERR hash value is not an integer'));
    expect(c.call('HINCRBY', 'h', 'sp', '1')).toEqual(new ErrorReply('ERR hash value is not an integer'));
    expect(c.call('HINCRBY', 'nokey', 'n', 'x')).toEqual(new ErrorReply('ERR value is not an integer or out of range'));
    expect(h.core.dbs[0].dict.has('nokey')).toBe(false);
  });

  it('refuses to overflow 64 bits in either direction, and reaches the limits exactly', () => {
    const { c } = setup();
    c.call('HSET', 'h', 'max', '9223372036854775806', 'min', '-9223372036854775807');
    expect(c.call('HINCRBY', 'h', 'max', '1')).toBe(9223372036854775807n);
    expect(c.call('HINCRBY', 'h', 'max', '1')).toEqual(new ErrorReply('ERR increment or decrement would overflow'));
    expect(c.call('HINCRBY', 'h', 'min', '-1')).toBe(-9223372036854775808n);
    expect(c.call('HINCRBY', 'h', 'min', '-1')).toEqual(new ErrorReply('ERR increment or decrement would overflow'));
    expect(c.call('HGET', 'h', 'max')).toBe('9223372036854775807');
  });

  it('propagates as sent, and not when it fails', () => {
    const { h, c } = setup();
    c.call('HINCRBY', 'h', 'n', '3');
    c.call('HINCRBY', 'h', 'n', 'x');
    expect(h.propagated).toEqual([['SELECT', '0'], ['HINCRBY', 'h', 'n', '3']]);
  });
});

describe('HINCRBYFLOAT', () => {
  it('adds in long double precision and prints like Redis (%.17Lf, trailing zeros trimmed)', () => {
    const { c } = setup();
    expect(c.call('HINCRBYFLOAT', 'h', 'f', '10.5')).toBe('10.5');
    expect(c.call('HINCRBYFLOAT', 'h', 'f', '0.1')).toBe('10.6');
    expect(c.call('HINCRBYFLOAT', 'h', 'g', '1')).toBe('1');
    expect(c.call('HINCRBYFLOAT', 'h', 'g', '-1.1')).toBe('-0.1');
    expect(c.call('HINCRBYFLOAT', 'h', 'p', '0.1')).toBe('0.1');
    expect(c.call('HINCRBYFLOAT', 'h', 'p', '0.2')).toBe('0.3');
    expect(c.call('HINCRBYFLOAT', 'h', 'big', '17179869184')).toBe('17179869184');
    expect(c.call('HINCRBYFLOAT', 'h', 'big', '1.5')).toBe('17179869185.5');
    expect(c.call('HINCRBYFLOAT', 'h', 'huge', '1e20')).toBe('100000000000000000000');
    expect(c.call('HINCRBYFLOAT', 'h', 'huge', '0.1')).toBe('100000000000000000000');
    expect(c.call('HINCRBYFLOAT', 'h', 'tiny', '1e-20')).toBe('0');
    expect(c.call('HINCRBYFLOAT', 'h', 'exp', '3.0e3')).toBe('3000');
    expect(c.call('HINCRBYFLOAT', 'h', 'hex', '0x10')).toBe('16');
    expect(c.call('HINCRBYFLOAT', 'h', 'neg0', '-0')).toBe('0');
  });

  it('prints values beyond the double range in full, as long double allows', () => {
    const { c } = setup();
    const r = c.call('HINCRBYFLOAT', 'h', 'f', '1e4000') as string;
    expect(r.length).toBe(4000);
    expect(r.endsWith('06648276349901340672')).toBe(true);
    expect(r.startsWith('99999999999999999999654638730996')).toBe(true);
  });

  it('reads an integer field value and a field written by HINCRBY', () => {
    const { c } = setup();
    c.call('HINCRBY', 'h', 'n', '5');
    expect(c.call('HINCRBYFLOAT', 'h', 'n', '0.25')).toBe('5.25');
  });

  it('rejects bad increments and non-float field values with Redis texts', () => {
    const { c } = setup();
    c.call('HSET', 'h', 'f', 'abc', 'i', 'inf', 'sp', '1 ');
    for (const bad of ['abc', ' 1', '1 ', '', 'nan', '1e', '1e-5000', '1e5000', '0x']) {
      expect(c.call('HINCRBYFLOAT', 'h', 'n', bad)).toEqual(new ErrorReply('ERR value is not a valid float'));
    }
    expect(c.call('HINCRBYFLOAT', 'h', 'n', 'inf')).toEqual(new ErrorReply('ERR value is NaN or Infinity'));
    expect(c.call('HINCRBYFLOAT', 'h', 'n', '-Infinity')).toEqual(new ErrorReply('ERR value is NaN or Infinity'));
    expect(c.call('HINCRBYFLOAT', 'h', 'f', '1')).toEqual(new ErrorReply('ERR hash value is not a float'));
    expect(c.call('HINCRBYFLOAT', 'h', 'sp', '1')).toEqual(new ErrorReply('ERR hash value is not a float'));
    expect(c.call('HINCRBYFLOAT', 'h', 'i', '1')).toEqual(new ErrorReply('ERR increment would produce NaN or Infinity'));
    expect(c.call('HEXISTS', 'h', 'n')).toBe(0);
  });

  it('refuses a sum that overflows long double', () => {
    const { c } = setup();
    c.call('HINCRBYFLOAT', 'h', 'f', '1e4932');
    expect(c.call('HINCRBYFLOAT', 'h', 'f', '1e4932')).toEqual(new ErrorReply('ERR increment would produce NaN or Infinity'));
  });

  it('propagates as HSET of the resulting value', () => {
    const { h, c } = setup();
    c.call('HINCRBYFLOAT', 'h', 'f', '1.5');
    c.call('HINCRBYFLOAT', 'h', 'f', 'x');
    c.call('HINCRBYFLOAT', 'h', 'f', '0.1');
    expect(h.propagated).toEqual([
      ['SELECT', '0'],
      ['HSET', 'h', 'f', '1.5'],
      ['HSET', 'h', 'f', '1.6'],
    ]);
  });
});

describe('HRANDFIELD', () => {
  it('returns one random field, or nil for a missing key', () => {
    const { c } = setup();
    c.call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
    for (let i = 0; i < 20; i++) expect(['a', 'b', 'c']).toContain(c.call('HRANDFIELD', 'h'));
    expect(c.call('HRANDFIELD', 'nokey')).toBe(null);
  });

  it('a positive count returns distinct fields, at most the whole hash', () => {
    const { c } = setup();
    c.call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5');
    for (let i = 0; i < 20; i++) {
      const r = c.call('HRANDFIELD', 'h', '3') as string[];
      expect(r).toHaveLength(3);
      expect(new Set(r).size).toBe(3);
      for (const f of r) expect(['a', 'b', 'c', 'd', 'e']).toContain(f);
    }
    expect((c.call('HRANDFIELD', 'h', '10') as string[]).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(c.call('HRANDFIELD', 'h', '0')).toEqual([]);
    expect(c.call('HRANDFIELD', 'nokey', '3')).toEqual([]);
  });

  it('a negative count returns that many fields, possibly repeated', () => {
    const { c } = setup();
    c.call('HSET', 'h', 'a', '1');
    expect(c.call('HRANDFIELD', 'h', '-4')).toEqual(['a', 'a', 'a', 'a']);
  });

  it('WITHVALUES pairs fields with their values: flat in RESP2, nested in RESP3', () => {
    const { c } = setup();
    c.call('HSET', 'h', 'a', '1', 'b', '2');
    expect(pairs(c.call('HRANDFIELD', 'h', '5', 'WITHVALUES'))).toEqual([['a', '1'], ['b', '2']]);
    expect(c.call('HRANDFIELD', 'h', '-2', 'withvalues')).toHaveLength(4);
    c.call('HELLO', '3');
    const nested = c.call('HRANDFIELD', 'h', '2', 'WITHVALUES') as string[][];
    expect(nested.map((p) => p.join('=')).sort()).toEqual(['a=1', 'b=2']);
    expect(c.call('HRANDFIELD', 'h', '-3', 'WITHVALUES')).toHaveLength(3);
  });

  it('validates the count and options with Redis texts', () => {
    const { c } = setup();
    c.call('HSET', 'h', 'a', '1');
    expect(c.call('HRANDFIELD', 'h', 'x')).toEqual(new ErrorReply('ERR value is not an integer or out of range'));
    expect(c.call('HRANDFIELD', 'h', 'x', 'foo')).toEqual(new ErrorReply('ERR value is not an integer or out of range'));
    expect(c.call('HRANDFIELD', 'h', '1', 'foo')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('HRANDFIELD', 'h', '1', 'WITHVALUES', 'x')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('HRANDFIELD', 'h', '-9223372036854775808')).toEqual(
      new ErrorReply('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807'),
    );
    expect(c.call('HRANDFIELD', 'h', '4611686018427387904', 'WITHVALUES')).toEqual(new ErrorReply('ERR value is out of range'));
    expect(c.call('HRANDFIELD', 'nokey', '-4611686018427387904', 'WITHVALUES')).toEqual(new ErrorReply('ERR value is out of range'));
  });

  it('never propagates', () => {
    const { h, c } = setup();
    c.call('HSET', 'h', 'a', '1');
    c.call('HRANDFIELD', 'h', '-3', 'WITHVALUES');
    expect(h.propagated).toEqual([['SELECT', '0'], ['HSET', 'h', 'a', '1']]);
  });
});

describe('hash command table', () => {
  it('uses Redis 7 arity, flags and key positions', () => {
    const { h } = setup();
    const spec = (n: string) => h.core.commands.get(n)!;
    expect(spec('hset')).toMatchObject({ arity: -4, flags: ['write', 'denyoom', 'fast'], firstKey: 1, lastKey: 1, step: 1 });
    expect(spec('hgetall')).toMatchObject({ arity: 2, flags: ['readonly'] });
    expect(spec('hrandfield')).toMatchObject({ arity: -2, flags: ['readonly'], since: '6.2.0' });
    expect(spec('hincrbyfloat')).toMatchObject({ arity: 4, since: '2.6.0' });
  });

  it('answers the generic arity error for too few arguments', () => {
    const { c } = setup();
    expect(c.call('HGET', 'h')).toEqual(new ErrorReply("ERR wrong number of arguments for 'hget' command"));
    expect(c.call('HSETNX', 'h', 'a')).toEqual(new ErrorReply("ERR wrong number of arguments for 'hsetnx' command"));
  });
});
