import type { ListValue } from '../store/database.js';
import { quicklistPackedThreshold } from './debug.js';

/**
 * The settings that decide how Redis 7.0 cuts a list into quicklist nodes, for the reports that show that
 * layout (DEBUG OBJECT's serializedlength and ql_* fields). Our lists are one flat deque; Redis's are chains
 * of listpacks ("packed" nodes) and, for elements of DEBUG QUICKLIST-PACKED-THRESHOLD bytes or more, nodes of
 * one raw element ("plain" nodes).
 *
 * A Redis list takes list-max-listpack-size and list-compress-depth when it is created and keeps them (a
 * CONFIG SET changes new lists only), while the packed threshold is one global that each insert reads: an
 * element is plain when it was at least the threshold in effect as it went in. So list commands report each
 * list they insert into (noteListInsert): the first report fixes fill and depth, and the lowest threshold any
 * insert saw is kept (exact for a list built under one threshold, as the test suites build them). Lists no
 * list command inserted into (RESTORE, an RDB load, SORT STORE...) take the current settings, as Redis gave
 * them when it built them unless the configuration changed since.
 */

/** How one list is laid out in nodes. */
export interface QuicklistSettings {
  /** quicklist->fill: list-max-listpack-size, clamped by quicklistSetFill to [-5, 32767]. */
  fill: number;
  /** quicklist->compress: list-compress-depth, clamped by quicklistSetCompressDepth to [0, 65535]. */
  compressDepth: number;
  /** packed_threshold: elements of this many bytes or more get a plain node of their own. */
  packedThreshold: number;
}

/** Redis 7.0.15's defaults: list-max-listpack-size -2, list-compress-depth 0, packed threshold 1GB. */
export const DEFAULT_QUICKLIST_SETTINGS: QuicklistSettings = { fill: -2, compressDepth: 0, packedThreshold: 1 << 30 };

/** quicklist.c's FILL_MAX and COMPRESS_MAX (16-bit fields). */
const FILL_MAX = 32767;
const FILL_MIN = -5;
const COMPRESS_MAX = 65535;

/** A server: what the settings are read from. */
interface SettingsSource {
  config: { int(name: string): number };
}

/** Per list: fill and compress depth as they were at its first insert, and the lowest threshold inserts saw. */
const seen = new WeakMap<ListValue, QuicklistSettings>();

function configured(core: SettingsSource): QuicklistSettings {
  const fill = core.config.int('list-max-listpack-size');
  const depth = core.config.int('list-compress-depth');
  return {
    fill: Math.min(FILL_MAX, Math.max(FILL_MIN, fill)),
    compressDepth: Math.min(COMPRESS_MAX, Math.max(0, depth)),
    packedThreshold: quicklistPackedThreshold(core),
  };
}

/** Records an insert into `list` (a push, LINSERT, LSET), under the server's current settings. */
export function noteListInsert(core: SettingsSource, list: ListValue): void {
  const known = seen.get(list);
  if (!known) {
    seen.set(list, configured(core));
    return;
  }
  const threshold = quicklistPackedThreshold(core);
  if (threshold < known.packedThreshold) known.packedThreshold = threshold;
}

/** The layout settings of `list` on `core`: as its inserts recorded them, else the current ones. */
export function quicklistSettings(core: SettingsSource, list: ListValue): QuicklistSettings {
  return seen.get(list) ?? configured(core);
}
