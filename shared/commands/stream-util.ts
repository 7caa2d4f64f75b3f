/**
 * Pieces the stream commands share (t_stream.c's helpers): ID parsing and arithmetic, entry replies, the
 * node limits, ordered PEL inserts, consumer creation, lag arithmetic and the propagated XCLAIM / XGROUP SETID
 * forms.
 */
import type { CommandContext } from '../engine/command-context.js';
import { Notify } from '../engine/keyspace-events.js';
import { CommandError } from '../errors.js';
import type { Reply } from '../resp/reply.js';
import type { NodeLimits } from '../store/stream-nodes.js';
import {
  U64_MAX,
  formatStreamId,
  type ConsumerGroup,
  type PendingEntry,
  type Stream,
  type StreamConsumer,
  type StreamEntry,
  type StreamId,
} from '../store/stream.js';

export const INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';
export const MAX_ID: StreamId = (U64_MAX << 64n) | U64_MAX;
/** Redis's SCG_INVALID_ENTRIES_READ. */
export const INVALID_ENTRIES_READ = -1;

/** The node size limits from the configuration. */
export function nodeLimits(ctx: CommandContext): NodeLimits {
  return {
    maxEntries: ctx.core.config.int('stream-node-max-entries'),
    maxBytes: ctx.core.config.int('stream-node-max-bytes'),
  };
}

const SPACES = ' \t\n\v\f\r';

/** C's strtoull over a whole string, as Redis's string2ull falls back to: null when it does not parse. */
function strtoull(s: string): bigint | null {
  let i = 0;
  while (i < s.length && SPACES.includes(s[i])) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  const digits = s.slice(i);
  if (digits.length === 0 || !/^[0-9]+$/.test(digits)) return null;
  const v = BigInt(digits);
  if (v > U64_MAX) return null;
  return neg ? (v === 0n ? 0n : (1n << 64n) - v) : v;
}

/** Redis's string2ull: a canonical non-negative 64-bit integer, else what strtoull accepts. */
function string2ull(s: string): bigint | null {
  if (s.length === 0) return null;
  if (/^(0|-?[1-9][0-9]*)$/.test(s) && s.length <= 20) {
    const v = BigInt(s);
    if (v >= -(1n << 63n) && v < 1n << 63n) return v < 0n ? null : v;
  }
  return strtoull(s);
}

/** A parsed ID and whether its sequence was given (false for XADD's `<ms>-*`). */
export interface ParsedId {
  id: StreamId;
  seqGiven: boolean;
}

/**
 * Redis's streamGenericParseIDOrReply: `<ms>-<seq>`, `<ms>` (sequence `missingSeq`), `-` and `+` (unless
 * strict), and `<ms>-*` when `allowSeqStar`. Throws Redis's error otherwise.
 */
export function parseId(arg: string, missingSeq: bigint, strict: boolean, allowSeqStar = false): ParsedId {
  const bad = () => new CommandError(INVALID_ID);
  if (arg.length > 127) throw bad();
  // The C code works on a NUL-terminated copy.
  const nul = arg.indexOf('\0');
  const buf = nul >= 0 ? arg.slice(0, nul) : arg;
  if (strict && (buf === '-' || buf === '+')) throw bad();
  if (buf === '-') return { id: 0n, seqGiven: true };
  if (buf === '+') return { id: MAX_ID, seqGiven: true };
  const dash = buf.indexOf('-');
  const msPart = dash >= 0 ? buf.slice(0, dash) : buf;
  const ms = string2ull(msPart);
  if (ms === null) throw bad();
  let seq = missingSeq;
  let seqGiven = true;
  if (dash >= 0) {
    const seqPart = buf.slice(dash + 1);
    if (allowSeqStar && seqPart === '*') {
      seq = 0n;
      seqGiven = false;
    } else {
      const v = string2ull(seqPart);
      if (v === null) throw bad();
      seq = v;
    }
  }
  return { id: (ms << 64n) | seq, seqGiven };
}

/** A strict ID (`-` and `+` refused). */
export function parseStrictId(arg: string, missingSeq = 0n): StreamId {
  return parseId(arg, missingSeq, true).id;
}

/**
 * Redis's streamParseIntervalIDOrReply followed by the increment/decrement of an exclusive (`(`) bound:
 * returns the inclusive bound.
 */
export function parseRangeBound(arg: string, missingSeq: bigint, isStart: boolean): StreamId {
  const exclusive = arg.length > 1 && arg[0] === '(';
  if (!exclusive) return parseId(arg, missingSeq, false).id;
  const id = parseId(arg.slice(1), missingSeq, true).id;
  if (isStart) {
    if (id === MAX_ID) throw new CommandError('ERR invalid start ID for the interval');
    return id + 1n;
  }
  if (id === 0n) throw new CommandError('ERR invalid end ID for the interval');
  return id - 1n;
}

/** The entry as Redis replies it: `[id, [field, value, ...]]`. */
export function entryReply(e: StreamEntry): Reply {
  return [formatStreamId(e.id), e.fields.slice()];
}

/** The last live entry's ID (streamLastValidID), 0-0 when empty. */
export function lastValidId(s: Stream): StreamId {
  return s.entries.length > 0 ? s.entries[s.entries.length - 1].id : 0n;
}

/** The entry with `id`, if it is in the stream (not deleted). */
export function findEntry(s: Stream, id: StreamId): StreamEntry | undefined {
  const i = s.lowerBound(id);
  return i < s.entries.length && s.entries[i].id === id ? s.entries[i] : undefined;
}

