import { aclOf, AclResult } from '../engine/acl.js';
import { logAclDenial } from '../commands/acl.js';
import { Client, type Transport } from '../engine/client.js';
import type { CommandContext } from '../engine/command-context.js';
import { command, commandKeys, type CommandFlag, type CommandSpec } from '../engine/command-spec.js';
import { keyHashSlot } from '../cluster/key-slot.js';
import { call, lookupCommand } from '../engine/dispatch.js';
import { feedMonitors } from '../engine/monitor.js';
import type { ServerCore } from '../engine/server-core.js';
import { CommandError, MASTERDOWN, NOT_INTEGER, OOM, READONLY } from '../errors.js';
import { parseBigInteger } from '../commands/parse.js';
import { ErrorReply, OK, SimpleString, type Reply } from '../resp/reply.js';
import { denyScriptsDisabled } from './deny-scripts.js';
import { SCRIPT_CLIENT_ADDR } from './script-client.js';
import { sha1Hex } from '../sha1.js';
import { parseShebang, ScriptFlag, scriptFlagsToCommandFlags, scriptingState, type CachedScript, type ScriptingState } from './script-cache.js';
import type { ScriptRunHooks } from './lua-vm.js';

/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT, as Redis 7.0 (src/eval.c, src/script.c). Scripts run their
 * commands through dispatch's call() with a client standing for Redis's Lua client, so each write propagates
 * on its own (effects replication: EVAL itself never does) and an execution of several writes reaches replicas
 * wrapped in MULTI/EXEC.
 *
 * A script runs to its end in the one JS thread: no other client is served meanwhile, so nobody can get BUSY
 * or send SCRIPT KILL. In place of SCRIPT KILL, a script that has run for busy-reply-threshold ms (and at least
 * KILL_AFTER_MS) without writing is stopped with the error SCRIPT KILL would give; one that wrote runs on (Redis
 * calls it unkillable).
 */

/**
 * The least time a script runs before it is stopped in place of a SCRIPT KILL. Passing busy-reply-threshold
 * alone does not stop a script in Redis (others get BUSY until someone kills it), so a script that merely runs
 * longer than a small threshold (lua-time-limit 10) must still finish; only one that would keep the server
 * BUSY for long is stopped.
 */
export const KILL_AFTER_MS = 5000;

const NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';
const PROPAGATE_REPL = 2;

const nullTransport: Transport = { write: () => {}, close: () => {}, bufferedAmount: () => 0 };

/** The Lua client for a caller: same id (CLIENT TRACKING), never connected, never replies to anyone. */
function scriptClient(clients: WeakMap<Client, Client>, caller: Client): Client {
  let c = clients.get(caller);
  if (!c) {
    c = new Client(caller.id, nullTransport, { addr: SCRIPT_CLIENT_ADDR, laddr: SCRIPT_CLIENT_ADDR, loopback: true, kind: 'internal' }, caller.createdAt, false);
    clients.set(caller, c);
  }
  return c;
}

/** Whether the server is a replica whose link is down and that must not serve stale data. */
function runningStale(ctx: CommandContext): boolean {
  const core = ctx.core;
  return core.isReplica() && !core.masterLinkUp && !core.config.bool('replica-serve-stale-data');
}

/**
 * Redis's pre_command_oom_state as a script sees it: maxmemory is reached and evictions could not make room
 * (dispatch just tried), for a caller whose writes may be refused (not our master's link, not the AOF).
 */
function outOfMemory(core: ServerCore, caller: Client): boolean {
  if (caller.isMaster || !core.memory.active || !core.memory.overLimit()) return false;
  if (core.isReplica() && core.config.bool('replica-ignore-maxmemory')) return false;
  return !core.pauseInForce();
}

const ARITY_IN_SCRIPT = 'ERR Wrong number of args calling Redis command from script';
const UNKNOWN_IN_SCRIPT = 'ERR Unknown Redis command called from script';

/**
 * A command refused inside a script (scriptCall's error path): counted in the error stats and as a rejected
 * call of the command when it exists, as Redis's afterErrorReply and incrCommandStatsOnError do.
 */
