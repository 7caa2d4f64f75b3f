/**
 * The cluster's view of its nodes, as Redis's clusterState / clusterNode (cluster.h) keep it: who owns which of
 * the 16384 hash slots, each node's flags, epochs and addresses. Pure data plus the small operations that keep
 * the slot table and each node's slot bitmap consistent; the bus logic (cluster-bus.ts) changes it.
 */

/** Number of hash slots. */
export const CLUSTER_SLOTS = 16384;
/** Length of a node name: 40 hex characters. */
export const CLUSTER_NAMELEN = 40;

/** Node flags, with Redis's bit values: they travel in bus messages as they are. */
export const NodeFlag = {
  MASTER: 1,
  SLAVE: 2,
  PFAIL: 4,
  FAIL: 8,
  MYSELF: 16,
  HANDSHAKE: 32,
  NOADDR: 64,
  MEET: 128,
  MIGRATE_TO: 256,
  NOFAILOVER: 512,
} as const;

/** One node as this node sees it. */
export interface ClusterNode {
  /** 40 lowercase hex characters; a random name while in handshake. */
  name: string;
  /** NodeFlag bits. */
  flags: number;
  /** The address clients use; '' while unknown (NOADDR). */
  ip: string;
  port: number;
  /** The cluster bus port. */
  cport: number;
  /** Plaintext port when `port` is TLS (always 0 here). */
  pport: number;
  /** Announced hostname ('' when none). */
  hostname: string;
  /** For a replica: its master's name (the master may be unknown to us yet). */
  replicaOf: string | null;
  /** The epoch of the node's slot configuration (a replica reports its master's). */
  configEpoch: number;
  /** The slots this node owns in our view: a 2048-byte bitmap, bit (slot & 7) of byte (slot >> 3). */
  slots: Uint8Array;
  /** Number of bits set in `slots`. */
  numSlots: number;
  /** When we sent a PING still unanswered (ms since the epoch), 0 if none is pending. */
  pingSent: number;
  /** When we last received a PONG from it. */
  pongReceived: number;
  /** When we last received anything from it. */
  dataReceived: number;
  /** When it was flagged FAIL. */
  failTime: number;
  /** When it was created in our table. */
  ctime: number;
  /** Masters that reported it as failing (PFAIL or FAIL in their gossip): reporter name -> time of the report. */
  failReports: Map<string, number>;
  /** Its replication offset as last advertised. */
  replOffset: number;
  /** Whether our outbound bus link to it is connected (CLUSTER NODES' link-state). */
  linkConnected: boolean;
}

/** Creates a node with Redis's defaults (createClusterNode). */
export function newClusterNode(name: string, flags: number, now: number): ClusterNode {
  return {
    name,
    flags,
    ip: '',
    port: 0,
    cport: 0,
    pport: 0,
    hostname: '',
    replicaOf: null,
    configEpoch: 0,
    slots: new Uint8Array(CLUSTER_SLOTS / 8),
    numSlots: 0,
    pingSent: 0,
    pongReceived: 0,
    dataReceived: 0,
    failTime: 0,
    ctime: now,
    failReports: new Map(),
    replOffset: 0,
    linkConnected: false,
  };
}

/** Whether a bitmap has a slot's bit set. */
export function bitmapHas(bitmap: Uint8Array, slot: number): boolean {
  return (bitmap[slot >> 3] & (1 << (slot & 7))) !== 0;
}

/** The node's role as Redis names it in CLUSTER NODES / INFO. */
export function isMaster(node: ClusterNode): boolean {
  return (node.flags & NodeFlag.MASTER) !== 0;
}

/**
 * The whole cluster view of one node (Redis's clusterState). `slotOwner[slot]` and each node's `slots` bitmap
 * always agree: change ownership only through assignSlot / clearSlot.
 */
