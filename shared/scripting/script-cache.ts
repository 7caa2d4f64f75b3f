import type { Client } from '../engine/client.js';
import type { CommandFlag } from '../engine/command-spec.js';
import type { ServerCore } from '../engine/server-core.js';
import { Lrand48 } from './lua-random.js';
import { LuaVm } from './lua-vm.js';
import { sha1Hex } from '../sha1.js';

/** Script flags (Redis's SCRIPT_FLAG_*); a script without a shebang runs in EVAL compatibility mode. */
export const ScriptFlag = {
  NO_WRITES: 1 << 0,
  ALLOW_OOM: 1 << 1,
  ALLOW_STALE: 1 << 2,
  NO_CLUSTER: 1 << 3,
  EVAL_COMPAT_MODE: 1 << 4,
  ALLOW_CROSS_SLOT: 1 << 5,
} as const;

const FLAG_NAMES: Record<string, number> = {
  'no-writes': ScriptFlag.NO_WRITES,
  'allow-oom': ScriptFlag.ALLOW_OOM,
  'allow-stale': ScriptFlag.ALLOW_STALE,
  'no-cluster': ScriptFlag.NO_CLUSTER,
  'allow-cross-slot-keys': ScriptFlag.ALLOW_CROSS_SLOT,
};

/** A script of the cache: its body (as loaded) and its shebang flags. */
export interface CachedScript {
  body: string;
  flags: number;
}

/**
 * Splits a line into arguments as Redis's sdssplitargs does (whitespace separated, "double" quotes with
 * escapes, 'single' quotes); null on unbalanced quotes.
 */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) return out;
    let cur = '';
    let inDq = false;
    let inSq = false;
    for (;;) {
      const c = line[i];
      if (inDq) {
        if (c === undefined) return null;
        if (c === '\\' && line[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < line.length) {
          const e = line[++i];
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (c === '"') {
          if (i + 1 < line.length && !/\s/.test(line[i + 1])) return null;
          inDq = false;
          i++;
          break;
        } else {
          cur += c;
        }
      } else if (inSq) {
        if (c === undefined) return null;
        if (c === '\\' && line[i + 1] === "'") {
          cur += "'";
          i++;
        } else if (c === "'") {
          if (i + 1 < line.length && !/\s/.test(line[i + 1])) return null;
          inSq = false;
          i++;
          break;
        } else {
          cur += c;
        }
      } else if (c === undefined || /\s/.test(c)) {
        break;
      } else if (c === '"') {
        inDq = true;
      } else if (c === "'") {
        inSq = true;
      } else {
        cur += c;
      }
      i++;
    }
    out.push(cur);
  }
}

/**
 * evalExtractShebangFlags: the flags of a script's "#!lua flags=..." line and the line's length (the body
 * compiles from there, keeping the line feed), or Redis's error text.
 */
export function parseShebang(body: string): { flags: number; length: number } | { error: string } {
  if (!body.startsWith('#!')) return { flags: ScriptFlag.EVAL_COMPAT_MODE, length: 0 };
  const end = body.indexOf('\n');
  if (end < 0) return { error: 'ERR Invalid script shebang' };
  const parts = splitArgs(body.slice(0, end));
  if (parts === null || parts.length === 0) return { error: 'ERR Invalid engine in script shebang' };
  if (parts[0] !== '#!lua') return { error: `ERR Unexpected engine in script shebang: ${parts[0]}` };
  let flags = 0;
  for (const part of parts.slice(1)) {
    if (!part.startsWith('flags=')) return { error: `ERR Unknown lua shebang option: ${part}` };
    const list = part.slice(6);
    if (list === '') continue;
    for (const name of list.split(',')) {
      const f = FLAG_NAMES[name];
      if (f === undefined) return { error: `ERR Unexpected flag in script shebang: ${name}` };
      flags |= f;
    }
  }
  return { flags, length: end };
}

/**
 * scriptFlagsToCmdFlags: the flags a call of EVAL or FCALL has for processCommand (CLIENT PAUSE, OOM, stale and
 * read-only replicas, min-replicas) once its script's flags are known. A script without a shebang keeps the
 * command's own flags (`base`: its spec's, plus may_replicate for EVAL, EVALSHA and FCALL, as Redis declares
 * them); declared flags replace write, denyoom, stale and may_replicate.
 */
export function scriptFlagsToCommandFlags(base: readonly CommandFlag[], scriptFlags: number): CommandFlag[] {
  if (scriptFlags & ScriptFlag.EVAL_COMPAT_MODE) return [...base];
  const out: CommandFlag[] = base.filter((f) => f !== 'write' && f !== 'denyoom' && f !== 'stale' && f !== 'may_replicate');
  if (!(scriptFlags & (ScriptFlag.ALLOW_OOM | ScriptFlag.NO_WRITES))) out.push('denyoom');
  if (!(scriptFlags & ScriptFlag.NO_WRITES)) out.push('write');
  if (scriptFlags & ScriptFlag.ALLOW_STALE) out.push('stale');
  return out;
}

const LOG_LEVELS = ['debug', 'verbose', 'notice', 'warning'] as const;

/**
 * A server's scripting state (Redis's lctx): the Lua interpreter, the script cache by SHA1, the math.random
 * generator (process-wide in Redis: SCRIPT FLUSH does not reset it), and the clients scripts run their
 * commands through.
 */
export class ScriptingState {
  vm: LuaVm;
  readonly scripts = new Map<string, CachedScript>();
  readonly random = new Lrand48();
  /** One script client per caller, sharing its id so CLIENT TRACKING remembers the keys a script reads. */
  readonly clients = new WeakMap<Client, Client>();

  constructor(readonly core: ServerCore) {
    this.vm = this.newVm();
    core.cachedScripts = this.scripts;
  }

  private newVm(): LuaVm {
    return new LuaVm({
      random: this.random,
      log: (level, message) => {
        const configured = LOG_LEVELS.indexOf(this.core.config.str('loglevel') as (typeof LOG_LEVELS)[number]);
        if (configured < 0 || level < configured) return;
        this.core.host.log(LOG_LEVELS[level], message);
      },
    });
  }

  /** SCRIPT FLUSH: a new interpreter and an empty cache. */
  flush(): void {
    this.scripts.clear();
    this.vm = this.newVm();
  }

  /** The cached script with this SHA1 (any case), if any. */
  get(sha: string): CachedScript | undefined {
    return this.scripts.get(sha.toLowerCase());
  }

  /**
   * luaCreateFunction: compiles and caches a script body unless cached already. Returns its SHA1, or the
   * error reply text (shebang or compile error).
   */
  create(body: string): { sha: string } | { error: string } {
    const sha = sha1Hex(body);
    if (this.scripts.has(sha)) return { sha };
    const shebang = parseShebang(body);
    if ('error' in shebang) return shebang;
    const err = this.vm.compile(sha, body.slice(shebang.length));
    if (err !== null) return { error: err };
    this.scripts.set(sha, { body, flags: shebang.flags });
    return { sha };
  }
}

const states = new WeakMap<ServerCore, ScriptingState>();

/** The scripting state of a server, created on first use. */
export function scriptingState(core: ServerCore): ScriptingState {
  let s = states.get(core);
  if (!s) states.set(core, (s = new ScriptingState(core)));
  return s;
}
