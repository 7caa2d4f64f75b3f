/**
 * The browser replica SDK: a Redis replica in the page, kept in IndexedDB, shared by the tabs of an origin.
 *
 * ```ts
 * const r = await openReplica({ url: 'ws://127.0.0.1:7379/', name: 'app' });
 * r.get('greeting');                        // local read, works offline
 * const off = r.subscribe('user:*', (key) => render(key));
 * await r.command(['SET', 'greeting', 'hi']); // write on the master; visible here once it resolves
 * r.onStatus((s) => console.log(s.link, s.lagBytes));
 * await r.close();
 * ```
 *
 * Strings: Redis values are bytes. The typed reads return text decoded from UTF-8 and encode arguments to
 * UTF-8; `call(args, { binary: true })` and `command(args, { binary: true })` return raw binary strings (one
 * char per byte, see shared/bytes.ts), and `utf8ToBinary` / `binaryToUtf8` convert.
 */
import { Replica, type ReplicaOptions } from './replica.js';

export { Replica, type ReplicaOptions, type ReplicaStatus, type ZRangeOptions } from './replica.js';
export { ReplyError, type JsReply } from './reply-convert.js';
export type { LinkStatus } from './replica-engine.js';
export { binaryToUtf8, utf8ToBinary } from '../shared/bytes.js';

/**
 * Opens the replica `name` of the master at `url`. Resolves as soon as the dataset stored in IndexedDB is
 * loaded (before any network), so reads work offline; then the replica connects (or follows the tab that
 * holds the connection) and resumes with a partial resync when the master still has the missed stream.
 */
export async function openReplica(opts: ReplicaOptions): Promise<Replica> {
  const r = new Replica(opts);
  await r.start();
  return r;
}
