import type { Transport } from '../shared/engine/client.js';
import type { ServerCore } from '../shared/engine/server-core.js';
import { RdbReader } from '../shared/rdb/rdb-reader.js';
import type { SqlPersistence, StoreMeta } from './sql-persistence.js';

/** What a load did, for INFO persistence. */
export interface LoadResult {
  keysLoaded: number;
  streamBytesReplayed: number;
}

const NO_OUTPUT: Transport = { write: () => {}, close: () => {}, bufferedAmount: () => 0 };

/**
 * Rebuilds the dataset into the core's (empty) databases: the snapshot first, then the stream log from the
 * snapshot's offset up to `end`, applied exactly as a replica applies its master's stream. Replaying with the
 * replica's rules matters: keys that expired meanwhile stay until the stream's own DEL for them (or the
 * master's expiry after the load), so a replayed INCR of a key that later expired gives the value the
 * original run had, not a fresh counter.
 */
export function loadDataset(core: ServerCore, store: SqlPersistence, meta: StoreMeta, end: number): LoadResult {
  let keysLoaded = 0;
  if (meta.snapshotGen > 0) {
    const reader = new RdbReader({
      onKey: (db, key, value, expireMs) => {
        const target = core.dbs[db];
        if (!target) throw new Error(`the stored snapshot uses db ${db}, but this store has ${core.dbs.length} databases`);
        target.dict.set(key, value);
        if (expireMs >= 0) target.expires.set(key, expireMs);
        keysLoaded++;
      },
    });
    for (const chunk of store.readSnapshot(meta.snapshotGen)) reader.push(chunk);
    reader.end();
  }

  const saved = saveStats(core);
  const role = core.role;
  core.role = 'replica';
  const client = core.connect(NO_OUTPUT, { addr: 'stream-log', laddr: '', loopback: true, kind: 'internal' });
  if (!client) throw new Error('cannot create the client that replays the stream log');
  client.isMaster = true;
  client.replyOff = true;
  client.authenticated = true;
  client.parser.authenticated = true;
  client.parser.fromMaster = true;
  client.db = meta.snapshotStreamDb;
  let replayed = 0;
  try {
    for (const row of store.readLog(meta.snapshotOffset)) {
      if (row.start >= end) break;
      const data = row.start + row.data.length > end ? row.data.subarray(0, end - row.start) : row.data;
      core.receive(client, data);
      replayed += data.length;
      if (client.closed) throw new Error(`the stored stream log is corrupt near offset ${row.start}`);
    }
    if (client.parser.pending > 0) throw new Error(`the stored stream log ends inside a command at offset ${end}`);
  } finally {
    core.disconnect(client);
    core.role = role;
  }
  restoreStats(core, saved);
  return { keysLoaded, streamBytesReplayed: replayed };
}

type StatsCopy = ReturnType<typeof saveStats>;

function saveStats(core: ServerCore) {
  const { commands, errors, ...numbers } = core.stats;
  return {
    numbers,
    commands: new Map([...commands].map(([k, v]) => [k, { ...v }])),
    errors: new Map(errors),
  };
}

/** Puts back the counters the replay moved: INFO stats describe traffic, and the replay was not traffic. */
function restoreStats(core: ServerCore, saved: StatsCopy): void {
  Object.assign(core.stats, saved.numbers);
  core.stats.commands.clear();
  for (const [k, v] of saved.commands) core.stats.commands.set(k, v);
  core.stats.errors.clear();
  for (const [k, v] of saved.errors) core.stats.errors.set(k, v);
}
