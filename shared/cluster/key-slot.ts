/**
 * Key to hash slot mapping, as Redis Cluster computes it (cluster.c keyHashSlot, crc16.c): CRC16-XMODEM of the
 * key, or of its {hashtag}, modulo 16384.
 */

/** CRC16-XMODEM (poly 0x1021, init 0, no reflection) lookup table, built once: 256 entries, one per byte. */
const CRC16_TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

function crc16Range(s: string, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ s.charCodeAt(i)) & 0xff];
  }
  return crc;
}

/**
 * CRC16-XMODEM over a binary string (one char per byte; only the low byte of each char counts), the checksum
 * Redis Cluster hashes keys with. `crc16('123456789') === 0x31c3`.
 */
export function crc16(s: string): number {
  return crc16Range(s, 0, s.length);
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The hash slot (0..16383) of a key, with Redis's hashtag rule: when the key has a '{' followed later by a '}'
 * with at least one byte between them, only the bytes between the FIRST '{' and the first '}' after it are
 * hashed. An empty tag ('{}' at the first '{') or a missing '}' means the whole key is hashed.
 */
export function keyHashSlot(key: string): number {
  const len = key.length;
  let s = 0;
  while (s < len && key.charCodeAt(s) !== OPEN_BRACE) s++;
  if (s === len) return crc16Range(key, 0, len) & 0x3fff;
  let e = s + 1;
  while (e < len && key.charCodeAt(e) !== CLOSE_BRACE) e++;
  if (e === len || e === s + 1) return crc16Range(key, 0, len) & 0x3fff;
  return crc16Range(key, s + 1, e) & 0x3fff;
}
