/**
 * XREAD and XREADGROUP (Redis's xreadCommand), with blocking. A blocked client is run again by dispatch when
 * one of its keys is touched; that run serves it as Redis's serveClientsBlockedOnStreamKey does: one stream
 * (the first with news), at most COUNT (default 1000) entries, from the ID resolved when it blocked (`$`
 * becomes the stream's last ID then) or, for `>`, from the group's last delivered ID.
 */
import type { CommandContext } from '../engine/command-context.js';
import { BlockRequest, command, type CommandSpec, type HandlerResult } from '../engine/command-spec.js';
import { CommandError, SYNTAX } from '../errors.js';
import { ErrorReply, MapReply, NULL_ARRAY, type Reply } from '../resp/reply.js';
import { Stream, formatStreamId, type ConsumerGroup, type StreamConsumer, type StreamId } from '../store/stream.js';
import { parseInteger } from './parse.js';
import {
  INVALID_ENTRIES_READ,
  MAX_ID,
  createConsumer,
  entryReply,
  estimateDistance,
  findEntry,
  lastValidId,
  lookupConsumer,
  parseStrictId,
  pelAdd,
  pelSet,
  rangeHasTombstones,
  setidPropagation,
  xclaimPropagation,
} from './stream-util.js';

/** Redis's XREAD_BLOCKED_DEFAULT_COUNT: what a blocked read without COUNT is served at most. */
const BLOCKED_DEFAULT_COUNT = 1000;

interface ReadOptions {
  timeout: number;
  count: number;
  streamsArg: number;
  streamsCount: number;
  group: string | null;
  consumer: string | null;
  noack: boolean;
}

