import { describe, expect, it } from 'vitest';
import { binaryToBytes, bytesToBinary } from '../bytes.js';
import { Database } from '../store/database.js';
import { Stream, U64_MAX, streamId, type StreamEntry } from '../store/stream.js';
import { ChunkSink } from './chunk-sink.js';
import { createDumpPayload, decodeDumpPayload, verifyDumpPayload } from './dump-payload.js';
import { decodeListpack } from './packed-encodings.js';
import {
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STREAM_LISTPACKS_3,
} from './rdb-constants.js';
import { RdbError } from './rdb-error.js';
import { decodeRdbValue } from './rdb-reader.js';
import { plainStream, readAll } from './rdb-test-support.js';
import { writeRdb, writeString } from './rdb-writer.js';
import { nodesAppend, streamDeleteEntry } from '../store/stream-nodes.js';
import { DEFAULT_STREAM_NODE_LIMITS, encodeStreamNode, writeLength64, type StreamNodeLimits } from './stream-rdb.js';

const id = (ms: number | bigint, seq: number | bigint): bigint => streamId(BigInt(ms), BigInt(seq));

/** A stream as a sequence of XADDs would leave it. */
function streamOf(entries: Array<[bigint, string[]]>): Stream {
  const s = new Stream();
  for (const [eid, fields] of entries) s.entries.push({ id: eid, fields });
  s.lastId = entries.length > 0 ? entries[entries.length - 1][0] : 0n;
  s.entriesAdded = entries.length;
  return s;
}

function roundTrip(s: Stream, compress = true): Stream {
  const payload = createDumpPayload(s, { compress });
  expect(verifyDumpPayload(binaryToBytes(payload))).toBe(true);
  return decodeDumpPayload(binaryToBytes(payload)) as Stream;
}

/** The nodes of an uncompressed stream payload: each node's master ID and listpack, as written. */
function payloadNodes(payload: string): Array<{ masterId: bigint; listpack: Uint8Array }> {
  const b = binaryToBytes(payload);
  let p = 1;
  const len = (): number => {
    const first = b[p];
    if (first >> 6 === 0) return b[p++] & 0x3f;
    if (first >> 6 === 1) return ((b[p++] & 0x3f) << 8) | b[p++];
    expect(first).toBe(0x80);
    const v = ((b[p + 1] << 24) | (b[p + 2] << 16) | (b[p + 3] << 8) | b[p + 4]) >>> 0;
    p += 5;
    return v;
  };
  const nodes: Array<{ masterId: bigint; listpack: Uint8Array }> = [];
  for (let n = len(); n > 0; n--) {
    expect(len()).toBe(16);
    let masterId = 0n;
    for (let i = 0; i < 16; i++) masterId = (masterId << 8n) | BigInt(b[p++]);
    const size = len();
    nodes.push({ masterId, listpack: b.subarray(p, p + size) });
    p += size;
  }
  return nodes;
}

function nodesOf(s: Stream, limits: StreamNodeLimits = DEFAULT_STREAM_NODE_LIMITS): Array<{ masterId: bigint; listpack: Uint8Array }> {
  return payloadNodes(createDumpPayload(s, { compress: false, streamNodeLimits: limits }));
}

function hex(h: string): Uint8Array {
  return new Uint8Array(h.match(/../g)!.map((b) => parseInt(b, 16)));
}

/** A stream with one group whose PEL is owned by two consumers. */
function streamWithGroups(): Stream {
  const s = streamOf([
    [id(1, 0), ['f', 'a']],
    [id(1, 1), ['f', 'b']],
    [id(2, 0), ['f', 'c']],
  ]);
  s.groups.set('readers', {
    name: 'readers',
    lastId: id(2, 0),
    entriesRead: 3,
    pending: new Map([
      [id(1, 0), { consumer: 'bob', deliveryTime: 1_700_000_000_123, deliveryCount: 2 }],
      [id(1, 1), { consumer: 'alice', deliveryTime: 1_700_000_000_456, deliveryCount: 1 }],
      [id(2, 0), { consumer: 'bob', deliveryTime: 1_700_000_000_789, deliveryCount: 300 }],
    ]),
    consumers: new Map([
      ['bob', { name: 'bob', seenTime: 1_700_000_000_789, pending: new Set([id(2, 0), id(1, 0)]) }],
      ['alice', { name: 'alice', seenTime: 1_700_000_000_456, pending: new Set([id(1, 1)]) }],
      ['idle', { name: 'idle', seenTime: 1_600_000_000_000, pending: new Set<bigint>() }],
    ]),
  });
  s.groups.set('audit', { name: 'audit', lastId: 0n, entriesRead: -1, pending: new Map(), consumers: new Map() });
  return s;
}

