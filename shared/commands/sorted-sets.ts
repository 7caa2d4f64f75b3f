import { CommandError, NOT_FLOAT, SYNTAX, TIMEOUT_NEGATIVE, TIMEOUT_NOT_FLOAT, WRONGTYPE } from '../errors.js';
import type { CommandContext } from '../engine/command-context.js';
import { BlockRequest, command, type CommandSpec, type HandlerResult } from '../engine/command-spec.js';
import { Notify } from '../engine/keyspace-events.js';
import { DoubleReply, NULL_ARRAY, type Reply } from '../resp/reply.js';
import { typeOfValue, type SetValue } from '../store/database.js';
import { LEX_MAX, LEX_MIN, SortedSet, type LexBound, type LexRange, type ScoreRange } from '../store/sorted-set.js';
import { isWord, parseBigInteger, parseInteger } from './parse.js';

const RANGE_NOT_FLOAT = 'ERR min or max is not a float';
const RANGE_NOT_LEX = 'ERR min or max not valid string range item';
const NAN_SCORE = 'ERR resulting score is not a number (NaN)';
const LIMIT_NEEDS_BY = 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX';
const WITHSCORES_BYLEX = 'ERR syntax error, WITHSCORES not supported in combination with BYLEX';
const WEIGHT_NOT_FLOAT = 'ERR weight value is not a float';
const MUST_BE_POSITIVE = 'ERR value is out of range, must be positive';
const LONG_MAX = 9223372036854775807n;
/**
 * A cap on ZRANDMEMBER's reply length. Redis streams such replies until the client's output limit closes it;
 * we build replies whole, so a count like -1e18 must be refused rather than exhaust memory.
 */
const RANDMEMBER_MAX_REPLY = 1 << 24;

// ---------------------------------------------------------------------------------------------------------------
// Number parsing with C's strtod rules, which Redis uses for scores, ranges and timeouts
// ---------------------------------------------------------------------------------------------------------------

interface Strtod {
  value: number;
  /** strtod's ERANGE: the text overflowed to +-HUGE_VAL or underflowed to zero. */
  erange: boolean;
}

const C_SPACE = /^[ \t\n\v\f\r]+/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const HEX = /^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?$/i;
const INFINITY = /^[+-]?(?:inf|infinity)$/i;
const NAN = /^[+-]?nan(?:\([0-9a-z_]*\))?$/i;

/**
 * Parses `s` as strtod would when the whole string must be consumed (leading C whitespace is skipped, as
 * strtod does). An empty string is strtod's "no conversion": value 0 with nothing left over.
 */
function strtod(s: string): Strtod | undefined {
  const t = s.replace(C_SPACE, '');
  if (t === '') return s === '' ? { value: 0, erange: false } : undefined;
  if (INFINITY.test(t)) return { value: t[0] === '-' ? -Infinity : Infinity, erange: false };
  if (NAN.test(t)) return { value: NaN, erange: false };
  if (DECIMAL.test(t)) {
    const value = Number(t);
    const mantissa = t.replace(/e.*$/i, '');
    return { value, erange: !Number.isFinite(value) || (value === 0 && /[1-9]/.test(mantissa)) };
  }
  const hex = HEX.exec(t);
  if (hex && (hex[2].length > 0 || (hex[3] ?? '').length > 0)) {
    const digits = hex[2] + (hex[3] ?? '');
    let value = Number(BigInt('0x' + digits));
    let exp = Number(hex[4] ?? '0') - 4 * (hex[3] ?? '').length;
    // Scale in steps so intermediate powers of two stay finite.
    while (exp > 0 && Number.isFinite(value) && value !== 0) {
      const e = Math.min(exp, 1000);
      value *= 2 ** e;
      exp -= e;
    }
    while (exp < 0 && value !== 0) {
      const e = Math.max(exp, -1000);
      value *= 2 ** e;
      exp -= e;
    }
    if (hex[1] === '-') value = -value;
    return { value, erange: !Number.isFinite(value) || (value === 0 && /[1-9a-f]/i.test(digits)) };
  }
  return undefined;
}

const PLAIN_DECIMAL = /^-?\d{1,15}(\.\d{1,15})?$/;

/** Redis's string2d (ZADD scores, ZINCRBY increments, WEIGHTS): strict, no spaces, no overflow, no NaN. */
function parseDouble(s: string, error = NOT_FLOAT): number {
  // Plain decimals (nearly every score) convert exactly as strtod would; the full rules handle the rest.
  if (PLAIN_DECIMAL.test(s)) return Number(s);
  if (s.length === 0 || C_SPACE.test(s[0]) || s.includes('\0')) throw new CommandError(error);
  const r = strtod(s);
  if (!r || r.erange || Number.isNaN(r.value)) throw new CommandError(error);
  return r.value;
}

/** One end of a score range (zslParseRange): "(" makes it exclusive; strtod reads up to the first NUL. */
function parseScoreBound(s: string): { value: number; exclusive: boolean } {
  const exclusive = s[0] === '(';
  let text = exclusive ? s.slice(1) : s;
  const nul = text.indexOf('\0');
  if (nul >= 0) text = text.slice(0, nul);
  const r = strtod(text);
  if (!r || Number.isNaN(r.value)) throw new CommandError(RANGE_NOT_FLOAT);
  return { value: r.value, exclusive };
}

