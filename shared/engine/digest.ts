import { objectEncoding } from '../commands/scan.js';
import { formatDouble } from '../resp/reply.js';
import { sha1, toHex } from '../sha1.js';
import type { Database, RedisValue } from '../store/database.js';
import { Deque } from '../store/deque.js';
import { SortedSet } from '../store/sorted-set.js';
import { Stream, idMs, idSeq } from '../store/stream.js';

/**
 * DEBUG DIGEST and DEBUG DIGEST-VALUE: Redis 7.0's dataset fingerprint (debug.c computeDatasetDigest and
 * xorObjectDigest), reproduced bit for bit so that our digest of a dataset equals stock redis-server's.
 *
 * Two operations build every digest (a 20-byte accumulator):
 *   xor: digest ^= SHA1(data)            order-independent (set members, hash fields, zset members, keys)
 *   mix: digest = SHA1(digest ^ SHA1(data))  order-dependent (list elements, stream entries, a key's parts)
 * A key contributes mix(key), mix(type as a 32-bit big-endian number), its value's parts, and the xor of
 * "!!expire!!" when it has a TTL (only whether it has one: the time itself is left out); the key digests are
 * xored together per database, each non-empty database first mixing in its number.
 */

/** Redis's object type numbers (OBJ_STRING ... OBJ_STREAM), which the digest mixes in. */
const TYPE_CODE = { string: 0, list: 1, set: 2, zset: 3, hash: 4, stream: 6 } as const;

const hash = new Uint8Array(20);
const word = new Uint8Array(4);

/** digest ^= SHA1(data) (Redis's xorDigest). */
export function xorDigest(digest: Uint8Array, data: Uint8Array | string): void {
  sha1(data, hash);
  for (let i = 0; i < 20; i++) digest[i] ^= hash[i];
}

/** digest = SHA1(digest ^ SHA1(data)) (Redis's mixDigest). */
export function mixDigest(digest: Uint8Array, data: Uint8Array | string): void {
  xorDigest(digest, data);
  sha1(digest, digest);
}

/** Mixes in a 32-bit number as htonl lays it out (big-endian). */
function mixUint32(digest: Uint8Array, n: number): void {
  word[0] = n >>> 24;
  word[1] = (n >>> 16) & 0xff;
  word[2] = (n >>> 8) & 0xff;
  word[3] = n & 0xff;
  mixDigest(digest, word);
}

/** The type code of a value. */
function typeCode(v: RedisValue): number {
  if (typeof v === 'string') return TYPE_CODE.string;
  if (v instanceof Deque) return TYPE_CODE.list;
  if (v instanceof Map) return TYPE_CODE.hash;
  if (v instanceof Set) return TYPE_CODE.set;
  if (v instanceof Stream) return TYPE_CODE.stream;
  return TYPE_CODE.zset;
}

/**
 * Adds a value's digest to `digest` without resetting it (Redis's xorObjectDigest): the type, the contents,
 * and the expire marker when `hasExpire`.
 */
export function mixValueDigest(digest: Uint8Array, value: RedisValue, hasExpire: boolean): void {
  mixUint32(digest, typeCode(value));
  if (typeof value === 'string') {
    mixDigest(digest, value);
  } else if (value instanceof Deque) {
    for (const item of value) mixDigest(digest, item);
  } else if (value instanceof Set) {
    for (const member of value) xorDigest(digest, member);
  } else if (value instanceof Map) {
    const ele = new Uint8Array(20);
    for (const [field, v] of value) {
      ele.fill(0);
      mixDigest(ele, field);
      mixDigest(ele, v);
      xorDigest(digest, ele);
    }
  } else if (value instanceof SortedSet) {
    const ele = new Uint8Array(20);
    // A listpack stores an integral score as an integer (zzlInsertAt's double2ll), so -0 reads back as 0 there;
    // a skiplist keeps the double itself.
    const listpack = objectEncoding(value) === 'listpack';
    for (const [member, score] of value.entries()) {
      ele.fill(0);
      mixDigest(ele, member);
      // snprintf("%.17g"): glibc spells the infinities "inf" and "-inf", as formatDouble does.
      mixDigest(ele, formatDouble(listpack && score === 0 ? 0 : score));
      xorDigest(digest, ele);
    }
  } else if (value instanceof Stream) {
    // Entries only, in ID order: "<ms>.<seq>" then each field and value. Groups and counters are left out.
    for (const entry of value.entries) {
      mixDigest(digest, `${idMs(entry.id)}.${idSeq(entry.id)}`);
      for (const part of entry.fields) mixDigest(digest, part);
    }
  }
  if (hasExpire) xorDigest(digest, '!!expire!!');
}

/**
 * DEBUG DIGEST-VALUE for one key of `db`: 20 zero bytes when missing. Logically expired keys still count:
 * Redis reads the dictionary directly here, not through a lookup.
 */
export function keyValueDigest(db: Database, key: string): Uint8Array {
  const digest = new Uint8Array(20);
  const value = db.dict.get(key);
  if (value !== undefined) mixValueDigest(digest, value, db.expires.has(key));
  return digest;
}

/** DEBUG DIGEST: the digest of every database (20 zero bytes for an empty dataset). */
export function datasetDigest(dbs: readonly Database[]): Uint8Array {
  const final = new Uint8Array(20);
  const digest = new Uint8Array(20);
  for (const db of dbs) {
    if (db.dict.size === 0) continue;
    // The database number is mixed in, so the same keys in another database give another digest.
    mixUint32(final, db.id);
    for (const [key, value] of db.dict) {
      digest.fill(0);
      mixDigest(digest, key);
      mixValueDigest(digest, value, db.expires.has(key));
      xorDigest(final, digest);
    }
  }
  return final;
}

/** The 40 lowercase hex digits DEBUG DIGEST prints. */
export function digestHex(digest: Uint8Array): string {
  return toHex(digest);
}
