/**
 * CLUSTER subcommands, ASKING / READONLY / READWRITE and command routing in cluster mode (Redis's
 * getNodeByQuery), through a client of an in-memory core. Every reply and error text asserted here was first
 * observed on a stock redis-server 7.0.15 in cluster mode (a single node, and a 3-master cluster plus a replica
 * built with `redis-cli --cluster create` for MOVED / ASK / TRYAGAIN / READONLY situations).
 *
 * Other nodes exist only in our node table (added by hand): they never answer, which is all routing needs.
 */
import { describe, expect, it } from 'vitest';
import { OK_REPLY, createHarness, errorReply } from '../../test/helpers/core-harness.js';
import type { MasterConnector } from '../replication/replica-link.js';
import { SimpleString } from '../resp/reply.js';
import type { ClusterHost } from './cluster.js';
import { CLUSTER_SLOTS, NodeFlag, newClusterNode, type ClusterNode } from './cluster-node.js';
import { keyHashSlot } from './key-slot.js';
import { parseNodesConfig } from './nodes-config.js';

const DISABLED = errorReply('ERR This instance has cluster support disabled');
const CROSSSLOT = errorReply("CROSSSLOT Keys in request don't hash to the same slot");
const TRYAGAIN = errorReply('TRYAGAIN Multiple keys request during rehashing of slot');
const NOT_SERVED = errorReply('CLUSTERDOWN Hash slot not served');
const DOWN = errorReply('CLUSTERDOWN The cluster is down');
const DOWN_READS_ONLY = errorReply('CLUSTERDOWN The cluster is down and only accepts read commands');
const BAD_SLOT = errorReply('ERR Invalid or out of range slot');
const NOT_INTEGER = errorReply('ERR value is not an integer or out of range');
const EXECABORT = errorReply('EXECABORT Transaction discarded because of previous errors.');
const SETSLOT_SYNTAX = errorReply('ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP');

/** Keys and the slots they hash to (as CLUSTER KEYSLOT says on Redis). */
const BAR = 'bar'; // 5061
const BAR_SLOT = 5061;
const BAR_X = '{bar}x'; // 5061
const BAR_Y = '{bar}y'; // 5061
const FOO = 'foo'; // 12182
const FOO_SLOT = 12182;
const B_KEY = 'b'; // 3300
const X_KEY = 'x'; // 16287
const LOW_KEY = 'k126'; // 58

/** Names of nodes added to the table by hand. */
const NODE_B = 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0';
const NODE_C = 'c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0';
const NODE_R = 'd0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0';

/** A replica's link to its master that never connects: enough for a node to be a replica. */
const SILENT_CONNECTOR: MasterConnector = () => ({ write() {}, close() {} });

/** A cluster-mode core on port 7000 with an in-memory nodes.conf. */
function clusterHarness(opts: { config?: Record<string, string>; load?: string | null } = {}) {
  const saved: string[] = [];
  const io = { saveError: null as string | null };
  const host: ClusterHost = {
    connect() {},
    saveConfig(text) {
      if (io.saveError !== null) throw new Error(io.saveError);
      saved.push(text);
    },
    loadConfig() {
      return opts.load ?? null;
    },
  };
  const h = createHarness({
    config: { 'cluster-enabled': 'yes', port: '7000', ...opts.config },
    clusterHost: host,
    connector: SILENT_CONNECTOR,
  });
  const cluster = h.cluster;
  if (!cluster) throw new Error('cluster mode expected');
  const myId = cluster.myself.name;
  return { ...h, cluster, saved, io, myId, c: h.client() };
}

type ClusterHarness = ReturnType<typeof clusterHarness>;

/** Past Redis's CLUSTER_WRITABLE_DELAY (a master serves nothing for 2 s after start), then recompute the state. */
function ready(h: ClusterHarness): void {
  h.clock.advance(2_500);
  h.cluster.updateState();
}

/** A master on 127.0.0.1:<port> owning the given inclusive slot ranges, known only to our table. */
function addMaster(h: ClusterHarness, name: string, port: number, ranges: Array<[number, number]> = [], epoch = 0): ClusterNode {
  const n = newClusterNode(name, NodeFlag.MASTER, h.clock.now);
  n.ip = '127.0.0.1';
  n.port = port;
  n.cport = port + 10000;
  n.configEpoch = epoch;
  h.cluster.state.nodes.set(name, n);
  for (const [start, end] of ranges) for (let s = start; s <= end; s++) h.cluster.state.assignSlot(s, n);
  if (epoch > h.cluster.state.currentEpoch) h.cluster.state.currentEpoch = epoch;
  return n;
}

/** A replica of `master` on 127.0.0.1:<port>, known only to our table. */
function addReplica(h: ClusterHarness, name: string, master: ClusterNode, port: number): ClusterNode {
  const n = newClusterNode(name, NodeFlag.SLAVE, h.clock.now);
  n.ip = '127.0.0.1';
  n.port = port;
  n.cport = port + 10000;
  n.replicaOf = master.name;
  h.cluster.state.nodes.set(name, n);
  return n;
}

/** A cluster-mode core serving every slot itself. */
function servingAll(): ClusterHarness {
  const h = clusterHarness();
  expect(h.c.call('CLUSTER', 'ADDSLOTSRANGE', 0, CLUSTER_SLOTS - 1)).toEqual(OK_REPLY);
  ready(h);
  return h;
}

function nodesLines(h: ClusterHarness): string[] {
  const text = h.c.call('CLUSTER', 'NODES') as string;
  return text.split('\n').filter((l) => l !== '');
}

function myLine(h: ClusterHarness): string {
  const line = nodesLines(h).find((l) => l.startsWith(h.cluster.myself.name));
  if (!line) throw new Error('no line for myself');
  return line;
}

function infoField(h: ClusterHarness, field: string): string {
  const text = h.c.call('CLUSTER', 'INFO') as string;
  const line = text.split('\r\n').find((l) => l.startsWith(`${field}:`));
  if (!line) throw new Error(`no ${field} in CLUSTER INFO`);
  return line.slice(field.length + 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Without cluster mode
// ---------------------------------------------------------------------------------------------------------------

describe('cluster commands on a server without cluster support', () => {
  it.each([
    [['CLUSTER', 'INFO']],
    [['CLUSTER', 'NODES']],
    [['CLUSTER', 'MYID']],
    [['CLUSTER', 'SLOTS']],
    [['CLUSTER', 'SHARDS']],
    [['CLUSTER', 'LINKS']],
    [['CLUSTER', 'COUNTKEYSINSLOT', '1']],
    [['CLUSTER', 'ADDSLOTS', '1']],
    [['ASKING']],
    [['READONLY']],
    [['READWRITE']],
  ])('%j answers that cluster support is disabled', (argv) => {
    const c = createHarness().client();
    expect(c.call(...argv)).toEqual(DISABLED);
  });

  it('CLUSTER HELP and CLUSTER KEYSLOT are refused too', () => {
    const c = createHarness().client();
    expect(c.call('CLUSTER', 'HELP')).toEqual(DISABLED);
    expect(c.call('CLUSTER', 'KEYSLOT', 'foo')).toEqual(DISABLED);
  });

  it('an unknown subcommand or a wrong arity is reported before the disabled error', () => {
    const c = createHarness().client();
    expect(c.call('CLUSTER', 'foo')).toEqual(errorReply("ERR unknown subcommand 'foo'. Try CLUSTER HELP."));
    expect(c.call('CLUSTER', 'NODES', 'x')).toEqual(errorReply("ERR wrong number of arguments for 'cluster|nodes' command"));
  });

  it('INFO cluster says cluster_enabled:0, and SELECT works', () => {
    const c = createHarness().client();
    expect(c.call('INFO', 'cluster')).toBe('# Cluster\r\ncluster_enabled:0\r\n');
    expect(c.call('SELECT', '1')).toEqual(OK_REPLY);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Introspection
// ---------------------------------------------------------------------------------------------------------------

describe('CLUSTER introspection on a fresh node', () => {
  it('INFO cluster says cluster_enabled:1', () => {
    const h = clusterHarness();
    expect(h.c.call('INFO', 'cluster')).toBe('# Cluster\r\ncluster_enabled:1\r\n');
  });

  it('CLUSTER INFO of a node that knows nothing yet', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'INFO')).toBe(
      'cluster_state:fail\r\n' +
        'cluster_slots_assigned:0\r\n' +
        'cluster_slots_ok:0\r\n' +
        'cluster_slots_pfail:0\r\n' +
        'cluster_slots_fail:0\r\n' +
        'cluster_known_nodes:1\r\n' +
        'cluster_size:0\r\n' +
        'cluster_current_epoch:0\r\n' +
        'cluster_my_epoch:0\r\n' +
        'cluster_stats_messages_sent:0\r\n' +
        'cluster_stats_messages_received:0\r\n' +
        'total_cluster_links_buffer_limit_exceeded:0\r\n',
    );
  });

  it('CLUSTER MYID is the 40-hex-digit name CLUSTER NODES shows for myself', () => {
    const h = clusterHarness();
    const id = h.c.call('CLUSTER', 'MYID');
    expect(id).toMatch(/^[0-9a-f]{40}$/);
    expect(h.c.call('CLUSTER', 'NODES')).toBe(`${id} :7000@17000 myself,master - 0 0 0 connected\n`);
  });

  it('CLUSTER SLOTS and LINKS are empty, CLUSTER SHARDS lists myself with no slots', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'SLOTS')).toEqual([]);
    expect(h.c.call('CLUSTER', 'LINKS')).toEqual([]);
    expect(h.c.call('CLUSTER', 'SHARDS')).toEqual([
      [
        'slots',
        [],
        'nodes',
        [['id', h.myId, 'port', 7000, 'ip', '', 'endpoint', '', 'role', 'master', 'replication-offset', 0, 'health', 'online']],
      ],
    ]);
  });

  it('after ADDSLOTSRANGE 0 16383: INFO, NODES, SLOTS and SHARDS show the slots', () => {
    const h = servingAll();
    expect(infoField(h, 'cluster_state')).toBe('ok');
    expect(infoField(h, 'cluster_slots_assigned')).toBe('16384');
    expect(infoField(h, 'cluster_slots_ok')).toBe('16384');
    expect(infoField(h, 'cluster_size')).toBe('1');
    expect(h.c.call('CLUSTER', 'NODES')).toBe(`${h.myId} :7000@17000 myself,master - 0 0 0 connected 0-16383\n`);
    expect(h.c.call('CLUSTER', 'SLOTS')).toEqual([[0, 16383, ['', 7000, h.myId, []]]]);
    expect(h.c.call('CLUSTER', 'SHARDS')).toEqual([
      [
        'slots',
        [0, 16383],
        'nodes',
        [['id', h.myId, 'port', 7000, 'ip', '', 'endpoint', '', 'role', 'master', 'replication-offset', 0, 'health', 'online']],
      ],
    ]);
  });

  it('CLUSTER NODES and SLOTS show a second master with its address and slots', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTSRANGE', 0, 11999);
    addMaster(h, NODE_B, 7001, [[12000, 16383]]);
    expect(nodesLines(h)).toContain(`${NODE_B} 127.0.0.1:7001@17001 master - 0 0 0 disconnected 12000-16383`);
    expect(h.c.call('CLUSTER', 'SLOTS')).toEqual([
      [0, 11999, ['', 7000, h.myId, []]],
      [12000, 16383, ['127.0.0.1', 7001, NODE_B, []]],
    ]);
    expect(infoField(h, 'cluster_known_nodes')).toBe('2');
  });
});

