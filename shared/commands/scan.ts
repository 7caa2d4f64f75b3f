import { CommandError, NOT_INTEGER, SYNTAX } from '../errors.js';
import type { CommandContext } from '../engine/command-context.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import { globMatch } from '../glob.js';
import { formatDouble, type Reply } from '../resp/reply.js';
import { typeOfValue, type RedisValue } from '../store/database.js';
import { isInt64String, objectEncoding, type EncodingLimits } from '../store/encoding.js';
import { Stream } from '../store/stream.js';
import { Deque } from '../store/deque.js';
import type { SortedSet } from '../store/sorted-set.js';
import { isWord, parseInteger } from './parse.js';

// ---------------------------------------------------------------------------------------------------------------
// Encodings
// ---------------------------------------------------------------------------------------------------------------

export { isInt64String, objectEncoding } from '../store/encoding.js';

/** Whether Redis keeps this aggregate in a compact encoding, which its SCAN family returns whole. */
function isCompact(v: RedisValue, limits: EncodingLimits): boolean {
  const e = objectEncoding(v, limits);
  return e === 'listpack' || e === 'intset';
}

// ---------------------------------------------------------------------------------------------------------------
// Cursors
// ---------------------------------------------------------------------------------------------------------------

/*
 * Redis's SCAN is stateless: the cursor is a position in the hash table, so any client may continue any
 * iteration and nothing is kept between calls. Our collections are JS Maps and Sets, which have no positional
 * access, so we give every member a position of our own: a 32-bit hash of its bytes. The cursor is a point
 * in that hash space, and a call returns the members whose hash lies in [cursor, next) (in hash order), with
 * `next` always past `cursor`. Because a member's position depends on its bytes only, the meaning of a cursor
 * never changes, whatever was added or deleted:
 *   - a member present for the whole iteration is returned exactly once (its hash range is visited once);
 *   - deleted members are not returned once deleted; added ones may or may not be;
 *   - the cursor strictly increases through a finite space, so every iteration ends, even while the
 *     collection keeps growing (a guarantee Redis itself only gives for bounded collections).
 *
 * To find "the members with hash >= cursor" without looking at all of them, a call uses an index: the
 * members bucketed by the top bits of their hash (a counting sort, so O(n) to build, with about two members a
 * bucket). Nothing maintains the index as the collection changes (the store has no change hooks), so an index
 * is a snapshot and is trusted only as far as it can be:
 *   - an index may list members deleted since: every candidate is checked against the live collection;
 *   - an index lacks members added after it was built, which is harmless only for members added after the
 *     iteration started. So a call with cursor 0 (an iteration starts) always builds a fresh index, and any
 *     later call may reuse the newest one: it was built no earlier than the start of every iteration still
 *     going on, so it holds every member present since then.
 * Indexes are cached per collection object (a WeakMap, so they go with the collection) and dropped when an
 * iteration ends; a call finding none builds one, which is always safe.
 *
 * Cost: starting an iteration of a large collection is O(n) time and O(n) memory for the index (hashing each
 * member once, then flat arrays: about 0.15 s and 14 MB for a million keys); each later call is O(COUNT)
 * amortised. Small collections skip all this: compact-encoded hashes, sets and sorted sets are returned whole
 * with cursor 0, as Redis does, and so is any collection no larger than COUNT when an iteration starts.
 * Reusing an index for a new iteration would need to know that nothing was inserted since it was built, and
 * the store cannot tell: Database.dict is a bare Map that many modules write directly.
 */

/** Our cursors address a 32-bit hash space; a cursor at or past its end means "done". */
const HASH_SPACE = 0x1_0000_0000;
/** Caps the bucket table at 16M buckets (collections beyond 32M members get fuller buckets, not more). */
const MAX_INDEX_BITS = 24;
const ULONG_MAX = 18446744073709551615n;

/** A snapshot of a collection's members, bucketed by the top `bits` bits of their hash. */
interface ScanIndex {
  /** Bucket b holds members[offsets[b] .. offsets[b + 1]). */
  offsets: Uint32Array;
  members: string[];
  hashes: Uint32Array;
}

/** The newest index of each collection being iterated (a database's dict, a hash, a set, a sorted set). */
const indexes = new WeakMap<object, ScanIndex>();

