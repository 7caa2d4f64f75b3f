import type { CommandSpec } from '../engine/command-spec.js';
import { aclCommands } from './acl.js';
import { connectionCommands } from './connection.js';
import { debugCommands } from './debug.js';
import { dumpCommands } from './dump.js';
import { geoCommands } from './geo.js';
import { hashCommands } from './hashes.js';
import { hyperloglogCommands } from './hyperloglog.js';
import { keyCommands } from './keys.js';
import { latencyCommands } from './latency.js';
import { listCommands } from './lists.js';
import { memoryCommands } from './memory.js';
import { monitorCommands } from './monitor.js';
import { pubsubCommands } from './pubsub.js';
import { serverCommands } from './server.js';
import { setCommands } from './sets.js';
import { slowlogCommands } from './slowlog.js';
import { moduleCommands } from './module.js';
import { sortCommands } from './sort.js';
import { sortedSetCommands } from './sorted-sets.js';
import { streamCommands } from './streams.js';
import { stringCommands } from './strings.js';
import { transactionCommands } from './transactions.js';

/**
 * The whole command table: every group's entries. Other layers (replication) append their own. Lua scripting
 * (shared/scripting) is added by the Node server and the test harness only: its VM, fengari, needs Node
 * modules the edge bundle cannot resolve, and the browser replica never runs scripts (Redis 7 replicates their
 * effects).
 */
export const allCommands: CommandSpec[] = [
  ...connectionCommands,
  ...aclCommands,
  ...stringCommands,
  ...listCommands,
  ...hashCommands,
  ...setCommands,
  ...sortedSetCommands,
  ...geoCommands,
  ...keyCommands,
  ...transactionCommands,
  ...pubsubCommands,
  ...serverCommands,
  ...debugCommands,
  ...monitorCommands,
  ...slowlogCommands,
  ...moduleCommands,
  ...latencyCommands,
  ...memoryCommands,
  ...dumpCommands,
  ...sortCommands,
  ...streamCommands,
  ...hyperloglogCommands,
];
