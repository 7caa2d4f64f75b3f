/**
 * The cluster config file (nodes.conf) as Redis 7.0 writes and reads it (cluster.c clusterSaveConfig /
 * clusterLoadConfig): the CLUSTER NODES lines of every node except those in handshake, then
 * `vars currentEpoch <n> lastVoteEpoch <m>`. 7.0 has no aux fields (7.2 added them) and writes the ping/pong
 * timestamps and link state as CLUSTER NODES shows them; on load, link states are ignored and non-zero
 * timestamps become "now".
 */
import { nodesDescription } from './cluster-format.js';
import {
  CLUSTER_NAMELEN,
  CLUSTER_SLOTS,
  ClusterState,
  NodeFlag,
  newClusterNode,
  type ClusterNode,
} from './cluster-node.js';

/** The nodes.conf content for a cluster view. */
export function serializeNodesConfig(state: ClusterState): string {
  return (
    nodesDescription(state, NodeFlag.HANDSHAKE) +
    `vars currentEpoch ${state.currentEpoch} lastVoteEpoch ${state.lastVoteEpoch}\n`
  );
}

/** Flag names nodes.conf may hold (Redis's loader accepts them in any case). */
const FLAGS_BY_NAME: ReadonlyMap<string, number> = new Map([
  ['myself', NodeFlag.MYSELF],
  ['master', NodeFlag.MASTER],
  ['slave', NodeFlag.SLAVE],
  ['fail?', NodeFlag.PFAIL],
  ['fail', NodeFlag.FAIL],
  ['handshake', NodeFlag.HANDSHAKE],
  ['noaddr', NodeFlag.NOADDR],
  ['nofailover', NodeFlag.NOFAILOVER],
  ['noflags', 0],
]);

/** Default distance of the bus port from the client port, for pre-4.0 lines without "@cport". */
const CLUSTER_PORT_INCR = 10000;

class CorruptConfig extends Error {}

/** Redis's verifyClusterNodeId: 40 characters of [a-z0-9]. */
function isNodeId(s: string): boolean {
  return s.length === CLUSTER_NAMELEN && /^[a-z0-9]+$/.test(s);
}

function parseUnsigned(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new CorruptConfig(`invalid ${what} '${text}'`);
  return Number(text);
}

function parseSlot(text: string): number {
  const slot = parseUnsigned(text, 'slot');
  if (slot >= CLUSTER_SLOTS) throw new CorruptConfig(`slot ${slot} out of range`);
  return slot;
}

/**
 * Parses nodes.conf content as Redis's clusterLoadConfig does and returns the cluster view it describes.
 * Nodes referenced only as a master or a migration peer are created with no flags, as Redis does; the first
 * node to claim a slot keeps it; non-zero ping-sent / pong-recv columns and the `fail` flag's failure time
 * become `now`; a replica's own config epoch is reset to 0 (it reports its master's); currentEpoch is raised to
 * the greatest config epoch. Throws an Error naming the line and the problem when the file is corrupt (Redis
 * exits with "Unrecoverable error: corrupted cluster config file.") or has no (or two) `myself` nodes.
 */
