/**
 * The text and replies Redis 7.0 builds from its cluster view (cluster.c): CLUSTER NODES lines (also the body of
 * nodes.conf), CLUSTER SLOTS, CLUSTER SHARDS and CLUSTER INFO. Pure functions of a ClusterState; callers wrap
 * CLUSTER NODES / CLUSTER INFO text in a VerbatimReply('txt', ...) as Redis does (addReplyVerbatim).
 *
 * The endpoint setting is Redis's default, cluster-preferred-endpoint-type ip. With tls-cluster a node's `port` is
 * its TLS port and `pport` its plaintext one: `usePport` (a TLS cluster answering a plain-TCP client) shows the
 * plaintext port where the node has one, as Redis's use_pport.
 */
import { MapReply, type Reply } from '../resp/reply.js';
import { CLUSTER_SLOTS, NodeFlag, type ClusterNode, type ClusterState } from './cluster-node.js';

/** Flag names in the order Redis prints them (redisNodeFlagsTable). MEET and MIGRATE_TO are never printed. */
const FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [NodeFlag.MYSELF, 'myself'],
  [NodeFlag.MASTER, 'master'],
  [NodeFlag.SLAVE, 'slave'],
  [NodeFlag.PFAIL, 'fail?'],
  [NodeFlag.FAIL, 'fail'],
  [NodeFlag.HANDSHAKE, 'handshake'],
  [NodeFlag.NOADDR, 'noaddr'],
  [NodeFlag.NOFAILOVER, 'nofailover'],
];

/** Bus message types in Redis's CLUSTERMSG_TYPE_* order, which is the order CLUSTER INFO lists them in. */
const MESSAGE_TYPES = [
  'ping',
  'pong',
  'meet',
  'fail',
  'publish',
  'auth-req',
  'auth-ack',
  'update',
  'mfstart',
  'module',
  'publishshard',
] as const;

/** The node's flags as CLUSTER NODES prints them: "myself,master", "slave,fail", "noflags"... */
export function nodeFlagsText(node: ClusterNode): string {
  const names: string[] = [];
  for (const [bit, name] of FLAG_NAMES) if (node.flags & bit) names.push(name);
  return names.length === 0 ? 'noflags' : names.join(',');
}

/**
 * The node's master as Redis holds it (clusterNode.slaveof). Redis keeps only a pointer to a KNOWN master: a
 * replica whose master is not in the table (or was forgotten) has none, so it prints '-' and its own epoch.
 */
function masterOf(state: ClusterState, node: ClusterNode): ClusterNode | null {
  if (node.replicaOf === null) return null;
  return state.nodes.get(node.replicaOf) ?? null;
}

function isReplica(node: ClusterNode): boolean {
  return (node.flags & NodeFlag.SLAVE) !== 0;
}

/** A replica reports its master's config epoch (clusterGenNodeDescription, CLUSTER INFO's cluster_my_epoch). */
function effectiveEpoch(state: ClusterState, node: ClusterNode): number {
  const master = masterOf(state, node);
  return isReplica(node) && master ? master.configEpoch : node.configEpoch;
}

/**
 * Each slot owner's ranges from one pass over the slot table, as clusterGenNodesSlotsInfo does: the table,
 * not the node bitmaps, is what Redis prints (they agree in a ClusterState).
 */
function slotRangesByOwner(state: ClusterState): Map<ClusterNode, Array<[number, number]>> {
  const out = new Map<ClusterNode, Array<[number, number]>>();
  let owner: ClusterNode | null = null;
  let start = 0;
  for (let slot = 0; slot <= CLUSTER_SLOTS; slot++) {
    const current = slot < CLUSTER_SLOTS ? state.slotOwner[slot] : null;
    if (current === owner) continue;
    if (owner) {
      let ranges = out.get(owner);
      if (!ranges) out.set(owner, (ranges = []));
      ranges.push([start, slot - 1]);
    }
    owner = current;
    start = slot;
  }
  return out;
}

/** The client port to show: the plaintext one to a plain client of a TLS cluster, when the node has one. */
function clientPort(node: ClusterNode, usePport: boolean): number {
  return usePport && node.pport ? node.pport : node.port;
}

