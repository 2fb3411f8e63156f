// Text → resources. Parses YAML (JSON is YAML too) with one or more `---` documents, checks each
// document's structure against the resource shapes (schema.ts) while it still has the YAML nodes,
// so every structural error carries the line and column it came from. Meaning (names, graph,
// references, ranges) is checked by validate.ts; `loadValidatedResources` runs both.
//
// Error path format (documented for users in every consumer):
//   - a field: `spec.task[2].runAfter[0]`; keys that are not plain identifiers are quoted:
//     `metadata.labels["app.kubernetes.io/name"]`;
//   - the whole document (YAML syntax, not a mapping): `<root>`;
//   - in a stream of several documents every path is prefixed with `[doc N] ` (N is 1-based, the
//     document's position in the stream counting every `---` section), and `FieldError.document`
//     carries N as a number whatever the count;
//   - `line`/`column` are 1-based positions in `text`; `source` is the name given to the parser.

import {
  LineCounter,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Alias,
  type Document,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import type { FieldError } from './errors.js';
import { childPath, didYouMean, parentPath, type Locator, type SourcePosition } from './field-path.js';
import { jsonPathFinder } from './json-locator.js';
import { JsonMap, JsonScalar, JsonSeq, parseJsonTree, type JsonTree } from './json-tree.js';
import { findExcessNesting } from './nesting.js';
import { setOwn } from './plain-data.js';
import { describeValue, shapeName } from './shape-check.js';
import { SPEC_SHAPES, SUPPORTED_KINDS, resourceShape, type Shape, type SupportedKind } from './schema.js';
import { API_VERSION, type KontrolerResource } from './spec.js';
import { messageOf } from './errors.js';

/** The path used for problems with a whole document. */
export const ROOT_PATH = '<root>';

/** One non-empty document of a YAML stream. */
export interface ParsedDocument {
  /** 1-based position in the stream. */
  index: number;
  /** `[doc N] ` when the stream holds several documents, else the empty string. */
  pathPrefix: string;
  /**
   * The resource, when the document names a supported apiVersion and kind: best effort even when
   * `errors` is non-empty (fields with the wrong type are left out), so validation can still run.
   */
  resource?: KontrolerResource;
  /** This document's structural errors, already prefixed and located. */
  errors: FieldError[];
  locate: Locator;
}

export interface ParseResourcesResult {
  /** Resources of the documents that had no structural error, in stream order. */
  resources: KontrolerResource[];
  /** Every structural error of every document. */
  errors: FieldError[];
  documents: ParsedDocument[];
}

/**
 * Parses YAML or JSON text holding one or more Kontroler resources (`kontroler.greedykomodo/v1alpha1`
 * kinds DAG, DagTask, DagRun). Checks structure only: known fields and their JSON types, YAML
 * syntax, apiVersion and kind. Unknown fields are errors naming the field with a "did you mean"
 * hint, except in free-form Kubernetes sub-objects (pod affinity terms, other volume sources,
 * securityContext) and server-set metadata (uid, creationTimestamp, ...), which are kept or
 * ignored. `null` means absent, as in Kubernetes. YAML 1.1 scalars are used, as kubectl does
 * (`yes`/`on` are booleans), except that timestamps and base-60 numbers stay strings.
 * `status` is ignored. Empty documents are skipped.
 *
 * Pure and total: never throws, whatever the input. Run `validateResource` (or use
 * `loadValidatedResources`) before trusting a resource.
 */
export function parseResources(text: string, source?: string): ParseResourcesResult {
  const tooDeep = nestingError(text, source);
  if (tooDeep !== undefined) return { resources: [], errors: [tooDeep], documents: [] };
  try {
    return parseStream(text, source);
  } catch (e) {
    // A safety net for pathological input (e.g. nesting deep enough to exhaust the stack).
    const error: FieldError = {
      path: ROOT_PATH,
      message: `could not parse the text: ${messageOf(e)}`,
      ...(source === undefined ? {} : { source }),
    };
    return { resources: [], errors: [error], documents: [] };
  }
}

/**
 * The error for text nested deeper than MAX_NESTING_DEPTH (checked before the YAML parser runs,
 * which recurses per level), or undefined. Linear in the text; never throws.
 */
export function nestingError(text: string, source?: string): FieldError | undefined {
  const v = findExcessNesting(text);
  if (v === undefined) return undefined;
  return {
    path: ROOT_PATH,
    message: `nested deeper than ${v.limit} levels of mappings/lists (the limit is ${v.limit}): flatten the document`,
    line: v.line,
    column: v.column,
    ...(source === undefined ? {} : { source }),
  };
}

function parseStream(text: string, source: string | undefined): ParseResourcesResult {
  const json = parseJsonTree(text);
  if (json !== undefined && !hasCollectionKind(json.root)) return parseJson(json, text, source);
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, {
    version: '1.1',
    lineCounter,
    prettyErrors: false,
    // yaml checks each key against every earlier key of its map (quadratic in a 100,000-key
    // map); duplicateKeys() below does the same check in linear time.
    uniqueKeys: false,
    customTags: (tags) => tags.filter((t) => !isDroppedTag(t)),
  });
  const list = Array.isArray(docs) ? docs : [docs];
  const nonEmpty = list.filter((d) => !isEmptyDocument(d)).length;
  const multi = nonEmpty > 1;

  const result: ParseResourcesResult = { resources: [], errors: [], documents: [] };
  list.forEach((doc, i) => {
    if (isEmptyDocument(doc) && doc.errors.length === 0) return;
    const parsed = parseDocument(doc, i + 1, multi ? `[doc ${i + 1}] ` : '', text, lineCounter, source);
    result.documents.push(parsed);
    result.errors.push(...parsed.errors);
    if (parsed.resource !== undefined && parsed.errors.length === 0) result.resources.push(parsed.resource);
  });
  return result;
}

