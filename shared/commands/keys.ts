import { cloneValue } from '../store/clone-value.js';
import { CommandError, INVALID_DB, INVALID_EXPIRE, NO_SUCH_KEY, NOT_INTEGER, SYNTAX } from '../errors.js';
import type { CommandContext } from '../engine/command-context.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import { Notify } from '../engine/keyspace-events.js';
import { globMatch } from '../glob.js';
import { OK, SimpleString, type Reply } from '../resp/reply.js';
import { typeOfValue, type Database, type RedisValue } from '../store/database.js';
import { isWord, parseBigInteger, parseInteger } from './parse.js';
import { isInt64String, objectEncoding, scanCommands } from './scan.js';

const SAME_OBJECT = 'ERR source and destination objects are the same';
const NX_INCOMPATIBLE = 'ERR NX and XX, GT or LT options at the same time are not compatible';
const GT_LT_INCOMPATIBLE = 'ERR GT and LT options at the same time are not compatible';
const LRU_NOT_SELECTED =
  'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
const LFU_NOT_SELECTED =
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
/** Redis's refcount of its shared integer objects (OBJ_SHARED_REFCOUNT): values 0..9999 are never copied. */
const SHARED_REFCOUNT = 2147483647;
const SHARED_INTEGERS = 10000;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

/** Redis's getIntFromObjectOrReply: a 64-bit integer argument that must also fit in a C int. */
function parseInt32(s: string, error = NOT_INTEGER): number {
  const n = parseInteger(s, error);
  if (n < -2147483648 || n > 2147483647) throw new CommandError(error);
  return n;
}

/** A database index argument (MOVE, COPY ... DB): an int, then in range. */
function databaseArg(ctx: CommandContext, s: string): Database {
  const id = parseInt32(s);
  if (id < 0 || id >= ctx.core.dbs.length) throw new CommandError(INVALID_DB);
  return ctx.dbAt(id);
}

/**
 * Whether a key is logically expired, without deleting it (Redis's keyIsExpired, for KEYS): strictly past its
 * expire time, the same rule as ctx.expireIfNeeded, so KEYS still lists a key at exactly its expire millisecond.
 */
function isExpired(db: Database, key: string, now: number): boolean {
  const when = db.expires.get(key);
  return when !== undefined && when < now;
}

/**
 * Invalidates the WATCHes of the keys of `db` that exist in it or in `other` (Redis's touchAllWatchedKeysInDb
 * for FLUSHDB, FLUSHALL and SWAPDB): a watched key that exists in neither did not change.
 */
function touchWatchedKeys(ctx: CommandContext, db: Database, other?: Database): void {
  for (const [key, ids] of db.watched) {
    if (!db.dict.has(key) && !(other && other.dict.has(key))) continue;
    for (const id of ids) {
      const client = ctx.core.clients.get(id);
      if (client) client.dirtyCas = true;
    }
  }
}

/** FLUSHDB and FLUSHALL take nothing, ASYNC or SYNC (we free synchronously either way). */
function checkFlushArgs(argv: string[]): void {
  if (argv.length === 1) return;
  if (argv.length === 2 && (isWord(argv[1], 'async') || isWord(argv[1], 'sync'))) return;
  throw new CommandError(SYNTAX);
}

/** Empties a database, invalidating its watchers first; returns how many keys it held. */
function flushDatabase(ctx: CommandContext, db: Database): number {
  const removed = db.size;
  touchWatchedKeys(ctx, db);
  ctx.core.signalDeletedStreams(db);
  db.clear();
  return removed;
}

/** Picks a key uniformly at random: O(n) because a Map has no positional access. */
function randomKeyOf(ctx: CommandContext, db: Database): string {
  const bytes = new Uint8Array(4);
  ctx.core.randomBytes(bytes);
  const r = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  let i = Math.floor((r / 0x1_0000_0000) * db.dict.size);
  for (const key of db.dict.keys()) if (i-- === 0) return key;
  throw new Error('unreachable: index within the dict size');
}