export class ClusterState {
  /** Every known node by name, myself included. */
  readonly nodes = new Map<string, ClusterNode>();
  /** The owner of each slot, or null when unassigned. */
  readonly slotOwner: Array<ClusterNode | null> = new Array(CLUSTER_SLOTS).fill(null);
  /** Slots this node is migrating to another node (CLUSTER SETSLOT MIGRATING). */
  readonly migratingTo = new Map<number, ClusterNode>();
  /** Slots this node is importing from another node (CLUSTER SETSLOT IMPORTING). */
  readonly importingFrom = new Map<number, ClusterNode>();
  /** Names of forgotten nodes (CLUSTER FORGET) -> until when gossip about them is ignored. */
  readonly blacklist = new Map<string, number>();
  currentEpoch = 0;
  lastVoteEpoch = 0;
  /** 'ok' when every slot is served by a reachable master (or cluster-require-full-coverage is off). */
  state: 'ok' | 'fail' = 'fail';

  constructor(readonly myself: ClusterNode) {
    this.nodes.set(myself.name, myself);
  }

  /** Makes `node` the owner of `slot`, taking it from its previous owner. */
  assignSlot(slot: number, node: ClusterNode): void {
    const old = this.slotOwner[slot];
    if (old === node) return;
    if (old) clearBit(old, slot);
    this.slotOwner[slot] = node;
    setBit(node, slot);
  }

  /** Leaves `slot` unassigned. */
  clearSlot(slot: number): void {
    const old = this.slotOwner[slot];
    if (!old) return;
    clearBit(old, slot);
    this.slotOwner[slot] = null;
  }

  /** The node's slots in ascending order. */
  slotsOf(node: ClusterNode): number[] {
    const out: number[] = [];
    if (node.numSlots === 0) return out;
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) if (bitmapHas(node.slots, slot)) out.push(slot);
    return out;
  }

  /** The node's slots as inclusive [start, end] ranges, ascending. */
  slotRangesOf(node: ClusterNode): Array<[number, number]> {
    const ranges: Array<[number, number]> = [];
    for (const slot of this.slotsOf(node)) {
      const last = ranges[ranges.length - 1];
      if (last && last[1] === slot - 1) last[1] = slot;
      else ranges.push([slot, slot]);
    }
    return ranges;
  }

  /** The replicas of a master, in our table's order. */
  replicasOf(master: ClusterNode): ClusterNode[] {
    const out: ClusterNode[] = [];
    for (const n of this.nodes.values()) if (n.replicaOf === master.name && (n.flags & NodeFlag.SLAVE) !== 0) out.push(n);
    return out;
  }

  /** Removes a node: its slots become unassigned and replicas pointing at it keep the name only. */
  removeNode(node: ClusterNode): void {
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) if (this.slotOwner[slot] === node) this.clearSlot(slot);
    for (const [slot, n] of this.migratingTo) if (n === node) this.migratingTo.delete(slot);
    for (const [slot, n] of this.importingFrom) if (n === node) this.importingFrom.delete(slot);
    for (const n of this.nodes.values()) n.failReports.delete(node.name);
    this.nodes.delete(node.name);
  }

  /** Renames a node (a handshake node learns its real name from the first PONG). */
  renameNode(node: ClusterNode, name: string): void {
    this.nodes.delete(node.name);
    node.name = name;
    this.nodes.set(name, node);
  }

  /** Number of masters that own at least one slot (the electorate for failure reports and failover votes). */
  get size(): number {
    let n = 0;
    for (const node of this.nodes.values()) if (isMaster(node) && node.numSlots > 0) n++;
    return n;
  }
}

function setBit(node: ClusterNode, slot: number): void {
  const mask = 1 << (slot & 7);
  if ((node.slots[slot >> 3] & mask) === 0) {
    node.slots[slot >> 3] |= mask;
    node.numSlots++;
  }
}

function clearBit(node: ClusterNode, slot: number): void {
  const mask = 1 << (slot & 7);
  if ((node.slots[slot >> 3] & mask) !== 0) {
    node.slots[slot >> 3] &= ~mask;
    node.numSlots--;
  }
}
