import type { Client, Transport } from '../../shared/engine/client.js';
import type { ServerCore } from '../../shared/engine/server-core.js';
import type { MasterConnector } from '../../shared/replication/replica-link.js';

/**
 * Connects in-memory server cores to each other for fast replication tests: a replica's connector reaches the
 * core registered under "host:port". Bytes are delivered in order on the microtask queue, never re-entrantly,
 * as a socket would.
 */
export class MemoryNetwork {
  private readonly servers = new Map<string, ServerCore>();
  /** Open links, so tests can cut them. */
  readonly links = new Set<{ cut(): void; masterClient: () => Client | undefined }>();

  register(address: string, core: ServerCore): void {
    this.servers.set(address, core);
  }

  unregister(address: string): void {
    this.servers.delete(address);
  }

  readonly connector: MasterConnector = (target, events) => {
    const address = target.kind === 'tcp' ? `${target.host}:${target.port}` : target.url;
    const core = this.servers.get(address);
    let closed = false;
    let client: Client | null = null;
    const shut = (reason: string) => {
      if (closed) return;
      closed = true;
      queueMicrotask(() => events.onClose(reason));
      if (client && core) {
        const c = client;
        queueMicrotask(() => core.disconnect(c));
      }
      this.links.delete(link);
    };
    const link = { cut: () => shut('link cut'), masterClient: () => client ?? undefined };
    if (!core) {
      queueMicrotask(() => events.onClose('connection refused'));
      return { write() {}, close() {} };
    }
    this.links.add(link);
    const transport: Transport = {
      write: (bytes) => {
        const copy = bytes.slice();
        queueMicrotask(() => {
          if (!closed) events.onData(copy);
        });
      },
      close: () => shut('closed by master'),
      bufferedAmount: () => 0,
    };
    queueMicrotask(() => {
      if (closed) return;
      client = core.connect(transport, { addr: '127.0.0.1:40000', laddr: address, loopback: true, kind: 'internal' });
      if (!client) return shut('refused');
      events.onOpen();
    });
    return {
      write: (bytes) => {
        const copy = bytes.slice();
        queueMicrotask(() => {
          if (!closed && client) core.receive(client, copy);
        });
      },
      close: () => shut('closed by replica'),
    };
  };
}

/** Lets queued deliveries run to completion (several macrotask turns). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
