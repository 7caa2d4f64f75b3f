import { Deque } from './deque.js';
import type { RedisValue } from './database.js';
import { Stream } from './stream.js';

/**
 * The thresholds of Redis 7.0's compact encodings, from its config (`hash-max-listpack-entries` and the rest;
 * the `*-ziplist-*` names are aliases). Lists are always quicklists in 7.0 (the listpack list encoding arrived
 * in 7.2) and sets are intsets or hashtables (listpack sets arrived in 7.2 too).
 */
export interface EncodingLimits {
  hashEntries: number;
  hashValue: number;
  zsetEntries: number;
  zsetValue: number;
  setIntsetEntries: number;
}

/** Redis 7.0.15's defaults. */
export const DEFAULT_ENCODING_LIMITS: EncodingLimits = {
  hashEntries: 512,
  hashValue: 64,
  zsetEntries: 128,
  zsetValue: 64,
  setIntsetEntries: 512,
};

/** Strings up to this many bytes live in one allocation with their object header (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
const EMBSTR_SIZE_LIMIT = 44;

const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;

/** Whether Redis's string2ll accepts `s`: canonical decimal (no '+', no leading zeros, no "-0") in 64 bits. */
export function isInt64String(s: string): boolean {
  if (s.length === 0 || s.length > 20 || !/^(0|-?[1-9][0-9]*)$/.test(s)) return false;
  if (s.length < 18) return true;
  const n = BigInt(s);
  return n >= INT64_MIN && n <= INT64_MAX;
}

/**
 * Aggregates that left their compact encoding. Redis converts one way only: a hash that once grew past
 * hash-max-listpack-entries stays a hashtable after it shrinks, until it is rewritten (a reload, RESTORE, a
 * new key). A value not in here is as compact as its contents allow.
 */
const converted = new WeakSet<object>();

/** Whether an aggregate's contents exceed its compact encoding's limits. */
function exceedsCompact(v: RedisValue, limits: EncodingLimits): boolean {
  if (v instanceof Map) {
    if (v.size > limits.hashEntries) return true;
    for (const [field, value] of v) if (field.length > limits.hashValue || value.length > limits.hashValue) return true;
    return false;
  }
  if (v instanceof Set) {
    if (v.size > limits.setIntsetEntries) return true;
    for (const m of v) if (!isInt64String(m)) return true;
    return false;
  }
  if (typeof v === 'string' || v instanceof Deque || v instanceof Stream) return false;
  if (v.size > limits.zsetEntries) return true;
  for (const [m] of v.entries()) if (m.length > limits.zsetValue) return true;
  return false;
}

/**
 * Records a write to a stored value: an aggregate whose contents now exceed its compact encoding's limits is
 * converted for good, as Redis converts it in the write itself (hashTypeTryConversion, zsetTypeMaybeConvert,
 * setTypeAdd's intset check). Called for every modified key; a value already converted costs one lookup.
 */
export function noteWrite(v: RedisValue | undefined, limits: EncodingLimits): void {
  if (v === undefined || typeof v === 'string' || v instanceof Deque || v instanceof Stream) return;
  if (converted.has(v)) return;
  // Checking each element's length costs O(size) per write while the value stays compact: bounded by the
  // entries limit (512 by default). Past MAX_SCANNED elements (a limit raised far above Redis's defaults)
  // only the count is checked at each write; OBJECT ENCODING still checks the lengths when asked.
  if (v.size > MAX_SCANNED) {
    const entries = v instanceof Map ? limits.hashEntries : v instanceof Set ? limits.setIntsetEntries : limits.zsetEntries;
    if (v.size > entries) converted.add(v);
    return;
  }
  if (exceedsCompact(v, limits)) converted.add(v);
}

/** See noteWrite. */
const MAX_SCANNED = 4096;

/**
 * The name OBJECT ENCODING reports for a value: its compact encoding while its contents fit the limits and it
 * was never converted, else the general one.
 */
export function objectEncoding(v: RedisValue, limits: EncodingLimits = DEFAULT_ENCODING_LIMITS): string {
  if (typeof v === 'string') {
    if (isInt64String(v)) return 'int';
    return v.length <= EMBSTR_SIZE_LIMIT ? 'embstr' : 'raw';
  }
  if (v instanceof Deque) return 'quicklist';
  if (v instanceof Stream) return 'stream';
  const big = converted.has(v) || exceedsCompact(v, limits);
  if (v instanceof Map) return big ? 'hashtable' : 'listpack';
  if (v instanceof Set) return big ? 'hashtable' : 'intset';
  return big ? 'skiplist' : 'listpack';
}
