import { ByteWriter } from '../bytes.js';
import { writeCommand } from '../resp/encoder.js';

/** One propagated write: the db it applies to and its deterministic argv. */
export interface PropagatedOp {
  db: number;
  argv: string[];
}

/** Receives each execution's propagated stream: the exact RESP bytes and the commands they encode. */
export type PropagationListener = (bytes: Uint8Array, commands: string[][]) => void;

/**
 * The one place writes leave the keyspace (Redis's propagatePendingCommands + replicationFeedSlaves).
 * Dispatch adds the ops of one execution (a command, an EXEC, an expired key's DEL); `flush` emits them as the
 * replication stream: SELECT when the db differs from the last one emitted, and MULTI ... EXEC around an
 * execution of more than one op, so replicas apply it atomically.
 */
export class Propagator {
  private pending: PropagatedOp[] = [];
  /** The db of the last SELECT emitted (-1: none, the next op emits one). */
  selectedDb = -1;
  private readonly listeners: PropagationListener[] = [];
  private readonly w = new ByteWriter(4096);

  /** Subscribes to the stream. */
  addListener(l: PropagationListener): void {
    this.listeners.push(l);
  }

  removeListener(l: PropagationListener): void {
    const i = this.listeners.indexOf(l);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  /** Whether anything subscribes to the stream. */
  get listening(): boolean {
    return this.listeners.length > 0;
  }

  /** Queues an op of the current execution. */
  add(db: number, argv: string[]): void {
    this.pending.push({ db, argv });
  }

  /** Ops queued and not yet flushed. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Drops the queued ops (never needed by commands; used when the execution must not leave the server). */
  discard(): void {
    this.pending = [];
  }

  /** Forgets the selected db, so the next op starts with SELECT (new backlog, full sync, promotion). */
  resetSelectedDb(): void {
    this.selectedDb = -1;
  }

  /**
   * Emits the queued ops of one execution; returns whether anything was emitted. `noTransaction`: several ops
   * go out bare rather than in MULTI/EXEC, as Redis 7.0 emits the lazy-expiry DELs of a command flagged
   * TOUCHES_ARBITRARY_KEYS (SCAN, RANDOMKEY) run directly.
   */
  flush(noTransaction = false): boolean {
    const ops = this.pending;
    if (ops.length === 0) return false;
    if (this.listeners.length === 0) {
      // Nobody replicates from us (the common case on a lone master): drop the ops. A fresh array is cheaper
      // than truncating this one, which V8 does through a slow path.
      this.pending = [];
      return false;
    }
    this.pending = [];
    const commands: string[][] = [];
    const emit = (db: number, argv: string[]) => {
      if (db !== this.selectedDb) {
        commands.push(['SELECT', String(db)]);
        this.selectedDb = db;
      }
      commands.push(argv);
    };
    // As Redis 7.0: MULTI carries the first op's db (so a needed SELECT precedes it) and EXEC the last op's.
    const wrap = ops.length > 1 && !noTransaction;
    if (wrap) emit(ops[0].db, ['MULTI']);
    for (const op of ops) emit(op.db, op.argv);
    if (wrap) emit(ops[ops.length - 1].db, ['EXEC']);
    const w = this.w;
    for (const c of commands) writeCommand(w, c);
    const bytes = w.take();
    for (const l of this.listeners) l(bytes, commands);
    return true;
  }

  /**
   * Emits a command that is not a keyspace write but travels in the stream (PING heartbeats,
   * REPLCONF GETACK): no SELECT, never wrapped.
   */
  emitRaw(argv: string[]): void {
    if (this.listeners.length === 0) return;
    writeCommand(this.w, argv);
    const bytes = this.w.take();
    for (const l of this.listeners) l(bytes, [argv]);
  }
}
