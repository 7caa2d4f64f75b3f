import { ByteWriter, compareBinary } from '../shared/bytes.js';
import { writeCommand } from '../shared/resp/encoder.js';
import { formatDouble } from '../shared/resp/reply.js';
import type { Database, RedisValue } from '../shared/store/database.js';
import { Deque } from '../shared/store/deque.js';
import { SortedSet } from '../shared/store/sorted-set.js';
import { Stream, formatStreamId } from '../shared/store/stream.js';

/** Redis's AOF_REWRITE_ITEMS_PER_CMD: elements per RPUSH / SADD / ZADD / HMSET of a rewritten aggregate. */
const ITEMS_PER_CMD = 64;
/** Bytes gathered before a chunk is yielded. */
const CHUNK_BYTES = 64 * 1024;

/** `#TS:<unix seconds>\r\n`, the annotation aof-timestamp-enabled adds (genAofTimestampAnnotationIfNeeded). */
export function timestampAnnotation(unixSeconds: number): string {
  return `#TS:${unixSeconds}\r\n`;
}

/**
 * The commands that rebuild `dbs` (Redis's rewriteAppendOnlyFileRio, the base of an AOF without an RDB
 * preamble): per non-empty database a SELECT, then per key the commands that recreate it (aggregates in
 * batches of 64 elements) and a PEXPIREAT for a TTL. Yields RESP chunks of about 64 KiB.
 */
export function* rewriteCommands(
  dbs: readonly Database[],
  opts: { timestamp?: number; functions?: readonly string[] } = {},
): Generator<Uint8Array, void, void> {
  const w = new ByteWriter(CHUNK_BYTES * 2);
  if (opts.timestamp !== undefined) {
    const ts = timestampAnnotation(opts.timestamp);
    for (let i = 0; i < ts.length; i++) w.bytes(Uint8Array.of(ts.charCodeAt(i)));
  }
  // rewriteFunctions: the libraries come first, as FUNCTION LOAD commands.
  for (const code of opts.functions ?? []) writeCommand(w, ['FUNCTION', 'LOAD', code]);
  for (const db of dbs) {
    if (db.dict.size === 0) continue;
    writeCommand(w, ['SELECT', String(db.id)]);
    for (const [key, value] of db.dict) {
      for (const cmd of keyCommands(key, value)) {
        writeCommand(w, cmd);
        if (w.length >= CHUNK_BYTES) yield w.take();
      }
      const expire = db.expires.get(key);
      if (expire !== undefined) writeCommand(w, ['PEXPIREAT', key, String(expire)]);
      if (w.length >= CHUNK_BYTES) yield w.take();
    }
  }
  if (w.length > 0) yield w.take();
}

/** The commands that recreate one key (rewriteListObject, rewriteSetObject, ... rewriteStreamObject). */
function* keyCommands(key: string, value: RedisValue): Generator<string[], void, void> {
  if (typeof value === 'string') {
    yield ['SET', key, value];
  } else if (value instanceof Deque) {
    yield* batched('RPUSH', key, value.slice(), (item) => [item]);
  } else if (value instanceof Set) {
    yield* batched('SADD', key, [...value], (item) => [item]);
  } else if (value instanceof SortedSet) {
    yield* batched('ZADD', key, [...value.entries()], ([member, score]) => [formatDouble(score), member]);
  } else if (value instanceof Map) {
    yield* batched('HMSET', key, [...value], ([field, v]) => [field, v]);
  } else if (value instanceof Stream) {
    yield* streamCommands(key, value);
  }
}

function* batched<T>(name: string, key: string, items: T[], args: (item: T) => string[]): Generator<string[], void, void> {
  for (let i = 0; i < items.length; i += ITEMS_PER_CMD) {
    const cmd = [name, key];
    for (const item of items.slice(i, i + ITEMS_PER_CMD)) cmd.push(...args(item));
    yield cmd;
  }
}

/**
 * A stream as Redis 7.0 rewrites it: an XADD per entry (or XADD MAXLEN 0 for an empty stream), XSETID with the
 * counters, then per group (in name order) XGROUP CREATE with ENTRIESREAD and per consumer either its pending
 * entries as XCLAIM ... JUSTID FORCE or XGROUP CREATECONSUMER.
 */
function* streamCommands(key: string, s: Stream): Generator<string[], void, void> {
  if (s.entries.length > 0) {
    for (const e of s.entries) yield ['XADD', key, formatStreamId(e.id), ...e.fields];
  } else {
    yield ['XADD', key, 'MAXLEN', '0', '0-1', 'x', 'y'];
  }
  yield [
    'XSETID',
    key,
    formatStreamId(s.lastId),
    'ENTRIESADDED',
    String(s.entriesAdded),
    'MAXDELETEDID',
    formatStreamId(s.maxDeletedId),
  ];
  // Redis keeps groups and consumers in radix trees: byte order.
  const groups = [...s.groups.values()].sort((a, b) => compareBinary(a.name, b.name));
  for (const g of groups) {
    yield ['XGROUP', 'CREATE', key, g.name, formatStreamId(g.lastId), 'ENTRIESREAD', String(g.entriesRead)];
    const consumers = [...g.consumers.values()].sort((a, b) => compareBinary(a.name, b.name));
    for (const c of consumers) {
      if (c.pending.size === 0) {
        yield ['XGROUP', 'CREATECONSUMER', key, g.name, c.name];
        continue;
      }
      const ids = [...c.pending].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const id of ids) {
        const nack = g.pending.get(id);
        if (!nack) continue;
        yield [
          'XCLAIM',
          key,
          g.name,
          c.name,
          '0',
          formatStreamId(id),
          'TIME',
          String(nack.deliveryTime),
          'RETRYCOUNT',
          String(nack.deliveryCount),
          'JUSTID',
          'FORCE',
        ];
      }
    }
  }
}
