import { connect, type Socket } from 'node:net';

/**
 * A raw replication stream, attached the way Redis's own test suite does it (`attach_to_replication_stream`):
 * `repl-ping-replica-period` raised so no heartbeat interferes, then `SYNC`, the snapshot skipped, and every
 * command the master propagates afterwards readable one at a time.
 */
export interface ReplicationStream {
  /** The next propagated command, or null if none arrives within `timeoutMs`. */
  next(timeoutMs?: number): Promise<string[] | null>;
  close(): void;
}

/**
 * Attaches to the master on `port` as Redis's test helper does. The caller must already have set
 * `repl-ping-replica-period` (the helper does `CONFIG SET repl-ping-replica-period 3600` first).
 */
export async function attachToReplicationStream(port: number): Promise<ReplicationStream> {
  const socket: Socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  let buf = Buffer.alloc(0);
  let wake: (() => void) | null = null;
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    wake?.();
  });
  socket.on('error', () => {});
  const more = (deadline: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        wake = null;
        resolve(false);
      }, Math.max(0, deadline - Date.now()));
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve(true);
      };
    });
  /** A CRLF-terminated line from the buffer, or null until one is complete. */
  const line = (): string | null => {
    const end = buf.indexOf('\r\n');
    if (end < 0) return null;
    const text = buf.subarray(0, end).toString('latin1');
    buf = buf.subarray(end + 2);
    return text;
  };
  socket.write('SYNC\r\n');
  // The snapshot: newlines before it are keepalives, then $<count> and the payload (no trailing CRLF).
  const deadline = Date.now() + 10_000;
  let count = -1;
  while (count < 0) {
    while (buf.length > 0 && buf[0] === 0x0a) buf = buf.subarray(1);
    const header = buf.indexOf('\r\n') >= 0 ? line() : null;
    if (header !== null) {
      if (!header.startsWith('$')) throw new Error(`expected the snapshot's length, got ${JSON.stringify(header)}`);
      count = Number(header.slice(1));
    } else if (!(await more(deadline))) throw new Error('no snapshot from SYNC');
  }
  while (buf.length < count) if (!(await more(deadline))) throw new Error('snapshot cut short');
  buf = buf.subarray(count);

  /** One RESP array of bulk strings, if the buffer holds a whole one. */
  const parseCommand = (): string[] | null => {
    let pos = 0;
    const readLine = (): string | null => {
      const end = buf.indexOf('\r\n', pos);
      if (end < 0) return null;
      const text = buf.subarray(pos, end).toString('latin1');
      pos = end + 2;
      return text;
    };
    const head = readLine();
    if (head === null) return null;
    if (!head.startsWith('*')) throw new Error(`expected a command in the stream, got ${JSON.stringify(head)}`);
    const argv: string[] = [];
    for (let i = 0; i < Number(head.slice(1)); i++) {
      const len = readLine();
      if (len === null) return null;
      const n = Number(len.slice(1));
      if (buf.length < pos + n + 2) return null;
      argv.push(buf.subarray(pos, pos + n).toString('latin1'));
      pos += n + 2;
    }
    buf = buf.subarray(pos);
    return argv;
  };
  return {
    async next(timeoutMs = 1000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const argv = parseCommand();
        if (argv) return argv;
        if (!(await more(until))) return null;
      }
    },
    close: () => void socket.destroy(),
  };
}
