/**
 * Redis's geohash arithmetic (src/geohash.c and src/geohash_helper.c of Redis 7.0), bit for bit: GEO members are
 * sorted-set members whose score is a 52-bit interleaved geohash of (longitude, latitude) over Redis's own
 * latitude range (±85.05112878, the Web Mercator limits), and searches scan the score ranges of the 3x3 grid of
 * geohash cells around the centre. Every formula keeps Redis's operation order so that the doubles (and so the
 * formatted coordinates and distances) come out identical.
 *
 * Hash bits are bigints where Redis's uint64_t arithmetic can overflow 53 bits (cell neighbours, alignment);
 * the per-member decode, which runs once per scanned member, stays on 32-bit integer halves.
 */

/** 26 steps per axis: 52 bits, the precision of a stored score. */
export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;

/** Redis's EARTH_RADIUS_IN_METERS (the WGS-84 quadratic mean radius). */
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
/** D_R: M_PI / 180.0, folded to a double at compile time as C does. */
const D_R = Math.PI / 180.0;

const U64 = (1n << 64n) - 1n;
const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;
const TWO_63 = 9223372036854775808;
const TWO_64 = 18446744073709551616;

/** GeoHashBits: `step` bits per axis, interleaved in `bits` (a uint64_t). A zeroed hash (0, 0) is "no cell". */
export interface GeoHashBits {
  bits: bigint;
  step: number;
}

/** A closed interval of one coordinate. */
export interface GeoHashRange {
  min: number;
  max: number;
}

/** The rectangle a hash stands for. */
export interface GeoHashArea {
  hash: GeoHashBits;
  longitude: GeoHashRange;
  latitude: GeoHashRange;
}

/** The eight cells around a cell. */
export interface GeoHashNeighbors {
  north: GeoHashBits;
  east: GeoHashBits;
  west: GeoHashBits;
  south: GeoHashBits;
  north_east: GeoHashBits;
  south_east: GeoHashBits;
  north_west: GeoHashBits;
  south_west: GeoHashBits;
}

/** GeoHashRadius: the centre cell, its area and its neighbours (zeroed ones need no scan). */
export interface GeoHashRadius {
  hash: GeoHashBits;
  area: GeoHashArea;
  neighbors: GeoHashNeighbors;
}

/** GeoShape: a search around (lon, lat), a circle (BYRADIUS) or an axis-aligned box (BYBOX), in `conversion` units. */
export interface GeoShape {
  type: 'circle' | 'box';
  lon: number;
  lat: number;
  /** Metres per unit of radius/width/height (m 1, km 1000, ft 0.3048, mi 1609.34). */
  conversion: number;
  radius: number;
  width: number;
  height: number;
}

/** Redis's WGS84 coordinate ranges (the long_range, lat_range pair of geohashGetCoordRange). */
export const WGS84_LONG_RANGE: GeoHashRange = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
export const WGS84_LAT_RANGE: GeoHashRange = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };

// ---------------------------------------------------------------------------------------------------------------
// Bit interleaving
// ---------------------------------------------------------------------------------------------------------------

/** Spreads the low 16 bits of v to the even bits of a 32-bit value. */
function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v >>> 0;
}

/** Gathers the even bits of a 32-bit value into 16 bits. */
function compress16(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v;
}