/** One JSON object (see json-tree.ts): read as the yaml package would read it, without it. */
function parseJson(json: JsonTree, text: string, source: string | undefined): ParseResourcesResult {
  const lineCounter = new LineCounter();
  for (const offset of json.lineStarts) lineCounter.addNewLine(offset);
  const ctx = newContext(undefined, text, lineCounter);
  const parsed = readDocument(ctx, json.root, 1, '', source);
  return {
    resources: parsed.resource !== undefined && parsed.errors.length === 0 ? [parsed.resource] : [],
    errors: [...parsed.errors],
    documents: [parsed],
  };
}

/** `kind: [...]` is reported with the value in YAML syntax (yaml's own stringifier): rare, so left to yaml. */
function hasCollectionKind(root: JsonMap): boolean {
  const kind = root.items.find((p) => p.key.value === 'kind');
  return kind !== undefined && !(kind.value instanceof JsonScalar);
}

/** kubectl's YAML reader keeps timestamps and base-60 numbers as strings; so do we. */
function isDroppedTag(t: unknown): boolean {
  if (typeof t === 'string') return t === 'timestamp' || t === 'intTime' || t === 'floatTime';
  if (typeof t !== 'object' || t === null) return false;
  const { tag, format } = t as { tag?: unknown; format?: unknown };
  return tag === 'tag:yaml.org,2002:timestamp' || format === 'TIME';
}

function isEmptyDocument(doc: Document.Parsed): boolean {
  const c = doc.contents;
  return c === null || (isScalar(c) && c.value === null && (c.source ?? '') === '' && c.tag === undefined);
}

interface NodeEntry {
  value: SourcePosition;
  key?: SourcePosition;
  node: unknown;
}

interface WalkContext {
  /** The yaml document (undefined for JSON read by json-tree.ts, which has no aliases). */
  doc: Document.Parsed | undefined;
  text: string;
  lineCounter: LineCounter;
  errors: FieldError[];
  /**
   * Where each path read is written (YAML). JSON (`doc` undefined) records nothing: its locator
   * finds a path's node in the JSON tree when asked (json-locator.ts).
   */
  entries: Map<string, NodeEntry>;
  /** The shape the root was read with, once the header is known (for the JSON locator). */
  rootShape?: Shape;
  /** Alias expansions so far in this document, and the source characters they stood for. */
  aliases: { count: number; chars: number; refused: boolean };
}

