import { CommandError, NOT_INTEGER, SYNTAX } from '../errors.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import type { ServerCore } from '../engine/server-core.js';
import { DEFAULT_SAMPLES, keySize } from '../engine/object-size.js';
import { DoubleReply, MapReply, OK, SimpleString, type Reply } from '../resp/reply.js';
import { parseInteger } from './parse.js';

const HELP = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
  'HELP',
  '    Prints this help.',
];

/** MEMORY DOCTOR's answer below 5 MB, Redis's text. */
const DOCTOR_EMPTY =
  "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const DOCTOR_OK =
  'Hi Sam, I can\'t find any memory issue in your instance. I can only account for what occurs on this base.\n';

function sub(name: string, arity: number, flags: CommandSpec['flags'], summary: string, handler: CommandSpec['handler'], keys = false): CommandSpec {
  return command({
    name,
    arity,
    group: 'server',
    flags,
    summary,
    since: '4.0.0',
    ...(keys ? { firstKey: 2, lastKey: 2, step: 1 } : {}),
    handler,
  });
}

/**
 * MEMORY: USAGE estimates a key as Redis 7.0 would allocate it (shared/engine/object-size.ts: jemalloc size
 * classes and Redis's encodings, aggregates sampled), the same figures maxmemory counts. STATS reports the
 * dataset in those terms; there is no allocator to report on or purge.
 */
export const memoryCommands: CommandSpec[] = [
  command({
    name: 'memory',
    arity: -2,
    group: 'server',
    summary: 'A container for memory diagnostics commands',
    since: '4.0.0',
    subcommands: [
      sub(
        'usage',
        -3,
        ['readonly'],
        'Estimate the memory usage of a key',
        (ctx, argv) => {
          let samples = DEFAULT_SAMPLES;
          for (let i = 3; i < argv.length; i++) {
            if (argv[i].toLowerCase() === 'samples' && i + 1 < argv.length) {
              const n = parseInteger(argv[++i]);
              if (n === null) throw new CommandError(NOT_INTEGER);
              if (n < 0) throw new CommandError(SYNTAX);
              samples = n === 0 ? 0 : Math.min(n, Number.MAX_SAFE_INTEGER);
            } else {
              throw new CommandError(SYNTAX);
            }
          }
          // As Redis: a straight dict lookup, so a logically expired key not yet deleted is still measured.
          const key = argv[2];
          const v = ctx.db.dict.get(key);
          if (v === undefined) return null;
          return keySize(key, v, samples);
        },
        true,
      ),
      sub('stats', 2, [], 'Show memory usage details', (ctx) => memoryStats(ctx.core)),
      sub('doctor', 2, [], 'Outputs memory problems report', (ctx) =>
        ctx.core.memory.used() < 5 * 1024 * 1024 ? DOCTOR_EMPTY : DOCTOR_OK,
      ),
      sub('malloc-stats', 2, [], 'Show allocator internal stats', () => 'Stats not supported for the current allocator'),
      sub('purge', 2, [], 'Ask the allocator to release memory', () => OK),
      command({
        name: 'help',
        arity: 2,
        group: 'server',
        flags: ['loading', 'stale'],
        summary: 'Show helpful text about the different subcommands',
        since: '4.0.0',
        handler: () => HELP.map((line) => new SimpleString(line)),
      }),
    ],
  }),
];

/** MEMORY STATS with Redis's field names; allocated bytes are the dataset estimate maxmemory counts. */
function memoryStats(core: ServerCore): Reply {
  const dataset = core.memory.used();
  let keys = 0;
  const perDb: Array<[string, Reply]> = [];
  for (const db of core.dbs) {
    if (db.dict.size === 0) continue;
    keys += db.dict.size;
    perDb.push([
      `db.${db.id}`,
      new MapReply([
        ['overhead.hashtable.main', db.dict.size * 32],
        ['overhead.hashtable.expires', db.expires.size * 32],
      ]),
    ]);
  }
  const total = dataset;
  return new MapReply([
    ['peak.allocated', total],
    ['total.allocated', total],
    ['startup.allocated', 0],
    ['replication.backlog', 0],
    ['clients.slaves', 0],
    ['clients.normal', 0],
    ['cluster.links', 0],
    ['aof.buffer', 0],
    ['lua.caches', 0],
    ['functions.caches', 0],
    ...perDb,
    ['overhead.total', 0],
    ['keys.count', keys],
    ['keys.bytes-per-key', keys > 0 ? Math.floor(total / keys) : 0],
    ['dataset.bytes', dataset],
    ['dataset.percentage', new DoubleReply(total > 0 ? 100 : 0)],
    ['peak.percentage', new DoubleReply(100)],
  ]);
}
