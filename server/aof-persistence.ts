import { fsync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ByteWriter } from '../shared/bytes.js';
import type { RestoredDataset } from '../shared/create-server.js';
import type { Config } from '../shared/engine/config.js';
import type { AppendOnlyHost, ServerCore } from '../shared/engine/server-core.js';
import { writeCommand } from '../shared/resp/encoder.js';
import { writeRdb } from '../shared/rdb/rdb-writer.js';
import { snapshotDatabases } from '../shared/replication/replication.js';
import type { Database } from '../shared/store/database.js';
import {
  AofManifestError,
  copyManifest,
  emptyManifest,
  formatManifest,
  lastIncr,
  manifestName,
  markRewrittenIncrAsHistory,
  newBase,
  newIncr,
  parseManifest,
  tempIncrName,
  tempManifestName,
  type AofManifest,
} from './aof-manifest.js';
import { AofLoadError, closeQuietly, fileSize, loadAofFile, openForAppend, pathExists, type AofLoadResult } from './aof-loader.js';
import { timestampAnnotation, rewriteCommands } from './aof-rewrite.js';
import { BackgroundRdbWrite } from './rdb-file.js';
import type { LogLevel } from './logger.js';

/** Commands the replication stream carries that Redis never feeds the AOF (PUBLISH is PROPAGATE_REPL only). */
const NOT_IN_AOF = new Set(['ping', 'replconf', 'publish', 'spublish']);

/** Redis's aof_state: off, on, or turned on and waiting for the first rewrite to create the base. */
type AofState = 'off' | 'on' | 'wait-rewrite';

/** A background rewrite under way. */
interface RunningRewrite {
  write: BackgroundRdbWrite;
  startedAt: number;
  baseName: string;
}

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EIO: 'Input/output error',
};

function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return (code && STRERROR[code]) ?? (e as Error).message;
}

/**
 * Redis 7's multi-part append-only file for the Node server (aof.c): `dir/appenddirname` holds a base (an RDB
 * with aof-use-rdb-preamble, else commands), incr files of the commands written since, and the manifest
 * listing them. Every write the server propagates is appended (with SELECT framing and MULTI/EXEC) before the
 * event's replies leave, and fsynced per appendfsync. BGREWRITEAOF (and the automatic rewrite) writes a new base
 * from a point-in-time copy while a new incr file takes the writes, then retires the old files. At startup
 * the base and incr files are replayed through dispatch, as Redis's fake AOF client does.
 */
export class AofPersistence implements AppendOnlyHost {
  private core!: ServerCore;
  private state: AofState;
  private manifest: AofManifest = emptyManifest();
  /** The incr file being appended to (-1: none). */
  private fd = -1;
  private readonly buf = new ByteWriter(64 * 1024);
  /** The db the AOF's last SELECT chose (-1: the next command needs one). */
  private selectedDb = -1;
  /** The db the propagated stream is in (follows its SELECTs), so our framing can differ from it. */
  private streamDb = -1;
  private currentSize = 0;
  private baseSize = 0;
  private fsyncOffset = 0;
  private lastFsyncSecond = 0;
  private fsyncsInProgress = 0;
  private lastTimestamp = 0;
  private running: RunningRewrite | null = null;
  private scheduled = false;
  private rewrites = 0;
  private consecutiveFailures = 0;
  private lastRewriteSeconds = -1;
  private lastBgrewriteOk = true;
  private lastWriteOk = true;
  private lastWriteError = '';
  private rewriteSeq = 0;
  private wasReplica = false;
  private listening = false;
  private wasLinkUp = false;
  private readonly listener = (_bytes: Uint8Array, commands: string[][]) => this.feed(commands);
  /**
   * A replica's writes from its master's stream. Each execution is made to start with its SELECT, since the
   * two sources interleave (before and after a promotion) and the AOF follows the db of whichever spoke last.
   */
  private readonly replicaListener = (_bytes: Uint8Array, commands: string[][]) => {
    this.feed(commands);
    this.core.appliedFromMaster.resetSelectedDb();
  };

  constructor(
    private readonly config: Config,
    private readonly log: (level: LogLevel, message: string) => void,
  ) {
    this.state = config.bool('appendonly') ? 'on' : 'off';
  }

