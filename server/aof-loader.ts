import { closeSync, openSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { bytesToBinary } from '../shared/bytes.js';
import type { ServerCore } from '../shared/engine/server-core.js';
import type { Client } from '../shared/engine/client.js';
import { processCommand } from '../shared/engine/dispatch.js';
import { RdbError } from '../shared/rdb/rdb-error.js';
import { RdbReader } from '../shared/rdb/rdb-reader.js';
import type { LogLevel } from './logger.js';

/** An append-only file that cannot be loaded: the server must not start (Redis exits with status 1). */
export class AofLoadError extends Error {}

/** Redis's AOF_OK, AOF_NOT_EXIST, AOF_EMPTY, AOF_TRUNCATED (failures throw AofLoadError). */
export type AofLoadResult = 'ok' | 'not-exist' | 'empty' | 'truncated';

/** How to load one file of the AOF. */
export interface AofFileLoad {
  /** The file's path. */
  path: string;
  /** Its name, as logs show it. */
  name: string;
  /** An old single-file AOF (appendfilename itself): an RDB at its start is a preamble with a command tail. */
  oldStyle: boolean;
  /** aof-load-truncated: a command cut short at the end is dropped (the file truncated) instead of failing. */
  loadTruncated: boolean;
  log: (level: LogLevel, message: string) => void;
}

/** Redis's annotation lines are read with a buffer this long (AOF_ANNOTATION_LINE_MAX_LEN). */
const LINE_MAX = 1024;

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
};

function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return (code && STRERROR[code]) ?? (e as Error).message;
}

/** One command of the file: its arguments and the offset just after it, or why it could not be read. */
type Parsed = { argv: string[]; end: number } | { eof: true } | { format: true };

/**
 * Reads the command starting at `pos` as loadSingleAppendOnlyFile does: `*<argc>` then argc `$<len>` bulks,
 * each followed by two bytes it does not check. '#' lines (annotations) are skipped by the caller.
 */
function parseCommand(buf: Buffer, pos: number): Parsed {
  const line = (from: number): { text: string; next: number } | null => {
    const nl = buf.indexOf(10, from);
    const limit = Math.min(buf.length, from + LINE_MAX - 1);
    if (nl === -1 || nl >= limit) {
      // fgets stops at the buffer's size: a line without its end within reach is what it read so far.
      if (limit >= buf.length) return null;
      return { text: buf.toString('latin1', from, limit), next: limit };
    }
    return { text: buf.toString('latin1', from, nl + 1), next: nl + 1 };
  };
  const head = line(pos);
  if (!head) return { eof: true };
  if (head.text[0] !== '*') return { format: true };
  if (head.text.length === 1) return { eof: true };
  const argc = atoi(head.text.slice(1));
  if (argc < 1) return { format: true };
  const argv: string[] = [];
  let p = head.next;
  for (let j = 0; j < argc; j++) {
    const l = line(p);
    if (!l) return { eof: true };
    if (l.text[0] !== '$') return { format: true };
    const len = atoi(l.text.slice(1));
    p = l.next;
    if (len > 0 && p + len > buf.length) return { eof: true };
    argv.push(bytesToBinary(buf, p, p + Math.max(0, len)));
    p += Math.max(0, len);
    if (p + 2 > buf.length) return { eof: true };
    p += 2;
  }
  return { argv, end: p };
}

function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}

/** The client commands of an AOF run as (Redis's fake AOF client): no replies, every permission. */
function loadingClient(core: ServerCore): Client {
  const client = core.connect(
    { write: () => undefined, close: () => undefined, bufferedAmount: () => 0 },
    { addr: 'AOF-loading-client', laddr: '', loopback: true, kind: 'internal' },
  );
  if (!client) throw new AofLoadError('Cannot create the AOF loading client');
  client.isMaster = true;
  client.replyOff = true;
  client.authenticated = true;
  client.parser.authenticated = true;
  client.parser.fromMaster = true;
  return client;
}

/**
 * Loads one file of the AOF into the core (loadSingleAppendOnlyFile): an RDB (a base file, or an old-style
 * file's preamble) straight into the databases, then each command through dispatch as a master's stream is
 * applied. Logs as Redis does; throws AofLoadError with Redis's last line when the server must not start.
 */
