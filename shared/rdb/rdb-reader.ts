import { bytesToBinary, concatBytes } from '../bytes.js';
import type { RedisValue } from '../store/database.js';
import { Deque } from '../store/deque.js';
import { SortedSet } from '../store/sorted-set.js';
import { Crc64 } from './crc64.js';
import { lzfDecompress } from './lzf.js';
import { decodeIntset, decodeListpack, decodeZiplist, decodeZipmap } from './packed-encodings.js';
import {
  QUICKLIST_NODE_CONTAINER_PACKED,
  QUICKLIST_NODE_CONTAINER_PLAIN,
  RDB_64BITLEN,
  RDB_32BITLEN,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_INT8,
  RDB_ENC_LZF,
  RDB_OPCODE_AUX,
  RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_FREQ,
  RDB_OPCODE_FUNCTION,
  RDB_OPCODE_FUNCTION2,
  RDB_OPCODE_IDLE,
  RDB_OPCODE_MODULE_AUX,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_HASH_ZIPLIST,
  RDB_TYPE_HASH_ZIPMAP,
  RDB_TYPE_LIST,
  RDB_TYPE_LIST_QUICKLIST,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_LIST_ZIPLIST,
  RDB_TYPE_MODULE,
  RDB_TYPE_MODULE_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STREAM_LISTPACKS_3,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_TYPE_ZSET_ZIPLIST,
  RDB_VERSION,
  rdbTypeName,
} from './rdb-constants.js';
import { RdbError } from './rdb-error.js';
import { readStream } from './stream-rdb.js';

/** What the reader reports, in file order. */
export interface RdbHandlers {
  /** An AUX field (redis-ver, repl-id, ...): name and value as binary strings. */
  onAux?(name: string, value: string): void;
  /** SELECTDB: the keys that follow belong to database `db`. */
  onSelectDb?(db: number): void;
  /** RESIZEDB: size hints for the selected database. */
  onResizeDb?(dbSize: number, expiresSize: number): void;
  /** One key. expireMs is absolute (ms since the epoch) or -1. Keys already expired are reported too. */
  onKey(db: number, key: string, value: RedisValue, expireMs: number): void;
  /** A function library (FUNCTION2 opcode, Redis 7): its source code. Skipped when not handled. */
  onFunction?(code: string): void;
  /**
   * The end of the file. checksumOk is true when a CRC-64 was present and matched, false when the file carries
   * none (version < 5, or 0, which Redis writes with rdbchecksum off). A mismatch throws instead.
   */
  onEnd?(checksumOk: boolean): void;
}

const EMPTY = new Uint8Array(0);
/** V8's longest string: longer RDB strings cannot be represented as binary strings. */
const MAX_STRING = 0x1fffffe8;

function parseScore(s: string): number {
  const t = s.toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  const v = s.trim() === '' ? NaN : Number(s);
  if (Number.isNaN(v)) throw new RdbError(`Invalid sorted set score '${s}'`);
  return v;
}

function buildZset(pairs: string[], what: string): SortedSet {
  if (pairs.length % 2 !== 0) throw new RdbError(`${what} integrity check failed`);
  const z = new SortedSet();
  for (let i = 0; i < pairs.length; i += 2) {
    const before = z.size;
    z.add(pairs[i], parseScore(pairs[i + 1]));
    if (z.size === before) throw new RdbError('Duplicate zset fields detected');
  }
  return z;
}

function buildHash(pairs: string[], what: string): Map<string, string> {
  if (pairs.length % 2 !== 0) throw new RdbError(`${what} integrity check failed`);
  const h = new Map<string, string>();
  for (let i = 0; i < pairs.length; i += 2) {
    h.set(pairs[i], pairs[i + 1]);
    if (h.size !== i / 2 + 1) throw new RdbError('Duplicate hash fields detected');
  }
  return h;
}

/**
 * The byte-level half of the reader: a window on the input with non-blocking primitives. Each try* method
 * either consumes a whole item and returns it, or consumes nothing, records in `need` how many bytes (from
 * `pos`) it wants, and returns undefined; the generator methods then yield until the input has grown by that
 * much. An item is therefore never re-parsed more than once per chunk and a large string is copied once.
 */