/** interleave64: the bits of x (a uint32) on the even bits, those of y on the odd bits. */
export function interleave64(x: number, y: number): bigint {
  const lo = (spread16(x) | (spread16(y) << 1)) >>> 0;
  const hi = (spread16(x >>> 16) | (spread16(y >>> 16) << 1)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** deinterleave64 from the two 32-bit halves of a uint64: [even bits (x), odd bits (y)] as uint32s. */
function deinterleaveHalves(hi: number, lo: number): [number, number] {
  const x = (compress16(lo) | (compress16(hi) << 16)) >>> 0;
  const y = (compress16(lo >>> 1) | (compress16(hi >>> 1) << 16)) >>> 0;
  return [x, y];
}

/** deinterleave64: [even bits, odd bits] of a uint64, as uint32s. */
export function deinterleave64(v: bigint): [number, number] {
  const u = v & U64;
  return deinterleaveHalves(Number(u >> 32n), Number(u & 0xffffffffn));
}

/**
 * C's `(uint64_t)score` as gcc compiles it on x86-64 (decodeGeohash): negative values wrap as their signed
 * truncation, values from 2^63 convert exactly, and whatever the conversion cannot represent (below -2^63,
 * 2^64 and above, the infinities) becomes 0x8000000000000000 below and 0 above, as the stock server shows.
 */
export function scoreToUint64(score: number): bigint {
  if (score >= TWO_63) return score >= TWO_64 ? 0n : BigInt(Math.trunc(score));
  if (Number.isNaN(score) || score <= -TWO_63) return 1n << 63n;
  return BigInt(Math.trunc(score)) & U64;
}

// ---------------------------------------------------------------------------------------------------------------
// Encode / decode
// ---------------------------------------------------------------------------------------------------------------

/** geohashEncode: the cell of (longitude, latitude) at `step` bits per axis, or null when out of range. */
export function geohashEncode(
  longRange: GeoHashRange,
  latRange: GeoHashRange,
  longitude: number,
  latitude: number,
  step: number,
): GeoHashBits | null {
  if (step > 32 || step === 0) return null;
  if (longitude > GEO_LONG_MAX || longitude < GEO_LONG_MIN || latitude > GEO_LAT_MAX || latitude < GEO_LAT_MIN) {
    return null;
  }
  if (latitude < latRange.min || latitude > latRange.max || longitude < longRange.min || longitude > longRange.max) {
    return null;
  }
  let latOffset = (latitude - latRange.min) / (latRange.max - latRange.min);
  let longOffset = (longitude - longRange.min) / (longRange.max - longRange.min);
  latOffset *= 2 ** step;
  longOffset *= 2 ** step;
  // The double to uint32_t conversion truncates; offsets are within [0, 2^step].
  return { bits: interleave64(Math.trunc(latOffset) >>> 0, Math.trunc(longOffset) >>> 0), step };
}

/** geohashEncodeWGS84: encode over Redis's coordinate ranges. */
export function geohashEncodeWGS84(longitude: number, latitude: number, step: number): GeoHashBits | null {
  return geohashEncode(WGS84_LONG_RANGE, WGS84_LAT_RANGE, longitude, latitude, step);
}

function areaOf(longRange: GeoHashRange, latRange: GeoHashRange, hash: GeoHashBits, ilato: number, ilono: number): GeoHashArea {
  const latScale = latRange.max - latRange.min;
  const longScale = longRange.max - longRange.min;
  const cells = 2 ** hash.step;
  // (ilato + 1) is uint32_t arithmetic in C: it wraps.
  const latNext = (ilato + 1) >>> 0;
  const lonNext = (ilono + 1) >>> 0;
  return {
    hash,
    latitude: { min: latRange.min + ((ilato * 1.0) / cells) * latScale, max: latRange.min + ((latNext * 1.0) / cells) * latScale },
    longitude: { min: longRange.min + ((ilono * 1.0) / cells) * longScale, max: longRange.min + ((lonNext * 1.0) / cells) * longScale },
  };
}

/** geohashDecode: the rectangle of a cell (null for a zeroed hash). */
export function geohashDecode(longRange: GeoHashRange, latRange: GeoHashRange, hash: GeoHashBits): GeoHashArea | null {
  if (hash.bits === 0n && hash.step === 0) return null;
  const [ilato, ilono] = deinterleave64(hash.bits);
  return areaOf(longRange, latRange, hash, ilato, ilono);
}

/** geohashDecodeAreaToLongLat: the centre of an area, clamped to Redis's limits. */
export function geohashDecodeAreaToLongLat(area: GeoHashArea): [number, number] {
  let lon = (area.longitude.min + area.longitude.max) / 2;
  if (lon > GEO_LONG_MAX) lon = GEO_LONG_MAX;
  if (lon < GEO_LONG_MIN) lon = GEO_LONG_MIN;
  let lat = (area.latitude.min + area.latitude.max) / 2;
  if (lat > GEO_LAT_MAX) lat = GEO_LAT_MAX;
  if (lat < GEO_LAT_MIN) lat = GEO_LAT_MIN;
  return [lon, lat];
}

const STEP_MAX_HASH: GeoHashBits = { bits: 0n, step: GEO_STEP_MAX };

/**
 * decodeGeohash of geo.c: the [longitude, latitude] a sorted-set score stands for. Any score decodes (as in
 * Redis), including scores no GEOADD produced.
 */
export function decodeGeohashScore(score: number): [number, number] {
  let hi: number;
  let lo: number;
  if (score >= 0 && score < TWO_53) {
    const v = Math.trunc(score);
    hi = Math.floor(v / TWO_32);
    lo = v - hi * TWO_32;
  } else {
    const u = scoreToUint64(score);
    hi = Number(u >> 32n);
    lo = Number(u & 0xffffffffn);
  }
  const [ilato, ilono] = deinterleaveHalves(hi, lo);
  return geohashDecodeAreaToLongLat(areaOf(WGS84_LONG_RANGE, WGS84_LAT_RANGE, STEP_MAX_HASH, ilato, ilono));
}

/** geohashAlign52Bits: the cell's bits shifted to the top of a 52-bit score (uint64_t arithmetic). */
export function geohashAlign52Bits(hash: GeoHashBits): bigint {
  return (hash.bits << BigInt(52 - hash.step * 2)) & U64;
}

/** The score GEOADD stores for a (validated) coordinate pair. */
export function geohashScore(longitude: number, latitude: number): bigint {
  const hash = geohashEncodeWGS84(longitude, latitude, GEO_STEP_MAX);
  // Redis ignores a failed encode here: the hash then holds bits 0 at step 26.
  return geohashAlign52Bits(hash ?? { bits: 0n, step: GEO_STEP_MAX });
}

const GEO_ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/**
 * GEOHASH's 11-character string: the point decoded, re-encoded over the standard ranges (±180, ±90) in 52
 * bits, 5 bits a character, and a final '0' for the 55th bit Redis does not have.
 */
export function standardGeohash(score: number): string {
  const [lon, lat] = decodeGeohashScore(score);
  const hash = geohashEncode({ min: -180, max: 180 }, { min: -90, max: 90 }, lon, lat, 26);
  const bits = hash ? hash.bits : 0n;
  let out = '';
  for (let i = 0; i < 11; i++) {
    const idx = i === 10 ? 0 : Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn);
    out += GEO_ALPHABET[idx];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Neighbours and search areas
// ---------------------------------------------------------------------------------------------------------------

const EVEN = 0x5555555555555555n;
const ODD = 0xaaaaaaaaaaaaaaaan;

/** geohash_move_x: one cell east (d > 0) or west (d < 0), wrapping around. */
function moveX(hash: GeoHashBits, d: number): GeoHashBits {
  if (d === 0) return hash;
  let x = hash.bits & ODD;
  const y = hash.bits & EVEN;
  const shift = BigInt(64 - hash.step * 2);
  const zz = EVEN >> shift;
  if (d > 0) x = (x + (zz + 1n)) & U64;
  else {
    x = x | zz;
    x = (x - (zz + 1n)) & U64;
  }
  x &= ODD >> shift;
  return { bits: x | y, step: hash.step };
}

/** geohash_move_y: one cell north (d > 0) or south (d < 0), wrapping around. */
function moveY(hash: GeoHashBits, d: number): GeoHashBits {
  if (d === 0) return hash;
  const x = hash.bits & ODD;
  let y = hash.bits & EVEN;
  const shift = BigInt(64 - hash.step * 2);
  const zz = ODD >> shift;
  if (d > 0) y = (y + (zz + 1n)) & U64;
  else {
    y = y | zz;
    y = (y - (zz + 1n)) & U64;
  }
  y &= EVEN >> shift;
  return { bits: x | y, step: hash.step };
}

/** geohashNeighbors: the eight cells around `hash`. */
export function geohashNeighbors(hash: GeoHashBits): GeoHashNeighbors {
  return {
    east: moveY(moveX(hash, 1), 0),
    west: moveY(moveX(hash, -1), 0),
    south: moveY(moveX(hash, 0), -1),
    north: moveY(moveX(hash, 0), 1),
    north_west: moveY(moveX(hash, -1), 1),
    north_east: moveY(moveX(hash, 1), 1),
    south_east: moveY(moveX(hash, 1), -1),
    south_west: moveY(moveX(hash, -1), -1),
  };
}

const ZERO_HASH: GeoHashBits = { bits: 0n, step: 0 };

/** Whether a hash is zeroed ("no cell": HASHISZERO). */
export function hashIsZero(hash: GeoHashBits): boolean {
  return hash.bits === 0n && hash.step === 0;
}

function degRad(ang: number): number {
  return ang * D_R;
}

function radDeg(ang: number): number {
  return ang / D_R;
}

/** geohashEstimateStepsByRadius: the cell size (bits per axis) whose cells cover a radius, widened near the poles. */
export function geohashEstimateStepsByRadius(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** geohashBoundingBox: [min lon, min lat, max lon, max lat] of the search shape. */
export function geohashBoundingBox(shape: GeoShape): [number, number, number, number] {
  const longitude = shape.lon;
  const latitude = shape.lat;
  const height = shape.conversion * (shape.type === 'circle' ? shape.radius : shape.height / 2);
  const width = shape.conversion * (shape.type === 'circle' ? shape.radius : shape.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / cosCR(degRad(latitude + latDelta)));
  const longDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / cosCR(degRad(latitude - latDelta)));
  // The hemispheres widen towards opposite ends of the box.
  const southern = latitude < 0;
  return [
    southern ? longitude - longDeltaBottom : longitude - longDeltaTop,
    latitude - latDelta,
    southern ? longitude + longDeltaBottom : longitude + longDeltaTop,
    latitude + latDelta,
  ];
}

/** geohashCalculateAreasByShapeWGS84: the centre cell and the neighbours a search must scan. */
export function geohashCalculateAreasByShapeWGS84(shape: GeoShape): GeoHashRadius {
  const [minLon, minLat, maxLon, maxLat] = geohashBoundingBox(shape);
  const longitude = shape.lon;
  const latitude = shape.lat;
  let radiusMeters =
    shape.type === 'circle' ? shape.radius : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2));
  radiusMeters *= shape.conversion;

  let steps = geohashEstimateStepsByRadius(radiusMeters, latitude);
  const encodeAt = (s: number): GeoHashBits => geohashEncode(WGS84_LONG_RANGE, WGS84_LAT_RANGE, longitude, latitude, s) ?? { bits: 0n, step: s };
  let hash = encodeAt(steps);
  let neighbors = geohashNeighbors(hash);
  let area = geohashDecode(WGS84_LONG_RANGE, WGS84_LAT_RANGE, hash)!;

  // The estimated step can be too fine when the search area reaches past the neighbouring cells.
  const north = geohashDecode(WGS84_LONG_RANGE, WGS84_LAT_RANGE, neighbors.north)!;
  const south = geohashDecode(WGS84_LONG_RANGE, WGS84_LAT_RANGE, neighbors.south)!;
  const east = geohashDecode(WGS84_LONG_RANGE, WGS84_LAT_RANGE, neighbors.east)!;
  const west = geohashDecode(WGS84_LONG_RANGE, WGS84_LAT_RANGE, neighbors.west)!;
  const decreaseStep =
    north.latitude.max < maxLat || south.latitude.min > minLat || east.longitude.max < maxLon || west.longitude.min > minLon;

  if (steps > 1 && decreaseStep) {
    steps--;
    hash = encodeAt(steps);
    neighbors = geohashNeighbors(hash);
    area = geohashDecode(WGS84_LONG_RANGE, WGS84_LAT_RANGE, hash)!;
  }

  // Cells wholly outside the bounding box need no scan.
  if (steps >= 2) {
    if (area.latitude.min < minLat) {
      neighbors.south = ZERO_HASH;
      neighbors.south_west = ZERO_HASH;
      neighbors.south_east = ZERO_HASH;
    }
    if (area.latitude.max > maxLat) {
      neighbors.north = ZERO_HASH;
      neighbors.north_east = ZERO_HASH;
      neighbors.north_west = ZERO_HASH;
    }
    if (area.longitude.min < minLon) {
      neighbors.west = ZERO_HASH;
      neighbors.south_west = ZERO_HASH;
      neighbors.north_west = ZERO_HASH;
    }
    if (area.longitude.max > maxLon) {
      neighbors.east = ZERO_HASH;
      neighbors.south_east = ZERO_HASH;
      neighbors.north_east = ZERO_HASH;
    }
  }
  return { hash, area, neighbors };
}

/** scoresOfGeoHashBox: the score range [min, max) of the members inside a cell. */
export function scoresOfGeoHashBox(hash: GeoHashBits): [number, number] {
  const min = geohashAlign52Bits(hash);
  const max = geohashAlign52Bits({ bits: (hash.bits + 1n) & U64, step: hash.step });
  // GeoHashFix52Bits to double: round to nearest, as the uint64_t to double conversion does.
  return [Number(min), Number(max)];
}

/** The cells a search scans, in Redis's order (centre, N, S, E, W, NE, NW, SE, SW); zeroed cells included. */
export function searchCells(r: GeoHashRadius): GeoHashBits[] {
  const n = r.neighbors;
  return [r.hash, n.north, n.south, n.east, n.west, n.north_east, n.north_west, n.south_east, n.south_west];
}

// ---------------------------------------------------------------------------------------------------------------
// Correctly rounded sin, cos and asin
// ---------------------------------------------------------------------------------------------------------------
//
// Redis calls glibc's libm, whose sin, cos and asin return the correctly rounded result for all but about 0.1%
// of arguments; V8's Math.sin/cos/asin (fdlibm) are an ulp off for a few percent, which shows in the last
// digits of STOREDIST scores and, now and then, in a formatted distance or a member on a search's edge. These
// compute in double-double (hi + lo, about 106 bits) and round once. The arithmetic is written on scalars with
// results in module registers, as it runs several times for every member a search looks at.

/**
 * Registers of the double-double operations below: [0] + [1] the result of ddAdd/ddMul, [2] + [3] a sine,
 * [4] + [5] a cosine (a typed array, as V8 optimizes it better than module-level variables).
 */
const REG = new Float64Array(6);

const SPLITTER = 134217729; // 2^27 + 1

/** (ah + al) + (bh + bl) into REG[0] + REG[1]. */
function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  const s = ah + bh;
  const bb = s - ah;
  let e = ah - (s - bb) + (bh - bb);
  const t = al + bl;
  const bt = t - al;
  const f = al - (t - bt) + (bl - bt);
  e += t;
  const s2 = s + e;
  e = e - (s2 - s) + f;
  REG[0] = s2 + e;
  REG[1] = e - (REG[0] - s2);
}

