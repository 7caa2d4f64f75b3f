import { command, type CommandSpec } from '../engine/command-spec.js';
import { CommandError } from '../errors.js';
import { OK } from '../resp/reply.js';
import { helpReply } from './command-docs.js';

const ADMIN = ['admin', 'loading', 'stale'] as const;

/** SLOWLOG GET [count] | LEN | RESET | HELP (Redis 7.0's replies and errors); the log itself is core.slowlog. */
export const slowlogCommands: CommandSpec[] = [
  command({
    name: 'slowlog',
    arity: -2,
    group: 'server',
    summary: 'A container for slow log commands',
    since: '2.2.12',
    subcommands: [
      command({
        name: 'get',
        arity: -2,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Get the slow log\'s entries',
        since: '2.2.12',
        handler: (ctx, argv) => {
          let count = 10;
          if (argv.length === 3) {
            count = /^(0|-?[1-9]\d{0,18})$/.test(argv[2]) ? Number(argv[2]) : NaN;
            if (!Number.isSafeInteger(count) || count < -1) throw new CommandError('ERR count should be greater than or equal to -1');
          } else if (argv.length > 3) {
            throw new CommandError("ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.");
          }
          return ctx.core.slowlog.reply(count);
        },
      }),
      command({
        name: 'len',
        arity: 2,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Get the slow log\'s length',
        since: '2.2.12',
        handler: (ctx) => ctx.core.slowlog.entries.length,
      }),
      command({
        name: 'reset',
        arity: 2,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Clear all entries from the slow log',
        since: '2.2.12',
        handler: (ctx) => {
          ctx.core.slowlog.reset();
          return OK;
        },
      }),
      command({
        name: 'help',
        arity: 2,
        group: 'server',
        flags: ['loading', 'stale'],
        summary: 'Show helpful text about the different subcommands',
        since: '6.2.0',
        handler: (_ctx, argv) =>
          helpReply(argv[0], [
            'GET [<count>]',
            '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
            '    Entries are made of:',
            '    id, timestamp, time in microseconds, arguments array, client IP and port,',
            '    client name',
            'LEN',
            '    Return the length of the slowlog.',
            'RESET',
            '    Reset the slowlog.',
          ]),
      }),
    ],
  }),
];
