import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareLex, LEX_MAX, LEX_MIN, SortedSet, type LexBound, type LexRange, type ScoreRange } from './sorted-set.js';

type Entry = [string, number];

/** The obviously-correct model: a map sorted on demand by (score, member bytewise). */
class NaiveZset {
  readonly map = new Map<string, number>();

  sorted(): Entry[] {
    return [...this.map].sort((a, b) => (a[1] !== b[1] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  inScore(score: number, r: ScoreRange): boolean {
    return (r.minExclusive ? score > r.min : score >= r.min) && (r.maxExclusive ? score < r.max : score <= r.max);
  }

  inLex(member: string, r: LexRange): boolean {
    const lo = compareLex(member, r.min);
    const hi = compareLex(member, r.max);
    return (r.minExclusive ? lo > 0 : lo >= 0) && (r.maxExclusive ? hi < 0 : hi <= 0);
  }

  /** Applies LIMIT offset count to a list already in walk order. */
  limit(list: Entry[], offset: number, count: number): Entry[] {
    if (offset < 0) return [];
    const rest = list.slice(offset);
    return count < 0 ? rest : rest.slice(0, count);
  }
}

const member = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\x00', '\xff'), maxLength: 3 });
const score = fc.constantFrom(-Infinity, -2, -1, 0, 0.5, 1, 1.5, 2, 3, Infinity);
const scoreRange = fc.record({ min: score, max: score, minExclusive: fc.boolean(), maxExclusive: fc.boolean() });
const lexBound: fc.Arbitrary<LexBound> = fc.oneof(fc.constantFrom<LexBound>(LEX_MIN, LEX_MAX), member);
const lexRange = fc.record({ min: lexBound, max: lexBound, minExclusive: fc.boolean(), maxExclusive: fc.boolean() });
const limits = fc.record({ reverse: fc.boolean(), offset: fc.integer({ min: -1, max: 6 }), count: fc.integer({ min: -1, max: 6 }) });

const op = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), member, score }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), member }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pop' as const), max: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delScore' as const), range: scoreRange }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delRank' as const), start: fc.nat(8), len: fc.nat(4) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('queryScore' as const), range: scoreRange, limits }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('queryRank' as const), start: fc.nat(8), len: fc.nat(8), reverse: fc.boolean() }) },
);

