/**
 * Error replies with Redis's exact texts. Handlers throw CommandError; dispatch turns it into the error reply,
 * so the texts live here, in one place.
 */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const SYNTAX = 'ERR syntax error';
export const NOT_INTEGER = 'ERR value is not an integer or out of range';
export const NOT_FLOAT = 'ERR value is not a valid float';
export const OVERFLOW = 'ERR increment or decrement would overflow';
export const NO_SUCH_KEY = 'ERR no such key';
export const INDEX_OUT_OF_RANGE = 'ERR index out of range';
export const INVALID_DB = 'ERR DB index is out of range';
export const NOAUTH = 'NOAUTH Authentication required.';
export const AUTH_WITHOUT_PASSWORD =
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?';
export const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
export const READONLY = "READONLY You can't write against a read only replica.";
export const MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
export const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
export const NOREPLICAS = 'NOREPLICAS Not enough good replicas to write.';
export const EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';
export const TIMEOUT_NOT_FLOAT = 'ERR timeout is not a float or out of range';
export const TIMEOUT_NEGATIVE = 'ERR timeout is negative';
export const INVALID_EXPIRE = (cmd: string) => `ERR invalid expire time in '${cmd}' command`;

/** "ERR wrong number of arguments for 'get' command" (the name as Redis prints it, lowercase, parent|sub). */
export function wrongArity(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}

/** Redis's unknown-command text, quoting up to the first 128 bytes of each of the first arguments. */
export function unknownCommand(name: string, args: readonly string[]): string {
  let s = `ERR unknown command '${truncateForError(name)}', with args beginning with: `;
  for (const a of args) {
    if (s.length > 128) break;
    s += `'${truncateForError(a)}' `;
  }
  return s;
}

/** "ERR unknown subcommand 'foo'. Try CONFIG HELP." */
export function unknownSubcommand(sub: string, parent: string): string {
  return `ERR unknown subcommand '${truncateForError(sub)}'. Try ${parent.toUpperCase()} HELP.`;
}

function truncateForError(s: string): string {
  return s.length > 128 ? s.slice(0, 128) : s;
}
