import { BlockRequest, command, type CommandSpec } from '../engine/command-spec.js';
import type { CommandContext } from '../engine/command-context.js';
import { CommandError, SYNTAX } from '../errors.js';
import { NO_REPLY, OK, SimpleString, type Reply } from '../resp/reply.js';
import { parseInteger } from '../commands/parse.js';
import { describeTarget, parseMasterTarget } from './replica-link.js';
import { WAIT_KEY, replicationOf } from './replication.js';

function replicaofHandler(ctx: CommandContext, argv: string[]): Reply {
  if (ctx.core.cluster) throw new CommandError('ERR REPLICAOF not allowed in cluster mode.');
  const repl = replicationOf(ctx.core);
  const args = argv.slice(1);
  if (args.length === 2 && args[0].toLowerCase() === 'no' && args[1].toLowerCase() === 'one') {
    if (repl.link) repl.unsetMaster();
    return OK;
  }
  if (ctx.client.isReplica) throw new CommandError('ERR Command is not valid when client is a replica.');
  if (repl.failover.state !== 'no-failover') throw new CommandError('ERR REPLICAOF not allowed while failing over.');
  const target = parseMasterTarget(args);
  if (!target) {
    if (args.length === 2) throw new CommandError('ERR Invalid master port');
    throw new CommandError(SYNTAX);
  }
  if (!repl.setMaster(target)) return new SimpleString('OK Already connected to specified master');
  ctx.core.host.log(
    'notice',
    `REPLICAOF ${describeTarget(target).text} enabled (user request from 'id=${ctx.client.id} addr=${ctx.client.info.addr}')`,
  );
  return OK;
}

const REPLICAOF_FLAGS = ['admin', 'noscript', 'stale'] as const;

