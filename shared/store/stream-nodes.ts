/**
 * Redis keeps a stream's entries in a radix tree of listpacks ("nodes") of at most stream-node-max-entries
 * entries (live and deleted) and stream-node-max-bytes bytes. Our Stream holds a flat entry array, but
 * approximate trimming (`MAXLEN ~`, `MINID ~`) removes whole nodes only, the `~` propagation rewrite names the
 * first node's first ID even when that entry was deleted, and XINFO STREAM reports the tree's size: so the node
 * layout is emulated here, beside the stream (a WeakMap, not a field, so the data model stays as it is).
 *
 * Each node records what Redis's listpack header and master entry hold: its master ID (the first ID added to
 * it, the radix-tree key), its master fields, live and deleted counts, the last ID it holds (possibly a
 * tombstone) and its listpack byte size, computed with listpack's exact element sizes. A stream whose layout
 * is unknown (loaded from an RDB file, restored) gets one by packing its entries as successive XADDs would.
 */
import { Stream, U64_MAX, type ConsumerGroup, type StreamEntry, type StreamId } from './stream.js';

/** One emulated radix-tree node (a listpack of entries). */
export interface StreamNode {
  /** The ID of the first entry ever added to the node: the radix-tree key. */
  masterId: StreamId;
  /** The fields of that first entry (entries with the same fields are stored compressed). */
  masterFields: string[];
  /** Entries not deleted. */
  live: number;
  /** Entries flagged deleted (tombstones), still occupying the listpack. */
  deleted: number;
  /** The last ID stored in the node, tombstone or not. */
  lastId: StreamId;
  /** Listpack bytes except the header counters (live, deleted), whose size changes with their values. */
  bodyBytes: number;
}

/** The node size limits (stream-node-max-entries, stream-node-max-bytes). */
export interface NodeLimits {
  maxEntries: number;
  maxBytes: number;
}

/** Redis's STREAM_LISTPACK_MAX_SIZE. */
const LISTPACK_MAX_SIZE = 1 << 30;

const layouts = new WeakMap<Stream, StreamNode[]>();
/**
 * The live entries the recorded layout accounts for: when the stream's entry count differs, someone changed
 * the entries without us (a loader, a test) and the layout is rebuilt. Kept apart so the check is O(1).
 */
const liveCounts = new WeakMap<Stream, number>();

/** The listpack element size of an integer (encoding bytes plus the one-byte back length). */
function intElementSize(v: bigint): number {
  if (v >= 0n && v <= 127n) return 2;
  if (v >= -4096n && v <= 4095n) return 3;
  if (v >= -32768n && v <= 32767n) return 4;
  if (v >= -8388608n && v <= 8388607n) return 5;
  if (v >= -2147483648n && v <= 2147483647n) return 6;
  return 10;
}

function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

const INT64_RE = /^(0|-?[1-9][0-9]{0,19})$/;

/** The listpack element size of a string (stored as an integer when it is one, as lpAppend does). */
function stringElementSize(s: string): number {
  if (s.length <= 20 && INT64_RE.test(s)) {
    const v = BigInt(s);
    if (v >= -(1n << 63n) && v < 1n << 63n) return intElementSize(v);
  }
  const l = s.length;
  const enc = l <= 63 ? 1 + l : l <= 4095 ? 2 + l : 5 + l;
  return enc + backlenSize(enc);
}

function countersBytes(node: StreamNode): number {
  // 6 bytes of listpack header and the end byte, then the live and deleted counters.
  return 7 + intElementSize(BigInt(node.live)) + intElementSize(BigInt(node.deleted));
}

/** The node's listpack size (Redis's lpBytes). */
export function nodeBytes(node: StreamNode): number {
  return countersBytes(node) + node.bodyBytes;
}

function sameFields(master: string[], fields: string[]): boolean {
  if (master.length * 2 !== fields.length) return false;
  for (let i = 0; i < master.length; i++) if (master[i] !== fields[i * 2]) return false;
  return true;
}

/** The bytes an entry adds to a node (streamAppendItem's encoding). */
function entryBytes(node: StreamNode, entry: StreamEntry): number {
  const numFields = entry.fields.length / 2;
  const same = sameFields(node.masterFields, entry.fields);
  const ms = (entry.id >> 64n) - (node.masterId >> 64n);
  const seq = (entry.id & U64_MAX) - (node.masterId & U64_MAX);
  // The deltas are stored as int64 (two's complement), as the C code subtracts unsigned values.
  const wrap = (v: bigint) => BigInt.asIntN(64, v);
  let n = 2 + intElementSize(wrap(ms)) + intElementSize(wrap(seq));
  if (!same) n += intElementSize(BigInt(numFields));
  for (let i = 0; i < entry.fields.length; i += 2) {
    if (!same) n += stringElementSize(entry.fields[i]);
    n += stringElementSize(entry.fields[i + 1]);
  }
  const lpCount = numFields + 3 + (same ? 0 : numFields + 1);
  return n + intElementSize(BigInt(lpCount));
}