describe('CLUSTER KEYSLOT, HELP, unknown subcommands and arities', () => {
  it('KEYSLOT hashes the key, or its {hash tag}', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'KEYSLOT', FOO)).toBe(FOO_SLOT);
    expect(h.c.call('CLUSTER', 'KEYSLOT', BAR)).toBe(BAR_SLOT);
    expect(h.c.call('CLUSTER', 'KEYSLOT', '{user}a')).toBe(5474);
    expect(h.c.call('CLUSTER', 'KEYSLOT', BAR_X)).toBe(BAR_SLOT);
    // The keys the routing tests below rely on.
    expect([keyHashSlot(B_KEY), keyHashSlot(X_KEY), keyHashSlot(LOW_KEY), keyHashSlot(BAR_Y)]).toEqual([3300, 16287, 58, BAR_SLOT]);
  });

  it('HELP lists every subcommand as Redis 7.0 does', () => {
    const h = clusterHarness();
    const lines = [
      'CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
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
      'HELP',
      '    Prints this help.',
    ];
    expect(h.c.call('CLUSTER', 'HELP')).toEqual(lines.map((l) => new SimpleString(l)));
  });

  it('an unknown subcommand names it as sent', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'foo')).toEqual(errorReply("ERR unknown subcommand 'foo'. Try CLUSTER HELP."));
    expect(h.c.call('CLUSTER', 'foo', 'bar')).toEqual(errorReply("ERR unknown subcommand 'foo'. Try CLUSTER HELP."));
    expect(h.c.call('CLUSTER')).toEqual(errorReply("ERR wrong number of arguments for 'cluster' command"));
  });

  it.each([
    [['ADDSLOTS'], 'addslots'],
    [['ADDSLOTSRANGE', '1'], 'addslotsrange'],
    [['BUMPEPOCH', 'x'], 'bumpepoch'],
    [['COUNT-FAILURE-REPORTS'], 'count-failure-reports'],
    [['COUNTKEYSINSLOT'], 'countkeysinslot'],
    [['DELSLOTS'], 'delslots'],
    [['DELSLOTSRANGE', '1'], 'delslotsrange'],
    [['FLUSHSLOTS', 'x'], 'flushslots'],
    [['FORGET'], 'forget'],
    [['FORGET', 'a', 'b'], 'forget'],
    [['GETKEYSINSLOT', '1'], 'getkeysinslot'],
    [['GETKEYSINSLOT', '1', '2', '3'], 'getkeysinslot'],
    [['HELP', 'x'], 'help'],
    [['INFO', 'x'], 'info'],
    [['KEYSLOT'], 'keyslot'],
    [['KEYSLOT', 'a', 'b'], 'keyslot'],
    [['LINKS', 'x'], 'links'],
    [['MEET'], 'meet'],
    [['MEET', '127.0.0.1'], 'meet'],
    [['MYID', 'x'], 'myid'],
    [['NODES', 'x'], 'nodes'],
    [['REPLICAS'], 'replicas'],
    [['REPLICATE'], 'replicate'],
    [['SAVECONFIG', 'x'], 'saveconfig'],
    [['SET-CONFIG-EPOCH'], 'set-config-epoch'],
    [['SET-CONFIG-EPOCH', '1', '2'], 'set-config-epoch'],
    [['SETSLOT', '1'], 'setslot'],
    [['SHARDS', 'x'], 'shards'],
    [['SLAVES'], 'slaves'],
    [['SLOTS', 'x'], 'slots'],
  ])('CLUSTER %j is a wrong number of arguments for cluster|%s', (args, name) => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', ...args)).toEqual(errorReply(`ERR wrong number of arguments for 'cluster|${name}' command`));
  });

  it('RESET and FAILOVER with too many arguments get the subcommand syntax error', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'reset', 'soft', 'hard')).toEqual(
      errorReply("ERR unknown subcommand or wrong number of arguments for 'reset'. Try CLUSTER HELP."),
    );
    expect(h.c.call('CLUSTER', 'failover', 'x', 'y')).toEqual(
      errorReply("ERR unknown subcommand or wrong number of arguments for 'failover'. Try CLUSTER HELP."),
    );
    expect(h.c.call('CLUSTER', 'meet', '127.0.0.1', '1', '2', '3')).toEqual(
      errorReply("ERR unknown subcommand or wrong number of arguments for 'meet'. Try CLUSTER HELP."),
    );
  });

  it.each([['ASKING'], ['READONLY'], ['READWRITE']])('%s takes no arguments', (name) => {
    const h = clusterHarness();
    expect(h.c.call(name, 'x')).toEqual(errorReply(`ERR wrong number of arguments for '${name.toLowerCase()}' command`));
    expect(h.c.call(name)).toEqual(OK_REPLY);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Slot assignment
// ---------------------------------------------------------------------------------------------------------------

describe('CLUSTER ADDSLOTS / DELSLOTS', () => {
  it('ADDSLOTS assigns, then a second ADDSLOTS of the slot finds it busy', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'ADDSLOTS', '1')).toEqual(OK_REPLY);
    expect(h.c.call('CLUSTER', 'ADDSLOTS', '1')).toEqual(errorReply('ERR Slot 1 is already busy'));
    expect(h.c.call('CLUSTER', 'ADDSLOTS', '2', '1', '3')).toEqual(errorReply('ERR Slot 1 is already busy'));
    expect(myLine(h)).toBe(`${h.myId} :7000@17000 myself,master - 0 0 0 connected 1`);
  });

  it('a slot given twice is refused and nothing is assigned', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'ADDSLOTS', '1', '2', '2')).toEqual(errorReply('ERR Slot 2 specified multiple times'));
    expect(myLine(h)).toBe(`${h.myId} :7000@17000 myself,master - 0 0 0 connected`);
  });

  it('slots are checked in order: a repeated slot before a later busy one', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTS', '1');
    expect(h.c.call('CLUSTER', 'ADDSLOTS', '2', '2', '1')).toEqual(errorReply('ERR Slot 2 specified multiple times'));
  });

  it.each([['16384'], ['-1'], ['abc'], ['2.0'], ['+2'], [' 3']])('ADDSLOTS %j is an invalid slot', (arg) => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'ADDSLOTS', arg)).toEqual(BAD_SLOT);
  });

  it('every argument is parsed before any slot is checked', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTS', '1');
    expect(h.c.call('CLUSTER', 'ADDSLOTS', '1', 'abc')).toEqual(BAD_SLOT);
  });

  it.each([['01'], ['00002'], ['-0']])('ADDSLOTS %j is invalid: slots are strict integers', (arg) => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'ADDSLOTS', arg)).toEqual(BAD_SLOT);
    expect(myLine(h)).toBe(`${h.myId} :7000@17000 myself,master - 0 0 0 connected`);
  });

  it('DELSLOTS refuses unassigned and repeated slots, then unassigns', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTS', '1', '2');
    expect(h.c.call('CLUSTER', 'DELSLOTS', '5')).toEqual(errorReply('ERR Slot 5 is already unassigned'));
    expect(h.c.call('CLUSTER', 'DELSLOTS', '1', '5')).toEqual(errorReply('ERR Slot 5 is already unassigned'));
    expect(h.c.call('CLUSTER', 'DELSLOTS', '1', '1')).toEqual(errorReply('ERR Slot 1 specified multiple times'));
    expect(h.c.call('CLUSTER', 'DELSLOTS', '16384')).toEqual(BAD_SLOT);
    expect(myLine(h)).toMatch(/ connected 1-2$/);
    expect(h.c.call('CLUSTER', 'DELSLOTS', '1')).toEqual(OK_REPLY);
    expect(myLine(h)).toMatch(/ connected 2$/);
  });

  it('DELSLOTS of a slot holding keys keeps the keys but stops serving them', () => {
    const h = servingAll();
    h.c.call('SET', FOO, '1');
    expect(h.c.call('CLUSTER', 'DELSLOTS', String(FOO_SLOT))).toEqual(OK_REPLY);
    expect(h.c.call('GET', FOO)).toEqual(NOT_SERVED);
    expect(h.c.call('CLUSTER', 'COUNTKEYSINSLOT', String(FOO_SLOT))).toBe(1);
    expect(h.c.call('DBSIZE')).toBe(1);
  });

  it('ADDSLOTS and DELSLOTS save nodes.conf', () => {
    const h = clusterHarness();
    const before = h.saved.length;
    h.c.call('CLUSTER', 'ADDSLOTS', '7');
    expect(h.saved.length).toBeGreaterThan(before);
    expect(h.saved[h.saved.length - 1]).toContain(' connected 7\n');
    h.c.call('CLUSTER', 'DELSLOTS', '7');
    expect(h.saved[h.saved.length - 1]).toContain(' connected\n');
    // Cluster configuration travels over the bus, never in the replication stream.
    expect(h.propagated).toEqual([]);
  });
});

