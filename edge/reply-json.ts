import { binaryToUtf8 } from '../shared/bytes.js';
import {
  BoolReply,
  DoubleReply,
  ErrorReply,
  MapReply,
  NullArray,
  PushReply,
  RawReply,
  SetReply,
  SimpleString,
  VerbatimReply,
  type Reply,
} from '../shared/resp/reply.js';

/** A reply as JSON: errors become `{ "error": text }` wherever they appear (EXEC results can hold them). */
export type JsonReply = null | boolean | number | string | JsonReply[] | { error: string } | { [key: string]: JsonReply };

/**
 * Converts a decoded reply to JSON for HTTP callers. Strings are decoded as UTF-8 (bytes that are not valid
 * UTF-8 become U+FFFD: binary values need the raw RESP form of the endpoint); integers outside the safe range
 * and non-finite doubles become strings, as JSON has no such numbers.
 */
export function replyToJson(r: Reply): JsonReply {
  if (r === null || r instanceof NullArray) return null;
  if (typeof r === 'string') return binaryToUtf8(r);
  if (typeof r === 'number') return r;
  if (typeof r === 'bigint') return Number.isSafeInteger(Number(r)) ? Number(r) : r.toString();
  if (Array.isArray(r)) return r.map(replyToJson);
  if (r instanceof SimpleString) return r.value;
  if (r instanceof ErrorReply) return { error: r.message };
  if (r instanceof DoubleReply) return Number.isFinite(r.value) ? r.value : r.value > 0 ? 'inf' : r.value < 0 ? '-inf' : 'nan';
  if (r instanceof BoolReply) return r.value;
  if (r instanceof VerbatimReply) return binaryToUtf8(r.text);
  if (r instanceof SetReply || r instanceof PushReply) return r.items.map(replyToJson);
  if (r instanceof MapReply) {
    if (r.entries.every(([k]) => typeof k === 'string' || k instanceof SimpleString)) {
      const out: Record<string, JsonReply> = {};
      for (const [k, v] of r.entries) out[k instanceof SimpleString ? k.value : binaryToUtf8(k as string)] = replyToJson(v);
      return out;
    }
    return r.entries.map(([k, v]) => [replyToJson(k), replyToJson(v)]);
  }
  if (r instanceof RawReply) return null;
  return null;
}
