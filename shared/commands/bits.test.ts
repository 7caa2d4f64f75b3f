import { describe, expect, it } from 'vitest';
import { ErrorReply } from '../resp/reply.js';
import { Deque } from '../store/deque.js';
import { createHarness } from '../../test/helpers/core-harness.js';

const NOW = 1_700_000_000_000;
const WRONGTYPE = new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value');
const SYNTAX = new ErrorReply('ERR syntax error');
const NOT_INTEGER = new ErrorReply('ERR value is not an integer or out of range');
const BAD_OFFSET = new ErrorReply('ERR bit offset is not an integer or out of range');
const BAD_TYPE = new ErrorReply('ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.');

/** A harness plus helpers: `ops()` returns what was propagated since the last call, without SELECT framing. */
function setup() {
  const h = createHarness({ now: NOW });
  const c = h.client();
  const db = h.core.dbs[0];
  let seen = 0;
  const ops = () => {
    const out = h.propagated.slice(seen).filter((op) => op[0] !== 'SELECT');
    seen = h.propagated.length;
    return out;
  };
  db.dict.set('l', new Deque(['a']));
  return { h, c, db, ops };
}

describe('SETBIT and GETBIT', () => {
  it('SETBIT returns the old bit and zero-pads the string to reach the offset', () => {
    const { c } = setup();
    expect(c.call('SETBIT', 'k', '7', '1')).toBe(0);
    expect(c.call('GET', 'k')).toBe('\x01');
    expect(c.call('SETBIT', 'k', '7', '0')).toBe(1);
    expect(c.call('SETBIT', 'k', '17', '1')).toBe(0);
    expect(c.call('GET', 'k')).toBe('\x00\x00\x40');
  });

  it('SETBIT propagates only when the string changes (a new bit value, or growth)', () => {
    const { c, ops } = setup();
    c.call('SETBIT', 'k', '3', '1');
    c.call('SETBIT', 'k', '3', '1');
    c.call('SETBIT', 'k', '15', '0');
    c.call('SETBIT', 'k', '15', '0');
    expect(ops()).toEqual([
      ['SETBIT', 'k', '3', '1'],
      ['SETBIT', 'k', '15', '0'],
    ]);
  });

  it('SETBIT keeps the TTL', () => {
    const { c, db } = setup();
    c.call('SET', 'k', 'a', 'EX', '10');
    c.call('SETBIT', 'k', '0', '1');
    expect(db.expires.get('k')).toBe(NOW + 10_000);
  });

  it('SETBIT validates the offset, then the bit, then the type', () => {
    const { c } = setup();
    const badBit = new ErrorReply('ERR bit is not an integer or out of range');
    expect(c.call('SETBIT', 'k', '-1', '1')).toEqual(BAD_OFFSET);
    expect(c.call('SETBIT', 'k', 'x', '1')).toEqual(BAD_OFFSET);
    expect(c.call('SETBIT', 'k', '4294967296', '1')).toEqual(BAD_OFFSET);
    expect(c.call('SETBIT', 'k', '0', '2')).toEqual(badBit);
    expect(c.call('SETBIT', 'k', '0', '-1')).toEqual(badBit);
    expect(c.call('SETBIT', 'k', '0', 'x')).toEqual(badBit);
    expect(c.call('SETBIT', 'l', '0', '1')).toEqual(WRONGTYPE);
  });

  it('GETBIT reads bits MSB first; past the end and missing keys read 0', () => {
    const { c } = setup();
    c.call('SET', 'k', '\x80\x01');
    expect(c.call('GETBIT', 'k', '0')).toBe(1);
    expect(c.call('GETBIT', 'k', '1')).toBe(0);
    expect(c.call('GETBIT', 'k', '15')).toBe(1);
    expect(c.call('GETBIT', 'k', '1000')).toBe(0);
    expect(c.call('GETBIT', 'nope', '3')).toBe(0);
    expect(c.call('GETBIT', 'k', '-1')).toEqual(BAD_OFFSET);
    expect(c.call('GETBIT', 'l', '0')).toEqual(WRONGTYPE);
  });

  it('GETBIT sees lazily expired keys as missing', () => {
    const { h, c } = setup();
    c.call('SET', 'k', '\xff', 'PX', '5');
    h.clock.advance(6);
    expect(c.call('GETBIT', 'k', '0')).toBe(0);
  });
});