function del(ctx: CommandContext, argv: string[]): Reply {
  let deleted = 0;
  for (let i = 1; i < argv.length; i++) {
    // As delGenericCommand: expire first (a master deletes and propagates DEL), then delete what is left,
    // which on a replica includes a logically expired key.
    ctx.expireIfNeeded(ctx.db, argv[i]);
    if (ctx.deleteKey(argv[i])) {
      ctx.notify(Notify.GENERIC, 'del', argv[i]);
      deleted++;
    }
  }
  return deleted;
}

function rename(ctx: CommandContext, argv: string[], nx: boolean): Reply {
  const [, src, dst] = argv;
  const value = ctx.lookupWrite(src);
  if (value === undefined) throw new CommandError(NO_SUCH_KEY);
  if (src === dst) return nx ? 0 : OK;
  const expire = ctx.getExpire(src);
  if (ctx.lookupWrite(dst) !== undefined) {
    if (nx) return 0;
    // As Redis: the old destination is deleted (silently) and the key added anew, so "new" fires even here.
    ctx.deleteKey(dst);
  }
  ctx.setKey(dst, value);
  if (expire !== -1) ctx.setExpire(dst, expire);
  ctx.deleteKey(src);
  ctx.notify(Notify.GENERIC, 'rename_from', src);
  ctx.notify(Notify.GENERIC, 'rename_to', dst);
  return nx ? 1 : OK;
}

function copy(ctx: CommandContext, argv: string[]): Reply {
  const [, key, newKey] = argv;
  const src = ctx.db;
  let dst = ctx.db;
  let replace = false;
  for (let i = 3; i < argv.length; i++) {
    if (isWord(argv[i], 'replace')) replace = true;
    else if (isWord(argv[i], 'db') && i + 1 < argv.length) dst = databaseArg(ctx, argv[++i]);
    else throw new CommandError(SYNTAX);
  }
  if (ctx.core.cluster && (src.id !== 0 || dst.id !== 0)) throw new CommandError('ERR Copying to another database is not allowed in cluster mode');
  if (src === dst && key === newKey) throw new CommandError(SAME_OBJECT);
  const value = ctx.lookupRead(key);
  if (value === undefined) return 0;
  const expire = ctx.getExpire(key);
  if (ctx.lookupWrite(newKey, dst) !== undefined) {
    if (!replace) return 0;
    // REPLACE deletes the old key silently and adds the copy anew: "new" fires, as Redis's dbAdd does.
    ctx.deleteKey(newKey, dst);
  }
  ctx.setKey(newKey, cloneValue(value), false, dst);
  if (expire !== -1) ctx.setExpire(newKey, expire, dst);
  ctx.notify(Notify.GENERIC, 'copy_to', newKey, dst);
  return 1;
}

function move(ctx: CommandContext, argv: string[]): Reply {
  if (ctx.core.cluster) throw new CommandError('ERR MOVE is not allowed in cluster mode');
  const key = argv[1];
  const src = ctx.db;
  const dst = databaseArg(ctx, argv[2]);
  if (src === dst) throw new CommandError(SAME_OBJECT);
  const value = ctx.lookupWrite(key);
  if (value === undefined) return 0;
  const expire = ctx.getExpire(key);
  if (ctx.lookupWrite(key, dst) !== undefined) return 0;
  ctx.setKey(key, value, false, dst);
  if (expire !== -1) ctx.setExpire(key, expire, dst);
  ctx.deleteKey(key, src);
  ctx.notify(Notify.GENERIC, 'move_from', key, src);
  ctx.notify(Notify.GENERIC, 'move_to', key, dst);
  return 1;
}

