// The DSL's data-flow values that take more than one token: a task's outputs list, its approval
// block and `withItems` values (JSON-like, bounded nesting). Functions over the parser's cursor,
// so they report errors and recover as the rest of the DSL does (dsl.ts has the grammar).

import type { SourcePosition } from './field-path.js';
import { describeToken as describe, keywordHint, positionOf as at, type Token, type TokenKind } from './dsl-lexer.js';
import type { ApprovalSpec, JsonValue, OutputSpec } from './spec.js';

/**
 * How deeply `withItems` values may nest lists and objects. The value parser recurses once per
 * level; the bound keeps that far from the stack limit (YAML's is MAX_NESTING_DEPTH, 64, for the
 * whole document).
 */
export const DSL_MAX_ITEM_DEPTH = 32;

const APPROVAL_FIELDS = ['message', 'timeout', 'onTimeout', 'inputs'];

/** What these parsers need of the DSL parser. */
export interface DslCursor {
  peek(): Token;
  at(kind: TokenKind): boolean;
  next(): Token;
  expect(kind: TokenKind, what: string, hint?: (t: Token) => string): Token;
  expectString(what: string): Token;
  /** Records an error and goes on. */
  error(t: Token, message: string): void;
  /** Records an error and throws the parser's recoverable error: the enclosing block skips ahead. */
  fail(t: Token, message: string): never;
  /** `{ entry* }` after the `{`, recovering per entry (see Parser.block). */
  block(what: string, sync: readonly string[], entry: () => void, unclosedHint?: (t: Token) => string): void;
  /** An identifier, or a quoted string for a name that is not one. */
  name(what: string): Token;
  /** An integer token and its value; an unsafe integer is an error. */
  int(what: string): { token: Token; value: number };
  /** `[ T, ... ]` of one token kind. */
  list(kind: 'string' | 'int', what: string): Token[];
}

/** `[ "name" { description "..." }, ... ]`: a task's outputs. */
export function parseOutputList(c: DslCursor): { spec: OutputSpec; pos: SourcePosition; descriptionPos?: SourcePosition }[] {
  const what = 'output names (quoted strings) in outputs';
  c.expect('[', `to start a list of ${what}`);
  const out: { spec: OutputSpec; pos: SourcePosition; descriptionPos?: SourcePosition }[] = [];
  while (!c.at(']')) {
    const name = c.expect('string', what);
    const o: { spec: OutputSpec; pos: SourcePosition; descriptionPos?: SourcePosition } = { spec: { name: name.value }, pos: at(name) };
    out.push(o);
    if (c.at('{')) {
      c.next();
      c.block(`output ${JSON.stringify(name.value)}`, ['description'], () => {
        const d = c.peek();
        if (d.kind !== 'ident' || d.value !== 'description') {
          c.fail(d, `expected description in output ${JSON.stringify(name.value)}, found ${describe(d)}${keywordHint(d, ['description'])}`);
        }
        c.next();
        const v = c.expectString('a quoted value after "description"');
        if (o.descriptionPos !== undefined) {
          c.error(d, `description is set twice in output ${JSON.stringify(name.value)}`);
          return;
        }
        o.spec.description = v.value;
        o.descriptionPos = at(v);
      });
    }
    if (c.at(',')) c.next();
    else break;
  }
  c.expect(']', `to close the list of ${what}`);
  return out;
}

