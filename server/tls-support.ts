import type { ConnectionOptions, TLSSocket } from 'node:tls';
import type { Config } from '../shared/engine/config.js';
import type { LogLevel } from './logger.js';
import { TLS_CONTEXT_PARAMS, TlsConfigError, buildTlsContexts, tlsWanted, type TlsContexts } from './tls-context.js';
import { TlsListener } from './tls-listener.js';

/** TLS could not be set up at startup: Redis logs why, then this line, and exits. */
export class TlsStartupError extends Error {}

/** CONFIG SET's reason when the new TLS settings do not work (Redis's applyTlsCfg). */
const UPDATE_FAILED = 'Unable to update TLS configuration. Check server logs.';

/** A bind failure on the tls-port (Redis's listenToPort words it as for the plain port). */
export class TlsListenError extends Error {}

type Log = (level: LogLevel, message: string) => void;

/**
 * TLS for the Node server, as Redis's tls.c: the context built from the tls-* parameters (checked at startup and
 * on every CONFIG SET of them, which keeps the previous one when the new one fails), the tls-port listeners,
 * and the client settings a replica uses to reach its master with tls-replication.
 */
export class TlsSupport {
  private contexts: TlsContexts | null = null;
  /** The tls-* values `contexts` was built from; CONFIG SET restores these when a new set fails. */
  private applied = new Map<string, string>();
  private listener: TlsListener | null = null;
  private restoring = false;
  private deferred = false;

  /** Builds the context when something uses TLS. Throws TlsStartupError after logging Redis's lines. */
  constructor(
    private readonly config: Config,
    private readonly log: Log,
    private readonly onSecure: (socket: TLSSocket) => void,
  ) {
    if (tlsWanted(config)) {
      try {
        this.contexts = buildTlsContexts(config);
      } catch (e) {
        if (!(e instanceof TlsConfigError)) throw e;
        log('warning', e.message);
        log('warning', 'Failed to configure TLS. Check logs for more info.');
        throw new TlsStartupError('Failed to configure TLS. Check logs for more info.');
      }
    }
    this.applied = this.snapshot();
    config.onChange((name) => this.onConfigChange(name));
  }

  /** The port the TLS listeners are bound to (0: none). */
  get port(): number {
    return this.listener?.port ?? 0;
  }

  /** Options for an outgoing TLS connection (tls-replication), or null when TLS is not configured. */
  clientOptions(): ConnectionOptions | null {
    return this.contexts?.client ?? null;
  }

  /**
   * The current context for a cluster bus connection being made or accepted now, or null when tls-cluster is
   * off: as Redis, each connection takes the setting in force when it is created.
   */
  clusterContexts(): TlsContexts | null {
    return this.config.bool('tls-cluster') ? this.contexts : null;
  }

  private snapshot(): Map<string, string> {
    return new Map(TLS_CONTEXT_PARAMS.map((n) => [n, this.config.getText(n)]));
  }

  private changedSinceApplied(): boolean {
    for (const [n, v] of this.applied) if (this.config.getText(n) !== v) return true;
    return false;
  }

  /**
   * Runs inside CONFIG SET, once per parameter. A failure is thrown back at once (CONFIG SET then answers
   * Redis's error and restores the rest), except a certificate and key that do not match yet: CONFIG SET of
   * tls-cert-file and tls-key-file together passes through that state, so it is checked again once the whole
   * command has been applied.
   */
  private onConfigChange(name: string): void {
    if (this.restoring) return;
    if (name === 'tls-port') {
      this.onPortChange();
      return;
    }
    if (!(TLS_CONTEXT_PARAMS as readonly string[]).includes(name) || !this.changedSinceApplied()) return;
    if (!tlsWanted(this.config)) {
      // Nothing uses TLS: Redis accepts any values and reads them when TLS is switched on.
      this.applied = this.snapshot();
      this.contexts = null;
      return;
    }
    try {
      this.apply();
    } catch (e) {
      if (!(e instanceof TlsConfigError)) throw e;
      if (/key values mismatch/.test(e.message)) {
        this.deferCheck(name);
        return;
      }
      this.fail(name, e.message);
      throw new Error(UPDATE_FAILED);
    }
  }

  private apply(): void {
    const contexts = buildTlsContexts(this.config);
    this.contexts = contexts;
    this.applied = this.snapshot();
    this.listener?.setContexts(contexts);
  }

  private fail(name: string, reason: string): void {
    this.log('warning', reason);
    this.log('warning', `Failed applying new configuration. Possibly related to new ${name} setting. Restoring previous settings.`);
    this.restoring = true;
    try {
      for (const [n, v] of this.applied) if (this.config.getText(n) !== v) this.config.set(n, v, true);
    } finally {
      this.restoring = false;
    }
  }

  private deferCheck(name: string): void {
    if (this.deferred) return;
    this.deferred = true;
    queueMicrotask(() => {
      this.deferred = false;
      if (!this.changedSinceApplied() || !tlsWanted(this.config)) return;
      try {
        this.apply();
      } catch (e) {
        if (!(e instanceof TlsConfigError)) throw e;
        this.fail(name, e.message);
      }
    });
  }

  /**
   * CONFIG SET tls-port: configures TLS if it was off (failing as Redis does), then moves the listeners. Binding
   * is asynchronous here, so a port that cannot be bound is logged rather than refused.
   */
  private onPortChange(): void {
    const port = this.config.int('tls-port');
    if (port === this.port) return;
    if (port !== 0 && !this.contexts) {
      try {
        this.apply();
      } catch (e) {
        if (!(e instanceof TlsConfigError)) throw e;
        this.log('warning', e.message);
        this.restoring = true;
        try {
          this.config.set('tls-port', String(this.port), true);
        } finally {
          this.restoring = false;
        }
        throw new Error(UPDATE_FAILED);
      }
    }
    const old = this.listener;
    this.listener = null;
    void (async () => {
      await old?.close();
      if (port === 0) return;
      try {
        await this.listen();
      } catch (e) {
        this.log('warning', (e as Error).message);
      }
    })();
  }

  /**
   * Binds the tls-port on every `bind` address (a leading '-' makes one optional), as the plain port.
   * Logs why an address cannot be bound and throws TlsListenError with Redis's last line.
   */
  async listen(): Promise<void> {
    const port = this.config.int('tls-port');
    if (port === 0 || !this.contexts) return;
    const listener = new TlsListener(
      this.contexts,
      this.onSecure,
      (m) => this.log('warning', m),
      () => this.config.int('tcp-keepalive') * 1000,
    );
    for (const b of this.config.str('bind').split(/\s+/).filter(Boolean)) {
      const optional = b.startsWith('-');
      const addr = optional ? b.slice(1) : b;
      const host = addr === '*' ? '0.0.0.0' : addr === '::*' ? '::' : addr;
      try {
        await listener.listen(host, port);
      } catch (e) {
        if (optional) continue;
        await listener.close();
        this.log('warning', `Warning: Could not create server TCP listening socket ${addr}:${port}: bind: ${describeListenError(e)}`);
        throw new TlsListenError(`Failed listening on port ${port} (TLS), aborting.`);
      }
    }
    this.listener = listener;
  }

  /** Stops the TLS listeners. */
  async close(): Promise<void> {
    const l = this.listener;
    this.listener = null;
    await l?.close();
  }
}

function describeListenError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return 'Address already in use';
  if (code === 'EACCES') return 'Permission denied';
  if (code === 'EADDRNOTAVAIL') return 'Cannot assign requested address';
  return (e as Error).message;
}
