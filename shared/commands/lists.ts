import type { CommandContext } from '../engine/command-context.js';
import { Notify } from '../engine/keyspace-events.js';
import { BlockRequest, command, type CommandSpec, type HandlerResult } from '../engine/command-spec.js';
import {
  CommandError,
  INDEX_OUT_OF_RANGE,
  NO_SUCH_KEY,
  SYNTAX,
  TIMEOUT_NEGATIVE,
  TIMEOUT_NOT_FLOAT,
  WRONGTYPE,
  wrongArity,
} from '../errors.js';
import { EMPTY_ARRAY, NULL_ARRAY, OK, type Reply } from '../resp/reply.js';
import { typeOfValue, type ListValue } from '../store/database.js';
import { noteListInsert } from './debug-quicklist.js';
import { isWord, parseFloatArg, parseInteger } from './parse.js';

const POSITIVE = 'ERR value is out of range, must be positive';
const RANK_ZERO =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
const COUNT_NEGATIVE = "ERR COUNT can't be negative";
const MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative";
const NUMKEYS_POSITIVE = 'ERR numkeys should be greater than 0';
const COUNT_POSITIVE = 'ERR count should be greater than 0';
/** strtold's buffer in Redis's string2ld: longer arguments are never floats. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;
/** 2^63: a timeout in ms at or beyond it overflows Redis's long long and reads as negative. */
const LLONG_LIMIT = 9223372036854775808;

/** Which end of a list: Redis's LIST_HEAD (left) or LIST_TAIL (right). */
type End = 'left' | 'right';

/** LEFT|RIGHT, case-insensitive, else a syntax error (Redis's getListPositionFromObjectOrReply). */
function parseEnd(arg: string): End {
  if (isWord(arg, 'left')) return 'left';
  if (isWord(arg, 'right')) return 'right';
  throw new CommandError(SYNTAX);
}

/** An integer in 0..LONG_MAX with one message for every failure (getPositiveLongFromObjectOrReply). */
function parsePositive(arg: string, error: string): number {
  const n = parseInteger(arg, error);
  if (n < 0) throw new CommandError(error);
  return n;
}

/** An integer in 1..LONG_MAX with one message for every failure (getRangeLongFromObjectOrReply(1, LONG_MAX)). */
function parseAtLeastOne(arg: string, error: string): number {
  const n = parseInteger(arg, error);
  if (n < 1) throw new CommandError(error);
  return n;
}

/** strtold also reads C99 hexadecimal floats ("0x10", "0x1.8p3"); Redis timeouts accept them. */
function parseHexFloat(s: string): number | undefined {
  const m = /^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?$/i.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const frac = m[3] ?? '';
  let v = 0;
  for (const ch of m[2] + frac) v = v * 16 + parseInt(ch, 16);
  v = v / 16 ** frac.length * 2 ** Number(m[4] ?? 0);
  return m[1] === '-' ? -v : v;
}

/**
 * A blocking timeout in seconds as a float (Redis's getTimeoutFromObjectOrReply with UNIT_SECONDS): returns the
 * absolute deadline in ms, or 0 to wait forever. Like Redis, ms are rounded up, and a timeout too large for a
 * long long (inf included) wraps negative and is refused as negative.
 */
function parseTimeout(ctx: CommandContext, arg: string): number {
  if (arg.length >= MAX_LONG_DOUBLE_CHARS) throw new CommandError(TIMEOUT_NOT_FLOAT);
  const seconds = parseHexFloat(arg) ?? parseFloatArg(arg, TIMEOUT_NOT_FLOAT);
  const ms = Math.ceil(seconds * 1000);
  if (ms < 0 || ms >= LLONG_LIMIT) throw new CommandError(TIMEOUT_NEGATIVE);
  return ms === 0 ? 0 : ctx.now + ms;
}

