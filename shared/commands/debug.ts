import { binaryToBytes } from '../bytes.js';
import { CommandError, NO_SUCH_KEY } from '../errors.js';
import type { CommandContext } from '../engine/command-context.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import { Config } from '../engine/config.js';
import { datasetDigest, digestHex, keyValueDigest } from '../engine/digest.js';
import { RdbReader } from '../rdb/rdb-reader.js';
import { writeRdb } from '../rdb/rdb-writer.js';
import { NULL_REPLID, newReplId } from '../replication/replication-id.js';
import { replicationOf } from '../replication/replication.js';
import { encodeReply } from '../resp/encoder.js';
import {
  BoolReply,
  DoubleReply,
  MapReply,
  OK,
  RawReply,
  SetReply,
  SimpleString,
  VerbatimReply,
  type Reply,
} from '../resp/reply.js';
import { Database, type RedisValue } from '../store/database.js';
import { Deque } from '../store/deque.js';
import { helpReply, subcommandSyntaxError } from './command-docs.js';
import { quicklistFields, serializedLength } from './debug-object.js';
import { quicklistSettings } from './debug-quicklist.js';
import { isWord, parseInteger } from './parse.js';
import { objectEncoding } from './scan.js';
import { setDenyScriptsDisabled } from '../scripting/deny-scripts.js';

/**
 * DEBUG (Redis 7.0.15's debug.c): the subcommands test suites and operators rely on. DIGEST / DIGEST-VALUE
 * give Redis's exact dataset fingerprint (engine/digest.ts), POPULATE fills a database, RELOAD round-trips the
 * dataset through the RDB format (the runtime's file when it has one), LOADAOF reloads the runtime's
 * append-only file, OBJECT describes a value's encoding, PROTOCOL returns test replies of every RESP3 type. Subcommands that inspect or crash the C process (SEGFAULT, JMAP-like allocator calls, listpack
 * dumps to stdout...) have no meaning here and get Redis's unknown-subcommand error.
 */

