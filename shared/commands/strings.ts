import { CommandError, INVALID_EXPIRE, NOT_FLOAT, NOT_INTEGER, OVERFLOW, SYNTAX, wrongArity } from '../errors.js';
import type { CommandContext } from '../engine/command-context.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import { Notify } from '../engine/keyspace-events.js';
import { typeOfValue } from '../store/database.js';
import { MapReply, OK, type Reply } from '../resp/reply.js';
import {
  bitCommands,
  int64Arg,
  int64Reply,
  LLONG_MAX,
  LLONG_MIN,
  MAX_STRING_LENGTH,
  parseInt64,
  STRING_TOO_LONG,
} from './bits.js';
import { isWord } from './parse.js';

const OFFSET_OUT_OF_RANGE = 'ERR offset is out of range';
const DECREMENT_OVERFLOW = 'ERR decrement would overflow';
const FLOAT_NAN_OR_INF = 'ERR increment would produce NaN or Infinity';
const LCS_NOT_STRINGS = 'ERR The specified keys must contain string values';
const LCS_LEN_AND_IDX = 'ERR If you want both the length and indexes, please just use IDX.';
const LCS_TOO_MUCH_MEMORY = 'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len';

/**
 * Redis's checkStringLength: the largest string a command may build is proto-max-bulk-len, except for
 * commands from our master, which must be obeyed whatever they do (as far as a JS string can grow).
 */
function checkStringLength(ctx: CommandContext, size: number): void {
  const configured = ctx.client.isMaster ? Infinity : ctx.core.config.int('proto-max-bulk-len');
  const limit = Math.min(MAX_STRING_LENGTH, configured);
  if (size > limit) throw new CommandError(STRING_TOO_LONG);
}

// ---------------------------------------------------------------------------------------------------------
// x87 long double arithmetic for INCRBYFLOAT
// ---------------------------------------------------------------------------------------------------------
// Redis computes INCRBYFLOAT in long double (80-bit extended on x86-64: 64-bit significand, 15-bit exponent)
// and prints the result with "%.17Lf". Doubles give different digits (10.5 + 0.1 prints 10.59999999999999964),
// so the value is kept exactly as sign × m × 2^e in BigInts and rounded to extended precision after every
// step, which reproduces Redis bit for bit.

/** A finite extended-precision value (-1)^neg × m × 2^e, or an infinity. */
interface LongDouble {
  neg: boolean;
  m: bigint;
  e: number;
  inf?: boolean;
}

const LD_PRECISION = 64;
/** The exponent of the smallest subnormal's last bit (2^-16445). */
const LD_MIN_QUANTUM = -16445;
/** Values at or above 2^16384 overflow to infinity. */
const LD_MAX_EXP = 16384;
/** Redis's MAX_LONG_DOUBLE_CHARS: longer texts are not numbers. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;
const LD_ZERO: LongDouble = { neg: false, m: 0n, e: 0 };

function bitLength(n: bigint): number {
  if (n === 0n) return 0;
  const hex = n.toString(16);
  return hex.length * 4 - (Math.clz32(parseInt(hex[0], 16)) - 28);
}

/**
 * Rounds (-1)^neg × (m + sticky·ε) × 2^e to extended precision, ties to even. `sticky` says that the true value
 * is a little more than m × 2^e (the remainder of a division), which matters only for ties.
 */
