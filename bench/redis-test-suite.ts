/**
 * Runs Redis's own test suite (the Tcl `runtest` of a Redis source tree) in external-server mode against our
 * server and against a stock redis-server, one unit at a time and each unit on a fresh server, and prints what
 * passed on each side.
 *
 *   npm run redis-suite -- --redis-src /path/to/redis-7.0.15 [--units unit/type/string,unit/expire] [--only ours]
 *   npm run redis-suite -- --redis-src ... --internal --units integration/replication-psync,integration/psync2
 *
 * `--internal` runs the suite the way Redis's CI does, letting it start its own servers (replicas, restarts,
 * crashes): on our side `src/redis-server` is a script that runs server/main.ts with the config file the suite
 * wrote, with the HTTP port disabled (every server would want the same one).
 * The source tree is not part of this repository (and cannot be fetched in CI): check out Redis 7.0.15's
 * sources, `tests/` and `runtest` suffice, and put redis-server and redis-cli in its `src/` (symlinks to the
 * installed ones work). External mode skips the tests Redis tags `external:skip` (those that start their own
 * servers), so this covers commands, replies, encodings and the replication stream as a client sees them.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanup, ROOT, startOurServer, startRedisServer, tempDir, type ServerHandle } from './processes.js';

const { values } = parseArgs({
  options: {
    'redis-src': { type: 'string' },
    units: { type: 'string' },
    only: { type: 'string' },
    'unit-timeout': { type: 'string', default: '300' },
    json: { type: 'string' },
    internal: { type: 'boolean', default: false },
  },
});

const src = values['redis-src'];
if (!src || !existsSync(path.join(src, 'tests/test_helper.tcl'))) {
  console.error('usage: npm run redis-suite -- --redis-src <a Redis source tree with tests/ and runtest>');
  process.exit(2);
}
mkdirSync(path.join(src, 'src'), { recursive: true });
for (const tool of ['redis-server', 'redis-cli', 'redis-benchmark', 'redis-check-aof', 'redis-check-rdb']) {
  const target = path.join(src, 'src', tool);
  if (!existsSync(target)) symlinkSync(`/usr/bin/${tool}`, target);
}

/** The units runtest would run, in its order. */
function allUnits(): string[] {
  const helper = readFileSync(path.join(src!, 'tests/test_helper.tcl'), 'utf8');
  const list = /set ::all_tests \{([^}]*)\}/.exec(helper);
  if (!list) throw new Error('no ::all_tests in test_helper.tcl');
  return list[1].split(/\s+/).filter(Boolean);
}

interface UnitResult {
  ok: string[];
  err: string[];
  exception: string | null;
  /** No test of the unit ran and nothing failed: all of it is tagged external:skip (it starts its own servers). */
  external: boolean;
  seconds: number;
}

