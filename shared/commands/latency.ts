import { command, type CommandSpec } from '../engine/command-spec.js';
import { latencyReport } from '../engine/latency-monitor.js';
import { VerbatimReply } from '../resp/reply.js';
import { helpReply } from './command-docs.js';

const ADMIN = ['admin', 'noscript', 'loading', 'stale'] as const;

/**
 * LATENCY LATEST | HISTORY | RESET | DOCTOR | HELP (Redis 7.0's replies); the samples are core.latency, fed by
 * call(). GRAPH and HISTOGRAM are not implemented: they answer as any unknown subcommand.
 */
export const latencyCommands: CommandSpec[] = [
  command({
    name: 'latency',
    arity: -2,
    group: 'server',
    summary: 'A container for latency diagnostics commands',
    since: '2.8.13',
    subcommands: [
      command({
        name: 'latest',
        arity: 2,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Return the latest latency samples for all events.',
        since: '2.8.13',
        handler: (ctx) => ctx.core.latency.latest(),
      }),
      command({
        name: 'history',
        arity: 3,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Return timestamp-latency samples for the event.',
        since: '2.8.13',
        handler: (ctx, argv) => ctx.core.latency.history(argv[2]),
      }),
      command({
        name: 'reset',
        arity: -2,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Reset latency data for one or more events.',
        since: '2.8.13',
        handler: (ctx, argv) => {
          if (argv.length === 2) return ctx.core.latency.reset();
          let resets = 0;
          for (let j = 2; j < argv.length; j++) resets += ctx.core.latency.reset(argv[j]);
          return resets;
        },
      }),
      command({
        name: 'doctor',
        arity: 2,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Return a human readable latency analysis report.',
        since: '2.8.13',
        handler: (ctx) =>
          new VerbatimReply(
            'txt',
            latencyReport(ctx.core.latency, {
              threshold: ctx.core.latencyThreshold,
              slowlogThreshold: ctx.core.slowlogThreshold,
              now: Math.floor(ctx.now / 1000),
            }),
          ),
      }),
      command({
        name: 'help',
        arity: 2,
        group: 'server',
        flags: ['loading', 'stale'],
        summary: 'Show helpful text about the different subcommands.',
        since: '2.8.13',
        // Redis 7.0.15's text verbatim, though GRAPH and HISTOGRAM are not implemented here.
        handler: (_ctx, argv) =>
          helpReply(argv[0], [
            'DOCTOR',
            '    Return a human readable latency analysis report.',
            'GRAPH <event>',
            '    Return an ASCII latency graph for the <event> class.',
            'HISTORY <event>',
            '    Return time-latency samples for the <event> class.',
            'LATEST',
            '    Return the latest latency samples for all events.',
            'RESET [<event> ...]',
            '    Reset latency data of one or more <event> classes.',
            '    (default: reset all data for all event classes)',
            'HISTOGRAM [COMMAND ...]',
            '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
            '    If no commands are specified then all histograms are replied.',
          ]),
      }),
    ],
  }),
];