describe('CLUSTER ADDSLOTSRANGE / DELSLOTSRANGE', () => {
  it('assigns and unassigns inclusive ranges', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'ADDSLOTSRANGE', '0', '100', '200', '200')).toEqual(OK_REPLY);
    expect(myLine(h)).toMatch(/ connected 0-100 200$/);
    expect(h.c.call('CLUSTER', 'DELSLOTSRANGE', '10', '20')).toEqual(OK_REPLY);
    expect(myLine(h)).toMatch(/ connected 0-9 21-100 200$/);
  });

  it('an odd number of range arguments is a wrong number of arguments', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'ADDSLOTSRANGE', '1', '2', '3')).toEqual(
      errorReply("ERR wrong number of arguments for 'cluster|addslotsrange' command"),
    );
    expect(h.c.call('CLUSTER', 'DELSLOTSRANGE', '1', '2', '3')).toEqual(
      errorReply("ERR wrong number of arguments for 'cluster|delslotsrange' command"),
    );
  });

  it('refuses a start after its end, out of range slots, overlaps and busy or unassigned slots', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'ADDSLOTSRANGE', '5', '3')).toEqual(errorReply('ERR start slot number 5 is greater than end slot number 3'));
    expect(h.c.call('CLUSTER', 'ADDSLOTSRANGE', '3', '16384')).toEqual(BAD_SLOT);
    expect(h.c.call('CLUSTER', 'ADDSLOTSRANGE', '3', '5', '4', '6')).toEqual(errorReply('ERR Slot 4 specified multiple times'));
    expect(h.c.call('CLUSTER', 'ADDSLOTSRANGE', '1', '1')).toEqual(OK_REPLY);
    expect(h.c.call('CLUSTER', 'ADDSLOTSRANGE', '0', '3')).toEqual(errorReply('ERR Slot 1 is already busy'));
    expect(h.c.call('CLUSTER', 'DELSLOTSRANGE', '10', '12')).toEqual(errorReply('ERR Slot 10 is already unassigned'));
    expect(h.c.call('CLUSTER', 'DELSLOTSRANGE', '1', '1', '1', '1')).toEqual(errorReply('ERR Slot 1 specified multiple times'));
    expect(h.c.call('CLUSTER', 'DELSLOTSRANGE', '1', '2')).toEqual(errorReply('ERR Slot 2 is already unassigned'));
    expect(h.c.call('CLUSTER', 'DELSLOTSRANGE', '3', '2')).toEqual(errorReply('ERR start slot number 3 is greater than end slot number 2'));
    expect(h.c.call('CLUSTER', 'DELSLOTSRANGE', 'x', '2')).toEqual(BAD_SLOT);
    // Nothing but slot 1 was ever assigned.
    expect(myLine(h)).toMatch(/ connected 1$/);
  });

  it('each range is checked before the next one is parsed', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTS', '1');
    expect(h.c.call('CLUSTER', 'ADDSLOTSRANGE', '1', '1', '5', '3')).toEqual(errorReply('ERR Slot 1 is already busy'));
    expect(h.c.call('CLUSTER', 'ADDSLOTSRANGE', '1', '1', 'x', '3')).toEqual(errorReply('ERR Slot 1 is already busy'));
    expect(h.c.call('CLUSTER', 'DELSLOTSRANGE', '7', '7', '5', '3')).toEqual(errorReply('ERR Slot 7 is already unassigned'));
  });
});

describe('CLUSTER FLUSHSLOTS', () => {
  it('refuses while the database holds keys', () => {
    const h = servingAll();
    h.c.call('SET', FOO, '1');
    expect(h.c.call('CLUSTER', 'FLUSHSLOTS')).toEqual(errorReply('ERR DB must be empty to perform CLUSTER FLUSHSLOTS.'));
    expect(myLine(h)).toMatch(/ connected 0-16383$/);
  });

  it('unassigns all my slots when the database is empty', () => {
    const h = servingAll();
    expect(h.c.call('CLUSTER', 'FLUSHSLOTS')).toEqual(OK_REPLY);
    expect(h.c.call('CLUSTER', 'NODES')).toBe(`${h.myId} :7000@17000 myself,master - 0 0 0 connected\n`);
    expect(infoField(h, 'cluster_slots_assigned')).toBe('0');
    expect(infoField(h, 'cluster_state')).toBe('fail');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// SETSLOT
// ---------------------------------------------------------------------------------------------------------------

describe('CLUSTER SETSLOT', () => {
  it('refuses unknown actions, wrong argument counts and invalid slots', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'SETSLOT', '1', 'foo')).toEqual(SETSLOT_SYNTAX);
    expect(h.c.call('CLUSTER', 'SETSLOT', '1', 'stable', 'x')).toEqual(SETSLOT_SYNTAX);
    expect(h.c.call('CLUSTER', 'SETSLOT', '1', 'migrating')).toEqual(SETSLOT_SYNTAX);
    expect(h.c.call('CLUSTER', 'SETSLOT', '1', 'importing')).toEqual(SETSLOT_SYNTAX);
    expect(h.c.call('CLUSTER', 'SETSLOT', '1', 'node')).toEqual(SETSLOT_SYNTAX);
    expect(h.c.call('CLUSTER', 'SETSLOT', '2', 'node', h.myId, 'extra')).toEqual(SETSLOT_SYNTAX);
    expect(h.c.call('CLUSTER', 'SETSLOT', '16384', 'stable')).toEqual(BAD_SLOT);
    expect(h.c.call('CLUSTER', 'SETSLOT', 'x', 'stable')).toEqual(BAD_SLOT);
    expect(h.c.call('CLUSTER', 'SETSLOT', '1', 'stable')).toEqual(OK_REPLY);
  });

  it('MIGRATING needs a slot of mine and a known master', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTS', String(BAR_SLOT));
    const b = addMaster(h, NODE_B, 7001);
    addReplica(h, NODE_R, b, 7002);
    expect(h.c.call('CLUSTER', 'SETSLOT', '2', 'migrating', NODE_B)).toEqual(errorReply("ERR I'm not the owner of hash slot 2"));
    expect(h.c.call('CLUSTER', 'SETSLOT', String(BAR_SLOT), 'migrating', 'abc')).toEqual(errorReply("ERR I don't know about node abc"));
    expect(h.c.call('CLUSTER', 'SETSLOT', String(BAR_SLOT), 'migrating', NODE_R)).toEqual(errorReply('ERR Target node is not a master'));
    expect(h.c.call('CLUSTER', 'SETSLOT', String(BAR_SLOT), 'MIGRATING', NODE_B)).toEqual(OK_REPLY);
    expect(myLine(h)).toBe(`${h.myId} :7000@17000 myself,master - 0 0 0 connected ${BAR_SLOT} [${BAR_SLOT}->-${NODE_B}]`);
  });

  it('IMPORTING needs a slot that is not mine and a known master', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTS', '1');
    const b = addMaster(h, NODE_B, 7001, [[6000, 6000]]);
    addReplica(h, NODE_R, b, 7002);
    expect(h.c.call('CLUSTER', 'SETSLOT', '1', 'importing', NODE_B)).toEqual(errorReply("ERR I'm already the owner of hash slot 1"));
    expect(h.c.call('CLUSTER', 'SETSLOT', '6000', 'importing', 'abc')).toEqual(errorReply("ERR I don't know about node abc"));
    expect(h.c.call('CLUSTER', 'SETSLOT', '6000', 'importing', NODE_R)).toEqual(errorReply('ERR Target node is not a master'));
    expect(h.c.call('CLUSTER', 'SETSLOT', '6000', 'IMPORTING', NODE_B)).toEqual(OK_REPLY);
    expect(myLine(h)).toBe(`${h.myId} :7000@17000 myself,master - 0 0 0 connected 1 [6000-<-${NODE_B}]`);
  });

  it('STABLE clears both migrating and importing states', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTS', '1');
    addMaster(h, NODE_B, 7001, [[2, 2]]);
    h.c.call('CLUSTER', 'SETSLOT', '1', 'migrating', NODE_B);
    h.c.call('CLUSTER', 'SETSLOT', '2', 'importing', NODE_B);
    expect(myLine(h)).toMatch(/ connected 1 \[1->-b0b0\w+\] \[2-<-b0b0\w+\]$/);
    expect(h.c.call('CLUSTER', 'SETSLOT', '1', 'STABLE')).toEqual(OK_REPLY);
    expect(h.c.call('CLUSTER', 'SETSLOT', '2', 'stable')).toEqual(OK_REPLY);
    expect(myLine(h)).toMatch(/ connected 1$/);
  });

  it('NODE refuses unknown nodes, replicas, and giving away a slot that still holds keys', () => {
    const h = servingAll();
    const b = addMaster(h, NODE_B, 7001);
    addReplica(h, NODE_R, b, 7002);
    h.c.call('SET', B_KEY, '1');
    expect(h.c.call('CLUSTER', 'SETSLOT', '1', 'node', 'abc')).toEqual(errorReply('ERR Unknown node abc'));
    expect(h.c.call('CLUSTER', 'SETSLOT', '1', 'node', NODE_R)).toEqual(errorReply('ERR Target node is not a master'));
    expect(h.c.call('CLUSTER', 'SETSLOT', '3300', 'node', NODE_B)).toEqual(
      errorReply("ERR Can't assign hashslot 3300 to a different node while I still hold keys for this hash slot."),
    );
  });

  it('NODE gives a slot to another master, ending a migration of a slot with no keys left', () => {
    const h = servingAll();
    addMaster(h, NODE_B, 7001);
    h.c.call('CLUSTER', 'SETSLOT', String(BAR_SLOT), 'migrating', NODE_B);
    expect(h.c.call('CLUSTER', 'SETSLOT', String(BAR_SLOT), 'node', NODE_B)).toEqual(OK_REPLY);
    expect(myLine(h)).toMatch(/ connected 0-5060 5062-16383$/);
    expect(nodesLines(h)).toContain(`${NODE_B} 127.0.0.1:7001@17001 master - 0 0 0 disconnected ${BAR_SLOT}`);
    expect(h.c.call('GET', BAR)).toEqual(errorReply(`MOVED ${BAR_SLOT} 127.0.0.1:7001`));
  });

  it('NODE of an imported slot to myself takes it and bumps my config epoch', () => {
    const h = clusterHarness();
    addMaster(h, NODE_B, 7001, [[6000, 6000]], 3);
    h.c.call('CLUSTER', 'SETSLOT', '6000', 'importing', NODE_B);
    expect(h.c.call('CLUSTER', 'SETSLOT', '6000', 'node', h.myId)).toEqual(OK_REPLY);
    expect(myLine(h)).toBe(`${h.myId} :7000@17000 myself,master - 0 0 4 connected 6000`);
    expect(infoField(h, 'cluster_current_epoch')).toBe('4');
    expect(infoField(h, 'cluster_my_epoch')).toBe('4');
  });

  it('NODE giving away my last slot makes me a replica of the new owner', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTS', '0', '1');
    addMaster(h, NODE_B, 7001);
    expect(h.c.call('CLUSTER', 'SETSLOT', '0', 'node', NODE_B)).toEqual(OK_REPLY);
    expect(myLine(h)).toMatch(/ myself,master - 0 0 0 connected 1$/);
    expect(h.c.call('CLUSTER', 'SETSLOT', '1', 'node', NODE_B)).toEqual(OK_REPLY);
    expect(myLine(h)).toBe(`${h.myId} :7000@17000 myself,slave ${NODE_B} 0 0 0 connected`);
  });

  it('a replica refuses SETSLOT before looking at its arguments', () => {
    const h = clusterHarness();
    addMaster(h, NODE_B, 7001, [[0, CLUSTER_SLOTS - 1]]);
    expect(h.c.call('CLUSTER', 'REPLICATE', NODE_B)).toEqual(OK_REPLY);
    expect(h.c.call('CLUSTER', 'SETSLOT', '1', 'stable')).toEqual(errorReply('ERR Please use SETSLOT only with masters.'));
    expect(h.c.call('CLUSTER', 'SETSLOT', 'x', 'stable')).toEqual(errorReply('ERR Please use SETSLOT only with masters.'));
  });

  it('a node still in handshake is not a replica, so it is a valid target', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTS', '5');
    h.c.call('CLUSTER', 'MEET', '127.0.0.1', '1', '2');
    const hs = nodesLines(h).find((l) => l.includes(' handshake '))!.split(' ')[0];
    expect(h.c.call('CLUSTER', 'SETSLOT', '5', 'migrating', hs)).toEqual(OK_REPLY);
    expect(h.c.call('CLUSTER', 'SETSLOT', '6', 'importing', hs)).toEqual(OK_REPLY);
    expect(h.c.call('CLUSTER', 'REPLICAS', hs)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Nodes: MEET, FORGET, REPLICATE, REPLICAS, COUNT-FAILURE-REPORTS, FAILOVER
// ---------------------------------------------------------------------------------------------------------------

describe('CLUSTER MEET', () => {
  it('starts a handshake shown in CLUSTER NODES, bus port defaulting to port + 10000', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'MEET', '127.0.0.1', '7001')).toEqual(OK_REPLY);
    expect(h.c.call('CLUSTER', 'MEET', '::1', '7002', '7777')).toEqual(OK_REPLY);
    const others = nodesLines(h).filter((l) => !l.includes('myself'));
    expect(others).toHaveLength(2);
    expect(others.some((l) => /^[0-9a-f]{40} 127\.0\.0\.1:7001@17001 handshake - 0 0 0 disconnected$/.test(l))).toBe(true);
    expect(others.some((l) => /^[0-9a-f]{40} ::1:7002@7777 handshake - 0 0 0 disconnected$/.test(l))).toBe(true);
  });

  it('meeting an address already in handshake is accepted once more without a second node', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'MEET', '127.0.0.1', '7001');
    expect(h.c.call('CLUSTER', 'MEET', '127.0.0.1', '7001')).toEqual(OK_REPLY);
    expect(nodesLines(h)).toHaveLength(2);
  });

  it('refuses ports that are not integers', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'MEET', '127.0.0.1', 'x')).toEqual(errorReply('ERR Invalid TCP base port specified: x'));
    expect(h.c.call('CLUSTER', 'MEET', '127.0.0.1', '7003.5')).toEqual(errorReply('ERR Invalid TCP base port specified: 7003.5'));
    expect(h.c.call('CLUSTER', 'MEET', '127.0.0.1', '+7004')).toEqual(errorReply('ERR Invalid TCP base port specified: +7004'));
    expect(h.c.call('CLUSTER', 'MEET', '127.0.0.1', '1', 'x')).toEqual(errorReply('ERR Invalid TCP bus port specified: x'));
  });

  it('refuses ports with leading zeros', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'MEET', '127.0.0.1', '07002')).toEqual(errorReply('ERR Invalid TCP base port specified: 07002'));
    expect(h.c.call('CLUSTER', 'MEET', '127.0.0.1', '7000', '07001')).toEqual(errorReply('ERR Invalid TCP bus port specified: 07001'));
  });

  it.each([
    ['foo', '7000'],
    ['256.0.0.1', '7000'],
    ['1.2.3', '7000'],
    ['1.2.3.4.5', '7000'],
    ['127.0.0.1', '0'],
    ['127.0.0.1', '70000'],
    ['127.0.0.1', '-5'],
    ['127.0.0.1', '60000'], // its bus port would be 70000
  ])('refuses the address %s:%s', (ip, port) => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'MEET', ip, port)).toEqual(errorReply(`ERR Invalid node address specified: ${ip}:${port}`));
  });

  it('refuses an invalid bus port, naming the client port', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'MEET', '127.0.0.1', '1', '0')).toEqual(errorReply('ERR Invalid node address specified: 127.0.0.1:1'));
    expect(h.c.call('CLUSTER', 'MEET', '127.0.0.1', '1', '70000')).toEqual(errorReply('ERR Invalid node address specified: 127.0.0.1:1'));
  });

  it.each([['1:2'], [':::'], ['12345::1'], ['1::2::3'], ['1:2:3:4:5:6:7:8:9'], ['fe80::1%lo'], ['01.2.3.4']])(
    'refuses %s, which inet_pton does not accept',
    (ip) => {
      const h = clusterHarness();
      expect(h.c.call('CLUSTER', 'MEET', ip, '7000')).toEqual(errorReply(`ERR Invalid node address specified: ${ip}:7000`));
    },
  );

  it('accepts full and IPv4-mapped IPv6 addresses', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'MEET', '1:2:3:4:5:6:7:8', '7000')).toEqual(OK_REPLY);
    expect(h.c.call('CLUSTER', 'MEET', '::ffff:1.2.3.4', '7000')).toEqual(OK_REPLY);
    const lines = nodesLines(h);
    expect(lines.some((l) => l.includes(' 1:2:3:4:5:6:7:8:7000@17000 handshake '))).toBe(true);
    expect(lines.some((l) => l.includes(' ::ffff:1.2.3.4:7000@17000 handshake '))).toBe(true);
  });

  it('stores the address in its normal form (inet_ntop of inet_pton)', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'MEET', '::0001', '7005')).toEqual(OK_REPLY);
    expect(nodesLines(h).some((l) => l.includes(' ::1:7005@17005 handshake '))).toBe(true);
  });
});