  private get dir(): string {
    return this.config.str('dir');
  }
  private get filename(): string {
    return this.config.str('appendfilename');
  }
  private get aofDir(): string {
    return path.join(this.dir, this.config.str('appenddirname'));
  }
  private aofPath(name: string): string {
    return path.join(this.aofDir, name);
  }

  /** Whether appendonly was on at startup: the dataset comes from the AOF, not the RDB file. */
  enabled(): boolean {
    return this.state !== 'off';
  }

  // -------------------------------------------------------------------------------------------------------
  // Startup
  // -------------------------------------------------------------------------------------------------------

  /** Reads the manifest if there is one (aofLoadManifestFromDisk). Throws AofLoadError on a bad manifest. */
  private loadManifestFromDisk(): void {
    this.manifest = emptyManifest();
    if (!pathExists(this.aofDir)) {
      this.log('notice', `The AOF directory ${this.config.str('appenddirname')} doesn't exist`);
      return;
    }
    const name = manifestName(this.filename);
    const file = this.aofPath(name);
    if (!pathExists(file)) {
      this.log('notice', `The AOF manifest file ${name} doesn't exist`);
      return;
    }
    let text: string;
    try {
      text = readFileSync(file).toString('latin1');
    } catch (e) {
      const line = `Fatal error: can't open the AOF manifest file ${name} for reading: ${strerror(e)}`;
      this.log('warning', line);
      throw new AofLoadError(line);
    }
    try {
      this.manifest = parseManifest(text);
    } catch (e) {
      if (!(e instanceof AofManifestError)) throw e;
      this.log('warning', '\n*** FATAL AOF MANIFEST FILE ERROR ***\n');
      if (e.line !== null) {
        this.log('warning', `Reading the manifest file, at line ${e.lineNumber}\n`);
        this.log('warning', `>>> '${e.line}'\n`);
      }
      this.log('warning', `${e.message}\n`);
      throw new AofLoadError(e.message);
    }
  }

  /**
   * Loads the dataset from the AOF (createServerCore's restore, with appendonly yes): the manifest, an
   * old-style single file moved into the directory first (Redis 7's upgrade), then the base and each incr file.
   * Returns null when there is no AOF yet (the server starts empty). Throws AofLoadError when it must not start.
   */
  load(core: ServerCore): RestoredDataset | null {
    this.checkDir();
    this.loadManifestFromDisk();
    const m = this.manifest;
    const oldFile = path.join(this.dir, this.filename);
    if (pathExists(oldFile)) {
      const noDir = !pathExists(this.aofDir);
      const emptyManifestNow = m.base === null && m.incr.length === 0;
      const onlyOldBase =
        m.base !== null && m.incr.length === 0 && m.base.name === this.filename && !pathExists(this.aofPath(this.filename));
      if (noDir || emptyManifestNow || onlyOldBase) this.upgrade();
    }
    if (this.manifest.base === null && this.manifest.incr.length === 0) return null;
    this.loadFiles(core);
    return { history: null, expired: [] };
  }

  /**
   * Replays the base and incr files the manifest lists into the core (loadAppendOnlyFiles), from the base's
   * start. Sets the sizes INFO reports. Throws AofLoadError when a file cannot be loaded.
   */
  private loadFiles(core: ServerCore): void {
    const started = performance.now();
    const files = [...(this.manifest.base ? [this.manifest.base] : []), ...this.manifest.incr];
    let total = 0;
    for (const f of files) total += fileSize(this.aofPath(f.name));
    if (total === 0) {
      // Files listed but all empty: nothing to load (AOF_EMPTY); the sizes start from zero.
      return;
    }
    const stats = { ...core.stats, commands: new Map(core.stats.commands), errors: new Map(core.stats.errors) };
    files.forEach((f, i) => {
      const last = i === files.length - 1;
      const t0 = performance.now();
      let r: AofLoadResult = loadAofFile(core, {
        path: this.aofPath(f.name),
        name: f.name,
        oldStyle: f.name === this.filename,
        loadTruncated: this.config.bool('aof-load-truncated'),
        log: this.log,
      });
      if (r === 'not-exist') throw new AofLoadError(`The append log file ${f.name} doesn't exist: No such file or directory`);
      if (r === 'empty' && f.type === 'i') r = 'ok';
      if (r === 'truncated' && !last) {
        this.log('warning', 'Fatal error: the truncated file is not the last file');
        throw new AofLoadError('Fatal error: the truncated file is not the last file');
      }
      if (r === 'ok' || r === 'truncated') {
        const kind = f.type === 'b' ? 'base' : 'incr';
        this.log('notice', `DB loaded from ${kind} file ${f.name}: ${((performance.now() - t0) / 1000).toFixed(3)} seconds`);
      }
    });
    total = 0;
    for (const f of files) total += fileSize(this.aofPath(f.name));
    this.currentSize = total;
    this.baseSize = total;
    this.fsyncOffset = total;
    // Loading is not activity: the commands replayed neither count in INFO stats nor as changes to save.
    Object.assign(core.stats, stats);
    core.dirty = 0;
    this.log('notice', `DB loaded from append only file: ${((performance.now() - started) / 1000).toFixed(3)} seconds`);
  }

