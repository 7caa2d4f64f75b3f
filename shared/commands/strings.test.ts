import { describe, expect, it } from 'vitest';
import { ErrorReply } from '../resp/reply.js';
import { Deque } from '../store/deque.js';
import { createHarness, OK_REPLY } from '../../test/helpers/core-harness.js';
import { stringCommands } from './strings.js';

const NOW = 1_700_000_000_000;
const WRONGTYPE = new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value');
const SYNTAX = new ErrorReply('ERR syntax error');
const NOT_INTEGER = new ErrorReply('ERR value is not an integer or out of range');
const NOT_FLOAT = new ErrorReply('ERR value is not a valid float');

/** A harness plus helpers: `ops()` returns what was propagated since the last call, without SELECT framing. */
function setup(config?: Record<string, string>) {
  const h = createHarness({ now: NOW, config });
  const c = h.client();
  const db = h.core.dbs[0];
  let seen = 0;
  const ops = () => {
    const out = h.propagated.slice(seen).filter((op) => op[0] !== 'SELECT');
    seen = h.propagated.length;
    return out;
  };
  const makeList = (key: string) => db.dict.set(key, new Deque(['a']));
  return { h, c, db, ops, makeList };
}

describe('string command table', () => {
  it('declares arity, flags and key positions as Redis 7.0 COMMAND INFO does', () => {
    const info = Object.fromEntries(stringCommands.map((s) => [s.name, [s.arity, s.flags.join(' '), s.firstKey, s.lastKey, s.step]]));
    expect(info).toMatchObject({
      get: [2, 'readonly fast', 1, 1, 1],
      set: [-3, 'write denyoom', 1, 1, 1],
      setnx: [3, 'write denyoom fast', 1, 1, 1],
      setex: [4, 'write denyoom', 1, 1, 1],
      psetex: [4, 'write denyoom', 1, 1, 1],
      mget: [-2, 'readonly fast', 1, -1, 1],
      mset: [-3, 'write denyoom', 1, -1, 2],
      msetnx: [-3, 'write denyoom', 1, -1, 2],
      getset: [3, 'write denyoom fast', 1, 1, 1],
      getdel: [2, 'write fast', 1, 1, 1],
      getex: [-2, 'write fast', 1, 1, 1],
      append: [3, 'write denyoom fast', 1, 1, 1],
      strlen: [2, 'readonly fast', 1, 1, 1],
      incr: [2, 'write denyoom fast', 1, 1, 1],
      decr: [2, 'write denyoom fast', 1, 1, 1],
      incrby: [3, 'write denyoom fast', 1, 1, 1],
      decrby: [3, 'write denyoom fast', 1, 1, 1],
      incrbyfloat: [3, 'write denyoom fast', 1, 1, 1],
      getrange: [4, 'readonly', 1, 1, 1],
      substr: [4, 'readonly', 1, 1, 1],
      setrange: [4, 'write denyoom', 1, 1, 1],
      lcs: [-3, 'readonly', 1, 2, 1],
      setbit: [4, 'write denyoom', 1, 1, 1],
      getbit: [3, 'readonly fast', 1, 1, 1],
      bitcount: [-2, 'readonly', 1, 1, 1],
      bitpos: [-3, 'readonly', 1, 1, 1],
      bitop: [-4, 'write denyoom', 2, -1, 1],
      bitfield: [-2, 'write denyoom', 1, 1, 1],
      bitfield_ro: [-2, 'readonly fast', 1, 1, 1],
    });
  });

  it('rejects wrong arity with the command name', () => {
    const { c } = setup();
    expect(c.call('GET')).toEqual(new ErrorReply("ERR wrong number of arguments for 'get' command"));
    expect(c.call('SETEX', 'k', '1')).toEqual(new ErrorReply("ERR wrong number of arguments for 'setex' command"));
  });
});

