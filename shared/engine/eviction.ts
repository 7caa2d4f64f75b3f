import { Database } from '../store/database.js';
import { keySize } from './object-size.js';

/** maxmemory-policy values (Redis 7.0). */
export type EvictionPolicy =
  | 'noeviction'
  | 'allkeys-lru'
  | 'allkeys-lfu'
  | 'allkeys-random'
  | 'volatile-lru'
  | 'volatile-lfu'
  | 'volatile-random'
  | 'volatile-ttl';

/** Every maxmemory-policy, for the config table. */
export const EVICTION_POLICIES: EvictionPolicy[] = [
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'noeviction',
];

/** performEvictions's outcomes: under the limit, still evicting (time budget spent), or nothing evictable. */
export type EvictionResult = 'ok' | 'running' | 'fail';

/** What the memory limit needs from the server, kept narrow so it is testable alone. */
export interface EvictionHost {
  readonly dbs: Database[];
  now(): number;
  /** Microseconds on a monotonic clock (the eviction cycle's time budget). */
  micros(): number;
  /** A uniform random number in [0, 1). */
  random(): number;
  /** Deletes an evicted key: propagates DEL, counts it, notifies "evicted", signals the change. */
  evict(db: Database, key: string): void;
}

/** Redis's LRU clock: seconds, 24 bits (LRU_CLOCK_MAX), wrapping. */
const LRU_CLOCK_MAX = (1 << 24) - 1;
/** A dict's bucket array for `size` entries: the next power of two, 8 bytes per bucket. */
function bucketBytes(size: number): number {
  if (size <= 1) return size * 8;
  return size <= 0x8000000 ? 8 << (32 - Math.clz32(size - 1)) : 8 * 2 ** Math.ceil(Math.log2(size));
}

/** Packing of a key's entry: `size * WORD + access word` (access words are 24 bits: LRU clock or LFU word). */
const WORD = 2 ** 24;

/** The size of the pool of eviction candidates (EVPOOL_SIZE). */
const POOL_SIZE = 16;
/** LFU_INIT_VAL: a new key's counter, so it is not evicted before it had a chance to be used. */
const LFU_INIT_VAL = 5;

interface Candidate {
  db: number;
  key: string;
  /** Higher is a better candidate: idle ms (LRU), 255 - counter (LFU), or the inverse of the expiry (TTL). */
  idle: number;
}

/**
 * maxmemory: the dataset's size in Redis's terms (object-size.ts), kept up to date key by key from the core's
 * change signal, and the eviction of keys by maxmemory-policy (Redis's evict.c). Access times (LRU) or
 * logarithmic frequency counters (LFU, with lfu-log-factor and lfu-decay-time) are kept per key while a limit
 * is set. The LRU policies are exact: each database's access map is kept in least-recently-used order (a key
 * is re-inserted when used), so the idlest key is the first one. LFU and TTL sample as Redis does:
 * `maxmemory-samples` keys per database feed a pool of the 16 best candidates; keys are sampled by a cursor that
 * walks each keyspace in insertion order and wraps (a JS Map has no random access).
 */
export class MemoryLimit {
  /** maxmemory in bytes (0: no limit, nothing is tracked). */
  maxmemory = 0;
  policy: EvictionPolicy = 'noeviction';
  samples = 5;
  tenacity = 10;
  lfuLogFactor = 10;
  lfuDecayTime = 1;
  /** Estimated bytes of the whole dataset (valid unless `stale`). */
  private total = 0;
  /**
   * Each database's keys, packed as `size * WORD + access`: the key's estimated bytes and its LRU clock or LFU
   * word (ldt << 8 | counter), both in one Map entry so a write costs one lookup. With an LRU policy a key is
   * re-inserted when used, so the map is in least-recently-used order.
   */
  private entries: Map<string, number>[] = [];
  /** The LRU policies' walk along each database's entries, and the front key it stopped at. */
  private accessCursors: Array<Iterator<[string, number]> | undefined> = [];
  private fronts: Array<{ key: string; packed: number } | undefined> = [];
  /** Sampling cursors, one per database and keyspace (dict, expires). */
  private cursors = new Map<Map<string, unknown>, Iterator<string>>();
  private pool: Candidate[] = [];
  /** The database the random policies take their next key from (Redis's static next_db). */
  private nextDb = 0;
  /** Each database's generation when the sizes were computed (see Database.generation). */
  private generations: number[] = [];
  /** Database.generation when the databases were last compared with `generations`. */
  private seenGeneration = -1;
  /** Whether the sizes must be recomputed (a flush, a dataset loaded or swapped). */
  private stale = true;

  constructor(private readonly host: EvictionHost) {}

  /** Whether a limit is set (accounting and access tracking are on). */
  get active(): boolean {
    return this.maxmemory > 0;
  }

