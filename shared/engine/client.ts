import { ByteWriter } from '../bytes.js';
import { DEFAULT_REQUEST_LIMITS, RequestParser, type RequestLimits } from '../resp/request-parser.js';
import { writeReply, type ProtocolVersion } from '../resp/encoder.js';
import { PushReply, type Reply } from '../resp/reply.js';
import type { CommandSpec } from './command-spec.js';
import type { ClientTracking } from './tracking.js';
import { QueryBufferSize } from './query-buffer.js';

/**
 * The tiny interface an adapter builds from its runtime's socket (node:net, ws, a Durable Object's WebSocket,
 * an in-memory pipe in tests). The core only ever writes bytes and asks to close.
 */
export interface Transport {
  /** Sends bytes, in order. */
  write(bytes: Uint8Array): void;
  /** Closes the connection after the bytes already written have been sent. */
  close(): void;
  /** Bytes written but not yet handed to the network (for output buffer limits). */
  bufferedAmount(): number;
}

/** What the adapter knows about a connection when it accepts it. */
export interface ConnectionInfo {
  /** "ip:port" of the peer, as CLIENT LIST prints it. */
  addr: string;
  /** "ip:port" of our end. */
  laddr: string;
  /** Whether the peer is on the loopback interface (protected mode lets only these in without a password). */
  loopback: boolean;
  /** How the bytes arrive. */
  kind: 'tcp' | 'websocket' | 'internal';
}

/** A command parked by BLPOP and friends. */
export interface BlockedState {
  spec: CommandSpec;
  argv: string[];
  db: number;
  keys: string[];
  deadline: number;
  timeoutReply: Reply | (() => Reply);
}

/** A MULTI in progress: the queued commands and whether an error while queueing dooms EXEC. */
export interface MultiState {
  queue: Array<{ spec: CommandSpec; argv: string[]; fullName: string }>;
  aborted: boolean;
}

/**
 * One connected client: protocol state, selection, transaction, subscriptions, blocking, and the output
 * buffer. Replies are buffered and flushed once per batch of input (pipelining costs one write per batch).
 */
export class Client {
  db = 0;
  protocol: ProtocolVersion = 2;
  name = '';
  user = 'default';
  authenticated: boolean;
  multi: MultiState | null = null;
  /** WATCHed keys as [db, key]. */
  watched: Array<[number, string]> = [];
  /** A WATCHed key was touched: EXEC must fail. */
  dirtyCas = false;
  /** Executing inside EXEC (blocking commands do not block there). */
  inExec = false;
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  /** Shard channels (SSUBSCRIBE). */
  readonly shardChannels = new Set<string>();
  blocked: BlockedState | null = null;
  /** A command held back by CLIENT PAUSE, run when the pause ends (Redis's BLOCKED_POSTPONE). */
  postponed: string[] | null = null;
  /** This connection is our master's link (a replica applying the stream). */
  isMaster = false;
  /** This connection is a replica of ours (after SYNC/PSYNC): it receives the stream, not replies. */
  isReplica = false;
  /** Close after the pending output is written (QUIT, protocol errors). */
  closeAfterReply = false;
  closed = false;
  readonly createdAt: number;
  lastInteraction: number;
  lastCommand = 'NULL';
  /** Cluster mode: ASKING was sent (the next command may use a slot being imported). */
  clusterAsking = false;
  /** Cluster mode: READONLY was sent (a replica serves reads of its master's slots). */
  clusterReadonly = false;
  readonly parser: RequestParser;
  readonly out = new ByteWriter(1024);
  /** Output queued by reference (writeRaw), in order after anything taken from `out` before it. */
  private chunks: Uint8Array[] = [];
  private chunkBytes = 0;
  /**
   * The core wants to hear when this client's transport drains (a snapshot is being sent to it). Adapters whose
   * only drain signal is per-send (ws) check this to avoid a callback for every message.
   */
  wantsWritable = false;
  /** When the soft output buffer limit was first exceeded (0 when under it). */
  softLimitSince = 0;
  /** Total bytes received and sent (for INFO stats). */
  bytesIn = 0;
  /** Replies are discarded (CLIENT REPLY OFF, or the master link, which must never get replies). */
  replyOff = false;
  /** The replication offset right after this client's last propagated write (WAIT waits for it). */
  lastWriteOffset = 0;
  /** Library name and version (CLIENT SETINFO). */
  libName = '';
  libVer = '';
  /** CLIENT TRACKING state (null: tracking off). */
  tracking: ClientTracking | null = null;
  /** The query buffer's size as Redis would report it (CLIENT LIST qbuf, qbuf-free). */
  readonly queryBuffer = new QueryBufferSize();

  constructor(
    readonly id: number,
    readonly transport: Transport,
    readonly info: ConnectionInfo,
    now: number,
    needsAuth: boolean,
    limits: RequestLimits = DEFAULT_REQUEST_LIMITS,
  ) {
    this.authenticated = !needsAuth;
    this.createdAt = now;
    this.lastInteraction = now;
    this.parser = new RequestParser(limits);
    this.parser.authenticated = this.authenticated;
  }

  /** Whether the client is in RESP2 subscriber mode (only (P)SUBSCRIBE, PING, QUIT, RESET allowed). */
  get subscribed(): boolean {
    return this.channels.size + this.patterns.size + this.shardChannels.size > 0;
  }

  /** Appends a reply to the output buffer. */
  reply(r: Reply): void {
    // Pushes (pub/sub messages and confirmations, invalidations) get through CLIENT REPLY OFF / SKIP, as Redis's
    // CLIENT_PUSHING; never to a replication link.
    if (this.closed || (this.replyOff && (!(r instanceof PushReply) || this.isMaster || this.isReplica))) return;
    writeReply(this.out, r, this.protocol);
  }

  /**
   * Queues bytes as they are (the replication stream, snapshot chunks): not copied, so one buffer can go to
   * every replica. The caller must not modify it afterwards.
   */
  writeRaw(bytes: Uint8Array): void {
    if (this.closed || bytes.length === 0) return;
    if (this.out.length > 0) this.queueChunk(this.out.take());
    this.queueChunk(bytes);
  }

  private queueChunk(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.chunkBytes += bytes.length;
  }

  /** Bytes waiting to be sent: our buffers plus what the transport still holds. */
  pendingOutput(): number {
    return this.out.length + this.chunkBytes + this.transport.bufferedAmount();
  }

  /** Bytes queued here and not yet handed to the transport. */
  get queuedBytes(): number {
    return this.out.length + this.chunkBytes;
  }

  /** Hands buffered output to the transport; closes if a reply-then-close was requested. */
  flush(): void {
    if (this.closed) return;
    if (this.chunks.length > 0) {
      if (this.out.length > 0) this.queueChunk(this.out.take());
      const chunks = this.chunks;
      this.chunks = [];
      this.chunkBytes = 0;
      for (const c of chunks) this.transport.write(c);
    } else if (this.out.length > 0) {
      this.transport.write(this.out.take());
    }
    if (this.closeAfterReply) {
      this.closed = true;
      this.transport.close();
    }
  }
}
