import type { Database, RedisValue } from '../store/database.js';
import { CLUSTER_SLOTS } from './cluster-node.js';
import { keyHashSlot } from './key-slot.js';

/**
 * A keyspace dictionary that also indexes its keys by hash slot (Redis's slots_to_keys), so CLUSTER
 * GETKEYSINSLOT / COUNTKEYSINSLOT, resharding and dropping a lost slot cost the slot's keys, not the whole
 * keyspace. Only keys added or removed pay for it (an overwrite of an existing key does not).
 */
export class SlotIndexedMap extends Map<string, RedisValue> {
  private bySlot: Array<Set<string> | undefined> = new Array(CLUSTER_SLOTS);

  override set(key: string, value: RedisValue): this {
    // Map's constructor calls set() before the fields exist; entries are added after construction instead.
    if (this.bySlot !== undefined && !super.has(key)) {
      const slot = keyHashSlot(key);
      let keys = this.bySlot[slot];
      if (!keys) this.bySlot[slot] = keys = new Set();
      keys.add(key);
    }
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    if (!super.delete(key)) return false;
    const slot = keyHashSlot(key);
    const keys = this.bySlot[slot];
    if (keys) {
      keys.delete(key);
      if (keys.size === 0) this.bySlot[slot] = undefined;
    }
    return true;
  }

  override clear(): void {
    super.clear();
    this.bySlot = new Array(CLUSTER_SLOTS);
  }

  /** The keys in a slot (live set: copy before changing the map while iterating). */
  keysIn(slot: number): ReadonlySet<string> {
    return this.bySlot[slot] ?? EMPTY;
  }
}

const EMPTY: ReadonlySet<string> = new Set();

/**
 * The database's dictionary, indexed by slot. A dictionary replaced wholesale (a full sync swaps in a new
 * keyspace, FLUSHALL may start a fresh one) is indexed again here, once, on the next slot query.
 */
export function slotIndexed(db: Database): SlotIndexedMap {
  if (db.dict instanceof SlotIndexedMap) return db.dict;
  const indexed = new SlotIndexedMap();
  for (const [k, v] of db.dict) indexed.set(k, v);
  db.dict = indexed;
  return indexed;
}
