import { describe, expect, it } from 'vitest';
import { bytesToBinary } from '../bytes.js';
import { encodeReply } from '../resp/encoder.js';
import { MapReply, type Reply } from '../resp/reply.js';
import {
  clusterInfoText,
  clusterNodeLine,
  clusterNodesText,
  clusterShardsReply,
  clusterSlotsReply,
  nodeFlagsText,
  type ClusterMessageCounters,
} from './cluster-format.js';
import { ClusterState, NodeFlag, newClusterNode, type ClusterNode } from './cluster-node.js';

/*
 * Expected texts and RESP bytes were captured from a redis-server 7.0.15 cluster of six nodes on 127.0.0.1
 * (masters 37001..37003, replicas 37004..37006), seen from 37001 (and from its replica 37004) after:
 * CLUSTER SETSLOT 100/101 MIGRATING <37002>, CLUSTER SETSLOT 6000 IMPORTING <37002> on 37001,
 * CONFIG SET cluster-announce-hostname host-two.example on 37002, and shutting 37006 down (FAIL).
 */
const N1 = 'e0a21bf8a2143270904eb9c4f7f5cba8571a9f0a'; // 127.0.0.1:37001, master 0-5460
const N2 = '70a7664e50a2a3e616deb1c1589cd17ca4c60505'; // 127.0.0.1:37002, master 5461-10922, hostname
const N3 = '307ea0aedc55c9ec591bb9cd2bb787d808353e1c'; // 127.0.0.1:37003, master 10923-16383
const N4 = 'a1bddfacf8a70f21b55cf6b44e9c63976e59214a'; // 127.0.0.1:37004, replica of N1
const N5 = '7bb4bf908f4e9a0ce27ddaa07af247d692a1b79a'; // 127.0.0.1:37005, replica of N2
const N6 = 'd159b93fac2a259a0b9715ee5415f6fdb88d9dda'; // 127.0.0.1:37006, replica of N3, FAIL

/** RESP lines joined with CRLF, each line terminated. */
function resp(...lines: string[]): string {
  return lines.map((l) => l + '\r\n').join('');
}

function encoded(reply: Reply, proto: 2 | 3): string {
  return bytesToBinary(encodeReply(reply, proto));
}

interface NodeSpec {
  name: string;
  port: number;
  flags: number;
  ip?: string;
  cport?: number;
  hostname?: string;
  replicaOf?: string;
  pingSent?: number;
  pongReceived?: number;
  configEpoch?: number;
  linkConnected?: boolean;
  replOffset?: number;
  slots?: Array<[number, number]>;
}

function makeNode(spec: NodeSpec): ClusterNode {
  const node = newClusterNode(spec.name, spec.flags, 0);
  node.ip = spec.ip ?? '127.0.0.1';
  node.port = spec.port;
  node.cport = spec.cport ?? (spec.port === 0 ? 0 : spec.port + 10000);
  node.hostname = spec.hostname ?? '';
  node.replicaOf = spec.replicaOf ?? null;
  node.pingSent = spec.pingSent ?? 0;
  node.pongReceived = spec.pongReceived ?? 0;
  node.configEpoch = spec.configEpoch ?? 0;
  node.linkConnected = spec.linkConnected ?? true;
  node.replOffset = spec.replOffset ?? 0;
  return node;
}

/** A cluster view: the first spec is myself; nodes keep the given order. */
function buildState(specs: NodeSpec[]): ClusterState {
  const nodes = specs.map(makeNode);
  const state = new ClusterState(nodes[0]);
  nodes.forEach((node, i) => {
    state.nodes.set(node.name, node);
    for (const [a, b] of specs[i].slots ?? []) for (let s = a; s <= b; s++) state.assignSlot(s, node);
  });
  return state;
}

const M = NodeFlag.MASTER;
const S = NodeFlag.SLAVE;
const ME = NodeFlag.MYSELF;

