import { describe, expect, it } from 'vitest';
import { createHarness } from '../../test/helpers/core-harness.js';
import { commandKeys } from '../engine/command-spec.js';
import { ErrorReply, SetReply, type Reply } from '../resp/reply.js';

const WRONGTYPE = new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value');

/** A harness with a string key 's' planted directly, for WRONGTYPE checks. */
function setup() {
  const h = createHarness();
  const c = h.client();
  h.core.dbs[0].dict.set('s', 'x');
  return { h, c };
}

/** The members of an array or RESP3 set reply, sorted. */
function sorted(r: Reply): string[] {
  const items = r instanceof SetReply ? r.items : (r as Reply[]);
  return (items as string[]).slice().sort();
}

describe('SADD / SREM', () => {
  it('SADD counts new members only', () => {
    const { c } = setup();
    expect(c.call('SADD', 'k', 'a', 'b', 'a')).toBe(2);
    expect(c.call('SADD', 'k', 'b', 'c')).toBe(1);
    expect(c.call('SCARD', 'k')).toBe(3);
  });

  it('SREM counts removed members and deletes the emptied key', () => {
    const { h, c } = setup();
    c.call('SADD', 'k', 'a', 'b', 'c');
    expect(c.call('SREM', 'k', 'a', 'zz', 'a')).toBe(1);
    expect(c.call('SREM', 'k', 'b', 'c', 'd')).toBe(2);
    expect(h.core.dbs[0].dict.has('k')).toBe(false);
    expect(c.call('SREM', 'nokey', 'a')).toBe(0);
  });

  it('propagate only when they changed the set', () => {
    const { h, c } = setup();
    c.call('SADD', 'k', 'a');
    c.call('SADD', 'k', 'a');
    c.call('SREM', 'k', 'zz');
    c.call('SREM', 'k', 'a');
    expect(h.propagated).toEqual([['SELECT', '0'], ['SADD', 'k', 'a'], ['SREM', 'k', 'a']]);
  });

  it('keep binary members intact', () => {
    const { c } = setup();
    const bin = '\x00\xff\r\n';
    c.call('SADD', 'k', bin);
    expect(c.call('SISMEMBER', 'k', bin)).toBe(1);
    expect(c.call('SMEMBERS', 'k')).toEqual([bin]);
  });
});

