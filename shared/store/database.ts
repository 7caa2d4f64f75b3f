import { Deque } from './deque.js';
import { SortedSet } from './sorted-set.js';
import { Stream } from './stream.js';

/** A list value. */
export type ListValue = Deque<string>;
/** A hash value: field -> value. */
export type HashValue = Map<string, string>;
/** A set value. */
export type SetValue = Set<string>;
/** A sorted-set value. */
export type ZSetValue = SortedSet;

/**
 * A value in the keyspace. Values are stored bare, without a wrapper object: the type is recovered from the JS
 * type (see typeOfValue), which keeps a million small strings from costing a million extra objects.
 */
export type RedisValue = string | ListValue | HashValue | SetValue | ZSetValue | Stream;

/** The names TYPE reports. */
export type RedisType = 'string' | 'list' | 'hash' | 'set' | 'zset' | 'stream';

/** The Redis type name of a stored value. */
export function typeOfValue(v: RedisValue): RedisType {
  if (typeof v === 'string') return 'string';
  if (v instanceof Deque) return 'list';
  if (v instanceof Map) return 'hash';
  if (v instanceof Set) return 'set';
  if (v instanceof Stream) return 'stream';
  return 'zset';
}

/**
 * One numbered database: the key -> value dictionary and the key -> absolute expiry (ms since the epoch)
 * dictionary, as Redis's redisDb. Pure data: expiry policy, stats and notifications live in the command context.
 */
export class Database {
  dict = new Map<string, RedisValue>();
  expires = new Map<string, number>();
  /** Keys WATCHed by clients: key -> client ids. */
  readonly watched = new Map<string, Set<number>>();
  /**
   * Bumped whenever the contents change wholesale (clear, swap, a loaded snapshot), so bookkeeping kept key by
   * key (maxmemory's sizes) knows to start over.
   */
  generation = 0;
  /** Bumped with any database's generation: one number tells whether any database changed wholesale. */
  static generation = 0;

  constructor(public id: number) {}

  get size(): number {
    return this.dict.size;
  }

  /** Removes every key (FLUSHDB). */
  clear(): void {
    this.dict.clear();
    this.expires.clear();
    this.generation++;
    Database.generation++;
  }

  /** Exchanges contents with `other` (SWAPDB): O(1), watchers stay with their database number. */
  swapContents(other: Database): void {
    const dict = this.dict;
    const expires = this.expires;
    this.dict = other.dict;
    this.expires = other.expires;
    other.dict = dict;
    other.expires = expires;
    this.generation++;
    other.generation++;
    Database.generation++;
  }
}
