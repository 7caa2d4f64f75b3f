import { CommandError, NOT_INTEGER, SYNTAX } from '../errors.js';
import type { CommandContext } from '../engine/command-context.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import { Notify } from '../engine/keyspace-events.js';
import type { SetValue } from '../store/database.js';
import { EMPTY_ARRAY, SetReply, type Reply } from '../resp/reply.js';
import { isWord } from './parse.js';

const MUST_BE_POSITIVE = 'ERR value is out of range, must be positive';
const COUNT_RANGE = 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807';
const NUMKEYS_NOT_POSITIVE = 'ERR numkeys should be greater than 0';
const TOO_MANY_NUMKEYS = "ERR Number of keys can't be greater than number of args";
const LIMIT_NEGATIVE = "ERR LIMIT can't be negative";

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

/**
 * Redis's string2ll: the only integer syntax Redis accepts (no '+', no spaces, no leading zeros, no "-0"),
 * within the signed 64-bit range. Returns null when `s` is not such an integer.
 */
function string2ll(s: string): bigint | null {
  if (s.length === 0 || s.length > 20 || !/^(0|-?[1-9][0-9]*)$/.test(s)) return null;
  const v = BigInt(s);
  return v > LLONG_MAX || v < LLONG_MIN ? null : v;
}

/** getPositiveLongFromObjectOrReply: a non-negative long, with `error` for anything else. */
function parsePositive(s: string, error: string): bigint {
  const v = string2ll(s);
  if (v === null || v < 0n) throw new CommandError(error);
  return v;
}

/** A random index in [0, n). */
function randomIndex(n: number): number {
  return Math.floor(Math.random() * n);
}

/** `count` distinct members drawn uniformly (a partial Fisher-Yates shuffle); count < members.length. */
function sampleDistinct(members: string[], count: number): string[] {
  for (let i = 0; i < count; i++) {
    const j = i + randomIndex(members.length - i);
    const t = members[i];
    members[i] = members[j];
    members[j] = t;
  }
  return members.slice(0, count);
}

/** One member picked at random, walking the set to a random position (a Set has no indexed access). */
function randomMember(set: SetValue): string {
  let i = randomIndex(set.size);
  for (const m of set) if (i-- === 0) return m;
  throw new Error('randomMember on an empty set');
}

/**
 * Reads the sets named by `keys` as Redis's set operations do (lookupKeyRead even for the STORE forms):
 * every key is type-checked, so WRONGTYPE wins over a missing key. Missing keys are undefined.
 */
function readSets(ctx: CommandContext, keys: string[]): Array<SetValue | undefined> {
  return keys.map((k) => ctx.readSet(k));
}

/** The intersection of `sets`, smallest first; stops after `limit` members when limit > 0. */
function intersect(sets: Array<SetValue | undefined>, limit = 0): string[] {
  if (sets.some((s) => s === undefined)) return [];
  const sorted = (sets as SetValue[]).slice().sort((a, b) => a.size - b.size);
  const out: string[] = [];
  for (const m of sorted[0]) {
    let inAll = true;
    for (let j = 1; j < sorted.length; j++) {
      if (sorted[j] !== sorted[0] && !sorted[j].has(m)) {
        inAll = false;
        break;
      }
    }
    if (inAll) {
      out.push(m);
      if (limit > 0 && out.length >= limit) break;
    }
  }
  return out;
}

/** The union of `sets` (missing keys are empty). */
function union(sets: Array<SetValue | undefined>): Set<string> {
  const out = new Set<string>();
  for (const s of sets) if (s) for (const m of s) out.add(m);
  return out;
}

/** The members of the first set found in none of the others (missing keys are empty). */
function difference(sets: Array<SetValue | undefined>): Set<string> {
  const out = new Set<string>();
  const first = sets[0];
  // The same key repeated subtracts the first set from itself.
  if (!first || sets.slice(1).includes(first)) return out;
  for (const m of first) {
    if (!sets.some((s, j) => j > 0 && s !== undefined && s.has(m))) out.add(m);
  }
  return out;
}

/**
 * The STORE forms: the result replaces the destination (dropping its TTL), or deletes it when empty. Either
 * propagates the command as sent; an empty result over a missing destination changes nothing. `event` is the
 * command's keyspace event ("sinterstore" ...); an emptied destination says "del" instead.
 */
function store(ctx: CommandContext, dst: string, members: Iterable<string>, event: string): number {
  const result = new Set(members);
  if (result.size === 0) {
    // Redis's dbDelete here skips the expiry check: a destination still stored but expired is deleted as is.
    if (ctx.deleteKey(dst)) ctx.notify(Notify.GENERIC, 'del', dst);
    return 0;
  }
  // setKey looks the destination up first, so an expired destination is deleted (and its DEL propagated).
  ctx.lookupWrite(dst);
  ctx.setKey(dst, result);
  ctx.notify(Notify.SET, event, dst);
  return result.size;
}

