import { CommandError } from '../errors.js';
import { SimpleString, type Reply } from '../resp/reply.js';

/**
 * Redis's addReplyHelp: a container command's HELP lines between its header and the closing HELP entry. Kept
 * apart from command-docs.ts (COMMAND's tables) so the browser bundle can carry the groups that use it.
 */
export function helpReply(commandName: string, lines: string[]): Reply {
  return [
    `${commandName.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`,
    ...lines,
    'HELP',
    '    Prints this help.',
  ].map((l) => new SimpleString(l));
}

/** Redis's addReplySubcommandSyntaxError text. */
export function subcommandSyntaxError(argv: string[]): CommandError {
  return new CommandError(
    `ERR unknown subcommand or wrong number of arguments for '${argv[1].slice(0, 128)}'. Try ${argv[0].toUpperCase()} HELP.`,
  );
}