function swapdb(ctx: CommandContext, argv: string[]): Reply {
  if (ctx.core.cluster) throw new CommandError('ERR SWAPDB is not allowed in cluster mode');
  const id1 = parseInt32(argv[1], 'ERR invalid first DB index');
  const id2 = parseInt32(argv[2], 'ERR invalid second DB index');
  const n = ctx.core.dbs.length;
  if (id1 < 0 || id1 >= n || id2 < 0 || id2 >= n) throw new CommandError(INVALID_DB);
  // Redis counts a swap of a database with itself as a change too, so it propagates.
  ctx.dirty++;
  ctx.core.dirty++;
  if (id1 === id2) return OK;
  const a = ctx.dbAt(id1);
  const b = ctx.dbAt(id2);
  a.swapContents(b);
  // Watchers and blocked clients stay with their database number, so what they see may have changed.
  touchWatchedKeys(ctx, a, b);
  touchWatchedKeys(ctx, b, a);
  const ready: Array<[number, string]> = [];
  for (const client of ctx.core.clients.values()) {
    const state = client.blocked;
    if (!state || (state.db !== id1 && state.db !== id2)) continue;
    for (const key of state.keys) if (ctx.dbAt(state.db).dict.has(key)) ready.push([state.db, key]);
  }
  for (const [db, key] of ready) ctx.core.signalModifiedKey(db, key);
  return OK;
}

/** EXPIRE's NX, XX, GT, LT flags. */
interface ExpireFlags {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
}

function parseExpireFlags(argv: string[]): ExpireFlags {
  const f: ExpireFlags = { nx: false, xx: false, gt: false, lt: false };
  for (let i = 3; i < argv.length; i++) {
    const opt = argv[i];
    if (isWord(opt, 'nx')) f.nx = true;
    else if (isWord(opt, 'xx')) f.xx = true;
    else if (isWord(opt, 'gt')) f.gt = true;
    else if (isWord(opt, 'lt')) f.lt = true;
    else throw new CommandError(`ERR Unsupported option ${opt}`);
  }
  if (f.nx && (f.xx || f.gt || f.lt)) throw new CommandError(NX_INCOMPATIBLE);
  if (f.gt && f.lt) throw new CommandError(GT_LT_INCOMPATIBLE);
  return f;
}

/**
 * Redis's expireGenericCommand for EXPIRE (relative, seconds), PEXPIRE (relative, ms), EXPIREAT (absolute,
 * seconds) and PEXPIREAT (absolute, ms). The time is checked in 64-bit arithmetic exactly as Redis does, so
 * the same inputs overflow. Propagates as `PEXPIREAT key <abs ms> [flags]` (PEXPIREAT as received), or as
 * `DEL key` when the time is already past.
 */
function expireGeneric(ctx: CommandContext, argv: string[], relative: boolean, seconds: boolean): Reply {
  const key = argv[1];
  const flags = parseExpireFlags(argv);
  let when = parseBigInteger(argv[2]);
  const invalid = () => new CommandError(INVALID_EXPIRE(ctx.spec.name));
  if (seconds) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) throw invalid();
    when *= 1000n;
  }
  const base = relative ? BigInt(ctx.now) : 0n;
  if (when > INT64_MAX - base) throw invalid();
  when += base;

  if (ctx.lookupWrite(key) === undefined) return 0;
  const current = ctx.getExpire(key);
  if (flags.nx && current !== -1) return 0;
  if (flags.xx && current === -1) return 0;
  // No expiry counts as an infinite one: never "greater than" for GT, never beaten by LT's comparison.
  if (flags.gt && (current === -1 || when <= BigInt(current))) return 0;
  if (flags.lt && current !== -1 && when >= BigInt(current)) return 0;

  // A replica never deletes on its own: it keeps the past expiry and waits for its master's DEL.
  if (when <= BigInt(ctx.now) && !ctx.core.isReplica()) {
    ctx.deleteKey(key);
    ctx.rewrite(['DEL', key]);
    ctx.notify(Notify.GENERIC, 'del', key);
    return 1;
  }
  ctx.setExpire(key, Number(when));
  ctx.modified(key);
  ctx.notify(Notify.GENERIC, 'expire', key);
  if (relative || seconds) ctx.rewrite(['PEXPIREAT', key, when.toString(), ...argv.slice(3)]);
  return 1;
}

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 missing, -1 no expiry, else rounded to the nearest second for s. */
/**
 * lookupKeyReadWithFlags(LOOKUP_NOTOUCH), for TTL, TYPE and EXISTS: as ctx.lookupRead (lazy expiry, hit/miss
 * stats, "keymiss" events) but the key's access time is left alone, so asking about a key does not make it
 * look used to the eviction policies or OBJECT IDLETIME.
 */
