import { bytesToBinary } from '../bytes.js';
import { CommandError, NOT_INTEGER, SYNTAX, WRONGTYPE } from '../errors.js';
import type { CommandContext } from '../engine/command-context.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import { Notify } from '../engine/keyspace-events.js';
import type { Reply } from '../resp/reply.js';
import { isWord } from './parse.js';

/** The largest signed 64-bit integer (LLONG_MAX). */
export const LLONG_MAX = 9223372036854775807n;
/** The smallest signed 64-bit integer (LLONG_MIN). */
export const LLONG_MIN = -9223372036854775808n;

/**
 * The longest string V8 can hold (2^29 - 24 chars), a little under Redis's 512mb default proto-max-bulk-len:
 * a command that would build a longer one fails with Redis's string-size error instead of crashing.
 */
export const MAX_STRING_LENGTH = 2 ** 29 - 24;
/** Redis's reply when a command would build a string longer than proto-max-bulk-len. */
export const STRING_TOO_LONG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';

const BIT_OFFSET_ERROR = 'ERR bit offset is not an integer or out of range';
const BIT_VALUE_ERROR = 'ERR bit is not an integer or out of range';
const BIT_ARGUMENT_ERROR = 'ERR The bit argument must be 1 or 0.';
const BITOP_NOT_ERROR = 'ERR BITOP NOT must be called with a single source key.';
const BITFIELD_TYPE_ERROR =
  'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';
const BITFIELD_OVERFLOW_ERROR = 'ERR Invalid OVERFLOW type specified';
const BITFIELD_RO_ERROR = 'ERR BITFIELD_RO only supports the GET subcommand';

// ---------------------------------------------------------------------------------------------------------
// 64-bit integers (shared with strings.ts, which builds on this module)
// ---------------------------------------------------------------------------------------------------------

/**
 * Parses a signed 64-bit integer exactly as Redis's string2ll does: no sign but '-', no leading zeros, no
 * "-0", no spaces. Returns null when the text is not one.
 */
export function parseInt64(s: string): bigint | null {
  if (s.length === 0 || s.length > 20) return null;
  if (s === '0') return 0n;
  if (!/^-?[1-9]\d*$/.test(s)) return null;
  const n = BigInt(s);
  return n > LLONG_MAX || n < LLONG_MIN ? null : n;
}

/** parseInt64 that throws `error` when the text is not an integer (Redis's getLongLongFromObjectOrReply). */
export function int64Arg(s: string, error = NOT_INTEGER): bigint {
  const n = parseInt64(s);
  if (n === null) throw new CommandError(error);
  return n;
}

/** A 64-bit integer reply: a number when a double holds it exactly, else a bigint. */
export function int64Reply(n: bigint): number | bigint {
  return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

/**
 * Redis's getBitOffsetFromArgument: a bit offset below proto-max-bulk-len × 8. With `bits` set (BITFIELD),
 * "#N" means the N-th field of that width.
 */
function bitOffsetArg(ctx: CommandContext, s: string, bits = 0): number {
  const useHash = bits > 0 && s[0] === '#';
  let offset = parseInt64(useHash ? s.slice(1) : s);
  if (offset === null) throw new CommandError(BIT_OFFSET_ERROR);
  // C multiplies in 64 bits and wraps on overflow; so do we, to fail (or not) the same way.
  if (useHash) offset = BigInt.asIntN(64, offset * BigInt(bits));
  if (offset < 0n || (!ctx.client.isMaster && offset >> 3n >= BigInt(ctx.core.config.int('proto-max-bulk-len')))) {
    throw new CommandError(BIT_OFFSET_ERROR);
  }
  return Number(offset);
}

/**
 * Redis's lookupStringForBitCommand: the string at key, zero-padded so that bit `maxBit` exists (a missing key
 * is an all-zero string). `grown` says the stored value must change even if no bit does; `created` that the
 * key was missing (Redis adds it at once, so it exists, with its "new" event, even if no bit changes).
 */
function stringForBitWrite(
  ctx: CommandContext,
  key: string,
  maxBit: number,
): { value: string; grown: boolean; created: boolean } {
  const need = Math.floor(maxBit / 8) + 1;
  if (need > MAX_STRING_LENGTH) throw new CommandError(STRING_TOO_LONG);
  const current = ctx.writeString(key);
  if (current === undefined) return { value: '\0'.repeat(need), grown: true, created: true };
  if (current.length < need) return { value: current + '\0'.repeat(need - current.length), grown: true, created: false };
  return { value: current, grown: false, created: false };
}

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

function popcount(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i <= to; i++) n += POPCOUNT[s.charCodeAt(i)];
  return n;
}

