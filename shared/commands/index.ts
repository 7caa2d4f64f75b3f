import type { CommandSpec } from '../engine/command-spec.js';
import { connectionCommands } from './connection.js';
import { dumpCommands } from './dump.js';
import { hashCommands } from './hashes.js';
import { keyCommands } from './keys.js';
import { latencyCommands } from './latency.js';
import { listCommands } from './lists.js';
import { monitorCommands } from './monitor.js';
import { pubsubCommands } from './pubsub.js';
import { serverCommands } from './server.js';
import { setCommands } from './sets.js';
import { slowlogCommands } from './slowlog.js';
import { sortCommands } from './sort.js';
import { sortedSetCommands } from './sorted-sets.js';
import { stringCommands } from './strings.js';
import { transactionCommands } from './transactions.js';

/** The whole command table: every group's entries. Other layers (replication) append their own. */
export const allCommands: CommandSpec[] = [
  ...connectionCommands,
  ...stringCommands,
  ...listCommands,
  ...hashCommands,
  ...setCommands,
  ...sortedSetCommands,
  ...keyCommands,
  ...transactionCommands,
  ...pubsubCommands,
  ...serverCommands,
  ...monitorCommands,
  ...slowlogCommands,
  ...latencyCommands,
  ...dumpCommands,
  ...sortCommands,
];
