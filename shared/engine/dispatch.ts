import {
  CommandError,
  EXECABORT,
  MASTERDOWN,
  NOAUTH,
  OOM,
  READONLY,
  unknownCommand,
  unknownSubcommand,
  wrongArity,
} from '../errors.js';
import { ErrorReply, NULL_ARRAY, QUEUED, type Reply } from '../resp/reply.js';
import { ProtocolError } from '../resp/request-parser.js';
import type { Client, MultiState } from './client.js';
import { CommandContext } from './command-context.js';
import { BlockRequest, commandKeys, type CommandSpec, type HandlerResult } from './command-spec.js';
import { feedMonitors } from './monitor.js';
import type { ServerCore } from './server-core.js';
import { resetCaching, trackingAfterCall } from './tracking.js';
import { rememberReplicaKeyWithExpire } from '../replication/replica-key-expiry.js';

/** Commands a client in a MULTI runs at once instead of queueing. */
const MULTI_IMMEDIATE = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);
/** What a client in MULTI may still send when memory is full (Redis's processCommand reject_cmd_on_oom). */
const OOM_MULTI_ALLOWED = new Set(['exec', 'discard', 'quit', 'reset']);
/** Commands a RESP2 client in subscriber mode may run. */
const SUBSCRIBER_ALLOWED = new Set(['subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe', 'ping', 'quit', 'reset', 'ssubscribe', 'sunsubscribe']);

/** Runs every complete command in the client's input, stopping while the client is blocked. */
export function processInput(core: ServerCore, client: Client): void {
  // Within one batch of pipelined commands the slow log reads the clock once per command: each command starts
  // when the previous one ended (see call()).
  core.clock.chain = true;
  core.clock.valid = false;
  // Redis keeps a batch's bytes in the query buffer until all its commands ran (CLIENT LIST's qbuf).
  client.queryBuffer.batchStart = client.parser.consumed;
  try {
    processBatch(core, client);
  } finally {
    core.clock.chain = false;
    core.clock.valid = false;
    client.queryBuffer.batchStart = client.parser.consumed;
  }
}

function processBatch(core: ServerCore, client: Client): void {
  while (!client.closed && !client.blocked && !client.closeAfterReply && !client.postponed) {
    let argv: string[] | null;
    try {
      argv = client.parser.next();
    } catch (e) {
      core.protocolError(client, e as ProtocolError);
      return;
    }
    if (argv === null) break;
    processCommand(core, client, argv);
    if (client.tracking !== null) resetCaching(client, argv);
    if (client.isMaster) core.afterMasterCommand?.(client);
    else if (core.cluster !== null) core.cluster.afterCommand(client, argv);
  }
}

/** The outcome of looking a command up: its spec and the name errors use ("config|get"), or an error text. */
export function lookupCommand(
  core: ServerCore,
  argv: string[],
): { spec: CommandSpec; fullName: string; parent: string } | { error: string } {
  // Clients send names in upper or lower case; both are indexed, so the common cases allocate nothing.
  let spec = core.commandIndex.get(argv[0]);
  if (!spec) spec = core.commands.get(argv[0].toLowerCase());
  if (!spec) return { error: unknownCommand(argv[0], argv.slice(1)) };
  const name = spec.name;
  if (spec.subcommands) {
    if (argv.length < 2) return { error: wrongArity(name) };
    const subName = argv[1].toLowerCase();
    const sub = spec.subcommands.find((s) => s.name === subName);
    if (!sub) return { error: unknownSubcommand(argv[1], name) };
    const fullName = `${name}|${subName}`;
    if ((sub.arity > 0 && argv.length !== sub.arity) || argv.length < -sub.arity) return { error: wrongArity(fullName) };
    return { spec: sub, fullName, parent: name };
  }
  if ((spec.arity > 0 && argv.length !== spec.arity) || argv.length < -spec.arity) return { error: wrongArity(name) };
  return { spec, fullName: name, parent: name };
}

/** Replies with an error and counts it (INFO errorstats). */
export function replyError(core: ServerCore, client: Client, message: string, commandName?: string): void {
  countError(core, message);
  if (client.isMaster) afterMasterError(core, client, message, commandName);
  client.reply(new ErrorReply(message));
}

/** The AOF loader's client (it runs with isMaster set: no replies, every permission). */
const AOF_CLIENT_ADDR = 'AOF-loading-client';