describe('set reads', () => {
  it('SMEMBERS, SISMEMBER, SMISMEMBER, SCARD on present and missing keys', () => {
    const { c } = setup();
    c.call('SADD', 'k', 'a', 'b');
    expect(sorted(c.call('SMEMBERS', 'k'))).toEqual(['a', 'b']);
    expect(c.call('SMEMBERS', 'nokey')).toEqual([]);
    expect(c.call('SISMEMBER', 'k', 'a')).toBe(1);
    expect(c.call('SISMEMBER', 'k', 'z')).toBe(0);
    expect(c.call('SISMEMBER', 'nokey', 'a')).toBe(0);
    expect(c.call('SMISMEMBER', 'k', 'a', 'z', 'b')).toEqual([1, 0, 1]);
    expect(c.call('SMISMEMBER', 'nokey', 'a', 'b')).toEqual([0, 0]);
    expect(c.call('SCARD', 'nokey')).toBe(0);
  });

  it('SMEMBERS, SINTER, SUNION, SDIFF reply RESP3 sets', () => {
    const { c } = setup();
    c.call('HELLO', '3');
    c.call('SADD', 'k', 'a');
    expect(c.call('SMEMBERS', 'k')).toEqual(new SetReply(['a']));
    expect(c.call('SMEMBERS', 'nokey')).toEqual(new SetReply([]));
    expect(c.call('SINTER', 'k')).toEqual(new SetReply(['a']));
    expect(c.call('SUNION', 'k')).toEqual(new SetReply(['a']));
    expect(c.call('SDIFF', 'k')).toEqual(new SetReply(['a']));
    expect(c.call('SINTER', 'k', 'nokey')).toEqual(new SetReply([]));
  });

  it('answers WRONGTYPE for every command on a non-set', () => {
    const { c } = setup();
    c.call('SADD', 'k', 'a');
    for (const argv of [
      ['SADD', 's', 'a'],
      ['SREM', 's', 'a'],
      ['SMEMBERS', 's'],
      ['SISMEMBER', 's', 'a'],
      ['SMISMEMBER', 's', 'a'],
      ['SCARD', 's'],
      ['SPOP', 's'],
      ['SPOP', 's', '2'],
      ['SRANDMEMBER', 's'],
      ['SRANDMEMBER', 's', '2'],
      ['SMOVE', 's', 'k', 'a'],
      ['SMOVE', 'k', 's', 'a'],
      ['SINTER', 'k', 's'],
      ['SINTERCARD', '2', 'k', 's'],
      ['SINTERSTORE', 'd', 'k', 's'],
      ['SUNION', 'k', 's'],
      ['SUNIONSTORE', 'd', 'k', 's'],
      ['SDIFF', 'k', 's'],
      ['SDIFFSTORE', 'd', 'k', 's'],
    ]) {
      expect(c.call(...argv)).toEqual(WRONGTYPE);
    }
  });

  it('reports WRONGTYPE even after a missing key in an intersection', () => {
    const { c } = setup();
    expect(c.call('SINTER', 'nokey', 's')).toEqual(WRONGTYPE);
    expect(c.call('SINTERCARD', '2', 'nokey', 's')).toEqual(WRONGTYPE);
    expect(c.call('SINTERSTORE', 'd', 'nokey', 's')).toEqual(WRONGTYPE);
  });

  it('treats a lazily expired set as missing and propagates its DEL', () => {
    const { h, c } = setup();
    c.call('SADD', 'k', 'a');
    h.core.dbs[0].expires.set('k', h.clock.now + 10);
    h.clock.advance(20);
    expect(c.call('SISMEMBER', 'k', 'a')).toBe(0);
    expect(c.call('SCARD', 'k')).toBe(0);
    expect(h.core.dbs[0].dict.has('k')).toBe(false);
    expect(h.propagated).toEqual([['SELECT', '0'], ['SADD', 'k', 'a'], ['DEL', 'k']]);
  });
});

