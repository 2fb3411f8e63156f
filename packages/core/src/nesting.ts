// A guard that runs before any YAML/JSON parser sees user text: how deeply is it nested? The
// `yaml` package (and the walk that follows it) recurses once per level, so a 60 KB document
// nested 10,000 levels deep exhausts the stack or the heap. This scan is one pass over the text,
// O(n) time, O(depth) memory, and never recursive.
//
// What it counts, per position, is an upper bound of the depth a YAML parser would build:
//   - flow collections: `{` and `[` that open a node (outside quoted strings, comments and
//     block scalars), closed by `}` and `]` — this covers JSON entirely;
//   - block collections: every indentation column still open on the stack of enclosing lines
//     (a key or `- ` at a deeper column opens a level), including compact nesting on one line
//     (`- - - x`, `? ? x`);
//   - the content of block scalars (`|`, `>`) is text, not structure, and is skipped.
// The count may be off by a level for odd but valid layouts (a flow mapping used as a block key);
// what matters is that no text can nest hundreds of levels without being counted.

/** Deepest nesting of mappings and lists accepted in resource text (YAML or JSON). */
export const MAX_NESTING_DEPTH = 64;

export interface NestingViolation {
  /** 1-based line and column of the node that goes one level past the limit. */
  line: number;
  column: number;
  /** The limit that was exceeded. */
  limit: number;
}

/**
 * The first place where `text` nests deeper than `limit` levels of mappings/lists, or undefined
 * when it never does. Pure, linear in the length of the text, never throws.
 */
export function findExcessNesting(text: string, limit: number = MAX_NESTING_DEPTH): NestingViolation | undefined {
  const n = text.length;
  let line = 1;
  let lineStart = 0;
  /** Columns of the block collections enclosing the current line. */
  const block: number[] = [];
  let flow = 0;
  /** While > -1: inside a block scalar whose parent line is indented this much. */
  let blockScalarParent = -1;
  let i = 0;
  const violation = (at: number): NestingViolation => ({ line, column: at - lineStart + 1, limit });

  while (i < n) {
    // ---- start of a line -------------------------------------------------------------------
    let col = 0;
    while (i + col < n && text.charCodeAt(i + col) === 32) col++;
    const first = i + col < n ? text[i + col] : '\n';
    const blank = first === '\n' || first === '\r' || (first === '#' && flow === 0);
    if (blockScalarParent > -1) {
      if (blank && first !== '#') {
        i = nextLine(text, i);
        line++;
        lineStart = i;
        continue;
      }
      if (col > blockScalarParent) {
        i = nextLine(text, i);
        line++;
        lineStart = i;
        continue;
      }
      blockScalarParent = -1;
    }
    if (blank || (first === '-' && text.startsWith('---', i + col) && col === 0) || (first === '.' && text.startsWith('...', i) && col === 0)) {
      if (!blank) block.length = 0; // a new document
      i = nextLine(text, i);
      line++;
      lineStart = i;
      continue;
    }
    let p = i + col;
    if (flow === 0) {
      while (block.length > 0 && (block[block.length - 1] ?? 0) > col) block.pop();
      // A line that starts with a flow collection opens no block level (`{`/`[` count below).
      const flowLine = first === '{' || first === '[';
      if (!flowLine && (block.length === 0 || (block[block.length - 1] ?? 0) < col)) block.push(col);
      if (block.length + flow > limit) return violation(p);
      // Compact nesting on one line: `- - x`, `- ? x`, `? - x`.
      while ((text[p] === '-' || text[p] === '?') && isSpaceOrEnd(text, p + 1)) {
        p++;
        while (p < n && text.charCodeAt(p) === 32) p++;
        if (p >= n || text[p] === '\n' || text[p] === '\r' || text[p] === '#') break;
        // What follows opens a level if it is another entry indicator or a mapping key; a
        // scalar item (`- x`) does not.
        const c = p - lineStart;
        const nested = ((text[p] === '-' || text[p] === '?') && isSpaceOrEnd(text, p + 1)) || startsMappingEntry(text, p);
        if (nested && (block[block.length - 1] ?? -1) < c) block.push(c);
        if (block.length + flow > limit) return violation(p);
      }
    }
    const indent = col;

    // ---- the rest of the line ----------------------------------------------------------------
    let nodeStart = true; // at a position where a node may begin
    while (p < n && text[p] !== '\n') {
      const ch = text[p];
      if (ch === ' ' || ch === '\t' || ch === '\r') {
        p++;
        continue;
      }
      if (ch === '#' && (p === lineStart || text[p - 1] === ' ' || text[p - 1] === '\t')) {
        while (p < n && text[p] !== '\n') p++;
        break;
      }
      if (nodeStart && (ch === '"' || ch === "'")) {
        const end = skipQuoted(text, p, ch);
        // Count the lines a multi-line string spans.
        for (let k = p; k < end; k++) {
          if (text.charCodeAt(k) === 10) {
            line++;
            lineStart = k + 1;
          }
        }
        p = end;
        nodeStart = false;
        continue;
      }
      if (ch === '{' || ch === '[') {
        if (nodeStart || flow > 0) {
          flow++;
          if (block.length + flow > limit) return violation(p);
          p++;
          nodeStart = true;
          continue;
        }
      } else if ((ch === '}' || ch === ']') && flow > 0) {
        flow--;
        p++;
        nodeStart = false;
        continue;
      } else if (ch === ',' && flow > 0) {
        p++;
        nodeStart = true;
        continue;
      } else if (ch === ':' && (flow > 0 || isSpaceOrEnd(text, p + 1))) {
        p++;
        nodeStart = true;
        continue;
      } else if (nodeStart && flow === 0 && (ch === '|' || ch === '>')) {
        // A block scalar: its content is the following lines indented deeper than this line.
        blockScalarParent = flow === 0 ? (block[block.length - 1] ?? indent) : indent;
        while (p < n && text[p] !== '\n') p++;
        break;
      } else if (nodeStart && (ch === '&' || ch === '!')) {
        // An anchor or a tag before the node: skip it, the node may still begin after it.
        while (p < n && !isSpaceOrEnd(text, p) && !FLOW_END.has(text.charCodeAt(p))) p++;
        continue;
      } else if (nodeStart && (ch === '-' || ch === '?') && isSpaceOrEnd(text, p + 1)) {
        p++;
        continue;
      }
      // A plain scalar (or an alias) runs to the next indicator.
      nodeStart = false;
      p++;
      if (flow > 0) {
        while (p < n && !FLOW_PLAIN_STOP.has(text.charCodeAt(p))) p++;
      } else {
        while (p < n && text[p] !== '\n' && text[p] !== ':' && text[p] !== '#') p++;
      }
    }
    i = p < n ? p + 1 : n;
    line++;
    lineStart = i;
  }
  return undefined;
}