describe('stream RDB round trips', () => {
  it('keeps an empty stream with its counters (Redis keeps empty streams)', () => {
    const s = new Stream();
    s.lastId = id(5, 7);
    s.maxDeletedId = id(5, 7);
    s.entriesAdded = 12;
    const back = roundTrip(s);
    expect(back).toBeInstanceOf(Stream);
    expect(plainStream(back)).toEqual(plainStream(s));
    expect(back.firstId).toBe(0n);
  });

  it('keeps entries, field order, binary and integer-like values', () => {
    const s = streamOf([
      [id(1, 0), ['name', 'x', 'n', '1']],
      [id(1, 1), ['name', '-42', 'n', '0123']],
      [id(1, 2), ['n', '9223372036854775807', 'name', '9223372036854775808']],
      [id(3, 0), ['\x00\xff', 'a'.repeat(100), 'big', 'b'.repeat(5000)]],
      [id(3, 1), ['name', '-0', 'n', '', 'extra', '+5']],
    ]);
    for (const compress of [true, false]) expect(plainStream(roundTrip(s, compress))).toEqual(plainStream(s));
  });

  it('keeps a stream whose entries were deleted: max deleted ID and entries added survive', () => {
    const s = streamOf([
      [id(1, 0), ['a', '1']],
      [id(4, 0), ['a', '4']],
    ]);
    s.lastId = id(9, 0);
    s.maxDeletedId = id(9, 0);
    s.entriesAdded = 9;
    expect(plainStream(roundTrip(s))).toEqual(plainStream(s));
  });

  it('keeps consumer groups, their PELs and consumers with their own PELs', () => {
    const s = streamWithGroups();
    const back = roundTrip(s);
    expect(plainStream(back)).toEqual(plainStream(s));
    const g = back.groups.get('readers')!;
    expect(g.pending.get(id(1, 1))!.consumer).toBe('alice');
    expect([...g.pending.keys()]).toEqual([id(1, 0), id(1, 1), id(2, 0)]);
    expect(back.groups.get('audit')!.entriesRead).toBe(-1);
  });

  it('writes groups and consumers in name order, as Redis walks its radix trees', () => {
    const s = streamWithGroups();
    const payload = createDumpPayload(s, { compress: false });
    expect(payload.indexOf('audit')).toBeLessThan(payload.indexOf('readers'));
    expect(payload.indexOf('alice')).toBeLessThan(payload.indexOf('bob'));
    expect(payload.indexOf('bob')).toBeLessThan(payload.indexOf('idle'));
    // Read back, groups come in file (name) order.
    expect([...roundTrip(s).groups.keys()]).toEqual(['audit', 'readers']);
  });

  it('keeps the largest IDs and IDs whose millisecond delta overflows int64', () => {
    const s = streamOf([
      [id(0, 1), ['f', 'v']],
      [id(1n << 63n, 0), ['f', 'w']],
      [id(U64_MAX, 0), ['f', 'x']],
      [id(U64_MAX, U64_MAX), ['f', 'y']],
    ]);
    s.maxDeletedId = id(U64_MAX - 1n, U64_MAX);
    s.groups.set('g', {
      name: 'g',
      lastId: id(U64_MAX, U64_MAX),
      entriesRead: 4,
      pending: new Map([[id(U64_MAX, U64_MAX), { consumer: 'c', deliveryTime: 0, deliveryCount: 1 }]]),
      consumers: new Map([['c', { name: 'c', seenTime: 0, pending: new Set([id(U64_MAX, U64_MAX)]) }]]),
    });
    expect(nodesOf(s).map((n) => n.masterId)).toEqual([id(0, 1)]);
    expect(plainStream(roundTrip(s))).toEqual(plainStream(s));
  });

  it('keeps a stream of many nodes', () => {
    const entries: Array<[bigint, string[]]> = [];
    for (let i = 0; i < 1234; i++) entries.push([id(1000 + i, i % 5), i % 7 === 0 ? ['other', String(i)] : ['k', `v${i}`, 'n', String(i * 1000)]]);
    const s = streamOf(entries);
    expect(nodesOf(s).length).toBeGreaterThan(12);
    expect(plainStream(roundTrip(s))).toEqual(plainStream(s));
  });

  it('loads and writes streams inside a whole RDB file, empty ones included', () => {
    const db = new Database(0);
    db.dict.set('s', streamWithGroups());
    db.dict.set('empty', new Stream());
    const { dbs } = readAll(writeRdb({ dbs: [db], now: 0 }, { chunkSize: 64 }));
    expect(plainStream(dbs[0].dict.get('s') as Stream)).toEqual(plainStream(streamWithGroups()));
    expect(dbs[0].dict.get('empty')).toBeInstanceOf(Stream);
  });
});