/** (ah + al) * (bh + bl) into REG[0] + REG[1]. */
function ddMul(ah: number, al: number, bh: number, bl: number): void {
  const p = ah * bh;
  let t = SPLITTER * ah;
  const ahh = t - (t - ah);
  const ahl = ah - ahh;
  t = SPLITTER * bh;
  const bhh = t - (t - bh);
  const bhl = bh - bhh;
  const e = ahh * bhh - p + ahh * bhl + ahl * bhh + ahl * bhl + (ah * bl + al * bh);
  REG[0] = p + e;
  REG[1] = e - (REG[0] - p);
}

/** 1/n!, n = 0..27, as double-doubles (high and low parts). */
const IF_H = new Float64Array(28);
const IF_L = new Float64Array(28);
{
  let fh = 1;
  let fl = 0;
  for (let n = 0; n <= 27; n++) {
    if (n > 1) {
      ddMul(fh, fl, n, 0);
      fh = REG[0];
      fl = REG[1];
    }
    // 1 / f by one Newton correction of the double quotient: q1 + (1 - q1 * f) / f.
    const q1 = 1 / fh;
    ddMul(q1, 0, fh, fl);
    ddAdd(1, 0, -REG[0], -REG[1]);
    const q2 = REG[0] / fh;
    IF_H[n] = q1 + q2;
    IF_L[n] = q2 - (IF_H[n] - q1);
  }
}


