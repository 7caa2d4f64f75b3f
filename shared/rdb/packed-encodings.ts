import { bytesToBinary } from '../bytes.js';
import { RdbError } from './rdb-error.js';

/**
 * Decoders for the compact in-memory encodings Redis dumps verbatim into RDB files as one string blob:
 * listpack (Redis 7 small hashes, sorted sets and quicklist nodes), ziplist (the same role before 7.0),
 * intset (small integer sets) and zipmap (hashes before 2.6). Each returns the entries in order as binary
 * strings (integers in decimal), and throws RdbError on any inconsistency, as Redis's integrity checks do.
 */

function corrupt(what: string): never {
  throw new RdbError(`${what} integrity check failed`);
}

function u32le(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

function int64le(b: Uint8Array, p: number): string {
  return new DataView(b.buffer, b.byteOffset + p, 8).getBigInt64(0, true).toString();
}

function int24le(b: Uint8Array, p: number): number {
  const v = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16);
  return v & 0x800000 ? v - 0x1000000 : v;
}

function int16le(b: Uint8Array, p: number): number {
  const v = b[p] | (b[p + 1] << 8);
  return v & 0x8000 ? v - 0x10000 : v;
}

/** The entries of a listpack: <total bytes u32><count u16> entries <0xFF>; each entry ends with its back-length. */
export function decodeListpack(b: Uint8Array): string[] {
  const what = 'Listpack';
  if (b.length < 7 || u32le(b, 0) !== b.length || b[b.length - 1] !== 0xff) corrupt(what);
  const declared = b[4] | (b[5] << 8);
  const out: string[] = [];
  const end = b.length - 1;
  let p = 6;
  while (p < end) {
    const e = b[p];
    let entryLen: number;
    let value: string;
    if ((e & 0x80) === 0) {
      entryLen = 1;
      value = String(e & 0x7f);
    } else if ((e & 0xc0) === 0x80) {
      const len = e & 0x3f;
      entryLen = 1 + len;
      if (p + entryLen > end) corrupt(what);
      value = bytesToBinary(b, p + 1, p + 1 + len);
    } else if ((e & 0xe0) === 0xc0) {
      if (p + 2 > end) corrupt(what);
      entryLen = 2;
      const v = ((e & 0x1f) << 8) | b[p + 1];
      value = String(v >= 1 << 12 ? v - (1 << 13) : v);
    } else if ((e & 0xf0) === 0xe0) {
      if (p + 2 > end) corrupt(what);
      const len = ((e & 0x0f) << 8) | b[p + 1];
      entryLen = 2 + len;
      if (p + entryLen > end) corrupt(what);
      value = bytesToBinary(b, p + 2, p + 2 + len);
    } else if (e === 0xf0) {
      if (p + 5 > end) corrupt(what);
      const len = u32le(b, p + 1);
      entryLen = 5 + len;
      if (p + entryLen > end) corrupt(what);
      value = bytesToBinary(b, p + 5, p + 5 + len);
    } else if (e === 0xf1) {
      entryLen = 3;
      if (p + entryLen > end) corrupt(what);
      value = String(int16le(b, p + 1));
    } else if (e === 0xf2) {
      entryLen = 4;
      if (p + entryLen > end) corrupt(what);
      value = String(int24le(b, p + 1));
    } else if (e === 0xf3) {
      entryLen = 5;
      if (p + entryLen > end) corrupt(what);
      value = String(u32le(b, p + 1) | 0);
    } else if (e === 0xf4) {
      entryLen = 9;
      if (p + entryLen > end) corrupt(what);
      value = int64le(b, p + 1);
    } else {
      corrupt(what);
    }
    // The back-length (for walking backwards): its size follows from entryLen as in lpEncodeBacklen, and its
    // big-endian base-128 digits, read from the last byte, must give entryLen back.
    const backLen = entryLen <= 127 ? 1 : entryLen < 16383 ? 2 : entryLen < 2097151 ? 3 : entryLen < 268435455 ? 4 : 5;
    const last = p + entryLen + backLen - 1;
    if (last >= end) corrupt(what);
    let decoded = 0;
    for (let i = 0, q = last; i < backLen; i++, q--) decoded += (b[q] & 127) * 2 ** (7 * i);
    if (decoded !== entryLen) corrupt(what);
    p = last + 1;
    out.push(value);
  }
  // 65535 means "too many to count in the header".
  if (declared !== 0xffff && declared !== out.length) corrupt(what);
  return out;
}