/** The first bit equal to `bit` at a position in [from, to], or -1. */
function findBit(s: string, bit: number, from: number, to: number): number {
  const skip = bit ? 0 : 0xff;
  let pos = from;
  while (pos <= to) {
    const inByte = pos % 8;
    const byte = s.charCodeAt((pos - inByte) / 8);
    // Whole bytes that cannot contain the bit are skipped at once: bitmaps are often long runs of one value.
    if (inByte === 0 && pos + 7 <= to && byte === skip) {
      pos += 8;
      continue;
    }
    if (((byte >> (7 - inByte)) & 1) === bit) return pos;
    pos++;
  }
  return -1;
}

/**
 * BITCOUNT/BITPOS range arguments: start and end as indexes (negative from the end) into the string's bytes,
 * or into its bits with BIT; clamped to the string like Redis. Returns the covered bits as [first, last], or
 * null for an empty range.
 */
function bitRange(len: number, start: bigint, end: bigint, isBit: boolean): [number, number] | null {
  let total = BigInt(len);
  if (isBit) total <<= 3n;
  if (start < 0n) start += total;
  if (end < 0n) end += total;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= total) end = total - 1n;
  if (start > end) return null;
  return isBit ? [Number(start), Number(end)] : [Number(start) * 8, Number(end) * 8 + 7];
}

/** BIT or BYTE (case-insensitive), else a syntax error. */
function unitArg(arg: string): boolean {
  if (isWord(arg, 'bit')) return true;
  if (isWord(arg, 'byte')) return false;
  throw new CommandError(SYNTAX);
}

// ---------------------------------------------------------------------------------------------------------
// BITFIELD
// ---------------------------------------------------------------------------------------------------------

const enum Overflow {
  Wrap,
  Sat,
  Fail,
}

const enum FieldOp {
  Get,
  Set,
  IncrBy,
}

interface BitfieldOp {
  op: FieldOp;
  offset: number;
  /** SET's value or INCRBY's increment. */
  arg: bigint;
  overflow: Overflow;
  bits: number;
  signed: boolean;
}

/** Reads `bits` bits (big-endian bit order) at `offset` as an unsigned integer; bytes past the end read as 0. */
function getUnsignedField(s: string, offset: number, bits: number): bigint {
  let value = 0n;
  for (let j = 0; j < bits; j++) {
    const pos = offset + j;
    const inByte = pos % 8;
    const index = (pos - inByte) / 8;
    const byte = index < s.length ? s.charCodeAt(index) : 0;
    value = (value << 1n) | BigInt((byte >> (7 - inByte)) & 1);
  }
  return value;
}

/** Writes the low `bits` bits of `value` at `offset`; the string is long enough (stringForBitWrite). */
function setField(s: string, offset: number, bits: number, value: bigint): string {
  const first = Math.floor(offset / 8);
  const last = Math.floor((offset + bits - 1) / 8);
  const bytes: number[] = [];
  for (let i = first; i <= last; i++) bytes.push(s.charCodeAt(i));
  const v = BigInt.asUintN(64, value);
  for (let j = 0; j < bits; j++) {
    const bit = Number((v >> BigInt(bits - 1 - j)) & 1n);
    const pos = offset + j;
    const shift = 7 - (pos % 8);
    const i = Math.floor(pos / 8) - first;
    bytes[i] = (bytes[i] & ~(1 << shift)) | (bit << shift);
  }
  return s.slice(0, first) + String.fromCharCode(...bytes) + s.slice(last + 1);
}

/** The outcome of an overflow check: 0 none, 1 above the maximum, -1 below the minimum; `limit` per policy. */
interface OverflowCheck {
  overflow: number;
  limit: bigint;
}

/**
 * Redis's checkSignedBitfieldOverflow, with its 64-bit wrapping intermediate values, so that even the corner
 * cases (a SET value near INT64_MIN on a narrow field) saturate the way Redis does.
 */
function checkSignedOverflow(value: bigint, incr: bigint, bits: number, overflow: Overflow): OverflowCheck {
  const max = bits === 64 ? LLONG_MAX : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxIncr = BigInt.asIntN(64, max - value);
  const minIncr = BigInt.asIntN(64, min - value);
  const wrapped = BigInt.asIntN(bits, value + incr);
  if (value > max || (bits !== 64 && incr > maxIncr) || (value >= 0n && incr > 0n && incr > maxIncr)) {
    return { overflow: 1, limit: overflow === Overflow.Wrap ? wrapped : max };
  }
  if (value < min || (bits !== 64 && incr < minIncr) || (value < 0n && incr < 0n && incr < minIncr)) {
    return { overflow: -1, limit: overflow === Overflow.Wrap ? wrapped : min };
  }
  return { overflow: 0, limit: 0n };
}