/** 37001's view (Redis's table order after myself: 37006, 37003, 37002, 37004, 37005). */
function view37001(): ClusterState {
  const state = buildState([
    {
      name: N1, port: 37001, flags: ME | M, pongReceived: 1795558216000, configEpoch: 1, replOffset: 168,
      slots: [[0, 5460]],
    },
    {
      name: N6, port: 37006, flags: S | NodeFlag.FAIL, replicaOf: N3, pingSent: 1795558126648,
      pongReceived: 1795558121625, configEpoch: 3, linkConnected: false, replOffset: 28,
    },
    {
      name: N3, port: 37003, flags: M, pongReceived: 1795558215000, configEpoch: 3, replOffset: 42,
      slots: [[10923, 16383]],
    },
    {
      name: N2, port: 37002, flags: M, hostname: 'host-two.example', pongReceived: 1795558215060, configEpoch: 2,
      replOffset: 168, slots: [[5461, 10922]],
    },
    // Replicas keep their own configEpoch at 0 here: CLUSTER NODES must print their master's.
    { name: N4, port: 37004, flags: S, replicaOf: N1, pongReceived: 1795558217000, replOffset: 168 },
    { name: N5, port: 37005, flags: S, replicaOf: N2, pongReceived: 1795558217067, replOffset: 168 },
  ]);
  const n2 = state.nodes.get(N2)!;
  state.migratingTo.set(100, n2);
  state.migratingTo.set(101, n2);
  state.importingFrom.set(6000, n2);
  state.currentEpoch = 6;
  state.state = 'ok';
  return state;
}

/** 37004's view: myself is the replica of 37001. */
function view37004(): ClusterState {
  const state = buildState([
    { name: N4, port: 37004, flags: ME | S, replicaOf: N1, pongReceived: 1795558217000, replOffset: 168 },
    { name: N3, port: 37003, flags: M, pongReceived: 1795558216000, configEpoch: 3, slots: [[10923, 16383]] },
    {
      name: N2, port: 37002, flags: M, hostname: 'host-two.example', pongReceived: 1795558219075, configEpoch: 2,
      slots: [[5461, 10922]],
    },
    {
      name: N6, port: 37006, flags: S | NodeFlag.FAIL, replicaOf: N3, pingSent: 1795558123634,
      pongReceived: 1795558119000, linkConnected: false,
    },
    { name: N5, port: 37005, flags: S, replicaOf: N2, pongReceived: 1795558219000 },
    { name: N1, port: 37001, flags: M, pongReceived: 1795558218071, configEpoch: 1, slots: [[0, 5460]] },
  ]);
  state.currentEpoch = 6;
  state.state = 'ok';
  return state;
}

function counters(sent: Record<string, number>, received: Record<string, number>): ClusterMessageCounters {
  return { sent: new Map(Object.entries(sent)), received: new Map(Object.entries(received)) };
}