function roundLongDouble(neg: boolean, m: bigint, e: number, sticky = false): LongDouble {
  if (m === 0n) return { neg, m: 0n, e: 0 };
  const msb = e + bitLength(m) - 1;
  if (msb >= LD_MAX_EXP) return { neg, m: 0n, e: 0, inf: true };
  // Below half the smallest subnormal everything rounds to zero; stop before building huge shifts.
  if (msb < LD_MIN_QUANTUM - 2) return { neg, m: 0n, e: 0 };
  const quantum = Math.max(msb - (LD_PRECISION - 1), LD_MIN_QUANTUM);
  if (quantum > e) {
    const s = BigInt(quantum - e);
    let kept = m >> s;
    const rem = m & ((1n << s) - 1n);
    const half = 1n << (s - 1n);
    if (rem > half || (rem === half && (sticky || (kept & 1n) === 1n))) kept++;
    m = kept;
    e = quantum;
    if (m === 0n) return { neg, m: 0n, e: 0 };
    if (e + bitLength(m) - 1 >= LD_MAX_EXP) return { neg, m: 0n, e: 0, inf: true };
  }
  return { neg, m, e };
}

const C_SPACE = /^[ \t\n\v\f\r]/;
const DECIMAL = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;

/**
 * Parses a long double as Redis's string2ld does (glibc strtold, then Redis's checks): decimal or hex notation,
 * "inf"/"infinity" with an optional sign; no NaN, no leading space, nothing after the number, no overflow and
 * no underflow to zero. Returns null when the text is not accepted.
 */
function parseLongDouble(s: string): LongDouble | null {
  if (s.length === 0 || s.length >= MAX_LONG_DOUBLE_CHARS || C_SPACE.test(s)) return null;
  let i = 0;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    i = 1;
  }
  const body = s.slice(i);
  const lower = body.toLowerCase();
  if (lower === 'inf' || lower === 'infinity') return { neg, m: 0n, e: 0, inf: true };
  let result: LongDouble;
  const hex = HEX.exec(body);
  if (hex && (hex[1] || hex[2])) {
    const frac = hex[2] ?? '';
    const mant = BigInt('0x' + (hex[1] || '0') + frac);
    if (mant === 0n) return { neg, m: 0n, e: 0 };
    const exp = Number(hex[3] ?? '0') - 4 * frac.length;
    if (!Number.isFinite(exp)) return null;
    // Far outside the exponent range the value overflows or vanishes anyway; clamping keeps shifts small.
    result = roundLongDouble(neg, mant, Math.max(Math.min(exp, 1e6), -1e6));
  } else {
    const dec = DECIMAL.exec(body);
    if (!dec || (!dec[1] && !dec[2])) return null;
    const frac = dec[2] ?? '';
    const digits = ((dec[1] ?? '') + frac).replace(/^0+/, '');
    if (digits === '') return { neg, m: 0n, e: 0 };
    const exp10 = Number(dec[3] ?? '0') - frac.length;
    // The value lies in [10^(mag-1), 10^mag): far outside the long double range it overflows or underflows.
    const mag = digits.length + exp10;
    if (mag > 4934) return null;
    if (mag < -4953) return null;
    const d = BigInt(digits);
    if (exp10 >= 0) {
      result = roundLongDouble(neg, d * 10n ** BigInt(exp10), 0);
    } else {
      const den = 10n ** BigInt(-exp10);
      // Scale so the quotient keeps at least 66 bits: enough for the 64-bit significand plus rounding bits.
      const k = Math.max(0, LD_PRECISION + 3 + bitLength(den) - bitLength(d));
      const num = d << BigInt(k);
      result = roundLongDouble(neg, num / den, -k, num % den !== 0n);
    }
  }
  // strtold reports ERANGE on overflow (HUGE_VAL) and on underflow to zero; Redis rejects both.
  if (result.inf || result.m === 0n) return null;
  return result;
}

/** a + b in extended precision; an infinity or NaN result comes back as `inf`. */
function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.inf || b.inf) return { neg: false, m: 0n, e: 0, inf: true };
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  const e = Math.min(a.e, b.e);
  const va = (a.m << BigInt(a.e - e)) * (a.neg ? -1n : 1n);
  const vb = (b.m << BigInt(b.e - e)) * (b.neg ? -1n : 1n);
  const sum = va + vb;
  return roundLongDouble(sum < 0n, sum < 0n ? -sum : sum, e);
}

