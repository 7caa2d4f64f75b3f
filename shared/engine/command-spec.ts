import type { Reply } from '../resp/reply.js';
import type { CommandContext } from './command-context.js';
import type { ServerCore } from './server-core.js';

/** Command flags, named as in Redis's command table (COMMAND INFO prints them). */
export type CommandFlag =
  | 'write'
  | 'readonly'
  | 'denyoom'
  | 'admin'
  | 'pubsub'
  | 'noscript'
  | 'blocking'
  | 'loading'
  | 'stale'
  | 'skip_monitor'
  | 'skip_slowlog'
  | 'fast'
  | 'no_auth'
  | 'may_replicate'
  | 'no_multi'
  | 'movablekeys'
  | 'allow_busy'
  | 'no_async_loading';

/**
 * A handler's request to block the client (BLPOP and friends). Dispatch parks the client on `keys`; whenever
 * one of them is touched it runs the same command again, and on timeout it replies `timeoutReply`.
 * Inside MULTI/EXEC a block request is answered with `timeoutReply` at once, as Redis does.
 */
export class BlockRequest {
  constructor(
    readonly keys: string[],
    /** Absolute deadline in ms since the epoch; 0 blocks forever. */
    readonly deadline: number,
    /** The reply on timeout, or a function computing it then (WAIT replies the count reached by the deadline). */
    readonly timeoutReply: Reply | (() => Reply),
    /** The database the keys live in (default: the client's). */
    readonly db?: number,
    /**
     * The argv to run again when a key is touched (default: the command as sent). XREAD BLOCK resolves `$` to
     * the stream's last ID at the time it blocks, so later runs must not resolve it again.
     */
    readonly argv?: string[],
  ) {}
}

/** What a handler returns. */
export type HandlerResult = Reply | BlockRequest;

/** A command handler: reads argv (argv[0] is the command name as sent), changes data through ctx. */
export type CommandHandler = (ctx: CommandContext, argv: string[]) => HandlerResult;

/**
 * One entry of the command table: data, as in Redis's src/commands/*.json. Arity counts the command name;
 * a negative arity means "at least". Key positions are 1-based indexes into argv (0 = no keys; a negative
 * lastKey counts from the end).
 */
export interface CommandSpec {
  /** Lowercase name ("get"; "get" within its parent for subcommands). */
  name: string;
  arity: number;
  flags: CommandFlag[];
  firstKey: number;
  lastKey: number;
  step: number;
  /** Redis's group for COMMAND DOCS: string, list, hash, set, sorted-set, generic, server, connection, ... */
  group: string;
  /** One-line summary for COMMAND DOCS. */
  summary: string;
  /** The Redis version that introduced it. */
  since: string;
  handler?: CommandHandler;
  /** Subcommands (CONFIG GET, CLIENT LIST, ...): dispatch picks one by argv[1]. */
  subcommands?: CommandSpec[];
  /** For commands with movable keys: the key positions in argv. */
  getKeys?: (argv: string[]) => number[];
  /**
   * The flags of one invocation, when they depend on its arguments (EVAL/FCALL take their script's declared
   * flags, as Redis's getCommandFlags does); dispatch's checks use them instead of `flags`.
   */
  callFlags?: (core: ServerCore, argv: string[]) => readonly CommandFlag[];
}

/** A convenience constructor with Redis's defaults for the optional fields. */
export function command(spec: Partial<CommandSpec> & Pick<CommandSpec, 'name' | 'arity' | 'group'>): CommandSpec {
  return {
    flags: [],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: '',
    since: '1.0.0',
    ...spec,
  };
}

/** The argv indexes of the keys of a command invocation. */
export function commandKeys(spec: CommandSpec, argv: string[]): number[] {
  if (spec.getKeys) return spec.getKeys(argv);
  if (spec.firstKey === 0) return [];
  const last = spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey;
  const out: number[] = [];
  for (let i = spec.firstKey; i <= last && i < argv.length; i += spec.step || 1) out.push(i);
  return out;
}
