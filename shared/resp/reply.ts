/**
 * Reply values produced by command handlers, independent of the protocol version. The encoder turns them into
 * RESP2 or RESP3 bytes for the client that asked.
 *
 * Plain JS values carry the common cases without allocation: a string is a bulk string (a binary string, see
 * bytes.ts), a number or bigint an integer, null a null bulk string, an array an array. Classes mark the rest.
 */
export type Reply =
  | string
  | number
  | bigint
  | null
  | Reply[]
  | SimpleString
  | ErrorReply
  | DoubleReply
  | MapReply
  | SetReply
  | NullArray
  | BoolReply
  | VerbatimReply
  | PushReply
  | RawReply;

/** `+text`: a status reply. */
export class SimpleString {
  constructor(readonly value: string) {}
}

/** `-CODE message`: the message includes its code prefix, e.g. "ERR syntax error". */
export class ErrorReply {
  constructor(readonly message: string) {}
}

/** RESP3 `,` double; a bulk string in RESP2. */
export class DoubleReply {
  constructor(readonly value: number) {}
}

/** RESP3 `%` map; a flat array of alternating keys and values in RESP2. */
export class MapReply {
  constructor(readonly entries: Array<[Reply, Reply]>) {}
}

/** RESP3 `~` set; an array in RESP2. */
export class SetReply {
  constructor(readonly items: Reply[]) {}
}

/** A missing array: `*-1` in RESP2, `_` in RESP3. */
export class NullArray {}

/** RESP3 `#t`/`#f`; the integers 1/0 in RESP2. */
export class BoolReply {
  constructor(readonly value: boolean) {}
}

/** RESP3 `=` verbatim string with a 3-letter format; a bulk string in RESP2. */
export class VerbatimReply {
  constructor(
    readonly format: string,
    readonly text: string,
  ) {}
}

/** RESP3 `>` push (pub/sub messages); an array in RESP2. */
export class PushReply {
  constructor(readonly items: Reply[]) {}
}

/** Bytes already encoded as RESP, sent as they are. */
export class RawReply {
  constructor(readonly bytes: Uint8Array) {}
}

export const OK = new SimpleString('OK');
export const PONG = new SimpleString('PONG');
export const QUEUED = new SimpleString('QUEUED');
export const NULL_ARRAY = new NullArray();
export const EMPTY_ARRAY: Reply[] = [];
/** Nothing to send: for handlers that already wrote their replies (SUBSCRIBE writes one per channel). */
export const NO_REPLY = new RawReply(new Uint8Array(0));

/**
 * Formats a double as Redis 7.0 does in replies (`%.17g`), with Redis's spellings of the infinities.
 */
export function formatDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  return formatG17(d);
}

/** C's printf("%.17g"). */
export function formatG17(d: number): string {
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(d)));
  // %g uses scientific notation when the exponent is < -4 or >= the precision.
  let s: string;
  if (exp < -4 || exp >= 17) {
    s = d.toExponential(16);
    let [mant, e] = s.split('e');
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const en = Number(e);
    const sign = en < 0 ? '-' : '+';
    const abs = Math.abs(en);
    return `${mant}e${sign}${abs < 10 ? '0' + abs : abs}`;
  }
  s = d.toPrecision(17);
  if (s.includes('e')) {
    // toPrecision may pick exponent form near the boundaries; fall back to fixed notation.
    s = d.toFixed(Math.max(0, 16 - exp));
  }
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}