describe('SPOP', () => {
  it('pops one random member, deleting the emptied key; nil for a missing key', () => {
    const { h, c } = setup();
    c.call('SADD', 'k', 'a', 'b');
    const first = c.call('SPOP', 'k') as string;
    expect(['a', 'b']).toContain(first);
    const second = c.call('SPOP', 'k') as string;
    expect([first, second].sort()).toEqual(['a', 'b']);
    expect(h.core.dbs[0].dict.has('k')).toBe(false);
    expect(c.call('SPOP', 'k')).toBe(null);
  });

  it('propagates a single pop as SREM of the member, even when it empties the set', () => {
    const { h, c } = setup();
    c.call('SADD', 'k', 'a');
    c.call('SPOP', 'k');
    c.call('SPOP', 'k');
    expect(h.propagated).toEqual([['SELECT', '0'], ['SADD', 'k', 'a'], ['SREM', 'k', 'a']]);
  });

  it('pops count distinct members and propagates one SREM each, wrapped in MULTI/EXEC', () => {
    const { h, c } = setup();
    c.call('SADD', 'k', 'a', 'b', 'c', 'd', 'e');
    const popped = c.call('SPOP', 'k', '2') as string[];
    expect(popped).toHaveLength(2);
    expect(new Set(popped).size).toBe(2);
    expect(c.call('SCARD', 'k')).toBe(3);
    for (const m of popped) expect(c.call('SISMEMBER', 'k', m)).toBe(0);
    expect(h.propagated.slice(2)).toEqual([['MULTI'], ...popped.map((m) => ['SREM', 'k', m]), ['EXEC']]);
  });

  it('a count of one pops one member with a single SREM', () => {
    const { h, c } = setup();
    c.call('SADD', 'k', 'a', 'b');
    const popped = c.call('SPOP', 'k', '1') as string[];
    expect(popped).toHaveLength(1);
    expect(h.propagated.slice(2)).toEqual([['SREM', 'k', popped[0]]]);
  });

  it('a count covering the whole set returns it all and propagates DEL', () => {
    const { h, c } = setup();
    c.call('SADD', 'k', 'a', 'b', 'c');
    expect(sorted(c.call('SPOP', 'k', '3'))).toEqual(['a', 'b', 'c']);
    expect(h.core.dbs[0].dict.has('k')).toBe(false);
    c.call('SADD', 'k', 'a');
    expect(c.call('SPOP', 'k', '10')).toEqual(['a']);
    expect(h.propagated.slice(2)).toEqual([['DEL', 'k'], ['SADD', 'k', 'a'], ['DEL', 'k']]);
  });

  it('count 0 and a missing key give an empty set and propagate nothing', () => {
    const { h, c } = setup();
    c.call('SADD', 'k', 'a');
    expect(c.call('SPOP', 'k', '0')).toEqual([]);
    expect(c.call('SPOP', 'nokey', '3')).toEqual([]);
    c.call('HELLO', '3');
    expect(c.call('SPOP', 'nokey', '3')).toEqual(new SetReply([]));
    expect(c.call('SPOP', 'k', '1')).toEqual(new SetReply(['a']));
    expect(h.propagated).toEqual([['SELECT', '0'], ['SADD', 'k', 'a'], ['DEL', 'k']]);
  });

  it('validates the count before the key, with Redis texts', () => {
    const { c } = setup();
    expect(c.call('SPOP', 'k', '-1')).toEqual(new ErrorReply('ERR value is out of range, must be positive'));
    expect(c.call('SPOP', 'k', 'abc')).toEqual(new ErrorReply('ERR value is out of range, must be positive'));
    expect(c.call('SPOP', 's', '-1')).toEqual(new ErrorReply('ERR value is out of range, must be positive'));
    expect(c.call('SPOP', 'k', '1', '2')).toEqual(new ErrorReply('ERR syntax error'));
  });
});

describe('SRANDMEMBER', () => {
  it('returns a random member without removing it, nil for a missing key', () => {
    const { h, c } = setup();
    c.call('SADD', 'k', 'a', 'b');
    for (let i = 0; i < 10; i++) expect(['a', 'b']).toContain(c.call('SRANDMEMBER', 'k'));
    expect(c.call('SCARD', 'k')).toBe(2);
    expect(c.call('SRANDMEMBER', 'nokey')).toBe(null);
    expect(h.propagated).toEqual([['SELECT', '0'], ['SADD', 'k', 'a', 'b']]);
  });

  it('a positive count returns distinct members, at most the whole set', () => {
    const { c } = setup();
    c.call('SADD', 'k', 'a', 'b', 'c', 'd', 'e', 'f');
    for (let i = 0; i < 20; i++) {
      const r = c.call('SRANDMEMBER', 'k', '4') as string[];
      expect(r).toHaveLength(4);
      expect(new Set(r).size).toBe(4);
    }
    expect(sorted(c.call('SRANDMEMBER', 'k', '100'))).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(c.call('SRANDMEMBER', 'k', '0')).toEqual([]);
    expect(c.call('SRANDMEMBER', 'nokey', '5')).toEqual([]);
  });

  it('a negative count returns that many members, possibly repeated, as an array even in RESP3', () => {
    const { c } = setup();
    c.call('SADD', 'k', 'a');
    expect(c.call('SRANDMEMBER', 'k', '-3')).toEqual(['a', 'a', 'a']);
    c.call('HELLO', '3');
    expect(c.call('SRANDMEMBER', 'k', '-2')).toEqual(['a', 'a']);
    expect(c.call('SRANDMEMBER', 'nokey', '-2')).toEqual([]);
  });

  it('validates the count with Redis texts', () => {
    const { c } = setup();
    expect(c.call('SRANDMEMBER', 'k', 'abc')).toEqual(new ErrorReply('ERR value is not an integer or out of range'));
    expect(c.call('SRANDMEMBER', 'k', '-9223372036854775808')).toEqual(
      new ErrorReply('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807'),
    );
    expect(c.call('SRANDMEMBER', 'k', '1', '2')).toEqual(new ErrorReply('ERR syntax error'));
  });
});

