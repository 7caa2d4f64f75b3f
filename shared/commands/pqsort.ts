/**
 * pqsort.c: Redis's partial quicksort (Bentley & McIlroy), which sorts only the partitions that overlap the
 * ranks [lrange, rrange]. SORT ... LIMIT and GEORADIUS/GEOSEARCH ... COUNT use it; the order it leaves ties
 * in (it is not stable) is visible in their replies, so it is ported step for step.
 */

/** The size of a redisSortObject: pqsort decides by byte addresses whether a partition touches the range. */
const ES = 16;

/**
 * Sorts `v` enough for positions lrange..rrange to hold what a full sort would put there, moving elements
 * exactly as Redis's pqsort does (ties included: it is not stable).
 */
export function pqsort<T>(v: T[], cmp: (a: T, b: T) => number, lrange: number, rrange: number): void {
  partialSort(v, 0, v.length, cmp, lrange * ES, (rrange + 1) * ES - 1);
}

function partialSort<T>(v: T[], base: number, count: number, cmp: (a: T, b: T) => number, lbyte: number, rbyte: number): void {
  const swap = (i: number, j: number) => {
    const t = v[i];
    v[i] = v[j];
    v[j] = t;
  };
  const vecswap = (i: number, j: number, n: number) => {
    for (let k = 0; k < n; k++) swap(i + k, j + k);
  };
  const med3 = (a: number, b: number, c: number) =>
    cmp(v[a], v[b]) < 0 ? (cmp(v[b], v[c]) < 0 ? b : cmp(v[a], v[c]) < 0 ? c : a) : cmp(v[b], v[c]) > 0 ? b : cmp(v[a], v[c]) < 0 ? a : c;
  /** Whether the partition [a, a + n) lies wholly before or wholly after the requested range. */
  const outside = (a: number, n: number) => {
    const l = a * ES;
    const r = (a + n) * ES - 1;
    return (lbyte < l && rbyte < l) || (lbyte > r && rbyte > r);
  };
  let a = base;
  let n = count;
  for (;;) {
    if (n < 7) {
      for (let pm = a + 1; pm < a + n; pm++) for (let pl = pm; pl > a && cmp(v[pl - 1], v[pl]) > 0; pl--) swap(pl, pl - 1);
      return;
    }
    let pm = a + Math.floor(n / 2);
    if (n > 7) {
      let pl = a;
      let pn = a + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = med3(pl, pl + d, pl + 2 * d);
        pm = med3(pm - d, pm, pm + d);
        pn = med3(pn - 2 * d, pn - d, pn);
      }
      pm = med3(pl, pm, pn);
    }
    swap(a, pm);
    let pa = a + 1;
    let pb = pa;
    let pc = a + n - 1;
    let pd = pc;
    for (;;) {
      let r: number;
      while (pb <= pc && (r = cmp(v[pb], v[a])) <= 0) {
        if (r === 0) swap(pa++, pb);
        pb++;
      }
      while (pb <= pc && (r = cmp(v[pc], v[a])) >= 0) {
        if (r === 0) swap(pc, pd--);
        pc--;
      }
      if (pb > pc) break;
      swap(pb++, pc--);
    }
    const pn = a + n;
    let r = Math.min(pa - a, pb - pa);
    vecswap(a, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    vecswap(pb, pn - r, r);
    if ((r = pb - pa) > 1 && !outside(a, r)) partialSort(v, a, r, cmp, lbyte, rbyte);
    if ((r = pd - pc) > 1) {
      // Iterate rather than recurse, as pqsort.c does.
      a = pn - r;
      n = r;
      if (!outside(a, n)) continue;
    }
    return;
  }
}
