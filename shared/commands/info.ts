import { Config } from '../engine/config.js';
import type { ServerCore } from '../engine/server-core.js';
import { SERVER_VERSION } from './connection.js';


/** One INFO line: field name and value. */
type Fields = Array<[string, string | number]>;

/** INFO's sections, in the order Redis 7.0 prints them. */
const SECTION_ORDER = [
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'modules',
  'commandstats',
  'errorstats',
  'latencystats',
  'cluster',
  'keyspace',
] as const;
type Section = (typeof SECTION_ORDER)[number];

/** What plain `INFO` (and `INFO default`) prints. */
const DEFAULT_SECTIONS = [
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'module_list',
  'errorstats',
  'cluster',
  'keyspace',
];

/** Section headers as Redis writes them. */
const TITLES: Record<Section, string> = {
  server: 'Server',
  clients: 'Clients',
  memory: 'Memory',
  persistence: 'Persistence',
  stats: 'Stats',
  replication: 'Replication',
  cpu: 'CPU',
  modules: 'Modules',
  commandstats: 'Commandstats',
  errorstats: 'Errorstats',
  latencystats: 'Latencystats',
  cluster: 'Cluster',
  keyspace: 'Keyspace',
};

/** Per-core values that must stay fixed for the life of the process (Redis keeps them in `server`). */
interface CoreIdentity {
  runId: string;
  replId: string;
  peakMemory: number;
}
const identities = new WeakMap<ServerCore, CoreIdentity>();

function identity(core: ServerCore): CoreIdentity {
  let id = identities.get(core);
  if (!id) {
    id = { runId: randomHex(core), replId: randomHex(core), peakMemory: 0 };
    identities.set(core, id);
  }
  return id;
}

