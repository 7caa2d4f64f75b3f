import { describe, expect, it } from 'vitest';
import { createHarness, errorReply, OK_REPLY } from '../../test/helpers/core-harness.js';
import { NULL_ARRAY } from '../resp/reply.js';
import { Deque } from '../store/deque.js';
import { listCommands } from './lists.js';
import { commandKeys } from '../engine/command-spec.js';

const WRONGTYPE = errorReply('WRONGTYPE Operation against a key holding the wrong kind of value');
const SYNTAX = errorReply('ERR syntax error');
const NOT_INTEGER = errorReply('ERR value is not an integer or out of range');

/** A harness with one client, a string at 's' (for WRONGTYPE) and helpers to read the replication stream. */
function setup() {
  const h = createHarness();
  const c = h.client();
  h.core.dbs[0].dict.set('s', 'x');
  /** What was propagated since the last call, without the leading SELECT. */
  const ops = () => {
    const out = h.propagated.filter((op) => op[0] !== 'SELECT');
    h.propagated.length = 0;
    return out;
  };
  return { h, c, ops };
}

describe('LPUSH / RPUSH / LPUSHX / RPUSHX', () => {
  it('push in argument order to the chosen end and reply the new length', () => {
    const { c, ops } = setup();
    expect(c.call('LPUSH', 'l', 'a', 'b')).toBe(2);
    expect(c.call('RPUSH', 'l', 'c', 'd')).toBe(4);
    expect(c.call('LRANGE', 'l', '0', '-1')).toEqual(['b', 'a', 'c', 'd']);
    expect(ops()).toEqual([
      ['LPUSH', 'l', 'a', 'b'],
      ['RPUSH', 'l', 'c', 'd'],
    ]);
  });

  it('push only to an existing list with the X forms, changing nothing otherwise', () => {
    const { c, ops } = setup();
    expect(c.call('LPUSHX', 'l', 'a')).toBe(0);
    expect(c.call('RPUSHX', 'l', 'a')).toBe(0);
    expect(c.call('LLEN', 'l')).toBe(0);
    expect(ops()).toEqual([]);
    c.call('RPUSH', 'l', 'm');
    expect(c.call('LPUSHX', 'l', 'a', 'b')).toBe(3);
    expect(c.call('RPUSHX', 'l', 'z')).toBe(4);
    expect(c.call('LRANGE', 'l', '0', '-1')).toEqual(['b', 'a', 'm', 'z']);
    expect(ops()).toEqual([
      ['RPUSH', 'l', 'm'],
      ['LPUSHX', 'l', 'a', 'b'],
      ['RPUSHX', 'l', 'z'],
    ]);
  });

  it('refuse a key of another type and the wrong arity', () => {
    const { c } = setup();
    for (const cmd of ['LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX']) expect(c.call(cmd, 's', 'a')).toEqual(WRONGTYPE);
    expect(c.call('LPUSH', 'l')).toEqual(errorReply("ERR wrong number of arguments for 'lpush' command"));
  });

  it('treat an expired key as missing and propagate its DEL first', () => {
    const { h, c, ops } = setup();
    c.call('RPUSH', 'l', 'old');
    h.core.dbs[0].expires.set('l', h.clock.now + 1000);
    h.clock.advance(1001);
    expect(c.call('RPUSHX', 'l', 'x')).toBe(0);
    expect(c.call('RPUSH', 'l', 'new')).toBe(1);
    expect(c.call('LRANGE', 'l', '0', '-1')).toEqual(['new']);
    expect(ops()).toEqual([
      ['RPUSH', 'l', 'old'],
      ['DEL', 'l'],
      ['RPUSH', 'l', 'new'],
    ]);
  });
});

