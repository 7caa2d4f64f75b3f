import { describe, expect, it } from 'vitest';
import { MemoryClusterBus, NODE_IP, parseClusterNodes, type MemoryClusterNode } from '../../test/helpers/memory-cluster-bus.js';
import { ErrorReply, SimpleString } from '../resp/reply.js';
import { MessageFlag0, MessageType, encodeClusterMessage } from './cluster-message.js';
import { CLUSTER_SLOTS, NodeFlag, isMaster } from './cluster-node.js';
import { keyHashSlot } from './key-slot.js';

const OK = new SimpleString('OK');
const TIMEOUT = 1000;

/** `count` keys that hash to slots `node` owns in its own view. */
function keysOwnedBy(node: MemoryClusterNode, count: number, prefix = 'key'): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const key = `${prefix}:${i}`;
    if (node.cluster.state.slotOwner[keyHashSlot(key)] === node.cluster.myself) out.push(key);
  }
  return out;
}

/** The flags `observer` prints for `subject` in CLUSTER NODES. */
function flagsOf(observer: MemoryClusterNode, subject: MemoryClusterNode): string[] {
  const line = observer.nodes().find((l) => l.id === subject.name);
  return line ? line.flags : [];
}

function hasFlag(observer: MemoryClusterNode, subject: MemoryClusterNode, flag: number): boolean {
  const v = observer.view(subject);
  return v !== null && (v.flags & flag) !== 0;
}

function logged(node: MemoryClusterNode, text: string): boolean {
  return node.harness.logs.some((l) => l.includes(text));
}

function logIndex(node: MemoryClusterNode, text: string): number {
  return node.harness.logs.findIndex((l) => l.includes(text));
}

/** Whether `replica` follows `master` in every live node's view (itself included) and its replication is up. */
function followsEverywhere(bus: MemoryClusterBus, replica: MemoryClusterNode, master: MemoryClusterNode): boolean {
  if (!replica.core.masterLinkUp) return false;
  return bus.live.every((n) => {
    const r = n.view(replica);
    const m = n.view(master);
    return r !== null && m !== null && !isMaster(r) && r.replicaOf === master.name && isMaster(m);
  });
}

/** Whether every live node maps every slot to the same owner name. */
function slotMapsAgree(bus: MemoryClusterBus): boolean {
  const [first, ...rest] = bus.live;
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    const name = first.cluster.state.slotOwner[slot]?.name;
    if (rest.some((n) => n.cluster.state.slotOwner[slot]?.name !== name)) return false;
  }
  return true;
}

/** A FAILOVER_AUTH_REQUEST as `replica` would send it for `master`'s slots. */
function authRequest(
  replica: MemoryClusterNode,
  master: MemoryClusterNode,
  opts: { currentEpoch: number; configEpoch?: number; forceAck?: boolean },
): Uint8Array {
  const masterView = replica.view(master)!;
  return encodeClusterMessage({
    type: MessageType.FAILOVER_AUTH_REQUEST,
    port: replica.port,
    currentEpoch: opts.currentEpoch,
    configEpoch: opts.configEpoch ?? masterView.configEpoch,
    offset: replica.core.replicationOffset(),
    sender: replica.name,
    slots: masterView.slots.slice(),
    replicaOf: master.name,
    myip: '',
    pport: 0,
    cport: replica.cport,
    flags: NodeFlag.SLAVE,
    clusterOk: true,
    mflags: [opts.forceAck ? MessageFlag0.FORCEACK : 0, 0, 0],
  });
}

function acksSent(node: MemoryClusterNode): number {
  return node.cluster.counters.sent.get('auth-ack') ?? 0;
}

