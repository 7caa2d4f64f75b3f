import { CommandError, SYNTAX } from '../errors.js';
import { globMatch } from '../glob.js';
import { aclOf } from '../engine/acl.js';
import type { Client } from '../engine/client.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import { Config, configSetError } from '../engine/config.js';
import { processInput, replyError, resumeBlocked } from '../engine/dispatch.js';
import { trackingListFlags, trackingSubcommands } from '../engine/tracking.js';
import type { ServerCore, SnapshotPersistence } from '../engine/server-core.js';
import { MapReply, NO_REPLY, OK, SimpleString, VerbatimReply, type Reply } from '../resp/reply.js';
import { commandCommand, helpReply, subcommandSyntaxError } from './command-docs.js';
import { infoText, resetInfoPeaks } from './info.js';
import { isWord, parseInteger } from './parse.js';
import { shutdownCommand, shutdownOf } from './shutdown.js';

const INVALID_CLIENT_NAME = 'ERR Client names cannot contain spaces, newlines or special characters.';
const NO_SUCH_CLIENT = 'ERR No such client';
const UNBLOCKED = 'UNBLOCKED client unblocked via CLIENT UNBLOCK';
/** A runtime without snapshot storage (no `persistence` host) keeps its data in memory only. */
const NO_PERSISTENCE = (cmd: string) =>
  `ERR ${cmd} is not supported: this server keeps data in memory only and does not write RDB or AOF files`;

/** Redis's client types, by the names CLIENT LIST TYPE and CLIENT KILL TYPE accept. */
type ClientType = 'normal' | 'slave' | 'pubsub' | 'master';

/** Redis's getClientType. */
function clientType(c: Client): ClientType {
  if (c.isMaster) return 'master';
  if (c.isReplica) return 'slave';
  if (c.subscribed) return 'pubsub';
  return 'normal';
}

/** Redis's getClientTypeByName; throws its error for an unknown name. */
function clientTypeByName(name: string): ClientType {
  const n = name.toLowerCase();
  if (n === 'normal' || n === 'pubsub' || n === 'master') return n;
  if (n === 'slave' || n === 'replica') return 'slave';
  throw new CommandError(`ERR Unknown client type '${name}'`);
}

/** Per-client flags that only CLIENT commands read (NO-EVICT, NO-TOUCH). */
const noEvict = new WeakSet<Client>();
const noTouch = new WeakSet<Client>();

/**
 * One CLIENT LIST line, field for field as Redis 7.0's catClientInfoString. Buffer sizes that have no
 * equivalent here (reply buffer blocks) are 0; the query buffer's follow Redis's (see query-buffer.ts).
 */
export function clientInfoLine(c: Client, now: number): string {
  let flags = '';
  if (c.isReplica) flags += 'S';
  if (c.isMaster) flags += 'M';
  if (c.subscribed) flags += 'P';
  if (c.multi) flags += 'x';
  if (c.blocked) flags += 'b';
  flags += trackingListFlags(c);
  if (c.dirtyCas) flags += 'd';
  if (c.closeAfterReply) flags += 'c';
  if (noEvict.has(c)) flags += 'e';
  if (flags === '') flags = 'N';
  const seconds = (ms: number) => Math.floor(now / 1000) - Math.floor(ms / 1000);
  // JS has no descriptors: in-process clients get Redis's fake-client -1, network ones a stable positive number.
  const fd = c.info.kind === 'internal' ? -1 : c.id + 7;
  const omem = c.pendingOutput();
  const qbuf = c.queryBuffer.length(c.parser.consumed, c.parser.pending);
  return (
    `id=${c.id} addr=${c.info.addr} laddr=${c.info.laddr} fd=${fd} name=${c.name} ` +
    `age=${seconds(c.createdAt)} idle=${seconds(c.lastInteraction)} flags=${flags} db=${c.db} ` +
    `sub=${c.channels.size} psub=${c.patterns.size} ssub=${c.shardChannels.size} multi=${c.multi ? c.multi.queue.length : -1} ` +
    `qbuf=${qbuf} qbuf-free=${Math.max(0, c.queryBuffer.alloc - qbuf)} argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=${omem} ` +
    `tot-mem=${omem} events=r cmd=${c.lastCommand} user=${c.user} redir=${c.tracking ? c.tracking.redirect : -1} resp=${c.protocol}`
  );
}

/** Whether a name is valid for CLIENT SETNAME / SETINFO: printable ASCII without spaces. */
function validClientAttr(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch < 0x21 || ch > 0x7e) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// CLIENT REPLY SKIP
// ---------------------------------------------------------------------------------------------------------

