import { Notify, notifyKeyspaceEvent } from './keyspace-events.js';
import { CommandError, WRONGTYPE } from '../errors.js';
import { Deque } from '../store/deque.js';
import {
  typeOfValue,
  type Database,
  type HashValue,
  type ListValue,
  type RedisType,
  type RedisValue,
  type SetValue,
  type ZSetValue,
} from '../store/database.js';
import { SortedSet } from '../store/sorted-set.js';
import { Stream } from '../store/stream.js';
import type { Client } from './client.js';
import type { CommandSpec } from './command-spec.js';
import type { ServerCore } from './server-core.js';
import { freeEffort, LAZYFREE_THRESHOLD } from './lazyfree.js';
import { noteWrite } from '../store/encoding.js';

/**
 * What a handler sees of the server while it runs one command: the selected database with Redis's lookup
 * policy (lazy expiry, replica rules, hit/miss stats), change reporting, and the command's propagated form.
 * Handlers never touch sockets or replication: they report changes here and dispatch propagates.
 */
export class CommandContext {
  /** Changes made (Redis's server.dirty delta). When > 0 the command propagates. */
  dirty = 0;
  /** The propagated form, when the handler rewrote it (null: propagate nothing of its own). */
  propagateAs: string[][] | null | undefined = undefined;
  /** The time the command started, ms since the epoch: one clock reading per command, as Redis caches it. */
  readonly now: number;

  constructor(
    readonly core: ServerCore,
    readonly client: Client,
    readonly spec: CommandSpec,
    readonly argv: string[],
  ) {
    this.now = core.now();
  }

  /** The client's selected database. */
  get db(): Database {
    return this.core.dbs[this.client.db];
  }

  /** A database by index (for MOVE, COPY ... DB, SWAPDB). */
  dbAt(index: number): Database {
    return this.core.dbs[index];
  }

  /**
   * Applies lazy expiry to `key` in `db`: returns true when the key is logically expired. On a master the key
   * is deleted and a DEL propagated; on a replica it is only hidden (the master's DEL will come), and the
   * master's own link sees every key, as in Redis's expireIfNeeded.
   */
  expireIfNeeded(db: Database, key: string, forWrite = false): boolean {
    // As Redis's getExpire: no lookup (nor hashing of the key) while nothing in the db has a TTL.
    if (db.expires.size === 0) return false;
    const when = db.expires.get(key);
    // As Redis's keyIsExpired: expired once now has passed the expiry time.
    if (when === undefined || when >= this.now) return false;
    if (this.core.isReplica()) {
      if (this.client.isMaster) return false;
      // A writable replica deletes the expired key its own client is about to write (Redis 7.0's
      // force_delete_expired), so the write starts from nothing (INCR makes a key without the old TTL). The
      // DEL is not propagated: a replica passes on only its master's stream.
      if (forWrite && !this.core.config.bool('replica-read-only')) {
        this.core.deleteExpiredKey(db, key);
        this.core.propagator.discard();
      }
      return true;
    }
    // During CLIENT PAUSE nothing may change: hide the key without deleting it (Redis's expireIfNeeded).
    if (this.core.pauseInForce()) return true;
    this.core.deleteExpiredKey(db, key);
    return true;
  }

  /** Looks a key up for reading (Redis's lookupKeyRead): expired keys are missing; counts hits and misses. */
  lookupRead(key: string, db: Database = this.db): RedisValue | undefined {
    if (this.expireIfNeeded(db, key)) {
      this.core.stats.keyspaceMisses++;
      if (this.core.keyspaceEvents !== 0) this.notify(Notify.KEY_MISS, 'keymiss', key, db);
      return undefined;
    }
    const v = db.dict.get(key);
    if (v === undefined) {
      this.core.stats.keyspaceMisses++;
      if (this.core.keyspaceEvents !== 0) this.notify(Notify.KEY_MISS, 'keymiss', key, db);
    } else {
      this.core.stats.keyspaceHits++;
      if (this.core.memory.active) this.core.memory.touch(db, key);
    }
    return v;
  }

  /** Looks a key up before changing it (Redis's lookupKeyWrite): expired keys are missing; no stats. */
  lookupWrite(key: string, db: Database = this.db): RedisValue | undefined {
    if (this.expireIfNeeded(db, key, true)) return undefined;
    const v = db.dict.get(key);
    if (v !== undefined && this.core.memory.active) this.core.memory.touch(db, key);
    return v;
  }

  /** Throws WRONGTYPE unless `v` is missing or of `type`. */
  private typed<T>(v: RedisValue | undefined, type: RedisType): T | undefined {
    if (v === undefined) return undefined;
    if (typeOfValue(v) !== type) throw new CommandError(WRONGTYPE);
    return v as T;
  }

  readString(key: string): string | undefined {
    return this.typed<string>(this.lookupRead(key), 'string');
  }
  readList(key: string): ListValue | undefined {
    return this.typed<ListValue>(this.lookupRead(key), 'list');
  }
  readHash(key: string): HashValue | undefined {
    return this.typed<HashValue>(this.lookupRead(key), 'hash');
  }
  readSet(key: string): SetValue | undefined {
    return this.typed<SetValue>(this.lookupRead(key), 'set');
  }
  readZset(key: string): ZSetValue | undefined {
    return this.typed<ZSetValue>(this.lookupRead(key), 'zset');
  }
  readStream(key: string): Stream | undefined {
    return this.typed<Stream>(this.lookupRead(key), 'stream');
  }
  writeString(key: string): string | undefined {
    return this.typed<string>(this.lookupWrite(key), 'string');
  }
  writeList(key: string): ListValue | undefined {
    return this.typed<ListValue>(this.lookupWrite(key), 'list');
  }
  writeHash(key: string): HashValue | undefined {
    return this.typed<HashValue>(this.lookupWrite(key), 'hash');
  }
  writeSet(key: string): SetValue | undefined {
    return this.typed<SetValue>(this.lookupWrite(key), 'set');
  }
  writeZset(key: string): ZSetValue | undefined {
    return this.typed<ZSetValue>(this.lookupWrite(key), 'zset');
  }
  writeStream(key: string): Stream | undefined {
    return this.typed<Stream>(this.lookupWrite(key), 'stream');
  }

