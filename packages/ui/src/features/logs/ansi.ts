// Task output → lines of styled spans. Understands ANSI SGR colour codes (16, 256 and true
// colour, bold, dim, italic, underline, inverse), carries styles across lines, drops other escape
// sequences, and treats `\r` as a terminal does (the text after it overwrites the line). Built
// for logs of many megabytes arriving in chunks: `append` only parses the new text.
import { isKontrolerLine, utf8Length } from './log-lines.js';

export interface Span {
  text: string;
  /** Theme classes: `fg-1`, `bg-4`, `b` (bold), `d` (dim), `i`, `u`. */
  cls?: string;
  /** CSS colours for 256-colour and true-colour codes. */
  fg?: string;
  bg?: string;
}

export interface Line {
  /** Plain text (no escapes): what search and copy see. */
  text: string;
  spans: Span[];
}

interface Sgr {
  fg?: number | string;
  bg?: number | string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
}

const PLAIN: Sgr = {};

/** xterm's 256-colour palette entry as CSS. */
export function color256(n: number): string {
  if (n < 16) return `var(--ansi-${n})`;
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  const i = n - 16;
  const c = (x: number) => (x === 0 ? 0 : 55 + x * 40);
  return `rgb(${c(Math.floor(i / 36))},${c(Math.floor(i / 6) % 6)},${c(i % 6)})`;
}

function applySgr(state: Sgr, params: number[]): Sgr {
  const s: Sgr = { ...state };
  if (params.length === 0) params = [0];
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    if (p === 0) {
      for (const k of Object.keys(s)) delete (s as Record<string, unknown>)[k];
    } else if (p === 1) s.bold = true;
    else if (p === 2) s.dim = true;
    else if (p === 3) s.italic = true;
    else if (p === 4) s.underline = true;
    else if (p === 7) s.inverse = true;
    else if (p === 22) {
      delete s.bold;
      delete s.dim;
    } else if (p === 23) delete s.italic;
    else if (p === 24) delete s.underline;
    else if (p === 27) delete s.inverse;
    else if (p >= 30 && p <= 37) s.fg = p - 30;
    else if (p >= 90 && p <= 97) s.fg = p - 90 + 8;
    else if (p === 39) delete s.fg;
    else if (p >= 40 && p <= 47) s.bg = p - 40;
    else if (p >= 100 && p <= 107) s.bg = p - 100 + 8;
    else if (p === 49) delete s.bg;
    else if (p === 38 || p === 48) {
      const key = p === 38 ? 'fg' : 'bg';
      if (params[i + 1] === 5 && params[i + 2] !== undefined) {
        const n = params[i + 2]!;
        s[key] = n < 16 ? n : color256(n & 255);
        i += 2;
      } else if (params[i + 1] === 2 && params[i + 4] !== undefined) {
        const [r, g, b] = [params[i + 2]!, params[i + 3]!, params[i + 4]!].map((v) => Math.max(0, Math.min(255, v)));
        s[key] = `rgb(${r},${g},${b})`;
        i += 4;
      }
    }
  }
  return s;
}

function spanOf(text: string, s: Sgr): Span {
  if (s === PLAIN || Object.keys(s).length === 0) return { text };
  let fg = s.fg;
  let bg = s.bg;
  if (s.inverse) [fg, bg] = [bg ?? 'inv-fg', fg ?? 'inv-bg'];
  const cls: string[] = [];
  const span: Span = { text };
  if (typeof fg === 'number') cls.push(`fg-${fg}`);
  else if (fg === 'inv-fg') cls.push('fg-inv');
  else if (fg !== undefined) span.fg = fg;
  if (typeof bg === 'number') cls.push(`bg-${bg}`);
  else if (bg === 'inv-bg') cls.push('bg-inv');
  else if (bg !== undefined) span.bg = bg;
  if (s.bold) cls.push('b');
  if (s.dim) cls.push('d');
  if (s.italic) cls.push('i');
  if (s.underline) cls.push('u');
  if (cls.length > 0) span.cls = cls.join(' ');
  return span;
}

// ESC [ params final | ESC ] … (BEL | ESC \) | ESC single char | other C0 controls but \t.
// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[([0-9;:?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?|[\x00-\x08\x0b-\x1f\x7f]/g;

/** Parses one line's raw text (no `\n`) starting in `state`; returns spans and the end state. */
export function parseLine(raw: string, state: Sgr = PLAIN): { line: Line; state: Sgr } {
  // A carriage return (not the \r of \r\n) starts the line over, as a terminal shows it.
  const cr = raw.lastIndexOf('\r', raw.endsWith('\r') ? raw.length - 2 : raw.length - 1);
  if (cr >= 0) {
    // Styles set before the \r still apply after it: run them through, then drop the text.
    state = parseLine(raw.slice(0, cr).replace(/\r/g, ''), state).state;
    raw = raw.slice(cr + 1);
  }
  if (raw.endsWith('\r')) raw = raw.slice(0, -1);
  if (!raw.includes('\x1b') && !/[\x00-\x08\x0b-\x1f\x7f]/.test(raw)) {
    return { line: { text: raw, spans: raw === '' ? [] : [spanOf(raw, state)] }, state };
  }
  const spans: Span[] = [];
  let text = '';
  let last = 0;
  let s = state;
  ESCAPE.lastIndex = 0;
  for (let m = ESCAPE.exec(raw); m !== null; m = ESCAPE.exec(raw)) {
    if (m.index > last) {
      const t = raw.slice(last, m.index);
      spans.push(spanOf(t, s));
      text += t;
    }
    last = m.index + m[0].length;
    if (m[2] === 'm') s = applySgr(s, (m[1] ?? '').split(/[;:]/).filter((x) => x !== '').map((x) => Number(x)));
  }
  if (last < raw.length) {
    const t = raw.slice(last);
    spans.push(spanOf(t, s));
    text += t;
  }
  return { line: { text, spans: mergeSpans(spans) }, state: s };
}

