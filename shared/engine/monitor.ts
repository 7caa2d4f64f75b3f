import { SimpleString } from '../resp/reply.js';
import type { Client } from './client.js';
import type { ServerCore } from './server-core.js';

/**
 * One argument as Redis's sdscatrepr quotes it: backslash and double quote escaped, \n \r \t \a \b by name,
 * other bytes outside printable ASCII as \xHH.
 */
export function quoteArgument(arg: string): string {
  let out = '"';
  for (let i = 0; i < arg.length; i++) {
    const c = arg.charCodeAt(i);
    if (c === 0x5c || c === 0x22) out += '\\' + arg[i];
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x07) out += '\\a';
    else if (c === 0x08) out += '\\b';
    else if (c >= 0x20 && c <= 0x7e) out += arg[i];
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + '"';
}

/** The parameters whose values CONFIG SET redacts (SENSITIVE_CONFIG in Redis 7.0's config table). */
const SENSITIVE_CONFIGS = new Set(['masteruser', 'masterauth', 'requirepass']);

/**
 * Arguments MONITOR and SLOWLOG must not show (Redis's redactClientCommandArgument): AUTH's, HELLO's AUTH pair,
 * MIGRATE's AUTH password and AUTH2 user and password, ACL SETUSER's rules, sensitive CONFIG SET values.
 */
export function redactedArguments(argv: readonly string[]): readonly string[] {
  const name = argv[0].toLowerCase();
  if (name === 'auth') return argv.map((a, i) => (i === 0 ? a : '(redacted)'));
  if (name === 'migrate') {
    const out = argv.slice();
    for (let i = 6; i < out.length; i++) {
      const opt = out[i].toLowerCase();
      if (opt === 'keys') break;
      if (opt === 'auth' && i + 1 < out.length) out[++i] = '(redacted)';
      else if (opt === 'auth2' && i + 2 < out.length) {
        out[++i] = '(redacted)';
        out[++i] = '(redacted)';
      }
    }
    return out;
  }
  // ACL SETUSER: every argument after the subcommand, whether it succeeds or not (a rule may hold a password).
  if (name === 'acl' && argv.length >= 3 && argv[1].toLowerCase() === 'setuser') {
    return argv.map((a, i) => (i < 2 ? a : '(redacted)'));
  }
  // CONFIG SET: the values of sensitive parameters (Redis's SENSITIVE_CONFIG), even when the command fails.
  if (name === 'config' && argv.length >= 4 && argv.length % 2 === 0 && argv[1].toLowerCase() === 'set') {
    let out: string[] | null = null;
    for (let i = 2; i + 1 < argv.length; i += 2) {
      if (!SENSITIVE_CONFIGS.has(argv[i].toLowerCase())) continue;
      out ??= argv.slice();
      out[i + 1] = '(redacted)';
    }
    return out ?? argv;
  }
  if (name === 'hello') {
    const out = argv.slice();
    for (let i = 2; i < out.length; i++) {
      if (out[i].toLowerCase() !== 'auth') continue;
      if (i + 1 < out.length) out[i + 1] = '(redacted)';
      if (i + 2 < out.length) out[i + 2] = '(redacted)';
      i += 2;
    }
    return out;
  }
  return argv;
}

/**
 * The line MONITOR shows for a command: `<seconds>.<microseconds> [<db> <addr>] "arg" ...`. The clock here
 * counts milliseconds, so the last three digits of the microseconds are zero.
 */
export function monitorLine(nowMs: number, db: number, addr: string, argv: readonly string[]): string {
  const seconds = Math.floor(nowMs / 1000);
  const micros = String((nowMs - seconds * 1000) * 1000).padStart(6, '0');
  return `${seconds}.${micros} [${db} ${addr}] ${redactedArguments(argv).map(quoteArgument).join(' ')}`;
}

/** Sends a command that just ran to every client in MONITOR mode (Redis's replicationFeedMonitors). */
export function feedMonitors(core: ServerCore, client: Client, argv: readonly string[]): void {
  const line = new SimpleString(monitorLine(core.now(), client.db, client.info.addr, argv));
  for (const m of core.monitors) {
    if (m.closed) continue;
    m.reply(line);
    core.queueWrite(m);
  }
}
