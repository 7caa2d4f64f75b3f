import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { RestoredDataset } from '../shared/create-server.js';
import type { Config } from '../shared/engine/config.js';
import type { ServerCore, SnapshotPersistence } from '../shared/engine/server-core.js';
import { writeRdb, type RdbSource } from '../shared/rdb/rdb-writer.js';
import { snapshotDatabases, type Replication } from '../shared/replication/replication.js';
import type { Database } from '../shared/store/database.js';
import { BackgroundRdbWrite, RdbLoadError, RdbSaveError, readRdbFile, writeRdbFileSync, type RdbFileTarget } from './rdb-file.js';
import type { LogLevel } from './logger.js';

/** Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed background save, wait this long before the next one. */
const BGSAVE_RETRY_DELAY_SECONDS = 5;

/** Redis's shared.bgsaveerr, word for word. */
const MISCONF =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/** A background save under way. */
interface RunningSave {
  write: BackgroundRdbWrite;
  startedAt: number;
  /** server.dirty when it started: what is left after it completes counts toward the next save. */
  dirtyBefore: number;
}

/**
 * RDB persistence for the Node server, as Redis's rdb.c and the save part of serverCron: SAVE, BGSAVE (a
 * point-in-time copy written over the next events instead of a forked child), save points, LASTSAVE, INFO
 * persistence, MISCONF after a failed background save, and loading `dir/dbfilename` at startup. The file
 * carries the replication history (repl-id, repl-offset, repl-stream-db), so a restarted master or replica
 * continues with a partial resync.
 */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Redis's debugDelay, for key-load-delay: blocks for `usec` microseconds as usleep does (a negative value
 * sleeps 1us once in -usec calls on average, to slow loading by less than a syscall per key).
 */
function debugDelay(usec: number): void {
  if (usec < 0) usec = Math.floor(Math.random() * -usec) === 0 ? 1 : 0;
  if (usec > 0) Atomics.wait(sleeper, 0, 0, usec / 1000);
}

export class RdbPersistence implements SnapshotPersistence {
  private core!: ServerCore;
  private replication!: Replication;
  private lastSaveAt = 0;
  private lastBgsaveOk = true;
  private lastBgsaveTry = 0;
  private lastBgsaveSeconds = -1;
  private running: RunningSave | null = null;
  private scheduled = false;
  private saves = 0;
  private backgroundSaves = 0;
  private keysLoaded = 0;
  private keysExpired = 0;
  /** A replica started from a file with a history: that history is its cached master until it syncs. */
  private restoredReplicaHistory = false;

  constructor(
    private readonly config: Config,
    private readonly log: (level: LogLevel, message: string) => void,
  ) {}

  /** Where the file goes; `tempName` is Redis's temp-<pid>.rdb (background saves add a sequence number). */
  private target(tempName: string): RdbFileTarget {
    return { dir: this.config.str('dir'), filename: this.config.str('dbfilename'), tempName };
  }