describe('SMOVE', () => {
  it('moves a member, creating the destination and deleting an emptied source', () => {
    const { h, c } = setup();
    c.call('SADD', 'src', 'a');
    expect(c.call('SMOVE', 'src', 'dst', 'a')).toBe(1);
    expect(h.core.dbs[0].dict.has('src')).toBe(false);
    expect(c.call('SMEMBERS', 'dst')).toEqual(['a']);
  });

  it('moves a member already in the destination', () => {
    const { c } = setup();
    c.call('SADD', 'src', 'a', 'b');
    c.call('SADD', 'dst', 'a');
    expect(c.call('SMOVE', 'src', 'dst', 'a')).toBe(1);
    expect(c.call('SMEMBERS', 'src')).toEqual(['b']);
    expect(c.call('SMEMBERS', 'dst')).toEqual(['a']);
  });

  it('returns 0 for a missing member or source, even when the destination has the wrong type', () => {
    const { c } = setup();
    c.call('SADD', 'src', 'a');
    expect(c.call('SMOVE', 'src', 'dst', 'zz')).toBe(0);
    expect(c.call('SMOVE', 'nokey', 's', 'a')).toBe(0);
    expect(c.call('SMOVE', 'src', 's', 'zz')).toEqual(WRONGTYPE);
  });

  it('is a membership test when source and destination are the same key', () => {
    const { h, c } = setup();
    c.call('SADD', 'k', 'a');
    expect(c.call('SMOVE', 'k', 'k', 'a')).toBe(1);
    expect(c.call('SMOVE', 'k', 'k', 'b')).toBe(0);
    expect(c.call('SMEMBERS', 'k')).toEqual(['a']);
    expect(h.propagated).toEqual([['SELECT', '0'], ['SADD', 'k', 'a']]);
  });

  it('propagates as sent only when a member moved', () => {
    const { h, c } = setup();
    c.call('SADD', 'src', 'a');
    c.call('SMOVE', 'src', 'dst', 'zz');
    c.call('SMOVE', 'src', 'dst', 'a');
    expect(h.propagated.slice(2)).toEqual([['SMOVE', 'src', 'dst', 'a']]);
  });
});

describe('SINTER / SUNION / SDIFF', () => {
  it('compute intersections, unions and differences; missing keys are empty sets', () => {
    const { c } = setup();
    c.call('SADD', 'a', '1', '2', '3', '4');
    c.call('SADD', 'b', '2', '3', '5');
    c.call('SADD', 'c', '3', '4', '6');
    expect(sorted(c.call('SINTER', 'a', 'b'))).toEqual(['2', '3']);
    expect(sorted(c.call('SINTER', 'a', 'b', 'c'))).toEqual(['3']);
    expect(sorted(c.call('SINTER', 'a', 'a'))).toEqual(['1', '2', '3', '4']);
    expect(c.call('SINTER', 'a', 'nokey')).toEqual([]);
    expect(sorted(c.call('SUNION', 'a', 'b', 'nokey'))).toEqual(['1', '2', '3', '4', '5']);
    expect(c.call('SUNION', 'nokey')).toEqual([]);
    expect(sorted(c.call('SDIFF', 'a', 'b'))).toEqual(['1', '4']);
    expect(sorted(c.call('SDIFF', 'a', 'b', 'c'))).toEqual(['1']);
    expect(sorted(c.call('SDIFF', 'a', 'nokey'))).toEqual(['1', '2', '3', '4']);
    expect(c.call('SDIFF', 'nokey', 'a')).toEqual([]);
    expect(c.call('SDIFF', 'a', 'b', 'a')).toEqual([]);
  });

  it('never propagate', () => {
    const { h, c } = setup();
    c.call('SADD', 'a', '1');
    c.call('SINTER', 'a');
    c.call('SUNION', 'a');
    c.call('SDIFF', 'a');
    expect(h.propagated).toEqual([['SELECT', '0'], ['SADD', 'a', '1']]);
  });
});

