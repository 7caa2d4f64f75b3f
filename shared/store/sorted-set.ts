/**
 * A sorted set: members (binary strings) with double scores, ordered by (score, member bytewise), as Redis's
 * zset: a member -> node map for O(1) score lookups plus a skiplist whose links carry spans (how many nodes a
 * link jumps), so rank, range-by-rank, range-by-score and range-by-lex are all O(log n). The algorithms follow
 * Redis's zskiplist (t_zset.c) so that ranges over mixed scores by lex behave the same way.
 */

const MAX_LEVEL = 32;
/** Probability of a node reaching the next level (Redis's ZSKIPLIST_P). */
const P = 0.25;

class ZNode {
  readonly forward: Array<ZNode | null>;
  readonly span: number[];
  backward: ZNode | null = null;

  constructor(
    public member: string,
    public score: number,
    level: number,
  ) {
    this.forward = new Array<ZNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }
}

/** A score interval; exclusive ends are Redis's "(" prefix. */
export interface ScoreRange {
  min: number;
  max: number;
  minExclusive: boolean;
  maxExclusive: boolean;
}

/** "-": below every string. */
export const LEX_MIN = Symbol('lex-min');
/** "+": above every string. */
export const LEX_MAX = Symbol('lex-max');
/** One end of a lex range: a member, or one of the infinities. */
export type LexBound = string | typeof LEX_MIN | typeof LEX_MAX;

/** A member interval as ZRANGEBYLEX takes it ("[a" inclusive, "(a" exclusive, "-", "+"). */
export interface LexRange {
  min: LexBound;
  max: LexBound;
  minExclusive: boolean;
  maxExclusive: boolean;
}

/** Options for ranges by score or lex: direction and LIMIT offset count (a negative count means no limit). */
export interface RangeOptions {
  reverse?: boolean;
  offset?: number;
  count?: number;
}

/** Redis's sdscmplex: compares lex bounds with "-" and "+" as the string infinities. */
export function compareLex(a: LexBound, b: LexBound): number {
  if (a === b) return 0;
  if (a === LEX_MIN || b === LEX_MAX) return -1;
  if (a === LEX_MAX || b === LEX_MIN) return 1;
  return a < b ? -1 : 1;
}

function scoreGteMin(value: number, r: ScoreRange): boolean {
  return r.minExclusive ? value > r.min : value >= r.min;
}

function scoreLteMax(value: number, r: ScoreRange): boolean {
  return r.maxExclusive ? value < r.max : value <= r.max;
}

function lexGteMin(value: string, r: LexRange): boolean {
  const c = compareLex(value, r.min);
  return r.minExclusive ? c > 0 : c >= 0;
}

function lexLteMax(value: string, r: LexRange): boolean {
  const c = compareLex(value, r.max);
  return r.maxExclusive ? c < 0 : c <= 0;
}

/** Whether (score, member) sorts before the node's (score, member). */
function nodeBefore(node: ZNode, score: number, member: string): boolean {
  return node.score < score || (node.score === score && node.member < member);
}

/** A node found by a search, with its 1-based rank. */
interface Located {
  node: ZNode;
  rank: number;
}

/** A Redis sorted set value: member -> node map plus a skiplist with spans. */
export class SortedSet {
  private readonly nodes = new Map<string, ZNode>();
  private readonly header = new ZNode('', 0, MAX_LEVEL);
  private tail: ZNode | null = null;
  private level = 1;
  /** Nodes linked in the skiplist (differs from the map's size only while a node is being moved). */
  private length = 0;

  /** Number of members. */
  get size(): number {
    return this.nodes.size;
  }

  /** The member's score, or undefined when absent. */
  score(member: string): number | undefined {
    return this.nodes.get(member)?.score;
  }

  /** Whether the member is present. */
  has(member: string): boolean {
    return this.nodes.has(member);
  }

  /** Inserts or updates a member; returns true when the member is new. */
  add(member: string, score: number): boolean {
    const node = this.nodes.get(member);
    if (node === undefined) {
      this.nodes.set(member, this.insert(score, member));
      return true;
    }
    if (node.score !== score) this.updateScore(node, score);
    return false;
  }

  /** Removes a member; returns whether it was present. */
  delete(member: string): boolean {
    const node = this.nodes.get(member);
    if (node === undefined) return false;
    this.nodes.delete(member);
    this.unlink(node.score, member);
    return true;
  }