  /** Redis chdirs to `dir` when it reads the config and stops there when it cannot. */
  private checkDir(): void {
    let problem: string | null = null;
    try {
      if (!statSync(this.dir).isDirectory()) problem = 'Not a directory';
    } catch {
      problem = 'No such file or directory';
    }
    if (problem) throw new AofLoadError(`Can't chdir to '${this.dir}': ${problem}`);
  }

  /** An old single-file AOF becomes the base of a new manifest in the AOF directory (aofUpgradePrepare). */
  private upgrade(): void {
    try {
      mkdirSync(this.aofDir, { recursive: true });
    } catch (e) {
      const line = `Can't open or create append-only dir ${this.config.str('appenddirname')}: ${strerror(e)}`;
      this.log('warning', line);
      throw new AofLoadError(line);
    }
    const m = emptyManifest();
    m.base = { name: this.filename, seq: 1, type: 'b' };
    m.baseSeq = 1;
    this.persistManifest(m, true);
    try {
      renameSync(path.join(this.dir, this.filename), this.aofPath(this.filename));
    } catch (e) {
      const line = `Error trying to move the old AOF file ${this.filename} into dir ${this.config.str('appenddirname')}: ${strerror(e)}`;
      this.log('warning', line);
      throw new AofLoadError(line);
    }
    this.manifest = m;
    this.log(
      'notice',
      `Successfully migrated an old-style AOF file (${this.filename}) into the AOF directory (${this.config.str('appenddirname')}).`,
    );
  }

  /**
   * Joins the built core: with appendonly yes the base is created if there is none and the last incr file is
   * opened (aofOpenIfNeededOnServerStart); the stream feed, the flush before replies, the cron and CONFIG SET
   * appendonly are hooked in.
   */
  attach(core: ServerCore): void {
    this.core = core;
    this.lastFsyncSecond = Math.floor(core.now() / 1000);
    if (this.state === 'on') this.openOnServerStart();
    this.listen(this.state !== 'off');
    core.beforeFlushHooks.push(() => this.flush(false));
    core.cronTasks.push(() => this.cron());
    core.writeGuards.push((_client, spec) => {
      if (this.state === 'off' || this.lastWriteOk) return null;
      return spec.flags.includes('write') || spec.name === 'ping' ? `MISCONF Errors writing to the AOF file: ${this.lastWriteError}` : null;
    });
    let wanted = this.config.bool('appendonly');
    this.config.onChange((name) => {
      if (name !== 'appendonly') return;
      const now = this.config.bool('appendonly');
      if (now === wanted) return;
      wanted = now;
      if (now && this.state === 'off') this.start();
      else if (!now && this.state !== 'off') this.stopAppendOnly();
    });
  }

  private openOnServerStart(): void {
    const m = this.manifest;
    const hadIncr = m.incr.length > 0;
    try {
      mkdirSync(this.aofDir, { recursive: true });
    } catch (e) {
      throw new AofLoadError(`Can't open or create append-only dir ${this.config.str('appenddirname')}: ${strerror(e)}`);
    }
    if (!m.base && !hadIncr) {
      const preamble = this.config.bool('aof-use-rdb-preamble');
      const baseName = newBase(m, this.filename, preamble);
      const temp = path.join(this.dir, `temp-rewriteaof-${process.pid}.aof`);
      try {
        writeAll(temp, this.baseChunks(this.core.dbs, preamble));
        renameSync(temp, this.aofPath(baseName));
      } catch (e) {
        throw new AofLoadError(`Write error writing append only file on disk: ${strerror(e)}`);
      }
      this.log('notice', `Creating AOF base file ${baseName} on server start`);
    }
    const incrName = lastIncr(m, this.filename);
    try {
      this.fd = openForAppend(this.aofPath(incrName));
    } catch (e) {
      const line = `Can't open the append-only file ${incrName}: ${strerror(e)}`;
      this.log('warning', line);
      throw new AofLoadError(line);
    }
    this.persistManifest(m, true);
    this.deleteHistoryFiles();
    this.log('notice', `${hadIncr ? 'Opening' : 'Creating'} AOF incr file ${incrName} on server start`);
  }