const SLOTS_RESP2 = resp(
  '*3', '*4', ':0', ':5460', '*4', '$9', '127.0.0.1', ':37001', '$40', 'e0a21bf8a2143270904eb9c4f7f5cba8571a9f0a',
  '*0', '*4', '$9', '127.0.0.1', ':37004', '$40', 'a1bddfacf8a70f21b55cf6b44e9c63976e59214a', '*0', '*4', ':5461',
  ':10922', '*4', '$9', '127.0.0.1', ':37002', '$40', '70a7664e50a2a3e616deb1c1589cd17ca4c60505', '*2', '$8',
  'hostname', '$16', 'host-two.example', '*4', '$9', '127.0.0.1', ':37005', '$40',
  '7bb4bf908f4e9a0ce27ddaa07af247d692a1b79a', '*0', '*3', ':10923', ':16383', '*4', '$9', '127.0.0.1', ':37003',
  '$40', '307ea0aedc55c9ec591bb9cd2bb787d808353e1c', '*0',
);
const SLOTS_RESP3 = resp(
  '*3', '*4', ':0', ':5460', '*4', '$9', '127.0.0.1', ':37001', '$40', 'e0a21bf8a2143270904eb9c4f7f5cba8571a9f0a',
  '%0', '*4', '$9', '127.0.0.1', ':37004', '$40', 'a1bddfacf8a70f21b55cf6b44e9c63976e59214a', '%0', '*4', ':5461',
  ':10922', '*4', '$9', '127.0.0.1', ':37002', '$40', '70a7664e50a2a3e616deb1c1589cd17ca4c60505', '%1', '$8',
  'hostname', '$16', 'host-two.example', '*4', '$9', '127.0.0.1', ':37005', '$40',
  '7bb4bf908f4e9a0ce27ddaa07af247d692a1b79a', '%0', '*3', ':10923', ':16383', '*4', '$9', '127.0.0.1', ':37003',
  '$40', '307ea0aedc55c9ec591bb9cd2bb787d808353e1c', '%0',
);
const SHARD_N3_RESP3 = resp(
  '%2', '$5', 'slots', '*2', ':10923', ':16383', '$5', 'nodes', '*2', '%7', '$2', 'id', '$40',
  '307ea0aedc55c9ec591bb9cd2bb787d808353e1c', '$4', 'port', ':37003', '$2', 'ip', '$9', '127.0.0.1', '$8',
  'endpoint', '$9', '127.0.0.1', '$4', 'role', '$6', 'master', '$18', 'replication-offset', ':42', '$6', 'health',
  '$6', 'online', '%7', '$2', 'id', '$40', 'd159b93fac2a259a0b9715ee5415f6fdb88d9dda', '$4', 'port', ':37006',
  '$2', 'ip', '$9', '127.0.0.1', '$8', 'endpoint', '$9', '127.0.0.1', '$4', 'role', '$7', 'replica', '$18',
  'replication-offset', ':28', '$6', 'health', '$4', 'fail',
);
const SHARD_N1_RESP3 = resp(
  '%2', '$5', 'slots', '*2', ':0', ':5460', '$5', 'nodes', '*2', '%7', '$2', 'id', '$40',
  'e0a21bf8a2143270904eb9c4f7f5cba8571a9f0a', '$4', 'port', ':37001', '$2', 'ip', '$9', '127.0.0.1', '$8',
  'endpoint', '$9', '127.0.0.1', '$4', 'role', '$6', 'master', '$18', 'replication-offset', ':168', '$6', 'health',
  '$6', 'online', '%7', '$2', 'id', '$40', 'a1bddfacf8a70f21b55cf6b44e9c63976e59214a', '$4', 'port', ':37004',
  '$2', 'ip', '$9', '127.0.0.1', '$8', 'endpoint', '$9', '127.0.0.1', '$4', 'role', '$7', 'replica', '$18',
  'replication-offset', ':168', '$6', 'health', '$6', 'online',
);
const SHARD_N2_RESP3 = resp(
  '%2', '$5', 'slots', '*2', ':5461', ':10922', '$5', 'nodes', '*2', '%8', '$2', 'id', '$40',
  '70a7664e50a2a3e616deb1c1589cd17ca4c60505', '$4', 'port', ':37002', '$2', 'ip', '$9', '127.0.0.1', '$8',
  'endpoint', '$9', '127.0.0.1', '$8', 'hostname', '$16', 'host-two.example', '$4', 'role', '$6', 'master', '$18',
  'replication-offset', ':168', '$6', 'health', '$6', 'online', '%7', '$2', 'id', '$40',
  '7bb4bf908f4e9a0ce27ddaa07af247d692a1b79a', '$4', 'port', ':37005', '$2', 'ip', '$9', '127.0.0.1', '$8',
  'endpoint', '$9', '127.0.0.1', '$4', 'role', '$7', 'replica', '$18', 'replication-offset', ':168', '$6',
  'health', '$6', 'online',
);
const SHARD_N3_RESP2 = resp(
  '*4', '$5', 'slots', '*2', ':10923', ':16383', '$5', 'nodes', '*2', '*14', '$2', 'id', '$40',
  '307ea0aedc55c9ec591bb9cd2bb787d808353e1c', '$4', 'port', ':37003', '$2', 'ip', '$9', '127.0.0.1', '$8',
  'endpoint', '$9', '127.0.0.1', '$4', 'role', '$6', 'master', '$18', 'replication-offset', ':42', '$6', 'health',
  '$6', 'online', '*14', '$2', 'id', '$40', 'd159b93fac2a259a0b9715ee5415f6fdb88d9dda', '$4', 'port', ':37006',
  '$2', 'ip', '$9', '127.0.0.1', '$8', 'endpoint', '$9', '127.0.0.1', '$4', 'role', '$7', 'replica', '$18',
  'replication-offset', ':28', '$6', 'health', '$4', 'fail',
);
const SHARD_N1_RESP2 = resp(
  '*4', '$5', 'slots', '*2', ':0', ':5460', '$5', 'nodes', '*2', '*14', '$2', 'id', '$40',
  'e0a21bf8a2143270904eb9c4f7f5cba8571a9f0a', '$4', 'port', ':37001', '$2', 'ip', '$9', '127.0.0.1', '$8',
  'endpoint', '$9', '127.0.0.1', '$4', 'role', '$6', 'master', '$18', 'replication-offset', ':168', '$6', 'health',
  '$6', 'online', '*14', '$2', 'id', '$40', 'a1bddfacf8a70f21b55cf6b44e9c63976e59214a', '$4', 'port', ':37004',
  '$2', 'ip', '$9', '127.0.0.1', '$8', 'endpoint', '$9', '127.0.0.1', '$4', 'role', '$7', 'replica', '$18',
  'replication-offset', ':168', '$6', 'health', '$6', 'online',
);
const SHARD_N2_RESP2 = resp(
  '*4', '$5', 'slots', '*2', ':5461', ':10922', '$5', 'nodes', '*2', '*16', '$2', 'id', '$40',
  '70a7664e50a2a3e616deb1c1589cd17ca4c60505', '$4', 'port', ':37002', '$2', 'ip', '$9', '127.0.0.1', '$8',
  'endpoint', '$9', '127.0.0.1', '$8', 'hostname', '$16', 'host-two.example', '$4', 'role', '$6', 'master', '$18',
  'replication-offset', ':168', '$6', 'health', '$6', 'online', '*14', '$2', 'id', '$40',
  '7bb4bf908f4e9a0ce27ddaa07af247d692a1b79a', '$4', 'port', ':37005', '$2', 'ip', '$9', '127.0.0.1', '$8',
  'endpoint', '$9', '127.0.0.1', '$4', 'role', '$7', 'replica', '$18', 'replication-offset', ':168', '$6',
  'health', '$6', 'online',
);

