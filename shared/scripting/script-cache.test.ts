import { describe, expect, it } from 'vitest';
import { Lrand48, LRAND48_MAX } from './lua-random.js';
import { formatG, luaNumberToString } from './number-format.js';
import { parseShebang, ScriptFlag, splitArgs } from './script-cache.js';
import { sha1Hex } from '../sha1.js';

describe('sha1Hex', () => {
  it('matches the standard test vectors, on binary strings', () => {
    expect(sha1Hex('')).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(sha1Hex('abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(sha1Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('84983e441c3bd26ebaae4aa1f95129e5e54670f1');
    expect(sha1Hex('a'.repeat(1000))).toBe('291e9a6c66994949b57ba5e650361e98fc36b1ba');
    expect(sha1Hex('return 1')).toBe('e0e1f9fabfc9d4800c877a703b823ac0578ff8db');
  });
});

describe('Lrand48 (Redis rand.c)', () => {
  it('starts from the POSIX default state, so the first draw is drand48()s 0.396464773760275', () => {
    const r = new Lrand48();
    expect(r.next() / LRAND48_MAX).toBeCloseTo(0.396464773760275, 9);
  });

  it('is reproducible after seeding, and different seeds give different sequences', () => {
    const a = new Lrand48();
    const b = new Lrand48();
    a.seed(7);
    b.seed(7);
    const seqA = [a.next(), a.next(), a.next()];
    expect([b.next(), b.next(), b.next()]).toEqual(seqA);
    b.seed(8);
    expect(b.next()).not.toBe(seqA[0]);
    for (const v of seqA) expect(v >= 0 && v <= LRAND48_MAX).toBe(true);
  });
});

describe('number formatting', () => {
  it('%.14g as Lua 5.1 tostring, with glibc spellings of inf and nan', () => {
    expect(luaNumberToString(5)).toBe('5');
    expect(luaNumberToString(0.1)).toBe('0.1');
    expect(luaNumberToString(1e15)).toBe('1e+15');
    expect(luaNumberToString(2 ** 53)).toBe('9.007199254741e+15');
    expect(luaNumberToString(123456789012345)).toBe('1.2345678901234e+14');
    expect(luaNumberToString(1e-5)).toBe('1e-05');
    expect(luaNumberToString(0.0001)).toBe('0.0001');
    expect(luaNumberToString(-0)).toBe('-0');
    expect(luaNumberToString(Infinity)).toBe('inf');
    expect(luaNumberToString(-Infinity)).toBe('-inf');
    const zero = 0;
    expect(luaNumberToString(zero / zero)).toBe('-nan');
    expect(luaNumberToString(-(zero / zero))).toBe('nan');
  });

  it('%.17g for redis.call arguments', () => {
    expect(formatG(0.1, 17)).toBe('0.10000000000000001');
    expect(formatG(3, 17)).toBe('3');
    expect(formatG(1e20, 17)).toBe('1e+20');
    expect(formatG(99999999999999999, 17)).toBe('1e+17');
  });
});

describe('shebang', () => {
  it('no shebang: EVAL compatibility mode', () => {
    expect(parseShebang('return 1')).toEqual({ flags: ScriptFlag.EVAL_COMPAT_MODE, length: 0 });
  });

  it('flags, and the length of the line (the line feed stays in the body)', () => {
    expect(parseShebang('#!lua flags=no-writes,allow-stale\nreturn 1')).toEqual({
      flags: ScriptFlag.NO_WRITES | ScriptFlag.ALLOW_STALE,
      length: 33,
    });
    expect(parseShebang('#!lua\nreturn 1')).toEqual({ flags: 0, length: 5 });
    expect(parseShebang('#!lua "flags=no-cluster"\n')).toEqual({ flags: ScriptFlag.NO_CLUSTER, length: 24 });
  });

  it("Redis's errors", () => {
    expect(parseShebang('#!lua')).toEqual({ error: 'ERR Invalid script shebang' });
    expect(parseShebang('#!js\n')).toEqual({ error: 'ERR Unexpected engine in script shebang: #!js' });
    expect(parseShebang('#!lua name=x\n')).toEqual({ error: 'ERR Unknown lua shebang option: name=x' });
    expect(parseShebang('#!lua flags=no-writes,nope\n')).toEqual({ error: 'ERR Unexpected flag in script shebang: nope' });
    expect(parseShebang('#!lua "unbalanced\n')).toEqual({ error: 'ERR Invalid engine in script shebang' });
  });

  it('splitArgs splits as sdssplitargs', () => {
    expect(splitArgs('  a "b c" \'d e\' "\\x41\\n" ')).toEqual(['a', 'b c', 'd e', 'A\n']);
    expect(splitArgs('"a"b')).toBe(null);
    expect(splitArgs('')).toEqual([]);
  });
});
