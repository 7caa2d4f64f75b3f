import { aclOf, AclResult, type AclLogEntry } from '../engine/acl.js';
import { ACL_CATEGORIES } from '../engine/acl-categories.js';
import type { Client, MultiState } from '../engine/client.js';
import type { Permissions } from '../engine/permissions.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import type { ServerCore } from '../engine/server-core.js';
import { AUTH_WITHOUT_PASSWORD, CommandError, WRONGPASS } from '../errors.js';
import { DoubleReply, MapReply, OK, SetReply, type Reply } from '../resp/reply.js';
import { helpReply } from './command-docs.js';
import { clientInfoLine } from './server.js';

/**
 * The NOPERM error for a command the client's user may not run (logged in the ACL LOG), or null. A user deleted
 * since the client authenticated has no permissions at all.
 */
function aclDenial(core: ServerCore, client: Client, fullName: string, argv: string[]): string | null {
  const acl = aclOf(core);
  const user = acl.users.get(client.user);
  if (user?.unrestricted()) return null;
  const cmd = acl.command(fullName);
  if (!user || !cmd) return user ? null : nopermMessage(AclResult.DENIED_CMD, fullName);
  const [result, idx] = user.check(cmd, argv);
  if (result === AclResult.OK) return null;
  logAclDenial(core, client, result, result === AclResult.DENIED_CMD ? fullName : argv[idx]);
  return nopermMessage(result, fullName);
}

/** EXEC's check of a queued command (multi.c): the NOPERM text, logged with context "multi", or null. */
function execAclDenial(core: ServerCore, client: Client, fullName: string, argv: string[], multi: MultiState): string | null {
  if (client.isMaster) return null;
  const acl = aclOf(core);
  const user = acl.users.get(client.user);
  const cmd = acl.command(fullName);
  if (!cmd) return null;
  const [result, idx] = user ? user.check(cmd, argv) : [AclResult.DENIED_CMD, 0];
  if (result === AclResult.OK) return null;
  // The log's client info shows the client still in its transaction, as Redis logs it from inside EXEC.
  client.multi = multi;
  try {
    logAclDenial(core, client, result, result === AclResult.DENIED_CMD ? fullName : argv[idx], client.user, 'multi');
  } finally {
    client.multi = null;
  }
  return execNopermMessage(result);
}

/**
 * The ACL users as the core's permission checks (see shared/engine/permissions.ts); createServerCore installs
 * them.
 */
export function aclPermissions(core: ServerCore): Permissions {
  return {
    check: (client, fullName, argv) => aclDenial(core, client, fullName, argv),
    checkQueued: (client, fullName, argv, multi) => execAclDenial(core, client, fullName, argv, multi),
    authenticate: (client, args, commandName) => authenticateUser(core, client, args, commandName),
    authRequired: () => aclOf(core).authRequired(),
  };
}

/**
 * AUTH and HELLO ... AUTH against the ACL users (Redis's ACLAuthenticateUser): `args` is [password] (the
 * default user) or [user, password]. Marks the client authenticated as that user, or logs the failure in the
 * ACL LOG and throws WRONGPASS.
 */
function authenticateUser(core: ServerCore, client: Client, args: string[], commandName: string): void {
  const acl = aclOf(core);
  if (args.length === 1 && acl.defaultUser.nopass) throw new CommandError(AUTH_WITHOUT_PASSWORD);
  const [user, pass] = args.length === 1 ? ['default', args[0]] : [args[0], args[1]];
  if (acl.credentials(user, pass) === null) {
    logAclDenial(core, client, AclResult.DENIED_AUTH, commandName, user);
    throw new CommandError(WRONGPASS);
  }
  client.authenticated = true;
  client.parser.authenticated = true;
  client.user = user;
}

const ADMIN = ['admin', 'noscript', 'loading', 'stale'] as const;

const NO_ACL_FILE =
  'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';
const SAVE_FAILED = 'ERR There was an error trying to save the ACLs. Please check the server logs for more information';
const NOT_INTEGER = 'ERR value is not an integer or out of range';
const GENPASS_MAX_BITS = 4096;

/**
 * Records a denial in the ACL LOG (Redis's addACLLogEntry): the object is the command's full name, the denied
 * key or channel, or for AUTH the command name.
 */
export function logAclDenial(
  core: ServerCore,
  client: Client,
  reason: AclResult,
  object: string,
  username = client.user,
  context: AclLogEntry['context'] = client.multi ? 'multi' : 'toplevel',
): void {
  aclOf(core).addLog(
    { reason, context, object, username, ctime: core.now(), clientInfo: clientInfoLine(client, core.now()) },
    core.config.int('acllog-max-len'),
  );
}