describe('nodeFlagsText', () => {
  const withFlags = (flags: number) => newClusterNode(N1, flags, 0);

  it('lists flags in Redis order, comma separated', () => {
    expect(nodeFlagsText(withFlags(ME | M))).toBe('myself,master');
    expect(nodeFlagsText(withFlags(ME | S))).toBe('myself,slave');
    expect(nodeFlagsText(withFlags(S | NodeFlag.FAIL))).toBe('slave,fail');
    expect(nodeFlagsText(withFlags(M | NodeFlag.PFAIL))).toBe('master,fail?');
    expect(nodeFlagsText(withFlags(NodeFlag.NOFAILOVER | S | NodeFlag.NOADDR))).toBe('slave,noaddr,nofailover');
  });

  it('prints "noflags" for a node without printable flags; MEET and MIGRATE_TO are never printed', () => {
    expect(nodeFlagsText(withFlags(0))).toBe('noflags');
    expect(nodeFlagsText(withFlags(NodeFlag.MEET | NodeFlag.MIGRATE_TO))).toBe('noflags');
    expect(nodeFlagsText(withFlags(NodeFlag.HANDSHAKE | NodeFlag.MEET))).toBe('handshake');
    expect(nodeFlagsText(withFlags(M | NodeFlag.MIGRATE_TO))).toBe('master');
  });
});