export function loadAofFile(core: ServerCore, file: AofFileLoad): AofLoadResult {
  const { log, name } = file;
  let buf: Buffer;
  try {
    if (statSync(file.path).size === 0) return 'empty';
    buf = readFileSync(file.path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      log('warning', `The append log file ${name} doesn't exist: ${strerror(e)}`);
      return 'not-exist';
    }
    const line = `Fatal error: can't open the append log file ${name} for reading: ${strerror(e)}`;
    log('warning', line);
    throw new AofLoadError(line);
  }
  let pos = 0;
  if (buf.length >= 5 && buf.toString('latin1', 0, 5) === 'REDIS') {
    log('notice', file.oldStyle ? 'Reading RDB preamble from AOF file...' : 'Reading RDB base file on AOF loading...');
    try {
      pos = loadRdbPart(core, buf, log);
    } catch (e) {
      if (!(e instanceof RdbError)) throw e;
      log('warning', `Internal error in RDB reading -> ${e.message}`);
      const line = file.oldStyle
        ? `Error reading the RDB preamble of the AOF file ${name}, AOF loading aborted`
        : `Error reading the RDB base file ${name}, AOF loading aborted`;
      log('warning', line);
      throw new AofLoadError(line);
    }
    if (file.oldStyle) log('notice', 'Reading the remaining AOF tail...');
  }
  // As Redis while loading: expired keys stay until the server runs (the file's later commands may touch them),
  // so commands run as on a replica applying its master's stream.
  const role = core.role;
  core.role = 'replica';
  const client = loadingClient(core);
  let validUpTo = pos;
  let validBeforeMulti = pos;
  let truncated = false;
  try {
    for (;;) {
      if (pos >= buf.length) break;
      if (buf[pos] === 0x23) {
        // '#': an annotation (aof-timestamp-enabled), one line.
        const nl = buf.indexOf(10, pos);
        pos = nl === -1 ? buf.length : nl + 1;
        continue;
      }
      const parsed = parseCommand(buf, pos);
      if ('format' in parsed) {
        const line = `Bad file format reading the append only file ${name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>`;
        log('warning', line);
        throw new AofLoadError(line);
      }
      if ('eof' in parsed) {
        truncated = true;
        break;
      }
      const argv = parsed.argv;
      const known = core.commandIndex.get(argv[0]) ?? core.commands.get(argv[0].toLowerCase());
      if (!known) {
        const line = `Unknown command '${argv[0]}' reading the append only file ${name}`;
        log('warning', line);
        throw new AofLoadError(line);
      }
      if (known.name === 'multi') validBeforeMulti = validUpTo;
      processCommand(core, client, argv);
      core.propagator.discard();
      pos = parsed.end;
      validUpTo = pos;
    }
    if (!truncated && client.multi) {
      // A transaction without its EXEC at the end of the file is dropped like a command cut short.
      log('warning', `Revert incomplete MULTI/EXEC transaction in AOF file ${name}`);
      validUpTo = validBeforeMulti;
      truncated = true;
    }
  } finally {
    core.role = role;
    client.multi = null;
    core.kill(client);
  }
  if (!truncated) return 'ok';
  if (file.loadTruncated) {
    log('warning', `!!! Warning: short read while loading the AOF file ${name}!!!`);
    log('warning', `!!! Truncating the AOF ${name} at offset ${validUpTo} !!!`);
    try {
      truncateSync(file.path, validUpTo);
      log('warning', `AOF ${name} loaded anyway because aof-load-truncated is enabled`);
      return 'truncated';
    } catch (e) {
      log('warning', `Error truncating the AOF file ${name}: ${strerror(e)}`);
    }
  }
  const line = `Unexpected end of file reading the append only file ${name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`;
  log('warning', line);
  throw new AofLoadError(line);
}

/** Loads the RDB at the start of `buf` into the databases; returns where it ended (an old-style file's tail). */
function loadRdbPart(core: ServerCore, buf: Buffer, log: (level: LogLevel, message: string) => void): number {
  let loaded = 0;
  const now = core.now();
  const functions = core.functionLibraries?.beginLoad() ?? null;
  const reader = new RdbReader({
    onFunction: (code) => {
      const err = functions?.add(code) ?? null;
      if (err !== null) {
        log('warning', `Failed loading library, ${err}`);
        throw new AofLoadError('Short read or OOM loading DB. Unrecoverable error, aborting now.');
      }
    },
    onAux: (auxName, value) => {
      if (auxName === 'redis-ver') log('notice', `Loading RDB produced by version ${value}`);
      else if (auxName === 'ctime') log('notice', `RDB age ${Math.max(0, Math.floor(now / 1000) - Number(value))} seconds`);
      else if (auxName === 'used-mem') log('notice', `RDB memory usage when created ${(Number(value) / 1024 / 1024).toFixed(2)} Mb`);
      else if (auxName === 'aof-base' && value !== '0') log('notice', 'RDB is base AOF');
    },
    onKey: (dbIndex, key, value, expireMs) => {
      const db = core.dbs[dbIndex];
      if (!db) {
        throw new AofLoadError(
          `FATAL: Data file was created with a Redis server configured to handle more than ${core.dbs.length} databases. Exiting`,
        );
      }
      if (db.dict.has(key)) throw new RdbError(`RDB has duplicated key '${key}' in DB ${dbIndex}`);
      // Loading an AOF preamble keeps keys that expired meanwhile (none count as expired): they expire once
      // the server runs, after the commands that follow had their say.
      db.dict.set(key, value);
      if (expireMs !== -1) db.expires.set(key, expireMs);
      loaded++;
    },
  });
  reader.push(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  if (!reader.done) reader.end();
  functions?.commit();
  const rest = reader.takeRemaining().length;
  log('notice', `Done loading RDB, keys loaded: ${loaded}, keys expired: 0.`);
  return buf.length - rest;
}

/** Whether a path exists (a file or directory). */
export function pathExists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** The size of a file in bytes, 0 when it is missing. */
export function fileSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

/** Opens a file for appending (O_WRONLY|O_APPEND|O_CREAT), or for writing from empty (`truncate`). */
export function openForAppend(p: string, truncate = false): number {
  return openSync(p, truncate ? 'w' : 'a', 0o644);
}

/** Closes a descriptor, ignoring errors (it is being replaced). */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