describe('BITCOUNT', () => {
  it('counts set bits in the whole string or a byte range', () => {
    const { c } = setup();
    c.call('SET', 'k', 'foobar');
    expect(c.call('BITCOUNT', 'k')).toBe(26);
    expect(c.call('BITCOUNT', 'k', '0', '0')).toBe(4);
    expect(c.call('BITCOUNT', 'k', '1', '1')).toBe(6);
    expect(c.call('BITCOUNT', 'k', '1', '1', 'byte')).toBe(6);
    expect(c.call('BITCOUNT', 'k', '-2', '-1')).toBe(7);
    expect(c.call('BITCOUNT', 'k', '-1', '-2')).toBe(0);
    expect(c.call('BITCOUNT', 'k', '3', '100')).toBe(10);
  });

  it('counts a BIT range, excluding the edge bits outside it', () => {
    const { c } = setup();
    c.call('SET', 'k', 'foobar');
    expect(c.call('BITCOUNT', 'k', '5', '30', 'BIT')).toBe(17);
    expect(c.call('BITCOUNT', 'k', '1', '2', 'bit')).toBe(2);
    expect(c.call('BITCOUNT', 'k', '-3', '-1', 'BIT')).toBe(1);
  });

  it('answers 0 for a missing key before looking at the arguments', () => {
    const { c } = setup();
    expect(c.call('BITCOUNT', 'nope')).toBe(0);
    expect(c.call('BITCOUNT', 'nope', '1')).toBe(0);
  });

  it('rejects a lone start, an unknown unit and non-integers', () => {
    const { c } = setup();
    c.call('SET', 'k', 'x');
    expect(c.call('BITCOUNT', 'k', '1')).toEqual(SYNTAX);
    expect(c.call('BITCOUNT', 'k', '0', '1', 'WORD')).toEqual(SYNTAX);
    expect(c.call('BITCOUNT', 'k', '0', '1', 'BIT', 'x')).toEqual(SYNTAX);
    expect(c.call('BITCOUNT', 'k', 'a', '1')).toEqual(NOT_INTEGER);
    expect(c.call('BITCOUNT', 'l')).toEqual(WRONGTYPE);
  });
});

