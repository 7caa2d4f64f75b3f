import type { Client } from '../engine/client.js';
import { commandKeys, type CommandSpec } from '../engine/command-spec.js';
import type { ClusterRouter, ServerCore } from '../engine/server-core.js';
import { parseMasterTarget } from '../replication/replica-link.js';
import type { Replication } from '../replication/replication.js';
import { newReplId } from '../replication/replication-id.js';
import type { ClusterMessageCounters } from './cluster-format.js';
import {
  ClusterBusError,
  ClusterMessageReader,
  MessageFlag0,
  MessageType,
  encodeClusterMessage,
  type ClusterMessage,
  type ClusterMessageHeader,
  type GossipEntry,
} from './cluster-message.js';
import { PushReply } from '../resp/reply.js';
import { CLUSTER_SLOTS, ClusterState, NodeFlag, bitmapHas, isMaster, newClusterNode, type ClusterNode } from './cluster-node.js';
import { keyHashSlot } from './key-slot.js';
import { slotIndexed } from './slot-index.js';
import { parseNodesConfig, serializeNodesConfig } from './nodes-config.js';

/** What the runtime provides to the cluster bus. */
export interface ClusterHost {
  /** Opens a bus connection to ip:port for `link`; the adapter then reports it with linkUp / receive / linkDown. */
  connect(link: BusLink, ip: string, port: number): void;
  /** Writes nodes.conf durably (Redis's clusterSaveConfig). Throws on failure. */
  saveConfig(text: string): void;
  /** The nodes.conf text saved earlier, or null when there is none. */
  loadConfig(): string | null;
}

/** One cluster bus connection, inbound (a node connected to us) or outbound (ours to a node). */
export class BusLink {
  /** The node this link talks to: set at creation for outbound links, when its first PING arrives for inbound. */
  node: ClusterNode | null = null;
  connected = false;
  closed = false;
  /** Messages received, sent (CLUSTER LINKS' events). */
  events = 0;
  /** The adapter sets these once the socket exists. */
  send: (bytes: Uint8Array) => void = () => {};
  /** Bytes written but not yet taken by the peer (the socket's send buffer). */
  bufferedBytes: () => number = () => 0;
  close: () => void = () => {};
  /** The peer's address and ours on this connection, set by the adapter when connected. */
  remoteIp = '';
  localIp = '';
  readonly reader: ClusterMessageReader;

  constructor(
    readonly inbound: boolean,
    readonly ctime: number,
    maxMessageBytes: number,
  ) {
    this.reader = new ClusterMessageReader({ maxMessageBytes });
  }
}

/** Redis's names for the message types in CLUSTER INFO's counters. */
const TYPE_NAMES = ['ping', 'pong', 'meet', 'fail', 'publish', 'auth-req', 'auth-ack', 'update', 'mfstart', 'module', 'publishshard'];

/** Redis's CLUSTER_FAIL_REPORT_VALIDITY_MULT and CLUSTER_FAIL_UNDO_TIME_MULT. */
const FAIL_REPORT_VALIDITY_MULT = 2;
const FAIL_UNDO_TIME_MULT = 2;
/** How long a manual failover may take (CLUSTER_MF_TIMEOUT) and the master's extra pause (CLUSTER_MF_PAUSE_MULT). */
const MF_TIMEOUT = 5000;
const MF_PAUSE_MULT = 2;
/** A bus message larger than this closes the link (a valid one is a few KB plus gossip and PUBLISH payloads). */
const MAX_BUS_MESSAGE = 64 * 1024 * 1024;
/** How long a master waits after start before the cluster state may turn ok (Redis's CLUSTER_WRITABLE_DELAY). */
const WRITABLE_DELAY = 2000;
/** Bounds of the wait of a master back from a minority partition (CLUSTER_MIN/MAX_REJOIN_DELAY). */
const MIN_REJOIN_DELAY = 500;
const MAX_REJOIN_DELAY = 5000;
/** How long a master must stay orphaned before a replica migrates to it (CLUSTER_SLAVE_MIGRATION_DELAY). */
const REPLICA_MIGRATION_DELAY = 5000;

/**
 * Redis Cluster on one node: the slot table and node view (ClusterState), the cluster bus protocol in Redis's
 * own binary format (PING/PONG/MEET gossip, FAIL, UPDATE, PUBLISH), failure detection (PFAIL by timeout,
 * FAIL by a majority of masters' reports), slot ownership settled by config epochs, and replica failover by
 * election (automatic, or CLUSTER FAILOVER). Sans-IO: bytes and time in, bytes out through BusLinks that the
 * runtime connects. A stock redis-server cluster node can be a member of the same cluster.
 */
export class Cluster implements ClusterRouter {
  readonly state: ClusterState;
  readonly counters: ClusterMessageCounters = { sent: new Map(), received: new Map() };
  /** Outbound links by node. */
  private readonly links = new Map<ClusterNode, BusLink>();
  /** Inbound links, and the one each node last pinged us on. */
  private readonly inbound = new Set<BusLink>();
  private readonly inboundOf = new Map<ClusterNode, BusLink>();
  /** When this master last voted for a replica of each master (by master name). */
  private readonly votedTime = new Map<string, number>();
  private iteration = 0;
  /** When this node last saw itself on the minority side (updateState). */
  private amongMinorityTime = 0;
  /** Since when each master (by name) has had no working replica. */
  private readonly orphanedSince = new Map<string, number>();
  private readonly startedAt: number;
  private stateChanged = true;
  /** Clients connected over TLS (the runtime marks them): with tls-cluster the others are shown plaintext ports. */
  private readonly tlsClients = new WeakSet<Client>();

  // Replica election (Redis's failover_auth_*).
  private authTime = 0;
  private authCount = 0;
  private authSent = false;
  private authRank = 0;
  private authEpoch = 0;
  /** Why a replica cannot fail over now (logged once per reason, as Redis's cant_failover_reason). */
  private cantFailoverReason = '';
  private cantFailoverLogged = 0;

  // Manual failover (Redis's mf_*): on the master, the replica that asked; on the replica, the master's offset.
  private mfEnd = 0;
  private mfReplica: ClusterNode | null = null;
  private mfMasterOffset = -1;
  private mfCanStart = false;
  /** A replica's last known replication link loss, for the data-age check. */
  private masterLinkDownSince = 0;
  /** When set, the next cron runs the election step at once (a manual failover should not wait a tick). */
  private handleLater = false;

  constructor(
    readonly core: ServerCore,
    readonly replication: Replication,
    private readonly host: ClusterHost,
  ) {
    const now = core.now();
    this.startedAt = now;
    const text = host.loadConfig();
    if (text !== null && text.trim() !== '') {
      this.state = parseNodesConfig(text, now);
      // Addresses of myself come from the current configuration, not from the file.
      core.host.log('notice', `Node configuration loaded, I'm ${this.state.myself.name}`);
    } else {
      const myself = newClusterNode(newReplId(core), NodeFlag.MYSELF | NodeFlag.MASTER, now);
      this.state = new ClusterState(myself);
      core.host.log('notice', `No cluster configuration found, I'm ${myself.name}`);
    }
    this.updateMyselfAddress();
    for (const n of this.state.nodes.values()) if (n !== this.state.myself) n.linkConnected = false;
    this.save();
    this.updateState();
    core.cronTasks.push(() => this.cron());
  }

  get myself(): ClusterNode {
    return this.state.myself;
  }

  /** Milliseconds (cluster-node-timeout). */
  get nodeTimeout(): number {
    return this.core.config.int('cluster-node-timeout');
  }

  /**
   * Port, plaintext port, bus port and address of myself from the configuration, as Redis's deriveAnnouncedPorts:
   * with tls-cluster clients are sent to the tls-port and the plain port is announced as `pport`; the default bus
   * port is 10000 above the client port; cluster-announce-* override them.
   */
  updateMyselfAddress(): void {
    const c = this.core.config;
    const me = this.myself;
    const tls = c.bool('tls-cluster');
    const base = tls ? c.int('tls-port') : c.int('port');
    let port = base;
    let pport = tls ? c.int('port') : 0;
    // cluster-announce-tls-port only counts when the config table defines it (it reads undefined otherwise).
    const announceTls = c.int('cluster-announce-tls-port') || 0;
    if (tls && announceTls) {
      port = announceTls;
      pport = c.int('cluster-announce-port');
    } else if (c.int('cluster-announce-port')) {
      port = c.int('cluster-announce-port');
    }
    me.port = port;
    me.pport = pport;
    me.cport = c.int('cluster-announce-bus-port') || c.int('cluster-port') || base + 10000;
    const ip = c.str('cluster-announce-ip');
    if (ip) me.ip = ip;
    me.hostname = c.str('cluster-announce-hostname');
  }