describe('LPOP / RPOP', () => {
  it('pop one element as a bulk string and delete the emptied list', () => {
    const { h, c, ops } = setup();
    c.call('RPUSH', 'l', 'a', 'b');
    expect(c.call('LPOP', 'l')).toBe('a');
    expect(c.call('RPOP', 'l')).toBe('b');
    expect(h.core.dbs[0].dict.has('l')).toBe(false);
    expect(c.call('LPOP', 'l')).toBe(null);
    expect(ops()).toEqual([['RPUSH', 'l', 'a', 'b'], ['LPOP', 'l'], ['RPOP', 'l']]);
  });

  it('pop up to COUNT elements in the order they come off, propagating the command as sent', () => {
    const { c, ops } = setup();
    c.call('RPUSH', 'l', 'a', 'b', 'c', 'd');
    expect(c.call('RPOP', 'l', '2')).toEqual(['d', 'c']);
    expect(c.call('LPOP', 'l', '10')).toEqual(['a', 'b']);
    expect(ops()).toEqual([
      ['RPUSH', 'l', 'a', 'b', 'c', 'd'],
      ['RPOP', 'l', '2'],
      ['LPOP', 'l', '10'],
    ]);
  });

  it('reply a null array for COUNT on a missing key and an empty array for COUNT 0 on a list', () => {
    const { c, ops } = setup();
    expect(c.call('LPOP', 'nokey', '1')).toEqual(NULL_ARRAY);
    expect(c.call('RPOP', 'nokey', '0')).toEqual(NULL_ARRAY);
    c.call('RPUSH', 'l', 'a');
    ops();
    expect(c.call('LPOP', 'l', '0')).toEqual([]);
    expect(c.call('LLEN', 'l')).toBe(1);
    expect(ops()).toEqual([]);
  });

  it('check the count before the key and the arity by hand', () => {
    const { c } = setup();
    const positive = errorReply('ERR value is out of range, must be positive');
    expect(c.call('LPOP', 'nokey', '-1')).toEqual(positive);
    expect(c.call('LPOP', 's', 'x')).toEqual(positive);
    expect(c.call('RPOP', 'nokey', '1.5')).toEqual(positive);
    expect(c.call('LPOP', 's')).toEqual(WRONGTYPE);
    expect(c.call('RPOP', 's', '1')).toEqual(WRONGTYPE);
    expect(c.call('LPOP', 'l', '1', '2')).toEqual(errorReply("ERR wrong number of arguments for 'lpop' command"));
    expect(c.call('RPOP', 'l', '1', '2')).toEqual(errorReply("ERR wrong number of arguments for 'rpop' command"));
  });
});

describe('LLEN / LRANGE / LINDEX', () => {
  it('read lengths, ranges with negative and out-of-range indexes, and single elements', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', 'a', 'b', 'c', 'd', 'e');
    expect(c.call('LLEN', 'l')).toBe(5);
    expect(c.call('LLEN', 'nokey')).toBe(0);
    expect(c.call('LRANGE', 'l', '1', '2')).toEqual(['b', 'c']);
    expect(c.call('LRANGE', 'l', '-2', '100')).toEqual(['d', 'e']);
    expect(c.call('LRANGE', 'l', '-100', '0')).toEqual(['a']);
    expect(c.call('LRANGE', 'l', '3', '1')).toEqual([]);
    expect(c.call('LRANGE', 'l', '5', '10')).toEqual([]);
    expect(c.call('LRANGE', 'l', '0', '-6')).toEqual([]);
    expect(c.call('LRANGE', 'nokey', '0', '-1')).toEqual([]);
    expect(c.call('LINDEX', 'l', '0')).toBe('a');
    expect(c.call('LINDEX', 'l', '-1')).toBe('e');
    expect(c.call('LINDEX', 'l', '5')).toBe(null);
    expect(c.call('LINDEX', 'l', '-6')).toBe(null);
    expect(c.call('LINDEX', 'nokey', '0')).toBe(null);
  });

  it('reply errors in Redis order: LRANGE parses first, LINDEX looks up first', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', 'a');
    expect(c.call('LLEN', 's')).toEqual(WRONGTYPE);
    expect(c.call('LRANGE', 'nokey', 'x', '1')).toEqual(NOT_INTEGER);
    expect(c.call('LRANGE', 's', '0', '1')).toEqual(WRONGTYPE);
    expect(c.call('LINDEX', 'nokey', 'x')).toBe(null);
    expect(c.call('LINDEX', 's', 'x')).toEqual(WRONGTYPE);
    expect(c.call('LINDEX', 'l', 'x')).toEqual(NOT_INTEGER);
  });
});

