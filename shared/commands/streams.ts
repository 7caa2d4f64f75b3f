/**
 * Stream commands (Redis 7.0's t_stream.c): XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID here; reading
 * (XREAD, XREADGROUP) in stream-read.ts, consumer groups in stream-groups.ts, XINFO in stream-info.ts.
 */
import type { CommandContext } from '../engine/command-context.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import { Notify } from '../engine/keyspace-events.js';
import { CommandError, NO_SUCH_KEY, SYNTAX, wrongArity } from '../errors.js';
import { NULL_ARRAY, OK, type Reply } from '../resp/reply.js';
import { firstEdgeId, nodesAppend, streamDeleteEntry, streamTrim, type TrimArgs } from '../store/stream-nodes.js';
import { Stream, U64_MAX, formatStreamId, type StreamEntry, type StreamId } from '../store/stream.js';
import { isWord, parseInteger } from './parse.js';
import { streamReadCommands } from './stream-read.js';
import { streamGroupCommands } from './stream-groups.js';
import { streamInfoCommands } from './stream-info.js';
import { MAX_ID, entryReply, lastValidId, nodeLimits, parseId, parseRangeBound, parseStrictId } from './stream-util.js';

/** XADD/XTRIM options (streamAddTrimArgs). */
interface AddTrimArgs {
  trim: TrimArgs | null;
  /** argv index of the MAXLEN/MINID value (for the `~` rewrite). */
  trimArgIndex: number;
  /** XADD: the ID's argv index, the ID when given, whether its sequence was given. */
  idIndex: number;
  id: StreamId | null;
  seqGiven: boolean;
  noMkStream: boolean;
}

