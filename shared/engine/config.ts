import { CommandError } from '../errors.js';
import { formatKeyspaceEvents, parseKeyspaceEvents } from './keyspace-events.js';

/** How a parameter's text is read and printed. */
type ParamKind =
  | 'int'
  | 'memory'
  | 'bool'
  | 'string'
  | 'enum'
  | 'client-output-buffer-limit'
  | 'save-points'
  | 'percentiles'
  | 'filename'
  | 'keyspace-events'
  | 'shutdown-flags'
  | 'octal';

interface ParamSpec {
  name: string;
  aliases?: string[];
  kind: ParamKind;
  default: string;
  /** CONFIG SET may change it at runtime. */
  mutable?: boolean;
  /** Redis 7's PROTECTED_CONFIG: CONFIG SET refuses it (as Redis with enable-protected-configs no). */
  protected?: boolean;
  min?: number;
  max?: number;
  /** How an error prints `max` when a JS number cannot (LLONG_MAX). */
  maxText?: string;
  /** Values below this (but within min) are raised to it, as Redis's apply functions do (repl-backlog-size). */
  clampMin?: number;
  values?: string[];
  /** Redis's HIDDEN_CONFIG (debug knobs): CONFIG GET names it only exactly, never through a pattern. */
  hidden?: boolean;
}

/** One class's output buffer limit: hard bytes, soft bytes, soft seconds (0 = no limit). */
export interface OutputBufferLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

/** One `save` point: snapshot when at least `changes` writes happened within `seconds`. */
export interface SavePoint {
  seconds: number;
  changes: number;
}

/** client-output-buffer-limit, per client class. */
export interface OutputBufferLimits {
  normal: OutputBufferLimit;
  replica: OutputBufferLimit;
  pubsub: OutputBufferLimit;
}

/** shutdown-on-sigterm / shutdown-on-sigint's words, in the order Redis prints them. */
const SHUTDOWN_FLAGS = ['default', 'save', 'nosave', 'now', 'force'];

/**
 * A multi-word shutdown-on-sig* value as Redis's multi-arg enum reads it: the words in its table order
 * ("default" alone when none is set), SAVE with NOSAVE refused.
 */
function parseShutdownFlags(text: string): string {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0 || words.some((w) => !SHUTDOWN_FLAGS.includes(w))) {
    throw new Error(`argument(s) must be one of the following: ${SHUTDOWN_FLAGS.join(', ')}`);
  }
  if (words.includes('save') && words.includes('nosave')) throw new Error("shutdown options SAVE and NOSAVE can't be used simultaneously");
  const set = SHUTDOWN_FLAGS.slice(1).filter((f) => words.includes(f));
  return set.length === 0 ? 'default' : set.join(' ');
}

/**
 * Every configuration parameter the server knows, with redis.conf's names and defaults. The same table serves
 * the config file, the command line and CONFIG GET/SET; an unknown name is an error everywhere.
 */