/** Redis's checkUnsignedBitfieldOverflow (value is a uint64, incr an int64, bits at most 63). */
function checkUnsignedOverflow(value: bigint, incr: bigint, bits: number, overflow: Overflow): OverflowCheck {
  const max = (1n << BigInt(bits)) - 1n;
  const maxIncr = BigInt.asIntN(64, max - value);
  const minIncr = BigInt.asIntN(64, -value);
  const wrapped = BigInt.asUintN(bits, value + incr);
  if (value > max || (incr > 0n && incr > maxIncr)) {
    return { overflow: 1, limit: overflow === Overflow.Wrap ? wrapped : max };
  }
  if (incr < 0n && incr < minIncr) {
    return { overflow: -1, limit: overflow === Overflow.Wrap ? wrapped : 0n };
  }
  return { overflow: 0, limit: 0n };
}

/** "i1".."i64" or "u1".."u63" (lowercase, as Redis checks). */
function fieldTypeArg(s: string): { signed: boolean; bits: number } {
  const signed = s[0] === 'i';
  if (!signed && s[0] !== 'u') throw new CommandError(BITFIELD_TYPE_ERROR);
  const bits = parseInt64(s.slice(1));
  if (bits === null || bits < 1n || bits > (signed ? 64n : 63n)) throw new CommandError(BITFIELD_TYPE_ERROR);
  return { signed, bits: Number(bits) };
}

function parseBitfieldOps(ctx: CommandContext, argv: string[]): BitfieldOp[] {
  const ops: BitfieldOp[] = [];
  let overflow = Overflow.Wrap;
  for (let j = 2; j < argv.length; j++) {
    const remaining = argv.length - j - 1;
    const sub = argv[j].toLowerCase();
    let op: FieldOp;
    if (sub === 'get' && remaining >= 2) op = FieldOp.Get;
    else if (sub === 'set' && remaining >= 3) op = FieldOp.Set;
    else if (sub === 'incrby' && remaining >= 3) op = FieldOp.IncrBy;
    else if (sub === 'overflow' && remaining >= 1) {
      const kind = argv[++j].toLowerCase();
      if (kind === 'wrap') overflow = Overflow.Wrap;
      else if (kind === 'sat') overflow = Overflow.Sat;
      else if (kind === 'fail') overflow = Overflow.Fail;
      else throw new CommandError(BITFIELD_OVERFLOW_ERROR);
      continue;
    } else {
      throw new CommandError(SYNTAX);
    }
    const { signed, bits } = fieldTypeArg(argv[j + 1]);
    const offset = bitOffsetArg(ctx, argv[j + 2], bits);
    const arg = op === FieldOp.Get ? 0n : int64Arg(argv[j + 3]);
    ops.push({ op, offset, arg, overflow, bits, signed });
    j += op === FieldOp.Get ? 2 : 3;
  }
  return ops;
}

/** BITFIELD and BITFIELD_RO: every option is checked before anything runs; ops then run in order. */
function bitfield(ctx: CommandContext, argv: string[], readOnly: boolean): Reply {
  const key = argv[1];
  const ops = parseBitfieldOps(ctx, argv);
  const writes = ops.some((o) => o.op !== FieldOp.Get);
  if (!writes) {
    const value = ctx.readString(key) ?? '';
    return ops.map((o) => {
      const u = getUnsignedField(value, o.offset, o.bits);
      return int64Reply(o.signed ? BigInt.asIntN(o.bits, u) : u);
    });
  }
  if (readOnly) throw new CommandError(BITFIELD_RO_ERROR);
  let highest = 0;
  for (const o of ops) if (o.op !== FieldOp.Get) highest = Math.max(highest, o.offset + o.bits - 1);
  const target = stringForBitWrite(ctx, key, highest);
  const grown = target.grown;
  let value = target.value;
  let changes = 0;
  const replies: Reply[] = [];
  for (const o of ops) {
    const raw = getUnsignedField(value, o.offset, o.bits);
    if (o.op === FieldOp.Get) {
      replies.push(int64Reply(o.signed ? BigInt.asIntN(o.bits, raw) : raw));
      continue;
    }
    const old = o.signed ? BigInt.asIntN(o.bits, raw) : raw;
    let next: bigint;
    let check: OverflowCheck;
    if (o.op === FieldOp.IncrBy) {
      check = o.signed
        ? checkSignedOverflow(old, o.arg, o.bits, o.overflow)
        : checkUnsignedOverflow(old, o.arg, o.bits, o.overflow);
      next = check.overflow ? check.limit : old + o.arg;
    } else {
      const v = o.signed ? o.arg : BigInt.asUintN(64, o.arg);
      check = o.signed
        ? checkSignedOverflow(v, 0n, o.bits, o.overflow)
        : checkUnsignedOverflow(v, 0n, o.bits, o.overflow);
      next = check.overflow ? check.limit : v;
    }
    if (check.overflow && o.overflow === Overflow.Fail) {
      replies.push(null);
      continue;
    }
    replies.push(int64Reply(o.op === FieldOp.IncrBy ? next : old));
    value = setField(value, o.offset, o.bits, next);
    if (grown || old !== next) changes++;
  }
  // Redis stores the grown string even when every op FAILed, but then reports no change (nothing propagates).
  ctx.db.dict.set(key, value);
  if (target.created) ctx.created(key);
  if (changes) {
    ctx.modified(key, changes);
    // One event for the whole command, however many fields changed (as Redis's bitfieldGeneric).
    ctx.notify(Notify.STRING, 'setbit', key);
  }
  return replies;
}