describe('GET and SET', () => {
  it('stores binary-safe values and reads them back; a missing key is null', () => {
    const { c } = setup();
    const bytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    expect(c.call('SET', 'k', bytes)).toEqual(OK_REPLY);
    expect(c.call('GET', 'k')).toBe(bytes);
    expect(c.call('GET', 'nope')).toBeNull();
  });

  it('answers WRONGTYPE for GET of a non-string, and SET overwrites any type', () => {
    const { c, makeList } = setup();
    makeList('l');
    expect(c.call('GET', 'l')).toEqual(WRONGTYPE);
    expect(c.call('SET', 'l', 'v')).toEqual(OK_REPLY);
    expect(c.call('GET', 'l')).toBe('v');
  });

  it('honours NX and XX, replying null when it does not set and then propagating nothing', () => {
    const { c, ops } = setup();
    expect(c.call('SET', 'k', 'a', 'XX')).toBeNull();
    expect(c.call('SET', 'k', 'a', 'nx')).toEqual(OK_REPLY);
    expect(c.call('SET', 'k', 'b', 'NX')).toBeNull();
    expect(c.call('SET', 'k', 'c', 'XX')).toEqual(OK_REPLY);
    expect(c.call('GET', 'k')).toBe('c');
    expect(ops()).toEqual([
      ['SET', 'k', 'a', 'nx'],
      ['SET', 'k', 'c', 'XX'],
    ]);
  });

  it('with GET replies the old value, drops GET from the propagated form, and keeps NX/XX/KEEPTTL', () => {
    const { c, ops } = setup();
    expect(c.call('SET', 'k', 'a', 'GET')).toBeNull();
    expect(c.call('set', 'k', 'b', 'get', 'XX', 'GET', 'KEEPTTL')).toBe('a');
    // NX aborts: the reply is still the old value, and nothing changes.
    expect(c.call('SET', 'k', 'c', 'NX', 'GET')).toBe('b');
    expect(c.call('GET', 'k')).toBe('b');
    expect(ops()).toEqual([
      ['SET', 'k', 'a'],
      ['set', 'k', 'b', 'XX', 'KEEPTTL'],
    ]);
  });

  it('with GET against a non-string answers WRONGTYPE and sets nothing', () => {
    const { c, db, ops, makeList } = setup();
    makeList('l');
    expect(c.call('SET', 'l', 'v', 'GET')).toEqual(WRONGTYPE);
    expect(db.dict.get('l')).toBeInstanceOf(Deque);
    expect(ops()).toEqual([]);
  });

  it('turns EX, PX, EXAT and PXAT into an absolute expiry and propagates SET key value PXAT <ms>', () => {
    const { c, db, ops } = setup();
    c.call('SET', 'a', '1', 'EX', '10');
    c.call('SET', 'b', '2', 'PX', '1500', 'NX');
    c.call('SET', 'c', '3', 'EXAT', String(NOW / 1000 + 100));
    c.call('SET', 'd', '4', 'PXAT', String(NOW + 7), 'GET');
    expect(db.expires.get('a')).toBe(NOW + 10_000);
    expect(db.expires.get('b')).toBe(NOW + 1500);
    expect(db.expires.get('c')).toBe(NOW + 100_000);
    expect(db.expires.get('d')).toBe(NOW + 7);
    expect(ops()).toEqual([
      ['SET', 'a', '1', 'PXAT', String(NOW + 10_000)],
      ['SET', 'b', '2', 'PXAT', String(NOW + 1500)],
      ['SET', 'c', '3', 'PXAT', String(NOW + 100_000)],
      ['SET', 'd', '4', 'PXAT', String(NOW + 7)],
    ]);
  });

  it('drops an existing TTL unless KEEPTTL is given', () => {
    const { c, db } = setup();
    c.call('SET', 'k', 'v', 'EX', '100');
    c.call('SET', 'k', 'w', 'KEEPTTL');
    expect(db.expires.get('k')).toBe(NOW + 100_000);
    c.call('SET', 'k', 'x');
    expect(db.expires.has('k')).toBe(false);
  });

  it('rejects conflicting or unknown options with a syntax error', () => {
    const { c } = setup();
    for (const opts of [['NX', 'XX'], ['EX', '1', 'PX', '1'], ['KEEPTTL', 'EX', '1'], ['EX', '1', 'KEEPTTL'], ['EX'], ['PERSIST'], ['FOO']]) {
      expect(c.call('SET', 'k', 'v', ...opts)).toEqual(SYNTAX);
    }
    expect(c.call('SET', 'k', 'v', 'EX', '1', 'EX', '2')).toEqual(OK_REPLY);
  });

  it('rejects zero, negative, non-integer and overflowing expire times', () => {
    const { c, db } = setup();
    const invalid = new ErrorReply("ERR invalid expire time in 'set' command");
    expect(c.call('SET', 'k', 'v', 'EX', '0')).toEqual(invalid);
    expect(c.call('SET', 'k', 'v', 'PX', '-5')).toEqual(invalid);
    expect(c.call('SET', 'k', 'v', 'EX', '9223372036854776')).toEqual(invalid);
    expect(c.call('SET', 'k', 'v', 'PX', '9223372036854775807')).toEqual(invalid);
    expect(c.call('SET', 'k', 'v', 'EX', '1.5')).toEqual(NOT_INTEGER);
    expect(db.dict.has('k')).toBe(false);
  });

  it('stores a key whose EXAT is already past; it expires lazily, propagating DEL', () => {
    const { c, ops } = setup();
    expect(c.call('SET', 'k', 'v', 'EXAT', '1')).toEqual(OK_REPLY);
    expect(c.call('GET', 'k')).toBeNull();
    expect(ops()).toEqual([
      ['SET', 'k', 'v', 'PXAT', '1000'],
      ['DEL', 'k'],
    ]);
  });

  it('expires keys lazily when the clock passes their TTL', () => {
    const { h, c, ops } = setup();
    c.call('SET', 'k', 'v', 'PX', '100');
    ops();
    // As Redis's keyIsExpired: the key lives through its expiry millisecond and is gone after it.
    h.clock.advance(100);
    expect(c.call('GET', 'k')).toBe('v');
    h.clock.advance(1);
    expect(c.call('GET', 'k')).toBeNull();
    expect(ops()).toEqual([['DEL', 'k']]);
  });
});

