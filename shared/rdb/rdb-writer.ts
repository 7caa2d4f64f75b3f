import { binaryToBytes } from '../bytes.js';
import type { Database, RedisValue } from '../store/database.js';
import { Deque } from '../store/deque.js';
import { SortedSet } from '../store/sorted-set.js';
import { Stream } from '../store/stream.js';
import { ChunkSink } from './chunk-sink.js';
import { lzfCompress } from './lzf.js';
import {
  RDB_64BITLEN,
  RDB_32BITLEN,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_INT8,
  RDB_ENC_LZF,
  RDB_ENCVAL,
  RDB_OPCODE_AUX,
  RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_FUNCTION2,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RDB_TYPE_HASH,
  RDB_TYPE_LIST,
  RDB_TYPE_SET,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET_2,
  RDB_VERSION,
} from './rdb-constants.js';
import { DEFAULT_STREAM_NODE_LIMITS, encodeStream, type StreamNodeLimits } from './stream-rdb.js';

/**
 * The RDB writer: Redis 7.0's format (version 10), as plain encodings every Redis since 2.x loads.
 *
 * Value encodings: strings as RDB_TYPE_STRING (integers in int8/16/32 form and strings over 20 bytes LZF
 * compressed when that saves space, exactly when Redis's rdbSaveRawString would), hashes as RDB_TYPE_HASH,
 * sets as RDB_TYPE_SET, sorted sets as RDB_TYPE_ZSET_2 (binary doubles). Lists are written as the plain
 * RDB_TYPE_LIST (a count, then each element as a string) rather than Redis 7's RDB_TYPE_LIST_QUICKLIST_2: a
 * quicklist node is a listpack whose header holds its total size, so it would have to be built whole in memory
 * before being written, and its node boundaries would be ours to invent. Redis 7.0's loader (and
 * redis-check-rdb) accepts type 1 and rebuilds its own quicklist from it, honouring its own
 * list-max-listpack-size, so the plain form is both simpler and streams element by element.
 * Streams are written as Redis 7.0 writes them (RDB_TYPE_STREAM_LISTPACKS_2, see stream-rdb.ts): there is no
 * plainer stream encoding.
 */

/** What a snapshot is taken of. */
export interface RdbSource {
  /** The databases, by index; empty ones are skipped as Redis does. */
  dbs: readonly Database[];
  /** Time of the snapshot in ms since the epoch (the ctime aux field is in seconds). */
  now: number;
  /** Replication id and offset (repl-id, repl-offset aux fields); omitted when replId is undefined. */
  replId?: string;
  replOffset?: number;
  /** The database the replication stream had selected (repl-stream-db). */
  replStreamDb?: number;
  /** The used-mem aux field; 0 when not given. */
  usedMem?: number;
  /**
   * The function libraries' code (FUNCTION LOAD), written as RDB_OPCODE_FUNCTION2 records before the databases
   * as Redis 7.0 does. Plain strings: the writer knows nothing of the engine that runs them.
   */
  functions?: readonly string[];
}

/** How to write. */
export interface RdbWriteOptions {
  /** Size of the chunks yielded (the last may be shorter); default 64 KiB. */
  chunkSize?: number;
  /** LZF-compress strings longer than 20 bytes when it saves at least 4 bytes (Redis's rdbcompression); default true. */
  compress?: boolean;
  /** stream-node-max-bytes / stream-node-max-entries, which decide how streams are cut into nodes; Redis's defaults. */
  streamNodeLimits?: StreamNodeLimits;
}

const DEFAULT_CHUNK_SIZE = 64 * 1024;
const INT_LIKE = /^(0|-?[1-9][0-9]{0,10})$/;

const scratch = new DataView(new ArrayBuffer(8));
const scratchBytes = new Uint8Array(scratch.buffer);

/** Writes an RDB length (6-bit, 14-bit, 32-bit or 64-bit big-endian form, the shortest that fits). */
export function writeLength(sink: ChunkSink, n: number): void {
  if (n < 1 << 6) {
    sink.byte(n);
  } else if (n < 1 << 14) {
    sink.byte(((n >>> 8) & 0x3f) | (1 << 6));
    sink.byte(n & 0xff);
  } else if (n <= 0xffffffff) {
    sink.byte(RDB_32BITLEN);
    scratch.setUint32(0, n, false);
    sink.bytes(scratchBytes, 0, 4);
  } else {
    sink.byte(RDB_64BITLEN);
    scratch.setBigUint64(0, BigInt(n), false);
    sink.bytes(scratchBytes, 0, 8);
  }
}

