import { Cluster, type ClusterHost } from './cluster/cluster.js';
import { clusterCommands } from './cluster/cluster-commands.js';
import { migrateCommand } from './cluster/migrate.js';
import { aclPermissions } from './commands/acl.js';
import { allCommands } from './commands/index.js';
import type { CommandSpec } from './engine/command-spec.js';
import { Config } from './engine/config.js';
import type { FunctionLibraryStore } from './engine/function-library-store.js';
import { ServerCore, type ServerHost } from './engine/server-core.js';
import { parseMasterTarget, type MasterConnector, type MasterTarget } from './replication/replica-link.js';
import { replicationCommands } from './replication/replication-commands.js';
import { newReplId } from './replication/replication-id.js';
import { Replication } from './replication/replication.js';

/** The replication history a persisted dataset belongs to (an RDB file's repl-id, repl-offset, repl-stream-db). */
export interface RestoredHistory {
  replid: string;
  offset: number;
  streamDb: number;
}

/** What a runtime restored into the core's databases before the server starts. */
export interface RestoredDataset {
  /** The history of the dataset, when it was saved with one. */
  history: RestoredHistory | null;
  /** Keys a master dropped while loading because they had expired, by db: their DELs enter the new stream. */
  expired: Array<[db: number, key: string]>;
}

/** What an adapter supplies to build a server. */
export interface CreateServerOptions {
  host: ServerHost;
  config?: Config;
  /** Opens connections to a master (Node: TCP or WebSocket; omit for a server that can only be a master). */
  connector?: MasterConnector;
  /** Extra commands. */
  commands?: CommandSpec[];
  /**
   * Loads a persisted dataset into `core.dbs` before replication starts (Node: the RDB file). `asReplica`
   * says whether the server starts as a replica: a master drops expired keys, a replica keeps them for its
   * master's DELs. Returns null when there was nothing to load. Throws to abort the start.
   */
  restore?: (core: ServerCore, asReplica: boolean) => RestoredDataset | null;
  /** The cluster bus and nodes.conf (Node); required when the config says `cluster-enabled yes`. */
  clusterHost?: ClusterHost;
  /** Creates the store of function libraries (the Node server's Lua engine), before the dataset is restored. */
  functionLibraries?: (core: ServerCore) => FunctionLibraryStore;
}

/**
 * Builds a complete server core: the keyspace and command table plus the replication subsystem, and starts
 * replicating when the config says `replicaof`. Adapters (Node, Durable Object, tests) all start here.
 */
export function createServerCore(opts: CreateServerOptions): { core: ServerCore; replication: Replication; cluster: Cluster | null } {
  const core = new ServerCore({
    host: opts.host,
    config: opts.config,
    commands: [...allCommands, ...replicationCommands, ...clusterCommands, migrateCommand, ...(opts.commands ?? [])],
  });
  core.permissions = aclPermissions(core);
  core.functionLibraries = opts.functionLibraries?.(core) ?? null;
  const replication = new Replication(core, opts.connector);
  let cluster: Cluster | null = null;
  if (core.config.bool('cluster-enabled')) {
    if (!opts.clusterHost) throw new Error('cluster-enabled yes needs a runtime with a cluster bus (the Node server)');
    if (core.config.str('replicaof').trim()) throw new Error('replicaof directive not allowed in cluster mode');
    cluster = new Cluster(core, replication, opts.clusterHost);
    core.cluster = cluster;
  }
  const replicaof = core.config.str('replicaof').trim();
  let target: MasterTarget | null = null;
  if (replicaof && replicaof.toLowerCase() !== 'no one') {
    target = parseMasterTarget(replicaof.split(/\s+/));
    if (!target) throw new Error(`Invalid replicaof '${replicaof}': expected "host port" or a ws:// URL`);
  }
  const restored = opts.restore?.(core, target !== null) ?? null;
  if (target) {
    if (restored?.history) {
      // As Redis's loadDataFromDisk on a replica: the file's history becomes our own and is offered to the
      // master as a cached master, so a restarted replica continues with a partial resync.
      const h = restored.history;
      replication.restoreState({ replid: h.replid, offset: h.offset });
      core.host.log(
        'notice',
        'Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.',
      );
      replication.setMaster(target, false, { streamDb: h.streamDb });
    } else {
      replication.setMaster(target, true);
    }
    return { core, replication, cluster };
  }
  if (restored?.history) {
    // As Redis 7 on a master: a new id, the file's id kept as replid2 valid up to its offset + 1, and a backlog
    // starting there, so replicas of the old history continue with +CONTINUE <new id>.
    const h = restored.history;
    replication.restoreState({ replid: newReplId(core), offset: h.offset, replid2: h.replid, secondReplOffset: h.offset + 1 });
    replication.createBacklogIfNeeded();
    // The backlog is freed after repl-backlog-ttl if no replica comes back.
    replication.noReplicasSince = core.now();
  }
  // The replicas still hold the keys that expired while we were down: tell them (into the backlog, if any).
  for (const [db, key] of restored?.expired ?? []) {
    core.propagator.add(db, ['DEL', key]);
    core.propagator.flush();
  }
  return { core, replication, cluster };
}
