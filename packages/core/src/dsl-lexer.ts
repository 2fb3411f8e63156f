// Tokens of the Kontroler DSL. Compatible with the Go project's lexer: `"..."` strings have no
// escapes and may span lines, `"""..."""` strings are raw multi-line text, integers are digits
// only, identifiers are `[A-Za-z_][A-Za-z0-9_-]*`, `//` starts a comment to the end of the line.
// One extension: an identifier stops before `->`, so `a->b` reads as `a -> b`.

import { didYouMean, type SourcePosition } from './field-path.js';

export type TokenKind = 'ident' | 'string' | 'int' | 'arrow' | '{' | '}' | '[' | ']' | ',' | 'eof' | 'error';

export interface Token {
  kind: TokenKind;
  /** Decoded value: string contents (triple-quoted ones dedented), identifier or digits. */
  value: string;
  /** 1-based position of the token's first character. */
  line: number;
  column: number;
  /** For `error` tokens: what is wrong. */
  message?: string;
}

/**
 * Splits DSL text into tokens, always ending with one `eof` token. Problems (unterminated
 * strings, stray characters) become `error` tokens so the parser can report them in place and go
 * on. Pure; never throws.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const advanceTo = (end: number): void => {
    for (let k = i; k < end; k++) {
      if (text[k] === '\n') {
        line++;
        lineStart = k + 1;
      }
    }
    i = end;
  };
  while (i < text.length) {
    const c = text[i] ?? '';
    const column = i - lineStart + 1;
    const startLine = line;
    const push = (kind: TokenKind, value: string, end: number, message?: string): void => {
      tokens.push({ kind, value, line: startLine, column, ...(message === undefined ? {} : { message }) });
      advanceTo(end);
    };
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v') {
      advanceTo(i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      const nl = text.indexOf('\n', i);
      advanceTo(nl < 0 ? text.length : nl);
    } else if (text.startsWith('"""', i)) {
      const close = text.indexOf('"""', i + 3);
      if (close < 0) push('error', '', text.length, 'unterminated """ string (no closing """)');
      else push('string', dedent(text.slice(i + 3, close)), close + 3);
    } else if (c === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) push('error', '', text.length, 'unterminated string (no closing ")');
      else push('string', text.slice(i + 1, close), close + 1);
    } else if (c >= '0' && c <= '9') {
      let end = i;
      while (end < text.length && (text[end] ?? '') >= '0' && (text[end] ?? '') <= '9') end++;
      push('int', text.slice(i, end), end);
    } else if (isIdentStart(c)) {
      let end = i + 1;
      while (end < text.length && isIdentPart(text[end] ?? '') && !(text[end] === '-' && text[end + 1] === '>')) end++;
      push('ident', text.slice(i, end), end);
    } else if (c === '-' && text[i + 1] === '>') {
      push('arrow', '->', i + 2);
    } else if (c === '{' || c === '}' || c === '[' || c === ']' || c === ',') {
      push(c, c, i + 1);
    } else {
      const cp = text.codePointAt(i) ?? 0;
      const ch = String.fromCodePoint(cp);
      push('error', ch, i + ch.length, `unexpected character ${JSON.stringify(ch)}`);
    }
  }
  const column = i - lineStart + 1;
  tokens.push({ kind: 'eof', value: '', line, column });
  return tokens;
}

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9') || c === '-';
}

/**
 * Triple-quoted text as people mean it: a line break right after the opening quotes and the
 * blank indentation before the closing quotes are dropped, and the indentation common to all
 * non-blank lines is removed (relative indentation is kept). The Go project keeps the raw text;
 * for a shell script the two are equivalent.
 */
export function dedent(raw: string): string {
  let lines = raw.split('\n');
  if (lines.length > 1 && (lines[0] ?? '').trim() === '') lines = lines.slice(1);
  const last = lines[lines.length - 1] ?? '';
  const closingOnOwnLine = lines.length > 1 && last.trim() === '';
  if (closingOnOwnLine) lines[lines.length - 1] = '';
  let common: number | undefined;
  for (const l of lines) {
    if (l.trim() === '') continue;
    const indent = l.length - l.trimStart().length;
    common = common === undefined ? indent : Math.min(common, indent);
  }
  const cut = common ?? 0;
  return lines.map((l) => (l.trim() === '' ? l.trim() : l.slice(cut))).join('\n');
}

/** Where a token starts. */
export function positionOf(t: Token): SourcePosition {
  return { line: t.line, column: t.column };
}

/** A token as error messages name it: `"image"`, `the string "x"`, `the end of the text`. */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'the end of the text';
    case 'string':
      return `the string ${JSON.stringify(t.value.length > 30 ? `${t.value.slice(0, 30)}…` : t.value)}`;
    case 'ident':
      return `${JSON.stringify(t.value)}`;
    case 'int':
      return `the number ${t.value}`;
    case 'arrow':
      return '"->"';
    case 'error':
      return t.message ?? 'an invalid character';
    default:
      return `"${t.kind}"`;
  }
}

/** ` (did you mean "x"?)` when an identifier is close to one of `keywords`, else ''. */
export function keywordHint(t: Token, keywords: readonly string[]): string {
  return t.kind === 'ident' ? didYouMean(t.value, keywords) : '';
}
