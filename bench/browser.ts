import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BenchOptions } from './options.js';
import { ROOT, missingTools, runCommand } from './processes.js';
import type { Report, Row } from './report.js';

const SCRIPT = path.join(ROOT, 'bench/browser-apply.ts');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/esm/index.mjs');

/**
 * Turns the browser script's output into rows. Each stdout line that is a JSON object
 * `{"metric": string, "ours": number, "ref"?: number, "digits"?: number, "note"?: string}` is a row; failing
 * that, each `name: number ...` line is a row with our figure only (the rest of the line joins the name).
 */
export function parseBrowserFigures(stdout: string): Array<Omit<Row, 'part'>> {
  const rows: Array<Omit<Row, 'part'>> = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('{')) {
      try {
        const o = JSON.parse(line) as { metric?: unknown; ours?: unknown; ref?: unknown; digits?: unknown; note?: unknown };
        if (typeof o.metric === 'string') {
          rows.push({
            metric: o.metric,
            ours: typeof o.ours === 'number' ? o.ours : null,
            ref: typeof o.ref === 'number' ? o.ref : null,
            digits: typeof o.digits === 'number' ? o.digits : undefined,
            note: typeof o.note === 'string' ? o.note : undefined,
          });
        }
        continue;
      } catch {
        // not JSON after all: try the plain form
      }
    }
    const m = /^([^:|]+):\s*(-?[\d.,]+)\s*(.*)$/.exec(line);
    if (m) {
      const value = Number(m[2].replace(/,/g, ''));
      if (!Number.isFinite(value)) continue;
      const unit = m[3].trim();
      rows.push({ metric: unit ? `${m[1].trim()} (${unit})` : m[1].trim(), ours: value, ref: null, digits: Number.isInteger(value) ? 0 : 2 });
    }
  }
  return rows;
}

/**
 * Part 5: the browser figures (apply rate, cold start, SDK size) come from bench/browser-apply.ts, written
 * separately; this runs it in its own process with a time limit (BENCH_QUICK=1 under --quick) and takes its
 * printed figures into the table. Until that script exists the table says "pending".
 */
export async function runBrowser(opts: BenchOptions, report: Report): Promise<void> {
  const part = 'browser';
  if (!existsSync(SCRIPT)) {
    process.stderr.write('  browser: pending\n');
    report.add({ part, metric: 'browser: pending (bench/browser-apply.ts not written yet)', ours: null, ref: null });
    return;
  }
  const missing = missingTools(['chromium']);
  if (missing) return report.skip(part, missing);
  const limitS = opts.quick ? 120 : 300;
  const r = await runCommand(process.execPath, ['--import', TSX, SCRIPT], limitS * 1000, {
    cwd: ROOT,
    env: { ...process.env, BENCH_QUICK: opts.quick ? '1' : '' },
  });
  process.stderr.write(r.stdout.replace(/^/gm, '  browser> '));
  const rows = parseBrowserFigures(r.stdout);
  for (const row of rows) report.add({ part, ...row });
  if (r.timedOut || r.code !== 0 || rows.length === 0) {
    const why = r.timedOut ? `stopped after ${limitS} s` : r.code !== 0 ? `exited ${r.code}` : 'printed no figures';
    report.skip(part, `bench/browser-apply.ts ${why}: ${r.stderr.trim().split('\n').slice(-3).join(' / ').slice(0, 300)}`);
  }
}
