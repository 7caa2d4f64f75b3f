/**
 * Redis's math.random generator (src/rand.c): the 48-bit linear congruential generator of POSIX lrand48, with
 * its default state at start, so a fresh server gives the same sequence as redis-server on every platform.
 * Redis keeps one generator per process for all scripts (SCRIPT FLUSH does not reset it).
 */
export class Lrand48 {
  /** The 48-bit state as three 16-bit words, low first (rand.c's x[3]). */
  private x0 = 0x330e;
  private x1 = 0xabcd;
  private x2 = 0x1234;

  /** redisSrand48: the high 32 bits of the state become the seed. */
  seed(seed: number): void {
    this.x0 = 0x330e;
    this.x1 = seed & 0xffff;
    this.x2 = (seed >>> 16) & 0xffff;
  }

  /** redisLrand48: the next value in 0 .. 2^31-1. */
  next(): number {
    // x = (0x5DEECE66D * x + 0xB) mod 2^48, computed on 16-bit words so every product stays exact.
    const a0 = 0xe66d;
    const a1 = 0xdeec;
    const a2 = 0x5;
    const { x0, x1, x2 } = this;
    let t = a0 * x0 + 0xb;
    const n0 = t & 0xffff;
    t = Math.floor(t / 0x10000) + a0 * x1 + a1 * x0;
    const n1 = t & 0xffff;
    t = Math.floor(t / 0x10000) + a0 * x2 + a1 * x1 + a2 * x0;
    const n2 = t & 0xffff;
    this.x0 = n0;
    this.x1 = n1;
    this.x2 = n2;
    return n2 * 0x8000 + (n1 >>> 1);
  }
}

/** INT32_MAX, rand.h's REDIS_LRAND48_MAX. */
export const LRAND48_MAX = 2147483647;
