import { CommandError, SYNTAX, WRONGTYPE } from '../errors.js';
import type { CommandContext } from '../engine/command-context.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import { Notify } from '../engine/keyspace-events.js';
import type { Reply } from '../resp/reply.js';
import { typeOfValue, type SetValue, type ZSetValue } from '../store/database.js';
import { Deque } from '../store/deque.js';
import { Stream } from '../store/stream.js';
import { isWord, parseInteger } from './parse.js';
import { objectEncoding } from './scan.js';
import { pqsort } from './pqsort.js';
import { isScriptClient } from '../scripting/script-client.js';

/*
 * SORT and SORT_RO, after Redis 7.0.15's sort.c. The parts that decide what a client sees:
 * - options are parsed before the key is looked up, so a syntax error wins over WRONGTYPE;
 * - a BY pattern without '*' means "do not sort" (dontsort): lists and sorted sets keep their own order (DESC and
 *   LIMIT then apply to that order), a set keeps its iteration order, except with STORE, where Redis sorts it
 *   ALPHA anyway so that a replica stores the same list;
 * - the numeric sort reads every weight with strtod and breaks ties bytewise on the elements; ALPHA compares with
 *   strcoll (which stops at the first NUL byte) when replying and bytewise (memcmp) when storing;
 * - equal ALPHA weights keep the order glibc's stable merge sort gives them, or the order Redis's own partial
 *   quicksort (pqsort.c, used for BY with a narrowing LIMIT) leaves them in: both are reproduced here;
 * - patterns are C strings to Redis where it scans them (strchr, strstr), so a NUL byte ends the scan.
 */

const NOT_DOUBLE = "ERR One or more scores can't be converted into double";
const BY_IN_CLUSTER = 'ERR BY option of SORT denied in Cluster mode.';
const GET_IN_CLUSTER = 'ERR GET option of SORT denied in Cluster mode.';

/** One element being sorted (Redis's redisSortObject): the element, its numeric weight or its ALPHA weight. */
interface SortItem {
  obj: string;
  score: number;
  /** The BY value for ALPHA sorting by pattern; null when the lookup found nothing. */
  cmpobj: string | null;
}

/** The parsed options of one SORT call. */
interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  sortby: string | null;
  dontsort: boolean;
  storekey: string | null;
  gets: string[];
}

