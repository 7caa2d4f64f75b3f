/**
 * Redis 7's AOF manifest (aof.c): the list of files that make up a multi-part append-only file. One line per
 * file, `file <name> seq <n> type <b|h|i>`: the base (an RDB or a command log), history files waiting to be
 * deleted, and the incremental files appended to since the base, in order. Pure: parsing and formatting only.
 */

/** Redis's AOF_FILE_TYPE_BASE / _HIST / _INCR. */
export type AofFileType = 'b' | 'h' | 'i';

/** One file of the manifest (Redis's aofInfo). */
export interface AofInfo {
  name: string;
  seq: number;
  type: AofFileType;
}

/** The manifest (Redis's aofManifest). */
export interface AofManifest {
  base: AofInfo | null;
  incr: AofInfo[];
  history: AofInfo[];
  /** Sequence numbers of the last base and incr files created (the next ones are one more). */
  baseSeq: number;
  incrSeq: number;
}

/** A manifest that cannot be read, with Redis's reason and the offending line (when there is one). */
export class AofManifestError extends Error {
  constructor(
    message: string,
    readonly lineNumber: number,
    readonly line: string | null,
  ) {
    super(message);
  }
}

/** Redis's AOF_MANIFEST_MAX_LINE. */
const MAX_LINE = 1024;

/** An empty manifest (no base, no incr files). */
export function emptyManifest(): AofManifest {
  return { base: null, incr: [], history: [], baseSeq: 0, incrSeq: 0 };
}

/** A deep copy, to change and persist before the live one is replaced (Redis's aofManifestDup). */
export function copyManifest(m: AofManifest): AofManifest {
  return {
    base: m.base ? { ...m.base } : null,
    incr: m.incr.map((i) => ({ ...i })),
    history: m.history.map((i) => ({ ...i })),
    baseSeq: m.baseSeq,
    incrSeq: m.incrSeq,
  };
}

/** `<appendfilename>.manifest`. */
export function manifestName(appendFilename: string): string {
  return `${appendFilename}.manifest`;
}

/** The temporary manifest written before the rename (Redis's getTempAofManifestFileName). */
export function tempManifestName(appendFilename: string): string {
  return `temp-${appendFilename}.manifest`;
}

/** The incr file written while AOF is being turned on, before the first base exists (getTempIncrAofName). */
export function tempIncrName(appendFilename: string): string {
  return `temp-${appendFilename}.incr`;
}

/**
 * Makes the next base file (`<name>.<seq>.base.rdb|aof`) the manifest's base; the previous base becomes history
 * (Redis's getNewBaseFileNameAndMarkPreAsHistory). Returns its name.
 */
export function newBase(m: AofManifest, appendFilename: string, rdbPreamble: boolean): string {
  if (m.base) {
    m.base.type = 'h';
    m.history.push(m.base);
  }
  const seq = ++m.baseSeq;
  const name = `${appendFilename}.${seq}.base.${rdbPreamble ? 'rdb' : 'aof'}`;
  m.base = { name, seq, type: 'b' };
  return name;
}

/** Appends the next incr file (`<name>.<seq>.incr.aof`) to the manifest (getNewIncrAofName). Returns its name. */
export function newIncr(m: AofManifest, appendFilename: string): string {
  const seq = ++m.incrSeq;
  const name = `${appendFilename}.${seq}.incr.aof`;
  m.incr.push({ name, seq, type: 'i' });
  return name;
}

/** The incr file being appended to; creates one when there is none (getLastIncrAofName). */
export function lastIncr(m: AofManifest, appendFilename: string): string {
  const last = m.incr[m.incr.length - 1];
  return last ? last.name : newIncr(m, appendFilename);
}

/**
 * After a rewrite: every incr file but the one being appended to (all of them when AOF is off) is covered by
 * the new base and becomes history (markRewrittenIncrAofAsHistory).
 */
export function markRewrittenIncrAsHistory(m: AofManifest, aofOn: boolean): void {
  const keep = aofOn && m.incr.length > 0 ? m.incr[m.incr.length - 1] : null;
  for (const i of m.incr) {
    if (i === keep) continue;
    i.type = 'h';
    m.history.push(i);
  }
  m.incr = keep ? [keep] : [];
}

