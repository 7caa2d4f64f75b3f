/**
 * LZF, the compression of long strings in RDB files (Redis's lzf_c.c / lzf_d.c format).
 *
 * The stream is a sequence of runs. A control byte below 32 starts a literal run of ctrl+1 bytes. Otherwise
 * its top three bits hold a match length minus 2 (7 means "add the next byte"), its low five bits and the
 * next byte a back offset minus 1 (up to 8 KiB back); matches may overlap the bytes they produce.
 *
 * The compressor is liblzf's as Redis 7.0 builds it (src/lzf_c.c with lzfP.h: HLOG 16, VERY_FAST, no
 * ULTRA_FAST, CHECK_INPUT), so strings compress to exactly Redis's bytes: RDB files and DUMP payloads equal
 * Redis's, and DEBUG OBJECT's serializedlength is Redis's.
 */

/**
 * Decompresses an LZF stream that must expand to exactly `outLength` bytes. Returns null when the input is
 * corrupt (a back reference before the start, output overflow, a truncated run) or expands to another size.
 */
export function lzfDecompress(input: Uint8Array, outLength: number): Uint8Array | null {
  const out = new Uint8Array(outLength);
  let ip = 0;
  let op = 0;
  const inEnd = input.length;
  while (ip < inEnd) {
    const ctrl = input[ip++];
    if (ctrl < 32) {
      const len = ctrl + 1;
      if (op + len > outLength || ip + len > inEnd) return null;
      out.set(input.subarray(ip, ip + len), op);
      ip += len;
      op += len;
    } else {
      let len = ctrl >>> 5;
      if (len === 7) {
        if (ip >= inEnd) return null;
        len += input[ip++];
      }
      if (ip >= inEnd) return null;
      let ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++];
      len += 2;
      if (ref < 0 || op + len > outLength) return null;
      // Byte by byte: the source may overlap the bytes being written (runs of a repeated pattern).
      for (let i = 0; i < len; i++) out[op++] = out[ref++];
    }
  }
  return op === outLength ? out : null;
}

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/**
 * Slot -> `base + position + 1` of the last 3-byte sequence hashed there. Redis does not clear its table between
 * calls (INIT_HTAB 0); stale slots pointing outside the current input are rejected by liblzf's checks, so a
 * cleared table gives Redis's result. Clearing 256 KB per string would dominate the cost of short strings, so
 * each call instead moves `base` past every earlier entry: anything below it reads as empty. The table is
 * refilled only when `base` nears the int32 limit.
 */
const htab = new Int32Array(HSIZE);
let htabBase = 0;

/** liblzf's IDX for VERY_FAST: depends only on the three bytes in the low 24 bits of `h`. */
function idx(h: number): number {
  return ((h >>> (3 * 8 - HLOG)) - Math.imul(h, 5)) & (HSIZE - 1);
}

/**
 * lzf_compress(input, in_len, out, outLen): the compressed bytes, or null where liblzf returns 0 (the output
 * would not fit in `outLen` bytes). Redis calls it with outLen = length - 4 and stores the string verbatim
 * when it gets nothing. Position 0 is never a match source (liblzf's `ref > in_data`).
 */
export function lzfCompress(input: Uint8Array, outLen: number): Uint8Array | null {
  const inLen = input.length;
  if (inLen === 0 || outLen <= 0) return null;
  if (htabBase > 0x7fffffff - inLen - 2) {
    htab.fill(0);
    htabBase = 0;
  }
  const base = htabBase;
  htabBase += inLen + 1;
  // Room for liblzf's last unchecked literals (at most 3 bytes plus a run byte past out_end).
  const out = new Uint8Array(outLen + 8);
  const outEnd = outLen;
  let op = 0;
  let ip = 0;
  let lit = 0;
  op++; // start run

  let hval = (input[0] << 8) | input[1];
  while (ip < inLen - 2) {
    hval = ((hval << 8) | input[ip + 2]) >>> 0;
    const slot = idx(hval);
    const ref = htab[slot] - base - 1;
    htab[slot] = base + ip + 1;
    const off = ip - ref - 1;
    if (
      ref > 0 &&
      ref < ip &&
      off < MAX_OFF &&
      input[ref + 2] === input[ip + 2] &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1]
    ) {
      let len = 2;
      const maxlen = Math.min(inLen - ip - len, MAX_REF);
      if (op + 3 + 1 >= outEnd && op - (lit === 0 ? 1 : 0) + 3 + 1 >= outEnd) return null;
      out[op - lit - 1] = lit - 1; // stop run
      if (lit === 0) op--; // undo run if length is zero
      scan: {
        if (maxlen > 16) {
          for (let k = 0; k < 16; k++) {
            len++;
            if (input[ref + len] !== input[ip + len]) break scan;
          }
        }
        do len++;
        while (len < maxlen && input[ref + len] === input[ip + len]);
      }
      len -= 2; // len is now #octets - 1
      ip++;
      if (len < 7) {
        out[op++] = (off >>> 8) + (len << 5);
      } else {
        out[op++] = (off >>> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // start run
      ip += len + 1;
      if (ip >= inLen - 2) break;
      // VERY_FAST: rehash the two positions before the new one.
      ip -= 2;
      hval = (input[ip] << 8) | input[ip + 1];
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      htab[idx(hval)] = base + ip + 1;
      ip++;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      htab[idx(hval)] = base + ip + 1;
      ip++;
    } else {
      if (op >= outEnd) return null;
      lit++;
      out[op++] = input[ip++];
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1; // stop run
        lit = 0;
        op++; // start run
      }
    }
  }
  if (op + 3 > outEnd) return null;
  while (ip < inLen) {
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1; // end run
  if (lit === 0) op--;
  return out.slice(0, op);
}
