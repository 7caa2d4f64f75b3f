import { connect, type Socket } from 'node:net';
import { nowUs } from './clock.js';

/** The RESP bytes of `SET key value` (ASCII key and value). */
export function setCommand(key: string, value: string): string {
  return `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`;
}

/**
 * A raw TCP client that pipelines commands without decoding replies: it only counts them, by their final
 * newline. That is exact for the single-line replies of the writes used here (+OK, :n, -ERR) and keeps the
 * client far cheaper than the servers it drives.
 */
export class PipelinedWriter {
  /** Commands written so far. */
  sent = 0;
  /** Replies received so far. */
  replies = 0;
  /** When the last reply arrived (nowUs). */
  lastReplyUs = 0;
  /** Whether the reply stream contained an error (a '-' line start was seen). */
  sawError = false;
  private waiters: Array<() => void> = [];
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      let n = 0;
      let i = d.indexOf(10);
      while (i !== -1) {
        n++;
        if (d[i + 1] === 45) this.sawError = true;
        i = d.indexOf(10, i + 1);
      }
      if (d[0] === 45) this.sawError = true;
      if (n > 0) {
        this.replies += n;
        this.lastReplyUs = nowUs();
        this.wake();
      }
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  /** Connects to 127.0.0.1:port. */
  static connect(port: number): Promise<PipelinedWriter> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, noDelay: true }, () => {
        s.off('error', reject);
        resolve(new PipelinedWriter(s));
      });
      s.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Writes `commands` already-encoded commands in one go. */
  write(bytes: string | Buffer, commands: number): void {
    this.sent += commands;
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Resolves once `n` replies in total have arrived; false on the time limit or a closed connection. */
  async waitReplies(n: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies < n) {
      if (this.closed || Date.now() > deadline) return false;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return true;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Sends `count` commands made by `make(i)` with at most `window` awaiting replies, in batches of `batch`;
 * resolves with the elapsed seconds, or throws if the server stops answering for `stallMs`.
 */
export async function pipeline(
  w: PipelinedWriter,
  count: number,
  make: (i: number) => string,
  opts: { window?: number; batch?: number; stallMs?: number } = {},
): Promise<number> {
  const window = opts.window ?? 20_000;
  const batch = opts.batch ?? 1000;
  const stallMs = opts.stallMs ?? 60_000;
  const base = w.sent;
  const t0 = nowUs();
  let i = 0;
  while (i < count) {
    if (w.sent - w.replies + batch > window) {
      if (!(await w.waitReplies(w.sent - window + batch, stallMs))) throw new Error(`no replies for ${stallMs / 1000} s`);
      continue;
    }
    const n = Math.min(batch, count - i);
    let s = '';
    for (let j = 0; j < n; j++) s += make(i + j);
    w.write(s, n);
    i += n;
  }
  if (!(await w.waitReplies(base + count, stallMs))) throw new Error(`no replies for ${stallMs / 1000} s`);
  return (nowUs() - t0) / 1e6;
}
