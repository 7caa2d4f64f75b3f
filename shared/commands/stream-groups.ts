/**
 * Consumer groups (Redis 7.0's t_stream.c): XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM. Their propagation is
 * Redis's: XCLAIM/XAUTOCLAIM never propagate as sent but as one idempotent XCLAIM per PEL change (plus an
 * XGROUP SETID when only the group's last ID moved).
 */
import type { CommandContext } from '../engine/command-context.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import { Notify } from '../engine/keyspace-events.js';
import { blockKey } from '../engine/server-core.js';
import { CommandError } from '../errors.js';
import { NULL_ARRAY, OK, type Reply } from '../resp/reply.js';
import { Stream, U64_MAX, formatStreamId, type ConsumerGroup, type PendingEntry, type StreamConsumer, type StreamId } from '../store/stream.js';
import { helpReply, subcommandSyntaxError } from './help-reply.js';
import { parseInteger } from './parse.js';
import {
  INVALID_ENTRIES_READ,
  byName,
  createConsumer,
  dropPending,
  entryReply,
  findEntry,
  lookupConsumer,
  parseId,
  parseRangeBound,
  parseStrictId,
  pelAdd,
  pelSet,
  setidPropagation,
  xclaimPropagation,
} from './stream-util.js';

const NEED_KEY =
  'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.';

/** Parses XGROUP's options, looks the key and group up; returns them (Redis's xgroupCommand preamble). */
function xgroupPreamble(ctx: CommandContext, argv: string[]): { s: Stream | undefined; group: ConsumerGroup | undefined; mkstream: boolean; entriesRead: number } {
  const sub = argv[1].toLowerCase();
  let mkstream = false;
  let entriesRead = INVALID_ENTRIES_READ;
  for (let i = 5; i < argv.length; ) {
    if (sub === 'create' && argv[i].toLowerCase() === 'mkstream') {
      mkstream = true;
      i++;
    } else if ((sub === 'create' || sub === 'setid') && argv[i].toLowerCase() === 'entriesread' && i + 1 < argv.length) {
      entriesRead = parseInteger(argv[i + 1]);
      if (entriesRead < 0 && entriesRead !== INVALID_ENTRIES_READ) throw new CommandError('ERR value for ENTRIESREAD must be positive or -1');
      i += 2;
    } else {
      throw subcommandSyntaxError(argv);
    }
  }
  const s = ctx.writeStream(argv[2]);
  let group: ConsumerGroup | undefined;
  if (!mkstream) {
    if (!s) throw new CommandError(NEED_KEY);
    group = s.groups.get(argv[3]);
    if (!group && sub !== 'create' && sub !== 'destroy') {
      throw new CommandError(`NOGROUP No such consumer group '${argv[3]}' for key name '${argv[2]}'`);
    }
  } else {
    group = s?.groups.get(argv[3]);
  }
  return { s, group, mkstream, entriesRead };
}

function xgroupCreate(ctx: CommandContext, argv: string[]): Reply {
  const p = xgroupPreamble(ctx, argv);
  if (argv.length > 8) throw subcommandSyntaxError(argv);
  const key = argv[2];
  let id: StreamId;
  if (argv[4] === '$') id = p.s ? p.s.lastId : 0n;
  else id = parseStrictId(argv[4]);
  let s = p.s;
  if (!s) {
    s = new Stream();
    ctx.db.dict.set(key, s);
    ctx.created(key);
    ctx.modified(key);
  }
  if (s.groups.has(argv[3])) throw new CommandError('BUSYGROUP Consumer Group name already exists');
  s.groups.set(argv[3], { name: argv[3], lastId: id, entriesRead: p.entriesRead, pending: new Map(), consumers: new Map() });
  ctx.dirty++;
  ctx.notify(Notify.STREAM, 'xgroup-create', key);
  return OK;
}

function xgroupSetid(ctx: CommandContext, argv: string[]): Reply {
  const p = xgroupPreamble(ctx, argv);
  if (argv.length !== 5 && argv.length !== 7) throw subcommandSyntaxError(argv);
  const id = argv[4] === '$' ? p.s!.lastId : parseId(argv[4], 0n, false).id;
  const group = p.group!;
  group.lastId = id;
  group.entriesRead = p.entriesRead;
  ctx.dirty++;
  ctx.notify(Notify.STREAM, 'xgroup-setid', argv[2]);
  return OK;
}