describe('CLUSTER FORGET', () => {
  it('refuses unknown nodes and myself', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'FORGET', 'abc')).toEqual(errorReply('ERR Unknown node abc'));
    expect(h.c.call('CLUSTER', 'FORGET', h.myId)).toEqual(errorReply("ERR I tried hard but I can't forget myself..."));
  });

  it('removes a node and leaves its slots unassigned', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTSRANGE', 0, 11999);
    addMaster(h, NODE_B, 7001, [[12000, 16383]]);
    ready(h);
    expect(h.c.call('GET', FOO)).toEqual(errorReply(`MOVED ${FOO_SLOT} 127.0.0.1:7001`));
    expect(h.c.call('CLUSTER', 'FORGET', NODE_B)).toEqual(OK_REPLY);
    expect(nodesLines(h)).toEqual([`${h.myId} :7000@17000 myself,master - 0 0 0 connected 0-11999`]);
    expect(h.c.call('GET', FOO)).toEqual(NOT_SERVED);
    expect(h.c.call('CLUSTER', 'COUNT-FAILURE-REPORTS', NODE_B)).toEqual(errorReply(`ERR Unknown node ${NODE_B}`));
    expect(h.saved[h.saved.length - 1]).not.toContain(NODE_B);
  });

  it('a replica cannot forget its master', () => {
    const h = clusterHarness();
    addMaster(h, NODE_B, 7001, [[0, CLUSTER_SLOTS - 1]]);
    h.c.call('CLUSTER', 'REPLICATE', NODE_B);
    expect(h.c.call('CLUSTER', 'FORGET', NODE_B)).toEqual(errorReply("ERR Can't forget my master!"));
  });
});

describe('CLUSTER REPLICATE', () => {
  it('refuses unknown nodes, myself and replicas', () => {
    const h = clusterHarness();
    const b = addMaster(h, NODE_B, 7001, [[0, 100]]);
    addReplica(h, NODE_R, b, 7002);
    expect(h.c.call('CLUSTER', 'REPLICATE', 'abc')).toEqual(errorReply('ERR Unknown node abc'));
    expect(h.c.call('CLUSTER', 'REPLICATE', h.myId)).toEqual(errorReply("ERR Can't replicate myself"));
    expect(h.c.call('CLUSTER', 'REPLICATE', NODE_R)).toEqual(errorReply('ERR I can only replicate a master, not a replica.'));
  });

  it('a master must have neither slots nor keys', () => {
    const h = servingAll();
    addMaster(h, NODE_B, 7001);
    const mustBeEmpty = errorReply('ERR To set a master the node must be empty and without assigned slots.');
    expect(h.c.call('CLUSTER', 'REPLICATE', NODE_B)).toEqual(mustBeEmpty);
    h.c.call('SET', BAR, '1');
    h.c.call('CLUSTER', 'DELSLOTSRANGE', 0, CLUSTER_SLOTS - 1);
    expect(h.c.call('CLUSTER', 'REPLICATE', NODE_B)).toEqual(mustBeEmpty);
  });

  it('an empty master becomes a replica that reports its master and its epoch', () => {
    const h = clusterHarness();
    addMaster(h, NODE_B, 7001, [[0, CLUSTER_SLOTS - 1]], 3);
    expect(h.c.call('CLUSTER', 'REPLICATE', NODE_B)).toEqual(OK_REPLY);
    expect(myLine(h)).toBe(`${h.myId} :7000@17000 myself,slave ${NODE_B} 0 0 3 connected`);
    expect(h.c.call('CLUSTER', 'REPLICAS', NODE_B)).toEqual([`${h.myId} :7000@17000 myself,slave ${NODE_B} 0 0 3 connected`]);
    expect(infoField(h, 'cluster_my_epoch')).toBe('3');
    expect(h.saved[h.saved.length - 1]).toContain(`myself,slave ${NODE_B}`);
  });
});

