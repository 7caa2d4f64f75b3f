import type { RedisValue } from '../store/database.js';
import { Deque } from '../store/deque.js';
import { objectEncoding, type EncodingLimits } from '../store/encoding.js';
import { Stream } from '../store/stream.js';

/** Redis's LAZYFREE_THRESHOLD: a value costing more allocations than this is freed in the background. */
export const LAZYFREE_THRESHOLD = 64;

/** Elements a quicklist node holds at list-max-listpack-size -2 (8 kB) for small elements. */
const QUICKLIST_NODE_ENTRIES = 128;

/**
 * Redis's lazyfreeGetFreeEffort: about how many allocations freeing the value takes. Compact encodings are one
 * allocation; a stream is one per macro node plus its groups and their pending entries (the first group's
 * PEL standing for all, as Redis estimates).
 */
export function freeEffort(v: RedisValue, limits: EncodingLimits, streamNodeEntries: number): number {
  if (typeof v === 'string') return 1;
  if (v instanceof Deque) return Math.max(1, Math.ceil(v.length / QUICKLIST_NODE_ENTRIES));
  if (v instanceof Stream) {
    let effort = Math.ceil(v.length / Math.max(1, streamNodeEntries));
    const first = v.groups.values().next();
    if (!first.done) effort += v.groups.size * (1 + first.value.pending.size);
    return effort;
  }
  const encoding = objectEncoding(v, limits);
  if (encoding === 'hashtable' || encoding === 'skiplist') return v.size;
  return 1;
}
