import { ByteWriter } from '../bytes.js';
import { DEFAULT_REQUEST_LIMITS, RequestParser, type RequestLimits } from '../resp/request-parser.js';
import { writeReply, type ProtocolVersion } from '../resp/encoder.js';
import type { Reply } from '../resp/reply.js';
import type { CommandSpec } from './command-spec.js';

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
  queue: Array<{ spec: CommandSpec; argv: string[] }>;
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
  blocked: BlockedState | null = null;
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
  readonly parser: RequestParser;
  readonly out = new ByteWriter(1024);
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
    return this.channels.size + this.patterns.size > 0;
  }

  /** Appends a reply to the output buffer. */
  reply(r: Reply): void {
    if (this.replyOff || this.closed) return;
    writeReply(this.out, r, this.protocol);
  }

  /** Appends raw bytes (the replication stream, pre-encoded replies). */
  writeRaw(bytes: Uint8Array): void {
    if (this.closed) return;
    this.out.bytes(bytes);
  }

  /** Bytes waiting to be sent: our buffer plus what the transport still holds. */
  pendingOutput(): number {
    return this.out.length + this.transport.bufferedAmount();
  }

  /** Hands buffered output to the transport; closes if a reply-then-close was requested. */
  flush(): void {
    if (this.closed) return;
    if (this.out.length > 0) this.transport.write(this.out.take());
    if (this.closeAfterReply) {
      this.closed = true;
      this.transport.close();
    }
  }
}