function randomHex(core: ServerCore): string {
  const bytes = new Uint8Array(20);
  core.randomBytes(bytes);
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** The server's run id (INFO server run_id): 40 hex characters, fixed for the life of the core. */
export function serverRunId(core: ServerCore): string {
  return identity(core).runId;
}

/** Forgets the memory peak (CONFIG RESETSTAT), as Redis resets stat_peak_memory. */
export function resetInfoPeaks(core: ServerCore): void {
  identity(core).peakMemory = 0;
}

/**
 * The INFO text for the requested sections, exactly as Redis 7.0 lays it out: "# Title" headers, `name:value`
 * lines ending in CRLF, a blank line between sections. `sections` are INFO's arguments: section names
 * (case-insensitive), `default`, `all` or `everything`; none means `default`. Unknown names add nothing.
 */
export function infoText(core: ServerCore, sections: string[]): string {
  const wanted = new Set<string>();
  let all = false;
  const args = sections.length === 0 ? ['default'] : sections;
  for (const raw of args) {
    const s = raw.toLowerCase();
    if (s === 'default') for (const d of DEFAULT_SECTIONS) wanted.add(d);
    else if (s === 'all' || s === 'everything') all = true;
    else wanted.add(s);
  }
  const runtime = core.host.runtimeInfo?.() ?? {};
  const parts: string[] = [];
  for (const section of SECTION_ORDER) {
    const included = all || wanted.has(section) || (section === 'modules' && wanted.has('module_list'));
    if (!included) continue;
    const fields = sectionFields(core, section, runtime);
    let text = `# ${TITLES[section]}\r\n`;
    for (const [k, v] of fields) text += `${k}:${v}\r\n`;
    parts.push(text);
  }
  return parts.join('\r\n');
}

function sectionFields(core: ServerCore, section: Section, runtime: Record<string, Fields>): Fields {
  // A layer that owns a section (replication) replaces it whole: its fields depend on the role.
  const hook = core.infoSections.get(section);
  if (hook) return hook();
  switch (section) {
    case 'server':
      return merge(serverFields(core, runtime.server), runtime.server);
    case 'clients':
      return merge(clientFields(core), runtime.clients);
    case 'memory':
      return merge(memoryFields(core, runtime.memory), runtime.memory);
    case 'persistence':
      return merge(persistenceFields(core), runtime.persistence);
    case 'stats':
      return merge(statsFields(core), runtime.stats);
    case 'replication':
      return replicationFields(core);
    case 'cpu':
      return merge(cpuFields(), runtime.cpu);
    case 'modules':
      return [];
    case 'commandstats':
      return commandStatsFields(core);
    case 'errorstats':
      return [...core.stats.errors.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([code, n]) => [`errorstat_${safeInfoString(code)}`, `count=${n}`]);
    case 'latencystats':
      // latency-tracking-info-percentiles, per command that ran.
      return [...core.latency.histograms].map(([name, h]) => [
        `latency_percentiles_usec_${name}`,
        h.percentilesText(core.config.percentiles('latency-tracking-info-percentiles')),
      ]);
    case 'cluster':
      return [['cluster_enabled', core.cluster ? 1 : 0]];
    case 'keyspace':
      return keyspaceFields(core);
  }
}

/** Runtime values replace the defaults of the same name; fields only the runtime knows are appended. */
function merge(base: Fields, extra: Fields | undefined): Fields {
  if (!extra) return base;
  const out = base.slice();
  const index = new Map(out.map(([k], i) => [k, i]));
  for (const [k, v] of extra) {
    const i = index.get(k);
    if (i === undefined) {
      index.set(k, out.length);
      out.push([k, v]);
    } else {
      out[i] = [k, v];
    }
  }
  return out;
}

/** A numeric runtime value by name, or `fallback`. */
function runtimeNumber(fields: Fields | undefined, name: string, fallback: number): number {
  const f = fields?.find(([k]) => k === name);
  if (!f) return fallback;
  const n = Number(f[1]);
  return Number.isFinite(n) ? n : fallback;
}

function serverFields(core: ServerCore, runtime: Fields | undefined): Fields {
  const now = core.now();
  const uptime = Math.floor((now - core.startedAt) / 1000);
  const hz = core.config.int('hz');
  return [
    ['redis_version', SERVER_VERSION],
    ['redis_git_sha1', '00000000'],
    ['redis_git_dirty', 0],
    ['redis_build_id', '0000000000000000'],
    ['redis_mode', core.cluster ? 'cluster' : 'standalone'],
    ['os', 'unknown'],
    ['arch_bits', 64],
    ['monotonic_clock', 'POSIX clock_gettime'],
    ['multiplexing_api', 'event-loop'],
    ['atomicvar_api', 'c11-builtin'],
    ['gcc_version', '0.0.0'],
    ['process_id', 0],
    ['process_supervised', 'no'],
    ['run_id', serverRunId(core)],
    ['tcp_port', runtimeNumber(runtime, 'tcp_port', core.config.int('port'))],
    ['server_time_usec', now * 1000],
    ['uptime_in_seconds', uptime],
    ['uptime_in_days', Math.floor(uptime / 86400)],
    ['hz', hz],
    ['configured_hz', hz],
    // Redis's LRU clock: seconds, 24 bits.
    ['lru_clock', Math.floor(now / 1000) & 0xffffff],
    ['executable', ''],
    ['config_file', ''],
    ['io_threads_active', 0],
  ];
}

function clientFields(core: ServerCore): Fields {
  let connected = 0;
  let blocked = 0;
  let withTimeout = 0;
  let maxOut = 0;
  for (const c of core.clients.values()) {
    if (!c.isReplica) connected++;
    if (c.blocked) {
      blocked++;
      if (c.blocked.deadline > 0) withTimeout++;
    } else if (c.postponed) {
      // Redis 7.0 counts a client held by CLIENT PAUSE (BLOCKED_POSTPONE) among blocked_clients.
      blocked++;
    }
    maxOut = Math.max(maxOut, c.pendingOutput());
  }
  return [
    ['connected_clients', connected],
    ['cluster_connections', 0],
    ['maxclients', core.config.int('maxclients')],
    ['client_recent_max_input_buffer', 0],
    ['client_recent_max_output_buffer', maxOut],
    ['blocked_clients', blocked],
    ['tracking_clients', core.tracking.clients],
    ['clients_in_timeout_table', withTimeout],
  ];
}

function memoryFields(core: ServerCore, runtime: Fields | undefined): Fields {
  const id = identity(core);
  const used = runtimeNumber(runtime, 'used_memory', 0);
  id.peakMemory = Math.max(id.peakMemory, used);
  const rss = runtimeNumber(runtime, 'used_memory_rss', 0);
  const peak = runtimeNumber(runtime, 'used_memory_peak', id.peakMemory);
  const startup = runtimeNumber(runtime, 'used_memory_startup', 0);
  const overhead = runtimeNumber(runtime, 'used_memory_overhead', 0);
  const dataset = Math.max(0, used - overhead);
  const system = runtimeNumber(runtime, 'total_system_memory', 0);
  const maxmemory = configNumber(core.config, 'maxmemory', 0);
  let clientsNormal = 0;
  let clientsReplicas = 0;
  for (const c of core.clients.values()) {
    if (c.isReplica) clientsReplicas += c.pendingOutput();
    else clientsNormal += c.pendingOutput();
  }
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0).toFixed(2);
  const perc = (a: number, b: number) => `${(b > 0 ? (a * 100) / b : 0).toFixed(2)}%`;
  return [
    ['used_memory', used],
    ['used_memory_human', bytesToHuman(used)],
    ['used_memory_rss', rss],
    ['used_memory_rss_human', bytesToHuman(rss)],
    ['used_memory_peak', peak],
    ['used_memory_peak_human', bytesToHuman(peak)],
    ['used_memory_peak_perc', perc(used, peak)],
    ['used_memory_overhead', overhead],
    ['used_memory_startup', startup],
    ['used_memory_dataset', dataset],
    ['used_memory_dataset_perc', perc(dataset, used - startup)],
    ['allocator_allocated', used],
    ['allocator_active', used],
    ['allocator_resident', rss],
    ['total_system_memory', system],
    ['total_system_memory_human', bytesToHuman(system)],
    ['used_memory_lua', 0],
    ['used_memory_vm_eval', 0],
    ['used_memory_lua_human', '0B'],
    ['used_memory_scripts_eval', 0],
    ['number_of_cached_scripts', core.cachedScripts?.size ?? 0],
    ['number_of_functions', core.functionLibraries?.counts().functions ?? 0],
    ['number_of_libraries', core.functionLibraries?.counts().libraries ?? 0],
    ['used_memory_vm_functions', 0],
    ['used_memory_vm_total', 0],
    ['used_memory_vm_total_human', '0B'],
    ['used_memory_functions', 0],
    ['used_memory_scripts', 0],
    ['used_memory_scripts_human', '0B'],
    ['maxmemory', maxmemory],
    ['maxmemory_human', bytesToHuman(maxmemory)],
    ['maxmemory_policy', Config.has('maxmemory-policy') ? core.config.getText('maxmemory-policy') : 'noeviction'],
    ['allocator_frag_ratio', '1.00'],
    ['allocator_frag_bytes', 0],
    ['allocator_rss_ratio', ratio(rss, used)],
    ['allocator_rss_bytes', rss - used],
    ['rss_overhead_ratio', '1.00'],
    ['rss_overhead_bytes', 0],
    ['mem_fragmentation_ratio', ratio(rss, used)],
    ['mem_fragmentation_bytes', rss - used],
    ['mem_not_counted_for_evict', 0],
    ['mem_replication_backlog', 0],
    ['mem_total_replication_buffers', 0],
    ['mem_clients_slaves', clientsReplicas],
    ['mem_clients_normal', clientsNormal],
    ['mem_cluster_links', 0],
    ['mem_aof_buffer', 0],
    ['mem_allocator', 'libc'],
    ['active_defrag_running', 0],
    ['lazyfree_pending_objects', 0],
    ['lazyfreed_objects', core.stats.lazyfreedObjects],
  ];
}