function nodeLine(state: ClusterState, node: ClusterNode, ranges: ReadonlyArray<[number, number]>, usePport: boolean): string {
  const address = `${node.ip}:${clientPort(node, usePport)}@${node.cport}${node.hostname !== '' ? `,${node.hostname}` : ''}`;
  const master = masterOf(state, node);
  const myself = (node.flags & NodeFlag.MYSELF) !== 0;
  const link = node.linkConnected || myself ? 'connected' : 'disconnected';
  let line =
    `${node.name} ${address} ${nodeFlagsText(node)} ${master ? master.name : '-'} ` +
    `${node.pingSent} ${node.pongReceived} ${effectiveEpoch(state, node)} ${link}`;
  for (const [a, b] of ranges) line += a === b ? ` ${a}` : ` ${a}-${b}`;
  if (myself) {
    // Only our own line carries the open migrations; a slot is listed once, migrating taking precedence.
    const open = new Set<number>([...state.migratingTo.keys(), ...state.importingFrom.keys()]);
    for (const slot of [...open].sort((x, y) => x - y)) {
      const to = state.migratingTo.get(slot);
      if (to) line += ` [${slot}->-${to.name}]`;
      else line += ` [${slot}-<-${state.importingFrom.get(slot)!.name}]`;
    }
  }
  return line;
}

/**
 * One CLUSTER NODES line, without the newline:
 * `<id> <ip>:<port>@<cport>[,<hostname>] <flags> <master|-> <ping-sent> <pong-recv> <config-epoch> <link> <slots...>`
 * plus, on myself's line, `[slot->-<id>]` (migrating) and `[slot-<-<id>]` (importing) entries.
 * Redis 7.0 writes the very same line to nodes.conf (the aux fields arrived in 7.2), always with `port`.
 */
export function clusterNodeLine(state: ClusterState, node: ClusterNode, usePport = false): string {
  return nodeLine(state, node, slotRangesByOwner(state).get(node) ?? [], usePport);
}

/** All nodes lines, handshake nodes included, each ending "\n"; myself first. */
export function clusterNodesText(state: ClusterState, usePport = false): string {
  return nodesDescription(state, 0, usePport);
}

/**
 * The lines of every node not matching `excludeFlags` (clusterGenNodesDescription's filter): nodes.conf leaves
 * out HANDSHAKE nodes.
 */
export function nodesDescription(state: ClusterState, excludeFlags: number, usePport = false): string {
  const ranges = slotRangesByOwner(state);
  let out = '';
  for (const node of myselfFirst(state)) {
    if (node.flags & excludeFlags) continue;
    out += nodeLine(state, node, ranges.get(node) ?? [], usePport) + '\n';
  }
  return out;
}

function myselfFirst(state: ClusterState): ClusterNode[] {
  const rest = [...state.nodes.values()].filter((n) => n !== state.myself);
  return [state.myself, ...rest];
}

/** CLUSTER SLOTS / SHARDS' notion of a replica able to serve reads: not FAIL and has replicated something. */
function isReplicaAvailable(node: ClusterNode): boolean {
  return (node.flags & NodeFlag.FAIL) === 0 && node.replOffset !== 0;
}

/** One node of a CLUSTER SLOTS range: [ip, port, id, {hostname?}] (addNodeToNodeReply, preferred endpoint ip). */
function slotsNodeReply(node: ClusterNode, usePport: boolean): Reply {
  const meta: Array<[Reply, Reply]> = node.hostname !== '' ? [['hostname', node.hostname]] : [];
  return [node.ip, clientPort(node, usePport), node.name, new MapReply(meta)];
}

/**
 * CLUSTER SLOTS (7.0): one entry per run of consecutive slots with the same owner, in slot order:
 * `[start, end, master, ...replicas]`, each node `[ip, port, id, metadata-map]` where the map holds "hostname"
 * when one is set. Replicas that are FAIL or whose replication offset is still 0 are left out, as Redis's
 * isReplicaAvailable does; for myself the caller keeps `replOffset` current (Redis reads its live offset).
 */
export function clusterSlotsReply(state: ClusterState, usePport = false): Reply {
  const out: Reply[] = [];
  let owner: ClusterNode | null = null;
  let start = 0;
  for (let slot = 0; slot <= CLUSTER_SLOTS; slot++) {
    const current = slot < CLUSTER_SLOTS ? state.slotOwner[slot] : null;
    if (current === owner) continue;
    if (owner) {
      const entry: Reply[] = [start, slot - 1, slotsNodeReply(owner, usePport)];
      for (const replica of state.replicasOf(owner)) {
        if (isReplicaAvailable(replica)) entry.push(slotsNodeReply(replica, usePport));
      }
      out.push(entry);
    }
    owner = current;
    start = slot;
  }
  return out;
}

