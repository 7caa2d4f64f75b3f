/**
 * Counts complete RESP commands (multibulk arrays, or inline lines) in a byte stream split anywhere, without
 * decoding them: the bare broadcaster needs to know how many +OK to answer, nothing more. It jumps over bulk
 * payloads by their length, so the cost is per argument, not per byte.
 */
export class CommandCounter {
  private pending: Buffer | null = null;

  /** The number of commands completed by `chunk`. */
  count(chunk: Buffer): number {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let pos = 0;
    let n = 0;
    for (;;) {
      const end = commandEnd(buf, pos);
      if (end < 0) break;
      pos = end;
      n++;
    }
    this.pending = pos < buf.length ? buf.subarray(pos) : null;
    return n;
  }
}

/** The index just past the command starting at `pos`, or -1 if it is not complete yet. */
function commandEnd(buf: Buffer, pos: number): number {
  if (pos >= buf.length) return -1;
  let nl = buf.indexOf(10, pos);
  if (nl < 0) return -1;
  if (buf[pos] !== 42 /* '*' */) return nl + 1;
  const argc = parseInt(buf.toString('latin1', pos + 1, nl), 10);
  let p = nl + 1;
  for (let i = 0; i < argc; i++) {
    nl = buf.indexOf(10, p);
    if (nl < 0) return -1;
    const len = parseInt(buf.toString('latin1', p + 1, nl), 10);
    p = nl + 1 + len + 2;
    if (p > buf.length) return -1;
  }
  return p;
}