describe('LSET', () => {
  it('replace an element by index and propagate as sent', () => {
    const { c, ops } = setup();
    c.call('RPUSH', 'l', 'a', 'b', 'c');
    expect(c.call('LSET', 'l', '-1', 'z')).toEqual(OK_REPLY);
    expect(c.call('LSET', 'l', '0', 'y')).toEqual(OK_REPLY);
    expect(c.call('LRANGE', 'l', '0', '-1')).toEqual(['y', 'b', 'z']);
    expect(ops()).toEqual([
      ['RPUSH', 'l', 'a', 'b', 'c'],
      ['LSET', 'l', '-1', 'z'],
      ['LSET', 'l', '0', 'y'],
    ]);
  });

  it('refuse a missing key, an out-of-range index, a bad index and another type', () => {
    const { c, ops } = setup();
    c.call('RPUSH', 'l', 'a');
    ops();
    expect(c.call('LSET', 'nokey', 'x', 'v')).toEqual(errorReply('ERR no such key'));
    expect(c.call('LSET', 'l', '1', 'v')).toEqual(errorReply('ERR index out of range'));
    expect(c.call('LSET', 'l', '-2', 'v')).toEqual(errorReply('ERR index out of range'));
    expect(c.call('LSET', 'l', 'x', 'v')).toEqual(NOT_INTEGER);
    expect(c.call('LSET', 's', 'x', 'v')).toEqual(WRONGTYPE);
    expect(ops()).toEqual([]);
  });
});

describe('LINSERT', () => {
  it('insert before or after the first match of the pivot and reply the new length', () => {
    const { c, ops } = setup();
    c.call('RPUSH', 'l', 'a', 'b', 'a');
    expect(c.call('LINSERT', 'l', 'BEFORE', 'a', 'x')).toBe(4);
    expect(c.call('LINSERT', 'l', 'after', 'a', 'y')).toBe(5);
    expect(c.call('LRANGE', 'l', '0', '-1')).toEqual(['x', 'a', 'y', 'b', 'a']);
    expect(ops()).toEqual([
      ['RPUSH', 'l', 'a', 'b', 'a'],
      ['LINSERT', 'l', 'BEFORE', 'a', 'x'],
      ['LINSERT', 'l', 'after', 'a', 'y'],
    ]);
  });

  it('reply -1 without a pivot, 0 without the key, and check the position word first', () => {
    const { h, c, ops } = setup();
    c.call('RPUSH', 'l', 'a');
    ops();
    expect(c.call('LINSERT', 'l', 'before', 'zz', 'x')).toBe(-1);
    expect(c.call('LINSERT', 'nokey', 'before', 'a', 'x')).toBe(0);
    expect(c.call('LINSERT', 's', 'middle', 'a', 'x')).toEqual(SYNTAX);
    expect(c.call('LINSERT', 's', 'before', 'a', 'x')).toEqual(WRONGTYPE);
    expect(h.core.dbs[0].dict.has('nokey')).toBe(false);
    expect(ops()).toEqual([]);
  });
});

describe('LREM', () => {
  it('remove matches from the head, from the tail, or all of them', () => {
    const { c, ops } = setup();
    c.call('RPUSH', 'l', 'a', 'b', 'a', 'c', 'a');
    expect(c.call('LREM', 'l', '1', 'a')).toBe(1);
    expect(c.call('LRANGE', 'l', '0', '-1')).toEqual(['b', 'a', 'c', 'a']);
    expect(c.call('LREM', 'l', '-1', 'a')).toBe(1);
    expect(c.call('LRANGE', 'l', '0', '-1')).toEqual(['b', 'a', 'c']);
    c.call('RPUSH', 'l', 'a', 'a');
    expect(c.call('LREM', 'l', '0', 'a')).toBe(3);
    expect(c.call('LRANGE', 'l', '0', '-1')).toEqual(['b', 'c']);
    expect(ops()).toEqual([
      ['RPUSH', 'l', 'a', 'b', 'a', 'c', 'a'],
      ['LREM', 'l', '1', 'a'],
      ['LREM', 'l', '-1', 'a'],
      ['RPUSH', 'l', 'a', 'a'],
      ['LREM', 'l', '0', 'a'],
    ]);
  });

  it('delete the emptied list and propagate nothing when nothing matched', () => {
    const { h, c, ops } = setup();
    c.call('RPUSH', 'l', 'a', 'a');
    ops();
    expect(c.call('LREM', 'l', '0', 'zz')).toBe(0);
    expect(c.call('LREM', 'nokey', '0', 'a')).toBe(0);
    expect(ops()).toEqual([]);
    expect(c.call('LREM', 'l', '0', 'a')).toBe(2);
    expect(h.core.dbs[0].dict.has('l')).toBe(false);
    expect(ops()).toEqual([['LREM', 'l', '0', 'a']]);
  });

  it('parse the count before looking the key up', () => {
    const { c } = setup();
    expect(c.call('LREM', 'nokey', 'x', 'a')).toEqual(NOT_INTEGER);
    expect(c.call('LREM', 's', '0', 'a')).toEqual(WRONGTYPE);
  });
});