  // -------------------------------------------------------------------------------------------------------
  // The manifest
  // -------------------------------------------------------------------------------------------------------

  /**
   * Writes the manifest to a temporary file, fsyncs it and renames it over the manifest (persistAofManifest).
   * Returns false (logged) on failure; `fatal` throws instead (startup).
   */
  private persistManifest(m: AofManifest, fatal = false): boolean {
    const temp = this.aofPath(tempManifestName(this.filename));
    const final = this.aofPath(manifestName(this.filename));
    try {
      writeAll(temp, [Buffer.from(formatManifest(m), 'latin1')]);
    } catch (e) {
      const line = `Error trying to write the temporary AOF manifest file ${tempManifestName(this.filename)}: ${strerror(e)}`;
      this.log('warning', line);
      if (fatal) throw new AofLoadError(line);
      return false;
    }
    try {
      renameSync(temp, final);
    } catch (e) {
      const line = `Error trying to rename the temporary AOF manifest file ${tempManifestName(this.filename)} into ${manifestName(this.filename)}: ${strerror(e)}`;
      this.log('warning', line);
      if (fatal) throw new AofLoadError(line);
      return false;
    }
    fsyncDirQuietly(this.aofDir);
    return true;
  }

  /** Removes the history files and drops them from the manifest (aofDelHistoryFiles). */
  private deleteHistoryFiles(): void {
    const m = this.manifest;
    if (m.history.length === 0) return;
    for (const h of m.history) {
      this.log('notice', `Removing the history file ${h.name} in the background`);
      try {
        unlinkSync(this.aofPath(h.name));
      } catch {
        // Already gone: nothing to keep in the manifest either.
      }
    }
    m.history = [];
    this.persistManifest(m);
  }

  // -------------------------------------------------------------------------------------------------------
  // Appending
  // -------------------------------------------------------------------------------------------------------

  /**
   * The propagated stream of one execution (Redis's feedAppendOnlyFile per op): the AOF has its own SELECT
   * framing (its files start fresh at each rewrite) and leaves out what is replication only.
   */
  private feed(commands: string[][]): void {
    const writing = this.state === 'on' || (this.state === 'wait-rewrite' && this.running !== null);
    for (const argv of commands) {
      const name = argv[0].toLowerCase();
      if (name === 'select' && argv.length === 2) {
        this.streamDb = Number(argv[1]);
        continue;
      }
      if (!writing || NOT_IN_AOF.has(name)) continue;
      if (this.config.bool('aof-timestamp-enabled')) {
        const now = Math.floor(this.core.now() / 1000);
        if (now !== this.lastTimestamp) {
          this.lastTimestamp = now;
          this.appendText(timestampAnnotation(now));
        }
      }
      if (this.streamDb !== this.selectedDb) {
        writeCommand(this.buf, ['SELECT', String(this.streamDb)]);
        this.selectedDb = this.streamDb;
      }
      writeCommand(this.buf, argv);
    }
  }

  /**
   * Subscribes to the propagated stream only while AOF is on: a lone master without listeners skips encoding
   * its stream altogether. The stream's db is the propagator's until the next SELECT it emits.
   */
  private listen(on: boolean): void {
    if (on === this.listening) return;
    this.listening = on;
    if (on) {
      this.core.propagator.addListener(this.listener);
      this.core.appliedFromMaster.addListener(this.replicaListener);
      this.core.appliedFromMaster.resetSelectedDb();
      this.streamDb = this.core.propagator.selectedDb;
    } else {
      this.core.propagator.removeListener(this.listener);
      this.core.appliedFromMaster.removeListener(this.replicaListener);
    }
  }

  private appendText(text: string): void {
    this.buf.bytes(Buffer.from(text, 'latin1'));
  }