describe('CLUSTER NODES', () => {
  it("matches redis-server 7.0.15's output, myself first", () => {
    expect(clusterNodesText(view37001())).toBe(
      `${N1} 127.0.0.1:37001@47001 myself,master - 0 1795558216000 1 connected 0-5460 ` +
        `[100->-${N2}] [101->-${N2}] [6000-<-${N2}]\n` +
        `${N6} 127.0.0.1:37006@47006 slave,fail ${N3} 1795558126648 1795558121625 3 disconnected\n` +
        `${N3} 127.0.0.1:37003@47003 master - 0 1795558215000 3 connected 10923-16383\n` +
        `${N2} 127.0.0.1:37002@47002,host-two.example master - 0 1795558215060 2 connected 5461-10922\n` +
        `${N4} 127.0.0.1:37004@47004 slave ${N1} 0 1795558217000 1 connected\n` +
        `${N5} 127.0.0.1:37005@47005 slave ${N2} 0 1795558217067 2 connected\n`,
    );
  });

  it("matches a replica's view: myself,slave with its master's config epoch", () => {
    expect(clusterNodesText(view37004())).toBe(
      `${N4} 127.0.0.1:37004@47004 myself,slave ${N1} 0 1795558217000 1 connected\n` +
        `${N3} 127.0.0.1:37003@47003 master - 0 1795558216000 3 connected 10923-16383\n` +
        `${N2} 127.0.0.1:37002@47002,host-two.example master - 0 1795558219075 2 connected 5461-10922\n` +
        `${N6} 127.0.0.1:37006@47006 slave,fail ${N3} 1795558123634 1795558119000 3 disconnected\n` +
        `${N5} 127.0.0.1:37005@47005 slave ${N2} 0 1795558219000 2 connected\n` +
        `${N1} 127.0.0.1:37001@47001 master - 0 1795558218071 1 connected 0-5460\n`,
    );
  });

  it('prints a node without an address as ":0@0" and a fresh node as Redis does at startup', () => {
    const state = buildState([{ name: N1, port: 0, ip: '', flags: ME | M, linkConnected: false }]);
    // What redis-server 7.0.15 writes to nodes.conf right after its first start.
    expect(clusterNodeLine(state, state.myself)).toBe(`${N1} :0@0 myself,master - 0 0 0 connected`);
    const peer = makeNode({ name: N2, port: 0, ip: '', flags: M | NodeFlag.NOADDR, linkConnected: false });
    state.nodes.set(N2, peer);
    expect(clusterNodeLine(state, peer)).toBe(`${N2} :0@0 master,noaddr - 0 0 0 disconnected`);
  });

  it('prints a handshake node as Redis does after CLUSTER MEET to an unreachable address', () => {
    const state = view37001();
    const name = '579e8f7a834a3f909b66757386190112f935028a';
    const hs = makeNode({ name, port: 37999, flags: NodeFlag.HANDSHAKE | NodeFlag.MEET, linkConnected: false });
    state.nodes.set(hs.name, hs);
    expect(clusterNodeLine(state, hs)).toBe(`${name} 127.0.0.1:37999@47999 handshake - 0 0 0 disconnected`);
    expect(clusterNodesText(state).split('\n')).toContain(clusterNodeLine(state, hs));
  });

  it('writes single slots as "a" and ranges as "a-b", up to slot 16383', () => {
    const slots: Array<[number, number]> = [[0, 0], [2, 5], [7, 7], [16383, 16383]];
    const state = buildState([{ name: N1, port: 7000, flags: ME | M, slots }]);
    expect(clusterNodeLine(state, state.myself)).toBe(
      `${N1} 127.0.0.1:7000@17000 myself,master - 0 0 0 connected 0 2-5 7 16383`,
    );
  });

  it('prints "-" and the own epoch for a replica whose master is not in the table', () => {
    const state = buildState([
      { name: N1, port: 7000, flags: ME | M, configEpoch: 4 },
      { name: N4, port: 7003, flags: S, replicaOf: N3, configEpoch: 2 },
    ]);
    expect(clusterNodeLine(state, state.nodes.get(N4)!)).toBe(`${N4} 127.0.0.1:7003@17003 slave - 0 0 2 connected`);
  });

  it("lists migrations only on myself's line, in slot order, migrating before importing for one slot", () => {
    const state = buildState([
      { name: N1, port: 7000, flags: ME | M, slots: [[0, 10]] },
      { name: N2, port: 7001, flags: M, slots: [[11, 20]] },
      { name: N3, port: 7002, flags: M },
    ]);
    const n2 = state.nodes.get(N2)!;
    const n3 = state.nodes.get(N3)!;
    state.importingFrom.set(15, n2);
    state.migratingTo.set(3, n3);
    state.importingFrom.set(3, n2);
    state.migratingTo.set(1, n2);
    expect(clusterNodeLine(state, state.myself)).toBe(
      `${N1} 127.0.0.1:7000@17000 myself,master - 0 0 0 connected 0-10 [1->-${N2}] [3->-${N3}] [15-<-${N2}]`,
    );
    expect(clusterNodeLine(state, n2)).toBe(`${N2} 127.0.0.1:7001@17001 master - 0 0 0 connected 11-20`);
  });

  it('shows a plain client of a TLS cluster the plaintext port (pport) where a node has one', () => {
    const state = tlsView();
    expect(clusterNodesText(state, true)).toBe(
      `${N1} 127.0.0.1:6379@16380 myself,master - 0 0 0 connected 0-8191\n` +
        `${N2} 127.0.0.1:6479@16480 master - 0 0 0 connected 8192-16383\n` +
        `${N3} 127.0.0.1:6381@16381 slave ${N2} 0 0 0 connected\n`,
    );
    // nodes.conf and TLS clients get the TLS port.
    expect(clusterNodeLine(state, state.nodes.get(N2)!)).toBe(`${N2} 127.0.0.1:6480@16480 master - 0 0 0 connected 8192-16383`);
  });
});

