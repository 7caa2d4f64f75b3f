import { Socket, connect } from 'node:net';
import WebSocket from 'ws';
import { binaryToBytes } from '../../shared/bytes.js';
import { encodeCommand } from '../../shared/resp/encoder.js';
import type { Reply } from '../../shared/resp/reply.js';
import { ReplyParser } from '../../shared/resp/reply-parser.js';

/**
 * A raw RESP connection for tests, over TCP or a WebSocket: send any bytes, read decoded replies in order,
 * and see when the server closes. Lets tests send what real clients never would.
 */
export class RespConnection {
  private readonly parser = new ReplyParser();
  private readonly waiters: Array<() => void> = [];
  closed = false;
  private constructor(private readonly sendBytes: (b: Uint8Array) => void, private readonly closeFn: () => void) {}

  static tcp(port: number, host = '127.0.0.1'): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket: Socket = connect({ port, host }, () => resolve(conn));
      const conn = new RespConnection((b) => socket.write(b), () => socket.destroy());
      socket.on('data', (d) => conn.onBytes(d));
      socket.on('close', () => conn.onClose());
      socket.on('error', reject);
    });
  }

  /** A connection to a Unix domain socket (the server's `unixsocket`). */
  static unix(socketPath: string): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket: Socket = connect({ path: socketPath }, () => resolve(conn));
      const conn = new RespConnection((b) => socket.write(b), () => socket.destroy());
      socket.on('data', (d) => conn.onBytes(d));
      socket.on('close', () => conn.onClose());
      socket.on('error', reject);
    });
  }

  static websocket(url: string): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.binaryType = 'nodebuffer';
      const conn = new RespConnection((b) => ws.send(b), () => ws.close());
      ws.on('open', () => resolve(conn));
      ws.on('message', (d: Buffer) => conn.onBytes(d));
      ws.on('close', () => conn.onClose());
      ws.on('error', reject);
    });
  }

  private onBytes(d: Uint8Array): void {
    this.parser.push(new Uint8Array(d));
    this.wake();
  }

  private onClose(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Sends raw bytes or a binary string. */
  sendRaw(data: Uint8Array | string): void {
    this.sendBytes(typeof data === 'string' ? binaryToBytes(data) : data);
  }

  /** Sends one command. */
  send(...argv: Array<string | number>): void {
    this.sendRaw(encodeCommand(argv.map(String)));
  }

  /** The next reply, waiting for it up to the deadline; rejects if the connection closes first. */
  async next(timeoutMs = 10_000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.parser.next();
      if (r !== undefined) return r;
      if (this.closed) throw new Error('connection closed');
      if (Date.now() > deadline) throw new Error('timed out waiting for a reply');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, Math.max(1, deadline - Date.now()));
      });
    }
  }

  /** Sends a command and returns its reply. */
  async call(...argv: Array<string | number>): Promise<Reply> {
    this.send(...argv);
    return this.next();
  }

  /** Resolves when the server has closed the connection. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.closeFn();
  }
}