function configNumber(config: Config, name: string, fallback: number): number {
  if (!Config.has(name)) return fallback;
  const n = Number(config.getText(name));
  return Number.isFinite(n) ? n : fallback;
}

function persistenceFields(core: ServerCore): Fields {
  return [
    ['loading', 0],
    ['async_loading', 0],
    ['current_cow_peak', 0],
    ['current_cow_size', 0],
    ['current_cow_size_age', 0],
    ['current_fork_perc', '0.00'],
    ['current_save_keys_processed', 0],
    ['current_save_keys_total', 0],
    ['rdb_changes_since_last_save', core.dirty],
    ['rdb_bgsave_in_progress', 0],
    ['rdb_last_save_time', Math.floor(core.startedAt / 1000)],
    ['rdb_last_bgsave_status', 'ok'],
    ['rdb_last_bgsave_time_sec', -1],
    ['rdb_current_bgsave_time_sec', -1],
    ['rdb_saves', 0],
    ['rdb_last_cow_size', 0],
    ['rdb_last_load_keys_expired', 0],
    ['rdb_last_load_keys_loaded', 0],
    ['aof_enabled', 0],
    ['aof_rewrite_in_progress', 0],
    ['aof_rewrite_scheduled', 0],
    ['aof_last_rewrite_time_sec', -1],
    ['aof_current_rewrite_time_sec', -1],
    ['aof_last_bgrewrite_status', 'ok'],
    ['aof_rewrites', 0],
    ['aof_rewrites_consecutive_failures', 0],
    ['aof_last_write_status', 'ok'],
    ['aof_last_cow_size', 0],
    ['module_fork_in_progress', 0],
    ['module_fork_last_cow_size', 0],
  ];
}