function lookupNoTouch(ctx: CommandContext, key: string): RedisValue | undefined {
  const db = ctx.db;
  const v = ctx.expireIfNeeded(db, key) ? undefined : db.dict.get(key);
  if (v === undefined) {
    ctx.core.stats.keyspaceMisses++;
    if (ctx.core.keyspaceEvents !== 0) ctx.notify(Notify.KEY_MISS, 'keymiss', key, db);
  } else {
    ctx.core.stats.keyspaceHits++;
  }
  return v;
}

function ttlGeneric(ctx: CommandContext, key: string, ms: boolean, absolute: boolean): Reply {
  if (lookupNoTouch(ctx, key) === undefined) return -2;
  const expire = ctx.getExpire(key);
  if (expire === -1) return -1;
  const ttl = Math.max(0, absolute ? expire : expire - ctx.now);
  return ms ? ttl : Math.floor((ttl + 500) / 1000);
}

function expireCommand(name: string, since: string, summary: string, relative: boolean, seconds: boolean): CommandSpec {
  return command({
    name,
    arity: -3,
    group: 'generic',
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary,
    since,
    handler: (ctx, argv) => expireGeneric(ctx, argv, relative, seconds),
  });
}

function ttlCommand(name: string, since: string, summary: string, ms: boolean, absolute: boolean): CommandSpec {
  return command({
    name,
    arity: 2,
    group: 'generic',
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary,
    since,
    handler: (ctx, argv) => ttlGeneric(ctx, argv[1], ms, absolute),
  });
}

/**
 * OBJECT's lookup (Redis's objectCommandLookup, LOOKUP_NOTOUCH|LOOKUP_NONOTIFY): lazy expiry and hit/miss
 * stats as ctx.lookupRead, but a miss sends no "keymiss" event.
 */
function objectLookup(ctx: CommandContext, key: string): RedisValue | undefined {
  const db = ctx.db;
  const v = ctx.expireIfNeeded(db, key) ? undefined : db.dict.get(key);
  if (v === undefined) ctx.core.stats.keyspaceMisses++;
  else ctx.core.stats.keyspaceHits++;
  return v;
}

/** An OBJECT subcommand on a key: null when the key is missing, as Redis replies. */
function objectSubcommand(
  name: string,
  since: string,
  summary: string,
  reply: (v: RedisValue, ctx: CommandContext, key: string) => Reply,
): CommandSpec {
  return command({
    name,
    arity: 3,
    group: 'generic',
    flags: ['readonly'],
    firstKey: 2,
    lastKey: 2,
    step: 1,
    summary,
    since,
    handler: (ctx, argv) => {
      const v = objectLookup(ctx, argv[2]);
      return v === undefined ? null : reply(v, ctx, argv[2]);
    },
  });
}

function refcount(v: RedisValue): number {
  if (typeof v === 'string' && isInt64String(v) && v.length <= 5) {
    const n = Number(v);
    if (n >= 0 && n < SHARED_INTEGERS) return SHARED_REFCOUNT;
  }
  return 1;
}

