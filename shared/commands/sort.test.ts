import { describe, expect, it } from 'vitest';
import { OK_REPLY, createHarness, errorReply } from '../../test/helpers/core-harness.js';
import type { ClusterHost } from '../cluster/cluster.js';
import type { MasterConnector } from '../replication/replica-link.js';
import { strtodWeight } from './sort.js';

/*
 * SORT and SORT_RO. Expected replies were observed on a stock redis-server 7.0.15 (test/sort-differential.test.ts
 * compares many more scripts with it, events included); error texts are sort.c's.
 */

const SYNTAX = errorReply('ERR syntax error');
const NOT_INTEGER = errorReply('ERR value is not an integer or out of range');
const NOT_DOUBLE = errorReply("ERR One or more scores can't be converted into double");
const WRONGTYPE = errorReply('WRONGTYPE Operation against a key holding the wrong kind of value');

function setup() {
  const h = createHarness();
  return { h, c: h.client() };
}

/** A cluster-mode core serving every slot, past its start-up delay. */
function clusterSetup() {
  const host: ClusterHost = { connect() {}, saveConfig() {}, loadConfig: () => null };
  const connector: MasterConnector = () => ({ write() {}, close() {} });
  const h = createHarness({ config: { 'cluster-enabled': 'yes', port: '7000' }, clusterHost: host, connector });
  const c = h.client();
  expect(c.call('CLUSTER', 'ADDSLOTSRANGE', 0, 16383)).toEqual(OK_REPLY);
  h.clock.advance(2_500);
  h.cluster!.updateState();
  return { h, c };
}

describe('SORT of lists', () => {
  it('sorts numerically by default, ties broken bytewise; DESC reverses', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', '3', '1', '10', '1.0', '01', '-2', '2');
    expect(c.call('SORT', 'l')).toEqual(['-2', '01', '1', '1.0', '2', '3', '10']);
    expect(c.call('SORT', 'l', 'DESC')).toEqual(['10', '3', '2', '1.0', '1', '01', '-2']);
    expect(c.call('SORT', 'l', 'desc', 'asc')).toEqual(['-2', '01', '1', '1.0', '2', '3', '10']);
  });

  it('ALPHA compares bytes (uppercase first, high bytes last)', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', 'b', 'a', 'B', '\xff', '10', '9');
    expect(c.call('SORT', 'l', 'ALPHA')).toEqual(['10', '9', 'B', 'a', 'b', '\xff']);
    expect(c.call('SORT', 'l', 'ALPHA', 'DESC')).toEqual(['\xff', 'b', 'a', 'B', '9', '10']);
  });

  it('ALPHA replies compare up to the first NUL byte (strcoll), keeping such ties in list order; STORE compares all bytes', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', 'a\x00b', 'a', 'a\x00a', 'ab');
    expect(c.call('SORT', 'l', 'ALPHA')).toEqual(['a\x00b', 'a', 'a\x00a', 'ab']);
    expect(c.call('SORT', 'l', 'ALPHA', 'STORE', 'd')).toBe(4);
    expect(c.call('LRANGE', 'd', 0, -1)).toEqual(['a', 'a\x00a', 'a\x00b', 'ab']);
  });

  it('LIMIT offset count: clamped, a negative count means all, past the end is empty', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', '5', '3', '1', '4', '2');
    expect(c.call('SORT', 'l', 'LIMIT', 1, 2)).toEqual(['2', '3']);
    expect(c.call('SORT', 'l', 'LIMIT', -3, 2)).toEqual(['1', '2']);
    expect(c.call('SORT', 'l', 'LIMIT', 2, -7)).toEqual(['3', '4', '5']);
    expect(c.call('SORT', 'l', 'LIMIT', 3, 100)).toEqual(['4', '5']);
    expect(c.call('SORT', 'l', 'LIMIT', 5, 1)).toEqual([]);
    expect(c.call('SORT', 'l', 'LIMIT', 0, 0)).toEqual([]);
    expect(c.call('SORT', 'l', 'LIMIT', 0, 1, 'LIMIT', 4, 1)).toEqual(['5']);
  });

  it('BY nosort keeps the list order; DESC and LIMIT apply to that order', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', 'c', 'a', 'd', 'b');
    expect(c.call('SORT', 'l', 'BY', 'nosort')).toEqual(['c', 'a', 'd', 'b']);
    expect(c.call('SORT', 'l', 'BY', 'nosort', 'DESC')).toEqual(['b', 'd', 'a', 'c']);
    expect(c.call('SORT', 'l', 'BY', 'nosort', 'LIMIT', 1, 2)).toEqual(['a', 'd']);
    expect(c.call('SORT', 'l', 'BY', 'nosort', 'DESC', 'LIMIT', 1, 2)).toEqual(['d', 'a']);
    // Not a number, but never read as one: nothing is sorted.
    expect(c.call('SORT', 'l', 'BY', 'const')).toEqual(['c', 'a', 'd', 'b']);
  });

  it('a missing key sorts as an empty list', () => {
    const { c } = setup();
    expect(c.call('SORT', 'nokey')).toEqual([]);
    expect(c.call('SORT_RO', 'nokey', 'GET', '#')).toEqual([]);
  });
});