function refuse(core: ServerCore, message: string, fullName: string | null): ErrorReply {
  core.stats.totalErrorReplies++;
  const code = message.split(' ', 1)[0];
  core.stats.errors.set(code, (core.stats.errors.get(code) ?? 0) + 1);
  if (fullName !== null) {
    let s = core.stats.commands.get(fullName);
    if (!s) core.stats.commands.set(fullName, (s = { calls: 0, failed: 0, rejected: 0 }));
    s.rejected++;
  }
  return new ErrorReply(message);
}

/** Takes back one count of an error (see evalGeneric: dispatch is about to count it again). */
function uncountError(core: ServerCore, message: string): void {
  const code = message.split(' ', 1)[0];
  const n = core.stats.errors.get(code) ?? 0;
  if (n <= 0) return;
  core.stats.errors.set(code, n - 1);
  core.stats.totalErrorReplies--;
}

/**
 * scriptVerifyClusterState: a command of a script may only touch keys this node serves (the redirections a
 * client would get become errors), and nothing while the cluster is down.
 */
function clusterRefusal(core: ServerCore, client: Client, caller: Client, spec: CommandSpec, cmd: string[], parent: string): string | null {
  client.clusterAsking = caller.clusterAsking;
  client.clusterReadonly = caller.clusterReadonly;
  const err = core.cluster!.route(client, spec, cmd, parent);
  if (err === null) return null;
  if (err.startsWith('CLUSTERDOWN The cluster is down and only accepts read commands')) {
    return 'ERR Script attempted to execute a write command while the cluster is down and readonly';
  }
  if (err.startsWith('CLUSTERDOWN The cluster is down')) return 'ERR Script attempted to execute a command while the cluster is down';
  return 'ERR Script attempted to access a non local key in a cluster node';
}

/**
 * ACLCheckAllUserCommandPerm for the script caller's user: OK, or the denial and the index of the argument
 * denied. Servers without ACL users (permissions null) and our master's stream allow everything.
 */
function scriptAclCheck(core: ServerCore, caller: Client, fullName: string, cmd: string[]): [AclResult, number] {
  if (core.permissions === null || caller.isMaster) return [AclResult.OK, 0];
  const acl = aclOf(core);
  const user = acl.users.get(caller.user);
  if (user?.unrestricted()) return [AclResult.OK, 0];
  const spec = acl.command(fullName);
  if (!spec) return [AclResult.OK, 0];
  return user ? user.check(spec, cmd) : [AclResult.DENIED_CMD, 0];
}

/**
 * Redis's lookupCommand (no arity check, unlike dispatch's): the full name of the command or subcommand argv
 * names, the container itself when no subcommand is given, null when there is no such command.
 */
function commandFullName(core: ServerCore, cmd: string[]): string | null {
  const spec = core.commands.get(cmd[0].toLowerCase());
  if (!spec) return null;
  if (!spec.subcommands || cmd.length === 1) return spec.name;
  const sub = cmd[1].toLowerCase();
  return spec.subcommands.some((s) => s.name === sub) ? `${spec.name}|${sub}` : null;
}

/** scriptVerifyACL: the error for a command the caller's user may not run (logged with context "lua"), or null. */
function scriptAclDenial(core: ServerCore, caller: Client, fullName: string, cmd: string[]): string | null {
  const [result, idx] = scriptAclCheck(core, caller, fullName, cmd);
  if (result === AclResult.OK) return null;
  logAclDenial(core, caller, result, result === AclResult.DENIED_CMD ? fullName : cmd[idx], caller.user, 'lua');
  switch (result) {
    case AclResult.DENIED_CMD:
      return "ERR The user executing the script can't run this command or subcommand";
    case AclResult.DENIED_KEY:
      return "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments";
    case AclResult.DENIED_CHANNEL:
      return "ERR The user executing the script can't publish to the channel mentioned in the command";
    default:
      return 'ERR The user executing the script is lacking the permissions for the command';
  }
}

/** A write command as dispatch's write guards see one (for a script counted as a write). */
const WRITE_GUARD_SPEC: CommandSpec = command({ name: 'eval', arity: -3, group: 'scripting', flags: ['write'], handler: () => OK });

/**
 * The refusal of dispatch's write guards (replication's min-replicas-to-write) for a write from a script, asked
 * with the script client (guards may keep state per client: the caller's own must stay untouched), or null.
 */