/** `{ message "..." timeout N onTimeout "..." inputs [...] }`; positions keyed below `approval.`. */
export function parseApproval(c: DslCursor, taskName: string): { spec: ApprovalSpec; positions: Map<string, SourcePosition> } {
  c.expect('{', 'after "approval"');
  const spec: ApprovalSpec = {};
  const positions = new Map<string, SourcePosition>();
  const seen = new Set<string>();
  c.block(`the approval of task ${taskName}`, APPROVAL_FIELDS, () => {
    const g = c.peek();
    if (g.kind !== 'ident' || !APPROVAL_FIELDS.includes(g.value)) {
      c.fail(g, `expected an approval field (${APPROVAL_FIELDS.join(', ')}) in task ${taskName}, found ${describe(g)}${keywordHint(g, APPROVAL_FIELDS)}`);
    }
    c.next();
    const duplicate = seen.has(g.value);
    seen.add(g.value);
    const set = (apply: () => void): void => {
      if (duplicate) c.error(g, `${g.value} is set twice in the approval of task ${taskName}`);
      else apply();
    };
    switch (g.value) {
      case 'message':
      case 'onTimeout': {
        const v = c.expectString(`a quoted value after "${g.value}"`);
        set(() => {
          if (g.value === 'message') spec.message = v.value;
          else spec.onTimeout = v.value as ApprovalSpec['onTimeout']; // validation checks the enum
          positions.set(g.value, at(v));
        });
        return;
      }
      case 'timeout': {
        const v = c.int('a number of seconds (an integer) after "timeout"');
        set(() => {
          spec.timeoutSeconds = v.value;
          positions.set('timeoutSeconds', at(v.token));
        });
        return;
      }
      case 'inputs': {
        const list = c.list('string', 'input names (quoted strings) in inputs');
        set(() => {
          spec.inputs = list.map((t) => t.value);
          positions.set('inputs', at(g));
          list.forEach((t, i) => positions.set(`inputs[${i}]`, at(t)));
        });
        return;
      }
    }
  });
  return { spec, positions };
}

/** The values of a `withItems` list (or a nested one) after its `[`, up to and with its `]`. */
export function parseItems(c: DslCursor, open: Token, depth: number): { value: JsonValue; token: Token }[] {
  if (depth > DSL_MAX_ITEM_DEPTH) c.fail(open, `withItems values nest deeper than ${DSL_MAX_ITEM_DEPTH} levels`);
  const out: { value: JsonValue; token: Token }[] = [];
  while (!c.at(']')) {
    out.push(parseValue(c, depth));
    if (c.at(',')) c.next();
    else break;
  }
  c.expect(']', 'to close the list of items');
  return out;
}

/** One `withItems` value: a string, integer, true, false, null, list or object. */
function parseValue(c: DslCursor, depth: number): { value: JsonValue; token: Token } {
  const t = c.peek();
  switch (t.kind) {
    case 'string':
      return { value: c.next().value, token: t };
    case 'int':
      return { value: c.int('an item').value, token: t };
    case '[':
      c.next();
      return { value: parseItems(c, t, depth + 1).map((x) => x.value), token: t };
    case '{':
      c.next();
      return { value: parseObject(c, t, depth + 1), token: t };
    case 'ident':
      if (t.value === 'true' || t.value === 'false' || t.value === 'null') {
        c.next();
        return { value: t.value === 'null' ? null : t.value === 'true', token: t };
      }
  }
  return c.fail(t, `expected an item (a quoted string, an integer, true, false, null, [a list] or {an object}), found ${describe(t)}`);
}

/** `{ key value, ... }` after its `{`: an object value (commas between entries optional). */
function parseObject(c: DslCursor, open: Token, depth: number): { [key: string]: JsonValue } {
  if (depth > DSL_MAX_ITEM_DEPTH) c.fail(open, `withItems values nest deeper than ${DSL_MAX_ITEM_DEPTH} levels`);
  const entries: [string, JsonValue][] = [];
  const keys = new Set<string>();
  while (!c.at('}') && !c.at('eof')) {
    const k = c.name('a key (a name or a quoted string) in the object');
    const v = parseValue(c, depth);
    if (keys.has(k.value)) c.error(k, `key ${JSON.stringify(k.value)} is set twice in the object`);
    keys.add(k.value);
    entries.push([k.value, v.value]);
    if (c.at(',')) c.next();
  }
  c.expect('}', 'to close the object');
  // fromEntries defines own properties: a key `__proto__` stays plain data.
  return Object.fromEntries(entries);
}
