import type { ServerCore } from '../engine/server-core.js';

/**
 * Keys given a TTL by our own clients on a writable replica (Redis's slaveKeysWithExpire). A replica never
 * expires keys by itself: its master sends the DELs. The master knows nothing of keys written on the replica,
 * so those would live forever; Redis remembers them and expires them on the replica's cron instead.
 */
class ReplicaKeyExpiry {
  /** Remembered keys, per db index. */
  readonly keys = new Map<number, Set<string>>();

  remember(db: number, key: string): void {
    let set = this.keys.get(db);
    if (!set) this.keys.set(db, (set = new Set()));
    set.add(key);
  }

  /**
   * Redis's expireSlaveKeys: deletes the remembered keys whose time has come; forgets those that no longer
   * exist or lost their TTL (a key given a later TTL stays remembered).
   */
  expire(core: ServerCore): void {
    if (this.keys.size === 0) return;
    const now = core.now();
    for (const [dbIndex, set] of this.keys) {
      const db = core.dbs[dbIndex];
      for (const key of set) {
        const when = db?.expires.get(key);
        if (when === undefined) {
          set.delete(key);
        } else if (when < now) {
          core.deleteExpiredKey(db, key);
          // Nothing written on a replica leaves it: the DEL is not part of the master's stream.
          core.propagator.discard();
          set.delete(key);
        }
      }
      if (set.size === 0) this.keys.delete(dbIndex);
    }
  }
}

const registry = new WeakMap<ServerCore, ReplicaKeyExpiry>();

function of(core: ServerCore): ReplicaKeyExpiry {
  let r = registry.get(core);
  if (!r) registry.set(core, (r = new ReplicaKeyExpiry()));
  return r;
}

/** A client of ours (not the master link) on a replica left `key` of db `db` with a TTL: expire it here. */
export function rememberReplicaKeyWithExpire(core: ServerCore, db: number, key: string): void {
  of(core).remember(db, key);
}

/** Expires the remembered keys that are due (a replica's cron); a master forgets them (its cron expires keys). */
export function expireReplicaKeys(core: ServerCore): void {
  const r = registry.get(core);
  if (!r) return;
  if (!core.isReplica()) r.keys.clear();
  else if (core.activeExpireEnabled) r.expire(core);
}

/** How many keys are remembered (Redis's DEBUG/INFO expired_slave_keys count), for tests and INFO. */
export function replicaKeysWithExpire(core: ServerCore): number {
  const r = registry.get(core);
  let n = 0;
  if (r) for (const set of r.keys.values()) n += set.size;
  return n;
}
