import { allCommands } from './commands/index.js';
import type { CommandSpec } from './engine/command-spec.js';
import { Config } from './engine/config.js';
import { ServerCore, type ServerHost } from './engine/server-core.js';
import { parseMasterTarget, type MasterConnector } from './replication/replica-link.js';
import { replicationCommands } from './replication/replication-commands.js';
import { Replication } from './replication/replication.js';

/** What an adapter supplies to build a server. */
export interface CreateServerOptions {
  host: ServerHost;
  config?: Config;
  /** Opens connections to a master (Node: TCP or WebSocket; omit for a server that can only be a master). */
  connector?: MasterConnector;
  /** Extra commands. */
  commands?: CommandSpec[];
}

/**
 * Builds a complete server core: the keyspace and command table plus the replication subsystem, and starts
 * replicating when the config says `replicaof`. Adapters (Node, Durable Object, tests) all start here.
 */
export function createServerCore(opts: CreateServerOptions): { core: ServerCore; replication: Replication } {
  const core = new ServerCore({
    host: opts.host,
    config: opts.config,
    commands: [...allCommands, ...replicationCommands, ...(opts.commands ?? [])],
  });
  const replication = new Replication(core, opts.connector);
  const replicaof = core.config.str('replicaof').trim();
  if (replicaof && replicaof.toLowerCase() !== 'no one') {
    const target = parseMasterTarget(replicaof.split(/\s+/));
    if (!target) throw new Error(`Invalid replicaof '${replicaof}': expected "host port" or a ws:// URL`);
    replication.setMaster(target, true);
  }
  return { core, replication };
}