/** One node of a CLUSTER SHARDS shard (addNodeDetailsToShardReply). */
function shardNodeReply(node: ClusterNode, tlsCluster: boolean): MapReply {
  const entries: Array<[Reply, Reply]> = [['id', node.name]];
  // Redis reads tls-cluster as saying whether `port` is a TLS one, and leaves out a port that is 0 (not known yet).
  const plaintextPort = tlsCluster ? node.pport : node.port;
  const tlsPort = tlsCluster ? node.port : 0;
  if (plaintextPort !== 0) entries.push(['port', plaintextPort]);
  if (tlsPort !== 0) entries.push(['tls-port', tlsPort]);
  entries.push(['ip', node.ip], ['endpoint', node.ip]);
  if (node.hostname !== '') entries.push(['hostname', node.hostname]);
  const replica = isReplica(node);
  entries.push(['role', replica ? 'replica' : 'master'], ['replication-offset', node.replOffset]);
  const health = node.flags & NodeFlag.FAIL ? 'fail' : replica && node.replOffset === 0 ? 'loading' : 'online';
  entries.push(['health', health]);
  return new MapReply(entries);
}

/**
 * CLUSTER SHARDS (7.0): one map per master (slot-less masters included, with an empty "slots" array):
 * `{slots: [start, end, start, end, ...], nodes: [master, ...replicas]}`; every replica is listed, FAIL ones
 * with health "fail". Node maps: id, port (when not 0), tls-port (with tls-cluster, when not 0), ip, endpoint,
 * hostname (when set), role, replication-offset, health. For myself the caller keeps `replOffset` current (Redis
 * reads its live offset).
 */
export function clusterShardsReply(state: ClusterState, tlsCluster = false): Reply {
  const ranges = slotRangesByOwner(state);
  const out: Reply[] = [];
  for (const node of state.nodes.values()) {
    if ((node.flags & NodeFlag.MASTER) === 0) continue;
    const slots: Reply[] = [];
    for (const [a, b] of ranges.get(node) ?? []) slots.push(a, b);
    const nodes: Reply[] = [shardNodeReply(node, tlsCluster)];
    for (const replica of state.replicasOf(node)) nodes.push(shardNodeReply(replica, tlsCluster));
    out.push(
      new MapReply([
        ['slots', slots],
        ['nodes', nodes],
      ]),
    );
  }
  return out;
}

/** Bus messages sent and received per type, keyed by Redis's type names ('ping', 'pong', 'auth-req'...). */
export interface ClusterMessageCounters {
  sent: Map<string, number>;
  received: Map<string, number>;
  /** Links closed because their send buffer passed cluster-link-sendbuf-limit. */
  linksBufferLimitExceeded?: number;
}

/**
 * The CLUSTER INFO body, "\r\n" line endings as Redis. Slot health follows the owner's flags (FAIL -> fail,
 * PFAIL -> pfail, else ok); cluster_size is the number of masters owning slots; a replica's cluster_my_epoch is
 * its master's config epoch. Per-type message counters appear only when non-zero, in Redis's type order; the
 * totals and total_cluster_links_buffer_limit_exceeded (always 0 here) always appear.
 */
export function clusterInfoText(state: ClusterState, counters: ClusterMessageCounters): string {
  let assigned = 0;
  let ok = 0;
  let pfail = 0;
  let fail = 0;
  for (const owner of state.slotOwner) {
    if (!owner) continue;
    assigned++;
    if (owner.flags & NodeFlag.FAIL) fail++;
    else if (owner.flags & NodeFlag.PFAIL) pfail++;
    else ok++;
  }
  const lines = [
    `cluster_state:${state.state}`,
    `cluster_slots_assigned:${assigned}`,
    `cluster_slots_ok:${ok}`,
    `cluster_slots_pfail:${pfail}`,
    `cluster_slots_fail:${fail}`,
    `cluster_known_nodes:${state.nodes.size}`,
    `cluster_size:${state.size}`,
    `cluster_current_epoch:${state.currentEpoch}`,
    `cluster_my_epoch:${effectiveEpoch(state, state.myself)}`,
  ];
  for (const [direction, counts] of [
    ['sent', counters.sent],
    ['received', counters.received],
  ] as const) {
    let total = 0;
    for (const type of MESSAGE_TYPES) {
      const n = counts.get(type) ?? 0;
      if (n === 0) continue;
      total += n;
      lines.push(`cluster_stats_messages_${type}_${direction}:${n}`);
    }
    lines.push(`cluster_stats_messages_${direction}:${total}`);
  }
  lines.push(`total_cluster_links_buffer_limit_exceeded:${counters.linksBufferLimitExceeded ?? 0}`);
  return lines.map((l) => l + '\r\n').join('');
}