describe('CLUSTER REPLICAS / SLAVES', () => {
  it('list the replicas of a master as CLUSTER NODES lines', () => {
    const h = clusterHarness();
    const b = addMaster(h, NODE_B, 7001, [[0, 100]]);
    expect(h.c.call('CLUSTER', 'REPLICAS', NODE_B)).toEqual([]);
    expect(h.c.call('CLUSTER', 'REPLICAS', h.myId)).toEqual([]);
    addReplica(h, NODE_R, b, 7002);
    const line = `${NODE_R} 127.0.0.1:7002@17002 slave ${NODE_B} 0 0 0 disconnected`;
    expect(h.c.call('CLUSTER', 'REPLICAS', NODE_B)).toEqual([line]);
    expect(h.c.call('CLUSTER', 'SLAVES', NODE_B)).toEqual([line]);
  });

  it('refuse unknown nodes and replicas', () => {
    const h = clusterHarness();
    const b = addMaster(h, NODE_B, 7001);
    addReplica(h, NODE_R, b, 7002);
    expect(h.c.call('CLUSTER', 'REPLICAS', 'abc')).toEqual(errorReply('ERR Unknown node abc'));
    expect(h.c.call('CLUSTER', 'SLAVES', 'abc')).toEqual(errorReply('ERR Unknown node abc'));
    expect(h.c.call('CLUSTER', 'REPLICAS', NODE_R)).toEqual(errorReply('ERR The specified node is not a master'));
    expect(h.c.call('CLUSTER', 'SLAVES', NODE_R)).toEqual(errorReply('ERR The specified node is not a master'));
  });
});

describe('CLUSTER COUNT-FAILURE-REPORTS', () => {
  it('counts the reports of the last 2 * cluster-node-timeout', () => {
    const h = clusterHarness({ config: { 'cluster-node-timeout': '1000' } });
    const b = addMaster(h, NODE_B, 7001, [[0, 100]]);
    addMaster(h, NODE_C, 7002, [[101, 200]]);
    expect(h.c.call('CLUSTER', 'COUNT-FAILURE-REPORTS', 'abc')).toEqual(errorReply('ERR Unknown node abc'));
    expect(h.c.call('CLUSTER', 'COUNT-FAILURE-REPORTS', NODE_B)).toBe(0);
    expect(h.c.call('CLUSTER', 'COUNT-FAILURE-REPORTS', h.myId)).toBe(0);
    b.failReports.set(NODE_C, h.clock.now);
    expect(h.c.call('CLUSTER', 'COUNT-FAILURE-REPORTS', NODE_B)).toBe(1);
    h.clock.advance(2001);
    expect(h.c.call('CLUSTER', 'COUNT-FAILURE-REPORTS', NODE_B)).toBe(0);
  });
});

describe('CLUSTER FAILOVER', () => {
  it('is for replicas only, after its option is parsed', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'FAILOVER', 'bogus')).toEqual(errorReply('ERR syntax error'));
    expect(h.c.call('CLUSTER', 'FAILOVER')).toEqual(errorReply('ERR You should send CLUSTER FAILOVER to a replica'));
    expect(h.c.call('CLUSTER', 'FAILOVER', 'force')).toEqual(errorReply('ERR You should send CLUSTER FAILOVER to a replica'));
  });

  it('a replica whose master has no link must FORCE', () => {
    const h = clusterHarness();
    addMaster(h, NODE_B, 7001, [[0, CLUSTER_SLOTS - 1]]);
    h.c.call('CLUSTER', 'REPLICATE', NODE_B);
    expect(h.c.call('CLUSTER', 'FAILOVER')).toEqual(errorReply('ERR Master is down or failed, please use CLUSTER FAILOVER FORCE'));
    expect(h.c.call('CLUSTER', 'FAILOVER', 'FORCE')).toEqual(OK_REPLY);
  });

  it('a replica that does not know its master says so', () => {
    const h = clusterHarness();
    const me = h.cluster.myself;
    me.flags = (me.flags & ~NodeFlag.MASTER) | NodeFlag.SLAVE;
    me.replicaOf = NODE_C;
    expect(h.c.call('CLUSTER', 'FAILOVER')).toEqual(errorReply("ERR I'm a replica but my master is unknown to me"));
  });

  it('TAKEOVER makes the replica the master of its master slots with a new epoch', () => {
    const h = clusterHarness();
    addMaster(h, NODE_B, 7001, [[0, CLUSTER_SLOTS - 1]], 3);
    h.c.call('CLUSTER', 'REPLICATE', NODE_B);
    expect(h.c.call('CLUSTER', 'FAILOVER', 'TAKEOVER')).toEqual(OK_REPLY);
    expect(myLine(h)).toBe(`${h.myId} :7000@17000 myself,master - 0 0 4 connected 0-16383`);
    expect(nodesLines(h)).toContain(`${NODE_B} 127.0.0.1:7001@17001 master - 0 0 3 disconnected`);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Keys in slots
// ---------------------------------------------------------------------------------------------------------------

describe('CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT', () => {
  it('COUNTKEYSINSLOT counts the keys of a slot and validates it', () => {
    const h = servingAll();
    h.c.call('MSET', BAR, '1', BAR_X, '2');
    h.c.call('SET', FOO, '3');
    expect(h.c.call('CLUSTER', 'COUNTKEYSINSLOT', String(BAR_SLOT))).toBe(2);
    expect(h.c.call('CLUSTER', 'COUNTKEYSINSLOT', String(FOO_SLOT))).toBe(1);
    expect(h.c.call('CLUSTER', 'COUNTKEYSINSLOT', '1')).toBe(0);
    expect(h.c.call('CLUSTER', 'COUNTKEYSINSLOT', '-1')).toEqual(errorReply('ERR Invalid slot'));
    expect(h.c.call('CLUSTER', 'COUNTKEYSINSLOT', '16384')).toEqual(errorReply('ERR Invalid slot'));
    expect(h.c.call('CLUSTER', 'COUNTKEYSINSLOT', 'x')).toEqual(NOT_INTEGER);
    expect(h.c.call('CLUSTER', 'COUNTKEYSINSLOT', '01')).toEqual(NOT_INTEGER);
  });

  it('GETKEYSINSLOT validates the slot and the count', () => {
    const h = servingAll();
    const bad = errorReply('ERR Invalid slot or number of keys');
    expect(h.c.call('CLUSTER', 'GETKEYSINSLOT', '1', '1')).toEqual([]);
    expect(h.c.call('CLUSTER', 'GETKEYSINSLOT', '1', '-1')).toEqual(bad);
    expect(h.c.call('CLUSTER', 'GETKEYSINSLOT', '16384', '1')).toEqual(bad);
    expect(h.c.call('CLUSTER', 'GETKEYSINSLOT', '-1', '1')).toEqual(bad);
    expect(h.c.call('CLUSTER', 'GETKEYSINSLOT', 'x', '1')).toEqual(NOT_INTEGER);
    expect(h.c.call('CLUSTER', 'GETKEYSINSLOT', '1', 'x')).toEqual(NOT_INTEGER);
  });

  it('GETKEYSINSLOT returns at most count keys of the slot', () => {
    const h = servingAll();
    h.c.call('SET', FOO, '1');
    h.c.call('SET', 'other', '1');
    expect(h.c.call('CLUSTER', 'GETKEYSINSLOT', String(FOO_SLOT), '10')).toEqual([FOO]);
    expect(h.c.call('CLUSTER', 'GETKEYSINSLOT', String(FOO_SLOT), '0')).toEqual([]);
  });

  it('GETKEYSINSLOT lists the most recently added key first', () => {
    const h = servingAll();
    for (const k of ['{s}a', '{s}b', '{s}c']) h.c.call('SET', k, '1');
    const slot = String(keyHashSlot('{s}a'));
    expect(h.c.call('CLUSTER', 'GETKEYSINSLOT', slot, '10')).toEqual(['{s}c', '{s}b', '{s}a']);
    expect(h.c.call('CLUSTER', 'GETKEYSINSLOT', slot, '2')).toEqual(['{s}c', '{s}b']);
    h.c.call('DEL', '{s}b');
    h.c.call('SET', '{s}b', '2');
    expect(h.c.call('CLUSTER', 'GETKEYSINSLOT', slot, '10')).toEqual(['{s}b', '{s}c', '{s}a']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Epochs, RESET, SAVECONFIG
// ---------------------------------------------------------------------------------------------------------------

describe('CLUSTER SET-CONFIG-EPOCH / BUMPEPOCH', () => {
  it('BUMPEPOCH takes a new epoch unless mine is already the greatest', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'BUMPEPOCH')).toEqual(new SimpleString('BUMPED 1'));
    expect(h.c.call('CLUSTER', 'BUMPEPOCH')).toEqual(new SimpleString('STILL 1'));
    addMaster(h, NODE_B, 7001, [[0, 10]], 5);
    expect(h.c.call('CLUSTER', 'BUMPEPOCH')).toEqual(new SimpleString('BUMPED 6'));
    expect(infoField(h, 'cluster_current_epoch')).toBe('6');
  });

  it('SET-CONFIG-EPOCH sets the epoch of a fresh node once', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'SET-CONFIG-EPOCH', 'x')).toEqual(NOT_INTEGER);
    expect(h.c.call('CLUSTER', 'SET-CONFIG-EPOCH', '01')).toEqual(NOT_INTEGER);
    expect(h.c.call('CLUSTER', 'SET-CONFIG-EPOCH', '-1')).toEqual(errorReply('ERR Invalid config epoch specified: -1'));
    expect(h.c.call('CLUSTER', 'SET-CONFIG-EPOCH', '5')).toEqual(OK_REPLY);
    expect(infoField(h, 'cluster_current_epoch')).toBe('5');
    expect(infoField(h, 'cluster_my_epoch')).toBe('5');
    expect(myLine(h)).toBe(`${h.myId} :7000@17000 myself,master - 0 0 5 connected`);
    expect(h.c.call('CLUSTER', 'BUMPEPOCH')).toEqual(new SimpleString('STILL 5'));
    expect(h.c.call('CLUSTER', 'SET-CONFIG-EPOCH', '6')).toEqual(errorReply('ERR Node config epoch is already non-zero'));
  });

  it('SET-CONFIG-EPOCH 0 is accepted and leaves the epoch at zero', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'SET-CONFIG-EPOCH', '0')).toEqual(OK_REPLY);
    expect(h.c.call('CLUSTER', 'BUMPEPOCH')).toEqual(new SimpleString('BUMPED 1'));
  });

  it('SET-CONFIG-EPOCH refuses an epoch beyond 2^53 (Redis takes 64 bits; we would lose precision) and takes 2^53 - 1', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'SET-CONFIG-EPOCH', '9223372036854775807')).toEqual(
      errorReply('ERR Invalid config epoch specified: 9223372036854775807'),
    );
    expect(h.c.call('CLUSTER', 'SET-CONFIG-EPOCH', '9007199254740991')).toEqual(OK_REPLY);
    expect(infoField(h, 'cluster_my_epoch')).toBe('9007199254740991');
    expect(h.c.call('CLUSTER', 'BUMPEPOCH')).toEqual(new SimpleString('STILL 9007199254740991'));
  });

  it('SET-CONFIG-EPOCH is refused once another node is known', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'MEET', '127.0.0.1', '7001');
    expect(h.c.call('CLUSTER', 'SET-CONFIG-EPOCH', '3')).toEqual(
      errorReply('ERR The user can assign a config epoch only when the node does not know any other node.'),
    );
  });
});

