import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { ConnectionInfo, Transport } from '../shared/engine/client.js';

/** Whether an address is on the loopback interface (protected mode admits only these without a password). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.');
}

function formatAddr(ip: string | undefined, port: number | undefined): string {
  const host = ip?.startsWith('::ffff:') ? ip.slice(7) : (ip ?? '?');
  return `${host}:${port ?? 0}`;
}

/**
 * Copies small outputs into Node's Buffer pool. A small Uint8Array lives on V8's heap, and handing it to a socket
 * forces V8 to move its backing store off-heap first, which profiling showed costing more than the write itself.
 */
function toNodeBuffer(bytes: Uint8Array): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  // V8 keeps typed arrays of up to 64 bytes on its heap; larger ones are already off-heap and are wrapped as
  // they are (no copy), which matters when one stream buffer goes to a thousand replicas.
  return bytes.length <= 64 ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** The core's Transport over a TCP socket. */
export function tcpTransport(socket: Socket): { transport: Transport; info: ConnectionInfo } {
  return {
    transport: {
      write: (bytes) => {
        socket.write(toNodeBuffer(bytes));
      },
      close: () => {
        socket.end();
      },
      bufferedAmount: () => socket.writableLength,
    },
    info: {
      addr: formatAddr(socket.remoteAddress, socket.remotePort),
      laddr: formatAddr(socket.localAddress, socket.localPort),
      loopback: isLoopback(socket.remoteAddress),
      kind: 'tcp',
    },
  };
}

/**
 * The core's Transport over a WebSocket: each write is one binary message. Message boundaries carry no
 * meaning; the stream of bytes is exactly what a TCP connection would carry.
 */
export function webSocketTransport(
  ws: WebSocket,
  remote: { address?: string; port?: number },
  local: { address?: string; port?: number },
  onSent: () => void = () => {},
): { transport: Transport; info: ConnectionInfo } {
  return {
    transport: {
      write: (bytes) => {
        if (ws.readyState === ws.OPEN) ws.send(toNodeBuffer(bytes), { binary: true }, onSent);
      },
      close: () => {
        ws.close(1000);
      },
      bufferedAmount: () => ws.bufferedAmount,
    },
    info: {
      addr: formatAddr(remote.address, remote.port),
      laddr: formatAddr(local.address, local.port),
      loopback: isLoopback(remote.address),
      kind: 'websocket',
    },
  };
}
