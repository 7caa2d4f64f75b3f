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

/** The last conversion: a stream batch is written to every replica in a row, so it hits every time but the first. */
let lastBytes: Uint8Array | null = null;
let lastBuffer: Buffer | null = null;

/** Wraps the core's output as a Buffer for a socket, copying only what V8 keeps on its own heap. */
function toNodeBuffer(bytes: Uint8Array): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  if (bytes === lastBytes) return lastBuffer!;
  lastBuffer = wrap(bytes);
  lastBytes = bytes;
  return lastBuffer;
}

function wrap(bytes: Uint8Array): Buffer {
  if (bytes.length >= 1024) {
    let b = wrapped.get(bytes);
    if (!b) wrapped.set(bytes, (b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)));
    return b;
  }
  // V8 keeps typed arrays of up to 64 bytes on its heap; anything else (including views into the core's output
  // slabs) is already off-heap and is wrapped as it is, without a copy.
  return bytes.buffer.byteLength <= 64 ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** A socket's output queued during this turn of the event loop, in order. */
interface PendingOutput {
  socket: Socket;
  parts: Uint8Array[];
  bytes: number;
}

/** Sockets with queued output, flushed together once this turn's input has all been handled. */
const pendingOutputs: PendingOutput[] = [];
let flushScheduled = false;

function flushOutput(p: PendingOutput): void {
  const parts = p.parts;
  if (parts.length === 0) return;
  p.parts = [];
  p.bytes = 0;
  const socket = p.socket;
  // A socket already torn down cannot send; writing would only raise an error for output nobody can receive.
  if (socket.destroyed || socket.writableEnded) return;
  if (parts.length === 1) {
    socket.write(toNodeBuffer(parts[0]));
    return;
  }
  // One writev for the lot instead of a syscall per part.
  socket.cork();
  for (const b of parts) socket.write(toNodeBuffer(b));
  socket.uncork();
}

function flushAllOutputs(): void {
  flushScheduled = false;
  for (let i = 0; i < pendingOutputs.length; i++) flushOutput(pendingOutputs[i]);
  pendingOutputs.length = 0;
}

/**
 * The core's Transport over a TCP socket. Writes are queued and sent from a setImmediate, i.e. after every
 * socket readable in this turn of the event loop has been read and answered, like Redis's beforeSleep write
 * pass. Writing inside each read callback instead wakes the peer once per socket, in between our reads:
 * measured under `redis-benchmark -P 16 -c 50`, that doubled the kernel time per syscall and cost ~20-40% of
 * pipelined throughput.
 */
export function tcpTransport(socket: Socket): { transport: Transport; info: ConnectionInfo } {
  const pending: PendingOutput = { socket, parts: [], bytes: 0 };
  return {
    transport: {
      write: (bytes) => {
        if (pending.parts.length === 0) pendingOutputs.push(pending);
        pending.parts.push(bytes);
        pending.bytes += bytes.length;
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flushAllOutputs);
        }
      },
      close: () => {
        // The queued replies (QUIT's +OK, a protocol error) go before the FIN.
        flushOutput(pending);
        // Then the socket is closed for good, as Redis close()s it: a peer that keeps sending (a desynced
        // protocol stream) gets a reset instead of writing into a half-closed connection forever.
        socket.end(() => socket.destroy());
      },
      bufferedAmount: () => pending.bytes + socket.writableLength,
    },
    info: {
      addr: formatAddr(socket.remoteAddress, socket.remotePort),
      laddr: formatAddr(socket.localAddress, socket.localPort),
      loopback: isLoopback(socket.remoteAddress),
      kind: 'tcp',
    },
  };
}

const BINARY = { binary: true } as const;

/**
 * The core's Transport over a WebSocket: each write is one binary message. Message boundaries carry no
 * meaning; the stream of bytes is exactly what a TCP connection would carry.
 */
export function webSocketTransport(
  ws: WebSocket,
  remote: { address?: string; port?: number },
  local: { address?: string; port?: number },
  /** Called when a message has left, for as long as `wantsSent` says so (a snapshot is being paced). */
  onSent: () => void = () => {},
  wantsSent: () => boolean = () => true,
): { transport: Transport; info: ConnectionInfo } {
  return {
    transport: {
      write: (bytes) => {
        // Without a callback ws and the socket keep no per-message state: the common case for a replica's stream.
        if (ws.readyState === ws.OPEN) ws.send(toNodeBuffer(bytes), BINARY, wantsSent() ? onSent : undefined);
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
