import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { binaryToBytes, bytesToBinary } from '../bytes.js';
import { encodeCommand, encodeReply } from './encoder.js';
import {
  BoolReply,
  DoubleReply,
  ErrorReply,
  MapReply,
  NULL_ARRAY,
  PushReply,
  SetReply,
  SimpleString,
  VerbatimReply,
  formatDouble,
  type Reply,
} from './reply.js';
import { ReplyParser } from './reply-parser.js';
import { ProtocolError, RequestParser, splitInlineArgs } from './request-parser.js';

const binaryString = fc.uint8Array({ maxLength: 40 }).map((b) => bytesToBinary(b));
const argvArb = fc.array(binaryString, { minLength: 1, maxLength: 6 });

/** Feeds `bytes` to a fresh parser in the given chunk sizes and collects every command. */
function parseChunks(bytes: Uint8Array, cuts: number[]): string[][] {
  const p = new RequestParser();
  const out: string[][] = [];
  let pos = 0;
  const bounds = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  for (const b of [...bounds, bytes.length]) {
    p.push(bytes.subarray(pos, b));
    pos = b;
    for (let cmd = p.next(); cmd !== null; cmd = p.next()) if (cmd.length) out.push(cmd);
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('request parser', () => {
  it('decodes any command stream the same however it is split (property)', () => {
    fc.assert(
      fc.property(fc.array(argvArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (cmds, cuts) => {
        const bytes = concat(cmds.map((c) => encodeCommand(c)));
        expect(parseChunks(bytes, cuts)).toEqual(cmds);
      }),
      { numRuns: 300 },
    );
  });

  it('counts consumed bytes exactly, command by command', () => {
    const a = encodeCommand(['SET', 'k', 'v']);
    const b = encodeCommand(['PING']);
    const p = new RequestParser();
    p.push(concat([a, b.subarray(0, 3)]));
    expect(p.next()).toEqual(['SET', 'k', 'v']);
    expect(p.consumed).toBe(a.length);
    expect(p.next()).toBeNull();
    expect(p.consumed).toBe(a.length);
    p.push(b.subarray(3));
    expect(p.next()).toEqual(['PING']);
    expect(p.consumed).toBe(a.length + b.length);
  });

  it('parses inline commands with quotes and escapes like sdssplitargs', () => {
    expect(splitInlineArgs('set k "a b\\x41\\n"')).toEqual(['set', 'k', 'a bA\n']);
    expect(splitInlineArgs("set k 'it\\'s'")).toEqual(['set', 'k', "it's"]);
    expect(splitInlineArgs('get "k"x')).toBeNull();
    expect(splitInlineArgs('get "k')).toBeNull();
    const p = new RequestParser();
    p.push(binaryToBytes('\r\nPING\r\nECHO hi\n'));
    expect(p.next()).toEqual(['PING']);
    expect(p.next()).toEqual(['ECHO', 'hi']);
  });

  it('rejects malformed input with Redis texts', () => {
    const cases: Array<[string, string, Partial<{ auth: boolean }>]> = [
      ['*1\r\nfoo\r\n', "ERR Protocol error: expected '$', got 'f'", {}],
      ['*x\r\n', 'ERR Protocol error: invalid multibulk length', {}],
      ['*1\r\n$-1\r\n', 'ERR Protocol error: invalid bulk length', {}],
      ['*1\r\n$536870913\r\n', 'ERR Protocol error: invalid bulk length', {}],
      ['*11\r\n', 'ERR Protocol error: unauthenticated multibulk length', { auth: false }],
      ['*1\r\n$16385\r\n', 'ERR Protocol error: unauthenticated bulk length', { auth: false }],
      ['x'.repeat(64 * 1024 + 1), 'ERR Protocol error: too big inline request', {}],
      ['*' + '1'.repeat(64 * 1024 + 1), 'ERR Protocol error: too big mbulk count string', {}],
    ];
    // The same limits with the whole command present (the pipelined fast path must refuse it too).
    cases.push(
      ['*11\r\n' + '$1\r\nx\r\n'.repeat(11), 'ERR Protocol error: unauthenticated multibulk length', { auth: false }],
      ['*1\r\n$16385\r\n' + 'x'.repeat(16385) + '\r\n', 'ERR Protocol error: unauthenticated bulk length', { auth: false }],
      ['*2\r\n$3\r\nGET\r\n$01\r\nk\r\n', 'ERR Protocol error: invalid bulk length', {}],
      ['*01\r\n$4\r\nPING\r\n', 'ERR Protocol error: invalid multibulk length', {}],
    );
    for (const [input, message, opts] of cases) {
      const p = new RequestParser();
      if (opts.auth === false) p.authenticated = false;
      p.push(binaryToBytes(input));
      expect(() => p.next(), input.slice(0, 20)).toThrow(new ProtocolError(message));
    }
  });

  it('enforces proto-max-bulk-len and client-query-buffer-limit as configured', () => {
    const p = new RequestParser({ protoMaxBulkLen: 10, queryBufferLimit: 1 << 20 });
    p.push(binaryToBytes('*1\r\n$11\r\n'));
    expect(() => p.next()).toThrow('ERR Protocol error: invalid bulk length');
    const whole = new RequestParser({ protoMaxBulkLen: 10, queryBufferLimit: 1 << 20 });
    whole.push(binaryToBytes('*1\r\n$11\r\nhello world\r\n'));
    expect(() => whole.next()).toThrow('ERR Protocol error: invalid bulk length');
    // Our master's stream is exempt, as in Redis.
    const master = new RequestParser({ protoMaxBulkLen: 10, queryBufferLimit: 1 << 20 });
    master.fromMaster = true;
    master.push(binaryToBytes('*1\r\n$11\r\nhello world\r\n'));
    expect(master.next()).toEqual(['hello world']);
    const q = new RequestParser({ protoMaxBulkLen: 1 << 30, queryBufferLimit: 100 });
    q.push(binaryToBytes('*1\r\n$500\r\n'));
    expect(q.next()).toBeNull();
    expect(() => q.push(new Uint8Array(200))).toThrow(/max query buffer length/);
  });
});

const replyArb: fc.Arbitrary<Reply> = fc.letrec<{ reply: Reply }>((tie) => ({
  reply: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    binaryString,
    fc.integer(),
    fc.constant(null),
    binaryString.filter((s) => !/[\r\n]/.test(s)).map((s) => new SimpleString(s)),
    binaryString.filter((s) => !/[\r\n]/.test(s)).map((s) => new ErrorReply('ERR ' + s)),
    fc.double({ noNaN: true }).map((d) => new DoubleReply(d)),
    fc.boolean().map((b) => new BoolReply(b)),
    fc.array(tie('reply'), { maxLength: 4 }),
    fc.array(fc.tuple(tie('reply'), tie('reply')), { maxLength: 3 }).map((e) => new MapReply(e)),
    fc.array(tie('reply'), { maxLength: 4 }).map((i) => new SetReply(i)),
    fc.array(tie('reply'), { maxLength: 4 }).map((i) => new PushReply(i)),
    binaryString.map((s) => new VerbatimReply('txt', s)),
  ),
})).reply;

describe('reply encoding', () => {
  it('round-trips RESP3 replies through the reply parser, split anywhere (property)', () => {
    fc.assert(
      fc.property(fc.array(replyArb, { minLength: 1, maxLength: 4 }), fc.nat(), (replies, cut) => {
        const bytes = concat(replies.map((r) => encodeReply(r, 3)));
        const p = new ReplyParser();
        const at = cut % (bytes.length + 1);
        p.push(bytes.subarray(0, at));
        const out: Reply[] = [];
        for (let r = p.next(); r !== undefined; r = p.next()) out.push(r);
        p.push(bytes.subarray(at));
        for (let r = p.next(); r !== undefined; r = p.next()) out.push(r);
        const normalize = (r: Reply): unknown =>
          r instanceof DoubleReply ? Number(formatDouble(r.value)) : Array.isArray(r) ? r.map(normalize) : r;
        expect(out.map(normalize)).toEqual(replies.map(normalize));
      }),
      { numRuns: 300 },
    );
  });

  it('encodes RESP2 downgrades as Redis does', () => {
    const s = (r: Reply) => bytesToBinary(encodeReply(r, 2));
    expect(s(null)).toBe('$-1\r\n');
    expect(s(NULL_ARRAY)).toBe('*-1\r\n');
    expect(s(new DoubleReply(0.1))).toBe('$19\r\n0.10000000000000001\r\n');
    expect(s(new DoubleReply(Infinity))).toBe('$3\r\ninf\r\n');
    expect(s(new MapReply([['a', 1]]))).toBe('*2\r\n$1\r\na\r\n:1\r\n');
    expect(s(new BoolReply(true))).toBe(':1\r\n');
    expect(bytesToBinary(encodeReply(new DoubleReply(1.5), 3))).toBe(',1.5\r\n');
    expect(bytesToBinary(encodeReply(NULL_ARRAY, 3))).toBe('_\r\n');
  });

  it('formats doubles like printf %.17g', () => {
    expect(formatDouble(1.5)).toBe('1.5');
    expect(formatDouble(1e300)).toBe('1.0000000000000001e+300');
    expect(formatDouble(3)).toBe('3');
    expect(formatDouble(-0.0001)).toBe('-0.0001');
    expect(formatDouble(0.00001)).toBe('1.0000000000000001e-05');
    expect(formatDouble(123456789012345678)).toBe('1.2345678901234568e+17');
  });
});