describe('joining: CLUSTER MEET and gossip', () => {
  it('CLUSTER MEET completes the handshake: each node lists the other by its real name, connected, no handshake flag', async () => {
    const bus = new MemoryClusterBus();
    const [a, b] = bus.add(2);
    expect(a.call('CLUSTER', 'MEET', NODE_IP, b.port)).toEqual(OK);
    // Until the first PONG, the met node is a handshake entry under a random name.
    const early = a.nodes().find((l) => l.flags.includes('handshake'));
    expect(early?.address).toBe(`${NODE_IP}:${b.port}@${b.cport}`);
    expect(early?.id).not.toBe(b.name);
    await bus.until(() => bus.allKnowEachOther(), 'handshake done');
    await bus.tick(200);
    for (const [self, other] of [
      [a, b],
      [b, a],
    ]) {
      const lines = self.nodes();
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatchObject({ id: self.name, address: `${NODE_IP}:${self.port}@${self.cport}`, flags: ['myself', 'master'], linkState: 'connected' });
      expect(lines[1]).toMatchObject({ id: other.name, address: `${NODE_IP}:${other.port}@${other.cport}`, flags: ['master'], master: '-', linkState: 'connected' });
      expect(self.call('CLUSTER', 'MYID')).toBe(self.name);
    }
    expect(a.info()).toMatchObject({ cluster_known_nodes: '2', cluster_state: 'fail', cluster_size: '0' });
  });

  it('completes the handshake when the bus delivers every message in 7-byte fragments', async () => {
    const bus = new MemoryClusterBus({ maxChunk: 7 });
    const [a, b] = bus.add(2);
    a.call('CLUSTER', 'ADDSLOTSRANGE', 0, 8191);
    b.call('CLUSTER', 'ADDSLOTSRANGE', 8192, 16383);
    a.call('CLUSTER', 'MEET', NODE_IP, b.port);
    await bus.until(() => bus.allKnowEachOther() && slotMapsAgree(bus), 'handshake over fragmented links');
    expect(a.view(b)!.numSlots).toBe(8192);
    expect(b.view(a)!.numSlots).toBe(8192);
  });

  it('gossip introduces nodes that never met: A meets B, C meets B, then all three know all three', async () => {
    const bus = new MemoryClusterBus();
    const [a, b, c] = bus.add(3);
    a.call('CLUSTER', 'MEET', NODE_IP, b.port);
    await bus.until(() => bus.allKnowEachOther([a, b]), 'A and B met');
    c.call('CLUSTER', 'MEET', NODE_IP, b.port);
    await bus.until(() => bus.allKnowEachOther([a, b, c]), 'all three know each other');
    await bus.tick(500);
    for (const n of [a, b, c]) {
      const lines = n.nodes();
      expect(lines.map((l) => l.id).sort()).toEqual([a.name, b.name, c.name].sort());
      expect(lines.every((l) => !l.flags.includes('handshake') && l.linkState === 'connected')).toBe(true);
    }
  });

  it('adds a node learnt from gossip under its real name, without a handshake entry (Redis 7.0 clusterProcessGossipSection)', async () => {
    const bus = new MemoryClusterBus();
    const [a, b, c] = bus.add(3);
    a.call('CLUSTER', 'MEET', NODE_IP, b.port);
    await bus.until(() => bus.allKnowEachOther([a, b]), 'A and B met');
    c.call('CLUSTER', 'MEET', NODE_IP, b.port);
    await bus.until(() => b.view(c) !== null && !hasFlag(b, c, NodeFlag.HANDSHAKE), 'C and B met');
    // A and C never met: each must learn the other from B's gossip, by name, with no handshake in between.
    const handshakeWith = (x: MemoryClusterNode, y: MemoryClusterNode) =>
      [...x.cluster.state.nodes.values()].some((n) => n.flags & NodeFlag.HANDSHAKE && n.port === y.port);
    let sawHandshake = false;
    await bus.until(() => {
      if (handshakeWith(a, c) || handshakeWith(c, a)) sawHandshake = true;
      return bus.allKnowEachOther([a, b, c]);
    }, 'all three know each other');
    expect(sawHandshake).toBe(false);
  });
});

describe('slot ownership', () => {
  it('slots added on each node with distinct SET-CONFIG-EPOCH propagate: CLUSTER SLOTS agree, cluster_state ok everywhere', async () => {
    const bus = new MemoryClusterBus();
    const [a, b, c] = bus.add(3);
    expect(a.call('CLUSTER', 'ADDSLOTSRANGE', 0, 5460)).toEqual(OK);
    expect(b.call('CLUSTER', 'ADDSLOTSRANGE', 5461, 10922)).toEqual(OK);
    expect(c.call('CLUSTER', 'ADDSLOTSRANGE', 10923, 16383)).toEqual(OK);
    [a, b, c].forEach((n, i) => expect(n.call('CLUSTER', 'SET-CONFIG-EPOCH', i + 1)).toEqual(OK));
    await bus.meetAll();
    await bus.until(() => [a, b, c].every((n) => n.clusterState === 'ok'), 'state ok everywhere');
    const expected = [
      [0, 5460, [NODE_IP, a.port, a.name, []]],
      [5461, 10922, [NODE_IP, b.port, b.name, []]],
      [10923, 16383, [NODE_IP, c.port, c.name, []]],
    ];
    for (const n of [a, b, c]) {
      expect(n.call('CLUSTER', 'SLOTS')).toEqual(expected);
      expect(n.info()).toMatchObject({
        cluster_state: 'ok',
        cluster_slots_assigned: '16384',
        cluster_slots_ok: '16384',
        cluster_known_nodes: '3',
        cluster_size: '3',
        cluster_current_epoch: '3',
      });
      expect(n.nodes().map((l) => [l.id, l.configEpoch])).toEqual(
        expect.arrayContaining([
          [a.name, 1],
          [b.name, 2],
          [c.name, 3],
        ]),
      );
    }
    // Keys are served where their slot lives, and redirected elsewhere.
    const key = keysOwnedBy(b, 1)[0];
    expect(b.call('SET', key, 'v')).toEqual(OK);
    expect(a.call('GET', key)).toEqual(new ErrorReply(`MOVED ${keyHashSlot(key)} ${NODE_IP}:${b.port}`));
  });

  it('masters that start with equal config epochs resolve the collision: all end with distinct epochs, agreed everywhere', async () => {
    const bus = new MemoryClusterBus();
    const nodes = bus.add(4);
    nodes.forEach((n, i) => n.call('CLUSTER', 'ADDSLOTSRANGE', i * 4096, i * 4096 + 4095));
    await bus.meetAll();
    const distinct = () => new Set(nodes.map((n) => n.cluster.myself.configEpoch)).size === nodes.length;
    const agreed = () => nodes.every((o) => nodes.every((n) => o.view(n)!.configEpoch === n.cluster.myself.configEpoch));
    await bus.until(() => distinct() && agreed() && nodes.every((n) => n.clusterState === 'ok'), 'distinct agreed epochs');
    expect(nodes.some((n) => logged(n, 'configEpoch collision'))).toBe(true);
    // Nothing changes any more once they are distinct.
    const epochs = nodes.map((n) => n.cluster.myself.configEpoch);
    await bus.tick(3000);
    expect(nodes.map((n) => n.cluster.myself.configEpoch)).toEqual(epochs);
    expect(slotMapsAgree(bus)).toBe(true);
  });

  it('a slot reassigned with SETSLOT NODE and a bumped epoch wins: the old owner learns it by UPDATE and deletes its keys there', async () => {
    const bus = new MemoryClusterBus();
    const { masters } = await bus.createCluster(3);
    const [a, b, c] = masters;
    const [key, other] = keysOwnedBy(a, 2);
    const slot = keyHashSlot(key);
    expect(keyHashSlot(other)).not.toBe(slot);
    a.call('SET', key, 'moved away');
    a.call('SET', other, 'stays');
    const aPropagated = a.harness.propagated.length;
    // A never hears from B directly: only an UPDATE from C can tell it that B took the slot.
    bus.cutBetween(a, b);
    expect(b.call('CLUSTER', 'SETSLOT', slot, 'NODE', b.name)).toEqual(OK);
    expect(b.call('CLUSTER', 'BUMPEPOCH')).toEqual(new SimpleString('BUMPED 4'));
    await bus.until(() => a.view(b)?.configEpoch === 4 && a.cluster.state.slotOwner[slot]?.name === b.name, 'A learns B owns the slot');
    expect(c.cluster.counters.sent.get('update') ?? 0).toBeGreaterThan(0);
    expect(a.cluster.counters.received.get('update') ?? 0).toBeGreaterThan(0);
    expect(c.cluster.state.slotOwner[slot]?.name).toBe(b.name);
    // The old owner drops the slot's keys (and tells its replicas) but keeps its other slots and keys.
    expect(a.core.dbs[0].dict.has(key)).toBe(false);
    expect(a.call('GET', other)).toBe('stays');
    expect(a.harness.propagated.slice(aPropagated)).toContainEqual(['DEL', key]);
    expect(isMaster(a.cluster.myself)).toBe(true);
    expect(a.cluster.myself.numSlots).toBe(5460);
    expect(a.call('GET', key)).toEqual(new ErrorReply(`MOVED ${slot} ${NODE_IP}:${b.port}`));
    bus.healBetween(a, b);
    await bus.until(() => slotMapsAgree(bus) && masters.every((n) => n.clusterState === 'ok'), 'all agree again');
  });
});

