import { describe, expect, it } from 'vitest';
import { allCommands } from './index.js';
import { bytesToHuman, infoText, serverRunId } from './info.js';
import { Config } from '../engine/config.js';
import { ServerCore, type ServerHost } from '../engine/server-core.js';
import { VerbatimReply } from '../resp/reply.js';
import { createHarness } from '../../test/helpers/core-harness.js';

const NOW = 1_700_000_000_000;

function coreWith(host: Partial<ServerHost> = {}): ServerCore {
  return new ServerCore({ host: { now: () => NOW, log: () => {}, ...host }, config: new Config(), commands: allCommands });
}

/** The "# Title" lines of an INFO text. */
function headers(text: string): string[] {
  return text.split('\r\n').filter((l) => l.startsWith('#'));
}

/** The field names of one section, in order. */
function sectionFields(text: string, title: string): string[] {
  const section = text.split('\r\n\r\n').find((s) => s.startsWith(`# ${title}\r\n`));
  if (!section) throw new Error(`no section ${title}`);
  return section.split('\r\n').slice(1).filter(Boolean).map((l) => l.slice(0, l.indexOf(':')));
}

/** One field's value. */
function field(text: string, name: string): string | undefined {
  const line = text.split('\r\n').find((l) => l.startsWith(`${name}:`));
  return line?.slice(name.length + 1);
}

const DEFAULT_HEADERS = [
  '# Server',
  '# Clients',
  '# Memory',
  '# Persistence',
  '# Stats',
  '# Replication',
  '# CPU',
  '# Modules',
  '# Errorstats',
  '# Cluster',
  '# Keyspace',
];

