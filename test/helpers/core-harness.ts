import type { ClusterHost } from '../../shared/cluster/cluster.js';
import { binaryToBytes } from '../../shared/bytes.js';
import type { Client, Transport } from '../../shared/engine/client.js';
import type { CommandSpec } from '../../shared/engine/command-spec.js';
import { Config } from '../../shared/engine/config.js';
import type { ServerCore } from '../../shared/engine/server-core.js';
import { createServerCore } from '../../shared/create-server.js';
import { scriptingCommands } from '../../shared/scripting/script-commands.js';
import { functionCommands } from '../../shared/scripting/function-commands.js';
import { functionLibraryStore } from '../../shared/scripting/function-libraries.js';
import type { MasterConnector } from '../../shared/replication/replica-link.js';
import { encodeCommand } from '../../shared/resp/encoder.js';
import { ErrorReply, SimpleString, type Reply } from '../../shared/resp/reply.js';
import { ReplyParser } from '../../shared/resp/reply-parser.js';

/** A fake clock the test moves by hand. */
export interface TestClock {
  now: number;
  advance(ms: number): void;
}

/** A client connected to an in-memory core through a transport that decodes what the core writes. */
export class TestClient {
  readonly parser = new ReplyParser();
  readonly client: Client;
  closed = false;
  written = 0;

  constructor(
    readonly core: ServerCore,
    opts: { loopback?: boolean } = {},
  ) {
    const transport: Transport = {
      write: (bytes) => {
        this.written += bytes.length;
        this.parser.push(bytes);
      },
      close: () => {
        this.closed = true;
        if (this.client) core.disconnect(this.client);
      },
      bufferedAmount: () => 0,
    };
    const c = core.connect(transport, {
      addr: '127.0.0.1:50000',
      laddr: '127.0.0.1:6379',
      loopback: opts.loopback ?? true,
      kind: 'internal',
    });
    if (!c) throw new Error('connection refused');
    this.client = c;
  }

  /** Sends raw bytes (or a binary string) as the network would. */
  sendRaw(data: Uint8Array | string): void {
    this.core.receive(this.client, typeof data === 'string' ? binaryToBytes(data) : data);
  }

  /** Sends a command without waiting for its reply (for blocking commands). */
  send(...argv: Array<string | number>): void {
    this.sendRaw(encodeCommand(argv.map(String)));
  }

  /** The next reply already received, or undefined. */
  next(): Reply | undefined {
    return this.parser.next();
  }

  /** Sends a command and returns its reply; throws if the command produced none (it blocked). */
  call(...argv: Array<string | number>): Reply {
    this.send(...argv);
    const r = this.parser.next();
    if (r === undefined) throw new Error(`no reply to ${argv.join(' ')}`);
    return r;
  }
}

/** An in-memory server core with a fake clock, recording what it propagates. */
export function createHarness(
  opts: {
    config?: Record<string, string>;
    now?: number;
    commands?: CommandSpec[];
    connector?: MasterConnector;
    /** Cluster mode (with config 'cluster-enabled': 'yes'): the bus and nodes.conf stand-in. */
    clusterHost?: ClusterHost;
  } = {},
) {
  const clock: TestClock = {
    now: opts.now ?? 1_700_000_000_000,
    advance(ms: number) {
      this.now += ms;
    },
  };
  const logs: string[] = [];
  // `commands` adds to (or replaces entries of) the full table.
  const { core, replication, cluster } = createServerCore({
    host: { now: () => clock.now, log: (level, msg) => logs.push(`${level}: ${msg}`) },
    // DEBUG allowed, as test servers run it (Redis's default refuses it: see shared/commands/debug.ts).
    config: new Config({ 'enable-debug-command': 'yes', ...opts.config }),
    // Lua scripting is part of the Node server's table (not allCommands: see shared/commands/index.ts).
    commands: [...scriptingCommands, ...functionCommands, ...(opts.commands ?? [])],
    functionLibraries: functionLibraryStore,
    connector: opts.connector,
    clusterHost: opts.clusterHost,
  });
  /** Every command propagated, in order, including SELECT/MULTI/EXEC framing. */
  const propagated: string[][] = [];
  const streamChunks: Uint8Array[] = [];
  core.propagator.addListener((bytes, commands) => {
    propagated.push(...commands);
    streamChunks.push(bytes);
  });
  return {
    core,
    replication,
    cluster,
    clock,
    logs,
    propagated,
    streamChunks,
    client: (o?: { loopback?: boolean }) => new TestClient(core, o),
  };
}

/** The reply +OK. */
export const OK_REPLY = new SimpleString('OK');

/** An error reply with exactly this text. */
export function errorReply(message: string): ErrorReply {
  return new ErrorReply(message);
}