/** SPOP key count: Redis propagates DEL when it takes the whole set, else one SREM per popped member. */
function spopWithCount(ctx: CommandContext, key: string, countText: string): Reply {
  const count = parsePositive(countText, MUST_BE_POSITIVE);
  const set = ctx.writeSet(key);
  if (!set || count === 0n) return new SetReply([]);
  ctx.notify(Notify.SET, 'spop', key);
  if (count >= BigInt(set.size)) {
    const all = Array.from(set);
    ctx.deleteKey(key);
    ctx.notify(Notify.GENERIC, 'del', key);
    ctx.rewrite(['DEL', key]);
    return new SetReply(all);
  }
  const popped = sampleDistinct(Array.from(set), Number(count));
  for (const m of popped) set.delete(m);
  ctx.modified(key, popped.length);
  ctx.rewrite(...popped.map((m) => ['SREM', key, m]));
  return new SetReply(popped);
}

/** SRANDMEMBER key count, following Redis's cases for the count's sign and size. */
function srandmemberWithCount(ctx: CommandContext, key: string, countText: string): Reply {
  const l = string2ll(countText);
  if (l === null) throw new CommandError(NOT_INTEGER);
  if (l < -LLONG_MAX) throw new CommandError(COUNT_RANGE);
  const set = ctx.readSet(key);
  if (!set || l === 0n) return EMPTY_ARRAY;
  const members = Array.from(set);
  if (l < 0n || l === 1n) {
    // With replacement: members may repeat, in random order.
    const n = Number(l < 0n ? -l : l);
    const out: string[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = members[randomIndex(members.length)];
    return out;
  }
  if (l >= BigInt(members.length)) return members;
  return sampleDistinct(members, Number(l));
}

/** SINTERCARD's key positions: numkeys keys from argv[2] (none when numkeys is unusable). */
function sintercardKeys(argv: string[]): number[] {
  const n = string2ll(argv[1] ?? '');
  if (n === null || n < 1n || n > BigInt(argv.length - 2)) return [];
  const out: number[] = [];
  for (let i = 0; i < Number(n); i++) out.push(2 + i);
  return out;
}

/** The SET command group: SADD ... SDIFFSTORE (SSCAN lives with the scan commands). */
export const setCommands: CommandSpec[] = [
  command({
    name: 'sadd',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'set',
    summary: 'Add one or more members to a set',
    since: '1.0.0',
    handler: (ctx, argv) => {
      const key = argv[1];
      const set = ctx.setForWrite(key);
      let added = 0;
      for (let i = 2; i < argv.length; i++) {
        if (!set.has(argv[i])) {
          set.add(argv[i]);
          added++;
        }
      }
      if (added > 0) {
        ctx.modified(key, added);
        ctx.notify(Notify.SET, 'sadd', key);
      }
      return added;
    },
  }),
  command({
    name: 'srem',
    arity: -3,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'set',
    summary: 'Remove one or more members from a set',
    since: '1.0.0',
    handler: (ctx, argv) => {
      const key = argv[1];
      const set = ctx.writeSet(key);
      if (!set) return 0;
      let deleted = 0;
      for (let i = 2; i < argv.length && set.size > 0; i++) {
        if (set.delete(argv[i])) deleted++;
      }
      if (deleted > 0) {
        ctx.modified(key, deleted);
        ctx.notify(Notify.SET, 'srem', key);
        ctx.deleteIfEmpty(key);
      }
      return deleted;
    },
  }),
  command({
    name: 'smembers',
    arity: 2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'set',
    summary: 'Get all the members in a set',
    since: '1.0.0',
    handler: (ctx, argv) => new SetReply(Array.from(ctx.readSet(argv[1]) ?? [])),
  }),
  command({
    name: 'sismember',
    arity: 3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'set',
    summary: 'Determine if a given value is a member of a set',
    since: '1.0.0',
    handler: (ctx, argv) => (ctx.readSet(argv[1])?.has(argv[2]) ? 1 : 0),
  }),
  command({
    name: 'smismember',
    arity: -3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'set',
    summary: 'Returns the membership associated with the given elements for a set',
    since: '6.2.0',
    handler: (ctx, argv) => {
      const set = ctx.readSet(argv[1]);
      return argv.slice(2).map((m) => (set?.has(m) ? 1 : 0));
    },
  }),
  command({
    name: 'scard',
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'set',
    summary: 'Get the number of members in a set',
    since: '1.0.0',
    handler: (ctx, argv) => ctx.readSet(argv[1])?.size ?? 0,
  }),
  command({
    name: 'spop',
    arity: -2,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'set',
    summary: 'Remove and return one or multiple random members from a set',
    since: '1.0.0',
    handler: (ctx, argv) => {
      if (argv.length === 3) return spopWithCount(ctx, argv[1], argv[2]);
      if (argv.length > 3) throw new CommandError(SYNTAX);
      const key = argv[1];
      const set = ctx.writeSet(key);
      if (!set) return null;
      const member = randomMember(set);
      set.delete(member);
      ctx.modified(key);
      ctx.notify(Notify.SET, 'spop', key);
      ctx.deleteIfEmpty(key);
      // Even when the set empties, Redis propagates the SREM, not a DEL.
      ctx.rewrite(['SREM', key, member]);
      return member;
    },
  }),
  command({
    name: 'srandmember',
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'set',
    summary: 'Get one or multiple random members from a set',
    since: '1.0.0',
    handler: (ctx, argv) => {
      if (argv.length === 3) return srandmemberWithCount(ctx, argv[1], argv[2]);
      if (argv.length > 3) throw new CommandError(SYNTAX);
      const set = ctx.readSet(argv[1]);
      return set ? randomMember(set) : null;
    },
  }),
  command({
    name: 'smove',
    arity: 4,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: 'set',
    summary: 'Move a member from one set to another',
    since: '1.0.0',
    handler: (ctx, argv) => {
      const [, src, dst, member] = argv;
      const srcValue = ctx.lookupWrite(src);
      const dstValue = ctx.lookupWrite(dst);
      if (srcValue === undefined) return 0;
      const srcSet = ctx.writeSet(src) as SetValue;
      const dstSet = dstValue === undefined ? undefined : ctx.writeSet(dst);
      if (srcSet === dstSet) return srcSet.has(member) ? 1 : 0;
      if (!srcSet.delete(member)) return 0;
      ctx.modified(src);
      ctx.notify(Notify.SET, 'srem', src);
      ctx.deleteIfEmpty(src);
      // A missing destination is created ("new") before the member goes in ("sadd"), as Redis's dbAdd does.
      const target = dstSet ?? ctx.setForWrite(dst);
      if (!target.has(member)) {
        target.add(member);
        ctx.modified(dst);
        ctx.notify(Notify.SET, 'sadd', dst);
      }
      return 1;
    },
  }),
  command({
    name: 'sinter',
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: 'set',
    summary: 'Intersect multiple sets',
    since: '1.0.0',
    handler: (ctx, argv) => new SetReply(intersect(readSets(ctx, argv.slice(1)))),
  }),
  command({
    name: 'sintercard',
    arity: -3,
    flags: ['readonly', 'movablekeys'],
    group: 'set',
    summary: 'Intersect multiple sets and return the cardinality of the result',
    since: '7.0.0',
    getKeys: sintercardKeys,
    handler: (ctx, argv) => {
      const numkeys = string2ll(argv[1]);
      if (numkeys === null || numkeys < 1n) throw new CommandError(NUMKEYS_NOT_POSITIVE);
      if (numkeys > BigInt(argv.length - 2)) throw new CommandError(TOO_MANY_NUMKEYS);
      const n = Number(numkeys);
      let limit = 0n;
      for (let j = 2 + n; j < argv.length; j++) {
        if (isWord(argv[j], 'limit') && j < argv.length - 1) {
          limit = parsePositive(argv[++j], LIMIT_NEGATIVE);
        } else {
          throw new CommandError(SYNTAX);
        }
      }
      const sets = readSets(ctx, argv.slice(2, 2 + n));
      return intersect(sets, Number(limit)).length;
    },
  }),
  command({
    name: 'sinterstore',
    arity: -3,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: 'set',
    summary: 'Intersect multiple sets and store the resulting set in a key',
    since: '1.0.0',
    handler: (ctx, argv) => store(ctx, argv[1], intersect(readSets(ctx, argv.slice(2))), 'sinterstore'),
  }),
  command({
    name: 'sunion',
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: 'set',
    summary: 'Add multiple sets',
    since: '1.0.0',
    handler: (ctx, argv) => new SetReply(Array.from(union(readSets(ctx, argv.slice(1))))),
  }),
  command({
    name: 'sunionstore',
    arity: -3,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: 'set',
    summary: 'Add multiple sets and store the resulting set in a key',
    since: '1.0.0',
    handler: (ctx, argv) => store(ctx, argv[1], union(readSets(ctx, argv.slice(2))), 'sunionstore'),
  }),
  command({
    name: 'sdiff',
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: 'set',
    summary: 'Subtract multiple sets',
    since: '1.0.0',
    handler: (ctx, argv) => new SetReply(Array.from(difference(readSets(ctx, argv.slice(1))))),
  }),
  command({
    name: 'sdiffstore',
    arity: -3,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: 'set',
    summary: 'Subtract multiple sets and store the resulting set in a key',
    since: '1.0.0',
    handler: (ctx, argv) => store(ctx, argv[1], difference(readSets(ctx, argv.slice(2))), 'sdiffstore'),
  }),
];