/** REPLICAOF, SLAVEOF, PSYNC, SYNC, REPLCONF, ROLE, WAIT, FAILOVER. */
export const replicationCommands: CommandSpec[] = [
  command({
    name: 'failover',
    arity: -1,
    group: 'server',
    flags: ['admin', 'noscript', 'stale'],
    summary: 'Start a coordinated failover between this server and one of its replicas.',
    since: '6.2.0',
    handler: (ctx, argv) => {
      if (ctx.core.cluster) throw new CommandError('ERR FAILOVER not allowed in cluster mode.');
      replicationOf(ctx.core).failover.command(argv);
      return OK;
    },
  }),
  command({
    name: 'replicaof',
    arity: -2,
    group: 'server',
    flags: [...REPLICAOF_FLAGS],
    summary: 'Configures a server as replica of another, or promotes it to a master.',
    since: '5.0.0',
    handler: replicaofHandler,
  }),
  command({
    name: 'slaveof',
    arity: -2,
    group: 'server',
    flags: [...REPLICAOF_FLAGS],
    summary: 'Sets a Redis server as a replica of another, or promotes it to being a master.',
    since: '1.0.0',
    handler: replicaofHandler,
  }),
  command({
    name: 'psync',
    arity: -3,
    group: 'server',
    flags: ['admin', 'noscript', 'no_multi'],
    summary: 'An internal command used in replication.',
    since: '2.8.0',
    handler: (ctx, argv) => {
      if (argv.length > 3 && argv[3].toLowerCase() === 'failover') acceptFailover(ctx, argv[1]);
      syncPreconditions(ctx);
      const offset = Number(argv[2]);
      replicationOf(ctx.core).sync(ctx.client, argv[1], Number.isInteger(offset) ? offset : -1, true);
      return NO_REPLY;
    },
  }),
  command({
    name: 'sync',
    arity: 1,
    group: 'server',
    flags: ['admin', 'noscript', 'no_multi'],
    summary: 'An internal command used in replication.',
    since: '1.0.0',
    handler: (ctx) => {
      syncPreconditions(ctx);
      replicationOf(ctx.core).sync(ctx.client, '?', -1, false);
      return NO_REPLY;
    },
  }),
  command({
    name: 'replconf',
    arity: -1,
    group: 'server',
    flags: ['admin', 'noscript', 'loading', 'stale', 'allow_busy'],
    summary: 'An internal command for configuring the replication stream.',
    since: '3.0.0',
    handler: (ctx, argv) => {
      if (argv.length % 2 === 0) throw new CommandError(SYNTAX);
      const repl = replicationOf(ctx.core);
      for (let i = 1; i < argv.length; i += 2) {
        const key = argv[i].toLowerCase();
        const value = argv[i + 1];
        switch (key) {
          case 'listening-port':
          case 'ip-address':
          case 'capa':
            repl.replconf(ctx.client, key, value);
            break;
          case 'ack':
            // An ACK never gets a reply: the replica does not read them.
            if (ctx.client.isReplica) repl.ack(ctx.client, Number(value));
            return NO_REPLY;
          case 'getack':
            if (ctx.client.isMaster) repl.link?.sendAck();
            return NO_REPLY;
          case 'rdb-only':
          case 'rdb-filter-only':
            break;
          default:
            throw new CommandError(`ERR Unrecognized REPLCONF option: ${argv[i]}`);
        }
      }
      return OK;
    },
  }),
  command({
    name: 'role',
    arity: 1,
    group: 'server',
    flags: ['noscript', 'loading', 'stale', 'fast'],
    summary: 'Returns the replication role.',
    since: '2.8.12',
    handler: (ctx) => {
      const repl = replicationOf(ctx.core);
      if (repl.link) {
        const { host, port } = describeTarget(repl.link.target);
        const states: Record<string, string> = {
          connect: 'connect',
          connecting: 'connecting',
          handshake: 'handshake',
          transfer: 'sync',
          connected: 'connected',
        };
        return ['slave', host, port, states[repl.link.state], repl.offset];
      }
      const replicas: Reply[] = [];
      for (const peer of repl.peers.values()) {
        const ip = peer.ipAddress || peer.client.info.addr.replace(/:\d+$/, '');
        replicas.push([ip, String(peer.listeningPort), String(peer.ackOffset)]);
      }
      return ['master', repl.offset, replicas];
    },
  }),
  command({
    name: 'wait',
    arity: 3,
    group: 'generic',
    flags: ['noscript'],
    summary: 'Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.',
    since: '3.0.0',
    handler: (ctx, argv) => {
      const repl = replicationOf(ctx.core);
      if (ctx.core.isReplica()) {
        throw new CommandError(
          'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.',
        );
      }
      const numreplicas = parseInteger(argv[1]);
      const timeout = parseInteger(argv[2], 'ERR timeout is not an integer or out of range');
      if (timeout < 0) throw new CommandError('ERR timeout is negative');
      const target = ctx.client.lastWriteOffset;
      const acked = repl.replicasAcked(target);
      if (acked >= numreplicas || ctx.client.inExec) return acked;
      // Ask for fresh ACKs once; re-runs (on each ACK that arrives) must not ask again or they would ping-pong.
      if (!ctx.client.blocked) repl.requestAcks();
      return new BlockRequest([WAIT_KEY], timeout > 0 ? ctx.now + timeout : 0, () => repl.replicasAcked(target), 0);
    },
  }),
];

/**
 * PSYNC <replid> <offset> FAILOVER from our master handing over (its FAILOVER command): become the master,
 * then answer the PSYNC like any other (the old id is now our replid2, so it continues partially).
 */
function acceptFailover(ctx: CommandContext, replid: string): void {
  const repl = replicationOf(ctx.core);
  ctx.core.host.log('warning', `Failover request received for replid ${replid}.`);
  if (!repl.link) throw new CommandError("ERR PSYNC FAILOVER can't be sent to a master.");
  if (replid !== repl.replid) throw new CommandError('ERR PSYNC FAILOVER replid must match my replid.');
  repl.unsetMaster(`failover request from 'id=${ctx.client.id} addr=${ctx.client.info.addr}'`);
}

function syncPreconditions(ctx: CommandContext): void {
  if (ctx.client.isMaster) throw new CommandError('ERR Replica can\'t interact with the keyspace');
  if (ctx.client.isReplica) throw new CommandError('ERR Replica already connected');
  const repl = replicationOf(ctx.core);
  if (repl.failover.state !== 'no-failover') throw new CommandError("NOMASTERLINK Can't SYNC while failing over");
  if (repl.link && repl.link.state !== 'connected') {
    throw new CommandError("NOMASTERLINK Can't SYNC while not connected with my master");
  }
}
