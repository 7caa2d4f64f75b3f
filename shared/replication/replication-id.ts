import type { ServerCore } from '../engine/server-core.js';

/** The "no id" replication id: 40 zeros (master_replid2 before any promotion). */
export const NULL_REPLID = '0'.repeat(40);

/** A new random 40-hex-digit replication id, as Redis's changeReplicationId. */
export function newReplId(core: Pick<ServerCore, 'randomBytes'>): string {
  const bytes = new Uint8Array(20);
  core.randomBytes(bytes);
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