/** sin and cos of rh + rl (|r| <= 0.82) by their Taylor series up to r^maxN, in double-double. */
function sinCosSeries(rh: number, rl: number, maxN: number): void {
  ddMul(rh, rl, rh, rl);
  const r2h = REG[0];
  const r2l = REG[1];
  // Horner over the alternating coefficients: +1/1!, -1/3!, +1/5! ... for sin r / r; +1/0!, -1/2! ... for cos r.
  let h = 0;
  let l = 0;
  for (let n = maxN % 2 === 1 ? maxN : maxN - 1; n >= 1; n -= 2) {
    ddMul(r2h, r2l, h, l);
    if (n % 4 === 1) ddAdd(IF_H[n], IF_L[n], REG[0], REG[1]);
    else ddAdd(-IF_H[n], -IF_L[n], REG[0], REG[1]);
    h = REG[0];
    l = REG[1];
  }
  ddMul(rh, rl, h, l);
  REG[2] = REG[0];
  REG[3] = REG[1];
  h = 0;
  l = 0;
  for (let n = maxN % 2 === 0 ? maxN : maxN - 1; n >= 0; n -= 2) {
    ddMul(r2h, r2l, h, l);
    if (n % 4 === 0) ddAdd(IF_H[n], IF_L[n], REG[0], REG[1]);
    else ddAdd(-IF_H[n], -IF_L[n], REG[0], REG[1]);
    h = REG[0];
    l = REG[1];
  }
  REG[4] = h;
  REG[5] = l;
}