/** The NOPERM error dispatch replies for a denied command (processCommand's texts). */
export function nopermMessage(result: AclResult, fullName: string): string {
  switch (result) {
    case AclResult.DENIED_CMD:
      return `NOPERM this user has no permissions to run the '${fullName}' command`;
    case AclResult.DENIED_KEY:
      return 'NOPERM this user has no permissions to access one of the keys used as arguments';
    case AclResult.DENIED_CHANNEL:
      return 'NOPERM this user has no permissions to access one of the channels used as arguments';
    default:
      return 'NOPERM no permission';
  }
}

/** EXEC's text when a queued command is no longer allowed (multi.c). */
export function execNopermMessage(result: AclResult): string {
  const reason =
    result === AclResult.DENIED_CMD
      ? 'no permission to execute the command or subcommand'
      : result === AclResult.DENIED_KEY
        ? 'no permission to touch the specified keys'
        : result === AclResult.DENIED_CHANNEL
          ? 'no permission to access one of the channels used as arguments'
          : 'no permission';
  return `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${reason}`;
}

/** Closes the connections authenticated as `name` (ACL DELUSER, ACL LOAD); the caller's after its reply. */
function killUserClients(core: ServerCore, self: Client | null, name: (user: string) => boolean): void {
  for (const c of [...core.clients.values()]) {
    if (!name(c.user) || c.isMaster) continue;
    c.user = 'default';
    c.authenticated = false;
    if (c === self) c.closeAfterReply = true;
    else core.kill(c);
  }
}

/** Redis's ACLStringHasSpaces. */
function hasSpaces(s: string): boolean {
  return /[\s\0]/.test(s);
}

function selectorFields(core: ServerCore, s: ReturnType<typeof aclOf>['defaultUser']['selectors'][number]): Array<[Reply, Reply]> {
  const acl = aclOf(core);
  return [
    ['commands', s.describeCommands(acl.table)],
    ['keys', s.describeKeys().join(' ')],
    ['channels', s.allChannels ? '&*' : s.channels.map((c) => `&${c}`).join(' ')],
  ];
}

function parseLong(text: string): number {
  if (!/^-?\d+$/.test(text)) throw new CommandError(NOT_INTEGER);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new CommandError(NOT_INTEGER);
  return n;
}

