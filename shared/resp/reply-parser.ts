import { bytesToBinary } from '../bytes.js';
import { ProtocolError, parseStrictInteger } from './request-parser.js';
import {
  BoolReply,
  DoubleReply,
  ErrorReply,
  MapReply,
  NULL_ARRAY,
  PushReply,
  SetReply,
  SimpleString,
  VerbatimReply,
  type Reply,
} from './reply.js';

const CR = 13;

/** Thrown internally when the buffer ends inside a value. */
const INCOMPLETE = Symbol('incomplete');

/**
 * A streaming decoder of server replies, RESP2 and RESP3, for the client side: replica links, the browser SDK
 * and tests. Values decode to the same Reply types handlers produce, so a reply round-trips through
 * encode and decode. Input may be split at any byte.
 */
export class ReplyParser {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private end = 0;

  constructor(private readonly maxBulkLen = 512 * 1024 * 1024) {}

  /** Appends received bytes. */
  push(chunk: Uint8Array): void {
    if (this.pos === this.end) {
      this.buf = chunk;
      this.pos = 0;
      this.end = chunk.length;
      return;
    }
    const rest = this.end - this.pos;
    const next = new Uint8Array(rest + chunk.length);
    next.set(this.buf.subarray(this.pos, this.end), 0);
    next.set(chunk, rest);
    this.buf = next;
    this.pos = 0;
    this.end = next.length;
  }

  /**
   * Skips newline bytes before the next reply. A Redis master sends lone "\n" keepalives while a replica waits
   * for its PSYNC answer and its snapshot; they are not RESP.
   */
  skipNewlines(): void {
    while (this.pos < this.end && this.buf[this.pos] === 10) this.pos++;
  }

  /** Bytes received but not yet decoded. */
  get pending(): number {
    return this.end - this.pos;
  }

  /** Takes the undecoded bytes out of the parser (for a caller switching to raw mode, e.g. an RDB transfer). */
  takeRemaining(): Uint8Array {
    const out = this.buf.slice(this.pos, this.end);
    this.pos = this.end = 0;
    this.buf = new Uint8Array(0);
    return out;
  }

  /** The next complete reply, or undefined if more input is needed. Throws ProtocolError on garbage. */
  next(): Reply | undefined {
    const start = this.pos;
    try {
      return this.read();
    } catch (e) {
      if (e === INCOMPLETE) {
        this.pos = start;
        return undefined;
      }
      throw e;
    }
  }

  private line(): string {
    const cr = this.buf.subarray(0, this.end).indexOf(CR, this.pos);
    if (cr < 0 || cr + 1 >= this.end) throw INCOMPLETE;
    const s = bytesToBinary(this.buf, this.pos, cr);
    this.pos = cr + 2;
    return s;
  }

  private lineInt(): number {
    const cr = this.buf.subarray(0, this.end).indexOf(CR, this.pos);
    if (cr < 0 || cr + 1 >= this.end) throw INCOMPLETE;
    const n = parseStrictInteger(this.buf, this.pos, cr);
    if (n === null) throw new ProtocolError(`Protocol error: invalid length '${bytesToBinary(this.buf, this.pos, cr)}'`);
    this.pos = cr + 2;
    return n;
  }

  private bulkBody(len: number): string {
    if (len > this.maxBulkLen) throw new ProtocolError('Protocol error: bulk length too large');
    if (this.end - this.pos < len + 2) throw INCOMPLETE;
    const s = bytesToBinary(this.buf, this.pos, this.pos + len);
    this.pos += len + 2;
    return s;
  }

  private items(n: number): Reply[] {
    const out: Reply[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.read();
    return out;
  }

  private read(): Reply {
    if (this.pos >= this.end) throw INCOMPLETE;
    const type = this.buf[this.pos++];
    switch (type) {
      case 43 /* + */:
        return new SimpleString(this.line());
      case 45 /* - */:
        return new ErrorReply(this.line());
      case 58 /* : */: {
        const s = this.line();
        const n = Number(s);
        if (!/^-?\d+$/.test(s)) throw new ProtocolError(`Protocol error: invalid integer '${s}'`);
        return Number.isSafeInteger(n) ? n : BigInt(s);
      }
      case 36 /* $ */: {
        const len = this.lineInt();
        if (len < 0) return null;
        return this.bulkBody(len);
      }
      case 42 /* * */: {
        const len = this.lineInt();
        if (len < 0) return NULL_ARRAY;
        return this.items(len);
      }
      case 95 /* _ */:
        this.line();
        return null;
      case 44 /* , */: {
        const s = this.line();
        const v = s === 'inf' ? Infinity : s === '-inf' ? -Infinity : s === 'nan' ? NaN : Number(s);
        return new DoubleReply(v);
      }
      case 35 /* # */:
        return new BoolReply(this.line() === 't');
      case 40 /* ( */: {
        const s = this.line();
        return BigInt(s);
      }
      case 33 /* ! */:
        return new ErrorReply(this.bulkBody(this.lineInt()));
      case 61 /* = */: {
        const body = this.bulkBody(this.lineInt());
        return new VerbatimReply(body.slice(0, 3), body.slice(4));
      }
      case 37 /* % */: {
        const n = this.lineInt();
        const entries: Array<[Reply, Reply]> = [];
        for (let i = 0; i < n; i++) entries.push([this.read(), this.read()]);
        return new MapReply(entries);
      }
      case 126 /* ~ */:
        return new SetReply(this.items(this.lineInt()));
      case 62 /* > */:
        return new PushReply(this.items(this.lineInt()));
      case 124 /* | attribute: skip it and return the value it annotates */: {
        const n = this.lineInt();
        for (let i = 0; i < n * 2; i++) this.read();
        return this.read();
      }
      default:
        throw new ProtocolError(`Protocol error: unexpected type byte ${type}`);
    }
  }
}
