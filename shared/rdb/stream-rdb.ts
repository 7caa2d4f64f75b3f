import { ByteWriter } from '../bytes.js';
import {
  Stream,
  U64_MAX,
  idMs,
  idSeq,
  streamId,
  type ConsumerGroup,
  type PendingEntry,
  type StreamConsumer,
  type StreamEntry,
  type StreamId,
} from '../store/stream.js';
import { streamNodes as storeNodeLayout } from '../store/stream-nodes.js';
import type { ChunkSink } from './chunk-sink.js';
import { lzfCompress } from './lzf.js';
import { decodeListpack } from './packed-encodings.js';
import { RDB_32BITLEN, RDB_64BITLEN, RDB_TYPE_STREAM_LISTPACKS, RDB_TYPE_STREAM_LISTPACKS_3 } from './rdb-constants.js';
import { RdbError } from './rdb-error.js';

/**
 * Streams in RDB, as Redis 7.0 saves and loads them (rdb.c rdbSaveObject / rdbLoadObject for
 * RDB_TYPE_STREAM_LISTPACKS*, t_stream.c for the node layout):
 *
 *   <node count> { <16-byte big-endian master ID> <listpack> }*
 *   <length> <last ID ms> <last ID seq>
 *   [type >= 19: <first ID ms> <first ID seq> <max deleted ID ms> <max deleted ID seq> <entries added>]
 *   <group count> { <name> <last ID ms> <last ID seq> [type >= 19: <entries read>]
 *                   <PEL size> { <16-byte big-endian ID> <delivery time, int64 LE ms> <delivery count> }*
 *                   <consumer count> { <name> <seen time, int64 LE ms> [type 21: <active time>]
 *                                      <PEL size> { <16-byte big-endian ID> }* }* }*
 *
 * Numbers are RDB lengths (up to 64 bits). Each listpack holds a run of entries delta-encoded against its
 * master ID:
 *
 *   <count> <deleted> <master field count> <master fields...> 0
 *   { <flags> <ms diff> <seq diff> [<field count> <fields...>] <values...> <lp-count> }*
 *
 * where flags bit 1 marks a deleted entry and bit 2 an entry whose field names are the master's (then the
 * field count and names are left out) and lp-count is the number of listpack items the entry took.
 *
 * The store keeps entries in one sorted array; the node layout (master IDs and fields, entry counts) is
 * emulated beside it by shared/store/stream-nodes.ts, which cuts entries into nodes exactly as Redis's XADD
 * (streamAppendItem) does. The writer follows that layout, so a stream built by the same XADDs under the same
 * stream-node-max-bytes / stream-node-max-entries encodes to the same bytes as Redis's DUMP. Entries deleted
 * inside a node are the one difference: Redis keeps them in the listpack, flagged, while the store keeps only
 * how many there were. The writer leaves them out but keeps the node's key and master entry, so the reader's
 * entries, counters and radix-tree keys are Redis's; only where later XADDs on the loading side start a new
 * node can differ, as the node holds fewer bytes and entries than Redis's did.
 */

/** Redis's stream-node-max-bytes and stream-node-max-entries (0 = no limit), which decide node boundaries. */
export interface StreamNodeLimits {
  maxBytes: number;
  maxEntries: number;
}

/** Redis's defaults for the node limits. */
export const DEFAULT_STREAM_NODE_LIMITS: StreamNodeLimits = { maxBytes: 4096, maxEntries: 100 };

const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;
/** Listpack header: total bytes (u32) and element count (u16). */
const LP_HDR_SIZE = 6;
const LP_HDR_NUMELE_UNKNOWN = 0xffff;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const CANONICAL_INT = /^(0|-?[1-9][0-9]*)$/;

// ---------------------------------------------------------------------------------------------------------
// Listpack encoding (listpack.c), limited to what lpAppend / lpAppendInteger produce.
// ---------------------------------------------------------------------------------------------------------

