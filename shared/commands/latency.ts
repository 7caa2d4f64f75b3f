import type { CommandContext } from '../engine/command-context.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import { latencyGraph } from '../engine/latency-graph.js';
import type { LatencyHistogram } from '../engine/latency-histogram.js';
import { latencyReport } from '../engine/latency-monitor.js';
import { CommandError } from '../errors.js';
import { MapReply, VerbatimReply, type Reply } from '../resp/reply.js';
import { helpReply } from './command-docs.js';

const ADMIN = ['admin', 'noscript', 'loading', 'stale'] as const;

/** Redis's fillCommandCDF: {calls, histogram_usec: {bucket µs: cumulative count}}. */
function commandCdf(h: LatencyHistogram): Reply {
  return new MapReply([
    ['calls', h.totalCount],
    ['histogram_usec', new MapReply(h.cdf())],
  ]);
}

/**
 * LATENCY HISTOGRAM [command ...] (Redis's latencyAllCommandsFillCDF / latencySpecificCommandsFillCDF): one
 * entry per command (or subcommand, "config|get") with recorded calls. A named container also brings its
 * subcommands; unknown names are skipped. With no names every command is listed, in command-table order
 * (Redis follows its hash table's order).
 */
function histogram(ctx: CommandContext, argv: string[]): Reply {
  const histograms = ctx.core.latency.histograms;
  const entries: Array<[Reply, Reply]> = [];
  const add = (fullName: string) => {
    const h = histograms.get(fullName);
    if (h !== undefined) entries.push([fullName, commandCdf(h)]);
  };
  const addWithSubcommands = (spec: CommandSpec, fullName: string) => {
    add(fullName);
    for (const sub of spec.subcommands ?? []) add(`${fullName}|${sub.name}`);
  };
  if (argv.length === 2) {
    for (const spec of ctx.core.commands.values()) addWithSubcommands(spec, spec.name);
    return new MapReply(entries);
  }
  for (let j = 2; j < argv.length; j++) {
    // lookupCommandBySds: "name" or "name|sub", case-insensitive; deeper paths are never commands.
    const parts = argv[j].toLowerCase().split('|');
    if (parts.length > 2) continue;
    const spec = ctx.core.commands.get(parts[0]);
    if (spec === undefined) continue;
    if (parts.length === 1) {
      addWithSubcommands(spec, spec.name);
    } else {
      const sub = spec.subcommands?.find((s) => s.name === parts[1]);
      if (sub !== undefined) add(`${spec.name}|${sub.name}`);
    }
  }
  return new MapReply(entries);
}

/**
 * LATENCY LATEST | HISTORY | GRAPH | RESET | DOCTOR | HISTOGRAM | HELP (Redis 7.0's replies); the samples are
 * core.latency, fed by call().
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
        name: 'graph',
        arity: 3,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Return a latency graph for the event.',
        since: '2.8.13',
        handler: (ctx, argv) => {
          const ts = ctx.core.latency.series(argv[2]);
          if (ts === undefined) throw new CommandError(`ERR No samples available for event '${argv[2]}'`);
          return new VerbatimReply('txt', latencyGraph(argv[2], ts, Math.floor(ctx.now / 1000)));
        },
      }),
      command({
        name: 'histogram',
        arity: -2,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Return the cumulative distribution of latencies of a subset of commands or all.',
        since: '7.0.0',
        handler: histogram,
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
