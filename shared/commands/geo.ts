import { pqsort } from './pqsort.js';
import { command, type CommandSpec } from '../engine/command-spec.js';
import type { CommandContext } from '../engine/command-context.js';
import { Notify } from '../engine/keyspace-events.js';
import { CommandError, NOT_FLOAT, SYNTAX } from '../errors.js';
import { NULL_ARRAY, RawReply, type Reply } from '../resp/reply.js';
import type { ZSetValue } from '../store/database.js';
import {
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  decodeGeohashScore,
  distanceIfWithinShape,
  geohashCalculateAreasByShapeWGS84,
  geohashGetDistance,
  geohashScore,
  hashIsZero,
  scoresOfGeoHashBox,
  searchCells,
  standardGeohash,
  type GeoShape,
} from '../store/geohash.js';
import { SortedSet } from '../store/sorted-set.js';
import { parseInteger, isWord } from './parse.js';
import { strtodWeight } from './sort.js';
import { sortedSetCommands } from './sorted-sets.js';

/**
 * The GEO commands of Redis 7.0 (src/geo.c): a GEO index is a sorted set whose scores are 52-bit geohashes
 * (see store/geohash.ts). GEOADD is ZADD with computed scores; the searches scan the score ranges of the cells
 * around the centre, filter by exact distance, and reply (or store) in Redis's order and number formats.
 */

// ---------------------------------------------------------------------------------------------------------------
// Number formats
// ---------------------------------------------------------------------------------------------------------------

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
/** Index of the high word of a double in U32 (the platform's byte order). */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** The exact binary value of a finite non-zero |d|: mantissa * 2^exp. */
function exactParts(d: number): { mant: bigint; exp: number } {
  F64[0] = Math.abs(d);
  const hi = U32[HI];
  const lo = U32[1 - HI];
  const biased = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return { mant: frac, exp: -1074 };
  return { mant: frac | (1n << 52n), exp: biased - 1075 };
}

/**
 * printf("%.<digits>f") of a finite double, as glibc prints it: the exact binary value rounded half-to-even
 * at the last digit (not the "round half up" of Number.prototype.toFixed), with the sign of negative zero.
 */
export function formatFixed(d: number, digits: number): string {
  const negative = d < 0 || Object.is(d, -0);
  let q = 0n;
  if (d !== 0) {
    const { mant, exp } = exactParts(d);
    const scaled = mant * 10n ** BigInt(digits);
    if (exp >= 0) q = scaled << BigInt(exp);
    else {
      const den = 1n << BigInt(-exp);
      q = scaled / den;
      const twice = 2n * (scaled % den);
      if (twice > den || (twice === den && (q & 1n) === 1n)) q++;
    }
  }
  const text = q.toString().padStart(digits + 1, '0');
  const body = digits > 0 ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
  return (negative ? '-' : '') + body;
}

/** C's printf("%f"): six decimals, "inf" / "-inf" for the infinities (the coordinates of the range error). */
export function formatPrintfF(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  return formatFixed(d, 6);
}

/**
 * Redis's ld2string(LD_STR_HUMAN) of a double (addReplyHumanLongDouble, the coordinates GEOPOS and WITHCOORD
 * reply): "%.17Lf" with trailing zeros (and a bare dot) removed, "-0" printed as "0".
 */
export function formatHumanDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  let s = formatFixed(d, 17);
  s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

const LLONG_MIN = -9223372036854775808n;
const TWO_63 = 9223372036854775808;

/** C's llrint: round half to even; what does not fit a long long is LLONG_MIN. */
function llrint(x: number): bigint {
  if (!(Math.abs(x) < TWO_63)) return LLONG_MIN;
  const f = Math.floor(x);
  const diff = x - f;
  const r = diff < 0.5 ? f : diff > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
  return BigInt(r);
}

/**
 * Redis's fixedpoint_d2string(d, 4), the distances of GEODIST and WITHDIST: d * 10^4 rounded with llrint, then
 * printed with four decimals.
 */
export function formatDistance(d: number): string {
  if (d === 0) return '0.0000';
  let v = llrint(d * 10000);
  const negative = v < 0n;
  if (negative) v = -v;
  const text = v.toString().padStart(5, '0');
  return (negative ? '-' : '') + `${text.slice(0, -4)}.${text.slice(-4)}`;
}

