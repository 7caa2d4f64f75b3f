import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './latency-histogram.js';

function cdfOf(...nanos: number[]): { calls: number; cdf: Array<[number, number]> } {
  const h = new LatencyHistogram();
  for (const v of nanos) h.record(v);
  return { calls: h.totalCount, cdf: h.cdf() };
}

// Expected values are the output of Redis 7.0.15's own deps/hdr_histogram (hdr_init(1, 1e9, 2), log iterator
// from 1024 ns, base 2, printed as fillCommandCDF does), compiled and run on the same inputs.
describe('LatencyHistogram (hdr_histogram buckets as Redis 7.0.15 reports them)', () => {
  it('puts sub-microsecond and 1 µs calls in the "1" bucket and clamps values into 1 ns .. 1 s', () => {
    expect(
      cdfOf(
        0, 1, 999, 1000, 1023, 1024, 1031, 1032, 2047, 2048, 3000, 17000, 250000, 999999, 1000000, 5000000,
        999000000, 1000000000, 1500000000,
      ),
    ).toEqual({
      calls: 19,
      cdf: [
        [1, 7],
        [2, 10],
        [4, 11],
        [33, 12],
        [264, 13],
        [1056, 15],
        [8454, 16],
        [1073741, 19],
      ],
    });
  });

  it('reports only buckets where the cumulative count grows, ending at the number of calls', () => {
    expect(cdfOf(1000, 1000, 1000)).toEqual({ calls: 3, cdf: [[1, 3]] });
    expect(cdfOf(2000, 2000, 4000, 8000, 16000, 32000, 64000, 128000)).toEqual({
      calls: 8,
      cdf: [
        [2, 2],
        [4, 3],
        [8, 4],
        [16, 5],
        [33, 6],
        [66, 7],
        [132, 8],
      ],
    });
  });

  it('is empty before any call', () => {
    expect(cdfOf()).toEqual({ calls: 0, cdf: [] });
  });

  it('gives hdr_value_at_percentile and INFO latencystats\' "p50=...,p99=...,p99.9=..." text', () => {
    const h = new LatencyHistogram();
    for (const v of [1000, 2000, 3000, 5000, 1000000]) h.record(v);
    expect([0, 12.5, 50, 99, 100].map((p) => h.valueAtPercentile(p))).toEqual([1000, 1003, 3007, 1003519, 1003519]);
    expect(h.percentilesText([50, 99, 99.9])).toBe('p50=3.007,p99=1003.519,p99.9=1003.519');
    const one = new LatencyHistogram();
    one.record(0);
    expect(one.percentilesText([50, 99, 99.9])).toBe('p50=0.001,p99=0.001,p99.9=0.001');
  });
});