  /**
   * Loads `dir/dbfilename` into the core's databases before the server starts (createServerCore's restore).
   * A master drops keys that expired while it was down (and returns them, so their DELs reach its replicas); a
   * replica keeps them for its master's DELs, as Redis does. Returns null when there is no file. Throws
   * RdbLoadError, with Redis's one-line reason, for a file that cannot be loaded.
   */
  load(core: ServerCore, asReplica: boolean): RestoredDataset | null {
    const dir = this.config.str('dir');
    // Redis chdirs to `dir` when it reads the config and stops there when it cannot.
    let problem: string | null = null;
    try {
      if (!statSync(dir).isDirectory()) problem = 'Not a directory';
    } catch {
      problem = 'No such file or directory';
    }
    if (problem) throw new RdbLoadError(`Can't chdir to '${dir}': ${problem}`);
    const file = path.join(dir, this.config.str('dbfilename'));
    const started = performance.now();
    const now = core.now();
    const aux = new Map<string, string>();
    const expired: Array<[number, string]> = [];
    let loaded = 0;
    const keyDelay = this.config.int('key-load-delay');
    const functions = core.functionLibraries?.beginLoad() ?? null;
    const found = readRdbFile(file, {
      onFunction: (code) => {
        const err = functions?.add(code) ?? null;
        if (err !== null) {
          this.log('warning', `Failed loading library, ${err}`);
          throw new RdbLoadError('Short read or OOM loading DB. Unrecoverable error, aborting now.');
        }
      },
      onAux: (name, value) => {
        aux.set(name, value);
        if (name === 'redis-ver') this.log('notice', `Loading RDB produced by version ${value}`);
        else if (name === 'ctime') this.log('notice', `RDB age ${Math.max(0, Math.floor(now / 1000) - Number(value))} seconds`);
        else if (name === 'used-mem') this.log('notice', `RDB memory usage when created ${(Number(value) / 1024 / 1024).toFixed(2)} Mb`);
      },
      onKey: (dbIndex, key, value, expireMs) => {
        const db = core.dbs[dbIndex];
        if (!db) {
          throw new RdbLoadError(
            `FATAL: Data file was created with a Redis server configured to handle more than ${core.dbs.length} databases. Exiting`,
          );
        }
        if (db.dict.has(key)) {
          throw new RdbLoadError(`Internal error in RDB reading -> RDB has duplicated key '${key}' in DB ${dbIndex}`);
        }
        if (!asReplica && expireMs !== -1 && expireMs < now) {
          expired.push([dbIndex, key]);
          return;
        }
        db.dict.set(key, value);
        if (expireMs !== -1) db.expires.set(key, expireMs);
        loaded++;
        if (keyDelay !== 0) debugDelay(keyDelay);
      },
    });
    if (!found) return null;
    functions?.commit();
    this.keysLoaded = loaded;
    this.keysExpired = expired.length;
    this.log('notice', `Done loading RDB, keys loaded: ${loaded}, keys expired: ${expired.length}.`);
    this.log('notice', `DB loaded from disk: ${((performance.now() - started) / 1000).toFixed(3)} seconds`);
    // Redis uses the history only when all three fields are there (files of other tools may lack some).
    const replid = aux.get('repl-id');
    const offset = aux.get('repl-offset');
    const streamDb = aux.get('repl-stream-db');
    let history = null;
    if (replid?.length === 40 && offset !== undefined && /^-?\d+$/.test(offset) && streamDb !== undefined && Number(streamDb) !== -1) {
      history = { replid, offset: Number(offset), streamDb: Number(streamDb) || 0 };
    }
    this.restoredReplicaHistory = asReplica && history !== null;
    return { history, expired };
  }

  /** Joins the built core: the save points in the periodic cycle and the MISCONF write guard. */
  attach(core: ServerCore, replication: Replication): void {
    this.core = core;
    this.replication = replication;
    // As Redis at startup: the dataset counts as saved, so save points measure from now.
    this.lastSaveAt = core.startedAt;
    core.cronTasks.push(() => this.cron());
    core.writeGuards.push((_client, spec) => {
      if (this.lastBgsaveOk || !this.config.bool('stop-writes-on-bgsave-error')) return null;
      if (this.config.savePoints().length === 0) return null;
      return spec.flags.includes('write') || spec.name === 'ping' ? MISCONF : null;
    });
  }

  /** What the file records: the databases, and the replication history when there is one (rdbPopulateSaveInfo). */
  private source(dbs: readonly Database[]): RdbSource {
    const core = this.core;
    const repl = this.replication;
    const mem = process.memoryUsage();
    const source: RdbSource = {
      dbs,
      now: core.now(),
      usedMem: mem.heapUsed + mem.external,
      functions: core.functionLibraries?.codes(),
    };
    if (core.isReplica()) {
      // A replica that has synced (or was restored with a history) can offer it to its master after a restart.
      if (repl.backlog || this.restoredReplicaHistory) {
        source.replId = repl.replid;
        source.replOffset = repl.offset;
        source.replStreamDb = repl.link?.selectedDb ?? 0;
      }
    } else if (repl.backlog) {
      // A master without a backlog is in no replication chain: its next replica full-syncs anyway.
      source.replId = repl.replid;
      source.replOffset = repl.offset;
      source.replStreamDb = Math.max(0, core.propagator.selectedDb);
    }
    return source;
  }

  private writeOptions() {
    return { compress: this.config.bool('rdbcompression') };
  }

  save(): boolean {
    this.saves++;
    try {
      writeRdbFileSync(this.target(`temp-${process.pid}.rdb`), writeRdb(this.source(this.core.dbs), this.writeOptions()));
    } catch (e) {
      if (!(e instanceof RdbSaveError)) throw e;
      this.log('warning', e.message);
      return false;
    }
    this.log('notice', 'DB saved on disk');
    this.core.dirty = 0;
    this.lastSaveAt = this.core.now();
    this.lastBgsaveOk = true;
    return true;
  }