  private fsyncPaused(): boolean {
    return this.config.bool('no-appendfsync-on-rewrite') && (this.running !== null || (this.core.host.persistence?.saving() ?? false));
  }

  /**
   * Writes the buffered commands to the incr file (flushAppendOnlyFile), before the event's replies are sent;
   * with appendfsync always they are on disk first, with everysec an fsync runs at most once a second.
   */
  flush(force: boolean): void {
    if (this.fd === -1) return;
    if (this.buf.length > 0) {
      const data = this.buf.take();
      try {
        let off = 0;
        while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
        this.currentSize += data.length;
        if (!this.lastWriteOk) this.log('warning', 'AOF write error looks solved, Redis can write again.');
        this.lastWriteOk = true;
      } catch (e) {
        this.lastWriteError = strerror(e);
        this.log('warning', `Error writing to the AOF file: ${this.lastWriteError}`);
        this.lastWriteOk = false;
        // Kept for the next try: what was not written must not be lost.
        this.buf.bytes(data);
        return;
      }
    } else if (!force && this.fsyncOffset === this.currentSize) {
      return;
    }
    if (this.fsyncPaused()) return;
    const policy = this.config.str('appendfsync');
    const second = Math.floor(this.core.now() / 1000);
    if (policy === 'always') {
      try {
        fsyncSync(this.fd);
      } catch (e) {
        this.log('warning', `Can't persist AOF for fsync error when the AOF fsync policy is 'always': ${strerror(e)}. Exiting...`);
        this.lastWriteOk = false;
        this.lastWriteError = strerror(e);
        return;
      }
      this.fsyncOffset = this.currentSize;
      this.lastFsyncSecond = second;
    } else if (policy === 'everysec' && (second > this.lastFsyncSecond || force)) {
      if (this.fsyncsInProgress === 0) this.backgroundFsync(this.fd, false);
      this.fsyncOffset = this.currentSize;
      this.lastFsyncSecond = second;
    }
  }