function newNode(entry: StreamEntry): StreamNode {
  const masterFields: string[] = [];
  for (let i = 0; i < entry.fields.length; i += 2) masterFields.push(entry.fields[i]);
  // Master entry: num-fields, the fields, the zero terminator (the counters are counted apart).
  let body = intElementSize(BigInt(masterFields.length)) + 2;
  for (const f of masterFields) body += stringElementSize(f);
  return { masterId: entry.id, masterFields, live: 0, deleted: 0, lastId: entry.id, bodyBytes: body };
}

/** Whether an entry of `totalLength` field+value bytes starts a new node after `node` (streamAppendItem). */
function needsNewNode(node: StreamNode, totalLength: number, limits: NodeLimits): boolean {
  let maxBytes = limits.maxBytes;
  if (maxBytes === 0 || maxBytes > LISTPACK_MAX_SIZE) maxBytes = LISTPACK_MAX_SIZE;
  if (nodeBytes(node) + totalLength >= maxBytes) return true;
  return limits.maxEntries > 0 && node.live + node.deleted >= limits.maxEntries;
}

function appendEntry(nodes: StreamNode[], entry: StreamEntry, limits: NodeLimits): void {
  let node = nodes.length > 0 ? nodes[nodes.length - 1] : undefined;
  let total = 0;
  for (const f of entry.fields) total += f.length;
  if (node === undefined || needsNewNode(node, total, limits)) {
    node = newNode(entry);
    nodes.push(node);
  }
  node.bodyBytes += entryBytes(node, entry);
  node.live++;
  node.lastId = entry.id;
}

/**
 * The stream's node layout: the recorded one while it still matches the entries, else one rebuilt by
 * packing the entries as successive appends would.
 */
export function streamNodes(s: Stream, limits: NodeLimits): StreamNode[] {
  const known = layouts.get(s);
  if (known !== undefined && liveCounts.get(s) === s.entries.length) return known;
  const nodes: StreamNode[] = [];
  for (const e of s.entries) appendEntry(nodes, e, limits);
  layouts.set(s, nodes);
  liveCounts.set(s, s.entries.length);
  return nodes;
}

/** A node as an RDB file describes it: its listpack's size instead of our split of it. */
export interface LoadedNode {
  masterId: StreamId;
  masterFields: string[];
  live: number;
  deleted: number;
  lastId: StreamId;
  /** The listpack's total size (lpBytes). */
  bytes: number;
}

/**
 * Records the node layout a loader read (RDB, RESTORE), so later appends and `~` trims see Redis's nodes
 * rather than a repacking. Ignored unless the nodes account for exactly the stream's entries.
 */
export function recordStreamNodes(s: Stream, loaded: LoadedNode[]): void {
  let live = 0;
  for (const n of loaded) live += n.live;
  if (live !== s.entries.length) return;
  const nodes = loaded.map(({ bytes, ...rest }) => {
    const node: StreamNode = { ...rest, bodyBytes: 0 };
    node.bodyBytes = bytes - countersBytes(node);
    return node;
  });
  layouts.set(s, nodes);
  liveCounts.set(s, live);
}

/** Records an entry just pushed at the end of `s.entries` (XADD) in the layout. */
export function nodesAppend(s: Stream, entry: StreamEntry, limits: NodeLimits): void {
  const known = layouts.get(s);
  if (known === undefined || liveCounts.get(s) !== s.entries.length - 1) {
    streamNodes(s, limits);
    return;
  }
  appendEntry(known, entry, limits);
  liveCounts.set(s, s.entries.length);
}

