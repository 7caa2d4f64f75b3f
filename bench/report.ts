import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** One line of the results table: our figure, the reference's (redis-server or the bare ws ceiling), and why. */
export interface Row {
  part: string;
  metric: string;
  ours: number | null;
  /** redis-server's figure, or the bare ws broadcaster's (the ceiling) in the fan-out part. */
  ref: number | null;
  /** Decimal places when printing ours/ref. */
  digits?: number;
  /** A caveat shown under the table (skips, timeouts, partial data). */
  note?: string;
}

/**
 * Collects rows as parts finish and prints them: progress lines on stderr while running, then the final markdown
 * table with the machine it ran on on stdout.
 */
export class Report {
  readonly rows: Row[] = [];

  add(row: Row): void {
    this.rows.push(row);
    const ratio = formatRatio(row.ours, row.ref);
    process.stderr.write(
      `  ${row.part} | ${row.metric}: ours ${formatValue(row.ours, row.digits)}, ref ${formatValue(row.ref, row.digits)}${ratio ? `, ${ratio}` : ''}${row.note ? ` (${row.note})` : ''}\n`,
    );
  }

  /** A part that could not run at all. */
  skip(part: string, why: string): void {
    this.add({ part, metric: '—', ours: null, ref: null, note: why });
  }

  /** The markdown table, machine facts first, notes after. */
  render(command: string, machine: MachineInfo): string {
    const lines: string[] = [];
    lines.push(`Benchmark run ${machine.date}: \`${command}\``);
    lines.push('');
    lines.push(
      `Machine: ${machine.nproc} CPUs (nproc), ${machine.cpuModel}; Node ${machine.node}; redis-server ${machine.redis}.`,
    );
    lines.push('');
    lines.push('| part | metric | ours | redis / ceiling | ratio |');
    lines.push('| --- | --- | ---: | ---: | ---: |');
    const notes: string[] = [];
    for (const r of this.rows) {
      let metric = r.metric;
      if (r.note) {
        notes.push(r.note);
        metric += ` [${notes.length}]`;
      }
      lines.push(`| ${r.part} | ${metric} | ${formatValue(r.ours, r.digits)} | ${formatValue(r.ref, r.digits)} | ${formatRatio(r.ours, r.ref) || '—'} |`);
    }
    lines.push('');
    lines.push(
      'ratio = ours / reference (redis-server 7, or for fan-out a bare `ws` server relaying the same bytes to the same sockets). ' +
        'For rates, higher is better; for seconds, lag, bytes and memory, lower is better.',
    );
    if (notes.length) {
      lines.push('');
      notes.forEach((n, i) => lines.push(`[${i + 1}] ${n}`));
    }
    return lines.join('\n');
  }
}

/** Where the numbers came from. */
export interface MachineInfo {
  date: string;
  nproc: string;
  cpuModel: string;
  node: string;
  redis: string;
}

/** Date, CPU count and model, Node and redis-server versions. */
export function machineInfo(): MachineInfo {
  let nproc = String(availableParallelism());
  try {
    nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    // keep availableParallelism
  }
  let cpuModel = 'unknown CPU';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    // not Linux
  }
  let redis = 'not installed';
  try {
    const v = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
    redis = /v=(\S+)/.exec(v)?.[1] ?? v.trim();
  } catch {
    // missing: each part says so
  }
  return { date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), nproc, cpuModel, node: process.version, redis };
}

function formatValue(v: number | null, digits = 0): string {
  if (v === null || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatRatio(ours: number | null, ref: number | null): string {
  if (ours === null || ref === null || !Number.isFinite(ours) || !Number.isFinite(ref) || ref === 0) return '';
  const r = ours / ref;
  return `${r.toFixed(r < 0.1 ? 3 : 2)}x`;
}
