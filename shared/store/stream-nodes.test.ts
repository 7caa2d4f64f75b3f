import { describe, expect, it } from 'vitest';
import { Stream, streamId } from './stream.js';
import {
  cloneStream,
  firstEdgeId,
  nodeBytes,
  nodesAppend,
  radixTreeKeys,
  radixTreeNodes,
  recordStreamNodes,
  streamDeleteEntry,
  streamNodes,
  streamTrim,
} from './stream-nodes.js';

const LIMITS = { maxEntries: 100, maxBytes: 4096 };

function add(s: Stream, ms: number, fields: string[] = ['f', 'v'], limits = LIMITS): void {
  const entry = { id: streamId(BigInt(ms), 0n), fields };
  s.entries.push(entry);
  nodesAppend(s, entry, limits);
  s.lastId = entry.id;
  s.entriesAdded++;
}

describe('stream node layout', () => {
  it('starts a new node every stream-node-max-entries entries', () => {
    const s = new Stream();
    for (let i = 1; i <= 250; i++) add(s, i);
    expect(streamNodes(s, LIMITS).map((n) => n.live)).toEqual([100, 100, 50]);
    expect(radixTreeKeys(s, LIMITS)).toBe(3);
  });

  it('starts a new node when the listpack would reach stream-node-max-bytes', () => {
    const s = new Stream();
    for (let i = 1; i <= 10; i++) add(s, i, ['f', 'x'.repeat(1000)]);
    const nodes = streamNodes(s, LIMITS);
    // Each entry is about 1 KB: a fifth would bring the listpack to 4096 bytes, so four share a node.
    expect(nodes.map((n) => n.live)).toEqual([4, 4, 2]);
    expect(nodes.every((n) => nodeBytes(n) < 4096 + 1000)).toBe(true);
  });

  it('counts listpack bytes exactly for a small node (header, master entry, compressed entry)', () => {
    const s = new Stream();
    add(s, 1, ['field', 'value']);
    // header 6 + end 1 + count(1)/deleted(0)/num-fields(1) 2 bytes each + "field" 7 + terminator 2
    // + entry: flags 2, ms-delta 2, seq-delta 2, "value" 7, lp-count 2.
    expect(nodeBytes(streamNodes(s, LIMITS)[0])).toBe(6 + 1 + 2 + 2 + 2 + 7 + 2 + 2 + 2 + 2 + 7 + 2);
  });

  it('deleting the last live entry of a node drops the node; the first node ID keeps tombstones', () => {
    const s = new Stream();
    for (let i = 1; i <= 150; i++) add(s, i);
    expect(streamDeleteEntry(s, streamId(1n, 0n), LIMITS)).toBe(true);
    expect(firstEdgeId(s, LIMITS)).toBe(streamId(1n, 0n));
    for (let i = 101; i <= 150; i++) streamDeleteEntry(s, streamId(BigInt(i), 0n), LIMITS);
    expect(radixTreeKeys(s, LIMITS)).toBe(1);
    expect(streamDeleteEntry(s, streamId(999n, 0n), LIMITS)).toBe(false);
  });

  it('approximate trims remove whole nodes only, within LIMIT; exact ones also flag entries deleted', () => {
    const s = new Stream();
    for (let i = 1; i <= 250; i++) add(s, i);
    expect(streamTrim(s, { strategy: 'maxlen', maxlen: 10, minid: 0n, approx: true, limit: 100 }, LIMITS)).toBe(100);
    expect(s.length).toBe(150);
    expect(streamTrim(s, { strategy: 'maxlen', maxlen: 120, minid: 0n, approx: false, limit: 0 }, LIMITS)).toBe(30);
    expect(s.entries[0].id).toBe(streamId(131n, 0n));
    // The trimmed entries stay in their node as tombstones: the node still starts at 101.
    expect(firstEdgeId(s, LIMITS)).toBe(streamId(101n, 0n));
    expect(streamTrim(s, { strategy: 'minid', maxlen: 0, minid: streamId(250n, 0n), approx: true, limit: 0 }, LIMITS)).toBe(70);
    expect(s.length).toBe(50);
  });

  it('rebuilds a layout for a stream filled without it, and copies layouts with streams', () => {
    const s = new Stream();
    for (let i = 1; i <= 120; i++) s.entries.push({ id: streamId(BigInt(i), 0n), fields: ['a', 'b'] });
    expect(streamNodes(s, LIMITS).map((n) => n.live)).toEqual([100, 20]);
    const c = cloneStream(s);
    streamDeleteEntry(c, streamId(1n, 0n), LIMITS);
    expect(streamNodes(s, LIMITS)[0].live).toBe(100);
    expect(streamNodes(c, LIMITS)[0].live).toBe(99);
  });

  it('counts radix-tree nodes as Redis rax does for 16-byte keys', () => {
    const s = new Stream();
    expect(radixTreeNodes(s, LIMITS)).toBe(1);
    add(s, 1);
    expect(radixTreeNodes(s, LIMITS)).toBe(2);
    for (let i = 2; i <= 101; i++) add(s, i);
    // Two keys differing in the last ms byte: a compressed prefix, a branching node, two leaves.
    expect(radixTreeNodes(s, LIMITS)).toBe(1 + 1 + 2 * 2);
  });
});

describe('layouts from a loader', () => {
  it('keeps a recorded layout that accounts for the entries, and ignores one that does not', () => {
    const s = new Stream();
    for (let i = 1; i <= 4; i++) s.entries.push({ id: streamId(BigInt(i), 0n), fields: ['f', 'v'] });
    const node = (from: number, live: number) => ({
      masterId: streamId(BigInt(from), 0n),
      masterFields: ['f'],
      live,
      deleted: 0,
      lastId: streamId(BigInt(from + live - 1), 0n),
      bytes: 40,
    });
    recordStreamNodes(s, [node(1, 1), node(2, 3)]);
    expect(streamNodes(s, LIMITS).map((n) => [n.live, nodeBytes(n)])).toEqual([
      [1, 40],
      [3, 40],
    ]);
    const t = new Stream();
    t.entries = s.entries.slice();
    recordStreamNodes(t, [node(1, 1)]);
    expect(streamNodes(t, LIMITS).map((n) => n.live)).toEqual([4]);
  });
});