/**
 * Redis's afterErrorReply for our master's stream and the AOF: the error never reaches anyone, so it is logged
 * as critical (the data may have diverged) and, as propagation-error-behavior says, the process panics.
 */
function afterMasterError(core: ServerCore, client: Client, message: string, commandName: string | undefined): void {
  const aof = client.info.addr === AOF_CLIENT_ADDR;
  const [from, to] = aof ? ['server', 'AOF-loading-client'] : ['replica', 'master'];
  const name = commandName ?? '<unknown>';
  core.host.log(
    'warning',
    `== CRITICAL == This ${from} is sending an error to its ${to}: '${message.slice(0, 4096)}' after processing the command '${name}'`,
  );
  const behavior = core.config.str('propagation-error-behavior');
  const panics = aof
    ? behavior === 'panic'
    : behavior !== 'ignore' && core.config.bool('replica-read-only');
  if (panics) {
    const reason = `This ${from} panicked sending an error to its ${to} after processing the command '${name}'`;
    core.host.log('warning', `------------------------------------------------`);
    core.host.log('warning', `!!! Software Failure. Press left mouse button to continue`);
    core.host.log('warning', `Guru Meditation: ${reason}`);
    // ServerHost has no panic hook: the Node host exits on this error (see node-server.ts).
    throw new PropagationPanic(reason);
  }
}

/** Thrown out of command processing when propagation-error-behavior says to panic; the host exits on it. */
export class PropagationPanic extends Error {}

function countError(core: ServerCore, message: string): void {
  core.stats.totalErrorReplies++;
  const code = message.split(' ', 1)[0];
  core.stats.errors.set(code, (core.stats.errors.get(code) ?? 0) + 1);
}

/** Rejects a command before it runs; inside MULTI the transaction is doomed too (Redis's rejectCommand). */
function reject(core: ServerCore, client: Client, message: string, fullName?: string): void {
  if (fullName) {
    const s = commandStats(core, fullName);
    s.rejected++;
  }
  // A refused EXEC discards its transaction and says why (Redis's execCommandAbort).
  if (fullName === 'exec' && client.multi) {
    client.multi = null;
    core.unwatchAll(client);
    replyError(core, client, `EXECABORT Transaction discarded because of: ${message.startsWith('ERR ') ? message.slice(4) : message}`);
    return;
  }
  if (client.multi) client.multi.aborted = true;
  replyError(core, client, message, fullName);
}

function commandStats(core: ServerCore, name: string) {
  let s = core.stats.commands.get(name);
  if (!s) core.stats.commands.set(name, (s = { calls: 0, failed: 0, rejected: 0 }));
  return s;
}

/**
 * The last name looked up and its spec: pipelines repeat one command, and comparing the name (the parser
 * reuses the same string for a repeated name) is cheaper than hashing into the table of ~500 names.
 */
const lastLookup: { name: string; index: Map<string, CommandSpec> | null; spec: CommandSpec | undefined } = {
  name: '',
  index: null,
  spec: undefined,
};

/**
 * Redis's processCommand: checks a command (known, arity, auth, read-only replica, subscriber mode, stale
 * data, transactions) then runs it, replies, and propagates what it changed.
 */