/** Redis's ld2string in LD_STR_HUMAN mode: "%.17Lf", trailing zeros and a bare "-0" removed. */
function formatLongDouble(x: LongDouble): string {
  if (x.m === 0n) return '0';
  const scaled = x.m * 10n ** 17n;
  let n: bigint;
  if (x.e >= 0) {
    n = scaled << BigInt(x.e);
  } else {
    const s = BigInt(-x.e);
    n = scaled >> s;
    const rem = scaled & ((1n << s) - 1n);
    const half = 1n << (s - 1n);
    if (rem > half || (rem === half && (n & 1n) === 1n)) n++;
  }
  if (n === 0n) return '0';
  const text = n.toString().padStart(18, '0');
  const intPart = text.slice(0, -17);
  const frac = text.slice(-17).replace(/0+$/, '');
  return (x.neg ? '-' : '') + intPart + (frac ? '.' + frac : '');
}

/** INCRBYFLOAT's arithmetic: the stored text plus the increment, as Redis prints the long double result. */
function incrByFloatText(current: string | undefined, increment: string): string {
  const value = current === undefined ? LD_ZERO : parseLongDouble(current);
  const incr = value === null ? null : parseLongDouble(increment);
  if (value === null || incr === null) throw new CommandError(NOT_FLOAT);
  const sum = addLongDouble(value, incr);
  if (sum.inf) throw new CommandError(FLOAT_NAN_OR_INF);
  return formatLongDouble(sum);
}

// ---------------------------------------------------------------------------------------------------------
// SET / GETEX options
// ---------------------------------------------------------------------------------------------------------

const OBJ_SET_NX = 1 << 0;
const OBJ_SET_XX = 1 << 1;
const OBJ_EX = 1 << 2;
const OBJ_PX = 1 << 3;
const OBJ_KEEPTTL = 1 << 4;
const OBJ_SET_GET = 1 << 5;
const OBJ_EXAT = 1 << 6;
const OBJ_PXAT = 1 << 7;
const OBJ_PERSIST = 1 << 8;
const ANY_EXPIRE = OBJ_EX | OBJ_PX | OBJ_EXAT | OBJ_PXAT;

interface ExtendedArgs {
  flags: number;
  /** The expire argument's text, when EX/PX/EXAT/PXAT was given. */
  expire: string | null;
  milliseconds: boolean;
}

/**
 * Redis's parseExtendedStringArgumentsOrReply: SET's NX/XX/GET/KEEPTTL and GETEX's PERSIST, plus the shared
 * EX/PX/EXAT/PXAT. Conflicting options are a syntax error; a repeated expire option replaces the earlier one.
 */