describe('SORT of sets and sorted sets', () => {
  it('sets are sorted by value; BY nosort gives an intset in numeric order and ignores DESC', () => {
    const { c } = setup();
    c.call('SADD', 's', '30', '2', '-7', '11');
    expect(c.call('SORT', 's')).toEqual(['-7', '2', '11', '30']);
    expect(c.call('SORT', 's', 'ALPHA')).toEqual(['-7', '11', '2', '30']);
    expect(c.call('SORT', 's', 'BY', 'nosort')).toEqual(['-7', '2', '11', '30']);
    expect(c.call('SORT', 's', 'BY', 'nosort', 'DESC')).toEqual(['-7', '2', '11', '30']);
  });

  it('a set stored with BY nosort is sorted ALPHA, so that replicas store the same list', () => {
    const { c } = setup();
    c.call('SADD', 's', '30', '2', '-7', '11');
    expect(c.call('SORT', 's', 'BY', 'nosort', 'DESC', 'STORE', 'd')).toBe(4);
    expect(c.call('LRANGE', 'd', 0, -1)).toEqual(['30', '2', '11', '-7']);
  });

  it('sorted sets sort by member value, or keep score order with BY nosort (DESC, LIMIT on that order)', () => {
    const { c } = setup();
    c.call('ZADD', 'z', '1', '30', '2', '4', '3', '100', '4', '-1');
    expect(c.call('SORT', 'z')).toEqual(['-1', '4', '30', '100']);
    expect(c.call('SORT', 'z', 'BY', 'nosort')).toEqual(['30', '4', '100', '-1']);
    expect(c.call('SORT', 'z', 'BY', 'nosort', 'DESC')).toEqual(['-1', '100', '4', '30']);
    expect(c.call('SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', 1, 2)).toEqual(['100', '4']);
    expect(c.call('SORT', 'z', 'BY', 'nosort', 'LIMIT', 3, 5)).toEqual(['-1']);
  });
});