describe('failure detection', () => {
  it('an unreachable master goes PFAIL, then FAIL once a majority of masters agree; uncovered slots fail the cluster', async () => {
    const bus = new MemoryClusterBus();
    const { masters } = await bus.createCluster(3);
    const [a, b, c] = masters;
    const cutAt = bus.now;
    bus.cut(c);
    await bus.until(() => hasFlag(a, c, NodeFlag.FAIL) && hasFlag(b, c, NodeFlag.FAIL), 'C FAIL on A and B');
    // Not before the node timeout.
    expect(bus.now - cutAt).toBeGreaterThan(TIMEOUT);
    for (const n of [a, b]) {
      const pfail = logIndex(n, `*** NODE ${c.name} possibly failing`);
      const fail = Math.max(logIndex(n, `Marking node ${c.name} as failing (quorum reached)`), logIndex(n, `FAIL message received from`));
      expect(pfail).toBeGreaterThanOrEqual(0);
      expect(fail).toBeGreaterThan(pfail);
      expect(flagsOf(n, c)).toEqual(['master', 'fail']);
    }
    // One of them reached the quorum itself and broadcast FAIL.
    expect([a, b].some((n) => logged(n, `Marking node ${c.name} as failing (quorum reached)`))).toBe(true);
    await bus.tick(200);
    for (const n of [a, b]) {
      expect(n.info()).toMatchObject({ cluster_state: 'fail', cluster_slots_fail: String(c.cluster.myself.numSlots) });
      const key = keysOwnedBy(n, 1)[0];
      expect(n.call('GET', key)).toEqual(new ErrorReply('CLUSTERDOWN The cluster is down'));
    }
    // The isolated node is in the minority: it fails too, without being able to mark anyone FAIL.
    expect(c.clusterState).toBe('fail');
    expect(flagsOf(c, a)).toEqual(['master', 'fail?']);
    expect(flagsOf(c, b)).toEqual(['master', 'fail?']);
  });

  it('a master unreachable from one master only stays PFAIL (no quorum), and reaching it again clears the PFAIL', async () => {
    const bus = new MemoryClusterBus();
    const { masters } = await bus.createCluster(3);
    const [a, b, c] = masters;
    bus.cutBetween(a, c);
    await bus.until(() => hasFlag(a, c, NodeFlag.PFAIL), 'A flags C PFAIL');
    await bus.tick(3 * TIMEOUT);
    expect(flagsOf(a, c)).toEqual(['master', 'fail?']);
    expect(hasFlag(b, c, NodeFlag.PFAIL | NodeFlag.FAIL)).toBe(false);
    // B counts A's report but does not see C failing itself.
    expect(b.call('CLUSTER', 'COUNT-FAILURE-REPORTS', c.name)).toBe(1);
    expect(a.info()).toMatchObject({ cluster_state: 'ok', cluster_slots_pfail: String(c.cluster.myself.numSlots) });
    bus.healBetween(a, c);
    await bus.until(() => !hasFlag(a, c, NodeFlag.PFAIL) && !hasFlag(c, a, NodeFlag.PFAIL), 'PFAIL cleared');
    expect(flagsOf(a, c)).toEqual(['master']);
    await bus.until(() => b.call('CLUSTER', 'COUNT-FAILURE-REPORTS', c.name) === 0, 'B drops the report once A says C is fine');
  });

  it('FAIL of a master still serving its slots is cleared only after 2 x node timeout once it answers again', async () => {
    const bus = new MemoryClusterBus();
    const { masters } = await bus.createCluster(3);
    const [a, b, c] = masters;
    bus.cut(c);
    await bus.until(() => hasFlag(a, c, NodeFlag.FAIL) && hasFlag(b, c, NodeFlag.FAIL), 'C FAIL');
    const failTime = a.view(c)!.failTime;
    bus.heal(c);
    const healedAt = bus.now;
    await bus.until(() => a.view(c)!.pongReceived > healedAt && b.view(c)!.pongReceived > healedAt, 'C answers again');
    // Reachable, but FAIL sticks while nobody took its slots and the FAIL is younger than 2 x node timeout.
    expect(bus.now - failTime).toBeLessThan(2 * TIMEOUT);
    expect(flagsOf(a, c)).toEqual(['master', 'fail']);
    expect(a.clusterState).toBe('fail');
    await bus.until(() => !hasFlag(a, c, NodeFlag.FAIL) && !hasFlag(b, c, NodeFlag.FAIL), 'FAIL cleared');
    expect(bus.now - failTime).toBeGreaterThan(2 * TIMEOUT);
    expect(logged(a, `Clear FAIL state for node ${c.name}: is reachable again and nobody is serving its slots after some time.`)).toBe(true);
    await bus.until(() => masters.every((n) => n.clusterState === 'ok'), 'cluster ok again');
  });
  it('a master back from a minority partition keeps cluster_state fail for the rejoin delay before serving again', async () => {
    const bus = new MemoryClusterBus();
    const { masters } = await bus.createCluster(3);
    const [a, b, c] = masters;
    bus.cut(c);
    await bus.until(() => c.clusterState === 'fail', 'C alone in the minority');
    await bus.tick(500);
    bus.heal(c);
    await bus.until(() => !hasFlag(c, a, NodeFlag.PFAIL | NodeFlag.FAIL) && !hasFlag(c, b, NodeFlag.PFAIL | NodeFlag.FAIL), 'C reaches the majority');
    const back = bus.now;
    // Redis's clusterUpdateState: a master keeps refusing queries for the rejoin delay (cluster-node-timeout,
    // clamped to 500..5000 ms) after it last saw itself in the minority, so it can receive a config update first.
    await bus.tick(400);
    expect(c.clusterState).toBe('fail');
    expect(c.call('GET', keysOwnedBy(c, 1)[0])).toEqual(new ErrorReply('CLUSTERDOWN The cluster is down'));
    await bus.until(() => c.clusterState === 'ok', 'C ok after the rejoin delay');
    expect(bus.now - back).toBeGreaterThanOrEqual(TIMEOUT - 200);
  });
});