describe('SETNX, SETEX, PSETEX', () => {
  it('SETNX sets only a missing key, replying 1 or 0, and propagates only a real set', () => {
    const { c, ops } = setup();
    expect(c.call('SETNX', 'k', 'a')).toBe(1);
    expect(c.call('SETNX', 'k', 'b')).toBe(0);
    expect(c.call('GET', 'k')).toBe('a');
    expect(ops()).toEqual([['SETNX', 'k', 'a']]);
  });

  it('SETNX treats a logically expired key as missing', () => {
    const { h, c } = setup();
    c.call('SET', 'k', 'a', 'PX', '10');
    h.clock.advance(11);
    expect(c.call('SETNX', 'k', 'b')).toBe(1);
  });

  it('SETEX and PSETEX set a value with a TTL and propagate SET ... PXAT', () => {
    const { c, db, ops } = setup();
    expect(c.call('SETEX', 'a', '10', 'x')).toEqual(OK_REPLY);
    expect(c.call('PSETEX', 'b', '250', 'y')).toEqual(OK_REPLY);
    expect(c.call('GET', 'a')).toBe('x');
    expect(db.expires.get('b')).toBe(NOW + 250);
    expect(ops()).toEqual([
      ['SET', 'a', 'x', 'PXAT', String(NOW + 10_000)],
      ['SET', 'b', 'y', 'PXAT', String(NOW + 250)],
    ]);
  });

  it('SETEX and PSETEX name themselves in the invalid expire error', () => {
    const { c } = setup();
    expect(c.call('SETEX', 'k', '0', 'v')).toEqual(new ErrorReply("ERR invalid expire time in 'setex' command"));
    expect(c.call('PSETEX', 'k', '-1', 'v')).toEqual(new ErrorReply("ERR invalid expire time in 'psetex' command"));
    expect(c.call('SETEX', 'k', 'x', 'v')).toEqual(NOT_INTEGER);
  });
});

