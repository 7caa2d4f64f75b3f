/**
 * A process holding many raw WebSocket replica connections for the fan-out benchmark, driven over IPC by
 * bench/fanout.ts. Each connection does the PSYNC handshake (PSYNC ? -1, capa eof), skips the snapshot by its EOF
 * mark, ACKs, and from then on parses nothing: it counts stream bytes and looks for marker writes with a native
 * Buffer search. `SET __bench_lag <µs>` carries its send time on the shared monotonic clock, so receipt minus
 * that is the lag; `SET __bench_end <id>` tells that everything written before it has arrived.
 *
 * IPC in: {cmd:'connect', url, count} | {cmd:'wait-end', id, timeoutMs} | {cmd:'collect'} | {cmd:'exit'}.
 * IPC out: {type:'ready'} once listening | {type:'synced', ok, failed, error?} | {type:'end', id, at, missing, closed} |
 *          {type:'samples', samples: Float64Array (ms), bytes, closed}.
 */
import WebSocket from 'ws';
import { nowUs } from './clock.js';

/** Every marker key starts with this (the CRLF ends the key's `$len` header). */
const MARK = Buffer.from('\r\n__bench_', 'latin1');
/** Longer than any marker (`\r\n__bench_lag\r\n$16\r\n<16 digits>\r\n` is 37 bytes). */
const CARRY = 64;
const HANDSHAKE = Buffer.from(
  '*1\r\n$4\r\nPING\r\n' +
    '*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$1\r\n0\r\n' +
    '*5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n' +
    '*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n',
  'latin1',
);

type Phase = 'replies' | 'bulk-header' | 'rdb-eof' | 'rdb-len' | 'stream' | 'closed';

interface Link {
  ws: WebSocket;
  phase: Phase;
  /** Handshake bytes not consumed yet. */
  pending: Buffer;
  eofMark: Buffer | null;
  rdbLeft: number;
  /** The offset the snapshot stood for; the stream adds to it. */
  baseOffset: number;
  bytes: number;
  /** The last CARRY stream bytes before the current chunk, for markers split between chunks. */
  carry: Buffer | null;
  endSeen: number;
}

const links: Link[] = [];
let samples: number[] = [];
let totalBytes = 0;
let closed = 0;
let firstError: string | undefined;
const endAt = new Map<number, number>();
const endWaiters: Array<() => void> = [];
let onSettled: (() => void) | null = null;

function send(msg: unknown): void {
  process.send?.(msg);
}

function ack(link: Link): void {
  const off = String(link.baseOffset + link.bytes);
  link.ws.send(Buffer.from(`*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$${off.length}\r\n${off}\r\n`, 'latin1'));
}

function fail(link: Link, why: string): void {
  firstError ??= why;
  link.ws.terminate();
}

function takeLine(link: Link): string | null {
  const nl = link.pending.indexOf(10);
  if (nl < 0) return null;
  const line = link.pending.toString('latin1', 0, nl).replace(/\r$/, '');
  link.pending = link.pending.subarray(nl + 1);
  return line;
}

/** Advances the handshake and snapshot skipping with the bytes in `link.pending`. */
function handshake(link: Link): void {
  for (;;) {
    if (link.phase === 'replies') {
      const line = takeLine(link);
      if (line === null) return;
      if (line.startsWith('-')) return fail(link, `handshake: ${line}`);
      if (line.startsWith('+FULLRESYNC')) {
        link.baseOffset = Number(line.split(' ')[2]);
        link.phase = 'bulk-header';
      }
    } else if (link.phase === 'bulk-header') {
      const line = takeLine(link);
      if (line === null) return;
      if (line === '') continue; // keepalive newline
      if (line.startsWith('$EOF:')) {
        link.eofMark = Buffer.from(line.slice(5), 'latin1');
        link.phase = 'rdb-eof';
      } else if (line.startsWith('$')) {
        link.rdbLeft = Number(line.slice(1));
        link.phase = 'rdb-len';
      } else return fail(link, `unexpected snapshot header: ${line.slice(0, 80)}`);
    } else if (link.phase === 'rdb-eof') {
      const mark = link.eofMark!;
      const i = link.pending.indexOf(mark);
      if (i < 0) {
        // Keep only what could be the start of a split mark, so a large snapshot costs no copying.
        if (link.pending.length > mark.length) link.pending = link.pending.subarray(link.pending.length - mark.length + 1);
        return;
      }
      return startStream(link, link.pending.subarray(i + mark.length));
    } else if (link.phase === 'rdb-len') {
      if (link.pending.length < link.rdbLeft) {
        link.rdbLeft -= link.pending.length;
        link.pending = Buffer.alloc(0);
        return;
      }
      return startStream(link, link.pending.subarray(link.rdbLeft));
    } else return;
  }
}

function startStream(link: Link, rest: Buffer): void {
  link.phase = 'stream';
  link.pending = Buffer.alloc(0);
  ack(link);
  checkSettled();
  if (rest.length) onStream(link, rest);
}

interface Marker {
  kind: number;
  value: number;
  end: number;
}

