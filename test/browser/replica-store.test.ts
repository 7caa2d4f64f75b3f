import 'fake-indexeddb/auto';
import { describe, expect, test } from 'vitest';
import { encodeCommand } from '../../shared/resp/encoder.js';
import { Persister } from '../../client/persister.js';
import { ReplicaEngine } from '../../client/replica-engine.js';
import { FencedError, ReplicaStore, StoreCorruptError, StoreGapError, storeName } from '../../client/replica-store.js';

/*
 * Fast checks of the store and the persister in Node, on fake-indexeddb. The real proof runs in Chromium (the
 * other files of this folder); these pin down the transaction rules.
 */

const ID = 'c'.repeat(40);
let n = 0;
const fresh = () => ReplicaStore.open(`unit-${n++}`, () => {});
const bytes = (...argvs: string[][]) => Buffer.concat(argvs.map((a) => encodeCommand(a)));

function engine(): ReplicaEngine {
  return new ReplicaEngine({ auth: null, log: () => {}, afterData: () => {}, onChanges: () => {} });
}

/** An engine holding `keys` at position ID:offset, as after a full sync. */
function engineWith(keys: Record<string, string>, offset: number): ReplicaEngine {
  const source = engine();
  for (const [k, v] of Object.entries(keys)) source.core.dbs[0].dict.set(k, v);
  const e = engine();
  e.load({ replid: ID, offset, snapshot: [...imageChunks(source, offset)], snapshotStreamDb: 0, log: [] });
  return e;
}

function imageChunks(e: ReplicaEngine, offset: number): Uint8Array[] {
  e.replication.restoreState({ replid: ID, offset });
  return [...e.image().chunks()];
}

describe('replica store (IndexedDB)', () => {
  test('a new store holds no dataset; a snapshot plus appended records load back as written', async () => {
    const store = await fresh();
    expect(await store.load()).toBeNull();
    const { epoch } = await store.claim();
    await store.replaceSnapshot(epoch, [new Uint8Array([1, 2]), new Uint8Array([3])], { replid: ID, offset: 100, streamDb: 2 });
    const a = bytes(['SET', 'k', 'v']);
    const b = bytes(['DEL', 'k']);
    await store.append(epoch, 100, [a], { replid: ID, offset: 100 + a.length, streamDb: 2 });
    await store.append(epoch, 100 + a.length, [b], { replid: ID, offset: 100 + a.length + b.length, streamDb: 5 });
    const state = (await store.load())!;
    expect(state.meta).toMatchObject({ replid: ID, offset: 100 + a.length + b.length, streamDb: 5, snapshotOffset: 100, snapshotStreamDb: 2, snapshotChunks: 2, logBytes: a.length + b.length });
    expect(state.snapshot.map((c) => [...c])).toEqual([[1, 2], [3]]);
    expect(state.log.map((c) => Buffer.from(c))).toEqual([Buffer.from(a), Buffer.from(b)]);
  });

  test('a writer with an older epoch is fenced off, and its write leaves nothing behind', async () => {
    const store = await fresh();
    const first = await store.claim();
    await store.replaceSnapshot(first.epoch, [new Uint8Array([9])], { replid: ID, offset: 10, streamDb: 0 });
    const second = await store.claim();
    expect(second.epoch).toBe(first.epoch + 1);
    const rec = bytes(['SET', 'a', '1']);
    await expect(store.append(first.epoch, 10, [rec], { replid: ID, offset: 10 + rec.length, streamDb: 0 })).rejects.toBeInstanceOf(FencedError);
    await expect(store.replaceSnapshot(first.epoch, [new Uint8Array([1])], { replid: ID, offset: 99, streamDb: 0 })).rejects.toBeInstanceOf(FencedError);
    const state = (await store.load())!;
    expect(state.meta.offset).toBe(10);
    expect(state.log).toEqual([]);
    expect(state.snapshot.map((c) => [...c])).toEqual([[9]]);
  });

  test('an append that does not start at the stored offset is refused whole', async () => {
    const store = await fresh();
    const { epoch } = await store.claim();
    await store.replaceSnapshot(epoch, [new Uint8Array([9])], { replid: ID, offset: 10, streamDb: 0 });
    const rec = bytes(['SET', 'a', '1']);
    await expect(store.append(epoch, 11, [rec], { replid: ID, offset: 11 + rec.length, streamDb: 0 })).rejects.toBeInstanceOf(StoreGapError);
    // Records that do not reach the offset they claim are refused too (and rolled back).
    await expect(store.append(epoch, 10, [rec], { replid: ID, offset: 10 + rec.length + 1, streamDb: 0 })).rejects.toBeInstanceOf(StoreGapError);
    expect((await store.load())!.log).toEqual([]);
  });

  test('a new snapshot replaces the old one and drops the log in the same transaction', async () => {
    const store = await fresh();
    const { epoch } = await store.claim();
    await store.replaceSnapshot(epoch, [new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])], { replid: ID, offset: 0, streamDb: 0 });
    const rec = bytes(['SET', 'a', '1']);
    await store.append(epoch, 0, [rec], { replid: ID, offset: rec.length, streamDb: 0 });
    await store.replaceSnapshot(epoch, [new Uint8Array([7])], { replid: ID, offset: 500, streamDb: 3 });
    const state = (await store.load())!;
    expect(state.meta).toMatchObject({ offset: 500, snapshotOffset: 500, snapshotChunks: 1, logBytes: 0, streamDb: 3 });
    expect(state.snapshot.map((c) => [...c])).toEqual([[7]]);
    expect(state.log).toEqual([]);
  });

  test('records that do not add up (a log record missing) are reported as corrupt, not loaded', async () => {
    const store = await fresh();
    const { epoch } = await store.claim();
    await store.replaceSnapshot(epoch, [new Uint8Array([1])], { replid: ID, offset: 0, streamDb: 0 });
    const a = bytes(['SET', 'a', '1']);
    const b = bytes(['SET', 'b', '2']);
    await store.append(epoch, 0, [a], { replid: ID, offset: a.length, streamDb: 0 });
    await store.append(epoch, a.length, [b], { replid: ID, offset: a.length + b.length, streamDb: 0 });
    store.close();
    // Damage it behind the store's back.
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(storeName(store.name));
      req.onsuccess = () => {
        const tx = req.result.transaction('log', 'readwrite');
        tx.objectStore('log').delete(0);
        tx.oncomplete = () => {
          req.result.close();
          resolve();
        };
        tx.onerror = () => reject(tx.error);
      };
    });
    await store.reopen();
    await expect(store.load()).rejects.toBeInstanceOf(StoreCorruptError);
  });
});

