import { describe, expect, it } from 'vitest';
import { commandKeys } from '../engine/command-spec.js';
import { DoubleReply, ErrorReply, NULL_ARRAY } from '../resp/reply.js';
import { SortedSet } from '../store/sorted-set.js';
import { createHarness } from '../../test/helpers/core-harness.js';
import { sortedSetCommands } from './sorted-sets.js';

function setup() {
  const h = createHarness();
  const c = h.client();
  /** What was propagated, without the SELECT framing. */
  const ops = () => h.propagated.filter((op) => op[0] !== 'SELECT');
  return { h, c, ops };
}

function resp3() {
  const s = setup();
  s.c.call('HELLO', '3');
  return s;
}

const WRONGTYPE = new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value');
const SYNTAX = new ErrorReply('ERR syntax error');
const NOT_FLOAT = new ErrorReply('ERR value is not a valid float');
const NOT_INTEGER = new ErrorReply('ERR value is not an integer or out of range');
const RANGE_NOT_FLOAT = new ErrorReply('ERR min or max is not a float');
const RANGE_NOT_LEX = new ErrorReply('ERR min or max not valid string range item');

describe('ZADD', () => {
  it('adds new members and counts only additions unless CH', () => {
    const { c } = setup();
    expect(c.call('ZADD', 'z', '1', 'a', '2', 'b')).toBe(2);
    expect(c.call('ZADD', 'z', '3', 'a', '4', 'c')).toBe(1);
    expect(c.call('ZADD', 'z', 'CH', '5', 'a', '4', 'c', '6', 'd')).toBe(2);
    expect(c.call('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toEqual(['b', '2', 'c', '4', 'a', '5', 'd', '6']);
  });

  it('honours NX, XX, GT and LT', () => {
    const { c } = setup();
    c.call('ZADD', 'z', '5', 'a');
    expect(c.call('ZADD', 'z', 'NX', '1', 'a', '1', 'b')).toBe(1);
    expect(c.call('ZSCORE', 'z', 'a')).toBe('5');
    expect(c.call('ZADD', 'z', 'XX', 'CH', '7', 'a', '1', 'new')).toBe(1);
    expect(c.call('ZSCORE', 'z', 'new')).toBeNull();
    expect(c.call('ZADD', 'z', 'GT', 'CH', '3', 'a', '9', 'b', '2', 'c')).toBe(2);
    expect(c.call('ZADD', 'z', 'LT', 'CH', '6', 'a', '10', 'b')).toBe(1);
    expect(c.call('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toEqual(['c', '2', 'a', '6', 'b', '9']);
  });

  it('with XX on a missing key creates nothing and propagates nothing', () => {
    const { c, h, ops } = setup();
    expect(c.call('ZADD', 'z', 'XX', '1', 'a')).toBe(0);
    expect(h.core.dbs[0].dict.has('z')).toBe(false);
    expect(c.call('ZADD', 'z', 'XX', 'INCR', '1', 'a')).toBeNull();
    expect(ops()).toEqual([]);
  });

  it('with INCR replies the new score, or nil when an option stopped it', () => {
    const { c } = setup();
    expect(c.call('ZADD', 'z', 'INCR', '1.5', 'a')).toBe('1.5');
    expect(c.call('ZADD', 'z', 'INCR', '0.1', 'a')).toBe('1.6000000000000001');
    expect(c.call('ZADD', 'z', 'INCR', 'NX', '1', 'a')).toBeNull();
    expect(c.call('ZADD', 'z', 'INCR', 'GT', '-1', 'a')).toBeNull();
    expect(c.call('ZADD', 'z', 'INCR', 'LT', '-1', 'a')).toBe('0.60000000000000009');
  });

  it('rejects incompatible options and malformed pairs with Redis texts', () => {
    const { c } = setup();
    expect(c.call('ZADD', 'z', 'NX', 'XX', '1', 'a')).toEqual(new ErrorReply('ERR XX and NX options at the same time are not compatible'));
    expect(c.call('ZADD', 'z', 'GT', 'LT', '1', 'a')).toEqual(new ErrorReply('ERR GT, LT, and/or NX options at the same time are not compatible'));
    expect(c.call('ZADD', 'z', 'NX', 'GT', '1', 'a')).toEqual(new ErrorReply('ERR GT, LT, and/or NX options at the same time are not compatible'));
    expect(c.call('ZADD', 'z', 'INCR', '1', 'a', '2', 'b')).toEqual(new ErrorReply('ERR INCR option supports a single increment-element pair'));
    expect(c.call('ZADD', 'z', '1', 'a', '2')).toEqual(SYNTAX);
    expect(c.call('ZADD', 'z', '1', 'a', 'NX')).toEqual(SYNTAX);
    expect(c.call('ZADD', 'z', 'NX', 'XX')).toEqual(SYNTAX);
  });

  it('parses scores like strtod: hex and infinities yes, NaN, overflow, spaces and empty no', () => {
    const { c, h } = setup();
    expect(c.call('ZADD', 'z', '0x10', 'hex', '-inf', 'lo', '+inf', 'hi', '1e-5', 'tiny')).toBe(4);
    expect(c.call('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toEqual(['lo', '-inf', 'tiny', '1.0000000000000001e-05', 'hex', '16', 'hi', 'inf']);
    for (const bad of ['nan', '1e400', '1e-400', ' 1', '', 'abc', '1x']) expect(c.call('ZADD', 'z2', bad, 'a')).toEqual(NOT_FLOAT);
    // Every score is checked before anything is written.
    expect(c.call('ZADD', 'z2', '1', 'a', 'x', 'b')).toEqual(NOT_FLOAT);
    expect(h.core.dbs[0].dict.has('z2')).toBe(false);
  });

  it('refuses an increment that makes the score NaN', () => {
    const { c } = setup();
    c.call('ZADD', 'z', '+inf', 'a');
    expect(c.call('ZADD', 'z', 'INCR', '-inf', 'a')).toEqual(new ErrorReply('ERR resulting score is not a number (NaN)'));
    expect(c.call('ZINCRBY', 'z', '-inf', 'a')).toEqual(new ErrorReply('ERR resulting score is not a number (NaN)'));
    expect(c.call('ZSCORE', 'z', 'a')).toBe('inf');
  });

  it('stores -0 as 0, as Redis reads it back from a small sorted set', () => {
    const { c } = setup();
    c.call('ZADD', 'z', '-0', 'a');
    expect(c.call('ZSCORE', 'z', 'a')).toBe('0');
  });

  it('propagates as received when it changed something, and not otherwise', () => {
    const { c, ops } = setup();
    c.call('ZADD', 'z', '1', 'a');
    c.call('ZADD', 'z', '1', 'a');
    c.call('ZADD', 'z', 'NX', '5', 'a');
    c.call('ZADD', 'z', 'INCR', '2', 'a');
    expect(ops()).toEqual([
      ['ZADD', 'z', '1', 'a'],
      ['ZADD', 'z', 'INCR', '2', 'a'],
    ]);
  });

  it('keeps the TTL of an existing key and replaces an expired one', () => {
    const { c, h } = setup();
    c.call('ZADD', 'z', '1', 'a');
    h.core.dbs[0].expires.set('z', h.clock.now + 1000);
    c.call('ZADD', 'z', '2', 'b');
    expect(h.core.dbs[0].expires.get('z')).toBe(h.clock.now + 1000);
    h.clock.advance(1001);
    expect(c.call('ZADD', 'z', '3', 'c')).toBe(1);
    expect(c.call('ZRANGE', 'z', '0', '-1')).toEqual(['c']);
    expect(h.core.dbs[0].expires.has('z')).toBe(false);
  });
});

describe('ZINCRBY', () => {
  it('creates and increments, replying the score as a double', () => {
    const { c, ops } = setup();
    expect(c.call('ZINCRBY', 'z', '0.1', 'a')).toBe('0.10000000000000001');
    expect(c.call('ZINCRBY', 'z', '2', 'a')).toBe('2.1000000000000001');
    expect(c.call('ZINCRBY', 'z', 'abc', 'a')).toEqual(NOT_FLOAT);
    expect(ops()).toEqual([
      ['ZINCRBY', 'z', '0.1', 'a'],
      ['ZINCRBY', 'z', '2', 'a'],
    ]);
  });

  it('replies a RESP3 double', () => {
    const { c } = resp3();
    expect(c.call('ZINCRBY', 'z', '0.5', 'a')).toEqual(new DoubleReply(0.5));
  });

  it('parses options like ZADD does, so an option word as increment is a syntax error', () => {
    const { c } = setup();
    expect(c.call('ZINCRBY', 'z', 'nx', 'a')).toEqual(SYNTAX);
  });
});

describe('ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK', () => {
  it('removes members, deletes the emptied key and propagates only real removals', () => {
    const { c, h, ops } = setup();
    c.call('ZADD', 'z', '1', 'a', '2', 'b');
    expect(c.call('ZREM', 'z', 'a', 'nope')).toBe(1);
    expect(c.call('ZREM', 'z', 'nope')).toBe(0);
    expect(c.call('ZREM', 'missing', 'a')).toBe(0);
    expect(c.call('ZREM', 'z', 'b', 'b')).toBe(1);
    expect(h.core.dbs[0].dict.has('z')).toBe(false);
    expect(ops()).toEqual([
      ['ZADD', 'z', '1', 'a', '2', 'b'],
      ['ZREM', 'z', 'a', 'nope'],
      ['ZREM', 'z', 'b', 'b'],
    ]);
  });

  it('answers cardinality, scores and ranks', () => {
    const { c } = setup();
    c.call('ZADD', 'z', '1', 'a', '2.5', 'b', '3', 'c');
    expect(c.call('ZCARD', 'z')).toBe(3);
    expect(c.call('ZCARD', 'missing')).toBe(0);
    expect(c.call('ZSCORE', 'z', 'b')).toBe('2.5');
    expect(c.call('ZSCORE', 'z', 'x')).toBeNull();
    expect(c.call('ZSCORE', 'missing', 'x')).toBeNull();
    expect(c.call('ZMSCORE', 'z', 'a', 'x', 'c')).toEqual(['1', null, '3']);
    expect(c.call('ZMSCORE', 'missing', 'a', 'b')).toEqual([null, null]);
    expect(c.call('ZRANK', 'z', 'c')).toBe(2);
    expect(c.call('ZREVRANK', 'z', 'c')).toBe(0);
    expect(c.call('ZRANK', 'z', 'x')).toBeNull();
    expect(c.call('ZRANK', 'missing', 'x')).toBeNull();
    expect(c.call('ZRANK', 'z', 'a', 'WITHSCORE')).toEqual(new ErrorReply("ERR wrong number of arguments for 'zrank' command"));
  });

  it('replies RESP3 doubles for ZSCORE and ZMSCORE', () => {
    const { c } = resp3();
    c.call('ZADD', 'z', '0.1', 'a');
    expect(c.call('ZSCORE', 'z', 'a')).toEqual(new DoubleReply(0.1));
    expect(c.call('ZMSCORE', 'z', 'a', 'b')).toEqual([new DoubleReply(0.1), null]);
  });

  it('treats a logically expired key as missing', () => {
    const { c, h } = setup();
    c.call('ZADD', 'z', '1', 'a');
    h.core.dbs[0].expires.set('z', h.clock.now + 10);
    h.clock.advance(11);
    expect(c.call('ZCARD', 'z')).toBe(0);
    expect(c.call('ZSCORE', 'z', 'a')).toBeNull();
    expect(h.core.dbs[0].dict.has('z')).toBe(false);
  });
});

describe('ZCOUNT and ZLEXCOUNT', () => {
  it('counts by score with exclusive ends and Redis range syntax', () => {
    const { c } = setup();
    c.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd');
    expect(c.call('ZCOUNT', 'z', '2', '3')).toBe(2);
    expect(c.call('ZCOUNT', 'z', '(1', '(4')).toBe(2);
    expect(c.call('ZCOUNT', 'z', '-inf', '+inf')).toBe(4);
    expect(c.call('ZCOUNT', 'z', '3', '2')).toBe(0);
    // strtod accepts leading spaces and an empty string (0) in ranges, unlike in scores.
    expect(c.call('ZCOUNT', 'z', ' 2', '(')).toBe(0);
    expect(c.call('ZCOUNT', 'z', '', '10')).toBe(4);
    expect(c.call('ZCOUNT', 'missing', '0', '1')).toBe(0);
    expect(c.call('ZCOUNT', 'z', 'x', '1')).toEqual(RANGE_NOT_FLOAT);
    expect(c.call('ZCOUNT', 'z', '1', 'nan')).toEqual(RANGE_NOT_FLOAT);
  });

  it('counts by lex with "-", "+", "[" and "("', () => {
    const { c } = setup();
    c.call('ZADD', 'z', '0', 'a', '0', 'b', '0', 'c', '0', 'd');
    expect(c.call('ZLEXCOUNT', 'z', '-', '+')).toBe(4);
    expect(c.call('ZLEXCOUNT', 'z', '[b', '(d')).toBe(2);
    expect(c.call('ZLEXCOUNT', 'z', '+', '-')).toBe(0);
    expect(c.call('ZLEXCOUNT', 'missing', '-', '+')).toBe(0);
    for (const bad of ['a', '', '-x', '+x']) expect(c.call('ZLEXCOUNT', 'z', bad, '+')).toEqual(RANGE_NOT_LEX);
  });
});

describe('ZRANGE and its older forms', () => {
  function withData() {
    const s = setup();
    s.c.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e');
    return s;
  }

  it('ranges by rank with negative indexes, REV and WITHSCORES', () => {
    const { c } = withData();
    expect(c.call('ZRANGE', 'z', '0', '-1')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(c.call('ZRANGE', 'z', '-2', '100')).toEqual(['d', 'e']);
    expect(c.call('ZRANGE', 'z', '3', '1')).toEqual([]);
    expect(c.call('ZRANGE', 'z', '0', '1', 'REV', 'WITHSCORES')).toEqual(['e', '5', 'd', '4']);
    expect(c.call('ZREVRANGE', 'z', '1', '2')).toEqual(['d', 'c']);
    expect(c.call('ZRANGE', 'missing', '0', '-1')).toEqual([]);
    expect(c.call('ZRANGE', 'z', 'x', '1')).toEqual(NOT_INTEGER);
  });

  it('ranges by score with LIMIT, including negative offset and count', () => {
    const { c } = withData();
    expect(c.call('ZRANGE', 'z', '(1', '4', 'BYSCORE')).toEqual(['b', 'c', 'd']);
    expect(c.call('ZRANGE', 'z', '4', '(1', 'BYSCORE', 'REV')).toEqual(['d', 'c', 'b']);
    expect(c.call('ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '1', '2')).toEqual(['b', 'c']);
    expect(c.call('ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '3', '-1')).toEqual(['d', 'e']);
    expect(c.call('ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '-1', '2')).toEqual([]);
    expect(c.call('ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '0', '0')).toEqual([]);
    expect(c.call('ZREVRANGEBYSCORE', 'z', '+inf', '3', 'WITHSCORES', 'LIMIT', '1', '5')).toEqual(['d', '4', 'c', '3']);
    expect(c.call('ZRANGEBYSCORE', 'z', 'x', '1')).toEqual(RANGE_NOT_FLOAT);
  });

  it('ranges by lex, forward and reverse', () => {
    const { c } = setup();
    c.call('ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd');
    expect(c.call('ZRANGE', 'l', '[b', '+', 'BYLEX')).toEqual(['b', 'c', 'd']);
    expect(c.call('ZRANGE', 'l', '(c', '-', 'BYLEX', 'REV')).toEqual(['b', 'a']);
    expect(c.call('ZRANGEBYLEX', 'l', '-', '+', 'LIMIT', '1', '2')).toEqual(['b', 'c']);
    expect(c.call('ZREVRANGEBYLEX', 'l', '+', '[b')).toEqual(['d', 'c', 'b']);
    expect(c.call('ZRANGEBYLEX', 'l', 'a', '+')).toEqual(RANGE_NOT_LEX);
  });

  it('rejects conflicting and repeated options with Redis texts', () => {
    const { c } = withData();
    expect(c.call('ZRANGE', 'z', '0', '-1', 'LIMIT', '0', '1')).toEqual(
      new ErrorReply('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX'),
    );
    expect(c.call('ZRANGE', 'z', '-', '+', 'BYLEX', 'WITHSCORES')).toEqual(
      new ErrorReply('ERR syntax error, WITHSCORES not supported in combination with BYLEX'),
    );
    expect(c.call('ZRANGEBYLEX', 'z', '-', '+', 'WITHSCORES')).toEqual(
      new ErrorReply('ERR syntax error, WITHSCORES not supported in combination with BYLEX'),
    );
    expect(c.call('ZRANGE', 'z', '0', '-1', 'REV', 'REV')).toEqual(SYNTAX);
    expect(c.call('ZRANGE', 'z', '0', '1', 'BYSCORE', 'BYLEX')).toEqual(SYNTAX);
    expect(c.call('ZREVRANGE', 'z', '0', '1', 'REV')).toEqual(SYNTAX);
    expect(c.call('ZRANGEBYSCORE', 'z', '0', '1', 'BYSCORE')).toEqual(SYNTAX);
    expect(c.call('ZRANGE', 'z', '0', '-1', 'LIMIT', '0')).toEqual(SYNTAX);
    expect(c.call('ZRANGE', 'z', '0', '1', 'BYSCORE', 'LIMIT', 'x', '1')).toEqual(NOT_INTEGER);
  });

  it('replies WITHSCORES as [member, score] pairs in RESP3', () => {
    const { c } = resp3();
    c.call('ZADD', 'z', '1', 'a', '2.5', 'b');
    expect(c.call('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toEqual([
      ['a', new DoubleReply(1)],
      ['b', new DoubleReply(2.5)],
    ]);
    expect(c.call('ZRANGEBYSCORE', 'z', '2', '3', 'WITHSCORES')).toEqual([['b', new DoubleReply(2.5)]]);
    expect(c.call('ZRANGE', 'z', '0', '-1')).toEqual(['a', 'b']);
  });

  it('formats scores in RESP2 as %.17g', () => {
    const { c } = setup();
    c.call('ZADD', 'z', '0.1', 'a', '1.5e300', 'b', '123456789012345678', 'c');
    expect(c.call('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toEqual(['a', '0.10000000000000001', 'c', '1.2345678901234568e+17', 'b', '1.5000000000000001e+300']);
  });
});

describe('ZRANGESTORE', () => {
  it('stores a range, replacing the destination and its TTL, and propagates as received', () => {
    const { c, h, ops } = setup();
    c.call('ZADD', 'src', '1', 'a', '2', 'b', '3', 'c');
    c.call('ZADD', 'dst', '9', 'old');
    h.core.dbs[0].expires.set('dst', h.clock.now + 5000);
    expect(c.call('ZRANGESTORE', 'dst', 'src', '(1', '+inf', 'BYSCORE', 'LIMIT', '0', '5')).toBe(2);
    expect(c.call('ZRANGE', 'dst', '0', '-1', 'WITHSCORES')).toEqual(['b', '2', 'c', '3']);
    expect(h.core.dbs[0].expires.has('dst')).toBe(false);
    expect(ops().at(-1)).toEqual(['ZRANGESTORE', 'dst', 'src', '(1', '+inf', 'BYSCORE', 'LIMIT', '0', '5']);
  });

  it('deletes the destination when the range is empty, propagating only if it existed', () => {
    const { c, h, ops } = setup();
    c.call('ZADD', 'dst', '1', 'x');
    expect(c.call('ZRANGESTORE', 'dst', 'missing', '0', '-1')).toBe(0);
    expect(h.core.dbs[0].dict.has('dst')).toBe(false);
    expect(c.call('ZRANGESTORE', 'dst', 'missing', '0', '-1')).toBe(0);
    expect(ops()).toEqual([
      ['ZADD', 'dst', '1', 'x'],
      ['ZRANGESTORE', 'dst', 'missing', '0', '-1'],
    ]);
  });

  it('does not take WITHSCORES and checks the source type', () => {
    const { c, h } = setup();
    c.call('ZADD', 'src', '1', 'a');
    expect(c.call('ZRANGESTORE', 'dst', 'src', '0', '-1', 'WITHSCORES')).toEqual(SYNTAX);
    h.core.dbs[0].dict.set('s', 'x');
    expect(c.call('ZRANGESTORE', 'dst', 's', '0', '-1')).toEqual(WRONGTYPE);
  });
});

describe('ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX', () => {
  it('removes ranges, deletes emptied keys and propagates only real removals', () => {
    const { c, h, ops } = setup();
    c.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e');
    expect(c.call('ZREMRANGEBYRANK', 'z', '0', '1')).toBe(2);
    expect(c.call('ZREMRANGEBYRANK', 'z', '10', '20')).toBe(0);
    expect(c.call('ZREMRANGEBYSCORE', 'z', '(3', '4')).toBe(1);
    expect(c.call('ZRANGE', 'z', '0', '-1')).toEqual(['c', 'e']);
    expect(c.call('ZREMRANGEBYSCORE', 'z', '-inf', '+inf')).toBe(2);
    expect(h.core.dbs[0].dict.has('z')).toBe(false);
    c.call('ZADD', 'l', '0', 'a', '0', 'b', '0', 'c');
    expect(c.call('ZREMRANGEBYLEX', 'l', '[a', '(c')).toBe(2);
    expect(c.call('ZREMRANGEBYLEX', 'missing', '-', '+')).toBe(0);
    expect(ops()).toEqual([
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'],
      ['ZREMRANGEBYRANK', 'z', '0', '1'],
      ['ZREMRANGEBYSCORE', 'z', '(3', '4'],
      ['ZREMRANGEBYSCORE', 'z', '-inf', '+inf'],
      ['ZADD', 'l', '0', 'a', '0', 'b', '0', 'c'],
      ['ZREMRANGEBYLEX', 'l', '[a', '(c'],
    ]);
  });

  it('validates ranges before looking at the key', () => {
    const { c, h } = setup();
    h.core.dbs[0].dict.set('s', 'x');
    expect(c.call('ZREMRANGEBYRANK', 's', 'x', '1')).toEqual(NOT_INTEGER);
    expect(c.call('ZREMRANGEBYSCORE', 's', 'x', '1')).toEqual(RANGE_NOT_FLOAT);
    expect(c.call('ZREMRANGEBYLEX', 's', 'x', '+')).toEqual(RANGE_NOT_LEX);
    expect(c.call('ZREMRANGEBYRANK', 's', '0', '1')).toEqual(WRONGTYPE);
  });
});

describe('ZUNION, ZINTER, ZDIFF and their STORE forms', () => {
  function withData() {
    const s = setup();
    s.c.call('ZADD', 'z1', '1', 'a', '2', 'b', '3', 'c');
    s.c.call('ZADD', 'z2', '4', 'b', '5', 'c', '6', 'd');
    s.h.core.dbs[0].dict.set('set', new Set(['a', 'c', 'e']));
    return s;
  }

  it('combines with WEIGHTS and AGGREGATE', () => {
    const { c } = withData();
    expect(c.call('ZUNION', '2', 'z1', 'z2', 'WITHSCORES')).toEqual(['a', '1', 'b', '6', 'd', '6', 'c', '8']);
    expect(c.call('ZINTER', '2', 'z1', 'z2', 'WEIGHTS', '2', '3', 'WITHSCORES')).toEqual(['b', '16', 'c', '21']);
    expect(c.call('ZINTER', '2', 'z1', 'z2', 'AGGREGATE', 'MIN', 'WITHSCORES')).toEqual(['b', '2', 'c', '3']);
    expect(c.call('ZUNION', '2', 'z1', 'z2', 'AGGREGATE', 'max')).toEqual(['a', 'b', 'c', 'd']);
    expect(c.call('ZDIFF', '2', 'z1', 'z2', 'WITHSCORES')).toEqual(['a', '1']);
    expect(c.call('ZDIFF', '2', 'z2', 'missing')).toEqual(['b', 'c', 'd']);
  });

  it('accepts plain sets as inputs scoring 1', () => {
    const { c } = withData();
    expect(c.call('ZUNION', '2', 'z1', 'set', 'WITHSCORES')).toEqual(['e', '1', 'a', '2', 'b', '2', 'c', '4']);
    expect(c.call('ZINTER', '2', 'set', 'z2', 'WITHSCORES')).toEqual(['c', '6']);
    expect(c.call('ZDIFF', '2', 'set', 'z1', 'WITHSCORES')).toEqual(['e', '1']);
  });

  it('turns inf + -inf into 0 and a NaN weighted score into 0', () => {
    const { c } = withData();
    expect(c.call('ZINTER', '2', 'z1', 'z2', 'WEIGHTS', 'inf', '-inf', 'WITHSCORES')).toEqual(['b', '0', 'c', '0']);
    c.call('ZADD', 'zero', '0', 'a');
    expect(c.call('ZUNION', '1', 'zero', 'WEIGHTS', 'inf', 'WITHSCORES')).toEqual(['a', '0']);
  });

  it('rejects bad numkeys, weights and options with Redis texts', () => {
    const { c, h } = withData();
    expect(c.call('ZUNION', '0', 'z1')).toEqual(new ErrorReply("ERR at least 1 input key is needed for 'zunion' command"));
    expect(c.call('ZINTERSTORE', 'd', '0', 'z1')).toEqual(new ErrorReply("ERR at least 1 input key is needed for 'zinterstore' command"));
    expect(c.call('ZUNION', 'x', 'z1')).toEqual(NOT_INTEGER);
    expect(c.call('ZUNION', '3', 'z1', 'z2')).toEqual(SYNTAX);
    expect(c.call('ZUNION', '2', 'z1', 'z2', 'WEIGHTS', '1')).toEqual(SYNTAX);
    expect(c.call('ZUNION', '2', 'z1', 'z2', 'WEIGHTS', 'x', '1')).toEqual(new ErrorReply('ERR weight value is not a float'));
    expect(c.call('ZUNION', '2', 'z1', 'z2', 'AGGREGATE', 'avg')).toEqual(SYNTAX);
    expect(c.call('ZDIFF', '2', 'z1', 'z2', 'WEIGHTS', '1', '1')).toEqual(SYNTAX);
    expect(c.call('ZUNIONSTORE', 'd', '2', 'z1', 'z2', 'WITHSCORES')).toEqual(SYNTAX);
    h.core.dbs[0].dict.set('s', 'x');
    // Inputs are looked up before the options are read.
    expect(c.call('ZUNION', '2', 'z1', 's', 'bogus')).toEqual(WRONGTYPE);
  });

  it('stores the result, or deletes the destination when it is empty', () => {
    const { c, h, ops } = withData();
    expect(c.call('ZUNIONSTORE', 'dst', '2', 'z1', 'z2', 'WEIGHTS', '1', '2')).toBe(4);
    expect(c.call('ZRANGE', 'dst', '0', '-1', 'WITHSCORES')).toEqual(['a', '1', 'b', '10', 'd', '12', 'c', '13']);
    expect(c.call('ZINTERSTORE', 'dst', '2', 'z1', 'missing')).toBe(0);
    expect(h.core.dbs[0].dict.has('dst')).toBe(false);
    expect(c.call('ZDIFFSTORE', 'dst', '1', 'missing')).toBe(0);
    expect(c.call('ZDIFFSTORE', 'dst', '2', 'z1', 'z2')).toBe(1);
    expect(c.call('ZRANGE', 'dst', '0', '-1')).toEqual(['a']);
    expect(ops().slice(2)).toEqual([
      ['ZUNIONSTORE', 'dst', '2', 'z1', 'z2', 'WEIGHTS', '1', '2'],
      ['ZINTERSTORE', 'dst', '2', 'z1', 'missing'],
      ['ZDIFFSTORE', 'dst', '2', 'z1', 'z2'],
    ]);
  });

  it('replies WITHSCORES pairs in RESP3', () => {
    const { c } = resp3();
    c.call('ZADD', 'z1', '1', 'a');
    expect(c.call('ZUNION', '1', 'z1', 'WITHSCORES')).toEqual([['a', new DoubleReply(1)]]);
  });

  it('counts an intersection with ZINTERCARD and its LIMIT', () => {
    const { c } = withData();
    expect(c.call('ZINTERCARD', '2', 'z1', 'z2')).toBe(2);
    expect(c.call('ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', '1')).toBe(1);
    expect(c.call('ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', '0')).toBe(2);
    expect(c.call('ZINTERCARD', '3', 'z1', 'z2', 'set')).toBe(1);
    expect(c.call('ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', '-1')).toEqual(new ErrorReply("ERR LIMIT can't be negative"));
    expect(c.call('ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', 'x')).toEqual(new ErrorReply("ERR LIMIT can't be negative"));
    expect(c.call('ZINTERCARD', '2', 'z1', 'z2', 'WITHSCORES')).toEqual(SYNTAX);
    expect(c.call('ZINTERCARD', '0', 'z1')).toEqual(new ErrorReply("ERR at least 1 input key is needed for 'zintercard' command"));
  });
});

describe('ZPOPMIN, ZPOPMAX, ZMPOP', () => {
  it('pops one or count members, deleting the emptied key', () => {
    const { c, h, ops } = setup();
    c.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd');
    expect(c.call('ZPOPMIN', 'z')).toEqual(['a', '1']);
    expect(c.call('ZPOPMAX', 'z', '2')).toEqual(['d', '4', 'c', '3']);
    expect(c.call('ZPOPMIN', 'z', '0')).toEqual([]);
    expect(c.call('ZPOPMIN', 'z', '10')).toEqual(['b', '2']);
    expect(h.core.dbs[0].dict.has('z')).toBe(false);
    expect(c.call('ZPOPMIN', 'z')).toEqual([]);
    expect(ops()).toEqual([
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd'],
      ['ZPOPMIN', 'z'],
      ['ZPOPMAX', 'z', '2'],
      ['ZPOPMIN', 'z', '10'],
    ]);
  });

  it('rejects bad counts and extra arguments', () => {
    const { c } = setup();
    expect(c.call('ZPOPMIN', 'z', '-1')).toEqual(new ErrorReply('ERR value is out of range, must be positive'));
    expect(c.call('ZPOPMIN', 'z', 'x')).toEqual(new ErrorReply('ERR value is out of range, must be positive'));
    expect(c.call('ZPOPMIN', 'z', '1', '2')).toEqual(SYNTAX);
  });

  it('nests pairs in RESP3 only when a count is given', () => {
    const { c } = resp3();
    c.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c');
    expect(c.call('ZPOPMIN', 'z')).toEqual(['a', new DoubleReply(1)]);
    expect(c.call('ZPOPMAX', 'z', '1')).toEqual([['c', new DoubleReply(3)]]);
  });

  it('ZMPOP pops from the first non-empty key and propagates as ZPOPMIN/ZPOPMAX with the count popped', () => {
    const { c, ops } = setup();
    c.call('ZADD', 'z', '1', 'a', '2', 'b');
    expect(c.call('ZMPOP', '2', 'missing', 'z', 'MIN')).toEqual(['z', [['a', '1']]]);
    expect(c.call('ZMPOP', '1', 'z', 'MAX', 'COUNT', '10')).toEqual(['z', [['b', '2']]]);
    expect(c.call('ZMPOP', '1', 'z', 'MIN')).toEqual(NULL_ARRAY);
    expect(ops()).toEqual([
      ['ZADD', 'z', '1', 'a', '2', 'b'],
      ['ZPOPMIN', 'z', '1'],
      ['ZPOPMAX', 'z', '1'],
    ]);
  });

  it('ZMPOP rejects bad numkeys, direction and count', () => {
    const { c } = setup();
    expect(c.call('ZMPOP', '0', 'z', 'MIN')).toEqual(new ErrorReply('ERR numkeys should be greater than 0'));
    expect(c.call('ZMPOP', 'x', 'z', 'MIN')).toEqual(new ErrorReply('ERR numkeys should be greater than 0'));
    expect(c.call('ZMPOP', '2', 'z', 'MIN')).toEqual(SYNTAX);
    expect(c.call('ZMPOP', '1', 'z', 'UP')).toEqual(SYNTAX);
    expect(c.call('ZMPOP', '1', 'z', 'MIN', 'COUNT', '0')).toEqual(new ErrorReply('ERR count should be greater than 0'));
    expect(c.call('ZMPOP', '1', 'z', 'MIN', 'COUNT', '1', 'COUNT', '1')).toEqual(SYNTAX);
    expect(c.call('ZMPOP', '1', 'z', 'MIN', 'COUNT')).toEqual(SYNTAX);
  });
});

describe('BZPOPMIN, BZPOPMAX, BZMPOP', () => {
  it('serves at once when a key has members, propagating ZPOPMIN key', () => {
    const { c, ops } = setup();
    c.call('ZADD', 'z', '1', 'a', '2', 'b');
    expect(c.call('BZPOPMIN', 'missing', 'z', '0')).toEqual(['z', 'a', '1']);
    expect(c.call('BZPOPMAX', 'z', '0')).toEqual(['z', 'b', '2']);
    expect(ops()).toEqual([
      ['ZADD', 'z', '1', 'a', '2', 'b'],
      ['ZPOPMIN', 'z'],
      ['ZPOPMAX', 'z'],
    ]);
  });

  it('blocks until another client adds, then serves and propagates ZPOPMIN', () => {
    const { h, ops } = setup();
    const a = h.client();
    const b = h.client();
    a.send('BZPOPMIN', 'z', '0');
    expect(a.next()).toBeUndefined();
    expect(b.call('ZADD', 'z', '1', 'x', '2', 'y')).toBe(2);
    expect(a.next()).toEqual(['z', 'x', '1']);
    expect(b.call('ZRANGE', 'z', '0', '-1')).toEqual(['y']);
    expect(ops()).toEqual([['ZADD', 'z', '1', 'x', '2', 'y'], ['ZPOPMIN', 'z']]);
  });

  it('times out with a null array after the float-seconds timeout', () => {
    const { h } = setup();
    const a = h.client();
    a.send('BZPOPMAX', 'z', '0.5');
    expect(a.next()).toBeUndefined();
    h.clock.advance(499);
    h.core.timeoutBlocked();
    expect(a.next()).toBeUndefined();
    h.clock.advance(1);
    h.core.timeoutBlocked();
    expect(a.next()).toEqual(NULL_ARRAY);
  });

  it('keeps waiting when the key comes back holding another type', () => {
    const { h } = setup();
    const a = h.client();
    const b = h.client();
    a.send('BZPOPMIN', 'k', 'z', '0');
    h.core.dbs[0].dict.set('k', 'x');
    h.core.signalModifiedKey(0, 'k');
    h.core.handleReadyKeys();
    expect(a.next()).toBeUndefined();
    b.call('ZADD', 'z', '1', 'm');
    expect(a.next()).toEqual(['z', 'm', '1']);
  });

  it('answers a null array at once inside MULTI', () => {
    const { c } = setup();
    c.call('MULTI');
    c.call('BZPOPMIN', 'z', '0');
    expect(c.call('EXEC')).toEqual([NULL_ARRAY]);
  });

  it('BZMPOP blocks, then serves [key, pairs] and propagates ZPOPMIN with the count popped', () => {
    const { h, ops } = setup();
    const a = h.client();
    const b = h.client();
    a.send('BZMPOP', '0', '2', 'z1', 'z2', 'MIN', 'COUNT', '5');
    expect(a.next()).toBeUndefined();
    b.call('ZADD', 'z2', '1', 'p', '2', 'q');
    expect(a.next()).toEqual(['z2', [['p', '1'], ['q', '2']]]);
    expect(ops()).toEqual([['ZADD', 'z2', '1', 'p', '2', 'q'], ['ZPOPMIN', 'z2', '2']]);
    expect(h.core.dbs[0].dict.has('z2')).toBe(false);
  });

  it('BZMPOP serves at once with the default count of 1', () => {
    const { c, ops } = setup();
    c.call('ZADD', 'z', '1', 'a', '2', 'b');
    expect(c.call('BZMPOP', '1', '1', 'z', 'MAX')).toEqual(['z', [['b', '2']]]);
    expect(ops().at(-1)).toEqual(['ZPOPMAX', 'z', '1']);
  });

  it('rejects bad timeouts with Redis texts', () => {
    const { c } = setup();
    expect(c.call('BZPOPMIN', 'z', '-1')).toEqual(new ErrorReply('ERR timeout is negative'));
    expect(c.call('BZPOPMIN', 'z', 'x')).toEqual(new ErrorReply('ERR timeout is not a float or out of range'));
    expect(c.call('BZPOPMIN', 'z', '')).toEqual(new ErrorReply('ERR timeout is not a float or out of range'));
    // ceil(seconds * 1000) must fit a signed 64-bit integer; Redis's conversion of inf comes out negative.
    expect(c.call('BZPOPMIN', 'z', 'inf')).toEqual(new ErrorReply('ERR timeout is negative'));
    expect(c.call('BZMPOP', 'x', '1', 'z', 'MIN')).toEqual(new ErrorReply('ERR timeout is not a float or out of range'));
    expect(c.call('BZMPOP', '0', '0', 'z', 'MIN')).toEqual(new ErrorReply('ERR numkeys should be greater than 0'));
  });
});

describe('ZRANDMEMBER', () => {
  it('returns one member, or nil for a missing key', () => {
    const { c } = setup();
    c.call('ZADD', 'z', '1', 'a', '2', 'b');
    expect(['a', 'b']).toContain(c.call('ZRANDMEMBER', 'z'));
    expect(c.call('ZRANDMEMBER', 'missing')).toBeNull();
    expect(c.call('ZRANDMEMBER', 'missing', '3')).toEqual([]);
  });

  it('returns distinct members for a positive count, all of them highest first when count >= size', () => {
    const { c } = setup();
    c.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e');
    expect(c.call('ZRANDMEMBER', 'z', '10', 'WITHSCORES')).toEqual(['e', '5', 'd', '4', 'c', '3', 'b', '2', 'a', '1']);
    for (const n of [1, 2, 4]) {
      const r = c.call('ZRANDMEMBER', 'z', String(n)) as string[];
      expect(r).toHaveLength(n);
      expect(new Set(r).size).toBe(n);
    }
    expect(c.call('ZRANDMEMBER', 'z', '0')).toEqual([]);
  });

  it('may repeat members for a negative count', () => {
    const { c } = setup();
    c.call('ZADD', 'z', '7', 'only');
    expect(c.call('ZRANDMEMBER', 'z', '-3', 'WITHSCORES')).toEqual(['only', '7', 'only', '7', 'only', '7']);
  });

  it('pairs members with scores in RESP3', () => {
    const { c } = resp3();
    c.call('ZADD', 'z', '7', 'only');
    expect(c.call('ZRANDMEMBER', 'z', '-2', 'WITHSCORES')).toEqual([
      ['only', new DoubleReply(7)],
      ['only', new DoubleReply(7)],
    ]);
  });

  it('rejects bad counts and options with Redis texts', () => {
    const { c } = setup();
    c.call('ZADD', 'z', '1', 'a');
    expect(c.call('ZRANDMEMBER', 'z', 'x')).toEqual(NOT_INTEGER);
    expect(c.call('ZRANDMEMBER', 'z', '1', 'foo')).toEqual(SYNTAX);
    expect(c.call('ZRANDMEMBER', 'z', '-9223372036854775808')).toEqual(
      new ErrorReply('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807'),
    );
    expect(c.call('ZRANDMEMBER', 'z', '-9223372036854775807', 'WITHSCORES')).toEqual(new ErrorReply('ERR value is out of range'));
  });
});

describe('type checks and key specs', () => {
  it('answers WRONGTYPE for a key of another type', () => {
    const { c, h } = setup();
    h.core.dbs[0].dict.set('s', 'x');
    const calls: string[][] = [
      ['ZADD', 's', '1', 'a'],
      ['ZINCRBY', 's', '1', 'a'],
      ['ZREM', 's', 'a'],
      ['ZCARD', 's'],
      ['ZSCORE', 's', 'a'],
      ['ZMSCORE', 's', 'a'],
      ['ZRANK', 's', 'a'],
      ['ZREVRANK', 's', 'a'],
      ['ZCOUNT', 's', '0', '1'],
      ['ZLEXCOUNT', 's', '-', '+'],
      ['ZRANGE', 's', '0', '-1'],
      ['ZRANGEBYSCORE', 's', '0', '1'],
      ['ZREVRANGEBYSCORE', 's', '1', '0'],
      ['ZRANGEBYLEX', 's', '-', '+'],
      ['ZREVRANGEBYLEX', 's', '+', '-'],
      ['ZREVRANGE', 's', '0', '-1'],
      ['ZREMRANGEBYSCORE', 's', '0', '1'],
      ['ZREMRANGEBYLEX', 's', '-', '+'],
      ['ZUNION', '1', 's'],
      ['ZINTER', '1', 's'],
      ['ZDIFF', '1', 's'],
      ['ZUNIONSTORE', 'd', '1', 's'],
      ['ZINTERCARD', '1', 's'],
      ['ZPOPMIN', 's'],
      ['ZPOPMAX', 's', '2'],
      ['ZMPOP', '2', 'missing', 's', 'MIN'],
      ['BZPOPMIN', 's', '0'],
      ['BZMPOP', '0', '1', 's', 'MAX'],
      ['ZRANDMEMBER', 's'],
      ['ZRANDMEMBER', 's', '2'],
    ];
    for (const argv of calls) expect(c.call(...argv), argv.join(' ')).toEqual(WRONGTYPE);
    // A plain set is not a sorted set outside the set operations.
    h.core.dbs[0].dict.set('set', new Set(['a']));
    expect(c.call('ZCARD', 'set')).toEqual(WRONGTYPE);
  });

  it('lists keys of the movable-key commands', () => {
    const spec = (name: string) => sortedSetCommands.find((s) => s.name === name)!;
    expect(commandKeys(spec('zunionstore'), ['ZUNIONSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2'])).toEqual([1, 3, 4]);
    expect(commandKeys(spec('zinter'), ['ZINTER', '2', 'a', 'b'])).toEqual([2, 3]);
    expect(commandKeys(spec('zmpop'), ['ZMPOP', '1', 'a', 'MIN'])).toEqual([2]);
    expect(commandKeys(spec('bzmpop'), ['BZMPOP', '0', '2', 'a', 'b', 'MIN'])).toEqual([3, 4]);
    expect(commandKeys(spec('bzpopmin'), ['BZPOPMIN', 'a', 'b', '0'])).toEqual([1, 2]);
    expect(commandKeys(spec('zrangestore'), ['ZRANGESTORE', 'd', 's', '0', '1'])).toEqual([1, 2]);
  });

  it('keeps the SortedSet API other code relies on', () => {
    const { c, h } = setup();
    const z = new SortedSet();
    z.add('m', 2);
    h.core.dbs[0].dict.set('direct', z);
    expect(c.call('ZRANGE', 'direct', '0', '-1', 'WITHSCORES')).toEqual(['m', '2']);
    expect(c.call('ZADD', 'direct', '1', 'n')).toBe(1);
    expect([...z.entries()]).toEqual([['n', 1], ['m', 2]]);
  });
});