describe('BY and GET patterns', () => {
  it('BY reads string keys and hash fields; a missing weight counts as 0 (numeric) or sorts first (ALPHA)', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', 'a', 'b', 'c', 'd');
    c.call('MSET', 'w_a', '3', 'w_b', '-1', 'w_c', '2');
    c.call('HSET', 'h_a', 'f', 'z');
    c.call('HSET', 'h_b', 'f', 'y');
    expect(c.call('SORT', 'l', 'BY', 'w_*')).toEqual(['b', 'd', 'c', 'a']);
    expect(c.call('SORT', 'l', 'BY', 'h_*->f', 'ALPHA')).toEqual(['c', 'd', 'b', 'a']);
    expect(c.call('SORT', 'l', 'BY', 'h_*->f', 'ALPHA', 'DESC')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('GET # is the element, GET pattern a lookup (nil when missing or of another type), several GETs per element', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', '2', '1');
    c.call('SET', 'n_1', 'one');
    c.call('HSET', 'h_2', 'name', 'two');
    c.call('RPUSH', 'n_2', 'list');
    expect(c.call('SORT', 'l', 'GET', '#', 'GET', 'n_*', 'GET', 'h_*->name')).toEqual(['1', 'one', null, '2', null, 'two']);
    // A pattern without '*' is never looked up.
    c.call('SET', 'const', 'c');
    expect(c.call('SORT', 'l', 'GET', 'const')).toEqual([null, null]);
  });

  it('only the first "*" is replaced; "->" counts only after it and with a field name', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', 'a');
    c.call('SET', 'x_a_*', 'first-star');
    c.call('SET', 'h->a', 'arrow-first');
    c.call('SET', 'k_a->', 'empty-field');
    c.call('HSET', 'k_a', 'f->g', 'nested');
    expect(c.call('SORT', 'l', 'ALPHA', 'GET', 'x_*_*')).toEqual(['first-star']);
    expect(c.call('SORT', 'l', 'ALPHA', 'GET', 'h->*')).toEqual(['arrow-first']);
    expect(c.call('SORT', 'l', 'ALPHA', 'GET', 'k_*->')).toEqual(['empty-field']);
    expect(c.call('SORT', 'l', 'ALPHA', 'GET', 'k_*->f->g')).toEqual(['nested']);
    // Redis scans patterns as C strings: "#" followed by a NUL byte is still "#".
    expect(c.call('SORT', 'l', 'ALPHA', 'GET', '#\x00x')).toEqual(['a']);
  });

  it('ALPHA BY ties: a full sort keeps list order; a narrowing LIMIT leaves them where pqsort puts them', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', 'e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9');
    expect(c.call('SORT', 'l', 'BY', 'w_*', 'ALPHA')).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
    expect(c.call('SORT', 'l', 'BY', 'w_*', 'ALPHA', 'LIMIT', 0, 5)).toEqual(['e9', 'e1', 'e2', 'e3', 'e4']);
    expect(c.call('SORT', 'l', 'BY', 'w_*', 'ALPHA', 'LIMIT', 2, 3)).toEqual(['e2', 'e3', 'e4']);
    c.call('MSET', 'w_e3', 'b', 'w_e7', 'a');
    expect(c.call('SORT', 'l', 'BY', 'w_*', 'ALPHA', 'DESC', 'LIMIT', 0, 4)).toEqual(['e3', 'e7', 'e2', 'e4']);
    expect(c.call('SORT', 'l', 'BY', 'w_*', 'ALPHA', 'DESC')).toEqual(['e3', 'e7', 'e0', 'e1', 'e2', 'e4', 'e5', 'e6', 'e8', 'e9']);
  });
});

