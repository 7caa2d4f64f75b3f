import { ackText, isLoneAck } from '../shared/replication/ack-frame.js';
import type { MasterConnector } from '../shared/replication/replica-link.js';

/** Counters of what the replication socket carried (the partial-resync cost is visible here). */
export interface LinkTraffic {
  /** Bytes received from the master since the replica opened, over every connection. */
  bytesIn: number;
  /** Connections opened. */
  connections: number;
}

/**
 * A MasterConnector over the browser's WebSocket: binary frames, any framing (PROTOCOL.md section 1). After
 * each received frame `afterData` runs, so the caller can persist and notify once per network event instead of
 * once per command.
 */
export function webSocketConnector(traffic: LinkTraffic, afterData: () => void): MasterConnector {
  return (target, events) => {
    if (target.kind !== 'websocket') throw new Error('a browser can reach its master only over ws:// or wss://');
    const ws = new WebSocket(target.url);
    ws.binaryType = 'arraybuffer';
    traffic.connections++;
    let closed = false;
    const closeOnce = (reason: string) => {
      if (closed) return;
      closed = true;
      events.onClose(reason);
    };
    ws.onopen = () => {
      if (!closed) events.onOpen();
    };
    ws.onmessage = (e: MessageEvent) => {
      if (closed || !(e.data instanceof ArrayBuffer)) return;
      traffic.bytesIn += e.data.byteLength;
      events.onData(new Uint8Array(e.data));
      afterData();
    };
    ws.onclose = (e: CloseEvent) => closeOnce(`Connection with master lost (WebSocket closed, code ${e.code}).`);
    // An error is always followed by close; the close carries the report.
    ws.onerror = () => {};
    return {
      write: (bytes) => {
        if (closed || ws.readyState !== WebSocket.OPEN) return;
        // An ACK alone goes as a text frame, so an edge master can answer it without waking (PROTOCOL.md §1).
        if (isLoneAck(bytes)) ws.send(ackText(bytes));
        else ws.send(bytes as Uint8Array<ArrayBuffer>);
      },
      close: () => {
        closed = true;
        ws.close();
      },
    };
  };
}