describe('persister and dataset loading', () => {
  test('stream batches, a full sync and a compaction all load back into exactly the live dataset', async () => {
    const store = await fresh();
    const { epoch, meta } = await store.claim();
    const live = engineWith({ base: '1' }, 1000);
    const p = new Persister(store, live, epoch, meta, { onPersisted: () => {}, onError: (m) => { if (m) throw new Error(m); }, onFenced: () => {} }, 300);
    p.snapshotNow();
    const idle = async () => {
      while (!p.idle) await new Promise((r) => setTimeout(r, 1));
    };
    await idle();

    // Apply stream through the follower path (the same dispatch as the link) and hand each chunk to the
    // persister as the link's observers would.
    let db = 0;
    const feed = (argv: string[]) => {
      const chunk = encodeCommand(argv);
      const start = live.offset;
      expect(live.applyStream(ID, start, chunk)).toBe(true);
      if (argv[0] === 'SELECT') db = Number(argv[1]);
      p.onStream(chunk, live.offset);
    };
    feed(['SELECT', '3']);
    for (let i = 0; i < 20; i++) {
      feed(['SET', `k${i}`, `v${i}`]);
      if (i % 5 === 0) p.kick();
    }
    feed(['RPUSH', 'list', 'a', 'b']);
    p.kick();
    await idle();
    // 300 bytes of log outweigh the snapshot: it was compacted into a new one at some point.
    expect(p.stats.snapshots).toBeGreaterThanOrEqual(2);

    const state = (await store.load())!;
    expect(state.meta).toMatchObject({ replid: ID, offset: live.offset, streamDb: db });
    const reloaded = engine();
    reloaded.load({ replid: ID, offset: state.meta.offset, snapshot: state.snapshot, snapshotStreamDb: state.meta.snapshotStreamDb, log: state.log });
    for (const e of [live, reloaded]) e.read(['SELECT', '3']);
    expect(reloaded.read(['KEYS', '*'])).toEqual(live.read(['KEYS', '*']));
    expect(reloaded.read(['LRANGE', 'list', '0', '-1'])).toEqual(['a', 'b']);
    expect(reloaded.read(['GET', 'k19'])).toBe('v19');
    expect(reloaded.streamDb).toBe(3);
  });

  test('a corrupt stored log changes nothing: load throws and the dataset stays as it was', () => {
    const e = engineWith({ keep: 'me' }, 50);
    const snapshot = imageChunks(engineWith({ other: 'x' }, 70), 70);
    expect(() => e.load({ replid: ID, offset: 90, snapshot, snapshotStreamDb: 0, log: [Buffer.from('*2\r\n$3\r\nDEL\r\n$x\r\n')] })).toThrow();
    expect(e.read(['GET', 'keep'])).toBe('me');
    expect(e.read(['GET', 'other'])).toBeNull();
    expect([e.replid, e.offset]).toEqual([ID, 50]);
  });
});