describe('errors', () => {
  it('a weight strtod rejects fails the whole sort', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', '1', 'abc', '2');
    expect(c.call('SORT', 'l')).toEqual(NOT_DOUBLE);
    expect(c.call('SORT', 'l', 'ALPHA')).toEqual(['1', '2', 'abc']);
    c.call('SET', 'w_1', 'x');
    expect(c.call('SORT', 'l', 'BY', 'w_*')).toEqual(NOT_DOUBLE);
    expect(c.call('SORT', 'l', 'BY', 'w_*', 'STORE', 'd')).toEqual(NOT_DOUBLE);
    expect(c.call('EXISTS', 'd')).toBe(0);
  });

  it('syntax errors come before the type check; LIMIT needs two integers; SORT_RO has no STORE', () => {
    const { c } = setup();
    c.call('SET', 'str', 'v');
    c.call('RPUSH', 'l', '1');
    expect(c.call('SORT', 'str')).toEqual(WRONGTYPE);
    expect(c.call('SORT_RO', 'str')).toEqual(WRONGTYPE);
    c.call('HSET', 'h', 'f', 'v');
    expect(c.call('SORT', 'h')).toEqual(WRONGTYPE);
    expect(c.call('SORT', 'str', 'FOO')).toEqual(SYNTAX);
    expect(c.call('SORT', 'l', 'LIMIT', '1')).toEqual(SYNTAX);
    expect(c.call('SORT', 'str', 'LIMIT', 'x', '1')).toEqual(NOT_INTEGER);
    expect(c.call('SORT', 'l', 'LIMIT', '1', '1.5')).toEqual(NOT_INTEGER);
    expect(c.call('SORT', 'l', 'BY')).toEqual(SYNTAX);
    expect(c.call('SORT', 'l', 'GET')).toEqual(SYNTAX);
    expect(c.call('SORT', 'l', 'STORE')).toEqual(SYNTAX);
    expect(c.call('SORT_RO', 'l', 'STORE', 'd')).toEqual(SYNTAX);
    expect(c.call('SORT')).toEqual(errorReply("ERR wrong number of arguments for 'sort' command"));
    expect(c.call('SORT_RO')).toEqual(errorReply("ERR wrong number of arguments for 'sort_ro' command"));
  });

  it('cluster mode refuses GET and BY patterns with "*" (BY nosort still works)', () => {
    const { c } = clusterSetup();
    c.call('RPUSH', 'l', '2', '1');
    expect(c.call('SORT', 'l', 'BY', 'w_*')).toEqual(errorReply('ERR BY option of SORT denied in Cluster mode.'));
    expect(c.call('SORT', 'l', 'GET', '#')).toEqual(errorReply('ERR GET option of SORT denied in Cluster mode.'));
    expect(c.call('SORT_RO', 'l', 'BY', 'w_*', 'GET', 'x')).toEqual(errorReply('ERR BY option of SORT denied in Cluster mode.'));
    expect(c.call('SORT', 'l', 'BY', 'nosort')).toEqual(['2', '1']);
    expect(c.call('SORT', 'l', 'STORE', 'other')).toEqual(errorReply("CROSSSLOT Keys in request don't hash to the same slot"));
    expect(c.call('SORT', '{l}s', 'STORE', '{l}d')).toBe(0);
  });
});

describe('STORE and propagation', () => {
  it('stores a list (replacing any type, dropping the TTL) and propagates the command as sent', () => {
    const { h, c } = setup();
    c.call('RPUSH', 'l', '3', '1', '2');
    c.call('SET', 'd', 'old', 'EX', '100');
    h.propagated.length = 0;
    expect(c.call('SORT', 'l', 'DESC', 'STORE', 'd')).toBe(3);
    expect(c.call('LRANGE', 'd', 0, -1)).toEqual(['3', '2', '1']);
    expect(c.call('TTL', 'd')).toBe(-1);
    expect(h.propagated).toEqual([['SORT', 'l', 'DESC', 'STORE', 'd']]);
  });

  it('GET with STORE stores misses as empty strings; every stored element counts as a change', () => {
    const { h, c } = setup();
    c.call('RPUSH', 'l', '2', '1');
    c.call('SET', 'n_1', 'one');
    const before = h.core.dirty;
    expect(c.call('SORT', 'l', 'GET', 'n_*', 'GET', '#', 'STORE', 'd')).toBe(4);
    expect(c.call('LRANGE', 'd', 0, -1)).toEqual(['one', '1', '', '2']);
    expect(h.core.dirty - before).toBe(4);
  });

  it('an empty result deletes the destination (propagated); over a missing one it changes and propagates nothing', () => {
    const { h, c } = setup();
    c.call('SET', 'd', 'v');
    h.propagated.length = 0;
    expect(c.call('SORT', 'nokey', 'STORE', 'd')).toBe(0);
    expect(c.call('EXISTS', 'd')).toBe(0);
    expect(c.call('SORT', 'nokey', 'STORE', 'd')).toBe(0);
    expect(h.propagated).toEqual([['SORT', 'nokey', 'STORE', 'd']]);
  });

  it('without STORE nothing propagates, except the DEL of a key found expired', () => {
    const { h, c } = setup();
    c.call('RPUSH', 'l', '1');
    c.call('PEXPIRE', 'l', 10);
    h.propagated.length = 0;
    c.call('RPUSH', 'k', '1');
    h.propagated.length = 0;
    expect(c.call('SORT', 'k')).toEqual(['1']);
    expect(h.propagated).toEqual([]);
    h.clock.advance(20);
    expect(c.call('SORT_RO', 'l')).toEqual([]);
    expect(h.propagated).toEqual([['DEL', 'l']]);
  });

  it('the last STORE wins and a sorted key may be its own destination', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', 'c', 'a', 'b');
    expect(c.call('SORT', 'l', 'ALPHA', 'STORE', 'x', 'STORE', 'l')).toBe(3);
    expect(c.call('EXISTS', 'x')).toBe(0);
    expect(c.call('LRANGE', 'l', 0, -1)).toEqual(['a', 'b', 'c']);
  });
});

