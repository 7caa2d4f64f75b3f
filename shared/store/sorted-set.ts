/**
 * A sorted set: members (binary strings) with double scores, ordered by (score, member bytewise).
 * Minimal first version; the sorted-set command group extends it.
 */
export class SortedSet {
  private readonly scores = new Map<string, number>();
  private sorted: string[] | null = [];

  get size(): number {
    return this.scores.size;
  }

  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  /** Inserts or updates a member. */
  add(member: string, score: number): void {
    this.scores.set(member, score);
    this.sorted = null;
  }

  delete(member: string): boolean {
    const had = this.scores.delete(member);
    if (had) this.sorted = null;
    return had;
  }

  /** Members with scores in ascending order. */
  *entries(): IterableIterator<[string, number]> {
    if (this.sorted === null) {
      this.sorted = [...this.scores.keys()].sort((a, b) => {
        const d = (this.scores.get(a) as number) - (this.scores.get(b) as number);
        return d !== 0 ? d : a < b ? -1 : a > b ? 1 : 0;
      });
    }
    for (const m of this.sorted) yield [m, this.scores.get(m) as number];
  }
}