function parseExtendedArgs(argv: string[], forSet: boolean): ExtendedArgs {
  let flags = 0;
  let expire: string | null = null;
  let milliseconds = false;
  for (let j = forSet ? 3 : 2; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    const hasNext = j < argv.length - 1;
    if (opt === 'nx' && !(flags & OBJ_SET_XX) && forSet) {
      flags |= OBJ_SET_NX;
    } else if (opt === 'xx' && !(flags & OBJ_SET_NX) && forSet) {
      flags |= OBJ_SET_XX;
    } else if (opt === 'get' && forSet) {
      flags |= OBJ_SET_GET;
    } else if (opt === 'keepttl' && !(flags & (OBJ_PERSIST | ANY_EXPIRE)) && forSet) {
      flags |= OBJ_KEEPTTL;
    } else if (opt === 'persist' && !forSet && !(flags & (ANY_EXPIRE | OBJ_KEEPTTL))) {
      flags |= OBJ_PERSIST;
    } else if (
      (opt === 'ex' || opt === 'px' || opt === 'exat' || opt === 'pxat') &&
      !(flags & (OBJ_KEEPTTL | OBJ_PERSIST | (ANY_EXPIRE & ~expireFlag(opt)))) &&
      hasNext
    ) {
      flags |= expireFlag(opt);
      milliseconds = opt === 'px' || opt === 'pxat';
      expire = argv[++j];
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  return { flags, expire, milliseconds };
}

function expireFlag(opt: string): number {
  return opt === 'ex' ? OBJ_EX : opt === 'px' ? OBJ_PX : opt === 'exat' ? OBJ_EXAT : OBJ_PXAT;
}

/**
 * Redis's getExpireMillisecondsOrReply: the absolute expiry in ms for an EX/PX/EXAT/PXAT argument. Zero,
 * negative and overflowing values are "invalid expire time in '<command>' command".
 */
function expireAt(ctx: CommandContext, text: string, flags: number, milliseconds: boolean): bigint {
  let ms = int64Arg(text);
  const invalid = INVALID_EXPIRE(ctx.spec.name);
  if (ms <= 0n || (!milliseconds && ms > LLONG_MAX / 1000n)) throw new CommandError(invalid);
  if (!milliseconds) ms *= 1000n;
  if (flags & (OBJ_EX | OBJ_PX)) ms += BigInt(ctx.now);
  // In C the addition wraps to a negative number: the same check catches it.
  if (ms > LLONG_MAX) throw new CommandError(invalid);
  return ms;
}

/** GET's lookup: the string at key, null when missing, WRONGTYPE for other types. */
function getString(ctx: CommandContext, key: string): string | null {
  return ctx.readString(key) ?? null;
}

/**
 * Redis's setGenericCommand, behind SET, SETNX, SETEX and PSETEX: the expire is validated first, then GET's
 * read, then NX/XX. A TTL propagates as `SET key value PXAT <ms>`; without one, GET options are dropped.
 */
function setGeneric(
  ctx: CommandContext,
  argv: string[],
  flags: number,
  key: string,
  value: string,
  expire: string | null,
  milliseconds: boolean,
  okReply: Reply,
  abortReply: Reply,
): Reply {
  const when = expire === null ? null : expireAt(ctx, expire, flags, milliseconds);
  let old: Reply = null;
  if (flags & OBJ_SET_GET) old = getString(ctx, key);
  const found = ctx.lookupWrite(key) !== undefined;
  if ((flags & OBJ_SET_NX && found) || (flags & OBJ_SET_XX && !found)) {
    return flags & OBJ_SET_GET ? old : abortReply;
  }
  ctx.setKey(key, value, (flags & OBJ_KEEPTTL) !== 0);
  ctx.notify(Notify.STRING, 'set', key);
  if (when !== null) {
    ctx.setExpire(key, Number(when));
    ctx.rewrite(['SET', key, value, 'PXAT', when.toString()]);
    ctx.notify(Notify.GENERIC, 'expire', key);
  } else if (flags & OBJ_SET_GET) {
    ctx.rewrite(argv.filter((a, j) => j < 3 || !isWord(a, 'get')));
  }
  return flags & OBJ_SET_GET ? old : okReply;
}

// ---------------------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------------------

function getexHandler(ctx: CommandContext, argv: string[]): Reply {
  const { flags, expire, milliseconds } = parseExtendedArgs(argv, false);
  const key = argv[1];
  const value = ctx.readString(key);
  if (value === undefined) return null;
  const when = expire === null ? null : expireAt(ctx, expire, flags, milliseconds);
  // An EXAT/PXAT already in the past deletes the key (a replica keeps it and waits for its master's DEL).
  if (when !== null && flags & (OBJ_EXAT | OBJ_PXAT) && when <= BigInt(ctx.now) && !ctx.core.isReplica()) {
    ctx.deleteKey(key);
    ctx.rewrite(['DEL', key]);
    ctx.notify(Notify.GENERIC, 'del', key);
  } else if (when !== null) {
    ctx.setExpire(key, Number(when));
    ctx.modified(key);
    ctx.rewrite(['PEXPIREAT', key, when.toString()]);
    ctx.notify(Notify.GENERIC, 'expire', key);
  } else if (flags & OBJ_PERSIST) {
    if (ctx.removeExpire(key)) {
      ctx.modified(key);
      ctx.rewrite(['PERSIST', key]);
      ctx.notify(Notify.GENERIC, 'persist', key);
    }
  }
  return value;
}

/**
 * Whether `s` is an integer of at most 15 digits as string2ll spells them (no '+', no leading zeros, no "-0"):
 * sums of two of them are exact in a double and far from the 64-bit limits. A loop rather than a regex: INCR
 * runs this on every call.
 */
function isSmallInt(s: string): boolean {
  const len = s.length;
  const i0 = len > 0 && s.charCodeAt(0) === 45 /* '-' */ ? 1 : 0;
  if (len - i0 < 1 || len - i0 > 15) return false;
  const first = s.charCodeAt(i0);
  if (first === 48 /* '0' */) return len === 1;
  if (first < 49 || first > 57) return false;
  for (let i = i0 + 1; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** INCR, DECR, INCRBY, DECRBY. A number `incr` is a small one (INCR/DECR's ±1): no BigInt work for it. */
function incrDecr(ctx: CommandContext, key: string, incr: bigint | number): Reply {
  const current = ctx.writeString(key);
  // The common case (counters) in plain numbers; BigInt only where 64-bit overflow is possible.
  const small =
    typeof incr === 'number' ? incr : incr >= -999_999_999_999_999n && incr <= 999_999_999_999_999n ? Number(incr) : undefined;
  if (small !== undefined && (current === undefined || isSmallInt(current))) {
    const result = (current === undefined ? 0 : Number(current)) + small;
    ctx.setKey(key, String(result), true);
    ctx.notify(Notify.STRING, 'incrby', key);
    return result;
  }
  let value = 0n;
  if (current !== undefined) {
    const parsed = parseInt64(current);
    if (parsed === null) throw new CommandError(NOT_INTEGER);
    value = parsed;
  }
  const result = value + BigInt(incr);
  if (result > LLONG_MAX || result < LLONG_MIN) throw new CommandError(OVERFLOW);
  ctx.setKey(key, result.toString(), true);
  ctx.notify(Notify.STRING, 'incrby', key);
  return int64Reply(result);
}

function getrangeHandler(ctx: CommandContext, argv: string[]): Reply {
  let start = int64Arg(argv[2]);
  let end = int64Arg(argv[3]);
  const value = ctx.readString(argv[1]);
  if (value === undefined) return '';
  const len = BigInt(value.length);
  if (start < 0n && end < 0n && start > end) return '';
  if (start < 0n) start += len;
  if (end < 0n) end += len;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= len) end = len - 1n;
  if (start > end || len === 0n) return '';
  return value.slice(Number(start), Number(end) + 1);
}

function setrangeHandler(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  const patch = argv[3];
  const offsetBig = int64Arg(argv[2]);
  if (offsetBig < 0n) throw new CommandError(OFFSET_OUT_OF_RANGE);
  const current = ctx.writeString(key);
  if (current === undefined && patch.length === 0) return 0;
  if (current !== undefined && patch.length === 0) return current.length;
  checkStringLength(ctx, Number(offsetBig) + patch.length);
  const offset = Number(offsetBig);
  let base = current ?? '';
  if (base.length < offset) base += '\0'.repeat(offset - base.length);
  const next = base.slice(0, offset) + patch + base.slice(offset + patch.length);
  ctx.setKey(key, next, true);
  ctx.notify(Notify.STRING, 'setrange', key);
  return next.length;
}

function appendHandler(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  const current = ctx.writeString(key);
  if (current === undefined) {
    ctx.setKey(key, argv[2]);
    ctx.notify(Notify.STRING, 'append', key);
    return argv[2].length;
  }
  checkStringLength(ctx, current.length + argv[2].length);
  const next = current + argv[2];
  ctx.setKey(key, next, true);
  ctx.notify(Notify.STRING, 'append', key);
  return next.length;
}

function msetGeneric(ctx: CommandContext, argv: string[], nx: boolean): Reply {
  if (argv.length % 2 === 0) throw new CommandError(wrongArity(ctx.spec.name));
  if (nx) {
    for (let j = 1; j < argv.length; j += 2) {
      if (ctx.lookupWrite(argv[j]) !== undefined) return 0;
    }
  }
  for (let j = 1; j < argv.length; j += 2) {
    ctx.setKey(argv[j], argv[j + 1]);
    ctx.notify(Notify.STRING, 'set', argv[j]);
  }
  return nx ? 1 : OK;
}

/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN], as Redis's lcsCommand (ranges included). */
function lcsHandler(ctx: CommandContext, argv: string[]): Reply {
  const oa = ctx.lookupRead(argv[1]);
  const ob = ctx.lookupRead(argv[2]);
  if ((oa !== undefined && typeOfValue(oa) !== 'string') || (ob !== undefined && typeOfValue(ob) !== 'string')) {
    throw new CommandError(LCS_NOT_STRINGS);
  }
  const a = (oa as string | undefined) ?? '';
  const b = (ob as string | undefined) ?? '';
  let getLen = false;
  let getIdx = false;
  let withMatchLen = false;
  let minMatchLen = 0n;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    const moreArgs = argv.length - 1 - j;
    if (opt === 'idx') getIdx = true;
    else if (opt === 'len') getLen = true;
    else if (opt === 'withmatchlen') withMatchLen = true;
    else if (opt === 'minmatchlen' && moreArgs > 0) {
      minMatchLen = int64Arg(argv[++j]);
      if (minMatchLen < 0n) minMatchLen = 0n;
    } else throw new CommandError(SYNTAX);
  }
  if (getLen && getIdx) throw new CommandError(LCS_LEN_AND_IDX);

  const alen = a.length;
  const blen = b.length;
  const width = blen + 1;
  if ((alen + 1) * width * 4 > ctx.core.config.int('proto-max-bulk-len')) throw new CommandError(LCS_TOO_MUCH_MEMORY);
  // lcs[i*width + j] is the LCS length of a[0..i) and b[0..j).
  const lcs = new Uint32Array((alen + 1) * width);
  for (let i = 1; i <= alen; i++) {
    const ca = a.charCodeAt(i - 1);
    const row = i * width;
    const prev = row - width;
    for (let j = 1; j <= blen; j++) {
      if (ca === b.charCodeAt(j - 1)) lcs[row + j] = lcs[prev + j - 1] + 1;
      else {
        const up = lcs[prev + j];
        const left = lcs[row + j - 1];
        lcs[row + j] = up > left ? up : left;
      }
    }
  }
  const total = lcs[alen * width + blen];
  if (getLen) return total;

  // Walk back from the end, collecting the LCS and (for IDX) the matching ranges, exactly as Redis does, so
  // ranges come out in the same order (last match first) with the same tie-breaking.
  const chars: string[] = new Array(total);
  const matches: Reply[] = [];
  let idx = total;
  let aStart = alen;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      chars[idx - 1] = a[i - 1];
      if (aStart === alen) {
        aStart = i - 1;
        aEnd = i - 1;
        bStart = j - 1;
        bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (lcs[(i - 1) * width + j] > lcs[i * width + j - 1]) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (minMatchLen === 0n || BigInt(matchLen) >= minMatchLen) {
        const m: Reply[] = [
          [aStart, aEnd],
          [bStart, bEnd],
        ];
        if (withMatchLen) m.push(matchLen);
        matches.push(m);
      }
      aStart = alen;
    }
  }
  if (getIdx) {
    return new MapReply([
      ['matches', matches],
      ['len', total],
    ]);
  }
  return chars.join('');
}

// ---------------------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------------------

const KEY1 = { firstKey: 1, lastKey: 1, step: 1 } as const;

const ownCommands: CommandSpec[] = [
  command({
    name: 'get',
    arity: 2,
    group: 'string',
    flags: ['readonly', 'fast'],
    ...KEY1,
    summary: 'Get the value of a key',
    handler: (ctx, argv) => getString(ctx, argv[1]),
  }),
  command({
    name: 'set',
    arity: -3,
    group: 'string',
    flags: ['write', 'denyoom'],
    ...KEY1,
    summary: 'Set the string value of a key',
    handler: (ctx, argv) => {
      const { flags, expire, milliseconds } = parseExtendedArgs(argv, true);
      return setGeneric(ctx, argv, flags, argv[1], argv[2], expire, milliseconds, OK, null);
    },
  }),
  command({
    name: 'setnx',
    arity: 3,
    group: 'string',
    flags: ['write', 'denyoom', 'fast'],
    ...KEY1,
    summary: 'Set the value of a key, only if the key does not exist',
    handler: (ctx, argv) => setGeneric(ctx, argv, OBJ_SET_NX, argv[1], argv[2], null, false, 1, 0),
  }),
  command({
    name: 'setex',
    arity: 4,
    group: 'string',
    flags: ['write', 'denyoom'],
    ...KEY1,
    summary: 'Set the value and expiration of a key',
    since: '2.0.0',
    handler: (ctx, argv) => setGeneric(ctx, argv, OBJ_EX, argv[1], argv[3], argv[2], false, OK, null),
  }),
  command({
    name: 'psetex',
    arity: 4,
    group: 'string',
    flags: ['write', 'denyoom'],
    ...KEY1,
    summary: 'Set the value and expiration in milliseconds of a key',
    since: '2.6.0',
    handler: (ctx, argv) => setGeneric(ctx, argv, OBJ_PX, argv[1], argv[3], argv[2], true, OK, null),
  }),
  command({
    name: 'mget',
    arity: -2,
    group: 'string',
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    summary: 'Get the values of all the given keys',
    handler: (ctx, argv) => {
      const out: Reply[] = [];
      for (let j = 1; j < argv.length; j++) {
        const v = ctx.lookupRead(argv[j]);
        out.push(typeof v === 'string' ? v : null);
      }
      return out;
    },
  }),
  command({
    name: 'mset',
    arity: -3,
    group: 'string',
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: -1,
    step: 2,
    summary: 'Set multiple keys to multiple values',
    since: '1.0.1',
    handler: (ctx, argv) => msetGeneric(ctx, argv, false),
  }),
  command({
    name: 'msetnx',
    arity: -3,
    group: 'string',
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: -1,
    step: 2,
    summary: 'Set multiple keys to multiple values, only if none of the keys exist',
    since: '1.0.1',
    handler: (ctx, argv) => msetGeneric(ctx, argv, true),
  }),
  command({
    name: 'getset',
    arity: 3,
    group: 'string',
    flags: ['write', 'denyoom', 'fast'],
    ...KEY1,
    summary: 'Set the string value of a key and return its old value',
    handler: (ctx, argv) => {
      const old = getString(ctx, argv[1]);
      ctx.setKey(argv[1], argv[2]);
      ctx.notify(Notify.STRING, 'set', argv[1]);
      ctx.rewrite(['SET', argv[1], argv[2]]);
      return old;
    },
  }),
  command({
    name: 'getdel',
    arity: 2,
    group: 'string',
    flags: ['write', 'fast'],
    ...KEY1,
    summary: 'Get the value of a key and delete the key',
    since: '6.2.0',
    handler: (ctx, argv) => {
      const old = getString(ctx, argv[1]);
      if (ctx.deleteKey(argv[1])) {
        ctx.rewrite(['DEL', argv[1]]);
        ctx.notify(Notify.GENERIC, 'del', argv[1]);
      }
      return old;
    },
  }),
  command({
    name: 'getex',
    arity: -2,
    group: 'string',
    flags: ['write', 'fast'],
    ...KEY1,
    summary: 'Get the value of a key and optionally set its expiration',
    since: '6.2.0',
    handler: getexHandler,
  }),
  command({
    name: 'append',
    arity: 3,
    group: 'string',
    flags: ['write', 'denyoom', 'fast'],
    ...KEY1,
    summary: 'Append a value to a key',
    since: '2.0.0',
    handler: appendHandler,
  }),
  command({
    name: 'strlen',
    arity: 2,
    group: 'string',
    flags: ['readonly', 'fast'],
    ...KEY1,
    summary: 'Get the length of the value stored in a key',
    since: '2.2.0',
    handler: (ctx, argv) => ctx.readString(argv[1])?.length ?? 0,
  }),
  command({
    name: 'incr',
    arity: 2,
    group: 'string',
    flags: ['write', 'denyoom', 'fast'],
    ...KEY1,
    summary: 'Increment the integer value of a key by one',
    handler: (ctx, argv) => incrDecr(ctx, argv[1], 1),
  }),
  command({
    name: 'decr',
    arity: 2,
    group: 'string',
    flags: ['write', 'denyoom', 'fast'],
    ...KEY1,
    summary: 'Decrement the integer value of a key by one',
    handler: (ctx, argv) => incrDecr(ctx, argv[1], -1),
  }),
  command({
    name: 'incrby',
    arity: 3,
    group: 'string',
    flags: ['write', 'denyoom', 'fast'],
    ...KEY1,
    summary: 'Increment the integer value of a key by the given amount',
    handler: (ctx, argv) => incrDecr(ctx, argv[1], int64Arg(argv[2])),
  }),
  command({
    name: 'decrby',
    arity: 3,
    group: 'string',
    flags: ['write', 'denyoom', 'fast'],
    ...KEY1,
    summary: 'Decrement the integer value of a key by the given number',
    handler: (ctx, argv) => {
      const decr = int64Arg(argv[2]);
      if (decr === LLONG_MIN) throw new CommandError(DECREMENT_OVERFLOW);
      return incrDecr(ctx, argv[1], -decr);
    },
  }),
  command({
    name: 'incrbyfloat',
    arity: 3,
    group: 'string',
    flags: ['write', 'denyoom', 'fast'],
    ...KEY1,
    summary: 'Increment the float value of a key by the given amount',
    since: '2.6.0',
    handler: (ctx, argv) => {
      const key = argv[1];
      const text = incrByFloatText(ctx.writeString(key), argv[2]);
      ctx.setKey(key, text, true);
      ctx.notify(Notify.STRING, 'incrbyfloat', key);
      // Replicas and AOF get the result, not the increment, so float formatting can never make them diverge.
      ctx.rewrite(['SET', key, text, 'KEEPTTL']);
      return text;
    },
  }),
  command({
    name: 'getrange',
    arity: 4,
    group: 'string',
    flags: ['readonly'],
    ...KEY1,
    summary: 'Get a substring of the string stored at a key',
    since: '2.4.0',
    handler: getrangeHandler,
  }),
  command({
    name: 'substr',
    arity: 4,
    group: 'string',
    flags: ['readonly'],
    ...KEY1,
    summary: 'Get a substring of the string stored at a key',
    handler: getrangeHandler,
  }),
  command({
    name: 'setrange',
    arity: 4,
    group: 'string',
    flags: ['write', 'denyoom'],
    ...KEY1,
    summary: 'Overwrite part of a string at key starting at the specified offset',
    since: '2.2.0',
    handler: setrangeHandler,
  }),
  command({
    name: 'lcs',
    arity: -3,
    group: 'string',
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    summary: 'Find longest common substring',
    since: '7.0.0',
    handler: lcsHandler,
  }),
];

/** The string commands (GET, SET, INCR, LCS, ...) and the bitmap commands that work on strings. */
export const stringCommands: CommandSpec[] = [...ownCommands, ...bitCommands];
