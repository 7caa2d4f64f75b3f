import { bytesToBinary } from '../bytes.js';

/** Redis's PROTO_INLINE_MAX_SIZE: the longest line accepted before its newline arrives. */
export const PROTO_INLINE_MAX_SIZE = 64 * 1024;

/** Limits applied while parsing client input, named after the redis.conf directives. */
export interface RequestLimits {
  /** proto-max-bulk-len: the largest bulk string accepted (512mb in Redis). */
  protoMaxBulkLen: number;
  /** client-query-buffer-limit: the most unparsed input held for one client (1gb in Redis). */
  queryBufferLimit: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  protoMaxBulkLen: 512 * 1024 * 1024,
  queryBufferLimit: 1024 * 1024 * 1024,
};

/**
 * A malformed request. `message` is Redis's reply text (without the leading '-'); the connection replies with it
 * and then closes, as Redis does. `reply` is false when Redis closes without replying (query buffer overflow).
 */
export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly reply = true,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

const CR = 13;
const LF = 10;

/**
 * A streaming parser of client requests: RESP multibulk arrays and inline commands (as telnet and redis-cli
 * send them). Input may be split at any byte; `next()` yields complete commands as arrays of binary strings.
 * It mirrors processMultibulkBuffer / processInlineBuffer in Redis's networking.c, including their error texts.
 */
export class RequestParser {
  private buf: Uint8Array = new Uint8Array(0);
  /** Whether buf is our own allocation (spare capacity may be written) rather than the caller's chunk. */
  private owned = false;
  private pos = 0;
  private end = 0;
  private multibulkLen = 0;
  private bulkLen = -1;
  private argv: string[] = [];
  /** Total bytes consumed by complete commands (and skipped empty lines) since creation. */
  consumed = 0;
  /** Whether the client has authenticated: unauthenticated clients get tighter size limits, as in Redis. */
  authenticated = true;
  /** Input from our master: bulk sizes are not limited (Redis skips proto-max-bulk-len for its master). */
  fromMaster = false;

  constructor(private readonly limits: RequestLimits = DEFAULT_REQUEST_LIMITS) {}

  /** Bytes received but not yet consumed. */
  get pending(): number {
    return this.end - this.pos;
  }

  /** Appends received bytes. Throws ProtocolError (without reply) past client-query-buffer-limit. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.end - this.pos + chunk.length > this.limits.queryBufferLimit) {
      throw new ProtocolError('closing client that reached max query buffer length', false);
    }
    if (this.pos === this.end) {
      // Everything was consumed: adopt the chunk without copying.
      this.buf = chunk;
      this.pos = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    const pendingLen = this.end - this.pos;
    if (this.owned && this.buf.length - this.end >= chunk.length) {
      this.buf.set(chunk, this.end);
      this.end += chunk.length;
      return;
    }
    // Grow geometrically so a large bulk arriving in many small chunks is copied O(1) times per byte.
    const need = pendingLen + chunk.length;
    const next = new Uint8Array(Math.max(need * 2, 16 * 1024));
    next.set(this.buf.subarray(this.pos, this.end), 0);
    next.set(chunk, pendingLen);
    this.buf = next;
    this.pos = 0;
    this.end = need;
    this.owned = true;
  }

  /**
   * Returns the next complete command, an empty array for an empty one (skip it), or null when more input is
   * needed. Throws ProtocolError on malformed input; the parser must then be discarded.
   */
  next(): string[] | null {
    for (;;) {
      if (this.pos >= this.end) return null;
      if (this.multibulkLen === 0 && this.argv.length === 0 && this.buf[this.pos] !== 42 /* '*' */) {
        const cmd = this.parseInline();
        if (cmd === null) return null;
        if (cmd.length === 0) continue;
        return cmd;
      }
      if (this.multibulkLen === 0) {
        const whole = this.parseWholeMultibulk();
        if (whole !== undefined) return whole;
      }
      const cmd = this.parseMultibulk();
      if (cmd === null) return null;
      if (cmd.length === 0) continue;
      return cmd;
    }
  }

  private indexOf(byte: number, from: number): number {
    // Protocol lines are short ("$3", "*2"): a plain loop beats the builtin's call overhead for them.
    const buf = this.buf;
    const end = this.end;
    for (let i = from; i < end; i++) if (buf[i] === byte) return i;
    return -1;
  }