describe('LTRIM', () => {
  it('keep only the range, deleting the list when the range is empty', () => {
    const { h, c, ops } = setup();
    c.call('RPUSH', 'l', 'a', 'b', 'c', 'd', 'e');
    expect(c.call('LTRIM', 'l', '1', '-2')).toEqual(OK_REPLY);
    expect(c.call('LRANGE', 'l', '0', '-1')).toEqual(['b', 'c', 'd']);
    expect(c.call('LTRIM', 'l', '-100', '100')).toEqual(OK_REPLY);
    expect(c.call('LTRIM', 'l', '2', '1')).toEqual(OK_REPLY);
    expect(h.core.dbs[0].dict.has('l')).toBe(false);
    expect(c.call('LTRIM', 'nokey', '0', '1')).toEqual(OK_REPLY);
    // Only the trims that removed something propagate.
    expect(ops()).toEqual([
      ['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e'],
      ['LTRIM', 'l', '1', '-2'],
      ['LTRIM', 'l', '2', '1'],
    ]);
  });

  it('touch WATCHed keys even when nothing is trimmed, as Redis signals the key regardless', () => {
    const { h, c } = setup();
    const other = h.client();
    c.call('RPUSH', 'l', 'a');
    c.call('WATCH', 'l');
    other.call('LTRIM', 'l', '0', '-1');
    c.call('MULTI');
    c.call('LLEN', 'l');
    expect(c.call('EXEC')).toEqual(NULL_ARRAY);
  });

  it('parse the indexes before looking the key up', () => {
    const { c } = setup();
    expect(c.call('LTRIM', 'nokey', 'x', '1')).toEqual(NOT_INTEGER);
    expect(c.call('LTRIM', 's', '0', '1')).toEqual(WRONGTYPE);
  });
});

describe('LPOS', () => {
  it('find the first match, the n-th match, from the tail, several matches, within MAXLEN', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', 'a', 'b', 'c', 'a', 'b', 'c', 'a');
    expect(c.call('LPOS', 'l', 'a')).toBe(0);
    expect(c.call('LPOS', 'l', 'c')).toBe(2);
    expect(c.call('LPOS', 'l', 'a', 'RANK', '2')).toBe(3);
    expect(c.call('LPOS', 'l', 'a', 'rank', '-1')).toBe(6);
    expect(c.call('LPOS', 'l', 'a', 'RANK', '5')).toBe(null);
    expect(c.call('LPOS', 'l', 'z')).toBe(null);
    expect(c.call('LPOS', 'l', 'a', 'COUNT', '0')).toEqual([0, 3, 6]);
    expect(c.call('LPOS', 'l', 'a', 'RANK', '-1', 'COUNT', '2')).toEqual([6, 3]);
    expect(c.call('LPOS', 'l', 'a', 'RANK', '2', 'MAXLEN', '3')).toBe(null);
    expect(c.call('LPOS', 'l', 'a', 'RANK', '2', 'MAXLEN', '4')).toBe(3);
    expect(c.call('LPOS', 'l', 'a', 'RANK', '-2', 'COUNT', '0', 'MAXLEN', '4')).toEqual([3]);
    expect(c.call('LPOS', 'l', 'z', 'COUNT', '1')).toEqual([]);
  });

  it('reply null or an empty array for a missing key depending on COUNT', () => {
    const { c } = setup();
    expect(c.call('LPOS', 'nokey', 'a')).toBe(null);
    expect(c.call('LPOS', 'nokey', 'a', 'COUNT', '1')).toEqual([]);
  });

  it('refuse bad options with Redis texts before looking the key up', () => {
    const { c } = setup();
    expect(c.call('LPOS', 's', 'a', 'RANK', '0')).toEqual(
      errorReply(
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
      ),
    );
    expect(c.call('LPOS', 's', 'a', 'COUNT', '-1')).toEqual(errorReply("ERR COUNT can't be negative"));
    expect(c.call('LPOS', 's', 'a', 'MAXLEN', '-1')).toEqual(errorReply("ERR MAXLEN can't be negative"));
    expect(c.call('LPOS', 's', 'a', 'RANK', 'x')).toEqual(NOT_INTEGER);
    expect(c.call('LPOS', 's', 'a', 'RANK')).toEqual(SYNTAX);
    expect(c.call('LPOS', 's', 'a', 'FOO', '1')).toEqual(SYNTAX);
    expect(c.call('LPOS', 's', 'a')).toEqual(WRONGTYPE);
  });
});