/** FNV-1a over the bytes, then murmur3's finaliser so the top bits (the bucket) depend on every byte. */
function hashMember(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function buildIndex(members: Iterable<string>, size: number): ScanIndex {
  const bits = size <= 2 ? 0 : Math.min(MAX_INDEX_BITS, Math.ceil(Math.log2(size / 2)));
  const buckets = 2 ** bits;
  const shift = 32 - bits;
  // Two passes of a counting sort over flat arrays: hash and count, then place.
  const unsorted = new Array<string>(size);
  const unsortedHashes = new Uint32Array(size);
  const offsets = new Uint32Array(buckets + 1);
  let n = 0;
  for (const m of members) {
    const h = hashMember(m);
    unsorted[n] = m;
    unsortedHashes[n++] = h;
    offsets[(bits === 0 ? 0 : h >>> shift) + 1]++;
  }
  for (let b = 0; b < buckets; b++) offsets[b + 1] += offsets[b];
  const fill = offsets.slice(0, buckets);
  const sorted = new Array<string>(n);
  const hashes = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = unsortedHashes[i];
    const at = fill[bits === 0 ? 0 : h >>> shift]++;
    sorted[at] = unsorted[i];
    hashes[at] = h;
  }
  return { offsets, members: sorted, hashes };
}

/** A collection as the cursor walk sees it. */
interface Scannable {
  /** The object the index is cached under. */
  identity: object;
  size: number;
  members(): Iterable<string>;
  /** Whether a member is still there (indexes may list deleted ones). */
  has(member: string): boolean;
}

/**
 * One SCAN step over a collection: pushes the members of the hash range starting at `cursor` (about `count`
 * of them) into `out` and returns the next cursor, 0 when the iteration is over.
 */
function scanStep(c: Scannable, cursor: bigint, count: number, out: string[]): number {
  if (cursor >= BigInt(HASH_SPACE)) return 0;
  if (cursor === 0n && c.size <= count) {
    for (const m of c.members()) out.push(m);
    return 0;
  }
  let index = cursor === 0n ? undefined : indexes.get(c.identity);
  if (!index) {
    index = buildIndex(c.members(), c.size);
    indexes.set(c.identity, index);
  }
  const start = Number(cursor);
  const { offsets, members, hashes } = index;
  const buckets = offsets.length - 1;
  const width = HASH_SPACE / buckets;
  let b = Math.floor(start / width);
  // Like Redis's maxiterations (COUNT * 10 empty buckets), bound the work of a call whose buckets hold only
  // deleted members.
  let visits = count * 10;
  let found = 0;
  while (b < buckets) {
    for (let i = offsets[b]; i < offsets[b + 1]; i++) {
      if (hashes[i] < start) continue; // the cursor may fall inside this bucket (an index of another size)
      const m = members[i];
      if (c.has(m)) {
        out.push(m);
        found++;
      }
    }
    b++;
    if (found >= count || --visits <= 0) break;
  }
  if (b >= buckets) {
    indexes.delete(c.identity);
    return 0;
  }
  return b * width;
}

/**
 * Parses a cursor as Redis does (strtoul, base 10): an optional sign, digits, nothing else; "" is 0; a
 * negative value wraps around 2^64; beyond 2^64-1 or with leading space it is invalid.
 */
export function parseScanCursor(s: string): bigint {
  const m = /^([+-]?)([0-9]*)$/.exec(s);
  if (!m || (m[2] === '' && s !== '')) throw new CommandError(INVALID_CURSOR);
  if (m[2] === '') return 0n;
  const n = BigInt(m[2]);
  if (n > ULONG_MAX) throw new CommandError(INVALID_CURSOR);
  return m[1] === '-' && n !== 0n ? ULONG_MAX + 1n - n : n;
}

const INVALID_CURSOR = 'ERR invalid cursor';

/** SCAN's options: COUNT, MATCH, and TYPE (keyspace only). */
interface ScanOptions {
  count: number;
  /** null when every element matches ("*" or no MATCH). */
  pattern: string | null;
  type: string | null;
}

