import { CommandError, NOT_INTEGER, OVERFLOW, SYNTAX, wrongArity } from '../errors.js';
import type { CommandContext } from '../engine/command-context.js';
import { Notify } from '../engine/keyspace-events.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import type { HashValue } from '../store/database.js';
import { EMPTY_ARRAY, MapReply, OK, type Reply } from '../resp/reply.js';
import { isWord } from './parse.js';

const HASH_NOT_INTEGER = 'ERR hash value is not an integer';
const HASH_NOT_FLOAT = 'ERR hash value is not a float';
const NOT_VALID_FLOAT = 'ERR value is not a valid float';
const NAN_OR_INFINITY = 'ERR value is NaN or Infinity';
const WOULD_PRODUCE_NAN = 'ERR increment would produce NaN or Infinity';
const OUT_OF_RANGE = 'ERR value is out of range';
const COUNT_RANGE = 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807';

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;
const LONG_MAX_HALF = LLONG_MAX / 2n;

/**
 * Redis's string2ll: the only integer syntax Redis accepts (no '+', no spaces, no leading zeros, no "-0"),
 * within the signed 64-bit range. Returns null when `s` is not such an integer.
 */
function string2ll(s: string): bigint | null {
  if (s.length === 0 || s.length > 20 || !/^(0|-?[1-9][0-9]*)$/.test(s)) return null;
  const v = BigInt(s);
  return v > LLONG_MAX || v < LLONG_MIN ? null : v;
}

/** A count argument as getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX) reads it (HRANDFIELD). */
function parseCount(s: string): bigint {
  const v = string2ll(s);
  if (v === null) throw new CommandError(NOT_INTEGER);
  if (v < -LLONG_MAX) throw new CommandError(COUNT_RANGE);
  return v;
}

/** A random index in [0, n). */
function randomIndex(n: number): number {
  return Math.floor(Math.random() * n);
}

/**
 * Records an in-place change of the hash at `key` worth `changes` dirty units (Redis's server.dirty) and
 * notifies `event`; an emptied hash is then deleted, with its "del" event after the command's own.
 */
function changed(ctx: CommandContext, key: string, changes: number, event: string): void {
  ctx.modified(key, changes);
  ctx.notify(Notify.HASH, event, key);
  ctx.deleteIfEmpty(key);
}

// ---------------------------------------------------------------------------------------------------------
// HINCRBYFLOAT arithmetic. Redis computes it in C `long double`, which on x86-64 is the x87 80-bit format
// (64-bit significand), and prints the sum with "%.17Lf". A JS double would print 1 + -1.1 as
// -0.10000000000000009 where Redis prints -0.1, so the format is emulated exactly with BigInt: values are
// dyadic rationals, rounded to 64 significant bits (ties to even) after each operation, as the FPU does.
// ---------------------------------------------------------------------------------------------------------

/** A finite long double: (-1)^neg * mant * 2^exp, with mant < 2^64 (mant 0 is zero). */
interface LongDouble {
  neg: boolean;
  mant: bigint;
  exp: number;
}

const LD_SIGNIFICAND_BITS = 64;
/** The exponent of the least significant bit of the smallest subnormal (2^-16445). */
const LD_MIN_UNIT_EXP = -16445;
/** Finite values are below 2^16384. */
const LD_MAX_BIT_EXP = 16384;
/** Redis's MAX_LONG_DOUBLE_CHARS: longer inputs are not floats to it. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;
const TWO_64 = 1n << 64n;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/**
 * Rounds the positive rational num/den to the nearest long double (ties to even), honouring subnormals.
 * Returns 'inf' on overflow and a zero mant on underflow.
 */
function roundLongDouble(neg: boolean, num: bigint, den: bigint): LongDouble | 'inf' {
  // num/den lies in [2^(nb-1), 2^(nb+1)), so this shift puts the quotient in [2^63, 2^65).
  let shift = LD_SIGNIFICAND_BITS - (bitLength(num) - bitLength(den));
  const quotient = (s: number): [bigint, bigint] => {
    const n = s >= 0 ? num << BigInt(s) : num;
    const d = s >= 0 ? den : den << BigInt(-s);
    return [n / d, n % d];
  };
  let [q, r] = quotient(shift);
  if (q >= TWO_64) [q, r] = quotient(--shift);
  if (-shift < LD_MIN_UNIT_EXP) [q, r] = quotient((shift = -LD_MIN_UNIT_EXP));
  const d = shift >= 0 ? den : den << BigInt(-shift);
  const twice = 2n * r;
  if (twice > d || (twice === d && (q & 1n) === 1n)) q++;
  if (q === TWO_64) {
    q >>= 1n;
    shift--;
  }
  if (bitLength(q) - shift > LD_MAX_BIT_EXP) return 'inf';
  return { neg, mant: q, exp: -shift };
}

