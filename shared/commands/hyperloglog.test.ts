import { describe, expect, it } from 'vitest';
import { createHarness, OK_REPLY } from '../../test/helpers/core-harness.js';
import { bytesToBinary } from '../bytes.js';
import { ErrorReply, NULL_ARRAY, SimpleString } from '../resp/reply.js';
import { HLL_DENSE_SIZE, hllElementFor } from '../store/hyperloglog.js';

const WRONGTYPE = new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value');
const NOT_HLL = new ErrorReply('WRONGTYPE Key is not a valid HyperLogLog string value.');
const INVALIDOBJ = new ErrorReply('INVALIDOBJ Corrupted HLL object detected');

/** A harness with a client, and the propagated stream cleared of what setup sent. */
function setup() {
  const h = createHarness();
  const c = h.client();
  return { h, c };
}

/** What was propagated since `from`, without the SELECT framing. */
function propagatedSince(h: ReturnType<typeof createHarness>, from: number): string[][] {
  return h.propagated.slice(from).filter((cmd) => cmd[0].toUpperCase() !== 'SELECT');
}

/** The element that sets `index` to `count`, as a binary string. */
const elementFor = (index: number, count: number) => bytesToBinary(hllElementFor(index, count));

describe('PFADD', () => {
  it('creates the key (1 even with no elements), then answers 1 only when a register grows', () => {
    const { c } = setup();
    expect(c.call('PFADD', 'h')).toBe(1);
    expect(c.call('GET', 'h')).toBe('HYLL\x01\x00\x00\x00' + '\x00'.repeat(7) + '\x80\x7f\xff');
    expect(c.call('PFADD', 'h')).toBe(0);
    expect(c.call('PFADD', 'h', 'a', 'b')).toBe(1);
    expect(c.call('PFADD', 'h', 'a', 'b')).toBe(0);
    expect(c.call('PFDEBUG', 'ENCODING', 'h')).toEqual(new SimpleString('sparse'));
    expect(c.call('PFCOUNT', 'h')).toBe(2);
  });

  it('propagates as sent when something changed, and not otherwise', () => {
    const { h, c } = setup();
    const from = h.propagated.length;
    c.call('PFADD', 'h', 'a');
    c.call('PFADD', 'h', 'a');
    c.call('pfadd', 'h', 'b');
    expect(propagatedSince(h, from)).toEqual([
      ['PFADD', 'h', 'a'],
      ['pfadd', 'h', 'b'],
    ]);
  });

  it('keeps the TTL of an existing key, and starts afresh on a lazily expired one', () => {
    const { h, c } = setup();
    c.call('PFADD', 'h', 'a');
    c.call('PEXPIRE', 'h', '1000');
    c.call('PFADD', 'h', 'b');
    expect(c.call('PTTL', 'h')).toBe(1000);
    h.clock.advance(1001);
    expect(c.call('PFADD', 'h', 'c')).toBe(1);
    expect(c.call('PTTL', 'h')).toBe(-1);
    expect(c.call('PFCOUNT', 'h')).toBe(1);
  });

  it('turns dense once the sparse form would pass hll-sparse-max-bytes', () => {
    const { c } = setup();
    expect(c.call('CONFIG', 'SET', 'hll-sparse-max-bytes', '30')).toEqual(OK_REPLY);
    for (let i = 0; i < 3; i++) c.call('PFADD', 'h', `e${i}`);
    expect(c.call('PFDEBUG', 'ENCODING', 'h')).toEqual(new SimpleString('sparse'));
    for (let i = 3; i < 10; i++) c.call('PFADD', 'h', `e${i}`);
    expect(c.call('PFDEBUG', 'ENCODING', 'h')).toEqual(new SimpleString('dense'));
    expect((c.call('GET', 'h') as string).length).toBe(HLL_DENSE_SIZE);
    expect(c.call('PFCOUNT', 'h')).toBe(10);
  });

  it('rejects other types and strings that are not HyperLogLogs', () => {
    const { c } = setup();
    c.call('RPUSH', 'l', 'a');
    c.call('SET', 's', 'not an hll at all');
    c.call('SET', 'n', '123');
    expect(c.call('PFADD', 'l', 'x')).toEqual(WRONGTYPE);
    expect(c.call('PFADD', 's', 'x')).toEqual(NOT_HLL);
    expect(c.call('PFADD', 'n')).toEqual(NOT_HLL);
    expect(c.call('PFADD')).toEqual(new ErrorReply("ERR wrong number of arguments for 'pfadd' command"));
  });

  it('a corrupt sparse value: INVALIDOBJ, earlier elements stay applied, nothing propagated', () => {
    const { h, c } = setup();
    c.call('SET', 'bad', 'HYLL\x01\x00\x00\x00' + '\x00'.repeat(7) + '\x80\x7e\x7f');
    const from = h.propagated.length;
    expect(c.call('PFADD', 'bad', elementFor(100, 2), elementFor(16200, 2))).toEqual(INVALIDOBJ);
    expect(c.call('PFDEBUG', 'DECODE', 'bad')).toBe('Z:100 v:2,1 Z:15899');
    expect(propagatedSince(h, from)).toEqual([]);
  });
});