/** DEBUG HELP, verbatim from Redis 7.0.15 (built with jemalloc, as the stock server is). */
const DEBUG_HELP = [
  'AOF-FLUSH-SLEEP <microsec>',
  '    Server will sleep before flushing the AOF, this is used for testing.',
  'ASSERT',
  '    Crash by assertion failed.',
  'CHANGE-REPL-ID',
  '    Change the replication IDs of the instance.',
  '    Dangerous: should be used only for testing the replication subsystem.',
  'CONFIG-REWRITE-FORCE-ALL',
  '    Like CONFIG REWRITE but writes all configuration options, including',
  '    keywords not listed in original configuration file or default values.',
  'CRASH-AND-RECOVER [<milliseconds>]',
  '    Hard crash and restart after a <milliseconds> delay (default 0).',
  'DIGEST',
  '    Output a hex signature representing the current DB content.',
  'DIGEST-VALUE <key> [<key> ...]',
  '    Output a hex signature of the values of all the specified keys.',
  'ERROR <string>',
  '    Return a Redis protocol error with <string> as message. Useful for clients',
  '    unit tests to simulate Redis errors.',
  'LEAK <string>',
  '    Create a memory leak of the input string.',
  'LOG <message>',
  '    Write <message> to the server log.',
  'HTSTATS <dbid>',
  '    Return hash table statistics of the specified Redis database.',
  'HTSTATS-KEY <key>',
  "    Like HTSTATS but for the hash table stored at <key>'s value.",
  'LOADAOF',
  '    Flush the AOF buffers on disk and reload the AOF in memory.',
  'REPLICATE <string>',
  '    Replicates the provided string to replicas, allowing data divergence.',
  'MALLCTL <key> [<val>]',
  '    Get or set a malloc tuning integer.',
  'MALLCTL-STR <key> [<val>]',
  '    Get or set a malloc tuning string.',
  'OBJECT <key>',
  '    Show low level info about `key` and associated value.',
  'DROP-CLUSTER-PACKET-FILTER <packet-type>',
  '    Drop all packets that match the filtered type. Set to -1 allow all packets.',
  'OOM',
  '    Crash the server simulating an out-of-memory error.',
  'PANIC',
  '    Crash the server simulating a panic.',
  'POPULATE <count> [<prefix>] [<size>]',
  '    Create <count> string keys named key:<num>. If <prefix> is specified then',
  '    it is used instead of the \'key\' prefix. These are not propagated to',
  '    replicas. Cluster slots are not respected so keys not belonging to the',
  '    current node can be created in cluster mode.',
  'PROTOCOL <type>',
  '    Reply with a test value of the specified type. <type> can be: string,',
  '    integer, double, bignum, null, array, set, map, attrib, push, verbatim,',
  '    true, false.',
  'RELOAD [option ...]',
  '    Save the RDB on disk and reload it back to memory. Valid <option> values:',
  '    * MERGE: conflicting keys will be loaded from RDB.',
  '    * NOFLUSH: the existing database will not be removed before load, but',
  '      conflicting keys will generate an exception and kill the server.',
  '    * NOSAVE: the database will be loaded from an existing RDB file.',
  '    Examples:',
  '    * DEBUG RELOAD: verify that the server is able to persist, flush and reload',
  '      the database.',
  '    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an',
  '      existing RDB file.',
  '    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB',
  '      file to the database.',
  'RESTART [<milliseconds>]',
  '    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).',
  'SDSLEN <key>',
  '    Show low level SDS string info representing `key` and value.',
  'SEGFAULT',
  '    Crash the server with sigsegv.',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not',
  '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
  '    default.',
  'QUICKLIST-PACKED-THRESHOLD <size>',
  '    Sets the threshold for elements to be inserted as plain vs packed nodes',
  '    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.',
  'SET-SKIP-CHECKSUM-VALIDATION <0|1>',
  '    Enables or disables checksum checks for RDB files and RESTORE\'s payload.',
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
  'STRINGMATCH-TEST',
  '    Run a fuzz tester against the stringmatchlen() function.',
  'STRUCTSIZE',
  '    Return the size of different Redis core C structures.',
  'LISTPACK <key>',
  '    Show low level info about the listpack encoding of <key>.',
  'QUICKLIST <key> [<0|1>]',
  '    Show low level info about the quicklist encoding of <key>.',
  '    The optional argument (0 by default) sets the level of detail',
  'CLIENT-EVICTION',
  '    Show low level client eviction pools info (maxmemory-clients).',
  'PAUSE-CRON <0|1>',
  '    Stop periodic cron job processing.',
  'REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>',
  '    Sets the time (in milliseconds) to wait between client reply buffer peak resets.',
  '    In case NEVER is provided the last observed peak will never be reset',
  '    In case RESET is provided the peak reset time will be restored to the default value',
  'REPLYBUFFER RESIZING <0|1>',
  '    Enable or disable the reply buffer resize cron job',
  'CLUSTERLINK KILL <to|from|all> <node-id>',
  '    Kills the link based on the direction to/from (both) with the provided node.',
];

const MUST_BE_POSITIVE = 'ERR value is out of range, must be positive';
const RELOAD_OPTIONS = 'ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.';
const RELOAD_LOAD_FAILED = 'ERR Error trying to load the RDB dump';
/** NOSAVE loads the RDB file as it is on disk; handlers here cannot read files (see reload). */
const RELOAD_NOSAVE_UNSUPPORTED = 'ERR DEBUG RELOAD NOSAVE is not supported: this server cannot read its RDB file back here';
/** LOADAOF needs the runtime's append-only file (the Node server has one). */
const LOADAOF_UNSUPPORTED = 'ERR DEBUG LOADAOF is not supported: this server keeps no append-only file';
const PROTOCOL_TYPES =
  'ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false';
const PUSH_NEEDS_RESP3 = 'ERR RESP2 is not supported by this command';
const DEBUG_NOT_ALLOWED =
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';
/** OBJ_SHARED_REFCOUNT and OBJ_SHARED_INTEGERS: the integers 0..9999 are shared objects in Redis. */
const SHARED_REFCOUNT = 2147483647;
const SHARED_INTEGERS = 10000;
/** snprintf's buffer in POPULATE: 128 bytes, so a key is cut at 127. */
const POPULATE_BUF = 127;

/**
 * Redis 7 refuses DEBUG unless enable-debug-command allows it ("yes", or "local" for a local connection).
 * Applied only when this server's configuration has that parameter; without it DEBUG is always allowed.
 */
function checkAllowed(ctx: CommandContext): void {
  if (!Config.has('enable-debug-command')) return;
  const setting = ctx.core.config.getText('enable-debug-command');
  if (setting === 'yes') return;
  if (setting === 'local' && (ctx.client.info.loopback || ctx.client.info.kind === 'internal')) return;
  throw new CommandError(DEBUG_NOT_ALLOWED);
}