export function parseNodesConfig(text: string, now: number): ClusterState {
  const nodes = new Map<string, ClusterNode>();
  /** Nodes in the order of their own lines, so that a rewrite keeps the file's order. */
  const described = new Set<ClusterNode>();
  const migrating = new Map<number, ClusterNode>();
  const importing = new Map<number, ClusterNode>();
  const slotOwners: Array<ClusterNode | null> = new Array(CLUSTER_SLOTS).fill(null);
  let myself: ClusterNode | null = null;
  let currentEpoch = 0;
  let lastVoteEpoch = 0;

  const lookupOrCreate = (name: string): ClusterNode => {
    let node = nodes.get(name);
    if (!node) nodes.set(name, (node = newClusterNode(name, 0, now)));
    return node;
  };

  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    // sdssplitargs' separators; quoting never appears in files Redis writes.
    const argv = lines[index].split(/[ \t\r\v\f]+/).filter((a) => a !== '');
    if (argv.length === 0) continue; // blank lines: padding left by an interrupted rewrite, or manual edits
    try {
      if (argv[0].toLowerCase() === 'vars') {
        if (argv.length % 2 === 0) throw new CorruptConfig('"vars" needs name value pairs');
        for (let j = 1; j < argv.length; j += 2) {
          const name = argv[j].toLowerCase();
          // Unknown variables are skipped, as Redis does (it only logs them).
          if (name === 'currentepoch') currentEpoch = parseUnsigned(argv[j + 1], 'currentEpoch');
          else if (name === 'lastvoteepoch') lastVoteEpoch = parseUnsigned(argv[j + 1], 'lastVoteEpoch');
        }
        continue;
      }
      if (argv.length < 8) throw new CorruptConfig(`expected at least 8 fields, got ${argv.length}`);
      if (!isNodeId(argv[0])) throw new CorruptConfig(`invalid node id '${argv[0]}'`);
      const node = lookupOrCreate(argv[0]);
      described.add(node);

      // ip:port[@cport][,hostname]
      let address = argv[1];
      const comma = address.indexOf(',');
      if (comma >= 0) {
        node.hostname = address.slice(comma + 1);
        address = address.slice(0, comma);
      } else {
        node.hostname = '';
      }
      const colon = address.lastIndexOf(':');
      if (colon < 0) throw new CorruptConfig(`invalid address '${argv[1]}'`);
      node.ip = address.slice(0, colon);
      const ports = address.slice(colon + 1);
      const at = ports.indexOf('@');
      node.port = parseUnsigned(at >= 0 ? ports.slice(0, at) : ports, 'port');
      node.cport = at >= 0 ? parseUnsigned(ports.slice(at + 1), 'bus port') : node.port + CLUSTER_PORT_INCR;

      for (const flagName of argv[2].split(',')) {
        const flag = FLAGS_BY_NAME.get(flagName.toLowerCase());
        if (flag === undefined) throw new CorruptConfig(`unknown flag '${flagName}'`);
        if (flag === NodeFlag.MYSELF) {
          // Redis asserts that "myself" appears exactly once in the whole file.
          if (myself) throw new CorruptConfig(`"myself" appears again (first on node ${myself.name})`);
          myself = node;
        }
        if (flag === NodeFlag.FAIL) node.failTime = now;
        node.flags |= flag;
      }

      if (argv[3][0] !== '-') {
        if (!isNodeId(argv[3])) throw new CorruptConfig(`invalid master id '${argv[3]}'`);
        const master = lookupOrCreate(argv[3]);
        node.replicaOf = master.name;
        // clusterNodeAddSlave marks a master that has (had) replicas as a valid replica migration target.
        master.flags |= NodeFlag.MIGRATE_TO;
      }

      if (parseUnsigned(argv[4], 'ping-sent') !== 0) node.pingSent = now;
      if (parseUnsigned(argv[5], 'pong-recv') !== 0) node.pongReceived = now;
      const epoch = parseUnsigned(argv[6], 'config epoch');
      node.configEpoch = node.flags & NodeFlag.SLAVE && node.replicaOf !== null ? 0 : epoch;

      for (let j = 8; j < argv.length; j++) {
        const item = argv[j];
        if (item[0] === '[') {
          // [slot->-<id>] migrating to, [slot-<-<id>] importing from.
          const m = /^\[(\d+)-([<>])-([^\]]*)\]$/.exec(item);
          if (!m) throw new CorruptConfig(`invalid migration entry '${item}'`);
          const slot = parseSlot(m[1]);
          if (!isNodeId(m[3])) throw new CorruptConfig(`invalid node id '${m[3]}' in '${item}'`);
          const peer = lookupOrCreate(m[3]);
          if (m[2] === '>') migrating.set(slot, peer);
          else importing.set(slot, peer);
          continue;
        }
        const dash = item.indexOf('-');
        const start = parseSlot(dash >= 0 ? item.slice(0, dash) : item);
        const stop = dash >= 0 ? parseSlot(item.slice(dash + 1)) : start;
        if (start > stop) throw new CorruptConfig(`invalid slot range '${item}'`);
        // clusterAddSlot refuses a slot that already has an owner: the first line to claim it wins.
        for (let slot = start; slot <= stop; slot++) if (!slotOwners[slot]) slotOwners[slot] = node;
      }
    } catch (e) {
      if (e instanceof CorruptConfig) {
        throw new Error(`Corrupted cluster config file: ${e.message} (line ${index + 1}: ${lines[index].trim()})`);
      }
      throw e;
    }
  }
  if (!myself) throw new Error('Corrupted cluster config file: no node is flagged myself');

  const state = new ClusterState(myself);
  for (const node of described) state.nodes.set(node.name, node);
  for (const node of nodes.values()) if (!described.has(node)) state.nodes.set(node.name, node);
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    const owner = slotOwners[slot];
    if (owner) state.assignSlot(slot, owner);
  }
  for (const [slot, peer] of migrating) state.migratingTo.set(slot, peer);
  for (const [slot, peer] of importing) state.importingFrom.set(slot, peer);
  state.lastVoteEpoch = lastVoteEpoch;
  // Guards against hand-edited files: the current epoch is never below a node's config epoch.
  let maxEpoch = currentEpoch;
  for (const node of nodes.values()) if (node.configEpoch > maxEpoch) maxEpoch = node.configEpoch;
  state.currentEpoch = maxEpoch;
  return state;
}