function writeGuardRefusal(core: ServerCore, client: Client, caller: Client, spec: CommandSpec): string | null {
  if (caller.isMaster) return null;
  client.isMaster = false;
  for (const guard of core.writeGuards) {
    const err = guard(client, spec);
    if (err) return err;
  }
  return null;
}

/** The hash slot of a command's first key, or -1 when it has none. */
function firstKeySlot(spec: CommandSpec, cmd: string[]): number {
  const positions = commandKeys(spec, cmd);
  return positions.length === 0 ? -1 : keyHashSlot(cmd[positions[0]]);
}

/**
 * XREAD/XREADGROUP with BLOCK are refused in scripts (t_stream.c checks CLIENT_SCRIPT while parsing options,
 * "for backward compatibility", instead of answering as a non-blocking read).
 */
function streamBlockRefusal(cmd: string[]): string | null {
  for (let i = 1; i < cmd.length - 1; i++) {
    const opt = cmd[i].toLowerCase();
    if (opt === 'streams') return null;
    if (opt === 'block') return `ERR ${cmd[0]} command is not allowed with BLOCK option from scripts`;
  }
  return null;
}

function evalGeneric(ctx: CommandContext, argv: string[], isSha: boolean, ro: boolean): Reply {
  const core = ctx.core;
  const caller = ctx.client;
  // EVAL is flagged skip_monitor: Redis feeds it to MONITOR itself, before the commands the script runs.
  if (core.monitors.size > 0) feedMonitors(core, caller, argv);
  // Effects replication: only the writes the script makes propagate, never EVAL's own argv.
  ctx.rewrite();
  if (isSha && argv[1].length !== 40) return new ErrorReply(NOSCRIPT);
  const numkeys = parseBigInteger(argv[2], NOT_INTEGER);
  if (numkeys > BigInt(argv.length - 3)) throw new CommandError("ERR Number of keys can't be greater than number of args");
  if (numkeys < 0n) throw new CommandError("ERR Number of keys can't be negative");
  const state = scriptingState(core);
  let sha: string;
  if (isSha) {
    sha = argv[1].toLowerCase();
    if (!state.scripts.has(sha)) return new ErrorReply(NOSCRIPT);
  } else {
    const created = state.create(argv[1]);
    if ('error' in created) return new ErrorReply(created.error);
    sha = created.sha;
  }
  const flags = (state.scripts.get(sha) as { flags: number }).flags;
  const n = Number(numkeys);
  const keys = argv.slice(3, 3 + n);
  const args = argv.slice(3 + n);
  return runScript(ctx, {
    name: sha,
    flags,
    ro,
    keys,
    clients: state.clients,
    execute: (hooks) => state.vm.run(sha, keys, args, hooks, caller.protocol),
  });
}

/** One execution of a script body or of a library function (Redis's scriptRunCtx before scriptPrepareForRun). */
export interface ScriptRun {
  /** The script's SHA1 (EVAL) or the function's name (FCALL), for logs. */
  name: string;
  /** ScriptFlag bits. */
  flags: number;
  /** Called as a *_RO command. */
  ro: boolean;
  /** The declared keys (their slot binds the script's in cluster mode). */
  keys: readonly string[];
  /** The script clients of the engine, one per caller. */
  clients: WeakMap<Client, Client>;
  /** Runs the code with the hooks through which it reaches the server. */
  execute(hooks: ScriptRunHooks): { reply: Reply; counted: boolean };
}

/**
 * scriptPrepareForRun and the run itself, shared by EVAL and FCALL: refuses what the flags forbid (with the
 * texts processCommand gives first when the flags make the script a write), then runs the code with its
 * commands going through call() on a script client.
 */
