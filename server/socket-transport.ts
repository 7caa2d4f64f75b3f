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

/** Buffers already made for a stream chunk: the same chunk goes to every replica. */
const wrapped = new WeakMap<Uint8Array, Buffer>();

/** Wraps the core's output as a Buffer for a socket, copying only what V8 keeps on its own heap. */
function toNodeBuffer(bytes: Uint8Array): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  if (bytes.length >= 1024) {
    let b = wrapped.get(bytes);
    if (!b) wrapped.set(bytes, (b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)));
    return b;
  }
  // V8 keeps typed arrays of up to 64 bytes on its heap; anything else (including views into the core's output
  // slabs) is already off-heap and is wrapped as it is, without a copy.
  return bytes.buffer.byteLength <= 64 ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
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
