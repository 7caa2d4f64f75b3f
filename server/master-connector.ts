import { connect } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import WebSocket from 'ws';
import { ackText, isLoneAck } from '../shared/replication/ack-frame.js';
import type { MasterConnection, MasterConnectionEvents, MasterTarget } from '../shared/replication/replica-link.js';

/**
 * Opens the replica's connection to its master: node:net for `host port` (node:tls with `tls`, the client settings
 * of tls-replication), ws for a ws:// or wss:// URL. All carry the same bytes; the core never knows which.
 */
export function connectToMaster(
  target: MasterTarget,
  events: MasterConnectionEvents,
  tls: ConnectionOptions | null = null,
): MasterConnection {
  let closed = false;
  const close = (reason: string) => {
    if (closed) return;
    closed = true;
    events.onClose(reason);
  };
  if (target.kind === 'tcp') {
    const socket = tls
      ? connectTls({ ...tls, host: target.host, port: target.port }).setNoDelay(true)
      : connect({ host: target.host, port: target.port, noDelay: true });
    // Over TLS the link is usable once the handshake (and the check of the master's certificate) is done.
    socket.on(tls ? 'secureConnect' : 'connect', () => events.onOpen());
    socket.on('data', (d) => events.onData(d));
    socket.on('error', (e) => close(`Error condition on socket for SYNC: ${e.message}`));
    socket.on('close', () => close('Connection with master lost.'));
    return {
      write: (bytes) => {
        if (!closed) socket.write(bytes);
      },
      close: () => {
        closed = true;
        socket.destroy();
      },
    };
  }
  const ws = new WebSocket(target.url);
  ws.binaryType = 'nodebuffer';
  ws.on('open', () => events.onOpen());
  ws.on('message', (d: Buffer) => events.onData(d));
  ws.on('error', (e) => close(`Error condition on WebSocket for SYNC: ${e.message}`));
  ws.on('close', () => close('Connection with master lost.'));
  return {
    write: (bytes) => {
      if (closed || ws.readyState !== WebSocket.OPEN) return;
      // An ACK alone goes as a text frame: an edge master's auto-response can then acknowledge it without
      // waking a hibernating Durable Object. The bytes are the same RESP either way.
      if (isLoneAck(bytes)) ws.send(ackText(bytes));
      else ws.send(bytes);
    },
    close: () => {
      closed = true;
      ws.terminate();
    },
  };
}

