import { CommandError, SYNTAX } from '../errors.js';
import type { Client } from '../engine/client.js';
import { BlockRequest, command, type CommandSpec } from '../engine/command-spec.js';
import { processInput, replyError } from '../engine/dispatch.js';
import type { ServerCore, SnapshotPersistence } from '../engine/server-core.js';
import { ErrorReply, NO_REPLY, OK } from '../resp/reply.js';
import { replicationIfAny } from '../replication/replication.js';
import { isWord } from './parse.js';

/** SHUTDOWN's options (Redis 7.0's SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]; shutdown-on-sig*). */
export interface ShutdownOptions {
  save?: boolean;
  nosave?: boolean;
  /** Do not wait for lagging replicas. */
  now?: boolean;
  /** Exit even when the final save fails. */
  force?: boolean;
}

/** What starting a shutdown came to. */
export type ShutdownOutcome =
  /** Done: the runtime was told to stop. */
  | 'finished'
  /** Waiting for replicas (or another shutdown already is): the cron finishes it. */
  | 'waiting'
  /** The final save failed: the server keeps running. */
  | 'failed';

/** The reply of a SHUTDOWN that did not stop the server (a failed save, an abort). */
export const SHUTDOWN_ERROR = 'ERR Errors trying to SHUTDOWN. Check logs.';

const registry = new WeakMap<ServerCore, GracefulShutdown>();

/** The shutdown state of a core, created on first use. */
export function shutdownOf(core: ServerCore): GracefulShutdown {
  let s = registry.get(core);
  if (!s) registry.set(core, (s = new GracefulShutdown(core)));
  return s;
}

/**
 * Redis 7.0's graceful shutdown (server.c prepareForShutdown / isReadyToShutdown / finishShutdown): a master
 * with replicas pauses writes, asks its replicas for an ACK and lets its cron finish the shutdown once every
 * replica acknowledged the master's offset or shutdown-timeout passed. SHUTDOWN clients stay blocked meanwhile;
 * SHUTDOWN ABORT cancels. Sans-IO: the runtime learns the end through `host.shutdown()`.
 */
export class GracefulShutdown {
  /** When the wait gives up (Redis's shutdown_mstime); 0: no shutdown in progress. */
  private deadline = 0;
  private opts: ShutdownOptions = {};
  /** The runtime was told to stop: later requests (a signal while it closes) have nothing left to do. */
  private finished = false;
  /** SHUTDOWN clients waiting for the outcome (Redis's BLOCKED_SHUTDOWN). */
  private readonly waiting = new Set<Client>();
  /** A CLIENT PAUSE that was in force when the wait began: it survives an abort. */
  private pauseBefore: { until: number; all: boolean } | null = null;

  constructor(private readonly core: ServerCore) {
    core.cronTasks.push(() => this.cron());
    core.disconnectHooks.push((c) => this.waiting.delete(c));
  }

  /** Whether a shutdown is waiting for replicas (Redis's isShutdownInitiated). */
  inProgress(): boolean {
    return this.deadline !== 0;
  }

  /**
   * Starts a shutdown (Redis's prepareForShutdown): at once when NOW, shutdown-timeout 0 or every replica is
   * in sync; else writes pause, replicas are asked for an ACK and the cron finishes it. A shutdown already in
   * progress is left as it is ('waiting').
   */
  prepare(opts: ShutdownOptions): ShutdownOutcome {
    if (this.finished) return 'finished';
    if (this.inProgress()) return 'waiting';
    this.opts = opts;
    const core = this.core;
    core.host.log('warning', 'User requested shutdown...');
    const timeout = core.config.int('shutdown-timeout');
    if (!opts.now && timeout !== 0 && !this.readyToShutdown()) {
      this.deadline = core.now() + timeout * 1000;
      // A paused stream must not grow (Redis sends GETACK only when clients are not already paused).
      if (!core.pauseInForce()) replicationIfAny(core)?.requestAcks();
      this.pauseBefore = core.pauseInForce() ? { ...core.clientPause! } : null;
      core.pause(Infinity, false);
      core.host.log('notice', 'Waiting for replicas before shutting down.');
      return 'waiting';
    }
    return this.finish() ? 'finished' : 'failed';
  }