/** The part of a binary string a C function sees: everything before the first NUL byte. */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** Redis's memcmp-then-length comparison (compareStringObjects); JS compares binary strings byte by byte. */
function binaryCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * strcoll as Redis's SORT ... ALPHA uses it: the C strings (up to the first NUL). Under the C and C.UTF-8 locales
 * (glibc's C.UTF-8 collates by code point, which for UTF-8 is byte order) that is an unsigned byte comparison.
 */
function collateCompare(a: string, b: string): number {
  return binaryCompare(cString(a), cString(b));
}

function parseOptions(ctx: CommandContext, argv: string[], readonly: boolean): SortOptions {
  const o: SortOptions = {
    desc: false,
    alpha: false,
    limitStart: 0,
    limitCount: -1,
    sortby: null,
    dontsort: false,
    storekey: null,
    gets: [],
  };
  const cluster = ctx.core.cluster !== null;
  for (let j = 2; j < argv.length; j++) {
    const arg = argv[j];
    const leftargs = argv.length - j - 1;
    if (isWord(arg, 'asc')) o.desc = false;
    else if (isWord(arg, 'desc')) o.desc = true;
    else if (isWord(arg, 'alpha')) o.alpha = true;
    else if (isWord(arg, 'limit') && leftargs >= 2) {
      o.limitStart = parseInteger(argv[j + 1]);
      o.limitCount = parseInteger(argv[j + 2]);
      j += 2;
    } else if (!readonly && isWord(arg, 'store') && leftargs >= 1) {
      o.storekey = argv[++j];
    } else if (isWord(arg, 'by') && leftargs >= 1) {
      o.sortby = argv[j + 1];
      // A constant BY pattern (no '*') names one key for every element: nothing to sort by.
      if (!cString(o.sortby).includes('*')) o.dontsort = true;
      else if (cluster) throw new CommandError(BY_IN_CLUSTER);
      j++;
    } else if (isWord(arg, 'get') && leftargs >= 1) {
      if (cluster) throw new CommandError(GET_IN_CLUSTER);
      o.gets.push(argv[++j]);
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  return o;
}

/**
 * Redis's lookupKeyByPattern: "#" is the element itself; otherwise the first '*' is replaced by the element and
 * the key read (a string), or, with "->field" after the '*', a field of the hash at that key. Null when the
 * pattern has no '*', the key is missing or of another type, or the field is missing.
 */
function lookupByPattern(ctx: CommandContext, pattern: string, subst: string): string | null {
  const spat = cString(pattern);
  if (spat === '#') return subst;
  const star = spat.indexOf('*');
  if (star < 0) return null;
  const arrow = spat.indexOf('->', star + 1);
  const hasField = arrow >= 0 && arrow + 2 < spat.length;
  const key = pattern.slice(0, star) + subst + (hasField ? pattern.slice(star + 1, arrow) : pattern.slice(star + 1));
  const o = ctx.lookupRead(key);
  if (o === undefined) return null;
  if (hasField) return o instanceof Map ? (o.get(pattern.slice(arrow + 2)) ?? null) : null;
  return typeof o === 'string' ? o : null;
}

/** A set's members in Redis's iteration order where it is knowable: an intset keeps them in numeric order. */
function setMembers(set: SetValue): string[] {
  if (objectEncoding(set) !== 'intset') return [...set];
  return [...set]
    .map((m) => [BigInt(m), m] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map((e) => e[1]);
}

/** The elements to sort and the [start, end] output range, as sortCommandGeneric loads them. */
function loadVector(
  value: Deque<string> | SetValue | ZSetValue,
  o: SortOptions,
): { vector: SortItem[]; start: number; end: number } {
  const item = (obj: string): SortItem => ({ obj, score: 0, cmpobj: null });
  const vectorlen = value instanceof Deque ? value.length : value.size;
  // LIMIT sanity checks, clamped to the object's size.
  let start = Math.min(Math.max(o.limitStart, 0), vectorlen);
  const count = Math.min(Math.max(o.limitCount, -1), vectorlen);
  let end = count < 0 ? vectorlen - 1 : start + count - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;

  // Unsorted lists and sorted sets load only the requested range, in their own order (reversed by DESC).
  if (o.dontsort && !(value instanceof Set)) {
    if (end < start) return { vector: [], start: 0, end: end - start };
    let elements: string[];
    if (value instanceof Deque) {
      const n = value.length;
      elements = [];
      for (let i = start; i <= end; i++) elements.push(value.at(o.desc ? n - 1 - i : i) as string);
    } else {
      elements = value.rangeByRank(start, end, o.desc).map((e) => e[0]);
    }
    return { vector: elements.map(item), start: 0, end: end - start };
  }
  let elements: string[];
  if (value instanceof Deque) elements = [...value];
  else if (value instanceof Set) elements = setMembers(value);
  else elements = [...value.entries()].map((e) => e[0]);
  return { vector: elements.map(item), start, end };
}

/** Redis's sortCompare for one SORT call. */
function comparator(o: SortOptions): (a: SortItem, b: SortItem) => number {
  const store = o.storekey !== null;
  let cmp: (a: SortItem, b: SortItem) => number;
  if (!o.alpha) {
    // Equal weights fall back to the elements, bytewise, so the numeric result is deterministic.
    cmp = (a, b) => (a.score > b.score ? 1 : a.score < b.score ? -1 : binaryCompare(a.obj, b.obj));
  } else if (o.sortby !== null) {
    const strings = store ? binaryCompare : collateCompare;
    cmp = (a, b) => {
      if (a.cmpobj === null || b.cmpobj === null) {
        if (a.cmpobj === b.cmpobj) return 0;
        return a.cmpobj === null ? -1 : 1;
      }
      return strings(a.cmpobj, b.cmpobj);
    };
  } else {
    const strings = store ? binaryCompare : collateCompare;
    cmp = (a, b) => strings(a.obj, b.obj);
  }
  return o.desc ? (a, b) => -cmp(a, b) : cmp;
}

function sortGeneric(ctx: CommandContext, argv: string[], readonly: boolean): Reply {
  const o = parseOptions(ctx, argv, readonly);
  const found = ctx.lookupRead(argv[1]);
  const value = found === undefined ? new Deque<string>() : found;
  if (typeof value === 'string' || value instanceof Map || value instanceof Stream) throw new CommandError(WRONGTYPE);
  if (typeOfValue(value) === 'set' && o.dontsort && (o.storekey !== null || isScriptClient(ctx.client))) {
    // A set has no order of its own: a stored result, or one a script may write elsewhere, must not depend on it
    // (replicas must end up with the same data).
    o.dontsort = false;
    o.alpha = true;
    o.sortby = null;
  }
  const { vector, start, end } = loadVector(value, o);

  let conversionError = false;
  if (!o.dontsort) {
    for (const item of vector) {
      let byval: string | null;
      if (o.sortby !== null) {
        byval = lookupByPattern(ctx, o.sortby, item.obj);
        if (byval === null) continue;
      } else {
        byval = item.obj;
      }
      if (o.alpha) {
        if (o.sortby !== null) item.cmpobj = byval;
      } else {
        const score = strtodWeight(byval);
        if (score === null) conversionError = true;
        else item.score = score;
      }
    }
    const cmp = comparator(o);
    if (o.sortby !== null && (start !== 0 || end !== vector.length - 1)) pqsort(vector, cmp, start, end);
    // glibc's qsort is a merge sort, stable like Array.prototype.sort.
    else vector.sort(cmp);
  }

  const rows = end - start + 1;
  const outputlen = o.gets.length > 0 ? o.gets.length * rows : rows;
  if (conversionError) throw new CommandError(NOT_DOUBLE);
  if (o.storekey === null) {
    const out: Reply[] = [];
    for (let j = start; j <= end; j++) {
      if (o.gets.length === 0) out.push(vector[j].obj);
      for (const pattern of o.gets) out.push(lookupByPattern(ctx, pattern, vector[j].obj));
    }
    return out;
  }
  const list = new Deque<string>();
  for (let j = start; j <= end; j++) {
    if (o.gets.length === 0) list.pushBack(vector[j].obj);
    // A missing lookup is stored as an empty string (a list cannot hold nil).
    for (const pattern of o.gets) list.pushBack(lookupByPattern(ctx, pattern, vector[j].obj) ?? '');
  }
  const dst = o.storekey;
  if (outputlen > 0) {
    // setKey looks the destination up first, which deletes it when it has expired.
    ctx.lookupWrite(dst);
    ctx.setKey(dst, list);
    ctx.notify(Notify.LIST, 'sortstore', dst);
    // Redis counts every stored element as a change (server.dirty += outputlen); setKey counted one.
    ctx.dirty += outputlen - 1;
    ctx.core.dirty += outputlen - 1;
  } else if (ctx.deleteKey(dst)) {
    // dbDelete with no expiry check: a destination still stored but expired is deleted as is.
    ctx.notify(Notify.GENERIC, 'del', dst);
  }
  return outputlen;
}

/**
 * Redis's sortGetKeys: the sorted key, and the destination of the last STORE. Options are skipped with their
 * arguments (LIMIT 2, GET and BY 1) so that a pattern or a LIMIT value named "store" is not taken for the option.
 */
function sortKeys(argv: string[]): number[] {
  const skips: Array<[string, number]> = [
    ['limit', 2],
    ['get', 1],
    ['by', 1],
  ];
  let store = -1;
  for (let i = 2; i < argv.length; i++) {
    for (const [name, skip] of skips) {
      if (isWord(argv[i], name)) {
        i += skip;
        break;
      } else if (isWord(argv[i], 'store') && i + 1 < argv.length) {
        store = i + 1;
        break;
      }
    }
  }
  return store < 0 ? [1] : [1, store];
}

// ---------------------------------------------------------------------------------------------------------------
// Weights: glibc's strtod, as SORT checks it
// ---------------------------------------------------------------------------------------------------------------

const MIN_NORMAL = 2.2250738585072014e-308;
/**
 * glibc reports an underflow (ERANGE) for an inexact result whose value, rounded to 53 bits with an unbounded
 * exponent, is still below the smallest normal double: that is every value below 2^-1022 - 2^-1076.
 * TINY_LIMIT_MANTISSA * 2^-1076 is that bound.
 */
const TINY_LIMIT_MANTISSA = (1n << 54n) - 1n;

/** C's isspace in the C locale. */
function isCSpace(c: string): boolean {
  return c === ' ' || (c >= '\t' && c <= '\r');
}

/**
 * A weight as SORT reads it: `strtod(s, &eptr)` accepted only when it consumed up to the end of the C string,
 * did not set ERANGE (overflow, or an inexact underflow) and is not NaN. Null when Redis rejects it.
 * strtod skips leading spaces, takes a sign, "inf"/"infinity", "nan", hex floats ("0x1.8p3") and decimals.
 * When nothing converts, eptr is the start of the string, so "" is 0 (its end is right there) and " " fails.
 */
export function strtodWeight(text: string): number | null {
  const s = cString(text);
  if (s.length === 0) return 0;
  let i = 0;
  while (i < s.length && isCSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') negative = s[i++] === '-';
  const rest = s.slice(i).toLowerCase();
  if (rest.startsWith('nan')) return null;
  if (rest.startsWith('inf')) {
    const len = rest.startsWith('infinity') ? 8 : 3;
    if (rest.length !== len) return null;
    return negative ? -Infinity : Infinity;
  }
  let parsed: number | null;
  const hex = /^0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?[0-9]+))?$/.exec(rest);
  if (hex && (hex[1].length > 0 || (hex[2] ?? '').length > 0)) parsed = hexValue(hex[1], hex[2] ?? '', hex[3]);
  else {
    const dec = /^([0-9]*)(?:\.([0-9]*))?(?:e([+-]?[0-9]+))?$/.exec(rest);
    if (!dec || dec[1].length + (dec[2] ?? '').length === 0) return null;
    parsed = decimalValue(rest, dec[1] + (dec[2] ?? ''), (dec[2] ?? '').length, dec[3]);
  }
  if (parsed === null) return null;
  return negative ? -parsed : parsed;
}

/** A decimal's correctly rounded value; null on ERANGE. */
function decimalValue(text: string, digits: string, fractionDigits: number, exponent: string | undefined): number | null {
  const value = Number(text);
  if (value === Infinity) return null;
  if (value > MIN_NORMAL) return value;
  const mantissa = BigInt(digits);
  if (mantissa === 0n) return 0;
  // Underflow to zero is always inexact.
  if (value === 0) return null;
  // value is subnormal or the smallest normal: exact arithmetic on mantissa * 10^e (e < 0 here).
  const e = Number(exponent ?? '0') - fractionDigits;
  const pow10 = 10n ** BigInt(-e);
  const tiny = (mantissa << 1076n) < TINY_LIMIT_MANTISSA * pow10;
  if (!tiny) return value;
  const units = BigInt(value * 2 ** 537 * 2 ** 537); // value / 2^-1074, an integer
  return mantissa << 1074n === units * pow10 ? value : null;
}

/** A hex float's correctly rounded value (round half to even); null on ERANGE. */
function hexValue(intDigits: string, fracDigits: string, exponent: string | undefined): number | null {
  const mantissa = BigInt(`0x${intDigits}${fracDigits}`);
  if (mantissa === 0n) return 0;
  const e = Number(exponent ?? '0') - 4 * fracDigits.length;
  const bits = mantissa.toString(2).length;
  // Far beyond the double range either way: overflow, or an inexact underflow to zero.
  if (e + bits > 1100 || e + bits < -1100) return null;
  // The lowest bit a double keeps: 53 significant bits, but nothing below 2^-1074.
  const lsb = Math.max(e + bits - 53, -1074);
  let q = mantissa;
  let inexact = false;
  if (lsb > e) {
    const shift = BigInt(lsb - e);
    q = mantissa >> shift;
    const rem = mantissa & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    inexact = rem !== 0n;
    if (rem > half || (rem === half && (q & 1n) === 1n)) q++;
  }
  const value = scaleByPow2(Number(q), lsb > e ? lsb : e);
  if (value === Infinity) return null;
  if (inexact) {
    // Tiny: mantissa * 2^e < TINY_LIMIT_MANTISSA * 2^-1076.
    const k = e + 1076;
    const tiny = k >= 0 ? mantissa << BigInt(k) < TINY_LIMIT_MANTISSA : mantissa < TINY_LIMIT_MANTISSA << BigInt(-k);
    if (tiny) return null;
  }
  return value;
}

/** x * 2^k for an integer x up to 2^53 and k >= -1074: exact whenever the result is representable. */
function scaleByPow2(x: number, k: number): number {
  let v = x;
  let n = k;
  // 2^k itself overflows past 2^1023: scale in steps (overflow then gives Infinity, as it should).
  while (n > 1000) {
    v *= 2 ** 1000;
    n -= 1000;
  }
  return v * 2 ** n;
}

// ---------------------------------------------------------------------------------------------------------------
// Command table
// ---------------------------------------------------------------------------------------------------------------

/** SORT and SORT_RO (group generic, as in Redis's command table). */
export const sortCommands: CommandSpec[] = [
  command({
    name: 'sort',
    arity: -2,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'generic',
    summary: 'Sort the elements in a list, set or sorted set',
    since: '1.0.0',
    getKeys: sortKeys,
    handler: (ctx, argv) => sortGeneric(ctx, argv, false),
  }),
  command({
    name: 'sort_ro',
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'generic',
    summary: 'Sort the elements in a list, set or sorted set. Read-only variant of SORT.',
    since: '7.0.0',
    // Redis's sortROGetKeys: only the sorted key (SORT_RO has no STORE).
    getKeys: () => [1],
    handler: (ctx, argv) => sortGeneric(ctx, argv, true),
  }),
];