describe('stream nodes as XADD makes them', () => {
  const small = (n: number): Stream => streamOf(Array.from({ length: n }, (_, i) => [id(i + 1, 0), ['f', String(i)]]));
  const keys = (s: Stream, limits?: StreamNodeLimits): number[] => nodesOf(s, limits).map((n) => Number(n.masterId >> 64n));

  it('starts a node every stream-node-max-entries entries', () => {
    expect(keys(small(250))).toEqual([1, 101, 201]);
    expect(keys(small(10), { maxBytes: 4096, maxEntries: 3 })).toEqual([1, 4, 7, 10]);
  });

  it('starts a node when the tail node plus the new fields would reach stream-node-max-bytes', () => {
    const s = small(40);
    const nodes = nodesOf(s, { maxBytes: 64, maxEntries: 0 });
    expect(nodes.length).toBeGreaterThan(2);
    let start = 0;
    for (let n = 0; n < nodes.length; n++) {
      const live = Number(decodeListpack(nodes[n].listpack)[0]);
      const end = start + live;
      const master = ['f'];
      // The last entry went into a node still under the limit, and the next one (2 bytes of field and value) did not fit.
      if (live > 1) expect(encodeStreamNode(nodes[n].masterId, master, s.entries, start, end - 1).length + 2).toBeLessThan(64);
      if (end < s.entries.length) expect(nodes[n].listpack.length + 2).toBeGreaterThanOrEqual(64);
      start = end;
    }
    expect(start).toBe(40);
  });

  it('puts everything in one node when both limits are 0', () => {
    expect(keys(small(1000), { maxBytes: 0, maxEntries: 0 })).toEqual([1]);
  });

  it('lays a node out as master entry then delta-encoded entries with SAMEFIELDS flags', () => {
    const entries: StreamEntry[] = [
      { id: id(5, 1), fields: ['a', 'x', 'b', 'y'] },
      { id: id(5, 2), fields: ['a', 'z', 'b', 'w'] },
      { id: id(7, 0), fields: ['c', 'q', 'd', 'r'] },
    ];
    expect(decodeListpack(encodeStreamNode(id(5, 1), ['a', 'b'], entries, 0, 3))).toEqual([
      ...['3', '0', '2', 'a', 'b', '0'],
      ...['2', '0', '0', 'x', 'y', '5'],
      ...['2', '0', '1', 'z', 'w', '5'],
      ...['0', '2', '-1', '2', 'c', 'q', 'd', 'r', '8'],
    ]);
  });

  it('keeps the key and master entry of a node whose first entry was deleted, leaving tombstones out', () => {
    const s = new Stream();
    for (const [ms, v] of [
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ] as const) {
      const entry = { id: id(ms, 0), fields: ['f', v] };
      s.entries.push(entry);
      s.lastId = entry.id;
      s.entriesAdded++;
      nodesAppend(s, entry, DEFAULT_STREAM_NODE_LIMITS);
    }
    expect(streamDeleteEntry(s, id(1, 0), DEFAULT_STREAM_NODE_LIMITS)).toBe(true);
    s.maxDeletedId = id(1, 0);
    const [node] = nodesOf(s);
    expect(node.masterId).toBe(id(1, 0));
    expect(decodeListpack(node.listpack)).toEqual([...['2', '0', '1', 'f', '0'], ...['2', '1', '0', 'b', '4'], ...['2', '2', '0', 'c', '4']]);
    expect(plainStream(roundTrip(s))).toEqual(plainStream(s));
  });
});

