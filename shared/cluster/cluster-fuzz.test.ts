import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryClusterBus, type MemoryClusterNode } from '../../test/helpers/memory-cluster-bus.js';
import { encodeClusterMessage, type ClusterMessage } from './cluster-message.js';
import { CLUSTER_SLOTS, NodeFlag, bitmapHas } from './cluster-node.js';

/** Invariants no message may break: the slot table and the nodes' bitmaps agree, and myself stays myself. */
function checkInvariants(node: MemoryClusterNode): void {
  const state = node.cluster.state;
  const counted = new Map<string, number>();
  const broken: string[] = [];
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    const owner = state.slotOwner[slot];
    if (!owner) continue;
    if (state.nodes.get(owner.name) !== owner) broken.push(`slot ${slot} owned by a node not in the table`);
    if (!bitmapHas(owner.slots, slot)) broken.push(`slot ${slot} missing from its owner's bitmap`);
    counted.set(owner.name, (counted.get(owner.name) ?? 0) + 1);
  }
  for (const n of state.nodes.values()) if (n.numSlots !== (counted.get(n.name) ?? 0)) broken.push(`${n.name} counts ${n.numSlots} slots`);
  expect(broken).toEqual([]);
  expect(state.nodes.get(state.myself.name)).toBe(state.myself);
  expect(state.myself.flags & NodeFlag.MYSELF).toBe(NodeFlag.MYSELF);
  // The node still answers its clients.
  expect(node.call('PING')).toEqual(expect.objectContaining({ value: 'PONG' }));
  expect(String(node.call('CLUSTER', 'NODES')).split('\n').filter(Boolean).length).toBe(state.nodes.size);
}

const hexName = fc.stringMatching(/^[0-9a-f]{40}$/);

describe('the cluster bus under arbitrary messages', () => {
  it('well-formed messages with arbitrary fields, from known and unknown senders, never break a node', async () => {
    const bus = new MemoryClusterBus();
    const { masters } = await bus.createCluster(3);
    const [a, b] = masters;
    const known = masters.map((m) => m.cluster.myself.name);
    const name = fc.oneof(fc.constantFrom(...known), hexName);
    const slots = fc.array(fc.integer({ min: 0, max: CLUSTER_SLOTS - 1 }), { maxLength: 20 }).map((list) => {
      const bitmap = new Uint8Array(CLUSTER_SLOTS / 8);
      for (const s of list) bitmap[s >> 3] |= 1 << (s & 7);
      return bitmap;
    });
    const header = fc.record({
      port: fc.integer({ min: 0, max: 65535 }),
      currentEpoch: fc.nat(20),
      configEpoch: fc.nat(20),
      offset: fc.nat(1_000_000),
      sender: name,
      slots,
      replicaOf: fc.option(name, { nil: null }),
      myip: fc.constantFrom('', '127.0.0.1', '10.1.2.3'),
      pport: fc.constant(0),
      cport: fc.integer({ min: 0, max: 65535 }),
      flags: fc.integer({ min: 0, max: 0x3ff }),
      clusterOk: fc.boolean(),
      mflags: fc.tuple(fc.nat(7), fc.constant(0), fc.constant(0)),
    });
    const gossip = fc.record({
      name,
      pingSent: fc.nat(2_000_000_000),
      pongReceived: fc.nat(2_000_000_000),
      ip: fc.constantFrom('', '127.0.0.1'),
      port: fc.integer({ min: 0, max: 65535 }),
      cport: fc.integer({ min: 0, max: 65535 }),
      flags: fc.integer({ min: 0, max: 0x3ff }),
      pport: fc.constant(0),
    });
    const body = fc.oneof(
      fc.record({ type: fc.constantFrom(0, 1, 2), gossip: fc.array(gossip, { maxLength: 4 }), extensions: fc.constant([]) }),
      fc.record({ type: fc.constant(3), failing: name }),
      fc.record({ type: fc.constantFrom(4, 10), channel: fc.string({ maxLength: 5 }), message: fc.string({ maxLength: 5 }) }),
      fc.record({ type: fc.constantFrom(5, 6, 8) }),
      fc.record({ type: fc.constant(7), update: fc.record({ configEpoch: fc.nat(30), name, slots }) }),
    );
    const message = fc.tuple(header, body).map(([h, m]) => ({ ...h, ...m }) as unknown as ClusterMessage);
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 5 }), async (messages) => {
        for (const m of messages) bus.sendRaw(a, b, encodeClusterMessage(m));
        await bus.tick(300);
        for (const n of masters) checkInvariants(n);
      }),
      { numRuns: 150 },
    );
  });

  it('arbitrary bytes only ever close the link they arrive on', async () => {
    const bus = new MemoryClusterBus();
    const { masters } = await bus.createCluster(3);
    const [a, b] = masters;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 3000 }), async (bytes) => {
        // A frame that starts well (signature, a plausible length) and then carries noise, or pure noise.
        const framed = new Uint8Array(8 + bytes.length);
        framed.set([0x52, 0x43, 0x6d, 0x62, 0, 0, (bytes.length + 8) >> 8, (bytes.length + 8) & 255]);
        framed.set(bytes, 8);
        const pipe = [...bus.pipes].find((p) => p.from === a && p.to === b && p.open);
        if (pipe) bus.sendRaw(a, b, bytes[0] % 2 === 0 ? framed : bytes);
        await bus.tick(300);
        for (const n of masters) checkInvariants(n);
      }),
      { numRuns: 150 },
    );
  });
});