  /** The master whose slots we serve: myself, or the master of myself as a replica (null if unknown). */
  myMaster(): ClusterNode | null {
    const me = this.myself;
    if (isMaster(me)) return me;
    return me.replicaOf ? (this.state.nodes.get(me.replicaOf) ?? null) : null;
  }

  // -----------------------------------------------------------------------------------------------------------
  // Persistence
  // -----------------------------------------------------------------------------------------------------------

  /** Writes nodes.conf now (Redis saves before replying to a command that changed the configuration). */
  save(): boolean {
    return this.saveError() === null;
  }

  /** Writes nodes.conf now; the reason it failed (as strerror words it), or null. */
  saveError(): string | null {
    try {
      this.host.saveConfig(serializeNodesConfig(this.state));
      return null;
    } catch (e) {
      const reason = (e as Error).message;
      this.core.host.log('warning', `Could not save the cluster configuration: ${reason}`);
      return reason;
    }
  }

  // -----------------------------------------------------------------------------------------------------------
  // Links: the runtime reports connection events here
  // -----------------------------------------------------------------------------------------------------------

  /** A node connected to our bus port. */
  accept(): BusLink {
    const link = new BusLink(true, this.core.now(), MAX_BUS_MESSAGE);
    link.connected = true;
    this.inbound.add(link);
    return link;
  }

  /** An outbound link finished connecting: greet the node (MEET if we were asked to meet it). */
  linkUp(link: BusLink): void {
    if (link.closed) return;
    link.connected = true;
    const node = link.node;
    if (!node) return;
    node.linkConnected = true;
    const oldPingSent = node.pingSent;
    this.sendPing(link, node.flags & NodeFlag.MEET ? MessageType.MEET : MessageType.PING);
    if (oldPingSent) node.pingSent = oldPingSent;
    // MEET is sent once: after it, the node knows us and answers PINGs.
    node.flags &= ~NodeFlag.MEET;
  }

  /** A link closed (or failed to connect). */
  linkDown(link: BusLink): void {
    if (link.closed) return;
    link.closed = true;
    link.connected = false;
    if (link.inbound) {
      this.inbound.delete(link);
      if (link.node && this.inboundOf.get(link.node) === link) this.inboundOf.delete(link.node);
      return;
    }
    const node = link.node;
    if (node && this.links.get(node) === link) {
      this.links.delete(node);
      node.linkConnected = false;
      // A node we cannot reach must eventually be flagged PFAIL: count from now if no PING is pending.
      if (node.pingSent === 0) node.pingSent = this.core.now();
    }
  }

  private freeLink(link: BusLink): void {
    link.close();
    this.linkDown(link);
  }

  /** Bytes arrived on a link. Malformed input closes that link only. */
  receive(link: BusLink, bytes: Uint8Array): void {
    if (link.closed) return;
    link.reader.push(bytes);
    for (;;) {
      let msg: ClusterMessage | null;
      try {
        msg = link.reader.next();
      } catch (e) {
        if (!(e instanceof ClusterBusError)) throw e;
        // A message of the wrong length for its type is skipped, as Redis does; a broken frame ends the link.
        if (!e.fatal) {
          this.core.host.log('warning', `Skipping a malformed cluster bus message: ${e.message}`);
          continue;
        }
        this.core.host.log('warning', `Closing cluster bus link: ${e.message}`);
        this.freeLink(link);
        return;
      }
      if (!msg) break;
      link.events++;
      if (!this.process(link, msg)) return;
      if (link.closed) return;
    }
  }

  // -----------------------------------------------------------------------------------------------------------
  // Sending
  // -----------------------------------------------------------------------------------------------------------

  private header(type: number): ClusterMessageHeader {
    const me = this.myself;
    const master = this.myMaster() ?? me;
    const paused = this.mfEnd !== 0 && isMaster(me) && this.core.clientPause !== null;
    return {
      type,
      port: me.port,
      currentEpoch: this.state.currentEpoch,
      configEpoch: master.configEpoch,
      offset: this.core.replicationOffset(),
      sender: me.name,
      slots: master.slots.slice(),
      replicaOf: isMaster(me) ? null : me.replicaOf,
      myip: this.core.config.str('cluster-announce-ip'),
      pport: me.pport,
      cport: me.cport,
      flags: me.flags,
      clusterOk: this.state.state === 'ok',
      mflags: [paused ? MessageFlag0.PAUSED : 0, 0, 0],
    };
  }

  private sendMessage(link: BusLink, msg: ClusterMessage): void {
    if (!link.connected || link.closed) return;
    link.send(encodeClusterMessage(msg));
    link.events++;
    const name = TYPE_NAMES[msg.type] ?? 'unknown';
    this.counters.sent.set(name, (this.counters.sent.get(name) ?? 0) + 1);
    // A peer that stops reading must not make us buffer without end (cluster-link-sendbuf-limit, 0 = none):
    // the link is dropped and rebuilt by the cron, as Redis does.
    const limit = this.core.config.int('cluster-link-sendbuf-limit');
    if (limit > 0 && link.bufferedBytes() > limit) {
      this.counters.linksBufferLimitExceeded = (this.counters.linksBufferLimitExceeded ?? 0) + 1;
      this.core.host.log('warning', `Freeing cluster link (${link.inbound ? 'from' : 'to'} node ${link.node?.name ?? '?'}), used memory: ${link.bufferedBytes()}`);
      this.freeLink(link);
    }
  }

