import { CommandError, WRONGTYPE } from '../errors.js';
import type { CommandContext } from '../engine/command-context.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import { Notify } from '../engine/keyspace-events.js';
import { OK, SimpleString, type Reply } from '../resp/reply.js';
import {
  HLL_CARD_OVERFLOW,
  HLL_DENSE,
  HLL_REGISTERS,
  HLL_SPARSE,
  HyperLogLog,
  hllCountRaw,
  hllSelfTest,
  isHllString,
} from '../store/hyperloglog.js';

/** isHLLObjectOrReply's text for a string that is not a HyperLogLog. */
const HLL_WRONGTYPE = 'WRONGTYPE Key is not a valid HyperLogLog string value.';
const INVALIDOBJ = 'INVALIDOBJ Corrupted HLL object detected';
const NO_SUCH_KEY = 'ERR The specified key does not exist';
const NOT_SPARSE = 'ERR HLL encoding is not sparse';

/**
 * The last value worked on and its decoded form: a pipeline of PFADDs to one key decodes its 12 KB once
 * instead of once per command. Keyed by the string's content, so it is right whichever key or server holds that
 * string; every path that changes the decoded form ends in store(), which re-keys it to the new string.
 */
let lastString: string | null = null;
let lastHll: HyperLogLog | null = null;

/** The HyperLogLog held by a string value (the cached decoding when it is the same string). */
function load(s: string): HyperLogLog {
  if (lastHll !== null && s === lastString) return lastHll;
  const h = HyperLogLog.fromString(s);
  lastString = s;
  lastHll = h;
  return h;
}

/** Writes a changed HyperLogLog back to its key in place (TTL kept), without reporting anything. */
function store(ctx: CommandContext, key: string, h: HyperLogLog): void {
  const s = h.toString();
  ctx.db.dict.set(key, s);
  lastString = s;
  lastHll = h;
}

/** Redis's checkType + isHLLObjectOrReply: the value must be a string with a HyperLogLog header. */
function checkHll(v: unknown): string {
  if (typeof v !== 'string') throw new CommandError(WRONGTYPE);
  if (!isHllString(v)) throw new CommandError(HLL_WRONGTYPE);
  return v;
}

/** An estimate as Redis replies it (addReplyLongLong of the unsigned value: 2^63 comes out negative). */
function cardReply(card: number): Reply {
  if (card >= HLL_CARD_OVERFLOW) return -9223372036854775808n;
  return Number.isSafeInteger(card) ? card : BigInt(card);
}

/** hll-sparse-max-bytes. */
function sparseMax(ctx: CommandContext): number {
  return ctx.core.config.int('hll-sparse-max-bytes');
}

/** PFADD key [element ...]: 1 when the key was created or a register grew. */
function pfadd(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  const v = ctx.lookupWrite(key);
  let h: HyperLogLog;
  let updated = 0;
  let created = false;
  if (v === undefined) {
    h = HyperLogLog.create();
    created = true;
    updated++;
  } else {
    h = load(checkHll(v));
  }
  const max = sparseMax(ctx);
  for (let j = 2; j < argv.length; j++) {
    const r = h.add(argv[j], max);
    if (r === 1) {
      updated++;
    } else if (r === -1) {
      // Redis changed the value in place for the elements before the corrupt spot, and reports nothing.
      if (updated > 0) store(ctx, key, h);
      throw new CommandError(INVALIDOBJ);
    }
  }
  if (updated > 0) {
    h.invalidateCache();
    store(ctx, key, h);
    if (created) ctx.created(key);
    ctx.modified(key, updated);
    ctx.notify(Notify.STRING, 'pfadd', key);
  }
  return updated > 0 ? 1 : 0;
}

/**
 * PFCOUNT key [key ...]. One key: the cached cardinality, or a fresh estimate written back to the cache, which
 * changes the value and so propagates (as PFCOUNT itself). Several keys: the estimate of their union, nothing
 * written.
 */
function pfcount(ctx: CommandContext, argv: string[]): Reply {
  if (argv.length > 2) {
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const v = ctx.lookupRead(argv[j]);
      if (v === undefined) continue;
      const h = load(checkHll(v));
      if (!h.mergeInto(max)) throw new CommandError(INVALIDOBJ);
    }
    return cardReply(hllCountRaw(max));
  }
  const key = argv[1];
  const v = ctx.lookupRead(key);
  if (v === undefined) return 0;
  const h = load(checkHll(v));
  if (h.cacheValid) return h.cachedCard();
  const card = h.count();
  if (card < 0) throw new CommandError(INVALIDOBJ);
  h.setCachedCard(card);
  store(ctx, key, h);
  ctx.modified(key);
  return cardReply(card);
}