describe('replica failover', () => {
  async function clusterWithReplica() {
    const bus = new MemoryClusterBus();
    const { masters, replicas } = await bus.createCluster(3, [0]);
    const [a, b, c] = masters;
    const [r] = replicas;
    const keys = keysOwnedBy(a, 20);
    const writer = a.client();
    for (const k of keys) expect(writer.call('SET', k, `v-${k}`)).toEqual(OK);
    return { bus, a, b, c, r, keys, writer };
  }

  async function inSync(bus: MemoryClusterBus, replica: MemoryClusterNode, master: MemoryClusterNode) {
    await bus.until(() => replica.core.masterLinkUp && replica.core.replicationOffset() === master.core.replicationOffset(), 'replica in sync');
  }

  it('the replica of a failed master wins the election, takes its slots with a greater configEpoch and keeps its data; the old master comes back as its replica', async () => {
    const { bus, a, b, c, r, keys } = await clusterWithReplica();
    await inSync(bus, r, a);
    bus.cut(a);
    await bus.until(() => isMaster(r.cluster.myself), 'replica promoted');
    const epoch = r.cluster.myself.configEpoch;
    expect(logged(r, 'Failover election won')).toBe(true);
    // Both other masters voted in that epoch (quorum is 2 of 3).
    expect(b.cluster.state.lastVoteEpoch).toBe(epoch);
    expect(c.cluster.state.lastVoteEpoch).toBe(epoch);
    expect(r.cluster.state.currentEpoch).toBe(epoch);
    expect(epoch).toBeGreaterThan(Math.max(...[a, b, c].map((n) => n.cluster.myself.configEpoch)));
    await bus.until(() => [b, c, r].every((n) => n.clusterState === 'ok' && n.cluster.state.slotOwner[0]?.name === r.name), 'cluster ok, slots moved');
    expect(r.cluster.myself.numSlots).toBe(5461);
    for (const n of [b, c]) {
      expect(flagsOf(n, r)).toEqual(['master']);
      expect(n.view(r)!.configEpoch).toBe(epoch);
    }
    const rc = r.client();
    for (const k of keys) expect(rc.call('GET', k)).toBe(`v-${k}`);
    expect(rc.call('SET', keys[0], 'after failover')).toEqual(OK);

    bus.heal(a);
    await bus.until(() => followsEverywhere(bus, a, r), 'old master follows the new one');
    expect(a.cluster.myself.numSlots).toBe(0);
    await bus.until(() => a.core.replicationOffset() === r.core.replicationOffset(), 'old master in sync');
    expect(a.core.dbs[0].dict.get(keys[0])).toBeDefined();
    const ro = a.client();
    ro.call('READONLY');
    expect(ro.call('GET', keys[0])).toBe('after failover');
    // Its FAIL flag goes away: it is a reachable replica now.
    await bus.until(() => [b, c, r].every((n) => !hasFlag(n, a, NodeFlag.FAIL | NodeFlag.PFAIL)), 'A no longer failing');
    expect(flagsOf(b, a)).toEqual(['slave']);
    expect(bus.live.every((n) => n.clusterState === 'ok')).toBe(true);
  });

  it('a killed master restarted from its nodes.conf rejoins as a replica of its promoted replica and resyncs its data', async () => {
    const { bus, a, b, r, keys } = await clusterWithReplica();
    await inSync(bus, r, a);
    const savedName = a.name;
    bus.kill(a);
    await bus.until(() => isMaster(r.cluster.myself) && b.cluster.state.slotOwner[0]?.name === r.name, 'replica promoted');
    bus.restart(a);
    expect(a.name).toBe(savedName);
    expect(a.core.dbs[0].size).toBe(0);
    await bus.until(() => followsEverywhere(bus, a, r), 'restarted node follows the new master');
    await bus.until(() => a.core.replicationOffset() === r.core.replicationOffset() && a.core.dbs[0].size === keys.length, 'resynced');
    const ro = a.client();
    ro.call('READONLY');
    expect(ro.call('GET', keys[5])).toBe(`v-${keys[5]}`);
    expect(ro.call('SET', keys[5], 'x')).toEqual(new ErrorReply(`MOVED ${keyHashSlot(keys[5])} ${NODE_IP}:${r.port}`));
    await bus.until(() => bus.live.every((n) => n.clusterState === 'ok' && !hasFlag(n, a, NodeFlag.FAIL)), 'all ok');
  });

  it('manual CLUSTER FAILOVER swaps the roles without losing writes acknowledged just before it', async () => {
    const { bus, a, r, keys, writer } = await clusterWithReplica();
    await inSync(bus, r, a);
    // Acknowledged by A but not yet replicated when the failover starts.
    const late = keysOwnedBy(a, 40, 'late').slice(20);
    for (const k of late) expect(writer.call('SET', k, 'acked')).toEqual(OK);
    expect(r.call('CLUSTER', 'FAILOVER')).toEqual(OK);
    await bus.until(() => isMaster(r.cluster.myself) && followsEverywhere(bus, a, r), 'roles swapped');
    expect(logged(a, `Manual failover requested by replica ${r.name}.`)).toBe(true);
    expect(logged(r, 'All master replication stream processed, manual failover can start.')).toBe(true);
    const rc = r.client();
    for (const k of keys) expect(rc.call('GET', k)).toBe(`v-${k}`);
    for (const k of late) expect(rc.call('GET', k)).toBe('acked');
    expect(r.cluster.myself.numSlots).toBe(5461);
    await bus.until(() => bus.live.every((n) => n.clusterState === 'ok' && slotMapsAgree(bus)), 'cluster ok');
  });

  it('a write held by the paused master during a manual failover is answered with MOVED as soon as the roles swap', async () => {
    const { bus, a, r, keys } = await clusterWithReplica();
    await inSync(bus, r, a);
    expect(r.call('CLUSTER', 'FAILOVER')).toEqual(OK);
    await bus.until(() => a.core.clientPause !== null, 'master paused');
    const held = a.client();
    held.send('SET', keys[0], 'during failover');
    expect(held.next()).toBeUndefined();
    await bus.until(() => !isMaster(a.cluster.myself), 'old master demoted');
    // Redis's resetManualFailover (called by clusterSetMaster) unpauses the clients at once.
    await bus.tick(200);
    expect(a.core.pauseInForce()).toBe(false);
    expect(held.next()).toEqual(new ErrorReply(`MOVED ${keyHashSlot(keys[0])} ${NODE_IP}:${r.port}`));
  });

  it('CLUSTER FAILOVER FORCE promotes the replica of an unreachable master before it is even flagged FAIL', async () => {
    const { bus, a, b, c, r, keys } = await clusterWithReplica();
    await inSync(bus, r, a);
    bus.cut(a);
    await bus.settle();
    expect(r.call('CLUSTER', 'FAILOVER')).toEqual(new ErrorReply('ERR Master is down or failed, please use CLUSTER FAILOVER FORCE'));
    expect(r.call('CLUSTER', 'FAILOVER', 'FORCE')).toEqual(OK);
    const took = await bus.until(() => isMaster(r.cluster.myself), 'replica promoted');
    expect(took).toBeLessThan(TIMEOUT);
    // The votes were given on FORCEACK: the old master was not FAIL for the voters.
    expect(hasFlag(b, a, NodeFlag.FAIL)).toBe(false);
    expect(hasFlag(c, a, NodeFlag.FAIL)).toBe(false);
    expect(b.cluster.state.lastVoteEpoch).toBe(r.cluster.myself.configEpoch);
    const rc = r.client();
    for (const k of keys) expect(rc.call('GET', k)).toBe(`v-${k}`);
    bus.heal(a);
    await bus.until(() => followsEverywhere(bus, a, r), 'old master follows the new one');
    await bus.until(() => bus.live.every((n) => n.clusterState === 'ok'), 'cluster ok');
  });

  it('CLUSTER FAILOVER TAKEOVER promotes the replica at once, without an election, with a new greatest epoch', async () => {
    const { bus, a, b, c, r, keys } = await clusterWithReplica();
    await inSync(bus, r, a);
    expect(r.call('CLUSTER', 'FAILOVER', 'TAKEOVER')).toEqual(OK);
    expect(isMaster(r.cluster.myself)).toBe(true);
    expect(r.cluster.myself.configEpoch).toBe(4);
    expect(r.cluster.counters.sent.get('auth-req')).toBeUndefined();
    await bus.until(() => followsEverywhere(bus, a, r) && slotMapsAgree(bus), 'roles swapped everywhere');
    for (const n of [b, c]) expect(n.view(r)!.configEpoch).toBe(4);
    const rc = r.client();
    for (const k of keys) expect(rc.call('GET', k)).toBe(`v-${k}`);
    await bus.until(() => bus.live.every((n) => n.clusterState === 'ok'), 'cluster ok');
  });
});

