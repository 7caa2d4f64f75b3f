import { encodeCommand } from '../../shared/resp/encoder.js';
import type { Reply } from '../../shared/resp/reply.js';
import { RespConnection } from './resp-connection.js';

const MARKER = 'keyspace-events-test-marker';

/** One command of a script. */
export type Cmd = Array<string | number>;

/** What a script produced on one server: each command's reply and every keyspace event, in order. */
export interface ScriptRun {
  replies: Reply[];
  /** "channel message" per event (`__keyspace@0__:k set`, `__keyevent@0__:set k`). */
  events: string[];
}

/**
 * Runs `body` on a fresh connection to the server at `port` with `notify-keyspace-events` set to `flags` (after
 * FLUSHALL), and collects every keyspace event a subscriber receives meanwhile, in order. `body` drives the
 * connection itself (one command at a time, a pipeline, other connections) and returns the replies to compare.
 */
export async function withKeyspaceEvents(port: number, flags: string, body: (c: RespConnection) => Promise<Reply[]>): Promise<ScriptRun> {
  const admin = await RespConnection.tcp(port);
  const sub = await RespConnection.tcp(port);
  try {
    await admin.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    await admin.call('FLUSHALL');
    await sub.call('PSUBSCRIBE', '__key*__:*');
    await sub.call('SUBSCRIBE', MARKER);
    await admin.call('CONFIG', 'SET', 'notify-keyspace-events', flags);
    const replies = await body(admin);
    await admin.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    await admin.call('PUBLISH', MARKER, 'end');
    const events: string[] = [];
    for (;;) {
      const m = (await sub.next()) as Reply[];
      if (m[0] === 'message' && m[1] === MARKER) break;
      if (m[0] === 'pmessage') events.push(`${String(m[2])} ${String(m[3])}`);
    }
    return { replies, events };
  } finally {
    admin.close();
    sub.close();
  }
}

/**
 * Runs `script` one command at a time and collects its keyspace events (see withKeyspaceEvents). The same
 * script on our server and on a stock redis-server must give the same events: the differential test of our
 * notifications.
 */
export function runWithKeyspaceEvents(port: number, flags: string, script: Cmd[]): Promise<ScriptRun> {
  return withKeyspaceEvents(port, flags, async (c) => {
    const replies: Reply[] = [];
    for (const argv of script) replies.push(await c.call(...argv));
    return replies;
  });
}

/** Sends the commands in one write, so the server runs them back to back (nothing, not even active expiry, runs in between), and reads their replies. */
export async function pipeline(c: RespConnection, cmds: Cmd[]): Promise<Reply[]> {
  const parts = cmds.map((argv) => encodeCommand(argv.map(String)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  c.sendRaw(out);
  const replies: Reply[] = [];
  for (let i = 0; i < cmds.length; i++) replies.push(await c.next());
  return replies;
}
