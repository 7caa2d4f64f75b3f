import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { serve } from '@hono/node-server';
import { WebSocketServer, type WebSocket } from 'ws';
import { setNativeBinaryDecoder } from '../shared/bytes.js';
import { createServerCore } from '../shared/create-server.js';
import type { Replication } from '../shared/replication/replication.js';
import type { Client } from '../shared/engine/client.js';
import type { CommandSpec } from '../shared/engine/command-spec.js';
import { Config } from '../shared/engine/config.js';
import type { ServerCore, ServerHost } from '../shared/engine/server-core.js';
import { shutdownOf, signalShutdownOptions, type ShutdownOutcome } from '../shared/commands/shutdown.js';
import type { Cluster } from '../shared/cluster/cluster.js';
import { isMigrateTarget } from '../shared/cluster/migrate.js';
import { loadAclFile } from '../shared/commands/acl.js';
import { scriptingCommands } from '../shared/scripting/script-commands.js';
import { functionCommands } from '../shared/scripting/function-commands.js';
import { functionLibraryStore } from '../shared/scripting/function-libraries.js';
import { AclStartupError, nodeAclFile } from './acl-file.js';
import { ClusterBusTransport } from './cluster-bus-transport.js';
import { connectToMaster } from './master-connector.js';
import { createHttpApp } from './http-app.js';
import { Logger } from './logger.js';
import { RdbPersistence } from './rdb-persistence.js';
import { AofPersistence } from './aof-persistence.js';
import { tcpTransport, webSocketTransport } from './socket-transport.js';
import { TlsSupport } from './tls-support.js';
import { chmodSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { rewriteConfigText } from '../shared/engine/config-rewrite.js';
import { replicationOf } from '../shared/replication/replication.js';
import { describeTarget } from '../shared/replication/replica-link.js';

// Buffer decodes latin1 natively: much faster than portable JS for keys and values of more than a few bytes.
setNativeBinaryDecoder((bytes, start, end) =>
  (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('latin1', start, end),
);

/** Options for a Node server: a parsed config plus where the config came from (for INFO). */
export interface NodeServerOptions {
  config: Config;
  configFile?: string;
  /** Extra commands (tests, later layers). */
  commands?: CommandSpec[];
  /** Called when SHUTDOWN asks the process to end (the CLI exits; tests just stop). */
  onShutdown?: () => void;
}

/** A listen failure, worded as Redis words it ("Could not create server TCP listening socket ..."). */
export class ListenError extends Error {}

/**
 * The Node adapter: RESP on TCP (node:net), HTTP (hono) and RESP over WebSocket (ws) on the HTTP port, all
 * feeding one ServerCore. It owns sockets and timers; everything else is the core's.
 */
export class NodeServer {
  readonly core: ServerCore;
  readonly replication: Replication;
  readonly logger: Logger;
  /** RDB snapshots: SAVE, BGSAVE, save points, the file loaded at startup. */
  readonly persistence: RdbPersistence;
  /** The append-only file: BGREWRITEAOF, appendonly, the AOF loaded at startup instead of the RDB file. */
  readonly aof: AofPersistence;
  /** Cluster mode (cluster-enabled yes): the node's cluster state and bus; null otherwise. */
  readonly cluster: Cluster | null;
  private readonly clusterBus: ClusterBusTransport | null;
  /** TLS: the context from the tls-* parameters and the tls-port listeners. */
  readonly tls: TlsSupport;
  private tcpServers: TcpServer[] = [];
  /** The `unixsocket` listener (kept apart: moving the TCP port leaves it alone). */
  private unixServer: TcpServer | null = null;
  /** Set while a failed move of the TCP listener puts port and bind back (their changes must not move it again). */
  private restoringBinding = false;
  private httpServer: HttpServer | null = null;
  private wss: WebSocketServer | null = null;
  private cronTimer: NodeJS.Timeout | null = null;
  private blockTimer: NodeJS.Timeout | null = null;
  private blockTimerAt = 0;
  private readonly sockets = new Set<{ end(): void; destroy(): void }>();
  /** The TCP port actually bound (the configured one). */
  tcpPort = 0;
  /** The `bind` and `port` the listeners were made for ('' while they are being moved). */
  private tcpBinding = '';
  /** A move of the listeners in progress (CONFIG SET port / bind). */
  private rebinding: Promise<void> = Promise.resolve();
  /** The HTTP/WebSocket port actually bound. */
  httpPort = 0;
  private stopping: Promise<void> | null = null;

  /**
   * Builds the core, loading `dir/dbfilename` first when it exists (before any connection is accepted).
   * Throws RdbLoadError, with Redis's one-line reason, when that file cannot be loaded.
   */
  constructor(private readonly opts: NodeServerOptions) {
    const config = opts.config;
    this.logger = new Logger(() => ({ level: config.str('loglevel'), file: config.str('logfile') }));
    const persistence = new RdbPersistence(config, (level, message) => this.logger.log(level, message));
    this.persistence = persistence;
    const aof = new AofPersistence(config, (level, message) => this.logger.log(level, message));
    this.aof = aof;
    // Before the dataset is loaded, as Redis's initServer: a TLS setup that cannot work stops the start.
    this.tls = new TlsSupport(config, (level, message) => this.logger.log(level, message), (socket) => this.acceptTcp(socket));
    const host: ServerHost = {
      now: () => Date.now(),
      micros: () => performance.now() * 1000,
      log: (level, message) => this.logger.log(level, message),
      sleep: (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms),
      shutdown: () => {
        void this.stop().then(() => this.opts.onShutdown?.());
      },
      runtimeInfo: () => this.runtimeInfo(),
      rewriteConfig: () => this.rewriteConfigFile(),
      persistence,
      appendOnly: aof,
      aclFile: nodeAclFile((level, message) => this.logger.log(level, message)),
    };
    this.clusterBus = config.bool('cluster-enabled')
      ? new ClusterBusTransport(ClusterBusTransport.configPathFor(config.str('dir'), config.str('cluster-config-file')), {
          contexts: () => this.tls.clusterContexts(),
          log: (message) => this.logger.log('verbose', message),
        })
      : null;
    const { core, replication, cluster } = createServerCore({
      host,
      config,
      // MIGRATE shares the connector: it goes over TLS with tls-cluster, a replication link with tls-replication.
      connector: (target, events) =>
        connectToMaster(
          target,
          events,
          config.bool(isMigrateTarget(target) ? 'tls-cluster' : 'tls-replication') ? this.tls.clientOptions() : null,
        ),
      commands: [...scriptingCommands, ...functionCommands, ...(opts.commands ?? [])],
      functionLibraries: functionLibraryStore,
      // As Redis 7: with appendonly yes the dataset is the AOF's (an RDB file is not read).
      restore: (c, asReplica) => (aof.enabled() ? aof.load(c) : persistence.load(c, asReplica)),
      clusterHost: this.clusterBus ?? undefined,
    });
    this.core = core;
    this.replication = replication;
    if (config.str('aclfile') !== '') {
      const err = loadAclFile(core, null);
      if (err !== null) {
        this.logger.log('warning', `Aborting Redis startup because of ACL errors: ${err}`);
        throw new AclStartupError(`Aborting Redis startup because of ACL errors: ${err}`);
      }
    }
    this.cluster = cluster;
    if (cluster) this.clusterBus!.attach(cluster, core);
    persistence.attach(core, replication);
    aof.attach(core);
    // A replica announces the port its master should reach it on: the TLS one when replication uses TLS.
    this.core.listeningPort = () =>
      config.bool('tls-replication') && config.int('tls-port') !== 0 ? config.int('tls-port') : this.tcpPort || config.int('port');
  }

  /**
   * CONFIG REWRITE: the config file the server started from, rewritten with the configuration in memory
   * (see config-rewrite.ts), replaced atomically. Null when done, else why not (Redis's strerror text).
   */
  private rewriteConfigFile(): string | null {
    const file = this.opts.configFile;
    if (!file) return 'The server is running without a config file';
    try {
      const old = readFileSync(file, 'utf8');
      const repl = replicationOf(this.core);
      const target = repl.link ? describeTarget(repl.link.target) : null;
      const text = rewriteConfigText(old, this.core.config, target ? `${target.host} ${target.port}` : null);
      const tmp = `${file}.tmp-${process.pid}`;
      writeFileSync(tmp, text);
      renameSync(tmp, file);
      return null;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return err.code === 'ENOENT' ? 'No such file or directory' : err.code === 'EACCES' ? 'Permission denied' : err.message;
    }
  }

  private runtimeInfo(): Record<string, Array<[string, string | number]>> {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      server: [
        ['process_id', process.pid],
        ['tcp_port', this.tcpPort],
        ['http_port', this.httpPort],
        ['executable', process.argv[1] ?? ''],
        ['config_file', this.opts.configFile ?? ''],
        ['os', `${process.platform} ${process.arch}`],
        ['node_version', process.version],
        // As Redis: present only while a shutdown waits for its replicas.
        ...shutdownField(shutdownOf(this.core).remainingMs()),
      ],
      memory: [
        ['used_memory', mem.heapUsed + mem.external],
        ['used_memory_rss', mem.rss],
        ['used_memory_peak', mem.rss],
      ],
      persistence: [...this.persistence.infoFields(), ...this.aof.infoFields()],
      cpu: [
        ['used_cpu_sys', (cpu.system / 1e6).toFixed(6)],
        ['used_cpu_user', (cpu.user / 1e6).toFixed(6)],
      ],
    };
  }

  /**
   * A shutdown asked for by a signal, with shutdown-on-sigterm / shutdown-on-sigint's options (Redis's serverCron
   * reaction to shutdown_asap): it may wait for replicas ('waiting': the cron finishes it and `onShutdown` runs)
   * or fail on a final save ('failed': the server keeps running).
   */
  shutdownOnSignal(signal: 'SIGTERM' | 'SIGINT'): ShutdownOutcome {
    const outcome = shutdownOf(this.core).prepare(signalShutdownOptions(this.core, signal));
    this.core.flushWrites();
    return outcome;
  }

  /** Whether a shutdown is waiting for replicas to catch up. */
  shutdownInProgress(): boolean {
    return shutdownOf(this.core).inProgress();
  }

  /** Binds the TCP and HTTP ports and starts the periodic cycle. Throws ListenError on a bind failure. */
  async start(): Promise<void> {
    const config = this.core.config;
    const port = config.int('port');
    try {
      await this.bindTcp();
    } catch (e) {
      await this.stop();
      throw e;
    }
    try {
      await this.listenUnix();
    } catch (e) {
      await this.stop();
      throw e;
    }
    // CONFIG SET port / bind moves the listeners, as Redis's changeListener does.
    config.onChange((name) => {
      if ((name === 'port' || name === 'bind') && !this.stopping && !this.restoringBinding) this.rebindTcp();
    });
    try {
      await this.tls.listen();
    } catch (e) {
      await this.stop();
      throw new ListenError((e as Error).message);
    }
    if (this.clusterBus) {
      // As Redis's clusterInit: with tls-cluster the default bus port is 10000 above the tls-port.
      const busPort = config.int('cluster-port') || (config.bool('tls-cluster') ? config.int('tls-port') : port) + 10000;
      const binds = config.str('bind').split(/\s+/).filter(Boolean).map((b) => b.replace(/^-/, ''));
      const hosts = binds.map((b) => (b === '*' ? '0.0.0.0' : b)).filter((b) => !b.includes(':'));
      try {
        await this.clusterBus.listen(hosts, busPort);
      } catch (e) {
        await this.stop();
        throw new ListenError(`Could not create server TCP listening socket *:${busPort}: bind: ${describeListenError(e)}`);
      }
    }
    const httpPort = config.int('http-port');
    if (httpPort !== 0) {
      try {
        await this.listenHttp(httpPort);
      } catch (e) {
        await this.stop();
        throw new ListenError(`Could not create HTTP listening socket *:${httpPort}: bind: ${describeListenError(e)}`);
      }
    }
    const hz = () => Math.max(1, config.int('hz'));
    const tick = () => {
      this.core.cron();
      this.armBlockTimer();
      this.cronTimer = setTimeout(tick, 1000 / hz());
      this.cronTimer.unref();
    };
    this.cronTimer = setTimeout(tick, 1000 / hz());
    this.cronTimer.unref();
    const tlsPort = this.tls.port ? `, tls ${this.tls.port}` : '';
    this.logger.log('notice', `Ready to accept connections tcp (port ${this.tcpPort}${tlsPort}, http ${this.httpPort})`);
  }

  /**
   * Binds the configured port on every `bind` address (a leading '-' makes one optional); throws ListenError
   * with Redis's words, leaving nothing bound, when a required one fails.
   */
  private async bindTcp(): Promise<void> {
    const config = this.core.config;
    const port = config.int('port');
    const bind = config.str('bind');
    this.tcpBinding = `${bind}\0${port}`;
    if (port === 0) {
      this.tcpPort = 0;
      return;
    }
    const servers: TcpServer[] = [];
    for (const b of bind.split(/\s+/).filter(Boolean)) {
      const optional = b.startsWith('-');
      const addr = optional ? b.slice(1) : b;
      const host = addr === '*' ? '0.0.0.0' : addr === '::*' ? '::' : addr;
      try {
        servers.push(await this.listenTcp(host, port));
      } catch (e) {
        if (optional) continue;
        await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
        throw new ListenError(`Could not create server TCP listening socket ${addr}:${port}: bind: ${describeListenError(e)}`);
      }
    }
    this.tcpServers.push(...servers);
    this.tcpPort = port;
  }

  /**
   * CONFIG SET port or bind: closes the listeners (connected clients stay) and binds the new address. Binding is
   * asynchronous here, so an address that cannot be bound is logged rather than refused.
   */
  private rebindTcp(): void {
    const config = this.core.config;
    if (`${config.str('bind')}\0${config.int('port')}` === this.tcpBinding) return;
    const old = this.tcpServers;
    const [previousBind, previousPort] = this.tcpBinding.split('\0');
    this.tcpServers = [];
    this.tcpBinding = '';
    this.rebinding = (async () => {
      await this.rebinding;
      await Promise.all(old.map((s) => new Promise<void>((r) => s.close(() => r()))));
      if (this.stopping) return;
      try {
        await this.bindTcp();
      } catch (e) {
        // Redis refuses such a CONFIG SET and keeps its listener; the reply has gone already here, so the
        // old address is put back (and bound again) instead of leaving the server with no TCP listener.
        this.tcpPort = 0;
        this.logger.log('warning', `${(e as Error).message}; restoring port ${previousPort} and bind ${previousBind}`);
        if (previousPort === undefined) return;
        this.restoringBinding = true;
        try {
          config.set('bind', previousBind, true);
          config.set('port', previousPort, true);
        } finally {
          this.restoringBinding = false;
        }
        this.rebindTcp();
      }
    })();
  }

  /**
   * `unixsocket`: a Unix domain socket beside the TCP port, as Redis's (a stale file is replaced; its mode
   * set from `unixsocketperm` when given). Clients on it show the path as their address.
   */
  private async listenUnix(): Promise<void> {
    const config = this.core.config;
    const socketPath = config.str('unixsocket');
    if (socketPath === '') return;
    try {
      unlinkSync(socketPath);
    } catch {
      // none there
    }
    const server = createTcpServer((socket) => this.acceptTcp(socket, socketPath));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new ListenError(`Failed opening Unix socket: ${describeListenError(e)}`)));
      server.listen(socketPath, () => resolve());
    });
    const perm = config.int('unixsocketperm');
    if (perm !== 0) chmodSync(socketPath, perm);
    this.unixServer = server;
    this.logger.log('notice', `The server is now ready to accept connections at ${socketPath}`);
  }

  private listenTcp(host: string, port: number): Promise<TcpServer> {
    return new Promise((resolve, reject) => {
      const server = createTcpServer({ noDelay: true }, (socket) => this.acceptTcp(socket));
      server.once('error', reject);
      server.listen({ host, port, ipv6Only: host === '::' }, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }

  private listenHttp(port: number): Promise<void> {
    const app = createHttpApp(this.core);
    return new Promise((resolve, reject) => {
      const server = serve({ fetch: app.fetch, port, hostname: '0.0.0.0' }) as HttpServer;
      server.once('error', reject);
      server.once('listening', () => {
        server.off('error', reject);
        this.httpServer = server;
        this.httpPort = port;
        resolve();
      });
      this.wss = new WebSocketServer({ noServer: true, maxPayload: this.core.config.int('client-query-buffer-limit') });
      server.on('upgrade', (req: IncomingMessage, socket, head) => {
        this.wss!.handleUpgrade(req, socket, head, (ws) => this.acceptWebSocket(ws, req));
      });
    });
  }

  private acceptTcp(socket: Socket, unixPath?: string): void {
    const { transport, info } = tcpTransport(socket);
    if (unixPath !== undefined) {
      info.addr = `${unixPath}:0`;
      info.laddr = `${unixPath}:0`;
      info.loopback = true;
    }
    socket.setKeepAlive(true, this.core.config.int('tcp-keepalive') * 1000);
    const client = this.core.connect(transport, info);
    if (!client) return;
    // With tls-cluster, CLUSTER NODES/SLOTS and redirections show plain-TCP clients the plaintext ports.
    if ((socket as TLSSocket).encrypted) this.cluster?.markTlsClient(client);
    this.sockets.add(socket);
    socket.on('data', (data) => this.onData(client, data));
    // A drained socket can take more of a snapshot being sent to a replica.
    socket.on('drain', () => this.core.notifyWritable(client));
    socket.on('close', () => this.onClose(client, socket));
    socket.on('error', () => socket.destroy());
  }

  private acceptWebSocket(ws: WebSocket, req: IncomingMessage): void {
    let client: Client | null = null;
    const { transport, info } = webSocketTransport(
      ws,
      { address: req.socket.remoteAddress, port: req.socket.remotePort },
      { address: req.socket.localAddress, port: req.socket.localPort },
      // ws has no drain event: its send callback tells when a message left, so the snapshot can go on.
      () => {
        if (client?.wantsWritable) this.core.notifyWritable(client);
      },
      () => client?.wantsWritable === true,
    );
    client = this.core.connect(transport, info);
    if (!client) return;
    const handle = { end: () => ws.close(1001), destroy: () => ws.terminate() };
    this.sockets.add(handle);
    const c = client;
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
      this.onData(c, bytes);
    });
    ws.on('close', () => this.onClose(c, handle));
    ws.on('error', () => ws.terminate());
  }

  private onData(client: Client, data: Uint8Array): void {
    this.core.receive(client, data);
    this.armBlockTimer();
  }

  private onClose(client: Client, handle: { end(): void; destroy(): void }): void {
    this.sockets.delete(handle);
    this.core.disconnect(client);
  }

  /** Keeps one timer at the earliest blocked-client deadline, so BLPOP timeouts fire on time. */
  private armBlockTimer(): void {
    // Runs after every read: skip the scan of blocked clients when there are none.
    if (this.core.blockedOn.size === 0) return;
    const next = this.core.nextBlockingDeadline();
    if (next === undefined) return;
    if (this.blockTimer && this.blockTimerAt <= next) return;
    if (this.blockTimer) clearTimeout(this.blockTimer);
    this.blockTimerAt = next;
    this.blockTimer = setTimeout(() => {
      this.blockTimer = null;
      this.core.timeoutBlocked();
      this.armBlockTimer();
    }, Math.max(0, next - Date.now()));
    this.blockTimer.unref();
  }

  /** Stops listening, closes every client and timer. Safe to call twice. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      if (this.cronTimer) clearTimeout(this.cronTimer);
      this.persistence.abortBackgroundSave();
      this.aof.close();
      if (this.blockTimer) clearTimeout(this.blockTimer);
      for (const c of [...this.core.clients.values()]) this.core.kill(c);
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
      await this.rebinding;
      await Promise.all([...this.tcpServers, ...(this.unixServer ? [this.unixServer] : [])].map((s) => new Promise<void>((r) => s.close(() => r()))));
      this.unixServer = null;
      this.tcpServers = [];
      await this.tls.close();
      await this.clusterBus?.close();
      this.wss?.close();
      if (this.httpServer) {
        const http = this.httpServer;
        http.closeAllConnections?.();
        await new Promise<void>((r) => http.close(() => r()));
      }
      this.logger.log('notice', 'Redis is now ready to exit, bye bye...');
    })();
    return this.stopping;
  }
}

/** INFO server's shutdown_in_milliseconds, when a shutdown waits. */
function shutdownField(remaining: number | null): Array<[string, number]> {
  return remaining === null ? [] : [['shutdown_in_milliseconds', remaining]];
}

function describeListenError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return 'Address already in use';
  if (code === 'EACCES') return 'Permission denied';
  if (code === 'EADDRNOTAVAIL') return 'Cannot assign requested address';
  return (e as Error).message;
}