// ---------------------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------------------

function setbitHandler(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  const offset = bitOffsetArg(ctx, argv[2]);
  const on = parseInt64(argv[3]);
  if (on === null || (on & ~1n) !== 0n) throw new CommandError(BIT_VALUE_ERROR);
  const { value, grown } = stringForBitWrite(ctx, key, offset);
  const index = Math.floor(offset / 8);
  const shift = 7 - (offset % 8);
  const byte = value.charCodeAt(index);
  const old = (byte >> shift) & 1;
  if (grown || old !== Number(on)) {
    const next = (byte & ~(1 << shift)) | (Number(on) << shift);
    ctx.setKey(key, value.slice(0, index) + String.fromCharCode(next) + value.slice(index + 1), true);
    ctx.notify(Notify.STRING, 'setbit', key);
  }
  return old;
}

function getbitHandler(ctx: CommandContext, argv: string[]): Reply {
  const offset = bitOffsetArg(ctx, argv[2]);
  const value = ctx.readString(argv[1]);
  if (value === undefined) return 0;
  const index = Math.floor(offset / 8);
  if (index >= value.length) return 0;
  return (value.charCodeAt(index) >> (7 - (offset % 8))) & 1;
}

function bitcountHandler(ctx: CommandContext, argv: string[]): Reply {
  const value = ctx.readString(argv[1]);
  if (value === undefined) return 0;
  let first: number;
  let last: number;
  if (argv.length === 4 || argv.length === 5) {
    const start = int64Arg(argv[2]);
    const end = int64Arg(argv[3]);
    if (start < 0n && end < 0n && start > end) return 0;
    const isBit = argv.length === 5 ? unitArg(argv[4]) : false;
    const range = bitRange(value.length, start, end, isBit);
    if (range === null) return 0;
    [first, last] = range;
  } else if (argv.length === 2) {
    if (value.length === 0) return 0;
    first = 0;
    last = value.length * 8 - 1;
  } else {
    throw new CommandError(SYNTAX);
  }
  const firstByte = Math.floor(first / 8);
  const lastByte = Math.floor(last / 8);
  let count = popcount(value, firstByte, lastByte);
  // Bits of the edge bytes outside a BIT range were counted: take them back out.
  const headMask = (0xff00 >> (first % 8)) & 0xff;
  const tailMask = (1 << (7 - (last % 8))) - 1;
  count -= POPCOUNT[value.charCodeAt(firstByte) & headMask] + POPCOUNT[value.charCodeAt(lastByte) & tailMask];
  return count;
}