  /** Whether access is tracked as LFU counters (else LRU clocks). */
  get lfu(): boolean {
    return this.policy === 'allkeys-lfu' || this.policy === 'volatile-lfu';
  }

  /** Applies the configuration; a change of policy family or a new limit restarts the bookkeeping. */
  configure(opts: { maxmemory: number; policy: EvictionPolicy; samples: number; tenacity: number; lfuLogFactor: number; lfuDecayTime: number }): void {
    const wasLfu = this.lfu;
    const wasActive = this.active;
    Object.assign(this, opts);
    if (!this.active) {
      this.entries = [];
      this.accessCursors = [];
      this.fronts = [];
      this.pool = [];
      this.cursors.clear();
      this.stale = true;
      return;
    }
    if (!wasActive || wasLfu !== this.lfu) {
      // Access words of the other family mean nothing here: start over (sizes are recomputed too).
      this.entries = [];
      this.pool = [];
      this.accessCursors = [];
      this.fronts = [];
      this.stale = true;
    }
  }

  /** The dataset changed wholesale (FLUSHALL, SWAPDB, a snapshot loaded): recompute sizes before next use. */
  invalidate(): void {
    this.stale = true;
    this.pool = [];
    this.cursors.clear();
  }

  /** Estimated bytes of the dataset (kept up to date while a limit is set, else computed now). */
  used(): number {
    if (!this.active) {
      let total = 0;
      for (const db of this.host.dbs) for (const [key, v] of db.dict) total += keySize(key, v);
      return total;
    }
    if (!this.stale && Database.generation !== this.seenGeneration) {
      for (const db of this.host.dbs) if (db.generation !== this.generations[db.id]) this.stale = true;
      this.seenGeneration = Database.generation;
    }
    if (this.stale) this.recompute();
    return this.total + this.overhead();
  }

  /** Whether the dataset is over the limit (the per-command check: O(1)). */
  overLimit(): boolean {
    return this.maxmemory > 0 && this.used() > this.maxmemory;
  }

  /**
   * What Redis allocates beyond MEMORY USAGE's figures: each dict entry is 24 bytes in a 32-byte jemalloc class,
   * and each database's main and expires dicts have bucket arrays (8 bytes per bucket, a power of two).
   */
  private overhead(): number {
    let n = 0;
    for (const db of this.host.dbs) {
      if (db.dict.size === 0) continue;
      n += db.dict.size * 8 + bucketBytes(db.dict.size) + db.expires.size * 32 + bucketBytes(db.expires.size);
    }
    return n;
  }

  private recompute(): void {
    this.total = 0;
    this.pool = [];
    this.cursors.clear();
    this.accessCursors = [];
    this.fronts = [];
    const fresh = this.lfu ? this.newLfuWord() : this.clock();
    for (const db of this.host.dbs) {
      const old = this.entries[db.id];
      const entries = new Map<string, number>();
      // Keys known before keep their access word and their place in LRU order; new ones follow, fresh.
      if (old) {
        for (const [key, packed] of old) {
          const v = db.dict.get(key);
          if (v === undefined) continue;
          const n = keySize(key, v);
          entries.set(key, n * WORD + (packed % WORD));
          this.total += n;
        }
      }
      for (const [key, v] of db.dict) {
        if (entries.has(key)) continue;
        const n = keySize(key, v);
        entries.set(key, n * WORD + fresh);
        this.total += n;
      }
      this.entries[db.id] = entries;
      this.generations[db.id] = db.generation;
    }
    this.stale = false;
  }

  /** A key was written or deleted (the core's signalModifiedKey): update its size and access. */
  keyChanged(db: Database, key: string): void {
    if (this.stale) return; // the next used() recomputes everything
    const entries = (this.entries[db.id] ??= new Map());
    const old = entries.get(key);
    const v = db.dict.get(key);
    if (v === undefined) {
      if (old !== undefined) {
        entries.delete(key);
        this.total -= Math.floor(old / WORD);
      }
      return;
    }
    const n = keySize(key, v);
    if (old === undefined) {
      // A new key starts fresh.
      entries.set(key, n * WORD + (this.lfu ? this.newLfuWord() : this.clock()));
      this.total += n;
      return;
    }
    this.total += n - Math.floor(old / WORD);
    // An overwritten key keeps its LFU counter (dbOverwrite) and, under LRU, has just been used.
    if (this.lfu) {
      entries.set(key, n * WORD + (old % WORD));
    } else {
      entries.delete(key);
      entries.set(key, n * WORD + this.clock());
    }
  }