/**
 * PFMERGE destkey [sourcekey ...]: the destination (itself one of the sources) gets the register-wise max. It
 * stays sparse unless a source is dense, and is always reported as changed, with a "pfadd" event.
 */
function pfmerge(ctx: CommandContext, argv: string[]): Reply {
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  for (let j = 1; j < argv.length; j++) {
    const v = ctx.lookupRead(argv[j]);
    if (v === undefined) continue;
    const h = load(checkHll(v));
    if (h.encoding === HLL_DENSE) useDense = true;
    if (!h.mergeInto(max)) throw new CommandError(INVALIDOBJ);
  }
  const key = argv[1];
  const v = ctx.lookupWrite(key);
  let h: HyperLogLog;
  const created = v === undefined;
  if (v === undefined) {
    h = HyperLogLog.create();
    ctx.created(key);
  } else {
    // Checked as a source above; decoded afresh so the sources' cached decoding is not changed under them.
    h = HyperLogLog.fromString(v as string);
  }
  if (useDense && !h.toDense()) {
    if (created) store(ctx, key, h);
    throw new CommandError(INVALIDOBJ);
  }
  const sparseMaxBytes = sparseMax(ctx);
  for (let j = 0; j < HLL_REGISTERS; j++) {
    if (max[j] === 0) continue;
    if (h.encoding === HLL_DENSE) h.denseSetIfGreater(j, max[j]);
    else if (h.encoding === HLL_SPARSE) h.sparseSet(j, max[j], sparseMaxBytes);
  }
  h.invalidateCache();
  store(ctx, key, h);
  ctx.modified(key);
  ctx.notify(Notify.STRING, 'pfadd', key);
  return OK;
}

/**
 * PFDEBUG GETREG|DECODE|ENCODING|TODENSE key. GETREG and TODENSE convert a sparse value to dense, which counts
 * as a change (it propagates) without signalling the key, as in Redis.
 */
function pfdebug(ctx: CommandContext, argv: string[]): Reply {
  const sub = argv[1];
  const key = argv[2];
  const v = ctx.lookupWrite(key);
  if (v === undefined) throw new CommandError(NO_SUCH_KEY);
  const h = load(checkHll(v));
  switch (sub.toLowerCase()) {
    case 'getreg': {
      if (h.encoding === HLL_SPARSE) {
        if (!h.toDense()) throw new CommandError(INVALIDOBJ);
        store(ctx, key, h);
        ctx.dirty++;
      }
      return h.registers();
    }
    case 'decode':
      if (h.encoding !== HLL_SPARSE) throw new CommandError(NOT_SPARSE);
      return h.decode();
    case 'encoding':
      return new SimpleString(h.encoding === HLL_DENSE ? 'dense' : 'sparse');
    case 'todense': {
      if (h.encoding !== HLL_SPARSE) return 0;
      if (!h.toDense()) throw new CommandError(INVALIDOBJ);
      store(ctx, key, h);
      ctx.dirty++;
      return 1;
    }
    default:
      throw new CommandError(`ERR Unknown PFDEBUG subcommand '${sub}'`);
  }
}

/** PFSELFTEST: OK, or the first failed check. */
function pfselftest(ctx: CommandContext): Reply {
  const failure = hllSelfTest(sparseMax(ctx));
  if (failure !== null) throw new CommandError(`ERR ${failure}`);
  return OK;
}

/** The HyperLogLog command group. */
export const hyperloglogCommands: CommandSpec[] = [
  command({
    name: 'pfadd',
    arity: -2,
    group: 'hyperloglog',
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary: 'Adds the specified elements to the specified HyperLogLog.',
    since: '2.8.9',
    handler: pfadd,
  }),
  command({
    name: 'pfcount',
    arity: -2,
    group: 'hyperloglog',
    // may_replicate: PFCOUNT stores the recomputed cardinality cache, which propagates.
    flags: ['readonly', 'may_replicate'],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    summary: 'Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).',
    since: '2.8.9',
    handler: pfcount,
  }),
  command({
    name: 'pfmerge',
    arity: -2,
    group: 'hyperloglog',
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    summary: 'Merge N different HyperLogLogs into a single one.',
    since: '2.8.9',
    handler: pfmerge,
  }),
  command({
    name: 'pfdebug',
    arity: 3,
    group: 'hyperloglog',
    flags: ['write', 'denyoom', 'admin'],
    firstKey: 2,
    lastKey: 2,
    step: 1,
    summary: 'Internal commands for debugging HyperLogLog values',
    since: '2.8.9',
    handler: pfdebug,
  }),
  command({
    name: 'pfselftest',
    arity: 1,
    group: 'hyperloglog',
    flags: ['admin'],
    summary: 'An internal command for testing HyperLogLog values',
    since: '2.8.9',
    handler: pfselftest,
  }),
];