  backgroundSave(): boolean {
    if (this.running) return false;
    const core = this.core;
    const now = core.now();
    this.lastBgsaveTry = now;
    this.scheduled = false;
    // The copy is what a fork gives Redis: writes after this point do not reach the file.
    const source = this.source(snapshotDatabases(core.dbs));
    const seq = ++this.backgroundSaves;
    const write = new BackgroundRdbWrite(
      this.target(`temp-${process.pid}-${seq}.rdb`),
      writeRdb(source, this.writeOptions()),
      (error) => this.backgroundDone(write, error),
    );
    this.running = { write, startedAt: now, dirtyBefore: core.dirty };
    this.saves++;
    this.log('notice', `Background saving started by pid ${process.pid}`);
    return true;
  }

  private backgroundDone(write: BackgroundRdbWrite, error: string | null): void {
    const running = this.running;
    if (!running || running.write !== write) return;
    this.running = null;
    const now = this.core.now();
    this.lastBgsaveSeconds = Math.floor(now / 1000) - Math.floor(running.startedAt / 1000);
    if (error === null) {
      this.log('notice', 'DB saved on disk');
      this.log('notice', 'Background saving terminated with success');
      this.core.dirty = Math.max(0, this.core.dirty - running.dirtyBefore);
      this.lastSaveAt = now;
      this.lastBgsaveOk = true;
    } else {
      this.log('warning', error);
      this.log('warning', 'Background saving error');
      this.lastBgsaveOk = false;
    }
  }

  scheduleBackgroundSave(): void {
    this.scheduled = true;
  }

  saving(): boolean {
    return this.running !== null;
  }

  abortBackgroundSave(): void {
    if (!this.running) return;
    this.running.write.abort();
    this.running = null;
  }

  lastSave(): number {
    return this.lastSaveAt;
  }

  readSnapshot(): Uint8Array | null {
    try {
      const buf = readFileSync(path.join(this.config.str('dir'), this.config.str('dbfilename')));
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch {
      // Redis's rdbLoad fails alike on a missing or unreadable file (RDB_NOT_EXIST / RDB_FAILED).
      return null;
    }
  }

  /** Resolves when the background save under way (if any) has finished writing (tests, shutdown). */
  async idle(): Promise<void> {
    await this.running?.write.finished;
  }

  /** The save part of Redis's serverCron: a scheduled BGSAVE, then the first save point that is due. */
  private cron(): void {
    if (this.running) return;
    const nowSeconds = Math.floor(this.core.now() / 1000);
    const mayTry = this.lastBgsaveOk || nowSeconds - Math.floor(this.lastBgsaveTry / 1000) > BGSAVE_RETRY_DELAY_SECONDS;
    if (!mayTry) return;
    if (this.scheduled) {
      this.backgroundSave();
      return;
    }
    const sinceSave = nowSeconds - Math.floor(this.lastSaveAt / 1000);
    for (const point of this.config.savePoints()) {
      if (this.core.dirty >= point.changes && sinceSave > point.seconds) {
        this.log('notice', `${point.changes} changes in ${point.seconds} seconds. Saving...`);
        this.backgroundSave();
        return;
      }
    }
  }

  /** INFO persistence fields this layer knows (merged over the core's defaults). */
  infoFields(): Array<[string, string | number]> {
    const now = this.core.now();
    return [
      ['rdb_changes_since_last_save', this.core.dirty],
      ['rdb_bgsave_in_progress', this.running ? 1 : 0],
      ['rdb_last_save_time', Math.floor(this.lastSaveAt / 1000)],
      ['rdb_last_bgsave_status', this.lastBgsaveOk ? 'ok' : 'err'],
      ['rdb_last_bgsave_time_sec', this.lastBgsaveSeconds],
      ['rdb_current_bgsave_time_sec', this.running ? Math.floor(now / 1000) - Math.floor(this.running.startedAt / 1000) : -1],
      ['rdb_saves', this.saves],
      ['rdb_last_load_keys_expired', this.keysExpired],
      ['rdb_last_load_keys_loaded', this.keysLoaded],
    ];
  }
}