describe('INFO sections', () => {
  it('prints the default sections in Redis order', () => {
    const core = coreWith();
    expect(headers(infoText(core, []))).toEqual(DEFAULT_HEADERS);
    expect(headers(infoText(core, ['default']))).toEqual(DEFAULT_HEADERS);
  });

  it('adds Commandstats and Latencystats for all and everything', () => {
    const core = coreWith();
    const all = [...DEFAULT_HEADERS.slice(0, 8), '# Commandstats', '# Errorstats', '# Latencystats', '# Cluster', '# Keyspace'];
    expect(headers(infoText(core, ['all']))).toEqual(all);
    expect(headers(infoText(core, ['EVERYTHING']))).toEqual(all);
    expect(headers(infoText(core, ['default', 'commandstats']))).toEqual([
      ...DEFAULT_HEADERS.slice(0, 8),
      '# Commandstats',
      ...DEFAULT_HEADERS.slice(8),
    ]);
  });

  it('keeps Redis order for several sections whatever the argument order, once each, ignoring case', () => {
    const core = coreWith();
    expect(headers(infoText(core, ['cpu', 'SERVER', 'keyspace', 'cpu']))).toEqual(['# Server', '# CPU', '# Keyspace']);
    expect(headers(infoText(core, ['module_list']))).toEqual(['# Modules']);
  });

  it('prints nothing for unknown sections', () => {
    const core = coreWith();
    expect(infoText(core, ['nosuch'])).toBe('');
    expect(headers(infoText(core, ['nosuch', 'server']))).toEqual(['# Server']);
  });

  it('ends every line with CRLF and separates sections with a blank line', () => {
    const text = infoText(coreWith(), ['server', 'cluster']);
    expect(text.endsWith('# Cluster\r\ncluster_enabled:0\r\n')).toBe(true);
    expect(text).toContain('io_threads_active:0\r\n\r\n# Cluster\r\n');
    expect(text.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('is a bulk string in RESP2 and a txt verbatim string in RESP3', () => {
    const c = createHarness().client();
    expect(c.call('INFO', 'cluster')).toBe('# Cluster\r\ncluster_enabled:0\r\n');
    c.call('HELLO', '3');
    expect(c.call('INFO', 'cluster')).toEqual(new VerbatimReply('txt', '# Cluster\r\ncluster_enabled:0\r\n'));
  });
});

describe('INFO fields', () => {
  it('names the server fields as Redis 7.0 does', () => {
    const text = infoText(coreWith(), ['server']);
    expect(sectionFields(text, 'Server')).toEqual([
      'redis_version',
      'redis_git_sha1',
      'redis_git_dirty',
      'redis_build_id',
      'redis_mode',
      'os',
      'arch_bits',
      'monotonic_clock',
      'multiplexing_api',
      'atomicvar_api',
      'gcc_version',
      'process_id',
      'process_supervised',
      'run_id',
      'tcp_port',
      'server_time_usec',
      'uptime_in_seconds',
      'uptime_in_days',
      'hz',
      'configured_hz',
      'lru_clock',
      'executable',
      'config_file',
      'io_threads_active',
    ]);
    expect(field(text, 'redis_version')).toBe('7.0.15');
    expect(field(text, 'redis_mode')).toBe('standalone');
    expect(field(text, 'server_time_usec')).toBe(String(NOW * 1000));
  });

  it('names the clients, persistence, replication and cpu fields as Redis 7.0 does', () => {
    const text = infoText(coreWith(), ['clients', 'persistence', 'replication', 'cpu']);
    expect(sectionFields(text, 'Clients')).toEqual([
      'connected_clients',
      'cluster_connections',
      'maxclients',
      'client_recent_max_input_buffer',
      'client_recent_max_output_buffer',
      'blocked_clients',
      'tracking_clients',
      'clients_in_timeout_table',
    ]);
    expect(sectionFields(text, 'Persistence').slice(0, 10)).toEqual([
      'loading',
      'async_loading',
      'current_cow_peak',
      'current_cow_size',
      'current_cow_size_age',
      'current_fork_perc',
      'current_save_keys_processed',
      'current_save_keys_total',
      'rdb_changes_since_last_save',
      'rdb_bgsave_in_progress',
    ]);
    expect(sectionFields(text, 'CPU')).toEqual([
      'used_cpu_sys',
      'used_cpu_user',
      'used_cpu_sys_children',
      'used_cpu_user_children',
      'used_cpu_sys_main_thread',
      'used_cpu_user_main_thread',
    ]);
    expect(field(text, 'aof_enabled')).toBe('0');
  });

  it('reports a standalone master when no replication layer is installed', () => {
    const text = infoText(coreWith(), ['replication']);
    expect(sectionFields(text, 'Replication')).toEqual([
      'role',
      'connected_slaves',
      'master_failover_state',
      'master_replid',
      'master_replid2',
      'master_repl_offset',
      'second_repl_offset',
      'repl_backlog_active',
      'repl_backlog_size',
      'repl_backlog_first_byte_offset',
      'repl_backlog_histlen',
    ]);
    expect(field(text, 'role')).toBe('master');
    expect(field(text, 'master_replid')).toMatch(/^[0-9a-f]{40}$/);
    expect(field(text, 'master_replid2')).toBe('0'.repeat(40));
    expect(field(text, 'second_repl_offset')).toBe('-1');
    expect(field(text, 'repl_backlog_size')).toBe('1048576');
  });

  it('lets the replication layer replace its section and feed the sync counters', () => {
    const core = coreWith();
    core.infoSections.set('replication', () => [
      ['role', 'slave'],
      ['master_host', '10.0.0.1'],
    ]);
    core.infoSections.set('stats-replication', () => [
      ['sync_full', 2],
      ['sync_partial_ok', 1],
      ['total_net_repl_output_bytes', 500],
    ]);
    const text = infoText(core, ['replication', 'stats']);
    expect(sectionFields(text, 'Replication')).toEqual(['role', 'master_host']);
    expect(field(text, 'role')).toBe('slave');
    expect(field(text, 'sync_full')).toBe('2');
    expect(field(text, 'sync_partial_ok')).toBe('1');
    expect(field(text, 'sync_partial_err')).toBe('0');
    expect(field(text, 'total_net_repl_output_bytes')).toBe('500');
  });

  it('keeps one 40-hex run_id per core', () => {
    const a = coreWith();
    const b = coreWith();
    const id = field(infoText(a, ['server']), 'run_id');
    expect(id).toMatch(/^[0-9a-f]{40}$/);
    expect(field(infoText(a, ['server']), 'run_id')).toBe(id);
    expect(serverRunId(a)).toBe(id);
    expect(serverRunId(b)).not.toBe(id);
  });

  it('takes runtime values from the host, replacing defaults and appending what Redis lacks', () => {
    const core = coreWith({
      runtimeInfo: () => ({
        server: [
          ['process_id', 4242],
          ['tcp_port', 7000],
          ['http_port', 7379],
        ],
        memory: [
          ['used_memory', 1536],
          ['used_memory_rss', 3 * 1024 * 1024],
        ],
        cpu: [['used_cpu_user', '1.250000']],
      }),
    });
    const text = infoText(core, ['server', 'memory', 'cpu']);
    expect(field(text, 'process_id')).toBe('4242');
    expect(field(text, 'tcp_port')).toBe('7000');
    expect(sectionFields(text, 'Server').at(-1)).toBe('http_port');
    expect(field(text, 'used_memory_human')).toBe('1.50K');
    expect(field(text, 'used_memory_rss_human')).toBe('3.00M');
    expect(field(text, 'used_memory_peak')).toBe('1536');
    expect(field(text, 'used_cpu_user')).toBe('1.250000');
    expect(field(text, 'used_cpu_sys')).toBe('0.000000');
  });

  it('counts clients, blocked clients and unsaved changes', () => {
    const h = createHarness();
    const a = h.client();
    h.client();
    h.core.dirty = 7;
    const text = String(a.call('INFO', 'clients', 'persistence'));
    expect(field(text, 'connected_clients')).toBe('2');
    expect(field(text, 'blocked_clients')).toBe('0');
    expect(field(text, 'maxclients')).toBe('10000');
    expect(field(text, 'rdb_changes_since_last_save')).toBe('7');
  });
});

describe('INFO stats sections', () => {
  it('reports connection, command, keyspace and error counters', () => {
    const h = createHarness();
    const c = h.client();
    c.call('SUBSCRIBE', 'ch');
    const d = h.client();
    d.call('NOSUCH');
    h.core.stats.keyspaceHits = 3;
    h.core.stats.keyspaceMisses = 4;
    const text = String(d.call('INFO', 'stats'));
    expect(field(text, 'total_connections_received')).toBe('2');
    expect(field(text, 'keyspace_hits')).toBe('3');
    expect(field(text, 'keyspace_misses')).toBe('4');
    expect(field(text, 'pubsub_channels')).toBe('1');
    expect(field(text, 'total_error_replies')).toBe('1');
    expect(field(text, 'total_commands_processed')).toBe(String(h.core.stats.totalCommandsProcessed));
  });

  it('prints commandstats per command and subcommand, and errorstats per error code in order', () => {
    const h = createHarness();
    const c = h.client();
    c.call('PING');
    c.call('PING');
    c.call('CONFIG', 'GET', 'hz');
    c.call('CONFIG', 'SET', 'hz', 'abc');
    c.call('NOSUCH');
    // A subscriber may not run ECHO: the command is rejected before it runs.
    const sub = h.client();
    sub.call('SUBSCRIBE', 'ch');
    sub.call('ECHO', 'x');
    h.core.stats.errors.set('WRONGTYPE', 2);
    const text = infoText(h.core, ['commandstats', 'errorstats']);
    expect(text).toContain('cmdstat_ping:calls=2,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n');
    expect(text).toContain('cmdstat_echo:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n');
    expect(text).toContain('cmdstat_config|get:calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n');
    expect(text).toContain('cmdstat_config|set:calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=1\r\n');
    expect(text).not.toContain('cmdstat_nosuch');
    expect(text.endsWith('# Errorstats\r\nerrorstat_ERR:count=3\r\nerrorstat_WRONGTYPE:count=2\r\n')).toBe(true);
  });

  it('lists only non-empty databases in the keyspace, with an average TTL', () => {
    const core = coreWith();
    expect(infoText(core, ['keyspace'])).toBe('# Keyspace\r\n');
    core.dbs[0].dict.set('a', '1');
    core.dbs[0].dict.set('b', '2');
    core.dbs[0].expires.set('b', NOW + 10_000);
    core.dbs[0].dict.set('c', '3');
    core.dbs[0].expires.set('c', NOW + 20_000);
    core.dbs[5].dict.set('x', 'y');
    expect(infoText(core, ['keyspace'])).toBe(
      '# Keyspace\r\ndb0:keys=3,expires=2,avg_ttl=15000\r\ndb5:keys=1,expires=0,avg_ttl=0\r\n',
    );
  });
});

describe('bytesToHuman', () => {
  it('formats like Redis: bytes, then two decimals of K, M, G', () => {
    expect(bytesToHuman(0)).toBe('0B');
    expect(bytesToHuman(1023)).toBe('1023B');
    expect(bytesToHuman(1024)).toBe('1.00K');
    expect(bytesToHuman(916528)).toBe('895.05K');
    expect(bytesToHuman(6844416)).toBe('6.53M');
    expect(bytesToHuman(25276502016)).toBe('23.54G');
  });
});