function parseScanOptions(argv: string[], from: number, allowType: boolean): ScanOptions {
  const opts: ScanOptions = { count: 10, pattern: null, type: null };
  for (let i = from; i < argv.length; i += 2) {
    const hasValue = i + 1 < argv.length;
    if (isWord(argv[i], 'count') && hasValue) {
      opts.count = parseInteger(argv[i + 1], NOT_INTEGER);
      if (opts.count < 1) throw new CommandError(SYNTAX);
    } else if (isWord(argv[i], 'match') && hasValue) {
      opts.pattern = argv[i + 1] === '*' ? null : argv[i + 1];
    } else if (isWord(argv[i], 'type') && allowType && hasValue) {
      opts.type = argv[i + 1];
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  return opts;
}

/** Redis's reply for a missing key: cursor 0, no elements. */
function emptyScan(): Reply {
  return ['0', []];
}

// ---------------------------------------------------------------------------------------------------------------
// Score formatting
// ---------------------------------------------------------------------------------------------------------------

const LISTPACK_INT_LIMIT = 2 ** 62;

/**
 * A score as a listpack holds it (Redis's d2string): integral values within +-2^62 as integers ("-0" too),
 * others as %.17g.
 */
function listpackScore(score: number): string {
  if (Number.isInteger(score) && Math.abs(score) <= LISTPACK_INT_LIMIT) return BigInt(score).toString();
  return formatDouble(score);
}

// ---------------------------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------------------------

function scanKeyspace(ctx: CommandContext, argv: string[]): Reply {
  const cursor = parseScanCursor(argv[1]);
  const opts = parseScanOptions(argv, 2, true);
  const db = ctx.db;
  const dict = db.dict;
  const keys: string[] = [];
  const next = scanStep(
    { identity: dict, size: dict.size, members: () => dict.keys(), has: (k) => dict.has(k) },
    cursor,
    opts.count,
    keys,
  );
  // Redis's order of filters: pattern, then type (a lookup, which may expire the key), then expiry.
  const out: string[] = [];
  for (const key of keys) {
    if (opts.pattern !== null && !globMatch(opts.pattern, key)) continue;
    if (opts.type !== null) {
      const v = ctx.lookupRead(key);
      if (!isWord(opts.type, v === undefined ? 'none' : typeOfValue(v))) continue;
    }
    if (ctx.expireIfNeeded(db, key)) continue;
    out.push(key);
  }
  return [String(next), out];
}

function matching(pattern: string | null, members: string[]): string[] {
  return pattern === null ? members : members.filter((m) => globMatch(pattern, m));
}

/** Members of an intset, which Redis keeps in ascending numeric order. */
function intsetOrder(set: Set<string>): string[] {
  return [...set]
    .map((m) => [BigInt(m), m] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map((e) => e[1]);
}

function hscan(ctx: CommandContext, argv: string[]): Reply {
  const cursor = parseScanCursor(argv[2]);
  const hash = ctx.readHash(argv[1]);
  if (!hash) return emptyScan();
  const opts = parseScanOptions(argv, 3, false);
  let fields: string[] = [];
  let next = 0;
  if (isCompact(hash, ctx.core.encodingLimits)) fields = [...hash.keys()];
  else {
    const scannable = { identity: hash, size: hash.size, members: () => hash.keys(), has: (f: string) => hash.has(f) };
    next = scanStep(scannable, cursor, opts.count, fields);
  }
  const out: string[] = [];
  for (const f of matching(opts.pattern, fields)) out.push(f, hash.get(f) as string);
  return [String(next), out];
}

function sscan(ctx: CommandContext, argv: string[]): Reply {
  const cursor = parseScanCursor(argv[2]);
  const set = ctx.readSet(argv[1]);
  if (!set) return emptyScan();
  const opts = parseScanOptions(argv, 3, false);
  let members: string[] = [];
  let next = 0;
  if (isCompact(set, ctx.core.encodingLimits)) members = intsetOrder(set);
  else {
    const scannable = { identity: set, size: set.size, members: () => set.values(), has: (m: string) => set.has(m) };
    next = scanStep(scannable, cursor, opts.count, members);
  }
  return [String(next), matching(opts.pattern, members)];
}

function* zsetMembers(z: SortedSet): Generator<string> {
  for (const [m] of z.entries()) yield m;
}

function zscan(ctx: CommandContext, argv: string[]): Reply {
  const cursor = parseScanCursor(argv[2]);
  const zset = ctx.readZset(argv[1]);
  if (!zset) return emptyScan();
  const opts = parseScanOptions(argv, 3, false);
  const out: string[] = [];
  if (isCompact(zset, ctx.core.encodingLimits)) {
    // A listpack is ordered by score and keeps scores in d2string form.
    for (const [m, score] of zset.entries()) {
      if (opts.pattern === null || globMatch(opts.pattern, m)) out.push(m, listpackScore(score));
    }
    return ['0', out];
  }
  const members: string[] = [];
  const next = scanStep(
    { identity: zset, size: zset.size, members: () => zsetMembers(zset), has: (m) => zset.score(m) !== undefined },
    cursor,
    opts.count,
    members,
  );
  // The skiplist's dict holds doubles, which SCAN prints with %.17Lg.
  for (const m of matching(opts.pattern, members)) out.push(m, formatDouble(zset.score(m) as number));
  return [String(next), out];
}

/** SCAN, HSCAN, SSCAN, ZSCAN. */
export const scanCommands: CommandSpec[] = [
  command({
    name: 'scan',
    arity: -2,
    group: 'generic',
    flags: ['readonly'],
    summary: 'Incrementally iterate the keys space',
    since: '2.8.0',
    handler: scanKeyspace,
  }),
  command({
    name: 'hscan',
    arity: -3,
    group: 'hash',
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary: 'Incrementally iterate hash fields and associated values',
    since: '2.8.0',
    handler: hscan,
  }),
  command({
    name: 'sscan',
    arity: -3,
    group: 'set',
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary: 'Incrementally iterate Set elements',
    since: '2.8.0',
    handler: sscan,
  }),
  command({
    name: 'zscan',
    arity: -3,
    group: 'sorted-set',
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary: 'Incrementally iterate sorted sets elements and associated scores',
    since: '2.8.0',
    handler: zscan,
  }),
];
