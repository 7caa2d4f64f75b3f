import { Config, applyDirectives, parseConfigText } from '../shared/engine/config.js';
import type { Env } from './env.js';

/**
 * Parameters the edge fixes whatever the configuration says, and why:
 * - `protected-mode no`: every client is remote here; AUTH_SECRET is what keeps strangers out;
 * - `repl-backlog-ttl 0`: the backlog is how the stream reaches storage, so it is never freed.
 * `requirepass` is pinned too: it is AUTH_SECRET.
 */
const PINNED: Record<string, string> = { 'protected-mode': 'no', 'repl-backlog-ttl': '0' };

/** Names CONFIG SET refuses on the edge (they would not survive the object sleeping, or break persistence). */
export const IMMUTABLE_ON_EDGE = new Set(['requirepass', 'protected-mode', 'repl-backlog-ttl']);

/**
 * Heartbeat period for replicas, in seconds. Redis pings every 10 s; the edge pings every 30 s so the object
 * can hibernate between pings (it sleeps after about 10 s without events) while replicas, whose repl-timeout
 * is 60 s, still hear from it in time.
 */
export const EDGE_PING_PERIOD = '30';

/**
 * The configuration of one store: the edge's defaults, then the Worker's STORE_CONFIG directives, then the
 * CONFIG SET changes the store persisted, then the pinned parameters and the password.
 */
export function edgeConfig(env: Env, persisted: Array<[string, string]>, log: (message: string) => void): Config {
  const config = new Config();
  config.set('repl-ping-replica-period', EDGE_PING_PERIOD, true);
  if (env.STORE_CONFIG) applyDirectives(config, parseConfigText(env.STORE_CONFIG));
  for (const [name, value] of persisted) {
    try {
      config.set(name, value, true);
    } catch (e) {
      log(`Ignoring the stored setting ${name} '${value}': ${(e as Error).message}`);
    }
  }
  for (const [name, value] of Object.entries(PINNED)) config.set(name, value, true);
  config.set('requirepass', env.AUTH_SECRET ?? '', true);
  return config;
}