function parseScoreRange(min: string, max: string): ScoreRange {
  const lo = parseScoreBound(min);
  const hi = parseScoreBound(max);
  return { min: lo.value, max: hi.value, minExclusive: lo.exclusive, maxExclusive: hi.exclusive };
}

/** One end of a lex range (zslParseLexRangeItem). */
function parseLexBound(s: string): { bound: LexBound; exclusive: boolean } {
  switch (s[0]) {
    case '+':
    case '-':
      // Redis checks only the byte after the sign against the C string terminator.
      if (s.length > 1 && s[1] !== '\0') throw new CommandError(RANGE_NOT_LEX);
      return { bound: s[0] === '+' ? LEX_MAX : LEX_MIN, exclusive: true };
    case '(':
      return { bound: s.slice(1), exclusive: true };
    case '[':
      return { bound: s.slice(1), exclusive: false };
    default:
      throw new CommandError(RANGE_NOT_LEX);
  }
}

function parseLexRange(min: string, max: string): LexRange {
  const lo = parseLexBound(min);
  const hi = parseLexBound(max);
  return { min: lo.bound, max: hi.bound, minExclusive: lo.exclusive, maxExclusive: hi.exclusive };
}

/**
 * A blocking timeout in float seconds (getTimeoutFromObjectOrReply): the absolute deadline in ms, 0 = forever.
 * Like Redis, the milliseconds are ceil(seconds * 1000) converted to a 64-bit integer, so values that do not
 * fit (inf, 1e400) come out negative.
 */
function parseTimeout(s: string, now: number): number {
  if (s.length === 0 || s.length >= 5120 || C_SPACE.test(s[0]) || s.includes('\0')) throw new CommandError(TIMEOUT_NOT_FLOAT);
  const r = strtod(s);
  if (!r || Number.isNaN(r.value)) throw new CommandError(TIMEOUT_NOT_FLOAT);
  let ms = Math.ceil(r.value * 1000);
  // Redis reads a long double, which keeps what underflows a double: a tiny positive timeout is 1 ms, not 0.
  if (r.value === 0 && r.erange && s[0] !== '-') ms = 1;
  if (!(ms < 2 ** 63) || ms < 0) throw new CommandError(TIMEOUT_NEGATIVE);
  return ms > 0 ? now + ms : 0;
}

/** getRangeLongFromObjectOrReply with a custom message: the message for bad syntax and out of range alike. */
function parseRangedLong(s: string, min: number, error: string): number {
  let n: number;
  try {
    n = parseInteger(s);
  } catch {
    throw new CommandError(error);
  }
  if (n < min) throw new CommandError(error);
  return n;
}

// ---------------------------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------------------------

/**
 * Members, optionally with scores: flat [m, s, ...] in RESP2, [[m, s], ...] in RESP3 (an array of pairs, not a
 * map, so clients keep the order), as Redis 7 replies for ZRANGE WITHSCORES and friends.
 */
function entriesReply(ctx: CommandContext, entries: Array<[string, number]>, withScores: boolean): Reply[] {
  if (!withScores) return entries.map((e) => e[0]);
  if (ctx.client.protocol === 2) {
    const out: Reply[] = [];
    for (const [m, s] of entries) out.push(m, new DoubleReply(s));
    return out;
  }
  return entries.map(([m, s]) => [m, new DoubleReply(s)]);
}

/**
 * A score as a stored small sorted set keeps it: Redis's listpack encoding writes integral scores as integers,
 * so -0 is read back as 0. Replies computed on the fly (ZUNION without STORE) keep -0, as Redis's do.
 */
function storedScore(score: number): number {
  return score === 0 ? 0 : score;
}

/**
 * Stores a computed result at `dst` (Redis's setKey) and publishes `event` ("zunionstore" ...), or deletes
 * `dst` when the result is empty, which says "del" when there was something to delete.
 */