class RdbCursor {
  protected buf: Uint8Array = EMPTY;
  protected pos = 0;
  /** Bytes the parser needs (counted from pos) before it can make progress. */
  protected need = 0;
  /** Length of the last length read by lengthAt. */
  private lenSize = 0;

  /** An RDB length at buf[off]; -1 when incomplete (need is set). */
  private lengthAt(off: number): number {
    const b = this.buf;
    const avail = b.length - off;
    if (avail < 1) {
      this.need = off - this.pos + 1;
      return -1;
    }
    const first = b[off];
    switch (first >> 6) {
      case 0:
        this.lenSize = 1;
        return first & 0x3f;
      case 1:
        if (avail < 2) {
          this.need = off - this.pos + 2;
          return -1;
        }
        this.lenSize = 2;
        return ((first & 0x3f) << 8) | b[off + 1];
      case 2:
        if (first === RDB_32BITLEN) {
          if (avail < 5) {
            this.need = off - this.pos + 5;
            return -1;
          }
          this.lenSize = 5;
          return ((b[off + 1] << 24) | (b[off + 2] << 16) | (b[off + 3] << 8) | b[off + 4]) >>> 0;
        }
        if (first === RDB_64BITLEN) {
          if (avail < 9) {
            this.need = off - this.pos + 9;
            return -1;
          }
          const hi = ((b[off + 1] << 24) | (b[off + 2] << 16) | (b[off + 3] << 8) | b[off + 4]) >>> 0;
          const lo = ((b[off + 5] << 24) | (b[off + 6] << 16) | (b[off + 7] << 8) | b[off + 8]) >>> 0;
          if (hi > 0x1fffff) throw new RdbError('Length too large for this reader');
          this.lenSize = 9;
          return hi * 0x100000000 + lo;
        }
        throw new RdbError(`Unknown length encoding ${first} in RDB length`);
      default:
        throw new RdbError(`Unexpected string encoding ${first & 0x3f} where a length was expected`);
    }
  }

  protected tryByte(): number | undefined {
    if (this.pos < this.buf.length) return this.buf[this.pos++];
    this.need = 1;
    return undefined;
  }