describe('LMOVE / RPOPLPUSH', () => {
  it('move between ends of two lists, creating the destination and deleting the emptied source', () => {
    const { h, c, ops } = setup();
    c.call('RPUSH', 'src', 'a', 'b');
    expect(c.call('LMOVE', 'src', 'dst', 'LEFT', 'right')).toBe('a');
    expect(c.call('RPOPLPUSH', 'src', 'dst')).toBe('b');
    expect(h.core.dbs[0].dict.has('src')).toBe(false);
    expect(c.call('LRANGE', 'dst', '0', '-1')).toEqual(['b', 'a']);
    expect(c.call('LMOVE', 'src', 'dst', 'left', 'left')).toBe(null);
    expect(c.call('RPOPLPUSH', 'src', 'dst')).toBe(null);
    expect(ops()).toEqual([
      ['RPUSH', 'src', 'a', 'b'],
      ['LMOVE', 'src', 'dst', 'LEFT', 'right'],
      ['RPOPLPUSH', 'src', 'dst'],
    ]);
  });

  it('rotate a list onto itself, even a single-element one', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', 'a', 'b', 'c');
    expect(c.call('RPOPLPUSH', 'l', 'l')).toBe('c');
    expect(c.call('LRANGE', 'l', '0', '-1')).toEqual(['c', 'a', 'b']);
    c.call('RPUSH', 'one', 'x');
    expect(c.call('LMOVE', 'one', 'one', 'LEFT', 'RIGHT')).toBe('x');
    expect(c.call('LRANGE', 'one', '0', '-1')).toEqual(['x']);
  });

  it('check positions first, then the source, then the destination, without moving on error', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', 'a');
    expect(c.call('LMOVE', 's', 'l', 'left', 'up')).toEqual(SYNTAX);
    expect(c.call('LMOVE', 'nokey', 's', 'left', 'right')).toBe(null);
    expect(c.call('LMOVE', 's', 'l', 'left', 'right')).toEqual(WRONGTYPE);
    expect(c.call('LMOVE', 'l', 's', 'left', 'right')).toEqual(WRONGTYPE);
    expect(c.call('RPOPLPUSH', 'l', 's')).toEqual(WRONGTYPE);
    expect(c.call('LRANGE', 'l', '0', '-1')).toEqual(['a']);
  });
});

describe('LMPOP', () => {
  it('pop from the first non-empty key and propagate as LPOP/RPOP with the popped count', () => {
    const { c, ops } = setup();
    c.call('RPUSH', 'b', '1', '2', '3');
    expect(c.call('LMPOP', '2', 'a', 'b', 'LEFT')).toEqual(['b', ['1']]);
    expect(c.call('LMPOP', '2', 'a', 'b', 'right', 'COUNT', '5')).toEqual(['b', ['3', '2']]);
    expect(c.call('LMPOP', '2', 'a', 'b', 'left')).toEqual(NULL_ARRAY);
    expect(ops()).toEqual([['RPUSH', 'b', '1', '2', '3'], ['LPOP', 'b', '1'], ['RPOP', 'b', '2']]);
  });

  it('refuse bad numkeys, positions, counts and types with Redis texts', () => {
    const { c } = setup();
    const numkeys = errorReply('ERR numkeys should be greater than 0');
    const count = errorReply('ERR count should be greater than 0');
    expect(c.call('LMPOP', 'abc', 'a', 'left')).toEqual(numkeys);
    expect(c.call('LMPOP', '0', 'a', 'left')).toEqual(numkeys);
    expect(c.call('LMPOP', '5', 'a', 'left')).toEqual(SYNTAX);
    expect(c.call('LMPOP', '2', 'a', 'b')).toEqual(SYNTAX);
    expect(c.call('LMPOP', '1', 'a', 'middle')).toEqual(SYNTAX);
    expect(c.call('LMPOP', '1', 'a', 'left', 'COUNT', '0')).toEqual(count);
    expect(c.call('LMPOP', '1', 'a', 'left', 'COUNT', 'x')).toEqual(count);
    expect(c.call('LMPOP', '1', 'a', 'left', 'COUNT', '1', 'COUNT', '2')).toEqual(SYNTAX);
    expect(c.call('LMPOP', '1', 'a', 'left', 'COUNT')).toEqual(SYNTAX);
    expect(c.call('LMPOP', '2', 'nokey', 's', 'left')).toEqual(WRONGTYPE);
    expect(c.call('LMPOP', '1', 'a')).toEqual(errorReply("ERR wrong number of arguments for 'lmpop' command"));
  });

  it('report movable key positions as COMMAND GETKEYS does', () => {
    const lmpop = listCommands.find((s) => s.name === 'lmpop')!;
    const blmpop = listCommands.find((s) => s.name === 'blmpop')!;
    expect(commandKeys(lmpop, ['lmpop', '2', 'a', 'b', 'left'])).toEqual([2, 3]);
    expect(commandKeys(lmpop, ['lmpop', '5', 'a', 'b', 'left'])).toEqual([]);
    expect(commandKeys(blmpop, ['blmpop', '0', '2', 'a', 'b', 'left'])).toEqual([3, 4]);
    const blpop = listCommands.find((s) => s.name === 'blpop')!;
    expect(commandKeys(blpop, ['blpop', 'a', 'b', '0'])).toEqual([1, 2]);
  });
});

