import { describe, expect, it } from 'vitest';
import { replicaCommands } from '../client/replica-engine.js';
import { allCommands } from '../shared/commands/index.js';
import { replicationCommands } from '../shared/replication/replication-commands.js';
import { functionCommands } from '../shared/scripting/function-commands.js';
import { scriptingCommands } from '../shared/scripting/script-commands.js';

describe("the browser replica's command table", () => {
  it('holds every command a master may propagate: each write, PUBLISH/SPUBLISH, and the replication stream commands', () => {
    const names = new Set(replicaCommands.map((c) => c.name));
    const mayArrive = [...allCommands, ...replicationCommands, ...scriptingCommands, ...functionCommands].filter(
      (c) => c.flags.includes('write') || c.flags.includes('may_replicate') || ['publish', 'spublish', 'multi', 'exec', 'select', 'ping', 'replconf'].includes(c.name),
    );
    const missing = mayArrive.map((c) => c.name).filter((n) => !names.has(n));
    // MIGRATE and FAILOVER never reach a replica's stream (MIGRATE propagates as DEL); scripts and functions
    // reach it as their effects (Redis 7), and FUNCTION LOAD/DELETE/FLUSH/RESTORE, which do arrive, are
    // ignored: the browser replica keeps no function libraries (it cannot run Lua).
    const notApplied = ['migrate', 'failover', 'eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'script', 'fcall', 'fcall_ro', 'function'];
    expect(missing.filter((n) => !notApplied.includes(n))).toEqual([]);
  });
});