describe('CLUSTER RESET', () => {
  it('refuses an unknown mode', () => {
    const h = clusterHarness();
    expect(h.c.call('CLUSTER', 'RESET', 'foo')).toEqual(errorReply('ERR syntax error'));
  });

  it('refuses on a master holding keys, whatever the mode', () => {
    const h = servingAll();
    h.c.call('SET', FOO, '1');
    const err = errorReply("ERR CLUSTER RESET can't be called with master nodes containing keys");
    expect(h.c.call('CLUSTER', 'RESET')).toEqual(err);
    expect(h.c.call('CLUSTER', 'RESET', 'soft')).toEqual(err);
    expect(h.c.call('CLUSTER', 'RESET', 'HARD')).toEqual(err);
  });

  it('SOFT forgets other nodes and slots but keeps my name and epochs', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'SET-CONFIG-EPOCH', '5');
    h.c.call('CLUSTER', 'ADDSLOTSRANGE', 0, 100);
    addMaster(h, NODE_B, 7001, [[101, 200]]);
    h.c.call('CLUSTER', 'SETSLOT', '0', 'migrating', NODE_B);
    expect(h.c.call('CLUSTER', 'RESET', 'SOFT')).toEqual(OK_REPLY);
    expect(h.c.call('CLUSTER', 'NODES')).toBe(`${h.myId} :7000@17000 myself,master - 0 0 5 connected\n`);
    expect(infoField(h, 'cluster_current_epoch')).toBe('5');
    expect(infoField(h, 'cluster_known_nodes')).toBe('1');
  });

  it('without a mode it is a soft reset', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'SET-CONFIG-EPOCH', '5');
    expect(h.c.call('CLUSTER', 'RESET')).toEqual(OK_REPLY);
    expect(h.c.call('CLUSTER', 'MYID')).toBe(h.myId);
    expect(infoField(h, 'cluster_my_epoch')).toBe('5');
  });

  it('HARD also takes a new name and sets the epochs back to 0', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'SET-CONFIG-EPOCH', '5');
    h.c.call('CLUSTER', 'ADDSLOTS', '1');
    expect(h.c.call('CLUSTER', 'RESET', 'hard')).toEqual(OK_REPLY);
    const id = h.c.call('CLUSTER', 'MYID') as string;
    expect(id).toMatch(/^[0-9a-f]{40}$/);
    expect(id).not.toBe(h.myId);
    expect(h.c.call('CLUSTER', 'NODES')).toBe(`${id} :7000@17000 myself,master - 0 0 0 connected\n`);
    expect(infoField(h, 'cluster_current_epoch')).toBe('0');
    expect(h.saved[h.saved.length - 1]).toContain(id);
  });

  it('a replica holding keys may reset: it becomes a master and its dataset is flushed', () => {
    const h = servingAll();
    h.c.call('SET', BAR, '1');
    // Make myself a replica of B by hand, keeping the keys (as a replica synced from B would hold them).
    const b = addMaster(h, NODE_B, 7001);
    for (let s = 0; s < CLUSTER_SLOTS; s++) h.cluster.state.assignSlot(s, b);
    h.cluster.setMyselfReplicaOf(b);
    expect(h.c.call('DBSIZE')).toBe(1);
    expect(h.c.call('CLUSTER', 'RESET')).toEqual(OK_REPLY);
    expect(myLine(h)).toBe(`${h.myId} :7000@17000 myself,master - 0 0 0 connected`);
    expect(h.c.call('DBSIZE')).toBe(0);
  });
});

describe('CLUSTER SAVECONFIG and nodes.conf', () => {
  it('SAVECONFIG writes nodes.conf', () => {
    const h = servingAll();
    const before = h.saved.length;
    expect(h.c.call('CLUSTER', 'SAVECONFIG')).toEqual(OK_REPLY);
    expect(h.saved.length).toBe(before + 1);
    expect(h.saved[before]).toBe(`${h.myId} :7000@17000 myself,master - 0 0 0 connected 0-16383\nvars currentEpoch 0 lastVoteEpoch 0\n`);
  });

  it('SAVECONFIG reports why the file could not be written', () => {
    const h = clusterHarness();
    h.io.saveError = 'No such file or directory';
    expect(h.c.call('CLUSTER', 'SAVECONFIG')).toEqual(errorReply('ERR error saving the cluster node config: No such file or directory'));
  });

  it('the saved text reads back to the same node name, slots and peers', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTSRANGE', 0, 11999);
    h.c.call('CLUSTER', 'SET-CONFIG-EPOCH', '2');
    addMaster(h, NODE_B, 7001, [[12000, 16383]], 1);
    h.c.call('CLUSTER', 'SAVECONFIG');
    const text = h.saved[h.saved.length - 1];
    const state = parseNodesConfig(text, h.clock.now);
    expect(state.myself.name).toBe(h.myId);
    expect(state.slotRangesOf(state.myself)).toEqual([[0, 11999]]);
    expect(state.currentEpoch).toBe(2);
    const b = state.nodes.get(NODE_B)!;
    expect([b.ip, b.port, b.cport, b.configEpoch]).toEqual(['127.0.0.1', 7001, 17001, 1]);
    expect(state.slotRangesOf(b)).toEqual([[12000, 16383]]);
  });

  it('a node started from that nodes.conf is the same node with the same slots', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTSRANGE', 0, 11999);
    h.c.call('CLUSTER', 'SETSLOT', '100', 'migrating', h.myId);
    addMaster(h, NODE_B, 7001, [[12000, 16383]]);
    h.c.call('CLUSTER', 'SAVECONFIG');
    const restarted = clusterHarness({ load: h.saved[h.saved.length - 1] });
    expect(restarted.c.call('CLUSTER', 'MYID')).toBe(h.myId);
    expect(restarted.myId).toBe(h.myId);
    expect(myLine(restarted)).toBe(`${h.myId} :7000@17000 myself,master - 0 0 0 connected 0-11999 [100->-${h.myId}]`);
    expect(nodesLines(restarted)).toContain(`${NODE_B} 127.0.0.1:7001@17001 master - 0 0 0 disconnected 12000-16383`);
    ready(restarted);
    expect(restarted.c.call('GET', FOO)).toEqual(errorReply(`MOVED ${FOO_SLOT} 127.0.0.1:7001`));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------------------------------

describe('routing: slots served here, unassigned, or by another node', () => {
  it('a key in an unassigned slot is not served', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTSRANGE', 0, 100);
    ready(h);
    expect(h.c.call('GET', FOO)).toEqual(NOT_SERVED);
    expect(h.c.call('SET', FOO, '1')).toEqual(NOT_SERVED);
  });

  it('commands run once every slot is mine and the start-up delay is over', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTSRANGE', 0, CLUSTER_SLOTS - 1);
    expect(h.c.call('GET', FOO)).toEqual(DOWN);
    ready(h);
    expect(h.c.call('SET', FOO, '1')).toEqual(OK_REPLY);
    expect(h.c.call('GET', FOO)).toBe('1');
    expect(h.c.call('MSET', BAR, '1', BAR_X, '2')).toEqual(OK_REPLY);
    expect(h.c.call('MGET', BAR, BAR_X)).toEqual(['1', '2']);
  });

  it('a master that was in a minority waits the rejoin delay before serving newly covered slots', () => {
    const h = clusterHarness();
    // Past the start-up delay with no slots at all: a minority of zero reachable masters.
    h.clock.advance(2_500);
    h.cluster.updateState();
    h.c.call('CLUSTER', 'ADDSLOTSRANGE', 0, CLUSTER_SLOTS - 1);
    // The rejoin delay is cluster-node-timeout (15 s) capped at 5 s.
    expect(h.c.call('GET', FOO)).toEqual(DOWN);
    h.clock.advance(4_000);
    h.cluster.updateState();
    expect(h.c.call('GET', FOO)).toEqual(DOWN);
    h.clock.advance(1_100);
    h.cluster.updateState();
    expect(h.c.call('GET', FOO)).toBeNull();
  });

  it('keys of two slots are CROSSSLOT, whoever serves them', () => {
    const h = servingAll();
    expect(h.c.call('MSET', BAR, '1', B_KEY, '2')).toEqual(CROSSSLOT);
    expect(h.c.call('MSET', BAR, '1', FOO, '2')).toEqual(CROSSSLOT);
    expect(h.c.call('MGET', FOO, 'a')).toEqual(CROSSSLOT);
    expect(h.c.call('DEL', BAR, FOO)).toEqual(CROSSSLOT);
    expect(h.c.call('DBSIZE')).toBe(0);
  });

  it('a slot of another node is MOVED there, for reads and writes', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTSRANGE', 0, 11999);
    addMaster(h, NODE_B, 7001, [[12000, 16383]]);
    ready(h);
    expect(h.c.call('GET', FOO)).toEqual(errorReply(`MOVED ${FOO_SLOT} 127.0.0.1:7001`));
    expect(h.c.call('SET', FOO, '1')).toEqual(errorReply(`MOVED ${FOO_SLOT} 127.0.0.1:7001`));
    expect(h.c.call('EXISTS', FOO)).toEqual(errorReply(`MOVED ${FOO_SLOT} 127.0.0.1:7001`));
    expect(h.c.call('MOVE', FOO, '1')).toEqual(errorReply(`MOVED ${FOO_SLOT} 127.0.0.1:7001`));
    expect(h.c.call('GET', BAR)).toBeNull();
    expect(h.c.call('DBSIZE')).toBe(0);
  });

  it('keyless commands are never redirected, even with every slot elsewhere or the cluster down', () => {
    const h = clusterHarness();
    addMaster(h, NODE_B, 7001, [[0, CLUSTER_SLOTS - 1]]);
    ready(h);
    expect(h.c.call('PING')).toEqual(new SimpleString('PONG'));
    expect(h.c.call('DBSIZE')).toBe(0);
    h.cluster.state.removeNode(h.cluster.state.nodes.get(NODE_B)!);
    h.cluster.updateState();
    expect(infoField(h, 'cluster_state')).toBe('fail');
    expect(h.c.call('PING')).toEqual(new SimpleString('PONG'));
    expect(h.c.call('DBSIZE')).toBe(0);
    expect(h.c.call('ECHO', 'hi')).toBe('hi');
  });
});