  /** An fsync off the event loop (Redis's bio job); `close` closes the descriptor afterwards. */
  private backgroundFsync(fd: number, close: boolean): void {
    this.fsyncsInProgress++;
    fsync(fd, (err) => {
      this.fsyncsInProgress--;
      if (err && !close) this.log('warning', `Fail to fsync the AOF file: ${strerror(err)}`);
      if (close) closeQuietly(fd);
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Rewriting
  // -------------------------------------------------------------------------------------------------------

  /** What a base holds: an RDB (aof-use-rdb-preamble) or the commands that rebuild the dataset. */
  private baseChunks(dbs: readonly Database[], preamble: boolean): Iterable<Uint8Array> {
    if (preamble) {
      const mem = process.memoryUsage();
      return writeRdb(
        { dbs, now: this.core.now(), usedMem: mem.heapUsed + mem.external, functions: this.core.functionLibraries?.codes() },
        { compress: this.config.bool('rdbcompression') },
      );
    }
    const ts = this.config.bool('aof-timestamp-enabled') ? Math.floor(this.core.now() / 1000) : undefined;
    return rewriteCommands(dbs, { timestamp: ts, functions: this.core.functionLibraries?.codes() });
  }

  /**
   * Opens the next incr file for the writes made while a rewrite runs (openNewIncrAofForAppend): a temporary
   * one while AOF is being turned on, else a new one listed in the manifest at once.
   */
  private openNewIncr(): boolean {
    if (this.state === 'off') return true;
    let next: AofManifest | null = null;
    let name: string;
    if (this.state === 'wait-rewrite') {
      name = tempIncrName(this.filename);
    } else {
      next = copyManifest(this.manifest);
      name = newIncr(next, this.filename);
    }
    let fd: number;
    try {
      fd = openForAppend(this.aofPath(name), true);
    } catch (e) {
      this.log('warning', `Can't open the append-only file ${name}: ${strerror(e)}`);
      return false;
    }
    if (next && !this.persistManifest(next)) {
      closeQuietly(fd);
      return false;
    }
    if (this.fd !== -1) {
      this.backgroundFsync(this.fd, true);
      this.fsyncOffset = this.currentSize;
    }
    this.fd = fd;
    if (next) this.manifest = next;
    return true;
  }

  /**
   * Starts a background rewrite (rewriteAppendOnlyFileBackground): pending writes go to the current incr file,
   * a new incr file takes the next ones, and the new base is written from a point-in-time copy over the next
   * events. False when it could not start.
   */
  private rewriteBackground(): boolean {
    if (this.running || (this.core.host.persistence?.saving() ?? false)) return false;
    try {
      mkdirSync(this.aofDir, { recursive: true });
    } catch (e) {
      this.log('warning', `Can't open or create append-only dir ${this.config.str('appenddirname')}: ${strerror(e)}`);
      this.lastBgrewriteOk = false;
      return false;
    }
    this.selectedDb = -1;
    this.flush(true);
    if (!this.openNewIncr()) {
      this.lastBgrewriteOk = false;
      return false;
    }
    this.rewrites++;
    const preamble = this.config.bool('aof-use-rdb-preamble');
    const baseName = `${this.filename}.${this.manifest.baseSeq + 1}.base.${preamble ? 'rdb' : 'aof'}`;
    const chunks = this.baseChunks(snapshotDatabases(this.core.dbs), preamble);
    const seq = ++this.rewriteSeq;
    const write = new BackgroundRdbWrite(
      { dir: this.dir, filename: path.join(this.config.str('appenddirname'), baseName), tempName: `temp-rewriteaof-bg-${process.pid}-${seq}.aof` },
      chunks[Symbol.iterator](),
      (error) => this.rewriteDone(write, error),
    );
    this.running = { write, startedAt: this.core.now(), baseName };
    this.scheduled = false;
    this.log('notice', `Background append only file rewriting started by pid ${process.pid}`);
    return true;
  }

  /** The rewrite finished (backgroundRewriteDoneHandler): the new base replaces the old files. */
  private rewriteDone(write: BackgroundRdbWrite, error: string | null): void {
    const running = this.running;
    if (!running || running.write !== write) return;
    this.running = null;
    const now = this.core.now();
    this.lastRewriteSeconds = Math.floor(now / 1000) - Math.floor(running.startedAt / 1000);
    if (error !== null) {
      this.log('warning', error);
      this.log('warning', 'Background AOF rewrite terminated with error');
      this.rewriteFailed();
      return;
    }
    this.log('notice', 'Background AOF rewrite terminated with success');
    const next = copyManifest(this.manifest);
    const baseName = newBase(next, this.filename, running.baseName.endsWith('.rdb'));
    if (baseName !== running.baseName) {
      // Only one rewrite runs at a time, so the sequence cannot have moved; keep the file that was written.
      next.base!.name = running.baseName;
    }
    this.log('notice', `Successfully renamed the temporary AOF base file temp-rewriteaof-bg-${process.pid}.aof into ${running.baseName}`);
    if (this.state === 'wait-rewrite') {
      const tempName = tempIncrName(this.filename);
      const incrName = newIncr(next, this.filename);
      try {
        renameSync(this.aofPath(tempName), this.aofPath(incrName));
      } catch (e) {
        this.log('warning', `Error trying to rename the temporary AOF incr file ${tempName} into ${incrName}: ${strerror(e)}`);
        this.rewriteFailed();
        return;
      }
      this.log('notice', `Successfully renamed the temporary AOF incr file ${tempName} into ${incrName}`);
    }
    markRewrittenIncrAsHistory(next, this.fd !== -1);
    if (!this.persistManifest(next)) {
      this.rewriteFailed();
      return;
    }
    this.manifest = next;
    if (this.fd !== -1) {
      this.selectedDb = -1;
      const incr = next.incr[next.incr.length - 1];
      this.currentSize = fileSize(this.aofPath(running.baseName)) + (incr ? fileSize(this.aofPath(incr.name)) : 0);
      this.baseSize = this.currentSize;
      this.fsyncOffset = this.currentSize;
    }
    this.deleteHistoryFiles();
    this.lastBgrewriteOk = true;
    this.consecutiveFailures = 0;
    this.log('notice', 'Background AOF rewrite finished successfully');
    if (this.state === 'wait-rewrite') this.state = 'on';
  }

  private rewriteFailed(): void {
    this.lastBgrewriteOk = false;
    this.consecutiveFailures++;
    if (this.state === 'wait-rewrite') {
      // The writes gathered for the base that failed are dropped with it; a new attempt starts from the cron.
      this.buf.take();
      if (this.fd !== -1) closeQuietly(this.fd);
      this.fd = -1;
      try {
        unlinkSync(this.aofPath(tempIncrName(this.filename)));
      } catch {
        // Not created.
      }
      this.scheduled = true;
    }
  }

  private abortRewrite(): void {
    if (!this.running) return;
    this.log('notice', `Killing running AOF rewrite child: ${process.pid}`);
    this.running.write.abort();
    this.running = null;
    if (this.state === 'wait-rewrite') {
      if (this.fd !== -1) closeQuietly(this.fd);
      this.fd = -1;
      try {
        unlinkSync(this.aofPath(tempIncrName(this.filename)));
      } catch {
        // Not created.
      }
    }
  }

  /** CONFIG SET appendonly yes (startAppendOnly): a rewrite creates the base; writes are gathered meanwhile. */
  private start(): void {
    this.state = 'wait-rewrite';
    this.listen(true);
    if (this.core.host.persistence?.saving()) {
      this.scheduled = true;
      this.log(
        'warning',
        'AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.',
      );
    } else {
      if (this.running) {
        this.log(
          'warning',
          'AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.',
        );
        this.abortRewrite();
      }
      if (!this.rewriteBackground()) {
        this.state = 'off';
        this.listen(false);
        this.log(
          'warning',
          "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.",
        );
        return;
      }
    }
    this.lastFsyncSecond = Math.floor(this.core.now() / 1000);
  }

  /** CONFIG SET appendonly no (stopAppendOnly): flush, fsync and close; a rewrite under way is abandoned. */
  private stopAppendOnly(): void {
    this.flush(true);
    if (this.fd !== -1) {
      try {
        fsyncSync(this.fd);
      } catch (e) {
        this.log('warning', `Fail to fsync the AOF file: ${strerror(e)}`);
      }
      closeQuietly(this.fd);
    }
    this.fsyncOffset = this.currentSize;
    this.fd = -1;
    this.selectedDb = -1;
    const wasWaiting = this.state === 'wait-rewrite';
    this.state = 'off';
    this.listen(false);
    this.scheduled = false;
    if (this.running) {
      this.log('notice', `Killing running AOF rewrite child: ${process.pid}`);
      this.running.write.abort();
      this.running = null;
    }
    if (wasWaiting) {
      try {
        unlinkSync(this.aofPath(tempIncrName(this.filename)));
      } catch {
        // Not created.
      }
    }
    this.buf.take();
  }

  /** The AOF part of serverCron: a scheduled rewrite, the automatic rewrite on growth, a due fsync. */
  private cron(): void {
    this.followReplication();
    const saving = this.core.host.persistence?.saving() ?? false;
    if (!this.running && !saving && this.scheduled) {
      this.rewriteBackground();
    } else if (this.state === 'on' && !this.running && !saving) {
      const perc = this.config.int('auto-aof-rewrite-percentage');
      if (perc > 0 && this.currentSize > this.config.int('auto-aof-rewrite-min-size')) {
        const base = this.baseSize || 1;
        const growth = Math.floor((this.currentSize * 100) / base) - 100;
        if (growth >= perc) {
          this.log('notice', `Starting automatic rewriting of AOF on ${growth}% growth`);
          this.rewriteBackground();
        }
      }
    }
    if (this.state !== 'off') this.flush(false);
  }

  /**
   * A replica applies its master's stream without propagating it, so its AOF would miss those writes: as
   * Redis's restartAOFAfterSYNC, the base is rewritten once a link to the master comes up (a sync completed)
   * and once it is promoted, so the files hold the dataset the replica has then.
   */
  private followReplication(): void {
    const linkUp = this.core.isReplica() && this.core.masterLinkUp;
    const promoted = this.wasReplica && !this.core.isReplica();
    if (this.state === 'on' && ((linkUp && !this.wasLinkUp) || promoted)) this.scheduled = true;
    this.wasReplica = this.core.isReplica();
    this.wasLinkUp = linkUp;
  }

  // -------------------------------------------------------------------------------------------------------
  // AppendOnlyHost
  // -------------------------------------------------------------------------------------------------------

  backgroundRewrite(inExec: boolean): { status: string } | { error: string } {
    if (this.running) return { error: 'Background append only file rewriting already in progress' };
    if (inExec || (this.core.host.persistence?.saving() ?? false)) {
      this.scheduled = true;
      this.consecutiveFailures = 0;
      return { status: 'Background append only file rewriting scheduled' };
    }
    if (this.rewriteBackground()) return { status: 'Background append only file rewriting started' };
    return { error: "Can't execute an AOF background rewriting. Please check the server logs for more information." };
  }

  rewriting(): boolean {
    return this.running !== null;
  }

  /**
   * DEBUG LOADAOF (debug.c): the buffered appends reach the incr file, the dataset and the function libraries
   * are emptied, and the files of the manifest in memory are replayed (with AOF off too, when a rewrite has
   * made some). The replay is not appended to the AOF again: the AOF stops listening meanwhile.
   */
  reloadFromDisk(): string | null {
    const core = this.core;
    if (this.state === 'on') this.flush(true);
    for (const db of core.dbs) db.clear();
    core.functionLibraries?.beginLoad().commit();
    const m = this.manifest;
    if (m.base === null && m.incr.length === 0) return 'Error trying to load the AOF files: there are none';
    const wasListening = this.listening;
    this.listen(false);
    try {
      this.loadFiles(core);
    } catch (e) {
      if (!(e instanceof AofLoadError)) throw e;
      return `Error trying to load the AOF files: ${e.message}`;
    } finally {
      this.listen(wasListening);
    }
    return null;
  }

  prepareShutdown(force: boolean): boolean {
    if (this.running) {
      if (this.state === 'wait-rewrite') {
        if (!force) {
          this.log('warning', "Writing initial AOF, can't exit.");
          return false;
        }
        this.log('warning', 'Writing initial AOF. Exit anyway.');
      }
      this.log('warning', 'There is a child rewriting the AOF. Killing it!');
      this.abortRewrite();
    }
    if (this.state !== 'off' && this.fd !== -1) {
      this.log('notice', 'Calling fsync() on the AOF file.');
      this.flush(true);
      try {
        fsyncSync(this.fd);
      } catch (e) {
        this.log('warning', `Fail to fsync the AOF file: ${strerror(e)}.`);
      }
    }
    return true;
  }

  /** Resolves when the rewrite under way (if any) has finished writing (tests). */
  async idle(): Promise<void> {
    await this.running?.write.finished;
  }

  /** The server stops: pending writes reach the file, which is closed; a rewrite is abandoned. */
  close(): void {
    if (this.running) {
      this.running.write.abort();
      this.running = null;
    }
    if (this.fd !== -1) {
      this.flush(true);
      closeQuietly(this.fd);
      this.fd = -1;
    }
  }

  /** INFO persistence fields (merged over the core's defaults; the size fields only when AOF is on). */
  infoFields(): Array<[string, string | number]> {
    const now = this.core.now();
    const fields: Array<[string, string | number]> = [
      ['aof_enabled', this.state !== 'off' ? 1 : 0],
      ['aof_rewrite_in_progress', this.running ? 1 : 0],
      ['aof_rewrite_scheduled', this.scheduled ? 1 : 0],
      ['aof_last_rewrite_time_sec', this.lastRewriteSeconds],
      ['aof_current_rewrite_time_sec', this.running ? Math.floor(now / 1000) - Math.floor(this.running.startedAt / 1000) : -1],
      ['aof_last_bgrewrite_status', this.lastBgrewriteOk ? 'ok' : 'err'],
      ['aof_rewrites', this.rewrites],
      ['aof_rewrites_consecutive_failures', this.consecutiveFailures],
      ['aof_last_write_status', this.lastWriteOk ? 'ok' : 'err'],
    ];
    if (this.state !== 'off') {
      fields.push(
        ['aof_current_size', this.currentSize],
        ['aof_base_size', this.baseSize],
        ['aof_pending_rewrite', this.scheduled ? 1 : 0],
        ['aof_buffer_length', this.buf.length],
        ['aof_pending_bio_fsync', this.fsyncsInProgress],
        ['aof_delayed_fsync', 0],
      );
    }
    return fields;
  }
}

/** Writes chunks to a new file and fsyncs it (a base or manifest, before its rename). */
function writeAll(file: string, chunks: Iterable<Uint8Array>): void {
  const fd = openForAppend(file, true);
  try {
    for (const chunk of chunks) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    }
    fsyncSync(fd);
  } finally {
    closeQuietly(fd);
  }
}

/** fsyncs a directory so a rename in it is durable; some filesystems refuse: the rename has happened anyway. */
function fsyncDirQuietly(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeQuietly(fd);
    }
  } catch {
    // Not supported here.
  }
}