function statsFields(core: ServerCore): Fields {
  const s = core.stats;
  // The replication layer counts full/partial syncs and stream bytes; without it they are zero.
  const repl = new Map(core.infoSections.get('stats-replication')?.() ?? []);
  const r = (name: string) => Number(repl.get(name) ?? 0);
  const replIn = r('total_net_repl_input_bytes');
  const replOut = r('total_net_repl_output_bytes');
  return [
    ['total_connections_received', s.totalConnectionsReceived],
    ['total_commands_processed', s.totalCommandsProcessed],
    ['instantaneous_ops_per_sec', 0],
    // The core counts every byte it receives, the master link's included; the stream sent to replicas is
    // written outside the reply path, so the replication layer reports it.
    ['total_net_input_bytes', s.totalNetInputBytes],
    ['total_net_output_bytes', s.totalNetOutputBytes + replOut],
    ['total_net_repl_input_bytes', replIn],
    ['total_net_repl_output_bytes', replOut],
    ['instantaneous_input_kbps', '0.00'],
    ['instantaneous_output_kbps', '0.00'],
    ['instantaneous_input_repl_kbps', '0.00'],
    ['instantaneous_output_repl_kbps', '0.00'],
    ['rejected_connections', s.rejectedConnections],
    ['sync_full', r('sync_full')],
    ['sync_partial_ok', r('sync_partial_ok')],
    ['sync_partial_err', r('sync_partial_err')],
    ['expired_keys', s.expiredKeys],
    ['expired_stale_perc', '0.00'],
    ['expired_time_cap_reached_count', 0],
    ['expire_cycle_cpu_milliseconds', 0],
    ['evicted_keys', core.stats.evictedKeys],
    ['evicted_clients', 0],
    ['total_eviction_exceeded_time', 0],
    ['current_eviction_exceeded_time', 0],
    ['keyspace_hits', s.keyspaceHits],
    ['keyspace_misses', s.keyspaceMisses],
    ['pubsub_channels', core.channels.size],
    ['pubsub_patterns', core.patterns.size],
    ['pubsubshard_channels', 0],
    ['latest_fork_usec', 0],
    ['total_forks', 0],
    ['migrate_cached_sockets', 0],
    ['slave_expires_tracked_keys', 0],
    ['active_defrag_hits', 0],
    ['active_defrag_misses', 0],
    ['active_defrag_key_hits', 0],
    ['active_defrag_key_misses', 0],
    ['total_active_defrag_time', 0],
    ['current_active_defrag_time', 0],
    ['tracking_total_keys', core.tracking.table.size],
    ['tracking_total_items', core.tracking.totalItems],
    ['tracking_total_prefixes', core.tracking.prefixes.size],
    ['unexpected_error_replies', 0],
    ['total_error_replies', s.totalErrorReplies],
    ['dump_payload_sanitizations', 0],
    ['total_reads_processed', 0],
    ['total_writes_processed', 0],
    ['io_threaded_reads_processed', 0],
    ['io_threaded_writes_processed', 0],
    ['reply_buffer_shrinks', 0],
    ['reply_buffer_expands', 0],
  ];
}

