import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { concatBytes } from '../shared/bytes.js';
import { writeRdb } from '../shared/rdb/rdb-writer.js';
import { Database } from '../shared/store/database.js';
import { createHarness } from '../test/helpers/core-harness.js';
import { AofLoadError, loadAofFile, type AofFileLoad } from './aof-loader.js';
import { rewriteCommands } from './aof-rewrite.js';

const dir = mkdtempSync(path.join(tmpdir(), 'aof-loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(content: string | Uint8Array, opts: Partial<AofFileLoad> = {}): AofFileLoad & { logs: string[] } {
  const p = path.join(dir, `f${++n}.aof`);
  writeFileSync(p, typeof content === 'string' ? Buffer.from(content, 'latin1') : content);
  const logs: string[] = [];
  return { path: p, name: `f${n}.aof`, oldStyle: false, loadTruncated: true, log: (_l, m) => logs.push(m), logs, ...opts };
}

const cmd = (...argv: string[]) => `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`;

function failure(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof AofLoadError) return e.message;
    throw e;
  }
  throw new Error('loaded');
}

describe('loading an AOF file', () => {
  it('replays commands through dispatch, with SELECT, transactions and annotations, as a fake client', () => {
    const h = createHarness();
    const f = file(
      '#TS:1700000000\r\n' +
        cmd('SELECT', '2') +
        cmd('SET', 'k', 'v') +
        cmd('MULTI') +
        cmd('RPUSH', 'l', 'a', 'b') +
        cmd('INCR', 'n') +
        cmd('EXEC'),
    );
    expect(loadAofFile(h.core, f)).toBe('ok');
    const c = h.client();
    c.call('SELECT', '2');
    expect(c.call('GET', 'k')).toBe('v');
    expect(c.call('LRANGE', 'l', '0', '-1')).toEqual(['a', 'b']);
    expect(c.call('GET', 'n')).toBe('1');
    // Nothing loaded is propagated again, and the loading client is gone.
    expect(h.propagated.filter((p) => p[0] !== 'SELECT')).toEqual([]);
    expect(h.core.clients.size).toBe(1);
  });

  it('keeps keys that expired meanwhile while later commands of the file still apply to them', () => {
    const h = createHarness();
    const past = String(h.clock.now - 1000);
    expect(loadAofFile(h.core, file(cmd('SET', 'k', 'v', 'PXAT', past) + cmd('PERSIST', 'k')))).toBe('ok');
    expect(h.client().call('GET', 'k')).toBe('v');
  });

  it('loads an RDB base, and the command tail of an old-style file after its preamble', () => {
    const db = new Database(0);
    db.dict.set('from-rdb', 'x');
    const rdb = concatBytes([...writeRdb({ dbs: [db], now: 0 })]);
    const h = createHarness();
    const f = file(concatBytes([rdb, Buffer.from(cmd('SET', 'from-tail', 'y'), 'latin1')]), { oldStyle: true });
    expect(loadAofFile(h.core, f)).toBe('ok');
    expect(f.logs).toContain('Reading RDB preamble from AOF file...');
    expect(f.logs).toContain('Reading the remaining AOF tail...');
    expect(h.client().call('MGET', 'from-rdb', 'from-tail')).toEqual(['x', 'y']);
  });

  it('loads a command base written by the rewrite', () => {
    const src = new Database(3);
    src.dict.set('s', 'v');
    src.expires.set('s', 4102444800000);
    const bytes = concatBytes([...rewriteCommands([new Database(0), new Database(1), new Database(2), src])]);
    const h = createHarness();
    expect(loadAofFile(h.core, file(bytes))).toBe('ok');
    expect(h.core.dbs[3].dict.get('s')).toBe('v');
    expect(h.core.dbs[3].expires.get('s')).toBe(4102444800000);
  });

  it('reports an empty file, and a missing one', () => {
    const h = createHarness();
    expect(loadAofFile(h.core, file(''))).toBe('empty');
    const missing = file('x');
    rmSync(missing.path);
    expect(loadAofFile(h.core, missing)).toBe('not-exist');
  });

  it('truncates a command cut short when allowed, and refuses otherwise', () => {
    const good = cmd('SET', 'a', '1');
    const h = createHarness();
    const f = file(good + '*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$3\r\nt');
    expect(loadAofFile(h.core, f)).toBe('truncated');
    expect(readFileSync(f.path, 'latin1')).toBe(good);
    expect(f.logs).toContain(`!!! Truncating the AOF ${f.name} at offset ${good.length} !!!`);
    const strict = file(good + '*3\r\n$3\r\nSET', { loadTruncated: false });
    expect(failure(() => loadAofFile(createHarness().core, strict))).toMatch(
      new RegExp(`^Unexpected end of file reading the append only file ${strict.name}\\. You can: 1\\)`),
    );
  });

  it("fails on a bad format or an unknown command with Redis's messages", () => {
    const h = createHarness();
    const bad = file('SET a 1\r\n');
    expect(failure(() => loadAofFile(h.core, bad))).toBe(
      `Bad file format reading the append only file ${bad.name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>`,
    );
    const unknown = file(cmd('NOSUCH', 'x'));
    expect(failure(() => loadAofFile(h.core, unknown))).toBe(`Unknown command 'NOSUCH' reading the append only file ${unknown.name}`);
  });
});
