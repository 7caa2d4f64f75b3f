import type { Client } from '../engine/client.js';

/** The address of the client a script's redis.call runs as (CLIENT LIST and ACL LOG show it as "lua"). */
export const SCRIPT_CLIENT_ADDR = 'lua';

/**
 * Whether a command runs from inside a script (Redis's CLIENT_SCRIPT flag): some commands must then give
 * replies that do not depend on unordered internals, e.g. SORT of a set without a sort order.
 */
export function isScriptClient(client: Client): boolean {
  return client.info.kind === 'internal' && client.info.addr === SCRIPT_CLIENT_ADDR;
}