/** ACL and its subcommands, as Redis 7.0's aclCommand. */
export const aclCommands: CommandSpec[] = [
  command({
    name: 'acl',
    arity: -2,
    group: 'server',
    summary: 'A container for Access List Control commands',
    since: '6.0.0',
    subcommands: [
      command({
        name: 'setuser',
        arity: -3,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Modifies or creates the rules for a specific ACL user.',
        since: '6.0.0',
        handler: (ctx, argv) => {
          const name = argv[2];
          if (hasSpaces(name)) throw new CommandError("ERR Usernames can't contain spaces or null characters");
          const acl = aclOf(ctx.core);
          const err = acl.setUser(name, argv.slice(3));
          if (err !== null) throw new CommandError(`ERR ${err}`);
          killRevokedSubscribers(ctx.core, name);
          return OK;
        },
      }),
      command({
        name: 'deluser',
        arity: -3,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Deletes ACL users, and terminates their connections.',
        since: '6.0.0',
        handler: (ctx, argv) => {
          const names = argv.slice(2);
          if (names.includes('default')) throw new CommandError("ERR The 'default' user cannot be removed");
          const acl = aclOf(ctx.core);
          let deleted = 0;
          for (const n of names) {
            if (!acl.users.delete(n)) continue;
            deleted++;
            killUserClients(ctx.core, ctx.client, (u) => u === n);
          }
          return deleted;
        },
      }),
      command({
        name: 'getuser',
        arity: 3,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Lists the ACL rules of a user.',
        since: '6.0.0',
        handler: (ctx, argv) => {
          const u = aclOf(ctx.core).users.get(argv[2]);
          if (!u) return null;
          return new MapReply([
            ['flags', new SetReply(u.flags())],
            ['passwords', [...u.passwords]],
            ...selectorFields(ctx.core, u.root),
            ['selectors', u.selectors.slice(1).map((s) => new MapReply(selectorFields(ctx.core, s)))],
          ]);
        },
      }),
      command({
        name: 'list',
        arity: 2,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Dumps the effective rules in ACL file format.',
        since: '6.0.0',
        handler: (ctx) => {
          const acl = aclOf(ctx.core);
          return acl.sortedUsers().map((u) => `user ${u.name} ${u.describe(acl.table)}`);
        },
      }),
      command({
        name: 'users',
        arity: 2,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Lists all ACL users.',
        since: '6.0.0',
        handler: (ctx) => aclOf(ctx.core).sortedUsers().map((u) => u.name),
      }),
      command({
        name: 'whoami',
        arity: 2,
        group: 'server',
        flags: ['noscript', 'loading', 'stale'],
        summary: 'Returns the authenticated username of the current connection.',
        since: '6.0.0',
        handler: (ctx) => ctx.client.user,
      }),
      command({
        name: 'cat',
        arity: -2,
        group: 'server',
        flags: ['noscript', 'loading', 'stale'],
        summary: 'Lists the ACL categories, or the commands inside a category.',
        since: '6.0.0',
        handler: (ctx, argv) => {
          if (argv.length === 2) return [...ACL_CATEGORIES];
          if (argv.length > 3) throw subcommandError(argv);
          const category = argv[2].toLowerCase();
          if (!ACL_CATEGORIES.includes(category)) throw new CommandError(`ERR Unknown category '${argv[2].slice(0, 128)}'`);
          const out: string[] = [];
          for (const cmd of aclOf(ctx.core).table.commands) {
            if (cmd.categories.has(category)) out.push(cmd.fullName);
            for (const sub of cmd.subs) if (sub.categories.has(category)) out.push(sub.fullName);
          }
          return out;
        },
      }),
      command({
        name: 'genpass',
        arity: -2,
        group: 'server',
        flags: ['noscript', 'loading', 'stale'],
        summary: 'Generates a pseudorandom, secure password that can be used to identify ACL users.',
        since: '6.0.0',
        handler: (ctx, argv) => {
          if (argv.length > 3) throw subcommandError(argv);
          const bits = argv.length === 3 ? parseLong(argv[2]) : 256;
          if (bits <= 0 || bits > GENPASS_MAX_BITS) {
            throw new CommandError(
              `ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to ${GENPASS_MAX_BITS}`,
            );
          }
          const chars = Math.floor((bits + 3) / 4);
          const bytes = new Uint8Array(Math.ceil(chars / 2));
          ctx.core.randomBytes(bytes);
          let hex = '';
          for (const b of bytes) hex += b.toString(16).padStart(2, '0');
          return hex.slice(0, chars);
        },
      }),
      command({
        name: 'log',
        arity: -2,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Lists recent security events generated due to ACL rules.',
        since: '6.0.0',
        handler: (ctx, argv) => {
          if (argv.length > 3) throw subcommandError(argv);
          const acl = aclOf(ctx.core);
          let count = 10;
          if (argv.length === 3) {
            if (argv[2].toLowerCase() === 'reset') {
              acl.log.length = 0;
              return OK;
            }
            count = Math.max(0, parseLong(argv[2]));
          }
          const now = ctx.core.now();
          return acl.log.slice(0, count).map(
            (e) =>
              new MapReply([
                ['count', e.count],
                ['reason', REASONS[e.reason] ?? 'unknown'],
                ['context', e.context],
                ['object', e.object],
                ['username', e.username],
                ['age-seconds', new DoubleReply((now - e.ctime) / 1000)],
                ['client-info', e.clientInfo],
              ]),
          );
        },
      }),
      command({
        name: 'dryrun',
        arity: -4,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Simulates the execution of a command by a user, without executing the command.',
        since: '7.0.0',
        handler: (ctx, argv) => {
          const acl = aclOf(ctx.core);
          const u = acl.users.get(argv[2]);
          if (!u) throw new CommandError(`ERR User '${argv[2]}' not found`);
          const args = argv.slice(3);
          // Redis's lookupCommand: a container with a subcommand argument names the subcommand.
          const base = acl.table.lookup(args[0].includes('|') ? '' : args[0]);
          let cmd = base;
          if (base && base.subs.length > 0 && args.length >= 2) cmd = acl.table.lookup(`${base.fullName}|${args[1]}`);
          if (!cmd || !cmd.spec) throw new CommandError(`ERR Command '${args[0]}' not found`);
          const arity = cmd.spec.arity;
          if ((arity > 0 && arity !== args.length) || args.length < -arity) {
            throw new CommandError(`ERR wrong number of arguments for '${cmd.fullName}' command`);
          }
          const [result, idx] = u.check(cmd, args);
          switch (result) {
            case AclResult.OK:
              return OK;
            case AclResult.DENIED_CMD:
              return `This user has no permissions to run the '${cmd.fullName}' command`;
            case AclResult.DENIED_KEY:
              return `This user has no permissions to access the '${args[idx]}' key`;
            default:
              return `This user has no permissions to access the '${args[idx]}' channel`;
          }
        },
      }),
      command({
        name: 'load',
        arity: 2,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Reloads the rules from the configured ACL file.',
        since: '6.0.0',
        handler: (ctx) => {
          const err = loadAclFile(ctx.core, ctx.client);
          if (err !== null) throw new CommandError(`ERR ${err}`);
          return OK;
        },
      }),
      command({
        name: 'save',
        arity: 2,
        group: 'server',
        flags: [...ADMIN],
        summary: 'Saves the effective ACL rules in the configured ACL file.',
        since: '6.0.0',
        handler: (ctx) => {
          const path = ctx.core.config.str('aclfile');
          if (path === '') throw new CommandError(NO_ACL_FILE);
          const host = ctx.core.host.aclFile;
          if (!host || !host.write(path, aclOf(ctx.core).fileText())) throw new CommandError(SAVE_FAILED);
          return OK;
        },
      }),
      command({
        name: 'help',
        arity: 2,
        group: 'server',
        flags: ['loading', 'stale'],
        summary: 'Returns helpful text about the different subcommands.',
        since: '6.0.0',
        handler: (_ctx, argv) =>
          helpReply(argv[0], [
            'CAT [<category>]',
            '    List all commands that belong to <category>, or all command categories',
            '    when no category is specified.',
            'DELUSER <username> [<username> ...]',
            '    Delete a list of users.',
            'DRYRUN <username> <command> [<arg> ...]',
            '    Returns whether the user can execute the given command without executing the command.',
            'GETUSER <username>',
            "    Get the user's details.",
            'GENPASS [<bits>]',
            '    Generate a secure 256-bit user password. The optional `bits` argument can',
            '    be used to specify a different size.',
            'LIST',
            '    Show users details in config file format.',
            'LOAD',
            '    Reload users from the ACL file.',
            'LOG [<count> | RESET]',
            '    Show the ACL log entries.',
            'SAVE',
            '    Save the current config to the ACL file.',
            'SETUSER <username> <attribute> [<attribute> ...]',
            '    Create or modify a user with the specified attributes.',
            'USERS',
            '    List all the registered usernames.',
            'WHOAMI',
            '    Return the current connection username.',
          ]),
      }),
    ],
  }),
];

