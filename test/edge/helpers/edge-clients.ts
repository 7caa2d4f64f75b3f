import { ErrorReply, SimpleString } from '../../../shared/resp/reply.js';
import { info } from '../../helpers/dataset.js';
import { RespConnection } from '../../helpers/resp-connection.js';
import { startServer, waitFor, type ServerProcess } from '../../helpers/server-process.js';
import type { EdgeProcess } from './edge-process.js';

/** A RESP connection over WebSocket to a store, authenticated. */
export async function edgeClient(edge: EdgeProcess, store: string): Promise<RespConnection> {
  const c = await RespConnection.websocket(edge.wsUrl(store));
  const r = await c.call('AUTH', edge.secret);
  if (!(r instanceof SimpleString)) throw new Error(`AUTH failed: ${JSON.stringify(r)}`);
  return c;
}

/** POSTs JSON to a store (a command, or with `pipeline` a list of commands) and returns status and body. */
export async function postJson(
  edge: EdgeProcess,
  store: string,
  body: unknown,
  opts: { pipeline?: boolean; auth?: string | null } = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const auth = opts.auth === undefined ? edge.secret : opts.auth;
  if (auth !== null) headers.authorization = `Bearer ${auth}`;
  const res = await fetch(edge.httpUrl(store) + (opts.pipeline ? '/pipeline' : ''), {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Starts a Node replica (our server) of a store, over WebSocket, authenticating with the store's secret. */
export function startEdgeReplica(url: string, secret: string, extra: string[] = []): Promise<ServerProcess> {
  return startServer(['--replicaof', url, '--masterauth', secret, ...extra]);
}

/** INFO as a field map, throwing on an error reply. */
export async function infoOf(c: RespConnection, section = 'replication'): Promise<Record<string, string>> {
  return info(c, section);
}

/** Waits until the replica's link is up and it applied exactly the master's offset. */
export async function converged(master: RespConnection, replica: RespConnection, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => {
      const m = await info(master);
      const r = await info(replica);
      return r.master_link_status === 'up' && r.slave_repl_offset === m.master_repl_offset;
    },
    timeoutMs,
    'the replica to catch up with the edge',
  );
}

/** Sends a command and fails the test on an error reply. */
export async function must(c: RespConnection, ...argv: Array<string | number>): Promise<unknown> {
  const r = await c.call(...argv);
  if (r instanceof ErrorReply) throw new Error(`${argv.join(' ')}: ${r.message}`);
  return r;
}

/** How many times `re` occurs in `text`. */
export function count(text: string, re: RegExp): number {
  return (text.match(new RegExp(re.source, 'g')) ?? []).length;
}