/** The index of the node holding `id` (the last node whose master ID is <= id), or -1. */
function nodeIndexOf(nodes: StreamNode[], id: StreamId): number {
  let lo = 0;
  let hi = nodes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (nodes[mid].masterId <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * Deletes the entry with `id` (XDEL, XCLAIM of nothing ...): returns whether it existed. As Redis, the entry
 * becomes a tombstone in its node, and a node left without live entries is dropped with its tombstones.
 */
export function streamDeleteEntry(s: Stream, id: StreamId, limits: NodeLimits): boolean {
  const i = s.lowerBound(id);
  if (i >= s.entries.length || s.entries[i].id !== id) return false;
  const nodes = streamNodes(s, limits);
  s.entries.splice(i, 1);
  liveCounts.set(s, s.entries.length);
  const n = nodeIndexOf(nodes, id);
  if (n >= 0) {
    const node = nodes[n];
    if (node.live === 1) {
      nodes.splice(n, 1);
    } else {
      node.live--;
      node.deleted++;
    }
  }
  return true;
}

/** How a trim chooses what to remove (XADD/XTRIM's MAXLEN or MINID, exact or `~`, LIMIT). */
export interface TrimArgs {
  strategy: 'maxlen' | 'minid';
  maxlen: number;
  minid: StreamId;
  approx: boolean;
  /** The most entries to remove (0: no limit). */
  limit: number;
}

/**
 * Redis's streamTrim: removes whole nodes from the head while the strategy allows; then, unless approximate,
 * flags entries of the next node as deleted. Returns how many entries it removed.
 */
export function streamTrim(s: Stream, args: TrimArgs, limits: NodeLimits): number {
  const nodes = streamNodes(s, limits);
  let deleted = 0;
  let removeNodes = 0;
  let length = s.entries.length;
  for (let i = 0; i < nodes.length; i++) {
    if (args.strategy === 'maxlen' && length <= args.maxlen) break;
    const node = nodes[i];
    const entries = node.live;
    if (args.limit && deleted + entries > args.limit) break;
    const removeNode = args.strategy === 'maxlen' ? length - entries >= args.maxlen : node.lastId < args.minid;
    if (removeNode) {
      removeNodes++;
      length -= entries;
      deleted += entries;
      continue;
    }
    if (args.approx) break;
    // Flag the node's leading entries deleted, one by one, while the strategy asks for it.
    const start = deleted;
    let k = 0;
    while (k < node.live) {
      if (args.strategy === 'maxlen' ? length <= args.maxlen : s.entries[start + k].id >= args.minid) break;
      k++;
      length--;
    }
    node.live -= k;
    node.deleted += k;
    deleted += k;
    break;
  }
  if (removeNodes > 0) nodes.splice(0, removeNodes);
  if (deleted > 0) s.entries.splice(0, deleted);
  liveCounts.set(s, s.entries.length);
  return deleted;
}

/** The first ID of the stream counting tombstones (streamGetEdgeID(s,1,0)): U64_MAX-U64_MAX when empty. */
export function firstEdgeId(s: Stream, limits: NodeLimits): StreamId {
  const nodes = streamNodes(s, limits);
  return nodes.length > 0 ? nodes[0].masterId : (U64_MAX << 64n) | U64_MAX;
}

/** The number of radix-tree keys (XINFO STREAM radix-tree-keys): one per node. */
export function radixTreeKeys(s: Stream, limits: NodeLimits): number {
  return streamNodes(s, limits).length;
}

/**
 * The number of radix-tree nodes (XINFO STREAM radix-tree-nodes): the size of the compressed trie of the
 * nodes' 16-byte big-endian master IDs, as Redis's rax builds it (chains of single children are one
 * compressed node, branching points one node each, every key a leaf, and the root always present).
 */
export function radixTreeNodes(s: Stream, limits: NodeLimits): number {
  const keys = streamNodes(s, limits).map((n) => {
    const out = new Uint8Array(16);
    let v = n.masterId;
    for (let i = 15; i >= 0; i--) {
      out[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return out;
  });
  if (keys.length === 0) return 1;
  const countAt = (group: Uint8Array[], depth: number): number => {
    if (depth === 16) return 1;
    let end = depth;
    while (end < 16 && group.every((k) => k[end] === group[0][end])) end++;
    if (end > depth) return 1 + countAt(group, end);
    const byByte = new Map<number, Uint8Array[]>();
    for (const k of group) {
      const g = byByte.get(k[depth]);
      if (g) g.push(k);
      else byByte.set(k[depth], [k]);
    }
    let n = 1;
    for (const g of byByte.values()) n += countAt(g, depth + 1);
    return n;
  };
  return countAt(keys, 0);
}

/** Copies the node layout of `from` to its copy `to` (COPY keeps Redis's nodes as they are). */
export function copyNodes(from: Stream, to: Stream): void {
  const known = layouts.get(from);
  if (known !== undefined && liveCounts.get(from) === from.entries.length) {
    layouts.set(to, known.map((n) => ({ ...n })));
    liveCounts.set(to, to.entries.length);
  }
}

/** A deep copy of a stream (COPY, snapshots): entries, counters, groups with their PELs and consumers, layout. */
export function cloneStream(s: Stream): Stream {
  const c = new Stream();
  c.entries = s.entries.slice();
  c.lastId = s.lastId;
  c.maxDeletedId = s.maxDeletedId;
  c.entriesAdded = s.entriesAdded;
  for (const [name, g] of s.groups) {
    const copy: ConsumerGroup = {
      name: g.name,
      lastId: g.lastId,
      entriesRead: g.entriesRead,
      pending: new Map(),
      consumers: new Map(),
    };
    for (const [id, p] of g.pending) copy.pending.set(id, { ...p });
    for (const [cname, consumer] of g.consumers) {
      copy.consumers.set(cname, { name: consumer.name, seenTime: consumer.seenTime, pending: new Set(consumer.pending) });
    }
    c.groups.set(name, copy);
  }
  copyNodes(s, c);
  return c;
}