/** Removes up to `count` elements from one end, in the order they come off (RPOP l 2 on [a,b,c] gives [c,b]). */
function popRange(list: ListValue, end: End, count: number): string[] {
  const out: string[] = [];
  while (out.length < count && list.length > 0) out.push((end === 'left' ? list.popFront() : list.popBack()) as string);
  return out;
}

function push(list: ListValue, end: End, value: string): void {
  if (end === 'left') list.pushFront(value);
  else list.pushBack(value);
}

/**
 * Whether this run is a blocked client's retry after one of its keys was touched. Redis serves a blocked client
 * only from a ready key that holds a list, so on a retry a key of another type is passed over, not an error.
 */
function isRetry(ctx: CommandContext): boolean {
  return ctx.client.blocked !== null;
}

/**
 * The list at key for a blocking pop: undefined when missing, empty, or (on a retry) of another type; WRONGTYPE
 * on a first run, as Redis checks each key in order until one holds elements.
 */
function blockingSource(ctx: CommandContext, key: string): ListValue | undefined {
  const v = ctx.lookupWrite(key);
  if (v === undefined) return undefined;
  if (typeOfValue(v) !== 'list') {
    if (isRetry(ctx)) return undefined;
    throw new CommandError(WRONGTYPE);
  }
  const list = v as ListValue;
  return list.length > 0 ? list : undefined;
}

/** The event Redis names a push or pop at one end ("lpush", "rpop", ...). */
function endEvent(op: 'push' | 'pop', end: End): string {
  return (end === 'left' ? 'l' : 'r') + op;
}

/**
 * Records a pop of `n` elements from key (Redis's listElementsRemoved): the "lpop"/"rpop" event, then the list
 * deleted (with its "del" event) when emptied, and the change reported.
 */
function popped(ctx: CommandContext, key: string, end: End, n: number): void {
  ctx.notify(Notify.LIST, endEvent('pop', end), key);
  ctx.deleteIfEmpty(key);
  ctx.modified(key, n);
}

/** LPUSH/RPUSH/LPUSHX/RPUSHX. */
function pushCommand(end: End, onlyIfExists: boolean) {
  return (ctx: CommandContext, argv: string[]): Reply => {
    const key = argv[1];
    let list = ctx.writeList(key);
    if (!list) {
      if (onlyIfExists) return 0;
      list = ctx.listForPush(key);
    }
    noteListInsert(ctx.core, list);
    for (let i = 2; i < argv.length; i++) push(list, end, argv[i]);
    ctx.modified(key, argv.length - 2);
    ctx.notify(Notify.LIST, endEvent('push', end), key);
    return list.length;
  };
}

/** LPOP/RPOP key [count]: a bulk without count; with count an array, NULL_ARRAY when the key is missing. */
function popCommand(end: End) {
  return (ctx: CommandContext, argv: string[]): Reply => {
    if (argv.length > 3) throw new CommandError(wrongArity(ctx.spec.name));
    const hasCount = argv.length === 3;
    const count = hasCount ? parsePositive(argv[2], POSITIVE) : 1;
    const key = argv[1];
    const list = ctx.writeList(key);
    if (!list) return hasCount ? NULL_ARRAY : null;
    if (hasCount && count === 0) return EMPTY_ARRAY;
    const items = popRange(list, end, count);
    popped(ctx, key, end, items.length);
    return hasCount ? items : items[0];
  };
}

/**
 * LMOVE's core, shared with RPOPLPUSH and the blocking forms: null when the source is missing. Events as
 * Redis's lmoveGenericCommand: the push on the destination (after its "new"), then the pop on the source, then
 * "del" when the source was emptied; moving within one list leaves it non-empty, so no "del" then.
 */
function moveElement(ctx: CommandContext, src: string, dst: string, from: End, to: End): string | null {
  const source = ctx.writeList(src);
  if (!source || source.length === 0) return null;
  ctx.writeList(dst);
  const value = (from === 'left' ? source.popFront() : source.popBack()) as string;
  const target = ctx.listForPush(dst);
  noteListInsert(ctx.core, target);
  push(target, to, value);
  ctx.modified(dst);
  ctx.notify(Notify.LIST, endEvent('push', to), dst);
  ctx.notify(Notify.LIST, endEvent('pop', from), src);
  ctx.deleteIfEmpty(src);
  ctx.modified(src, 0);
  return value;
}

