import { binaryToUtf8, utf8ToBinary } from '../shared/bytes.js';
import {
  BoolReply,
  DoubleReply,
  ErrorReply,
  MapReply,
  NullArray,
  PushReply,
  SetReply,
  SimpleString,
  VerbatimReply,
  type Reply,
} from '../shared/resp/reply.js';

/** An error reply from Redis (local or from the master), e.g. `WRONGTYPE Operation against a key ...`. */
export class ReplyError extends Error {
  override name = 'ReplyError';
  constructor(message: string) {
    super(message);
  }
}

/** A reply as plain JS: strings, numbers, bigints, booleans, null and arrays of them. */
export type JsReply = string | number | bigint | boolean | null | JsReply[];

/**
 * Converts a reply to plain JS. Redis strings are bytes: by default they are decoded as UTF-8 (invalid
 * sequences become U+FFFD); with `binary` they stay binary strings (one char per byte, see shared/bytes.ts).
 * Error replies throw ReplyError.
 */
export function toJs(r: Reply, binary = false): JsReply {
  if (typeof r === 'string') return binary ? r : binaryToUtf8(r);
  if (r === null || typeof r === 'number' || typeof r === 'bigint') return r;
  if (Array.isArray(r)) return r.map((x) => toJs(x, binary));
  if (r instanceof SimpleString) return r.value;
  if (r instanceof ErrorReply) throw new ReplyError(r.message);
  if (r instanceof DoubleReply) return r.value;
  if (r instanceof BoolReply) return r.value;
  if (r instanceof NullArray) return null;
  if (r instanceof VerbatimReply) return binary ? r.text : binaryToUtf8(r.text);
  if (r instanceof MapReply) return r.entries.flatMap(([k, v]) => [toJs(k, binary), toJs(v, binary)]);
  if (r instanceof SetReply || r instanceof PushReply) return r.items.map((x) => toJs(x, binary));
  throw new Error('unexpected reply type');
}

/** Converts API arguments (ordinary text, numbers) to the binary strings commands take. */
export function toArgs(args: ReadonlyArray<string | number | bigint>): string[] {
  return args.map((a) => (typeof a === 'string' ? utf8ToBinary(a) : String(a)));
}
