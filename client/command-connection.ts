import { encodeCommand } from '../shared/resp/encoder.js';
import { ErrorReply, type Reply } from '../shared/resp/reply.js';
import { ReplyParser } from '../shared/resp/reply-parser.js';

interface Pending {
  count: number;
  replies: Reply[];
  resolve: (r: Reply[]) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * An ordinary client connection to the master over WebSocket, separate from the replication link: writes
 * and the ROLE polls that measure lag. Opened on first use and again after it drops; commands are pipelined,
 * replies matched in order.
 */
export class CommandConnection {
  private ws: WebSocket | null = null;
  private opening: Promise<WebSocket> | null = null;
  private parser = new ReplyParser();
  private readonly pending: Pending[] = [];
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly auth: { username?: string; password: string } | null,
    private readonly timeoutMs: number,
  ) {}

  /** Sends commands in one pipeline and resolves with their replies (error replies included, not thrown). */
  async send(commands: string[][]): Promise<Reply[]> {
    const ws = await this.open();
    return new Promise<Reply[]>((resolve, reject) => {
      const timer = setTimeout(() => this.drop(new Error(`the master did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.pending.push({ count: commands.length, replies: [], resolve, reject, timer });
      const parts = commands.map((c) => encodeCommand(c));
      let total = 0;
      for (const p of parts) total += p.length;
      const out = new Uint8Array(total);
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      ws.send(out);
    });
  }

  private open(): Promise<WebSocket> {
    if (this.closed) return Promise.reject(new Error('the replica is closed'));
    if (this.ws && this.ws.readyState === WebSocket.OPEN) return Promise.resolve(this.ws);
    if (this.opening) return this.opening;
    this.opening = new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(this.url);
      ws.binaryType = 'arraybuffer';
      this.parser = new ReplyParser();
      let settled = false;
      const ready = () => {
        settled = true;
        this.ws = ws;
        this.opening = null;
        resolve(ws);
      };
      const failed = (e: Error) => {
        if (settled) return;
        settled = true;
        this.opening = null;
        reject(e);
      };
      ws.onopen = () => {
        if (!this.auth) return ready();
        // AUTH goes first and alone: nothing else may be sent before it is accepted.
        const argv = this.auth.username ? ['AUTH', this.auth.username, this.auth.password] : ['AUTH', this.auth.password];
        const timer = setTimeout(() => ws.close(), this.timeoutMs);
        this.pending.push({
          count: 1,
          replies: [],
          resolve: ([r]) => {
            if (!(r instanceof ErrorReply)) return ready();
            failed(new Error(`AUTH failed: ${r.message}`));
            ws.close();
          },
          reject: failed,
          timer,
        });
        ws.send(encodeCommand(argv) as Uint8Array<ArrayBuffer>);
      };
      ws.onmessage = (e: MessageEvent) => {
        if (e.data instanceof ArrayBuffer) this.onData(new Uint8Array(e.data));
      };
      ws.onclose = () => {
        if (this.ws === ws) this.ws = null;
        failed(new Error(`cannot connect to the master at ${this.url}`));
        this.failAll(new Error('connection to the master lost'));
      };
      ws.onerror = () => {};
    });
    return this.opening;
  }

  private onData(bytes: Uint8Array): void {
    this.parser.push(bytes);
    for (;;) {
      let r: Reply | undefined;
      try {
        r = this.parser.next();
      } catch (e) {
        this.drop(e as Error);
        return;
      }
      if (r === undefined) return;
      const head = this.pending[0];
      if (!head) continue;
      head.replies.push(r);
      if (head.replies.length === head.count) {
        this.pending.shift();
        clearTimeout(head.timer);
        head.resolve(head.replies);
      }
    }
  }

  private failAll(e: Error): void {
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(e);
    }
  }

  /** Closes the socket and fails what is in flight (a reply could otherwise be matched to the wrong command). */
  private drop(e: Error): void {
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    this.failAll(e);
  }

  close(): void {
    this.closed = true;
    this.drop(new Error('the replica is closed'));
  }
}