const PARAMS: ParamSpec[] = [
  { name: 'port', kind: 'int', default: '6379', mutable: true, min: 0, max: 65535 },
  // Ours, not Redis's: hidden so that CONFIG GET * lists what Redis lists (and CONFIG SET of each one works).
  { name: 'http-port', kind: 'int', default: '7379', min: 0, max: 65535, hidden: true },
  { name: 'bind', kind: 'string', default: '* -::*', mutable: true },
  { name: 'protected-mode', kind: 'bool', default: 'yes', mutable: true },
  // A Unix domain socket to listen on as well (the Node server), and its file mode in octal (0: left as created).
  { name: 'unixsocket', kind: 'string', default: '' },
  { name: 'unixsocketperm', kind: 'octal', default: '0' },
  { name: 'requirepass', kind: 'string', default: '', mutable: true },
  { name: 'databases', kind: 'int', default: '16', min: 1, max: 2147483647 },
  { name: 'proto-max-bulk-len', kind: 'memory', default: '512mb', mutable: true, min: 1024 * 1024 },
  { name: 'client-query-buffer-limit', kind: 'memory', default: '1gb', mutable: true, min: 1024 * 1024 },
  { name: 'notify-keyspace-events', kind: 'keyspace-events', default: '', mutable: true },
  { name: 'slowlog-log-slower-than', kind: 'int', default: '10000', mutable: true, min: -9007199254740991 },
  { name: 'slowlog-max-len', kind: 'int', default: '128', mutable: true, min: 0 },
  // Per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats), on by default as in Redis 7.
  { name: 'latency-tracking', kind: 'bool', default: 'yes', mutable: true },
  { name: 'latency-tracking-info-percentiles', kind: 'percentiles', default: '50 99 99.9', mutable: true },
  { name: 'latency-monitor-threshold', kind: 'int', default: '0', mutable: true, min: 0, max: 9223372036854775807, maxText: '9223372036854775807' },
  { name: 'tracking-table-max-keys', kind: 'int', default: '1000000', mutable: true, min: 0, max: 9223372036854775807, maxText: '9223372036854775807' },
  // Data-type encodings that change stored bytes (HyperLogLog's sparse form) or node sizes (streams).
  { name: 'hll-sparse-max-bytes', kind: 'memory', default: '3000', mutable: true, min: 0 },
  // The compact encodings' thresholds (OBJECT ENCODING, SCAN's whole-listpack replies); the ziplist names are
  // Redis's older aliases. Lists are quicklists whatever the size (7.0); their node size and compression are kept.
  { name: 'hash-max-listpack-entries', aliases: ['hash-max-ziplist-entries'], kind: 'int', default: '512', mutable: true, min: 0, max: 9223372036854775807, maxText: '9223372036854775807' },
  { name: 'hash-max-listpack-value', aliases: ['hash-max-ziplist-value'], kind: 'memory', default: '64', mutable: true, min: 0 },
  { name: 'zset-max-listpack-entries', aliases: ['zset-max-ziplist-entries'], kind: 'int', default: '128', mutable: true, min: 0, max: 9223372036854775807, maxText: '9223372036854775807' },
  { name: 'zset-max-listpack-value', aliases: ['zset-max-ziplist-value'], kind: 'memory', default: '64', mutable: true, min: 0 },
  { name: 'set-max-intset-entries', kind: 'int', default: '512', mutable: true, min: 0, max: 9223372036854775807, maxText: '9223372036854775807' },
  { name: 'list-max-listpack-size', aliases: ['list-max-ziplist-size'], kind: 'int', default: '-2', mutable: true, min: -2147483648, max: 2147483647 },
  { name: 'list-compress-depth', kind: 'int', default: '0', mutable: true, min: 0, max: 2147483647 },
  { name: 'stream-node-max-bytes', kind: 'memory', default: '4096', mutable: true, min: 0 },
  { name: 'stream-node-max-entries', kind: 'int', default: '100', mutable: true, min: 0 },
  // Scripts: how long a script may run before other clients get BUSY (lua-time-limit is the old name).
  { name: 'busy-reply-threshold', aliases: ['lua-time-limit'], kind: 'int', default: '5000', mutable: true, min: 0 },
  // maxmemory (Redis 7.0's names and defaults): the limit counts the dataset as Redis would allocate it.
  { name: 'maxmemory', kind: 'memory', default: '0', mutable: true, min: 0 },
  // Microseconds to sleep after loading each key of an RDB (negative: sleep 1us once in that many keys).
  { name: 'key-load-delay', kind: 'int', default: '0', mutable: true, min: -2147483648, max: 2147483647, hidden: true },
  { name: 'maxmemory-policy', kind: 'enum', default: 'noeviction', mutable: true, values: ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'] },
  { name: 'maxmemory-samples', kind: 'int', default: '5', mutable: true, min: 1, max: 64 },
  { name: 'maxmemory-eviction-tenacity', kind: 'int', default: '10', mutable: true, min: 0, max: 100 },
  { name: 'lfu-log-factor', kind: 'int', default: '10', mutable: true, min: 0 },
  { name: 'lfu-decay-time', kind: 'int', default: '1', mutable: true, min: 0 },
  { name: 'replica-ignore-maxmemory', aliases: ['slave-ignore-maxmemory'], kind: 'bool', default: 'yes', mutable: true },
  { name: 'lazyfree-lazy-eviction', kind: 'bool', default: 'no', mutable: true },
  // DEBUG is refused unless allowed, as Redis 7 (local: from loopback connections only). Set at startup only.
  { name: 'enable-debug-command', kind: 'enum', default: 'no', values: ['no', 'yes', 'local'] },
  { name: 'enable-protected-configs', kind: 'enum', default: 'no', values: ['no', 'yes', 'local'] },
  // MODULE is refused whatever this says: there is no module loader (see README).
  { name: 'enable-module-command', kind: 'enum', default: 'no', values: ['no', 'yes', 'local'] },
  // The Node server writes its pid here while it runs (Redis's pidfile); empty: none.
  { name: 'pidfile', kind: 'string', default: '' },
  // At startup, log a banner with the port and pid even when the log is not a terminal.
  { name: 'always-show-logo', kind: 'bool', default: 'no' },
  // Redis rehashes its dicts incrementally; JS Maps have nothing to rehash. Kept so redis.conf files load.
  { name: 'activerehashing', kind: 'bool', default: 'yes', mutable: true },
  // ACL users: the file ACL LOAD/SAVE use (empty: users live in memory only) and the ACL LOG's length.
  { name: 'aclfile', kind: 'string', default: '' },
  { name: 'acllog-max-len', kind: 'int', default: '128', mutable: true, min: 0 },
  { name: 'maxclients', kind: 'int', default: '10000', mutable: true, min: 1 },
  { name: 'timeout', kind: 'int', default: '0', mutable: true, min: 0 },
  { name: 'tcp-keepalive', kind: 'int', default: '300', mutable: true, min: 0 },
  { name: 'hz', kind: 'int', default: '10', mutable: true, min: 1, max: 500 },
  { name: 'loglevel', kind: 'enum', default: 'notice', mutable: true, values: ['debug', 'verbose', 'notice', 'warning', 'nothing'] },
  { name: 'logfile', kind: 'string', default: '' },
  { name: 'daemonize', kind: 'enum', default: 'no', values: ['no'] },
  // Where RDB snapshots go (the Node server). Protected in Redis 7: CONFIG SET refuses them.
  { name: 'dir', kind: 'string', default: '.', mutable: true, protected: true },
  { name: 'dbfilename', kind: 'filename', default: 'dump.rdb', mutable: true, protected: true },
  // Redis's save points. The default differs from Redis's "3600 1 300 100 60 10000": a server writes snapshots
  // only when asked to, since replicas and the browser SDK are durability enough for many deployments.
  { name: 'save', kind: 'save-points', default: '', mutable: true },
  { name: 'stop-writes-on-bgsave-error', kind: 'bool', default: 'yes', mutable: true },
  { name: 'rdbcompression', kind: 'bool', default: 'yes', mutable: true },
  // The append-only file (the Node server; Redis 7's multi-part AOF in dir/appenddirname). Runtimes without
  // files ignore these.
  { name: 'appendonly', kind: 'bool', default: 'no', mutable: true },
  { name: 'appendfilename', kind: 'filename', default: 'appendonly.aof' },
  { name: 'appenddirname', kind: 'filename', default: 'appendonlydir' },
  { name: 'appendfsync', kind: 'enum', default: 'everysec', mutable: true, values: ['always', 'everysec', 'no'] },
  { name: 'no-appendfsync-on-rewrite', kind: 'bool', default: 'no', mutable: true },
  { name: 'auto-aof-rewrite-percentage', kind: 'int', default: '100', mutable: true, min: 0, max: 2147483647 },
  { name: 'auto-aof-rewrite-min-size', kind: 'memory', default: '64mb', mutable: true, min: 0 },
  { name: 'aof-use-rdb-preamble', kind: 'bool', default: 'yes', mutable: true },
  { name: 'aof-load-truncated', kind: 'bool', default: 'yes', mutable: true },
  { name: 'aof-timestamp-enabled', kind: 'bool', default: 'no', mutable: true },
  { name: 'aof-rewrite-incremental-fsync', kind: 'bool', default: 'yes', mutable: true },
  { name: 'replicaof', aliases: ['slaveof'], kind: 'string', default: '' },
  { name: 'masterauth', kind: 'string', default: '', mutable: true },
  { name: 'masteruser', kind: 'string', default: '', mutable: true },
  { name: 'repl-backlog-size', kind: 'memory', default: '1mb', mutable: true, min: 1, maxText: '9223372036854775807', clampMin: 16 * 1024 },
  { name: 'repl-backlog-ttl', kind: 'int', default: '3600', mutable: true, min: 0 },
  { name: 'repl-ping-replica-period', aliases: ['repl-ping-slave-period'], kind: 'int', default: '10', mutable: true, min: 1 },
  { name: 'repl-timeout', kind: 'int', default: '60', mutable: true, min: 1 },
  // Redis 7's graceful shutdown: how long a master waits for its replicas to catch up (0: not at all), and what
  // a signal's shutdown does (SHUTDOWN's own options; "default" saves when save points are configured).
  { name: 'shutdown-timeout', kind: 'int', default: '10', mutable: true, min: 0, max: 2147483647 },
  { name: 'shutdown-on-sigterm', kind: 'shutdown-flags', default: 'default', mutable: true, values: SHUTDOWN_FLAGS },
  { name: 'shutdown-on-sigint', kind: 'shutdown-flags', default: 'default', mutable: true, values: SHUTDOWN_FLAGS },
  { name: 'repl-diskless-sync', kind: 'bool', default: 'yes', mutable: true },
  // Redis's default is 5 s, so that one fork serves the replicas that arrive meanwhile; our snapshots need no
  // fork, so ours is 0 (a configured delay is honoured as Redis honours it).
  { name: 'repl-diskless-sync-delay', kind: 'int', default: '0', mutable: true, min: 0 },
  { name: 'repl-diskless-sync-max-replicas', kind: 'int', default: '0', mutable: true, min: 0 },
  { name: 'propagation-error-behavior', kind: 'enum', default: 'ignore', mutable: true, values: ['ignore', 'panic', 'panic-on-replicas'] },
  { name: 'repl-diskless-load', kind: 'enum', default: 'disabled', mutable: true, values: ['disabled', 'on-empty-db', 'swapdb'] },
  { name: 'replica-read-only', aliases: ['slave-read-only'], kind: 'bool', default: 'yes', mutable: true },
  { name: 'replica-serve-stale-data', aliases: ['slave-serve-stale-data'], kind: 'bool', default: 'yes', mutable: true },
  { name: 'replica-priority', aliases: ['slave-priority'], kind: 'int', default: '100', mutable: true, min: 0 },
  { name: 'replica-announced', kind: 'bool', default: 'yes', mutable: true },
  { name: 'replica-announce-ip', aliases: ['slave-announce-ip'], kind: 'string', default: '', mutable: true },
  { name: 'replica-announce-port', aliases: ['slave-announce-port'], kind: 'int', default: '0', mutable: true, min: 0, max: 65535 },
  { name: 'min-replicas-to-write', aliases: ['min-slaves-to-write'], kind: 'int', default: '0', mutable: true, min: 0 },
  { name: 'min-replicas-max-lag', aliases: ['min-slaves-max-lag'], kind: 'int', default: '10', mutable: true, min: 0 },
  // Cluster mode (Redis 7.0's names and defaults).
  { name: 'cluster-enabled', kind: 'bool', default: 'no' },
  { name: 'cluster-config-file', kind: 'string', default: 'nodes.conf' },
  { name: 'cluster-node-timeout', kind: 'int', default: '15000', mutable: true, min: 0 },
  { name: 'cluster-port', kind: 'int', default: '0', min: 0, max: 65535 },
  { name: 'cluster-announce-tls-port', kind: 'int', default: '0', mutable: true, min: 0, max: 65535 },
  { name: 'cluster-announce-ip', kind: 'string', default: '', mutable: true },
  { name: 'cluster-announce-port', kind: 'int', default: '0', mutable: true, min: 0, max: 65535 },
  { name: 'cluster-announce-bus-port', kind: 'int', default: '0', mutable: true, min: 0, max: 65535 },
  { name: 'cluster-announce-hostname', kind: 'string', default: '', mutable: true },
  { name: 'cluster-require-full-coverage', kind: 'bool', default: 'yes', mutable: true },
  { name: 'cluster-allow-reads-when-down', kind: 'bool', default: 'no', mutable: true },
  { name: 'cluster-allow-pubsubshard-when-down', kind: 'bool', default: 'yes', mutable: true },
  { name: 'cluster-allow-replica-migration', kind: 'bool', default: 'yes', mutable: true },
  { name: 'cluster-replica-no-failover', aliases: ['cluster-slave-no-failover'], kind: 'bool', default: 'no', mutable: true },
  { name: 'cluster-replica-validity-factor', aliases: ['cluster-slave-validity-factor'], kind: 'int', default: '10', mutable: true, min: 0 },
  { name: 'cluster-migration-barrier', kind: 'int', default: '1', mutable: true, min: 0 },
  { name: 'cluster-link-sendbuf-limit', kind: 'memory', default: '0', mutable: true, min: 0 },
  // TLS (the Node server; Redis 7.0's names and defaults). Files are read when TLS is configured; CONFIG SET
  // rebuilds the context for new connections.
  { name: 'tls-port', kind: 'int', default: '0', mutable: true, min: 0, max: 65535 },
  { name: 'tls-cert-file', kind: 'string', default: '', mutable: true },
  { name: 'tls-key-file', kind: 'string', default: '', mutable: true },
  { name: 'tls-key-file-pass', kind: 'string', default: '', mutable: true },
  { name: 'tls-client-cert-file', kind: 'string', default: '', mutable: true },
  { name: 'tls-client-key-file', kind: 'string', default: '', mutable: true },
  { name: 'tls-client-key-file-pass', kind: 'string', default: '', mutable: true },
  { name: 'tls-dh-params-file', kind: 'string', default: '', mutable: true },
  { name: 'tls-ca-cert-file', kind: 'string', default: '', mutable: true },
  { name: 'tls-ca-cert-dir', kind: 'string', default: '', mutable: true },
  { name: 'tls-auth-clients', kind: 'enum', default: 'yes', mutable: true, values: ['no', 'yes', 'optional'] },
  { name: 'tls-replication', kind: 'bool', default: 'no', mutable: true },
  { name: 'tls-cluster', kind: 'bool', default: 'no', mutable: true },
  { name: 'tls-protocols', kind: 'string', default: '', mutable: true },
  { name: 'tls-ciphers', kind: 'string', default: '', mutable: true },
  { name: 'tls-ciphersuites', kind: 'string', default: '', mutable: true },
  { name: 'tls-prefer-server-ciphers', kind: 'bool', default: 'no', mutable: true },
  { name: 'tls-session-caching', kind: 'bool', default: 'yes', mutable: true },
  { name: 'tls-session-cache-size', kind: 'int', default: '20480', mutable: true, min: 0, max: 2147483647 },
  { name: 'tls-session-cache-timeout', kind: 'int', default: '300', mutable: true, min: 0, max: 2147483647 },
  {
    name: 'client-output-buffer-limit',
    kind: 'client-output-buffer-limit',
    default: 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
    mutable: true,
  },
];

const BY_NAME = new Map<string, ParamSpec>();
for (const p of PARAMS) {
  BY_NAME.set(p.name, p);
  for (const a of p.aliases ?? []) BY_NAME.set(a, p);
}

/** A byte count as Redis's CONFIG REWRITE writes it: in gb, mb or kb when it is an exact multiple. */
function formatMemoryForFile(n: number): string {
  if (n !== 0 && n % 1024 ** 3 === 0) return `${n / 1024 ** 3}gb`;
  if (n !== 0 && n % 1024 ** 2 === 0) return `${n / 1024 ** 2}mb`;
  if (n !== 0 && n % 1024 === 0) return `${n / 1024}kb`;
  return String(n);
}

/** Parses a redis.conf memory size: "1gb", "64mb", "16k", "100" (k/m/g are powers of 1000, kb/mb/gb of 1024). */
export function parseMemory(text: string): number | null {
  const m = /^(-?\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult: Record<string, number> = { b: 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  return n * mult[unit];
}

function parseOutputBufferLimits(text: string, base: OutputBufferLimits): OutputBufferLimits {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0 || parts.length % 4 !== 0) throw new Error('Wrong number of arguments in buffer limit configuration.');
  const out: OutputBufferLimits = { normal: { ...base.normal }, replica: { ...base.replica }, pubsub: { ...base.pubsub } };
  for (let i = 0; i < parts.length; i += 4) {
    const cls = parts[i].toLowerCase();
    const key = cls === 'normal' ? 'normal' : cls === 'slave' || cls === 'replica' ? 'replica' : cls === 'pubsub' ? 'pubsub' : null;
    if (!key) throw new Error('Invalid client class specified in buffer limit configuration.');
    const hard = parseMemory(parts[i + 1]);
    const soft = parseMemory(parts[i + 2]);
    const secs = Number(parts[i + 3]);
    if (hard === null || soft === null || !Number.isInteger(secs) || hard < 0 || soft < 0 || secs < 0) {
      throw new Error('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    out[key] = { hard, soft, softSeconds: secs };
  }
  return out;
}

/**
 * Parses `save` as Redis's setConfigSaveOption: "" (no snapshots) or pairs of seconds (>= 1) and changes
 * (>= 0), each a whole decimal number as strtoll reads it.
 */
function parseSavePoints(text: string): SavePoint[] {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  if (parts.length % 2 !== 0) throw new Error('Invalid save parameters');
  const points: SavePoint[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    if (!/^[+-]?\d+$/.test(parts[i]) || !/^[+-]?\d+$/.test(parts[i + 1])) throw new Error('Invalid save parameters');
    const seconds = Number(parts[i]);
    const changes = Number(parts[i + 1]);
    if (seconds < 1 || changes < 0) throw new Error('Invalid save parameters');
    points.push({ seconds, changes });
  }
  return points;
}

function formatOutputBufferLimits(l: OutputBufferLimits): string {
  const f = (x: OutputBufferLimit) => `${x.hard} ${x.soft} ${x.softSeconds}`;
  return `normal ${f(l.normal)} slave ${f(l.replica)} pubsub ${f(l.pubsub)}`;
}

/**
 * The live configuration. Values are kept parsed; `get` prints them as CONFIG GET does (memory sizes in bytes).
 * Listeners hear about changes so the adapters can act (for example, a new requirepass).
 */
export class Config {
  private readonly values = new Map<string, unknown>();
  private readonly listeners: Array<(name: string) => void> = [];

  constructor(overrides: Record<string, string> = {}) {
    for (const p of PARAMS) this.values.set(p.name, this.parse(p, p.default));
    for (const [k, v] of Object.entries(overrides)) this.set(k, v, true);
  }

  /** Whether a name (or alias) is a known parameter. */
  static has(name: string): boolean {
    return BY_NAME.has(name.toLowerCase());
  }

  private parse(p: ParamSpec, text: string): unknown {
    switch (p.kind) {
      case 'int': {
        if (!/^-?\d+$/.test(text.trim())) throw new Error('argument couldn\'t be parsed into an integer');
        const n = Number(text);
        if ((p.min !== undefined && n < p.min) || (p.max !== undefined && n > p.max)) {
          throw new Error(`argument must be between ${p.min} and ${p.maxText ?? p.max ?? 'inf'} inclusive`);
        }
        return n;
      }
      case 'octal': {
        // A file mode: octal digits, at most 0777 (Redis's unixsocketperm).
        if (!/^[0-7]+$/.test(text.trim()) || parseInt(text, 8) > 0o777) throw new Error('argument must be an octal number');
        return parseInt(text, 8);
      }
      case 'memory': {
        const n = parseMemory(text);
        if (n === null) throw new Error('argument must be a memory value');
        if (p.min !== undefined && n < p.min) {
          throw new Error(p.maxText ? `argument must be between ${p.min} and ${p.maxText} inclusive` : `argument must be a memory value of at least ${p.min}`);
        }
        return p.clampMin !== undefined ? Math.max(n, p.clampMin) : n;
      }
      case 'bool': {
        const t = text.toLowerCase();
        if (t !== 'yes' && t !== 'no') throw new Error("argument must be 'yes' or 'no'");
        return t === 'yes';
      }
      case 'enum': {
        const t = text.toLowerCase();
        if (!p.values?.includes(t)) {
          throw new Error(`argument(s) must be one of the following: ${p.values?.join(', ')}`);
        }
        return t;
      }
      case 'save-points':
        return parseSavePoints(text);
      case 'percentiles':
        return parsePercentiles(text);
      case 'keyspace-events':
        return parseKeyspaceEvents(text);
      case 'shutdown-flags':
        return parseShutdownFlags(text);
      case 'filename':
        // Redis's isValidDBfilename: a base name, so the file stays in `dir`.
        if (text.includes('/') || text === '.' || text === '..' || text === '') {
          throw new Error(`${p.name} can't be a path, just a ${p.name === 'appenddirname' ? 'dirname' : 'filename'}`);
        }
        return text;
      case 'client-output-buffer-limit':
        return parseOutputBufferLimits(
          text,
          (this.values.get(p.name) as OutputBufferLimits | undefined) ?? {
            normal: { hard: 0, soft: 0, softSeconds: 0 },
            replica: { hard: 0, soft: 0, softSeconds: 0 },
            pubsub: { hard: 0, soft: 0, softSeconds: 0 },
          },
        );
      default:
        return text;
    }
  }

  private format(p: ParamSpec, v: unknown): string {
    switch (p.kind) {
      case 'bool':
        return v ? 'yes' : 'no';
      case 'client-output-buffer-limit':
        return formatOutputBufferLimits(v as OutputBufferLimits);
      case 'save-points':
        return (v as SavePoint[]).map((sp) => `${sp.seconds} ${sp.changes}`).join(' ');
      case 'percentiles':
        return (v as number[]).map((x) => String(x)).join(' ');
      case 'octal':
        return (v as number).toString(8);
      case 'keyspace-events':
        return formatKeyspaceEvents(v as number);
      default:
        return String(v);
    }
  }

  /**
   * Sets a parameter from its text. `startup` allows immutable parameters (config file, command line).
   * Throws Error with Redis's reason text on a bad value or name.
   */
  set(name: string, text: string, startup = false): void {
    const p = BY_NAME.get(name.toLowerCase());
    if (!p) throw new Error(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    // Protected configs (dir, dbfilename) change at runtime only with enable-protected-configs yes; "local"
    // (from loopback connections only) is refused here, where the connection is not known.
    if (!startup && p.protected && this.str('enable-protected-configs') !== 'yes') throw new Error("can't set protected config");
    if (!startup && !p.mutable) throw new Error(`can't set immutable config`);
    this.values.set(p.name, this.parse(p, text));
    for (const l of this.listeners) l(p.name);
  }

  /** Formats a parameter for CONFIG GET. */
  getText(name: string): string {
    const p = BY_NAME.get(name.toLowerCase());
    if (!p) throw new Error(`unknown parameter ${name}`);
    return this.format(p, this.values.get(p.name));
  }

  /**
   * Every parameter as CONFIG REWRITE writes it: its name, its aliases, its value as a config-file argument
   * string (memory sizes in kb/mb/gb where exact, as Redis writes them), and whether that is the default.
   */
  rewriteEntries(): Array<{ name: string; aliases: string[]; kind: string; text: string; isDefault: boolean }> {
    return PARAMS.map((p) => {
      const value = this.values.get(p.name);
      const text = this.format(p, value);
      const isDefault = text === this.format(p, this.parse(p, p.default));
      return { name: p.name, aliases: p.aliases ?? [], kind: p.kind, text: p.kind === 'memory' ? formatMemoryForFile(value as number) : text, isDefault };
    });
  }

  /** Parameters whose name matches `matches` (a glob test), as [name, text] pairs; hidden ones never match. */
  entries(matches: (name: string) => boolean): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const p of PARAMS) {
      if (p.hidden) continue;
      const names = [p.name, ...(p.aliases ?? [])];
      for (const n of names) if (matches(n)) out.push([n, this.format(p, this.values.get(p.name))]);
    }
    return out;
  }

  /** Subscribes to changes; the callback gets the canonical name. */
  onChange(listener: (name: string) => void): void {
    this.listeners.push(listener);
  }

  int(name: string): number {
    return this.values.get(name) as number;
  }
  bool(name: string): boolean {
    return this.values.get(name) as boolean;
  }
  str(name: string): string {
    return this.values.get(name) as string;
  }
  outputBufferLimits(): OutputBufferLimits {
    return this.values.get('client-output-buffer-limit') as OutputBufferLimits;
  }
  /** The `save` points, in the order given (empty: no automatic snapshots). */
  /** latency-tracking-info-percentiles, as numbers. */
  percentiles(name: string): readonly number[] {
    return this.values.get(name) as number[];
  }

  savePoints(): readonly SavePoint[] {
    return this.values.get('save') as SavePoint[];
  }
}

/** Raised by config-file parsing with the file's line number, like Redis's "FATAL CONFIG FILE ERROR". */
export class ConfigFileError extends Error {}

/**
 * Parses redis.conf text (and the `--name value` pairs of a command line, which Redis appends to it) into
 * [name, value] directives. Quoting follows redis.conf: "double" and 'single' quoted arguments.
 */
export function parseConfigText(text: string): Array<{ name: string; args: string[]; line: number }> {
  const out: Array<{ name: string; args: string[]; line: number }> = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const args = splitConfigArgs(line);
    if (args === null) throw new ConfigFileError(`line ${i + 1}: '${line}': Unbalanced quotes in configuration line`);
    if (args.length === 0) continue;
    out.push({ name: args[0].toLowerCase(), args: args.slice(1), line: i + 1 });
  }
  return out;
}

function splitConfigArgs(line: string): string[] | null {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) break;
    const q = line[i];
    if (q === '"' || q === "'") {
      let cur = '';
      i++;
      for (;;) {
        if (i >= line.length) return null;
        if (line[i] === '\\' && i + 1 < line.length) {
          const e = line[i + 1];
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e;
          i += 2;
          continue;
        }
        if (line[i] === q) {
          i++;
          break;
        }
        cur += line[i++];
      }
      args.push(cur);
    } else {
      let cur = '';
      while (i < line.length && !/\s/.test(line[i])) cur += line[i++];
      args.push(cur);
    }
  }
  return args;
}