function storeResult(ctx: CommandContext, dst: string, result: SortedSet, event: string): number {
  if (result.size > 0) {
    // setKey looks the destination up first, so an expired destination is deleted (and its DEL propagated).
    ctx.lookupWrite(dst);
    ctx.setKey(dst, result);
    ctx.notify(Notify.ZSET, event, dst);
    return result.size;
  }
  if (ctx.deleteKey(dst)) ctx.notify(Notify.GENERIC, 'del', dst);
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------
// ZADD / ZINCRBY
// ---------------------------------------------------------------------------------------------------------------

/** zaddGenericCommand: ZINCRBY is ZADD with INCR forced, parsed the same way (options and all). */
function zaddGeneric(ctx: CommandContext, argv: string[], forceIncr: boolean): Reply {
  const key = argv[1];
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  let ch = false;
  let incr = forceIncr;
  let idx = 2;
  for (; idx < argv.length; idx++) {
    const opt = argv[idx];
    if (isWord(opt, 'nx')) nx = true;
    else if (isWord(opt, 'xx')) xx = true;
    else if (isWord(opt, 'ch')) ch = true;
    else if (isWord(opt, 'incr')) incr = true;
    else if (isWord(opt, 'gt')) gt = true;
    else if (isWord(opt, 'lt')) lt = true;
    else break;
  }
  const args = argv.length - idx;
  if (args === 0 || args % 2 !== 0) throw new CommandError(SYNTAX);
  const pairs = args / 2;
  if (nx && xx) throw new CommandError('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    throw new CommandError('ERR GT, LT, and/or NX options at the same time are not compatible');
  }
  if (incr && pairs > 1) throw new CommandError('ERR INCR option supports a single increment-element pair');
  // Every score is checked before anything changes: the command applies fully or not at all.
  const scores: number[] = [];
  for (let j = 0; j < pairs; j++) scores.push(parseDouble(argv[idx + j * 2]));

  let z = ctx.writeZset(key);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  if (z || !xx) {
    z ??= ctx.zsetForWrite(key);
    for (let j = 0; j < pairs; j++) {
      const member = argv[idx + j * 2 + 1];
      let s = scores[j];
      const current = z.score(member);
      if (current !== undefined) {
        if (nx) continue;
        if (incr) {
          s += current;
          if (Number.isNaN(s)) {
            finishZadd(ctx, key, added + updated, incr);
            throw new CommandError(NAN_SCORE);
          }
        }
        if ((lt && s >= current) || (gt && s <= current)) continue;
        processed++;
        score = s;
        if (s !== current) {
          z.add(member, storedScore(s));
          updated++;
        }
      } else if (!xx) {
        z.add(member, storedScore(s));
        added++;
        processed++;
        score = s;
      }
    }
    finishZadd(ctx, key, added + updated, incr);
  }
  if (incr) return processed > 0 ? new DoubleReply(score) : null;
  return ch ? added + updated : added;
}

/** Reports ZADD's changes: "zincr" for INCR (and ZINCRBY), else "zadd"; nothing when nothing changed. */
function finishZadd(ctx: CommandContext, key: string, changes: number, incr: boolean): void {
  // A key created here always received its first member, so this never removes anything Redis would keep.
  ctx.deleteIfEmpty(key, ctx.db, false);
  if (changes > 0) {
    ctx.modified(key, changes);
    ctx.notify(Notify.ZSET, incr ? 'zincr' : 'zadd', key);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// ZRANGE family
// ---------------------------------------------------------------------------------------------------------------

type RangeType = 'auto' | 'rank' | 'score' | 'lex';
type Direction = 'auto' | 'forward' | 'reverse';

/**
 * zrangeGenericCommand: ZRANGE, ZRANGESTORE and the older Z[REV]RANGE[BYSCORE|BYLEX]. `start` is the index of
 * the source key; `dst` is the destination for ZRANGESTORE.
 */
function zrangeGeneric(
  ctx: CommandContext,
  argv: string[],
  start: number,
  dst: string | null,
  type: RangeType,
  direction: Direction,
): Reply {
  const key = argv[start];
  let minIdx = start + 1;
  let maxIdx = start + 2;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = start + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const opt = argv[j];
    if (dst === null && isWord(opt, 'withscores')) {
      withScores = true;
    } else if (isWord(opt, 'limit') && left >= 2) {
      offset = parseInteger(argv[j + 1]);
      limit = parseInteger(argv[j + 2]);
      j += 2;
    } else if (direction === 'auto' && isWord(opt, 'rev')) {
      direction = 'reverse';
    } else if (type === 'auto' && isWord(opt, 'bylex')) {
      type = 'lex';
    } else if (type === 'auto' && isWord(opt, 'byscore')) {
      type = 'score';
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  if (direction === 'auto') direction = 'forward';
  if (type === 'auto') type = 'rank';
  if (limit !== -1 && type === 'rank') throw new CommandError(LIMIT_NEEDS_BY);
  if (withScores && type === 'lex') throw new CommandError(WITHSCORES_BYLEX);
  const reverse = direction === 'reverse';
  if (reverse && type !== 'rank') [minIdx, maxIdx] = [maxIdx, minIdx];

  let rankStart = 0;
  let rankEnd = 0;
  let scoreRange: ScoreRange | undefined;
  let lexRange: LexRange | undefined;
  if (type === 'rank') {
    rankStart = parseInteger(argv[minIdx]);
    rankEnd = parseInteger(argv[maxIdx]);
  } else if (type === 'score') {
    scoreRange = parseScoreRange(argv[minIdx], argv[maxIdx]);
  } else {
    lexRange = parseLexRange(argv[minIdx], argv[maxIdx]);
  }

  const z = ctx.readZset(key);
  let entries: Array<[string, number]> = [];
  if (z) {
    if (type === 'rank') {
      const len = z.size;
      if (rankStart < 0) rankStart += len;
      if (rankEnd < 0) rankEnd += len;
      if (rankStart < 0) rankStart = 0;
      if (rankStart <= rankEnd && rankStart < len) {
        entries = z.rangeByRank(rankStart, Math.min(rankEnd, len - 1), reverse);
      }
    } else if (scoreRange) {
      // Redis answers an offset past the end at once; below that it walks.
      if (!(offset > 0 && offset >= z.size)) entries = z.rangeByScore(scoreRange, { reverse, offset, count: limit });
    } else if (lexRange) {
      entries = z.rangeByLex(lexRange, { reverse, offset, count: limit });
    }
  }
  if (dst !== null) {
    const result = new SortedSet();
    for (const [m, s] of entries) result.add(m, s);
    return storeResult(ctx, dst, result, 'zrangestore');
  }
  return entriesReply(ctx, entries, withScores);
}

function zremRange(ctx: CommandContext, argv: string[], type: 'rank' | 'score' | 'lex'): Reply {
  const key = argv[1];
  let start = 0;
  let end = 0;
  let scoreRange: ScoreRange | undefined;
  let lexRange: LexRange | undefined;
  if (type === 'rank') {
    start = parseInteger(argv[2]);
    end = parseInteger(argv[3]);
  } else if (type === 'score') {
    scoreRange = parseScoreRange(argv[2], argv[3]);
  } else {
    lexRange = parseLexRange(argv[2], argv[3]);
  }
  const z = ctx.writeZset(key);
  if (!z) return 0;
  let deleted: number;
  if (type === 'rank') {
    const len = z.size;
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    if (start > end || start >= len) return 0;
    deleted = z.deleteRangeByRank(start, Math.min(end, len - 1));
  } else if (scoreRange) {
    deleted = z.deleteRangeByScore(scoreRange);
  } else {
    deleted = z.deleteRangeByLex(lexRange as LexRange);
  }
  if (deleted > 0) {
    ctx.modified(key, deleted);
    ctx.notify(Notify.ZSET, `zremrangeby${type}`, key);
    ctx.deleteIfEmpty(key);
  }
  return deleted;
}

// ---------------------------------------------------------------------------------------------------------------
// ZUNION / ZINTER / ZDIFF (+STORE), ZINTERCARD
// ---------------------------------------------------------------------------------------------------------------

type SetOp = 'union' | 'inter' | 'diff';

/** An input of a set operation: a sorted set, a plain set (every member scores 1), or a missing key. */
interface OpSource {
  zset?: SortedSet;
  set?: SetValue;
  weight: number;
}

function sourceSize(src: OpSource): number {
  return src.zset?.size ?? src.set?.size ?? 0;
}

function* sourceEntries(src: OpSource): Iterable<[string, number]> {
  if (src.zset) yield* src.zset.entries();
  else if (src.set) for (const m of src.set) yield [m, 1];
}

function sourceScore(src: OpSource, member: string): number | undefined {
  if (src.zset) return src.zset.score(member);
  return src.set?.has(member) ? 1 : undefined;
}

type Aggregate = 'sum' | 'min' | 'max';

function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === 'sum') {
    const sum = target + value;
    // inf + -inf: Redis keeps the convention that the result is 0.
    return Number.isNaN(sum) ? 0 : sum;
  }
  if (how === 'min') return value < target ? value : target;
  return value > target ? value : target;
}

/** zunionInterDiffGenericCommand. Returns the reply; `cardinalityOnly` is ZINTERCARD. */
function setOperation(
  ctx: CommandContext,
  argv: string[],
  dst: string | null,
  numkeysIdx: number,
  op: SetOp,
  cardinalityOnly = false,
): Reply {
  const numkeys = parseInteger(argv[numkeysIdx]);
  if (numkeys < 1) throw new CommandError(`ERR at least 1 input key is needed for '${ctx.spec.name}' command`);
  if (numkeys > argv.length - (numkeysIdx + 1)) throw new CommandError(SYNTAX);

  const sources: OpSource[] = [];
  let j = numkeysIdx + 1;
  for (let i = 0; i < numkeys; i++, j++) {
    const v = ctx.lookupRead(argv[j]);
    const src: OpSource = { weight: 1 };
    if (v !== undefined) {
      const t = typeOfValue(v);
      if (t === 'zset') src.zset = v as SortedSet;
      else if (t === 'set') src.set = v as SetValue;
      else throw new CommandError(WRONGTYPE);
    }
    sources.push(src);
  }

  let how: Aggregate = 'sum';
  let withScores = false;
  let limit = 0;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const opt = argv[j];
    if (op !== 'diff' && !cardinalityOnly && remaining >= numkeys + 1 && isWord(opt, 'weights')) {
      j++;
      for (let i = 0; i < numkeys; i++, j++) sources[i].weight = parseDouble(argv[j], WEIGHT_NOT_FLOAT);
    } else if (op !== 'diff' && !cardinalityOnly && remaining >= 2 && isWord(opt, 'aggregate')) {
      const a = argv[j + 1];
      if (isWord(a, 'sum')) how = 'sum';
      else if (isWord(a, 'min')) how = 'min';
      else if (isWord(a, 'max')) how = 'max';
      else throw new CommandError(SYNTAX);
      j += 2;
    } else if (dst === null && !cardinalityOnly && isWord(opt, 'withscores')) {
      withScores = true;
      j++;
    } else if (cardinalityOnly && remaining >= 2 && isWord(opt, 'limit')) {
      limit = parseRangedLong(argv[j + 1], 0, "ERR LIMIT can't be negative");
      j += 2;
    } else {
      throw new CommandError(SYNTAX);
    }
  }

  // Smallest inputs first, as Redis orders them: it decides the order scores are aggregated in.
  if (op !== 'diff') sources.sort((a, b) => sourceSize(a) - sourceSize(b));

  const result = new SortedSet();
  if (op === 'inter') {
    let cardinality = 0;
    if (sourceSize(sources[0]) > 0) {
      for (const [member, s] of sourceEntries(sources[0])) {
        let score = sources[0].weight * s;
        if (Number.isNaN(score)) score = 0;
        let inAll = true;
        for (let i = 1; i < sources.length; i++) {
          const other = sourceScore(sources[i], member);
          if (other === undefined) {
            inAll = false;
            break;
          }
          score = aggregate(score, other * sources[i].weight, how);
        }
        if (!inAll) continue;
        if (cardinalityOnly) {
          cardinality++;
          if (limit && cardinality >= limit) break;
        } else {
          result.add(member, dst === null ? score : storedScore(score));
        }
      }
    }
    if (cardinalityOnly) return cardinality;
  } else if (op === 'union') {
    const acc = new Map<string, number>();
    for (const src of sources) {
      for (const [member, s] of sourceEntries(src)) {
        let score = src.weight * s;
        if (Number.isNaN(score)) score = 0;
        const prev = acc.get(member);
        acc.set(member, prev === undefined ? score : aggregate(prev, score, how));
      }
    }
    for (const [m, s] of acc) result.add(m, dst === null ? s : storedScore(s));
  } else {
    for (const [member, s] of sourceEntries(sources[0])) {
      let present = false;
      for (let i = 1; i < sources.length && !present; i++) present = sourceScore(sources[i], member) !== undefined;
      if (!present) result.add(member, dst === null ? s : storedScore(s));
    }
  }

  if (dst !== null) return storeResult(ctx, dst, result, `z${op}store`);
  return entriesReply(ctx, [...result.entries()], withScores);
}

/** Key positions of `numkeys key [key ...]` commands, with an optional destination before them. */
function numkeysKeys(numkeysIdx: number, hasDestination: boolean): (argv: string[]) => number[] {
  return (argv) => {
    const keys: number[] = hasDestination ? [1] : [];
    const n = Number(argv[numkeysIdx]);
    if (!Number.isInteger(n) || n < 1 || n > argv.length - numkeysIdx - 1) return hasDestination ? [1] : [];
    for (let i = 0; i < n; i++) keys.push(numkeysIdx + 1 + i);
    return keys;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Pops
// ---------------------------------------------------------------------------------------------------------------

interface PopResult {
  reply: Reply;
  /** The key popped from and how many members left it (0 when nothing was popped). */
  key?: string;
  popped: number;
}

/**
 * genericZpopCommand: pops from the first existing key. `count` -1 is the plain single pop; `nested` replies
 * [m, s] pairs; `emitKey` prefixes the key (flat for BZPOP*, [key, pairs] when nested as ZMPOP).
 */
function popGeneric(
  ctx: CommandContext,
  keys: string[],
  max: boolean,
  emitKey: boolean,
  count: number,
  nested: boolean,
  nilWhenEmpty: boolean,
): PopResult {
  let key: string | undefined;
  let z: SortedSet | undefined;
  for (const k of keys) {
    z = ctx.writeZset(k);
    if (z) {
      key = k;
      break;
    }
  }
  if (!z || key === undefined) return { reply: nilWhenEmpty ? NULL_ARRAY : [], popped: 0 };
  if (count === 0) return { reply: [], popped: 0 };
  const n = Math.min(count === -1 ? 1 : count, z.size);
  const pairs: Array<[string, number]> = [];
  for (let i = 0; i < n; i++) pairs.push((max ? z.popMax() : z.popMin()) as [string, number]);
  ctx.modified(key, n);
  // ZMPOP and the blocking pops say "zpopmin"/"zpopmax" too: they all pop through genericZpopCommand.
  ctx.notify(Notify.ZSET, max ? 'zpopmax' : 'zpopmin', key);
  ctx.deleteIfEmpty(key);
  let items: Reply[];
  if (nested) items = pairs.map(([m, s]) => [m, new DoubleReply(s)]);
  else items = pairs.flatMap(([m, s]) => [m, new DoubleReply(s)]);
  let reply: Reply;
  if (!emitKey) reply = items;
  else if (nested) reply = [key, items];
  else reply = [key, ...items];
  return { reply, key, popped: n };
}

function popName(max: boolean): string {
  return max ? 'ZPOPMAX' : 'ZPOPMIN';
}

function zpopMinMax(ctx: CommandContext, argv: string[], max: boolean): Reply {
  if (argv.length > 3) throw new CommandError(SYNTAX);
  const count = argv.length === 3 ? parseRangedLong(argv[2], 0, MUST_BE_POSITIVE) : -1;
  const nested = ctx.client.protocol > 2 && count !== -1;
  return popGeneric(ctx, [argv[1]], max, false, count, nested, false).reply;
}

/**
 * blockingGenericZpopCommand. When the command is re-run for a blocked client, a key that now holds another
 * type is passed over (Redis serves a blocked client only from a key of the type it waits for).
 */
function blockingPop(
  ctx: CommandContext,
  keys: string[],
  max: boolean,
  timeoutArg: string,
  count: number,
  nested: boolean,
): HandlerResult {
  const deadline = parseTimeout(timeoutArg, ctx.now);
  const rerun = ctx.client.blocked !== null;
  for (const key of keys) {
    const v = ctx.lookupWrite(key);
    if (v === undefined) continue;
    if (typeOfValue(v) !== 'zset') {
      if (rerun) continue;
      throw new CommandError(WRONGTYPE);
    }
    const z = v as SortedSet;
    if (z.size === 0) continue;
    const llen = z.size;
    const r = popGeneric(ctx, [key], max, true, count, nested, nested);
    // Propagated as the non-blocking pop: ZPOPMIN key for BZPOPMIN, ZPOPMIN key n for BZMPOP.
    if (count === -1) ctx.rewrite([popName(max), key]);
    else ctx.rewrite([popName(max), key, String(Math.min(count, llen))]);
    return r.reply;
  }
  return new BlockRequest(keys, deadline, NULL_ARRAY);
}

/** zmpopGenericCommand: ZMPOP numkeys key... MIN|MAX [COUNT n], BZMPOP timeout numkeys key... */
function zmpopGeneric(ctx: CommandContext, argv: string[], numkeysIdx: number, blocking: boolean): HandlerResult {
  const numkeys = parseRangedLong(argv[numkeysIdx], 1, 'ERR numkeys should be greater than 0');
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= argv.length) throw new CommandError(SYNTAX);
  let max: boolean;
  if (isWord(argv[whereIdx], 'min')) max = false;
  else if (isWord(argv[whereIdx], 'max')) max = true;
  else throw new CommandError(SYNTAX);
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (count === -1 && isWord(argv[j], 'count') && more > 0) {
      j++;
      count = parseRangedLong(argv[j], 1, 'ERR count should be greater than 0');
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  if (count === -1) count = 1;
  const keys = argv.slice(numkeysIdx + 1, numkeysIdx + 1 + numkeys);
  if (blocking) return blockingPop(ctx, keys, max, argv[1], count, true);
  const r = popGeneric(ctx, keys, max, true, count, true, true);
  if (r.key !== undefined && r.popped > 0) ctx.rewrite([popName(max), r.key, String(r.popped)]);
  return r.reply;
}

// ---------------------------------------------------------------------------------------------------------------
// ZRANDMEMBER
// ---------------------------------------------------------------------------------------------------------------

function zrandmember(ctx: CommandContext, argv: string[]): Reply {
  if (argv.length < 3) {
    const z = ctx.readZset(argv[1]);
    return z ? (z.random() as [string, number])[0] : null;
  }
  const big = parseBigInteger(argv[2]);
  if (big < -LONG_MAX || big > LONG_MAX) {
    throw new CommandError('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
  }
  if (argv.length > 4 || (argv.length === 4 && !isWord(argv[3], 'withscores'))) throw new CommandError(SYNTAX);
  const withScores = argv.length === 4;
  if (withScores && (big < -LONG_MAX / 2n || big > LONG_MAX / 2n)) throw new CommandError('ERR value is out of range');
  const z = ctx.readZset(argv[1]);
  if (!z) return [];
  const unique = big >= 0n;
  const count = Number(unique ? big : -big);
  if (count === 0) return [];
  const size = z.size;
  let picked: Array<[string, number]>;
  if (!unique || count === 1) {
    if (count > RANDMEMBER_MAX_REPLY) throw new CommandError('ERR value is out of range');
    picked = [];
    for (let i = 0; i < count; i++) picked.push(z.random() as [string, number]);
  } else if (count >= size) {
    // Redis walks sorted sets from the tail here (zuiNext), so the whole set comes highest first.
    picked = [...z.entriesReversed()];
  } else {
    // Distinct ranks by a partial Fisher-Yates shuffle over a sparse index map: O(count log n).
    const swapped = new Map<number, number>();
    picked = [];
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const rankJ = swapped.get(j) ?? j;
      swapped.set(j, swapped.get(i) ?? i);
      picked.push(z.at(rankJ) as [string, number]);
    }
  }
  return entriesReply(ctx, picked, withScores);
}

// ---------------------------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------------------------

const group = 'sorted-set';

/** Sorted-set commands (Redis 7.0), ZSCAN aside. */
export const sortedSetCommands: CommandSpec[] = [
  command({
    name: 'zadd',
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '1.2.0',
    summary: 'Add one or more members to a sorted set, or update its score if it already exists',
    handler: (ctx, argv) => zaddGeneric(ctx, argv, false),
  }),
  command({
    name: 'zincrby',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '1.2.0',
    summary: 'Increment the score of a member in a sorted set',
    handler: (ctx, argv) => zaddGeneric(ctx, argv, true),
  }),
  command({
    name: 'zrem',
    arity: -3,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '1.2.0',
    summary: 'Remove one or more members from a sorted set',
    handler: (ctx, argv) => {
      const key = argv[1];
      const z = ctx.writeZset(key);
      if (!z) return 0;
      let deleted = 0;
      for (let j = 2; j < argv.length; j++) {
        if (z.delete(argv[j])) deleted++;
        if (z.size === 0) break;
      }
      if (deleted > 0) {
        ctx.modified(key, deleted);
        ctx.notify(Notify.ZSET, 'zrem', key);
        ctx.deleteIfEmpty(key);
      }
      return deleted;
    },
  }),
  command({
    name: 'zcard',
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '1.2.0',
    summary: 'Get the number of members in a sorted set',
    handler: (ctx, argv) => ctx.readZset(argv[1])?.size ?? 0,
  }),
  command({
    name: 'zscore',
    arity: 3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '1.2.0',
    summary: 'Get the score associated with the given member in a sorted set',
    handler: (ctx, argv) => {
      const s = ctx.readZset(argv[1])?.score(argv[2]);
      return s === undefined ? null : new DoubleReply(s);
    },
  }),
  command({
    name: 'zmscore',
    arity: -3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '6.2.0',
    summary: 'Get the score associated with the given members in a sorted set',
    handler: (ctx, argv) => {
      const z = ctx.readZset(argv[1]);
      return argv.slice(2).map((m) => {
        const s = z?.score(m);
        return s === undefined ? null : new DoubleReply(s);
      });
    },
  }),
  command({
    name: 'zrank',
    arity: 3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '2.0.0',
    summary: 'Determine the index of a member in a sorted set',
    handler: (ctx, argv) => ctx.readZset(argv[1])?.rank(argv[2]) ?? null,
  }),
  command({
    name: 'zrevrank',
    arity: 3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '2.0.0',
    summary: 'Determine the index of a member in a sorted set, with scores ordered from high to low',
    handler: (ctx, argv) => ctx.readZset(argv[1])?.rank(argv[2], true) ?? null,
  }),
  command({
    name: 'zcount',
    arity: 4,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '2.0.0',
    summary: 'Count the members in a sorted set with scores within the given values',
    handler: (ctx, argv) => {
      const range = parseScoreRange(argv[2], argv[3]);
      return ctx.readZset(argv[1])?.countByScore(range) ?? 0;
    },
  }),
  command({
    name: 'zlexcount',
    arity: 4,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '2.8.9',
    summary: 'Count the number of members in a sorted set between a given lexicographical range',
    handler: (ctx, argv) => {
      const range = parseLexRange(argv[2], argv[3]);
      return ctx.readZset(argv[1])?.countByLex(range) ?? 0;
    },
  }),
  command({
    name: 'zrange',
    arity: -4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '1.2.0',
    summary: 'Return a range of members in a sorted set',
    handler: (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'auto', 'auto'),
  }),
  command({
    name: 'zrangebyscore',
    arity: -4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '1.0.5',
    summary: 'Return a range of members in a sorted set, by score',
    handler: (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'score', 'forward'),
  }),
  command({
    name: 'zrevrangebyscore',
    arity: -4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '2.2.0',
    summary: 'Return a range of members in a sorted set, by score, with scores ordered from high to low',
    handler: (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'score', 'reverse'),
  }),
  command({
    name: 'zrangebylex',
    arity: -4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '2.8.9',
    summary: 'Return a range of members in a sorted set, by lexicographical range',
    handler: (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'lex', 'forward'),
  }),
  command({
    name: 'zrevrangebylex',
    arity: -4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '2.8.9',
    summary: 'Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.',
    handler: (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'lex', 'reverse'),
  }),
  command({
    name: 'zrevrange',
    arity: -4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '1.2.0',
    summary: 'Return a range of members in a sorted set, by index, with scores ordered from high to low',
    handler: (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'rank', 'reverse'),
  }),
  command({
    name: 'zrangestore',
    arity: -5,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group,
    since: '6.2.0',
    summary: 'Store a range of members from sorted set into another key',
    handler: (ctx, argv) => zrangeGeneric(ctx, argv, 2, argv[1], 'auto', 'auto'),
  }),
  command({
    name: 'zremrangebyrank',
    arity: 4,
    flags: ['write'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '2.0.0',
    summary: 'Remove all members in a sorted set within the given indexes',
    handler: (ctx, argv) => zremRange(ctx, argv, 'rank'),
  }),
  command({
    name: 'zremrangebyscore',
    arity: 4,
    flags: ['write'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '1.2.0',
    summary: 'Remove all members in a sorted set within the given scores',
    handler: (ctx, argv) => zremRange(ctx, argv, 'score'),
  }),
  command({
    name: 'zremrangebylex',
    arity: 4,
    flags: ['write'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '2.8.9',
    summary: 'Remove all members in a sorted set between the given lexicographical range',
    handler: (ctx, argv) => zremRange(ctx, argv, 'lex'),
  }),
  command({
    name: 'zunion',
    arity: -3,
    flags: ['readonly', 'movablekeys'],
    group,
    since: '6.2.0',
    summary: 'Add multiple sorted sets',
    getKeys: numkeysKeys(1, false),
    handler: (ctx, argv) => setOperation(ctx, argv, null, 1, 'union'),
  }),
  command({
    name: 'zinter',
    arity: -3,
    flags: ['readonly', 'movablekeys'],
    group,
    since: '6.2.0',
    summary: 'Intersect multiple sorted sets',
    getKeys: numkeysKeys(1, false),
    handler: (ctx, argv) => setOperation(ctx, argv, null, 1, 'inter'),
  }),
  command({
    name: 'zdiff',
    arity: -3,
    flags: ['readonly', 'movablekeys'],
    group,
    since: '6.2.0',
    summary: 'Subtract multiple sorted sets',
    getKeys: numkeysKeys(1, false),
    handler: (ctx, argv) => setOperation(ctx, argv, null, 1, 'diff'),
  }),
  command({
    name: 'zunionstore',
    arity: -4,
    flags: ['write', 'denyoom', 'movablekeys'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '2.0.0',
    summary: 'Add multiple sorted sets and store the resulting sorted set in a new key',
    getKeys: numkeysKeys(2, true),
    handler: (ctx, argv) => setOperation(ctx, argv, argv[1], 2, 'union'),
  }),
  command({
    name: 'zinterstore',
    arity: -4,
    flags: ['write', 'denyoom', 'movablekeys'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '2.0.0',
    summary: 'Intersect multiple sorted sets and store the resulting sorted set in a new key',
    getKeys: numkeysKeys(2, true),
    handler: (ctx, argv) => setOperation(ctx, argv, argv[1], 2, 'inter'),
  }),
  command({
    name: 'zdiffstore',
    arity: -4,
    flags: ['write', 'denyoom', 'movablekeys'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '6.2.0',
    summary: 'Subtract multiple sorted sets and store the resulting sorted set in a new key',
    getKeys: numkeysKeys(2, true),
    handler: (ctx, argv) => setOperation(ctx, argv, argv[1], 2, 'diff'),
  }),
  command({
    name: 'zintercard',
    arity: -3,
    flags: ['readonly', 'movablekeys'],
    group,
    since: '7.0.0',
    summary: 'Intersect multiple sorted sets and return the cardinality of the result',
    getKeys: numkeysKeys(1, false),
    handler: (ctx, argv) => setOperation(ctx, argv, null, 1, 'inter', true),
  }),
  command({
    name: 'zpopmin',
    arity: -2,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '5.0.0',
    summary: 'Remove and return members with the lowest scores in a sorted set',
    handler: (ctx, argv) => zpopMinMax(ctx, argv, false),
  }),
  command({
    name: 'zpopmax',
    arity: -2,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '5.0.0',
    summary: 'Remove and return members with the highest scores in a sorted set',
    handler: (ctx, argv) => zpopMinMax(ctx, argv, true),
  }),
  command({
    name: 'zmpop',
    arity: -4,
    flags: ['write', 'movablekeys'],
    group,
    since: '7.0.0',
    summary: 'Remove and return members with scores in a sorted set',
    getKeys: numkeysKeys(1, false),
    handler: (ctx, argv) => zmpopGeneric(ctx, argv, 1, false),
  }),
  command({
    name: 'bzpopmin',
    arity: -3,
    flags: ['write', 'noscript', 'blocking', 'fast'],
    firstKey: 1,
    lastKey: -2,
    step: 1,
    group,
    since: '5.0.0',
    summary: 'Remove and return the member with the lowest score from one or more sorted sets, or block until one is available',
    handler: (ctx, argv) => blockingPop(ctx, argv.slice(1, -1), false, argv[argv.length - 1], -1, false),
  }),
  command({
    name: 'bzpopmax',
    arity: -3,
    flags: ['write', 'noscript', 'blocking', 'fast'],
    firstKey: 1,
    lastKey: -2,
    step: 1,
    group,
    since: '5.0.0',
    summary: 'Remove and return the member with the highest score from one or more sorted sets, or block until one is available',
    handler: (ctx, argv) => blockingPop(ctx, argv.slice(1, -1), true, argv[argv.length - 1], -1, false),
  }),
  command({
    name: 'bzmpop',
    arity: -5,
    flags: ['write', 'blocking', 'movablekeys'],
    group,
    since: '7.0.0',
    summary: 'Remove and return members with scores in a sorted set or block until one is available',
    getKeys: numkeysKeys(2, false),
    handler: (ctx, argv) => zmpopGeneric(ctx, argv, 2, true),
  }),
  command({
    name: 'zrandmember',
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '6.2.0',
    summary: 'Get one or multiple random elements from a sorted set',
    handler: zrandmember,
  }),
];
