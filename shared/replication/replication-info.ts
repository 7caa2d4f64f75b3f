import type { ServerCore } from '../engine/server-core.js';
import { describeTarget } from './replica-link.js';
import type { Replication } from './replication.js';

type Field = [string, string | number];

/**
 * INFO replication, with Redis 7.0's fields in Redis's order, then what Redis lacks: each replica's lag in bytes
 * (our offset minus its acknowledged one), as `slaveN_lag_bytes`.
 */
export function replicationInfo(core: ServerCore, repl: Replication): Field[] {
  const out: Field[] = [];
  const now = core.now();
  const link = repl.link;
  if (link) {
    const { host, port } = describeTarget(link.target);
    const up = link.state === 'connected';
    out.push(['role', 'slave']);
    out.push(['master_host', host]);
    out.push(['master_port', port]);
    out.push(['master_link_status', up ? 'up' : 'down']);
    out.push(['master_last_io_seconds_ago', up ? Math.floor((now - link.lastIoAt) / 1000) : -1]);
    const syncing = link.state === 'transfer';
    out.push(['master_sync_in_progress', syncing ? 1 : 0]);
    out.push(['slave_read_repl_offset', up ? link.readOffset : repl.offset]);
    out.push(['slave_repl_offset', repl.offset]);
    if (syncing) {
      const total = link.syncTotalBytes;
      out.push(['master_sync_total_bytes', total]);
      out.push(['master_sync_read_bytes', link.syncReadBytes]);
      out.push(['master_sync_left_bytes', total >= 0 ? total - link.syncReadBytes : -1]);
      out.push(['master_sync_perc', total > 0 ? ((link.syncReadBytes / total) * 100).toFixed(2) : '0.00']);
      out.push(['master_sync_last_io_seconds_ago', Math.floor((now - link.syncLastIoAt) / 1000)]);
    }
    if (!up) out.push(['master_link_down_since_seconds', link.downSince ? Math.floor((now - link.downSince) / 1000) : -1]);
    out.push(['slave_priority', core.config.int('replica-priority')]);
    out.push(['slave_read_only', core.config.bool('replica-read-only') ? 1 : 0]);
    out.push(['replica_announced', core.config.bool('replica-announced') ? 1 : 0]);
  } else {
    out.push(['role', 'master']);
  }
  out.push(['connected_slaves', repl.peers.size]);
  if (core.config.int('min-replicas-to-write') > 0) out.push(['min_slaves_good_slaves', repl.goodReplicas()]);
  let i = 0;
  const lagBytes: Field[] = [];
  for (const peer of repl.peers.values()) {
    const ip = peer.ipAddress || peer.client.info.addr.replace(/:\d+$/, '');
    const lag = Math.floor((now - peer.ackTime) / 1000);
    out.push([`slave${i}`, `ip=${ip},port=${peer.listeningPort},state=${peer.state},offset=${peer.ackOffset},lag=${lag}`]);
    lagBytes.push([`slave${i}_lag_bytes`, peer.state === 'online' ? Math.max(0, repl.offset - peer.ackOffset) : repl.offset]);
    i++;
  }
  out.push(['master_failover_state', repl.failover.state]);
  out.push(['master_replid', repl.replid]);
  out.push(['master_replid2', repl.replid2]);
  out.push(['master_repl_offset', repl.offset]);
  out.push(['second_repl_offset', repl.secondReplOffset]);
  const b = repl.backlog;
  out.push(['repl_backlog_active', b ? 1 : 0]);
  out.push(['repl_backlog_size', b ? b.size : core.config.int('repl-backlog-size')]);
  out.push(['repl_backlog_first_byte_offset', b ? b.firstByteOffset : 0]);
  out.push(['repl_backlog_histlen', b ? b.histlen : 0]);
  out.push(...lagBytes);
  return out;
}

/** The replication counters of INFO stats. */
export function replicationStats(repl: Replication): Field[] {
  return [
    ['sync_full', repl.stats.syncFull],
    ['sync_partial_ok', repl.stats.syncPartialOk],
    ['sync_partial_err', repl.stats.syncPartialErr],
    ['total_net_repl_input_bytes', repl.stats.netReplInputBytes],
    ['total_net_repl_output_bytes', repl.stats.netReplOutputBytes],
  ];
}