describe('MGET, MSET, MSETNX', () => {
  it('MGET returns null for missing and non-string keys', () => {
    const { c, makeList } = setup();
    makeList('l');
    c.call('SET', 'a', '1');
    expect(c.call('MGET', 'a', 'l', 'zz', 'a')).toEqual(['1', null, null, '1']);
  });

  it('MSET sets every pair, drops TTLs, and propagates as sent', () => {
    const { c, db, ops } = setup();
    c.call('SET', 'a', 'old', 'EX', '100');
    ops();
    expect(c.call('MSET', 'a', '1', 'b', '2')).toEqual(OK_REPLY);
    expect(c.call('MGET', 'a', 'b')).toEqual(['1', '2']);
    expect(db.expires.has('a')).toBe(false);
    expect(ops()).toEqual([['MSET', 'a', '1', 'b', '2']]);
  });

  it('MSET and MSETNX reject an odd number of arguments as an arity error', () => {
    const { c } = setup();
    expect(c.call('MSET', 'a', '1', 'b')).toEqual(new ErrorReply("ERR wrong number of arguments for 'mset' command"));
    expect(c.call('MSETNX', 'a', '1', 'b')).toEqual(new ErrorReply("ERR wrong number of arguments for 'msetnx' command"));
  });

  it('MSETNX sets nothing when any key exists, and all keys otherwise', () => {
    const { c, ops } = setup();
    c.call('SET', 'b', 'x');
    ops();
    expect(c.call('MSETNX', 'a', '1', 'b', '2')).toBe(0);
    expect(c.call('GET', 'a')).toBeNull();
    expect(c.call('MSETNX', 'a', '1', 'c', '3')).toBe(1);
    expect(c.call('MGET', 'a', 'b', 'c')).toEqual(['1', 'x', '3']);
    expect(ops()).toEqual([['MSETNX', 'a', '1', 'c', '3']]);
  });
});

describe('GETSET, GETDEL, GETEX', () => {
  it('GETSET returns the old value, drops the TTL and propagates as SET', () => {
    const { c, db, ops } = setup();
    expect(c.call('GETSET', 'k', 'a')).toBeNull();
    db.expires.set('k', NOW + 100_000);
    expect(c.call('GETSET', 'k', 'b')).toBe('a');
    expect(db.expires.has('k')).toBe(false);
    expect(ops()).toEqual([
      ['SET', 'k', 'a'],
      ['SET', 'k', 'b'],
    ]);
  });

  it('GETSET on a non-string is WRONGTYPE', () => {
    const { c, makeList } = setup();
    makeList('l');
    expect(c.call('GETSET', 'l', 'v')).toEqual(WRONGTYPE);
  });

  it('GETDEL returns and deletes, propagating DEL; a missing key is null and propagates nothing', () => {
    const { c, db, ops, makeList } = setup();
    c.call('SET', 'k', 'v');
    ops();
    expect(c.call('GETDEL', 'k')).toBe('v');
    expect(db.dict.has('k')).toBe(false);
    expect(c.call('GETDEL', 'k')).toBeNull();
    expect(ops()).toEqual([['DEL', 'k']]);
    makeList('l');
    expect(c.call('GETDEL', 'l')).toEqual(WRONGTYPE);
  });

  it('GETEX without options is a GET and propagates nothing', () => {
    const { c, ops } = setup();
    c.call('SET', 'k', 'v');
    ops();
    expect(c.call('GETEX', 'k')).toBe('v');
    expect(c.call('GETEX', 'nope')).toBeNull();
    expect(ops()).toEqual([]);
  });

  it('GETEX EX/PX/EXAT/PXAT set the TTL and propagate PEXPIREAT', () => {
    const { c, db, ops } = setup();
    c.call('SET', 'k', 'v');
    ops();
    expect(c.call('GETEX', 'k', 'EX', '10')).toBe('v');
    expect(db.expires.get('k')).toBe(NOW + 10_000);
    c.call('GETEX', 'k', 'px', '5');
    c.call('GETEX', 'k', 'EXAT', String(NOW / 1000 + 60));
    c.call('GETEX', 'k', 'PXAT', String(NOW + 42));
    expect(ops()).toEqual([
      ['PEXPIREAT', 'k', String(NOW + 10_000)],
      ['PEXPIREAT', 'k', String(NOW + 5)],
      ['PEXPIREAT', 'k', String(NOW + 60_000)],
      ['PEXPIREAT', 'k', String(NOW + 42)],
    ]);
  });

  it('GETEX with a past EXAT/PXAT returns the value, deletes the key and propagates DEL', () => {
    const { c, db, ops } = setup();
    c.call('SET', 'k', 'v');
    ops();
    expect(c.call('GETEX', 'k', 'PXAT', String(NOW))).toBe('v');
    expect(db.dict.has('k')).toBe(false);
    expect(ops()).toEqual([['DEL', 'k']]);
  });

  it('GETEX PERSIST removes a TTL and propagates PERSIST, only when there was one', () => {
    const { c, db, ops } = setup();
    c.call('SET', 'k', 'v', 'EX', '100');
    ops();
    expect(c.call('GETEX', 'k', 'PERSIST')).toBe('v');
    expect(db.expires.has('k')).toBe(false);
    expect(c.call('GETEX', 'k', 'PERSIST')).toBe('v');
    expect(ops()).toEqual([['PERSIST', 'k']]);
  });

  it('GETEX checks options first, then the key, then the expire value', () => {
    const { c, makeList } = setup();
    makeList('l');
    c.call('SET', 'k', 'v');
    expect(c.call('GETEX', 'nope', 'FOO')).toEqual(SYNTAX);
    expect(c.call('GETEX', 'k', 'PERSIST', 'EX', '1')).toEqual(SYNTAX);
    expect(c.call('GETEX', 'k', 'KEEPTTL')).toEqual(SYNTAX);
    expect(c.call('GETEX', 'k', 'NX')).toEqual(SYNTAX);
    expect(c.call('GETEX', 'nope', 'EX', 'abc')).toBeNull();
    expect(c.call('GETEX', 'l', 'EX', '1')).toEqual(WRONGTYPE);
    expect(c.call('GETEX', 'k', 'EX', 'abc')).toEqual(NOT_INTEGER);
    expect(c.call('GETEX', 'k', 'EX', '0')).toEqual(new ErrorReply("ERR invalid expire time in 'getex' command"));
  });
});