describe('replica migration', () => {
  it('a replica of the master with the most replicas migrates to an orphaned master (cluster-migration-barrier 1)', async () => {
    const bus = new MemoryClusterBus();
    const { masters, replicas } = await bus.createCluster(3, [0, 0, 1]);
    const [a, b] = masters;
    const [r1, r2, r3] = replicas;
    bus.kill(r3);
    await bus.until(() => masters.every((m) => hasFlag(m, r3, NodeFlag.FAIL)), "B's only replica is FAIL");
    // clusterHandleSlaveMigration: the candidate is the replica with the smallest name, after 5 s of orphaning.
    const [mover, stayer] = r1.name < r2.name ? [r1, r2] : [r2, r1];
    await bus.until(() => mover.cluster.myself.replicaOf === b.name, 'a replica of A migrates to B', 20_000);
    expect(logged(mover, `Migrating to orphaned master ${b.name}`)).toBe(true);
    expect(stayer.cluster.myself.replicaOf).toBe(a.name);
    await bus.until(() => followsEverywhere(bus, mover, b), 'everyone sees the migration');
  });
});

describe('cluster-wide PUBLISH', () => {
  it('a message published on one node reaches a subscriber on another, once', async () => {
    const bus = new MemoryClusterBus();
    const { masters, replicas } = await bus.createCluster(3, [1]);
    const [a, , c] = masters;
    const sub = c.client();
    expect(sub.call('SUBSCRIBE', 'news')).toEqual(['subscribe', 'news', 1]);
    const onReplica = replicas[0].client();
    onReplica.call('SUBSCRIBE', 'news');
    expect(a.call('PUBLISH', 'news', 'hello')).toBe(0);
    await bus.settle();
    expect(sub.next()).toEqual(['message', 'news', 'hello']);
    expect(onReplica.next()).toEqual(['message', 'news', 'hello']);
    await bus.tick(500);
    expect(sub.next()).toBeUndefined();
    expect(onReplica.next()).toBeUndefined();
  });
});