/** A coordinate as addReplyHumanLongDouble sends it: a bulk string in RESP2, a RESP3 double in RESP3. */
function coordinateReply(ctx: CommandContext, d: number): Reply {
  const text = formatHumanDouble(d);
  if (ctx.client.protocol !== 3) return text;
  const bytes = new Uint8Array(text.length + 3);
  bytes[0] = 0x2c; // ','
  for (let i = 0; i < text.length; i++) bytes[i + 1] = text.charCodeAt(i);
  bytes[text.length + 1] = 13;
  bytes[text.length + 2] = 10;
  return new RawReply(bytes);
}

/** C's (long long)score as addReplyLongLong receives it (WITHHASH): truncation; LLONG_MIN when out of range. */
function scoreAsLongLong(score: number): number | bigint {
  const t = Math.trunc(score);
  if (Number.isSafeInteger(t)) return t === 0 ? 0 : t;
  if (!(Math.abs(t) < TWO_63) && t !== -TWO_63) return LLONG_MIN;
  return BigInt(t);
}

// ---------------------------------------------------------------------------------------------------------------
// Argument parsing
// ---------------------------------------------------------------------------------------------------------------

/**
 * Whether an argument is the option `word`, as Redis's strcasecmp sees it: the comparison stops at a NUL byte,
 * so "WITHDIST\0junk" is WITHDIST.
 */
function isOpt(arg: string, word: string): boolean {
  const nul = arg.indexOf('\0');
  return isWord(nul < 0 ? arg : arg.slice(0, nul), word);
}

function isCSpace(c: string): boolean {
  return c === ' ' || (c >= '\t' && c <= '\r');
}

/**
 * Redis's getDoubleFromObjectOrReply (string2d): strtod over the whole argument, no leading space, no NaN, no
 * overflow or underflow to zero. Inexact subnormal results are accepted, as string2d only rejects ERANGE
 * results that are infinite or zero.
 */
function parseDoubleArg(s: string, error = NOT_FLOAT): number {
  if (s.length === 0 || isCSpace(s[0]) || s.includes('\0')) throw new CommandError(error);
  const v = strtodWeight(s);
  if (v !== null) return v;
  if (/^[+-]?(\d+\.?\d*|\.\d+)e-\d+$/i.test(s)) {
    const n = Number(s);
    if (n !== 0 && Number.isFinite(n)) return n;
  }
  throw new CommandError(error);
}

/** extractLongLatOrReply: a validated longitude, latitude pair. */
function extractLongLat(lonArg: string, latArg: string): [number, number] {
  const lon = parseDoubleArg(lonArg);
  const lat = parseDoubleArg(latArg);
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    throw new CommandError(`ERR invalid longitude,latitude pair ${formatPrintfF(lon)},${formatPrintfF(lat)}`);
  }
  return [lon, lat];
}

/** extractUnitOrReply: metres per unit. */
function extractUnit(u: string): number {
  if (isOpt(u, 'm')) return 1;
  if (isOpt(u, 'km')) return 1000;
  if (isOpt(u, 'ft')) return 0.3048;
  if (isOpt(u, 'mi')) return 1609.34;
  throw new CommandError('ERR unsupported unit provided. please use M, KM, FT, MI');
}

/** extractDistanceOrReply: [radius, conversion]. */
function extractDistance(radiusArg: string, unitArg: string): [number, number] {
  const radius = parseDoubleArg(radiusArg, 'ERR need numeric radius');
  if (radius < 0) throw new CommandError('ERR radius cannot be negative');
  return [radius, extractUnit(unitArg)];
}

/** extractBoxOrReply: [width, height, conversion]. */
function extractBox(widthArg: string, heightArg: string, unitArg: string): [number, number, number] {
  const w = parseDoubleArg(widthArg, 'ERR need numeric width');
  const h = parseDoubleArg(heightArg, 'ERR need numeric height');
  if (h < 0 || w < 0) throw new CommandError('ERR height or width cannot be negative');
  return [w, h, extractUnit(unitArg)];
}

const DECODE_MEMBER = 'ERR could not decode requested zset member';