  private parseInline(): string[] | null {
    const nl = this.indexOf(LF, this.pos);
    if (nl < 0) {
      if (this.end - this.pos > PROTO_INLINE_MAX_SIZE) {
        throw new ProtocolError('ERR Protocol error: too big inline request');
      }
      return null;
    }
    let lineEnd = nl;
    if (lineEnd > this.pos && this.buf[lineEnd - 1] === CR) lineEnd--;
    const line = bytesToBinary(this.buf, this.pos, lineEnd);
    const args = splitInlineArgs(line);
    if (args === null) throw new ProtocolError('ERR Protocol error: unbalanced quotes in request');
    this.consumed += nl + 1 - this.pos;
    this.pos = nl + 1;
    return args;
  }

  /** Parses a decimal line starting after `start` up to the CR at `cr`, as Redis's string2ll. */
  private parseLineNumber(start: number, cr: number): number | null {
    return parseStrictInteger(this.buf, start, cr);
  }

  /**
   * The pipelined fast path: a multibulk command that is wholly in the buffer and within every limit, parsed
   * with locals and committed once. Returns undefined, with no state touched, for anything else (partial
   * input, malformed or oversized lengths, empty arrays): parseMultibulk then handles it, errors included, so
   * the two paths cannot disagree on what is accepted.
   */
  private parseWholeMultibulk(): string[] | undefined {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos + 1; // after '*'
    let n = 0;
    // Counts start with 1-9: "0", "-1" and leading zeros are the general path's (empty commands, errors).
    let c = p < end ? buf[p] : 0;
    if (c < 49 || c > 57) return undefined;
    for (; p < end && (c = buf[p]) !== CR; p++) {
      if (c < 48 || c > 57 || n > 214748364) return undefined;
      n = n * 10 + (c - 48);
    }
    if (p + 1 >= end || n > 2147483647 || (!this.authenticated && n > 10)) return undefined;
    p += 2;
    let maxBulk = this.fromMaster ? Infinity : this.limits.protoMaxBulkLen;
    if (!this.authenticated) maxBulk = Math.min(maxBulk, 16384);
    // Sized up front when small: an array grown by push reserves room for 17 arguments, several times the
    // garbage of a typical command. Large counts grow as they go: the data may not all be here.
    const argv: string[] = n <= 64 ? new Array<string>(n) : [];
    for (let i = 0; i < n; i++) {
      if (p >= end || buf[p] !== 36 /* '$' */) return undefined;
      p++;
      let len = 0;
      c = p < end ? buf[p] : 0;
      if (c === 48 /* '0' */) {
        p++;
        if (p >= end || buf[p] !== CR) return undefined;
      } else {
        if (c < 49 || c > 57) return undefined;
        for (; p < end && (c = buf[p]) !== CR; p++) {
          if (c < 48 || c > 57 || len > 214748364) return undefined;
          len = len * 10 + (c - 48);
        }
      }
      // As in the general path, the bytes after the CR and after the data are skipped, not checked.
      if (p + 1 >= end || len > maxBulk) return undefined;
      const start = p + 2;
      if (end - start < len + 2) return undefined;
      argv[i] = i === 0 ? this.commandName(start, start + len) : bytesToBinary(buf, start, start + len);
      p = start + len + 2;
    }
    this.consumed += p - this.pos;
    this.pos = p;
    return argv;
  }

  /** The last command name decoded: a pipeline repeats it, and reusing the string skips decoding and hashing. */
  private lastName = '';

  private commandName(start: number, end: number): string {
    const name = this.lastName;
    const buf = this.buf;
    if (name.length === end - start) {
      let i = 0;
      while (i < name.length && name.charCodeAt(i) === buf[start + i]) i++;
      if (i === name.length) return name;
    }
    return (this.lastName = bytesToBinary(buf, start, end));
  }