/** A TLS cluster seen from N1: `port` is each node's TLS port, `pport` its plaintext one (N3 has none yet). */
function tlsView(): ClusterState {
  const state = buildState([
    { name: N1, port: 6380, flags: ME | M, slots: [[0, 8191]] },
    { name: N2, port: 6480, flags: M, slots: [[8192, 16383]] },
    { name: N3, port: 6381, flags: NodeFlag.SLAVE, replicaOf: N2, replOffset: 5 },
  ]);
  state.nodes.get(N1)!.pport = 6379;
  state.nodes.get(N2)!.pport = 6479;
  return state;
}

describe('CLUSTER SLOTS', () => {
  it('encodes exactly as redis-server 7.0.15 in RESP2 and RESP3 (hostname metadata, FAIL replica left out)', () => {
    const reply = clusterSlotsReply(view37001());
    expect(encoded(reply, 2)).toBe(SLOTS_RESP2);
    expect(encoded(reply, 3)).toBe(SLOTS_RESP3);
  });

  it('gives [start, end, [ip, port, id, {metadata}], ...replicas] per owner run', () => {
    expect(clusterSlotsReply(view37001())).toEqual([
      [0, 5460, ['127.0.0.1', 37001, N1, new MapReply([])], ['127.0.0.1', 37004, N4, new MapReply([])]],
      [
        5461,
        10922,
        ['127.0.0.1', 37002, N2, new MapReply([['hostname', 'host-two.example']])],
        ['127.0.0.1', 37005, N5, new MapReply([])],
      ],
      [10923, 16383, ['127.0.0.1', 37003, N3, new MapReply([])]],
    ]);
  });

  it('skips replicas that have not replicated anything yet (offset 0) but keeps PFAIL ones', () => {
    const state = buildState([
      { name: N1, port: 7000, flags: ME | M, slots: [[0, 1]] },
      { name: N4, port: 7003, flags: S, replicaOf: N1, replOffset: 0 },
      { name: N5, port: 7004, flags: S | NodeFlag.PFAIL, replicaOf: N1, replOffset: 10 },
    ]);
    expect(clusterSlotsReply(state)).toEqual([
      [0, 1, ['127.0.0.1', 7000, N1, new MapReply([])], ['127.0.0.1', 7004, N5, new MapReply([])]],
    ]);
  });

  it('splits an owner into several entries around gaps and other owners', () => {
    const state = buildState([
      { name: N1, port: 7000, flags: ME | M, slots: [[0, 9], [20, 29]] },
      { name: N2, port: 7001, flags: M, slots: [[10, 14]] },
    ]);
    const starts = (clusterSlotsReply(state) as Reply[][]).map((e) => [e[0], e[1], (e[2] as Reply[])[1]]);
    expect(starts).toEqual([[0, 9, 7000], [10, 14, 7001], [20, 29, 7000]]);
  });

  it('is an empty array when no slot is assigned', () => {
    expect(clusterSlotsReply(buildState([{ name: N1, port: 7000, flags: ME | M }]))).toEqual([]);
  });
});

