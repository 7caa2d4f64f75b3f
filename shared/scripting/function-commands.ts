import { bytesToBinary, binaryToBytes } from '../bytes.js';
import type { CommandContext } from '../engine/command-context.js';
import { command, type CommandFlag, type CommandSpec } from '../engine/command-spec.js';
import type { ServerCore } from '../engine/server-core.js';
import { feedMonitors } from '../engine/monitor.js';
import { CommandError } from '../errors.js';
import { globMatch } from '../glob.js';
import { ChunkSink } from '../rdb/chunk-sink.js';
import { RDB_OPCODE_FUNCTION, RDB_OPCODE_FUNCTION2, RDB_TYPE_STRING, RDB_VERSION } from '../rdb/rdb-constants.js';
import { decodeRdbValue } from '../rdb/rdb-reader.js';
import { writeString } from '../rdb/rdb-writer.js';
import { verifyDumpPayload } from '../rdb/dump-payload.js';
import { ErrorReply, MapReply, OK, SetReply, SimpleString, type Reply } from '../resp/reply.js';
import { FUNCTION_FLAGS, LOAD_TIMEOUT_MS, LibraryContext, functionsState } from './function-libraries.js';
import { scriptFlagsToCommandFlags } from './script-cache.js';
import { runScript, withMayReplicate } from './script-commands.js';

/**
 * FUNCTION (LOAD, DELETE, LIST, STATS, KILL, FLUSH, DUMP, RESTORE, HELP), FCALL and FCALL_RO, as Redis 7.0
 * (src/functions.c). LOAD, DELETE, FLUSH and RESTORE change the dataset and propagate as received; FCALL
 * propagates the writes its function makes, as EVAL does.
 */

/** fcallCommandGeneric. */
function fcallGeneric(ctx: CommandContext, argv: string[], ro: boolean): Reply {
  const core = ctx.core;
  const caller = ctx.client;
  // FCALL is flagged skip_monitor: Redis feeds it to MONITOR itself, before the commands the function runs.
  if (core.monitors.size > 0) feedMonitors(core, caller, argv);
  ctx.rewrite();
  const state = functionsState(core);
  const fn = state.current.lookup(argv[1]);
  if (!fn) throw new CommandError('ERR Function not found');
  if (!/^-?\d+$/.test(argv[2]) || argv[2].length > 20 || !fitsLongLong(argv[2])) throw new CommandError('ERR Bad number of keys provided');
  const numkeys = Number(argv[2]);
  if (numkeys > argv.length - 3) throw new CommandError("ERR Number of keys can't be greater than number of args");
  if (numkeys < 0) throw new CommandError("ERR Number of keys can't be negative");
  const keys = argv.slice(3, 3 + numkeys);
  const args = argv.slice(3 + numkeys);
  const engine = state.engine;
  return runScript(ctx, {
    name: fn.name,
    flags: fn.flags,
    ro,
    keys,
    clients: state.clients,
    execute: (hooks) => engine.vm.runCallback((L) => engine.pushCallback(L, fn), fn.name, keys, args, hooks, caller.protocol),
  });
}

/**
 * fcallGetCommandFlags: the flags of one FCALL/FCALL_RO call (its spec's `base` flags adjusted by the called
 * function's flags when it exists), for processCommand's checks in dispatch.
 */
export function fcallCommandFlags(core: ServerCore, argv: string[], base: readonly CommandFlag[]): CommandFlag[] {
  const own = withMayReplicate(base);
  const fn = argv.length < 2 ? undefined : functionsState(core).current.lookup(argv[1]);
  return fn ? scriptFlagsToCommandFlags(own, fn.flags) : own;
}

/** Whether a decimal integer text is within a long long (getLongLongFromObject). */
function fitsLongLong(s: string): boolean {
  if (/^-?0\d/.test(s) || s === '-0') return false;
  const v = BigInt(s);
  return v >= -(2n ** 63n) && v < 2n ** 63n;
}

/** FCALL's key positions: the numkeys arguments after the function name and numkeys. */
function fcallKeys(argv: string[]): number[] {
  const n = Number(argv[2]);
  if (!Number.isInteger(n) || n < 0 || n > argv.length - 3) return [];
  return Array.from({ length: n }, (_, i) => 3 + i);
}

/** Whether a client's commands must be obeyed whatever they cost (our master's link, the AOF loader). */
function mustObey(ctx: CommandContext): boolean {
  return ctx.client.isMaster;
}

function functionLoad(ctx: CommandContext, argv: string[]): Reply {
  let replace = false;
  let pos = 2;
  while (pos < argv.length - 1) {
    const opt = argv[pos++];
    if (opt.toLowerCase() === 'replace') {
      replace = true;
      continue;
    }
    throw new CommandError(`ERR Unknown option given: ${opt}`);
  }
  const state = functionsState(ctx.core);
  const created = state.engine.createLibrary(argv[pos], replace, state.current, mustObey(ctx) ? 0 : LOAD_TIMEOUT_MS);
  if ('error' in created) throw new CommandError(`ERR ${created.error}`);
  ctx.dirty++;
  return created.name;
}