  private random(n: number): number {
    const b = new Uint8Array(4);
    this.core.randomBytes(b);
    return (((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0) % n;
  }

  private gossipEntry(n: ClusterNode): GossipEntry {
    return {
      name: n.name,
      pingSent: Math.floor(n.pingSent / 1000),
      pongReceived: Math.floor(n.pongReceived / 1000),
      ip: n.ip,
      port: n.port,
      cport: n.cport,
      flags: n.flags,
      pport: n.pport,
    };
  }

  /** PING, PONG or MEET with gossip about a few random nodes and every node we flag PFAIL (clusterSendPing). */
  private sendPing(link: BusLink, type: number): void {
    const all = [...this.state.nodes.values()];
    const fresh = all.length - 2;
    let wanted = Math.floor(all.length / 10);
    if (wanted < 3) wanted = 3;
    if (wanted > fresh) wanted = fresh;
    if (link.node && type === MessageType.PING) link.node.pingSent = this.core.now();
    const chosen = new Set<ClusterNode>();
    const gossip: GossipEntry[] = [];
    let iterations = wanted * 3;
    while (fresh > 0 && gossip.length < wanted && iterations-- > 0) {
      const n = all[this.random(all.length)];
      if (n === this.myself || n.flags & NodeFlag.PFAIL) continue;
      if (n.flags & (NodeFlag.HANDSHAKE | NodeFlag.NOADDR) || (!this.links.has(n) && n.numSlots === 0)) continue;
      if (chosen.has(n)) continue;
      chosen.add(n);
      gossip.push(this.gossipEntry(n));
    }
    for (const n of all) {
      if (n.flags & NodeFlag.PFAIL && !(n.flags & (NodeFlag.HANDSHAKE | NodeFlag.NOADDR)) && !chosen.has(n)) {
        gossip.push(this.gossipEntry(n));
      }
    }
    const extensions = this.myself.hostname ? [{ type: 0, hostname: this.myself.hostname }] : [];
    this.sendMessage(link, { ...this.header(type), type, gossip, extensions } as ClusterMessage);
  }

  /** Sends to every node we have a link to (clusterBroadcastMessage). */
  private broadcast(make: () => ClusterMessage): void {
    for (const [node, link] of this.links) {
      if (node.flags & (NodeFlag.MYSELF | NodeFlag.HANDSHAKE)) continue;
      this.sendMessage(link, make());
    }
  }

  /** PONG to every node (or only to our master's replicas), so they learn a change at once. */
  private broadcastPong(localReplicasOnly = false): void {
    const master = this.myMaster();
    for (const [node, link] of this.links) {
      if (node.flags & (NodeFlag.MYSELF | NodeFlag.HANDSHAKE)) continue;
      if (localReplicasOnly && !(master && node.replicaOf === master.name && !isMaster(node))) continue;
      this.sendPing(link, MessageType.PONG);
    }
  }

  /** Cluster-wide PUBLISH: every node delivers it to its own subscribers. */
  broadcastPublish(channel: string, message: string): void {
    this.broadcast(() => ({ ...this.header(MessageType.PUBLISH), type: MessageType.PUBLISH, channel, message }) as ClusterMessage);
  }

  private sendFail(name: string): void {
    this.broadcast(() => ({ ...this.header(MessageType.FAIL), type: MessageType.FAIL, failing: name }) as ClusterMessage);
  }

  private sendUpdate(link: BusLink, node: ClusterNode): void {
    this.sendMessage(link, {
      ...this.header(MessageType.UPDATE),
      type: MessageType.UPDATE,
      update: { configEpoch: node.configEpoch, name: node.name, slots: node.slots.slice() },
    } as ClusterMessage);
  }

  // -----------------------------------------------------------------------------------------------------------
  // Receiving (Redis's clusterProcessPacket)
  // -----------------------------------------------------------------------------------------------------------

  /** Handles one message; returns false when the link was freed. */
  private process(link: BusLink, msg: ClusterMessage): boolean {
    const now = this.core.now();
    const typeName = TYPE_NAMES[msg.type] ?? 'unknown';
    this.counters.received.set(typeName, (this.counters.received.get(typeName) ?? 0) + 1);
    const type = msg.type;
    let sender = this.state.nodes.get(msg.sender) ?? null;
    if (sender && sender.flags & NodeFlag.HANDSHAKE) sender = null;
    if (sender) sender.dataReceived = now;
    if (sender && !(sender.flags & NodeFlag.HANDSHAKE)) {
      if (msg.currentEpoch > this.state.currentEpoch) {
        this.state.currentEpoch = msg.currentEpoch;
        this.save();
      }
      if (msg.configEpoch > sender.configEpoch) {
        sender.configEpoch = msg.configEpoch;
        this.save();
      }
      sender.replOffset = msg.offset;
      // A master paused for a manual failover tells its replica the offset to reach.
      if (this.mfEnd && !isMaster(this.myself) && this.myself.replicaOf === sender.name && msg.mflags[0] & MessageFlag0.PAUSED && this.mfMasterOffset === -1) {
        this.mfMasterOffset = msg.offset;
        this.core.host.log('notice', `Received replication offset for paused master manual failover: ${msg.offset}`);
      }
    }

    if (type === MessageType.PING || type === MessageType.MEET) {
      // The address others use for us is the one they reached us at.
      if ((type === MessageType.MEET || this.myself.ip === '') && !this.core.config.str('cluster-announce-ip') && link.localIp) {
        if (this.myself.ip !== link.localIp) {
          this.myself.ip = link.localIp;
          this.core.host.log('notice', `IP address for this node updated to ${link.localIp}`);
          this.save();
        }
      }
      if (!sender && type === MessageType.MEET) {
        const node = newClusterNode(newReplId(this.core), NodeFlag.HANDSHAKE, now);
        node.ip = msg.myip || link.remoteIp;
        node.port = msg.port;
        node.cport = msg.cport;
        node.pport = msg.pport;
        this.state.nodes.set(node.name, node);
        this.save();
        if ('gossip' in msg) this.processGossip(msg, null);
      }
      this.sendPing(link, MessageType.PONG);
    }

    if (type === MessageType.PING || type === MessageType.PONG || type === MessageType.MEET) {
      if (link.inbound && sender && type === MessageType.PING) this.inboundOf.set(sender, link);
      if (!link.inbound && link.node) {
        const node = link.node;
        if (node.flags & NodeFlag.HANDSHAKE) {
          if (sender) {
            // We already know this node under its real name: drop the handshake entry, maybe take its address.
            this.updateAddress(sender, link, msg);
            this.state.removeNode(node);
            this.freeLink(link);
            this.stateChanged = true;
            this.save();
            return false;
          }
          this.state.renameNode(node, msg.sender);
          node.flags &= ~NodeFlag.HANDSHAKE;
          node.flags |= msg.flags & (NodeFlag.MASTER | NodeFlag.SLAVE);
          this.core.host.log('verbose', `Handshake with node ${node.name} completed.`);
          this.save();
        } else if (node.name !== msg.sender) {
          // The node at this address has a new name: forget the address until gossip tells us where it went.
          this.core.host.log('verbose', `PONG contains mismatching sender ID. About node ${node.name} added ${now - node.ctime} ms ago, having flags ${node.flags}`);
          node.flags |= NodeFlag.NOADDR;
          node.ip = '';
          node.port = 0;
          node.cport = 0;
          this.freeLink(link);
          this.save();
          return false;
        }
      }
      if (sender && type === MessageType.PING && this.updateAddress(sender, link, msg)) this.save();

      if (!link.inbound && link.node && type === MessageType.PONG) {
        const node = link.node;
        node.pongReceived = now;
        node.pingSent = 0;
        if (node.flags & NodeFlag.PFAIL) {
          node.flags &= ~NodeFlag.PFAIL;
          this.stateChanged = true;
        } else if (node.flags & NodeFlag.FAIL) {
          this.clearFailureIfNeeded(node);
        }
      }

      if (sender) {
        if (msg.replicaOf === null) {
          this.setNodeAsMaster(sender);
        } else {
          if (isMaster(sender)) {
            // A master turned replica: it serves no slots any more.
            for (const slot of this.state.slotsOf(sender)) this.state.clearSlot(slot);
            sender.flags &= ~(NodeFlag.MASTER | NodeFlag.MIGRATE_TO);
            sender.flags |= NodeFlag.SLAVE;
            this.stateChanged = true;
            this.save();
          }
          if (sender.replicaOf !== msg.replicaOf) {
            sender.replicaOf = msg.replicaOf;
            this.save();
          }
          // A master that has (had) replicas is a target for replica migration once orphaned.
          const master = this.state.nodes.get(msg.replicaOf);
          if (master && isMaster(master)) master.flags |= NodeFlag.MIGRATE_TO;
        }
      }

      // Slot claims: a master's claim wins where its config epoch is greater.
      const senderMaster = sender ? (isMaster(sender) ? sender : sender.replicaOf ? (this.state.nodes.get(sender.replicaOf) ?? null) : null) : null;
      if (sender && isMaster(sender) && senderMaster && !sameBitmap(senderMaster.slots, msg.slots)) {
        this.updateSlotsConfigWith(sender, msg.configEpoch, msg.slots);
      }
      if (sender && senderMaster && !sameBitmap(senderMaster.slots, msg.slots)) {
        // The sender claims slots we know another node owns with a newer epoch: tell it (UPDATE).
        for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
          if (!bitmapHas(msg.slots, slot)) continue;
          const owner = this.state.slotOwner[slot];
          if (owner === sender || owner === null) continue;
          if (owner.configEpoch > msg.configEpoch) {
            this.core.host.log('verbose', `Node ${sender.name} has old slots configuration, sending an UPDATE message about ${owner.name}`);
            this.sendUpdate(link, owner);
            break;
          }
        }
      }
      if (sender && isMaster(this.myself) && isMaster(sender) && msg.configEpoch === this.myself.configEpoch) {
        this.handleConfigEpochCollision(sender);
      }
      if (sender && 'gossip' in msg) this.processGossip(msg, sender);
    } else if (type === MessageType.FAIL) {
      if (sender && 'failing' in msg) {
        const failing = this.state.nodes.get(msg.failing);
        if (failing && !(failing.flags & (NodeFlag.FAIL | NodeFlag.MYSELF))) {
          this.core.host.log('notice', `FAIL message received from ${sender.name} about ${failing.name}`);
          failing.flags |= NodeFlag.FAIL;
          failing.failTime = now;
          failing.flags &= ~NodeFlag.PFAIL;
          this.stateChanged = true;
          this.save();
        }
      }
    } else if (type === MessageType.PUBLISH) {
      if (sender && 'channel' in msg) this.core.publish(msg.channel, msg.message);
    } else if (type === MessageType.PUBLISHSHARD) {
      if (sender && 'channel' in msg) this.core.publishShard(msg.channel, msg.message);
    } else if (type === MessageType.FAILOVER_AUTH_REQUEST) {
      if (sender) this.sendFailoverAuthIfNeeded(sender, msg);
    } else if (type === MessageType.FAILOVER_AUTH_ACK) {
      if (sender && isMaster(sender) && sender.numSlots > 0 && msg.currentEpoch >= this.authEpoch) {
        this.authCount++;
        this.handleReplicaFailover();
      }
    } else if (type === MessageType.MFSTART) {
      // Our replica asks for a manual failover: pause writes and advertise the offset it must reach.
      if (sender && sender.replicaOf === this.myself.name) {
        this.resetManualFailover();
        this.mfEnd = now + MF_TIMEOUT;
        this.mfReplica = sender;
        this.core.pause(now + MF_TIMEOUT * MF_PAUSE_MULT, false);
        this.core.host.log('notice', `Manual failover requested by replica ${sender.name}.`);
        const l = this.links.get(sender);
        if (l) this.sendPing(l, MessageType.PING);
      }
    } else if (type === MessageType.UPDATE) {
      if (sender && 'update' in msg) {
        const node = this.state.nodes.get(msg.update.name);
        if (node && node.configEpoch < msg.update.configEpoch) {
          if (!isMaster(node)) this.setNodeAsMaster(node);
          node.configEpoch = msg.update.configEpoch;
          this.updateSlotsConfigWith(node, msg.update.configEpoch, msg.update.slots);
        }
      }
    }
    return true;
  }

  /** Takes a newer address for a node from the message it sent us (nodeUpdateAddressIfNeeded). */
  private updateAddress(node: ClusterNode, link: BusLink, msg: ClusterMessageHeader): boolean {
    if (node === this.myself) return false;
    // Only the link the node opened to us says where it is now; our own link reached it where we thought.
    if (link === this.links.get(node)) return false;
    const ip = msg.myip || link.remoteIp;
    if (!ip || (node.ip === ip && node.port === msg.port && node.cport === msg.cport && node.pport === msg.pport)) return false;
    node.ip = ip;
    node.port = msg.port;
    node.cport = msg.cport;
    node.pport = msg.pport;
    node.flags &= ~NodeFlag.NOADDR;
    const out = this.links.get(node);
    if (out) this.freeLink(out);
    this.core.host.log('notice', `Address updated for node ${node.name}, now ${ip}:${msg.port}`);
    // Our master moved: follow it to the new address.
    if (!isMaster(this.myself) && this.myself.replicaOf === node.name) this.followMaster(node);
    return true;
  }

  private processGossip(msg: { gossip: GossipEntry[] }, sender: ClusterNode | null): void {
    const now = this.core.now();
    for (const g of msg.gossip) {
      const node = this.state.nodes.get(g.name);
      if (node) {
        if (sender && isMaster(sender) && node !== this.myself) {
          if (g.flags & (NodeFlag.FAIL | NodeFlag.PFAIL)) {
            if (!node.failReports.has(sender.name)) this.core.host.log('verbose', `Node ${sender.name} reported node ${node.name} as not reachable.`);
            node.failReports.set(sender.name, now);
            this.markFailingIfNeeded(node);
          } else if (node.failReports.delete(sender.name)) {
            this.core.host.log('verbose', `Node ${sender.name} reported node ${node.name} is back online.`);
          }
        }
        // Someone recently heard from it: trust that instead of pinging it ourselves (saves bus traffic).
        if (!(g.flags & (NodeFlag.FAIL | NodeFlag.PFAIL)) && node.pingSent === 0 && this.liveFailReports(node) === 0) {
          const pongTime = g.pongReceived * 1000;
          if (pongTime <= now + 500 && pongTime > node.pongReceived) node.pongReceived = pongTime;
        }
        // A node we cannot reach, seen elsewhere at another address: try that one.
        if (
          node.flags & (NodeFlag.FAIL | NodeFlag.PFAIL) &&
          !(g.flags & (NodeFlag.NOADDR | NodeFlag.FAIL | NodeFlag.PFAIL)) &&
          !(node.flags & NodeFlag.HANDSHAKE) &&
          (node.ip !== g.ip || node.port !== g.port || node.cport !== g.cport)
        ) {
          const out = this.links.get(node);
          if (out) this.freeLink(out);
          node.ip = g.ip;
          node.port = g.port;
          node.cport = g.cport;
          node.pport = g.pport;
          node.flags &= ~NodeFlag.NOADDR;
        }
      } else if (sender && !(g.flags & NodeFlag.NOADDR) && !this.isBlacklisted(g.name)) {
        // A node we do not know, vouched for by a known node: add it under its own name (a MEET to the address
        // could join whatever cluster now lives there), and the cron connects and PINGs it.
        const added = newClusterNode(g.name, g.flags & ~(NodeFlag.MYSELF | NodeFlag.MEET), now);
        added.ip = g.ip;
        added.port = g.port;
        added.cport = g.cport;
        added.pport = g.pport;
        this.state.nodes.set(added.name, added);
        this.save();
      }
    }
  }

  private isBlacklisted(name: string): boolean {
    const until = this.state.blacklist.get(name);
    if (until === undefined) return false;
    if (until < Math.floor(this.core.now() / 1000)) {
      this.state.blacklist.delete(name);
      return false;
    }
    return true;
  }

  /** Starts meeting the node at ip:port (CLUSTER MEET, or gossip about an unknown node). False if invalid. */
  startHandshake(ip: string, port: number, cport: number): boolean {
    if (!ip || port <= 0 || port > 65535 || cport <= 0 || cport > 65535) return false;
    for (const n of this.state.nodes.values()) {
      if (n.flags & NodeFlag.HANDSHAKE && n.ip === ip && n.port === port && n.cport === cport) return true;
    }
    const node = newClusterNode(newReplId(this.core), NodeFlag.HANDSHAKE | NodeFlag.MEET, this.core.now());
    node.ip = ip;
    node.port = port;
    node.cport = cport;
    this.state.nodes.set(node.name, node);
    return true;
  }

  // -----------------------------------------------------------------------------------------------------------
  // Failure detection
  // -----------------------------------------------------------------------------------------------------------

  private liveFailReports(node: ClusterNode): number {
    const maxAge = this.nodeTimeout * FAIL_REPORT_VALIDITY_MULT;
    const now = this.core.now();
    for (const [name, time] of node.failReports) if (now - time > maxAge) node.failReports.delete(name);
    return node.failReports.size;
  }

  /** PFAIL becomes FAIL when a majority of the masters agree (markNodeAsFailingIfNeeded); FAIL is broadcast. */
  private markFailingIfNeeded(node: ClusterNode): void {
    const quorum = Math.floor(this.state.size / 2) + 1;
    if (!(node.flags & NodeFlag.PFAIL) || node.flags & NodeFlag.FAIL) return;
    let failures = this.liveFailReports(node);
    if (isMaster(this.myself)) failures++;
    if (failures < quorum) return;
    this.core.host.log('notice', `Marking node ${node.name} as failing (quorum reached).`);
    node.flags &= ~NodeFlag.PFAIL;
    node.flags |= NodeFlag.FAIL;
    node.failTime = this.core.now();
    this.sendFail(node.name);
    this.stateChanged = true;
    this.save();
  }

  /** A FAIL flag is cleared when the node is back and is a replica or slotless master, or after a long time. */
  private clearFailureIfNeeded(node: ClusterNode): void {
    const now = this.core.now();
    if (!isMaster(node) || node.numSlots === 0) {
      this.core.host.log('notice', `Clear FAIL state for node ${node.name}: ${isMaster(node) ? 'master without slots' : 'replica'} is reachable again.`);
      node.flags &= ~NodeFlag.FAIL;
      this.stateChanged = true;
      this.save();
    } else if (now - node.failTime > this.nodeTimeout * FAIL_UNDO_TIME_MULT) {
      this.core.host.log('notice', `Clear FAIL state for node ${node.name}: is reachable again and nobody is serving its slots after some time.`);
      node.flags &= ~NodeFlag.FAIL;
      this.stateChanged = true;
      this.save();
    }
  }

  // -----------------------------------------------------------------------------------------------------------
  // Slot ownership and roles
  // -----------------------------------------------------------------------------------------------------------

  /**
   * Applies a master's slot claims where its config epoch beats the current owner's (clusterUpdateSlotsConfigWith).
   * When we lose all our slots to it we become its replica; keys of slots taken from us are deleted.
   */
  private updateSlotsConfigWith(sender: ClusterNode, senderConfigEpoch: number, slots: Uint8Array): void {
    if (sender === this.myself) return;
    const me = this.myself;
    const curMaster = this.myMaster() ?? me;
    let newMaster: ClusterNode | null = null;
    const dirty: number[] = [];
    let changed = false;
    let senderSlots = 0;
    let migratedOurSlots = 0;
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
      if (!bitmapHas(slots, slot)) continue;
      senderSlots++;
      const owner = this.state.slotOwner[slot];
      if (owner === sender) continue;
      // A slot we are importing is assigned by CLUSTER SETSLOT NODE, not by gossip.
      if (this.state.importingFrom.has(slot)) continue;
      if (owner === null || owner.configEpoch < senderConfigEpoch) {
        if (owner === me && this.countKeysInSlot(slot) > 0) dirty.push(slot);
        if (owner === curMaster) {
          newMaster = sender;
          migratedOurSlots++;
          this.removeShardChannelsInSlot(slot);
        }
        this.state.assignSlot(slot, sender);
        changed = true;
      }
    }
    if (!changed) return;
    this.stateChanged = true;
    const myMaster = isMaster(me) ? null : this.myMaster();
    const grandMaster = myMaster?.replicaOf ? (this.state.nodes.get(myMaster.replicaOf) ?? null) : null;
    if (newMaster && curMaster.numSlots === 0 && (this.core.config.bool('cluster-allow-replica-migration') || senderSlots === migratedOurSlots)) {
      this.core.host.log('notice', 'Configuration change detected. Reconfiguring myself as a replica of ' + sender.name);
      this.setMyselfReplicaOf(sender);
    } else if (grandMaster && grandMaster !== me && !isMaster(myMaster!)) {
      // Our master lost its last slot and follows another master: follow that one (no sub-replicas).
      this.core.host.log('notice', `I'm a sub-replica! Reconfiguring myself as a replica of grandmaster ${grandMaster.name}`);
      this.setMyselfReplicaOf(grandMaster);
    } else if (dirty.length > 0) {
      for (const slot of dirty) this.deleteKeysInSlot(slot);
    }
    this.save();
  }