function parseReadOptions(argv: string[], xreadgroup: boolean): ReadOptions {
  const o: ReadOptions = { timeout: -1, count: 0, streamsArg: 0, streamsCount: 0, group: null, consumer: null, noack: false };
  for (let i = 1; i < argv.length; i++) {
    const moreargs = argv.length - i - 1;
    const opt = argv[i].toLowerCase();
    if (opt === 'block' && moreargs) {
      i++;
      let t: number;
      try {
        t = parseInteger(argv[i]);
      } catch {
        throw new CommandError('ERR timeout is not an integer or out of range');
      }
      if (t < 0) throw new CommandError('ERR timeout is negative');
      o.timeout = t;
    } else if (opt === 'count' && moreargs) {
      i++;
      o.count = parseInteger(argv[i]);
      if (o.count < 0) o.count = 0;
    } else if (opt === 'streams' && moreargs) {
      o.streamsArg = i + 1;
      const n = argv.length - o.streamsArg;
      if (n % 2 !== 0) {
        throw new CommandError("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
      }
      o.streamsCount = n / 2;
      break;
    } else if (opt === 'group' && moreargs >= 2) {
      if (!xreadgroup) throw new CommandError('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
      o.group = argv[i + 1];
      o.consumer = argv[i + 2];
      i += 2;
    } else if (opt === 'noack') {
      if (!xreadgroup) throw new CommandError('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
      o.noack = true;
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  if (o.streamsArg === 0) throw new CommandError(SYNTAX);
  if (xreadgroup && o.group === null) throw new CommandError('ERR Missing GROUP option for XREADGROUP');
  return o;
}

/** What a group read does besides replying: the ops it propagates. */
interface GroupRead {
  key: string;
  groupName: string;
  group: ConsumerGroup;
  consumer: StreamConsumer;
  noack: boolean;
  ops: string[][];
}

/**
 * Redis's streamReplyWithRange for new entries (after `after`): the entries, and with a group the group's
 * last ID and read counter advanced, PEL entries created (unless NOACK) and their XCLAIMs queued.
 */
function serveRange(ctx: CommandContext, s: Stream, after: StreamId, count: number, g: GroupRead | null): Reply[] {
  const out: Reply[] = [];
  const entries = s.entries;
  let propagateLastId = false;
  for (let i = after === MAX_ID ? entries.length : s.lowerBound(after + 1n); i < entries.length; i++) {
    const e = entries[i];
    if (g) {
      const group = g.group;
      if (e.id > group.lastId) {
        if (group.entriesRead !== INVALID_ENTRIES_READ && !rangeHasTombstones(s, e.id, null)) group.entriesRead++;
        else if (s.entriesAdded) group.entriesRead = estimateDistance(s, e.id);
        group.lastId = e.id;
        if (g.noack) propagateLastId = true;
      }
    }
    out.push(entryReply(e));
    if (g && !g.noack) {
      const group = g.group;
      let nack = group.pending.get(e.id);
      if (nack) {
        group.consumers.get(nack.consumer)?.pending.delete(e.id);
        nack.consumer = g.consumer.name;
        nack.deliveryTime = ctx.now;
        nack.deliveryCount = 1;
      } else {
        nack = { consumer: g.consumer.name, deliveryTime: ctx.now, deliveryCount: 1 };
        pelSet(group.pending, e.id, nack);
      }
      pelAdd(g.consumer.pending, e.id);
      g.ops.push(xclaimPropagation(g.key, group, g.groupName, formatStreamId(e.id), nack));
    }
    if (count && out.length === count) break;
  }
  if (g && propagateLastId) g.ops.push(setidPropagation(g.key, g.group, g.groupName));
  return out;
}

/** Redis's streamReplyWithRangeFromConsumerPEL: the consumer's own pending entries after `after`. */
function serveHistory(ctx: CommandContext, s: Stream, after: StreamId, count: number, g: GroupRead): Reply[] {
  const out: Reply[] = [];
  if (after === MAX_ID) return out;
  const start = after + 1n;
  for (const id of g.consumer.pending) {
    if (id < start) continue;
    if (count && out.length >= count) break;
    const e = findEntry(s, id);
    if (e) {
      out.push(entryReply(e));
      const nack = g.group.pending.get(id);
      if (nack) {
        nack.deliveryTime = ctx.now;
        nack.deliveryCount++;
      }
    } else {
      // Deleted meanwhile: the ID with a null entry.
      out.push([formatStreamId(id), NULL_ARRAY]);
    }
  }
  return out;
}

/** The consumer, created (and, with NOACK, its creation propagated) when missing. */
function consumerFor(ctx: CommandContext, group: ConsumerGroup, key: string, groupName: string, name: string, noack: boolean, ops: string[][]): StreamConsumer {
  let consumer = lookupConsumer(ctx, group, name);
  if (!consumer) {
    consumer = createConsumer(ctx, group, name, key)!;
    if (noack) ops.push(['XGROUP', 'CREATECONSUMER', key, groupName, name]);
  }
  return consumer;
}

function replyFor(ctx: CommandContext, items: Array<[string, Reply[]]>): Reply {
  if (ctx.client.protocol === 2) return items.map(([k, v]) => [k, v]);
  return new MapReply(items);
}

function finishGroupOps(ctx: CommandContext, ops: string[][]): void {
  if (ops.length > 0) ctx.dirty++;
  // The command itself never propagates: only the XCLAIM / XGROUP ops it caused (Redis's preventCommandPropagation).
  ctx.rewrite(...ops);
}

/** A blocked client's run after one of its keys was touched (serveClientsBlockedOnStreamKey). */
function serveBlocked(ctx: CommandContext, argv: string[], o: ReadOptions): HandlerResult {
  const count = o.count || BLOCKED_DEFAULT_COUNT;
  const keys = argv.slice(o.streamsArg, o.streamsArg + o.streamsCount);
  const ops: string[][] = [];
  try {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const v = ctx.lookupWrite(key);
      if (!(v instanceof Stream)) {
        if (o.group !== null) return new ErrorReply('UNBLOCKED the stream key no longer exists');
        continue;
      }
      let gt: StreamId;
      let g: GroupRead | null = null;
      if (o.group !== null) {
        const group = v.groups.get(o.group);
        if (!group) return new ErrorReply('NOGROUP the consumer group this client was blocked on no longer exists');
        gt = group.lastId;
        if (v.lastId > gt) {
          const consumer = consumerFor(ctx, group, key, o.group, o.consumer!, o.noack, ops);
          g = { key, groupName: o.group, group, consumer, noack: o.noack, ops };
        }
      } else {
        gt = parseStrictId(argv[o.streamsArg + o.streamsCount + i]);
      }
      if (v.lastId > gt) return replyFor(ctx, [[key, serveRange(ctx, v, gt, count, g)]]);
    }
  } finally {
    finishGroupOps(ctx, ops);
  }
  return new BlockRequest(keys, ctx.client.blocked!.deadline, NULL_ARRAY);
}

function xread(ctx: CommandContext, argv: string[], xreadgroup: boolean): HandlerResult {
  const o = parseReadOptions(argv, xreadgroup);
  if (ctx.client.blocked !== null) return serveBlocked(ctx, argv, o);
  const n = o.streamsCount;
  const ids: StreamId[] = [];
  const groups: ConsumerGroup[] = [];
  const resolved = argv.slice();
  for (let i = o.streamsArg + n; i < argv.length; i++) {
    const idx = i - o.streamsArg - n;
    const key = argv[i - n];
    const s = ctx.readStream(key);
    if (o.group !== null) {
      const group = s?.groups.get(o.group);
      if (!group) {
        throw new CommandError(`NOGROUP No such key '${key}' or consumer group '${o.group}' in XREADGROUP with GROUP option`);
      }
      groups[idx] = group;
    }
    if (argv[i] === '$') {
      if (xreadgroup) {
        throw new CommandError(
          'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
        );
      }
      ids[idx] = s ? s.lastId : 0n;
      resolved[i] = formatStreamId(ids[idx]);
    } else if (argv[i] === '>') {
      if (!xreadgroup) {
        throw new CommandError('ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.');
      }
      ids[idx] = MAX_ID;
    } else {
      ids[idx] = parseStrictId(argv[i]);
    }
  }

  const items: Array<[string, Reply[]]> = [];
  const ops: string[][] = [];
  for (let i = 0; i < n; i++) {
    const key = argv[o.streamsArg + i];
    const s = ctx.lookupRead(key) as Stream | undefined;
    if (s === undefined) continue;
    let gt = ids[i];
    let serve = false;
    let history = false;
    if (o.group !== null) {
      if (gt !== MAX_ID) {
        serve = true;
        history = true;
      } else if (s.length && lastValidId(s) > groups[i].lastId) {
        serve = true;
        gt = groups[i].lastId;
      }
    } else if (s.length && lastValidId(s) > gt) {
      serve = true;
    }
    if (!serve) continue;
    if (o.group !== null) {
      const consumer = consumerFor(ctx, groups[i], key, o.group, o.consumer!, o.noack, ops);
      const g: GroupRead = { key, groupName: o.group, group: groups[i], consumer, noack: o.noack, ops };
      items.push([key, history ? serveHistory(ctx, s, gt, o.count, g) : serveRange(ctx, s, gt, o.count, g)]);
      ctx.dirty++;
    } else {
      items.push([key, serveRange(ctx, s, gt, o.count, null)]);
    }
  }
  finishGroupOps(ctx, ops);
  if (items.length > 0) return replyFor(ctx, items);
  if (o.timeout !== -1) {
    const deadline = o.timeout > 0 ? ctx.now + o.timeout : 0;
    return new BlockRequest(argv.slice(o.streamsArg, o.streamsArg + n), deadline, NULL_ARRAY, undefined, resolved);
  }
  return NULL_ARRAY;
}

/** Redis's xreadGetKeys: the keys after STREAMS (half of what follows it). */
function xreadKeys(argv: string[]): number[] {
  let streamsPos = -1;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i].toLowerCase();
    if (a === 'block' || a === 'count') i++;
    else if (a === 'group') i += 2;
    else if (a === 'noack') continue;
    else if (a === 'streams') {
      streamsPos = i;
      break;
    } else break;
  }
  const num = argv.length - streamsPos - 1;
  if (streamsPos === -1 || num === 0 || num % 2 !== 0) return [];
  const out: number[] = [];
  for (let i = streamsPos + 1; i < argv.length - num / 2; i++) out.push(i);
  return out;
}

/** XREAD and XREADGROUP. */
export const streamReadCommands: CommandSpec[] = [
  command({
    name: 'xread',
    arity: -4,
    flags: ['readonly', 'blocking'],
    group: 'stream',
    summary:
      'Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.',
    since: '5.0.0',
    getKeys: xreadKeys,
    handler: (ctx, argv) => xread(ctx, argv, false),
  }),
  command({
    name: 'xreadgroup',
    arity: -7,
    flags: ['write', 'blocking'],
    group: 'stream',
    summary:
      'Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.',
    since: '5.0.0',
    getKeys: xreadKeys,
    handler: (ctx, argv) => xread(ctx, argv, true),
  }),
];
