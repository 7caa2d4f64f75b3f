import { describe, expect, it } from 'vitest';
import { clusterNodesText } from './cluster-format.js';
import { ClusterState, NodeFlag, bitmapHas, newClusterNode, type ClusterNode } from './cluster-node.js';
import { parseNodesConfig, serializeNodesConfig } from './nodes-config.js';

const N1 = 'e0a21bf8a2143270904eb9c4f7f5cba8571a9f0a';
const N2 = '70a7664e50a2a3e616deb1c1589cd17ca4c60505';
const N3 = '307ea0aedc55c9ec591bb9cd2bb787d808353e1c';
const N4 = 'a1bddfacf8a70f21b55cf6b44e9c63976e59214a';
const N5 = '7bb4bf908f4e9a0ce27ddaa07af247d692a1b79a';
const N6 = 'd159b93fac2a259a0b9715ee5415f6fdb88d9dda';

const NOW = 1_800_000_000_000;

/** nodes.conf written by redis-server 7.0.15 (port 37001, a master with open migrations), verbatim. */
const REDIS_CONF_MASTER =
  `${N6} 127.0.0.1:37006@47006 slave,fail ${N3} 1795558126648 1795558121625 3 disconnected\n` +
  `${N3} 127.0.0.1:37003@47003 master - 0 1795558225000 3 connected 10923-16383\n` +
  `${N1} 127.0.0.1:37001@47001 myself,master - 0 1795558225000 1 connected 0-5460 ` +
  `[100->-${N2}] [101->-${N2}] [6000-<-${N2}]\n` +
  `${N2} 127.0.0.1:37002@47002,host-two.example master - 0 1795558226000 2 connected 5461-10922\n` +
  `${N4} 127.0.0.1:37004@47004 slave ${N1} 0 1795558223000 1 connected\n` +
  `${N5} 127.0.0.1:37005@47005 slave ${N2} 0 1795558226102 2 connected\n` +
  'vars currentEpoch 6 lastVoteEpoch 0\n';

/** nodes.conf written by redis-server 7.0.15 on the replica 37004 (it had flagged 37006 noaddr), verbatim. */
const REDIS_CONF_REPLICA =
  `${N3} 127.0.0.1:37003@47003 master - 0 1795558337000 3 connected 10923-16383\n` +
  `${N2} 127.0.0.1:37002@47002,host-two.example master - 0 1795558341529 2 connected 5461-10922\n` +
  `${N4} 127.0.0.1:37004@47004 myself,slave ${N1} 0 1795558339000 1 connected\n` +
  `${N6} :0@0 slave,fail,noaddr ${N3} 1795558123634 1795558119000 3 disconnected\n` +
  `${N5} 127.0.0.1:37005@47005 slave ${N2} 0 1795558339523 2 connected\n` +
  `${N1} 127.0.0.1:37001@47001 master - 0 1795558340526 1 connected 0-5460\n` +
  'vars currentEpoch 6 lastVoteEpoch 0\n';

/** What redis-server 7.0.15 writes on its very first start. */
const REDIS_CONF_FRESH = `${N1} :0@0 myself,master - 0 0 0 connected\nvars currentEpoch 0 lastVoteEpoch 0\n`;