describe('routing: transactions', () => {
  it('EXEC of commands on two slots is CROSSSLOT and the transaction is gone', () => {
    const h = servingAll();
    expect(h.c.call('MULTI')).toEqual(OK_REPLY);
    expect(h.c.call('SET', BAR, '1')).toEqual(new SimpleString('QUEUED'));
    expect(h.c.call('SET', B_KEY, '2')).toEqual(new SimpleString('QUEUED'));
    expect(h.c.call('EXEC')).toEqual(CROSSSLOT);
    expect(h.c.call('EXEC')).toEqual(errorReply('ERR EXEC without MULTI'));
    expect(h.c.call('DBSIZE')).toBe(0);
    expect(h.propagated).toEqual([]);
  });

  it('a read-only transaction over two slots is CROSSSLOT as well', () => {
    const h = servingAll();
    h.c.call('MULTI');
    h.c.call('GET', BAR);
    h.c.call('GET', B_KEY);
    expect(h.c.call('EXEC')).toEqual(CROSSSLOT);
    expect(h.c.call('EXEC')).toEqual(errorReply('ERR EXEC without MULTI'));
  });

  it('the CROSSSLOT EXEC also drops the WATCHed keys', () => {
    const h = servingAll();
    const other = h.client();
    h.c.call('WATCH', BAR);
    h.c.call('MULTI');
    h.c.call('SET', BAR, '1');
    h.c.call('SET', B_KEY, '2');
    expect(h.c.call('EXEC')).toEqual(CROSSSLOT);
    other.call('SET', BAR, '9');
    h.c.call('MULTI');
    h.c.call('SET', BAR, '7');
    expect(h.c.call('EXEC')).toEqual([OK_REPLY]);
    expect(h.c.call('GET', BAR)).toBe('7');
  });

  it('a queued command on another node slot is MOVED at once and dooms the transaction', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTSRANGE', 0, 11999);
    addMaster(h, NODE_B, 7001, [[12000, 16383]]);
    ready(h);
    h.c.call('MULTI');
    expect(h.c.call('SET', BAR, '1')).toEqual(new SimpleString('QUEUED'));
    expect(h.c.call('SET', FOO, '2')).toEqual(errorReply(`MOVED ${FOO_SLOT} 127.0.0.1:7001`));
    expect(h.c.call('EXEC')).toEqual(EXECABORT);
    expect(h.c.call('GET', BAR)).toBeNull();
  });

  it('EXEC is MOVED when its slot moved after queueing, and the transaction is gone', () => {
    const h = servingAll();
    const b = addMaster(h, NODE_B, 7001);
    h.c.call('MULTI');
    expect(h.c.call('SET', 'key2', '1')).toEqual(new SimpleString('QUEUED'));
    h.cluster.state.assignSlot(keyHashSlot('key2'), b);
    expect(h.c.call('EXEC')).toEqual(errorReply(`MOVED ${keyHashSlot('key2')} 127.0.0.1:7001`));
    expect(h.c.call('EXEC')).toEqual(errorReply('ERR EXEC without MULTI'));
  });
});

describe('routing: migrating and importing slots', () => {
  /** I own every slot; BAR's slot is migrating to B. */
  function migrating() {
    const h = servingAll();
    addMaster(h, NODE_B, 7001);
    h.c.call('SET', BAR, '1');
    expect(h.c.call('CLUSTER', 'SETSLOT', String(BAR_SLOT), 'MIGRATING', NODE_B)).toEqual(OK_REPLY);
    return h;
  }

  /** B owns every slot but those I own (none); I import BAR's slot from B. */
  function importing() {
    const h = clusterHarness();
    addMaster(h, NODE_B, 7001, [[0, CLUSTER_SLOTS - 1]]);
    expect(h.c.call('CLUSTER', 'SETSLOT', String(BAR_SLOT), 'IMPORTING', NODE_B)).toEqual(OK_REPLY);
    ready(h);
    return h;
  }

  const ASK = errorReply(`ASK ${BAR_SLOT} 127.0.0.1:7001`);
  const MOVED_BAR = errorReply(`MOVED ${BAR_SLOT} 127.0.0.1:7001`);

  it('migrating: an existing key is served here', () => {
    const h = migrating();
    expect(h.c.call('GET', BAR)).toBe('1');
    expect(h.c.call('SET', BAR, '2')).toEqual(OK_REPLY);
    expect(h.c.call('MGET', BAR, BAR)).toEqual(['2', '2']);
  });

  it('migrating: a missing key is ASKed to the target, for reads and writes', () => {
    const h = migrating();
    expect(h.c.call('GET', BAR_X)).toEqual(ASK);
    expect(h.c.call('SET', BAR_X, '1')).toEqual(ASK);
    expect(h.c.call('DEL', BAR_X)).toEqual(ASK);
    expect(h.c.call('EXISTS', BAR_X)).toEqual(ASK);
    expect(h.c.call('MGET', BAR_X, BAR_Y)).toEqual(ASK);
  });

  it('migrating: a multi-key command with some keys missing gets TRYAGAIN', () => {
    const h = migrating();
    expect(h.c.call('MGET', BAR, BAR_X)).toEqual(TRYAGAIN);
    expect(h.c.call('DEL', BAR, BAR_X)).toEqual(TRYAGAIN);
    expect(h.c.call('MSET', BAR, '1', BAR_X, '2')).toEqual(TRYAGAIN);
  });

  it('migrating: an expired key counts as missing', () => {
    const h = migrating();
    h.c.call('CLUSTER', 'SETSLOT', String(BAR_SLOT), 'STABLE');
    h.c.call('SET', BAR_X, 'v', 'PX', '100');
    h.c.call('CLUSTER', 'SETSLOT', String(BAR_SLOT), 'MIGRATING', NODE_B);
    expect(h.c.call('GET', BAR_X)).toBe('v');
    h.clock.advance(200);
    expect(h.c.call('GET', BAR_X)).toEqual(ASK);
  });

  it('importing: without ASKING the client is MOVED to the owner', () => {
    const h = importing();
    expect(h.c.call('GET', BAR_X)).toEqual(MOVED_BAR);
    expect(h.c.call('SET', BAR_X, '1')).toEqual(MOVED_BAR);
  });

  it('importing: ASKING lets exactly the next command run here', () => {
    const h = importing();
    expect(h.c.call('ASKING')).toEqual(OK_REPLY);
    expect(h.c.call('SET', BAR_X, '1')).toEqual(OK_REPLY);
    expect(h.c.call('GET', BAR_X)).toEqual(MOVED_BAR);
    h.c.call('ASKING');
    expect(h.c.call('GET', BAR_X)).toBe('1');
    h.c.call('ASKING');
    expect(h.c.call('PING')).toEqual(new SimpleString('PONG'));
    expect(h.c.call('GET', BAR_X)).toEqual(MOVED_BAR);
  });

  it('importing: ASKING with several keys of which some are missing gets TRYAGAIN', () => {
    const h = importing();
    h.c.call('ASKING');
    h.c.call('SET', BAR_X, '1');
    h.c.call('ASKING');
    expect(h.c.call('MGET', BAR_X, BAR_Y)).toEqual(TRYAGAIN);
    h.c.call('ASKING');
    expect(h.c.call('MGET', BAR_X, BAR_X)).toEqual(['1', '1']);
    h.c.call('ASKING');
    h.c.call('SET', BAR_Y, '2');
    h.c.call('ASKING');
    expect(h.c.call('MGET', BAR_X, BAR_Y)).toEqual(['1', '2']);
  });

  it('importing: an unknown command after ASKING uses it up', () => {
    const h = importing();
    h.c.call('ASKING');
    expect(h.c.call('FOOBAR')).toEqual(errorReply("ERR unknown command 'FOOBAR', with args beginning with: "));
    expect(h.c.call('GET', BAR_X)).toEqual(MOVED_BAR);
  });

  it('importing: a command with a wrong arity after ASKING uses it up', () => {
    const h = importing();
    h.c.call('ASKING');
    expect(h.c.call('GET')).toEqual(errorReply("ERR wrong number of arguments for 'get' command"));
    expect(h.c.call('GET', BAR_X)).toEqual(MOVED_BAR);
  });

  it('importing: ASKING with a wrong arity keeps an earlier ASKING', () => {
    const h = importing();
    h.c.call('ASKING');
    expect(h.c.call('ASKING', 'x')).toEqual(errorReply("ERR wrong number of arguments for 'asking' command"));
    expect(h.c.call('GET', BAR_X)).toBeNull();
  });

  it('importing: ASKING before MULTI holds for the whole transaction', () => {
    const h = importing();
    h.c.call('ASKING');
    expect(h.c.call('MULTI')).toEqual(OK_REPLY);
    expect(h.c.call('GET', BAR_X)).toEqual(new SimpleString('QUEUED'));
    expect(h.c.call('SET', BAR_X, '5')).toEqual(new SimpleString('QUEUED'));
    expect(h.c.call('EXEC')).toEqual([null, OK_REPLY]);
    expect(h.c.call('GET', BAR_X)).toEqual(MOVED_BAR);
  });

  it('importing: ASKING queued inside MULTI does not apply to the queued commands', () => {
    const h = importing();
    h.c.call('MULTI');
    expect(h.c.call('ASKING')).toEqual(new SimpleString('QUEUED'));
    expect(h.c.call('GET', BAR_X)).toEqual(MOVED_BAR);
    expect(h.c.call('EXEC')).toEqual(EXECABORT);
  });

  it('ASKING does not help for a slot that is not being imported', () => {
    const h = importing();
    h.c.call('ASKING');
    expect(h.c.call('GET', FOO)).toEqual(errorReply(`MOVED ${FOO_SLOT} 127.0.0.1:7001`));
  });
});

