import path from 'node:path';
import { Miniflare } from 'miniflare';
import { OFFLINE_ENV } from './edge-process.js';

/**
 * A stand-in Durable Object with the edge object's name and class, so that over the same persisted directory
 * it opens the same SQLite database: it runs the SQL it is given. Lets a test damage a store's storage the way
 * a lost write would, while the edge is stopped.
 */
const SURGEON = `
export class StoreObject {
  constructor(ctx) { this.ctx = ctx; }
  async fetch(request) {
    const sql = await request.text();
    const rows = this.ctx.storage.sql.exec(sql).toArray();
    return Response.json(rows);
  }
}
export default {
  fetch(request, env) {
    const store = new URL(request.url).searchParams.get('store');
    return env.STORE.get(env.STORE.idFromName(store)).fetch(request);
  },
};`;

/** Runs one SQL statement in a stopped edge's store and returns the rows. */
export async function runStoreSql(persistDir: string, store: string, sql: string): Promise<Array<Record<string, unknown>>> {
  Object.assign(process.env, OFFLINE_ENV);
  const mf = new Miniflare({
    // The same worker name and class as wrangler.toml: Miniflare keys the storage by them.
    name: 'redis-replica-edge',
    modules: true,
    script: SURGEON,
    compatibilityDate: '2026-05-01',
    durableObjects: { STORE: { className: 'StoreObject', useSQLite: true } },
    // wrangler keeps Durable Object storage under v3/do of its persistence directory.
    durableObjectsPersist: path.join(persistDir, 'v3', 'do'),
  });
  try {
    const res = await mf.dispatchFetch(`http://surgery/?store=${encodeURIComponent(store)}`, { method: 'POST', body: sql });
    if (!res.ok) throw new Error(`SQL failed: ${await res.text()}`);
    return (await res.json()) as Array<Record<string, unknown>>;
  } finally {
    await mf.dispose();
  }
}
