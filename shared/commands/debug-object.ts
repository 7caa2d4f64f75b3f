import { ByteWriter, binaryToBytes, concatBytes } from '../bytes.js';
import type { RedisValue } from '../store/database.js';
import { Deque } from '../store/deque.js';
import { SortedSet } from '../store/sorted-set.js';
import { Stream } from '../store/stream.js';
import { ChunkSink } from '../rdb/chunk-sink.js';
import { lzfCompress } from '../rdb/lzf.js';
import { encodeStream, type StreamNodeLimits } from '../rdb/stream-rdb.js';
import { formatDouble } from '../resp/reply.js';
import { DEFAULT_QUICKLIST_SETTINGS, type QuicklistSettings } from './debug-quicklist.js';
import { objectEncoding } from './scan.js';

/**
 * DEBUG OBJECT's numbers that depend on how Redis 7.0 lays a value out in memory: `serializedlength` (Redis's
 * rdbSavedObjectLen: the bytes rdbSaveObject writes for the value, without type byte or key) and, for lists,
 * the quicklist figures. Redis saves compact encodings as their in-memory blobs (a listpack for small hashes
 * and sorted sets, an intset for small integer sets, one listpack per quicklist node), so those blobs are
 * rebuilt here exactly as Redis builds them from the value's current contents.
 *
 * Limits of the rebuild: a list's quicklist nodes are laid out as if every element had been appended at the
 * tail (RPUSH order) under the list's settings (debug-quicklist.ts), which is what Redis has for lists built
 * that way and for any list of one node (up to about 8 KB by default); lists shaped by LPUSH, LINSERT or
 * trimming across node boundaries can be cut differently in Redis. With list-compress-depth, every node past
 * that depth from both ends is taken as compressed, Redis's steady state (a node it decompressed to read
 * stays so until the next write near it). An intset's width is that of its current members (Redis never narrows one after a removal). A stream
 * that had entries deleted (XDEL) comes out shorter: Redis keeps deleted entries, flagged, inside their node's
 * listpack until the node is rewritten, and our store keeps only the live ones.
 */

/** quicklist.c's optimization_level, SIZE_SAFETY_LIMIT and SIZE_ESTIMATE_OVERHEAD. */
const OPTIMIZATION_LEVEL = [4096, 8192, 16384, 32768, 65536];
const SIZE_SAFETY_LIMIT = 8192;
const SIZE_ESTIMATE_OVERHEAD = 8;
/** quicklist.c's MIN_COMPRESS_BYTES and MIN_COMPRESS_IMPROVE: when a node is worth LZF-compressing. */
const MIN_COMPRESS_BYTES = 48;
const MIN_COMPRESS_IMPROVE = 8;
/** quicklist's container types: one raw element (PLAIN) or a listpack (PACKED). */
const CONTAINER_PLAIN = 1;
const CONTAINER_PACKED = 2;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
/** double2ll's safe range: |d| up to LLONG_MAX/2, as a double. */
const DOUBLE2LL_LIMIT = 4611686018427387904;

/** What serializing depends on. */
export interface SerializeOptions {
  /** rdbcompression. */
  compress: boolean;
  /** How lists are cut into quicklist nodes (Redis's defaults when not given). */
  quicklist?: QuicklistSettings;
  /** stream-node-max-bytes / -entries. */
  streamNodeLimits: StreamNodeLimits;
}

/** Bytes of an RDB length (rdbSaveLen). */
function lengthSize(n: number): number {
  return n < 1 << 6 ? 1 : n < 1 << 14 ? 2 : n <= 0xffffffff ? 5 : 9;
}

/**
 * Bytes rdbSaveRawString writes for a blob that never looks like an integer (a listpack or intset): LZF when
 * rdbcompression is on, the blob is over 20 bytes and liblzf saves at least 4 of them, else the raw blob.
 */
function blobSize(b: Uint8Array, compress: boolean): number {
  if (compress && b.length > 20) {
    const packed = lzfCompress(b, b.length - 4);
    if (packed) return 1 + lengthSize(packed.length) + lengthSize(b.length) + packed.length;
  }
  return lengthSize(b.length) + b.length;
}

/**
 * Bytes rdbSaveRawString (or rdbSaveLongLongAsStringObject) writes for a string: 2, 3 or 5 bytes for the
 * canonical form of an int8/16/32, otherwise as a blob.
 */
