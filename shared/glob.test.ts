import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatch } from './glob.js';

/** The plain backtracking definition of '*' and '?' (no early exit), to check the fast path against. */
function naive(p: string, s: string): boolean {
  if (p.length === 0) return s.length === 0;
  if (p[0] === '*') {
    for (let k = 0; k <= s.length; k++) if (naive(p.slice(1), s.slice(k))) return true;
    return false;
  }
  if (s.length === 0) return false;
  return (p[0] === '?' || p[0] === s[0]) && naive(p.slice(1), s.slice(1));
}

describe('globMatch', () => {
  it('gives up on "a*a*...*b" against a long run of a as Redis 7.0 does, instead of trying every split', () => {
    // Redis's regression test "pattern matching long nested loops": 20 stars against 40 a's would take
    // about C(40,20) steps without the early exit.
    expect(globMatch('a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(40))).toBe(false);
    expect(globMatch('a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a', 'a'.repeat(40))).toBe(true);
  });

  it('agrees with plain backtracking on patterns of a, b, ? and *', () => {
    const text = (chars: string[], max: number) => fc.array(fc.constantFrom(...chars), { maxLength: max }).map((a) => a.join(''));
    fc.assert(
      fc.property(text(['a', 'b', '?', '*'], 8), text(['a', 'b'], 10), (p, s) => {
        expect(globMatch(p, s)).toBe(naive(p, s));
      }),
      { numRuns: 3000 },
    );
  });
});