describe('PFCOUNT', () => {
  it('writes the cache back and propagates PFCOUNT itself only when the cache was stale', () => {
    const { h, c } = setup();
    c.call('PFADD', 'h', 'a', 'b', 'c');
    const from = h.propagated.length;
    expect(c.call('PFCOUNT', 'h')).toBe(3);
    expect((c.call('GET', 'h') as string).slice(8, 16)).toBe('\x03' + '\x00'.repeat(7));
    expect(c.call('PFCOUNT', 'h')).toBe(3);
    expect(c.call('PFCOUNT', 'h', 'h')).toBe(3);
    expect(c.call('PFCOUNT', 'missing')).toBe(0);
    expect(propagatedSince(h, from)).toEqual([['PFCOUNT', 'h']]);
  });

  it('writing the cache touches the key: a WATCH on it fails', () => {
    const { c } = setup();
    c.call('PFADD', 'h', 'a');
    c.call('WATCH', 'h');
    c.call('PFCOUNT', 'h');
    c.call('MULTI');
    c.call('PING');
    expect(c.call('EXEC')).toEqual(NULL_ARRAY);
  });

  it('answers a valid cache without reading the registers, even when they are corrupt', () => {
    const { c } = setup();
    c.call('SET', 'h', 'HYLL\x01\x00\x00\x00\x2a' + '\x00'.repeat(7) + '\x7e\x7f');
    expect(c.call('PFCOUNT', 'h')).toBe(42);
    c.call('SETRANGE', 'h', '15', '\x80');
    expect(c.call('PFCOUNT', 'h')).toEqual(INVALIDOBJ);
    expect(c.call('PFCOUNT', 'h', 'other')).toEqual(INVALIDOBJ);
  });

  it('an estimate past 2^63 is replied as -2^63 and cached with the invalid bit set, so it is recounted', () => {
    const { h, c } = setup();
    // Every register at 51 (the bytes 0xf3 0x3c 0xcf repeat the 6-bit pattern 110011).
    c.call('SET', 'x', 'HYLL\x00\x00\x00\x00' + '\x00'.repeat(7) + '\x80' + '\xf3\x3c\xcf'.repeat(4096));
    expect(c.call('PFDEBUG', 'GETREG', 'x')).toEqual(new Array(16384).fill(51));
    const from = h.propagated.length;
    expect(c.call('PFCOUNT', 'x')).toBe(-9223372036854775808n);
    expect((c.call('GET', 'x') as string).slice(8, 16)).toBe('\x00'.repeat(7) + '\x80');
    expect(c.call('PFCOUNT', 'x')).toBe(-9223372036854775808n);
    expect(c.call('PFCOUNT', 'x', 'nokey')).toBe(-9223372036854775808n);
    expect(propagatedSince(h, from)).toEqual([
      ['PFCOUNT', 'x'],
      ['PFCOUNT', 'x'],
    ]);
  });

  it('several keys: the union, missing keys as empty, nothing written or propagated', () => {
    const { h, c } = setup();
    c.call('PFADD', 'a', '1', '2', '3');
    c.call('PFADD', 'b', '3', '4');
    const before = c.call('GET', 'a');
    const from = h.propagated.length;
    expect(c.call('PFCOUNT', 'a', 'b', 'nokey')).toBe(4);
    expect(c.call('GET', 'a')).toBe(before);
    expect(propagatedSince(h, from)).toEqual([]);
    c.call('RPUSH', 'l', 'x');
    expect(c.call('PFCOUNT', 'a', 'l')).toEqual(WRONGTYPE);
    expect(c.call('PFCOUNT')).toEqual(new ErrorReply("ERR wrong number of arguments for 'pfcount' command"));
  });
});