/** longLatFromMember: the position of a member, or null when it is not in the set. */
function longLatFromMember(z: ZSetValue, member: string): [number, number] | null {
  const score = z.score(member);
  return score === undefined ? null : decodeGeohashScore(score);
}

// ---------------------------------------------------------------------------------------------------------------
// Searching
// ---------------------------------------------------------------------------------------------------------------

/** geoPoint: one search result. */
interface GeoPoint {
  lon: number;
  lat: number;
  dist: number;
  score: number;
  member: string;
}

/**
 * membersOfAllNeighbors: scans the centre cell and its neighbours in Redis's order, skipping zeroed cells and a
 * cell equal to the one scanned just before it, collecting the members inside the shape. With a limit (ANY),
 * it stops as soon as that many were found.
 */
function membersInShape(z: ZSetValue, shape: GeoShape, limit: number): GeoPoint[] {
  const cells = searchCells(geohashCalculateAreasByShapeWGS84(shape));
  const out: GeoPoint[] = [];
  let last = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (hashIsZero(cell)) continue;
    if (last && cell.bits === cells[last].bits && cell.step === cells[last].step) continue;
    if (out.length && limit && out.length >= limit) break;
    const [min, max] = scoresOfGeoHashBox(cell);
    for (const [member, score] of z.rangeByScore({ min, max, minExclusive: false, maxExclusive: true })) {
      const [lon, lat] = decodeGeohashScore(score);
      const dist = distanceIfWithinShape(shape, lon, lat);
      if (dist !== null) out.push({ lon, lat, dist, score, member });
      if (out.length && limit && out.length >= limit) break;
    }
    last = i;
  }
  return out;
}

type Compare = (a: GeoPoint, b: GeoPoint) => number;


const sortAsc: Compare = (a, b) => (a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1);
const sortDesc: Compare = (a, b) => -sortAsc(a, b);

const RADIUS_COORDS = 1 << 0;
const RADIUS_MEMBER = 1 << 1;
const RADIUS_NOSTORE = 1 << 2;
const GEOSEARCH = 1 << 3;
const GEOSEARCHSTORE = 1 << 4;

const SORT_NONE = 0;
const SORT_ASC = 1;
const SORT_DESC = 2;

/**
 * georadiusGeneric: GEORADIUS[_RO], GEORADIUSBYMEMBER[_RO], GEOSEARCH and GEOSEARCHSTORE, with Redis's order of
 * checks (the source key's type, the centre, each option left to right, then the combinations).
 */
