import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { Server as TlsServer, type TLSSocket } from 'node:tls';
import { opensslText, type TlsContexts } from './tls-context.js';

/**
 * The tls-port: plain TCP listeners whose connections are handed to the current TLS acceptor. The acceptor is
 * a tls.Server that never listens itself, so a CONFIG SET of a certificate or of tls-auth-clients just builds a
 * new one: connections already made keep their session, new ones get the new settings, as Redis's new SSL_CTX.
 */
export class TlsListener {
  private servers: TcpServer[] = [];
  private acceptor: TlsServer;
  /** Every accepted connection: the adapter only knows a socket once its handshake is done. */
  private readonly connections = new Set<Socket>();
  /** The port bound (0 until listen). */
  port = 0;

  constructor(
    contexts: TlsContexts,
    private readonly onSecure: (socket: TLSSocket) => void,
    private readonly log: (message: string) => void,
    /** tcp-keepalive in ms, read per connection (it is set on the TCP socket under the TLS one). */
    private readonly keepAliveMs: () => number = () => 0,
  ) {
    this.acceptor = this.makeAcceptor(contexts);
  }

  /** New connections use these settings from now on. */
  setContexts(contexts: TlsContexts): void {
    this.acceptor = this.makeAcceptor(contexts);
  }

  private makeAcceptor(contexts: TlsContexts): TlsServer {
    const acceptor = new TlsServer(contexts.server);
    acceptor.on('secureConnection', (socket: TLSSocket) => {
      // tls-auth-clients optional: no certificate is fine, a certificate that does not verify is not.
      if (contexts.authClients === 'optional' && !socket.authorized && Object.keys(socket.getPeerCertificate()).length > 0) {
        this.log(`Error accepting a client connection: ${socket.authorizationError}`);
        socket.destroy();
        return;
      }
      this.onSecure(socket);
    });
    acceptor.on('tlsClientError', (e: Error) => this.log(`Error accepting a client connection: ${opensslText(e)}`));
    if (contexts.sessionCaching) this.cacheSessions(acceptor, contexts.sessionCacheSize);
    return acceptor;
  }

  /**
   * A server-side session cache of tls-session-cache-size entries (0: unbounded, as OpenSSL's), for clients that
   * resume by session id; sessions expire after tls-session-cache-timeout inside OpenSSL.
   */
  private cacheSessions(acceptor: TlsServer, size: number): void {
    const sessions = new Map<string, Buffer>();
    acceptor.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      const key = id.toString('hex');
      sessions.delete(key);
      sessions.set(key, data);
      // The oldest entry goes first, as OpenSSL's cache evicts the least recently added.
      if (size > 0 && sessions.size > size) sessions.delete(sessions.keys().next().value!);
      done();
    });
    acceptor.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
      done(null, sessions.get(id.toString('hex')) ?? null);
    });
  }

  /** Binds one address of the tls-port. Rejects with the listen error. */
  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createTcpServer({ noDelay: true }, (raw) => {
        this.connections.add(raw);
        raw.once('close', () => this.connections.delete(raw));
        raw.setKeepAlive(true, this.keepAliveMs());
        this.acceptor.emit('connection', raw);
      });
      server.once('error', reject);
      server.listen({ host, port, ipv6Only: host === '::' }, () => {
        server.off('error', reject);
        this.servers.push(server);
        this.port = port;
        resolve();
      });
    });
  }

  /** Stops listening and drops every connection (net.Server.close would otherwise wait for them). */
  async close(): Promise<void> {
    for (const s of this.connections) s.destroy();
    this.connections.clear();
    const servers = this.servers;
    this.servers = [];
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