/** The refcount Redis reports: shared integer objects carry INT_MAX (as OBJECT REFCOUNT). */
function refcount(ctx: CommandContext, v: RedisValue): number {
  if (typeof v !== 'string' || v.length > 4 || !/^(0|[1-9][0-9]*)$/.test(v) || Number(v) >= SHARED_INTEGERS) return 1;
  // Redis stops sharing integers when maxmemory evicts by LRU or LFU (each object needs its own access field).
  const policy = ctx.core.config.str('maxmemory-policy');
  const shared = ctx.core.config.int('maxmemory') === 0 || !(policy.endsWith('-lru') || policy.endsWith('-lfu'));
  return shared ? SHARED_REFCOUNT : 1;
}

/** A stable fake address per value object for "Value at:%p" (strings have no identity: their key's address). */
const addresses = new WeakMap<object, number>();
let nextAddress = 0x7f0000100000;
function addressOf(db: Database, key: string, v: RedisValue): string {
  const holder: object = typeof v === 'string' ? (db.dict as object) : v;
  let a = addresses.get(holder);
  if (a === undefined) {
    a = nextAddress;
    nextAddress += 0x40;
    addresses.set(holder, a);
  }
  // Strings: spread keys of one database over distinct addresses with a hash of the key.
  if (typeof v === 'string') {
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) >>> 0;
    a += (h % 0x100000) * 0x10;
  }
  return `0x${a.toString(16)}`;
}

/** DEBUG OBJECT's status line. */
function debugObject(ctx: CommandContext, key: string): SimpleString {
  // Redis reads the dictionary directly: no lazy expiry, no access-time update.
  const v = ctx.db.dict.get(key);
  if (v === undefined) throw new CommandError(NO_SUCH_KEY);
  const config = ctx.core.config;
  const length = serializedLength(v, {
    compress: config.bool('rdbcompression'),
    quicklist: v instanceof Deque ? quicklistSettings(ctx.core, v) : undefined,
    streamNodeLimits: { maxBytes: config.int('stream-node-max-bytes'), maxEntries: config.int('stream-node-max-entries') },
  });
  // lru is Redis's 24-bit seconds clock at the last access; access is tracked only while maxmemory is set.
  const memory = ctx.core.memory;
  const idle = memory.active && !memory.lfu ? memory.idleSeconds(ctx.db, key) : 0;
  const lru = (Math.floor(ctx.now / 1000) - idle) & 0xffffff;
  const extra = v instanceof Deque ? quicklistFields(v, quicklistSettings(ctx.core, v)) : '';
  return new SimpleString(
    `Value at:${addressOf(ctx.db, key, v)} refcount:${refcount(ctx, v)} encoding:${objectEncoding(v, ctx.core.encodingLimits)} ` +
      `serializedlength:${length} lru:${lru} lru_seconds_idle:${idle}${extra}`,
  );
}

/** getPositiveLongFromObjectOrReply with POPULATE's message for anything that is not a count. */
function positiveLong(arg: string): number {
  const n = parseInteger(arg, MUST_BE_POSITIVE);
  if (n < 0) throw new CommandError(MUST_BE_POSITIVE);
  return n;
}

/**
 * DEBUG POPULATE count [prefix] [size]: string keys `<prefix>:<n>` = `value:<n>` (padded with zero bytes or cut
 * to `size`), skipping existing keys. Not propagated and not counted as changes (Redis leaves server.dirty
 * alone), but WATCHes, blocked clients and the "new" event see the keys, as Redis's dbAdd and
 * signalModifiedKey make them.
 */
function populate(ctx: CommandContext, argv: string[]): Reply {
  const count = positiveLong(argv[2]);
  const size = argv.length === 5 ? positiveLong(argv[4]) : 0;
  // "%s" stops at a NUL byte, and the 128-byte buffer cuts the whole key.
  const prefix = argv.length === 3 ? 'key' : argv[3].split('\0')[0];
  const db = ctx.db;
  for (let j = 0; j < count; j++) {
    const key = `${prefix}:${j}`.slice(0, POPULATE_BUF);
    if (ctx.lookupWrite(key) !== undefined) continue;
    let value = `value:${j}`;
    if (size > 0) value = size <= value.length ? value.slice(0, size) : value + '\0'.repeat(size - value.length);
    db.dict.set(key, value);
    ctx.created(key);
    ctx.core.signalModifiedKey(db.id, key);
  }
  return OK;
}