/**
 * CLIENT REPLY SKIP silences the next command's reply. Dispatch has no per-command hook after a command, so
 * the skip turns replies off at once and a write guard (which runs before every command) turns them back on
 * when the command after the skipped one starts.
 */
const replySkip = new WeakMap<Client, 'armed' | 'skipping'>();
const skipGuardInstalled = new WeakSet<ServerCore>();

function armReplySkip(core: ServerCore, client: Client): void {
  if (!skipGuardInstalled.has(core)) {
    skipGuardInstalled.add(core);
    core.writeGuards.push((c) => {
      const state = replySkip.get(c);
      if (state === 'armed') {
        replySkip.set(c, 'skipping');
      } else if (state === 'skipping') {
        replySkip.delete(c);
        c.replyOff = false;
      }
      return null;
    });
  }
  replySkip.set(client, 'armed');
  client.replyOff = true;
}

// ---------------------------------------------------------------------------------------------------------
// CONFIG
// ---------------------------------------------------------------------------------------------------------

/** A scratch configuration to learn whether a parameter may change at runtime without touching the real one. */
const probe = new Config();

function isMutable(name: string): boolean {
  try {
    probe.set(name, probe.getText(name));
    return true;
  } catch (e) {
    return (e as Error).message !== "can't set immutable config";
  }
}

/**
 * CONFIG SET name value [name value ...]: all or nothing. Names are checked first (unknown, immutable,
 * duplicate: the first problem wins), then values are set in order and, if one is rejected, the ones already
 * set are restored, as Redis 7.0 does.
 */
function configSet(config: Config, args: string[]): Reply {
  if (args.length % 2 !== 0) throw new CommandError(SYNTAX);
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i];
    if (!Config.has(name)) throw new CommandError(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
    if (!isMutable(name)) throw configSetError(name, "can't set immutable config");
    if (seen.has(name.toLowerCase())) throw configSetError(name, 'duplicate parameter');
    seen.add(name.toLowerCase());
  }
  const names = args.filter((_, i) => i % 2 === 0);
  const old = names.map((n) => config.getText(n));
  for (let i = 0; i < names.length; i++) {
    try {
      config.set(names[i], args[i * 2 + 1]);
    } catch (e) {
      for (let j = i - 1; j >= 0; j--) config.set(names[j], old[j], true);
      throw configSetError(names[i].toLowerCase(), (e as Error).message);
    }
  }
  return OK;
}

