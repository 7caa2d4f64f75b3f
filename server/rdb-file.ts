import { closeSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync, type PathLike } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { RdbError } from '../shared/rdb/rdb-error.js';
import { RdbReader, type RdbHandlers } from '../shared/rdb/rdb-reader.js';

/** Bytes gathered from the RDB writer before each write of a background save (one bounded step per event). */
const BACKGROUND_BATCH_BYTES = 1024 * 1024;
/** Bytes read per read(2) when loading. */
const READ_CHUNK_BYTES = 1024 * 1024;

/** A failed save, with the line Redis logs for it. */
export class RdbSaveError extends Error {}

/** A file that cannot be loaded, with the one line Redis logs before it aborts. */
export class RdbLoadError extends Error {}

/** Where a save writes: the final file, and the temporary file it is renamed from. */
export interface RdbFileTarget {
  /** The directory (`dir`), as configured. */
  dir: string;
  /** `dbfilename`. */
  filename: string;
  /** The temporary file's name in `dir` (Redis: temp-<pid>.rdb). */
  tempName: string;
}

function describeErrno(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const texts: Record<string, string> = {
    ENOENT: 'No such file or directory',
    EACCES: 'Permission denied',
    EPERM: 'Operation not permitted',
    ENOSPC: 'No space left on device',
    EROFS: 'Read-only file system',
    EISDIR: 'Is a directory',
    ENOTDIR: 'Not a directory',
    EDQUOT: 'Disk quota exceeded',
    EIO: 'Input/output error',
  };
  return (code && texts[code]) ?? (e as Error).message;
}

function rootDir(dir: string): string {
  return path.resolve(dir);
}

/** fsyncs a directory so a rename in it is durable (Redis 7's fsyncFileDir); some filesystems refuse: ignore. */
function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not supported here (or not a durable filesystem): the rename itself has happened.
  }
}

function removeQuietly(file: PathLike): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}

/**
 * Writes an RDB file synchronously (SAVE, the final save of a shutdown): the chunks go to the temporary file,
 * which is flushed to disk and then renamed over the target, so a crash never leaves a half-written file under
 * the real name. Throws RdbSaveError with Redis's log line.
 */
export function writeRdbFileSync(target: RdbFileTarget, chunks: Iterable<Uint8Array>): void {
  const temp = path.join(target.dir, target.tempName);
  let fd: number;
  try {
    fd = openSync(temp, 'w');
  } catch (e) {
    throw new RdbSaveError(
      `Failed opening the RDB file ${target.filename} (in server root dir ${rootDir(target.dir)}) for saving: ${describeErrno(e)}`,
    );
  }
  try {
    for (const chunk of chunks) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    removeQuietly(temp);
    throw new RdbSaveError(`Write error saving DB on disk: ${describeErrno(e)}`);
  }
  closeSync(fd);
  try {
    renameSync(temp, path.join(target.dir, target.filename));
  } catch (e) {
    removeQuietly(temp);
    throw new RdbSaveError(
      `Error moving temp DB file ${target.tempName} on the final destination ${target.filename} (in server root dir ${rootDir(target.dir)}): ${describeErrno(e)}`,
    );
  }
  fsyncDir(target.dir);
}

/**
 * A background save: writes the chunks of an RDB (of a point-in-time copy the caller made) to the temporary
 * file about a megabyte per step, each step an asynchronous write, so the server keeps serving between steps;
 * then flushes and renames it as writeRdbFileSync does. `done` gets null or Redis's log line of the failure.
 */
export class BackgroundRdbWrite {
  private aborted = false;
  /** Resolves when the write has finished, failed or been aborted and the temp file is closed. */
  readonly finished: Promise<void>;

  constructor(
    private readonly target: RdbFileTarget,
    private readonly chunks: Iterator<Uint8Array>,
    private readonly done: (error: string | null) => void,
  ) {
    this.finished = this.run();
  }

