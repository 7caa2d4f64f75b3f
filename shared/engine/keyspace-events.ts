import type { ServerCore } from './server-core.js';

/** Event classes, with Redis's bits (NOTIFY_* in server.h). */
export const Notify = {
  KEYSPACE: 1 << 0,
  KEYEVENT: 1 << 1,
  GENERIC: 1 << 2,
  STRING: 1 << 3,
  LIST: 1 << 4,
  SET: 1 << 5,
  HASH: 1 << 6,
  ZSET: 1 << 7,
  EXPIRED: 1 << 8,
  EVICTED: 1 << 9,
  STREAM: 1 << 10,
  KEY_MISS: 1 << 11,
  LOADED: 1 << 12,
  MODULE: 1 << 13,
  NEW: 1 << 14,
} as const;

/** 'A': every class but key misses and new keys (Redis's NOTIFY_ALL). */
const ALL =
  Notify.GENERIC | Notify.STRING | Notify.LIST | Notify.SET | Notify.HASH | Notify.ZSET | Notify.EXPIRED | Notify.EVICTED | Notify.STREAM | Notify.MODULE;

const CLASS_CHARS: Array<[string, number]> = [
  ['g', Notify.GENERIC],
  ['$', Notify.STRING],
  ['l', Notify.LIST],
  ['s', Notify.SET],
  ['h', Notify.HASH],
  ['z', Notify.ZSET],
  ['x', Notify.EXPIRED],
  ['e', Notify.EVICTED],
  ['t', Notify.STREAM],
  ['d', Notify.MODULE],
  ['n', Notify.NEW],
];

/** Parses notify-keyspace-events (Redis's keyspaceEventsStringToFlags); throws on an unknown character. */
export function parseKeyspaceEvents(text: string): number {
  let flags = 0;
  for (const ch of text) {
    if (ch === 'A') flags |= ALL;
    else if (ch === 'K') flags |= Notify.KEYSPACE;
    else if (ch === 'E') flags |= Notify.KEYEVENT;
    else if (ch === 'm') flags |= Notify.KEY_MISS;
    else {
      const c = CLASS_CHARS.find(([k]) => k === ch);
      if (!c) throw new Error("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
      flags |= c[1];
    }
  }
  return flags;
}

/** Formats the flags as CONFIG GET shows them (Redis's keyspaceEventsFlagsToString). */
export function formatKeyspaceEvents(flags: number): string {
  let out = '';
  if ((flags & ALL) === ALL) out += 'A';
  else for (const [ch, bit] of CLASS_CHARS) if (flags & bit) out += ch;
  if (flags & Notify.KEYSPACE) out += 'K';
  if (flags & Notify.KEYEVENT) out += 'E';
  if (flags & Notify.KEY_MISS) out += 'm';
  return out;
}

/**
 * Publishes a keyspace event (Redis's notifyKeyspaceEvent): `__keyspace@<db>__:<key>` with the event name
 * and/or `__keyevent@<db>__:<event>` with the key, as notify-keyspace-events selects. Delivered to this
 * node's subscribers only, also in cluster mode, as Redis does.
 */
export function notifyKeyspaceEvent(core: ServerCore, type: number, event: string, key: string, db: number): void {
  const flags = core.keyspaceEvents;
  if (!(flags & type)) return;
  if (flags & Notify.KEYSPACE) core.publish(`__keyspace@${db}__:${key}`, event);
  if (flags & Notify.KEYEVENT) core.publish(`__keyevent@${db}__:${event}`, key);
}