describe('routing: READONLY on a replica', () => {
  /** I am a replica of B, which owns 0-11999 (and C the rest), and I hold B's data. */
  function replica() {
    const h = servingAll();
    h.c.call('SET', BAR, '1');
    const b = addMaster(h, NODE_B, 7001, [[0, 11999]]);
    addMaster(h, NODE_C, 7002, [[12000, 16383]]);
    h.cluster.setMyselfReplicaOf(b);
    h.cluster.updateState();
    expect(myLine(h)).toBe(`${h.myId} :7000@17000 myself,slave ${NODE_B} 0 0 0 connected`);
    return h;
  }

  const MOVED_BAR = errorReply(`MOVED ${BAR_SLOT} 127.0.0.1:7001`);

  it('without READONLY even reads are MOVED to the master', () => {
    const h = replica();
    expect(h.c.call('GET', BAR)).toEqual(MOVED_BAR);
  });

  it('READONLY serves reads of my master slots and still redirects writes', () => {
    const h = replica();
    expect(h.c.call('READONLY')).toEqual(OK_REPLY);
    expect(h.c.call('GET', BAR)).toBe('1');
    expect(h.c.call('MGET', BAR, BAR)).toEqual(['1', '1']);
    expect(h.c.call('SET', BAR, '2')).toEqual(MOVED_BAR);
    expect(h.c.call('GET', FOO)).toEqual(errorReply(`MOVED ${FOO_SLOT} 127.0.0.1:7002`));
  });

  it('READONLY: a read-only transaction runs, a write in it is MOVED at queue time', () => {
    const h = replica();
    h.c.call('READONLY');
    h.c.call('MULTI');
    h.c.call('GET', BAR);
    expect(h.c.call('EXEC')).toEqual(['1']);
    h.c.call('MULTI');
    expect(h.c.call('GET', BAR)).toEqual(new SimpleString('QUEUED'));
    expect(h.c.call('SET', BAR, '3')).toEqual(MOVED_BAR);
    expect(h.c.call('EXEC')).toEqual(EXECABORT);
  });

  it('READWRITE turns READONLY off', () => {
    const h = replica();
    h.c.call('READONLY');
    expect(h.c.call('READWRITE')).toEqual(OK_REPLY);
    expect(h.c.call('GET', BAR)).toEqual(MOVED_BAR);
  });

  it('READONLY is per connection', () => {
    const h = replica();
    h.c.call('READONLY');
    expect(h.client().call('GET', BAR)).toEqual(MOVED_BAR);
  });
});

describe('routing: cluster down', () => {
  /** I serve 0-16000; 16001-16383 are unassigned, so the cluster is down. */
  function down(config: Record<string, string> = {}) {
    const h = clusterHarness({ config });
    h.c.call('CLUSTER', 'ADDSLOTSRANGE', 0, 16000);
    ready(h);
    expect(infoField(h, 'cluster_state')).toBe('fail');
    return h;
  }

  it('keys of served slots get CLUSTERDOWN, keys of unassigned slots are not served', () => {
    const h = down();
    expect(h.c.call('GET', LOW_KEY)).toEqual(DOWN);
    expect(h.c.call('SET', LOW_KEY, '1')).toEqual(DOWN);
    expect(h.c.call('GET', X_KEY)).toEqual(NOT_SERVED);
    expect(h.c.call('MGET', LOW_KEY, FOO)).toEqual(CROSSSLOT);
  });

  it('cluster-allow-reads-when-down yes: reads run, writes are refused', () => {
    const h = down();
    expect(h.c.call('CONFIG', 'SET', 'cluster-allow-reads-when-down', 'yes')).toEqual(OK_REPLY);
    expect(h.c.call('GET', LOW_KEY)).toBeNull();
    expect(h.c.call('EXISTS', LOW_KEY)).toBe(0);
    expect(h.c.call('MGET', LOW_KEY, `{${LOW_KEY}}a`)).toEqual([null, null]);
    expect(h.c.call('SET', LOW_KEY, '1')).toEqual(DOWN_READS_ONLY);
    expect(h.c.call('GET', X_KEY)).toEqual(NOT_SERVED);
    h.c.call('MULTI');
    expect(h.c.call('GET', LOW_KEY)).toEqual(new SimpleString('QUEUED'));
    expect(h.c.call('SET', LOW_KEY, '2')).toEqual(DOWN_READS_ONLY);
    expect(h.c.call('EXEC')).toEqual(EXECABORT);
    h.c.call('MULTI');
    h.c.call('GET', LOW_KEY);
    expect(h.c.call('EXEC')).toEqual([null]);
  });

  it('a master flagged FAIL leaves its slots uncovered: the cluster is down', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTSRANGE', 0, 16000);
    const b = addMaster(h, NODE_B, 7001, [[16001, 16383]]);
    addMaster(h, NODE_C, 7002, [[16001, 16001]]);
    b.flags |= NodeFlag.FAIL;
    ready(h);
    expect(infoField(h, 'cluster_state')).toBe('fail');
    expect(h.c.call('GET', LOW_KEY)).toEqual(DOWN);
    expect(h.c.call('GET', X_KEY)).toEqual(DOWN);
  });

  it('cluster-require-full-coverage no: partial coverage is enough', () => {
    const h = down();
    h.c.call('CONFIG', 'SET', 'cluster-require-full-coverage', 'no');
    h.cluster.updateState();
    expect(infoField(h, 'cluster_state')).toBe('ok');
    expect(h.c.call('SET', LOW_KEY, '1')).toEqual(OK_REPLY);
    expect(h.c.call('GET', X_KEY)).toEqual(NOT_SERVED);
  });
});

describe('commands refused in cluster mode', () => {
  it('SELECT of a database other than 0', () => {
    const h = servingAll();
    expect(h.c.call('SELECT', '0')).toEqual(OK_REPLY);
    expect(h.c.call('SELECT', '1')).toEqual(errorReply('ERR SELECT is not allowed in cluster mode'));
    expect(h.c.call('SELECT', '16')).toEqual(errorReply('ERR SELECT is not allowed in cluster mode'));
    expect(h.c.call('SELECT', '-1')).toEqual(errorReply('ERR SELECT is not allowed in cluster mode'));
    expect(h.c.call('SELECT', 'x')).toEqual(NOT_INTEGER);
  });

  it('SELECT of an index that is not a strict integer is a parse error, even if it reads as 0', () => {
    const h = servingAll();
    expect(h.c.call('SELECT', '00')).toEqual(NOT_INTEGER);
    expect(h.c.call('SELECT', '-0')).toEqual(NOT_INTEGER);
  });

  it('SELECT of an index that is not a strict integer is a parse error, not a cluster refusal', () => {
    const h = servingAll();
    expect(h.c.call('SELECT', '01')).toEqual(NOT_INTEGER);
  });

  it('SWAPDB, MOVE of a key served here, REPLICAOF and SLAVEOF', () => {
    const h = servingAll();
    h.c.call('SET', BAR, '1');
    expect(h.c.call('SWAPDB', '0', '1')).toEqual(errorReply('ERR SWAPDB is not allowed in cluster mode'));
    expect(h.c.call('SWAPDB', '0', '0')).toEqual(errorReply('ERR SWAPDB is not allowed in cluster mode'));
    expect(h.c.call('SWAPDB', 'x', 'y')).toEqual(errorReply('ERR SWAPDB is not allowed in cluster mode'));
    expect(h.c.call('MOVE', BAR, '1')).toEqual(errorReply('ERR MOVE is not allowed in cluster mode'));
    expect(h.c.call('MOVE', BAR, '0')).toEqual(errorReply('ERR MOVE is not allowed in cluster mode'));
    expect(h.c.call('REPLICAOF', 'NO', 'ONE')).toEqual(errorReply('ERR REPLICAOF not allowed in cluster mode.'));
    expect(h.c.call('SLAVEOF', '127.0.0.1', '1')).toEqual(errorReply('ERR REPLICAOF not allowed in cluster mode.'));
    expect(h.c.call('GET', BAR)).toBe('1');
  });

  it('MOVE of a key in an unassigned slot is not served', () => {
    const h = clusterHarness();
    h.c.call('CLUSTER', 'ADDSLOTSRANGE', 0, 100);
    ready(h);
    expect(h.c.call('MOVE', FOO, '1')).toEqual(NOT_SERVED);
  });

  it('inside MULTI they are queued and fail at EXEC, not doom the transaction', () => {
    const h = servingAll();
    const queued = new SimpleString('QUEUED');
    h.c.call('MULTI');
    expect(h.c.call('SELECT', '1')).toEqual(queued);
    expect(h.c.call('SWAPDB', '0', '1')).toEqual(queued);
    expect(h.c.call('REPLICAOF', 'no', 'one')).toEqual(queued);
    expect(h.c.call('SET', BAR, '5')).toEqual(queued);
    expect(h.c.call('MOVE', BAR, '1')).toEqual(queued);
    expect(h.c.call('EXEC')).toEqual([
      errorReply('ERR SELECT is not allowed in cluster mode'),
      errorReply('ERR SWAPDB is not allowed in cluster mode'),
      errorReply('ERR REPLICAOF not allowed in cluster mode.'),
      OK_REPLY,
      errorReply('ERR MOVE is not allowed in cluster mode'),
    ]);
    expect(h.c.call('GET', BAR)).toBe('5');
  });
});

describe('PUBLISH in cluster mode', () => {
  it('is delivered locally and not written to the replication stream', () => {
    const h = servingAll();
    const sub = h.client();
    sub.call('SUBSCRIBE', 'ch');
    expect(h.c.call('PUBLISH', 'ch', 'm')).toBe(1);
    expect(sub.next()).toEqual(['message', 'ch', 'm']);
    expect(h.propagated).toEqual([]);
    h.c.call('SET', BAR, '1');
    expect(h.propagated).toEqual([
      ['SELECT', '0'],
      ['SET', BAR, '1'],
    ]);
  });

  it('without cluster mode the same PUBLISH is propagated', () => {
    const h = createHarness();
    h.client().call('PUBLISH', 'ch', 'm');
    expect(h.propagated).toEqual([
      ['SELECT', '0'],
      ['PUBLISH', 'ch', 'm'],
    ]);
  });
});