  protected tryBytes(n: number): Uint8Array | undefined {
    if (this.buf.length - this.pos < n) {
      this.need = n;
      return undefined;
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  protected tryLength(): number | undefined {
    const n = this.lengthAt(this.pos);
    if (n < 0) return undefined;
    this.pos += this.lenSize;
    return n;
  }

  /** A string item as a binary string (asString) or as bytes (for encoded blobs); see RDB string encodings. */
  private tryStringItem(asString: true): string | undefined;
  private tryStringItem(asString: false): Uint8Array | undefined;
  private tryStringItem(asString: boolean): string | Uint8Array | undefined {
    const b = this.buf;
    const p = this.pos;
    const avail = b.length - p;
    if (avail < 1) {
      this.need = 1;
      return undefined;
    }
    const first = b[p];
    if (first >> 6 !== 3) {
      const len = this.lengthAt(p);
      if (len < 0) return undefined;
      if (len > MAX_STRING) throw new RdbError(`String of ${len} bytes is too long`);
      const start = p + this.lenSize;
      if (avail < this.lenSize + len) {
        this.need = this.lenSize + len;
        return undefined;
      }
      this.pos = start + len;
      return asString ? bytesToBinary(b, start, start + len) : b.subarray(start, start + len);
    }
    const enc = first & 0x3f;
    let text: string;
    if (enc === RDB_ENC_INT8) {
      if (avail < 2) {
        this.need = 2;
        return undefined;
      }
      text = String((b[p + 1] << 24) >> 24);
      this.pos = p + 2;
    } else if (enc === RDB_ENC_INT16) {
      if (avail < 3) {
        this.need = 3;
        return undefined;
      }
      text = String(((b[p + 1] | (b[p + 2] << 8)) << 16) >> 16);
      this.pos = p + 3;
    } else if (enc === RDB_ENC_INT32) {
      if (avail < 5) {
        this.need = 5;
        return undefined;
      }
      text = String(b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16) | (b[p + 4] << 24));
      this.pos = p + 5;
    } else if (enc === RDB_ENC_LZF) {
      const clen = this.lengthAt(p + 1);
      if (clen < 0) return undefined;
      const s1 = this.lenSize;
      const len = this.lengthAt(p + 1 + s1);
      if (len < 0) return undefined;
      const start = p + 1 + s1 + this.lenSize;
      if (len > MAX_STRING) throw new RdbError(`String of ${len} bytes is too long`);
      // LZF expands at most ~132x (a 2-byte reference yields up to 264 bytes): anything more is corrupt.
      if (len > clen * 140 + 64) throw new RdbError('Invalid LZF compressed string');
      if (b.length - start < clen) {
        this.need = start - p + clen;
        return undefined;
      }
      const out = lzfDecompress(b.subarray(start, start + clen), len);
      if (!out) throw new RdbError('Invalid LZF compressed string');
      this.pos = start + clen;
      return asString ? bytesToBinary(out) : out;
    } else {
      throw new RdbError(`Unknown RDB string encoding type ${enc}`);
    }
    if (asString) return text;
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }

  protected tryString(): string | undefined {
    return this.tryStringItem(true);
  }

  protected tryBlob(): Uint8Array | undefined {
    return this.tryStringItem(false);
  }

  /** Old (RDB_TYPE_ZSET) score: a length byte (253 NaN, 254 +inf, 255 -inf) then that many ASCII bytes. */
  private tryTextDouble(): number | undefined {
    const b = this.buf;
    const p = this.pos;
    if (p >= b.length) {
      this.need = 1;
      return undefined;
    }
    const len = b[p];
    if (len === 253) {
      this.pos = p + 1;
      return NaN;
    }
    if (len === 254 || len === 255) {
      this.pos = p + 1;
      return len === 254 ? Infinity : -Infinity;
    }
    if (b.length - p < 1 + len) {
      this.need = 1 + len;
      return undefined;
    }
    this.pos = p + 1 + len;
    return parseScore(bytesToBinary(b, p + 1, p + 1 + len));
  }

  private tryBinaryDouble(): number | undefined {
    const bytes = this.tryBytes(8);
    if (!bytes) return undefined;
    return new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, true);
  }

  /** A length of up to 64 bits (stream IDs and counters), as a bigint. */
  protected tryLength64(): bigint | undefined {
    const b = this.buf;
    const p = this.pos;
    if (p < b.length && b[p] === RDB_64BITLEN) {
      if (b.length - p < 9) {
        this.need = 9;
        return undefined;
      }
      this.pos = p + 9;
      return new DataView(b.buffer, b.byteOffset + p + 1, 8).getBigUint64(0, false);
    }
    const n = this.tryLength();
    return n === undefined ? undefined : BigInt(n);
  }

  protected *length64(): Generator<void, bigint, void> {
    let n: bigint | undefined;
    while ((n = this.tryLength64()) === undefined) yield;
    return n;
  }

  protected *length(): Generator<void, number, void> {
    let n: number | undefined;
    while ((n = this.tryLength()) === undefined) yield;
    return n;
  }

  protected *string(): Generator<void, string, void> {
    let s: string | undefined;
    while ((s = this.tryString()) === undefined) yield;
    return s;
  }

  protected *blob(): Generator<void, Uint8Array, void> {
    let b: Uint8Array | undefined;
    while ((b = this.tryBlob()) === undefined) yield;
    return b;
  }

  protected *bytes(n: number): Generator<void, Uint8Array, void> {
    let b: Uint8Array | undefined;
    while ((b = this.tryBytes(n)) === undefined) yield;
    return b;
  }