  private parseMultibulk(): string[] | null {
    const buf = this.buf;
    if (this.multibulkLen === 0) {
      const cr = this.indexOf(CR, this.pos);
      if (cr < 0) {
        if (this.end - this.pos > PROTO_INLINE_MAX_SIZE) {
          throw new ProtocolError('ERR Protocol error: too big mbulk count string');
        }
        return null;
      }
      if (cr + 1 >= this.end) return null; // wait for the LF
      const n = this.parseLineNumber(this.pos + 1, cr);
      if (n === null || n > 2147483647) throw new ProtocolError('ERR Protocol error: invalid multibulk length');
      if (!this.authenticated && n > 10) {
        throw new ProtocolError('ERR Protocol error: unauthenticated multibulk length');
      }
      this.consumedPartial(cr + 2);
      if (n <= 0) {
        this.commitConsumed();
        return [];
      }
      this.multibulkLen = n;
      this.argv = [];
    }
    while (this.multibulkLen > 0) {
      if (this.bulkLen === -1) {
        const cr = this.indexOf(CR, this.pos);
        if (cr < 0) {
          if (this.end - this.pos > PROTO_INLINE_MAX_SIZE) {
            throw new ProtocolError('ERR Protocol error: too big bulk count string');
          }
          return null;
        }
        if (cr + 1 >= this.end) return null;
        if (buf[this.pos] !== 36 /* '$' */) {
          throw new ProtocolError(`ERR Protocol error: expected '$', got '${String.fromCharCode(buf[this.pos])}'`);
        }
        const n = this.parseLineNumber(this.pos + 1, cr);
        if (n === null || n < 0 || (!this.fromMaster && n > this.limits.protoMaxBulkLen)) {
          throw new ProtocolError('ERR Protocol error: invalid bulk length');
        }
        if (!this.authenticated && n > 16384) {
          throw new ProtocolError('ERR Protocol error: unauthenticated bulk length');
        }
        this.consumedPartial(cr + 2);
        this.bulkLen = n;
      }
      if (this.end - this.pos < this.bulkLen + 2) return null;
      this.argv.push(bytesToBinary(this.buf, this.pos, this.pos + this.bulkLen));
      this.consumedPartial(this.pos + this.bulkLen + 2);
      this.bulkLen = -1;
      this.multibulkLen--;
    }
    const argv = this.argv;
    this.argv = [];
    this.commitConsumed();
    return argv;
  }

  private partial = 0;

  private consumedPartial(newPos: number): void {
    this.partial += newPos - this.pos;
    this.pos = newPos;
  }

  private commitConsumed(): void {
    this.consumed += this.partial;
    this.partial = 0;
  }
}

/** Parses [start, end) as a strict decimal integer (Redis's string2ll): optional '-', no '+', no leading zeros. */
export function parseStrictInteger(buf: Uint8Array, start: number, end: number): number | null {
  const len = end - start;
  if (len <= 0 || len > 20) return null;
  let i = start;
  let negative = false;
  if (buf[i] === 45 /* '-' */) {
    negative = true;
    i++;
    if (i === end) return null;
  }
  if (buf[i] === 48 /* '0' */) return i + 1 === end && !negative ? 0 : null;
  let n = 0;
  for (; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  if (n > Number.MAX_SAFE_INTEGER) return null;
  return negative ? -n : n;
}

function isHex(c: string): boolean {
  return /^[0-9a-fA-F]$/.test(c);
}

/**
 * Splits an inline command line into arguments like Redis's sdssplitargs: spaces separate, "double quotes"
 * support \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes' support \'. Returns null on unbalanced quotes
 * (including a closing quote not followed by a space).
 */
export function splitInlineArgs(line: string): string[] | null {
  const args: string[] = [];
  let i = 0;
  const n = line.length;
  const isSpace = (c: string) => c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\v' || c === '\f';
  for (;;) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return args;
    let current = '';
    let inq = false;
    let insq = false;
    for (;;) {
      if (inq) {
        if (i >= n) return null;
        const c = line[i];
        if (c === '\\' && line[i + 1] === 'x' && i + 3 < n + 0 && isHex(line[i + 2]) && isHex(line[i + 3])) {
          current += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < n) {
          i++;
          const e = line[i];
          current += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          inq = false;
          i++;
          break;
        } else {
          current += c;
        }
      } else if (insq) {
        if (i >= n) return null;
        const c = line[i];
        if (c === '\\' && line[i + 1] === "'") {
          i++;
          current += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          insq = false;
          i++;
          break;
        } else {
          current += c;
        }
      } else {
        if (i >= n) break;
        const c = line[i];
        if (isSpace(c)) break;
        if (c === '"') inq = true;
        else if (c === "'") insq = true;
        else current += c;
      }
      i++;
    }
    args.push(current);
  }
}