describe('APPEND, STRLEN, GETRANGE, SETRANGE', () => {
  it('APPEND creates or extends a string, keeps its TTL and returns the new length', () => {
    const { c, db, ops } = setup();
    expect(c.call('APPEND', 'k', 'ab')).toBe(2);
    db.expires.set('k', NOW + 5000);
    expect(c.call('APPEND', 'k', '\x00c')).toBe(4);
    expect(c.call('GET', 'k')).toBe('ab\x00c');
    expect(db.expires.get('k')).toBe(NOW + 5000);
    expect(ops()).toEqual([
      ['APPEND', 'k', 'ab'],
      ['APPEND', 'k', '\x00c'],
    ]);
  });

  it('APPEND of an empty string still creates the key', () => {
    const { c } = setup();
    expect(c.call('APPEND', 'k', '')).toBe(0);
    expect(c.call('GET', 'k')).toBe('');
  });

  it('APPEND refuses to grow a string past proto-max-bulk-len', () => {
    const { c } = setup({ 'proto-max-bulk-len': '1mb' });
    expect(c.call('SETRANGE', 'k', String(1024 * 1024 - 1), 'x')).toBe(1024 * 1024);
    expect(c.call('APPEND', 'k', 'y')).toEqual(new ErrorReply('ERR string exceeds maximum allowed size (proto-max-bulk-len)'));
  });

  it('STRLEN counts bytes; a missing key is 0; a non-string is WRONGTYPE', () => {
    const { c, makeList } = setup();
    makeList('l');
    c.call('SET', 'k', '\xff\x00\x01');
    expect(c.call('STRLEN', 'k')).toBe(3);
    expect(c.call('STRLEN', 'nope')).toBe(0);
    expect(c.call('STRLEN', 'l')).toEqual(WRONGTYPE);
  });

  it('GETRANGE and SUBSTR take inclusive, clamped, negative-aware ranges', () => {
    const { c } = setup();
    c.call('SET', 'k', 'This is a string');
    expect(c.call('GETRANGE', 'k', '0', '3')).toBe('This');
    expect(c.call('GETRANGE', 'k', '-3', '-1')).toBe('ing');
    expect(c.call('GETRANGE', 'k', '0', '-1')).toBe('This is a string');
    expect(c.call('GETRANGE', 'k', '10', '100')).toBe('string');
    expect(c.call('GETRANGE', 'k', '-1', '-5')).toBe('');
    expect(c.call('GETRANGE', 'k', '5', '3')).toBe('');
    expect(c.call('GETRANGE', 'k', '-100', '5')).toBe('This i');
    expect(c.call('GETRANGE', 'k', '-100', '-9223372036854775808')).toBe('');
    expect(c.call('SUBSTR', 'k', '5', '6')).toBe('is');
    expect(c.call('GETRANGE', 'nope', '0', '-1')).toBe('');
  });

  it('GETRANGE validates indexes before the key', () => {
    const { c, makeList } = setup();
    makeList('l');
    expect(c.call('GETRANGE', 'nope', 'a', '1')).toEqual(NOT_INTEGER);
    expect(c.call('GETRANGE', 'nope', '-0', '1')).toEqual(NOT_INTEGER);
    expect(c.call('GETRANGE', 'l', '0', '1')).toEqual(WRONGTYPE);
  });

  it('SETRANGE overwrites at an offset, zero-padding as needed, and keeps the TTL', () => {
    const { c, db, ops } = setup();
    expect(c.call('SETRANGE', 'k', '3', 'ab')).toBe(5);
    expect(c.call('GET', 'k')).toBe('\x00\x00\x00ab');
    db.expires.set('k', NOW + 1000);
    expect(c.call('SETRANGE', 'k', '1', 'XYZW')).toBe(5);
    expect(c.call('GET', 'k')).toBe('\x00XYZW');
    expect(db.expires.get('k')).toBe(NOW + 1000);
    expect(ops()).toEqual([
      ['SETRANGE', 'k', '3', 'ab'],
      ['SETRANGE', 'k', '1', 'XYZW'],
    ]);
  });

  it('SETRANGE with an empty value changes nothing: 0 for a missing key, else the length', () => {
    const { c, db, ops } = setup();
    expect(c.call('SETRANGE', 'nope', '10', '')).toBe(0);
    expect(db.dict.has('nope')).toBe(false);
    c.call('SET', 'k', 'abc');
    ops();
    expect(c.call('SETRANGE', 'k', '100', '')).toBe(3);
    expect(ops()).toEqual([]);
  });

  it('SETRANGE rejects bad offsets, oversized results and non-strings', () => {
    const { c, makeList } = setup();
    makeList('l');
    expect(c.call('SETRANGE', 'k', '-1', 'x')).toEqual(new ErrorReply('ERR offset is out of range'));
    expect(c.call('SETRANGE', 'k', 'x', 'x')).toEqual(NOT_INTEGER);
    expect(c.call('SETRANGE', 'k', '536870912', 'x')).toEqual(
      new ErrorReply('ERR string exceeds maximum allowed size (proto-max-bulk-len)'),
    );
    expect(c.call('SETRANGE', 'l', '0', 'x')).toEqual(WRONGTYPE);
  });
});