function georadiusGeneric(ctx: CommandContext, argv: string[], srcKeyIndex: number, flags: number): Reply {
  let storekey: string | null = null;
  let storedist = false;
  const z = ctx.readZset(argv[srcKeyIndex]);

  let baseArgs: number;
  const shape: GeoShape = { type: 'circle', lon: 0, lat: 0, conversion: 0, radius: 0, width: 0, height: 0 };
  if (flags & RADIUS_COORDS) {
    baseArgs = 6;
    [shape.lon, shape.lat] = extractLongLat(argv[2], argv[3]);
    [shape.radius, shape.conversion] = extractDistance(argv[baseArgs - 2], argv[baseArgs - 1]);
  } else if (flags & RADIUS_MEMBER && !z) {
    // No source: parse the options anyway, to know which empty reply (or error) to give.
    baseArgs = 5;
  } else if (flags & RADIUS_MEMBER) {
    baseArgs = 5;
    const xy = longLatFromMember(z!, argv[2]);
    if (!xy) throw new CommandError(DECODE_MEMBER);
    [shape.lon, shape.lat] = xy;
    [shape.radius, shape.conversion] = extractDistance(argv[baseArgs - 2], argv[baseArgs - 1]);
  } else {
    baseArgs = 2;
    if (flags & GEOSEARCHSTORE) {
      baseArgs = 3;
      storekey = argv[1];
    }
  }

  let withdist = false;
  let withhash = false;
  let withcoords = false;
  let frommember = false;
  let fromloc = false;
  let byradius = false;
  let bybox = false;
  let sort = SORT_NONE;
  let any = false;
  let count = 0;
  const remaining = argv.length - baseArgs;
  for (let i = 0; i < remaining; i++) {
    const arg = argv[baseArgs + i];
    if (isOpt(arg, 'withdist')) withdist = true;
    else if (isOpt(arg, 'withhash')) withhash = true;
    else if (isOpt(arg, 'withcoord')) withcoords = true;
    else if (isOpt(arg, 'any')) any = true;
    else if (isOpt(arg, 'asc')) sort = SORT_ASC;
    else if (isOpt(arg, 'desc')) sort = SORT_DESC;
    else if (isOpt(arg, 'count') && i + 1 < remaining) {
      count = parseInteger(argv[baseArgs + i + 1]);
      if (count <= 0) throw new CommandError('ERR COUNT must be > 0');
      i++;
    } else if (isOpt(arg, 'store') && i + 1 < remaining && !(flags & RADIUS_NOSTORE) && !(flags & GEOSEARCH)) {
      storekey = argv[baseArgs + i + 1];
      storedist = false;
      i++;
    } else if (isOpt(arg, 'storedist') && i + 1 < remaining && !(flags & RADIUS_NOSTORE) && !(flags & GEOSEARCH)) {
      storekey = argv[baseArgs + i + 1];
      storedist = true;
      i++;
    } else if (isOpt(arg, 'storedist') && flags & GEOSEARCH && flags & GEOSEARCHSTORE) {
      storedist = true;
    } else if (isOpt(arg, 'frommember') && i + 1 < remaining && flags & GEOSEARCH && !fromloc) {
      if (z) {
        const xy = longLatFromMember(z, argv[baseArgs + i + 1]);
        if (!xy) throw new CommandError(DECODE_MEMBER);
        [shape.lon, shape.lat] = xy;
      }
      frommember = true;
      i++;
    } else if (isOpt(arg, 'fromlonlat') && i + 2 < remaining && flags & GEOSEARCH && !frommember) {
      [shape.lon, shape.lat] = extractLongLat(argv[baseArgs + i + 1], argv[baseArgs + i + 2]);
      fromloc = true;
      i += 2;
    } else if (isOpt(arg, 'byradius') && i + 2 < remaining && flags & GEOSEARCH && !bybox) {
      [shape.radius, shape.conversion] = extractDistance(argv[baseArgs + i + 1], argv[baseArgs + i + 2]);
      shape.type = 'circle';
      byradius = true;
      i += 2;
    } else if (isOpt(arg, 'bybox') && i + 3 < remaining && flags & GEOSEARCH && !byradius) {
      [shape.width, shape.height, shape.conversion] = extractBox(argv[baseArgs + i + 1], argv[baseArgs + i + 2], argv[baseArgs + i + 3]);
      shape.type = 'box';
      bybox = true;
      i += 3;
    } else {
      throw new CommandError(SYNTAX);
    }
  }

  if (storekey !== null && (withdist || withhash || withcoords)) {
    const what = flags & GEOSEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS';
    throw new CommandError(`ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
  }
  if (flags & GEOSEARCH && !(frommember || fromloc)) {
    throw new CommandError(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${argv[0]}`);
  }
  if (flags & GEOSEARCH && !(byradius || bybox)) {
    throw new CommandError(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${argv[0]}`);
  }
  if (any && !count) throw new CommandError('ERR the ANY argument requires COUNT argument');

  if (!z) {
    if (storekey === null) return [];
    if (ctx.deleteKey(storekey)) ctx.notify(Notify.GENERIC, 'del', storekey);
    return 0;
  }

  // COUNT needs the closest N, so it implies ASC, unless ANY asked for any N.
  if (count !== 0 && sort === SORT_NONE && !any) sort = SORT_ASC;

  const points = membersInShape(z, shape, any ? count : 0);
  if (points.length === 0 && storekey === null) return [];

  const resultLength = points.length;
  const returnedItems = count === 0 || resultLength < count ? resultLength : count;
  if (sort !== SORT_NONE) {
    const cmp = sort === SORT_ASC ? sortAsc : sortDesc;
    // glibc's qsort is a stable merge sort, as Array.prototype.sort; a partial sort uses Redis's pqsort.
    if (returnedItems === resultLength) points.sort(cmp);
    else pqsort(points, cmp, 0, returnedItems - 1);
  }

  if (storekey === null) {
    const out: Reply[] = [];
    const options = (withdist ? 1 : 0) + (withcoords ? 1 : 0) + (withhash ? 1 : 0);
    for (let i = 0; i < returnedItems; i++) {
      const gp = points[i];
      const dist = gp.dist / shape.conversion;
      if (!options) {
        out.push(gp.member);
        continue;
      }
      const item: Reply[] = [gp.member];
      if (withdist) item.push(formatDistance(dist));
      if (withhash) item.push(scoreAsLongLong(gp.score));
      if (withcoords) item.push([coordinateReply(ctx, gp.lon), coordinateReply(ctx, gp.lat)]);
      out.push(item);
    }
    return out;
  }

  if (returnedItems > 0) {
    const result = new SortedSet();
    for (let i = 0; i < returnedItems; i++) {
      const gp = points[i];
      const dist = gp.dist / shape.conversion;
      result.add(gp.member, storedist ? dist : gp.score);
    }
    // setKey looks the destination up first: an expired destination is deleted (and its DEL propagated).
    ctx.lookupWrite(storekey);
    ctx.setKey(storekey, result);
    ctx.notify(Notify.ZSET, flags & GEOSEARCH ? 'geosearchstore' : 'georadiusstore', storekey);
  } else if (ctx.deleteKey(storekey)) {
    ctx.notify(Notify.GENERIC, 'del', storekey);
  }
  return returnedItems;
}

// ---------------------------------------------------------------------------------------------------------------
// GEOADD, GEOPOS, GEOHASH, GEODIST
// ---------------------------------------------------------------------------------------------------------------

const zadd = sortedSetCommands.find((c) => c.name === 'zadd')!;

/**
 * GEOADD key [NX|XX] [CH] lon lat member ...: Redis turns it into ZADD key [options] score member ... and runs
 * ZADD, which also replies, notifies ("zadd") and propagates (as that ZADD, with the name in lowercase).
 */
function geoadd(ctx: CommandContext, argv: string[]): Reply {
  let xx = false;
  let nx = false;
  let longidx = 2;
  for (; longidx < argv.length; longidx++) {
    const opt = argv[longidx];
    if (isOpt(opt, 'nx')) nx = true;
    else if (isOpt(opt, 'xx')) xx = true;
    else if (!isOpt(opt, 'ch')) break;
  }
  if ((argv.length - longidx) % 3 !== 0 || (xx && nx)) throw new CommandError(SYNTAX);
  const zaddArgv = ['zadd', ...argv.slice(1, longidx)];
  for (let i = longidx; i < argv.length; i += 3) {
    const [lon, lat] = extractLongLat(argv[i], argv[i + 1]);
    zaddArgv.push(geohashScore(lon, lat).toString(), argv[i + 2]);
  }
  // ZADD reads its options with strcasecmp too: hand it their NUL-free spelling, propagate them as sent.
  const options = argv.slice(2, longidx).map((o) => (isOpt(o, 'nx') ? 'nx' : isOpt(o, 'xx') ? 'xx' : 'ch'));
  const reply = zadd.handler!(ctx, ['zadd', argv[1], ...options, ...zaddArgv.slice(longidx)]) as Reply;
  ctx.rewrite(zaddArgv);
  return reply;
}

/** GEOPOS key member ...: [lon, lat] per member, a null array for a missing one. */
function geopos(ctx: CommandContext, argv: string[]): Reply {
  const z = ctx.readZset(argv[1]);
  const out: Reply[] = [];
  for (let j = 2; j < argv.length; j++) {
    const score = z?.score(argv[j]);
    if (score === undefined) out.push(NULL_ARRAY);
    else {
      const [lon, lat] = decodeGeohashScore(score);
      out.push([coordinateReply(ctx, lon), coordinateReply(ctx, lat)]);
    }
  }
  return out;
}

/** GEOHASH key member ...: the standard 11-character geohash per member, null for a missing one. */
function geohash(ctx: CommandContext, argv: string[]): Reply {
  const z = ctx.readZset(argv[1]);
  const out: Reply[] = [];
  for (let j = 2; j < argv.length; j++) {
    const score = z?.score(argv[j]);
    out.push(score === undefined ? null : standardGeohash(score));
  }
  return out;
}

/** GEODIST key m1 m2 [unit]: the distance, null when the key or a member is missing; the unit is checked first. */
function geodist(ctx: CommandContext, argv: string[]): Reply {
  let toMeter = 1;
  if (argv.length === 5) toMeter = extractUnit(argv[4]);
  else if (argv.length > 5) throw new CommandError(SYNTAX);
  const z = ctx.readZset(argv[1]);
  if (!z) return null;
  const s1 = z.score(argv[2]);
  const s2 = z.score(argv[3]);
  if (s1 === undefined || s2 === undefined) return null;
  const [lon1, lat1] = decodeGeohashScore(s1);
  const [lon2, lat2] = decodeGeohashScore(s2);
  return formatDistance(geohashGetDistance(lon1, lat1, lon2, lat2) / toMeter);
}

/**
 * GEORADIUS's and GEORADIUSBYMEMBER's keys as Redis 7.0 finds them from their key specs: the source, then the
 * key after the first STORE and the key after the first STOREDIST, each keyword looked for from the first
 * option (`from`) up to the last-but-one argument.
 */
function georadiusKeys(from: number): (argv: string[]) => number[] {
  return (argv) => {
    const keys = [1];
    for (const keyword of ['store', 'storedist']) {
      for (let i = from; i < argv.length - 1; i++) {
        if (isOpt(argv[i], keyword)) {
          keys.push(i + 1);
          break;
        }
      }
    }
    return keys;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------------------------

const group = 'geo';

/** GEO commands (Redis 7.0), with Redis's arity, flags and key positions. */
export const geoCommands: CommandSpec[] = [
  command({
    name: 'geoadd',
    arity: -5,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '3.2.0',
    summary: 'Add one or more geospatial items in the geospatial index represented using a sorted set',
    handler: geoadd,
  }),
  command({
    name: 'geopos',
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '3.2.0',
    summary: 'Returns longitude and latitude of members of a geospatial index',
    handler: geopos,
  }),
  command({
    name: 'geohash',
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '3.2.0',
    summary: 'Returns members of a geospatial index as standard geohash strings',
    handler: geohash,
  }),
  command({
    name: 'geodist',
    arity: -4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '3.2.0',
    summary: 'Returns the distance between two members of a geospatial index',
    handler: geodist,
  }),
  command({
    name: 'georadius',
    arity: -6,
    flags: ['write', 'denyoom', 'movablekeys'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '3.2.0',
    summary: 'Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point',
    getKeys: georadiusKeys(6),
    handler: (ctx, argv) => georadiusGeneric(ctx, argv, 1, RADIUS_COORDS),
  }),
  command({
    name: 'georadius_ro',
    arity: -6,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '3.2.10',
    summary: 'A read-only variant for GEORADIUS',
    handler: (ctx, argv) => georadiusGeneric(ctx, argv, 1, RADIUS_COORDS | RADIUS_NOSTORE),
  }),
  command({
    name: 'georadiusbymember',
    arity: -5,
    flags: ['write', 'denyoom', 'movablekeys'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '3.2.0',
    summary: 'Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member',
    getKeys: georadiusKeys(5),
    handler: (ctx, argv) => georadiusGeneric(ctx, argv, 1, RADIUS_MEMBER),
  }),
  command({
    name: 'georadiusbymember_ro',
    arity: -5,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '3.2.10',
    summary: 'A read-only variant for GEORADIUSBYMEMBER',
    handler: (ctx, argv) => georadiusGeneric(ctx, argv, 1, RADIUS_MEMBER | RADIUS_NOSTORE),
  }),
  command({
    name: 'geosearch',
    arity: -7,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group,
    since: '6.2.0',
    summary: 'Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.',
    handler: (ctx, argv) => georadiusGeneric(ctx, argv, 1, GEOSEARCH),
  }),
  command({
    name: 'geosearchstore',
    arity: -8,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group,
    since: '6.2.0',
    summary: 'Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.',
    handler: (ctx, argv) => georadiusGeneric(ctx, argv, 2, GEOSEARCH | GEOSEARCHSTORE),
  }),
];
