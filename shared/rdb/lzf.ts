/**
 * LZF, the compression of long strings in RDB files (Redis's lzf_c.c / lzf_d.c format).
 *
 * The stream is a sequence of runs. A control byte below 32 starts a literal run of ctrl+1 bytes. Otherwise
 * its top three bits hold a match length minus 2 (7 means "add the next byte"), its low five bits and the
 * next byte a back offset minus 1 (up to 8 KiB back); matches may overlap the bytes they produce.
 */

const MAX_LITERAL = 32;
const MAX_OFFSET = 1 << 13;
const MAX_MATCH = (1 << 8) + (1 << 3);

const HASH_LOG = 14;
const HASH_SIZE = 1 << HASH_LOG;
/**
 * Positions of the last 3-byte sequences seen, stored as `base + index`. The table is shared between calls and
 * never cleared: each call moves `base` past every earlier position plus MAX_OFFSET, so stale entries decode to
 * positions too far back to be used. It is refilled only when `base` nears the int32 limit.
 */
const hashTable = new Int32Array(HASH_SIZE).fill(-(1 << 30));
let hashBase = 0;

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

/**
 * Compresses bytes with LZF. Returns null when the result would be longer than `maxLength` (Redis asks for at
 * least 4 bytes of saving and stores the string verbatim otherwise).
 */
export function lzfCompress(input: Uint8Array, maxLength: number): Uint8Array | null {
  const n = input.length;
  if (n === 0 || maxLength <= 0) return null;
  if (hashBase > 0x3fffffff - n) {
    hashTable.fill(-(1 << 30));
    hashBase = 0;
  }
  const base = hashBase;
  hashBase += n + MAX_OFFSET + 1;
  const table = hashTable;
  // A little slack: the literal-run control byte is reserved before its bytes are known.
  const out = new Uint8Array(Math.min(maxLength, n + (n >>> 5) + 2) + 2);
  const limit = maxLength;
  let op = 1; // out[0] is the first literal run's control byte
  let ctrlPos = 0;
  let lit = 0;
  let ip = 0;
  while (ip < n - 2) {
    const h = (input[ip] << 16) | (input[ip + 1] << 8) | input[ip + 2];
    const slot = (Math.imul(h, 0x9e3779b1) >>> (32 - HASH_LOG)) & (HASH_SIZE - 1);
    const ref = table[slot] - base;
    table[slot] = base + ip;
    const off = ip - ref - 1;
    if (
      ref >= 0 &&
      off < MAX_OFFSET &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1] &&
      input[ref + 2] === input[ip + 2]
    ) {
      const maxLen = Math.min(MAX_MATCH, n - ip);
      let len = 3;
      while (len < maxLen && input[ref + len] === input[ip + len]) len++;
      // Close the pending literal run, or take back its unused control byte.
      if (lit > 0) out[ctrlPos] = lit - 1;
      else op--;
      if (op + 3 + 1 > limit) return null;
      const code = len - 2;
      if (code < 7) {
        out[op++] = (off >>> 8) + (code << 5);
      } else {
        out[op++] = (off >>> 8) + (7 << 5);
        out[op++] = code - 7;
      }
      out[op++] = off & 0xff;
      // Index the positions inside the match so later repeats find them.
      const end = Math.min(ip + len, n - 2);
      for (let p = ip + 1; p < end; p++) {
        const hp = (input[p] << 16) | (input[p + 1] << 8) | input[p + 2];
        table[(Math.imul(hp, 0x9e3779b1) >>> (32 - HASH_LOG)) & (HASH_SIZE - 1)] = base + p;
      }
      ip += len;
      ctrlPos = op++;
      lit = 0;
    } else {
      if (op >= limit) return null;
      out[op++] = input[ip++];
      if (++lit === MAX_LITERAL) {
        out[ctrlPos] = lit - 1;
        ctrlPos = op++;
        lit = 0;
      }
    }
  }
  while (ip < n) {
    if (op >= limit) return null;
    out[op++] = input[ip++];
    if (++lit === MAX_LITERAL) {
      out[ctrlPos] = lit - 1;
      ctrlPos = op++;
      lit = 0;
    }
  }
  if (lit > 0) out[ctrlPos] = lit - 1;
  else op--;
  if (op > limit) return null;
  return out.slice(0, op);
}