  /** INFO's shutdown_in_milliseconds: how long the wait may still last; null when no shutdown waits. */
  remainingMs(): number | null {
    return this.inProgress() ? Math.max(0, this.deadline - this.core.now()) : null;
  }

  /** Blocks a SHUTDOWN client until the shutdown ends (the process exits) or is cancelled (an error). */
  block(client: Client): BlockRequest {
    this.waiting.add(client);
    // No key and no deadline: only the end of the shutdown answers it (CLIENT UNBLOCK leaves it alone).
    return new BlockRequest([], 0, new ErrorReply(SHUTDOWN_ERROR));
  }

  /** Whether a client is a SHUTDOWN waiting for the outcome. */
  isWaiting(client: Client): boolean {
    return this.waiting.has(client);
  }

  /** CLIENT PAUSE during the wait: the pause to restore if the shutdown is aborted. */
  clientPaused(until: number, all: boolean): void {
    if (!this.inProgress()) return;
    const b = this.pauseBefore;
    this.pauseBefore = b ? { until: Math.max(b.until, until), all: b.all || all } : { until, all };
  }

  /**
   * CLIENT UNPAUSE during the wait: only the client's pause ends (what it held stays held by the shutdown).
   * False when no shutdown is in progress: the caller ends the pause itself.
   */
  clientUnpaused(): boolean {
    if (!this.inProgress()) return false;
    this.pauseBefore = null;
    if (this.core.clientPause) this.core.clientPause.all = false;
    return true;
  }

  /** SHUTDOWN ABORT (Redis's abortShutdown): false when no shutdown is in progress. */
  abort(): boolean {
    if (!this.inProgress()) return false;
    this.cancel();
    this.core.host.log('notice', 'Shutdown manually aborted.');
    return true;
  }

  /** Every replica acknowledged the master's offset (or there are none). */
  private readyToShutdown(): boolean {
    const repl = replicationIfAny(this.core);
    if (!repl) return true;
    for (const peer of repl.peers.values()) if (peer.ackOffset < repl.offset) return false;
    return true;
  }

  private cron(): void {
    if (!this.inProgress()) return;
    if (this.core.now() >= this.deadline || this.readyToShutdown()) this.finish();
  }

  /**
   * Redis's finishShutdown: logs the replicas still lagging, writes the final save, then tells the runtime to
   * stop. On a failed save the shutdown is cancelled and the server keeps running.
   */
  private finish(): boolean {
    const core = this.core;
    const log = core.host.log.bind(core.host);
    const repl = replicationIfAny(core);
    if (repl && repl.peers.size > 0) {
      let lagging = 0;
      for (const peer of repl.peers.values()) {
        if (peer.ackOffset === repl.offset) continue;
        lagging++;
        const lag = peer.state === 'online' ? Math.floor((core.now() - peer.ackTime) / 1000) : 0;
        const ip = peer.ipAddress || peer.client.info.addr.replace(/:\d+$/, '');
        log(
          'warning',
          `Lagging replica ${ip}:${peer.listeningPort} reported offset ${repl.offset - peer.ackOffset} behind master, lag=${lag}, state=${peer.state}.`,
        );
      }
      log('notice', `${repl.peers.size - lagging} of ${repl.peers.size} replicas are in sync when shutting down.`);
    }
    const persistence = core.host.persistence;
    if (persistence && !saveBeforeExit(core, persistence, this.opts)) {
      log('warning', 'Errors trying to shut down the server. Check the logs for more information.');
      this.cancel();
      return false;
    }
    // The runtime closes the clients (the waiting SHUTDOWN clients see their connection close, as in Redis).
    this.waiting.clear();
    this.deadline = 0;
    this.finished = true;
    core.host.shutdown?.();
    return true;
  }

