import { randomBytes } from 'node:crypto';

/**
 * Value text for key i: a slice of a random base64 pool, so values are as incompressible as real data (LZF in
 * the RDB gains nothing) while costing nothing to generate.
 */
export class ValuePool {
  private readonly pool: string;
  constructor(readonly size: number) {
    this.pool = randomBytes(Math.ceil((1 << 20) * 0.75) + size).toString('base64');
  }
  value(i: number): string {
    const start = (i * 7919) % (this.pool.length - this.size);
    return this.pool.slice(start, start + this.size);
  }
}