describe('reading what Redis writes', () => {
  // DUMP of a stream from redis-server 7.0.15 (rdbcompression no): XADD s 1-1 a 1, XADD s 1-2 a 2 b 3,
  // XADD s 2-0 a 3, XDEL s 1-2, XGROUP CREATE s g 0, XREADGROUP GROUP g alice COUNT 1 STREAMS s >.
  const REDIS_DUMP =
    '130110000000000000000100000000000000013b3b0000001800020101010101816102000102010001000101010401010100' +
    '010101020181610202018162020301080102010101dfff0203010401ff0202000101010203010167010181ffffffffffffffff01' +
    '0000000000000001000000000000000186e11a10a2010000010105616c69636586e11a10a20100000100000000000000010000' +
    '0000000000010a00e4e759ac7ef48c7a';

  it('skips entries flagged deleted inside a node and keeps the tombstone counters', () => {
    const payload = hex(REDIS_DUMP);
    expect(verifyDumpPayload(payload)).toBe(true);
    const s = decodeDumpPayload(payload) as Stream;
    expect(plainStream(s)).toEqual({
      entries: [
        ['1-1', ['a', '1']],
        ['2-0', ['a', '3']],
      ],
      lastId: '2-0',
      firstId: '1-1',
      maxDeletedId: '1-2',
      entriesAdded: 3,
      groups: [
        {
          name: 'g',
          lastId: '1-1',
          entriesRead: -1,
          pending: [['1-1', 'alice', 1795566526854, 1]],
          consumers: [['alice', 1795566526854, ['1-1']]],
        },
      ],
    });
  });

  /** A stream body in the older layouts, around one node of `entries`. */
  function legacyBody(type: number, entries: StreamEntry[], lastId: bigint, groupLastId: bigint): Uint8Array {
    const sink = new ChunkSink();
    writeLength64(sink, 1n);
    writeString(sink, bytesToBinary(hex(entries[0].id.toString(16).padStart(32, '0'))), false);
    const lp = encodeStreamNode(entries[0].id, ['f'], entries, 0, entries.length);
    writeLength64(sink, BigInt(lp.length));
    sink.bytes(lp);
    writeLength64(sink, BigInt(entries.length));
    writeLength64(sink, lastId >> 64n);
    writeLength64(sink, lastId & U64_MAX);
    writeLength64(sink, 1n);
    writeString(sink, 'g', false);
    writeLength64(sink, groupLastId >> 64n);
    writeLength64(sink, groupLastId & U64_MAX);
    if (type === RDB_TYPE_STREAM_LISTPACKS_3) writeLength64(sink, 1n);
    writeLength64(sink, 1n);
    sink.bytes(hex(entries[0].id.toString(16).padStart(32, '0')));
    sink.bytes(hex('e803000000000000')); // delivery time 1000
    writeLength64(sink, 3n);
    writeLength64(sink, 1n);
    writeString(sink, 'c', false);
    sink.bytes(hex('d007000000000000')); // seen time 2000
    if (type === RDB_TYPE_STREAM_LISTPACKS_3) sink.bytes(hex('b80b000000000000')); // active time 3000
    writeLength64(sink, 1n);
    sink.bytes(hex(entries[0].id.toString(16).padStart(32, '0')));
    return sink.collect();
  }

  it('reads Redis 5/6 streams (type 15): entries added and entries read are estimated as Redis does', () => {
    const entries: StreamEntry[] = [
      { id: id(1, 0), fields: ['f', 'v'] },
      { id: id(2, 0), fields: ['f', 'w'] },
    ];
    const body = legacyBody(RDB_TYPE_STREAM_LISTPACKS, entries, id(2, 0), id(2, 0));
    const { value, length } = decodeRdbValue(RDB_TYPE_STREAM_LISTPACKS, body);
    expect(length).toBe(body.length);
    const s = value as Stream;
    expect(s.entriesAdded).toBe(2);
    expect(s.maxDeletedId).toBe(0n);
    expect(s.groups.get('g')!.entriesRead).toBe(2);
    expect(s.groups.get('g')!.pending.get(id(1, 0))).toEqual({ consumer: 'c', deliveryTime: 1000, deliveryCount: 3 });

    const before = legacyBody(RDB_TYPE_STREAM_LISTPACKS, entries, id(2, 0), 0n);
    expect((decodeRdbValue(RDB_TYPE_STREAM_LISTPACKS, before).value as Stream).groups.get('g')!.entriesRead).toBe(0);
    const ahead = legacyBody(RDB_TYPE_STREAM_LISTPACKS, entries, id(2, 0), id(3, 0));
    expect((decodeRdbValue(RDB_TYPE_STREAM_LISTPACKS, ahead).value as Stream).groups.get('g')!.entriesRead).toBe(-1);
  });

  it('reads Redis 7.2 streams (type 21), skipping the consumers active time', () => {
    const entries: StreamEntry[] = [{ id: id(1, 0), fields: ['f', 'v'] }];
    // Type 21 carries first ID, max deleted ID and entries added like type 19: build the v2 body by hand.
    const sink = new ChunkSink();
    writeLength64(sink, 1n);
    writeString(sink, bytesToBinary(hex(id(1, 0).toString(16).padStart(32, '0'))), false);
    const lp = encodeStreamNode(id(1, 0), ['f'], entries, 0, 1);
    writeLength64(sink, BigInt(lp.length));
    sink.bytes(lp);
    for (const n of [1n, 1n, 0n, 1n, 0n, 0n, 0n, 1n, 1n]) writeLength64(sink, n);
    writeString(sink, 'g', false);
    for (const n of [1n, 0n, 1n, 1n]) writeLength64(sink, n);
    sink.bytes(hex(id(1, 0).toString(16).padStart(32, '0')));
    sink.bytes(hex('e803000000000000'));
    writeLength64(sink, 1n);
    writeLength64(sink, 1n);
    writeString(sink, 'c', false);
    sink.bytes(hex('d007000000000000'));
    sink.bytes(hex('b80b000000000000'));
    writeLength64(sink, 1n);
    sink.bytes(hex(id(1, 0).toString(16).padStart(32, '0')));
    const body = sink.collect();
    const s = decodeRdbValue(RDB_TYPE_STREAM_LISTPACKS_3, body).value as Stream;
    expect(plainStream(s)).toEqual({
      entries: [['1-0', ['f', 'v']]],
      lastId: '1-0',
      firstId: '1-0',
      maxDeletedId: '0-0',
      entriesAdded: 1,
      groups: [{ name: 'g', lastId: '1-0', entriesRead: 1, pending: [['1-0', 'c', 1000, 1]], consumers: [['c', 2000, ['1-0']]] }],
    });
  });
});

