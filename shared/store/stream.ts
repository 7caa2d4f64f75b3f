/**
 * A stream value (Redis's `stream` type, t_stream.c): entries ordered by ID, the stream's counters, and its
 * consumer groups with their pending entries lists. This file is the data model shared by the commands
 * (shared/commands/streams.ts) and the RDB encoding (shared/rdb/stream-rdb.ts); behaviour lives there.
 *
 * IDs are Redis's 128-bit `<ms>-<seq>` pairs of unsigned 64-bit integers, held as one bigint
 * `(ms << 64n) | seq`: ordering is plain bigint comparison and every ID Redis accepts (up to
 * 18446744073709551615-18446744073709551615) is exact.
 */

/** A stream ID: `(ms << 64n) | seq`. */
export type StreamId = bigint;

/** The largest 64-bit part of an ID. */
export const U64_MAX = (1n << 64n) - 1n;

/** Builds an ID from its millisecond and sequence parts. */
export function streamId(ms: bigint, seq: bigint): StreamId {
  return (ms << 64n) | seq;
}

/** The millisecond part of an ID. */
export function idMs(id: StreamId): bigint {
  return id >> 64n;
}

/** The sequence part of an ID. */
export function idSeq(id: StreamId): bigint {
  return id & U64_MAX;
}

/** Formats an ID as Redis prints it: `<ms>-<seq>`. */
export function formatStreamId(id: StreamId): string {
  return `${id >> 64n}-${id & U64_MAX}`;
}

/** One entry: its ID and its field/value pairs, flat (`[field1, value1, field2, value2, ...]`). */
export interface StreamEntry {
  id: StreamId;
  fields: string[];
}

/** One pending (delivered, not yet acknowledged) entry of a consumer group: Redis's streamNACK. */
export interface PendingEntry {
  /** The consumer that owns it. */
  consumer: string;
  /** When it was last delivered, ms since the epoch. */
  deliveryTime: number;
  /** How many times it was delivered. */
  deliveryCount: number;
}

/** A consumer of a group: Redis's streamConsumer. */
export interface StreamConsumer {
  name: string;
  /** When the consumer last interacted (read or claimed), ms since the epoch. */
  seenTime: number;
  /** The IDs of the group's pending entries it owns (each also in the group's `pending`). */
  pending: Set<StreamId>;
}

/** A consumer group: Redis's streamCG. */
export interface ConsumerGroup {
  name: string;
  /** The last ID delivered to the group's consumers. */
  lastId: StreamId;
  /** Entries read by the group (Redis 7's entries_read; -1 when unknown: SCG_INVALID_ENTRIES_READ). */
  entriesRead: number;
  /** The pending entries list, by ID; kept in ID order by the code that inserts into it. */
  pending: Map<StreamId, PendingEntry>;
  /** Consumers by name, in creation order. */
  consumers: Map<string, StreamConsumer>;
}

/**
 * A stream. `entries` is sorted by ID (appends are the common case; deletes splice). The counters are those
 * Redis keeps and XINFO/XSETID/RDB carry: they are not derivable from the entries once any were deleted.
 */
export class Stream {
  /** Entries in ID order. */
  entries: StreamEntry[] = [];
  /** The largest ID ever added (Redis's last_id); 0-0 for a stream that never had one. */
  lastId: StreamId = 0n;
  /** The largest ID ever deleted (Redis 7's max_deleted_entry_id); 0-0 when none. */
  maxDeletedId: StreamId = 0n;
  /** How many entries were ever added (Redis 7's entries_added). */
  entriesAdded = 0;
  /** Consumer groups by name, in creation order. */
  groups = new Map<string, ConsumerGroup>();

  /** Number of entries (XLEN). */
  get length(): number {
    return this.entries.length;
  }

  /** The first entry's ID, or 0-0 when empty (Redis's first_id). */
  get firstId(): StreamId {
    return this.entries.length > 0 ? this.entries[0].id : 0n;
  }

  /** Index of the first entry with id >= `id` (binary search). */
  lowerBound(id: StreamId): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid].id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
