/**
 * A double-ended queue over a power-of-two ring buffer: O(1) push and pop at both ends and O(1) indexing, the
 * operations Redis's lists (quicklist) make cheap. Values are binary strings.
 */
export class Deque<T = string> {
  private ring: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(items?: Iterable<T>) {
    this.ring = new Array(8);
    if (items) for (const item of items) this.pushBack(item);
  }

  get length(): number {
    return this.count;
  }

  private grow(): void {
    const old = this.ring;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.ring = next;
    this.head = 0;
  }

  pushBack(v: T): void {
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = v;
    this.count++;
  }

  pushFront(v: T): void {
    if (this.count === this.ring.length) this.grow();
    this.head = (this.head - 1) & (this.ring.length - 1);
    this.ring[this.head] = v;
    this.count++;
  }

  popFront(): T | undefined {
    if (this.count === 0) return undefined;
    const v = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.count--;
    return v;
  }

  popBack(): T | undefined {
    if (this.count === 0) return undefined;
    const i = (this.head + this.count - 1) & (this.ring.length - 1);
    const v = this.ring[i];
    this.ring[i] = undefined;
    this.count--;
    return v;
  }

  /** The element at `index` (0-based from the front), or undefined when out of range. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return this.ring[(this.head + index) & (this.ring.length - 1)];
  }

  /** Replaces the element at `index`; the index must be in range. */
  set(index: number, v: T): void {
    this.ring[(this.head + index) & (this.ring.length - 1)] = v;
  }

  /** Elements [start, end) as an array. */
  slice(start = 0, end = this.count): T[] {
    const out: T[] = [];
    for (let i = Math.max(0, start); i < Math.min(end, this.count); i++) out.push(this.at(i) as T);
    return out;
  }

  /** Replaces the whole content (used by the rarer O(n) edits: LINSERT, LREM, LTRIM, LSET in bulk). */
  replaceAll(items: T[]): void {
    let size = 8;
    while (size < items.length) size *= 2;
    this.ring = new Array(size);
    for (let i = 0; i < items.length; i++) this.ring[i] = items[i];
    this.head = 0;
    this.count = items.length;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.count; i++) yield this.ring[(this.head + i) & (this.ring.length - 1)] as T;
  }
}
