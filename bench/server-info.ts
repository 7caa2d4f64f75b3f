import { RespConnection } from '../test/helpers/resp-connection.js';
import { ErrorReply } from '../shared/resp/reply.js';

/**
 * A control connection to a server under measurement: INFO fields and plain commands. Kept apart from the
 * connections that generate load so that polling never queues behind benchmark traffic on the same socket.
 */
export class ServerControl {
  private constructor(private readonly conn: RespConnection) {}

  static async connect(port: number): Promise<ServerControl> {
    return new ServerControl(await RespConnection.tcp(port));
  }

  /** Sends a command and returns its reply; an error reply throws. */
  async call(...argv: Array<string | number>): Promise<unknown> {
    this.conn.send(...argv);
    const r = await this.conn.next(60_000);
    if (r instanceof ErrorReply) throw new Error(`${argv.join(' ')}: ${r.message}`);
    return r;
  }

  /** The `name:value` fields of INFO for the given sections. */
  async info(...sections: string[]): Promise<Record<string, string>> {
    const text = String(await this.call('INFO', ...sections));
    const out: Record<string, string> = {};
    for (const line of text.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
    }
    return out;
  }

  /** One numeric INFO field (NaN when absent). */
  async infoNumber(section: string, field: string): Promise<number> {
    return Number((await this.info(section))[field]);
  }

  close(): void {
    this.conn.close();
  }
}

/** Polls `check` every `intervalMs` until it returns true; false when `timeoutMs` passes first. */
export async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