export function runScript(ctx: CommandContext, run: ScriptRun): Reply {
  const core = ctx.core;
  const caller = ctx.client;
  const { flags, ro, keys } = run;
  const sha = run.name;
  const compat = (flags & ScriptFlag.EVAL_COMPAT_MODE) !== 0;
  // scriptPrepareForRun, with the texts processCommand gives first when the flags make the script a write.
  if (!compat) {
    if (flags & ScriptFlag.NO_CLUSTER && core.cluster !== null) {
      return new ErrorReply("ERR Can not run script on cluster, 'no-cluster' flag is set.");
    }
    if (runningStale(ctx) && !(flags & ScriptFlag.ALLOW_STALE)) return new ErrorReply(MASTERDOWN);
    if (!(flags & ScriptFlag.NO_WRITES)) {
      if (core.isReplica() && core.config.bool('replica-read-only') && !caller.isMaster) return new ErrorReply(READONLY);
      // min-replicas-to-write (checkGoodReplicasStatus): processCommand counts the script as a write.
      const denied = writeGuardRefusal(core, scriptClient(run.clients, caller), caller, WRITE_GUARD_SPEC);
      if (denied !== null) return new ErrorReply(denied);
      if (ro) return new ErrorReply('ERR Can not execute a script with write flag using *_ro command.');
    }
    // The flags make the script deny-oom unless allow-oom or no-writes: processCommand refuses it with its
    // OOM error; inside a transaction (which processCommand let through) scriptPrepareForRun does.
    if (!(flags & (ScriptFlag.ALLOW_OOM | ScriptFlag.NO_WRITES)) && outOfMemory(core, caller)) {
      return new ErrorReply(
        caller.inExec ? "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'" : OOM,
      );
    }
  } else if (runningStale(ctx)) {
    return new ErrorReply(MASTERDOWN);
  }
  const readOnly = ro || (!compat && (flags & ScriptFlag.NO_WRITES) !== 0);
  // scriptVerifyOOM: deny-oom commands are refused until the script's first write when memory was full as it
  // started, unless it declared allow-oom.
  const oomAtStart = !(!compat && flags & ScriptFlag.ALLOW_OOM) && outOfMemory(core, caller);
  const client = scriptClient(run.clients, caller);
  client.db = caller.db;
  client.protocol = 2;
  client.user = caller.user;
  client.tracking = caller.tracking;
  // Blocking commands answer at once, as inside MULTI (Redis's lua client is CLIENT_DENY_BLOCKING).
  client.inExec = true;
  let replicate = true;
  let wrote = false;
  // The slot of the keys the script declared, then of the first key it touched (Redis's caller c->slot).
  let scriptSlot = keys.length > 0 ? keyHashSlot(keys[0]) : -1;
  const started = core.micros();
  let slowLogged = false;
  const threshold = core.config.int('busy-reply-threshold');
  const hooks: ScriptRunHooks = {
    resp: 2,
    call: (cmd) => {
      const found = lookupCommand(core, cmd);
      if ('error' in found) {
        const arity = found.error.startsWith('ERR wrong number of arguments');
        return refuse(core, arity ? ARITY_IN_SCRIPT : UNKNOWN_IN_SCRIPT, arity ? (/for '([^']+)' command/.exec(found.error)?.[1] ?? null) : null);
      }
      const { spec, fullName } = found;
      if (spec.flags.includes('noscript') && !denyScriptsDisabled(core)) return refuse(core, 'ERR This Redis command is not allowed from script', fullName);
      if (runningStale(ctx) && !spec.flags.includes('stale')) {
        return refuse(core, 'ERR Can not execute the command on a stale replica', fullName);
      }
      const denied = scriptAclDenial(core, caller, fullName, cmd);
      if (denied !== null) return refuse(core, denied, fullName);
      const isWrite = spec.flags.includes('write');
      if (readOnly && (isWrite || spec.flags.includes('may_replicate'))) {
        return refuse(core, 'ERR Write commands are not allowed from read-only scripts.', fullName);
      }
      if (isWrite && !wrote && core.isReplica() && core.config.bool('replica-read-only') && !caller.isMaster) {
        return refuse(core, READONLY, fullName);
      }
      // scriptVerifyWriteCommandAllow: not enough good replicas (reachable by scripts without a shebang only).
      if (isWrite && !wrote) {
        const denied = writeGuardRefusal(core, client, caller, spec);
        if (denied !== null) return refuse(core, denied, fullName);
      }
      if (oomAtStart && !wrote && spec.flags.includes('denyoom')) return refuse(core, OOM, fullName);
      if (spec.name === 'xread' || spec.name === 'xreadgroup') {
        // Refused by the command itself in Redis: a failed call, not a rejected one.
        const refusal = streamBlockRefusal(cmd);
        if (refusal !== null) return call(core, client, { ...spec, handler: () => new ErrorReply(refusal) }, cmd, fullName) as Reply;
      }
      if (isWrite) wrote = true;
      if (core.cluster !== null && !caller.isMaster) {
        const refusal = clusterRefusal(core, client, caller, spec, cmd, found.parent);
        if (refusal !== null) return refuse(core, refusal, fullName);
        // Scripts without a shebang may touch any local slot (SCRIPT_ALLOW_CROSS_SLOT is implied).
        const slot = compat || flags & ScriptFlag.ALLOW_CROSS_SLOT ? -1 : firstKeySlot(spec, cmd);
        if (slot !== -1) {
          if (scriptSlot === -1) scriptSlot = slot;
          else if (scriptSlot !== slot) return refuse(core, 'ERR Script attempted to access keys that do not hash to the same slot', fullName);
        }
      }
      // With redis.set_repl(REPL_NONE) the writes stay here: call() propagates nothing for our master's link.
      client.isMaster = caller.isMaster || !replicate;
      client.protocol = hooks.resp;
      return call(core, client, spec, cmd, fullName) as Reply;
    },
    setRepl: (f) => {
      replicate = (f & PROPAGATE_REPL) !== 0;
    },
    aclCheck: (cmd) => {
      const fullName = commandFullName(core, cmd);
      if (fullName === null) return null;
      try {
        return scriptAclCheck(core, caller, fullName, cmd)[0] === AclResult.OK;
      } catch {
        // Too few arguments for the command's key finder (SET with no key): Redis reads whatever argument its
        // reused argv array held there; answer denied rather than fail the script.
        return false;
      }
    },
    shouldKill: () => {
      const elapsed = Math.floor((core.micros() - started) / 1000);
      if (threshold <= 0 || elapsed < threshold) return false;
      if (!slowLogged) {
        slowLogged = true;
        core.host.log('warning', `Slow script detected: still in execution after ${elapsed} milliseconds. Script name is: ${sha}.`);
      }
      if (wrote || elapsed < Math.max(threshold, KILL_AFTER_MS)) return false;
      core.host.log('warning', `Lua script ${sha} stopped after ${elapsed} milliseconds (busy-reply-threshold) without having written.`);
      return true;
    },
  };
  const restoreClock = freezeClock(core);
  try {
    const { reply, counted } = run.execute(hooks);
    // Dispatch counts the error EVAL replies; one the script passed on from a command was counted already.
    if (counted) uncountError(core, (reply as ErrorReply).message);
    return reply;
  } finally {
    restoreClock();
    client.inExec = false;
    client.tracking = null;
  }
}