/**
 * Aliases (`*name`) are expanded, as kubectl does, within bounds: at most this many expansions
 * per document (inside free-form fields such as podTemplate.affinity, yaml's own `maxAliasCount`
 * applies with the same number)...
 */
export const MAX_ALIAS_EXPANSIONS = 100;
/** ...standing for at most this many characters of source text in all. */
export const MAX_ALIAS_EXPANDED_CHARS = 1024 * 1024;

function parseDocument(
  doc: Document.Parsed,
  index: number,
  pathPrefix: string,
  text: string,
  lineCounter: LineCounter,
  source: string | undefined,
): ParsedDocument {
  const ctx = newContext(doc, text, lineCounter);
  const finish = (): ParsedDocument => finishDocument(ctx, index, pathPrefix, source);

  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = lineCounter.linePos(e.pos[0]);
      ctx.errors.push({
        path: ROOT_PATH,
        message: `invalid YAML: ${firstLine(e.message)}`,
        line: pos.line,
        column: pos.col,
      });
    }
    return finish();
  }

  const duplicates = duplicateKeys(doc.contents);
  if (duplicates.length > 0) {
    for (const key of duplicates) ctx.errors.push({ path: ROOT_PATH, message: 'invalid YAML: Map keys must be unique', ...positionOf(ctx, key) });
    return finish();
  }
  return readDocument(ctx, doc.contents, index, pathPrefix, source);
}

function newContext(doc: Document.Parsed | undefined, text: string, lineCounter: LineCounter): WalkContext {
  return { doc, text, lineCounter, errors: [], entries: new Map(), aliases: { count: 0, chars: 0, refused: false } };
}

function finishDocument(ctx: WalkContext, index: number, pathPrefix: string, source: string | undefined, resource?: KontrolerResource, root?: unknown): ParsedDocument {
  const errors = ctx.errors.map((e) => ({
    ...e,
    path: pathPrefix + e.path,
    document: index,
    ...(source === undefined ? {} : { source }),
  }));
  const locate = ctx.doc === undefined && root instanceof JsonMap ? jsonLocator(ctx, root) : makeLocator(ctx);
  return { index, pathPrefix, errors, locate, ...(resource === undefined ? {} : { resource }) };
}

/** The resource of a document whose YAML (or JSON) syntax is sound, from its root node. */
function readDocument(ctx: WalkContext, root: unknown, index: number, pathPrefix: string, source: string | undefined): ParsedDocument {
  const finish = (resource?: KontrolerResource): ParsedDocument => finishDocument(ctx, index, pathPrefix, source, resource, root);
  const rootPos = positionOf(ctx, root) ?? { line: 1, column: 1 };
  if (ctx.doc !== undefined) ctx.entries.set('', { value: rootPos, node: root });
  if (!isMapNode(root)) {
    ctx.errors.push({
      path: ROOT_PATH,
      message: `expected a mapping (a Kubernetes resource with apiVersion, kind, metadata, spec), got ${describeNode(root)}`,
      ...rootPos,
    });
    return finish();
  }

  const kind = checkHeader(ctx, root);
  if (kind === undefined) return finish();
  ctx.rootShape = resourceShape(SPEC_SHAPES[kind]);
  const value = convert(ctx, root, ctx.rootShape, '', 0);
  const obj = isRecord(value) ? value : {};
  const resource = {
    apiVersion: typeof obj['apiVersion'] === 'string' ? obj['apiVersion'] : '',
    kind,
    metadata: isRecord(obj['metadata']) ? obj['metadata'] : {},
    spec: isRecord(obj['spec']) ? obj['spec'] : {},
  } as unknown as KontrolerResource;
  return finish(resource);
}