/**
 * Redis's string2ld (strtold, then: no leading space, the whole string consumed, no overflow, no underflow to
 * zero, no NaN). Accepts decimal and hexadecimal floats and inf/infinity. Returns null when it is not a float.
 */
function parseLongDouble(s: string): LongDouble | 'inf' | '-inf' | null {
  if (s.length === 0 || s.length >= MAX_LONG_DOUBLE_CHARS) return null;
  const m = /^([+-]?)(?:(inf|infinity)|0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?[0-9]+))?|([0-9]*)(?:\.([0-9]*))?(?:e([+-]?[0-9]+))?)$/i.exec(s);
  if (!m) return null;
  const neg = m[1] === '-';
  if (m[2] !== undefined) return neg ? '-inf' : 'inf';
  const hex = m[3] !== undefined;
  const intDigits = (hex ? m[3] : m[6]) ?? '';
  const fracDigits = (hex ? m[4] : m[7]) ?? '';
  const expText = (hex ? m[5] : m[8]) ?? '0';
  if (intDigits.length + fracDigits.length === 0) return null;
  const digits = (intDigits + fracDigits).replace(/^0+/, '');
  if (digits.length === 0) return { neg, mant: 0n, exp: 0 };
  // Exponents far outside the range overflow or underflow whatever the digits; clamp before BigInt powers.
  const exp = Math.max(-1e6, Math.min(1e6, Number(expText)));
  const mantissa = BigInt(hex ? '0x' + digits : digits);
  let num: bigint;
  let den: bigint;
  if (hex) {
    const e2 = exp - 4 * fracDigits.length;
    const top = bitLength(mantissa) + e2;
    if (top > LD_MAX_BIT_EXP + 1) return null;
    if (top < LD_MIN_UNIT_EXP - 2) return null;
    num = e2 >= 0 ? mantissa << BigInt(e2) : mantissa;
    den = e2 >= 0 ? 1n : 1n << BigInt(-e2);
  } else {
    const e10 = exp - fracDigits.length;
    const top = digits.length + e10;
    if (top > 4934) return null;
    if (top < -4952) return null;
    num = e10 >= 0 ? mantissa * 10n ** BigInt(e10) : mantissa;
    den = e10 >= 0 ? 1n : 10n ** BigInt(-e10);
  }
  const v = roundLongDouble(neg, num, den);
  if (v === 'inf') return null;
  return v.mant === 0n ? null : v;
}

/** a + b in long double arithmetic. */
function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | 'inf' {
  const e = Math.min(a.exp, b.exp);
  const sa = (a.neg ? -a.mant : a.mant) << BigInt(a.exp - e);
  const sb = (b.neg ? -b.mant : b.mant) << BigInt(b.exp - e);
  const sum = sa + sb;
  if (sum === 0n) return { neg: false, mant: 0n, exp: 0 };
  const mag = sum < 0n ? -sum : sum;
  return e >= 0 ? roundLongDouble(sum < 0n, mag << BigInt(e), 1n) : roundLongDouble(sum < 0n, mag, 1n << BigInt(-e));
}

/** Redis's ld2string(LD_STR_HUMAN): "%.17Lf" without trailing zeros, "-0" printed as "0". */
function formatLongDouble(v: LongDouble): string {
  const scaled = v.mant * 10n ** 17n;
  let q: bigint;
  if (v.exp >= 0) {
    q = scaled << BigInt(v.exp);
  } else {
    const den = 1n << BigInt(-v.exp);
    q = scaled / den;
    const twice = 2n * (scaled % den);
    if (twice > den || (twice === den && (q & 1n) === 1n)) q++;
  }
  const digits = q.toString().padStart(18, '0');
  const frac = digits.slice(-17).replace(/0+$/, '');
  const text = (v.neg ? '-' : '') + digits.slice(0, -17) + (frac ? '.' + frac : '');
  return text === '-0' ? '0' : text;
}

// ---------------------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------------------