describe('sharded Pub/Sub', () => {
  it('SPUBLISH reaches shard subscribers on the master and its replicas only; a slot leaving the shard unsubscribes them', async () => {
    const bus = new MemoryClusterBus();
    const { masters, replicas } = await bus.createCluster(3, [1]);
    const replica = replicas[0];
    const owner = masters.find((m) => m.cluster.myself.name === replica.cluster.myself.replicaOf)!;
    const other = masters.find((m) => m !== owner)!;
    // A channel whose slot the replica's master serves.
    let channel = '';
    for (let i = 0; !channel; i++) if (owner.cluster.state.slotOwner[keyHashSlot(`orders:${i}`)] === owner.cluster.myself) channel = `orders:${i}`;
    const slot = keyHashSlot(channel);
    // Refused where the slot is not served, as a key would be.
    expect(other.client().call('SSUBSCRIBE', channel)).toEqual(new ErrorReply(`MOVED ${slot} ${NODE_IP}:${owner.cluster.myself.port}`));
    const onOwner = owner.client();
    expect(onOwner.call('SSUBSCRIBE', channel)).toEqual(['ssubscribe', channel, 1]);
    const onReplica = replica.client();
    expect(onReplica.call('READONLY')).toEqual(new SimpleString('OK'));
    expect(onReplica.call('SSUBSCRIBE', channel)).toEqual(['ssubscribe', channel, 1]);
    const plain = other.client();
    plain.call('SUBSCRIBE', channel);
    expect(owner.call('SPUBLISH', channel, 'first')).toBe(1);
    await bus.settle();
    expect(onOwner.next()).toEqual(['smessage', channel, 'first']);
    expect(onReplica.next()).toEqual(['smessage', channel, 'first']);
    // A plain SUBSCRIBE on another shard hears nothing: shard messages stay in the shard.
    expect(plain.next()).toBeUndefined();
    // The slot moves to another master: its subscribers here are told to go away.
    expect(owner.call('CLUSTER', 'SETSLOT', slot, 'NODE', other.cluster.myself.name)).toEqual(new SimpleString('OK'));
    expect(onOwner.next()).toEqual(['sunsubscribe', channel, 0]);
    expect(owner.core.shardChannels.has(channel)).toBe(false);
  });
});

