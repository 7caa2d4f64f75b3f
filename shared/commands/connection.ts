import { AUTH_WITHOUT_PASSWORD, CommandError, INVALID_DB, SYNTAX, WRONGPASS } from '../errors.js';
import type { Client } from '../engine/client.js';
import type { ServerCore } from '../engine/server-core.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import { MapReply, OK, PONG, SimpleString, type Reply } from '../resp/reply.js';
import { parseInteger } from './parse.js';

/** The server's identity as HELLO reports it. */
export const SERVER_NAME = 'redis';
export const SERVER_VERSION = '7.0.15';

/** Connection commands: PING, ECHO, SELECT, QUIT, RESET, HELLO, AUTH. */
export const connectionCommands: CommandSpec[] = [
  command({
    name: 'ping',
    arity: -1,
    group: 'connection',
    flags: ['fast'],
    summary: 'Returns the server\'s liveliness response.',
    handler: (ctx, argv) => {
      if (argv.length > 2) throw new CommandError("ERR wrong number of arguments for 'ping' command");
      if (ctx.client.subscribed && ctx.client.protocol === 2) return ['pong', argv.length === 2 ? argv[1] : ''];
      return argv.length === 2 ? argv[1] : PONG;
    },
  }),
  command({
    name: 'echo',
    arity: 2,
    group: 'connection',
    flags: ['loading', 'stale', 'fast'],
    summary: 'Returns the given string.',
    handler: (_ctx, argv) => argv[1],
  }),
  command({
    name: 'select',
    arity: 2,
    group: 'connection',
    flags: ['loading', 'stale', 'fast'],
    summary: 'Changes the selected database.',
    handler: (ctx, argv) => {
      const n = parseInteger(argv[1], 'ERR value is not an integer or out of range');
      if (ctx.core.cluster && n !== 0) throw new CommandError('ERR SELECT is not allowed in cluster mode');
      if (n < 0 || n >= ctx.core.dbs.length) throw new CommandError(INVALID_DB);
      ctx.client.db = n;
      return OK;
    },
  }),
  command({
    name: 'quit',
    arity: -1,
    group: 'connection',
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    summary: 'Closes the connection.',
    handler: (ctx) => {
      ctx.client.closeAfterReply = true;
      return OK;
    },
  }),
  command({
    name: 'reset',
    arity: 1,
    group: 'connection',
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    summary: 'Resets the connection.',
    since: '6.2.0',
    handler: (ctx) => {
      const c = ctx.client;
      c.multi = null;
      ctx.core.unwatchAll(c);
      for (const ch of c.channels) ctx.core.removeSubscriber(ctx.core.channels, ch, c);
      for (const p of c.patterns) ctx.core.removeSubscriber(ctx.core.patterns, p, c);
      for (const ch of c.shardChannels) ctx.core.removeSubscriber(ctx.core.shardChannels, ch, c);
      c.channels.clear();
      c.patterns.clear();
      c.shardChannels.clear();
      c.clusterAsking = false;
      c.clusterReadonly = false;
      ctx.core.monitors.delete(c);
      c.db = 0;
      c.protocol = 2;
      c.name = '';
      c.replyOff = false;
      // Back to the default user, authenticated only if it needs no password (clearClientConnectionState).
      c.user = 'default';
      if (ctx.core.requiresAuth()) {
        c.authenticated = false;
        c.parser.authenticated = false;
      } else {
        c.authenticated = true;
        c.parser.authenticated = true;
      }
      return new SimpleString('RESET');
    },
  }),
  command({
    name: 'auth',
    arity: -2,
    group: 'connection',
    flags: ['no_auth', 'fast', 'stale', 'loading', 'noscript', 'allow_busy'],
    summary: 'Authenticates the connection.',
    handler: (ctx, argv) => {
      if (argv.length > 3) throw new CommandError(SYNTAX);
      authenticate(ctx.core, ctx.client, argv.slice(1), argv[0]);
      return OK;
    },
  }),
  command({
    name: 'hello',
    arity: -1,
    group: 'connection',
    flags: ['no_auth', 'fast', 'stale', 'loading', 'noscript', 'allow_busy'],
    summary: 'Handshakes with the server.',
    since: '6.0.0',
    handler: (ctx, argv) => {
      let proto = ctx.client.protocol;
      let i = 1;
      if (argv.length >= 2) {
        const v = argv[1];
        if (!/^-?\d+$/.test(v)) throw new CommandError('ERR Protocol version is not an integer or out of range');
        const n = Number(v);
        if (n < 2 || n > 3) throw new CommandError('NOPROTO unsupported protocol version');
        proto = n as 2 | 3;
        i = 2;
      }
      let auth: string[] | null = null;
      let setName: string | null = null;
      for (; i < argv.length; i++) {
        const opt = argv[i].toLowerCase();
        if (opt === 'auth' && i + 2 < argv.length) {
          auth = [argv[i + 1], argv[i + 2]];
          i += 2;
        } else if (opt === 'setname' && i + 1 < argv.length) {
          setName = argv[i + 1];
          i += 1;
        } else {
          throw new CommandError(`ERR Syntax error in HELLO option '${argv[i]}'`);
        }
      }
      if (auth) authenticate(ctx.core, ctx.client, auth, argv[0]);
      if (!ctx.client.authenticated) {
        throw new CommandError('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
      }
      if (setName !== null) {
        if (/[ \n]/.test(setName)) throw new CommandError('ERR Client names cannot contain spaces, newlines or special characters.');
        ctx.client.name = setName;
      }
      ctx.client.protocol = proto;
      const fields: Array<[Reply, Reply]> = [
        ['server', SERVER_NAME],
        ['version', SERVER_VERSION],
        ['proto', proto],
        ['id', ctx.client.id],
        ['mode', ctx.core.cluster ? 'cluster' : 'standalone'],
        ['role', ctx.core.isReplica() ? 'replica' : 'master'],
        ['modules', []],
      ];
      return new MapReply(fields);
    },
  }),
];

/**
 * AUTH and HELLO ... AUTH: the core's permissions (ACL users) decide; a core without them (the browser
 * replica's) knows only the default user and requirepass.
 */
export function authenticate(core: ServerCore, client: Client, args: string[], commandName: string): void {
  if (core.permissions !== null) return core.permissions.authenticate(client, args, commandName);
  const requirepass = core.config.str('requirepass');
  if (args.length === 1 && requirepass === '') throw new CommandError(AUTH_WITHOUT_PASSWORD);
  const [user, pass] = args.length === 1 ? ['default', args[0]] : [args[0], args[1]];
  if (user !== 'default' || (requirepass !== '' && pass !== requirepass)) throw new CommandError(WRONGPASS);
  client.authenticated = true;
  client.parser.authenticated = true;
  client.user = user;
}
