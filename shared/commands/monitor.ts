import { command, type CommandSpec } from '../engine/command-spec.js';
import { ErrorReply, NO_REPLY, OK } from '../resp/reply.js';

/**
 * MONITOR: the client is shown every command the server runs from then on (see engine/monitor.ts), until it
 * disconnects or sends RESET.
 */
export const monitorCommands: CommandSpec[] = [
  command({
    name: 'monitor',
    arity: 1,
    group: 'server',
    flags: ['admin', 'noscript', 'loading', 'stale'],
    summary: 'Listen for all requests received by the server in real time',
    since: '1.0.0',
    handler: (ctx) => {
      const c = ctx.client;
      // A client that expects one reply per command (inside EXEC) cannot become a stream of lines.
      if (c.inExec) return new ErrorReply("ERR MONITOR isn't allowed for DENY BLOCKING client");
      // Redis ignores MONITOR from a replica or a client already monitoring.
      if (c.isReplica || ctx.core.monitors.has(c)) return NO_REPLY;
      ctx.core.monitors.add(c);
      return OK;
    },
  }),
];
