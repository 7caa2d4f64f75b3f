import { appendFileSync } from 'node:fs';

/** Log levels in increasing importance, as redis.conf's loglevel. */
const LEVELS = ['debug', 'verbose', 'notice', 'warning'] as const;
export type LogLevel = (typeof LEVELS)[number];

const MARKS: Record<LogLevel, string> = { debug: '.', verbose: '-', notice: '*', warning: '#' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Writes log lines in Redis's format (`pid:M 24 Nov 2026 15:50:01.123 * message`) to stdout or the logfile,
 * filtered by loglevel. The level and file are read on each call so CONFIG SET takes effect at once.
 */
export class Logger {
  role: 'M' | 'S' = 'M';

  constructor(
    private readonly settings: () => { level: string; file: string },
  ) {}

  log(level: LogLevel, message: string): void {
    const { level: min, file } = this.settings();
    if (min === 'nothing') return;
    if (LEVELS.indexOf(level) < LEVELS.indexOf(min as LogLevel)) return;
    const d = new Date();
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const stamp = `${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
    const line = `${process.pid}:${this.role} ${stamp} ${MARKS[level]} ${message}\n`;
    if (file) appendFileSync(file, line);
    else process.stdout.write(line);
  }
}
