import { bytesToBinary } from '../shared/bytes.js';
import type { Client } from '../shared/engine/client.js';
import { encodeCommand } from '../shared/resp/encoder.js';
import type { Replication } from '../shared/replication/replication.js';
import type { ReplicaState } from './client-state.js';

/**
 * Makes a connection that was an online replica before the object slept a replica again, in the state it
 * was: streaming, with its last acknowledged offset. Nothing was lost in between: the stream up to the
 * persisted offset had been sent to it, and the restored backlog continues from exactly there.
 */
export function adoptReplica(replication: Replication, client: Client, state: ReplicaState): void {
  replication.adoptOnlineReplica(client, {
    listeningPort: state.port,
    ipAddress: state.ip,
    capaEof: state.eof,
    capaPsync2: state.psync2,
    preSync: state.preSync,
    ackOffset: state.ack,
    ackTime: state.ackTime,
    holdStream: state.hold,
  });
}

/** The exact bytes a replica sends to acknowledge `offset` (what replica-link.ts's sendAck encodes). */
export function ackMessage(offset: number): string {
  return bytesToBinary(encodeCommand(['REPLCONF', 'ACK', String(offset)]));
}

const ACK_ONLY = /^(?:\*3\r\n\$8\r\nREPLCONF\r\n\$3\r\nACK\r\n\$\d{1,20}\r\n\d{1,20}\r\n)+$/i;

/** Whether a message holds only REPLCONF ACKs (a replica's heartbeat: handled without loading the dataset). */
export function isAckOnly(bytes: Uint8Array): boolean {
  return bytes.length < 4096 && ACK_ONLY.test(bytesToBinary(bytes));
}

/**
 * Idle replicas acknowledge the same offset every second. The object answers those ACKs without waking (a
 * WebSocket auto-response whose request is the ACK of the current offset and whose response is an empty
 * message: zero stream bytes), so the ACKs it never saw are read back from the runtime's auto-response
 * timestamps: a replica auto-answered after the pair was set acknowledged that pair's offset then.
 */
export class AckAutoResponse {
  /** The offset the auto-response pair acknowledges (-1: none set by this instance). */
  offset = -1;
  /** When that pair was set, ms. */
  since = 0;

  constructor(private readonly ctx: DurableObjectState) {}

  /** Re-reads the pair the object set before it slept (it outlives hibernation); `since` is when the offset was persisted. */
  recover(persistedOffset: number, persistedAt: number): void {
    const pair = this.ctx.getWebSocketAutoResponse();
    if (pair && pair.request === ackMessage(persistedOffset)) {
      this.offset = persistedOffset;
      this.since = persistedAt;
    }
  }

  /** Points the pair at the current offset when it moved. */
  update(offset: number, now: number): void {
    if (offset === this.offset) return;
    this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(ackMessage(offset), ''));
    this.offset = offset;
    this.since = now;
  }

  /**
   * Applies the auto-answered ACKs of each replica to the master's view of it (offset, liveness, WAIT, and
   * the release of the stream held until a replica's first ACK after its snapshot). Returns the replicas
   * whose state changed, so that their saved state follows.
   */
  reconcile(replication: Replication, socketOf: (client: Client) => WebSocket | undefined): Client[] {
    const changed: Client[] = [];
    if (this.offset < 0) return changed;
    for (const peer of replication.peers.values()) {
      const ws = socketOf(peer.client);
      if (!ws) continue;
      const at = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime();
      if (at === undefined || at <= peer.ackTime) continue;
      const news = this.offset > peer.ackOffset || peer.holdStream;
      if (at >= this.since && news && peer.state === 'online') replication.ack(peer.client, this.offset);
      peer.ackTime = at;
      changed.push(peer.client);
    }
    return changed;
  }
}
