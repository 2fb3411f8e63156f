// What the log viewer knows about each line besides its text: where it ends in the log's bytes
// (for the time its chunk was stored), its number as the task's line (the runtime's own notices
// are not numbered, so they never shift the task's line numbers), the line a `#L120` link names,
// and the lines a filter keeps. Pure.

/** UTF-8 bytes of `s` (what the server counted; a lone surrogate counts as U+FFFD's 3). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** The markers Kontroler's log shaper puts between a task's lines (a split long line, a cut middle). */
const SHAPER_MARKER = /^\[kontroler: (line split at \d+ bytes|\d+ bytes cut)\]$/;
/** The runtime's notice at the start of a log (`[kontroler] local runtime: ...`). */
const RUNTIME_NOTICE = /^\[kontroler\] /;

/**
 * Whether a line is Kontroler's own rather than the task's: a runtime notice before the task's
 * first line, or a shaper marker anywhere. `taskLinesBefore`: the task's lines before it.
 */
export function isKontrolerLine(text: string, taskLinesBefore: number): boolean {
  return (taskLinesBefore === 0 && RUNTIME_NOTICE.test(text)) || SHAPER_MARKER.test(text);
}

/** The line number `#L120` names (1-based, the task's numbering), or undefined. */
export function lineFromHash(hash: string): number | undefined {
  const m = /^#L(\d{1,9})$/.exec(hash);
  const n = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** A stored chunk: bytes [offset, offset + size), stored at `storedAt` (epoch ms, or null: not known). */
export interface ChunkTime {
  offset: number;
  size: number;
  storedAt: number | null;
}

/**
 * The time of each line: that of the chunk holding its last byte (the line was whole once that
 * chunk was stored). `ends[i]`: the byte offset just past line i (its newline included), in
 * order; `chunks` in byte order. undefined for a line no chunk covers (yet) or of unknown time.
 * O(lines + chunks).
 */
export function lineTimes(ends: readonly number[], chunks: readonly ChunkTime[]): Array<number | undefined> {
  const out = new Array<number | undefined>(ends.length);
  let c = 0;
  for (let i = 0; i < ends.length; i++) {
    const last = ends[i]! - 1;
    while (c < chunks.length && chunks[c]!.offset + chunks[c]!.size <= last) c++;
    const ch = chunks[c];
    out[i] = ch && ch.offset <= last && ch.storedAt !== null ? ch.storedAt : undefined;
  }
  return out;
}

/** The lines to show: every line, or (filtering) the distinct lines with a match, in order. */
export function shownLines(total: number, matchLines: readonly number[] | undefined): number[] | undefined {
  if (matchLines === undefined) return undefined;
  const out: number[] = [];
  for (const l of matchLines) if (l < total && out[out.length - 1] !== l) out.push(l);
  return out;
}

/** `14:02:07.123` in the viewer's time zone (or `timeZone`). */
export function lineTimeLabel(at: number, timeZone?: string): string {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hourCycle: 'h23', ...(timeZone ? { timeZone } : {}) }).format(at);
}