  /** Two masters with one config epoch: the one with the greater name takes a new epoch. */
  private handleConfigEpochCollision(sender: ClusterNode): void {
    if (sender.configEpoch !== this.myself.configEpoch || !isMaster(sender) || !isMaster(this.myself)) return;
    if (sender.name <= this.myself.name) return;
    this.state.currentEpoch++;
    this.myself.configEpoch = this.state.currentEpoch;
    this.save();
    this.core.host.log('verbose', `WARNING: configEpoch collision with node ${sender.name}. configEpoch set to ${this.myself.configEpoch}`);
  }

  private setNodeAsMaster(node: ClusterNode): void {
    if (isMaster(node)) return;
    // A replica that took over a master with replicas should get replicas too (replica migration's target).
    if (node.replicaOf && node !== this.myself) node.flags |= NodeFlag.MIGRATE_TO;
    node.flags &= ~NodeFlag.SLAVE;
    node.flags |= NodeFlag.MASTER;
    node.replicaOf = null;
    this.stateChanged = true;
    this.save();
  }

  /** Makes this node a replica of `master` and starts replicating from it (clusterSetMaster). */
  setMyselfReplicaOf(master: ClusterNode): void {
    const me = this.myself;
    if (isMaster(me)) {
      me.flags &= ~(NodeFlag.MASTER | NodeFlag.MIGRATE_TO);
      me.flags |= NodeFlag.SLAVE;
      for (const slot of this.state.slotsOf(me)) this.state.clearSlot(slot);
      this.state.importingFrom.clear();
      this.state.migratingTo.clear();
    }
    me.replicaOf = master.name;
    this.followMaster(master);
    this.resetManualFailover();
    this.stateChanged = true;
    this.save();
  }