/** Most duplicate keys reported per document. */
const MAX_DUPLICATE_KEY_ERRORS = 20;

/**
 * Keys that repeat an earlier scalar key of the same mapping (as yaml's `uniqueKeys` would
 * report), anywhere in the document: one iterative walk, a Set per mapping. Aliases are not
 * followed; merge keys (`<<`) may repeat.
 */
function duplicateKeys(root: unknown): unknown[] {
  const out: unknown[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0 && out.length < MAX_DUPLICATE_KEY_ERRORS) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const k = pair.key;
        if (isScalar(k) && typeof k.value !== 'symbol') {
          if (seen.has(k.value)) out.push(k);
          else seen.add(k.value);
        } else if (k !== null && typeof k === 'object') stack.push(k);
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  const start = (n: unknown) => (n as { range?: readonly number[] | null }).range?.[0] ?? 0;
  return out.sort((a, b) => start(a) - start(b));
}

/** Checks apiVersion and kind; returns the kind when the rest of the document can be read. */
function checkHeader(ctx: WalkContext, root: YAMLMap | JsonMap): SupportedKind | undefined {
  const apiVersion = scalarField(root, 'apiVersion');
  const kind = scalarField(root, 'kind');
  const kinds = SUPPORTED_KINDS.join(', ');
  if (apiVersion === undefined) {
    ctx.errors.push({ path: 'apiVersion', message: `required: set it to "${API_VERSION}"`, ...positionOf(ctx, root) });
  } else if (typeof apiVersion.value === 'string' && apiVersion.value !== API_VERSION) {
    ctx.errors.push({
      path: 'apiVersion',
      message: `unsupported apiVersion ${JSON.stringify(apiVersion.value)}; expected "${API_VERSION}"`,
      ...positionOf(ctx, apiVersion.node),
    });
  }
  if (kind === undefined) {
    ctx.errors.push({ path: 'kind', message: `required: one of ${kinds}`, ...positionOf(ctx, root) });
    return undefined;
  }
  if (typeof kind.value !== 'string' || !(SUPPORTED_KINDS as readonly string[]).includes(kind.value)) {
    const name = typeof kind.value === 'string' ? kind.value : String(kind.value);
    ctx.errors.push({
      path: 'kind',
      message: `kind ${name} is not supported (supported kinds: ${kinds})${didYouMean(name, SUPPORTED_KINDS)}`,
      ...positionOf(ctx, kind.node),
    });
    return undefined;
  }
  return kind.value as SupportedKind;
}

function scalarField(map: YAMLMap | JsonMap, key: string): { value: unknown; node: unknown } | undefined {
  for (const pair of map.items) {
    if (isScalarNode(pair.key) && pair.key.value === key) {
      const v = pair.value;
      if (v === null || (isScalarNode(v) && v.value === null)) return undefined;
      return { value: isScalarNode(v) ? v.value : v, node: v };
    }
  }
  return undefined;
}

const MAX_DEPTH = 64;