describe('blocking commands served at once', () => {
  it('BLPOP/BRPOP pop from the first non-empty key and propagate LPOP/RPOP of that key', () => {
    const { h, c, ops } = setup();
    c.call('RPUSH', 'k2', 'a', 'b');
    expect(c.call('BLPOP', 'k1', 'k2', '0')).toEqual(['k2', 'a']);
    expect(c.call('BRPOP', 'k1', 'k2', '0')).toEqual(['k2', 'b']);
    expect(h.core.dbs[0].dict.has('k2')).toBe(false);
    expect(ops()).toEqual([['RPUSH', 'k2', 'a', 'b'], ['LPOP', 'k2'], ['RPOP', 'k2']]);
  });

  it('BLMOVE propagates LMOVE with the positions as sent, BRPOPLPUSH propagates RPOPLPUSH', () => {
    const { c, ops } = setup();
    c.call('RPUSH', 'src', 'a', 'b');
    expect(c.call('BLMOVE', 'src', 'dst', 'Left', 'RIGHT', '0')).toBe('a');
    expect(c.call('BRPOPLPUSH', 'src', 'dst', '0')).toBe('b');
    expect(c.call('LRANGE', 'dst', '0', '-1')).toEqual(['b', 'a']);
    expect(ops()).toEqual([
      ['RPUSH', 'src', 'a', 'b'],
      ['LMOVE', 'src', 'dst', 'Left', 'RIGHT'],
      ['RPOPLPUSH', 'src', 'dst'],
    ]);
  });

  it('BLMPOP pops like LMPOP and propagates LPOP/RPOP with the popped count', () => {
    const { c, ops } = setup();
    c.call('RPUSH', 'b', '1', '2', '3');
    expect(c.call('BLMPOP', '0', '2', 'a', 'b', 'RIGHT', 'COUNT', '2')).toEqual(['b', ['3', '2']]);
    expect(c.call('BLMPOP', '0', '1', 'b', 'LEFT', 'COUNT', '9')).toEqual(['b', ['1']]);
    expect(ops()).toEqual([['RPUSH', 'b', '1', '2', '3'], ['RPOP', 'b', '2'], ['LPOP', 'b', '1']]);
  });

  it('refuse bad timeouts, positions and types with Redis texts', () => {
    const { c } = setup();
    const notFloat = errorReply('ERR timeout is not a float or out of range');
    const negative = errorReply('ERR timeout is negative');
    expect(c.call('BLPOP', 'a', 'x')).toEqual(notFloat);
    expect(c.call('BLPOP', 'a', ' 1')).toEqual(notFloat);
    expect(c.call('BLPOP', 'a', 'nan')).toEqual(notFloat);
    expect(c.call('BRPOP', 'a', '-1')).toEqual(negative);
    expect(c.call('BRPOP', 'a', 'inf')).toEqual(negative);
    expect(c.call('BRPOP', 'a', '1e20')).toEqual(negative);
    expect(c.call('BLMOVE', 'a', 'b', 'left', 'up', 'x')).toEqual(SYNTAX);
    expect(c.call('BLMOVE', 'a', 'b', 'left', 'right', 'x')).toEqual(notFloat);
    expect(c.call('BRPOPLPUSH', 'a', 'b', '-0.5')).toEqual(negative);
    expect(c.call('BLMPOP', 'x', '1', 'a', 'left')).toEqual(notFloat);
    expect(c.call('BLMPOP', 'x', '0', 'a', 'left')).toEqual(errorReply('ERR numkeys should be greater than 0'));
    expect(c.call('BLMPOP', '0', '1', 'a', 'left', 'COUNT', '0')).toEqual(errorReply('ERR count should be greater than 0'));
    expect(c.call('BLPOP', 's', '0')).toEqual(WRONGTYPE);
    expect(c.call('BLMOVE', 's', 'b', 'left', 'right', '0')).toEqual(WRONGTYPE);
    expect(c.call('BLMPOP', '0', '1', 's', 'left')).toEqual(WRONGTYPE);
  });

  it('answer the timeout reply at once inside MULTI', () => {
    const { c, ops } = setup();
    c.call('MULTI');
    c.call('BLPOP', 'q', '0');
    c.call('BRPOP', 'q', '0');
    c.call('BLMOVE', 'q', 'd', 'left', 'right', '0');
    c.call('BRPOPLPUSH', 'q', 'd', '0');
    c.call('BLMPOP', '0', '1', 'q', 'left');
    expect(c.call('EXEC')).toEqual([NULL_ARRAY, NULL_ARRAY, null, null, NULL_ARRAY]);
    expect(ops()).toEqual([]);
  });
});