/**
 * BLMOVE/BRPOPLPUSH: moves at once when the source has elements, else blocks on the source. `propagated(retry)`
 * is the non-blocking form to propagate: Redis rewrites a direct BLMOVE with the LEFT/RIGHT arguments as sent,
 * and a served blocked client with its own lowercase "left"/"right".
 */
function blockingMove(
  ctx: CommandContext,
  src: string,
  dst: string,
  from: End,
  to: End,
  deadline: number,
  propagated: (retry: boolean) => string[],
): HandlerResult {
  const retry = isRetry(ctx);
  // Redis 7.0 times BLMOVE / BRPOPLPUSH out with a null array, but answers a null bulk inside MULTI.
  if (!blockingSource(ctx, src)) return new BlockRequest([src], deadline, () => (ctx.client.inExec ? null : NULL_ARRAY));
  const value = moveElement(ctx, src, dst, from, to);
  ctx.rewrite(propagated(retry));
  return value;
}

/**
 * Pops from the first of `keys` holding elements, as LMPOP, BLMPOP, BLPOP, BRPOP do. `count` undefined is the
 * BLPOP form ([key, element], propagated as LPOP key); a count gives [key, [elements]], propagated as
 * LPOP key <popped>. Returns undefined when every key is missing or empty.
 */
function popFirstNonEmpty(
  ctx: CommandContext,
  keys: string[],
  end: End,
  count: number | undefined,
  blocking: boolean,
): Reply | undefined {
  for (const key of keys) {
    const list = blocking ? blockingSource(ctx, key) : ctx.writeList(key);
    if (!list || list.length === 0) continue;
    const items = popRange(list, end, count ?? 1);
    popped(ctx, key, end, items.length);
    const op = end === 'left' ? 'LPOP' : 'RPOP';
    if (count === undefined) {
      ctx.rewrite([op, key]);
      return [key, items[0]];
    }
    ctx.rewrite([op, key, String(items.length)]);
    return [key, items];
  }
  return undefined;
}

/** BLPOP/BRPOP key [key ...] timeout. */
function blockingPopCommand(end: End) {
  return (ctx: CommandContext, argv: string[]): HandlerResult => {
    const deadline = parseTimeout(ctx, argv[argv.length - 1]);
    const keys = argv.slice(1, -1);
    return popFirstNonEmpty(ctx, keys, end, undefined, true) ?? new BlockRequest(unique(keys), deadline, NULL_ARRAY);
  };
}