/** Converts a YAML node to plain data following `shape`; undefined means "absent". */
function convert(ctx: WalkContext, raw: unknown, shape: Shape, path: string, depth: number): unknown {
  let node = raw;
  let hops = 0;
  if (isAlias(raw)) {
    while (isAlias(node) && hops++ < 32) node = resolveAlias(ctx, node);
    if (isAlias(node)) return fail(ctx, path, node, 'alias chain too long');
    const over = countAlias(ctx, node);
    if (over !== undefined) {
      // One error per document is enough: the document is refused either way.
      if (ctx.aliases.refused) return undefined;
      ctx.aliases.refused = true;
      return fail(ctx, path, raw, over);
    }
  }
  const pos = ctx.doc === undefined ? undefined : positionOf(ctx, node);
  if (pos !== undefined) {
    const existing = ctx.entries.get(path);
    if (existing === undefined) ctx.entries.set(path, { value: pos, node });
    else if (existing.node === undefined) Object.assign(existing, { value: pos, node });
  }
  if (node === null || node === undefined || (isScalarNode(node) && node.value === null)) return undefined;
  if (depth > MAX_DEPTH) return fail(ctx, path, node, 'nested too deeply');

  switch (shape.type) {
    case 'any':
      return toPlain(ctx, node, path);
    case 'string':
    case 'boolean':
    case 'integer':
    case 'number':
    case 'quantity':
      return convertScalar(ctx, node, shape.type, path);
    case 'array': {
      if (!isSeqNode(node)) return fail(ctx, path, node, `expected a list, got ${describeNode(node)}`);
      const out: unknown[] = [];
      const items: readonly unknown[] = node.items;
      items.forEach((item, i) => {
        const p = childPath(path, i);
        const v = convert(ctx, item, shape.items, p, depth + 1);
        if (v === undefined && isNullNode(ctx, item)) {
          fail(ctx, p, item, `expected ${shapeName(shape.items)}, got null`);
        } else if (v !== undefined) out.push(v);
      });
      return out;
    }
    case 'map': {
      if (!isMapNode(node)) return fail(ctx, path, node, `expected a mapping, got ${describeNode(node)}`);
      const out: Record<string, unknown> = {};
      for (const { key, keyNode, value } of effectivePairs(ctx, node, path)) {
        const p = childPath(path, key);
        recordKey(ctx, p, keyNode);
        const v = convert(ctx, value, shape.values, p, depth + 1);
        if (v !== undefined) setOwn(out, key, v);
      }
      return out;
    }
    case 'object': {
      if (!isMapNode(node)) return fail(ctx, path, node, `expected a mapping, got ${describeNode(node)}`);
      const out: Record<string, unknown> = {};
      for (const { key, keyNode, value } of effectivePairs(ctx, node, path)) {
        const p = childPath(path, key);
        recordKey(ctx, p, keyNode);
        const fieldShape = Object.prototype.hasOwnProperty.call(shape.fields, key) ? shape.fields[key] : undefined;
        if (fieldShape !== undefined) {
          const v = convert(ctx, value, fieldShape, p, depth + 1);
          if (v !== undefined) setOwn(out, key, v);
        } else if (shape.unknown === 'keep') {
          const v = toPlain(ctx, value, p);
          if (v !== undefined && v !== null) setOwn(out, key, v);
        } else if (shape.unknown !== 'ignore') {
          const where = positionOf(ctx, keyNode) ?? pos ?? positionOf(ctx, node);
          ctx.errors.push({ path: p, message: `unknown field${didYouMean(key, Object.keys(shape.fields))}`, ...where });
        }
      }
      return out;
    }
  }
}

function convertScalar(
  ctx: WalkContext,
  node: unknown,
  type: 'string' | 'boolean' | 'integer' | 'number' | 'quantity',
  path: string,
): unknown {
  const expected = shapeName({ type });
  if (!isScalarNode(node)) return fail(ctx, path, node, `expected ${expected}, got ${describeNode(node)}`);
  const v = node.value;
  switch (type) {
    case 'string':
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') {
        const src = sourceText(ctx, node);
        return fail(ctx, path, node, `expected a string, got ${describeValue(v)} (quote it: ${JSON.stringify(src)})`);
      }
      break;
    case 'boolean':
      if (typeof v === 'boolean') return v;
      break;
    case 'integer':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
      break;
    case 'number':
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      break;
    case 'quantity':
      if (typeof v === 'string') return v;
      if (typeof v === 'number' && Number.isFinite(v)) return sourceText(ctx, node);
      break;
  }
  return fail(ctx, path, node, `expected ${expected}, got ${describeValue(v)}`);
}

interface EffectivePair {
  key: string;
  keyNode: unknown;
  value: unknown;
}

/**
 * The pairs of a mapping with YAML 1.1 merge keys (`<<: *base`) applied: explicit keys win over
 * merged ones, earlier merged maps over later ones. Keys are read as written (`y:` stays "y").
 */