/** What an RDB holds, read into staging databases before anything live changes. */
interface StagedRdb {
  dbs: Database[];
  functions: string[];
}

/** Reads RDB bytes into staging (keys already expired are left out on a master, as Redis's rdbLoad does). */
function stageRdb(ctx: CommandContext, chunks: Iterable<Uint8Array>): StagedRdb {
  const core = ctx.core;
  const staged: StagedRdb = { dbs: core.dbs.map((db) => new Database(db.id)), functions: [] };
  const dropExpired = !core.isReplica();
  const reader = new RdbReader({
    onFunction: (code) => staged.functions.push(code),
    onKey: (dbIndex, key, value, expireMs) => {
      const target = staged.dbs[dbIndex];
      if (!target) throw new CommandError(RELOAD_LOAD_FAILED);
      if (dropExpired && expireMs >= 0 && expireMs < ctx.now) return;
      target.dict.set(key, value);
      if (expireMs >= 0) target.expires.set(key, expireMs);
    },
  });
  for (const chunk of chunks) reader.push(chunk);
  reader.end();
  return staged;
}

/**
 * The function libraries after the load, or null when one cannot be loaded: the RDB's, plus (NOFLUSH) the
 * ones we have, where a library of the same name is an error unless MERGE lets the RDB's win
 * (functionsCreateWithLibraryCtx with allow_dup).
 */
function stageFunctions(ctx: CommandContext, rdbCodes: string[], flush: boolean, merge: boolean): (() => void) | null {
  const libraries = ctx.core.functionLibraries;
  if (!libraries) return () => undefined;
  const existing = flush ? [] : libraries.codes();
  const load = libraries.beginLoad();
  for (const code of rdbCodes) if (load.add(code) !== null) return null;
  for (const code of existing) if (load.add(code) !== null && !merge) return null;
  return () => load.commit();
}

/** Redis's emptyData(-1, EMPTYDB_NO_FLAGS): every database and the function libraries. */
function emptyData(ctx: CommandContext): void {
  const core = ctx.core;
  for (const db of core.dbs) db.clear();
  core.functionLibraries?.beginLoad().commit();
}

/**
 * DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE], as Redis's debug.c: save the RDB (unless NOSAVE), empty the dataset
 * and the function libraries (unless NOFLUSH), then load the RDB; with NOFLUSH a library or key that exists
 * already is an error unless MERGE (the RDB's wins). A runtime with snapshot files (persistence.readSnapshot)
 * saves and reads the file on disk. Without one, the dataset is round-tripped through an RDB made in memory
 * (same writer and reader), and NOSAVE, which needs the file, is refused. Differences: a key conflict without
 * MERGE, which makes Redis kill itself, is refused before anything changes.
 */
function reload(ctx: CommandContext, argv: string[]): Reply {
  let merge = false;
  let flush = true;
  let save = true;
  for (let j = 2; j < argv.length; j++) {
    if (isWord(argv[j], 'merge')) merge = true;
    else if (isWord(argv[j], 'noflush')) flush = false;
    else if (isWord(argv[j], 'nosave')) save = false;
    else throw new CommandError(RELOAD_OPTIONS);
  }
  const core = ctx.core;
  const persistence = core.host.persistence;
  const fromFile = persistence?.readSnapshot !== undefined;
  if (!save && !fromFile) throw new CommandError(RELOAD_NOSAVE_UNSUPPORTED);
  // Redis answers a failed save with a bare "-ERR" (the reason is in the log), as SAVE does.
  if (save && persistence && (persistence.saving() || !persistence.save())) throw new CommandError('ERR');

  let staged: StagedRdb | null = null;
  try {
    if (fromFile) {
      const bytes = persistence!.readSnapshot!();
      if (bytes !== null) staged = stageRdb(ctx, [bytes]);
    } else {
      const rdb = writeRdb(
        { dbs: core.dbs, now: ctx.now, functions: core.functionLibraries?.codes() },
        { compress: core.config.bool('rdbcompression') },
      );
      staged = stageRdb(ctx, rdb);
    }
  } catch {
    staged = null;
  }
  const commitFunctions = staged && stageFunctions(ctx, staged.functions, flush, merge);
  if (!staged || !commitFunctions) {
    // Redis empties the dataset before it tries the load.
    if (flush) {
      emptyData(ctx);
      core.touchAllWatched();
    }
    throw new CommandError(RELOAD_LOAD_FAILED);
  }
  if (!flush && !merge) {
    for (const db of staged.dbs) {
      for (const key of db.dict.keys()) if (core.dbs[db.id].dict.has(key)) throw new CommandError(RELOAD_LOAD_FAILED);
    }
  }
  if (flush) for (const db of core.dbs) db.clear();
  commitFunctions();
  for (const db of staged.dbs) {
    const live = core.dbs[db.id];
    for (const [key, value] of db.dict) {
      live.dict.set(key, value);
      const when = db.expires.get(key);
      if (when === undefined) live.expires.delete(key);
      else live.expires.set(key, when);
    }
  }
  // Redis's emptyData signals every database as flushed (WATCHes, tracking, maxmemory bookkeeping).
  core.touchAllWatched();
  core.host.log('warning', 'DB reloaded by DEBUG RELOAD');
  return OK;
}