describe('BITPOS', () => {
  it('finds the first set or clear bit, optionally in a BYTE or BIT range', () => {
    const { c } = setup();
    c.call('SET', 'k', '\xff\xf0\x00');
    expect(c.call('BITPOS', 'k', '0')).toBe(12);
    c.call('SET', 'k', '\x00\xff\xf0');
    expect(c.call('BITPOS', 'k', '1', '0')).toBe(8);
    expect(c.call('BITPOS', 'k', '1', '2')).toBe(16);
    expect(c.call('BITPOS', 'k', '1', '2', '-1', 'BYTE')).toBe(16);
    expect(c.call('BITPOS', 'k', '1', '7', '15', 'BIT')).toBe(8);
    expect(c.call('BITPOS', 'k', '0', '9', '-1', 'bit')).toBe(20);
    c.call('SET', 'k', '\x00\x00\x00');
    expect(c.call('BITPOS', 'k', '1')).toBe(-1);
    expect(c.call('BITPOS', 'k', '1', '7', '-3', 'BIT')).toBe(-1);
  });

  it('looking for 0 in all ones answers the first bit past the string, unless an end was given', () => {
    const { c } = setup();
    c.call('SET', 'k', '\xff\xff');
    expect(c.call('BITPOS', 'k', '0')).toBe(16);
    expect(c.call('BITPOS', 'k', '0', '1')).toBe(16);
    expect(c.call('BITPOS', 'k', '0', '0', '-1')).toBe(-1);
    expect(c.call('BITPOS', 'k', '0', '3', '12', 'BIT')).toBe(-1);
  });

  it('treats a missing key as endless zeros and an empty range as no match', () => {
    const { c } = setup();
    expect(c.call('BITPOS', 'nope', '0')).toBe(0);
    expect(c.call('BITPOS', 'nope', '1', 'x')).toBe(-1);
    c.call('SET', 'k', '\x0f');
    expect(c.call('BITPOS', 'k', '1', '2', '1')).toBe(-1);
  });

  it('rejects a bit other than 0 or 1, bad ranges, unknown units and non-strings', () => {
    const { c } = setup();
    c.call('SET', 'k', 'x');
    expect(c.call('BITPOS', 'k', '2')).toEqual(new ErrorReply('ERR The bit argument must be 1 or 0.'));
    expect(c.call('BITPOS', 'k', 'x')).toEqual(NOT_INTEGER);
    expect(c.call('BITPOS', 'k', '1', 'a')).toEqual(NOT_INTEGER);
    expect(c.call('BITPOS', 'k', '1', '0', '1', 'WORD')).toEqual(SYNTAX);
    expect(c.call('BITPOS', 'k', '1', '0', '1', 'BIT', 'x')).toEqual(SYNTAX);
    expect(c.call('BITPOS', 'l', '1')).toEqual(WRONGTYPE);
  });
});

describe('BITOP', () => {
  it('computes AND, OR, XOR over strings of different lengths, zero-padding the short ones', () => {
    const { c } = setup();
    c.call('MSET', 'a', '\xff\x0f\xaa', 'b', '\x0f\xff');
    expect(c.call('BITOP', 'AND', 'd', 'a', 'b')).toBe(3);
    expect(c.call('GET', 'd')).toBe('\x0f\x0f\x00');
    expect(c.call('BITOP', 'or', 'd', 'a', 'b', 'nope')).toBe(3);
    expect(c.call('GET', 'd')).toBe('\xff\xff\xaa');
    expect(c.call('BITOP', 'XOR', 'd', 'a', 'b')).toBe(3);
    expect(c.call('GET', 'd')).toBe('\xf0\xf0\xaa');
  });

  it('NOT inverts a single source and refuses more', () => {
    const { c } = setup();
    c.call('SET', 'a', '\x0f\x00');
    expect(c.call('BITOP', 'NOT', 'd', 'a')).toBe(2);
    expect(c.call('GET', 'd')).toBe('\xf0\xff');
    expect(c.call('BITOP', 'NOT', 'd', 'a', 'a')).toEqual(new ErrorReply('ERR BITOP NOT must be called with a single source key.'));
  });

  it('stores the result without TTL and propagates as sent', () => {
    const { c, db, ops } = setup();
    c.call('SET', 'd', 'x', 'EX', '10');
    c.call('SET', 'a', 'y');
    ops();
    c.call('BITOP', 'OR', 'd', 'a');
    expect(db.expires.has('d')).toBe(false);
    expect(ops()).toEqual([['BITOP', 'OR', 'd', 'a']]);
  });

  it('with only empty or missing sources deletes the destination, propagating only if it existed', () => {
    const { c, db, ops } = setup();
    c.call('SET', 'd', 'x');
    ops();
    expect(c.call('BITOP', 'AND', 'd', 'nope1', 'nope2')).toBe(0);
    expect(db.dict.has('d')).toBe(false);
    expect(c.call('BITOP', 'AND', 'd', 'nope1')).toBe(0);
    expect(ops()).toEqual([['BITOP', 'AND', 'd', 'nope1', 'nope2']]);
  });

  it('rejects unknown operations and non-string sources', () => {
    const { c } = setup();
    expect(c.call('BITOP', 'NAND', 'd', 'a')).toEqual(SYNTAX);
    expect(c.call('BITOP', 'AND', 'd', 'l')).toEqual(WRONGTYPE);
  });
});