/** sin and cos of j/64, j = 0..52 (just past pi/4), to the full double-double precision. */
const ST_H = new Float64Array(53);
const ST_L = new Float64Array(53);
const CT_H = new Float64Array(53);
const CT_L = new Float64Array(53);
for (let j = 0; j <= 52; j++) {
  sinCosSeries(j / 64, 0, 27);
  ST_H[j] = REG[2];
  ST_L[j] = REG[3];
  CT_H[j] = REG[4];
  CT_L[j] = REG[5];
}

/**
 * sin and cos (into REG[2] + REG[3], REG[4] + REG[5]) of a reduced argument |r| <= pi/4 + a little:
 * r = j/64 + d with |d| <= 1/128, the table's values for j/64 and short series for d (terms below 2^-90
 * dropped), combined by the angle-sum formulas.
 */
function sinCosReduced(rh: number, rl: number): void {
  const negative = rh < 0;
  if (negative) {
    rh = -rh;
    rl = -rl;
  }
  const j = Math.round(rh * 64);
  ddAdd(rh, rl, -j / 64, 0);
  sinCosSeries(REG[0], REG[1], 11);
  const sdh = REG[2];
  const sdl = REG[3];
  const cdh = REG[4];
  const cdl = REG[5];
  // sin = sin(t) cos(d) + cos(t) sin(d); cos = cos(t) cos(d) - sin(t) sin(d)
  ddMul(ST_H[j], ST_L[j], cdh, cdl);
  const ah = REG[0];
  const al = REG[1];
  ddMul(CT_H[j], CT_L[j], sdh, sdl);
  ddAdd(ah, al, REG[0], REG[1]);
  const sh = REG[0];
  const sl = REG[1];
  ddMul(CT_H[j], CT_L[j], cdh, cdl);
  const bh = REG[0];
  const bl = REG[1];
  ddMul(ST_H[j], ST_L[j], sdh, sdl);
  ddAdd(bh, bl, -REG[0], -REG[1]);
  REG[4] = REG[0];
  REG[5] = REG[1];
  REG[2] = negative ? -sh : sh;
  REG[3] = negative ? -sl : sl;
}