/**
 * DEBUG LOADAOF: flush the AOF, empty the dataset and load the AOF files back, through the runtime's
 * append-only file. Redis exits when the files cannot be loaded; we answer an error (the dataset is empty).
 */
function loadAof(ctx: CommandContext): Reply {
  const aof = ctx.core.host.appendOnly;
  if (!aof?.reloadFromDisk) throw new CommandError(LOADAOF_UNSUPPORTED);
  const err = aof.reloadFromDisk();
  // Whatever was loaded replaced the dataset: WATCHes, tracking and blocked clients see a flush.
  ctx.core.touchAllWatched();
  if (err !== null) throw new CommandError(`ERR ${err}`);
  // Redis zeroes server.dirty: the reload is neither a change to save nor something to propagate.
  ctx.core.dirty = 0;
  ctx.core.host.log('warning', 'Append Only File loaded by DEBUG LOADAOF');
  return OK;
}

/** DEBUG CHANGE-REPL-ID: a new replication id and no secondary one (changeReplicationId + clearReplicationId2). */
function changeReplId(ctx: CommandContext): Reply {
  ctx.core.host.log('warning', 'Changing replication IDs after receiving DEBUG change-repl-id');
  let repl;
  try {
    repl = replicationOf(ctx.core);
  } catch {
    // A core without the replication layer has no ids to change.
    return OK;
  }
  repl.replid = newReplId(ctx.core);
  repl.replid2 = NULL_REPLID;
  repl.secondReplOffset = -1;
  return OK;
}

/**
 * RESP3 bytes our reply model has no class for (attributes, big numbers, a push followed by a reply): `frame`,
 * a raw RESP3 header (or a whole frame), then `replies` encoded as RESP3.
 */
function raw(frame: string, ...replies: Reply[]): RawReply {
  const chunks = [binaryToBytes(frame), ...replies.map((r) => encodeReply(r, 3))];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return new RawReply(out);
}

/** DEBUG PROTOCOL <type>: a test value of each reply type, in the client's protocol. */
function protocol(ctx: CommandContext, name: string): Reply {
  const resp3 = ctx.client.protocol === 3;
  switch (name.toLowerCase()) {
    case 'string':
      return 'Hello World';
    case 'integer':
      return 12345;
    case 'double':
      return new DoubleReply(3.141);
    case 'bignum': {
      const digits = '1234567999999999999999999999999999999';
      return resp3 ? raw(`(${digits}\r\n`) : digits;
    }
    case 'null':
      return null;
    case 'array':
      return [0, 1, 2];
    case 'set':
      return new SetReply([0, 1, 2]);
    case 'map':
      return new MapReply([0, 1, 2].map((j) => [j, new BoolReply(j === 1)]));
    case 'attrib': {
      const real = 'Some real reply following the attribute';
      // Attributes exist in RESP3 only; the real reply follows them as one reply.
      return resp3 ? raw('|1\r\n', 'key-popularity', ['key:123', 90], real) : real;
    }
    case 'push':
      if (!resp3) throw new CommandError(PUSH_NEEDS_RESP3);
      // The push is out of band: the real reply follows it for clients that skip pushes.
      return raw('>2\r\n', 'server-cpu-usage', 42, 'Some real reply following the push reply');
    case 'true':
      return new BoolReply(true);
    case 'false':
      return new BoolReply(false);
    case 'verbatim':
      return new VerbatimReply('txt', 'This is a verbatim\nstring');
    default:
      throw new CommandError(PROTOCOL_TYPES);
  }
}