function xgroupDestroy(ctx: CommandContext, argv: string[]): Reply {
  const p = xgroupPreamble(ctx, argv);
  if (!p.group) return 0;
  p.s!.groups.delete(argv[3]);
  ctx.dirty++;
  ctx.notify(Notify.STREAM, 'xgroup-destroy', argv[2]);
  // Redis wakes XREADGROUP clients blocked on the key (they get -NOGROUP) without reporting a key change.
  // Waking is only possible through a key change here: report one only when someone is blocked on it.
  if (ctx.core.blockedOn.has(blockKey(ctx.db.id, argv[2]))) ctx.core.signalModifiedKey(ctx.db.id, argv[2]);
  return 1;
}

function xgroupCreateConsumer(ctx: CommandContext, argv: string[]): Reply {
  const p = xgroupPreamble(ctx, argv);
  return createConsumer(ctx, p.group!, argv[4], argv[2]) ? 1 : 0;
}

function xgroupDelConsumer(ctx: CommandContext, argv: string[]): Reply {
  const p = xgroupPreamble(ctx, argv);
  const group = p.group!;
  const consumer = lookupConsumer(ctx, group, argv[4], false);
  if (!consumer) return 0;
  const pending = consumer.pending.size;
  for (const id of consumer.pending) group.pending.delete(id);
  group.consumers.delete(argv[4]);
  ctx.dirty++;
  ctx.notify(Notify.STREAM, 'xgroup-delconsumer', argv[2]);
  return pending;
}

const XGROUP_HELP = [
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
];

/** XACK key group id [id ...] */
function xack(ctx: CommandContext, argv: string[]): Reply {
  const s = ctx.readStream(argv[1]);
  const group = s?.groups.get(argv[2]);
  if (!group) return 0;
  const ids = argv.slice(3).map((a) => parseStrictId(a));
  let acked = 0;
  for (const id of ids) {
    if (group.pending.has(id)) {
      dropPending(group, id);
      acked++;
      ctx.dirty++;
    }
  }
  return acked;
}

/** XPENDING key group [[IDLE min-idle-time] start end count [consumer]] */
function xpending(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  const groupName = argv[2];
  if (argv.length !== 3 && (argv.length < 6 || argv.length > 9)) throw new CommandError('ERR syntax error');
  let start: StreamId = 0n;
  let end: StreamId = 0n;
  let count = 0;
  let minIdle = 0;
  let consumerName: string | null = null;
  if (argv.length >= 6) {
    let startIdx = 3;
    if (argv[3].toLowerCase() === 'idle') {
      minIdle = parseInteger(argv[4]);
      if (argv.length < 8) throw new CommandError('ERR syntax error');
      startIdx += 2;
    }
    count = parseInteger(argv[startIdx + 2]);
    if (count < 0) count = 0;
    start = parseRangeBound(argv[startIdx], 0n, true);
    end = parseRangeBound(argv[startIdx + 1], U64_MAX, false);
    if (startIdx + 3 < argv.length) consumerName = argv[startIdx + 3];
  }
  const s = ctx.readStream(key);
  const group = s?.groups.get(groupName);
  if (!group) throw new CommandError(`NOGROUP No such key '${key}' or consumer group '${groupName}'`);
  if (argv.length === 3) {
    if (group.pending.size === 0) return [0, null, null, NULL_ARRAY];
    let first: StreamId | null = null;
    let last: StreamId = 0n;
    for (const id of group.pending.keys()) {
      if (first === null) first = id;
      last = id;
    }
    const consumers: Reply[] = [];
    for (const c of byName(group.consumers.values())) {
      if (c.pending.size > 0) consumers.push([c.name, String(c.pending.size)]);
    }
    return [group.pending.size, formatStreamId(first!), formatStreamId(last), consumers];
  }
  let ids: Iterable<StreamId>;
  if (consumerName !== null) {
    const consumer = lookupConsumer(ctx, group, consumerName, false);
    if (!consumer) return [];
    ids = consumer.pending;
  } else {
    ids = group.pending.keys();
  }
  const out: Reply[] = [];
  for (const id of ids) {
    if (count === 0) break;
    if (id < start) continue;
    if (id > end) break;
    const nack = group.pending.get(id)!;
    if (minIdle && ctx.now - nack.deliveryTime < minIdle) continue;
    count--;
    out.push([formatStreamId(id), nack.consumer, Math.max(0, ctx.now - nack.deliveryTime), nack.deliveryCount]);
  }
  return out;
}