  /** The list at key for a push, created empty (and stored) when missing. */
  listForPush(key: string): ListValue {
    let list = this.writeList(key);
    if (!list) {
      list = new Deque<string>();
      this.db.dict.set(key, list);
      this.created(key, this.db);
    }
    return list;
  }
  /** The hash at key, created when missing. */
  hashForWrite(key: string): HashValue {
    let h = this.writeHash(key);
    if (!h) {
      h = new Map();
      this.db.dict.set(key, h);
      this.created(key, this.db);
    }
    return h;
  }
  /** The set at key, created when missing. */
  setForWrite(key: string): SetValue {
    let s = this.writeSet(key);
    if (!s) {
      s = new Set();
      this.db.dict.set(key, s);
      this.created(key, this.db);
    }
    return s;
  }
  /** The sorted set at key, created when missing. */
  zsetForWrite(key: string): ZSetValue {
    let z = this.writeZset(key);
    if (!z) {
      z = new SortedSet();
      this.db.dict.set(key, z);
      this.created(key, this.db);
    }
    return z;
  }

  /**
   * Stores a value (Redis's setKey): adds or overwrites, drops any TTL unless keepTtl, reports the change.
   */
  setKey(key: string, value: RedisValue, keepTtl = false, db: Database = this.db): void {
    const isNew = this.core.keyspaceEvents & Notify.NEW && !db.dict.has(key);
    db.dict.set(key, value);
    if (isNew) this.created(key, db);
    if (!keepTtl && db.expires.size > 0) db.expires.delete(key);
    this.modified(key, 1, db);
  }

  /** Deletes a key if present (Redis's dbDelete + signalModifiedKey); returns whether it existed. */
  deleteKey(key: string, db: Database = this.db): boolean {
    // UNLINK frees a costly value in the background (Redis's dbAsyncDelete): INFO counts it in lazyfreed_objects.
    if (this.spec.name === 'unlink') {
      const v = db.dict.get(key);
      if (v !== undefined && freeEffort(v, this.core.encodingLimits, this.core.config.int('stream-node-max-entries')) > LAZYFREE_THRESHOLD) {
        this.core.stats.lazyfreedObjects++;
      }
    }
    if (!db.dict.delete(key)) return false;
    db.expires.delete(key);
    this.modified(key, 1, db);
    return true;
  }

  /**
   * Deletes the key when its aggregate value became empty (Redis removes empty lists, hashes, sets, zsets).
   * Returns true when it deleted.
   */
  deleteIfEmpty(key: string, db: Database = this.db, notify = true): boolean {
    const v = db.dict.get(key);
    // Redis keeps empty streams (their IDs, counters and groups still matter).
    if (v === undefined || typeof v === 'string' || v instanceof Stream) return false;
    const size = v instanceof Deque ? v.length : v.size;
    if (size > 0) return false;
    db.dict.delete(key);
    db.expires.delete(key);
    // As Redis wherever it removes an emptied aggregate: a generic "del" event (after the command's own event).
    if (notify) this.notify(Notify.GENERIC, 'del', key, db);
    return true;
  }

  /**
   * Publishes a keyspace event for a change this command made (Redis's notifyKeyspaceEvent): call it after the
   * change, with Redis's class and event name ("set", "lpush", "hdel", "expire", ...).
   */
  notify(type: number, event: string, key: string, db: Database = this.db): void {
    if (this.core.keyspaceEvents !== 0) notifyKeyspaceEvent(this.core, type, event, key, db.id);
  }

  /** A key was just added to a database (Redis's dbAdd): the "new" event. */
  created(key: string, db: Database = this.db): void {
    if (this.core.keyspaceEvents & Notify.NEW) notifyKeyspaceEvent(this.core, Notify.NEW, 'new', key, db.id);
  }

  /** The absolute expiry of a key in ms, or -1 when it has none. */
  getExpire(key: string, db: Database = this.db): number {
    return db.expires.get(key) ?? -1;
  }

  /** Sets an absolute expiry (ms since the epoch) on an existing key. */
  setExpire(key: string, when: number, db: Database = this.db): void {
    db.expires.set(key, when);
  }

  /** Removes a key's expiry; returns whether it had one. */
  removeExpire(key: string, db: Database = this.db): boolean {
    return db.expires.delete(key);
  }

  /**
   * Reports that a key changed (Redis's signalModifiedKey + server.dirty): invalidates WATCHes, wakes clients
   * blocked on it, and marks the command for propagation.
   */
  modified(key: string, changes = 1, db: Database = this.db): void {
    this.dirty += changes;
    this.core.signalModifiedKey(db.id, key);
    noteWrite(db.dict.get(key), this.core.encodingLimits);
  }

  /**
   * Sets the form this command propagates in (relative TTLs made absolute, blocking pops made non-blocking,
   * INCRBYFLOAT as SET ...). Several commands propagate as several ops; none (`rewrite()`) propagates nothing.
   * Applies only when the command changed something (dirty > 0).
   */
  rewrite(...commands: string[][]): void {
    this.propagateAs = commands.length === 0 ? null : commands;
  }

  /** Propagates an extra op right away, before the command's own (the DEL of a lazily expired key). */
  alsoPropagate(argv: string[], db: Database = this.db): void {
    this.core.propagator.add(db.id, argv);
  }
}