describe('PFMERGE', () => {
  it('merges into a new sparse destination when every source is sparse, and always propagates', () => {
    const { h, c } = setup();
    c.call('PFADD', 'a', 'x', 'y');
    c.call('PFADD', 'b', 'y', 'z');
    const from = h.propagated.length;
    expect(c.call('PFMERGE', 'd', 'a', 'b')).toEqual(OK_REPLY);
    expect(c.call('PFDEBUG', 'ENCODING', 'd')).toEqual(new SimpleString('sparse'));
    expect(c.call('PFCOUNT', 'd')).toBe(3);
    expect(c.call('PFMERGE', 'd')).toEqual(OK_REPLY);
    expect(c.call('PFCOUNT', 'd')).toBe(3);
    expect(propagatedSince(h, from)).toEqual([
      ['PFMERGE', 'd', 'a', 'b'],
      ['PFCOUNT', 'd'],
      ['PFMERGE', 'd'],
      ['PFCOUNT', 'd'],
    ]);
  });

  it('a dense source makes the destination dense; the destination is one of the sources', () => {
    const { c } = setup();
    c.call('PFADD', 'a', 'x', 'y');
    c.call('PFADD', 'big', elementFor(9, 40));
    expect(c.call('PFDEBUG', 'ENCODING', 'big')).toEqual(new SimpleString('dense'));
    expect(c.call('PFMERGE', 'a', 'big')).toEqual(OK_REPLY);
    expect(c.call('PFDEBUG', 'ENCODING', 'a')).toEqual(new SimpleString('dense'));
    expect(c.call('PFCOUNT', 'a')).toBe(3);
    const regs = c.call('PFDEBUG', 'GETREG', 'a') as number[];
    expect(regs[9]).toBe(40);
  });

  it('refuses a non-HLL source or destination before writing anything', () => {
    const { c } = setup();
    c.call('SET', 's', 'plain');
    c.call('PFADD', 'a', 'x');
    expect(c.call('PFMERGE', 'd', 'a', 's')).toEqual(NOT_HLL);
    expect(c.call('PFMERGE', 's', 'a')).toEqual(NOT_HLL);
    expect(c.call('EXISTS', 'd')).toBe(0);
    expect(c.call('GET', 's')).toBe('plain');
  });
});

describe('PFDEBUG', () => {
  it('GETREG and TODENSE convert a sparse value and propagate; ENCODING and DECODE do not', () => {
    const { h, c } = setup();
    c.call('PFADD', 'h', 'a');
    c.call('PFADD', 'g', 'b');
    const from = h.propagated.length;
    expect(c.call('PFDEBUG', 'ENCODING', 'h')).toEqual(new SimpleString('sparse'));
    expect(typeof c.call('PFDEBUG', 'DECODE', 'h')).toBe('string');
    expect(c.call('PFDEBUG', 'TODENSE', 'h')).toBe(1);
    expect(c.call('PFDEBUG', 'TODENSE', 'h')).toBe(0);
    expect((c.call('PFDEBUG', 'GETREG', 'g') as number[]).length).toBe(16384);
    expect((c.call('PFDEBUG', 'GETREG', 'g') as number[]).filter((r) => r > 0).length).toBe(1);
    expect(propagatedSince(h, from)).toEqual([
      ['PFDEBUG', 'TODENSE', 'h'],
      ['PFDEBUG', 'GETREG', 'g'],
    ]);
  });

  it('converting to dense is no change a WATCH sees (no key signal), as in Redis', () => {
    const { c } = setup();
    c.call('PFADD', 'h', 'a');
    c.call('WATCH', 'h');
    c.call('PFDEBUG', 'TODENSE', 'h');
    c.call('MULTI');
    c.call('PING');
    expect(c.call('EXEC')).toEqual([new SimpleString('PONG')]);
  });

  it('errors: missing key first, then type, then the subcommand', () => {
    const { c } = setup();
    c.call('PFADD', 'h', 'a');
    c.call('PFDEBUG', 'TODENSE', 'h');
    expect(c.call('PFDEBUG', 'nosuch', 'nokey')).toEqual(new ErrorReply('ERR The specified key does not exist'));
    expect(c.call('PFDEBUG', 'NoSuch', 'h')).toEqual(new ErrorReply("ERR Unknown PFDEBUG subcommand 'NoSuch'"));
    expect(c.call('PFDEBUG', 'DECODE', 'h')).toEqual(new ErrorReply('ERR HLL encoding is not sparse'));
    c.call('SET', 's', 'x');
    expect(c.call('PFDEBUG', 'GETREG', 's')).toEqual(NOT_HLL);
    expect(c.call('PFDEBUG', 'GETREG')).toEqual(new ErrorReply("ERR wrong number of arguments for 'pfdebug' command"));
  });
});