describe('INCR, DECR, INCRBY, DECRBY', () => {
  it('count from 0 on a missing key and store decimal text', () => {
    const { c, ops } = setup();
    expect(c.call('INCR', 'n')).toBe(1);
    expect(c.call('INCRBY', 'n', '41')).toBe(42);
    expect(c.call('DECR', 'n')).toBe(41);
    expect(c.call('DECRBY', 'n', '-9')).toBe(50);
    expect(c.call('DECRBY', 'm', '5')).toBe(-5);
    expect(c.call('GET', 'n')).toBe('50');
    expect(ops()).toEqual([['INCR', 'n'], ['INCRBY', 'n', '41'], ['DECR', 'n'], ['DECRBY', 'n', '-9'], ['DECRBY', 'm', '5']]);
  });

  it('keep the TTL of the key they change', () => {
    const { c, db } = setup();
    c.call('SET', 'n', '1', 'EX', '10');
    c.call('INCR', 'n');
    expect(db.expires.get('n')).toBe(NOW + 10_000);
  });

  it('work across the full signed 64-bit range and refuse to overflow it', () => {
    const { c } = setup();
    const overflow = new ErrorReply('ERR increment or decrement would overflow');
    c.call('SET', 'n', '9223372036854775806');
    expect(c.call('INCR', 'n')).toBe(9223372036854775807n);
    expect(c.call('INCR', 'n')).toEqual(overflow);
    c.call('SET', 'n', '-9223372036854775807');
    expect(c.call('DECR', 'n')).toBe(-9223372036854775808n);
    expect(c.call('DECRBY', 'n', '1')).toEqual(overflow);
    expect(c.call('INCRBY', 'n', '9223372036854775807')).toBe(-1);
    expect(c.call('DECRBY', 'n', '-9223372036854775808')).toEqual(new ErrorReply('ERR decrement would overflow'));
  });

  it('stay exact across the 15/16-digit boundary between plain-number and 64-bit arithmetic', () => {
    const { c } = setup();
    c.call('SET', 'n', '999999999999999');
    expect(c.call('INCR', 'n')).toBe(1000000000000000);
    expect(c.call('INCRBY', 'n', '8999999999999999')).toBe(9999999999999999n);
    expect(c.call('GET', 'n')).toBe('9999999999999999');
    c.call('SET', 'm', '-999999999999999');
    expect(c.call('DECR', 'm')).toBe(-1000000000000000);
    expect(c.call('DECRBY', 'm', '999999999999999')).toBe(-1999999999999999);
    expect(c.call('GET', 'm')).toBe('-1999999999999999');
  });

  it('reject values and increments that are not strict integers', () => {
    const { c } = setup();
    for (const v of ['abc', '1.0', ' 1', '+1', '-0', '01', '9223372036854775808', '']) {
      c.call('SET', 'n', v);
      expect(c.call('INCR', 'n')).toEqual(NOT_INTEGER);
    }
    expect(c.call('INCRBY', 'x', '1e3')).toEqual(NOT_INTEGER);
  });

  it('answer WRONGTYPE for a non-string', () => {
    const { c, makeList } = setup();
    makeList('l');
    expect(c.call('INCR', 'l')).toEqual(WRONGTYPE);
    expect(c.call('DECRBY', 'l', '1')).toEqual(WRONGTYPE);
  });
});