/**
 * The int8/16/32 encoding of s when Redis would use one: s is the canonical decimal form of an integer
 * (string2ll: no sign but '-', no leading zeros, no "-0") within int32. Returns the number or null.
 */
function integerEncodable(s: string): number | null {
  if (s.length > 11 || s.length === 0 || !INT_LIKE.test(s)) return null;
  const v = Number(s);
  return v >= -2147483648 && v <= 2147483647 ? v : null;
}

/** Writes the int8/16/32 string encoding of v. */
function writeEncodedInteger(sink: ChunkSink, v: number): void {
  if (v >= -128 && v <= 127) {
    sink.byte((RDB_ENCVAL << 6) | RDB_ENC_INT8);
    sink.byte(v & 0xff);
  } else if (v >= -32768 && v <= 32767) {
    sink.byte((RDB_ENCVAL << 6) | RDB_ENC_INT16);
    sink.byte(v & 0xff);
    sink.byte((v >> 8) & 0xff);
  } else {
    sink.byte((RDB_ENCVAL << 6) | RDB_ENC_INT32);
    scratch.setInt32(0, v, true);
    sink.bytes(scratchBytes, 0, 4);
  }
}

/**
 * Writes a binary string in the form Redis's rdbSaveRawString chooses: integer encoding, else LZF when
 * enabled and worthwhile, else length + bytes. Large strings land in several chunks at once; the generator form
 * (writeStringPieces) bounds that.
 */
export function writeString(sink: ChunkSink, s: string, compress = true): void {
  const int = integerEncodable(s);
  if (int !== null) {
    writeEncodedInteger(sink, int);
    return;
  }
  if (compress && s.length > 20) {
    const packed = lzfCompress(binaryToBytes(s), s.length - 4);
    if (packed) {
      sink.byte((RDB_ENCVAL << 6) | RDB_ENC_LZF);
      writeLength(sink, packed.length);
      writeLength(sink, s.length);
      sink.bytes(packed);
      return;
    }
  }
  writeLength(sink, s.length);
  sink.binary(s);
}

/** Like writeString, but pauses (yields) after each chunk's worth of a long string so chunks can be drained. */
function* writeStringPieces(sink: ChunkSink, s: string, compress: boolean): Generator<void, void, void> {
  if (s.length < sink.chunkSize) {
    writeString(sink, s, compress);
    if (sink.hasChunks) yield;
    return;
  }
  const step = sink.chunkSize;
  if (compress) {
    const packed = lzfCompress(binaryToBytes(s), s.length - 4);
    if (packed) {
      sink.byte((RDB_ENCVAL << 6) | RDB_ENC_LZF);
      writeLength(sink, packed.length);
      writeLength(sink, s.length);
      for (let i = 0; i < packed.length; i += step) {
        sink.bytes(packed, i, Math.min(packed.length, i + step));
        if (sink.hasChunks) yield;
      }
      return;
    }
  }
  writeLength(sink, s.length);
  for (let i = 0; i < s.length; i += step) {
    sink.binary(s, i, Math.min(s.length, i + step));
    if (sink.hasChunks) yield;
  }
}

/** The RDB type id this writer uses for a value. */
export function rdbTypeOf(value: RedisValue): number {
  if (typeof value === 'string') return RDB_TYPE_STRING;
  if (value instanceof Deque) return RDB_TYPE_LIST;
  if (value instanceof Map) return RDB_TYPE_HASH;
  if (value instanceof Set) return RDB_TYPE_SET;
  if (value instanceof SortedSet) return RDB_TYPE_ZSET_2;
  if (value instanceof Stream) return RDB_TYPE_STREAM_LISTPACKS_2;
  throw new TypeError('not a Redis value');
}

/** Whether a value is an empty aggregate, which Redis never stores. (An empty stream is a real value.) */
function isEmptyAggregate(value: RedisValue): boolean {
  if (typeof value === 'string' || value instanceof Stream) return false;
  return (value instanceof Deque ? value.length : value.size) === 0;
}

/**
 * Writes a value's encoding (without its type byte) for rdbTypeOf(value). Yields whenever full chunks are
 * waiting, so a caller streaming the output can drain them before the next element. `streamNodeLimits` decide
 * how a stream is cut into nodes (Redis's stream-node-max-bytes / -entries).
 */