/** lpStringToInt64: the integer a string element is stored as, or null when it stays a string. */
function listpackInteger(s: string): bigint | null {
  // LONG_STR_SIZE is 21: longer strings are never integers; lpStringToInt64 accepts no '+', no leading zeros
  // and no "-0".
  if (s.length === 0 || s.length >= 21 || !CANONICAL_INT.test(s)) return null;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

/** Bytes of an integer element's encoding (without its back-length): lpEncodeIntegerGetType. */
function intEncodingSize(v: number | bigint): number {
  if (typeof v === 'bigint') {
    if (v < -2147483648n || v > 2147483647n) return 9;
    v = Number(v);
  }
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

/** Bytes a string element's encoding takes (without its back-length) when it is not integer-like. */
function strEncodingSize(len: number): number {
  return len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
}

/** Builds a listpack by appending elements, as lpAppend / lpAppendInteger would. */
class ListpackBuilder {
  private readonly out = new ByteWriter(256);
  private count = 0;

  constructor() {
    for (let i = 0; i < LP_HDR_SIZE; i++) this.out.byte(0);
  }

  private backlen(len: number): void {
    const o = this.out;
    if (len <= 127) {
      o.byte(len);
    } else if (len < 16383) {
      o.byte(len >>> 7);
      o.byte((len & 127) | 128);
    } else if (len < 2097151) {
      o.byte(len >>> 14);
      o.byte(((len >>> 7) & 127) | 128);
      o.byte((len & 127) | 128);
    } else if (len < 268435455) {
      o.byte(len >>> 21);
      o.byte(((len >>> 14) & 127) | 128);
      o.byte(((len >>> 7) & 127) | 128);
      o.byte((len & 127) | 128);
    } else {
      o.byte(Math.floor(len / 2 ** 28));
      o.byte(((len >>> 21) & 127) | 128);
      o.byte(((len >>> 14) & 127) | 128);
      o.byte(((len >>> 7) & 127) | 128);
      o.byte((len & 127) | 128);
    }
  }

  /** lpAppendInteger: the smallest integer encoding. */
  int(value: number | bigint): void {
    const size = intEncodingSize(value);
    const o = this.out;
    if (size === 9) {
      o.byte(0xf4);
      let u = BigInt.asUintN(64, BigInt(value));
      for (let i = 0; i < 8; i++) {
        o.byte(Number(u & 0xffn));
        u >>= 8n;
      }
    } else {
      const v = Number(value);
      if (size === 1) {
        o.byte(v);
      } else if (size === 2) {
        const u = v < 0 ? (1 << 13) + v : v;
        o.byte((u >> 8) | 0xc0);
        o.byte(u & 0xff);
      } else {
        // 16, 24 and 32 bit: a type byte, then the two's complement little-endian.
        const width = size - 1;
        o.byte(width === 2 ? 0xf1 : width === 3 ? 0xf2 : 0xf3);
        const u = v < 0 ? 2 ** (8 * width) + v : v;
        for (let i = 0; i < width; i++) o.byte(Math.floor(u / 2 ** (8 * i)) & 0xff);
      }
    }
    this.backlen(size);
    this.count++;
  }

  /** lpAppend: a string, stored as an integer when lpStringToInt64 accepts it. */
  str(s: string): void {
    const int = listpackInteger(s);
    if (int !== null) {
      this.int(int >= -2147483648n && int <= 2147483647n ? Number(int) : int);
      return;
    }
    const o = this.out;
    const len = s.length;
    if (len < 64) {
      o.byte(0x80 | len);
    } else if (len < 4096) {
      o.byte(0xe0 | (len >> 8));
      o.byte(len & 0xff);
    } else {
      o.byte(0xf0);
      o.byte(len & 0xff);
      o.byte((len >>> 8) & 0xff);
      o.byte((len >>> 16) & 0xff);
      o.byte((len >>> 24) & 0xff);
    }
    o.binary(s);
    this.backlen(strEncodingSize(len));
    this.count++;
  }

  /** The finished listpack: header filled in, EOF byte appended. */
  finish(): Uint8Array {
    const o = this.out;
    o.byte(0xff);
    const total = o.length;
    const b = o.buf;
    b[0] = total & 0xff;
    b[1] = (total >>> 8) & 0xff;
    b[2] = (total >>> 16) & 0xff;
    b[3] = (total >>> 24) & 0xff;
    const n = Math.min(this.count, LP_HDR_NUMELE_UNKNOWN);
    b[4] = n & 0xff;
    b[5] = n >>> 8;
    return b.subarray(0, total);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Node listpacks.
// ---------------------------------------------------------------------------------------------------------

function sameFields(fields: string[], master: readonly string[]): boolean {
  if (fields.length !== master.length * 2) return false;
  for (let i = 0; i < master.length; i++) if (fields[i * 2] !== master[i]) return false;
  return true;
}

function msDiff(id: StreamId, master: StreamId): bigint {
  return BigInt.asIntN(64, idMs(id) - idMs(master));
}

function seqDiff(id: StreamId, master: StreamId): bigint {
  return BigInt.asIntN(64, idSeq(id) - idSeq(master));
}

/**
 * The listpack of one node: master entry (`masterId` and `master` field names: those of the first entry ever
 * added to the node) and then entries[start, end), all live.
 */
export function encodeStreamNode(masterId: StreamId, master: readonly string[], entries: readonly StreamEntry[], start: number, end: number): Uint8Array {
  const lp = new ListpackBuilder();
  lp.int(end - start);
  lp.int(0);
  lp.int(master.length);
  for (const f of master) lp.str(f);
  lp.int(0);
  for (let i = start; i < end; i++) {
    const { id, fields } = entries[i];
    const same = sameFields(fields, master);
    const numFields = fields.length / 2;
    lp.int(same ? FLAG_SAMEFIELDS : 0);
    lp.int(msDiff(id, masterId));
    lp.int(seqDiff(id, masterId));
    if (!same) lp.int(numFields);
    for (let j = 0; j < fields.length; j += 2) {
      if (!same) lp.str(fields[j]);
      lp.str(fields[j + 1]);
    }
    lp.int(numFields + 3 + (same ? 0 : numFields + 1));
  }
  return lp.finish();
}

// ---------------------------------------------------------------------------------------------------------
// Writing.
// ---------------------------------------------------------------------------------------------------------

/** The sink operations the stream writer needs from rdb-writer (passed in to keep the import one-way). */
export interface StreamWriteHelpers {
  /** rdbSaveRawString for a binary string: integer or LZF form when Redis would use one. */
  writeString(sink: ChunkSink, s: string, compress: boolean): void;
}

/** rdbSaveLen for a 64-bit unsigned value. */
export function writeLength64(sink: ChunkSink, n: bigint): void {
  if (n < 0n || n > U64_MAX) throw new RangeError('length out of range');
  if (n < 64n) {
    sink.byte(Number(n));
  } else if (n < 16384n) {
    const v = Number(n);
    sink.byte(((v >>> 8) & 0x3f) | 0x40);
    sink.byte(v & 0xff);
  } else if (n <= 0xffffffffn) {
    const v = Number(n);
    sink.byte(RDB_32BITLEN);
    sink.byte(v >>> 24);
    sink.byte((v >>> 16) & 0xff);
    sink.byte((v >>> 8) & 0xff);
    sink.byte(v & 0xff);
  } else {
    sink.byte(RDB_64BITLEN);
    for (let shift = 56n; shift >= 0n; shift -= 8n) sink.byte(Number((n >> shift) & 0xffn));
  }
}

/** The raw 128-bit big-endian form of an ID (rax keys, PEL entries). */
function writeRawId(sink: ChunkSink, id: StreamId): void {
  for (let shift = 120n; shift >= 0n; shift -= 8n) sink.byte(Number((id >> shift) & 0xffn));
}

function rawIdString(id: StreamId): string {
  let s = '';
  for (let shift = 120n; shift >= 0n; shift -= 8n) s += String.fromCharCode(Number((id >> shift) & 0xffn));
  return s;
}

/** rdbSaveMillisecondTime: an int64, little-endian. */
function writeMillis(sink: ChunkSink, ms: number): void {
  let u = BigInt.asUintN(64, BigInt(Math.trunc(ms)));
  for (let i = 0; i < 8; i++) {
    sink.byte(Number(u & 0xffn));
    u >>= 8n;
  }
}

/** rdbSaveRawString for bytes that are never integer-like (a listpack): LZF when enabled and it pays. */
function writeBlob(sink: ChunkSink, b: Uint8Array, compress: boolean): void {
  if (compress && b.length > 20) {
    const packed = lzfCompress(b, b.length - 4);
    if (packed) {
      sink.byte(0xc3);
      writeLength64(sink, BigInt(packed.length));
      writeLength64(sink, BigInt(b.length));
      sink.bytes(packed);
      return;
    }
  }
  writeLength64(sink, BigInt(b.length));
  sink.bytes(b);
}

function writeId(sink: ChunkSink, id: StreamId): void {
  writeLength64(sink, idMs(id));
  writeLength64(sink, idSeq(id));
}

function byBinary<T>(a: [string, T], b: [string, T]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function sortedIds(ids: Iterable<StreamId>): StreamId[] {
  return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Writes a stream's RDB_TYPE_STREAM_LISTPACKS_2 encoding (without the type byte) as Redis 7.0's rdbSaveObject
 * does. Groups and consumers go out in name order and PELs in ID order, as Redis walks its radix trees.
 * Yields whenever full chunks are waiting.
 */
export function* encodeStream(
  sink: ChunkSink,
  stream: Stream,
  helpers: StreamWriteHelpers,
  compress = true,
  limits: StreamNodeLimits = DEFAULT_STREAM_NODE_LIMITS,
): Generator<void, void, void> {
  const entries = stream.entries;
  const nodes = storeNodeLayout(stream, limits);
  writeLength64(sink, BigInt(nodes.length));
  let start = 0;
  for (const node of nodes) {
    const end = start + node.live;
    if (node.live <= 0 || end > entries.length) throw new Error('stream node layout does not match its entries');
    helpers.writeString(sink, rawIdString(node.masterId), compress);
    writeBlob(sink, encodeStreamNode(node.masterId, node.masterFields, entries, start, end), compress);
    start = end;
    if (sink.hasChunks) yield;
  }
  if (start !== entries.length) throw new Error('stream node layout does not match its entries');
  writeLength64(sink, BigInt(entries.length));
  writeId(sink, stream.lastId);
  writeId(sink, stream.firstId);
  writeId(sink, stream.maxDeletedId);
  writeLength64(sink, BigInt(stream.entriesAdded));
  writeLength64(sink, BigInt(stream.groups.size));
  for (const [name, group] of [...stream.groups].sort(byBinary)) {
    helpers.writeString(sink, name, compress);
    writeId(sink, group.lastId);
    // entries_read is a long long saved as an unsigned length: -1 (unknown) becomes 2^64-1.
    writeLength64(sink, BigInt.asUintN(64, BigInt(group.entriesRead)));
    const pelIds = sortedIds(group.pending.keys());
    writeLength64(sink, BigInt(pelIds.length));
    for (const id of pelIds) {
      const nack = group.pending.get(id)!;
      writeRawId(sink, id);
      writeMillis(sink, nack.deliveryTime);
      writeLength64(sink, BigInt(nack.deliveryCount));
      if (sink.hasChunks) yield;
    }
    writeLength64(sink, BigInt(group.consumers.size));
    for (const [cname, consumer] of [...group.consumers].sort(byBinary)) {
      helpers.writeString(sink, cname, compress);
      writeMillis(sink, consumer.seenTime);
      const ids = sortedIds(consumer.pending);
      writeLength64(sink, BigInt(ids.length));
      for (const id of ids) writeRawId(sink, id);
      if (sink.hasChunks) yield;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reading.
// ---------------------------------------------------------------------------------------------------------

/** The input operations the stream reader needs; rdb-reader's cursor provides them. */
export interface StreamReadSource {
  /** An RDB length that fits a JS number. */
  length(): Generator<void, number, void>;
  /** An RDB length of up to 64 bits. */
  length64(): Generator<void, bigint, void>;
  /** A string item as a binary string. */
  string(): Generator<void, string, void>;
  /** A string item as bytes. */
  blob(): Generator<void, Uint8Array, void>;
  /** `n` raw bytes. */
  bytes(n: number): Generator<void, Uint8Array, void>;
}

function corrupt(message: string): never {
  throw new RdbError(message);
}

function rawToId(b: Uint8Array, off = 0): StreamId {
  let id = 0n;
  for (let i = 0; i < 16; i++) id = (id << 8n) | BigInt(b[off + i]);
  return id;
}

function readMillis(b: Uint8Array): number {
  return Number(new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true));
}

/** An integer listpack item (lpGetIntegerIfValid): a decimal in int64 range, or the node is corrupt. */
function itemInt(items: string[], i: number): number {
  if (i >= items.length) corrupt('Stream listpack integrity check failed.');
  const v = listpackInteger(items[i]);
  if (v === null) corrupt('Stream listpack integrity check failed.');
  return Number(v);
}

function itemBigInt(items: string[], i: number): bigint {
  if (i >= items.length) corrupt('Stream listpack integrity check failed.');
  const v = listpackInteger(items[i]);
  if (v === null) corrupt('Stream listpack integrity check failed.');
  return v;
}

/**
 * Decodes one node's listpack against its master ID (the rax key) and appends its live entries to `out`.
 * Checks the layout as Redis's deep sanitisation (streamValidateListpackIntegrity) does.
 */
export function decodeStreamNode(masterId: StreamId, lp: Uint8Array, out: StreamEntry[]): void {
  const items = decodeListpack(lp);
  if (items.length === 0) corrupt('Empty listpack inside stream');
  const count = itemInt(items, 0);
  const deleted = itemInt(items, 1);
  const masterCount = itemInt(items, 2);
  if (count < 0 || deleted < 0 || masterCount < 0 || 3 + masterCount >= items.length) {
    corrupt('Stream listpack integrity check failed.');
  }
  const master = items.slice(3, 3 + masterCount);
  let p = 3 + masterCount;
  if (itemInt(items, p++) !== 0) corrupt('Stream listpack integrity check failed.');
  const masterMs = idMs(masterId);
  const masterSeq = idSeq(masterId);
  let live = 0;
  for (let n = count + deleted; n > 0; n--) {
    const flags = itemInt(items, p++);
    const ms = BigInt.asUintN(64, masterMs + itemBigInt(items, p++));
    const seq = BigInt.asUintN(64, masterSeq + itemBigInt(items, p++));
    let numFields = masterCount;
    let extra = 3;
    let fields: string[];
    if (flags & FLAG_SAMEFIELDS) {
      if (p + numFields > items.length) corrupt('Stream listpack integrity check failed.');
      fields = new Array(numFields * 2);
      for (let j = 0; j < numFields; j++) {
        fields[j * 2] = master[j];
        fields[j * 2 + 1] = items[p++];
      }
    } else {
      // Field/value pairs, interleaved.
      numFields = itemInt(items, p++);
      if (numFields < 0 || p + numFields * 2 > items.length) corrupt('Stream listpack integrity check failed.');
      fields = items.slice(p, p + numFields * 2);
      p += numFields * 2;
      extra += numFields + 1;
    }
    if (itemInt(items, p++) !== numFields + extra) corrupt('Stream listpack integrity check failed.');
    if (flags & FLAG_DELETED) continue;
    live++;
    out.push({ id: streamId(ms, seq), fields });
  }
  if (p !== items.length) corrupt('Stream listpack integrity check failed.');
  if (live !== count) corrupt('Stream listpack integrity check failed.');
}

function toSignedNumber(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

/** streamEstimateDistanceFromFirstEverEntry, for groups loaded from a type-15 stream (no entries_read). */
function estimateEntriesRead(s: Stream, id: StreamId): number {
  if (s.entriesAdded === 0) return 0;
  if (s.length === 0 && id <= s.lastId) return s.entriesAdded;
  if (id === s.lastId) return s.entriesAdded;
  if (id > s.lastId) return -1;
  const first = s.firstId;
  if (s.maxDeletedId === 0n || s.maxDeletedId < first) {
    if (id < first) return s.entriesAdded - s.length;
    if (id === first) return s.entriesAdded - s.length + 1;
  }
  return -1;
}

/**
 * Reads a stream value of RDB type 15, 19 or 21 (the type byte already consumed). Throws RdbError for the
 * inconsistencies Redis's loader reports and for those its deep sanitisation would (a node out of order, a
 * length that does not match the entries, a PEL entry without a consumer), since the store could not represent
 * such a stream faithfully.
 */
export function* readStream(src: StreamReadSource, type: number): Generator<void, Stream, void> {
  const s = new Stream();
  const nodes = yield* src.length();
  const entries: StreamEntry[] = [];
  let prevKey = -1n;
  for (let n = 0; n < nodes; n++) {
    const key = yield* src.blob();
    if (key.length !== 16) corrupt('Stream node key entry is not the size of a stream ID');
    const masterId = rawToId(key);
    if (masterId === prevKey) corrupt('Listpack re-added with existing key');
    if (masterId < prevKey) corrupt('Stream nodes out of order');
    prevKey = masterId;
    const lp = yield* src.blob();
    const before = entries.length;
    decodeStreamNode(masterId, lp, entries);
    for (let i = Math.max(before, 1); i < entries.length; i++) {
      if (entries[i].id <= entries[i - 1].id) corrupt('Stream entries out of order');
    }
  }
  s.entries = entries;
  const length = yield* src.length64();
  if (length !== BigInt(entries.length)) corrupt('Stream length inconsistent with rax entries');
  s.lastId = streamId(yield* src.length64(), yield* src.length64());
  if (type === RDB_TYPE_STREAM_LISTPACKS) {
    s.maxDeletedId = 0n;
    s.entriesAdded = entries.length;
  } else {
    // first_id is derived from the entries here; the stored one is read and checked against them only loosely,
    // as a stream emptied by XDEL stores 0-0 (or, loaded from type 15, the maximal ID).
    yield* src.length64();
    yield* src.length64();
    s.maxDeletedId = streamId(yield* src.length64(), yield* src.length64());
    s.entriesAdded = Number(yield* src.length64());
  }
  if (entries.length > 0 && entries[entries.length - 1].id > s.lastId) corrupt('Stream last ID smaller than its entries');

  const groupCount = yield* src.length();
  for (let g = 0; g < groupCount; g++) {
    const name = yield* src.string();
    const lastId = streamId(yield* src.length64(), yield* src.length64());
    const entriesRead = type === RDB_TYPE_STREAM_LISTPACKS ? estimateEntriesRead(s, lastId) : toSignedNumber(yield* src.length64());
    if (s.groups.has(name)) corrupt(`Duplicated consumer group name ${name}`);
    const group: ConsumerGroup = { name, lastId, entriesRead, pending: new Map(), consumers: new Map() };
    s.groups.set(name, group);
    const pelSize = yield* src.length();
    const loaded = new Map<StreamId, PendingEntry>();
    for (let i = 0; i < pelSize; i++) {
      const id = rawToId(yield* src.bytes(16));
      const deliveryTime = readMillis(yield* src.bytes(8));
      const deliveryCount = Number(yield* src.length64());
      if (loaded.has(id)) corrupt('Duplicated global PEL entry loading stream consumer group');
      loaded.set(id, { consumer: '', deliveryTime, deliveryCount });
    }
    // Redis resolves each global PEL entry's owner from the consumers' PELs that follow.
    const owned = new Set<StreamId>();
    const consumerCount = yield* src.length();
    for (let c = 0; c < consumerCount; c++) {
      const cname = yield* src.string();
      if (group.consumers.has(cname)) corrupt('Duplicate stream consumer detected.');
      const seenTime = readMillis(yield* src.bytes(8));
      // Redis 7.2 (type 21) adds the active time, which this store does not keep.
      if (type === RDB_TYPE_STREAM_LISTPACKS_3) yield* src.bytes(8);
      const consumer: StreamConsumer = { name: cname, seenTime, pending: new Set() };
      group.consumers.set(cname, consumer);
      const ownedCount = yield* src.length();
      for (let i = 0; i < ownedCount; i++) {
        const id = rawToId(yield* src.bytes(16));
        const nack = loaded.get(id);
        if (nack === undefined) corrupt('Consumer entry not found in group global PEL');
        if (owned.has(id)) corrupt('Duplicated consumer PEL entry  loading a stream consumer group');
        owned.add(id);
        nack.consumer = cname;
        consumer.pending.add(id);
      }
    }
    if (owned.size !== loaded.size) corrupt('Stream CG PEL entry without consumer');
    // The group PEL in ID order (the file's order is the rax's, but do not rely on it).
    for (const id of sortedIds(loaded.keys())) group.pending.set(id, loaded.get(id)!);
  }
  return s;
}
