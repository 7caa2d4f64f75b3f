import type { Reply } from '../resp/reply.js';
import type { Client } from './client.js';
import { redactedArguments } from './monitor.js';

/** Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING: what one entry keeps of a command. */
const MAX_ARGC = 32;
const MAX_STRING = 128;

/** One slow command, as SLOWLOG GET reports it. */
export interface SlowlogEntry {
  id: number;
  /** Unix time in seconds when it ran. */
  time: number;
  /** Execution time in microseconds. */
  micros: number;
  argv: string[];
  addr: string;
  name: string;
}

/**
 * The slow log (Redis's slowlog.c): commands whose execution took at least `slowlog-log-slower-than`
 * microseconds, newest first, at most `slowlog-max-len` of them. Arguments are cut as Redis cuts them (32
 * arguments, 128 bytes each) and secrets redacted as MONITOR redacts them.
 */
export class Slowlog {
  /** Newest first. */
  entries: SlowlogEntry[] = [];
  /** Ids keep counting across SLOWLOG RESET, as Redis's slowlog_entry_id. */
  private nextId = 0;

  push(client: Client, argv: readonly string[], micros: number, now: number, maxLen: number): void {
    const args = redactedArguments(argv);
    const kept: string[] = [];
    const argc = Math.min(args.length, MAX_ARGC);
    for (let i = 0; i < argc; i++) {
      if (argc !== args.length && i === argc - 1) {
        kept.push(`... (${args.length - argc + 1} more arguments)`);
      } else {
        const a = args[i];
        kept.push(a.length > MAX_STRING ? `${a.slice(0, MAX_STRING)}... (${a.length - MAX_STRING} more bytes)` : a);
      }
    }
    this.entries.unshift({ id: this.nextId++, time: Math.floor(now / 1000), micros: Math.floor(micros), argv: kept, addr: client.info.addr, name: client.name });
    this.trim(maxLen);
  }

  /** Drops the oldest entries beyond `maxLen` (also when CONFIG SET lowers it, at the next push). */
  trim(maxLen: number): void {
    if (this.entries.length > maxLen) this.entries.length = Math.max(0, maxLen);
  }

  reset(): void {
    this.entries = [];
  }

  /** SLOWLOG GET's reply for the newest `count` entries (-1: all). */
  reply(count: number): Reply {
    const n = count < 0 ? this.entries.length : Math.min(count, this.entries.length);
    return this.entries.slice(0, n).map((e) => [e.id, e.time, e.micros, e.argv, e.addr, e.name]);
  }
}