/** HSET and HMSET: the same command in Redis, differing only in the reply. */
function hsetHandler(ctx: CommandContext, argv: string[]): Reply {
  if (argv.length % 2 === 1) throw new CommandError(wrongArity(ctx.spec.name));
  const key = argv[1];
  const hash = ctx.hashForWrite(key);
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) {
    // One lookup per field: the size grows exactly when the field is new.
    const size = hash.size;
    hash.set(argv[i], argv[i + 1]);
    if (hash.size > size) created++;
  }
  // Redis counts every pair as a change, even one that rewrote the same value, so HSET always propagates
  // and always notifies "hset" (HMSET included).
  changed(ctx, key, (argv.length - 2) / 2, 'hset');
  return ctx.spec.name === 'hset' ? created : OK;
}

/** HGETALL, HKEYS and HVALS. */
function hgetall(ctx: CommandContext, key: string, keys: boolean, values: boolean): Reply {
  const hash = ctx.readHash(key);
  if (keys && values) return new MapReply(hash ? Array.from(hash) : []);
  if (!hash) return EMPTY_ARRAY;
  return Array.from(keys ? hash.keys() : hash.values());
}

/** One random field (and its value) picked with replacement. */
function randomEntry(entries: Array<[string, string]>): [string, string] {
  return entries[randomIndex(entries.length)];
}

/** HRANDFIELD key count [WITHVALUES], following Redis's cases for the count's sign and size. */
function hrandfieldWithCount(ctx: CommandContext, hash: HashValue | undefined, count: bigint, withValues: boolean): Reply {
  if (!hash || count === 0n) return EMPTY_ARRAY;
  const entries = Array.from(hash);
  const picked: Array<[string, string]> = [];
  if (count < 0n || count === 1n) {
    // With replacement: the same field may come back several times, in random order.
    const n = Number(count < 0n ? -count : count);
    for (let i = 0; i < n; i++) picked.push(randomEntry(entries));
  } else if (count >= BigInt(entries.length)) {
    picked.push(...entries);
  } else {
    // Distinct fields: a partial Fisher-Yates shuffle draws `count` of them uniformly.
    const n = Number(count);
    for (let i = 0; i < n; i++) {
      const j = i + randomIndex(entries.length - i);
      [entries[i], entries[j]] = [entries[j], entries[i]];
      picked.push(entries[i]);
    }
  }
  if (!withValues) return picked.map(([f]) => f);
  // RESP3 answers [field, value] pairs; RESP2 a flat list.
  if (ctx.client.protocol === 2) return picked.flatMap(([f, v]) => [f, v]);
  return picked.map(([f, v]) => [f, v]);
}

