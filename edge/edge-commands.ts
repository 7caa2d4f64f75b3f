import { allCommands } from '../shared/commands/index.js';
import type { CommandSpec } from '../shared/engine/command-spec.js';
import { configSetError } from '../shared/engine/config.js';
import { CommandError, SYNTAX } from '../shared/errors.js';
import { isWord } from '../shared/commands/parse.js';
import { replicationCommands } from '../shared/replication/replication-commands.js';
import { OK, SimpleString } from '../shared/resp/reply.js';
import { IMMUTABLE_ON_EDGE } from './edge-config.js';

/** What the persistence commands ask of the store object. */
export interface SnapshotControl {
  /** Writes a snapshot now, within this command (SAVE). */
  saveNow(): void;
  /** Starts a snapshot written over the next events; false when one is already being written (BGSAVE). */
  startBackgroundSave(): boolean;
  /** Whether a background snapshot is being written. */
  saving(): boolean;
  /** When the last snapshot was completed, ms (0: never). */
  lastSaveTime(): number;
}

function base(name: string): CommandSpec {
  const spec = [...allCommands, ...replicationCommands].find((c) => c.name === name);
  if (!spec) throw new Error(`no command '${name}' to override`);
  return spec;
}

/**
 * The edge's versions of the commands whose meaning depends on where the server runs. The object's storage
 * makes SAVE, BGSAVE and LASTSAVE real (they compact the stream log into a snapshot); the edge master never
 * replicates from anyone; and CONFIG SET refuses the parameters the edge pins.
 */
export function edgeCommands(snapshots: SnapshotControl): CommandSpec[] {
  const replicaof = (name: string): CommandSpec => ({
    ...base(name),
    handler: (_ctx, argv) => {
      if (argv.length === 3 && isWord(argv[1], 'no') && isWord(argv[2], 'one')) return OK;
      throw new CommandError(`ERR ${argv[0].toUpperCase()} is not supported by the edge master: it is always a master`);
    },
  });
  const config = base('config');
  return [
    {
      ...base('save'),
      handler: () => {
        if (snapshots.saving()) throw new CommandError('ERR Background save already in progress');
        snapshots.saveNow();
        return OK;
      },
    },
    {
      ...base('bgsave'),
      handler: (_ctx, argv) => {
        const schedule = argv.length === 2 && isWord(argv[1], 'schedule');
        if (argv.length > 2 || (argv.length === 2 && !schedule)) throw new CommandError(SYNTAX);
        if (snapshots.startBackgroundSave()) return new SimpleString('Background saving started');
        if (schedule) return new SimpleString('Background saving scheduled');
        throw new CommandError('ERR Background save already in progress');
      },
    },
    {
      ...base('lastsave'),
      handler: (ctx) => Math.floor((snapshots.lastSaveTime() || ctx.core.startedAt) / 1000),
    },
    replicaof('replicaof'),
    replicaof('slaveof'),
    {
      ...config,
      subcommands: config.subcommands?.map((sub) =>
        sub.name !== 'set'
          ? sub
          : {
              ...sub,
              handler: (ctx, argv) => {
                for (let i = 2; i < argv.length; i += 2) {
                  const name = argv[i].toLowerCase();
                  if (IMMUTABLE_ON_EDGE.has(name)) throw configSetError(name, "can't set immutable config");
                }
                return sub.handler!(ctx, argv);
              },
            },
      ),
    },
  ];
}