const FLOW_END = new Set([...',]}'].map((c) => c.charCodeAt(0)));
const FLOW_PLAIN_STOP = new Set([...'\n,]}[{:#"\''].map((c) => c.charCodeAt(0)));

/** Whether the line from `p` holds a block mapping key (`key:` followed by a space or the end). */
function startsMappingEntry(text: string, p: number): boolean {
  const c = text[p];
  if (c === '{' || c === '[' || c === '"' || c === "'" || c === '|' || c === '>') return c === '"' || c === "'" ? quotedKey(text, p) : false;
  for (let k = p; k < text.length && text[k] !== '\n'; k++) {
    if (text[k] === ':' && isSpaceOrEnd(text, k + 1)) return true;
    if (text[k] === '#' && (text[k - 1] === ' ' || text[k - 1] === '\t')) return false;
  }
  return false;
}

function quotedKey(text: string, p: number): boolean {
  const end = skipQuoted(text, p, text[p] ?? '"');
  let k = end;
  while (text[k] === ' ') k++;
  return text[k] === ':';
}

function nextLine(text: string, i: number): number {
  const nl = text.indexOf('\n', i);
  return nl < 0 ? text.length : nl + 1;
}

function isSpaceOrEnd(text: string, i: number): boolean {
  const c = text[i];
  return c === undefined || c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/** The index just past the closing quote of the string opening at `start` (or the text's end). */
function skipQuoted(text: string, start: number, quote: string): number {
  let k = start + 1;
  while (k < text.length) {
    const c = text[k];
    if (quote === '"' && c === '\\') {
      k += 2;
      continue;
    }
    if (c === quote) {
      if (quote === "'" && text[k + 1] === "'") {
        k += 2;
        continue;
      }
      return k + 1;
    }
    k++;
  }
  return text.length;
}
