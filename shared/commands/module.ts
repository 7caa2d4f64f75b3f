import { command, type CommandSpec } from '../engine/command-spec.js';
import type { CommandContext } from '../engine/command-context.js';
import { Config } from '../engine/config.js';
import { CommandError } from '../errors.js';
import type { Reply } from '../resp/reply.js';
import { helpReply } from './help-reply.js';

/*
 * MODULE: Redis modules are shared libraries of C compiled against Redis's module API, which a JS server cannot
 * load. The command is here so clients and tools that ask (MODULE LIST is a common probe) get Redis's replies:
 * no modules loaded, and every load failing with Redis's error, the reason in the log.
 */

const MODULE_HELP = [
  'LIST',
  '    Return a list of loaded modules.',
  'LOAD <path> [<arg> ...]',
  '    Load a module library from <path>, passing to it any optional arguments.',
  'LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]',
  '    Load a module library from <path>, while passing it module configurations and optional arguments.',
  'UNLOAD <name>',
  '    Unload a module.',
];

const NOT_ALLOWED =
  'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';
const LOAD_FAILED = 'ERR Error loading the extension. Please check the server logs.';
const NO_SUCH_MODULE = 'ERR Error unloading module: no such module with that name';

/** LOAD, LOADEX and UNLOAD are protected commands in Redis 7: refused unless enable-module-command allows them. */
function checkAllowed(ctx: CommandContext): void {
  if (!Config.has('enable-module-command')) throw new CommandError(NOT_ALLOWED);
  const setting = ctx.core.config.getText('enable-module-command');
  if (setting === 'yes') return;
  if (setting === 'local' && (ctx.client.info.loopback || ctx.client.info.kind === 'internal')) return;
  throw new CommandError(NOT_ALLOWED);
}

function load(ctx: CommandContext, argv: string[]): Reply {
  checkAllowed(ctx);
  ctx.core.host.log('warning', `Module ${argv[2]} failed to load: this server has no module loader (Redis modules are compiled C extensions)`);
  throw new CommandError(LOAD_FAILED);
}

const MODULE_FLAGS = ['admin', 'noscript', 'no_async_loading'] as const;

/** MODULE LIST | LOAD | LOADEX | UNLOAD | HELP. */
export const moduleCommands: CommandSpec[] = [
  command({
    name: 'module',
    arity: -2,
    group: 'server',
    summary: 'A container for module commands',
    since: '4.0.0',
    subcommands: [
      command({ name: 'list', arity: 2, group: 'server', flags: ['admin', 'noscript'], summary: 'List all modules loaded by the server', since: '4.0.0', handler: () => [] }),
      command({ name: 'load', arity: -3, group: 'server', flags: [...MODULE_FLAGS], summary: 'Load a module', since: '4.0.0', handler: load }),
      command({ name: 'loadex', arity: -3, group: 'server', flags: [...MODULE_FLAGS], summary: 'Load a module with extended parameters', since: '7.0.0', handler: load }),
      command({
        name: 'unload',
        arity: 3,
        group: 'server',
        flags: [...MODULE_FLAGS],
        summary: 'Unload a module',
        since: '4.0.0',
        handler: (ctx) => {
          checkAllowed(ctx);
          throw new CommandError(NO_SUCH_MODULE);
        },
      }),
      command({ name: 'help', arity: 2, group: 'server', flags: ['loading', 'stale'], summary: 'Show helpful text about the different subcommands', since: '5.0.0', handler: (_ctx, argv) => helpReply(argv[0], MODULE_HELP) }),
    ],
  }),
];