const PIO2_1 = 1.5707963267948966;
const PIO2_2 = 6.123233995736766e-17;
const PIO2_3 = -1.4973849048591698e-33;

/** The largest argument reduced here; beyond, the error of the 3-part pi/2 grows and libm's answer is used. */
const REDUCE_LIMIT = 1e6;

/** sin x into REG[2] + REG[3], cos x into REG[4] + REG[5]; false when |x| is too large (or not finite) to reduce. */
function sinCosDD(x: number): boolean {
  if (!(Math.abs(x) <= REDUCE_LIMIT)) return false;
  const k = Math.round(x / PIO2_1);
  let rh = x;
  let rl = 0;
  if (k !== 0) {
    // x - k * pi/2 with k * pi/2 in three parts (the products of the first two exact as double-doubles).
    ddMul(k, 0, PIO2_1, 0);
    ddAdd(rh, rl, -REG[0], -REG[1]);
    rh = REG[0];
    rl = REG[1];
    ddMul(k, 0, PIO2_2, 0);
    ddAdd(rh, rl, -REG[0], -REG[1]);
    ddAdd(REG[0], REG[1], -k * PIO2_3, 0);
    rh = REG[0];
    rl = REG[1];
  }
  sinCosReduced(rh, rl);
  const q = ((k % 4) + 4) % 4;
  const sh = REG[2];
  const sl = REG[3];
  if (q === 1) {
    REG[2] = REG[4];
    REG[3] = REG[5];
    REG[4] = -sh;
    REG[5] = -sl;
  } else if (q === 2) {
    REG[2] = -sh;
    REG[3] = -sl;
    REG[4] = -REG[4];
    REG[5] = -REG[5];
  } else if (q === 3) {
    REG[2] = -REG[4];
    REG[3] = -REG[5];
    REG[4] = sh;
    REG[5] = sl;
  }
  return true;
}

/** sin(x), correctly rounded (glibc's answer but for its rare misroundings). */
export function sinCR(x: number): number {
  if (x === 0) return x;
  return sinCosDD(x) ? REG[2] + REG[3] : Math.sin(x);
}

