import { helpReply, subcommandSyntaxError } from '../commands/command-docs.js';
import { isWord, parseInteger } from '../commands/parse.js';
import { command, type CommandFlag, type CommandHandler, type CommandSpec } from '../engine/command-spec.js';
import type { Client } from '../engine/client.js';
import type { ServerCore } from '../engine/server-core.js';
import { CommandError, SYNTAX } from '../errors.js';
import { MapReply, OK, SimpleString, VerbatimReply, type Reply } from '../resp/reply.js';
import type { Cluster } from './cluster.js';
import { clusterInfoText, clusterNodeLine, clusterNodesText, clusterShardsReply, clusterSlotsReply } from './cluster-format.js';
import { CLUSTER_SLOTS, NodeFlag, isMaster, type ClusterNode } from './cluster-node.js';
import { normalizeIp } from './ip-address.js';
import { keyHashSlot } from './key-slot.js';

const DISABLED = 'ERR This instance has cluster support disabled';

/** The cluster of a core in cluster mode, or the error Redis gives without it. */
export function clusterOf(core: ServerCore): Cluster {
  const cluster = core.cluster as Cluster | null;
  if (!cluster) throw new CommandError(DISABLED);
  return cluster;
}

/** SLOTS and SHARDS report our own replication offset as of now. */
function withOffset(cluster: Cluster): Cluster {
  cluster.myself.replOffset = cluster.core.replicationOffset();
  return cluster;
}

/** A whole decimal number as Redis's string2ll reads it: no sign on zero, no leading zeros, no spaces. */
function strictInteger(s: string): number {
  return /^(0|-?[1-9]\d{0,18})$/.test(s) ? Number(s) : NaN;
}

function parseSlot(s: string): number {
  const n = strictInteger(s);
  if (!Number.isInteger(n) || n < 0 || n >= CLUSTER_SLOTS) throw new CommandError('ERR Invalid or out of range slot');
  return n;
}

function nodeOrError(cluster: Cluster, name: string, text = `ERR Unknown node ${name}`): ClusterNode {
  const node = cluster.state.nodes.get(name);
  if (!node) throw new CommandError(text);
  return node;
}

/** Redis's nodeIsSlave: the replica flag (a node in handshake is neither). */
function isReplica(node: ClusterNode): boolean {
  return (node.flags & NodeFlag.SLAVE) !== 0;
}

/**
 * ADDSLOTS / DELSLOTS (and the RANGE forms): every slot is checked, in argument order as Redis does (a range is
 * checked before the next one is parsed), before anything changes. `ranges` yields each argument's slots.
 */
function changeSlots(cluster: Cluster, ranges: Iterable<number[]>, del: boolean): Reply {
  const seen = new Set<number>();
  for (const slots of ranges) {
    for (const slot of slots) {
      const owner = cluster.state.slotOwner[slot];
      if (del && owner === null) throw new CommandError(`ERR Slot ${slot} is already unassigned`);
      if (!del && owner !== null) throw new CommandError(`ERR Slot ${slot} is already busy`);
      if (seen.has(slot)) throw new CommandError(`ERR Slot ${slot} specified multiple times`);
      seen.add(slot);
    }
  }
  for (const slot of seen) {
    if (del) {
      cluster.state.clearSlot(slot);
    } else {
      // Now the real owner: no longer importing it.
      cluster.state.importingFrom.delete(slot);
      cluster.state.assignSlot(slot, cluster.myself);
    }
  }
  cluster.slotsChanged();
  return OK;
}

/** The slots of each `start end` pair, parsed lazily so each range is checked before the next is read. */
function* slotRanges(argv: string[]): Generator<number[]> {
  if ((argv.length - 2) % 2 !== 0) throw new CommandError(`ERR wrong number of arguments for 'cluster|${argv[1].toLowerCase()}' command`);
  for (let i = 2; i < argv.length; i += 2) {
    const start = parseSlot(argv[i]);
    const end = parseSlot(argv[i + 1]);
    if (start > end) throw new CommandError(`ERR start slot number ${start} is greater than end slot number ${end}`);
    const slots: number[] = [];
    for (let s = start; s <= end; s++) slots.push(s);
    yield slots;
  }
}

/** ADDSLOTS / DELSLOTS arguments: all parsed before any slot is checked (unlike the RANGE forms). */
function singleSlots(argv: string[]): number[][] {
  return [argv.slice(2).map(parseSlot)];
}

