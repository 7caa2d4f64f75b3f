import type { CommandSpec } from '../engine/command-spec.js';

/** Filled in by its command group. */
export const stringCommands: CommandSpec[] = [];