  /**
   * Reads one value of RDB type `type` (the type byte already consumed). Returns null for an empty aggregate,
   * which Redis skips when loading a file. Builds the value as it goes: only this value is held.
   */
  *readValue(type: number): Generator<void, RedisValue | null, void> {
    switch (type) {
      case RDB_TYPE_STRING:
        return yield* this.string();
      case RDB_TYPE_LIST: {
        const n = yield* this.length();
        const list = new Deque<string>();
        for (let i = 0; i < n; i++) {
          let s: string | undefined;
          while ((s = this.tryString()) === undefined) yield;
          list.pushBack(s);
        }
        return n === 0 ? null : list;
      }
      case RDB_TYPE_SET: {
        const n = yield* this.length();
        const set = new Set<string>();
        for (let i = 0; i < n; i++) {
          let s: string | undefined;
          while ((s = this.tryString()) === undefined) yield;
          set.add(s);
          if (set.size !== i + 1) throw new RdbError('Duplicate set members detected');
        }
        return n === 0 ? null : set;
      }
      case RDB_TYPE_ZSET:
      case RDB_TYPE_ZSET_2: {
        const n = yield* this.length();
        const z = new SortedSet();
        for (let i = 0; i < n; i++) {
          let member: string | undefined;
          while ((member = this.tryString()) === undefined) yield;
          let score: number | undefined;
          if (type === RDB_TYPE_ZSET_2) while ((score = this.tryBinaryDouble()) === undefined) yield;
          else while ((score = this.tryTextDouble()) === undefined) yield;
          if (Number.isNaN(score)) throw new RdbError('Zset with NAN score detected');
          z.add(member, score);
          if (z.size !== i + 1) throw new RdbError('Duplicate zset fields detected');
        }
        return n === 0 ? null : z;
      }
      case RDB_TYPE_HASH: {
        const n = yield* this.length();
        const h = new Map<string, string>();
        for (let i = 0; i < n; i++) {
          let field: string | undefined;
          while ((field = this.tryString()) === undefined) yield;
          let value: string | undefined;
          while ((value = this.tryString()) === undefined) yield;
          h.set(field, value);
          if (h.size !== i + 1) throw new RdbError('Duplicate hash fields detected');
        }
        return n === 0 ? null : h;
      }
      case RDB_TYPE_LIST_QUICKLIST:
      case RDB_TYPE_LIST_QUICKLIST_2: {
        const nodes = yield* this.length();
        const list = new Deque<string>();
        for (let i = 0; i < nodes; i++) {
          let container = QUICKLIST_NODE_CONTAINER_PACKED;
          if (type === RDB_TYPE_LIST_QUICKLIST_2) {
            container = yield* this.length();
            if (container !== QUICKLIST_NODE_CONTAINER_PACKED && container !== QUICKLIST_NODE_CONTAINER_PLAIN) {
              throw new RdbError('Quicklist integrity check failed');
            }
          }
          if (container === QUICKLIST_NODE_CONTAINER_PLAIN) {
            const s = yield* this.string();
            if (s.length === 0) throw new RdbError('Quicklist integrity check failed');
            list.pushBack(s);
            continue;
          }
          const node = yield* this.blob();
          if (node.length === 0) throw new RdbError('Quicklist integrity check failed');
          const items = type === RDB_TYPE_LIST_QUICKLIST_2 ? decodeListpack(node) : decodeZiplist(node);
          for (const item of items) list.pushBack(item);
        }
        return list.length === 0 ? null : list;
      }
      case RDB_TYPE_LIST_ZIPLIST: {
        const items = decodeZiplist(yield* this.blob());
        return items.length === 0 ? null : new Deque(items);
      }
      case RDB_TYPE_SET_INTSET: {
        const members = decodeIntset(yield* this.blob());
        const set = new Set(members);
        if (set.size !== members.length) throw new RdbError('Intset integrity check failed');
        return set;
      }
      case RDB_TYPE_ZSET_ZIPLIST:
      case RDB_TYPE_ZSET_LISTPACK: {
        const blob = yield* this.blob();
        const pairs = type === RDB_TYPE_ZSET_LISTPACK ? decodeListpack(blob) : decodeZiplist(blob);
        return pairs.length === 0 ? null : buildZset(pairs, type === RDB_TYPE_ZSET_LISTPACK ? 'Zset listpack' : 'Zset ziplist');
      }
      case RDB_TYPE_HASH_ZIPMAP:
      case RDB_TYPE_HASH_ZIPLIST:
      case RDB_TYPE_HASH_LISTPACK: {
        const blob = yield* this.blob();
        const pairs =
          type === RDB_TYPE_HASH_LISTPACK
            ? decodeListpack(blob)
            : type === RDB_TYPE_HASH_ZIPLIST
              ? decodeZiplist(blob)
              : decodeZipmap(blob);
        return pairs.length === 0 ? null : buildHash(pairs, 'Hash');
      }
      case RDB_TYPE_STREAM_LISTPACKS:
      case RDB_TYPE_STREAM_LISTPACKS_2:
      case RDB_TYPE_STREAM_LISTPACKS_3: {
        // An empty stream is a value like any other: Redis keeps and loads it.
        return yield* readStream(
          {
            length: () => this.length(),
            length64: () => this.length64(),
            string: () => this.string(),
            blob: () => this.blob(),
            bytes: (n) => this.bytes(n),
          },
          type,
        );
      }
      case RDB_TYPE_MODULE:
      case RDB_TYPE_MODULE_2:
        throw new RdbError(`unsupported type: ${rdbTypeName(type)} (RDB type ${type})`);
      default:
        throw new RdbError(`Unknown RDB value type ${type}`);
    }
  }
}

