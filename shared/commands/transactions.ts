import { CommandError } from '../errors.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import { execTransaction } from '../engine/dispatch.js';
import { OK } from '../resp/reply.js';

/** MULTI, EXEC, DISCARD, WATCH, UNWATCH. */
export const transactionCommands: CommandSpec[] = [
  command({
    name: 'multi',
    arity: 1,
    group: 'transactions',
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    summary: 'Starts a transaction.',
    since: '1.2.0',
    handler: (ctx) => {
      if (ctx.client.multi) throw new CommandError('ERR MULTI calls can not be nested');
      ctx.client.multi = { queue: [], aborted: false };
      return OK;
    },
  }),
  command({
    name: 'exec',
    arity: 1,
    group: 'transactions',
    flags: ['noscript', 'loading', 'stale', 'skip_slowlog'],
    summary: 'Executes all commands in a transaction.',
    since: '1.2.0',
    handler: (ctx) => execTransaction(ctx.core, ctx.client),
  }),
  command({
    name: 'discard',
    arity: 1,
    group: 'transactions',
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    summary: 'Discards a transaction.',
    since: '2.0.0',
    handler: (ctx) => {
      if (!ctx.client.multi) throw new CommandError('ERR DISCARD without MULTI');
      ctx.client.multi = null;
      ctx.core.unwatchAll(ctx.client);
      return OK;
    },
  }),
  command({
    name: 'watch',
    arity: -2,
    group: 'transactions',
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    summary: 'Monitors changes to keys to determine the execution of a transaction.',
    since: '2.2.0',
    handler: (ctx, argv) => {
      if (ctx.client.multi) throw new CommandError('ERR WATCH inside MULTI is not allowed');
      for (let i = 1; i < argv.length; i++) ctx.core.watch(ctx.client, argv[i]);
      return OK;
    },
  }),
  command({
    name: 'unwatch',
    arity: 1,
    group: 'transactions',
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    summary: 'Forgets about watched keys of a transaction.',
    since: '2.2.0',
    handler: (ctx) => {
      ctx.core.unwatchAll(ctx.client);
      return OK;
    },
  }),
];