/** The generic keyspace commands: deletion, inspection, renaming, copying, databases, expiry, OBJECT, SCAN. */
export const keyCommands: CommandSpec[] = [
  command({
    name: 'del',
    arity: -2,
    group: 'generic',
    flags: ['write'],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    summary: 'Delete a key',
    handler: del,
  }),
  command({
    name: 'unlink',
    arity: -2,
    group: 'generic',
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    summary: 'Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.',
    since: '4.0.0',
    handler: del,
  }),
  command({
    name: 'exists',
    arity: -2,
    group: 'generic',
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    summary: 'Determine if a key exists',
    handler: (ctx, argv) => {
      let n = 0;
      for (let i = 1; i < argv.length; i++) if (lookupNoTouch(ctx, argv[i]) !== undefined) n++;
      return n;
    },
  }),
  command({
    name: 'type',
    arity: 2,
    group: 'generic',
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary: 'Determine the type stored at key',
    handler: (ctx, argv) => {
      const v = lookupNoTouch(ctx, argv[1]);
      return new SimpleString(v === undefined ? 'none' : typeOfValue(v));
    },
  }),
  command({
    name: 'keys',
    arity: 2,
    group: 'generic',
    flags: ['readonly'],
    summary: 'Find all keys matching the given pattern',
    handler: (ctx, argv) => {
      const pattern = argv[1];
      const all = pattern === '*';
      const db = ctx.db;
      const out: string[] = [];
      for (const key of db.dict.keys()) {
        if ((all || globMatch(pattern, key)) && !isExpired(db, key, ctx.now)) out.push(key);
      }
      return out;
    },
  }),
  command({
    name: 'randomkey',
    arity: 1,
    group: 'generic',
    flags: ['readonly'],
    summary: 'Return a random key from the keyspace',
    handler: (ctx) => {
      const db = ctx.db;
      const allVolatile = db.dict.size === db.expires.size;
      let tries = 100;
      for (;;) {
        if (db.dict.size === 0) return null;
        const key = randomKeyOf(ctx, db);
        if (db.expires.has(key)) {
          // A replica only hides expired keys: when every key may be expired, give up after a few tries and
          // return one anyway rather than loop forever (Redis's dbRandomKey does the same).
          if (allVolatile && ctx.core.isReplica() && --tries === 0) return key;
          if (ctx.expireIfNeeded(db, key)) continue;
        }
        return key;
      }
    },
  }),
  command({
    name: 'dbsize',
    arity: 1,
    group: 'server',
    flags: ['readonly', 'fast'],
    summary: 'Return the number of keys in the selected database',
    handler: (ctx) => ctx.db.size,
  }),
  command({
    name: 'rename',
    arity: 3,
    group: 'generic',
    flags: ['write'],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    summary: 'Rename a key',
    handler: (ctx, argv) => rename(ctx, argv, false),
  }),
  command({
    name: 'renamenx',
    arity: 3,
    group: 'generic',
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    summary: 'Rename a key, only if the new key does not exist',
    handler: (ctx, argv) => rename(ctx, argv, true),
  }),
  command({
    name: 'copy',
    arity: -3,
    group: 'generic',
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    summary: 'Copy a key',
    since: '6.2.0',
    handler: copy,
  }),
  command({
    name: 'move',
    arity: 3,
    group: 'generic',
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary: 'Move a key to another database',
    handler: move,
  }),
  command({
    name: 'flushdb',
    arity: -1,
    group: 'server',
    flags: ['write'],
    summary: 'Remove all keys from the current database',
    handler: (ctx, argv) => {
      checkFlushArgs(argv);
      const removed = flushDatabase(ctx, ctx.db);
      ctx.core.dirty += removed;
      // Redis forces FLUSHDB into the stream even when the database was already empty.
      ctx.dirty += removed + 1;
      return OK;
    },
  }),
  command({
    name: 'flushall',
    arity: -1,
    group: 'server',
    flags: ['write'],
    summary: 'Remove all keys from all databases',
    handler: (ctx, argv) => {
      checkFlushArgs(argv);
      let removed = 0;
      for (const db of ctx.core.dbs) removed += flushDatabase(ctx, db);
      // Redis adds one more change on top of the keys removed, so FLUSHALL always propagates.
      ctx.core.dirty += removed + 1;
      ctx.dirty += removed + 1;
      return OK;
    },
  }),
  command({
    name: 'swapdb',
    arity: 3,
    group: 'server',
    flags: ['write', 'fast'],
    summary: 'Swaps two Redis databases',
    since: '4.0.0',
    handler: swapdb,
  }),
  command({
    name: 'touch',
    arity: -2,
    group: 'generic',
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    summary: 'Alters the last access time of a key(s). Returns the number of existing keys specified.',
    since: '3.2.1',
    handler: (ctx, argv) => {
      let n = 0;
      for (let i = 1; i < argv.length; i++) if (ctx.lookupRead(argv[i]) !== undefined) n++;
      return n;
    },
  }),
  command({
    name: 'object',
    arity: -2,
    group: 'generic',
    summary: 'A container for object introspection commands',
    since: '2.2.3',
    subcommands: [
      objectSubcommand('encoding', '2.2.3', 'Inspect the internal encoding of a Redis object', (v, ctx) => objectEncoding(v, ctx.core.encodingLimits)),
      objectSubcommand('refcount', '2.2.3', 'Get the number of references to the value of the key', refcount),
      // Access is tracked while maxmemory is set (the eviction policies need it); otherwise every key reads as
      // just used.
      objectSubcommand('idletime', '2.2.3', 'Get the time since a Redis object was last accessed', (_v, ctx, key) => {
        if (ctx.core.memory.lfu) throw new CommandError(LRU_NOT_SELECTED);
        return ctx.core.memory.active ? ctx.core.memory.idleSeconds(ctx.db, key) : 0;
      }),
      objectSubcommand('freq', '4.0.0', 'Get the logarithmic access frequency counter of a Redis object', (_v, ctx, key) => {
        if (!ctx.core.memory.lfu) throw new CommandError(LFU_NOT_SELECTED);
        return ctx.core.memory.frequency(ctx.db, key);
      }),
      command({
        name: 'help',
        arity: 2,
        group: 'generic',
        flags: ['loading', 'stale'],
        summary: 'Show helpful text about the different subcommands',
        since: '6.2.0',
        handler: () => OBJECT_HELP.map((line) => new SimpleString(line)),
      }),
    ],
  }),
  expireCommand('expire', '1.0.0', "Set a key's time to live in seconds", true, true),
  expireCommand('pexpire', '2.6.0', "Set a key's time to live in milliseconds", true, false),
  expireCommand('expireat', '1.2.0', 'Set the expiration for a key as a UNIX timestamp', false, true),
  expireCommand(
    'pexpireat',
    '2.6.0',
    'Set the expiration for a key as a UNIX timestamp specified in milliseconds',
    false,
    false,
  ),
  ttlCommand('ttl', '1.0.0', 'Get the time to live for a key in seconds', false, false),
  ttlCommand('pttl', '2.6.0', 'Get the time to live for a key in milliseconds', true, false),
  ttlCommand('expiretime', '7.0.0', 'Get the expiration Unix timestamp for a key', false, true),
  ttlCommand('pexpiretime', '7.0.0', 'Get the expiration Unix timestamp for a key in milliseconds', true, true),
  command({
    name: 'persist',
    arity: 2,
    group: 'generic',
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary: 'Remove the expiration from a key',
    since: '2.2.0',
    handler: (ctx, argv) => {
      const key = argv[1];
      if (ctx.lookupWrite(key) === undefined || !ctx.removeExpire(key)) return 0;
      ctx.modified(key);
      ctx.notify(Notify.GENERIC, 'persist', key);
      return 1;
    },
  }),
  ...scanCommands,
];