/**
 * Decodes one value of RDB type `type` from a complete buffer (a DUMP payload's body). Returns the value (null
 * for an empty aggregate) and the bytes it took; throws RdbError on corrupt or truncated input.
 */
export function decodeRdbValue(type: number, bytes: Uint8Array): { value: RedisValue | null; length: number } {
  const cursor = new (class extends RdbCursor {
    constructor() {
      super();
      this.buf = bytes;
    }
    get consumed(): number {
      return this.pos;
    }
  })();
  const step = cursor.readValue(type).next();
  if (!step.done) throw new RdbError('Unexpected end of value (truncated)');
  return { value: step.value, length: cursor.consumed };
}

/**
 * A streaming, push-based RDB file reader: feed it chunks as they arrive (`push`), then `end()`. It calls the
 * handlers in file order and holds at most the value being decoded plus the unconsumed input. Accepts RDB
 * versions 1 to 10 and every encoding Redis 7.0 (and older versions) writes, except modules.
 * Errors, including a checksum mismatch, are thrown as RdbError from push or end; the reader is dead after one.
 * Bytes after the checksum (e.g. a replication EOF mark) are kept for `takeRemaining`.
 */
export class RdbReader extends RdbCursor {
  private queue: Uint8Array[] = [];
  private queued = 0;
  private readonly crc = new Crc64();
  /** buf[0, crcPos) has been fed to the checksum. */
  private crcPos = 0;
  private readonly parser: Generator<void, void, void>;
  private state: 'reading' | 'done' | 'failed' = 'reading';
  private failure: unknown;
  private remaining: Uint8Array[] = [];
  /** The file's RDB version, once its header was read. */
  version = 0;

  constructor(private readonly handlers: RdbHandlers) {
    super();
    this.parser = this.main();
    this.need = 9;
  }

  /** Whether the whole file (through its checksum) has been read. */
  get done(): boolean {
    return this.state === 'done';
  }

