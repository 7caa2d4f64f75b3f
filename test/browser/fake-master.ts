import { createServer, type Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { binaryToBytes } from '../../shared/bytes.js';
import { writeRdb } from '../../shared/rdb/rdb-writer.js';
import { encodeCommand } from '../../shared/resp/encoder.js';
import { RequestParser } from '../../shared/resp/request-parser.js';
import { Database } from '../../shared/store/database.js';

/** One replica connection to the fake master, in its stream phase. */
export interface FakeReplicaConn {
  /** The PSYNC arguments the replica sent. */
  psync: { replid: string; offset: number };
  send(data: Uint8Array | string): void;
  /** Resolves at the replica's next REPLCONF ACK (sent after it loaded a snapshot). */
  nextAck(): Promise<number>;
  close(): void;
}

/** What the fake master does with one PSYNC. */
export type PsyncScript = (conn: FakeReplicaConn) => void | Promise<void>;

/**
 * A scripted master speaking the replication protocol over WebSocket, for feeding a replica input no correct
 * master sends. It answers PING and REPLCONF like a master; each PSYNC runs the next queued script (a PSYNC
 * arriving with none queued waits for one).
 */
export class FakeMaster {
  private readonly scripts: PsyncScript[] = [];
  private readonly waiting: FakeReplicaConn[] = [];
  /** Every PSYNC received, in order. */
  readonly psyncs: Array<{ replid: string; offset: number }> = [];

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeMaster> {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const port = (http.address() as { port: number }).port;
    const fake = new FakeMaster(http, wss, `ws://127.0.0.1:${port}/`);
    wss.on('connection', (ws) => fake.accept(ws));
    return fake;
  }

  /** Queues the script for the next PSYNC (or runs it now for a PSYNC already waiting). */
  next(script: PsyncScript): void {
    const conn = this.waiting.shift();
    if (conn) void script(conn);
    else this.scripts.push(script);
  }

  private accept(ws: WebSocket): void {
    const parser = new RequestParser();
    const ackWaiters: Array<(n: number) => void> = [];
    let conn: FakeReplicaConn | null = null;
    const send = (data: Uint8Array | string) => {
      if (ws.readyState === ws.OPEN) ws.send(typeof data === 'string' ? binaryToBytes(data) : data);
    };
    ws.on('message', (data: Buffer) => {
      parser.push(new Uint8Array(data));
      for (let argv = parser.next(); argv; argv = parser.next()) {
        const name = argv[0].toUpperCase();
        if (name === 'PING') send('+PONG\r\n');
        else if (name === 'REPLCONF' && argv[1]?.toUpperCase() === 'ACK') ackWaiters.shift()?.(Number(argv[2]));
        else if (name === 'REPLCONF') send('+OK\r\n');
        else if (name === 'PSYNC') {
          const psync = { replid: argv[1], offset: Number(argv[2]) };
          this.psyncs.push(psync);
          conn = {
            psync,
            send,
            nextAck: () => new Promise((resolve) => ackWaiters.push(resolve)),
            close: () => ws.close(),
          };
          const script = this.scripts.shift();
          if (script) void script(conn);
          else this.waiting.push(conn);
        }
      }
    });
    ws.on('close', () => {
      const i = conn ? this.waiting.indexOf(conn) : -1;
      if (i >= 0) this.waiting.splice(i, 1);
    });
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
    await new Promise<void>((r) => this.http.close(() => r()));
  }
}

/** An RDB file (one chunk list joined) holding string keys in db 0. */
export function rdbOf(keys: Record<string, string>, replId: string, replOffset: number): Uint8Array {
  const db = new Database(0);
  for (const [k, v] of Object.entries(keys)) db.dict.set(k, v);
  const chunks = [...writeRdb({ dbs: [db], now: Date.now(), replId, replOffset })];
  return Buffer.concat(chunks);
}

/** The bytes of a full sync's transfer: `$EOF:<mark>\r\n`, the RDB, the mark. */
export function eofTransfer(rdb: Uint8Array): Uint8Array {
  const mark = 'f'.repeat(40);
  return Buffer.concat([Buffer.from(`$EOF:${mark}\r\n`), rdb, Buffer.from(mark)]);
}

/** A command as stream bytes. */
export function cmd(...argv: string[]): Uint8Array {
  return encodeCommand(argv);
}