const knownMax = new WeakMap<object, bigint>();

function maxKeyOf(c: Map<bigint, unknown> | Set<bigint>): bigint {
  let m = knownMax.get(c);
  if (m === undefined) {
    m = -1n;
    for (const k of c.keys()) if (k > m) m = k;
    knownMax.set(c, m);
  }
  return m;
}

/** Sets a PEL entry keeping the map in ID order (appends are the common case). */
export function pelSet(map: Map<StreamId, PendingEntry>, id: StreamId, nack: PendingEntry): void {
  if (map.has(id)) {
    map.set(id, nack);
    return;
  }
  if (map.size === 0 || id > maxKeyOf(map)) {
    map.set(id, nack);
    knownMax.set(map, id);
    return;
  }
  const all = [...map.entries(), [id, nack] as [StreamId, PendingEntry]].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  map.clear();
  for (const [k, v] of all) map.set(k, v);
  knownMax.set(map, all[all.length - 1][0]);
}

/** Adds an ID to a consumer's PEL keeping the set in ID order. */
export function pelAdd(set: Set<StreamId>, id: StreamId): void {
  if (set.has(id)) return;
  if (set.size === 0 || id > maxKeyOf(set)) {
    set.add(id);
    knownMax.set(set, id);
    return;
  }
  const all = [...set, id].sort((a, b) => (a < b ? -1 : 1));
  set.clear();
  for (const k of all) set.add(k);
  knownMax.set(set, all[all.length - 1]);
}

/** Byte order of names, as the radix trees holding groups and consumers iterate. */
export function byName<T extends { name: string }>(items: Iterable<T>): T[] {
  return [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Redis's streamCreateConsumer: a new consumer seen now, a change (dirty) and the "xgroup-createconsumer"
 * event. Returns null when it already exists.
 */
export function createConsumer(ctx: CommandContext, group: ConsumerGroup, name: string, key: string): StreamConsumer | null {
  if (group.consumers.has(name)) return null;
  const consumer: StreamConsumer = { name, seenTime: ctx.now, pending: new Set() };
  group.consumers.set(name, consumer);
  ctx.dirty++;
  ctx.notify(Notify.STREAM, 'xgroup-createconsumer', key);
  return consumer;
}

/** Redis's streamLookupConsumer: the consumer, its seen time refreshed unless `refresh` is false. */
export function lookupConsumer(ctx: CommandContext, group: ConsumerGroup, name: string, refresh = true): StreamConsumer | undefined {
  const c = group.consumers.get(name);
  if (c && refresh) c.seenTime = ctx.now;
  return c;
}

/** Redis's streamRangeHasTombstones(s, start, NULL/end). */
export function rangeHasTombstones(s: Stream, start: StreamId | null, end: StreamId | null = null): boolean {
  if (s.entries.length === 0 || s.maxDeletedId === 0n) return false;
  if (s.firstId > s.maxDeletedId) return false;
  const a = start ?? 0n;
  const b = end ?? MAX_ID;
  return a <= s.maxDeletedId && s.maxDeletedId <= b;
}

/** Redis's streamEstimateDistanceFromFirstEverEntry: an ID's read counter, or -1 when unknown. */
export function estimateDistance(s: Stream, id: StreamId): number {
  if (s.entriesAdded === 0) return 0;
  if (s.entries.length === 0 && id <= s.lastId) return s.entriesAdded;
  if (id === s.lastId) return s.entriesAdded;
  if (id > s.lastId) return INVALID_ENTRIES_READ;
  const first = s.firstId;
  if (s.maxDeletedId === 0n || s.maxDeletedId < first) {
    if (id < first) return s.entriesAdded - s.entries.length;
    if (id === first) return s.entriesAdded - s.entries.length + 1;
  }
  return INVALID_ENTRIES_READ;
}

/** Redis's streamReplyWithCGLag: the group's lag, or null when it cannot be known. */
export function groupLag(s: Stream, g: ConsumerGroup): number | null {
  if (s.entriesAdded === 0) return 0;
  if (g.entriesRead !== INVALID_ENTRIES_READ && !rangeHasTombstones(s, g.lastId, null)) return s.entriesAdded - g.entriesRead;
  const read = estimateDistance(s, g.lastId);
  return read !== INVALID_ENTRIES_READ ? s.entriesAdded - read : null;
}

/**
 * The XCLAIM Redis propagates for a PEL change (streamPropagateXCLAIM): idempotent, with the delivery time,
 * count and the group's last ID.
 */
export function xclaimPropagation(key: string, group: ConsumerGroup, groupName: string, idArg: string, nack: PendingEntry): string[] {
  return [
    'XCLAIM',
    key,
    groupName,
    nack.consumer,
    '0',
    idArg,
    'TIME',
    String(nack.deliveryTime),
    'RETRYCOUNT',
    String(nack.deliveryCount),
    'FORCE',
    'JUSTID',
    'LASTID',
    formatStreamId(group.lastId),
  ];
}

/** The XGROUP SETID Redis propagates for a group's new last ID (streamPropagateGroupID). */
export function setidPropagation(key: string, group: ConsumerGroup, groupName: string): string[] {
  return ['XGROUP', 'SETID', key, groupName, formatStreamId(group.lastId), 'ENTRIESREAD', String(group.entriesRead)];
}

/** Removes a PEL entry from the group and its consumer. */
export function dropPending(group: ConsumerGroup, id: StreamId): void {
  const nack = group.pending.get(id);
  if (!nack) return;
  group.pending.delete(id);
  group.consumers.get(nack.consumer)?.pending.delete(id);
}