/** cos(x), correctly rounded (glibc's answer but for its rare misroundings). */
export function cosCR(x: number): number {
  return sinCosDD(x) ? REG[4] + REG[5] : Math.cos(x);
}

/** asin(x), correctly rounded: fdlibm's value refined by one Newton step in double-double. */
export function asinCR(x: number): number {
  if (x === 0 || !(Math.abs(x) < 1)) return Math.asin(x);
  const y0 = Math.asin(x);
  sinCosDD(y0);
  ddAdd(x, 0, -REG[2], -REG[3]);
  return y0 + (REG[0] + REG[1]) / (REG[4] + REG[5]);
}

// ---------------------------------------------------------------------------------------------------------------
// Distances
// ---------------------------------------------------------------------------------------------------------------

/** geohashGetLatDistance: the distance along a meridian. */
export function geohashGetLatDistance(lat1d: number, lat2d: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2d) - degRad(lat1d));
}

/** geohashGetDistance: Redis's haversine great-circle distance in metres. */
export function geohashGetDistance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lon1r = degRad(lon1d);
  const lon2r = degRad(lon2d);
  const v = sinCR((lon2r - lon1r) / 2);
  // Same longitude: the meridian distance, as Redis shortcuts it.
  if (v === 0.0) return geohashGetLatDistance(lat1d, lat2d);
  const lat1r = degRad(lat1d);
  const lat2r = degRad(lat2d);
  const u = sinCR((lat2r - lat1r) / 2);
  const a = u * u + cosCR(lat1r) * cosCR(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * asinCR(Math.sqrt(a));
}

/** geohashGetDistanceIfInRadius: the distance when within `radius` metres, else null. */
export function geohashGetDistanceIfInRadius(x1: number, y1: number, x2: number, y2: number, radius: number): number | null {
  const distance = geohashGetDistance(x1, y1, x2, y2);
  return distance > radius ? null : distance;
}

/**
 * geohashGetDistanceIfInRectangle: whether (x2, y2) lies in the box of width_m x height_m metres centred on
 * (x1, y1) (the latitude distance, then the longitude distance along the point's parallel); the distance to
 * the centre when it does, else null.
 */
export function geohashGetDistanceIfInRectangle(
  widthM: number,
  heightM: number,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
): number | null {
  const latDistance = geohashGetLatDistance(y2, y1);
  if (latDistance > heightM / 2) return null;
  const lonDistance = geohashGetDistance(x2, y2, x1, y2);
  if (lonDistance > widthM / 2) return null;
  return geohashGetDistance(x1, y1, x2, y2);
}

/** The haversine with libm-quality (not correctly rounded) functions: within a few ulps of geohashGetDistance. */
function roughDistance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lat1r = degRad(lat1d);
  const lat2r = degRad(lat2d);
  const u = Math.sin((lat2r - lat1r) / 2);
  const v = Math.sin((degRad(lon2d) - degRad(lon1d)) / 2);
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v));
}

/**
 * How far a rough distance may stray from the exact one, with room to spare: relatively, and absolutely for
 * nearly antipodal points, where asin near 1 turns an ulp of its argument into up to ~0.1 m.
 */
const ROUGH_SLACK = 1e-9;
const ROUGH_SLACK_M = 1;

/** geoWithinShape without the decode: the distance of (lon, lat) from the centre when inside the shape, else null. */
export function distanceIfWithinShape(shape: GeoShape, lon: number, lat: number): number | null {
  if (shape.type === 'circle') {
    const radius = shape.radius * shape.conversion;
    // Members clearly outside are rejected without the (slower) correctly rounded functions.
    if (roughDistance(shape.lon, shape.lat, lon, lat) > radius * (1 + ROUGH_SLACK) + ROUGH_SLACK_M) return null;
    return geohashGetDistanceIfInRadius(shape.lon, shape.lat, lon, lat, radius);
  }
  const width = shape.width * shape.conversion;
  const height = shape.height * shape.conversion;
  if (geohashGetLatDistance(lat, shape.lat) > height / 2) return null;
  if (roughDistance(lon, lat, shape.lon, lat) > (width / 2) * (1 + ROUGH_SLACK) + ROUGH_SLACK_M) return null;
  return geohashGetDistanceIfInRectangle(width, height, shape.lon, shape.lat, lon, lat);
}
