import { Deque } from './deque.js';
import type { RedisValue } from './database.js';
import { SortedSet } from './sorted-set.js';
import { Stream } from './stream.js';
import { cloneStream } from './stream-nodes.js';

/**
 * A copy of a value that later in-place changes of the original cannot affect (COPY, snapshots). Strings are
 * immutable in JS and are shared.
 */
export function cloneValue(v: RedisValue): RedisValue {
  if (typeof v === 'string') return v;
  if (v instanceof Deque) return new Deque(v);
  if (v instanceof Map) return new Map(v);
  if (v instanceof Set) return new Set(v);
  if (v instanceof Stream) return cloneStream(v);
  const z = new SortedSet();
  for (const [member, score] of v.entries()) z.add(member, score);
  return z;
}