  /** Redis's cancelShutdown: the waiting SHUTDOWN clients get an error and writes resume. */
  private cancel(): void {
    const core = this.core;
    const wasWaiting = this.deadline !== 0;
    this.deadline = 0;
    this.opts = {};
    for (const c of [...this.waiting]) {
      this.waiting.delete(c);
      if (c.closed || !c.blocked) continue;
      core.unblock(c);
      replyError(core, c, SHUTDOWN_ERROR);
      core.queueWrite(c);
      processInput(core, c);
    }
    if (!wasWaiting) return;
    const before = this.pauseBefore;
    this.pauseBefore = null;
    // A CLIENT PAUSE of its own that has not run out yet goes on; the shutdown's pause ends.
    if (before && core.now() < before.until) core.clientPause = before;
    else core.unpause();
  }
}

/**
 * The persistence half of Redis's finishShutdown: a background save is abandoned, the append-only file flushed,
 * then the final snapshot is written when save points are configured (unless NOSAVE) or SAVE was given.
 * Returns false when the save failed and the server must keep running (no FORCE).
 */
export function saveBeforeExit(core: ServerCore, persistence: SnapshotPersistence, opts: ShutdownOptions): boolean {
  const log = core.host.log.bind(core.host);
  if (persistence.saving()) {
    log('warning', 'There is a child saving an .rdb. Killing it!');
    persistence.abortBackgroundSave();
  }
  // The append-only file is flushed before the final snapshot (Redis's prepareForShutdown order).
  if (core.host.appendOnly && !core.host.appendOnly.prepareShutdown(opts.force === true)) return false;
  if ((core.config.savePoints().length > 0 && !opts.nosave) || opts.save) {
    log('notice', 'Saving the final RDB snapshot before exiting.');
    if (!persistence.save()) {
      if (!opts.force) {
        log('warning', "Error trying to save the DB, can't exit.");
        return false;
      }
      log('warning', 'Error trying to save the DB. Exit anyway.');
    }
  }
  return true;
}

/** shutdown-on-sigterm / shutdown-on-sigint's words as SHUTDOWN's options ("default": none). */
export function signalShutdownOptions(core: ServerCore, signal: 'SIGTERM' | 'SIGINT'): ShutdownOptions {
  const words = core.config.str(signal === 'SIGTERM' ? 'shutdown-on-sigterm' : 'shutdown-on-sigint').split(' ');
  return { save: words.includes('save'), nosave: words.includes('nosave'), now: words.includes('now'), force: words.includes('force') };
}

/** SHUTDOWN's options; an illegal combination is a syntax error, as in Redis. */
function parseShutdown(argv: string[]): ShutdownOptions & { abort: boolean } {
  const o = { save: false, nosave: false, now: false, force: false, abort: false };
  for (const arg of argv.slice(1)) {
    if (isWord(arg, 'nosave')) o.nosave = true;
    else if (isWord(arg, 'save')) o.save = true;
    else if (isWord(arg, 'now')) o.now = true;
    else if (isWord(arg, 'force')) o.force = true;
    else if (isWord(arg, 'abort')) o.abort = true;
    else throw new CommandError(SYNTAX);
  }
  if ((o.abort && (o.save || o.nosave || o.now || o.force)) || (o.save && o.nosave)) throw new CommandError(SYNTAX);
  return o;
}

/** SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. */
export const shutdownCommand: CommandSpec = command({
  name: 'shutdown',
  arity: -1,
  group: 'server',
  flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'],
  summary: 'Synchronously save the dataset to disk and then shut down the server',
  handler: (ctx, argv) => {
    const opts = parseShutdown(argv);
    const shutdown = shutdownOf(ctx.core);
    if (opts.abort) {
      if (!shutdown.abort()) throw new CommandError('ERR No shutdown in progress.');
      return OK;
    }
    const host = ctx.core.host;
    if (opts.save && !host.persistence) {
      host.log('warning', 'Error trying to save the DB: this server does not persist data to disk. Not shutting down.');
      throw new CommandError(SHUTDOWN_ERROR);
    }
    if (!host.shutdown) {
      host.log('warning', 'SHUTDOWN requested, but this runtime cannot stop the server.');
      throw new CommandError(SHUTDOWN_ERROR);
    }
    const outcome = shutdown.prepare(opts);
    if (outcome === 'failed') throw new CommandError(SHUTDOWN_ERROR);
    // Redis exits without replying: the client sees its connection close.
    if (outcome === 'finished') return NO_REPLY;
    return shutdown.block(ctx.client);
  },
});
