import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Database } from '../store/database.js';
import { keyHashSlot } from './key-slot.js';
import { SlotIndexedMap, slotIndexed } from './slot-index.js';

/** The slot -> keys view computed the slow way, for comparison. */
function naive(map: Map<string, unknown>): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const k of map.keys()) {
    const s = keyHashSlot(k);
    out.set(s, [...(out.get(s) ?? []), k].sort());
  }
  return out;
}

function indexed(map: SlotIndexedMap): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const k of map.keys()) {
    const s = keyHashSlot(k);
    if (!out.has(s)) out.set(s, [...map.keysIn(s)].sort());
  }
  return out;
}

describe('SlotIndexedMap', () => {
  it('keeps the slot index equal to the keys after any sequence of sets, overwrites, deletes and clears', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('set' as const), k: fc.string({ maxLength: 4 }) }),
      fc.record({ t: fc.constant('del' as const), k: fc.string({ maxLength: 4 }) }),
      fc.record({ t: fc.constant('clear' as const), k: fc.constant('') }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const map = new SlotIndexedMap();
        for (const { t, k } of ops) {
          if (t === 'set') map.set(k, 'v');
          else if (t === 'del') map.delete(k);
          else map.clear();
        }
        expect(indexed(map)).toEqual(naive(map));
        let total = 0;
        for (const s of new Set([...map.keys()].map(keyHashSlot))) total += map.keysIn(s).size;
        expect(total).toBe(map.size);
      }),
    );
  });

  it('groups keys sharing a {hash tag} in one slot and forgets a slot once its last key is gone', () => {
    const map = new SlotIndexedMap();
    map.set('{user1000}.following', 'a');
    map.set('{user1000}.followers', 'b');
    const slot = keyHashSlot('{user1000}.following');
    expect([...map.keysIn(slot)].sort()).toEqual(['{user1000}.followers', '{user1000}.following']);
    map.set('{user1000}.following', 'c'); // an overwrite changes nothing in the index
    expect(map.keysIn(slot).size).toBe(2);
    map.delete('{user1000}.following');
    map.delete('{user1000}.followers');
    expect(map.keysIn(slot).size).toBe(0);
    expect(map.delete('missing')).toBe(false);
  });

  it('indexes a database dictionary that was replaced wholesale, once, on the next query', () => {
    const db = new Database(0);
    db.dict.set('a', 'x');
    db.dict.set('b', 'y');
    const first = slotIndexed(db);
    expect(db.dict).toBe(first);
    expect(slotIndexed(db)).toBe(first);
    expect(first.keysIn(keyHashSlot('a')).has('a')).toBe(true);
    // A full sync swaps in a new dictionary: it is indexed when next asked.
    const other = new Database(0);
    other.dict.set('c', 'z');
    db.swapContents(other);
    const second = slotIndexed(db);
    expect(second).not.toBe(first);
    expect([...second.keysIn(keyHashSlot('c'))]).toEqual(['c']);
    expect(second.keysIn(keyHashSlot('a')).has('a')).toBe(false);
  });
});