  /** A key was looked up by a command (Redis's lookupKey updating robj->lru). */
  touch(db: Database, key: string): void {
    const entries = this.entries[db.id];
    const old = entries?.get(key);
    // A key not counted yet (the sizes are about to be recomputed) has no access word to update.
    if (old === undefined) return;
    const sized = old - (old % WORD);
    if (this.lfu) {
      const counter = this.lfuLogIncr(this.lfuDecrAndReturn(old % WORD));
      entries!.set(key, sized + ((this.lfuTimeInMinutes() << 8) | counter));
    } else {
      // Re-inserting keeps the Map in least-recently-used order, so the LRU policies find their victim first.
      entries!.delete(key);
      entries!.set(key, sized + this.clock());
    }
  }

  /** A key's access word (LRU clock or LFU word), if it is counted. */
  private accessWord(db: number, key: string): number | undefined {
    const packed = this.entries[db]?.get(key);
    return packed === undefined ? undefined : packed % WORD;
  }

  /** OBJECT IDLETIME: seconds since the key was last accessed (LRU policies). */
  idleSeconds(db: Database, key: string): number {
    const lru = this.accessWord(db.id, key);
    if (lru === undefined) return 0;
    return Math.floor(this.idleMs(lru) / 1000);
  }

  /** OBJECT FREQ: the key's decayed logarithmic access counter (LFU policies). */
  frequency(db: Database, key: string): number {
    const word = this.accessWord(db.id, key);
    return word === undefined ? LFU_INIT_VAL : this.lfuDecrAndReturn(word);
  }

  /**
   * Redis's performEvictions: frees keys by policy until the dataset fits, within a time budget that grows with
   * maxmemory-eviction-tenacity. 'fail' when over the limit with nothing evictable (writes get OOM).
   */
  performEvictions(): EvictionResult {
    if (!this.overLimit()) return 'ok';
    if (this.policy === 'noeviction') return 'fail';
    const started = this.host.micros();
    const budget = this.timeLimitMicros();
    while (this.used() > this.maxmemory) {
      const victim = this.policy.endsWith('-random')
        ? this.randomVictim()
        : this.policy.endsWith('-lru')
          ? this.lruVictim()
          : this.pooledVictim();
      if (!victim) return 'fail';
      this.host.evict(this.host.dbs[victim.db], victim.key);
      if (this.host.micros() - started > budget) return this.used() <= this.maxmemory ? 'ok' : 'running';
    }
    return 'ok';
  }

  /**
   * The LRU policies: each database's access map is in least-recently-used order, so its first live key (with a
   * TTL, for volatile-lru) is that database's idlest; the idlest of those goes. A bounded walk; past it, the
   * sampling pool decides.
   */
  private lruVictim(): Candidate | null {
    const volatile = this.policy === 'volatile-lru';
    let best: Candidate | null = null;
    for (const db of this.host.dbs) {
      if (db.dict.size === 0) continue;
      const front = this.lruFront(db, volatile);
      if (front && (!best || front.idle > best.idle)) best = front;
    }
    if (best) {
      this.fronts[best.db] = undefined;
      return best;
    }
    return this.pooledVictim();
  }

  /**
   * A database's least recently used live key (with a TTL for volatile-lru). The access map's iterator is kept
   * from call to call: evicted keys leave holes at the front of the Map that a fresh iterator would have to
   * skip every time. A key touched since it was read off the iterator was re-inserted further on, so a front
   * whose clock no longer matches is dropped and the walk goes on.
   */
  private lruFront(db: Database, volatile: boolean): Candidate | null {
    const access = this.entries[db.id];
    if (!access || access.size === 0) return null;
    const held = this.fronts[db.id];
    if (held && access.get(held.key) === held.packed && db.dict.has(held.key)) {
      return { db: db.id, key: held.key, idle: this.idleMs(held.packed % WORD) };
    }
    this.fronts[db.id] = undefined;
    let it = this.accessCursors[db.id];
    let wrapped = false;
    for (let walked = 0; walked < 4096; ) {
      if (!it) {
        it = access.entries();
        this.accessCursors[db.id] = it;
      }
      const r = it.next();
      if (r.done) {
        this.accessCursors[db.id] = it = undefined;
        if (wrapped) return null;
        wrapped = true;
        continue;
      }
      const [key, packed] = r.value;
      if (!db.dict.has(key)) {
        // Gone without a change signal: forget it, and its bytes.
        access.delete(key);
        this.total -= Math.floor(packed / WORD);
        continue;
      }
      walked++;
      if (volatile && !db.expires.has(key)) continue;
      this.fronts[db.id] = { key, packed };
      return { db: db.id, key, idle: this.idleMs(packed % WORD) };
    }
    return null;
  }