function functionList(ctx: CommandContext, argv: string[]): Reply {
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i].toLowerCase();
    if (!withCode && arg === 'withcode') {
      withCode = true;
      continue;
    }
    if (pattern === null && arg === 'libraryname') {
      if (i >= argv.length - 1) throw new CommandError('ERR library name argument was not given');
      pattern = argv[++i];
      continue;
    }
    throw new CommandError(`ERR Unknown argument ${argv[i]}`);
  }
  const out: Reply[] = [];
  for (const lib of functionsState(ctx.core).current.libraries.values()) {
    if (pattern !== null && !globMatch(pattern, lib.name, true)) continue;
    const functions = [...lib.functions.values()].map(
      (f) =>
        new MapReply([
          ['name', f.name],
          ['description', f.description],
          ['flags', new SetReply(FUNCTION_FLAGS.filter(([, bit]) => f.flags & bit).map(([name]) => new SimpleString(name)))],
        ]),
    );
    const entries: Array<[Reply, Reply]> = [
      ['library_name', lib.name],
      ['engine', 'LUA'],
      ['functions', functions],
    ];
    if (withCode) entries.push(['library_code', lib.code]);
    out.push(new MapReply(entries));
  }
  return out;
}

/** FUNCTION DUMP's payload: a FUNCTION2 record per library, the RDB version, the CRC-64 (as DUMP's). */
export function dumpFunctions(codes: readonly string[], compress: boolean): string {
  const sink = new ChunkSink();
  for (const code of codes) {
    sink.byte(RDB_OPCODE_FUNCTION2);
    writeString(sink, code, compress);
  }
  sink.byte(RDB_VERSION & 0xff);
  sink.byte((RDB_VERSION >> 8) & 0xff);
  sink.bytes(sink.checksumLE());
  return bytesToBinary(sink.collect());
}

function functionRestore(ctx: CommandContext, argv: string[]): Reply {
  if (argv.length > 4) throw new CommandError(subcommandSyntax(argv[1]));
  let policy: 'append' | 'replace' | 'flush' = 'append';
  if (argv.length === 4) {
    const p = argv[3].toLowerCase();
    if (p !== 'append' && p !== 'replace' && p !== 'flush') {
      throw new CommandError('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
    }
    policy = p;
  }
  const data = binaryToBytes(argv[2]);
  if (!verifyDumpPayload(data)) throw new CommandError('ERR DUMP payload version or checksum are wrong');
  const state = functionsState(ctx.core);
  const engine = state.engine;
  const staging = new LibraryContext();
  const fail = (error: string): never => {
    engine.freeAll(staging);
    throw new CommandError(`ERR ${error}`);
  };
  let pos = 0;
  const end = data.length - 10;
  while (pos < end) {
    const type = data[pos++];
    if (type !== RDB_OPCODE_FUNCTION && type !== RDB_OPCODE_FUNCTION2) fail('given type is not a function');
    let code: string;
    try {
      if (type === RDB_OPCODE_FUNCTION) {
        // The format of 7.0's release candidates: name, engine, an optional description, then the code.
        const name = readString(data, pos, end);
        const engineName = readString(data, (pos = name.next), end);
        const lenRead = readString(data, (pos = engineName.next), end, true);
        pos = lenRead.next;
        if (lenRead.value !== '0') pos = readString(data, pos, end).next;
        const blob = readString(data, pos, end);
        pos = blob.next;
        code = `#!${engineName.value} name=${name.value}\n${blob.value}`;
      } else {
        const r = readString(data, pos, end);
        pos = r.next;
        code = r.value;
      }
    } catch {
      return fail('failed loading the given functions payload');
    }
    const created = engine.createLibrary(code, false, staging, 0);
    if ('error' in created) fail(created.error);
  }
  if (policy === 'flush') {
    engine.freeAll(state.current);
    state.current = staging;
  } else {
    const err = engine.join(state.current, staging, policy === 'replace');
    if (err !== null) fail(err);
  }
  ctx.dirty++;
  return OK;
}

/** Reads one RDB string (or, with `length`, one RDB length as its decimal text) of a payload at pos. */
function readString(data: Uint8Array, pos: number, end: number, length = false): { value: string; next: number } {
  if (pos >= end) throw new Error('truncated');
  if (length) {
    const b = data[pos];
    const kind = b >> 6;
    if (kind === 0) return { value: String(b & 0x3f), next: pos + 1 };
    if (kind === 1) return { value: String(((b & 0x3f) << 8) | data[pos + 1]), next: pos + 2 };
    if (b === 0x80) return { value: String(new DataView(data.buffer, data.byteOffset + pos + 1, 4).getUint32(0, false)), next: pos + 5 };
    if (b === 0x81) return { value: String(new DataView(data.buffer, data.byteOffset + pos + 1, 8).getBigUint64(0, false)), next: pos + 9 };
    throw new Error('bad length');
  }
  const { value, length: used } = decodeRdbValue(RDB_TYPE_STRING, data.subarray(pos, end));
  return { value: value as string, next: pos + used };
}

/** addReplySubcommandSyntaxError: names the subcommand as the client typed it. */
function subcommandSyntax(sub: string): string {
  return `ERR unknown subcommand or wrong number of arguments for '${sub}'. Try FUNCTION HELP.`;
}

const FUNCTION_HELP = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
  'HELP',
  '    Prints this help.',
];

