/**
 * Redis's glob-style matcher (util.c stringmatchlen) for KEYS, SCAN MATCH, PSUBSCRIBE and CONFIG GET:
 * `*`, `?`, `[abc]`, `[^a-z]`, `\x` escapes. Works on binary strings; `nocase` folds ASCII letters.
 */
export function globMatch(pattern: string, s: string, nocase = false): boolean {
  return match(pattern, 0, s, 0, nocase, 0, { skipLongerMatches: false });
}

function lower(c: string, nocase: boolean): string {
  return nocase ? c.toLowerCase() : c;
}

/** Shared by one match's recursion: set once the rest of a pattern failed from every later position. */
interface MatchState {
  skipLongerMatches: boolean;
}

function match(p: string, pi: number, s: string, si: number, nocase: boolean, depth: number, state: MatchState): boolean {
  // Redis caps recursion to avoid pathological patterns blowing the stack.
  if (depth > 1000) return false;
  while (pi < p.length && si < s.length) {
    const pc = p[pi];
    switch (pc) {
      case '*': {
        while (pi + 1 < p.length && p[pi + 1] === '*') pi++;
        if (pi + 1 === p.length) return true;
        for (let k = si; k < s.length; k++) {
          if (match(p, pi + 1, s, k, nocase, depth + 1, state)) return true;
          if (state.skipLongerMatches) return false;
        }
        // The rest of the pattern matches from no position of the rest of the string, so an earlier '*'
        // taking more characters cannot help either: stop the whole search here (Redis 7.0's
        // skipLongerMatches, which keeps "a*a*a*...b" against a long run of a's from running for ages).
        state.skipLongerMatches = true;
        return false;
      }
      case '?':
        si++;
        break;
      case '[': {
        pi++;
        const not = p[pi] === '^';
        if (not) pi++;
        let matched = false;
        for (;;) {
          if (pi >= p.length) {
            pi--;
            break;
          }
          if (p[pi] === '\\' && pi + 1 < p.length) {
            pi++;
            if (p[pi] === s[si]) matched = true;
          } else if (p[pi] === ']') {
            break;
          } else if (pi + 2 < p.length && p[pi + 1] === '-') {
            let start = lower(p[pi], nocase);
            let end = lower(p[pi + 2], nocase);
            const c = lower(s[si], nocase);
            if (start > end) [start, end] = [end, start];
            pi += 2;
            if (c >= start && c <= end) matched = true;
          } else if (lower(p[pi], nocase) === lower(s[si], nocase)) {
            matched = true;
          }
          pi++;
        }
        if (not) matched = !matched;
        if (!matched) return false;
        si++;
        break;
      }
      default:
        if (pc === '\\' && pi + 1 < p.length) pi++;
        if (lower(p[pi], nocase) !== lower(s[si], nocase)) return false;
        si++;
        break;
    }
    pi++;
  }
  if (si === s.length) {
    while (pi < p.length && p[pi] === '*') pi++;
  }
  return pi === p.length && si === s.length;
}