/** Redis's clusterBumpConfigEpochWithoutConsensus: a new epoch unless ours is already the greatest. */
function bumpEpochWithoutConsensus(cluster: Cluster): boolean {
  let max = 0;
  for (const n of cluster.state.nodes.values()) if (n.configEpoch > max) max = n.configEpoch;
  const me = cluster.myself;
  if (me.configEpoch === 0 || me.configEpoch !== max) {
    cluster.state.currentEpoch++;
    me.configEpoch = cluster.state.currentEpoch;
    cluster.save();
    return true;
  }
  return false;
}

function setSlot(cluster: Cluster, argv: string[]): Reply {
  const me = cluster.myself;
  if (!isMaster(me)) throw new CommandError('ERR Please use SETSLOT only with masters.');
  const slot = parseSlot(argv[2]);
  const action = argv[3].toLowerCase();
  const state = cluster.state;
  const target = (): ClusterNode => {
    const n = nodeOrError(cluster, argv[4], `ERR I don't know about node ${argv[4]}`);
    if (isReplica(n)) throw new CommandError('ERR Target node is not a master');
    return n;
  };
  if (action === 'migrating' && argv.length === 5) {
    if (state.slotOwner[slot] !== me) throw new CommandError(`ERR I'm not the owner of hash slot ${slot}`);
    state.migratingTo.set(slot, target());
  } else if (action === 'importing' && argv.length === 5) {
    if (state.slotOwner[slot] === me) throw new CommandError(`ERR I'm already the owner of hash slot ${slot}`);
    state.importingFrom.set(slot, target());
  } else if (action === 'stable' && argv.length === 4) {
    state.migratingTo.delete(slot);
    state.importingFrom.delete(slot);
  } else if (action === 'node' && argv.length === 5) {
    const n = nodeOrError(cluster, argv[4]);
    if (isReplica(n)) throw new CommandError('ERR Target node is not a master');
    const wasMine = state.slotOwner[slot] === me;
    if (wasMine && n !== me && cluster.countKeysInSlot(slot) !== 0) {
      throw new CommandError(`ERR Can't assign hashslot ${slot} to a different node while I still hold keys for this hash slot.`);
    }
    if (state.migratingTo.has(slot) && cluster.countKeysInSlot(slot) === 0) state.migratingTo.delete(slot);
    if (n === me && state.importingFrom.has(slot)) {
      // The end of an import: take a new epoch so our claim wins over the old owner's.
      if (bumpEpochWithoutConsensus(cluster)) {
        cluster.core.host.log('notice', `configEpoch updated after importing slot ${slot}`);
      }
      state.importingFrom.delete(slot);
    }
    state.assignSlot(slot, n);
    if (wasMine && n !== me) cluster.removeShardChannelsInSlot(slot);
    // A master left without slots follows the node that took its last one.
    if (wasMine && n !== me && me.numSlots === 0 && cluster.core.config.bool('cluster-allow-replica-migration')) {
      cluster.core.host.log('notice', `Configuration change detected. Reconfiguring myself as a replica of ${n.name}`);
      cluster.setMyselfReplicaOf(n);
    }
  } else {
    throw new CommandError('ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP');
  }
  cluster.slotsChanged();
  return OK;
}

const HELP = [
  'ADDSLOTS <slot> [<slot> ...]',
  '    Assign slots to current node.',
  'ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]',
  '    Assign slots which are between <start-slot> and <end-slot> to current node.',
  'BUMPEPOCH',
  '    Advance the cluster config epoch.',
  'COUNT-FAILURE-REPORTS <node-id>',
  '    Return number of failure reports for <node-id>.',
  'COUNTKEYSINSLOT <slot>',
  '    Return the number of keys in <slot>.',
  'DELSLOTS <slot> [<slot> ...]',
  '    Delete slots information from current node.',
  'DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]',
  '    Delete slots information which are between <start-slot> and <end-slot> from current node.',
  'FAILOVER [FORCE|TAKEOVER]',
  '    Promote current replica node to being a master.',
  'FORGET <node-id>',
  '    Remove a node from the cluster.',
  'GETKEYSINSLOT <slot> <count>',
  '    Return key names stored by current node in a slot.',
  'FLUSHSLOTS',
  '    Delete current node own slots information.',
  'INFO',
  '    Return information about the cluster.',
  'KEYSLOT <key>',
  '    Return the hash slot for <key>.',
  'MEET <ip> <port> [<bus-port>]',
  '    Connect nodes into a working cluster.',
  'MYID',
  '    Return the node id.',
  'NODES',
  '    Return cluster configuration seen by node. Output format:',
  '    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...',
  'REPLICATE <node-id>',
  '    Configure current node as replica to <node-id>.',
  'RESET [HARD|SOFT]',
  '    Reset current node (default: soft).',
  'SET-CONFIG-EPOCH <epoch>',
  '    Set config epoch of current node.',
  'SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)',
  '    Set slot state.',
  'REPLICAS <node-id>',
  '    Return <node-id> replicas.',
  'SAVECONFIG',
  '    Force saving cluster configuration on disk.',
  'SLOTS',
  '    Return information about slots range mappings. Each range is made of:',
  '    start, end, master and replicas IP addresses, ports and ids',
  'SHARDS',
  '    Return information about slot range mappings and the nodes associated with them.',
  'LINKS',
  '    Return information about all network links between this node and its peers.',
  '    Output format is an array where each array element is a map containing attributes of a link',
];

