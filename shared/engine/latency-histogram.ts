/**
 * A per-command latency histogram laid out exactly as the hdr_histogram Redis 7.0 keeps per command
 * (hdr_init(1, 1e9, 2): nanoseconds, 2 significant digits), so that LATENCY HISTOGRAM's log-iterator buckets
 * come out with Redis's boundaries and counts.
 */

/** Redis's LATENCY_HISTOGRAM_MIN_VALUE / MAX_VALUE (nanoseconds): recorded values are clamped into this range. */
export const LATENCY_HISTOGRAM_MIN_VALUE = 1;
export const LATENCY_HISTOGRAM_MAX_VALUE = 1_000_000_000;

// hdr_calculate_bucket_config(1, 1e9, 2): 2 * 10^2 = 200 values need 8 bits of sub-bucket, unit magnitude 0
// (lowest value 1), and 23 buckets to reach 1e9; every value below 2^31, so 32-bit maths is exact.
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = 7;
const SUB_BUCKET_COUNT = 256;
const SUB_BUCKET_HALF_COUNT = 128;
const SUB_BUCKET_MASK = 255;
const BUCKET_COUNT = 23;
const COUNTS_LEN = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT;

function bucketIndex(value: number): number {
  // 64 - clz64(value | mask). The log iterator's reporting levels (powers of two) pass 2^31, where 32-bit
  // operators stop working; log2 is exact on those.
  const pow2ceiling = value < 2 ** 31 ? 32 - Math.clz32(value | SUB_BUCKET_MASK) : Math.floor(Math.log2(value)) + 1;
  return pow2ceiling - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1);
}

function subBucketIndex(value: number, bucket: number): number {
  return Math.floor(value / 2 ** bucket);
}

function countsIndexFor(value: number): number {
  const bucket = bucketIndex(value);
  const sub = subBucketIndex(value, bucket);
  return ((bucket + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (sub - SUB_BUCKET_HALF_COUNT);
}

function valueAtIndex(index: number): number {
  let bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1;
  let sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  if (bucket < 0) {
    sub -= SUB_BUCKET_HALF_COUNT;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

function rangeSize(value: number): number {
  const bucket = bucketIndex(value);
  const sub = subBucketIndex(value, bucket);
  return 2 ** (sub >= SUB_BUCKET_COUNT ? bucket + 1 : bucket);
}

function lowestEquivalent(value: number): number {
  const bucket = bucketIndex(value);
  return subBucketIndex(value, bucket) * 2 ** bucket;
}

/** One command's latency distribution (Redis's cmd->latency_histogram). */
export class LatencyHistogram {
  private readonly counts = new Array<number>(COUNTS_LEN).fill(0);
  /** hdr's total_count: the command's calls recorded here. */
  totalCount = 0;

  /** Redis's updateCommandLatencyHistogram: records `nanos`, clamped to [1 ns, 1 s]. */
  record(nanos: number): void {
    const v = Math.min(LATENCY_HISTOGRAM_MAX_VALUE, Math.max(LATENCY_HISTOGRAM_MIN_VALUE, Math.floor(nanos)));
    this.counts[countsIndexFor(v)]++;
    this.totalCount++;
  }

  /** hdr_value_at_percentile, in nanoseconds (the highest value equivalent to the percentile's bucket). */
  valueAtPercentile(percentile: number): number {
    const requested = percentile < 100 ? percentile : 100;
    const countAt = Math.max(1, Math.trunc((requested / 100) * this.totalCount + 0.5));
    let value = 0;
    let seen = 0;
    for (let idx = 0; idx < COUNTS_LEN; idx++) {
      seen += this.counts[idx];
      if (seen >= countAt) {
        value = valueAtIndex(idx);
        break;
      }
    }
    return percentile === 0 ? lowestEquivalent(value) : lowestEquivalent(value) + rangeSize(value) - 1;
  }

  /**
   * INFO latencystats' value for this command (Redis's fillPercentileDistributionLatencies, after the
   * "latency_percentiles_usec_<name>:" prefix): "p50=1.003,p99=...,p99.9=..." in µs with 3 decimals.
   */
  percentilesText(percentiles: readonly number[]): string {
    return percentiles
      .map((p) => {
        // "%f" then trimDoubleString: 50.000000 -> "50", 99.900000 -> "99.9".
        const name = p.toFixed(6).replace(/\.?0+$/, '');
        return `p${name}=${(this.valueAtPercentile(p) / 1000).toFixed(3)}`;
      })
      .join(',');
  }

  /**
   * Redis's fillCommandCDF: walks hdr's log iterator (first bucket 1024 ns, base 2) and yields, for each step
   * whose cumulative count grew, [the step's highest equivalent value in µs, the cumulative count].
   */
  cdf(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let countsIndex = -1;
    let cumulative = 0;
    let value = 0;
    let highest = 0;
    let nextLevel = 1024;
    let nextLevelLowest = lowestEquivalent(nextLevel);
    let previous = 0;
    const moveNext = (): boolean => {
      countsIndex++;
      if (countsIndex >= COUNTS_LEN) return false;
      cumulative += this.counts[countsIndex];
      value = valueAtIndex(countsIndex);
      highest = lowestEquivalent(value) + rangeSize(value) - 1;
      return true;
    };
    const next = (): boolean => {
      const more =
        cumulative < this.totalCount || (countsIndex < COUNTS_LEN && valueAtIndex(countsIndex + 1) > nextLevelLowest);
      if (!more) return false;
      for (;;) {
        if (value >= nextLevelLowest) {
          nextLevel *= 2;
          nextLevelLowest = lowestEquivalent(nextLevel);
          return true;
        }
        if (!moveNext()) return true;
      }
    };
    while (next()) {
      if (cumulative > previous) out.push([Math.floor(highest / 1000), cumulative]);
      previous = cumulative;
    }
    return out;
  }
}