/** CONFIG GET pattern [pattern ...]: plain names are looked up as given, patterns matched case-insensitively. */
function configGet(config: Config, patterns: string[]): Reply {
  const found = new Map<string, string>();
  for (const p of patterns) {
    if (!/[[*?]/.test(p)) {
      if (!found.has(p) && Config.has(p)) found.set(p, config.getText(p));
      continue;
    }
    for (const [name, value] of config.entries((n) => globMatch(p, n, true))) {
      if (!found.has(name)) found.set(name, value);
    }
  }
  return new MapReply([...found]);
}

/** CONFIG RESETSTAT: Redis's resetServerStats, resetCommandTableStats and resetErrorTableStats. */
function resetStats(core: ServerCore): void {
  const s = core.stats;
  s.totalConnectionsReceived = 0;
  s.totalNetInputBytes = 0;
  s.totalNetOutputBytes = 0;
  s.rejectedConnections = 0;
  s.expiredKeys = 0;
  s.evictedKeys = 0;
  s.lazyfreedObjects = 0;
  core.latency.resetHistograms();
  s.keyspaceHits = 0;
  s.keyspaceMisses = 0;
  s.totalErrorReplies = 0;
  s.commands.clear();
  s.errors.clear();
  // Redis counts a command after it ran, so RESETSTAT itself shows up once; dispatch counted it beforehand.
  s.totalCommandsProcessed = 1;
  s.commands.set('config|resetstat', { calls: 1, failed: 0, rejected: 0 });
  resetInfoPeaks(core);
}

const configCommand = command({
  name: 'config',
  arity: -2,
  group: 'server',
  summary: 'A container for server configuration commands',
  since: '2.0.0',
  subcommands: [
    command({
      name: 'get',
      arity: -3,
      group: 'server',
      flags: ['admin', 'noscript', 'loading', 'stale'],
      summary: 'Get the values of configuration parameters',
      since: '2.0.0',
      handler: (ctx, argv) => configGet(ctx.core.config, argv.slice(2)),
    }),
    command({
      name: 'set',
      arity: -4,
      group: 'server',
      flags: ['admin', 'noscript', 'loading', 'stale'],
      summary: 'Set configuration parameters to the given values',
      since: '2.0.0',
      handler: (ctx, argv) => configSet(ctx.core.config, argv.slice(2)),
    }),
    command({
      name: 'rewrite',
      arity: 2,
      group: 'server',
      flags: ['admin', 'noscript', 'loading', 'stale'],
      summary: 'Rewrite the configuration file with the in memory configuration',
      since: '2.8.0',
      handler: (ctx) => {
        const file = ctx.core.host.runtimeInfo?.().server?.find(([k]) => k === 'config_file')?.[1];
        if (!file) throw new CommandError('ERR The server is running without a config file');
        // The core cannot write files: the runtime rewrites its file (the Node server does; others cannot).
        const failed = ctx.core.host.rewriteConfig ? ctx.core.host.rewriteConfig() : 'Operation not supported';
        if (failed !== null) {
          ctx.core.host.log('warning', `CONFIG REWRITE failed: ${failed}`);
          throw new CommandError(`ERR Rewriting config file: ${failed}`);
        }
        ctx.core.host.log('notice', 'CONFIG REWRITE executed with success.');
        return OK;
      },
    }),
    command({
      name: 'help',
      arity: 2,
      group: 'server',
      flags: ['loading', 'stale'],
      summary: 'Show helpful text about the different subcommands',
      since: '5.0.0',
      handler: (_ctx, argv) =>
        helpReply(argv[0], [
          'GET <pattern>',
          '    Return parameters matching the glob-like <pattern> and their values.',
          'SET <directive> <value>',
          '    Set the configuration <directive> to <value>.',
          'RESETSTAT',
          '    Reset statistics reported by the INFO command.',
          'REWRITE',
          '    Rewrite the configuration file.',
        ]),
    }),
    command({
      name: 'resetstat',
      arity: 2,
      group: 'server',
      flags: ['admin', 'noscript', 'loading', 'stale'],
      summary: 'Reset the stats returned by INFO',
      since: '2.0.0',
      handler: (ctx) => {
        resetStats(ctx.core);
        return OK;
      },
    }),
  ],
});

// ---------------------------------------------------------------------------------------------------------
// CLIENT
// ---------------------------------------------------------------------------------------------------------

/** CLIENT KILL, both forms: `addr` (old: OK or an error, may kill the caller) and option/value pairs (a count). */
function clientKill(core: ServerCore, self: Client, argv: string[]): Reply {
  let addr: string | null = null;
  let laddr: string | null = null;
  let user: string | null = null;
  let type: ClientType | null = null;
  let id = 0;
  let skipMe = true;
  const oldForm = argv.length === 3;
  if (oldForm) {
    addr = argv[2];
    skipMe = false;
  } else {
    for (let i = 2; i < argv.length; i += 2) {
      const opt = argv[i];
      if (i + 1 >= argv.length) throw new CommandError(SYNTAX);
      const value = argv[i + 1];
      if (isWord(opt, 'id')) {
        id = parseInteger(value, 'ERR client-id should be greater than 0');
        if (id < 1) throw new CommandError('ERR client-id should be greater than 0');
      } else if (isWord(opt, 'type')) {
        type = clientTypeByName(value);
      } else if (isWord(opt, 'addr')) {
        addr = value;
      } else if (isWord(opt, 'laddr')) {
        laddr = value;
      } else if (isWord(opt, 'user')) {
        if (!aclOf(core).users.has(value)) throw new CommandError(`ERR No such user '${value}'`);
        user = value;
      } else if (isWord(opt, 'skipme')) {
        if (isWord(value, 'yes')) skipMe = true;
        else if (isWord(value, 'no')) skipMe = false;
        else throw new CommandError(SYNTAX);
      } else {
        throw new CommandError(SYNTAX);
      }
    }
  }
  let killed = 0;
  let killSelf = false;
  for (const c of [...core.clients.values()]) {
    if (addr !== null && c.info.addr !== addr) continue;
    if (laddr !== null && c.info.laddr !== laddr) continue;
    if (type !== null && clientType(c) !== type) continue;
    if (id !== 0 && c.id !== id) continue;
    if (user !== null && c.user !== user) continue;
    if (c === self && skipMe) continue;
    // The caller gets its reply before its connection closes.
    if (c === self) killSelf = true;
    else core.kill(c);
    killed++;
  }
  if (killSelf) self.closeAfterReply = true;
  if (oldForm) {
    if (killed === 0) throw new CommandError(NO_SUCH_CLIENT);
    return OK;
  }
  return killed;
}

/** CLIENT UNBLOCK id [TIMEOUT|ERROR]: answers a blocked client as if it timed out, or with an error. */
function clientUnblock(core: ServerCore, argv: string[]): Reply {
  if (argv.length !== 3 && argv.length !== 4) throw subcommandSyntaxError(argv);
  let asError = false;
  if (argv.length === 4) {
    if (isWord(argv[3], 'error')) asError = true;
    else if (!isWord(argv[3], 'timeout')) throw new CommandError('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
  }
  const target = core.clients.get(parseInteger(argv[2]));
  // A SHUTDOWN waiting for replicas is answered by the shutdown's end or ABORT only (Redis 7.0 would crash here).
  if (!target?.blocked || shutdownOf(core).isWaiting(target)) return 0;
  if (asError) {
    core.unblock(target);
    replyError(core, target, UNBLOCKED);
    core.queueWrite(target);
    processInput(core, target);
  } else {
    resumeBlocked(core, target, true);
  }
  return 1;
}

/** An ON|OFF switch argument. */
function onOff(arg: string): boolean {
  if (isWord(arg, 'on')) return true;
  if (isWord(arg, 'off')) return false;
  throw new CommandError(SYNTAX);
}

const CLIENT_HELP = [
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'SETINFO <option> <value>',
  '    Set client meta attr. Options are:',
  '    * LIB-NAME: the client lib name.',
  '    * LIB-VER: the client lib version.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'NO-TOUCH (ON|OFF)',
  '    Will not touch LRU/LFU stats when this mode is on.',
];

const clientCommand = command({
  name: 'client',
  arity: -2,
  group: 'connection',
  summary: 'A container for client connection commands',
  since: '2.4.0',
  subcommands: [
    command({
      name: 'id',
      arity: 2,
      group: 'connection',
      flags: ['noscript', 'loading', 'stale'],
      summary: 'Returns the client ID for the current connection',
      since: '5.0.0',
      handler: (ctx) => ctx.client.id,
    }),
    command({
      name: 'info',
      arity: 2,
      group: 'connection',
      flags: ['noscript', 'loading', 'stale'],
      summary: 'Returns information about the current client connection.',
      since: '6.2.0',
      handler: (ctx) => new VerbatimReply('txt', `${clientInfoLine(ctx.client, ctx.now)}\n`),
    }),
    command({
      name: 'list',
      arity: -2,
      group: 'connection',
      flags: ['admin', 'noscript', 'loading', 'stale'],
      summary: 'Get the list of client connections',
      since: '2.4.0',
      handler: (ctx, argv) => {
        const core = ctx.core;
        let clients: Client[];
        if (argv.length === 4 && isWord(argv[2], 'type')) {
          const type = clientTypeByName(argv[3]);
          clients = [...core.clients.values()].filter((c) => clientType(c) === type);
        } else if (argv.length > 3 && isWord(argv[2], 'id')) {
          clients = [];
          for (const arg of argv.slice(3)) {
            const c = core.clients.get(parseInteger(arg, 'ERR Invalid client ID'));
            if (c) clients.push(c);
          }
        } else if (argv.length !== 2) {
          throw new CommandError(SYNTAX);
        } else {
          clients = [...core.clients.values()];
        }
        return new VerbatimReply('txt', clients.map((c) => `${clientInfoLine(c, ctx.now)}\n`).join(''));
      },
    }),
    command({
      name: 'kill',
      arity: -3,
      group: 'connection',
      flags: ['admin', 'noscript', 'loading', 'stale'],
      summary: 'Kill the connection of a client',
      since: '2.4.0',
      handler: (ctx, argv) => clientKill(ctx.core, ctx.client, argv),
    }),
    command({
      name: 'reply',
      arity: 3,
      group: 'connection',
      flags: ['noscript', 'loading', 'stale'],
      summary: 'Instruct the server whether to reply to commands',
      since: '3.2.0',
      handler: (ctx, argv) => {
        const c = ctx.client;
        if (isWord(argv[2], 'on')) {
          replySkip.delete(c);
          c.replyOff = false;
          return OK;
        }
        if (isWord(argv[2], 'off')) {
          replySkip.delete(c);
          c.replyOff = true;
          return NO_REPLY;
        }
        if (isWord(argv[2], 'skip')) {
          // Under REPLY OFF there is nothing to skip; a SKIP during a skip silences the command after it too.
          if (!c.replyOff || replySkip.has(c)) armReplySkip(ctx.core, c);
          return NO_REPLY;
        }
        throw new CommandError(SYNTAX);
      },
    }),
    command({
      name: 'setname',
      arity: 3,
      group: 'connection',
      flags: ['noscript', 'loading', 'stale'],
      summary: 'Set the current connection name',
      since: '2.6.9',
      handler: (ctx, argv) => {
        if (!validClientAttr(argv[2])) throw new CommandError(INVALID_CLIENT_NAME);
        ctx.client.name = argv[2];
        return OK;
      },
    }),
    command({
      name: 'getname',
      arity: 2,
      group: 'connection',
      flags: ['noscript', 'loading', 'stale'],
      summary: 'Get the current connection name',
      since: '2.6.9',
      handler: (ctx) => (ctx.client.name === '' ? null : ctx.client.name),
    }),
    command({
      name: 'setinfo',
      arity: 4,
      group: 'connection',
      flags: ['noscript', 'loading', 'stale'],
      summary: 'Set client or connection specific info',
      since: '7.2.0',
      handler: (ctx, argv) => {
        const attr = argv[2];
        const isName = isWord(attr, 'lib-name');
        if (!isName && !isWord(attr, 'lib-ver')) throw new CommandError(`ERR Unrecognized option '${attr}'`);
        if (!validClientAttr(argv[3])) {
          throw new CommandError(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
        }
        if (isName) ctx.client.libName = argv[3];
        else ctx.client.libVer = argv[3];
        return OK;
      },
    }),
    command({
      name: 'unblock',
      arity: -3,
      group: 'connection',
      flags: ['admin', 'noscript', 'loading', 'stale'],
      summary: 'Unblock a client blocked in a blocking command from a different connection',
      since: '5.0.0',
      handler: (ctx, argv) => clientUnblock(ctx.core, argv),
    }),
    command({
      name: 'pause',
      arity: -3,
      group: 'connection',
      flags: ['admin', 'noscript', 'loading', 'stale'],
      summary: 'Suspend processing of clients',
      since: '3.0.0',
      handler: (ctx, argv) => {
        if (argv.length > 4) throw subcommandSyntaxError(argv);
        const ms = parseInteger(argv[2], 'ERR timeout is not an integer or out of range');
        if (ms < 0) throw new CommandError('ERR timeout is negative');
        let all = true;
        if (argv.length === 4) {
          if (isWord(argv[3], 'write')) all = false;
          else if (!isWord(argv[3], 'all')) throw new CommandError('ERR CLIENT PAUSE mode must be WRITE or ALL');
        }
        ctx.core.pause(ctx.now + ms, all);
        shutdownOf(ctx.core).clientPaused(ctx.now + ms, all);
        return OK;
      },
    }),
    command({
      name: 'unpause',
      arity: 2,
      group: 'connection',
      flags: ['admin', 'noscript', 'loading', 'stale'],
      summary: 'Resume processing of clients that were paused',
      since: '6.2.0',
      handler: (ctx) => {
        // As Redis's per-purpose pauses: CLIENT UNPAUSE lifts CLIENT PAUSE, not a shutdown's wait for replicas.
        if (!shutdownOf(ctx.core).clientUnpaused()) ctx.core.unpause();
        return OK;
      },
    }),
    command({
      name: 'no-evict',
      arity: 3,
      group: 'connection',
      flags: ['admin', 'noscript', 'loading', 'stale'],
      summary: 'Set client eviction mode for the current connection',
      since: '7.0.0',
      handler: (ctx, argv) => {
        if (onOff(argv[2])) noEvict.add(ctx.client);
        else noEvict.delete(ctx.client);
        return OK;
      },
    }),
    command({
      name: 'no-touch',
      arity: 3,
      group: 'connection',
      flags: ['noscript', 'loading', 'stale'],
      summary: 'Controls whether commands sent by the client will alter the LRU/LFU of the keys they access.',
      since: '7.2.0',
      handler: (ctx, argv) => {
        // Nothing here tracks LRU/LFU; the mode is remembered so the command behaves as in Redis 7.2.
        if (onOff(argv[2])) noTouch.add(ctx.client);
        else noTouch.delete(ctx.client);
        return OK;
      },
    }),
    command({
      name: 'help',
      arity: 2,
      group: 'connection',
      flags: ['loading', 'stale'],
      summary: 'Show helpful text about the different subcommands',
      since: '5.0.0',
      handler: (_ctx, argv) => helpReply(argv[0], CLIENT_HELP),
    }),
    ...trackingSubcommands,
  ],
});

// ---------------------------------------------------------------------------------------------------------
// The rest of the server group
// ---------------------------------------------------------------------------------------------------------

/** Redis's error for BGSAVE (without SCHEDULE) while an AOF rewrite runs. */
const BGSAVE_CHILD_ACTIVE =
  "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.";

/** Redis's error for SAVE / BGSAVE while a background save runs. */
const BGSAVE_IN_PROGRESS = 'ERR Background save already in progress';

/** INFO, CONFIG, CLIENT, COMMAND, TIME, SHUTDOWN, LASTSAVE, SAVE, BGSAVE (DEBUG is in debug.ts). */
export const serverCommands: CommandSpec[] = [
  command({
    name: 'info',
    arity: -1,
    group: 'server',
    flags: ['loading', 'stale'],
    summary: 'Get information and statistics about the server',
    handler: (ctx, argv) => new VerbatimReply('txt', infoText(ctx.core, argv.slice(1))),
  }),
  configCommand,
  clientCommand,
  commandCommand,
  command({
    name: 'time',
    arity: 1,
    group: 'server',
    flags: ['loading', 'stale', 'fast'],
    summary: 'Return the current server time',
    since: '2.6.0',
    handler: (ctx) => {
      const now = ctx.core.now();
      return [String(Math.floor(now / 1000)), String((now % 1000) * 1000)];
    },
  }),
  command({
    name: 'lastsave',
    arity: 1,
    group: 'server',
    flags: ['loading', 'stale', 'fast'],
    summary: 'Get the UNIX time stamp of the last successful save to disk',
    // Before any save the dataset is as old as the process, which is what Redis reports too.
    handler: (ctx) => Math.floor((ctx.core.host.persistence?.lastSave() ?? ctx.core.startedAt) / 1000),
  }),
  command({
    name: 'save',
    arity: 1,
    group: 'server',
    flags: ['admin', 'noscript', 'no_multi'],
    summary: 'Synchronously save the dataset to disk',
    handler: (ctx) => {
      const persistence = ctx.core.host.persistence;
      if (!persistence) throw new CommandError(NO_PERSISTENCE('SAVE'));
      if (persistence.saving()) throw new CommandError(BGSAVE_IN_PROGRESS);
      // Redis answers a failed save with a bare "-ERR"; the reason is in the log.
      if (!persistence.save()) throw new CommandError('ERR');
      return OK;
    },
  }),
  command({
    name: 'bgsave',
    arity: -1,
    group: 'server',
    flags: ['admin', 'noscript'],
    summary: 'Asynchronously save the dataset to disk',
    handler: (ctx, argv) => {
      if (argv.length > 2 || (argv.length === 2 && !isWord(argv[1], 'schedule'))) throw new CommandError(SYNTAX);
      const persistence = ctx.core.host.persistence;
      if (!persistence) throw new CommandError(NO_PERSISTENCE('BGSAVE'));
      if (persistence.saving()) throw new CommandError(BGSAVE_IN_PROGRESS);
      // Inside EXEC, or while an AOF rewrite runs (Redis's other child), the save waits for the cron.
      const aofRewriting = ctx.core.host.appendOnly?.rewriting() === true;
      if (aofRewriting && !ctx.client.inExec && argv.length !== 2) throw new CommandError(BGSAVE_CHILD_ACTIVE);
      if (ctx.client.inExec || aofRewriting) {
        persistence.scheduleBackgroundSave();
        return new SimpleString('Background saving scheduled');
      }
      if (!persistence.backgroundSave()) throw new CommandError('ERR');
      return new SimpleString('Background saving started');
    },
  }),
  command({
    name: 'bgrewriteaof',
    arity: 1,
    group: 'server',
    flags: ['admin', 'noscript'],
    summary: 'Asynchronously rewrite the append-only file',
    handler: (ctx) => {
      const aof = ctx.core.host.appendOnly;
      if (!aof) throw new CommandError(NO_PERSISTENCE('BGREWRITEAOF'));
      const r = aof.backgroundRewrite(ctx.client.inExec);
      if ('error' in r) throw new CommandError(`ERR ${r.error}`);
      return new SimpleString(r.status);
    },
  }),
  shutdownCommand,
];