describe('SINTERCARD', () => {
  it('counts the intersection, stopping at LIMIT', () => {
    const { c } = setup();
    c.call('SADD', 'a', '1', '2', '3', '4');
    c.call('SADD', 'b', '1', '2', '3', '5');
    expect(c.call('SINTERCARD', '2', 'a', 'b')).toBe(3);
    expect(c.call('SINTERCARD', '2', 'a', 'b', 'LIMIT', '2')).toBe(2);
    expect(c.call('SINTERCARD', '2', 'a', 'b', 'limit', '0')).toBe(3);
    expect(c.call('SINTERCARD', '2', 'a', 'b', 'LIMIT', '9223372036854775807')).toBe(3);
    expect(c.call('SINTERCARD', '1', 'a')).toBe(4);
    expect(c.call('SINTERCARD', '2', 'a', 'nokey')).toBe(0);
  });

  it('validates numkeys and LIMIT with Redis texts', () => {
    const { c } = setup();
    expect(c.call('SINTERCARD', '0', 'a')).toEqual(new ErrorReply('ERR numkeys should be greater than 0'));
    expect(c.call('SINTERCARD', '-1', 'a')).toEqual(new ErrorReply('ERR numkeys should be greater than 0'));
    expect(c.call('SINTERCARD', 'abc', 'a')).toEqual(new ErrorReply('ERR numkeys should be greater than 0'));
    expect(c.call('SINTERCARD', '2', 'a')).toEqual(new ErrorReply("ERR Number of keys can't be greater than number of args"));
    expect(c.call('SINTERCARD', '1', 'a', 'LIMIT', '-1')).toEqual(new ErrorReply("ERR LIMIT can't be negative"));
    expect(c.call('SINTERCARD', '1', 'a', 'LIMIT', 'abc')).toEqual(new ErrorReply("ERR LIMIT can't be negative"));
    expect(c.call('SINTERCARD', '1', 'a', 'LIMIT')).toEqual(new ErrorReply('ERR syntax error'));
    expect(c.call('SINTERCARD', '1', 'a', 'foo')).toEqual(new ErrorReply('ERR syntax error'));
  });

  it('finds its keys from numkeys', () => {
    const { h } = setup();
    const spec = h.core.commands.get('sintercard')!;
    expect(commandKeys(spec, ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '1'])).toEqual([2, 3]);
    expect(commandKeys(spec, ['SINTERCARD', '5', 'a'])).toEqual([]);
    expect(spec.flags).toEqual(['readonly', 'movablekeys']);
  });
});

