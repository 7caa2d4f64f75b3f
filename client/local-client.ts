import type { Client, Transport } from '../shared/engine/client.js';
import type { ServerCore } from '../shared/engine/server-core.js';
import { encodeCommand } from '../shared/resp/encoder.js';
import type { Reply } from '../shared/resp/reply.js';
import { ReplyParser } from '../shared/resp/reply-parser.js';

/**
 * A connection to the in-page core that never touches the network: commands go in as RESP bytes through the
 * core's normal dispatch and replies come back decoded, synchronously. Reads therefore have exactly Redis's
 * semantics (WRONGTYPE, lazy expiry hidden on a replica, SCAN cursors...).
 */
export class LocalClient {
  private readonly parser = new ReplyParser();
  private client: Client;

  constructor(
    private readonly core: ServerCore,
    private readonly name: string,
  ) {
    this.client = this.connect();
  }

  private connect(): Client {
    const transport: Transport = {
      write: (bytes) => this.parser.push(bytes),
      close: () => this.core.disconnect(this.client),
      bufferedAmount: () => 0,
    };
    const c = this.core.connect(transport, { addr: this.name, laddr: '', loopback: true, kind: 'internal' });
    if (!c) throw new Error('the local core refused a connection');
    return c;
  }

  /** The underlying core client (to set the selected db, or flag it as the master's stream). */
  get raw(): Client {
    return this.client;
  }

  /** Runs one command and returns its reply. */
  call(argv: readonly string[]): Reply {
    // A command such as QUIT closes the connection: open a new one rather than fail every later read.
    if (this.client.closed) {
      const db = this.client.db;
      this.client = this.connect();
      this.client.db = db;
    }
    this.core.receive(this.client, encodeCommand(argv));
    const r = this.parser.next();
    if (r === undefined) throw new Error(`no reply from the local replica to ${argv[0]}`);
    return r;
  }

  /** Disconnects from the core. */
  close(): void {
    this.core.disconnect(this.client);
  }
}

/**
 * A client that applies replication stream bytes to a core the way the master's link does (Redis's master
 * client: no replies, keys never expired under it, no size limits), for cold-start replay of the stored log and
 * for tabs that follow another tab's link.
 */
export class StreamApplier {
  private readonly client: Client;

  constructor(
    private readonly core: ServerCore,
    db: number,
  ) {
    const transport: Transport = { write: () => {}, close: () => {}, bufferedAmount: () => 0 };
    const c = core.connect(transport, { addr: 'stream-replay', laddr: '', loopback: true, kind: 'internal' });
    if (!c) throw new Error('the local core refused a connection');
    c.isMaster = true;
    c.replyOff = true;
    c.authenticated = true;
    c.parser.authenticated = true;
    c.parser.fromMaster = true;
    c.db = db;
    this.client = c;
  }

  /** The db the stream has selected. */
  get db(): number {
    return this.client.db;
  }

  /**
   * Applies stream bytes that end on a command boundary. Throws when they are not valid stream (a protocol
   * error, or a command cut in the middle): the caller must then discard this core's dataset.
   */
  apply(bytes: Uint8Array): void {
    if (this.client.closed) throw new Error('stream applier closed after a protocol error');
    this.core.receive(this.client, bytes);
    if (this.client.closed || this.client.closeAfterReply) throw new Error('protocol error in the replication stream');
    if (this.client.parser.pending > 0 || this.client.multi) {
      throw new Error('the stream does not end on a command boundary');
    }
  }

  close(): void {
    this.core.disconnect(this.client);
  }
}