/** The marker whose MARK starts at `i`, or null when `buf` ends inside it. */
function parseMarker(buf: Buffer, i: number): Marker | null {
  let p = i + MARK.length;
  if (p + 6 > buf.length) return null;
  const kind = buf[p]; // 'l' (lag) or 'e' (end)
  p += 6; // "lag\r\n$" or "end\r\n$"
  const cr = buf.indexOf(13, p);
  if (cr < 0) return null;
  const len = parseInt(buf.toString('latin1', p, cr), 10);
  p = cr + 2;
  if (p + len > buf.length) return null;
  return { kind, value: Number(buf.toString('latin1', p, p + len)), end: p + len };
}

function onMarker(link: Link, m: Marker, t: number): void {
  if (m.kind === 108) samples.push((t - m.value) / 1000);
  else if (m.value > link.endSeen) {
    link.endSeen = m.value;
    checkEnd(m.value, t);
  }
}

function onStream(link: Link, chunk: Buffer): void {
  link.bytes += chunk.length;
  totalBytes += chunk.length;
  let t = -1;
  const carry = link.carry;
  if (carry) {
    const head = Buffer.concat([carry, chunk.subarray(0, CARRY)]);
    for (let i = head.indexOf(MARK); i >= 0 && i < carry.length; i = head.indexOf(MARK, i + 1)) {
      const m = parseMarker(head, i);
      // Complete only now: it was not counted with the earlier bytes.
      if (m && m.end > carry.length) onMarker(link, m, t < 0 ? (t = nowUs()) : t);
    }
  }
  for (let i = chunk.indexOf(MARK); i >= 0; i = chunk.indexOf(MARK, i + MARK.length)) {
    const m = parseMarker(chunk, i);
    if (m) onMarker(link, m, t < 0 ? (t = nowUs()) : t);
  }
  if (chunk.length >= CARRY) link.carry = chunk.subarray(chunk.length - CARRY);
  else {
    const joined = carry ? Buffer.concat([carry, chunk]) : chunk;
    link.carry = joined.subarray(Math.max(0, joined.length - CARRY));
  }
}

function checkEnd(id: number, t: number): void {
  if (endAt.has(id)) return;
  for (const l of links) if (l.phase !== 'closed' && l.endSeen < id) return;
  endAt.set(id, t);
  for (const w of endWaiters.splice(0)) w();
}

function checkSettled(): void {
  if (!onSettled) return;
  if (links.every((l) => l.phase === 'stream' || l.phase === 'closed')) {
    const cb = onSettled;
    onSettled = null;
    cb();
  }
}

function connect(url: string, count: number): void {
  onSettled = () => send({ type: 'synced', ok: links.filter((l) => l.phase === 'stream').length, failed: closed, error: firstError });
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    const link: Link = { ws, phase: 'replies', pending: Buffer.alloc(0), eofMark: null, rdbLeft: 0, baseOffset: 0, bytes: 0, carry: null, endSeen: 0 };
    links.push(link);
    ws.on('open', () => ws.send(HANDSHAKE));
    ws.on('message', (data: Buffer) => {
      if (link.phase === 'stream') return onStream(link, data);
      link.pending = link.pending.length ? Buffer.concat([link.pending, data]) : data;
      handshake(link);
    });
    ws.on('close', () => {
      if (link.phase === 'closed') return;
      link.phase = 'closed';
      closed++;
      checkSettled();
      for (const id of pendingEndIds) checkEnd(id, nowUs());
    });
    ws.on('error', (e) => {
      firstError ??= e.message;
    });
  }
}

/** End ids someone is waiting for (so a closing link can complete them). */
const pendingEndIds: number[] = [];

function waitEnd(id: number, timeoutMs: number): void {
  pendingEndIds.push(id);
  const reply = () => {
    clearTimeout(timer);
    const at = endAt.get(id) ?? null;
    const missing = links.filter((l) => l.phase !== 'closed' && l.endSeen < id).length;
    send({ type: 'end', id, at, missing, closed });
  };
  const timer = setTimeout(() => {
    const i = endWaiters.indexOf(check);
    if (i >= 0) endWaiters.splice(i, 1);
    reply();
  }, timeoutMs);
  const check = () => {
    if (endAt.has(id)) reply();
    else endWaiters.push(check);
  };
  checkEnd(id, nowUs());
  check();
}

setInterval(() => {
  for (const l of links) if (l.phase === 'stream') ack(l);
}, 1000).unref();

process.on('disconnect', () => process.exit(0));
process.on('message', (msg: { cmd: string; url?: string; count?: number; id?: number; timeoutMs?: number }) => {
  if (msg.cmd === 'connect') connect(msg.url!, msg.count!);
  else if (msg.cmd === 'wait-end') waitEnd(msg.id!, msg.timeoutMs!);
  else if (msg.cmd === 'collect') {
    send({ type: 'samples', samples: Float64Array.from(samples), bytes: totalBytes, closed });
    samples = [];
  } else if (msg.cmd === 'exit') {
    for (const l of links) l.ws.terminate();
    process.exit(0);
  }
});
send({ type: 'ready' });