function stringSize(s: string, compress: boolean): number {
  if (s.length <= 11 && /^(0|-?[1-9][0-9]*)$/.test(s)) {
    const v = Number(s);
    if (v >= -128 && v <= 127) return 2;
    if (v >= -32768 && v <= 32767) return 3;
    if (v >= -2147483648 && v <= 2147483647) return 5;
  }
  if (compress && s.length > 20) return blobSize(binaryToBytes(s), compress);
  return lengthSize(s.length) + s.length;
}

/** lpStringToInt64: the integer a listpack stores a string as, or null when it stays a string. */
function listpackInteger(s: string): bigint | null {
  if (s.length === 0 || s.length >= 21 || !/^(0|-?[1-9][0-9]*)$/.test(s)) return null;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

/** A listpack (listpack.c) built by appending, as lpAppend and lpAppendInteger build one. */
class Listpack {
  private readonly w = new ByteWriter(64);
  private count = 0;

  constructor() {
    for (let i = 0; i < 6; i++) this.w.byte(0);
  }

  /** lpBytes: the listpack's total size, including its end byte. */
  get bytes(): number {
    return this.w.length + 1;
  }

  /** Entries appended so far. */
  get length(): number {
    return this.count;
  }

  private backlen(len: number): void {
    const w = this.w;
    if (len <= 127) {
      w.byte(len);
    } else if (len < 16383) {
      w.byte(len >>> 7);
      w.byte((len & 127) | 128);
    } else if (len < 2097151) {
      w.byte(len >>> 14);
      w.byte(((len >>> 7) & 127) | 128);
      w.byte((len & 127) | 128);
    } else if (len < 268435455) {
      w.byte(len >>> 21);
      w.byte(((len >>> 14) & 127) | 128);
      w.byte(((len >>> 7) & 127) | 128);
      w.byte((len & 127) | 128);
    } else {
      w.byte(Math.floor(len / 2 ** 28));
      w.byte(((len >>> 21) & 127) | 128);
      w.byte(((len >>> 14) & 127) | 128);
      w.byte(((len >>> 7) & 127) | 128);
      w.byte((len & 127) | 128);
    }
  }

  /** lpAppendInteger: the smallest of the integer encodings. */
  integer(v: bigint): void {
    const w = this.w;
    let size: number;
    if (v >= 0n && v <= 127n) {
      w.byte(Number(v));
      size = 1;
    } else if (v >= -4096n && v <= 4095n) {
      const u = v < 0n ? (1 << 13) + Number(v) : Number(v);
      w.byte((u >> 8) | 0xc0);
      w.byte(u & 0xff);
      size = 2;
    } else {
      const width = v >= -32768n && v <= 32767n ? 2 : v >= -8388608n && v <= 8388607n ? 3 : v >= -2147483648n && v <= 2147483647n ? 4 : 8;
      w.byte(width === 2 ? 0xf1 : width === 3 ? 0xf2 : width === 4 ? 0xf3 : 0xf4);
      let u = BigInt.asUintN(8 * width, v);
      for (let i = 0; i < width; i++) {
        w.byte(Number(u & 0xffn));
        u >>= 8n;
      }
      size = 1 + width;
    }
    this.backlen(size);
    this.count++;
  }

  /** lpAppend: a string, stored as an integer when it is one. */
  string(s: string): void {
    const int = listpackInteger(s);
    if (int !== null) {
      this.integer(int);
      return;
    }
    const w = this.w;
    const len = s.length;
    if (len < 64) {
      w.byte(0x80 | len);
    } else if (len < 4096) {
      w.byte(0xe0 | (len >> 8));
      w.byte(len & 0xff);
    } else {
      w.byte(0xf0);
      for (let i = 0; i < 4; i++) w.byte(Math.floor(len / 2 ** (8 * i)) & 0xff);
    }
    w.binary(s);
    this.backlen((len < 64 ? 1 : len < 4096 ? 2 : 5) + len);
    this.count++;
  }

  /** The finished blob: header filled in, end byte appended. */
  finish(): Uint8Array {
    const w = this.w;
    w.byte(0xff);
    const b = w.buf;
    const total = w.length;
    for (let i = 0; i < 4; i++) b[i] = Math.floor(total / 2 ** (8 * i)) & 0xff;
    const n = Math.min(this.count, 0xffff);
    b[4] = n & 0xff;
    b[5] = n >>> 8;
    return b.slice(0, total);
  }
}

/** The listpack of a small hash: field, value, ... in insertion order (Redis appends new fields at the end). */
function hashListpack(h: Map<string, string>): Uint8Array {
  const lp = new Listpack();
  for (const [field, value] of h) {
    lp.string(field);
    lp.string(value);
  }
  return lp.finish();
}

/** The listpack of a small sorted set: member, score, ... by score; integral scores as integers (zzlInsertAt). */
function zsetListpack(z: SortedSet): Uint8Array {
  const lp = new Listpack();
  for (const [member, score] of z.entries()) {
    lp.string(member);
    if (Number.isInteger(score) && Math.abs(score) <= DOUBLE2LL_LIMIT) lp.integer(BigInt(score));
    else lp.string(formatDouble(score));
  }
  return lp.finish();
}

/** The intset of a small integer set: sorted, every value at the width of the widest. */
function intsetBlob(s: Set<string>): Uint8Array {
  const values = [...s].map((m) => BigInt(m)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let width = 2;
  for (const v of values) {
    if (v < -2147483648n || v > 2147483647n) width = 8;
    else if ((v < -32768n || v > 32767n) && width < 4) width = 4;
  }
  const out = new Uint8Array(8 + width * values.length);
  out[0] = width;
  new DataView(out.buffer).setUint32(4, values.length, true);
  let o = 8;
  for (const v of values) {
    let u = BigInt.asUintN(8 * width, v);
    for (let i = 0; i < width; i++) {
      out[o++] = Number(u & 0xffn);
      u >>= 8n;
    }
  }
  return out;
}

/** Whether quicklist would append an element of `sz` bytes to a listpack node (_quicklistNodeAllowInsert). */
function allowInsert(node: Listpack, sz: number, fill: number): boolean {
  const newSize = node.bytes + sz + SIZE_ESTIMATE_OVERHEAD;
  if (fill < 0) {
    const level = OPTIMIZATION_LEVEL[-fill - 1];
    if (level !== undefined && newSize <= level) return true;
  }
  if (newSize > SIZE_SAFETY_LIMIT) return false;
  return node.length < fill;
}

/** A quicklist node: a listpack, or (an element at or over the packed threshold) that element alone. */
type QuicklistNode = Listpack | { plain: string };

/** A node's size in bytes (quicklistNode->sz): the listpack's, or the plain element's. */
function nodeBytes(node: QuicklistNode): number {
  return node instanceof Listpack ? node.bytes : node.plain.length;
}

/**
 * A list's quicklist nodes, cut as tail appends cut them (quicklistPushTail): a large element gets a plain
 * node of its own and the element after it starts a new listpack.
 */
function quicklistNodes(list: Deque<string>, settings: QuicklistSettings): QuicklistNode[] {
  const nodes: QuicklistNode[] = [];
  let tail: Listpack | undefined;
  for (const item of list) {
    if (item.length >= settings.packedThreshold) {
      nodes.push({ plain: item });
      tail = undefined;
      continue;
    }
    if (!tail || !allowInsert(tail, item.length, settings.fill)) {
      tail = new Listpack();
      nodes.push(tail);
    }
    tail.string(item);
  }
  return nodes;
}

/**
 * Bytes rdbSaveObject writes for one node: its container, then the node as a compressed quicklist keeps it
 * (the LZF blob as is, when the node is an interior one __quicklistCompressNode managed to compress) or else
 * as rdbSaveRawString writes the raw bytes.
 */
function quicklistNodeSize(node: QuicklistNode, interior: boolean, compress: boolean): number {
  const raw = node instanceof Listpack ? node.finish() : binaryToBytes(node.plain);
  const container = node instanceof Listpack ? CONTAINER_PACKED : CONTAINER_PLAIN;
  if (interior && raw.length >= MIN_COMPRESS_BYTES) {
    // lzf_compress into sz bytes, kept only when it saves more than MIN_COMPRESS_IMPROVE.
    const packed = lzfCompress(raw, raw.length);
    if (packed && packed.length + MIN_COMPRESS_IMPROVE < raw.length) {
      return lengthSize(container) + 1 + lengthSize(packed.length) + lengthSize(raw.length) + packed.length;
    }
  }
  const body = node instanceof Listpack ? blobSize(raw, compress) : stringSize(node.plain, compress);
  return lengthSize(container) + body;
}

/** Reads an RDB length (rdbLoadLen) at `pos`: [value, bytes taken]. */
function readLength(b: Uint8Array, pos: number): [number, number] {
  const first = b[pos];
  const kind = first >> 6;
  if (kind === 0) return [first & 0x3f, 1];
  if (kind === 1) return [((first & 0x3f) << 8) | b[pos + 1], 2];
  let n = 0;
  const width = first === 0x80 ? 4 : 8;
  for (let i = 1; i <= width; i++) n = n * 256 + b[pos + i];
  return [n, 1 + width];
}

/**
 * A stream's encoding size. The stream writer (stream-rdb.ts) cuts nodes as Redis does, but its blobs would be
 * compressed by lzf.ts, whose matches differ from liblzf's: so the stream is written uncompressed, and each
 * node's listpack and each name is then sized as Redis's compression would size it.
 */
function streamSize(stream: Stream, opts: SerializeOptions): number {
  const sink = new ChunkSink();
  let delta = 0;
  const helpers = {
    writeString(target: ChunkSink, str: string): void {
      delta += stringSize(str, opts.compress) - (lengthSize(str.length) + str.length);
      writeRawString(target, str);
    },
  };
  const chunks: Uint8Array[] = [];
  for (const _ of encodeStream(sink, stream, helpers, false, opts.streamNodeLimits)) chunks.push(...sink.takeChunks());
  sink.flush();
  chunks.push(...sink.takeChunks());
  const bytes = concatBytes(chunks);
  // Layout: <node count> { <master id: string of 16 bytes> <listpack blob> }* <metadata>.
  let pos = 0;
  const [nodes, taken] = readLength(bytes, pos);
  pos += taken;
  for (let i = 0; i < nodes; i++) {
    const [idLen, idTaken] = readLength(bytes, pos);
    pos += idTaken + idLen;
    const [lpLen, lpTaken] = readLength(bytes, pos);
    const lp = bytes.subarray(pos + lpTaken, pos + lpTaken + lpLen);
    delta += blobSize(lp, opts.compress) - (lpTaken + lpLen);
    pos += lpTaken + lpLen;
  }
  return bytes.length + delta;
}

/** rdbSaveRawString without integer or LZF forms: the length, then the bytes. */
function writeRawString(sink: ChunkSink, s: string): void {
  const n = s.length;
  if (n < 1 << 6) {
    sink.byte(n);
  } else if (n < 1 << 14) {
    sink.byte(((n >>> 8) & 0x3f) | 0x40);
    sink.byte(n & 0xff);
  } else {
    sink.byte(0x80);
    for (let i = 3; i >= 0; i--) sink.byte(Math.floor(n / 2 ** (8 * i)) & 0xff);
  }
  sink.binary(s);
}

/** Redis's rdbSavedObjectLen: the bytes of the value's RDB encoding, as Redis encodes it. */
export function serializedLength(value: RedisValue, opts: SerializeOptions): number {
  const { compress } = opts;
  if (typeof value === 'string') return stringSize(value, compress);
  if (value instanceof Deque) {
    const settings = opts.quicklist ?? DEFAULT_QUICKLIST_SETTINGS;
    const nodes = quicklistNodes(value, settings);
    // __quicklistCompress leaves `depth` nodes raw at each end, and compresses nothing in a shorter list.
    const depth = settings.compressDepth;
    const compressing = depth > 0 && nodes.length > 2 * depth;
    let n = lengthSize(nodes.length);
    nodes.forEach((node, i) => {
      const interior = compressing && i >= depth && i < nodes.length - depth;
      n += quicklistNodeSize(node, interior, compress);
    });
    return n;
  }
  if (value instanceof Stream) return streamSize(value, opts);
  const encoding = objectEncoding(value);
  if (value instanceof Map) {
    if (encoding === 'listpack') return blobSize(hashListpack(value), compress);
    let n = lengthSize(value.size);
    for (const [field, v] of value) n += stringSize(field, compress) + stringSize(v, compress);
    return n;
  }
  if (value instanceof Set) {
    if (encoding === 'intset') return blobSize(intsetBlob(value), compress);
    let n = lengthSize(value.size);
    for (const member of value) n += stringSize(member, compress);
    return n;
  }
  if (encoding === 'listpack') return blobSize(zsetListpack(value), compress);
  let n = lengthSize(value.size);
  // Each member, then its score as a binary double (RDB_TYPE_ZSET_2).
  for (const [member] of value.entries()) n += stringSize(member, compress) + 8;
  return n;
}

/**
 * The quicklist fields DEBUG OBJECT appends for a list:
 * ` ql_nodes:N ql_avg_node:F ql_listpack_max:N ql_compressed:0|1 ql_uncompressed_size:N`.
 */
export function quicklistFields(list: Deque<string>, settings: QuicklistSettings = DEFAULT_QUICKLIST_SETTINGS): string {
  const nodes = quicklistNodes(list, settings);
  let size = 0;
  for (const node of nodes) size += nodeBytes(node);
  const avg = (list.length / nodes.length).toFixed(2);
  return (
    ` ql_nodes:${nodes.length} ql_avg_node:${avg} ql_listpack_max:${settings.fill}` +
    ` ql_compressed:${settings.compressDepth !== 0 ? 1 : 0} ql_uncompressed_size:${size}`
  );
}
