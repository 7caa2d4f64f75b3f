import { describe, expect, it } from 'vitest';
import {
  AofManifestError,
  copyManifest,
  emptyManifest,
  formatManifest,
  lastIncr,
  markRewrittenIncrAsHistory,
  newBase,
  newIncr,
  parseManifest,
} from './aof-manifest.js';

function parseError(text: string): AofManifestError {
  try {
    parseManifest(text);
  } catch (e) {
    if (e instanceof AofManifestError) return e;
    throw e;
  }
  throw new Error('parsed');
}

describe('AOF manifest', () => {
  it('formats as Redis 7 writes it: base, history, then incr files', () => {
    const m = emptyManifest();
    expect(newBase(m, 'appendonly.aof', true)).toBe('appendonly.aof.1.base.rdb');
    expect(lastIncr(m, 'appendonly.aof')).toBe('appendonly.aof.1.incr.aof');
    expect(newIncr(m, 'appendonly.aof')).toBe('appendonly.aof.2.incr.aof');
    expect(newBase(m, 'appendonly.aof', false)).toBe('appendonly.aof.2.base.aof');
    expect(formatManifest(m)).toBe(
      'file appendonly.aof.2.base.aof seq 2 type b\n' +
        'file appendonly.aof.1.base.rdb seq 1 type h\n' +
        'file appendonly.aof.1.incr.aof seq 1 type i\n' +
        'file appendonly.aof.2.incr.aof seq 2 type i\n',
    );
  });

  it('after a rewrite keeps only the incr file being written (none when AOF is off)', () => {
    const m = emptyManifest();
    newBase(m, 'a.aof', true);
    newIncr(m, 'a.aof');
    newIncr(m, 'a.aof');
    const on = copyManifest(m);
    markRewrittenIncrAsHistory(on, true);
    expect(on.incr.map((i) => i.name)).toEqual(['a.aof.2.incr.aof']);
    expect(on.history.map((i) => [i.name, i.type])).toEqual([['a.aof.1.incr.aof', 'h']]);
    markRewrittenIncrAsHistory(m, false);
    expect(m.incr).toEqual([]);
    expect(m.history.map((i) => i.name)).toEqual(['a.aof.1.incr.aof', 'a.aof.2.incr.aof']);
  });

  it('parses what it formats, with comments, quoted names and extra fields', () => {
    const m = parseManifest(
      '# comment\nfile appendonly.aof.3.base.rdb seq 3 type b\nfile "with space.aof" seq 4 type i future x\n',
    );
    expect(m.base).toEqual({ name: 'appendonly.aof.3.base.rdb', seq: 3, type: 'b' });
    expect(m.incr).toEqual([{ name: 'with space.aof', seq: 4, type: 'i' }]);
    expect(m.baseSeq).toBe(3);
    expect(m.incrSeq).toBe(4);
    expect(formatManifest(m)).toBe('file appendonly.aof.3.base.rdb seq 3 type b\nfile "with space.aof" seq 4 type i\n');
    expect(parseManifest(formatManifest(m))).toEqual(m);
  });

  it("rejects bad manifests with Redis's reasons", () => {
    expect(parseError('').message).toBe('Found an empty AOF manifest');
    expect(parseError('file a seq 1 type b').message).toBe('The AOF manifest file contains too long line');
    expect(parseError('\n').message).toBe('Invalid AOF manifest file format');
    const short = parseError('file a seq 1\n');
    expect([short.message, short.lineNumber, short.line]).toEqual(['Invalid AOF manifest file format', 1, 'file a seq 1']);
    expect(parseError('file a seq 0 type b\n').message).toBe('Invalid AOF manifest file format');
    expect(parseError('file dir/a seq 1 type b\n').message).toBe("File can't be a path, just a filename");
    expect(parseError('file a seq 1 type b\nfile b seq 2 type b\n').message).toBe('Found duplicate base file information');
    expect(parseError('file a seq 2 type i\nfile b seq 2 type i\n').message).toBe('Found a non-monotonic sequence number');
    expect(parseError('file a seq 1 type x\n').message).toBe('Unknown AOF file type');
  });
});