function effectivePairs(ctx: WalkContext, map: YAMLMap | JsonMap, path: string, depth = 0): EffectivePair[] {
  if (map instanceof JsonMap) return map.items.map((p) => ({ key: p.key.value as string, keyNode: p.key, value: p.value })); // no merge keys in JSON
  const out: EffectivePair[] = [];
  const merged: EffectivePair[] = [];
  const pairs: readonly { key: unknown; value: unknown }[] = map.items;
  for (const pair of pairs) {
    const k = pair.key;
    if (isScalar(k) && typeof k.value === 'symbol') {
      if (depth > 8) continue;
      const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
      for (const s of sources) {
        const target = isAlias(s) ? resolveAlias(ctx, s) : s;
        if (isAlias(s)) {
          const over = countAlias(ctx, target);
          if (over !== undefined) {
            if (!ctx.aliases.refused) fail(ctx, path, s, over);
            ctx.aliases.refused = true;
            return out;
          }
        }
        if (isMap(target)) merged.push(...effectivePairs(ctx, target, path, depth + 1));
      }
      continue;
    }
    out.push({ key: keyText(ctx, k), keyNode: k, value: pair.value });
  }
  if (merged.length === 0) return out;
  const seen = new Set(out.map((p) => p.key));
  for (const p of merged) {
    if (!seen.has(p.key)) {
      seen.add(p.key);
      out.push(p);
    }
  }
  return out;
}

function keyText(ctx: WalkContext, key: unknown): string {
  if (isScalarNode(key)) {
    if (typeof key.value === 'string') return key.value;
    return sourceText(ctx, key);
  }
  return String(toPlain(ctx, key));
}

function recordKey(ctx: WalkContext, path: string, keyNode: unknown): void {
  if (ctx.doc === undefined) return; // JSON: see WalkContext.entries
  const pos = positionOf(ctx, keyNode);
  if (pos === undefined) return;
  const existing = ctx.entries.get(path);
  if (existing === undefined) ctx.entries.set(path, { value: pos, key: pos, node: undefined });
  else existing.key = pos;
}

function isNullNode(ctx: WalkContext, node: unknown): boolean {
  const n = isAlias(node) ? resolveAlias(ctx, node) : node;
  return n === null || n === undefined || (isScalarNode(n) && n.value === null);
}

/** Free-form data as plain values; an expansion over the alias bound is an error at `path`, never a silent drop. */
function toPlain(ctx: WalkContext, node: unknown, path?: string): unknown {
  if (node === null || node === undefined) return undefined;
  if (node instanceof JsonScalar) return node.value;
  // JSON has no aliases, and JSON.parse reads `__proto__` as an own key, as yaml's toJS does.
  if (node instanceof JsonMap || node instanceof JsonSeq) return JSON.parse(ctx.text.slice(node.range[0], node.range[1])) as unknown;
  if (ctx.doc !== undefined && (isScalar(node) || isMap(node) || isSeq(node) || isAlias(node))) {
    try {
      return node.toJS(ctx.doc, { maxAliasCount: MAX_ALIAS_EXPANSIONS }) as unknown;
    } catch (e) {
      if (path === undefined) return undefined;
      const why = e instanceof Error ? firstLine(e.message) : String(e);
      return fail(ctx, path, node, `cannot expand the YAML aliases here (${why}); at most ${MAX_ALIAS_EXPANSIONS} alias expansions are allowed (MAX_ALIAS_EXPANSIONS): write the content out or use fewer aliases`);
    }
  }
  return undefined;
}

