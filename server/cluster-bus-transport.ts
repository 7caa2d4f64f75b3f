import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { Server as TlsServer, connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { BusLink, Cluster, ClusterHost } from '../shared/cluster/cluster.js';
import type { ServerCore } from '../shared/engine/server-core.js';
import { opensslText, type TlsContexts } from './tls-context.js';

/** What the bus needs from the node for tls-cluster. */
export interface ClusterBusTls {
  /** The TLS settings for a connection made or accepted now, or null for plain TCP (tls-cluster off). */
  contexts(): TlsContexts | null;
  /** Logs a refused connection (Redis logs these at verbose level). */
  log(message: string): void;
}

/** An IPv4 peer seen on a dual-stack socket is reported as ::ffff:a.b.c.d; the cluster wants a.b.c.d. */
function plainIp(ip: string | undefined): string {
  if (!ip) return '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EDQUOT: 'Disk quota exceeded',
  EIO: 'Input/output error',
};

function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return (code && STRERROR[code]) || (e as Error).message;
}

/**
 * The Node side of the cluster bus: TCP sockets on the bus port (cluster-port, or port + 10000) for the
 * core's BusLinks, and nodes.conf written atomically (temp file, fsync, rename) as Redis's clusterSaveConfig.
 * With tls-cluster both directions speak TLS with the node's certificates, and an accepting node always asks
 * for and verifies the peer's certificate, whatever tls-auth-clients says (Redis's TLS_CLIENT_AUTH_YES).
 */
export class ClusterBusTransport implements ClusterHost {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private cluster: Cluster | null = null;
  private core: ServerCore | null = null;
  /** The bus port actually bound. */
  port = 0;
  /** The TLS acceptor for incoming links, rebuilt when the TLS settings change. */
  private acceptor: { contexts: TlsContexts; server: TlsServer } | null = null;

  constructor(
    private readonly configPath: string,
    private readonly tls: ClusterBusTls | null = null,
  ) {}

  /** Where nodes.conf lives: cluster-config-file relative to `dir`, as Redis after its chdir. */
  static configPathFor(dir: string, file: string): string {
    return path.resolve(dir, file);
  }

  attach(cluster: Cluster, core: ServerCore): void {
    this.cluster = cluster;
    this.core = core;
  }

  loadConfig(): string | null {
    try {
      return readFileSync(this.configPath, 'latin1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  saveConfig(text: string): void {
    const tmp = `${this.configPath}.tmp-${process.pid}`;
    try {
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, Buffer.from(text, 'latin1'));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.configPath);
    } catch (e) {
      // CLUSTER SAVECONFIG reports the reason as Redis does, in strerror's words.
      throw new Error(strerror(e));
    }
  }

  private wire(link: BusLink, socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    link.send = (bytes) => {
      socket.write(bytes);
    };
    link.close = () => socket.destroy();
    link.bufferedBytes = () => socket.writableLength;
    socket.on('data', (data) => {
      this.cluster?.receive(link, data);
      this.core?.flushWrites();
    });
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.cluster?.linkDown(link);
    });
    socket.on('error', () => socket.destroy());
  }

  connect(link: BusLink, ip: string, port: number): void {
    const contexts = this.tls?.contexts() ?? null;
    const socket = contexts ? tlsConnect({ ...contexts.client, host: ip, port }) : connect({ host: ip, port });
    this.wire(link, socket);
    // A TLS link is up once the handshake is done: the first PING must not go out before.
    socket.on(contexts ? 'secureConnect' : 'connect', () => {
      link.remoteIp = plainIp(socket.remoteAddress);
      link.localIp = plainIp(socket.localAddress);
      this.cluster?.linkUp(link);
      this.core?.flushWrites();
    });
  }

  private accepted(socket: Socket): void {
    if (!this.cluster) return void socket.destroy();
    const link = this.cluster.accept();
    link.remoteIp = plainIp(socket.remoteAddress);
    link.localIp = plainIp(socket.localAddress);
    this.wire(link, socket);
  }

  /** The TLS server (never listening itself) that takes incoming bus connections through their handshake. */
  private tlsAcceptor(contexts: TlsContexts): TlsServer {
    if (this.acceptor?.contexts === contexts) return this.acceptor.server;
    const server = new TlsServer({ ...contexts.server, requestCert: true, rejectUnauthorized: true });
    server.on('secureConnection', (socket: TLSSocket) => this.accepted(socket));
    server.on('tlsClientError', (e: Error, socket: TLSSocket) => {
      this.tls?.log(`Error accepting cluster node connection: ${opensslText(e)}`);
      socket.destroy();
    });
    this.acceptor = { contexts, server };
    return server;
  }

  /** Listens for other nodes on the bus port (on the addresses the RESP port binds). */
  async listen(hosts: string[], port: number): Promise<void> {
    const server = createServer((socket) => {
      if (!this.cluster) return socket.destroy();
      const contexts = this.tls?.contexts() ?? null;
      if (!contexts) return this.accepted(socket);
      // Until its handshake is done the connection is only a socket to drop at shutdown.
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      this.tlsAcceptor(contexts).emit('connection', socket);
    });
    const host = hosts.includes('0.0.0.0') || hosts.length === 0 ? '0.0.0.0' : hosts[0];
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = port;
  }

  async close(): Promise<void> {
    this.cluster?.close();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