describe('INCRBYFLOAT', () => {
  it('adds in long double precision and prints like Redis (%.17Lf, trailing zeros trimmed)', () => {
    const { c } = setup();
    c.call('SET', 'f', '10.5');
    expect(c.call('INCRBYFLOAT', 'f', '0.1')).toBe('10.6');
    expect(c.call('INCRBYFLOAT', 'g', '3.0e3')).toBe('3000');
    expect(c.call('INCRBYFLOAT', 'h', '0.1')).toBe('0.1');
    expect(c.call('INCRBYFLOAT', 'h', '0.2')).toBe('0.3');
    expect(c.call('INCRBYFLOAT', 'i', '1.23456789012345678901234')).toBe('1.23456789012345679');
    expect(c.call('INCRBYFLOAT', 'j', '-885771367833775.5246')).toBe('-885771367833775.52459716796875');
    expect(c.call('INCRBYFLOAT', 'k', '1e30')).toBe('1000000000000000000024696061952');
  });

  it('reaches the long double range beyond doubles', () => {
    const { c } = setup();
    const r = c.call('INCRBYFLOAT', 'f', '1e400') as string;
    expect(r).toHaveLength(401);
    expect(r.startsWith('10000000000000000000281880683947586514586')).toBe(true);
    expect(c.call('INCRBYFLOAT', 'g', '1.2e4932')).toEqual(NOT_FLOAT);
    c.call('SET', 'h', '1.1e4932');
    expect(c.call('INCRBYFLOAT', 'h', '1e4931')).toEqual(new ErrorReply('ERR increment would produce NaN or Infinity'));
  });

  it('accepts strtold spellings: hex, a leading +, a bare fraction, and stored integers', () => {
    const { c } = setup();
    expect(c.call('INCRBYFLOAT', 'f', '0x1p-3')).toBe('0.125');
    expect(c.call('INCRBYFLOAT', 'f', '+.5e+1')).toBe('5.125');
    c.call('SET', 'g', '0x10');
    expect(c.call('INCRBYFLOAT', 'g', '5.')).toBe('21');
  });

  it('prints a negative result that rounds to zero as 0', () => {
    const { c } = setup();
    expect(c.call('INCRBYFLOAT', 'f', '-1e-30')).toBe('0');
  });

  it('rejects non-numbers, spaces, NaN and results that are infinite', () => {
    const { c, db } = setup();
    for (const bad of ['abc', ' 1', '1 ', 'nan', '1e', '', '0x', '1e-5000']) {
      expect(c.call('INCRBYFLOAT', 'f', bad)).toEqual(NOT_FLOAT);
    }
    expect(c.call('INCRBYFLOAT', 'f', 'inf')).toEqual(new ErrorReply('ERR increment would produce NaN or Infinity'));
    c.call('SET', 'g', 'x1');
    expect(c.call('INCRBYFLOAT', 'g', '1')).toEqual(NOT_FLOAT);
    expect(db.dict.has('f')).toBe(false);
  });

  it('propagates the result as SET key value KEEPTTL and keeps the TTL', () => {
    const { c, db, ops } = setup();
    c.call('SET', 'f', '1', 'PX', '500');
    ops();
    expect(c.call('INCRBYFLOAT', 'f', '1.5')).toBe('2.5');
    expect(db.expires.get('f')).toBe(NOW + 500);
    expect(ops()).toEqual([['SET', 'f', '2.5', 'KEEPTTL']]);
  });

  it('answers WRONGTYPE for a non-string', () => {
    const { c, makeList } = setup();
    makeList('l');
    expect(c.call('INCRBYFLOAT', 'l', '1')).toEqual(WRONGTYPE);
  });
});

