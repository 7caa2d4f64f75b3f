import { helpReply } from './help-reply.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import type { CommandContext } from '../engine/command-context.js';
import { globMatch } from '../glob.js';
import { NO_REPLY, PushReply, SimpleString, type Reply } from '../resp/reply.js';

const PUBSUB_FLAGS = ['pubsub', 'noscript', 'loading', 'stale'] as const;

function subscriptions(ctx: CommandContext): number {
  return ctx.client.channels.size + ctx.client.patterns.size;
}

function confirm(ctx: CommandContext, kind: string, name: string | null): void {
  ctx.client.reply(new PushReply([kind, name, subscriptions(ctx)]));
}

/** Shard channel confirmations count shard subscriptions only (Redis 7.0). */
function confirmShard(ctx: CommandContext, kind: string, name: string | null): void {
  ctx.client.reply(new PushReply([kind, name, ctx.client.shardChannels.size]));
}

/**
 * SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB, and Redis 7's sharded Pub/Sub (SSUBSCRIBE,
 * SUNSUBSCRIBE, SPUBLISH): shard channels are routed like keys in cluster mode and reach only the nodes of the
 * shard serving the channel's slot.
 */
export const pubsubCommands: CommandSpec[] = [
  command({
    name: 'ssubscribe',
    arity: -2,
    group: 'pubsub',
    flags: [...PUBSUB_FLAGS],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    summary: 'Listens for messages published to shard channels.',
    since: '7.0.0',
    handler: (ctx, argv) => {
      for (const ch of argv.slice(1)) {
        if (!ctx.client.shardChannels.has(ch)) {
          ctx.client.shardChannels.add(ch);
          ctx.core.addSubscriber(ctx.core.shardChannels, ch, ctx.client);
        }
        confirmShard(ctx, 'ssubscribe', ch);
      }
      return NO_REPLY;
    },
  }),
  command({
    name: 'sunsubscribe',
    arity: -1,
    group: 'pubsub',
    flags: [...PUBSUB_FLAGS],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    summary: 'Stops listening to messages posted to shard channels.',
    since: '7.0.0',
    handler: (ctx, argv) => {
      const names = argv.length > 1 ? argv.slice(1) : [...ctx.client.shardChannels];
      if (names.length === 0) confirmShard(ctx, 'sunsubscribe', null);
      for (const ch of names) {
        if (ctx.client.shardChannels.delete(ch)) ctx.core.removeSubscriber(ctx.core.shardChannels, ch, ctx.client);
        confirmShard(ctx, 'sunsubscribe', ch);
      }
      return NO_REPLY;
    },
  }),
  command({
    name: 'spublish',
    arity: 3,
    group: 'pubsub',
    flags: ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary: 'Post a message to a shard channel',
    since: '7.0.0',
    handler: (ctx, argv) => {
      const n = ctx.core.publishShard(argv[1], argv[2]);
      if (ctx.core.cluster) {
        // The bus carries it to the other nodes of this shard only.
        ctx.core.cluster.publishShard(argv[1], argv[2]);
        return n;
      }
      ctx.dirty++;
      return n;
    },
  }),
  command({
    name: 'subscribe',
    arity: -2,
    group: 'pubsub',
    flags: [...PUBSUB_FLAGS],
    summary: 'Listens for messages published to channels.',
    since: '2.0.0',
    handler: (ctx, argv) => {
      for (const ch of argv.slice(1)) {
        if (!ctx.client.channels.has(ch)) {
          ctx.client.channels.add(ch);
          ctx.core.addSubscriber(ctx.core.channels, ch, ctx.client);
        }
        confirm(ctx, 'subscribe', ch);
      }
      return NO_REPLY;
    },
  }),
  command({
    name: 'psubscribe',
    arity: -2,
    group: 'pubsub',
    flags: [...PUBSUB_FLAGS],
    summary: 'Listens for messages published to channels that match patterns.',
    since: '2.0.0',
    handler: (ctx, argv) => {
      for (const p of argv.slice(1)) {
        if (!ctx.client.patterns.has(p)) {
          ctx.client.patterns.add(p);
          ctx.core.addSubscriber(ctx.core.patterns, p, ctx.client);
        }
        confirm(ctx, 'psubscribe', p);
      }
      return NO_REPLY;
    },
  }),
  command({
    name: 'unsubscribe',
    arity: -1,
    group: 'pubsub',
    flags: [...PUBSUB_FLAGS],
    summary: 'Stops listening to messages posted to channels.',
    since: '2.0.0',
    handler: (ctx, argv) => {
      const names = argv.length > 1 ? argv.slice(1) : [...ctx.client.channels];
      if (names.length === 0) confirm(ctx, 'unsubscribe', null);
      for (const ch of names) {
        if (ctx.client.channels.delete(ch)) ctx.core.removeSubscriber(ctx.core.channels, ch, ctx.client);
        confirm(ctx, 'unsubscribe', ch);
      }
      return NO_REPLY;
    },
  }),
  command({
    name: 'punsubscribe',
    arity: -1,
    group: 'pubsub',
    flags: [...PUBSUB_FLAGS],
    summary: 'Stops listening to messages published to channels that match patterns.',
    since: '2.0.0',
    handler: (ctx, argv) => {
      const names = argv.length > 1 ? argv.slice(1) : [...ctx.client.patterns];
      if (names.length === 0) confirm(ctx, 'punsubscribe', null);
      for (const p of names) {
        if (ctx.client.patterns.delete(p)) ctx.core.removeSubscriber(ctx.core.patterns, p, ctx.client);
        confirm(ctx, 'punsubscribe', p);
      }
      return NO_REPLY;
    },
  }),
  command({
    name: 'publish',
    arity: 3,
    group: 'pubsub',
    flags: ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'],
    summary: 'Posts a message to a channel.',
    since: '2.0.0',
    handler: (ctx, argv) => {
      const n = ctx.core.publish(argv[1], argv[2]);
      if (ctx.core.cluster) {
        // Cluster mode: the bus carries it to every node, replicas included, instead of the replication stream.
        ctx.core.cluster.publish(argv[1], argv[2]);
        return n;
      }
      // Redis propagates PUBLISH so subscribers on replicas get the message too.
      ctx.dirty++;
      return n;
    },
  }),
  command({
    name: 'pubsub',
    arity: -2,
    group: 'pubsub',
    summary: 'A container for Pub/Sub commands.',
    since: '2.8.0',
    subcommands: [
      command({
        name: 'channels',
        arity: -2,
        group: 'pubsub',
        flags: ['pubsub', 'loading', 'stale'],
        summary: 'Returns the active channels.',
        handler: (ctx, argv) => {
          const out: Reply[] = [];
          for (const ch of ctx.core.channels.keys()) if (argv.length < 3 || globMatch(argv[2], ch)) out.push(ch);
          return out;
        },
      }),
      command({
        name: 'numsub',
        arity: -2,
        group: 'pubsub',
        flags: ['pubsub', 'loading', 'stale'],
        summary: 'Returns a count of subscribers to channels.',
        handler: (ctx, argv) => {
          const out: Reply[] = [];
          for (const ch of argv.slice(2)) out.push(ch, ctx.core.channels.get(ch)?.size ?? 0);
          return out;
        },
      }),
      command({
        name: 'shardchannels',
        arity: -2,
        group: 'pubsub',
        flags: ['pubsub', 'loading', 'stale'],
        summary: 'Returns the active shard channels.',
        since: '7.0.0',
        handler: (ctx, argv) => {
          const out: Reply[] = [];
          for (const ch of ctx.core.shardChannels.keys()) if (argv.length < 3 || globMatch(argv[2], ch)) out.push(ch);
          return out;
        },
      }),
      command({
        name: 'shardnumsub',
        arity: -2,
        group: 'pubsub',
        flags: ['pubsub', 'loading', 'stale'],
        summary: 'Returns the count of subscribers of shard channels.',
        since: '7.0.0',
        handler: (ctx, argv) => {
          const out: Reply[] = [];
          for (const ch of argv.slice(2)) out.push(ch, ctx.core.shardChannels.get(ch)?.size ?? 0);
          return out;
        },
      }),
      command({
        name: 'numpat',
        arity: 2,
        group: 'pubsub',
        flags: ['pubsub', 'loading', 'stale'],
        summary: 'Returns a count of unique pattern subscriptions.',
        handler: (ctx) => ctx.core.patterns.size,
      }),
      command({
        name: 'help',
        arity: 2,
        group: 'pubsub',
        flags: ['loading', 'stale'],
        summary: 'Returns helpful text about the different subcommands.',
        handler: (_ctx, argv) =>
          helpReply(argv[0], [
            'CHANNELS [<pattern>]',
            "    Return the currently active channels matching a <pattern> (default: '*').",
            'NUMPAT',
            '    Return number of subscriptions to patterns.',
            'NUMSUB [<channel> ...]',
            '    Return the number of subscribers for the specified channels, excluding',
            '    pattern subscriptions(default: no channels).',
            'SHARDCHANNELS [<pattern>]',
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            'SHARDNUMSUB [<shardchannel> ...]',
            '    Return the number of subscribers for the specified shard level channel(s)',
          ]),
      }),
    ],
  }),
];