describe('key positions', () => {
  it('COMMAND GETKEYS: the key and the last STORE destination, skipping option arguments', () => {
    const { c } = setup();
    expect(c.call('COMMAND', 'GETKEYS', 'SORT', 'k', 'STORE', 'd', 'STORE', 'e')).toEqual(['k', 'e']);
    expect(c.call('COMMAND', 'GETKEYS', 'SORT', 'k', 'BY', 'store', 'GET', 'store', 'LIMIT', 'store', 'store')).toEqual(['k']);
    expect(c.call('COMMAND', 'GETKEYS', 'SORT', 'k', 'STORE')).toEqual(['k']);
    expect(c.call('COMMAND', 'GETKEYS', 'SORT_RO', 'k', 'STORE', 'd')).toEqual(['k']);
  });
});

describe('strtodWeight (glibc strtod as SORT checks it)', () => {
  it('accepts what strtod consumes to the end (or to a NUL byte)', () => {
    expect(strtodWeight('')).toBe(0);
    expect(strtodWeight(' \t1.5')).toBe(1.5);
    expect(strtodWeight('+.5e1')).toBe(5);
    expect(strtodWeight('5.')).toBe(5);
    expect(strtodWeight('0x1A')).toBe(26);
    expect(strtodWeight('-0x.8p1')).toBe(-1);
    expect(strtodWeight('INFINITY')).toBe(Infinity);
    expect(strtodWeight('-inf')).toBe(-Infinity);
    expect(strtodWeight('7\x00junk')).toBe(7);
    expect(strtodWeight('0x1p-1074')).toBe(5e-324);
    expect(strtodWeight('2.2250738585072013e-308')).toBe(2.2250738585072014e-308);
  });

  it('rejects leftovers, NaN, overflow and inexact underflow (ERANGE)', () => {
    for (const s of [' ', '1 ', '1e', '0x', 'infin', 'nan', '-NaN(1)', '1e400', '-1e400', '1e-310', '1e-400', '2.2250738585072012e-308', '0x1.fffffffffffff8p1023', '0x0.fffffffffffff8p-1022', '1,5']) {
      expect(strtodWeight(s), s).toBeNull();
    }
  });
});

describe('SORT of a set BY a constant from a script', () => {
  it('sorts ALPHA (a set has no order a script may depend on), while outside scripts it keeps the set order', () => {
    const h = createHarness();
    const c = h.client();
    const members = ['z', 'a', 'aaa', 'b', 'aa', 'c', 'azz'];
    c.call('SADD', 'myset', ...members);
    expect(c.call('EVAL', "return redis.call('sort',KEYS[1],'by','_')", '1', 'myset')).toEqual(['a', 'aa', 'aaa', 'azz', 'b', 'c', 'z']);
    expect(c.call('EVAL', "return redis.call('sort',KEYS[1],'by','_','get','#','get','_:*')", '1', 'myset')).toEqual([
      'a', null, 'aa', null, 'aaa', null, 'azz', null, 'b', null, 'c', null, 'z', null,
    ]);
    expect(c.call('SORT', 'myset', 'BY', '_')).toEqual(c.call('SMEMBERS', 'myset'));
  });
});