/**
 * Stops the server's clock (core.now) at the script's start until the returned function is called: Redis
 * judges expiry inside a script against the time it started (scriptTimeSnapshot), so a key cannot expire half
 * way through a script and the effects replicated stay consistent. Our commands read one time for everything,
 * so TIME and new TTLs inside the script also see the start time.
 */
function freezeClock(core: ServerCore): () => void {
  const frozen = core.now();
  const own = Object.getOwnPropertyDescriptor(core, 'now');
  core.now = () => frozen;
  return () => {
    if (own) Object.defineProperty(core, 'now', own);
    else delete (core as { now?: unknown }).now;
  };
}

/** Redis declares EVAL, EVALSHA and FCALL may_replicate (COMMAND INFO does not show it); the *_RO forms not. */
export function withMayReplicate(flags: readonly CommandFlag[]): CommandFlag[] {
  return flags.includes('readonly') || flags.includes('may_replicate') ? [...flags] : [...flags, 'may_replicate'];
}

/**
 * evalGetCommandFlags: the flags of one EVAL/EVALSHA/EVAL_RO/EVALSHA_RO call (its spec's `base` flags adjusted
 * by the flags of its script, when the script is cached or, for EVAL, its shebang parses). For processCommand's
 * checks in dispatch (CLIENT PAUSE WRITE holds a script only when it may write).
 */
export function evalCommandFlags(core: ServerCore, argv: string[], base: readonly CommandFlag[]): CommandFlag[] {
  const own = withMayReplicate(base);
  if (argv.length < 2) return own;
  const isSha = argv[0].toLowerCase().startsWith('evalsha');
  if (isSha && argv[1].length !== 40) return own;
  const cached = (core.cachedScripts as Map<string, CachedScript> | null)?.get(isSha ? argv[1].toLowerCase() : sha1Hex(argv[1]));
  let flags: number;
  if (cached) {
    flags = cached.flags;
  } else {
    if (isSha) return own;
    const shebang = parseShebang(argv[1]);
    if ('error' in shebang) return own;
    flags = shebang.flags;
  }
  return scriptFlagsToCommandFlags(own, flags);
}