  /** The pool of candidates, refilled from every database, then its best live entry. */
  private pooledVictim(): Candidate | null {
    const volatile = this.policy.startsWith('volatile-');
    for (let attempt = 0; attempt < 3; attempt++) {
      let any = false;
      for (const db of this.host.dbs) {
        const space: Map<string, unknown> = volatile ? db.expires : db.dict;
        if (space.size === 0) continue;
        any = true;
        for (const key of this.sample(space, this.samples)) this.offer(db, key);
      }
      if (!any) return null;
      while (this.pool.length > 0) {
        const best = this.pool.pop()!;
        const db = this.host.dbs[best.db];
        if ((volatile ? db.expires : db.dict).has(best.key)) return best;
      }
    }
    return null;
  }

  /** Adds a sampled key to the pool when it is idler than the pool's worst (EVPOOL_SIZE best kept, sorted). */
  private offer(db: Database, key: string): void {
    const idle = this.idleScore(db, key);
    const pool = this.pool;
    if (pool.some((c) => c.db === db.id && c.key === key)) return;
    if (pool.length >= POOL_SIZE && idle <= pool[0].idle) return;
    let i = 0;
    while (i < pool.length && pool[i].idle < idle) i++;
    pool.splice(i, 0, { db: db.id, key, idle });
    if (pool.length > POOL_SIZE) pool.shift();
  }

  private idleScore(db: Database, key: string): number {
    if (this.policy === 'volatile-ttl') return Number.MAX_SAFE_INTEGER - (db.expires.get(key) ?? 0);
    const word = this.accessWord(db.id, key);
    if (this.lfu) return 255 - (word === undefined ? LFU_INIT_VAL : this.lfuDecrAndReturn(word));
    return word === undefined ? 0 : this.idleMs(word);
  }

  /** The random policies: a key of the next non-empty database, taken a random short way along its cursor. */
  private randomVictim(): Candidate | null {
    const volatile = this.policy === 'volatile-random';
    const dbs = this.host.dbs;
    for (let i = 0; i < dbs.length; i++) {
      const db = dbs[(this.nextDb + i) % dbs.length];
      const space: Map<string, unknown> = volatile ? db.expires : db.dict;
      if (space.size === 0) continue;
      this.nextDb = (db.id + 1) % dbs.length;
      const keys = this.sample(space, 1 + Math.floor(this.host.random() * Math.min(space.size, 16)));
      return { db: db.id, key: keys[keys.length - 1], idle: 0 };
    }
    return null;
  }

  /** The next `n` keys of a keyspace along its wrapping cursor. */
  private sample(space: Map<string, unknown>, n: number): string[] {
    const out: string[] = [];
    let it = this.cursors.get(space);
    let wrapped = false;
    while (out.length < n && out.length < space.size) {
      if (!it) {
        it = space.keys();
        this.cursors.set(space, it);
      }
      const r = it.next();
      if (r.done) {
        it = undefined;
        if (wrapped) break;
        wrapped = true;
        continue;
      }
      out.push(r.value);
    }
    return out;
  }


  /** LRU_CLOCK(): seconds, 24 bits. */
  private clock(): number {
    return Math.floor(this.host.now() / 1000) & LRU_CLOCK_MAX;
  }

  /** estimateObjectIdleTime, in ms. */
  private idleMs(lru: number): number {
    const now = this.clock();
    return (now >= lru ? now - lru : LRU_CLOCK_MAX - lru + now) * 1000;
  }

  /** evictionTimeLimitUs: 50 us per 1% of tenacity up to 10, then +15% per step, unlimited at 100. */
  private timeLimitMicros(): number {
    if (this.tenacity <= 10) return 50 * this.tenacity;
    if (this.tenacity < 100) return 500 * 1.15 ** (this.tenacity - 10);
    return Number.MAX_SAFE_INTEGER;
  }

  private newLfuWord(): number {
    return (this.lfuTimeInMinutes() << 8) | LFU_INIT_VAL;
  }

  /** LFUGetTimeInMinutes: minutes, 16 bits. */
  private lfuTimeInMinutes(): number {
    return Math.floor(this.host.now() / 60000) & 65535;
  }

  /** LFUDecrAndReturn: the counter decayed by one per lfu-decay-time minutes elapsed. */
  private lfuDecrAndReturn(word: number): number {
    const ldt = word >>> 8;
    const counter = word & 255;
    const now = this.lfuTimeInMinutes();
    const elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
    const periods = this.lfuDecayTime > 0 ? Math.floor(elapsed / this.lfuDecayTime) : 0;
    return periods > counter ? 0 : counter - periods;
  }

  /** LFULogIncr: increments with probability 1 / ((counter - LFU_INIT_VAL) * lfu-log-factor + 1). */
  private lfuLogIncr(counter: number): number {
    if (counter === 255) return 255;
    const base = Math.max(0, counter - LFU_INIT_VAL);
    const p = 1 / (base * this.lfuLogFactor + 1);
    return this.host.random() < p ? counter + 1 : counter;
  }
}