/** A standalone master's replication section, used when no replication layer installed its own. */
function replicationFields(core: ServerCore): Fields {
  let replicas = 0;
  for (const c of core.clients.values()) if (c.isReplica) replicas++;
  return [
    ['role', 'master'],
    ['connected_slaves', replicas],
    ['master_failover_state', 'no-failover'],
    ['master_replid', identity(core).replId],
    ['master_replid2', '0'.repeat(40)],
    ['master_repl_offset', 0],
    ['second_repl_offset', -1],
    ['repl_backlog_active', 0],
    ['repl_backlog_size', core.config.int('repl-backlog-size')],
    ['repl_backlog_first_byte_offset', 0],
    ['repl_backlog_histlen', 0],
  ];
}

function cpuFields(): Fields {
  return [
    ['used_cpu_sys', '0.000000'],
    ['used_cpu_user', '0.000000'],
    ['used_cpu_sys_children', '0.000000'],
    ['used_cpu_user_children', '0.000000'],
    ['used_cpu_sys_main_thread', '0.000000'],
    ['used_cpu_user_main_thread', '0.000000'],
  ];
}

/**
 * One line per command that was called, failed or rejected, in command-table order with subcommands after
 * their parent (as Redis walks its table). We do not time commands, so usec is 0.
 */
function commandStatsFields(core: ServerCore): Fields {
  const stats = core.stats.commands;
  const names: string[] = [];
  for (const spec of core.commands.values()) {
    names.push(spec.name);
    for (const sub of spec.subcommands ?? []) names.push(`${spec.name}|${sub.name}`);
  }
  const seen = new Set(names);
  for (const name of stats.keys()) if (!seen.has(name)) names.push(name);
  const out: Fields = [];
  for (const name of names) {
    const s = stats.get(name);
    if (!s || (s.calls === 0 && s.failed === 0 && s.rejected === 0)) continue;
    out.push([
      `cmdstat_${safeInfoString(name)}`,
      `calls=${s.calls},usec=0,usec_per_call=0.00,rejected_calls=${s.rejected},failed_calls=${s.failed}`,
    ]);
  }
  return out;
}

/** How many TTLs avg_ttl looks at: Redis estimates it too, and INFO must stay cheap on big keyspaces. */
const AVG_TTL_SAMPLE = 1000;

function keyspaceFields(core: ServerCore): Fields {
  const now = core.now();
  const out: Fields = [];
  for (const db of core.dbs) {
    const keys = db.dict.size;
    const expires = db.expires.size;
    if (keys === 0 && expires === 0) continue;
    let sum = 0;
    let n = 0;
    for (const when of db.expires.values()) {
      if (n >= AVG_TTL_SAMPLE) break;
      if (when <= now) continue;
      sum += when - now;
      n++;
    }
    const avg = n > 0 ? Math.floor(sum / n) : 0;
    out.push([`db${db.id}`, `keys=${keys},expires=${expires},avg_ttl=${avg}`]);
  }
  return out;
}

/** Redis's getSafeInfoString: characters that would break the INFO format become underscores. */
function safeInfoString(s: string): string {
  return s.replace(/[#:\r\n]/g, '_');
}

/** Redis's bytesToHuman: 100B, 1.50K, 2.00M, 3.25G ... */
export function bytesToHuman(n: number): string {
  const units = ['K', 'M', 'G', 'T', 'P'];
  if (n < 1024) return `${n}B`;
  let d = n;
  for (const u of units) {
    d /= 1024;
    if (d < 1024) return `${d.toFixed(2)}${u}`;
  }
  return `${n}B`;
}