export function* encodeValue(
  sink: ChunkSink,
  value: RedisValue,
  compress = true,
  streamNodeLimits: StreamNodeLimits = DEFAULT_STREAM_NODE_LIMITS,
): Generator<void, void, void> {
  if (typeof value === 'string') {
    yield* writeStringPieces(sink, value, compress);
    return;
  }
  if (value instanceof Stream) {
    yield* encodeStream(sink, value, { writeString }, compress, streamNodeLimits);
    return;
  }
  const limit = sink.chunkSize;
  if (value instanceof Deque) {
    writeLength(sink, value.length);
    for (const item of value) {
      if (item.length < limit) writeString(sink, item, compress);
      else yield* writeStringPieces(sink, item, compress);
      if (sink.hasChunks) yield;
    }
  } else if (value instanceof Map) {
    writeLength(sink, value.size);
    for (const [field, v] of value) {
      if (field.length < limit) writeString(sink, field, compress);
      else yield* writeStringPieces(sink, field, compress);
      if (v.length < limit) writeString(sink, v, compress);
      else yield* writeStringPieces(sink, v, compress);
      if (sink.hasChunks) yield;
    }
  } else if (value instanceof Set) {
    writeLength(sink, value.size);
    for (const member of value) {
      if (member.length < limit) writeString(sink, member, compress);
      else yield* writeStringPieces(sink, member, compress);
      if (sink.hasChunks) yield;
    }
  } else if (value instanceof SortedSet) {
    writeLength(sink, value.size);
    for (const [member, score] of value.entries()) {
      if (member.length < limit) writeString(sink, member, compress);
      else yield* writeStringPieces(sink, member, compress);
      scratch.setFloat64(0, score, true);
      sink.bytes(scratchBytes, 0, 8);
      if (sink.hasChunks) yield;
    }
  }
}

function writeAux(sink: ChunkSink, name: string, value: string): void {
  sink.byte(RDB_OPCODE_AUX);
  writeString(sink, name, false);
  writeString(sink, value, false);
}

function writeMillisecondTime(sink: ChunkSink, ms: number): void {
  scratch.setBigInt64(0, BigInt(Math.trunc(ms)), true);
  sink.bytes(scratchBytes, 0, 8);
}

/**
 * Writes a whole RDB file as a sequence of chunks of about `chunkSize` bytes (every chunk but the last is
 * exactly that size). The caller may pause between chunks (backpressure); nothing larger than one value's
 * encoding is ever buffered. The source must not change while the generator is being consumed: the
 * caller snapshots (or stops writes) for the duration.
 */
export function* writeRdb(source: RdbSource, opts: RdbWriteOptions = {}): Generator<Uint8Array, void, void> {
  const sink = new ChunkSink(opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const compress = opts.compress ?? true;
  sink.binary(`REDIS${String(RDB_VERSION).padStart(4, '0')}`);
  writeAux(sink, 'redis-ver', '7.0.15');
  writeAux(sink, 'redis-bits', '64');
  writeAux(sink, 'ctime', String(Math.floor(source.now / 1000)));
  writeAux(sink, 'used-mem', String(source.usedMem ?? 0));
  if (source.replId !== undefined) {
    writeAux(sink, 'repl-stream-db', String(source.replStreamDb ?? 0));
    writeAux(sink, 'repl-id', source.replId);
    writeAux(sink, 'repl-offset', String(source.replOffset ?? 0));
  }
  writeAux(sink, 'aof-base', '0');
  for (const code of source.functions ?? []) {
    sink.byte(RDB_OPCODE_FUNCTION2);
    writeString(sink, code, compress);
    if (sink.hasChunks) yield* sink.takeChunks();
  }

  for (const db of source.dbs) {
    if (db.dict.size === 0) continue;
    sink.byte(RDB_OPCODE_SELECTDB);
    writeLength(sink, db.id);
    sink.byte(RDB_OPCODE_RESIZEDB);
    writeLength(sink, db.dict.size);
    writeLength(sink, db.expires.size);
    for (const [key, value] of db.dict) {
      // Redis never stores an empty aggregate and skips one when loading; leave it out altogether.
      if (isEmptyAggregate(value)) continue;
      const expire = db.expires.get(key);
      if (expire !== undefined) {
        sink.byte(RDB_OPCODE_EXPIRETIME_MS);
        writeMillisecondTime(sink, expire);
      }
      sink.byte(rdbTypeOf(value));
      writeString(sink, key, compress);
      if (typeof value === 'string' && value.length < sink.chunkSize) {
        writeString(sink, value, compress);
      } else {
        for (const _ of encodeValue(sink, value, compress, opts.streamNodeLimits)) yield* sink.takeChunks();
      }
      if (sink.hasChunks) yield* sink.takeChunks();
    }
  }

  sink.byte(RDB_OPCODE_EOF);
  sink.bytes(sink.checksumLE());
  sink.flush();
  yield* sink.takeChunks();
}