/** Redis's streamParseAddOrTrimArgsOrReply. */
function parseAddTrimArgs(ctx: CommandContext, argv: string[], xadd: boolean): AddTrimArgs {
  const out: AddTrimArgs = { trim: null, trimArgIndex: -1, idIndex: -1, id: null, seqGiven: true, noMkStream: false };
  let strategy: 'maxlen' | 'minid' | null = null;
  let approx = false;
  let maxlen = 0;
  let minid: StreamId = 0n;
  let limit = 0;
  let limitGiven = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const moreargs = argv.length - 1 - i;
    const opt = argv[i];
    if (xadd && opt === '*') {
      break;
    } else if ((isWord(opt, 'maxlen') || isWord(opt, 'minid')) && moreargs) {
      if (strategy !== null) {
        throw new CommandError('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
      }
      approx = false;
      const next = argv[i + 1];
      if (moreargs >= 2 && next === '~') {
        approx = true;
        i++;
      } else if (moreargs >= 2 && next === '=') {
        i++;
      }
      if (isWord(opt, 'maxlen')) {
        maxlen = parseInteger(argv[i + 1]);
        if (maxlen < 0) throw new CommandError('ERR The MAXLEN argument must be >= 0.');
        strategy = 'maxlen';
      } else {
        minid = parseStrictId(argv[i + 1]);
        strategy = 'minid';
      }
      i++;
      out.trimArgIndex = i;
    } else if (isWord(opt, 'limit') && moreargs) {
      limit = parseInteger(argv[i + 1]);
      if (limit < 0) throw new CommandError('ERR The LIMIT argument must be >= 0.');
      limitGiven = true;
      i++;
    } else if (xadd && isWord(opt, 'nomkstream')) {
      out.noMkStream = true;
    } else if (xadd) {
      const p = parseId(opt, 0n, true, true);
      out.id = p.id;
      out.seqGiven = p.seqGiven;
      break;
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  out.idIndex = i;
  if (limit && strategy === null) {
    throw new CommandError('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
  }
  if (!xadd && strategy === null) throw new CommandError('ERR syntax error, XTRIM must be called with a trimming strategy');
  if (ctx.client.isMaster) {
    // Our master rewrote `~` trims into exact ones: never cap the work here.
    limit = 0;
  } else if (limitGiven) {
    if (!approx) throw new CommandError('ERR syntax error, LIMIT cannot be used without the special ~ option');
  } else if (approx) {
    // At most 100 nodes' worth of entries per call, to bound the latency, as Redis.
    limit = 100 * ctx.core.config.int('stream-node-max-entries');
    if (limit <= 0) limit = 10000;
    if (limit > 1000000) limit = 1000000;
  } else {
    limit = 0;
  }
  if (strategy !== null) out.trim = { strategy, maxlen, minid, approx, limit };
  return out;
}

/** The MAXLEN/MINID argument a `~` trim propagates as (streamRewriteTrimArgument). */
function rewriteTrim(ctx: CommandContext, argv: string[], s: Stream, args: AddTrimArgs): void {
  argv[args.trimArgIndex - 1] = '=';
  argv[args.trimArgIndex] =
    args.trim!.strategy === 'maxlen' ? String(s.length) : formatStreamId(firstEdgeId(s, nodeLimits(ctx)));
}

/** Appends an entry (streamAppendItem); returns its ID, or an error text. */
function appendEntry(ctx: CommandContext, s: Stream, fields: string[], useId: StreamId | null, seqGiven: boolean): StreamId | string {
  let id: StreamId;
  const lastMs = s.lastId >> 64n;
  const lastSeq = s.lastId & U64_MAX;
  if (useId !== null) {
    if (seqGiven) {
      id = useId;
    } else if (lastMs === useId >> 64n) {
      if (lastSeq === U64_MAX) return 'ERR Elements are too large to be stored';
      id = s.lastId + 1n;
    } else {
      id = useId;
    }
  } else {
    const ms = BigInt(ctx.now);
    if (ms > lastMs) id = ms << 64n;
    else if (lastSeq === U64_MAX) id = lastMs === U64_MAX ? 0n : (lastMs + 1n) << 64n;
    else id = s.lastId + 1n;
  }
  if (id <= s.lastId) return 'ERR The ID specified in XADD is equal or smaller than the target stream top item';
  const entry: StreamEntry = { id, fields };
  s.entries.push(entry);
  nodesAppend(s, entry, nodeLimits(ctx));
  s.entriesAdded++;
  s.lastId = id;
  return id;
}

/** XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...] */
function xadd(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  const args = parseAddTrimArgs(ctx, argv, true);
  const fieldPos = args.idIndex + 1;
  const nfields = argv.length - fieldPos;
  if (nfields < 2 || nfields % 2 === 1) throw new CommandError(wrongArity('xadd'));
  if (args.id !== null && args.seqGiven && args.id === 0n) {
    throw new CommandError('ERR The ID specified in XADD must be greater than 0-0');
  }
  let s = ctx.writeStream(key);
  if (!s) {
    if (args.noMkStream) return null;
    s = new Stream();
    ctx.db.dict.set(key, s);
    ctx.created(key);
  }
  if (s.lastId === MAX_ID) throw new CommandError('ERR The stream has exhausted the last possible ID, unable to add more items');
  const id = appendEntry(ctx, s, argv.slice(fieldPos), args.id, args.seqGiven);
  if (typeof id === 'string') throw new CommandError(id);
  const reply = formatStreamId(id);
  ctx.modified(key);
  ctx.notify(Notify.STREAM, 'xadd', key);
  const propagated = argv.slice();
  let rewritten = false;
  if (args.trim) {
    if (streamTrim(s, args.trim, nodeLimits(ctx)) > 0) ctx.notify(Notify.STREAM, 'xtrim', key);
    if (args.trim.approx) {
      rewriteTrim(ctx, propagated, s, args);
      rewritten = true;
    }
  }
  if (args.id === null || !args.seqGiven) {
    propagated[args.idIndex] = reply;
    rewritten = true;
  }
  if (rewritten) ctx.rewrite(propagated);
  return reply;
}

/** XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count] */
function xtrim(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  const args = parseAddTrimArgs(ctx, argv, false);
  const s = ctx.writeStream(key);
  if (!s) return 0;
  const deleted = streamTrim(s, args.trim!, nodeLimits(ctx));
  if (deleted > 0) {
    ctx.notify(Notify.STREAM, 'xtrim', key);
    if (args.trim!.approx) {
      const propagated = argv.slice();
      rewriteTrim(ctx, propagated, s, args);
      ctx.rewrite(propagated);
    }
    ctx.modified(key, deleted);
  }
  return deleted;
}

/** XRANGE / XREVRANGE. */
function xrange(ctx: CommandContext, argv: string[], rev: boolean): Reply {
  const startArg = rev ? argv[3] : argv[2];
  const endArg = rev ? argv[2] : argv[3];
  const start = parseRangeBound(startArg, 0n, true);
  const end = parseRangeBound(endArg, U64_MAX, false);
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    if (isWord(argv[j], 'count') && argv.length - j - 1 >= 1) {
      count = parseInteger(argv[j + 1]);
      if (count < 0) count = 0;
      j++;
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  const s = ctx.readStream(argv[1]);
  if (!s) return [];
  if (count === 0) return NULL_ARRAY;
  return rangeReply(s, start, end, count === -1 ? 0 : count, rev);
}

/** The entries with IDs in [start, end], at most `count` (0: all), forwards or backwards. */
export function rangeReply(s: Stream, start: StreamId, end: StreamId, count: number, rev: boolean): Reply[] {
  const out: Reply[] = [];
  if (start > end) return out;
  const entries = s.entries;
  if (!rev) {
    for (let i = s.lowerBound(start); i < entries.length && entries[i].id <= end; i++) {
      out.push(entryReply(entries[i]));
      if (count && out.length === count) break;
    }
  } else {
    const hi = end === MAX_ID ? entries.length : s.lowerBound(end + 1n);
    for (let i = hi - 1; i >= 0 && entries[i].id >= start; i--) {
      out.push(entryReply(entries[i]));
      if (count && out.length === count) break;
    }
  }
  return out;
}

/** XDEL key id [id ...] */
function xdel(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  const s = ctx.writeStream(key);
  if (!s) return 0;
  // All IDs are checked first: the command never runs partially.
  const ids = argv.slice(2).map((a) => parseStrictId(a));
  const limits = nodeLimits(ctx);
  let deleted = 0;
  for (const id of ids) {
    if (streamDeleteEntry(s, id, limits)) {
      if (id > s.maxDeletedId) s.maxDeletedId = id;
      deleted++;
    }
  }
  if (deleted > 0) {
    ctx.modified(key, deleted);
    ctx.notify(Notify.STREAM, 'xdel', key);
  }
  return deleted;
}

/** XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id] */
function xsetid(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  const id = parseStrictId(argv[2]);
  let entriesAdded = -1;
  let maxDeleted: StreamId = 0n;
  for (let i = 3; i < argv.length; i += 2) {
    const moreargs = argv.length - 1 - i;
    if (isWord(argv[i], 'entriesadded') && moreargs) {
      entriesAdded = parseInteger(argv[i + 1]);
      if (entriesAdded < 0) throw new CommandError('ERR entries_added must be positive');
    } else if (isWord(argv[i], 'maxdeletedid') && moreargs) {
      maxDeleted = parseStrictId(argv[i + 1]);
      if (id < maxDeleted) {
        throw new CommandError('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
      }
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  const s = ctx.writeStream(key);
  if (!s) throw new CommandError(NO_SUCH_KEY);
  if (s.length > 0) {
    if (id < lastValidId(s)) throw new CommandError('ERR The ID specified in XSETID is smaller than the target stream top item');
    if (entriesAdded !== -1 && s.length > entriesAdded) {
      throw new CommandError('ERR The entries_added specified in XSETID is smaller than the target stream length');
    }
  }
  s.lastId = id;
  if (entriesAdded !== -1) s.entriesAdded = entriesAdded;
  if (maxDeleted !== 0n) s.maxDeletedId = maxDeleted;
  // Redis reports no key change here (no WATCH invalidation), only the write.
  ctx.dirty++;
  ctx.notify(Notify.STREAM, 'xsetid', key);
  return OK;
}

function keyed(spec: Omit<Parameters<typeof command>[0], 'group' | 'firstKey' | 'lastKey' | 'step'>): CommandSpec {
  return command({ group: 'stream', firstKey: 1, lastKey: 1, step: 1, ...spec });
}

/** The stream command group. */
export const streamCommands: CommandSpec[] = [
  keyed({
    name: 'xadd',
    arity: -5,
    flags: ['write', 'denyoom', 'fast'],
    summary: 'Appends a new entry to a stream',
    since: '5.0.0',
    handler: xadd,
  }),
  keyed({
    name: 'xlen',
    arity: 2,
    flags: ['readonly', 'fast'],
    summary: 'Return the number of entries in a stream',
    since: '5.0.0',
    handler: (ctx, argv) => ctx.readStream(argv[1])?.length ?? 0,
  }),
  keyed({
    name: 'xrange',
    arity: -4,
    flags: ['readonly'],
    summary: 'Return a range of elements in a stream, with IDs matching the specified IDs interval',
    since: '5.0.0',
    handler: (ctx, argv) => xrange(ctx, argv, false),
  }),
  keyed({
    name: 'xrevrange',
    arity: -4,
    flags: ['readonly'],
    summary:
      'Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE',
    since: '5.0.0',
    handler: (ctx, argv) => xrange(ctx, argv, true),
  }),
  keyed({
    name: 'xdel',
    arity: -3,
    flags: ['write', 'fast'],
    summary: 'Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.',
    since: '5.0.0',
    handler: xdel,
  }),
  keyed({
    name: 'xtrim',
    arity: -4,
    flags: ['write'],
    summary: "Trims the stream to (approximately if '~' is passed) a certain size",
    since: '5.0.0',
    handler: xtrim,
  }),
  keyed({
    name: 'xsetid',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    summary: 'An internal command for replicating stream values',
    since: '5.0.0',
    handler: xsetid,
  }),
  ...streamReadCommands,
  ...streamGroupCommands,
  ...streamInfoCommands,
];