function bitposHandler(ctx: CommandContext, argv: string[]): Reply {
  const bitArg = int64Arg(argv[2]);
  if (bitArg !== 0n && bitArg !== 1n) throw new CommandError(BIT_ARGUMENT_ERROR);
  const bit = Number(bitArg);
  // A missing key is an endless run of zeros.
  const o = ctx.lookupRead(argv[1]);
  if (o === undefined) return bit ? -1 : 0;
  if (typeof o !== 'string') throw new CommandError(WRONGTYPE);
  let range: [number, number] | null;
  let endGiven = false;
  if (argv.length >= 4 && argv.length <= 6) {
    const start = int64Arg(argv[3]);
    const isBit = argv.length === 6 ? unitArg(argv[5]) : false;
    let end: bigint;
    if (argv.length >= 5) {
      end = int64Arg(argv[4]);
      endGiven = true;
    } else {
      end = BigInt(o.length) * (isBit ? 8n : 1n) - 1n;
    }
    range = bitRange(o.length, start, end, isBit);
  } else if (argv.length === 3) {
    range = o.length === 0 ? null : [0, o.length * 8 - 1];
  } else {
    throw new CommandError(SYNTAX);
  }
  if (range === null) return -1;
  const pos = findBit(o, bit, range[0], range[1]);
  if (pos >= 0) return pos;
  if (bit === 1) return -1;
  // Looking for a 0 in all ones: past the string is zero padding, unless the caller fixed the end.
  return endGiven ? -1 : range[1] + 1;
}

function bitopHandler(ctx: CommandContext, argv: string[]): Reply {
  const op = argv[1].toLowerCase();
  if (op !== 'and' && op !== 'or' && op !== 'xor' && op !== 'not') throw new CommandError(SYNTAX);
  if (op === 'not' && argv.length !== 4) throw new CommandError(BITOP_NOT_ERROR);
  const sources: string[] = [];
  let maxLen = 0;
  for (let j = 3; j < argv.length; j++) {
    const v = ctx.lookupRead(argv[j]);
    if (v !== undefined && typeof v !== 'string') throw new CommandError(WRONGTYPE);
    const s = v ?? '';
    sources.push(s);
    if (s.length > maxLen) maxLen = s.length;
  }
  const dest = argv[2];
  if (maxLen === 0) {
    if (ctx.deleteKey(dest)) ctx.notify(Notify.GENERIC, 'del', dest);
    return 0;
  }
  const out = new Uint8Array(maxLen);
  const first = sources[0];
  for (let i = 0; i < maxLen; i++) {
    let byte = i < first.length ? first.charCodeAt(i) : 0;
    if (op === 'not') byte = ~byte & 0xff;
    for (let k = 1; k < sources.length; k++) {
      const s = sources[k];
      const b = i < s.length ? s.charCodeAt(i) : 0;
      if (op === 'and') byte &= b;
      else if (op === 'or') byte |= b;
      else byte ^= b;
    }
    out[i] = byte;
  }
  ctx.setKey(dest, bytesToBinary(out));
  ctx.notify(Notify.STRING, 'set', dest);
  return maxLen;
}

// ---------------------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------------------

const KEY1 = { firstKey: 1, lastKey: 1, step: 1 } as const;

/** The bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO. */
export const bitCommands: CommandSpec[] = [
  command({
    name: 'setbit',
    arity: 4,
    group: 'bitmap',
    flags: ['write', 'denyoom'],
    ...KEY1,
    summary: 'Sets or clears the bit at offset in the string value stored at key',
    since: '2.2.0',
    handler: setbitHandler,
  }),
  command({
    name: 'getbit',
    arity: 3,
    group: 'bitmap',
    flags: ['readonly', 'fast'],
    ...KEY1,
    summary: 'Returns the bit value at offset in the string value stored at key',
    since: '2.2.0',
    handler: getbitHandler,
  }),
  command({
    name: 'bitcount',
    arity: -2,
    group: 'bitmap',
    flags: ['readonly'],
    ...KEY1,
    summary: 'Count set bits in a string',
    since: '2.6.0',
    handler: bitcountHandler,
  }),
  command({
    name: 'bitpos',
    arity: -3,
    group: 'bitmap',
    flags: ['readonly'],
    ...KEY1,
    summary: 'Find first bit set or clear in a string',
    since: '2.8.7',
    handler: bitposHandler,
  }),
  command({
    name: 'bitop',
    arity: -4,
    group: 'bitmap',
    flags: ['write', 'denyoom'],
    firstKey: 2,
    lastKey: -1,
    step: 1,
    summary: 'Perform bitwise operations between strings',
    since: '2.6.0',
    handler: bitopHandler,
  }),
  command({
    name: 'bitfield',
    arity: -2,
    group: 'bitmap',
    flags: ['write', 'denyoom'],
    ...KEY1,
    summary: 'Perform arbitrary bitfield integer operations on strings',
    since: '3.2.0',
    handler: (ctx, argv) => bitfield(ctx, argv, false),
  }),
  command({
    name: 'bitfield_ro',
    arity: -2,
    group: 'bitmap',
    flags: ['readonly', 'fast'],
    ...KEY1,
    summary: 'Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD',
    since: '6.0.0',
    handler: (ctx, argv) => bitfield(ctx, argv, true),
  }),
];