describe('SINTERSTORE / SUNIONSTORE / SDIFFSTORE', () => {
  it('store the result, replacing the destination and its TTL, and reply its size', () => {
    const { h, c } = setup();
    c.call('SADD', 'a', '1', '2', '3');
    c.call('SADD', 'b', '2', '3', '4');
    c.call('SADD', 'd', 'old');
    h.core.dbs[0].expires.set('d', h.clock.now + 100_000);
    expect(c.call('SINTERSTORE', 'd', 'a', 'b')).toBe(2);
    expect(sorted(c.call('SMEMBERS', 'd'))).toEqual(['2', '3']);
    expect(h.core.dbs[0].expires.has('d')).toBe(false);
    expect(c.call('SUNIONSTORE', 'd', 'a', 'b')).toBe(4);
    expect(sorted(c.call('SMEMBERS', 'd'))).toEqual(['1', '2', '3', '4']);
    expect(c.call('SDIFFSTORE', 'd', 'a', 'b')).toBe(1);
    expect(c.call('SMEMBERS', 'd')).toEqual(['1']);
  });

  it('overwrite a destination of another type', () => {
    const { h, c } = setup();
    c.call('SADD', 'a', '1');
    expect(c.call('SUNIONSTORE', 's', 'a')).toBe(1);
    expect(h.core.dbs[0].dict.get('s')).toEqual(new Set(['1']));
  });

  it('may use the destination as a source', () => {
    const { c } = setup();
    c.call('SADD', 'a', '1', '2');
    c.call('SADD', 'b', '2', '3');
    expect(c.call('SUNIONSTORE', 'a', 'a', 'b')).toBe(3);
    expect(sorted(c.call('SMEMBERS', 'a'))).toEqual(['1', '2', '3']);
  });

  it('store a copy, not the source set itself', () => {
    const { c } = setup();
    c.call('SADD', 'a', '1');
    c.call('SUNIONSTORE', 'd', 'a');
    c.call('SADD', 'a', '2');
    expect(c.call('SMEMBERS', 'd')).toEqual(['1']);
  });

  it('delete the destination when the result is empty and propagate as sent', () => {
    const { h, c } = setup();
    c.call('SADD', 'a', '1');
    c.call('SADD', 'd1', 'x');
    c.call('SADD', 'd2', 'x');
    c.call('SADD', 'd3', 'x');
    expect(c.call('SINTERSTORE', 'd1', 'a', 'nokey')).toBe(0);
    expect(c.call('SDIFFSTORE', 'd2', 'a', 'a')).toBe(0);
    expect(c.call('SUNIONSTORE', 'd3', 'nokey')).toBe(0);
    for (const k of ['d1', 'd2', 'd3']) expect(h.core.dbs[0].dict.has(k)).toBe(false);
    expect(h.propagated.slice(5)).toEqual([
      ['SINTERSTORE', 'd1', 'a', 'nokey'],
      ['SDIFFSTORE', 'd2', 'a', 'a'],
      ['SUNIONSTORE', 'd3', 'nokey'],
    ]);
  });

  it('propagate nothing when the result is empty and the destination did not exist', () => {
    const { h, c } = setup();
    c.call('SADD', 'a', '1');
    expect(c.call('SINTERSTORE', 'd', 'a', 'nokey')).toBe(0);
    expect(c.call('SDIFFSTORE', 'd', 'a', 'a')).toBe(0);
    expect(c.call('SUNIONSTORE', 'd', 'nokey')).toBe(0);
    expect(h.propagated).toEqual([['SELECT', '0'], ['SADD', 'a', '1']]);
  });

  it('propagate as sent when they stored a result', () => {
    const { h, c } = setup();
    c.call('SADD', 'a', '1');
    c.call('SUNIONSTORE', 'd', 'a');
    c.call('SINTERSTORE', 'd', 'a');
    c.call('SDIFFSTORE', 'd', 'a', 'nokey');
    expect(h.propagated.slice(2)).toEqual([
      ['SUNIONSTORE', 'd', 'a'],
      ['SINTERSTORE', 'd', 'a'],
      ['SDIFFSTORE', 'd', 'a', 'nokey'],
    ]);
  });

  it('read expired sources as missing', () => {
    const { h, c } = setup();
    c.call('SADD', 'a', '1');
    c.call('SADD', 'b', '1');
    h.core.dbs[0].expires.set('b', h.clock.now + 10);
    h.clock.advance(20);
    expect(c.call('SINTERSTORE', 'd', 'a', 'b')).toBe(0);
    expect(c.call('SUNIONSTORE', 'd', 'a', 'b')).toBe(1);
    expect(h.propagated.slice(3)).toEqual([['DEL', 'b'], ['SUNIONSTORE', 'd', 'a', 'b']]);
  });
});

describe('set command table', () => {
  it('uses Redis 7 arity, flags and key positions', () => {
    const { h } = setup();
    const spec = (n: string) => h.core.commands.get(n)!;
    expect(spec('sadd')).toMatchObject({ arity: -3, flags: ['write', 'denyoom', 'fast'], firstKey: 1, lastKey: 1, step: 1 });
    expect(spec('smove')).toMatchObject({ arity: 4, flags: ['write', 'fast'], firstKey: 1, lastKey: 2, step: 1 });
    expect(spec('sinterstore')).toMatchObject({ arity: -3, flags: ['write', 'denyoom'], firstKey: 1, lastKey: -1 });
    expect(spec('srandmember')).toMatchObject({ arity: -2, flags: ['readonly'] });
    expect(spec('smismember')).toMatchObject({ since: '6.2.0' });
  });
});