describe('CLUSTER SHARDS', () => {
  it('encodes each shard exactly as redis-server 7.0.15 in RESP2 and RESP3 (one per master, table order)', () => {
    const reply = clusterShardsReply(view37001());
    // Our table order puts myself (37001) first; Redis's dict happened to list 37003 first.
    expect(encoded(reply, 3)).toBe('*3\r\n' + SHARD_N1_RESP3 + SHARD_N3_RESP3 + SHARD_N2_RESP3);
    expect(encoded(reply, 2)).toBe('*3\r\n' + SHARD_N1_RESP2 + SHARD_N3_RESP2 + SHARD_N2_RESP2);
  });

  it('lists a master without slots with an empty "slots" array, and a replica still loading', () => {
    const state = buildState([
      { name: N1, port: 7000, flags: ME | M, replOffset: 5, slots: [[0, 0], [5, 6]] },
      { name: N2, port: 7001, flags: M },
      { name: N4, port: 7003, flags: S, replicaOf: N2 },
    ]);
    const shards = clusterShardsReply(state) as MapReply[];
    expect(shards).toHaveLength(2);
    expect(shards[0].entries[0]).toEqual(['slots', [0, 0, 5, 6]]);
    expect(shards[1]).toEqual(
      new MapReply([
        ['slots', []],
        [
          'nodes',
          [
            new MapReply([
              ['id', N2], ['port', 7001], ['ip', '127.0.0.1'], ['endpoint', '127.0.0.1'], ['role', 'master'],
              ['replication-offset', 0], ['health', 'online'],
            ]),
            new MapReply([
              ['id', N4], ['port', 7003], ['ip', '127.0.0.1'], ['endpoint', '127.0.0.1'], ['role', 'replica'],
              ['replication-offset', 0], ['health', 'loading'],
            ]),
          ],
        ],
      ]),
    );
  });

  it('leaves out the port of a node without an address and skips non-master nodes', () => {
    const state = buildState([
      { name: N1, port: 0, ip: '', flags: ME | M },
      { name: N2, port: 7001, flags: NodeFlag.HANDSHAKE },
      { name: N3, port: 7002, flags: 0 },
    ]);
    expect(clusterShardsReply(state)).toEqual([
      new MapReply([
        ['slots', []],
        [
          'nodes',
          [
            new MapReply([
              ['id', N1], ['ip', ''], ['endpoint', ''], ['role', 'master'], ['replication-offset', 0],
              ['health', 'online'],
            ]),
          ],
        ],
      ]),
    ]);
  });
});

describe('TLS cluster ports', () => {
  it('CLUSTER SLOTS gives plain clients the plaintext ports, TLS clients the TLS ports', () => {
    const ports = (r: Reply) => (r as Reply[][]).map((range) => range.slice(2).map((n) => (n as Reply[])[1]));
    expect(ports(clusterSlotsReply(tlsView(), true))).toEqual([[6379], [6479, 6381]]);
    expect(ports(clusterSlotsReply(tlsView()))).toEqual([[6380], [6480, 6381]]);
  });

  it('CLUSTER SHARDS lists "port" (plaintext, when known) and "tls-port" with tls-cluster', () => {
    const shards = clusterShardsReply(tlsView(), true) as MapReply[];
    const nodes = shards.flatMap((sh) => sh.entries.find(([k]) => k === 'nodes')![1] as MapReply[]);
    const portFields = nodes.map((n) => n.entries.filter(([k]) => k === 'port' || k === 'tls-port'));
    expect(portFields).toEqual([
      [['port', 6379], ['tls-port', 6380]],
      [['port', 6479], ['tls-port', 6480]],
      [['tls-port', 6381]],
    ]);
  });
});

