/**
 * XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS, XINFO HELP (Redis 7.0's xinfoCommand). Groups
 * and consumers are listed in byte order of their names, as Redis's radix trees hold them.
 */
import type { CommandContext } from '../engine/command-context.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import { CommandError, NO_SUCH_KEY } from '../errors.js';
import { MapReply, type Reply } from '../resp/reply.js';
import { radixTreeKeys, radixTreeNodes } from '../store/stream-nodes.js';
import { formatStreamId, type Stream } from '../store/stream.js';
import { helpReply, subcommandSyntaxError } from './help-reply.js';
import { parseInteger } from './parse.js';
import { rangeReply } from './streams.js';
import { INVALID_ENTRIES_READ, MAX_ID, byName, entryReply, groupLag, nodeLimits } from './stream-util.js';

function lookup(ctx: CommandContext, key: string): Stream {
  const s = ctx.readStream(key);
  if (!s) throw new CommandError(NO_SUCH_KEY);
  return s;
}

function entriesRead(n: number): Reply {
  return n !== INVALID_ENTRIES_READ ? n : null;
}

function xinfoStream(ctx: CommandContext, argv: string[]): Reply {
  // Redis looks the key up before it parses the options.
  const s = lookup(ctx, argv[2]);
  const opts = argv.slice(3);
  let full = false;
  let count = 10;
  if (opts.length > 0) {
    if ((opts.length !== 1 && opts.length !== 3) || opts[0].toLowerCase() !== 'full') throw subcommandSyntaxError(argv);
    full = true;
    if (opts.length === 3) {
      if (opts[1].toLowerCase() !== 'count') throw subcommandSyntaxError(argv);
      count = parseInteger(opts[2]);
      if (count < 0) count = 10;
    }
  }
  const limits = nodeLimits(ctx);
  const head: Array<[Reply, Reply]> = [
    ['length', s.length],
    ['radix-tree-keys', radixTreeKeys(s, limits)],
    ['radix-tree-nodes', radixTreeNodes(s, limits)],
    ['last-generated-id', formatStreamId(s.lastId)],
    ['max-deleted-entry-id', formatStreamId(s.maxDeletedId)],
    ['entries-added', s.entriesAdded],
    ['recorded-first-entry-id', formatStreamId(s.firstId)],
  ];
  if (!full) {
    const n = s.entries.length;
    return new MapReply([
      ...head,
      ['groups', s.groups.size],
      ['first-entry', n > 0 ? entryReply(s.entries[0]) : null],
      ['last-entry', n > 0 ? entryReply(s.entries[n - 1]) : null],
    ]);
  }
  const groups: Reply[] = [];
  for (const g of byName(s.groups.values())) {
    const pending: Reply[] = [];
    for (const [id, nack] of g.pending) {
      if (count && pending.length >= count) break;
      pending.push([formatStreamId(id), nack.consumer, nack.deliveryTime, nack.deliveryCount]);
    }
    const consumers: Reply[] = [];
    for (const c of byName(g.consumers.values())) {
      const cpel: Reply[] = [];
      for (const id of c.pending) {
        if (count && cpel.length >= count) break;
        const nack = g.pending.get(id)!;
        cpel.push([formatStreamId(id), nack.deliveryTime, nack.deliveryCount]);
      }
      consumers.push(
        new MapReply([
          ['name', c.name],
          ['seen-time', c.seenTime],
          ['pel-count', c.pending.size],
          ['pending', cpel],
        ]),
      );
    }
    groups.push(
      new MapReply([
        ['name', g.name],
        ['last-delivered-id', formatStreamId(g.lastId)],
        ['entries-read', entriesRead(g.entriesRead)],
        ['lag', groupLag(s, g)],
        ['pel-count', g.pending.size],
        ['pending', pending],
        ['consumers', consumers],
      ]),
    );
  }
  return new MapReply([...head, ['entries', rangeReply(s, 0n, MAX_ID, count, false)], ['groups', groups]]);
}

function xinfoGroups(ctx: CommandContext, argv: string[]): Reply {
  const s = lookup(ctx, argv[2]);
  return byName(s.groups.values()).map(
    (g) =>
      new MapReply([
        ['name', g.name],
        ['consumers', g.consumers.size],
        ['pending', g.pending.size],
        ['last-delivered-id', formatStreamId(g.lastId)],
        ['entries-read', entriesRead(g.entriesRead)],
        ['lag', groupLag(s, g)],
      ]),
  );
}

function xinfoConsumers(ctx: CommandContext, argv: string[]): Reply {
  const s = lookup(ctx, argv[2]);
  const g = s.groups.get(argv[3]);
  if (!g) throw new CommandError(`NOGROUP No such consumer group '${argv[3]}' for key name '${argv[2]}'`);
  return byName(g.consumers.values()).map(
    (c) =>
      new MapReply([
        ['name', c.name],
        ['pending', c.pending.size],
        ['idle', Math.max(0, ctx.now - c.seenTime)],
      ]),
  );
}

const XINFO_HELP = [
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
];

function sub(name: string, arity: number, summary: string, since: string, handler: CommandSpec['handler']): CommandSpec {
  return command({ name, arity, flags: ['readonly'], group: 'stream', firstKey: 2, lastKey: 2, step: 1, summary, since, handler });
}

/** XINFO and its subcommands. */
export const streamInfoCommands: CommandSpec[] = [
  command({
    name: 'xinfo',
    arity: -2,
    group: 'stream',
    summary: 'A container for stream introspection commands',
    since: '5.0.0',
    subcommands: [
      sub('stream', -3, 'Get information about a stream', '5.0.0', xinfoStream),
      sub('groups', 3, 'List the consumer groups of a stream', '5.0.0', xinfoGroups),
      sub('consumers', 4, 'List the consumers in a consumer group', '5.0.0', xinfoConsumers),
      command({
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        group: 'stream',
        summary: 'Show helpful text about the different subcommands',
        since: '5.0.0',
        handler: (_ctx, argv) => helpReply(argv[0], XINFO_HELP),
      }),
    ],
  }),
];