function mergeSpans(spans: Span[]): Span[] {
  const out: Span[] = [];
  for (const sp of spans) {
    const prev = out[out.length - 1];
    if (prev && prev.cls === sp.cls && prev.fg === sp.fg && prev.bg === sp.bg) prev.text += sp.text;
    else if (sp.text !== '') out.push({ ...sp });
  }
  return out;
}

/** Removes every escape sequence. */
export function stripAnsi(text: string): string {
  return text.replace(ESCAPE, '');
}

/**
 * A growing log: `append` chunks as they arrive (from a stored log or a live stream). Complete
 * lines are parsed once; the last, unfinished line is re-parsed as it grows.
 */
export class LogText {
  /** Complete lines, then the unfinished one (if any text is pending). */
  readonly lines: Line[] = [];
  /** Per line: the byte offset just past it (its newline included) in the log. */
  readonly ends: number[] = [];
  /** Per line: its number as the task's line (1-based), 0 for Kontroler's own (`isKontrolerLine`). */
  readonly numbers: number[] = [];
  /** Per task line number - 1: its index in `lines` (for `#L120`). */
  readonly indexOfNumber: number[] = [];
  private readonly raw: string[] = [];
  private pending = '';
  private state: Sgr = PLAIN;
  private hasPartial = false;
  /** Bytes of the complete lines. */
  private bytes = 0;
  /** Characters appended so far. */
  length = 0;

  append(chunk: string): void {
    if (chunk === '') return;
    this.length += chunk.length;
    this.raw.push(chunk);
    if (this.hasPartial) {
      this.lines.pop();
      this.ends.pop();
      if (this.numbers.pop()) this.indexOfNumber.pop();
      this.hasPartial = false;
    }
    const text = this.pending + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const rawLine = text.slice(start, nl);
      const { line, state } = parseLine(rawLine, this.state);
      this.bytes += utf8Length(rawLine) + 1;
      this.push(line, this.bytes);
      this.state = state;
      start = nl + 1;
    }
    this.pending = text.slice(start);
    if (this.pending !== '') {
      this.push(parseLine(this.pending, this.state).line, this.bytes + utf8Length(this.pending));
      this.hasPartial = true;
    }
  }

  private push(line: Line, end: number): void {
    const own = isKontrolerLine(line.text, this.indexOfNumber.length);
    this.lines.push(line);
    this.ends.push(end);
    if (own) this.numbers.push(0);
    else {
      this.indexOfNumber.push(this.lines.length - 1);
      this.numbers.push(this.indexOfNumber.length);
    }
  }

  /** Everything appended, escapes included (what "download" saves). */
  rawText(): string {
    if (this.raw.length > 1) this.raw.splice(0, this.raw.length, this.raw.join(''));
    return this.raw[0] ?? '';
  }
}

export interface Match {
  line: number;
  start: number;
  end: number;
}

/** Where `query` occurs in the lines' plain text (at most `limit` matches). */
export function findMatches(lines: readonly Line[], query: string, opts: { caseSensitive?: boolean; limit?: number } = {}): Match[] {
  if (query === '') return [];
  const out: Match[] = [];
  const limit = opts.limit ?? 10_000;
  const q = opts.caseSensitive ? query : query.toLowerCase();
  for (let i = 0; i < lines.length && out.length < limit; i++) {
    const text = opts.caseSensitive ? lines[i]!.text : lines[i]!.text.toLowerCase();
    for (let at = text.indexOf(q); at >= 0 && out.length < limit; at = text.indexOf(q, at + q.length)) out.push({ line: i, start: at, end: at + q.length });
  }
  return out;
}

/** Splits a line's spans at match boundaries; pieces inside a match get `mark` (and `current`). */
export function markSpans(spans: readonly Span[], ranges: ReadonlyArray<{ start: number; end: number; current?: boolean }>): Array<Span & { mark?: boolean; current?: boolean }> {
  if (ranges.length === 0) return spans as Span[];
  const out: Array<Span & { mark?: boolean; current?: boolean }> = [];
  let pos = 0;
  for (const sp of spans) {
    const end = pos + sp.text.length;
    let cut = pos;
    for (const r of ranges) {
      if (r.end <= cut || r.start >= end) continue;
      if (r.start > cut) out.push({ ...sp, text: sp.text.slice(cut - pos, r.start - pos) });
      const to = Math.min(r.end, end);
      out.push({ ...sp, text: sp.text.slice(Math.max(r.start, cut) - pos, to - pos), mark: true, ...(r.current ? { current: true } : {}) });
      cut = to;
    }
    if (cut < end) out.push({ ...sp, text: sp.text.slice(cut - pos) });
    pos = end;
  }
  return out;
}