describe('SortedSet', () => {
  it('orders by score, then member bytewise, and updates scores in place or by moving', () => {
    const z = new SortedSet();
    expect(z.add('b', 1)).toBe(true);
    expect(z.add('a', 1)).toBe(true);
    expect(z.add('\xff', 0)).toBe(true);
    expect(z.add('c', -1)).toBe(true);
    expect([...z.entries()]).toEqual([['c', -1], ['\xff', 0], ['a', 1], ['b', 1]]);
    expect(z.add('c', 5)).toBe(false);
    expect(z.add('a', 0.5)).toBe(false);
    expect([...z.entries()]).toEqual([['\xff', 0], ['a', 0.5], ['b', 1], ['c', 5]]);
    expect([...z.entriesReversed()].map((e) => e[0])).toEqual(['c', 'b', 'a', '\xff']);
    expect(z.score('c')).toBe(5);
    expect(z.score('zz')).toBeUndefined();
    expect(z.size).toBe(4);
  });

  it('answers ranks and entries by rank from both ends', () => {
    const z = new SortedSet();
    for (const [m, s] of [['a', 1], ['b', 2], ['c', 3], ['d', 4]] as Entry[]) z.add(m, s);
    expect(z.rank('a')).toBe(0);
    expect(z.rank('d')).toBe(3);
    expect(z.rank('a', true)).toBe(3);
    expect(z.rank('nope')).toBeUndefined();
    expect(z.at(1)).toEqual(['b', 2]);
    expect(z.at(0, true)).toEqual(['d', 4]);
    expect(z.at(4)).toBeUndefined();
    expect(z.rangeByRank(1, 2)).toEqual([['b', 2], ['c', 3]]);
    expect(z.rangeByRank(0, 1, true)).toEqual([['d', 4], ['c', 3]]);
    expect(z.first()).toEqual(['a', 1]);
    expect(z.last()).toEqual(['d', 4]);
  });

  it('ranges by score with exclusive ends, offset and count', () => {
    const z = new SortedSet();
    for (const [m, s] of [['a', 1], ['b', 2], ['c', 3], ['d', 4]] as Entry[]) z.add(m, s);
    const r = (min: number, max: number, minExclusive = false, maxExclusive = false): ScoreRange => ({ min, max, minExclusive, maxExclusive });
    expect(z.rangeByScore(r(2, 3)).map((e) => e[0])).toEqual(['b', 'c']);
    expect(z.rangeByScore(r(1, 4, true, true)).map((e) => e[0])).toEqual(['b', 'c']);
    expect(z.rangeByScore(r(-Infinity, Infinity), { offset: 1, count: 2 }).map((e) => e[0])).toEqual(['b', 'c']);
    expect(z.rangeByScore(r(-Infinity, Infinity), { reverse: true, offset: 1, count: 2 }).map((e) => e[0])).toEqual(['c', 'b']);
    expect(z.rangeByScore(r(3, 3, true))).toEqual([]);
    expect(z.countByScore(r(2, Infinity))).toBe(3);
    expect(z.countByScore(r(5, 6))).toBe(0);
  });

  it('ranges and deletes by lex with "-" and "+"', () => {
    const z = new SortedSet();
    for (const m of ['a', 'b', 'c', 'd']) z.add(m, 0);
    const r = (min: LexBound, max: LexBound, minExclusive = false, maxExclusive = false): LexRange => ({ min, max, minExclusive, maxExclusive });
    expect(z.rangeByLex(r(LEX_MIN, LEX_MAX)).map((e) => e[0])).toEqual(['a', 'b', 'c', 'd']);
    expect(z.rangeByLex(r('b', 'd', true, false)).map((e) => e[0])).toEqual(['c', 'd']);
    expect(z.rangeByLex(r(LEX_MIN, 'c', false, true), { reverse: true }).map((e) => e[0])).toEqual(['b', 'a']);
    expect(z.countByLex(r('a', 'c'))).toBe(3);
    expect(z.rangeByLex(r(LEX_MAX, LEX_MIN))).toEqual([]);
    expect(z.deleteRangeByLex(r('b', 'c'))).toBe(2);
    expect([...z.entries()].map((e) => e[0])).toEqual(['a', 'd']);
  });

  it('pops from both ends and deletes rank ranges', () => {
    const z = new SortedSet();
    for (let i = 0; i < 10; i++) z.add(`m${i}`, i);
    expect(z.popMin()).toEqual(['m0', 0]);
    expect(z.popMax()).toEqual(['m9', 9]);
    expect(z.deleteRangeByRank(1, 3)).toBe(3);
    expect([...z.entries()].map((e) => e[0])).toEqual(['m1', 'm5', 'm6', 'm7', 'm8']);
    expect(z.has('m2')).toBe(false);
    expect(z.rank('m8')).toBe(4);
    const empty = new SortedSet();
    expect(empty.popMin()).toBeUndefined();
    expect(empty.random()).toBeUndefined();
  });

  it('picks random members by rank using the given source', () => {
    const z = new SortedSet();
    for (const [m, s] of [['a', 1], ['b', 2], ['c', 3]] as Entry[]) z.add(m, s);
    expect(z.random(() => 0)).toEqual(['a', 1]);
    expect(z.random(() => 0.5)).toEqual(['b', 2]);
    expect(z.random(() => 0.9999)).toEqual(['c', 3]);
  });

  it('stays consistent with ranks, ranges and counts over thousands of members', () => {
    const z = new SortedSet();
    const model = new NaiveZset();
    for (let i = 0; i < 3000; i++) {
      const m = `k${(i * 7919) % 2000}`;
      const s = (i * 31) % 97;
      z.add(m, s);
      model.map.set(m, s);
      if (i % 5 === 0) {
        const d = `k${(i * 13) % 2000}`;
        expect(z.delete(d)).toBe(model.map.delete(d));
      }
    }
    const sorted = model.sorted();
    expect([...z.entries()]).toEqual(sorted);
    for (let i = 0; i < sorted.length; i += 37) {
      expect(z.rank(sorted[i][0])).toBe(i);
      expect(z.at(i)).toEqual(sorted[i]);
    }
    expect(z.countByScore({ min: 10, max: 20, minExclusive: true, maxExclusive: false })).toBe(
      sorted.filter(([, s]) => s > 10 && s <= 20).length,
    );
  });

  it('matches a naive sorted array under random operations (seeded)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const z = new SortedSet();
        const model = new NaiveZset();
        for (const o of ops) {
          const sorted = model.sorted();
          switch (o.kind) {
            case 'add': {
              const isNew = !model.map.has(o.member);
              model.map.set(o.member, o.score);
              expect(z.add(o.member, o.score)).toBe(isNew);
              break;
            }
            case 'delete':
              expect(z.delete(o.member)).toBe(model.map.delete(o.member));
              break;
            case 'pop': {
              const want = o.max ? sorted[sorted.length - 1] : sorted[0];
              if (want) model.map.delete(want[0]);
              expect(o.max ? z.popMax() : z.popMin()).toEqual(want);
              break;
            }
            case 'delScore': {
              const gone = sorted.filter(([, s]) => model.inScore(s, o.range));
              for (const [m] of gone) model.map.delete(m);
              expect(z.deleteRangeByScore(o.range)).toBe(gone.length);
              break;
            }
            case 'delRank': {
              const end = Math.min(o.start + o.len, sorted.length - 1);
              const gone = o.start <= end ? sorted.slice(o.start, end + 1) : [];
              for (const [m] of gone) model.map.delete(m);
              expect(gone.length === 0 ? 0 : z.deleteRangeByRank(o.start, end)).toBe(gone.length);
              break;
            }
            case 'queryScore': {
              const inRange = sorted.filter(([, s]) => model.inScore(s, o.range));
              const walk = o.limits.reverse ? inRange.reverse() : inRange;
              expect(z.rangeByScore(o.range, o.limits)).toEqual(model.limit(walk, o.limits.offset, o.limits.count));
              expect(z.countByScore(o.range)).toBe(inRange.length);
              break;
            }
            case 'queryRank': {
              const end = Math.min(o.start + o.len, sorted.length - 1);
              const walk = o.reverse ? [...sorted].reverse() : sorted;
              expect(z.rangeByRank(o.start, end, o.reverse)).toEqual(o.start <= end ? walk.slice(o.start, end + 1) : []);
              break;
            }
          }
          const after = model.sorted();
          expect(z.size).toBe(after.length);
          expect([...z.entries()]).toEqual(after);
          after.forEach(([m, s], i) => {
            expect(z.score(m)).toBe(s);
            expect(z.rank(m)).toBe(i);
            expect(z.rank(m, true)).toBe(after.length - 1 - i);
          });
        }
      }),
      { seed: 20240607, numRuns: 300 },
    );
  });

  it('matches a naive filter for lex ranges when all scores are equal (seeded)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(member, { maxLength: 30 }), fc.array(fc.tuple(lexRange, limits), { maxLength: 10 }), (members, queries) => {
        const z = new SortedSet();
        const model = new NaiveZset();
        for (const m of members) {
          z.add(m, 0);
          model.map.set(m, 0);
        }
        const sorted = model.sorted();
        for (const [range, lim] of queries) {
          const inRange = sorted.filter(([m]) => model.inLex(m, range));
          const walk = lim.reverse ? [...inRange].reverse() : inRange;
          expect(z.rangeByLex(range, lim)).toEqual(model.limit(walk, lim.offset, lim.count));
          expect(z.countByLex(range)).toBe(inRange.length);
        }
        const [range] = queries[0] ?? [{ min: LEX_MIN, max: LEX_MAX, minExclusive: false, maxExclusive: false }];
        const kept = sorted.filter(([m]) => !model.inLex(m, range));
        expect(z.deleteRangeByLex(range)).toBe(sorted.length - kept.length);
        expect([...z.entries()]).toEqual(kept);
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
