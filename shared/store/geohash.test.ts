import { describe, expect, it } from 'vitest';
import {
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  asinCR,
  cosCR,
  decodeGeohashScore,
  deinterleave64,
  geohashAlign52Bits,
  geohashCalculateAreasByShapeWGS84,
  geohashEncodeWGS84,
  geohashEstimateStepsByRadius,
  geohashGetDistance,
  geohashGetDistanceIfInRectangle,
  geohashNeighbors,
  geohashScore,
  interleave64,
  scoreToUint64,
  scoresOfGeoHashBox,
  sinCR,
  standardGeohash,
} from './geohash.js';

describe('interleaving', () => {
  it('puts x on the even bits and y on the odd bits, and undoes it', () => {
    expect(interleave64(1, 0)).toBe(1n);
    expect(interleave64(0, 1)).toBe(2n);
    expect(interleave64(0xffffffff, 0)).toBe(0x5555555555555555n);
    expect(interleave64(0, 0xffffffff)).toBe(0xaaaaaaaaaaaaaaaan);
    expect(deinterleave64(interleave64(0x12345678, 0x9abcdef0))).toEqual([0x12345678, 0x9abcdef0]);
  });
});

describe('encode and decode', () => {
  it('gives the scores Redis stores (GEOADD Sicily examples)', () => {
    expect(geohashScore(13.361389, 38.115556)).toBe(3479099956230698n);
    expect(geohashScore(15.087269, 37.502669)).toBe(3479447370796909n);
  });

  it('decodes a score to the centre of its cell, as GEOPOS shows it', () => {
    const [lon, lat] = decodeGeohashScore(3479099956230698);
    expect(lon).toBe(13.361389338970184);
    expect(lat).toBe(38.1155563954963);
  });

  it('encodes the corners: the top edge and 180 spill into bit 52 as in Redis, decoding clamps', () => {
    expect(geohashScore(-180, GEO_LAT_MIN)).toBe(0n);
    const top = geohashScore(180, GEO_LAT_MAX);
    expect(top >= 1n << 52n).toBe(true);
    expect(decodeGeohashScore(Number(top))).toEqual([180, GEO_LAT_MAX]);
    expect(geohashEncodeWGS84(181, 0, 26)).toBeNull();
    expect(geohashEncodeWGS84(0, 86, 26)).toBeNull();
  });

  it('converts odd scores as the x86-64 (uint64_t) cast does', () => {
    expect(scoreToUint64(-5)).toBe((1n << 64n) - 5n);
    expect(scoreToUint64(1e20)).toBe(0n);
    expect(scoreToUint64(Infinity)).toBe(0n);
    expect(scoreToUint64(-Infinity)).toBe(1n << 63n);
    expect(scoreToUint64(-1e19)).toBe(1n << 63n);
    expect(scoreToUint64(9.3e18)).toBe(9300000000000000000n);
    expect(decodeGeohashScore(-Infinity)).toEqual([180, -85.05112751263942528]);
  });

  it('builds the standard 11-character geohash', () => {
    expect(standardGeohash(3479099956230698)).toBe('sqc8b49rny0');
    expect(standardGeohash(3479447370796909)).toBe('sqdtr74hyu0');
  });
});

describe('search areas', () => {
  it('estimates steps from the radius, coarser near the poles', () => {
    expect(geohashEstimateStepsByRadius(0, 0)).toBe(26);
    expect(geohashEstimateStepsByRadius(1000, 0)).toBe(14);
    expect(geohashEstimateStepsByRadius(1000, 70)).toBe(13);
    expect(geohashEstimateStepsByRadius(1000, -85)).toBe(12);
    expect(geohashEstimateStepsByRadius(1e9, 0)).toBe(1);
  });

  it('wraps neighbours around the antimeridian', () => {
    const h = geohashEncodeWGS84(179.99, 0, 4)!;
    const n = geohashNeighbors(h);
    const w = geohashEncodeWGS84(-179.99, 0, 4)!;
    expect(n.east.bits).toBe(w.bits);
  });

  it('aligns a cell to its [min, max) score range', () => {
    const h = { bits: 0b101010n, step: 3 };
    expect(geohashAlign52Bits(h)).toBe(0b101010n << 46n);
    expect(scoresOfGeoHashBox(h)).toEqual([Number(0b101010n << 46n), Number(0b101011n << 46n)]);
  });

  it('drops the neighbour cells outside the bounding box', () => {
    const r = geohashCalculateAreasByShapeWGS84({ type: 'circle', lon: 15, lat: 37, conversion: 1000, radius: 200, width: 0, height: 0 });
    const zeroed = Object.values(r.neighbors).filter((n) => n.bits === 0n && n.step === 0).length;
    expect(r.hash.step).toBeGreaterThan(1);
    expect(zeroed).toBeGreaterThan(0);
  });
});

describe('distances', () => {
  it('is Redis haversine with its earth radius', () => {
    const [lon1, lat1] = decodeGeohashScore(3479099956230698);
    const [lon2, lat2] = decodeGeohashScore(3479447370796909);
    expect(geohashGetDistance(lon1, lat1, lon2, lat2).toFixed(4)).toBe('166274.1516');
    expect(geohashGetDistance(0, 10, 0, 11)).toBe(6372797.560856 * Math.abs((11 * Math.PI) / 180 - (10 * Math.PI) / 180));
  });

  it('checks boxes by latitude distance then by distance along the parallel', () => {
    expect(geohashGetDistanceIfInRectangle(200000, 200000, 0, 0, 0.5, 0.5)).not.toBeNull();
    expect(geohashGetDistanceIfInRectangle(200000, 100000, 0, 0, 0.5, 0.5)).toBeNull();
    expect(geohashGetDistanceIfInRectangle(100000, 200000, 0, 0, 0.5, 0.5)).toBeNull();
  });

  it('sin, cos and asin are correctly rounded', () => {
    // Values where fdlibm (Math.*) is an ulp off and the correctly rounded answer is known.
    for (const x of [0.1, 0.5, 1, 1.5, 2.5, 3.1, -0.7]) {
      expect(Math.abs(sinCR(x) - Math.sin(x))).toBeLessThanOrEqual(Math.abs(Math.sin(x)) * 2.3e-16);
      expect(Math.abs(cosCR(x) - Math.cos(x))).toBeLessThanOrEqual(Math.abs(Math.cos(x)) * 2.3e-16 + 1e-300);
    }
    expect(sinCR(0.5)).toBe(0.479425538604203);
    expect(cosCR(1)).toBe(0.5403023058681398);
    expect(asinCR(0.5)).toBe(0.5235987755982989);
    expect(asinCR(1)).toBe(Math.PI / 2);
    expect(Object.is(sinCR(-0), -0)).toBe(true);
  });
});