/** Gives a PEL entry to `consumer` (removing it from its previous owner). */
function assign(group: ConsumerGroup, id: StreamId, nack: PendingEntry, consumer: StreamConsumer, previous: string | null): void {
  if (previous !== consumer.name) {
    if (previous !== null) group.consumers.get(previous)?.pending.delete(id);
    pelAdd(consumer.pending, id);
    nack.consumer = consumer.name;
  }
}

/** XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id] */
function xclaim(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  const groupName = argv[2];
  const s = ctx.readStream(key);
  const group = s?.groups.get(groupName);
  if (!s || !group) throw new CommandError(`NOGROUP No such key '${key}' or consumer group '${groupName}'`);
  let minIdle = parseInteger(argv[4], 'ERR Invalid min-idle-time argument for XCLAIM');
  if (minIdle < 0) minIdle = 0;
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    try {
      ids.push(parseId(argv[j], 0n, true).id);
    } catch {
      break;
    }
  }
  const lastIdArg = j - 1;
  const now = ctx.now;
  let deliveryTime = -1;
  let retryCount = -1;
  let force = false;
  let justId = false;
  let lastId: StreamId = 0n;
  for (; j < argv.length; j++) {
    const moreargs = argv.length - 1 - j;
    const opt = argv[j].toLowerCase();
    if (opt === 'force') force = true;
    else if (opt === 'justid') justId = true;
    else if (opt === 'idle' && moreargs) {
      j++;
      deliveryTime = now - parseInteger(argv[j], 'ERR Invalid IDLE option argument for XCLAIM');
    } else if (opt === 'time' && moreargs) {
      j++;
      deliveryTime = parseInteger(argv[j], 'ERR Invalid TIME option argument for XCLAIM');
    } else if (opt === 'retrycount' && moreargs) {
      j++;
      retryCount = parseInteger(argv[j], 'ERR Invalid RETRYCOUNT option argument for XCLAIM');
    } else if (opt === 'lastid' && moreargs) {
      j++;
      lastId = parseStrictId(argv[j]);
    } else {
      throw new CommandError(`ERR Unrecognized XCLAIM option '${argv[j]}'`);
    }
  }
  let propagateLastId = false;
  if (lastId > group.lastId) {
    group.lastId = lastId;
    propagateLastId = true;
  }
  if (deliveryTime !== -1) {
    if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  } else {
    deliveryTime = now;
  }
  const ops: string[][] = [];
  const out: Reply[] = [];
  let consumer: StreamConsumer | undefined;
  for (let k = 5; k <= lastIdArg; k++) {
    const id = ids[k - 5];
    let nack = group.pending.get(id);
    if (!findEntry(s, id)) {
      if (nack) {
        ops.push(xclaimPropagation(key, group, groupName, argv[k], nack));
        propagateLastId = false;
        ctx.dirty++;
        dropPending(group, id);
      }
      continue;
    }
    let previous: string | null = nack ? nack.consumer : null;
    if (force && !nack) {
      // As streamCreateNACK: one delivery (so a plain FORCE claim counts two).
      nack = { consumer: '', deliveryTime: now, deliveryCount: 1 };
      pelSet(group.pending, id, nack);
      previous = null;
    }
    if (!nack) continue;
    if (previous !== null && minIdle && now - nack.deliveryTime < minIdle) continue;
    if (!consumer) consumer = lookupConsumer(ctx, group, argv[3]) ?? createConsumer(ctx, group, argv[3], key)!;
    nack.deliveryTime = deliveryTime;
    if (retryCount >= 0) nack.deliveryCount = retryCount;
    else if (!justId) nack.deliveryCount++;
    assign(group, id, nack, consumer, previous);
    out.push(justId ? formatStreamId(id) : entryReply(findEntry(s, id)!));
    ops.push(xclaimPropagation(key, group, groupName, argv[k], nack));
    propagateLastId = false;
    ctx.dirty++;
  }
  if (propagateLastId) {
    ops.push(setidPropagation(key, group, groupName));
    ctx.dirty++;
  }
  ctx.rewrite(...ops);
  return out;
}

/** XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID] */
function xautoclaim(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  const groupName = argv[2];
  let minIdle = parseInteger(argv[4], 'ERR Invalid min-idle-time argument for XAUTOCLAIM');
  if (minIdle < 0) minIdle = 0;
  const start = parseRangeBound(argv[5], 0n, true);
  let count = 100;
  let justId = false;
  for (let j = 6; j < argv.length; j++) {
    const moreargs = argv.length - 1 - j;
    const opt = argv[j].toLowerCase();
    if (opt === 'count' && moreargs) {
      // LONG_MAX / max(sizeof(streamID), attempts_factor): 2^63-1 / 16.
      let n: number;
      try {
        n = parseInteger(argv[j + 1]);
      } catch {
        throw new CommandError('ERR COUNT must be > 0');
      }
      if (n < 1 || BigInt(argv[j + 1]) > 576460752303423487n) throw new CommandError('ERR COUNT must be > 0');
      count = n;
      j++;
    } else if (opt === 'justid') {
      justId = true;
    } else {
      throw new CommandError('ERR syntax error');
    }
  }
  const s = ctx.readStream(key);
  const group = s?.groups.get(groupName);
  if (!s || !group) throw new CommandError(`NOGROUP No such key '${key}' or consumer group '${groupName}'`);
  let attempts = count * 10;
  const now = ctx.now;
  const ops: string[][] = [];
  const claimed: Reply[] = [];
  const deleted: Reply[] = [];
  let consumer: StreamConsumer | undefined;
  const ids = [...group.pending.keys()].filter((id) => id >= start);
  let k = 0;
  while (attempts-- && count && k < ids.length) {
    const id = ids[k++];
    const nack = group.pending.get(id)!;
    if (!findEntry(s, id)) {
      ops.push(xclaimPropagation(key, group, groupName, formatStreamId(id), nack));
      ctx.dirty++;
      dropPending(group, id);
      deleted.push(formatStreamId(id));
      count--;
      continue;
    }
    if (minIdle && now - nack.deliveryTime < minIdle) continue;
    if (!consumer) consumer = lookupConsumer(ctx, group, argv[3]) ?? createConsumer(ctx, group, argv[3], key)!;
    const previous = nack.consumer;
    nack.deliveryTime = now;
    if (!justId) nack.deliveryCount++;
    assign(group, id, nack, consumer, previous);
    claimed.push(justId ? formatStreamId(id) : entryReply(findEntry(s, id)!));
    count--;
    ops.push(xclaimPropagation(key, group, groupName, formatStreamId(id), nack));
    ctx.dirty++;
  }
  const next = k < ids.length ? formatStreamId(ids[k]) : '0-0';
  ctx.rewrite(...ops);
  return [next, claimed, deleted];
}

function sub(name: string, arity: number, flags: CommandSpec['flags'], summary: string, since: string, handler: CommandSpec['handler']): CommandSpec {
  return command({ name, arity, flags, group: 'stream', firstKey: 2, lastKey: 2, step: 1, summary, since, handler });
}

/** XGROUP (with its subcommands), XACK, XPENDING, XCLAIM, XAUTOCLAIM. */
export const streamGroupCommands: CommandSpec[] = [
  command({
    name: 'xgroup',
    arity: -2,
    group: 'stream',
    summary: 'A container for consumer groups commands',
    since: '5.0.0',
    subcommands: [
      sub('create', -5, ['write', 'denyoom'], 'Create a consumer group.', '5.0.0', xgroupCreate),
      sub('setid', -5, ['write'], 'Set a consumer group to an arbitrary last delivered ID value.', '5.0.0', xgroupSetid),
      sub('destroy', 4, ['write'], 'Destroy a consumer group.', '5.0.0', xgroupDestroy),
      sub('createconsumer', 5, ['write', 'denyoom'], 'Create a consumer in a consumer group.', '6.2.0', xgroupCreateConsumer),
      sub('delconsumer', 5, ['write'], 'Delete a consumer from a consumer group.', '5.0.0', xgroupDelConsumer),
      command({
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        group: 'stream',
        summary: 'Show helpful text about the different subcommands',
        since: '5.0.0',
        handler: (_ctx, argv) => helpReply(argv[0], XGROUP_HELP),
      }),
    ],
  }),
  command({
    name: 'xack',
    arity: -4,
    flags: ['write', 'fast'],
    group: 'stream',
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary: 'Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.',
    since: '5.0.0',
    handler: xack,
  }),
  command({
    name: 'xpending',
    arity: -3,
    flags: ['readonly'],
    group: 'stream',
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary: 'Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.',
    since: '5.0.0',
    handler: xpending,
  }),
  command({
    name: 'xclaim',
    arity: -6,
    flags: ['write', 'fast'],
    group: 'stream',
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary: 'Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.',
    since: '5.0.0',
    handler: xclaim,
  }),
  command({
    name: 'xautoclaim',
    arity: -6,
    flags: ['write', 'fast'],
    group: 'stream',
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary: 'Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.',
    since: '6.2.0',
    handler: xautoclaim,
  }),
];
