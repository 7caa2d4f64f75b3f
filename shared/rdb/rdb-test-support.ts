import { bytesToBinary } from '../bytes.js';
import { Database, type RedisValue } from '../store/database.js';
import { Deque } from '../store/deque.js';
import { SortedSet } from '../store/sorted-set.js';
import { Stream, formatStreamId } from '../store/stream.js';
import { RdbReader } from './rdb-reader.js';

/**
 * Test support shared by the RDB tests (not used by production code): building datasets, reading a file back
 * into databases, and a comparable plain form of values.
 */

/** A value in a comparable, order-normalised plain form. */
export function plain(value: RedisValue): unknown {
  if (typeof value === 'string') return value;
  if (value instanceof Deque) return { list: [...value] };
  if (value instanceof Map) return { hash: [...value].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
  if (value instanceof Set) return { set: [...value].sort() };
  if (value instanceof Stream) return { stream: plainStream(value) };
  return { zset: [...value.entries()] };
}

/** A stream in plain form: IDs formatted, groups and consumers in name order, PELs in ID order. */
export function plainStream(s: Stream): unknown {
  const byName = <T>(m: Map<string, T>): Array<[string, T]> => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const ids = (it: Iterable<bigint>): bigint[] => [...it].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    entries: s.entries.map((e) => [formatStreamId(e.id), e.fields]),
    lastId: formatStreamId(s.lastId),
    firstId: formatStreamId(s.firstId),
    maxDeletedId: formatStreamId(s.maxDeletedId),
    entriesAdded: s.entriesAdded,
    groups: byName(s.groups).map(([name, g]) => ({
      name,
      lastId: formatStreamId(g.lastId),
      entriesRead: g.entriesRead,
      pending: ids(g.pending.keys()).map((id) => {
        const n = g.pending.get(id)!;
        return [formatStreamId(id), n.consumer, n.deliveryTime, n.deliveryCount];
      }),
      consumers: byName(g.consumers).map(([cname, c]) => [cname, c.seenTime, ids(c.pending).map(formatStreamId)]),
    })),
  };
}

/** Databases in plain form: db id -> key -> [plain value, expire]. Empty databases are left out. */
export function plainDbs(dbs: readonly Database[]): Record<number, Record<string, [unknown, number]>> {
  const out: Record<number, Record<string, [unknown, number]>> = {};
  for (const db of dbs) {
    if (db.dict.size === 0) continue;
    const keys: Record<string, [unknown, number]> = {};
    for (const [k, v] of db.dict) keys[k] = [plain(v), db.expires.get(k) ?? -1];
    out[db.id] = keys;
  }
  return out;
}

/** A sorted set from [member, score] pairs. */
export function zset(pairs: Array<[string, number]>): SortedSet {
  const z = new SortedSet();
  for (const [m, s] of pairs) z.add(m, s);
  return z;
}

/** Databases 0..count-1 filled from `content` (db id -> key -> value or [value, expire]). */
export function makeDbs(content: Record<number, Record<string, RedisValue | [RedisValue, number]>>, count = 16): Database[] {
  const dbs: Database[] = [];
  for (let i = 0; i < count; i++) dbs.push(new Database(i));
  for (const [id, keys] of Object.entries(content)) {
    for (const [k, entry] of Object.entries(keys)) {
      const [v, exp] = Array.isArray(entry) ? entry : [entry, -1];
      dbs[Number(id)].dict.set(k, v);
      if (exp >= 0) dbs[Number(id)].expires.set(k, exp);
    }
  }
  return dbs;
}

/** What reading a whole file reported. */
export interface ReadResult {
  dbs: Database[];
  aux: Array<[string, string]>;
  events: string[];
  checksumOk: boolean | undefined;
  reader: RdbReader;
}

/** Reads an RDB file fed as the given pieces into fresh databases. */
export function readAll(pieces: Iterable<Uint8Array>): ReadResult {
  const result: ReadResult = { dbs: makeDbs({}), aux: [], events: [], checksumOk: undefined, reader: null as unknown as RdbReader };
  const reader = new RdbReader({
    onAux: (n, v) => result.aux.push([n, v]),
    onSelectDb: (n) => result.events.push(`select ${n}`),
    onResizeDb: (a, b) => result.events.push(`resize ${a} ${b}`),
    onKey: (db, key, value, expire) => {
      result.dbs[db].dict.set(key, value);
      if (expire !== -1) result.dbs[db].expires.set(key, expire);
    },
    onFunction: (code) => result.events.push(`function ${code}`),
    onEnd: (ok) => {
      result.checksumOk = ok;
      result.events.push('end');
    },
  });
  result.reader = reader;
  for (const p of pieces) reader.push(p);
  reader.end();
  return result;
}

/** Concatenates chunks. */
export function concat(chunks: Iterable<Uint8Array>): Uint8Array {
  const list = [...chunks];
  const out = new Uint8Array(list.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of list) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Splits bytes at the given cut points. */
export function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

/** Bytes as a binary string (for readable assertions). */
export const bin = (b: Uint8Array): string => bytesToBinary(b);