/** Runs one unit against a server on `port` and sorts its output into passed and failed tests. */
function runUnit(tree: string, basePort: number, unit: string, port: number | null, timeoutS: number): Promise<UnitResult> {
  const started = Date.now();
  // External mode: the server on `port`; internal mode (port null): the suite starts src/redis-server itself.
  const target = port === null ? [] : ['--host', '127.0.0.1', '--port', String(port), '--singledb'];
  return new Promise((resolve) => {
    const proc = spawn(
      'tclsh8.6',
      ['tests/test_helper.tcl', ...target, '--single', unit, '--clients', '1', '--timeout', '120', '--baseport', String(basePort)],
      { cwd: tree, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutS * 1000);
    proc.on('exit', () => {
      clearTimeout(timer);
      // eslint-disable-next-line no-control-regex
      const text = out.replace(/\x1b\[[0-9;]*m/g, '');
      const ok: string[] = [];
      const err: string[] = [];
      let exception: string | null = null;
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        let m = /^\[ok\]: (.*?)(?: \(\d+ ms\))?$/.exec(line);
        if (m) ok.push(m[1]);
        else if ((m = /^\[err\]: (.*)$/.exec(line))) err.push(`${m[1]} :: ${(lines[i + 1] ?? '').slice(0, 300)}`);
        else if ((m = /^\[exception\]: (.*)$/.exec(line)) && exception === null) exception = `${m[1]} :: ${lines.slice(i + 1, i + 12).join(' | ').slice(0, 600)}`;
      }
      if (proc.signalCode === 'SIGKILL') exception ??= `killed after ${timeoutS} s`;
      const external = ok.length === 0 && err.length === 0 && exception === null;
      // Failures print twice (as they happen and in the summary): count each once.
      resolve({ ok, err: [...new Set(err)], exception, external, seconds: (Date.now() - started) / 1000 });
    });
  });
}

async function runSide(side: 'ours' | 'stock', units: string[], timeoutS: number): Promise<Record<string, UnitResult>> {
  const results: Record<string, UnitResult> = {};
  // Each side gets its own copy of the tree: runtest keeps its scratch files in tests/tmp.
  const tree = path.join(tempDir(`redis-suite-${side}-`), 'redis');
  cpSync(src!, tree, { recursive: true, verbatimSymlinks: true, filter: (f) => !f.includes('/tests/tmp/') });
  if (values.internal && side === 'ours') {
    const wrapper = path.join(tree, 'src/redis-server');
    rmSync(wrapper, { force: true });
    writeFileSync(
      wrapper,
      [
        '#!/bin/sh',
        '# Redis\'s test suite starts "src/redis-server <config file> [args]": run ours instead.',
        'conf="$1"; shift',
        `exec ${process.execPath} --import ${path.join(ROOT, 'node_modules/tsx/dist/esm/index.mjs')} ${path.join(ROOT, 'server/main.ts')} "$conf" --http-port 0 "$@"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
  }
  for (const unit of units) {
    let server: ServerHandle | null = null;
    try {
      // Its own coordination port per side (runtest's default is shared and two runs can pick it at once).
      const basePort = side === 'ours' ? 21111 : 25111;
      if (values.internal) {
        results[unit] = await runUnit(tree, basePort, unit, null, timeoutS);
      } else {
        server = side === 'ours' ? await startOurServer(['--enable-debug-command', 'yes']) : await startRedisServer(['--enable-debug-command', 'yes']);
        results[unit] = await runUnit(tree, basePort, unit, server.port, timeoutS);
      }
    } catch (e) {
      results[unit] = { ok: [], err: [], exception: `server: ${(e as Error).message.split('\n')[0]}`, external: false, seconds: 0 };
    } finally {
      await server?.stop();
    }
    const r = results[unit];
    const note = r.external ? '  (external:skip)' : r.exception ? '  STOPPED' : '';
    console.log(`${side.padEnd(5)} ${unit.padEnd(40)} ok ${String(r.ok.length).padStart(4)}  err ${String(r.err.length).padStart(3)}${note}  (${r.seconds.toFixed(0)} s)`);
  }
  return results;
}

installCleanup();
const units = values.units ? values.units.split(',') : allUnits();
const sides = values.only ? [values.only as 'ours' | 'stock'] : (['ours', 'stock'] as const);
const timeoutS = Number(values['unit-timeout']);
const all = await Promise.all(sides.map((side) => runSide(side, units, timeoutS)));
const bySide = Object.fromEntries(sides.map((s, i) => [s, all[i]]));
if (values.json) writeFileSync(values.json, JSON.stringify(bySide, null, 1));

console.log(`\n| unit | ${sides.map((s) => `${s} ok / err`).join(' | ')} |\n| --- | ${sides.map(() => '---:').join(' | ')} |`);
const totals = sides.map(() => ({ ok: 0, err: 0, exceptions: 0 }));
for (const unit of units) {
  // Units that run no test in external mode on either side say nothing: leave them out of the table.
  if (sides.every((s) => bySide[s][unit].external)) continue;
  const cells = sides.map((s, i) => {
    const r = bySide[s][unit];
    totals[i].ok += r.ok.length;
    totals[i].err += r.err.length;
    if (r.exception) totals[i].exceptions++;
    return `${r.ok.length} / ${r.err.length}${r.exception ? ' (stopped)' : ''}`;
  });
  console.log(`| ${unit} | ${cells.join(' | ')} |`);
}
console.log(`| total | ${totals.map((t) => `${t.ok} / ${t.err}, ${t.exceptions} units stopped`).join(' | ')} |`);
for (const s of sides) {
  for (const unit of units) {
    const r = bySide[s][unit];
    for (const e of r.err) console.log(`${s} ${unit} FAILED ${e}`);
    if (r.exception) console.log(`${s} ${unit} STOPPED ${r.exception}`);
  }
}