describe('CLUSTER INFO', () => {
  it("matches redis-server 7.0.15's text for a master", () => {
    const text = clusterInfoText(
      view37001(),
      counters({ ping: 129, pong: 128 }, { ping: 123, pong: 128, meet: 5, fail: 2 }),
    );
    expect(text).toBe(
      resp(
        'cluster_state:ok',
        'cluster_slots_assigned:16384',
        'cluster_slots_ok:16384',
        'cluster_slots_pfail:0',
        'cluster_slots_fail:0',
        'cluster_known_nodes:6',
        'cluster_size:3',
        'cluster_current_epoch:6',
        'cluster_my_epoch:1',
        'cluster_stats_messages_ping_sent:129',
        'cluster_stats_messages_pong_sent:128',
        'cluster_stats_messages_sent:257',
        'cluster_stats_messages_ping_received:123',
        'cluster_stats_messages_pong_received:128',
        'cluster_stats_messages_meet_received:5',
        'cluster_stats_messages_fail_received:2',
        'cluster_stats_messages_received:258',
        'total_cluster_links_buffer_limit_exceeded:0',
      ),
    );
  });

  it("matches redis-server 7.0.15's text for a replica: cluster_my_epoch is its master's epoch", () => {
    const text = clusterInfoText(
      view37004(),
      counters({ pong: 132, ping: 130, meet: 1 }, { ping: 132, pong: 130, fail: 2 }),
    );
    expect(text).toBe(
      resp(
        'cluster_state:ok',
        'cluster_slots_assigned:16384',
        'cluster_slots_ok:16384',
        'cluster_slots_pfail:0',
        'cluster_slots_fail:0',
        'cluster_known_nodes:6',
        'cluster_size:3',
        'cluster_current_epoch:6',
        'cluster_my_epoch:1',
        'cluster_stats_messages_ping_sent:130',
        'cluster_stats_messages_pong_sent:132',
        'cluster_stats_messages_meet_sent:1',
        'cluster_stats_messages_sent:263',
        'cluster_stats_messages_ping_received:132',
        'cluster_stats_messages_pong_received:130',
        'cluster_stats_messages_fail_received:2',
        'cluster_stats_messages_received:264',
        'total_cluster_links_buffer_limit_exceeded:0',
      ),
    );
  });

  it('matches a fresh node: fail state, no slots, zero totals only', () => {
    const state = buildState([{ name: N1, port: 7000, flags: ME | M }]);
    expect(clusterInfoText(state, counters({}, {}))).toBe(
      resp(
        'cluster_state:fail',
        'cluster_slots_assigned:0',
        'cluster_slots_ok:0',
        'cluster_slots_pfail:0',
        'cluster_slots_fail:0',
        'cluster_known_nodes:1',
        'cluster_size:0',
        'cluster_current_epoch:0',
        'cluster_my_epoch:0',
        'cluster_stats_messages_sent:0',
        'cluster_stats_messages_received:0',
        'total_cluster_links_buffer_limit_exceeded:0',
      ),
    );
  });

  it("counts slot health by the owner's flags and lists counters in Redis's type order", () => {
    const state = buildState([
      { name: N1, port: 7000, flags: ME | M, configEpoch: 7, slots: [[0, 99]] },
      { name: N2, port: 7001, flags: M | NodeFlag.PFAIL, slots: [[100, 109]] },
      { name: N3, port: 7002, flags: M | NodeFlag.FAIL, slots: [[110, 112]] },
      { name: N4, port: 7003, flags: M },
    ]);
    state.currentEpoch = 9;
    const all = ['publishshard', 'module', 'mfstart', 'update', 'auth-ack', 'auth-req'];
    all.push('publish', 'fail', 'meet', 'pong', 'ping');
    const sent = Object.fromEntries(all.map((t, i) => [t, i + 1]));
    const lines = clusterInfoText(state, counters({ ...sent, module: 0 }, { 'auth-req': 3 })).split('\r\n');
    expect(lines.slice(1, 9)).toEqual([
      'cluster_slots_assigned:113',
      'cluster_slots_ok:100',
      'cluster_slots_pfail:10',
      'cluster_slots_fail:3',
      'cluster_known_nodes:4',
      'cluster_size:3',
      'cluster_current_epoch:9',
      'cluster_my_epoch:7',
    ]);
    expect(lines.slice(9)).toEqual([
      'cluster_stats_messages_ping_sent:11',
      'cluster_stats_messages_pong_sent:10',
      'cluster_stats_messages_meet_sent:9',
      'cluster_stats_messages_fail_sent:8',
      'cluster_stats_messages_publish_sent:7',
      'cluster_stats_messages_auth-req_sent:6',
      'cluster_stats_messages_auth-ack_sent:5',
      'cluster_stats_messages_update_sent:4',
      'cluster_stats_messages_mfstart_sent:3',
      'cluster_stats_messages_publishshard_sent:1',
      'cluster_stats_messages_sent:64',
      'cluster_stats_messages_auth-req_received:3',
      'cluster_stats_messages_received:3',
      'total_cluster_links_buffer_limit_exceeded:0',
      '',
    ]);
  });
});