function sub(name: string, arity: number, flags: CommandFlag[], summary: string, since: string, handler: CommandHandler): CommandSpec {
  return command({ name, arity, group: 'cluster', flags, summary, since, handler });
}

const ADMIN: CommandFlag[] = ['admin', 'stale'];

function replicasReply(cluster: Cluster, name: string, client: Client): Reply {
  const n = nodeOrError(cluster, name);
  if (isReplica(n)) throw new CommandError('ERR The specified node is not a master');
  const usePport = cluster.usePport(client);
  return cluster.state.replicasOf(n).map((r) => clusterNodeLine(cluster.state, r, usePport));
}

/** CLUSTER and its subcommands, ASKING, READONLY, READWRITE: Redis 7.0's arities, flags and error texts. */
export const clusterCommands: CommandSpec[] = [
  command({
    name: 'cluster',
    arity: -2,
    group: 'cluster',
    summary: 'A container for cluster commands',
    since: '3.0.0',
    subcommands: [
      sub('addslots', -3, ADMIN, 'Assign new hash slots to receiving node', '3.0.0', (ctx, argv) =>
        changeSlots(clusterOf(ctx.core), singleSlots(argv), false),
      ),
      sub('addslotsrange', -4, ADMIN, 'Assign new hash slots to receiving node', '7.0.0', (ctx, argv) => {
        const cluster = clusterOf(ctx.core);
        return changeSlots(cluster, slotRanges(argv), false);
      }),
      sub('bumpepoch', 2, ADMIN, 'Advance the cluster config epoch', '3.0.0', (ctx) => {
        const cluster = clusterOf(ctx.core);
        const bumped = bumpEpochWithoutConsensus(cluster);
        return new SimpleString(`${bumped ? 'BUMPED' : 'STILL'} ${cluster.myself.configEpoch}`);
      }),
      sub('count-failure-reports', 3, ADMIN, 'Return the number of failure reports active for a given node', '3.0.0', (ctx, argv) => {
        const cluster = clusterOf(ctx.core);
        const n = nodeOrError(cluster, argv[2]);
        const maxAge = cluster.nodeTimeout * 2;
        let count = 0;
        for (const t of n.failReports.values()) if (ctx.now - t <= maxAge) count++;
        return count;
      }),
      sub('countkeysinslot', 3, ['stale'], 'Return the number of local keys in the specified hash slot', '3.0.0', (ctx, argv) => {
        const cluster = clusterOf(ctx.core);
        const slot = parseInteger(argv[2]);
        if (slot < 0 || slot >= CLUSTER_SLOTS) throw new CommandError('ERR Invalid slot');
        return cluster.countKeysInSlot(slot);
      }),
      sub('delslots', -3, ADMIN, 'Set hash slots as unbound in receiving node', '3.0.0', (ctx, argv) =>
        changeSlots(clusterOf(ctx.core), singleSlots(argv), true),
      ),
      sub('delslotsrange', -4, ADMIN, 'Set hash slots as unbound in receiving node', '7.0.0', (ctx, argv) => {
        const cluster = clusterOf(ctx.core);
        return changeSlots(cluster, slotRanges(argv), true);
      }),
      sub('failover', -2, ADMIN, 'Forces a replica to perform a manual failover of its master.', '3.0.0', (ctx, argv) => {
        const cluster = clusterOf(ctx.core);
        let mode: 'default' | 'force' | 'takeover' = 'default';
        if (argv.length === 3) {
          if (isWord(argv[2], 'force')) mode = 'force';
          else if (isWord(argv[2], 'takeover')) mode = 'takeover';
          else throw new CommandError(SYNTAX);
        } else if (argv.length > 3) {
          throw subcommandSyntaxError(argv);
        }
        const me = cluster.myself;
        if (isMaster(me)) throw new CommandError('ERR You should send CLUSTER FAILOVER to a replica');
        const master = cluster.myMaster();
        if (!master) throw new CommandError("ERR I'm a replica but my master is unknown to me");
        if (mode === 'default' && (master.flags & NodeFlag.FAIL || !cluster.hasLink(master))) {
          throw new CommandError('ERR Master is down or failed, please use CLUSTER FAILOVER FORCE');
        }
        cluster.manualFailover(mode);
        return OK;
      }),
      sub('flushslots', 2, ADMIN, "Delete a node's own slots information", '3.0.0', (ctx) => {
        const cluster = clusterOf(ctx.core);
        if (ctx.core.dbs[0].size !== 0) throw new CommandError('ERR DB must be empty to perform CLUSTER FLUSHSLOTS.');
        for (const slot of cluster.state.slotsOf(cluster.myself)) cluster.state.clearSlot(slot);
        cluster.slotsChanged();
        return OK;
      }),
      sub('forget', 3, ADMIN, 'Remove a node from the nodes table', '3.0.0', (ctx, argv) => {
        const cluster = clusterOf(ctx.core);
        const n = nodeOrError(cluster, argv[2]);
        if (n === cluster.myself) throw new CommandError("ERR I tried hard but I can't forget myself...");
        if (!isMaster(cluster.myself) && cluster.myself.replicaOf === n.name) throw new CommandError("ERR Can't forget my master!");
        cluster.forget(n);
        return OK;
      }),
      sub('getkeysinslot', 4, ['stale'], 'Return local key names in the specified hash slot', '3.0.0', (ctx, argv) => {
        const cluster = clusterOf(ctx.core);
        const slot = parseInteger(argv[2]);
        const count = parseInteger(argv[3]);
        if (count < 0 || slot < 0 || slot >= CLUSTER_SLOTS) throw new CommandError('ERR Invalid slot or number of keys');
        return cluster.keysInSlot(slot, count);
      }),
      sub('help', 2, ['loading', 'stale'], 'Show helpful text about the different subcommands', '5.0.0', (ctx, argv) => {
        clusterOf(ctx.core);
        return helpReply(argv[0], HELP);
      }),
      sub('info', 2, ['stale'], 'Provides info about Redis Cluster node state', '3.0.0', (ctx) => {
        const cluster = clusterOf(ctx.core);
        return new VerbatimReply('txt', clusterInfoText(cluster.state, cluster.counters));
      }),
      sub('keyslot', 3, ['stale'], 'Returns the hash slot of the specified key', '3.0.0', (ctx, argv) => {
        clusterOf(ctx.core);
        return keyHashSlot(argv[2]);
      }),
      sub('links', 2, ['stale'], 'Returns a list of all TCP links to and from peer nodes in cluster', '7.0.0', (ctx) => {
        const cluster = clusterOf(ctx.core);
        return cluster.linkList().map(
          (l) =>
            new MapReply([
              ['direction', l.direction],
              ['node', l.node],
              ['create-time', l.ctime],
              ['events', l.direction === 'to' ? 'rw' : 'r'],
              ['send-buffer-allocated', l.buffered],
              ['send-buffer-used', l.buffered],
            ]),
        );
      }),
      sub('meet', -4, ADMIN, 'Force a node cluster to handshake with another node', '3.0.0', (ctx, argv) => {
        const cluster = clusterOf(ctx.core);
        if (argv.length > 5) throw subcommandSyntaxError(argv);
        const port = strictInteger(argv[3]);
        if (!Number.isSafeInteger(port)) throw new CommandError(`ERR Invalid TCP base port specified: ${argv[3]}`);
        let cport = port + 10000;
        if (argv.length === 5) {
          cport = strictInteger(argv[4]);
          if (!Number.isSafeInteger(cport)) throw new CommandError(`ERR Invalid TCP bus port specified: ${argv[4]}`);
        }
        const ip = normalizeIp(argv[2]);
        if (ip === null || !cluster.startHandshake(ip, port, cport)) {
          throw new CommandError(`ERR Invalid node address specified: ${argv[2]}:${argv[3]}`);
        }
        return OK;
      }),
      sub('myid', 2, ['stale'], 'Return the node id', '3.0.0', (ctx) => clusterOf(ctx.core).myself.name),
      sub('nodes', 2, ['stale'], 'Get Cluster config for the node', '3.0.0', (ctx) => {
        const cluster = clusterOf(ctx.core);
        return new VerbatimReply('txt', clusterNodesText(cluster.state, cluster.usePport(ctx.client)));
      }),
      sub('replicas', 3, ADMIN, 'List replica nodes of the specified master node', '5.0.0', (ctx, argv) => replicasReply(clusterOf(ctx.core), argv[2], ctx.client)),
      sub('replicate', 3, ADMIN, 'Reconfigure a node as a replica of the specified master node', '3.0.0', (ctx, argv) => {
        const cluster = clusterOf(ctx.core);
        const n = nodeOrError(cluster, argv[2]);
        if (n === cluster.myself) throw new CommandError("ERR Can't replicate myself");
        if (isReplica(n)) throw new CommandError('ERR I can only replicate a master, not a replica.');
        const me = cluster.myself;
        if (isMaster(me) && (me.numSlots !== 0 || ctx.core.dbs[0].size !== 0)) {
          throw new CommandError('ERR To set a master the node must be empty and without assigned slots.');
        }
        cluster.setMyselfReplicaOf(n);
        return OK;
      }),
      sub('reset', -2, ['admin', 'noscript', 'stale'], 'Reset a Redis Cluster node', '3.0.0', (ctx, argv) => {
        const cluster = clusterOf(ctx.core);
        let hard = false;
        if (argv.length === 3) {
          if (isWord(argv[2], 'hard')) hard = true;
          else if (!isWord(argv[2], 'soft')) throw new CommandError(SYNTAX);
        } else if (argv.length > 3) {
          throw subcommandSyntaxError(argv);
        }
        if (isMaster(cluster.myself) && ctx.core.dbs[0].size !== 0) {
          throw new CommandError("ERR CLUSTER RESET can't be called with master nodes containing keys");
        }
        cluster.reset(hard);
        return OK;
      }),
      sub('saveconfig', 2, ADMIN, 'Forces the node to save cluster state on disk', '3.0.0', (ctx) => {
        const cluster = clusterOf(ctx.core);
        const error = cluster.saveError();
        if (error !== null) throw new CommandError(`ERR error saving the cluster node config: ${error}`);
        return OK;
      }),
      sub('set-config-epoch', 3, ADMIN, 'Set the configuration epoch in a new node', '3.0.0', (ctx, argv) => {
        const cluster = clusterOf(ctx.core);
        const epoch = parseInteger(argv[2]);
        // Epochs are JS numbers here: beyond 2^53 they could not be kept exactly, so they are refused.
        if (epoch < 0 || !Number.isSafeInteger(epoch)) throw new CommandError(`ERR Invalid config epoch specified: ${argv[2]}`);
        if (cluster.state.nodes.size > 1) {
          throw new CommandError('ERR The user can assign a config epoch only when the node does not know any other node.');
        }
        if (cluster.myself.configEpoch !== 0) throw new CommandError('ERR Node config epoch is already non-zero');
        cluster.myself.configEpoch = epoch;
        if (cluster.state.currentEpoch < epoch) cluster.state.currentEpoch = epoch;
        cluster.slotsChanged();
        return OK;
      }),
      sub('setslot', -4, ADMIN, 'Bind a hash slot to a specific node', '3.0.0', (ctx, argv) => setSlot(clusterOf(ctx.core), argv)),
      sub('shards', 2, ['stale'], 'Get array of cluster slots to node mappings', '7.0.0', (ctx) =>
        clusterShardsReply(withOffset(clusterOf(ctx.core)).state, ctx.core.config.bool('tls-cluster')),
      ),
      sub('slaves', 3, ADMIN, 'List replica nodes of the specified master node', '3.0.0', (ctx, argv) => replicasReply(clusterOf(ctx.core), argv[2], ctx.client)),
      sub('slots', 2, ['stale'], 'Get array of Cluster slot to node mappings', '3.0.0', (ctx) => {
        const cluster = withOffset(clusterOf(ctx.core));
        return clusterSlotsReply(cluster.state, cluster.usePport(ctx.client));
      }),
    ],
  }),
  command({
    name: 'asking',
    arity: 1,
    group: 'cluster',
    flags: ['fast'],
    summary: 'Sent by cluster clients after an -ASK redirect',
    since: '3.0.0',
    handler: (ctx) => {
      clusterOf(ctx.core);
      ctx.client.clusterAsking = true;
      return OK;
    },
  }),
  command({
    name: 'readonly',
    arity: 1,
    group: 'cluster',
    flags: ['loading', 'stale', 'fast'],
    summary: 'Enables read queries for a connection to a cluster replica node',
    since: '3.0.0',
    handler: (ctx) => {
      clusterOf(ctx.core);
      ctx.client.clusterReadonly = true;
      return OK;
    },
  }),
  command({
    name: 'readwrite',
    arity: 1,
    group: 'cluster',
    flags: ['loading', 'stale', 'fast'],
    summary: 'Disables read queries for a connection to a cluster replica node',
    since: '3.0.0',
    handler: (ctx) => {
      clusterOf(ctx.core);
      ctx.client.clusterReadonly = false;
      return OK;
    },
  }),
];