describe('bus robustness', () => {
  it('a link whose peer stops reading is dropped past cluster-link-sendbuf-limit, counted, and rebuilt', async () => {
    const bus = new MemoryClusterBus();
    const { masters } = await bus.createCluster(3);
    const [a, b] = masters;
    expect(a.call('CONFIG', 'SET', 'cluster-link-sendbuf-limit', '4096')).toEqual(new SimpleString('OK'));
    const pipe = [...bus.pipes].find((p) => p.from === a && p.to === b && p.open)!;
    // B stops reading: what A writes piles up in its send buffer.
    pipe.outbound.bufferedBytes = () => 1_000_000;
    a.call('PUBLISH', 'news', 'x');
    expect(pipe.open).toBe(false);
    expect(a.info().total_cluster_links_buffer_limit_exceeded).toBe('1');
    expect(logged(a, 'Freeing cluster link')).toBe(true);
    await bus.until(() => [...bus.pipes].some((p) => p.from === a && p.to === b && p.open), 'A reconnects to B');
    // Without a limit (the default, 0) nothing is dropped.
    a.call('CONFIG', 'SET', 'cluster-link-sendbuf-limit', '0');
    const again = [...bus.pipes].find((p) => p.from === a && p.to === b && p.open)!;
    again.outbound.bufferedBytes = () => 1_000_000;
    a.call('PUBLISH', 'news', 'y');
    expect(again.open).toBe(true);
  });

  it('malformed bytes close only the link they arrive on; the node reconnects and the cluster keeps working', async () => {
    const bus = new MemoryClusterBus();
    const { masters } = await bus.createCluster(3);
    const [a, b] = masters;
    const others = [...bus.pipes].filter((p) => (p.to === b || p.from === b) && !(p.from === a && p.to === b));
    const pipe = bus.sendRaw(a, b, new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await bus.settle();
    expect(pipe.open).toBe(false);
    expect(pipe.inbound.closed).toBe(true);
    expect(logged(b, 'Closing cluster bus link')).toBe(true);
    expect(others.every((p) => p.open)).toBe(true);
    await bus.until(() => [...bus.pipes].some((p) => p.from === a && p.to === b && p.open), 'A reconnects to B');
    await bus.tick(3 * TIMEOUT);
    for (const n of masters) {
      expect(n.clusterState).toBe('ok');
      expect(n.nodes().every((l) => l.flags.every((f) => f !== 'fail?' && f !== 'fail') && l.linkState === 'connected')).toBe(true);
    }
  });

  it('CLUSTER FORGET keeps gossip from re-adding the node for 60 seconds, then gossip brings it back', async () => {
    const bus = new MemoryClusterBus();
    const { masters } = await bus.createCluster(3);
    const [a, b] = masters;
    const [d] = bus.add(1);
    a.call('CLUSTER', 'MEET', NODE_IP, d.port);
    await bus.until(() => bus.allKnowEachOther(), 'D joined');
    // Forget at a time that is not a whole second.
    await bus.until(() => bus.now % 1000 === 500, 'half second');
    expect(b.call('CLUSTER', 'FORGET', d.name)).toEqual(OK);
    const forgotAt = bus.now;
    const knowsD = () => b.view(d) !== null || [...b.cluster.state.nodes.values()].some((n) => n.port === d.port);
    expect(knowsD()).toBe(false);
    expect(b.nodes().map((l) => l.id)).not.toContain(d.name);
    while (bus.now - forgotAt < 60_000) {
      await bus.tick(100);
      if (knowsD()) throw new Error(`B re-added the forgotten node after ${bus.now - forgotAt} ms`);
    }
    // A still gossips about D: once the blacklist expires, B learns it again.
    await bus.until(() => b.view(d) !== null && !hasFlag(b, d, NodeFlag.HANDSHAKE), 'B knows D again', 10_000);
    expect(b.call('CLUSTER', 'FORGET', b.name)).toEqual(new ErrorReply("ERR I tried hard but I can't forget myself..."));
  });
});

describe('failover votes', () => {
  async function twoReplicasOfA() {
    const bus = new MemoryClusterBus();
    const { masters, replicas } = await bus.createCluster(3, [0, 0]);
    const [a, b] = masters;
    const [r1, r2] = replicas;
    // The replicas must not run elections of their own: the test sends the requests.
    for (const r of replicas) expect(r.call('CONFIG', 'SET', 'cluster-replica-no-failover', 'yes')).toEqual(OK);
    return { bus, a, b, r1, r2, masters };
  }

  it('a master votes once per epoch, and not again about the same master within 2 x node timeout', async () => {
    const { bus, a, b, r1, r2 } = await twoReplicasOfA();
    const epoch = b.cluster.state.currentEpoch + 1;
    bus.sendRaw(r1, b, authRequest(r1, a, { currentEpoch: epoch, forceAck: true }));
    await bus.settle();
    expect(b.cluster.state.lastVoteEpoch).toBe(epoch);
    expect(acksSent(b)).toBe(1);
    expect(logged(b, `Failover auth granted to ${r1.name} for epoch ${epoch}`)).toBe(true);

    bus.sendRaw(r2, b, authRequest(r2, a, { currentEpoch: epoch, forceAck: true }));
    await bus.settle();
    expect(acksSent(b)).toBe(1);
    expect(logged(b, `Failover auth denied to ${r2.name}: already voted for epoch ${epoch}`)).toBe(true);

    bus.sendRaw(r2, b, authRequest(r2, a, { currentEpoch: epoch + 1, forceAck: true }));
    await bus.settle();
    expect(acksSent(b)).toBe(1);
    expect(b.cluster.state.lastVoteEpoch).toBe(epoch);
    expect(logged(b, `Failover auth denied to ${r2.name}: can't vote about this master before`)).toBe(true);

    await bus.tick(2 * TIMEOUT + 100);
    const later = b.cluster.state.currentEpoch + 1;
    bus.sendRaw(r2, b, authRequest(r2, a, { currentEpoch: later, forceAck: true }));
    await bus.settle();
    expect(acksSent(b)).toBe(2);
    expect(b.cluster.state.lastVoteEpoch).toBe(later);
    // The vote is durable: nodes.conf records it.
    expect(b.savedConfig).toContain(`lastVoteEpoch ${later}`);
  });

  it('a master refuses to vote for a replica whose master is up (unless FORCEACK), for a stale epoch, or for older slot claims', async () => {
    const { bus, a, b, r1 } = await twoReplicasOfA();
    const epoch = b.cluster.state.currentEpoch + 1;
    bus.sendRaw(r1, b, authRequest(r1, a, { currentEpoch: epoch }));
    await bus.settle();
    expect(acksSent(b)).toBe(0);
    expect(b.cluster.state.lastVoteEpoch).toBe(0);
    expect(logged(b, `Failover auth denied to ${r1.name}: its master is up`)).toBe(true);

    bus.sendRaw(r1, b, authRequest(r1, a, { currentEpoch: epoch - 1, forceAck: true }));
    await bus.settle();
    expect(acksSent(b)).toBe(0);
    expect(logged(b, `Failover auth denied to ${r1.name}: reqEpoch (${epoch - 1}) < curEpoch(${epoch})`)).toBe(true);

    bus.sendRaw(r1, b, authRequest(r1, a, { currentEpoch: epoch + 1, configEpoch: 0, forceAck: true }));
    await bus.settle();
    expect(acksSent(b)).toBe(0);
    expect(logged(b, `Failover auth denied to ${r1.name}: slot 0 epoch (1) > reqEpoch (0)`)).toBe(true);

    // Once the master is FAIL, the same request without FORCEACK gets the vote.
    bus.cut(a);
    await bus.until(() => hasFlag(b, a, NodeFlag.FAIL), 'A FAIL on B');
    const now = b.cluster.state.currentEpoch + 1;
    bus.sendRaw(r1, b, authRequest(r1, a, { currentEpoch: now }));
    await bus.settle();
    expect(acksSent(b)).toBe(1);
    expect(b.cluster.state.lastVoteEpoch).toBe(now);
  });

  it('a replica does not take its master slots without a majority of votes', async () => {
    const bus = new MemoryClusterBus();
    const { masters, replicas } = await bus.createCluster(3, [0]);
    const [a, b, c] = masters;
    const [r] = replicas;
    // Only A and one voter left: C can never be reached, so B alone is not a majority of 3.
    bus.cut(c);
    await bus.until(() => hasFlag(b, c, NodeFlag.PFAIL), 'C PFAIL');
    bus.cut(a);
    await bus.tick(10 * TIMEOUT);
    expect(isMaster(r.cluster.myself)).toBe(false);
    expect(hasFlag(b, a, NodeFlag.FAIL)).toBe(false);
    expect(r.clusterState).toBe('fail');
    expect(parseClusterNodes(String(r.call('CLUSTER', 'NODES'))).find((l) => l.id === r.name)?.flags).toEqual(['myself', 'slave']);
  });
});

describe('tls-cluster', () => {
  /** Node `i` of a bus with tls-cluster: its tls-port 1000 above its plain port, its bus port 10000 above. */
  const tlsConfig = (i: number) => ({ 'tls-cluster': 'yes', 'tls-port': String(30001 + i + 1000), 'cluster-port': String(30001 + i + 10000) });

  it('a node announces its tls-port as port and its plain port as pport; the peer records both', async () => {
    const bus = new MemoryClusterBus();
    const [a] = bus.add(1, tlsConfig(0));
    const [b] = bus.add(1, tlsConfig(1));
    expect(a.cluster.myself).toMatchObject({ port: a.port + 1000, pport: a.port, cport: a.cport });
    expect(a.call('CLUSTER', 'MEET', NODE_IP, b.port + 1000, b.cport)).toEqual(OK);
    await bus.until(() => bus.allKnowEachOther([a, b]), 'A and B know each other');
    expect(b.view(a)).toMatchObject({ ip: NODE_IP, port: a.port + 1000, pport: a.port, cport: a.cport });
    expect(a.view(b)).toMatchObject({ ip: NODE_IP, port: b.port + 1000, pport: b.port, cport: b.cport });
    // A client without a connection (as these) is shown the TLS ports, as Redis's connection-less clients.
    expect(a.nodes().find((l) => l.id === b.name)?.address).toBe(`${NODE_IP}:${b.port + 1000}@${b.cport}`);
  });

  it('without tls-cluster pport is 0, and the default bus port follows the tls-port only with tls-cluster', () => {
    const bus = new MemoryClusterBus();
    const [plain] = bus.add(1, { 'tls-port': '40000' });
    expect(plain.cluster.myself).toMatchObject({ port: plain.port, pport: 0, cport: plain.port + 10000 });
    const [tls] = bus.add(1, { 'tls-port': '40001', 'tls-cluster': 'yes' });
    expect(tls.cluster.myself).toMatchObject({ port: 40001, pport: tls.port, cport: 50001 });
    // cluster-announce-port replaces the TLS port announced, as Redis without cluster-announce-tls-port.
    tls.call('CONFIG', 'SET', 'cluster-announce-port', '7777');
    tls.cluster.updateMyselfAddress();
    expect(tls.cluster.myself).toMatchObject({ port: 7777, pport: tls.port, cport: 50001 });
  });
});