/** LMPOP/BLMPOP's arguments from `numkeysIndex`: numkeys key [key ...] LEFT|RIGHT [COUNT count]. */
function parseMpop(argv: string[], numkeysIndex: number): { keys: string[]; end: End; count: number } {
  const numkeys = parseAtLeastOne(argv[numkeysIndex], NUMKEYS_POSITIVE);
  const whereIndex = numkeysIndex + numkeys + 1;
  if (whereIndex >= argv.length) throw new CommandError(SYNTAX);
  const end = parseEnd(argv[whereIndex]);
  let count: number | undefined;
  for (let j = whereIndex + 1; j < argv.length; j++) {
    if (count === undefined && isWord(argv[j], 'count') && j + 1 < argv.length) {
      count = parseAtLeastOne(argv[++j], COUNT_POSITIVE);
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  return { keys: argv.slice(numkeysIndex + 1, whereIndex), end, count: count ?? 1 };
}

/** Key positions of LMPOP/BLMPOP (numkeys at `numkeysIndex`); none when numkeys is invalid, as Redis. */
function mpopKeys(numkeysIndex: number) {
  return (argv: string[]): number[] => {
    const n = Number(argv[numkeysIndex]);
    const first = numkeysIndex + 1;
    if (!Number.isInteger(n) || n < 1 || n > argv.length - first) return [];
    return Array.from({ length: n }, (_, i) => first + i);
  };
}

function unique(keys: string[]): string[] {
  return [...new Set(keys)];
}

/** A list index (negative from the end) made absolute; may still be out of range. */
function absoluteIndex(index: number, length: number): number {
  return index < 0 ? length + index : index;
}

/** The LPOS options: RANK (not zero), COUNT and MAXLEN (not negative). */
function parseLposOptions(argv: string[]): { rank: number; count: number; maxlen: number } {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const more = j + 1 < argv.length;
    if (isWord(argv[j], 'rank') && more) {
      rank = parseInteger(argv[++j]);
      if (rank === 0) throw new CommandError(RANK_ZERO);
    } else if (isWord(argv[j], 'count') && more) {
      count = parsePositive(argv[++j], COUNT_NEGATIVE);
    } else if (isWord(argv[j], 'maxlen') && more) {
      maxlen = parsePositive(argv[++j], MAXLEN_NEGATIVE);
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  return { rank, count, maxlen };
}

/** The LIST command group, Redis 7.0 semantics. */
export const listCommands: CommandSpec[] = [
  command({
    name: 'lpush',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'list',
    summary: 'Prepend one or multiple elements to a list',
    since: '1.0.0',
    handler: pushCommand('left', false),
  }),
  command({
    name: 'rpush',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'list',
    summary: 'Append one or multiple elements to a list',
    since: '1.0.0',
    handler: pushCommand('right', false),
  }),
  command({
    name: 'lpushx',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'list',
    summary: 'Prepend an element to a list, only if the list exists',
    since: '2.2.0',
    handler: pushCommand('left', true),
  }),
  command({
    name: 'rpushx',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'list',
    summary: 'Append an element to a list, only if the list exists',
    since: '2.2.0',
    handler: pushCommand('right', true),
  }),
  command({
    name: 'lpop',
    arity: -2,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'list',
    summary: 'Remove and get the first elements in a list',
    since: '1.0.0',
    handler: popCommand('left'),
  }),
  command({
    name: 'rpop',
    arity: -2,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'list',
    summary: 'Remove and get the last elements in a list',
    since: '1.0.0',
    handler: popCommand('right'),
  }),
  command({
    name: 'llen',
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'list',
    summary: 'Get the length of a list',
    since: '1.0.0',
    handler: (ctx, argv) => ctx.readList(argv[1])?.length ?? 0,
  }),
  command({
    name: 'lrange',
    arity: 4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'list',
    summary: 'Get a range of elements from a list',
    since: '1.0.0',
    handler: (ctx, argv) => {
      const start = parseInteger(argv[2]);
      const stop = parseInteger(argv[3]);
      const list = ctx.readList(argv[1]);
      if (!list) return EMPTY_ARRAY;
      const from = Math.max(0, absoluteIndex(start, list.length));
      const to = absoluteIndex(stop, list.length);
      if (from > to || from >= list.length) return EMPTY_ARRAY;
      return list.slice(from, Math.min(to, list.length - 1) + 1);
    },
  }),
  command({
    name: 'lindex',
    arity: 3,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'list',
    summary: 'Get an element from a list by its index',
    since: '1.0.0',
    handler: (ctx, argv) => {
      const list = ctx.readList(argv[1]);
      if (!list) return null;
      const index = parseInteger(argv[2]);
      return list.at(absoluteIndex(index, list.length)) ?? null;
    },
  }),
  command({
    name: 'lset',
    arity: 4,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'list',
    summary: 'Set the value of an element in a list by its index',
    since: '1.0.0',
    handler: (ctx, argv) => {
      const list = ctx.writeList(argv[1]);
      if (!list) throw new CommandError(NO_SUCH_KEY);
      const index = absoluteIndex(parseInteger(argv[2]), list.length);
      if (index < 0 || index >= list.length) throw new CommandError(INDEX_OUT_OF_RANGE);
      list.set(index, argv[3]);
      noteListInsert(ctx.core, list);
      ctx.modified(argv[1]);
      ctx.notify(Notify.LIST, 'lset', argv[1]);
      return OK;
    },
  }),
  command({
    name: 'linsert',
    arity: 5,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'list',
    summary: 'Insert an element before or after another element in a list',
    since: '2.2.0',
    handler: (ctx, argv) => {
      let after: boolean;
      if (isWord(argv[2], 'after')) after = true;
      else if (isWord(argv[2], 'before')) after = false;
      else throw new CommandError(SYNTAX);
      const list = ctx.writeList(argv[1]);
      if (!list) return 0;
      const items = list.slice();
      const pivot = items.indexOf(argv[3]);
      if (pivot < 0) return -1;
      items.splice(after ? pivot + 1 : pivot, 0, argv[4]);
      list.replaceAll(items);
      noteListInsert(ctx.core, list);
      ctx.modified(argv[1]);
      ctx.notify(Notify.LIST, 'linsert', argv[1]);
      return list.length;
    },
  }),
  command({
    name: 'lrem',
    arity: 4,
    flags: ['write'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'list',
    summary: 'Remove elements from a list',
    since: '1.0.0',
    handler: (ctx, argv) => {
      const count = parseInteger(argv[2]);
      const key = argv[1];
      const list = ctx.writeList(key);
      if (!list) return 0;
      const limit = Math.abs(count);
      const fromTail = count < 0;
      const items = list.slice();
      if (fromTail) items.reverse();
      const kept: string[] = [];
      let removed = 0;
      for (const item of items) {
        if (item === argv[3] && (limit === 0 || removed < limit)) removed++;
        else kept.push(item);
      }
      if (removed === 0) return 0;
      if (fromTail) kept.reverse();
      list.replaceAll(kept);
      ctx.notify(Notify.LIST, 'lrem', key);
      ctx.deleteIfEmpty(key);
      ctx.modified(key, removed);
      return removed;
    },
  }),
  command({
    name: 'ltrim',
    arity: 4,
    flags: ['write'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'list',
    summary: 'Trim a list to the specified range',
    since: '1.0.0',
    handler: (ctx, argv) => {
      const start = parseInteger(argv[2]);
      const stop = parseInteger(argv[3]);
      const key = argv[1];
      const list = ctx.writeList(key);
      if (!list) return OK;
      const length = list.length;
      const from = Math.max(0, absoluteIndex(start, length));
      const to = absoluteIndex(stop, length);
      let left: number;
      let right: number;
      if (from > to || from >= length) {
        left = length;
        right = 0;
      } else {
        left = from;
        right = length - Math.min(to, length - 1) - 1;
      }
      for (let i = 0; i < left; i++) list.popFront();
      for (let i = 0; i < right; i++) list.popBack();
      // Redis notifies "ltrim" whenever the list exists, even when the range kept everything.
      ctx.notify(Notify.LIST, 'ltrim', key);
      ctx.deleteIfEmpty(key);
      // Redis signals the key even when nothing was trimmed (WATCH sees it) but propagates only a real change.
      ctx.modified(key, left + right);
      return OK;
    },
  }),
  command({
    name: 'lpos',
    arity: -3,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'list',
    summary: 'Return the index of matching elements on a list',
    since: '6.0.6',
    handler: (ctx, argv) => {
      const { rank, count, maxlen } = parseLposOptions(argv);
      const list = ctx.readList(argv[1]);
      if (!list) return count !== -1 ? EMPTY_ARRAY : null;
      const fromTail = rank < 0;
      const skip = Math.abs(rank) - 1;
      const length = list.length;
      const scan = maxlen === 0 ? length : Math.min(maxlen, length);
      const found: number[] = [];
      let matches = 0;
      for (let n = 0; n < scan; n++) {
        const index = fromTail ? length - 1 - n : n;
        if (list.at(index) !== argv[2]) continue;
        if (++matches <= skip) continue;
        found.push(index);
        if (count === -1 || (count !== 0 && found.length >= count)) break;
      }
      if (count !== -1) return found;
      return found.length > 0 ? found[0] : null;
    },
  }),
  command({
    name: 'lmove',
    arity: 5,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: 'list',
    summary: 'Pop an element from a list, push it to another list and return it',
    since: '6.2.0',
    handler: (ctx, argv) => {
      const from = parseEnd(argv[3]);
      const to = parseEnd(argv[4]);
      return moveElement(ctx, argv[1], argv[2], from, to);
    },
  }),
  command({
    name: 'rpoplpush',
    arity: 3,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: 'list',
    summary: 'Remove the last element in a list, prepend it to another list and return it',
    since: '1.2.0',
    handler: (ctx, argv) => moveElement(ctx, argv[1], argv[2], 'right', 'left'),
  }),
  command({
    name: 'lmpop',
    arity: -4,
    flags: ['write', 'movablekeys'],
    group: 'list',
    summary: 'Pop elements from a list',
    since: '7.0.0',
    getKeys: mpopKeys(1),
    handler: (ctx, argv) => {
      const { keys, end, count } = parseMpop(argv, 1);
      return popFirstNonEmpty(ctx, keys, end, count, false) ?? NULL_ARRAY;
    },
  }),
  command({
    name: 'blpop',
    arity: -3,
    flags: ['write', 'noscript', 'blocking'],
    firstKey: 1,
    lastKey: -2,
    step: 1,
    group: 'list',
    summary: 'Remove and get the first element in a list, or block until one is available',
    since: '2.0.0',
    handler: blockingPopCommand('left'),
  }),
  command({
    name: 'brpop',
    arity: -3,
    flags: ['write', 'noscript', 'blocking'],
    firstKey: 1,
    lastKey: -2,
    step: 1,
    group: 'list',
    summary: 'Remove and get the last element in a list, or block until one is available',
    since: '2.0.0',
    handler: blockingPopCommand('right'),
  }),
  command({
    name: 'blmove',
    arity: 6,
    flags: ['write', 'denyoom', 'noscript', 'blocking'],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: 'list',
    summary: 'Pop an element from a list, push it to another list and return it; or block until one is available',
    since: '6.2.0',
    handler: (ctx, argv) => {
      const from = parseEnd(argv[3]);
      const to = parseEnd(argv[4]);
      const deadline = parseTimeout(ctx, argv[5]);
      return blockingMove(ctx, argv[1], argv[2], from, to, deadline, (retry) =>
        retry ? ['LMOVE', argv[1], argv[2], from, to] : ['LMOVE', ...argv.slice(1, 5)],
      );
    },
  }),
  command({
    name: 'brpoplpush',
    arity: 4,
    flags: ['write', 'denyoom', 'noscript', 'blocking'],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: 'list',
    summary: 'Pop an element from a list, push it to another list and return it; or block until one is available',
    since: '2.2.0',
    handler: (ctx, argv) => {
      const deadline = parseTimeout(ctx, argv[3]);
      return blockingMove(ctx, argv[1], argv[2], 'right', 'left', deadline, () => ['RPOPLPUSH', argv[1], argv[2]]);
    },
  }),
  command({
    name: 'blmpop',
    arity: -5,
    flags: ['write', 'blocking', 'movablekeys'],
    group: 'list',
    summary: 'Pop elements from a list, or block until one is available',
    since: '7.0.0',
    getKeys: mpopKeys(2),
    handler: (ctx, argv) => {
      const { keys, end, count } = parseMpop(argv, 2);
      const deadline = parseTimeout(ctx, argv[1]);
      return popFirstNonEmpty(ctx, keys, end, count, true) ?? new BlockRequest(unique(keys), deadline, NULL_ARRAY);
    },
  }),
];
