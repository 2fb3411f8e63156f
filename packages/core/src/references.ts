// References in task fields: `{{params.NAME}}`, `{{tasks.TASK.outputs.NAME}}`, `{{run.id}}`,
// `{{run.name}}`, `{{run.logicalTime}}`, `{{run.prevLogicalTime}}`, `{{item}}` and `{{item.KEY}}`. Pure: finding them (for validation) and
// substituting them (when an attempt is created). Only these roots are references; any other
// `{{...}}` text is left as it is (the Go project's resources never use `{{`).
import type { JsonValue } from './spec.js';

export type Reference =
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'output'; readonly task: string; readonly output: string }
  | { readonly kind: 'run'; readonly field: RunField }
  | { readonly kind: 'item'; readonly key?: string };

/** The fields of `{{run.FIELD}}`. */
export type RunField = 'id' | 'name' | 'logicalTime' | 'prevLogicalTime';
const RUN_FIELDS: readonly RunField[] = ['id', 'name', 'logicalTime', 'prevLogicalTime'];

export interface ReferenceMatch {
  /** The whole `{{...}}` text. */
  readonly text: string;
  /** Offset of `{{` in the field's value. */
  readonly start: number;
  /** The reference, or why the text is not a valid one (a known root used wrongly). */
  readonly ref?: Reference;
  readonly error?: string;
}

const PATTERN = /\{\{\s*(params|tasks|run|item)\b([^{}]*?)\s*\}\}/g;
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const KEY = /^[A-Za-z0-9_-]+$/;

/** Every reference in `text`, in order: O(length). */
export function findReferences(text: string): ReferenceMatch[] {
  if (!text.includes('{{')) return [];
  const out: ReferenceMatch[] = [];
  for (const m of text.matchAll(PATTERN)) {
    const root = m[1] ?? '';
    const rest = m[2] ?? '';
    out.push({ text: m[0], start: m.index ?? 0, ...parseReference(root, rest) });
  }
  return out;
}

function parseReference(root: string, rest: string): { ref: Reference } | { error: string } {
  switch (root) {
    case 'params': {
      const name = rest.startsWith('.') ? rest.slice(1) : '';
      return NAME.test(name) ? { ref: { kind: 'param', name } } : { error: 'write {{params.NAME}}' };
    }
    case 'run': {
      const field = RUN_FIELDS.find((f) => rest === `.${f}`);
      return field ? { ref: { kind: 'run', field } } : { error: 'write {{run.id}}, {{run.name}}, {{run.logicalTime}} or {{run.prevLogicalTime}}' };
    }
    case 'item': {
      if (rest === '') return { ref: { kind: 'item' } };
      const key = rest.startsWith('.') ? rest.slice(1) : '';
      return KEY.test(key) ? { ref: { kind: 'item', key } } : { error: 'write {{item}} or {{item.KEY}}' };
    }
    default: {
      // tasks.TASK.outputs.NAME (a task name may contain dots: the last `.outputs.` splits it).
      const at = rest.lastIndexOf('.outputs.');
      const task = at > 0 ? rest.slice(1, at) : '';
      const output = at > 0 ? rest.slice(at + '.outputs.'.length) : '';
      return rest.startsWith('.') && NAME.test(task) && KEY.test(output)
        ? { ref: { kind: 'output', task, output } }
        : { error: 'write {{tasks.TASK.outputs.NAME}}' };
    }
  }
}

/** What references resolve to when an attempt is created. */
export interface ReferenceValues {
  readonly params?: Readonly<Record<string, string>>;
  /** The value of an upstream task's output (a mapped task's: the JSON array of its instances' values). */
  readonly output?: (task: string, output: string) => string | undefined;
  /** The run's identity; a logical time only when the run has one (a scheduled or backfilled run, or one given it). */
  readonly run?: { readonly id: string; readonly name: string; readonly logicalTime?: string; readonly prevLogicalTime?: string };
  /** The item of a mapped task's instance (`hasItem` false outside a mapped task). */
  readonly hasItem?: boolean;
  readonly item?: JsonValue;
}

export interface Substitution {
  readonly text: string;
  /** References that had no value: left in `text` as written. */
  readonly unresolved: readonly ReferenceMatch[];
}

/** `text` with its references replaced by their values: O(length + values). */
export function substitute(text: string, values: ReferenceValues): Substitution {
  if (!text.includes('{{')) return { text, unresolved: [] };
  const unresolved: ReferenceMatch[] = [];
  let out = '';
  let last = 0;
  for (const m of findReferences(text)) {
    const v = m.ref ? valueOf(m.ref, values) : undefined;
    if (v === undefined) {
      unresolved.push(m);
      continue;
    }
    out += text.slice(last, m.start) + v;
    last = m.start + m.text.length;
  }
  return { text: out + text.slice(last), unresolved };
}

function valueOf(ref: Reference, values: ReferenceValues): string | undefined {
  switch (ref.kind) {
    case 'param':
      return values.params && Object.hasOwn(values.params, ref.name) ? values.params[ref.name] : undefined;
    case 'output':
      return values.output?.(ref.task, ref.output);
    case 'run':
      return values.run?.[ref.field];
    case 'item': {
      if (!values.hasItem) return undefined;
      const item = values.item ?? null;
      if (ref.key === undefined) return itemText(item);
      if (item === null || typeof item !== 'object' || Array.isArray(item) || !Object.hasOwn(item, ref.key)) return undefined;
      return itemText(item[ref.key] ?? null);
    }
  }
}

/** How an item (or one of its fields) reads in text: strings as they are, anything else as JSON. */
export function itemText(v: JsonValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
