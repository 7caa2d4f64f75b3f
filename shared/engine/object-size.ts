import { Deque } from '../store/deque.js';
import type { RedisValue } from '../store/database.js';
import { Stream } from '../store/stream.js';

/**
 * Estimates of what a key costs in Redis's own allocator (jemalloc size classes, Redis 7.0's encodings), as
 * MEMORY USAGE computes them (object.c objectComputeSize): aggregates are sampled, `samples` elements (0: all)
 * standing for the average. maxmemory and eviction count these estimates rather than the JS heap: the heap
 * shrinks only when the collector runs, so an eviction loop watching it would evict far too much, and a
 * dataset's footprint in Redis's terms is what a Redis user sizes maxmemory for.
 */

/** sizeof(dictEntry) and sizeof(robj) on 64-bit builds. */
const DICT_ENTRY = 24;
const ROBJ = 16;
/** Strings up to this length are embedded in their robj allocation (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
const EMBSTR_LIMIT = 44;
/** Thresholds of the compact encodings (redis.conf defaults of 7.0). */
const LISTPACK_MAX_ENTRIES = 128;
const LISTPACK_MAX_VALUE = 64;
const INTSET_MAX_ENTRIES = 512;
/** The default sample size of MEMORY USAGE (OBJ_COMPUTE_SIZE_DEF_SAMPLES). */
export const DEFAULT_SAMPLES = 5;

/** jemalloc's size class for an allocation of n bytes (8, 16, 32, 48, 64, 80, ... four classes per doubling). */
export function mallocSize(n: number): number {
  if (n <= 8) return 8;
  if (n <= 16) return 16;
  if (n <= 128) return (n + 15) & ~15;
  // Above 128: four classes per power of two (160, 192, 224, 256, 320, ...).
  const pow = n <= 0x40000000 ? 2 ** (31 - Math.clz32(n - 1)) : 2 ** Math.floor(Math.log2(n - 1));
  const step = pow / 4;
  return Math.ceil(n / step) * step;
}

/** An sds string's allocation: header (by length class), bytes and the terminating NUL. */
export function sdsSize(len: number): number {
  const header = len < 32 ? 1 : len < 256 ? 3 : len < 65536 ? 5 : 9;
  return mallocSize(header + len + 1);
}

/** Whether a string is stored as an integer (OBJ_ENCODING_INT): a canonical 64-bit integer of up to 20 chars. */
function isIntString(s: string): boolean {
  if (s.length === 0 || s.length > 20) return false;
  if (!/^(?:0|-?[1-9][0-9]*)$/.test(s)) return false;
  const n = BigInt(s);
  return n >= -9223372036854775808n && n <= 9223372036854775807n;
}

/** A listpack entry's bytes: encoding header + payload + back-length. */
function listpackEntry(s: string): number {
  if (isIntString(s)) return s.length <= 2 ? 2 : s.length <= 4 ? 3 : s.length <= 9 ? 5 : 10;
  const header = s.length < 64 ? 1 : s.length < 4096 ? 2 : 5;
  const body = header + s.length;
  return body + (body < 128 ? 1 : body < 16384 ? 2 : 3);
}

/** Average of `f` over the first `samples` items (all when samples is 0), times `count`. */
function sampled<T>(items: Iterable<T>, count: number, samples: number, f: (item: T) => number): number {
  if (count === 0) return 0;
  let seen = 0;
  let sum = 0;
  for (const item of items) {
    sum += f(item);
    if (++seen === samples) break;
  }
  return seen === 0 ? 0 : (sum / seen) * count;
}

/** A dict's bucket array: the next power of two of its size, 8 bytes each, plus the dict itself. */
function dictOverhead(size: number): number {
  let buckets = 4;
  while (buckets < size) buckets *= 2;
  return 96 + buckets * 8;
}

/** Bytes of a value as Redis 7.0 would hold it (objectComputeSize). */
export function valueSize(v: RedisValue, samples = DEFAULT_SAMPLES): number {
  if (typeof v === 'string') {
    if (isIntString(v)) return ROBJ;
    if (v.length <= EMBSTR_LIMIT) return mallocSize(ROBJ + 3 + v.length + 1);
    return ROBJ + sdsSize(v.length);
  }
  if (v instanceof Deque) {
    // A quicklist of listpacks of about 8 KB (list-max-listpack-size -2).
    const bytes = sampled(v, v.length, samples, listpackEntry) + 7;
    const nodes = Math.max(1, Math.ceil(bytes / 8192));
    return ROBJ + 48 + nodes * 32 + mallocSize(Math.ceil(bytes));
  }
  if (v instanceof Map) {
    const compact = v.size <= LISTPACK_MAX_ENTRIES;
    if (compact) {
      const bytes = sampled(v, v.size, 0, ([f, val]) => listpackEntry(f) + listpackEntry(val)) + 7;
      let fits = true;
      for (const [f, val] of v) if (f.length > LISTPACK_MAX_VALUE || val.length > LISTPACK_MAX_VALUE) fits = false;
      if (fits) return ROBJ + mallocSize(bytes);
    }
    return ROBJ + dictOverhead(v.size) + sampled(v, v.size, samples, ([f, val]) => mallocSize(DICT_ENTRY) + sdsSize(f.length) + sdsSize(val.length));
  }
  if (v instanceof Set) {
    if (v.size <= INTSET_MAX_ENTRIES) {
      // An intset: 2, 4 or 8 bytes per member, by the widest member.
      let width = 2;
      for (const m of v) {
        if (!isIntString(m)) {
          width = 0;
          break;
        }
        const n = BigInt(m);
        if (n < -2147483648n || n > 2147483647n) width = 8;
        else if ((n < -32768n || n > 32767n) && width < 4) width = 4;
      }
      if (width > 0) return ROBJ + mallocSize(8 + v.size * width);
    }
    return ROBJ + dictOverhead(v.size) + sampled(v, v.size, samples, (m) => mallocSize(DICT_ENTRY) + sdsSize(m.length));
  }
  if (v instanceof Stream) {
    // A rax of listpacks: each entry's ID deltas, flags and values; the rax nodes are amortised per entry.
    const entries = sampled(v.entries, v.length, samples, (e) => 8 + e.fields.reduce((n, f) => n + listpackEntry(f), 0));
    let groups = 0;
    for (const g of v.groups.values()) groups += 128 + g.pending.size * 64 + g.consumers.size * 96;
    return ROBJ + 80 + Math.ceil(entries) + groups;
  }
  // Sorted set: listpack when small, else a skiplist node (1.33 levels on average) plus a dict entry each.
  const z = v;
  if (z.size <= LISTPACK_MAX_ENTRIES) {
    let fits = true;
    let bytes = 7;
    for (const [m, score] of z.entries()) {
      if (m.length > LISTPACK_MAX_VALUE) fits = false;
      bytes += listpackEntry(m) + listpackEntry(String(score));
    }
    if (fits) return ROBJ + mallocSize(bytes);
  }
  return (
    ROBJ +
    dictOverhead(z.size) +
    128 +
    sampled(z.entries(), z.size, samples, ([m]) => mallocSize(DICT_ENTRY) + sdsSize(m.length) + mallocSize(32 + 16 * 1.33))
  );
}

/** Bytes of a whole key as MEMORY USAGE reports them: the value, the key's sds and its dict entry. */
export function keySize(key: string, v: RedisValue, samples = DEFAULT_SAMPLES): number {
  return Math.round(valueSize(v, samples)) + sdsSize(key.length) + DICT_ENTRY;
}