export function processCommand(core: ServerCore, client: Client, argv: string[]): void {
  core.queueWrite(client);
  let spec: CommandSpec;
  let fullName: string;
  let parentName: string;
  // The common case, a top-level command of the right arity, without lookupCommand's result object.
  let direct: CommandSpec | undefined;
  if (argv[0] === lastLookup.name && core.commandIndex === lastLookup.index) {
    direct = lastLookup.spec;
  } else {
    direct = core.commandIndex.get(argv[0]);
    lastLookup.name = argv[0];
    lastLookup.index = core.commandIndex;
    lastLookup.spec = direct;
  }
  if (
    direct !== undefined &&
    direct.subcommands === undefined &&
    (direct.arity > 0 ? argv.length === direct.arity : argv.length >= -direct.arity)
  ) {
    spec = direct;
    fullName = parentName = direct.name;
  } else {
    const found = lookupCommand(core, argv);
    if ('error' in found) {
      // EXEC with arguments is refused as EXEC: its transaction is discarded.
      reject(core, client, found.error, argv[0].toLowerCase() === 'exec' ? 'exec' : undefined);
      return;
    }
    ({ spec, fullName, parent: parentName } = found);
  }
  client.lastCommand = fullName;

  if (!client.authenticated && !spec.flags.includes('no_auth')) {
    reject(core, client, NOAUTH, fullName);
    return;
  }
  // ACL permissions (Redis's ACLCheckAllPerm); our master's stream runs as no user, with every permission.
  if (!client.isMaster && core.permissions !== null) {
    const denied = core.permissions.check(client, fullName, argv);
    if (denied !== null) {
      reject(core, client, denied, fullName);
      return;
    }
  }
  if (core.cluster !== null && !client.isMaster) {
    const err = core.cluster.route(client, spec, argv, parentName);
    if (err !== null) {
      // EXEC redirected: the transaction is dropped (Redis's discardTransaction); else it is doomed.
      if (parentName === 'exec' && client.multi) {
        client.multi = null;
        core.unwatchAll(client);
      }
      reject(core, client, err, fullName);
      return;
    }
  }
  // maxmemory: evict before every command; when nothing more can go, refuse what may grow the dataset (denyoom
  // commands, an EXEC queuing one, and anything queued in MULTI but EXEC/DISCARD/QUIT/RESET), as Redis does.
  // Never our master's stream: refusing its writes would make this replica diverge.
  if (core.memory.active && !client.isMaster && core.performEvictions() === 'fail') {
    const denyoom =
      spec.flags.includes('denyoom') ||
      (parentName === 'exec' && client.multi !== null && client.multi.queue.some((q) => q.spec.flags.includes('denyoom'))) ||
      (client.multi !== null && !OOM_MULTI_ALLOWED.has(parentName));
    if (denyoom) {
      reject(core, client, OOM, fullName);
      return;
    }
  }
  // Redis's processCommand keeps the tracking table within tracking-table-max-keys before running a command.
  if (core.tracking.clients > 0) core.tracking.limitUsedSlots();
  // EXEC counts as a write when it queued one, and as not allowed on stale data when it queued such a command
  // (Redis's mstate.cmd_flags / cmd_inv_flags): the state may have changed since the commands were queued.
  const execQueue = parentName === 'exec' && client.multi !== null ? client.multi.queue : null;
  const isWrite = spec.flags.includes('write') || (execQueue !== null && execQueue.some((q) => q.spec.flags.includes('write')));
  if (!client.isMaster) {
    const guardSpec = isWrite && !spec.flags.includes('write') ? { ...spec, flags: [...spec.flags, 'write' as const] } : spec;
    for (const guard of core.writeGuards) {
      const err = guard(client, guardSpec);
      if (err) {
        reject(core, client, err, fullName);
        return;
      }
    }
    if (core.isReplica() && isWrite && core.config.bool('replica-read-only')) {
      reject(core, client, READONLY, fullName);
      return;
    }
  }
  if (client.subscribed && client.protocol === 2 && !SUBSCRIBER_ALLOWED.has(parentName)) {
    reject(
      core,
      client,
      `ERR Can't execute '${fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
      fullName,
    );
    return;
  }
  if (
    core.isReplica() &&
    !core.masterLinkUp &&
    !client.isMaster &&
    !core.config.bool('replica-serve-stale-data') &&
    (!spec.flags.includes('stale') || (execQueue !== null && execQueue.some((q) => !q.spec.flags.includes('stale'))))
  ) {
    reject(core, client, MASTERDOWN, fullName);
    return;
  }
  // CLIENT PAUSE holds the command (every one, or those that may write) until the pause ends; replicas and our
  // master's stream are never held.
  if (core.clientPause && !client.isMaster && !client.isReplica && core.writesPaused()) {
    const mayWrite = (s: CommandSpec, a: string[]) => {
      const flags = s.callFlags ? s.callFlags(core, a) : s.flags;
      return flags.includes('write') || flags.includes('may_replicate');
    };
    const held =
      core.clientPause.all ||
      mayWrite(spec, argv) ||
      (parentName === 'exec' && client.multi !== null && client.multi.queue.some((q) => mayWrite(q.spec, q.argv)));
    if (held) {
      client.postponed = argv;
      core.postponed.add(client);
      return;
    }
  }
  if (client.multi && !MULTI_IMMEDIATE.has(parentName)) {
    if (spec.flags.includes('no_multi')) {
      reject(core, client, 'ERR Command not allowed inside a transaction', fullName);
      return;
    }
    client.multi.queue.push({ spec, argv, fullName });
    client.reply(QUEUED);
    return;
  }

  if (core.tracking.clients > 0) core.tracking.current = client;
  const result = call(core, client, spec, argv, fullName);
  if (result instanceof BlockRequest) {
    core.block(client, {
      spec,
      argv: result.argv ?? argv,
      db: result.db ?? client.db,
      keys: result.keys,
      deadline: result.deadline,
      timeoutReply: result.timeoutReply,
    });
  } else {
    client.reply(result);
  }
  if (core.tracking.current !== null) core.tracking.afterCommand();
  if (core.propagator.flush(TOUCHES_ARBITRARY_KEYS.has(spec.name))) client.lastWriteOffset = core.replicationOffset();
  if (client.isMaster) core.appliedFromMaster.flush();
  core.handleReadyKeys();
}

/** Commands Redis 7.0 flags TOUCHES_ARBITRARY_KEYS: their lazy-expiry DELs are not wrapped in MULTI/EXEC. */
const TOUCHES_ARBITRARY_KEYS = new Set(['scan', 'randomkey']);

/**
 * Runs one command's handler and queues its propagated form (Redis's call()). Used at top level and by EXEC
 * for each queued command; the caller flushes propagation once per execution.
 */
export function call(
  core: ServerCore,
  client: Client,
  spec: CommandSpec,
  argv: string[],
  fullName: string,
  /**
   * Show it to MONITOR clients and count the call (false when a blocked command is run again: it was shown and
   * counted the first time, as Redis counts a blocked command once).
   */
  monitor = true,
): HandlerResult {
  const ctx = new CommandContext(core, client, spec, argv);
  const stats = commandStats(core, fullName);
  if (monitor) {
    stats.calls++;
    core.stats.totalCommandsProcessed++;
  }
  let result: HandlerResult;
  // The slow log and the latency monitor time every command unless both are off, as Redis's call() does.
  const clock = core.clock;
  const started =
    core.slowlogThreshold < 0 && core.latencyThreshold <= 0 && !core.latencyTracking ? -1 : clock.valid ? clock.at : core.micros();
  // A script's commands find their caller here (client-side caching remembers the script's keys for it).
  const outer = core.tracking.executing;
  if (core.tracking.clients > 0) core.tracking.executing = { client, spec, argv };
  try {
    if (!spec.handler) throw new CommandError(`ERR command '${fullName}' has no handler`);
    result = spec.handler(ctx, argv);
  } catch (e) {
    if (e instanceof CommandError) {
      result = new ErrorReply(e.message);
    } else {
      // A bug must not take the server down or leak a stack to the client: report it like Redis's panics
      // are reported, as an error reply, and log it.
      core.host.log('warning', `Internal error in '${fullName}': ${(e as Error).stack ?? String(e)}`);
      result = new ErrorReply(`ERR internal error: ${(e as Error).message}`);
    }
  }
  core.tracking.executing = outer;
  if (result instanceof ErrorReply) {
    stats.failed++;
    countError(core, result.message);
    if (client.isMaster) afterMasterError(core, client, result.message, fullName);
  }
  if (result instanceof BlockRequest && client.inExec) result = timeoutReplyOf(result.timeoutReply);
  if (core.tracking.clients > 0 || core.tracking.table.size > 0) trackingAfterCall(core, client, spec, argv, result);
  // A command that blocked is logged when it completes (its final run), not while it waits.
  if (started >= 0) {
    const ended = core.micros();
    clock.at = ended;
    clock.valid = clock.chain;
    const micros = ended - started;
    if (
      core.slowlogThreshold >= 0 &&
      micros >= core.slowlogThreshold &&
      !(result instanceof BlockRequest) &&
      !spec.flags.includes('skip_slowlog')
    ) {
      core.slowlog.push(client, argv, micros, core.now(), core.config.int('slowlog-max-len'));
    }
    // A blocked command is recorded when it completes (Redis records its whole time at unblocking).
    if (core.latencyTracking && !(result instanceof BlockRequest)) core.latency.recordCommand(fullName, micros);
    if (core.latencyThreshold > 0 && !(result instanceof BlockRequest)) {
      const ms = Math.floor(micros / 1000);
      // Redis files a blocked command's final run under "command-unblocking" (updateStatsOnUnblock).
      const event = !monitor ? 'command-unblocking' : spec.flags.includes('fast') ? 'fast-command' : 'command';
      if (ms >= core.latencyThreshold) core.latency.addSample(event, ms, Math.floor(core.now() / 1000));
    }
  }
  // As Redis: after it ran (SELECT shows its new db), and never administrative commands.
  if (monitor && core.monitors.size > 0 && !spec.flags.includes('admin') && !spec.flags.includes('skip_monitor')) {
    feedMonitors(core, client, argv);
  }
  // Writes arriving from our master are forwarded as the exact bytes received (see replication), and writes made
  // on a writable replica never leave it: only a master's own executions propagate.
  if (ctx.dirty > 0) {
    // A replica's own record of what it applied (its AOF) is kept only while someone listens.
    const out = !client.isMaster && !core.isReplica() ? core.propagator : client.isMaster && core.appliedFromMaster.listening ? core.appliedFromMaster : null;
    if (out !== null) {
      if (ctx.propagateAs === undefined) out.add(client.db, argv);
      else if (ctx.propagateAs !== null) for (const op of ctx.propagateAs) out.add(client.db, op);
    }
    // A writable replica's own keys with a TTL: the master will never DEL them, the replica expires them.
    if (!client.isMaster && core.isReplica()) {
      const db = core.dbs[client.db];
      if (db.expires.size > 0) {
        for (const i of commandKeys(spec, argv)) if (db.expires.has(argv[i])) rememberReplicaKeyWithExpire(core, client.db, argv[i]);
      }
    }
  }
  return result;
}

/**
 * Runs a blocked client's command again (a key it waits on was touched) or answers its timeout, then goes
 * on with the input it received meanwhile.
 */
export function resumeBlocked(core: ServerCore, client: Client, timedOut: boolean): void {
  const state = client.blocked;
  if (!state) return;
  let result: HandlerResult;
  // Invalidations the command causes for its own client follow its reply, as for any command.
  const tracking = core.tracking;
  const savedCurrent = tracking.current;
  const ownInvalidations = !timedOut && tracking.clients > 0;
  if (ownInvalidations) tracking.current = client;
  if (timedOut) {
    result = timeoutReplyOf(state.timeoutReply);
  } else {
    const savedDb = client.db;
    client.db = state.db;
    result = call(core, client, state.spec, state.argv, state.spec.name, false);
    client.db = savedDb;
    core.propagator.flush();
  }
  const stillBlocked = result instanceof BlockRequest; // still nothing for it: keep waiting in its place
  if (!stillBlocked) {
    core.unblock(client);
    client.reply(result as Reply);
  }
  if (ownInvalidations) {
    tracking.afterCommand();
    tracking.current = savedCurrent;
  }
  if (stillBlocked) return;
  core.queueWrite(client);
  processInput(core, client);
}

/** EXEC: runs the queued commands atomically, or fails as Redis does. Returns the reply. */
export function execTransaction(core: ServerCore, client: Client): Reply {
  const multi = client.multi;
  if (!multi) return new ErrorReply('ERR EXEC without MULTI');
  client.multi = null;
  if (multi.aborted) {
    core.unwatchAll(client);
    return new ErrorReply(EXECABORT);
  }
  // A WATCHed key that expired since (deleted or not yet) fails EXEC, as in Redis 7 (isWatchedKeyExpired).
  if (client.dirtyCas || (client.watched.length > 0 && core.watchedKeyExpired(client))) {
    core.unwatchAll(client);
    return NULL_ARRAY;
  }
  core.unwatchAll(client);
  const replies: Reply[] = [];
  client.inExec = true;
  try {
    for (const { spec, argv, fullName } of multi.queue) {
      // Permissions are checked again: the user's rules may have changed since the command was queued.
      const denied = client.isMaster || core.permissions === null ? null : core.permissions.checkQueued(client, fullName, argv, multi);
      if (denied !== null) {
        replies.push(new ErrorReply(denied));
        continue;
      }
      const r = call(core, client, spec, argv, fullName);
      replies.push(r as Reply);
    }
  } finally {
    client.inExec = false;
  }
  return replies;
}

function timeoutReplyOf(r: Reply | (() => Reply)): Reply {
  return typeof r === 'function' ? r() : r;
}