const REASONS: Record<number, string> = {
  [AclResult.DENIED_CMD]: 'command',
  [AclResult.DENIED_KEY]: 'key',
  [AclResult.DENIED_CHANNEL]: 'channel',
  [AclResult.DENIED_AUTH]: 'auth',
};

function subcommandError(argv: string[]): CommandError {
  return new CommandError(
    `ERR unknown subcommand or wrong number of arguments for '${argv[1].slice(0, 128)}'. Try ${argv[0].toUpperCase()} HELP.`,
  );
}

/**
 * ACL LOAD (and the aclfile at startup): replaces every user with the file's, or changes nothing and returns
 * Redis's error text. Connections of the users replaced are closed, as Redis frees the old users.
 */
export function loadAclFile(core: ServerCore, self: Client | null): string | null {
  const path = core.config.str('aclfile');
  if (path === '') return NO_ACL_FILE.slice(4);
  const host = core.host.aclFile;
  const read = host ? host.read(path) : { error: 'Operation not supported' };
  if ('error' in read) return `Error loading ACLs, opening file '${path}': ${read.error}`;
  const acl = aclOf(core);
  const users = acl.parseFile(read.text, path);
  if (typeof users === 'string') return users;
  acl.replaceUsers(users);
  if (self) killUserClients(core, self, (u) => u !== 'default');
  return null;
}

/**
 * Redis's ACLKillPubsubClientsIfNeeded: after a user's channel permissions changed, its connections subscribed
 * to a channel or pattern it may no longer use are closed.
 */
function killRevokedSubscribers(core: ServerCore, name: string): void {
  const u = aclOf(core).users.get(name);
  if (!u || u.selectors.some((s) => s.allChannels)) return;
  for (const c of [...core.clients.values()]) {
    if (c.user !== name || !c.subscribed) continue;
    let revoked = false;
    for (const ch of c.channels) if (!u.checkChannel(ch, false)) revoked = true;
    for (const ch of c.shardChannels) if (!u.checkChannel(ch, false)) revoked = true;
    for (const p of c.patterns) if (!u.checkChannel(p, true)) revoked = true;
    if (revoked) core.kill(c);
  }
}