/** The HASH command group: HSET ... HRANDFIELD (HSCAN lives with the scan commands). */
export const hashCommands: CommandSpec[] = [
  command({
    name: 'hset',
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'hash',
    summary: 'Set the string value of a hash field',
    since: '2.0.0',
    handler: hsetHandler,
  }),
  command({
    name: 'hmset',
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'hash',
    summary: 'Set multiple hash fields to multiple values',
    since: '2.0.0',
    handler: hsetHandler,
  }),
  command({
    name: 'hsetnx',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'hash',
    summary: 'Set the value of a hash field, only if the field does not exist',
    since: '2.0.0',
    handler: (ctx, argv) => {
      const [, key, field, value] = argv;
      const existing = ctx.writeHash(key);
      if (existing?.has(field)) return 0;
      ctx.hashForWrite(key).set(field, value);
      changed(ctx, key, 1, 'hset');
      return 1;
    },
  }),
  command({
    name: 'hget',
    arity: 3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'hash',
    summary: 'Get the value of a hash field',
    since: '2.0.0',
    handler: (ctx, argv) => ctx.readHash(argv[1])?.get(argv[2]) ?? null,
  }),
  command({
    name: 'hmget',
    arity: -3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'hash',
    summary: 'Get the values of all the given hash fields',
    since: '2.0.0',
    handler: (ctx, argv) => {
      const hash = ctx.readHash(argv[1]);
      const out: Reply[] = [];
      for (let i = 2; i < argv.length; i++) out.push(hash?.get(argv[i]) ?? null);
      return out;
    },
  }),
  command({
    name: 'hgetall',
    arity: 2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'hash',
    summary: 'Get all the fields and values in a hash',
    since: '2.0.0',
    handler: (ctx, argv) => hgetall(ctx, argv[1], true, true),
  }),
  command({
    name: 'hkeys',
    arity: 2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'hash',
    summary: 'Get all the fields in a hash',
    since: '2.0.0',
    handler: (ctx, argv) => hgetall(ctx, argv[1], true, false),
  }),
  command({
    name: 'hvals',
    arity: 2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'hash',
    summary: 'Get all the values in a hash',
    since: '2.0.0',
    handler: (ctx, argv) => hgetall(ctx, argv[1], false, true),
  }),
  command({
    name: 'hdel',
    arity: -3,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'hash',
    summary: 'Delete one or more hash fields',
    since: '2.0.0',
    handler: (ctx, argv) => {
      const key = argv[1];
      const hash = ctx.writeHash(key);
      if (!hash) return 0;
      let deleted = 0;
      for (let i = 2; i < argv.length && hash.size > 0; i++) {
        if (hash.delete(argv[i])) deleted++;
      }
      if (deleted > 0) changed(ctx, key, deleted, 'hdel');
      return deleted;
    },
  }),
  command({
    name: 'hlen',
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'hash',
    summary: 'Get the number of fields in a hash',
    since: '2.0.0',
    handler: (ctx, argv) => ctx.readHash(argv[1])?.size ?? 0,
  }),
  command({
    name: 'hstrlen',
    arity: 3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'hash',
    summary: 'Get the length of the value of a hash field',
    since: '3.2.0',
    handler: (ctx, argv) => ctx.readHash(argv[1])?.get(argv[2])?.length ?? 0,
  }),
  command({
    name: 'hexists',
    arity: 3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'hash',
    summary: 'Determine if a hash field exists',
    since: '2.0.0',
    handler: (ctx, argv) => (ctx.readHash(argv[1])?.has(argv[2]) ? 1 : 0),
  }),
  command({
    name: 'hincrby',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'hash',
    summary: 'Increment the integer value of a hash field by the given number',
    since: '2.0.0',
    handler: (ctx, argv) => {
      const [, key, field, incrText] = argv;
      const incr = string2ll(incrText);
      if (incr === null) throw new CommandError(NOT_INTEGER);
      const current = ctx.writeHash(key)?.get(field);
      let value = 0n;
      if (current !== undefined) {
        const parsed = string2ll(current);
        if (parsed === null) throw new CommandError(HASH_NOT_INTEGER);
        value = parsed;
      }
      const sum = value + incr;
      if (sum > LLONG_MAX || sum < LLONG_MIN) throw new CommandError(OVERFLOW);
      ctx.hashForWrite(key).set(field, sum.toString());
      changed(ctx, key, 1, 'hincrby');
      return Number.isSafeInteger(Number(sum)) ? Number(sum) : sum;
    },
  }),
  command({
    name: 'hincrbyfloat',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'hash',
    summary: 'Increment the float value of a hash field by the given amount',
    since: '2.6.0',
    handler: (ctx, argv) => {
      const [, key, field, incrText] = argv;
      const incr = parseLongDouble(incrText);
      if (incr === null) throw new CommandError(NOT_VALID_FLOAT);
      if (typeof incr === 'string') throw new CommandError(NAN_OR_INFINITY);
      const current = ctx.writeHash(key)?.get(field);
      let value: LongDouble = { neg: false, mant: 0n, exp: 0 };
      if (current !== undefined) {
        const parsed = parseLongDouble(current);
        if (parsed === null) throw new CommandError(HASH_NOT_FLOAT);
        // inf + a finite increment stays infinite.
        if (typeof parsed === 'string') throw new CommandError(WOULD_PRODUCE_NAN);
        value = parsed;
      }
      const sum = addLongDouble(value, incr);
      if (sum === 'inf') throw new CommandError(WOULD_PRODUCE_NAN);
      const text = formatLongDouble(sum);
      ctx.hashForWrite(key).set(field, text);
      changed(ctx, key, 1, 'hincrbyfloat');
      // Replicas get the result, not the increment, so float formatting can never make them diverge.
      ctx.rewrite(['HSET', key, field, text]);
      return text;
    },
  }),
  command({
    name: 'hrandfield',
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'hash',
    summary: 'Get one or multiple random fields from a hash',
    since: '6.2.0',
    handler: (ctx, argv) => {
      if (argv.length >= 3) {
        const count = parseCount(argv[2]);
        if (argv.length > 4 || (argv.length === 4 && !isWord(argv[3], 'withvalues'))) throw new CommandError(SYNTAX);
        const withValues = argv.length === 4;
        // Redis refuses counts whose reply length (field + value) could overflow a long.
        if (withValues && (count < -LONG_MAX_HALF || count > LONG_MAX_HALF)) throw new CommandError(OUT_OF_RANGE);
        return hrandfieldWithCount(ctx, ctx.readHash(argv[1]), count, withValues);
      }
      const hash = ctx.readHash(argv[1]);
      if (!hash) return null;
      return randomEntry(Array.from(hash))[0];
    },
  }),
];
