import { utf8ToBinary } from '../shared/bytes.js';
import { encodeCommand } from '../shared/resp/encoder.js';
import { ErrorReply, type Reply } from '../shared/resp/reply.js';
import { ReplyParser } from '../shared/resp/reply-parser.js';
import { replyToJson, type JsonReply } from './reply-json.js';

/** A connection-like session in the store for one HTTP request. */
export interface CommandSession {
  /** Feeds bytes; resolves with the output they produced (waiting while a command is blocked). */
  run(bytes: Uint8Array): Promise<Uint8Array>;
  /** The server closed the session (QUIT, protocol error). */
  readonly closed: boolean;
  /** Ends the session. */
  end(): void;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };
const RESP_HEADERS = { 'content-type': 'application/octet-stream' };

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
}

function isAuthError(message: string): boolean {
  return message.startsWith('NOAUTH') || message.startsWith('WRONGPASS');
}

/** The bearer token of an `Authorization: Bearer <secret>` header, if any. */
function bearer(request: Request): string | null {
  const h = request.headers.get('authorization');
  const m = h ? /^Bearer\s+(.+)$/i.exec(h.trim()) : null;
  return m ? m[1] : null;
}

/** Checks a JSON command: a non-empty array of strings and numbers. */
function toArgv(value: unknown): string[] | string {
  if (!Array.isArray(value) || value.length === 0) return 'a command is a non-empty JSON array of strings';
  const argv: string[] = [];
  for (const a of value) {
    if (typeof a === 'string') argv.push(utf8ToBinary(a));
    else if (typeof a === 'number' && Number.isFinite(a)) argv.push(String(a));
    else return 'command arguments must be strings or numbers';
  }
  return argv;
}

function decode(output: Uint8Array): Reply[] {
  const parser = new ReplyParser();
  parser.push(output);
  const replies: Reply[] = [];
  for (let r = parser.next(); r !== undefined; r = parser.next()) replies.push(r);
  return replies;
}

/** One command's replies as JSON: its single reply, or all of them (SUBSCRIBE answers once per channel). */
function resultOf(replies: Reply[]): { result: JsonReply } | { error: string } {
  if (replies.length === 1 && replies[0] instanceof ErrorReply) return { error: replies[0].message };
  return { result: replies.length === 1 ? replyToJson(replies[0]) : replies.map(replyToJson) };
}

/**
 * Runs the commands of an HTTP POST (server-side callers that do not hold a WebSocket):
 *
 * - `Content-Type: application/json`, body `["SET","k","v"]`: one command; answers `{"result": ...}`, or
 *   `{"error": "..."}` with status 400 (401 for NOAUTH/WRONGPASS).
 * - the same on `.../pipeline` with a body of several commands, `[["SET","k","v"],["GET","k"]]`: answers an
 *   array of those objects, in order, with status 200.
 * - any other content type: the body is RESP (any number of commands, binary safe) and the answer is the RESP
 *   the connection would have received.
 *
 * `Authorization: Bearer <secret>` authenticates the session first, exactly like sending AUTH.
 */
export async function runHttpCommands(request: Request, pipeline: boolean, open: () => CommandSession): Promise<Response> {
  const isJson = (request.headers.get('content-type') ?? '').toLowerCase().includes('application/json');
  const body = new Uint8Array(await request.arrayBuffer());
  const commands: string[][] = [];
  if (isJson) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(body));
    } catch (e) {
      return json({ error: `ERR invalid JSON body: ${(e as Error).message}` }, 400);
    }
    const list = pipeline ? parsed : [parsed];
    if (!Array.isArray(list) || list.length === 0) return json({ error: 'ERR a pipeline is a non-empty JSON array of commands' }, 400);
    for (const item of list) {
      const argv = toArgv(item);
      if (typeof argv === 'string') return json({ error: `ERR ${argv}` }, 400);
      commands.push(argv);
    }
  }

  const session = open();
  try {
    const token = bearer(request);
    if (token !== null) {
      const authOutput = await session.run(encodeCommand(['AUTH', utf8ToBinary(token)]));
      const [reply] = decode(authOutput);
      if (reply instanceof ErrorReply) {
        return isJson ? json({ error: reply.message }, 401) : new Response(authOutput, { status: 401, headers: RESP_HEADERS });
      }
    }
    if (!isJson) return new Response(await session.run(body), { status: 200, headers: RESP_HEADERS });

    const results: Array<{ result: JsonReply } | { error: string }> = [];
    for (const argv of commands) {
      if (session.closed) {
        results.push({ error: 'ERR the connection was closed by an earlier command' });
        continue;
      }
      results.push(resultOf(decode(await session.run(encodeCommand(argv)))));
    }
    if (pipeline) return json(results);
    const only = results[0];
    return json(only, 'error' in only ? (isAuthError(only.error) ? 401 : 400) : 200);
  } finally {
    session.end();
  }
}