/**
 * The entries of a ziplist: <zlbytes u32><zltail u32><zllen u16> entries <0xFF>; each entry is
 * <prevlen 1|5 bytes><encoding><data>.
 */
export function decodeZiplist(b: Uint8Array): string[] {
  const what = 'Ziplist';
  if (b.length < 11 || u32le(b, 0) !== b.length || b[b.length - 1] !== 0xff) corrupt(what);
  const declared = b[8] | (b[9] << 8);
  const out: string[] = [];
  const end = b.length - 1;
  let p = 10;
  while (p < end) {
    const prev = b[p];
    if (prev === 0xff) corrupt(what);
    p += prev === 0xfe ? 5 : 1;
    if (p >= end) corrupt(what);
    const e = b[p];
    const kind = e >> 6;
    let value: string;
    if (kind === 0 || kind === 1 || e === 0x80) {
      let len: number;
      let header: number;
      if (kind === 0) {
        len = e & 0x3f;
        header = 1;
      } else if (kind === 1) {
        if (p + 2 > end) corrupt(what);
        len = ((e & 0x3f) << 8) | b[p + 1];
        header = 2;
      } else {
        if (p + 5 > end) corrupt(what);
        len = ((b[p + 1] << 24) | (b[p + 2] << 16) | (b[p + 3] << 8) | b[p + 4]) >>> 0;
        header = 5;
      }
      if (p + header + len > end) corrupt(what);
      value = bytesToBinary(b, p + header, p + header + len);
      p += header + len;
    } else {
      let size: number;
      if (e === 0xc0) size = 2;
      else if (e === 0xd0) size = 4;
      else if (e === 0xe0) size = 8;
      else if (e === 0xf0) size = 3;
      else if (e === 0xfe) size = 1;
      else if (e >= 0xf1 && e <= 0xfd) size = 0;
      else corrupt(what);
      if (p + 1 + size > end) corrupt(what);
      const d = p + 1;
      if (size === 0) value = String((e & 0x0f) - 1);
      else if (size === 1) value = String((b[d] << 24) >> 24);
      else if (size === 2) value = String(int16le(b, d));
      else if (size === 3) value = String(int24le(b, d));
      else if (size === 4) value = String(u32le(b, d) | 0);
      else value = int64le(b, d);
      p = d + size;
    }
    out.push(value);
  }
  if (declared !== 0xffff && declared !== out.length) corrupt(what);
  return out;
}

/** The members of an intset: <encoding u32: 2|4|8><length u32><little-endian integers>, in decimal. */
export function decodeIntset(b: Uint8Array): string[] {
  const what = 'Intset';
  if (b.length < 8) corrupt(what);
  const width = u32le(b, 0);
  const count = u32le(b, 4);
  if ((width !== 2 && width !== 4 && width !== 8) || 8 + width * count !== b.length || count === 0) corrupt(what);
  const out: string[] = new Array(count);
  for (let i = 0, p = 8; i < count; i++, p += width) {
    out[i] = width === 2 ? String(int16le(b, p)) : width === 4 ? String(u32le(b, p) | 0) : int64le(b, p);
  }
  return out;
}

/**
 * The field/value pairs of a zipmap (flattened): <count 1 byte> then <len>field<len><free>value<free bytes>,
 * ended by 0xFF; a length below 254 is one byte, 254 introduces a 4-byte little-endian length.
 */
export function decodeZipmap(b: Uint8Array): string[] {
  const what = 'Zipmap';
  if (b.length < 2 || b[b.length - 1] !== 0xff) corrupt(what);
  const out: string[] = [];
  const end = b.length - 1;
  let p = 1;
  const readLen = (): number => {
    const l = b[p];
    if (l < 254) {
      p += 1;
      return l;
    }
    if (l !== 254 || p + 5 > end) corrupt(what);
    const v = u32le(b, p + 1);
    p += 5;
    return v;
  };
  while (p < end) {
    const klen = readLen();
    if (p + klen > end) corrupt(what);
    const field = bytesToBinary(b, p, p + klen);
    p += klen;
    if (p >= end) corrupt(what);
    const vlen = readLen();
    if (p >= end) corrupt(what);
    const free = b[p++];
    if (p + vlen + free > end) corrupt(what);
    const value = bytesToBinary(b, p, p + vlen);
    p += vlen + free;
    out.push(field, value);
  }
  return out;
}