  private followMaster(master: ClusterNode): void {
    if (!master.ip || !master.port) return;
    const target = parseMasterTarget([master.ip, String(master.port)]);
    if (target) this.replication.setMaster(target);
  }

  /** The keys of db 0 in a slot (cluster mode has one database), newest first as Redis lists them. */
  keysInSlot(slot: number, limit = Infinity): string[] {
    const all = [...slotIndexed(this.core.dbs[0]).keysIn(slot)];
    all.reverse();
    return all.length > limit ? all.slice(0, limit) : all;
  }

  countKeysInSlot(slot: number): number {
    return slotIndexed(this.core.dbs[0]).keysIn(slot).size;
  }

  private deleteKeysInSlot(slot: number): void {
    const db = this.core.dbs[0];
    const keys = this.keysInSlot(slot);
    // As Redis 7's delKeysInSlot: replicas drop them too.
    for (const key of keys) {
      db.dict.delete(key);
      db.expires.delete(key);
      this.core.signalModifiedKey(0, key);
      this.core.propagator.add(0, ['DEL', key]);
    }
    this.core.propagator.flush();
    if (keys.length) this.core.host.log('notice', `Deleted ${keys.length} keys from slot ${slot} that is now served by another node.`);
  }

  // -----------------------------------------------------------------------------------------------------------
  // Replica failover (election)
  // -----------------------------------------------------------------------------------------------------------