const functionSubcommands: CommandSpec[] = [
  command({
    name: 'load',
    arity: -3,
    group: 'scripting',
    flags: ['write', 'denyoom', 'noscript'],
    summary: 'Create a function with the given arguments (name, code, description)',
    since: '7.0.0',
    handler: functionLoad,
  }),
  command({
    name: 'delete',
    arity: 3,
    group: 'scripting',
    flags: ['write', 'noscript'],
    summary: 'Delete a function by name',
    since: '7.0.0',
    handler: (ctx, argv) => {
      const state = functionsState(ctx.core);
      const lib = state.current.libraries.get(argv[2]);
      if (!lib) throw new CommandError('ERR Library not found');
      state.current.unlink(lib);
      state.engine.free(lib);
      ctx.dirty++;
      return OK;
    },
  }),
  command({
    name: 'list',
    arity: -2,
    group: 'scripting',
    flags: ['noscript'],
    summary: 'List information about all the functions',
    since: '7.0.0',
    handler: functionList,
  }),
  command({
    name: 'stats',
    arity: 2,
    group: 'scripting',
    flags: ['noscript', 'allow_busy'],
    summary: 'Return information about the function currently running (name, description, duration)',
    since: '7.0.0',
    // Nothing runs while a command is served here (a script runs to its end first): running_script is nil.
    handler: (ctx) => {
      const current = functionsState(ctx.core).current;
      return new MapReply([
        ['running_script', null],
        [
          'engines',
          new MapReply([
            [
              'LUA',
              new MapReply([
                ['libraries_count', current.libraries.size],
                ['functions_count', current.functionCount],
              ]),
            ],
          ]),
        ],
      ]);
    },
  }),
  command({
    name: 'kill',
    arity: 2,
    group: 'scripting',
    flags: ['noscript', 'allow_busy'],
    summary: 'Kill the function currently in execution.',
    since: '7.0.0',
    // As SCRIPT KILL here: functions run to completion before any other command is read.
    handler: () => new ErrorReply('NOTBUSY No scripts in execution right now.'),
  }),
  command({
    name: 'flush',
    arity: -2,
    group: 'scripting',
    flags: ['write', 'noscript'],
    summary: 'Deleting all functions',
    since: '7.0.0',
    handler: (ctx, argv) => {
      if (argv.length > 3) throw new CommandError(subcommandSyntax(argv[1]));
      if (argv.length === 3 && !['sync', 'async'].includes(argv[2].toLowerCase())) {
        throw new CommandError('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
      }
      // ASYNC frees the old libraries in the background in Redis; here the garbage collector does it.
      functionsState(ctx.core).clear();
      ctx.dirty++;
      return OK;
    },
  }),
  command({
    name: 'dump',
    arity: 2,
    group: 'scripting',
    flags: ['noscript'],
    summary: 'Dump all functions into a serialized binary payload',
    since: '7.0.0',
    handler: (ctx) => dumpFunctions(functionsState(ctx.core).codes(), ctx.core.config.bool('rdbcompression')),
  }),
  command({
    name: 'restore',
    arity: -3,
    group: 'scripting',
    flags: ['write', 'denyoom', 'noscript'],
    summary: 'Restore all the functions on the given payload',
    since: '7.0.0',
    handler: functionRestore,
  }),
  command({
    name: 'help',
    arity: 2,
    group: 'scripting',
    flags: ['loading', 'stale'],
    summary: 'Show helpful text about the different subcommands',
    since: '7.0.0',
    handler: () => FUNCTION_HELP.map((l) => new SimpleString(l)),
  }),
];

const FCALL_FLAGS: readonly CommandFlag[] = ['noscript', 'stale', 'skip_monitor', 'movablekeys'];
const FCALL_RO_FLAGS: readonly CommandFlag[] = ['readonly', ...FCALL_FLAGS];

const fcallSpec = (name: string, ro: boolean, summary: string): CommandSpec =>
  command({
    name,
    arity: -3,
    group: 'scripting',
    flags: ro ? [...FCALL_RO_FLAGS] : [...FCALL_FLAGS],
    summary,
    since: '7.0.0',
    getKeys: fcallKeys,
    callFlags: (core, argv) => fcallCommandFlags(core, argv, ro ? FCALL_RO_FLAGS : FCALL_FLAGS),
    handler: (ctx, argv) => fcallGeneric(ctx, argv, ro),
  });

/** The function commands, for the Node server's command table (beside scriptingCommands). */
export const functionCommands: CommandSpec[] = [
  fcallSpec('fcall', false, 'Invoke a function'),
  fcallSpec('fcall_ro', true, 'Invoke a read-only function'),
  command({
    name: 'function',
    arity: -2,
    group: 'scripting',
    summary: 'A container for function commands',
    since: '7.0.0',
    subcommands: functionSubcommands,
  }),
];
