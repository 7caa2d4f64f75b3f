/**
 * SHA-1 (FIPS 180-4) in pure TypeScript, for the places Redis itself uses SHA-1 and where our output must equal
 * its output byte for byte (DEBUG DIGEST). Input is bytes or a binary string (one char per byte, see bytes.ts);
 * hashing a binary string reads its chars directly, so no copy is made of large values.
 */

/** The message schedule, reused across calls: hashing is synchronous, so one buffer serves every caller. */
const W = new Int32Array(80);
/** One 64-byte block being assembled from the input. */
const block = new Uint8Array(64);

/** Runs the compression function over `block`, updating the five words of `h`. */
function compress(h: Int32Array): void {
  for (let i = 0; i < 16; i++) {
    const j = i * 4;
    W[i] = (block[j] << 24) | (block[j + 1] << 16) | (block[j + 2] << 8) | block[j + 3];
  }
  for (let i = 16; i < 80; i++) {
    const x = W[i - 3] ^ W[i - 8] ^ W[i - 14] ^ W[i - 16];
    W[i] = (x << 1) | (x >>> 31);
  }
  let a = h[0];
  let b = h[1];
  let c = h[2];
  let d = h[3];
  let e = h[4];
  for (let i = 0; i < 80; i++) {
    let f: number;
    let k: number;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6;
    }
    const t = (((a << 5) | (a >>> 27)) + f + e + k + W[i]) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  h[0] = (h[0] + a) | 0;
  h[1] = (h[1] + b) | 0;
  h[2] = (h[2] + c) | 0;
  h[3] = (h[3] + d) | 0;
  h[4] = (h[4] + e) | 0;
}

/**
 * The 20-byte SHA-1 of `data` (bytes, or a binary string whose chars are bytes). When `out` is given the hash
 * is written there (and returned), which lets callers hash into a buffer they reuse.
 */
export function sha1(data: Uint8Array | string, out: Uint8Array = new Uint8Array(20)): Uint8Array {
  const h = new Int32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
  const len = data.length;
  const isString = typeof data === 'string';
  let fill = 0;
  for (let i = 0; i < len; i++) {
    block[fill++] = isString ? (data as string).charCodeAt(i) & 0xff : (data as Uint8Array)[i];
    if (fill === 64) {
      compress(h);
      fill = 0;
    }
  }
  // Padding: a 1 bit, zeros, then the message length in bits as a 64-bit big-endian number.
  block[fill++] = 0x80;
  if (fill > 56) {
    block.fill(0, fill);
    compress(h);
    fill = 0;
  }
  block.fill(0, fill, 56);
  const bits = len * 8;
  const high = Math.floor(bits / 0x100000000);
  const low = bits >>> 0;
  block[56] = high >>> 24;
  block[57] = (high >>> 16) & 0xff;
  block[58] = (high >>> 8) & 0xff;
  block[59] = high & 0xff;
  block[60] = low >>> 24;
  block[61] = (low >>> 16) & 0xff;
  block[62] = (low >>> 8) & 0xff;
  block[63] = low & 0xff;
  compress(h);
  for (let i = 0; i < 5; i++) {
    out[i * 4] = h[i] >>> 24;
    out[i * 4 + 1] = (h[i] >>> 16) & 0xff;
    out[i * 4 + 2] = (h[i] >>> 8) & 0xff;
    out[i * 4 + 3] = h[i] & 0xff;
  }
  return out;
}

/** Lowercase hex of bytes (a SHA-1 is 40 hex digits). */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += (b < 16 ? '0' : '') + b.toString(16);
  return s;
}

/** SHA-1 as 40 lowercase hex digits, over a binary string (script names for EVALSHA, redis.sha1hex). */
export function sha1Hex(data: string): string {
  return toHex(sha1(data));
}