describe('corrupt stream encodings', () => {
  const body = (s: Stream): Uint8Array => binaryToBytes(createDumpPayload(s, { compress: false })).subarray(1);
  const decode = (b: Uint8Array): unknown => decodeRdbValue(RDB_TYPE_STREAM_LISTPACKS_2, b);

  it('rejects a truncated stream', () => {
    const b = body(streamWithGroups());
    for (const cut of [1, 20, 40, b.length - 12]) expect(() => decode(b.subarray(0, cut))).toThrow(RdbError);
  });

  it('rejects a node key that is not 16 bytes', () => {
    const b = body(streamOf([[id(1, 0), ['f', 'v']]]));
    const bad = new Uint8Array(b.length - 1);
    bad.set(b.subarray(0, 1));
    bad[1] = 15;
    bad.set(b.subarray(3), 2);
    expect(() => decode(bad)).toThrow('Stream node key entry is not the size of a stream ID');
  });

  it('rejects a length that does not match the entries', () => {
    const s = streamOf([[id(1, 0), ['f', 'v']]]);
    const b = body(s);
    const lpEnd = 1 + 17 + 1 + b[18];
    const bad = b.slice(0, b.length - 10);
    bad[lpEnd] = 2;
    expect(() => decode(bad)).toThrow('Stream length inconsistent with rax entries');
  });

  it('rejects a consumer owning an ID missing from the group PEL, and a PEL entry nobody owns', () => {
    const s = streamWithGroups();
    s.groups.get('readers')!.pending.delete(id(1, 1));
    expect(() => decode(body(s))).toThrow('Consumer entry not found in group global PEL');
    const t = streamWithGroups();
    t.groups.get('readers')!.consumers.get('alice')!.pending.clear();
    expect(() => decode(body(t))).toThrow('Stream CG PEL entry without consumer');
  });

  it('rejects a node whose listpack does not follow the stream layout', () => {
    const s = streamOf([[id(1, 0), ['f', 'v']]]);
    const b = body(s);
    // The master entry's field count (third listpack element, a 7-bit integer) claims 3 fields.
    const lpStart = 1 + 17 + 1;
    expect(decodeListpack(b.subarray(lpStart, lpStart + b[18]))[2]).toBe('1');
    const bad = b.slice();
    bad[lpStart + 6 + 2 + 2] = 3;
    expect(() => decode(bad)).toThrow(RdbError);
  });
});

it('writes RDB type 19 for streams', () => {
  expect(createDumpPayload(new Stream()).charCodeAt(0)).toBe(RDB_TYPE_STREAM_LISTPACKS_2);
});
