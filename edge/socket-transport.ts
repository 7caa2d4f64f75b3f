import type { Transport } from '../shared/engine/client.js';

/**
 * The largest WebSocket message the edge sends. Workers accept at most 32 MiB per received message and
 * browsers and `ws` have their own caps; message boundaries carry no meaning in this protocol, so big
 * outputs (snapshots, large replies) simply go out as several messages.
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** Close codes a server may not send (1005, 1006, 1015 are reserved for the API): they become 1000. */
export function sendableCloseCode(code: number): number {
  if (code === 1005 || code === 1006 || code === 1015) return 1000;
  if (code < 1000 || code > 4999 || (code >= 1016 && code < 3000)) return 1000;
  return code;
}

/**
 * The core's Transport over a hibernatable WebSocket. Writes are held until the end of the event and sent
 * after the event's storage writes (`flush`), so stream bytes never reach a replica before they are in the
 * log; the platform's output gate then releases them once the writes are durable.
 */
export class EdgeSocket implements Transport {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private closeRequested: { code: number; reason: string } | null = null;
  private closed = false;

  constructor(
    readonly ws: WebSocket,
    /** Called on the first write or close of an event, so the object knows which sockets to flush. */
    private readonly onActivity: (socket: EdgeSocket) => void,
  ) {}

  write(bytes: Uint8Array): void {
    if (this.closed || this.closeRequested || bytes.length === 0) return;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.onActivity(this);
  }

  close(): void {
    this.closeWith(1000, '');
  }

  /** Closes after the pending bytes, with a code and reason the peer can log. */
  closeWith(code: number, reason: string): void {
    if (this.closed || this.closeRequested) return;
    this.closeRequested = { code, reason };
    this.onActivity(this);
  }

  bufferedAmount(): number {
    return this.pendingBytes;
  }

  /** Whether a close was requested or done. */
  get closing(): boolean {
    return this.closed || this.closeRequested !== null;
  }

  /** Sends the pending bytes (coalesced into messages of at most MAX_MESSAGE_BYTES), then a requested close. Returns bytes sent. */
  flush(): number {
    let sent = 0;
    if (this.pendingBytes > 0 && !this.closed) {
      const parts = this.pending;
      const total = this.pendingBytes;
      this.pending = [];
      this.pendingBytes = 0;
      let message = new Uint8Array(Math.min(total, MAX_MESSAGE_BYTES));
      let used = 0;
      const emit = () => {
        this.send(message.subarray(0, used));
        sent += used;
        message = new Uint8Array(Math.min(total - sent, MAX_MESSAGE_BYTES));
        used = 0;
      };
      for (const part of parts) {
        let pos = 0;
        while (pos < part.length) {
          const n = Math.min(part.length - pos, message.length - used);
          message.set(part.subarray(pos, pos + n), used);
          used += n;
          pos += n;
          if (used === message.length) emit();
        }
      }
      if (used > 0) emit();
    }
    if (this.closeRequested && !this.closed) {
      const { code, reason } = this.closeRequested;
      this.closed = true;
      try {
        this.ws.close(sendableCloseCode(code), reason);
      } catch {
        // Already closed by the peer: nothing left to say.
      }
    }
    return sent;
  }

  private send(bytes: Uint8Array): void {
    try {
      this.ws.send(bytes);
    } catch {
      // The peer is gone; its close event will follow and disconnect the client.
      this.closed = true;
    }
  }
}