describe('BITFIELD', () => {
  it('runs GET, SET and INCRBY in order, SET replying the old value and INCRBY the new one', () => {
    const { c } = setup();
    expect(c.call('BITFIELD', 'k', 'SET', 'i8', '0', '-100', 'GET', 'i8', '0', 'GET', 'u8', '0')).toEqual([0, -100, 156]);
    expect(c.call('BITFIELD', 'k', 'INCRBY', 'i5', '100', '1', 'GET', 'u4', '0')).toEqual([1, 9]);
    expect(c.call('GET', 'k')).toBe('\x9c' + '\x00'.repeat(12) + '\x80');
  });

  it('addresses #N offsets in units of the field width', () => {
    const { c } = setup();
    expect(c.call('BITFIELD', 'k', 'SET', 'u8', '#1', '255', 'GET', 'u4', '#3', 'GET', 'u4', '#2')).toEqual([0, 15, 15]);
    expect(c.call('GET', 'k')).toBe('\x00\xff');
  });

  it('wraps, saturates or fails on overflow as OVERFLOW says, for the ops after it', () => {
    const { c } = setup();
    const steps = ['INCRBY', 'u2', '100', '1', 'OVERFLOW', 'SAT', 'INCRBY', 'u2', '102', '1'];
    expect(c.call('BITFIELD', 'k', ...steps)).toEqual([1, 1]);
    expect(c.call('BITFIELD', 'k', ...steps)).toEqual([2, 2]);
    expect(c.call('BITFIELD', 'k', ...steps)).toEqual([3, 3]);
    expect(c.call('BITFIELD', 'k', ...steps)).toEqual([0, 3]);
    expect(c.call('BITFIELD', 'k', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '102', '1')).toEqual([null]);
    expect(c.call('BITFIELD', 'k', 'OVERFLOW', 'sat', 'SET', 'i8', '0', '200', 'INCRBY', 'i8', '0', '-300')).toEqual([0, -128]);
    expect(c.call('BITFIELD', 'k', 'SET', 'i8', '0', '200', 'GET', 'i8', '0')).toEqual([-128, -56]);
  });

  it('handles the 64-bit extremes of i64 and u63', () => {
    const { c } = setup();
    expect(c.call('BITFIELD', 'k', 'SET', 'i64', '0', '-9223372036854775808', 'INCRBY', 'i64', '0', '-1', 'GET', 'u63', '1')).toEqual([
      0,
      9223372036854775807n,
      9223372036854775807n,
    ]);
    expect(
      c.call('BITFIELD', 'm', 'SET', 'u63', '0', '9223372036854775807', 'OVERFLOW', 'SAT', 'INCRBY', 'u63', '0', '1', 'OVERFLOW', 'WRAP', 'INCRBY', 'u63', '0', '1'),
    ).toEqual([0, 9223372036854775807n, 0]);
  });

  it('saturates like Redis does even where its 64-bit arithmetic wraps', () => {
    const { c } = setup();
    expect(c.call('BITFIELD', 'k', 'OVERFLOW', 'SAT', 'SET', 'i8', '0', '-9223372036854775808', 'GET', 'i8', '0')).toEqual([0, 127]);
    expect(c.call('BITFIELD', 'k', 'OVERFLOW', 'SAT', 'SET', 'u8', '0', '-1', 'GET', 'u8', '0')).toEqual([127, 255]);
  });

  it('propagates as sent only when a field changed or the string grew', () => {
    const { c, ops } = setup();
    c.call('BITFIELD', 'k', 'SET', 'u8', '0', '0');
    c.call('BITFIELD', 'k', 'SET', 'u8', '0', '0');
    c.call('BITFIELD', 'k', 'GET', 'u8', '0');
    c.call('BITFIELD', 'k', 'INCRBY', 'u8', '0', '5');
    expect(ops()).toEqual([
      ['BITFIELD', 'k', 'SET', 'u8', '0', '0'],
      ['BITFIELD', 'k', 'INCRBY', 'u8', '0', '5'],
    ]);
  });

  it('creates the zero-padded key even when every write FAILs, without propagating, as Redis does', () => {
    const { c, db, ops } = setup();
    expect(c.call('BITFIELD', 'k', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '9')).toEqual([null]);
    expect(db.dict.get('k')).toBe('\x00');
    expect(ops()).toEqual([]);
  });

  it('only reads for GET-only calls: a missing key reads zeros and is not created', () => {
    const { c, db } = setup();
    expect(c.call('BITFIELD', 'k', 'GET', 'i16', '3')).toEqual([0]);
    expect(c.call('BITFIELD', 'k')).toEqual([]);
    expect(db.dict.has('k')).toBe(false);
  });

  it('keeps the TTL of the string it changes', () => {
    const { c, db } = setup();
    c.call('SET', 'k', 'a', 'PX', '100');
    c.call('BITFIELD', 'k', 'SET', 'u8', '16', '1');
    expect(db.expires.get('k')).toBe(NOW + 100);
  });

  it('validates every op before running any', () => {
    const { c, db } = setup();
    for (const t of ['u64', 'i65', 'i0', 'I8', 'x8', 'u']) {
      expect(c.call('BITFIELD', 'k', 'SET', 'u8', '0', '1', 'GET', t, '0')).toEqual(BAD_TYPE);
    }
    expect(c.call('BITFIELD', 'k', 'SET', 'u8', '0', '1', 'GET', 'u8', '-1')).toEqual(BAD_OFFSET);
    expect(c.call('BITFIELD', 'k', 'GET', 'u8', '#-1')).toEqual(BAD_OFFSET);
    expect(c.call('BITFIELD', 'k', 'SET', 'u8', '0', 'x')).toEqual(NOT_INTEGER);
    expect(c.call('BITFIELD', 'k', 'SET', 'u8', '0')).toEqual(SYNTAX);
    expect(c.call('BITFIELD', 'k', 'FOO')).toEqual(SYNTAX);
    expect(c.call('BITFIELD', 'k', 'OVERFLOW', 'MAYBE')).toEqual(new ErrorReply('ERR Invalid OVERFLOW type specified'));
    expect(db.dict.has('k')).toBe(false);
  });

  it('answers WRONGTYPE for a non-string, for reads and writes', () => {
    const { c } = setup();
    expect(c.call('BITFIELD', 'l', 'GET', 'u8', '0')).toEqual(WRONGTYPE);
    expect(c.call('BITFIELD', 'l', 'SET', 'u8', '0', '1')).toEqual(WRONGTYPE);
  });
});

describe('BITFIELD_RO', () => {
  it('runs GETs and refuses writes', () => {
    const { c, ops } = setup();
    c.call('SET', 'k', '\x81');
    ops();
    expect(c.call('BITFIELD_RO', 'k', 'GET', 'u1', '0', 'GET', 'i8', '0')).toEqual([1, -127]);
    expect(c.call('BITFIELD_RO', 'k', 'GET', 'u8', '0', 'INCRBY', 'u8', '0', '1')).toEqual(
      new ErrorReply('ERR BITFIELD_RO only supports the GET subcommand'),
    );
    expect(c.call('BITFIELD_RO', 'k', 'SET', 'u8', '0', 'x')).toEqual(NOT_INTEGER);
    expect(c.call('BITFIELD_RO', 'l', 'GET', 'u8', '0')).toEqual(WRONGTYPE);
    expect(ops()).toEqual([]);
  });
});