  /** Members with scores in ascending order. */
  *entries(): IterableIterator<[string, number]> {
    for (let x = this.header.forward[0]; x; x = x.forward[0]) yield [x.member, x.score];
  }

  /** Members with scores in descending order. */
  *entriesReversed(): IterableIterator<[string, number]> {
    for (let x = this.tail; x; x = x.backward) yield [x.member, x.score];
  }

  /** The 0-based rank of a member (from the highest when reverse), or undefined when absent. */
  rank(member: string, reverse = false): number | undefined {
    const node = this.nodes.get(member);
    if (node === undefined) return undefined;
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next && (nodeBefore(next, node.score, member) || next === node)) {
        rank += x.span[i];
        x = next;
        next = x.forward[i];
      }
      if (x === node) break;
    }
    return reverse ? this.size - rank : rank - 1;
  }

  /** The entry at a 0-based rank (from the highest when reverse), or undefined when out of range. */
  at(rank: number, reverse = false): [string, number] | undefined {
    if (rank < 0 || rank >= this.size) return undefined;
    const node = this.nodeAt(reverse ? this.size - rank : rank + 1);
    return node ? [node.member, node.score] : undefined;
  }

  /** The lowest entry, or undefined when empty. */
  first(): [string, number] | undefined {
    const x = this.header.forward[0];
    return x ? [x.member, x.score] : undefined;
  }

  /** The highest entry, or undefined when empty. */
  last(): [string, number] | undefined {
    return this.tail ? [this.tail.member, this.tail.score] : undefined;
  }

  /**
   * Entries with 0-based ranks in [start, end], both already clamped to the set; from the highest when reverse
   * (then ranks count from the highest too), as ZRANGE and ZREVRANGE list them.
   */
  rangeByRank(start: number, end: number, reverse = false): Array<[string, number]> {
    const out: Array<[string, number]> = [];
    if (start < 0 || end >= this.size || start > end) return out;
    let x = this.nodeAt(reverse ? this.size - start : start + 1);
    for (let n = end - start + 1; n > 0 && x; n--) {
      out.push([x.member, x.score]);
      x = reverse ? x.backward : x.forward[0];
    }
    return out;
  }

  /** Entries with scores in range, ascending (descending when reverse), after skipping offset, at most count. */
  rangeByScore(range: ScoreRange, opts: RangeOptions = {}): Array<[string, number]> {
    const reverse = opts.reverse ?? false;
    const start = reverse ? this.lastInScoreRange(range) : this.firstInScoreRange(range);
    return this.collect(start, opts, reverse ? (n) => scoreGteMin(n.score, range) : (n) => scoreLteMax(n.score, range));
  }

  /** Entries with members in the lex range, in set order (reversed when reverse), offset and count as ZRANGEBYLEX. */
  rangeByLex(range: LexRange, opts: RangeOptions = {}): Array<[string, number]> {
    const reverse = opts.reverse ?? false;
    const start = reverse ? this.lastInLexRange(range) : this.firstInLexRange(range);
    return this.collect(start, opts, reverse ? (n) => lexGteMin(n.member, range) : (n) => lexLteMax(n.member, range));
  }

  /** How many members have scores in the range. */
  countByScore(range: ScoreRange): number {
    const first = this.firstInScoreRange(range);
    if (!first) return 0;
    const last = this.lastInScoreRange(range);
    return last ? last.rank - first.rank + 1 : 0;
  }

  /** How many members are in the lex range. */
  countByLex(range: LexRange): number {
    const first = this.firstInLexRange(range);
    if (!first) return 0;
    const last = this.lastInLexRange(range);
    return last ? last.rank - first.rank + 1 : 0;
  }

  /** Removes the members with 0-based ranks in [start, end] (clamped by the caller); returns how many. */
  deleteRangeByRank(start: number, end: number): number {
    const update = new Array<ZNode>(MAX_LEVEL);
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next && traversed + x.span[i] < start + 1) {
        traversed += x.span[i];
        x = next;
        next = x.forward[i];
      }
      update[i] = x;
    }
    traversed++;
    let node = x.forward[0];
    let removed = 0;
    while (node && traversed <= end + 1) {
      const next = node.forward[0];
      this.deleteNode(node, update);
      this.nodes.delete(node.member);
      removed++;
      traversed++;
      node = next;
    }
    return removed;
  }

  /** Removes the members with scores in range; returns how many. */
  deleteRangeByScore(range: ScoreRange): number {
    const update = new Array<ZNode>(MAX_LEVEL);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next && !scoreGteMin(next.score, range)) {
        x = next;
        next = x.forward[i];
      }
      update[i] = x;
    }
    let node = x.forward[0];
    let removed = 0;
    while (node && scoreLteMax(node.score, range)) {
      const next = node.forward[0];
      this.deleteNode(node, update);
      this.nodes.delete(node.member);
      removed++;
      node = next;
    }
    return removed;
  }

  /** Removes the members in the lex range; returns how many. */
  deleteRangeByLex(range: LexRange): number {
    const update = new Array<ZNode>(MAX_LEVEL);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next && !lexGteMin(next.member, range)) {
        x = next;
        next = x.forward[i];
      }
      update[i] = x;
    }
    let node = x.forward[0];
    let removed = 0;
    while (node && lexLteMax(node.member, range)) {
      const next = node.forward[0];
      this.deleteNode(node, update);
      this.nodes.delete(node.member);
      removed++;
      node = next;
    }
    return removed;
  }

  /** Removes and returns the lowest entry. */
  popMin(): [string, number] | undefined {
    const x = this.header.forward[0];
    if (!x) return undefined;
    this.delete(x.member);
    return [x.member, x.score];
  }

  /** Removes and returns the highest entry. */
  popMax(): [string, number] | undefined {
    const x = this.tail;
    if (!x) return undefined;
    this.delete(x.member);
    return [x.member, x.score];
  }

  /** A uniformly random entry (random() returns [0, 1), like Math.random), or undefined when empty. */
  random(random: () => number = Math.random): [string, number] | undefined {
    if (this.size === 0) return undefined;
    return this.at(Math.min(this.size - 1, Math.floor(random() * this.size)));
  }

  // -------------------------------------------------------------------------------------------------------
  // Skiplist internals (zslInsert, zslDeleteNode, zslUpdateScore, zsl{First,Last}In{,Lex}Range)
  // -------------------------------------------------------------------------------------------------------

  private randomLevel(): number {
    let level = 1;
    while (Math.random() < P && level < MAX_LEVEL) level++;
    return level;
  }

  private insert(score: number, member: string): ZNode {
    const update = new Array<ZNode>(MAX_LEVEL);
    const rank = new Array<number>(MAX_LEVEL);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1];
      let next = x.forward[i];
      while (next && nodeBefore(next, score, member)) {
        rank[i] += x.span[i];
        x = next;
        next = x.forward[i];
      }
      update[i] = x;
    }
    const level = this.randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.header;
        update[i].span[i] = this.length;
      }
      this.level = level;
    }
    const node = new ZNode(member, score, level);
    for (let i = 0; i < level; i++) {
      node.forward[i] = update[i].forward[i];
      update[i].forward[i] = node;
      // The new node splits update[i]'s link: rank[0] - rank[i] nodes lie between update[i] and it.
      node.span[i] = update[i].span[i] - (rank[0] - rank[i]);
      update[i].span[i] = rank[0] - rank[i] + 1;
    }
    for (let i = level; i < this.level; i++) update[i].span[i]++;
    node.backward = update[0] === this.header ? null : update[0];
    if (node.forward[0]) node.forward[0].backward = node;
    else this.tail = node;
    this.length++;
    return node;
  }

  /** Unlinks `x`, given the rightmost node before it on every level. The member map is the caller's. */
  private deleteNode(x: ZNode, update: ZNode[]): void {
    for (let i = 0; i < this.level; i++) {
      if (update[i].forward[i] === x) {
        update[i].span[i] += x.span[i] - 1;
        update[i].forward[i] = x.forward[i];
      } else {
        update[i].span[i]--;
      }
    }
    if (x.forward[0]) x.forward[0].backward = x.backward;
    else this.tail = x.backward;
    this.length--;
    while (this.level > 1 && this.header.forward[this.level - 1] === null) this.level--;
  }

  /** Finds the update path of (score, member) and unlinks its node; returns it. */
  private unlink(score: number, member: string): ZNode | null {
    const update = new Array<ZNode>(MAX_LEVEL);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next && nodeBefore(next, score, member)) {
        x = next;
        next = x.forward[i];
      }
      update[i] = x;
    }
    const node = x.forward[0];
    if (!node || node.score !== score || node.member !== member) return null;
    this.deleteNode(node, update);
    return node;
  }

  private updateScore(node: ZNode, score: number): void {
    // When the node stays between its neighbours it keeps its place: change the score in place.
    const prev = node.backward;
    const next = node.forward[0];
    if ((prev === null || nodeBefore(prev, score, node.member)) && (next === null || !nodeBefore(next, score, node.member))) {
      node.score = score;
      return;
    }
    this.unlink(node.score, node.member);
    this.nodes.set(node.member, this.insert(score, node.member));
  }

  /** The node at a 1-based rank. */
  private nodeAt(rank: number): ZNode | null {
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next && traversed + x.span[i] <= rank) {
        traversed += x.span[i];
        x = next;
        next = x.forward[i];
      }
      if (traversed === rank) return x === this.header ? null : x;
    }
    return null;
  }

  /** Walks from `start`, skipping `offset` nodes, collecting up to `count` while `inRange` holds. */
  private collect(start: Located | null, opts: RangeOptions, inRange: (n: ZNode) => boolean): Array<[string, number]> {
    const out: Array<[string, number]> = [];
    const reverse = opts.reverse ?? false;
    const offset = opts.offset ?? 0;
    let count = opts.count ?? -1;
    // Redis walks `offset` nodes one by one; a negative offset walks off the end, so nothing matches.
    if (!start || offset < 0) return out;
    let x: ZNode | null = start.node;
    if (offset > 0) {
      const rank = reverse ? start.rank - offset : start.rank + offset;
      x = rank >= 1 && rank <= this.size ? this.nodeAt(rank) : null;
    }
    while (x && count !== 0) {
      if (!inRange(x)) break;
      out.push([x.member, x.score]);
      if (count > 0) count--;
      x = reverse ? x.backward : x.forward[0];
    }
    return out;
  }

  private scoreRangeNonEmpty(r: ScoreRange): boolean {
    if (r.min > r.max || (r.min === r.max && (r.minExclusive || r.maxExclusive))) return false;
    const last = this.tail;
    if (!last || !scoreGteMin(last.score, r)) return false;
    const first = this.header.forward[0];
    return first !== null && scoreLteMax(first.score, r);
  }

  private firstInScoreRange(r: ScoreRange): Located | null {
    if (!this.scoreRangeNonEmpty(r)) return null;
    return this.firstInRange(
      (n) => scoreGteMin(n.score, r),
      (n) => scoreLteMax(n.score, r),
    );
  }

  private lastInScoreRange(r: ScoreRange): Located | null {
    if (!this.scoreRangeNonEmpty(r)) return null;
    return this.lastInRange(
      (n) => scoreGteMin(n.score, r),
      (n) => scoreLteMax(n.score, r),
    );
  }

  /**
   * The first node at or above a range's minimum, if it is also within its maximum (Redis's zslNthInRange
   * family): one descent of the skiplist, counting the rank on the way. Score and lex ranges differ only in
   * the two bound tests.
   */
  private firstInRange(gteMin: (n: ZNode) => boolean, lteMax: (n: ZNode) => boolean): Located | null {
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next && !gteMin(next)) {
        rank += x.span[i];
        x = next;
        next = x.forward[i];
      }
    }
    const node = x.forward[0];
    return node && lteMax(node) ? { node, rank: rank + 1 } : null;
  }

  /** The last node within a range's maximum, if it is also at or above its minimum. */
  private lastInRange(gteMin: (n: ZNode) => boolean, lteMax: (n: ZNode) => boolean): Located | null {
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next && lteMax(next)) {
        rank += x.span[i];
        x = next;
        next = x.forward[i];
      }
    }
    return x !== this.header && gteMin(x) ? { node: x, rank } : null;
  }

  private lexRangeNonEmpty(r: LexRange): boolean {
    const c = compareLex(r.min, r.max);
    if (c > 0 || (c === 0 && (r.minExclusive || r.maxExclusive))) return false;
    const last = this.tail;
    if (!last || !lexGteMin(last.member, r)) return false;
    const first = this.header.forward[0];
    return first !== null && lexLteMax(first.member, r);
  }

  private firstInLexRange(r: LexRange): Located | null {
    if (!this.lexRangeNonEmpty(r)) return null;
    return this.firstInRange(
      (n) => lexGteMin(n.member, r),
      (n) => lexLteMax(n.member, r),
    );
  }

  private lastInLexRange(r: LexRange): Located | null {
    if (!this.lexRangeNonEmpty(r)) return null;
    return this.lastInRange(
      (n) => lexGteMin(n.member, r),
      (n) => lexLteMax(n.member, r),
    );
  }
}