/** DEBUG ERROR <string>: `-<string>` as given (no "ERR" added), newlines made spaces one for one. */
function debugError(message: string): Reply {
  return raw(`-${message.replace(/[\r\n]/g, ' ')}\r\n`);
}

/**
 * DEBUG REPLICATE <arg> ...: feeds the arguments to the replication stream as a command, without running it
 * (replicas diverge: a testing aid). As Redis's replicationFeedSlaves with the stream's own selected database,
 * no SELECT precedes it, except for the very first op of a stream, which always needs one here.
 */
function replicate(ctx: CommandContext, argv: string[]): Reply {
  const propagator = ctx.core.propagator;
  propagator.add(propagator.selectedDb >= 0 ? propagator.selectedDb : ctx.db.id, argv);
  return OK;
}

/** Redis's REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME, in ms. */
const REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME = 5000;

/** The reply-buffer tuning DEBUG REPLYBUFFER sets (Redis's reply_buffer_peak_reset_time and _resizing_enabled). */
export interface ReplyBufferSettings {
  /** How often a client's reply-buffer peak is reset, in ms; -1: never. */
  peakResetTimeMs: number;
  /** Whether the periodic cycle may shrink or grow client reply buffers. */
  resizing: boolean;
}

const replyBufferSettingsByCore = new WeakMap<object, ReplyBufferSettings>();

/** The reply-buffer settings of a server (the defaults until DEBUG REPLYBUFFER changes them). */
export function replyBufferSettings(core: object): ReplyBufferSettings {
  let settings = replyBufferSettingsByCore.get(core);
  if (!settings) {
    settings = { peakResetTimeMs: REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME, resizing: true };
    replyBufferSettingsByCore.set(core, settings);
  }
  return settings;
}

/**
 * DEBUG REPLYBUFFER PEAK-RESET-TIME <NEVER|RESET|ms> | RESIZING <0|1>: validated and kept as Redis does. Our
 * replies go straight to the transport (no fixed-size per-client buffer to shrink or grow), so the settings
 * are held for the layer reporting reply-buffer sizes and change nothing else.
 */
function replyBuffer(ctx: CommandContext, argv: string[]): Reply {
  const settings = replyBufferSettings(ctx.core);
  if (isWord(argv[2], 'peak-reset-time')) {
    if (isWord(argv[3], 'never')) settings.peakResetTimeMs = -1;
    else if (isWord(argv[3], 'reset')) settings.peakResetTimeMs = REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME;
    else settings.peakResetTimeMs = parseInteger(argv[3]);
  } else if (isWord(argv[2], 'resizing')) {
    // atoi: leading digits, anything else is 0.
    settings.resizing = Number.parseInt(argv[3], 10) ? true : false;
  } else {
    throw subcommandSyntaxError(argv);
  }
  return OK;
}

/** quicklist.c's default packed_threshold (1GB) and the largest one it accepts (4GB - 1MB). */
const PACKED_THRESHOLD_DEFAULT = 1 << 30;
const PACKED_THRESHOLD_MAX = 2 ** 32 - 2 ** 20;
const PACKED_THRESHOLD_ERROR = 'ERR argument must be a memory value bigger than 1 and smaller than 4gb';
const packedThresholdByCore = new WeakMap<object, number>();

/**
 * The size from which a list element is a node of its own ("plain") in Redis's quicklist, as DEBUG
 * QUICKLIST-PACKED-THRESHOLD last set it (1GB by default).
 */
export function quicklistPackedThreshold(core: object): number {
  return packedThresholdByCore.get(core) ?? PACKED_THRESHOLD_DEFAULT;
}