/** Counts one alias expansion of `target`; the error message when a bound is passed. */
function countAlias(ctx: WalkContext, target: unknown): string | undefined {
  const range = typeof target === 'object' && target !== null ? (target as { range?: readonly number[] | null }).range : undefined;
  const chars = range?.[0] !== undefined && range[1] !== undefined ? range[1] - range[0] : 0;
  ctx.aliases.count += 1;
  ctx.aliases.chars += chars;
  if (ctx.aliases.count > MAX_ALIAS_EXPANSIONS) {
    return `more than ${MAX_ALIAS_EXPANSIONS} YAML alias expansions in one document (MAX_ALIAS_EXPANSIONS): write the content out or use fewer aliases`;
  }
  if (ctx.aliases.chars > MAX_ALIAS_EXPANDED_CHARS) {
    return `YAML aliases in this document expand to more than ${MAX_ALIAS_EXPANDED_CHARS} characters of source (MAX_ALIAS_EXPANDED_CHARS): write the content out or use fewer aliases`;
  }
  return undefined;
}

function fail(ctx: WalkContext, path: string, node: unknown, message: string): undefined {
  ctx.errors.push({ path: path === '' ? ROOT_PATH : path, message, ...positionOf(ctx, node) });
  return undefined;
}

function positionOf(ctx: WalkContext, node: unknown): SourcePosition | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const range = (node as { range?: readonly number[] | null }).range;
  const start = range?.[0];
  if (start === undefined) return undefined;
  const p = ctx.lineCounter.linePos(start);
  return { line: p.line, column: p.col };
}

function sourceText(ctx: WalkContext, node: Scalar | JsonScalar): string {
  const r = node.range;
  if (r !== undefined && r !== null) return ctx.text.slice(r[0], r[1]);
  return String(node.value);
}

/** The locator of a JSON document (no block scalars: `inner` positions are the string's own). */
function jsonLocator(ctx: WalkContext, root: JsonMap): Locator {
  const find = jsonPathFinder(root, ctx.rootShape, MAX_DEPTH);
  return (path) => {
    const p = ctx.lineCounter.linePos(find(path).at);
    return { line: p.line, column: p.col };
  };
}

function makeLocator(ctx: WalkContext): Locator {
  return (path, inner) => {
    let p: string | undefined = path;
    while (p !== undefined) {
      const e = ctx.entries.get(p);
      if (e !== undefined) {
        if (inner !== undefined && p === path && isScalar(e.node) && e.node.type === 'BLOCK_LITERAL') {
          return blockPosition(ctx, e.node, inner) ?? e.value;
        }
        return e.value;
      }
      p = parentPath(p);
    }
    return undefined;
  };
}

/** Translates a position inside a literal block scalar's value to a position in the file. */
function blockPosition(ctx: WalkContext, node: Scalar, inner: SourcePosition): SourcePosition | undefined {
  const r = node.range;
  if (r === undefined || r === null) return undefined;
  const header = ctx.lineCounter.linePos(r[0]);
  const headerEnd = ctx.text.indexOf('\n', r[0]);
  if (headerEnd < 0) return undefined;
  const lines = ctx.text.slice(headerEnd + 1, r[1]).split('\n');
  const first = lines.find((l) => l.trim() !== '');
  const indent = first === undefined ? 0 : first.length - first.trimStart().length;
  return { line: header.line + inner.line, column: indent + inner.column };
}

function describeNode(node: unknown): string {
  if (isMapNode(node)) return 'a mapping';
  if (isSeqNode(node)) return 'a list';
  if (isScalarNode(node)) return describeValue(node.value);
  return 'nothing';
}

function firstLine(message: string): string {
  const at = message.indexOf(' at line ');
  const head = at >= 0 ? message.slice(0, at) : message;
  return head.split('\n')[0] ?? head;
}

// yaml's node guards, extended to json-tree.ts's nodes (which have the fields read here).
function isMapNode(n: unknown): n is YAMLMap | JsonMap {
  return n instanceof JsonMap || isMap(n);
}

function isSeqNode(n: unknown): n is YAMLSeq | JsonSeq {
  return n instanceof JsonSeq || isSeq(n);
}

function isScalarNode(n: unknown): n is Scalar | JsonScalar {
  return n instanceof JsonScalar || isScalar(n);
}

function resolveAlias(ctx: WalkContext, alias: Alias): unknown {
  return ctx.doc === undefined ? undefined : alias.resolve(ctx.doc);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