/** The manifest's text, as Redis writes it: the base, then history files, then incr files. */
export function formatManifest(m: AofManifest): string {
  const lines: string[] = [];
  const add = (i: AofInfo) => lines.push(`file ${quoteIfNeeded(i.name)} seq ${i.seq} type ${i.type}\n`);
  if (m.base) add(m.base);
  for (const i of m.history) add(i);
  for (const i of m.incr) add(i);
  return lines.join('');
}

/**
 * Parses a manifest (aofLoadManifestFromFile), `text` being the file's bytes as a binary string. Throws
 * AofManifestError with Redis's reason.
 */
export function parseManifest(text: string): AofManifest {
  const m = emptyManifest();
  let maxSeq = 0;
  let lineNumber = 0;
  let pos = 0;
  if (text.length === 0) throw new AofManifestError('Found an empty AOF manifest', 0, null);
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const raw = nl === -1 ? text.slice(pos) : text.slice(pos, nl + 1);
    pos = nl === -1 ? text.length : nl + 1;
    lineNumber++;
    if (raw.startsWith('#')) continue;
    if (nl === -1 || raw.length > MAX_LINE) {
      throw new AofManifestError('The AOF manifest file contains too long line', lineNumber, null);
    }
    const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    const fail = (reason: string): never => {
      throw new AofManifestError(reason, lineNumber, line);
    };
    if (line.length === 0) fail('Invalid AOF manifest file format');
    const args = splitArgs(line);
    // 'argc < 6' leaves room for fields later versions may add.
    if (args === null || args.length < 6 || args.length % 2 !== 0) fail('Invalid AOF manifest file format');
    let name: string | null = null;
    let seq = 0;
    let type = '';
    for (let i = 0; i < args!.length; i += 2) {
      const key = args![i].toLowerCase();
      const value = args![i + 1];
      if (key === 'file') {
        name = value;
        if (name.includes('/')) fail("File can't be a path, just a filename");
      } else if (key === 'seq') {
        seq = atoll(value);
      } else if (key === 'type') {
        type = value.charAt(0);
      }
    }
    if (!name || !seq || !type) fail('Invalid AOF manifest file format');
    const info: AofInfo = { name: name!, seq, type: type as AofFileType };
    if (type === 'b') {
      if (m.base) fail('Found duplicate base file information');
      m.base = info;
      m.baseSeq = seq;
    } else if (type === 'h') {
      m.history.push(info);
    } else if (type === 'i') {
      if (seq <= maxSeq) fail('Found a non-monotonic sequence number');
      m.incr.push(info);
      m.incrSeq = seq;
      maxSeq = seq;
    } else {
      fail('Unknown AOF file type');
    }
  }
  if (lineNumber === 0) throw new AofManifestError('Found an empty AOF manifest', 0, null);
  return m;
}

/** C's atoll: optional sign and leading digits; anything else is 0. */
function atoll(s: string): number {
  const match = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return match ? Number(match[1]) : 0;
}

/** Whether Redis's sdscatrepr would be needed to write the name on one line (sdsneedsrepr). */
function quoteIfNeeded(name: string): string {
  if (name.length > 0 && !/[\\"\x00-\x20\x7f-\xff]/.test(name)) return name;
  let out = '"';
  for (const ch of name) {
    const c = ch.charCodeAt(0);
    if (ch === '\\' || ch === '"') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (c < 0x20 || c >= 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Redis's sdssplitargs: words separated by blanks, "double quoted" (with escapes) or 'single quoted'. */
function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  const blank = (c: string) => c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\v' || c === '\f';
  for (;;) {
    while (i < n && blank(line[i])) i++;
    if (i >= n) return out;
    let cur = '';
    let inDq = false;
    let inSq = false;
    for (;;) {
      if (inDq) {
        if (i >= n) return null;
        const c = line[i];
        if (c === '\\' && line[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < n) {
          i++;
          const e = line[i];
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (c === '"') {
          if (i + 1 < n && !blank(line[i + 1])) return null;
          inDq = false;
          i++;
          break;
        } else {
          cur += c;
        }
      } else if (inSq) {
        if (i >= n) return null;
        const c = line[i];
        if (c === '\\' && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (i + 1 < n && !blank(line[i + 1])) return null;
          inSq = false;
          i++;
          break;
        } else {
          cur += c;
        }
      } else {
        if (i >= n) break;
        const c = line[i];
        if (blank(c)) break;
        if (c === '"') inDq = true;
        else if (c === "'") inSq = true;
        else cur += c;
      }
      i++;
    }
    out.push(cur);
  }
}