/** Redis's memtoull: digits, then an optional unit (b, k, kb, m, mb, g, gb, any case); null where it errs. */
function memtoull(s: string): number | null {
  if (s.startsWith('-')) return null;
  const [, digits, unit] = /^([0-9]*)([\s\S]*)$/.exec(s)!;
  const multipliers: Record<string, bigint> = { '': 1n, b: 1n, k: 1000n, kb: 1024n, m: 1000n ** 2n, mb: 1024n ** 2n, g: 1000n ** 3n, gb: 1024n ** 3n };
  const mul = multipliers[unit.toLowerCase()];
  if (mul === undefined || digits.length >= 128) return null;
  // strtoull of no digits is 0; of too many, ULLONG_MAX, which the overflow check refuses.
  const value = digits === '' ? 0n : BigInt(digits);
  if (value >= (2n ** 64n - 1n) / mul) return null;
  return Number(value * mul);
}

/**
 * DEBUG QUICKLIST-PACKED-THRESHOLD <size>: Redis keeps list elements of this size or more in nodes of their
 * own. That is node layout only: list commands behave the same either way, and our lists have no nodes. The
 * value is validated and kept as Redis does (0 restores the default), for what reports node layout.
 */
function packedThreshold(ctx: CommandContext, arg: string): Reply {
  const size = memtoull(arg);
  if (size === null || size > PACKED_THRESHOLD_MAX) throw new CommandError(PACKED_THRESHOLD_ERROR);
  packedThresholdByCore.set(ctx.core, size === 0 ? PACKED_THRESHOLD_DEFAULT : size);
  return OK;
}

/** The status reply of a digest: 40 hex digits. */
function hexStatus(digest: Uint8Array): SimpleString {
  return new SimpleString(digestHex(digest));
}

/** The DEBUG command. */
export const debugCommands: CommandSpec[] = [
  command({
    name: 'debug',
    arity: -2,
    group: 'server',
    flags: ['admin', 'noscript', 'loading', 'stale'],
    summary: 'A container for debugging commands',
    since: '1.0.0',
    handler: (ctx, argv) => {
      checkAllowed(ctx);
      const sub = argv[1];
      const argc = argv.length;
      if (argc === 2 && isWord(sub, 'help')) return helpReply(argv[0], DEBUG_HELP);
      if (argc === 3 && isWord(sub, 'log')) {
        ctx.core.host.log('warning', `DEBUG LOG: ${argv[2].split('\0')[0]}`);
        return OK;
      }
      if (isWord(sub, 'reload')) return reload(ctx, argv);
      if (argc === 2 && isWord(sub, 'loadaof')) return loadAof(ctx);
      if (argc === 4 && isWord(sub, 'replybuffer')) return replyBuffer(ctx, argv);
      if (argc === 3 && isWord(sub, 'quicklist-packed-threshold')) return packedThreshold(ctx, argv[2]);
      if (argc === 3 && isWord(sub, 'object')) return debugObject(ctx, argv[2]);
      if (argc >= 3 && argc <= 5 && isWord(sub, 'populate')) return populate(ctx, argv);
      if (argc === 2 && isWord(sub, 'digest')) return hexStatus(datasetDigest(ctx.core.dbs));
      if (isWord(sub, 'digest-value')) return argv.slice(2).map((key) => hexStatus(keyValueDigest(ctx.db, key)));
      if (argc === 3 && isWord(sub, 'protocol')) return protocol(ctx, argv[2]);
      if (argc === 3 && isWord(sub, 'sleep')) {
        // Redis reads the seconds with strtod and no validation: what does not parse sleeps 0.
        const seconds = Number.parseFloat(argv[2]);
        const ms = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
        ctx.core.host.sleep?.(ms);
        return OK;
      }
      if (argc === 3 && isWord(sub, 'set-active-expire')) {
        // Redis reads it with atoi: leading digits, anything else is 0.
        ctx.core.activeExpireEnabled = Number.parseInt(argv[2], 10) ? true : false;
        return OK;
      }
      if (argc === 3 && isWord(sub, 'set-disable-deny-scripts')) {
        // Redis reads it with atoi, as set-active-expire.
        setDenyScriptsDisabled(ctx.core, Number.parseInt(argv[2], 10) ? true : false);
        return OK;
      }
      if (argc === 3 && isWord(sub, 'pause-cron')) {
        ctx.core.cronPaused = Number.parseInt(argv[2], 10) ? true : false;
        return OK;
      }
      if (argc >= 3 && isWord(sub, 'replicate')) return replicate(ctx, argv.slice(2));
      if (argc === 3 && isWord(sub, 'error')) return debugError(argv[2]);
      if (argc === 2 && isWord(sub, 'change-repl-id')) return changeReplId(ctx);
      throw subcommandSyntaxError(argv);
    },
  }),
];