/** EVAL's key positions: the numkeys arguments after it (none when numkeys is not valid). */
function evalKeys(argv: string[]): number[] {
  const n = Number(argv[2]);
  if (!Number.isInteger(n) || n < 0 || n > argv.length - 3) return [];
  return Array.from({ length: n }, (_, i) => 3 + i);
}

const EVAL_FLAGS: readonly CommandFlag[] = ['noscript', 'stale', 'skip_monitor', 'movablekeys'];
const EVAL_RO_FLAGS: readonly CommandFlag[] = ['readonly', ...EVAL_FLAGS];

const evalSpec = (name: string, isSha: boolean, ro: boolean, summary: string, since: string): CommandSpec =>
  command({
    name,
    arity: -3,
    group: 'scripting',
    flags: ro ? [...EVAL_RO_FLAGS] : [...EVAL_FLAGS],
    summary,
    since,
    getKeys: evalKeys,
    callFlags: (core, argv) => evalCommandFlags(core, argv, ro ? EVAL_RO_FLAGS : EVAL_FLAGS),
    handler: (ctx, argv) => evalGeneric(ctx, argv, isSha, ro),
  });

const SCRIPT_HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
  'HELP',
  '    Prints this help.',
];

const scriptSubcommands: CommandSpec[] = [
  command({
    name: 'load',
    arity: 3,
    group: 'scripting',
    flags: ['noscript', 'stale'],
    summary: 'Load the specified Lua script into the script cache.',
    since: '2.6.0',
    handler: (ctx, argv) => {
      const created = scriptingState(ctx.core).create(argv[2]);
      return 'error' in created ? new ErrorReply(created.error) : created.sha;
    },
  }),
  command({
    name: 'exists',
    arity: -3,
    group: 'scripting',
    flags: ['noscript'],
    summary: 'Check existence of scripts in the script cache.',
    since: '2.6.0',
    handler: (ctx, argv) => {
      const state = scriptingState(ctx.core);
      return argv.slice(2).map((sha) => (state.get(sha) ? 1 : 0));
    },
  }),
  command({
    name: 'flush',
    arity: -2,
    group: 'scripting',
    flags: ['noscript'],
    summary: 'Remove all the scripts from the script cache.',
    since: '2.6.0',
    handler: (ctx, argv) => {
      // ASYNC frees the old interpreter in the background in Redis; here the garbage collector does it.
      if (argv.length > 3 || (argv.length === 3 && !['sync', 'async'].includes(argv[2].toLowerCase()))) {
        throw new CommandError('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
      }
      scriptingState(ctx.core).flush();
      return OK;
    },
  }),
  command({
    name: 'kill',
    arity: 2,
    group: 'scripting',
    flags: ['noscript', 'allow_busy'],
    summary: 'Kill the script currently in execution.',
    since: '2.6.0',
    // Scripts run to completion before any other command is read, so none is ever running here.
    handler: () => new ErrorReply('NOTBUSY No scripts in execution right now.'),
  }),
  command({
    name: 'help',
    arity: 2,
    group: 'scripting',
    flags: ['loading', 'stale'],
    summary: 'Show helpful text about the different subcommands',
    since: '5.0.0',
    handler: () => SCRIPT_HELP.map((l) => new SimpleString(l)),
  }),
];

/** The scripting commands, for the command table. */
export const scriptingCommands: CommandSpec[] = [
  evalSpec('eval', false, false, 'Execute a Lua script server side', '2.6.0'),
  evalSpec('evalsha', true, false, 'Execute a Lua script server side', '2.6.0'),
  evalSpec('eval_ro', false, true, 'Execute a read-only Lua script server side', '7.0.0'),
  evalSpec('evalsha_ro', true, true, 'Execute a read-only Lua script server side', '7.0.0'),
  command({
    name: 'script',
    arity: -2,
    group: 'scripting',
    summary: 'A container for Lua scripts management commands',
    since: '2.6.0',
    subcommands: scriptSubcommands,
  }),
];