  /** A master votes for a replica of a failed master, once per epoch (clusterSendFailoverAuthIfNeeded). */
  private sendFailoverAuthIfNeeded(node: ClusterNode, request: ClusterMessageHeader): void {
    const now = this.core.now();
    const me = this.myself;
    if (!isMaster(me) || me.numSlots === 0) return;
    const master = request.replicaOf ? (this.state.nodes.get(request.replicaOf) ?? null) : null;
    const forceAck = (request.mflags[0] & MessageFlag0.FORCEACK) !== 0;
    if (request.currentEpoch < this.state.currentEpoch) {
      this.core.host.log('warning', `Failover auth denied to ${node.name}: reqEpoch (${request.currentEpoch}) < curEpoch(${this.state.currentEpoch})`);
      return;
    }
    if (this.state.lastVoteEpoch === this.state.currentEpoch) {
      this.core.host.log('warning', `Failover auth denied to ${node.name}: already voted for epoch ${this.state.currentEpoch}`);
      return;
    }
    if (isMaster(node) || !master || (!(master.flags & NodeFlag.FAIL) && !forceAck)) {
      const why = isMaster(node) ? 'it is a master node' : !master ? 'I don\'t know its master' : "its master is up";
      this.core.host.log('warning', `Failover auth denied to ${node.name}: ${why}`);
      return;
    }
    const voted = this.votedTime.get(master.name) ?? 0;
    if (now - voted < this.nodeTimeout * 2) {
      this.core.host.log('warning', `Failover auth denied to ${node.name}: can't vote about this master before ${this.nodeTimeout * 2 - (now - voted)} milliseconds`);
      return;
    }
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
      if (!bitmapHas(request.slots, slot)) continue;
      const owner = this.state.slotOwner[slot];
      if (owner === null || owner.configEpoch <= request.configEpoch) continue;
      this.core.host.log('warning', `Failover auth denied to ${node.name}: slot ${slot} epoch (${owner.configEpoch}) > reqEpoch (${request.configEpoch})`);
      return;
    }
    this.state.lastVoteEpoch = this.state.currentEpoch;
    this.votedTime.set(master.name, now);
    this.save();
    const link = this.links.get(node);
    if (link) this.sendMessage(link, { ...this.header(MessageType.FAILOVER_AUTH_ACK), type: MessageType.FAILOVER_AUTH_ACK } as ClusterMessage);
    this.core.host.log('notice', `Failover auth granted to ${node.name} for epoch ${this.state.currentEpoch}`);
  }

  /** How many replicas of our master have a better replication offset than ours (they go first). */
  private replicaRank(): number {
    const master = this.myMaster();
    if (!master || master === this.myself) return 0;
    const mine = this.core.replicationOffset();
    let rank = 0;
    for (const r of this.state.replicasOf(master)) {
      if (r !== this.myself && !(r.flags & NodeFlag.NOFAILOVER) && r.replOffset > mine) rank++;
    }
    return rank;
  }

  private logCantFailover(reason: string): void {
    const now = this.core.now();
    if (reason === this.cantFailoverReason && now - this.cantFailoverLogged < 10_000) return;
    this.cantFailoverReason = reason;
    this.cantFailoverLogged = now;
    this.core.host.log('notice', `Currently unable to failover: ${reason}`);
  }

  /** A replica whose master failed runs an election and, with a majority of masters' votes, takes its place. */
  private handleReplicaFailover(): void {
    const me = this.myself;
    const now = this.core.now();
    const master = this.myMaster();
    const quorum = Math.floor(this.state.size / 2) + 1;
    const manual = this.mfEnd !== 0 && this.mfCanStart;
    const authTimeout = Math.max(this.nodeTimeout * 2, 2000);
    const authRetry = authTimeout * 2;
    if (isMaster(me) || !master || master === me || (!(master.flags & NodeFlag.FAIL) && !manual) || master.numSlots === 0) return;
    if (this.core.config.bool('cluster-replica-no-failover') && !manual) {
      this.logCantFailover('Disconnected from master and cluster-replica-no-failover is set.');
      return;
    }
    // Data age: how long since the link with the master went down (beyond the node timeout).
    let dataAge = this.core.masterLinkUp ? 0 : now - (this.masterLinkDownSince || now);
    if (dataAge > this.nodeTimeout) dataAge -= this.nodeTimeout;
    const factor = this.core.config.int('cluster-replica-validity-factor');
    if (factor && dataAge > this.core.config.int('repl-ping-replica-period') * 1000 + this.nodeTimeout * factor && !manual) {
      this.logCantFailover('Disconnected from master for longer than allowed. Please check the \'cluster-replica-validity-factor\' configuration option.');
      return;
    }
    if (now - this.authTime > authRetry) {
      this.authTime = now + 500 + this.random(500);
      this.authCount = 0;
      this.authSent = false;
      this.authRank = this.replicaRank();
      this.authTime += this.authRank * 1000;
      if (this.mfEnd) {
        this.authTime = now;
        this.authRank = 0;
        this.handleLater = true;
      }
      this.core.host.log('notice', `Start of election delayed for ${this.authTime - now} milliseconds (rank #${this.authRank}, offset ${this.core.replicationOffset()}).`);
      this.broadcastPong(true);
      return;
    }
    if (!this.authSent && !manual) {
      const rank = this.replicaRank();
      if (rank > this.authRank) {
        this.authTime += (rank - this.authRank) * 1000;
        this.authRank = rank;
      }
    }
    if (now < this.authTime) return;
    if (now - this.authTime > authTimeout) {
      this.logCantFailover('Waiting for votes, but majority still not reached.');
      return;
    }
    if (!this.authSent) {
      this.state.currentEpoch++;
      this.authEpoch = this.state.currentEpoch;
      this.core.host.log('notice', `Starting a failover election for epoch ${this.authEpoch}.`);
      const header = this.header(MessageType.FAILOVER_AUTH_REQUEST);
      if (manual) header.mflags[0] |= MessageFlag0.FORCEACK;
      this.broadcast(() => ({ ...header, slots: header.slots.slice(), type: MessageType.FAILOVER_AUTH_REQUEST }) as ClusterMessage);
      this.authSent = true;
      this.save();
      return;
    }
    if (this.authCount >= quorum) {
      this.core.host.log('notice', 'Failover election won: I\'m the new master.');
      if (me.configEpoch < this.authEpoch) me.configEpoch = this.authEpoch;
      this.replaceMyMaster();
      this.resetManualFailover();
    } else {
      this.logCantFailover('Waiting for votes, but majority still not reached.');
    }
  }

  /** Takes over our master's slots and becomes a master (clusterFailoverReplaceYourMaster). */
  private replaceMyMaster(): void {
    const me = this.myself;
    const old = this.myMaster();
    if (isMaster(me) || !old || old === me) return;
    me.flags &= ~NodeFlag.SLAVE;
    me.flags |= NodeFlag.MASTER;
    me.replicaOf = null;
    this.replication.unsetMaster('cluster failover');
    for (const slot of this.state.slotsOf(old)) this.state.assignSlot(slot, me);
    this.stateChanged = true;
    this.updateState();
    this.save();
    this.broadcastPong();
  }

  /** CLUSTER FAILOVER [FORCE|TAKEOVER] on a replica. */
  manualFailover(mode: 'default' | 'force' | 'takeover'): void {
    const master = this.myMaster();
    if (!master || master === this.myself) return;
    this.resetManualFailover();
    this.mfEnd = this.core.now() + MF_TIMEOUT;
    if (mode === 'takeover') {
      // No election: a new epoch of our own, then take the slots.
      this.state.currentEpoch++;
      this.myself.configEpoch = this.state.currentEpoch;
      this.core.host.log('notice', `Taking over the master (user request), new configEpoch set to ${this.myself.configEpoch}`);
      this.replaceMyMaster();
      this.resetManualFailover();
      return;
    }
    if (mode === 'force') {
      this.mfCanStart = true;
      this.core.host.log('notice', 'Forced failover user request accepted.');
      this.handleReplicaFailover();
      return;
    }
    const link = this.links.get(master);
    if (link) this.sendMessage(link, { ...this.header(MessageType.MFSTART), type: MessageType.MFSTART } as ClusterMessage);
    this.core.host.log('notice', 'Manual failover user request accepted.');
  }

  private resetManualFailover(): void {
    // The pause was ours (MFSTART from our replica): end it even if we are no longer the master.
    if (this.mfReplica) this.core.unpause();
    this.mfEnd = 0;
    this.mfReplica = null;
    this.mfMasterOffset = -1;
    this.mfCanStart = false;
  }

  private handleManualFailover(): void {
    if (this.mfEnd === 0) return;
    if (this.mfEnd < this.core.now()) {
      this.core.host.log('warning', 'Manual failover timed out.');
      this.resetManualFailover();
      return;
    }
    if (this.mfCanStart || isMaster(this.myself)) return;
    if (this.mfMasterOffset !== -1 && this.mfMasterOffset === this.core.replicationOffset()) {
      this.mfCanStart = true;
      this.core.host.log('notice', 'All master replication stream processed, manual failover can start.');
      this.handleReplicaFailover();
    }
  }

  // -----------------------------------------------------------------------------------------------------------
  // Periodic work (clusterCron, 10 times a second)
  // -----------------------------------------------------------------------------------------------------------

  cron(): void {
    const now = this.core.now();
    this.iteration++;
    const timeout = this.nodeTimeout;
    const handshakeTimeout = Math.max(timeout, 1000);
    this.updateMyselfAddress();
    this.myself.replOffset = this.core.replicationOffset();
    for (const node of [...this.state.nodes.values()]) {
      if (node === this.myself || node.flags & NodeFlag.NOADDR) continue;
      if (node.flags & NodeFlag.HANDSHAKE && now - node.ctime > handshakeTimeout) {
        const l = this.links.get(node);
        if (l) this.freeLink(l);
        this.state.removeNode(node);
        continue;
      }
      if (!this.links.has(node) && node.ip && node.cport) {
        const link = new BusLink(false, now, MAX_BUS_MESSAGE);
        link.node = node;
        this.links.set(node, link);
        this.host.connect(link, node.ip, node.cport);
      }
    }
    // Once a second, PING the node we heard from least recently among a few random ones.
    if (this.iteration % 10 === 0) {
      const all = [...this.state.nodes.values()];
      let oldest: ClusterNode | null = null;
      for (let i = 0; i < 5 && all.length > 0; i++) {
        const n = all[this.random(all.length)];
        const l = this.links.get(n);
        if (!l?.connected || n.pingSent !== 0 || n.flags & (NodeFlag.MYSELF | NodeFlag.HANDSHAKE)) continue;
        if (!oldest || n.pongReceived < oldest.pongReceived) oldest = n;
      }
      if (oldest) this.sendPing(this.links.get(oldest)!, MessageType.PING);
    }
    for (const node of [...this.state.nodes.values()]) {
      if (node.flags & (NodeFlag.MYSELF | NodeFlag.NOADDR | NodeFlag.HANDSHAKE)) continue;
      const link = this.links.get(node);
      const pingDelay = now - node.pingSent;
      const dataDelay = now - node.dataReceived;
      // A link that stays silent while a PING waits: reconnect (the node may have moved or the link be stuck).
      if (link?.connected && now - link.ctime > timeout && node.pingSent && pingDelay > timeout / 2 && dataDelay > timeout / 2) {
        this.freeLink(link);
      }
      const live = this.links.get(node);
      if (live?.connected && node.pingSent === 0 && now - node.pongReceived > timeout / 2) {
        this.sendPing(live, MessageType.PING);
        continue;
      }
      if (this.mfEnd && isMaster(this.myself) && this.mfReplica === node && live?.connected) {
        this.sendPing(live, MessageType.PING);
        continue;
      }
      if (node.pingSent === 0) continue;
      const nodeDelay = Math.min(pingDelay, dataDelay);
      if (nodeDelay > timeout && !(node.flags & (NodeFlag.PFAIL | NodeFlag.FAIL))) {
        this.core.host.log('verbose', `*** NODE ${node.name} possibly failing`);
        node.flags |= NodeFlag.PFAIL;
        this.stateChanged = true;
      }
    }
    // A replica whose replication is off (after a restart) follows its master again once it knows where it is.
    const me = this.myself;
    if (!isMaster(me) && me.replicaOf) {
      const master = this.state.nodes.get(me.replicaOf);
      if (master && !this.replication.link) this.followMaster(master);
      if (this.core.masterLinkUp) this.masterLinkDownSince = 0;
      else if (this.masterLinkDownSince === 0) this.masterLinkDownSince = now;
    }
    this.handleManualFailover();
    if (!isMaster(me) || this.handleLater) {
      this.handleLater = false;
      this.handleReplicaFailover();
    }
    if (!isMaster(me) && this.core.config.bool('cluster-allow-replica-migration')) this.handleReplicaMigration();
    if (this.stateChanged || this.state.state === 'fail' || this.iteration % 10 === 0) this.updateState();
  }

  /** Replicas of a master that are not flagged FAIL. */
  private workingReplicas(master: ClusterNode): number {
    let n = 0;
    for (const r of this.state.replicasOf(master)) if (!(r.flags & NodeFlag.FAIL)) n++;
    return n;
  }

  /**
   * Replica migration (clusterHandleSlaveMigration): when a master serving slots has no working replica left, a
   * replica of the master with the most replicas (the one with the smallest name) moves to it, as long as its
   * own master keeps more than cluster-migration-barrier working replicas.
   */
  private handleReplicaMigration(): void {
    const me = this.myself;
    const myMaster = this.myMaster();
    if (!myMaster || myMaster === me) return;
    const now = this.core.now();
    let orphaned = 0;
    let maxReplicas = 0;
    let mine = 0;
    for (const n of this.state.nodes.values()) {
      if (!isMaster(n) || n.flags & NodeFlag.FAIL) continue;
      const ok = this.workingReplicas(n);
      if (ok === 0 && n.numSlots > 0 && n.flags & NodeFlag.MIGRATE_TO) orphaned++;
      if (ok > maxReplicas) maxReplicas = ok;
      if (n === myMaster) mine = ok;
    }
    // Moving only makes sense from a master with at least two working replicas.
    if (orphaned === 0 || maxReplicas < 2 || mine !== maxReplicas) return;
    if (this.state.state !== 'ok') return;
    let okHere = 0;
    for (const r of this.state.replicasOf(myMaster)) if (!(r.flags & (NodeFlag.FAIL | NodeFlag.PFAIL))) okHere++;
    if (okHere <= this.core.config.int('cluster-migration-barrier')) return;
    let target: ClusterNode | null = null;
    let candidate: ClusterNode = me;
    for (const n of this.state.nodes.values()) {
      let ok = 0;
      let isOrphaned = isMaster(n) && !(n.flags & NodeFlag.FAIL) && (n.flags & NodeFlag.MIGRATE_TO) !== 0;
      if (isMaster(n)) ok = this.workingReplicas(n);
      if (ok > 0) isOrphaned = false;
      if (isOrphaned) {
        if (!target && n.numSlots > 0) target = n;
        if (!this.orphanedSince.has(n.name)) this.orphanedSince.set(n.name, now);
      } else {
        this.orphanedSince.delete(n.name);
      }
      if (ok === maxReplicas) {
        for (const r of this.state.replicasOf(n)) if (r.name < candidate.name) candidate = r;
      }
    }
    // Wait a little: during a failover the natural replicas need time to advertise their new master.
    if (target && candidate === me && now - (this.orphanedSince.get(target.name) ?? now) > REPLICA_MIGRATION_DELAY) {
      this.core.host.log('notice', `Migrating to orphaned master ${target.name}`);
      this.setMyselfReplicaOf(target);
    }
  }

  /** cluster_state: ok when every slot is served by a master not flagged FAIL and we are in the majority. */
  updateState(): void {
    // A master just started may hold an old view of its slots: it serves nothing until it heard from the
    // cluster for a while (CLUSTER_WRITABLE_DELAY), so clients are not told to write where they should not.
    if (isMaster(this.myself) && this.state.state === 'fail' && this.core.now() - this.startedAt < WRITABLE_DELAY) return;
    this.stateChanged = false;
    let ok = true;
    if (this.core.config.bool('cluster-require-full-coverage')) {
      for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
        const owner = this.state.slotOwner[slot];
        if (!owner || owner.flags & NodeFlag.FAIL) {
          ok = false;
          break;
        }
      }
    }
    let size = 0;
    let reachable = 0;
    for (const n of this.state.nodes.values()) {
      if (!isMaster(n) || n.numSlots === 0) continue;
      size++;
      if (!(n.flags & (NodeFlag.FAIL | NodeFlag.PFAIL))) reachable++;
    }
    const now = this.core.now();
    if (reachable < Math.floor(size / 2) + 1) {
      ok = false;
      this.amongMinorityTime = now;
    }
    const next = ok ? 'ok' : 'fail';
    if (next !== this.state.state) {
      // A master back from the minority side waits for the configuration it missed before serving again.
      const rejoinDelay = Math.min(MAX_REJOIN_DELAY, Math.max(MIN_REJOIN_DELAY, this.nodeTimeout));
      if (next === 'ok' && isMaster(this.myself) && now - this.amongMinorityTime < rejoinDelay) return;
      this.core.host.log('notice', `Cluster state changed: ${next}`);
      this.state.state = next;
    }
  }

  // -----------------------------------------------------------------------------------------------------------
  // Routing (Redis's getNodeByQuery): which node serves a command
  // -----------------------------------------------------------------------------------------------------------

  /** Cluster-wide PUBLISH (ClusterRouter). */
  publish(channel: string, message: string): void {
    this.broadcastPublish(channel, message);
  }

  /** SPUBLISH: to the other nodes serving our slots, the master and its replicas (ClusterRouter). */
  publishShard(channel: string, message: string): void {
    const master = this.myMaster();
    if (!master) return;
    for (const node of [master, ...this.state.replicasOf(master)]) {
      if (node === this.myself) continue;
      const link = this.links.get(node);
      if (link) {
        this.sendMessage(link, { ...this.header(MessageType.PUBLISHSHARD), type: MessageType.PUBLISHSHARD, channel, message } as ClusterMessage);
      }
    }
  }

  /**
   * A slot left our shard: its shard channels' subscribers are unsubscribed with a `sunsubscribe` push each, as
   * Redis 7.0's removeChannelsInSlot does, so clients resubscribe where the slot went.
   */
  removeShardChannelsInSlot(slot: number): void {
    for (const [channel, clients] of [...this.core.shardChannels]) {
      if (keyHashSlot(channel) !== slot) continue;
      for (const c of clients) {
        c.shardChannels.delete(channel);
        c.reply(new PushReply(['sunsubscribe', channel, c.shardChannels.size]));
        this.core.queueWrite(c);
      }
      this.core.shardChannels.delete(channel);
    }
  }

  /**
   * The redirection or refusal for a command about to run here, or null to run it: all its keys (and, for
   * EXEC, the queued commands' keys) must hash to one slot, served by this node, or by our master for a
   * READONLY client's read, or being imported with ASKING.
   */
  route(client: Client, spec: CommandSpec, argv: string[], parentName: string): string | null {
    const asking = client.clusterAsking;
    const isExec = parentName === 'exec' && client.multi !== null;
    if (!isExec && spec.firstKey === 0 && !spec.getKeys) return null;
    const commands = isExec ? client.multi!.queue.map((q) => ({ spec: q.spec, argv: q.argv })) : [{ spec, argv }];
    const state = this.state;
    const me = this.myself;
    const now = this.core.now();
    const db = this.core.dbs[0];
    let node: ClusterNode | null = null;
    let firstKey: string | null = null;
    let slot = -1;
    let migrating = false;
    let importing = false;
    let multipleKeys = false;
    let missing = 0;
    let existing = 0;
    let write = false;
    // Shard channels route like keys but are never "missing" during a migration (Redis 7.0).
    let shardPubsub = false;
    for (const c of commands) {
      if (c.spec.flags.includes('write')) write = true;
      if (c.spec.flags.includes('pubsub')) shardPubsub = true;
      for (const pos of commandKeys(c.spec, c.argv)) {
        const key = c.argv[pos];
        const keySlot = keyHashSlot(key);
        if (firstKey === null) {
          firstKey = key;
          slot = keySlot;
          node = state.slotOwner[slot];
          if (!node) return 'CLUSTERDOWN Hash slot not served';
          if (node === me && state.migratingTo.has(slot)) migrating = true;
          else if (state.importingFrom.has(slot)) importing = true;
        } else if (key !== firstKey) {
          if (keySlot !== slot) return "CROSSSLOT Keys in request don't hash to the same slot";
          multipleKeys = true;
        }
        if ((migrating || importing) && !shardPubsub) {
          const expireAt = db.expires.get(key);
          if (!db.dict.has(key) || (expireAt !== undefined && expireAt <= now)) missing++;
          else existing++;
        }
      }
    }
    if (node === null) return null;
    if (state.state !== 'ok') {
      if (shardPubsub) {
        if (!this.core.config.bool('cluster-allow-pubsubshard-when-down')) return 'CLUSTERDOWN The cluster is down';
      } else if (!this.core.config.bool('cluster-allow-reads-when-down')) return 'CLUSTERDOWN The cluster is down';
      if (write) return 'CLUSTERDOWN The cluster is down and only accepts read commands';
    }
    if ((migrating || importing) && parentName === 'migrate') return null;
    if (migrating && missing > 0) {
      if (existing > 0) return 'TRYAGAIN Multiple keys request during rehashing of slot';
      return `ASK ${slot} ${this.endpoint(state.migratingTo.get(slot)!, client)}`;
    }
    if (importing && (asking || parentName === 'restore-asking')) {
      if (multipleKeys && missing > 0) return 'TRYAGAIN Multiple keys request during rehashing of slot';
      return null;
    }
    if (client.clusterReadonly && !write && !isMaster(me) && me.replicaOf === node.name) return null;
    if (node !== me) return `MOVED ${slot} ${this.endpoint(node, client)}`;
    return null;
  }

  /**
   * After each command (Redis's resetClient): ASKING is good for the next command only, whether it ran or was
   * refused, unless it was ASKING itself or the client is in a MULTI (then it lasts until EXEC).
   */
  afterCommand(client: Client, argv: string[]): void {
    if (client.clusterAsking && !client.multi && argv[0].toLowerCase() !== 'asking') client.clusterAsking = false;
  }

  /**
   * The address clients are redirected to (cluster-preferred-endpoint-type ip): a plain-TCP client of a TLS
   * cluster is sent to the node's plaintext port when it has one.
   */
  private endpoint(node: ClusterNode, client: Client): string {
    const port = this.usePport(client) && node.pport ? node.pport : node.port;
    return `${node.ip || '?'}:${port}`;
  }

  /** Records that a client came in over TLS (the runtime calls it as the client connects). */
  markTlsClient(client: Client): void {
    this.tlsClients.add(client);
  }

  /**
   * Redis's use_pport: tls-cluster is on and the client has a connection that is not TLS. Internal clients
   * (scripts, AOF loading) have none, so they see the TLS ports, as Redis's connection-less clients.
   */
  usePport(client: Client): boolean {
    return this.core.config.bool('tls-cluster') && client.info.kind !== 'internal' && !this.tlsClients.has(client);
  }

  /** Closes every link (shutdown). */
  close(): void {
    for (const l of [...this.links.values()]) this.freeLink(l);
    for (const l of [...this.inbound]) this.freeLink(l);
  }

  // -----------------------------------------------------------------------------------------------------------
  // For CLUSTER commands
  // -----------------------------------------------------------------------------------------------------------

  /** Forgets a node for a minute (CLUSTER FORGET). */
  forget(node: ClusterNode): void {
    this.state.blacklist.set(node.name, Math.floor(this.core.now() / 1000) + 60);
    const l = this.links.get(node);
    if (l) this.freeLink(l);
    const inb = this.inboundOf.get(node);
    if (inb) this.freeLink(inb);
    this.state.removeNode(node);
    this.stateChanged = true;
    this.save();
  }

  /** CLUSTER LINKS: every link with its direction and peer. */
  linkList(): Array<{ direction: 'to' | 'from'; node: string; ctime: number; events: number; buffered: number }> {
    const out: Array<{ direction: 'to' | 'from'; node: string; ctime: number; events: number; buffered: number }> = [];
    for (const [node, l] of this.links) {
      if (l.connected) out.push({ direction: 'to', node: node.name, ctime: l.ctime, events: l.events, buffered: l.bufferedBytes() });
    }
    for (const [node, l] of this.inboundOf) {
      if (!l.closed) out.push({ direction: 'from', node: node.name, ctime: l.ctime, events: l.events, buffered: l.bufferedBytes() });
    }
    return out;
  }

  /** Forgets every other node and all slots; HARD also takes a new name and resets epochs (CLUSTER RESET). */
  reset(hard: boolean): void {
    const me = this.myself;
    if (!isMaster(me)) {
      this.replication.unsetMaster('cluster reset');
      me.flags &= ~NodeFlag.SLAVE;
      me.flags |= NodeFlag.MASTER;
      me.replicaOf = null;
      // As Redis's clusterReset: a replica turned master starts empty (its data belonged to its old shard).
      for (const db of this.core.dbs) {
        for (const key of [...db.dict.keys()]) this.core.signalModifiedKey(db.id, key);
        db.clear();
      }
    }
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) this.state.clearSlot(slot);
    this.state.migratingTo.clear();
    this.state.importingFrom.clear();
    for (const n of [...this.state.nodes.values()]) {
      if (n === me) continue;
      const l = this.links.get(n);
      if (l) this.freeLink(l);
      this.state.removeNode(n);
    }
    for (const l of [...this.inbound]) this.freeLink(l);
    if (hard) {
      this.state.currentEpoch = 0;
      this.state.lastVoteEpoch = 0;
      me.configEpoch = 0;
      this.state.renameNode(me, newReplId(this.core));
      this.core.host.log('notice', `Node hard reset, now I'm ${me.name}`);
    }
    this.stateChanged = true;
    this.updateState();
    this.save();
  }

  /** Marks that slot ownership changed outside the bus (CLUSTER ADDSLOTS...), so the state is recomputed. */
  slotsChanged(): void {
    this.stateChanged = true;
    this.updateState();
    this.save();
  }

  /** Whether a node's bus link is up (CLUSTER NODES' link-state). */
  hasLink(node: ClusterNode): boolean {
    return node === this.myself || (this.links.get(node)?.connected ?? false);
  }
}

function sameBitmap(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