  /**
   * Stops writing; the temporary file is removed (at once when it exists, else as soon as it is opened) and
   * `done` is not called. Each background save has its own temporary name, so this never touches another.
   */
  abort(): void {
    this.aborted = true;
    removeQuietly(path.join(this.target.dir, this.target.tempName));
  }

  private async run(): Promise<void> {
    const { dir, filename, tempName } = this.target;
    const temp = path.join(dir, tempName);
    // Start on a later event: the command that started the save replies first.
    await new Promise<void>((r) => setImmediate(r));
    let fh: FileHandle;
    try {
      fh = await open(temp, 'w');
    } catch (e) {
      if (!this.aborted) {
        this.done(`Failed opening the RDB file ${filename} (in server root dir ${rootDir(dir)}) for saving: ${describeErrno(e)}`);
      }
      return;
    }
    try {
      for (;;) {
        if (this.aborted) break;
        const batch: Uint8Array[] = [];
        let bytes = 0;
        let end = false;
        while (bytes < BACKGROUND_BATCH_BYTES) {
          const next = this.chunks.next();
          if (next.done) {
            end = true;
            break;
          }
          batch.push(next.value);
          bytes += next.value.length;
        }
        if (batch.length > 0) await fh.writev(batch);
        if (end) break;
      }
      if (!this.aborted) await fh.sync();
    } catch (e) {
      await fh.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      if (!this.aborted) this.done(`Write error saving DB on disk: ${describeErrno(e)}`);
      return;
    }
    await fh.close().catch(() => undefined);
    if (this.aborted) {
      await unlink(temp).catch(() => undefined);
      return;
    }
    try {
      await rename(temp, path.join(dir, filename));
    } catch (e) {
      await unlink(temp).catch(() => undefined);
      this.done(
        `Error moving temp DB file ${tempName} on the final destination ${filename} (in server root dir ${rootDir(dir)}): ${describeErrno(e)}`,
      );
      return;
    }
    fsyncDir(dir);
    this.done(null);
  }
}

/**
 * Reads an RDB file through the streaming reader, a megabyte at a time, calling `handlers` in file order.
 * Returns false when the file does not exist. Throws RdbLoadError with the line Redis logs for a file it
 * cannot load (truncated, bad checksum, bad signature, corrupt value).
 */
export function readRdbFile(file: string, handlers: RdbHandlers): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new RdbLoadError(`Fatal error loading the DB: ${describeErrno(e)}. Exiting.`);
  }
  const reader = new RdbReader(handlers);
  try {
    const buf = new Uint8Array(READ_CHUNK_BYTES);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      // The reader may keep a view of what it was given: hand it a copy of this read.
      reader.push(buf.slice(0, n));
    }
    reader.end();
  } catch (e) {
    if (e instanceof RdbError) throw new RdbLoadError(loadErrorLine(e.message));
    if (e instanceof RdbLoadError) throw e;
    if ((e as NodeJS.ErrnoException).code) throw new RdbLoadError(`Fatal error loading the DB: ${describeErrno(e)}. Exiting.`);
    throw e;
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Redis's log line for a load failure, from the reader's error. */
function loadErrorLine(message: string): string {
  if (message.startsWith('Unexpected EOF')) return 'Short read or OOM loading DB. Unrecoverable error, aborting now.';
  const crc = /^Wrong RDB checksum: expected ([0-9a-f]+) but got ([0-9a-f]+)/.exec(message);
  if (crc) {
    const hex = (h: string) => h.replace(/^0+(?=.)/, '');
    return `Wrong RDB checksum expected: (${hex(crc[1])}) but got (${hex(crc[2])}). Aborting now.`;
  }
  if (message.startsWith('Wrong signature')) return 'Wrong signature trying to load DB from file';
  const version = /^Can't handle RDB format version (\d+)/.exec(message);
  if (version) return `Can't handle RDB format version ${version[1]}`;
  return `Internal error in RDB reading -> ${message}. Terminating server after rdb file reading failure.`;
}
