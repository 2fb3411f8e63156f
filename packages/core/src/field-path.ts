// Field paths name a place in a resource the way people read it: `spec.task[2].runAfter[0]`.
// Keys that are not plain identifiers are quoted: `metadata.labels["app.kubernetes.io/name"]`.
// Every FieldError path in core is built here so the format stays one format.

/** A position in source text, 1-based. */
export interface SourcePosition {
  line: number;
  column: number;
}

/**
 * Maps a field path of a parsed document to where it is written. A path that is not written
 * (a missing field) maps to its nearest written ancestor. `inner` is a 1-based position inside a
 * string value (used for DSL text): for a literal block scalar (`|`) it is translated exactly,
 * otherwise the string's own position is returned.
 */
export type Locator = (path: string, inner?: SourcePosition) => SourcePosition | undefined;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Appends one step to a field path: a string key (`a.b`, or `a["x.y"]` when the key is not a
 * plain identifier) or an array index (`a[3]`). An empty base yields the bare step.
 */
export function childPath(base: string, step: string | number): string {
  if (typeof step === 'number') return `${base}[${step}]`;
  if (PLAIN_KEY.test(step)) return base === '' ? step : `${base}.${step}`;
  return `${base}[${JSON.stringify(step)}]`;
}

/**
 * The parent of a field path (`spec.task[2].image` → `spec.task[2]` → `spec.task` → `spec` →
 * ``); undefined for the empty path. Used to locate a missing field at its nearest ancestor.
 */
export function parentPath(path: string): string | undefined {
  if (path === '') return undefined;
  if (path.endsWith(']')) {
    // Either `[n]` or `["quoted key"]`; a quoted key may itself contain `[`, so scan from the
    // opening bracket that starts the last step.
    const quoted = path.endsWith('"]');
    const open = quoted ? lastQuotedOpen(path) : path.lastIndexOf('[');
    return open <= 0 ? '' : path.slice(0, open);
  }
  const dot = path.lastIndexOf('.');
  return dot < 0 ? '' : path.slice(0, dot);
}

function lastQuotedOpen(path: string): number {
  // Walk back over the JSON string literal that ends just before `]`.
  let i = path.length - 3; // the char before the closing quote
  while (i >= 0) {
    if (path[i] === '"' && path[i - 1] === '[' && !isEscaped(path, i)) return i - 1;
    i--;
  }
  return path.lastIndexOf('[');
}

function isEscaped(s: string, i: number): boolean {
  let n = 0;
  for (let j = i - 1; j >= 0 && s[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of neighbours (optimal
 * string alignment), for "did you mean" hints: `frist` is 1 away from `first`. O(a·b).
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1).fill(0);
    row[0] = i;
    rows.push(row);
  }
  const first = rows[0] ?? [];
  for (let j = 0; j <= b.length; j++) first[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] ?? [];
    const up = rows[i - 1] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((up[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (up[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row[j] = d;
    }
  }
  return rows[a.length]?.[b.length] ?? 0;
}

/**
 * The candidate closest to `word` when it is close enough to be a likely typo (same letters in
 * another case, or, for words of 3+ characters, an edit distance of at most a third of the word,
 * minimum 1); else undefined.
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c.toLowerCase() === lower) return c;
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  // Very short words are close to everything; only suggest a different case for them.
  const limit = word.length < 3 ? 0 : Math.max(1, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** ` (did you mean "x"?)` when a close candidate exists, else the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const m = closestMatch(word, candidates);
  return m === undefined ? '' : ` (did you mean ${JSON.stringify(m)}?)`;
}
