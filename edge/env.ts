import type { StoreObject } from './store-object.js';

/** The Worker's bindings, as wrangler.toml and the secrets declare them. */
export interface Env {
  /** One Durable Object per store name. */
  STORE: DurableObjectNamespace<StoreObject>;
  /** The password every client must AUTH with (`wrangler secret put AUTH_SECRET`); the edge refuses to run without it. */
  AUTH_SECRET?: string;
  /** Optional redis.conf directives applied to every store, one per line (e.g. "repl-backlog-size 8mb"). */
  STORE_CONFIG?: string;
}