  /** Feeds the next bytes. Handlers run synchronously for every item the bytes complete. */
  push(chunk: Uint8Array): void {
    if (this.state === 'failed') throw this.failure;
    if (this.state === 'done') {
      if (chunk.length > 0) this.remaining.push(chunk);
      return;
    }
    if (chunk.length === 0) return;
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.buf.length - this.pos + this.queued < this.need) return;
    this.merge();
    this.run();
  }

  /** Declares the input finished: throws RdbError when the file was cut short. */
  end(): void {
    if (this.state === 'failed') throw this.failure;
    if (this.state === 'done') return;
    this.state = 'failed';
    this.failure = new RdbError('Unexpected EOF reading RDB file (truncated)');
    throw this.failure;
  }

  /** Bytes received after the end of the file, as one array (emptied by the call). */
  takeRemaining(): Uint8Array {
    const parts = this.remaining;
    this.remaining = [];
    return parts.length === 0 ? new Uint8Array(0) : concatBytes(parts);
  }

  /** Joins the unconsumed bytes and the queued chunks into one window, checksumming what is dropped. */
  private merge(): void {
    this.crc.update(this.buf, this.crcPos, this.pos);
    const rest = this.buf.length - this.pos;
    if (rest === 0 && this.queue.length === 1) {
      this.buf = this.queue[0];
    } else {
      const next = new Uint8Array(rest + this.queued);
      next.set(this.buf.subarray(this.pos), 0);
      let o = rest;
      for (const c of this.queue) {
        next.set(c, o);
        o += c.length;
      }
      this.buf = next;
    }
    this.pos = 0;
    this.crcPos = 0;
    this.queue = [];
    this.queued = 0;
  }

  private run(): void {
    try {
      const step = this.parser.next();
      if (step.done) {
        this.state = 'done';
        if (this.pos < this.buf.length) this.remaining.push(this.buf.slice(this.pos));
        this.buf = EMPTY;
        this.pos = 0;
      }
    } catch (e) {
      this.state = 'failed';
      this.failure = e;
      throw e;
    }
  }

  private *main(): Generator<void, void, void> {
    const header = yield* this.bytes(9);
    if (bytesToBinary(header, 0, 5) !== 'REDIS') throw new RdbError('Wrong signature: not an RDB file (bad magic)');
    const versionText = bytesToBinary(header, 5, 9);
    if (!/^[0-9]{4}$/.test(versionText)) throw new RdbError(`Bad RDB version '${versionText}'`);
    const version = Number(versionText);
    if (version < 1 || version > RDB_VERSION) {
      throw new RdbError(`Can't handle RDB format version ${version} (this reader supports 1 to ${RDB_VERSION})`);
    }
    this.version = version;
    const h = this.handlers;
    let db = 0;
    let expire = -1;
    for (;;) {
      let type: number | undefined;
      while ((type = this.tryByte()) === undefined) yield;
      if (type === RDB_OPCODE_EOF) break;
      switch (type) {
        case RDB_OPCODE_EXPIRETIME_MS: {
          const b = yield* this.bytes(8);
          expire = Number(new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true));
          continue;
        }
        case RDB_OPCODE_EXPIRETIME: {
          const b = yield* this.bytes(4);
          expire = new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true) * 1000;
          continue;
        }
        case RDB_OPCODE_FREQ:
          // LFU and LRU hints: this store keeps no eviction metadata.
          yield* this.bytes(1);
          continue;
        case RDB_OPCODE_IDLE:
          yield* this.length();
          continue;
        case RDB_OPCODE_SELECTDB:
          db = yield* this.length();
          h.onSelectDb?.(db);
          continue;
        case RDB_OPCODE_RESIZEDB: {
          const dbSize = yield* this.length();
          const expiresSize = yield* this.length();
          h.onResizeDb?.(dbSize, expiresSize);
          continue;
        }
        case RDB_OPCODE_AUX: {
          const name = yield* this.string();
          const value = yield* this.string();
          h.onAux?.(name, value);
          continue;
        }
        case RDB_OPCODE_FUNCTION2: {
          const code = yield* this.string();
          h.onFunction?.(code);
          continue;
        }
        case RDB_OPCODE_MODULE_AUX:
          throw new RdbError('unsupported type: module aux data (opcode 247)');
        case RDB_OPCODE_FUNCTION:
          throw new RdbError('unsupported type: pre-release function format (opcode 246)');
      }
      const key = yield* this.string();
      const value = yield* this.readValue(type);
      // Redis skips empty aggregates when loading (older versions could write them).
      if (value !== null) h.onKey(db, key, value, expire);
      expire = -1;
    }

    let checksumOk = false;
    if (version >= 5) {
      this.crc.update(this.buf, this.crcPos, this.pos);
      this.crcPos = this.pos;
      const expected = this.crc.value;
      const stored = yield* this.bytes(8);
      const zero = stored.every((x) => x === 0);
      if (!zero) {
        if (!this.crc.matchesLE(stored, 0)) {
          const got = new DataView(stored.buffer, stored.byteOffset, 8).getBigUint64(0, true);
          throw new RdbError(
            `Wrong RDB checksum: expected ${expected.toString(16).padStart(16, '0')} but got ${got.toString(16).padStart(16, '0')} (bad checksum)`,
          );
        }
        checksumOk = true;
      }
    }
    h.onEnd?.(checksumOk);
  }
}