describe('LCS', () => {
  it('returns the longest common subsequence, or its length with LEN', () => {
    const { c } = setup();
    c.call('MSET', 'a', 'ohmytext', 'b', 'mynewtext');
    expect(c.call('LCS', 'a', 'b')).toBe('mytext');
    expect(c.call('LCS', 'a', 'b', 'LEN')).toBe(6);
    expect(c.call('LCS', 'a', 'nope')).toBe('');
  });

  it('lists matching ranges with IDX, filtered by MINMATCHLEN and sized with WITHMATCHLEN', () => {
    const { c } = setup();
    c.call('MSET', 'a', 'ohmytext', 'b', 'mynewtext');
    expect(c.call('LCS', 'a', 'b', 'IDX')).toEqual([
      'matches',
      [
        [
          [4, 7],
          [5, 8],
        ],
        [
          [2, 3],
          [0, 1],
        ],
      ],
      'len',
      6,
    ]);
    expect(c.call('LCS', 'a', 'b', 'idx', 'MINMATCHLEN', '4', 'WITHMATCHLEN')).toEqual([
      'matches',
      [
        [
          [4, 7],
          [5, 8],
          4,
        ],
      ],
      'len',
      6,
    ]);
  });

  it('rejects LEN with IDX, unknown options, and non-string keys', () => {
    const { c, makeList } = setup();
    makeList('l');
    expect(c.call('LCS', 'a', 'b', 'LEN', 'IDX')).toEqual(
      new ErrorReply('ERR If you want both the length and indexes, please just use IDX.'),
    );
    expect(c.call('LCS', 'a', 'b', 'FOO')).toEqual(SYNTAX);
    expect(c.call('LCS', 'a', 'b', 'MINMATCHLEN')).toEqual(SYNTAX);
    expect(c.call('LCS', 'a', 'b', 'MINMATCHLEN', 'x')).toEqual(NOT_INTEGER);
    expect(c.call('LCS', 'a', 'l')).toEqual(new ErrorReply('ERR The specified keys must contain string values'));
  });

  it('refuses a table larger than proto-max-bulk-len', () => {
    const { c } = setup({ 'proto-max-bulk-len': '1mb' });
    c.call('SET', 'a', 'x'.repeat(600));
    expect(c.call('LCS', 'a', 'a', 'LEN')).toEqual(
      new ErrorReply('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len'),
    );
  });
});