/** Configs that a config file or command line already gave a `save` directive (later ones add points). */
const saveLoaded = new WeakSet<Config>();

/**
 * Applies parsed directives to a config. Multi-argument directives (bind, save, replicaof,
 * client-output-buffer-limit) join their arguments with spaces, as Redis stores them. As in redis.conf,
 * several `save` lines (in the file and on the command line, which Redis reads as one text) add up, and
 * `save ""` clears the points given before it.
 */
export function applyDirectives(config: Config, directives: Array<{ name: string; args: string[]; line: number }>): void {
  for (const d of directives) {
    if (!Config.has(d.name)) {
      throw new ConfigFileError(`line ${d.line}: Bad directive or wrong number of arguments: '${d.name}'`);
    }
    let text = d.args.join(' ');
    if (d.name === 'save') {
      if (saveLoaded.has(config) && text.trim() !== '') text = `${config.getText('save')} ${text}`;
      saveLoaded.add(config);
    }
    try {
      config.set(d.name, text, true);
    } catch (e) {
      throw new ConfigFileError(`line ${d.line}: '${d.name} ${d.args.join(' ')}': ${(e as Error).message}`);
    }
  }
}

/** CommandError for CONFIG SET failures, in Redis 7's wording. */
export function configSetError(name: string, reason: string): CommandError {
  return new CommandError(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`);
}

/**
 * latency-tracking-info-percentiles: numbers between 0 and 100, separated by spaces (none: INFO latencystats
 * prints the names with empty values), with Redis's two error texts.
 */
function parsePercentiles(text: string): number[] {
  const words = text.split(' ').filter((w) => w !== '');
  const out: number[] = [];
  for (const w of words) {
    const n = Number(w);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(w) || !Number.isFinite(n)) {
      throw new Error('Invalid latency-tracking-info-percentiles parameters');
    }
    if (n < 0 || n > 100) throw new Error('latency-tracking-info-percentiles parameters should sit between [0.0,100.0]');
    out.push(n);
  }
  return out;
}