describe('blocking commands that wait', () => {
  it('BLPOP blocks until another client pushes, then pops and propagates LPOP after the LPUSH', () => {
    const { h } = setup();
    const a = h.client();
    const b = h.client();
    a.send('BLPOP', 'q', '0');
    expect(a.next()).toBeUndefined();
    expect(b.call('LPUSH', 'q', 'x')).toBe(1);
    expect(a.next()).toEqual(['q', 'x']);
    expect(h.core.dbs[0].dict.has('q')).toBe(false);
    expect(h.propagated).toEqual([['SELECT', '0'], ['LPUSH', 'q', 'x'], ['LPOP', 'q']]);
  });

  it('serves blocked clients in the order they blocked', () => {
    const { h, ops } = setup();
    const a = h.client();
    const b = h.client();
    const pusher = h.client();
    a.send('BRPOP', 'q', '0');
    b.send('BRPOP', 'q', '0');
    pusher.call('RPUSH', 'q', '1');
    expect(a.next()).toEqual(['q', '1']);
    expect(b.next()).toBeUndefined();
    pusher.call('RPUSH', 'q', '2', '3');
    expect(b.next()).toEqual(['q', '3']);
    expect(pusher.call('LRANGE', 'q', '0', '-1')).toEqual(['2']);
    expect(ops()).toEqual([['RPUSH', 'q', '1'], ['RPOP', 'q'], ['RPUSH', 'q', '2', '3'], ['RPOP', 'q']]);
  });

  it('times out with a null array once the deadline passes, not before', () => {
    const { h } = setup();
    const a = h.client();
    a.send('BLPOP', 'q', '1.5');
    h.clock.advance(1499);
    h.core.timeoutBlocked();
    expect(a.next()).toBeUndefined();
    h.clock.advance(1);
    h.core.timeoutBlocked();
    expect(a.next()).toEqual(NULL_ARRAY);
    expect(h.core.blockedOn.size).toBe(0);
  });

  it('times out BLMOVE, BRPOPLPUSH and BLMPOP with a null array (as redis-server 7.0.15)', () => {
    const { h } = setup();
    const a = h.client();
    const b = h.client();
    const m = h.client();
    a.send('BLMOVE', 'q', 'd', 'left', 'right', '1');
    b.send('BRPOPLPUSH', 'q', 'd', '0.001');
    m.send('BLMPOP', '0.5', '1', 'q', 'left');
    h.clock.advance(1000);
    h.core.timeoutBlocked();
    expect(a.next()).toEqual(NULL_ARRAY);
    expect(b.next()).toEqual(NULL_ARRAY);
    expect(m.next()).toEqual(NULL_ARRAY);
  });

  it('a timeout of 0 waits forever', () => {
    const { h } = setup();
    const a = h.client();
    a.send('BLPOP', 'q', '0');
    h.clock.advance(1e12);
    h.core.timeoutBlocked();
    expect(a.next()).toBeUndefined();
    h.client().call('RPUSH', 'q', 'v');
    expect(a.next()).toEqual(['q', 'v']);
  });

  it("runs a blocked client's pipelined next command after it is served", () => {
    const { h } = setup();
    const a = h.client();
    a.send('BLPOP', 'q', '0');
    a.send('LLEN', 'q');
    expect(a.next()).toBeUndefined();
    h.client().call('RPUSH', 'q', 'x', 'y');
    expect(a.next()).toEqual(['q', 'x']);
    expect(a.next()).toBe(1);
  });

  it('BLMOVE served after blocking propagates LMOVE with lowercase positions', () => {
    const { h, ops } = setup();
    const a = h.client();
    a.send('BLMOVE', 'src', 'dst', 'RIGHT', 'LEFT', '0');
    h.client().call('RPUSH', 'src', 'a', 'b');
    expect(a.next()).toBe('b');
    expect(h.client().call('LRANGE', 'dst', '0', '-1')).toEqual(['b']);
    expect(ops()).toEqual([
      ['RPUSH', 'src', 'a', 'b'],
      ['LMOVE', 'src', 'dst', 'right', 'left'],
    ]);
  });

  it('BRPOPLPUSH served after blocking propagates RPOPLPUSH and can wake a client blocked on its destination', () => {
    const { h, ops } = setup();
    const a = h.client();
    const b = h.client();
    a.send('BRPOPLPUSH', 'src', 'dst', '0');
    b.send('BLPOP', 'dst', '0');
    h.client().call('LPUSH', 'src', 'v');
    expect(a.next()).toBe('v');
    expect(b.next()).toEqual(['dst', 'v']);
    expect(ops()).toEqual([['LPUSH', 'src', 'v'], ['RPOPLPUSH', 'src', 'dst'], ['LPOP', 'dst']]);
  });

  it('BLMOVE served onto a destination of another type replies WRONGTYPE and leaves the source', () => {
    const { h } = setup();
    const a = h.client();
    a.send('BLMOVE', 'src', 's', 'left', 'left', '0');
    const c = h.client();
    c.call('RPUSH', 'src', 'v');
    expect(a.next()).toEqual(WRONGTYPE);
    expect(c.call('LRANGE', 'src', '0', '-1')).toEqual(['v']);
    expect(h.core.blockedOn.size).toBe(0);
  });

  it('BLMPOP served after blocking pops up to COUNT and propagates the popped count', () => {
    const { h, ops } = setup();
    const a = h.client();
    a.send('BLMPOP', '0', '2', 'x', 'y', 'LEFT', 'COUNT', '3');
    h.client().call('RPUSH', 'y', '1', '2');
    expect(a.next()).toEqual(['y', ['1', '2']]);
    expect(ops()).toEqual([['RPUSH', 'y', '1', '2'], ['LPOP', 'y', '2']]);
  });

  it('keeps waiting when a watched key becomes another type, and is served from its other key', () => {
    const { h } = setup();
    const a = h.client();
    a.send('BLPOP', 'k1', 'k2', '0');
    // Another type written to a blocked-on key: Redis 7.0 does not serve (nor fail) the client from it.
    h.core.dbs[0].dict.set('k1', 'str');
    h.core.signalModifiedKey(0, 'k1');
    h.core.handleReadyKeys();
    expect(a.next()).toBeUndefined();
    h.client().call('RPUSH', 'k2', 'v');
    expect(a.next()).toEqual(['k2', 'v']);
  });

  it('blocks in the selected database only', () => {
    const { h } = setup();
    const a = h.client();
    const b = h.client();
    a.call('SELECT', '1');
    a.send('BLPOP', 'q', '0');
    b.call('RPUSH', 'q', 'db0');
    expect(a.next()).toBeUndefined();
    b.call('SELECT', '1');
    b.call('RPUSH', 'q', 'db1');
    expect(a.next()).toEqual(['q', 'db1']);
    expect(h.core.dbs[0].dict.get('q')).toEqual(new Deque(['db0']));
  });

  it('accepts a hexadecimal float timeout as strtold does', () => {
    const { h } = setup();
    const a = h.client();
    a.send('BLPOP', 'q', '0x1p-1');
    h.clock.advance(499);
    h.core.timeoutBlocked();
    expect(a.next()).toBeUndefined();
    h.clock.advance(1);
    h.core.timeoutBlocked();
    expect(a.next()).toEqual(NULL_ARRAY);
  });
});