function node(state: ClusterState, name: string): ClusterNode {
  const n = state.nodes.get(name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}

describe('parseNodesConfig', () => {
  it("loads a master's nodes.conf written by redis-server 7.0.15", () => {
    const state = parseNodesConfig(REDIS_CONF_MASTER, NOW);
    expect(state.myself.name).toBe(N1);
    expect(state.myself.flags).toBe(NodeFlag.MYSELF | NodeFlag.MASTER | NodeFlag.MIGRATE_TO);
    expect([...state.nodes.keys()].sort()).toEqual([N1, N2, N3, N4, N5, N6].sort());
    expect(state.currentEpoch).toBe(6);
    expect(state.lastVoteEpoch).toBe(0);

    const n2 = node(state, N2);
    expect(n2).toMatchObject({ ip: '127.0.0.1', port: 37002, cport: 47002, hostname: 'host-two.example' });
    expect(n2.configEpoch).toBe(2);
    expect(state.slotRangesOf(state.myself)).toEqual([[0, 5460]]);
    expect(state.slotRangesOf(n2)).toEqual([[5461, 10922]]);
    expect(state.slotRangesOf(node(state, N3))).toEqual([[10923, 16383]]);
    expect(state.slotOwner[16383]).toBe(node(state, N3));
    expect(state.size).toBe(3);

    expect(state.migratingTo).toEqual(new Map([[100, n2], [101, n2]]));
    expect(state.importingFrom).toEqual(new Map([[6000, n2]]));

    const failed = node(state, N6);
    expect(failed.flags).toBe(NodeFlag.SLAVE | NodeFlag.FAIL);
    expect(failed.replicaOf).toBe(N3);
    expect(failed).toMatchObject({ failTime: NOW, pingSent: NOW, pongReceived: NOW, linkConnected: false });
    // A replica's own epoch is not trusted from the file: it reports its master's.
    expect(node(state, N4)).toMatchObject({ replicaOf: N1, configEpoch: 0, pingSent: 0, pongReceived: NOW });
    expect(node(state, N3).flags).toBe(NodeFlag.MASTER | NodeFlag.MIGRATE_TO);
    expect(state.state).toBe('fail');
  });

  it("reproduces Redis's lines (timestamps become load time) when written back", () => {
    const state = parseNodesConfig(REDIS_CONF_MASTER, NOW);
    expect(serializeNodesConfig(state)).toBe(
      `${N1} 127.0.0.1:37001@47001 myself,master - 0 ${NOW} 1 connected 0-5460 ` +
        `[100->-${N2}] [101->-${N2}] [6000-<-${N2}]\n` +
        `${N6} 127.0.0.1:37006@47006 slave,fail ${N3} ${NOW} ${NOW} 3 disconnected\n` +
        `${N3} 127.0.0.1:37003@47003 master - 0 ${NOW} 3 disconnected 10923-16383\n` +
        `${N2} 127.0.0.1:37002@47002,host-two.example master - 0 ${NOW} 2 disconnected 5461-10922\n` +
        `${N4} 127.0.0.1:37004@47004 slave ${N1} 0 ${NOW} 1 disconnected\n` +
        `${N5} 127.0.0.1:37005@47005 slave ${N2} 0 ${NOW} 2 disconnected\n` +
        'vars currentEpoch 6 lastVoteEpoch 0\n',
    );
  });

  it("loads a replica's nodes.conf, including a noaddr node written as ':0@0'", () => {
    const state = parseNodesConfig(REDIS_CONF_REPLICA, NOW);
    expect(state.myself.name).toBe(N4);
    expect(state.myself.flags).toBe(NodeFlag.MYSELF | NodeFlag.SLAVE);
    expect(state.myself.replicaOf).toBe(N1);
    expect(node(state, N6)).toMatchObject({ ip: '', port: 0, cport: 0 });
    expect(node(state, N6).flags).toBe(NodeFlag.SLAVE | NodeFlag.FAIL | NodeFlag.NOADDR);
    const lines = clusterNodesText(state).split('\n');
    expect(lines[0]).toBe(`${N4} 127.0.0.1:37004@47004 myself,slave ${N1} 0 ${NOW} 1 connected`);
    expect(lines).toContain(`${N6} :0@0 slave,fail,noaddr ${N3} ${NOW} ${NOW} 3 disconnected`);
  });

  it('loads the file of a freshly started node', () => {
    const state = parseNodesConfig(REDIS_CONF_FRESH, NOW);
    expect(state.nodes.size).toBe(1);
    expect(state.myself).toMatchObject({ name: N1, ip: '', port: 0, cport: 0, pingSent: 0, pongReceived: 0 });
    expect(serializeNodesConfig(state)).toBe(REDIS_CONF_FRESH);
  });

  it('defaults the bus port to port + 10000 for lines without "@cport" (pre-4.0 files)', () => {
    const state = parseNodesConfig(`${N1} 10.0.0.1:7000 myself,master - 0 0 0 connected 0-16383\n`, NOW);
    expect(state.myself).toMatchObject({ ip: '10.0.0.1', port: 7000, cport: 17000 });
  });

  it('keeps IPv6 addresses: the port follows the last colon', () => {
    const state = parseNodesConfig(`${N1} ::1:7000@17000 myself,master - 0 0 0 connected\n`, NOW);
    expect(state.myself).toMatchObject({ ip: '::1', port: 7000, cport: 17000 });
  });

  it('skips blank lines (padding of an interrupted rewrite) and tolerates CRLF and extra spaces', () => {
    const text =
      `\n\n${N1}  127.0.0.1:7000@17000\tmyself,master - 0 0 5 connected 1 3-4\r\n\n   \n` +
      'vars currentEpoch 7 lastVoteEpoch 3\r\n\n\n';
    const state = parseNodesConfig(text, NOW);
    expect(state.slotsOf(state.myself)).toEqual([1, 3, 4]);
    expect(state.myself.configEpoch).toBe(5);
    expect(state.currentEpoch).toBe(7);
    expect(state.lastVoteEpoch).toBe(3);
  });

  it('raises currentEpoch to the greatest config epoch and skips unknown vars', () => {
    const text =
      `${N1} 127.0.0.1:7000@17000 myself,master - 0 0 3 connected\n` +
      `${N2} 127.0.0.1:7001@17001 master - 0 0 12 connected\n` +
      'vars currentEpoch 4 someFutureVar 9 lastVoteEpoch 2\n';
    const state = parseNodesConfig(text, NOW);
    expect(state.currentEpoch).toBe(12);
    expect(state.lastVoteEpoch).toBe(2);
  });

  it('accepts flags in any case and "noflags"', () => {
    const text =
      `${N1} 127.0.0.1:7000@17000 MYSELF,Master - 0 0 0 connected\n` +
      `${N2} 127.0.0.1:7001@17001 noflags - 0 0 0 connected\n`;
    const state = parseNodesConfig(text, NOW);
    expect(state.myself.flags).toBe(NodeFlag.MYSELF | NodeFlag.MASTER);
    expect(node(state, N2).flags).toBe(0);
  });

  it('creates nodes referenced before their own line (as master or migration peer) without flags', () => {
    const text =
      `${N4} 127.0.0.1:7003@17003 slave ${N2} 0 0 0 connected\n` +
      `${N1} 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-9 [5->-${N3}]\n` +
      `${N2} 127.0.0.1:7001@17001 master - 0 0 2 connected 10-19\n`;
    const state = parseNodesConfig(text, NOW);
    expect(node(state, N2)).toMatchObject({ flags: NodeFlag.MASTER | NodeFlag.MIGRATE_TO, port: 7001, configEpoch: 2 });
    expect(node(state, N3)).toMatchObject({ flags: 0, ip: '', port: 0, ctime: NOW });
    expect(state.migratingTo.get(5)).toBe(node(state, N3));
    expect(state.replicasOf(node(state, N2))).toEqual([node(state, N4)]);
  });

  it('gives a slot claimed twice to the first node that claims it', () => {
    const text =
      `${N1} 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-10\n` +
      `${N2} 127.0.0.1:7001@17001 master - 0 0 2 connected 5-20\n`;
    const state = parseNodesConfig(text, NOW);
    expect(state.slotRangesOf(state.myself)).toEqual([[0, 10]]);
    expect(state.slotRangesOf(node(state, N2))).toEqual([[11, 20]]);
    expect(bitmapHas(node(state, N2).slots, 5)).toBe(false);
  });

  it('makes one node of repeated lines for the same id', () => {
    const text =
      `${N1} 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-1\n` +
      `${N2} 127.0.0.1:7001@17001 master - 0 0 2 connected 2\n` +
      `${N2} 127.0.0.2:7005@17005 fail? - 0 0 2 connected 3\n`;
    const state = parseNodesConfig(text, NOW);
    expect(state.nodes.size).toBe(2);
    expect(node(state, N2)).toMatchObject({ ip: '127.0.0.2', port: 7005, flags: NodeFlag.MASTER | NodeFlag.PFAIL });
    expect(state.slotsOf(node(state, N2))).toEqual([2, 3]);
  });

  describe('rejects a corrupt file with a message naming the problem and the line', () => {
    /** A config line of myself (N1 at 127.0.0.1:7000) from the flags column on. */
    const me = (rest: string) => `${N1} 127.0.0.1:7000@17000 ${rest}\n`;
    const good = me('myself,master - 0 0 0 connected');
    const cases: Array<[string, string, RegExp]> = [
      ['fewer than 8 fields', me('myself,master - 0 0 0'), /expected at least 8 fields, got 7 \(line 1: /],
      [
        'a node id that is not 40 [a-z0-9] characters',
        `${N1.slice(1)} 127.0.0.1:7000@17000 myself,master - 0 0 0 connected\n`,
        /invalid node id/,
      ],
      [
        'an upper-case node id',
        `${N1.toUpperCase()} 127.0.0.1:7000@17000 myself,master - 0 0 0 connected\n`,
        /invalid node id/,
      ],
      [
        'an address without a colon',
        `${N1} localhost myself,master - 0 0 0 connected\n`,
        /invalid address 'localhost'/,
      ],
      ['a non-numeric port', `${N1} 127.0.0.1:x@17000 myself,master - 0 0 0 connected\n`, /invalid port 'x'/],
      ['an unknown flag', me('myself,leader - 0 0 0 connected'), /unknown flag 'leader'/],
      ['a bad master id', me('myself,slave abc 0 0 0 connected'), /invalid master id 'abc'/],
      ['a non-numeric epoch', me('myself,master - 0 0 e connected'), /invalid config epoch 'e'/],
      ['a slot out of range', me('myself,master - 0 0 0 connected 0-16384'), /slot 16384 out of range/],
      ['a non-numeric slot', me('myself,master - 0 0 0 connected 1-x'), /invalid slot 'x'/],
      ['a reversed slot range', me('myself,master - 0 0 0 connected 9-2'), /invalid slot range '9-2'/],
      ['a malformed migration entry', me(`myself,master - 0 0 0 connected [5-${N2}]`), /invalid migration entry/],
      ['a migration to a bad id', me('myself,master - 0 0 0 connected [5->-abc]'), /invalid node id 'abc'/],
      ['an odd vars line', good + 'vars currentEpoch\n', /"vars" needs name value pairs \(line 2: vars currentEpoch\)/],
      ['a non-numeric vars value', good + 'vars currentEpoch x lastVoteEpoch 0\n', /invalid currentEpoch 'x'/],
      [
        'two myself nodes',
        good + `${N2} 127.0.0.1:7001@17001 myself,master - 0 0 0 connected\n`,
        /"myself" appears again.*\(line 2: /,
      ],
      ['no myself node', `${N2} 127.0.0.1:7001@17001 master - 0 0 0 connected\n`, /no node is flagged myself/],
      ['an empty file', '', /no node is flagged myself/],
    ];
    it.each(cases)('%s', (_what, text, message) => {
      expect(() => parseNodesConfig(text, NOW)).toThrow(message);
      expect(() => parseNodesConfig(text, NOW)).toThrow(/^Corrupted cluster config file: /);
    });
  });
});

describe('serializeNodesConfig', () => {
  function sampleState(): ClusterState {
    const me = newClusterNode(N1, NodeFlag.MYSELF | NodeFlag.MASTER, NOW);
    Object.assign(me, { ip: '10.0.0.1', port: 7000, cport: 17000, configEpoch: 3, pongReceived: NOW });
    const state = new ClusterState(me);
    const add = (name: string, flags: number, props: Partial<ClusterNode>): ClusterNode => {
      const n = newClusterNode(name, flags, NOW);
      Object.assign(n, props);
      state.nodes.set(name, n);
      return n;
    };
    const at = (ip: string, port: number) => ({ ip, port, cport: port + 10000 });
    const n2 = add(N2, NodeFlag.MASTER, { ...at('10.0.0.2', 7001), configEpoch: 5, hostname: 'b.example' });
    n2.linkConnected = true;
    add(N3, NodeFlag.MASTER | NodeFlag.PFAIL, { ...at('10.0.0.3', 7002), configEpoch: 4, pingSent: NOW });
    add(N4, NodeFlag.SLAVE | NodeFlag.NOFAILOVER, { ...at('10.0.0.4', 7003), replicaOf: N1, pongReceived: NOW });
    add(N5, NodeFlag.HANDSHAKE | NodeFlag.MEET, at('10.0.0.5', 7004));
    for (let s = 0; s < 100; s++) state.assignSlot(s, me);
    state.assignSlot(200, me);
    for (let s = 100; s < 200; s++) state.assignSlot(s, n2);
    for (let s = 201; s < 16384; s++) state.assignSlot(s, state.nodes.get(N3)!);
    state.migratingTo.set(50, n2);
    state.importingFrom.set(150, n2);
    state.currentEpoch = 9;
    state.lastVoteEpoch = 8;
    return state;
  }

  it('writes every node but handshake ones, myself first, then the vars line', () => {
    expect(serializeNodesConfig(sampleState())).toBe(
      `${N1} 10.0.0.1:7000@17000 myself,master - 0 ${NOW} 3 connected 0-99 200 [50->-${N2}] [150-<-${N2}]\n` +
        `${N2} 10.0.0.2:7001@17001,b.example master - 0 0 5 connected 100-199\n` +
        `${N3} 10.0.0.3:7002@17002 master,fail? - ${NOW} 0 4 disconnected 201-16383\n` +
        `${N4} 10.0.0.4:7003@17003 slave,nofailover ${N1} 0 ${NOW} 3 disconnected\n` +
        'vars currentEpoch 9 lastVoteEpoch 8\n',
    );
  });

  it('round-trips: serialize, parse, serialize gives the same file (timestamps at load time)', () => {
    const first = serializeNodesConfig(sampleState());
    const loaded = parseNodesConfig(first, NOW);
    expect(loaded.nodes.has(N5)).toBe(false);
    expect(loaded.slotRangesOf(loaded.myself)).toEqual([[0, 99], [200, 200]]);
    expect(loaded.migratingTo.get(50)?.name).toBe(N2);
    expect(loaded.importingFrom.get(150)?.name).toBe(N2);
    // Link states are not loaded: every peer starts disconnected until the bus reconnects.
    expect(serializeNodesConfig(loaded)).toBe(first.replace(' 5 connected', ' 5 disconnected'));
    const again = parseNodesConfig(serializeNodesConfig(loaded), NOW);
    expect(serializeNodesConfig(again)).toBe(serializeNodesConfig(loaded));
  });

  it('round-trips the real Redis files to a fixed point', () => {
    for (const text of [REDIS_CONF_MASTER, REDIS_CONF_REPLICA, REDIS_CONF_FRESH]) {
      const once = serializeNodesConfig(parseNodesConfig(text, NOW));
      expect(serializeNodesConfig(parseNodesConfig(once, NOW))).toBe(once);
      expect(once.split('\n').length).toBe(text.split('\n').length);
    }
  });
});
