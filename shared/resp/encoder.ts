import { ByteWriter } from '../bytes.js';
import {
  BoolReply,
  DoubleReply,
  ErrorReply,
  MapReply,
  NullArray,
  OK,
  PushReply,
  RawReply,
  SetReply,
  SimpleString,
  VerbatimReply,
  formatDouble,
  type Reply,
} from './reply.js';

/** The protocol a client speaks, chosen with HELLO. */
export type ProtocolVersion = 2 | 3;

const CRLF = '\r\n';
/** The commonest reply, encoded once. */
const OK_BYTES = new Uint8Array([43, 79, 75, 13, 10]);

/** Appends the RESP encoding of `reply` for a client speaking `proto`. */
export function writeReply(w: ByteWriter, reply: Reply, proto: ProtocolVersion): void {
  if (typeof reply === 'string') {
    writeBulk(w, reply);
  } else if (reply === OK) {
    w.bytes(OK_BYTES);
  } else if (typeof reply === 'number') {
    w.byte(58); // ':'
    w.decimal(reply);
    w.crlf();
  } else if (typeof reply === 'bigint') {
    w.ascii(`:${reply}\r\n`);
  } else if (reply === null) {
    w.ascii(proto === 3 ? '_\r\n' : '$-1\r\n');
  } else if (Array.isArray(reply)) {
    w.byte(42); // '*'
    w.decimal(reply.length);
    w.crlf();
    for (const item of reply) writeReply(w, item, proto);
  } else if (reply instanceof SimpleString) {
    w.ascii('+');
    w.binary(reply.value);
    w.ascii(CRLF);
  } else if (reply instanceof ErrorReply) {
    w.ascii('-');
    // An error must stay on one line: Redis replaces newlines with spaces.
    w.binary(reply.message.replace(/[\r\n]+/g, ' '));
    w.ascii(CRLF);
  } else if (reply instanceof DoubleReply) {
    const text = formatDouble(reply.value);
    if (proto === 3) w.ascii(`,${text}\r\n`);
    else writeBulk(w, text);
  } else if (reply instanceof MapReply) {
    w.ascii(proto === 3 ? `%${reply.entries.length}\r\n` : `*${reply.entries.length * 2}\r\n`);
    for (const [k, v] of reply.entries) {
      writeReply(w, k, proto);
      writeReply(w, v, proto);
    }
  } else if (reply instanceof SetReply) {
    w.ascii(proto === 3 ? `~${reply.items.length}\r\n` : `*${reply.items.length}\r\n`);
    for (const item of reply.items) writeReply(w, item, proto);
  } else if (reply instanceof NullArray) {
    w.ascii(proto === 3 ? '_\r\n' : '*-1\r\n');
  } else if (reply instanceof BoolReply) {
    if (proto === 3) w.ascii(reply.value ? '#t\r\n' : '#f\r\n');
    else w.ascii(reply.value ? ':1\r\n' : ':0\r\n');
  } else if (reply instanceof VerbatimReply) {
    if (proto === 3) {
      w.ascii(`=${reply.text.length + 4}\r\n${reply.format}:`);
      w.binary(reply.text);
      w.ascii(CRLF);
    } else {
      writeBulk(w, reply.text);
    }
  } else if (reply instanceof PushReply) {
    w.ascii(proto === 3 ? `>${reply.items.length}\r\n` : `*${reply.items.length}\r\n`);
    for (const item of reply.items) writeReply(w, item, proto);
  } else if (reply instanceof RawReply) {
    w.bytes(reply.bytes);
  } else {
    throw new TypeError(`not a reply: ${String(reply)}`);
  }
}

function writeBulk(w: ByteWriter, s: string): void {
  w.byte(36); // '$'
  w.decimal(s.length);
  w.crlf();
  w.binary(s);
  w.crlf();
}

/** Appends a command (an array of bulk strings), the form in which commands travel and are propagated. */
export function writeCommand(w: ByteWriter, argv: readonly string[]): void {
  w.ascii(`*${argv.length}\r\n`);
  for (const arg of argv) writeBulk(w, arg);
}

/** Encodes one reply to fresh bytes. */
export function encodeReply(reply: Reply, proto: ProtocolVersion = 2): Uint8Array {
  const w = new ByteWriter(64);
  writeReply(w, reply, proto);
  return w.take();
}

/** Encodes one command (argv of binary strings) as a RESP array of bulk strings. */
export function encodeCommand(argv: readonly string[]): Uint8Array {
  const w = new ByteWriter(64);
  writeCommand(w, argv);
  return w.take();
}
