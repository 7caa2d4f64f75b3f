import type { Reply } from '../../shared/resp/reply.js';
import { RespConnection } from './resp-connection.js';

const MARKER = 'keyspace-events-test-marker';

/** What a script produced on one server: each command's reply and every keyspace event, in order. */
export interface ScriptRun {
  replies: Reply[];
  /** "channel message" per event (`__keyspace@0__:k set`, `__keyevent@0__:set k`). */
  events: string[];
}

/**
 * Runs `script` on the server at `port` with `notify-keyspace-events` set to `flags` (after FLUSHALL), and
 * collects every keyspace event a subscriber receives, in order. The same script on our server and on a stock
 * redis-server must give the same events: that is the differential test of our notifications.
 */
export async function runWithKeyspaceEvents(port: number, flags: string, script: Array<Array<string | number>>): Promise<ScriptRun> {
  const admin = await RespConnection.tcp(port);
  const sub = await RespConnection.tcp(port);
  try {
    await admin.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    await admin.call('FLUSHALL');
    await sub.call('PSUBSCRIBE', '__key*__:*');
    await sub.call('SUBSCRIBE', MARKER);
    await admin.call('CONFIG', 'SET', 'notify-keyspace-events', flags);
    const replies: Reply[] = [];
    for (const argv of script) replies.push(await admin.call(...argv));
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
