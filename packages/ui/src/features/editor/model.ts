// The visual editor's document: a DAG resource edited as plain data. Every operation returns a
// new document (the old one is left alone, so undo is keeping the old one). The YAML view is
// `dagToYaml(doc)`; typing YAML gives a document back through `dagFromYaml`, and both directions
// go through the same validator the server uses (`loadValidatedResources` from @kontroler/core).
import { API_VERSION, loadValidatedResources, parseResources, type DagResource, type FieldError, type TaskSpec } from '@kontroler/core';
import { stringify } from 'yaml';
import { cycleThrough, type GraphEdge } from '../graph/model.js';

export type DagDoc = DagResource;

export function emptyDag(name = 'new-dag', namespace = 'default'): DagDoc {
  return { apiVersion: API_VERSION, kind: 'DAG', metadata: { name, namespace }, spec: { task: [] } };
}

/** A resource as the server returns it (`GET …/dags/{name}` spec) → an editor document. */
export function docFromSpec(namespace: string, name: string, spec: Record<string, unknown>, labels?: Record<string, string>): DagDoc {
  const copy = JSON.parse(JSON.stringify(spec)) as DagDoc["spec"];
  return {
    apiVersion: API_VERSION,
    kind: 'DAG',
    metadata: { name, namespace, ...(labels && Object.keys(labels).length > 0 ? { labels: { ...labels } } : {}) },
    spec: { ...copy, task: copy.task ?? [] },
  };
}

export function tasksOf(doc: DagDoc): TaskSpec[] {
  return doc.spec.task ?? [];
}

export function edgesOf(doc: DagDoc): GraphEdge[] {
  const names = new Set(tasksOf(doc).map((t) => t.name));
  return tasksOf(doc).flatMap((t) => (t.runAfter ?? []).filter((s) => names.has(s)).map((source) => ({ source, target: t.name })));
}

function withTasks(doc: DagDoc, task: TaskSpec[]): DagDoc {
  return { ...doc, spec: { ...doc.spec, task } };
}

/** `task-1`, `task-2`, … : the first name not taken. */
export function freeTaskName(doc: DagDoc, base = 'task'): string {
  const taken = new Set(tasksOf(doc).map((t) => t.name));
  for (let i = 1; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

/** Adds a task (a runnable default unless `partial` says otherwise); returns its name. */
export function addTask(doc: DagDoc, partial: Partial<TaskSpec> = {}): { doc: DagDoc; name: string } {
  const name = partial.name && !tasksOf(doc).some((t) => t.name === partial.name) ? partial.name : freeTaskName(doc);
  const task: TaskSpec = { image: 'alpine:3.20', script: 'echo hello', ...partial, name };
  return { doc: withTasks(doc, [...tasksOf(doc), task]), name };
}

/** Removes a task and every dependency on it. */
export function removeTask(doc: DagDoc, name: string): DagDoc {
  return withTasks(
    doc,
    tasksOf(doc)
      .filter((t) => t.name !== name)
      .map((t) => (t.runAfter?.includes(name) ? setRunAfter(t, t.runAfter.filter((r) => r !== name)) : t)),
  );
}

function setRunAfter(t: TaskSpec, runAfter: string[]): TaskSpec {
  const { runAfter: _old, ...rest } = t;
  return runAfter.length > 0 ? { ...rest, runAfter } : rest;
}

/** Renames a task and every `runAfter` that names it. Refuses a name already taken. */
export function renameTask(doc: DagDoc, from: string, to: string): { doc: DagDoc; error?: string } {
  if (from === to) return { doc };
  if (tasksOf(doc).some((t) => t.name === to)) return { doc, error: `a task named "${to}" already exists` };
  return {
    doc: withTasks(
      doc,
      tasksOf(doc).map((t) => {
        const renamed = t.name === from ? { ...t, name: to } : t;
        return renamed.runAfter?.includes(from) ? setRunAfter(renamed, renamed.runAfter.map((r) => (r === from ? to : r))) : renamed;
      }),
    ),
  };
}

/**
 * Sets fields of a task; a field set to `undefined` (or an empty list / empty string) is removed
 * from the spec, so the YAML stays minimal. `name` and `runAfter` have their own operations.
 */
export function updateTask(doc: DagDoc, name: string, patch: Partial<Omit<TaskSpec, 'name' | 'runAfter'>>): DagDoc {
  return withTasks(
    doc,
    tasksOf(doc).map((t) => {
      if (t.name !== name) return t;
      const next: Record<string, unknown> = { ...t };
      for (const [k, v] of Object.entries(patch)) {
        if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) delete next[k];
        else next[k] = v;
      }
      return next as unknown as TaskSpec;
    }),
  );
}

export type ConnectResult =
  | { ok: true; doc: DagDoc }
  | { ok: false; reason: 'self' | 'duplicate' | 'cycle' | 'unknown'; message: string; cycle?: string[] };

/**
 * Adds the dependency "`target` runs after `source`". Refused (the document is unchanged) when
 * it would close a cycle (the cycle is named), joins a task to itself, already exists, or names
 * an unknown task.
 */
export function connect(doc: DagDoc, source: string, target: string): ConnectResult {
  const tasks = tasksOf(doc);
  if (!tasks.some((t) => t.name === source) || !tasks.some((t) => t.name === target)) return { ok: false, reason: 'unknown', message: 'both ends must be tasks of this DAG' };
  if (source === target) return { ok: false, reason: 'self', message: `a task cannot run after itself` };
  const t = tasks.find((x) => x.name === target)!;
  if (t.runAfter?.includes(source)) return { ok: false, reason: 'duplicate', message: `${target} already runs after ${source}` };
  const cycle = cycleThrough(edgesOf(doc), source, target);
  if (cycle) return { ok: false, reason: 'cycle', cycle, message: `that would make a cycle: ${cycle.join(' → ')}` };
  return { ok: true, doc: withTasks(doc, tasks.map((x) => (x.name === target ? setRunAfter(x, [...(x.runAfter ?? []), source]) : x))) };
}

export function disconnect(doc: DagDoc, source: string, target: string): DagDoc {
  return withTasks(doc, tasksOf(doc).map((t) => (t.name === target && t.runAfter?.includes(source) ? setRunAfter(t, t.runAfter.filter((r) => r !== source)) : t)));
}

const TASK_KEY_ORDER = [
  'name', 'image', 'runAfter', 'when', 'withItems', 'withParam', 'maxParallel', 'command', 'args', 'script', 'scriptInjectorImage', 'dagRef', 'approval',
  'parameters', 'env', 'outputs', 'backoff', 'conditional', 'retry', 'timeoutSeconds', 'triggerRule', 'taskRef', 'podTemplate',
];
const SPEC_KEY_ORDER = ['schedule', 'timezone', 'suspended', 'concurrencyPolicy', 'catchUp', 'parameters', 'webhook', 'workspace', 'dsl', 'task', 'outputs'];

function ordered<T extends object>(o: T, order: string[]): T {
  const out: Record<string, unknown> = {};
  for (const k of order) if ((o as Record<string, unknown>)[k] !== undefined) out[k] = (o as Record<string, unknown>)[k];
  for (const [k, v] of Object.entries(o)) if (!(k in out) && v !== undefined) out[k] = v;
  return out as T;
}

/** The document as Kontroler YAML (stable key order: the diff between versions stays small). */
export function dagToYaml(doc: DagDoc): string {
  const metadata = ordered(doc.metadata, ['name', 'namespace', 'labels', 'annotations']);
  const spec = ordered({ ...doc.spec, task: tasksOf(doc).map((t) => ordered(t, TASK_KEY_ORDER)) }, SPEC_KEY_ORDER);
  // YAML 1.1, as core reads it: a string such as `n`, `yes` or `on` is quoted (1.1 reads it as a boolean).
  return stringify({ apiVersion: doc.apiVersion, kind: 'DAG', metadata, spec }, { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
}

export interface YamlParse {
  /** The DAG in the text, when it holds exactly one DAG (even with field errors). */
  doc?: DagDoc;
  /** Structural and validation errors, with line and column. */
  errors: FieldError[];
}

/** YAML text → document and every problem (the server's own checks, located in the text). */
export function dagFromYaml(text: string): YamlParse {
  const checked = loadValidatedResources(text, { source: 'editor' });
  const parsed = parseResources(text, 'editor');
  const dags = parsed.documents.filter((d) => d.resource?.kind === 'DAG');
  if (parsed.documents.length !== 1 || dags.length !== 1) {
    const errors = checked.errors.length > 0 ? checked.errors : [{ path: '<root>', message: 'the editor holds exactly one DAG resource (kind: DAG)' }];
    return { errors };
  }
  const res = dags[0]!.resource as DagDoc;
  const doc: DagDoc = { ...res, metadata: { ...res.metadata }, spec: { ...res.spec, task: (res.spec.task ?? []).filter((t) => t && typeof t.name === 'string') } };
  return { doc, errors: checked.errors };
}

/** Every problem of the document, exactly as the server would report them. */
export function validateDoc(doc: DagDoc): FieldError[] {
  return loadValidatedResources(dagToYaml(doc), { source: 'editor' }).errors;
}

export interface TaskProblem {
  /** The form field: `image`, `command`, `runAfter`, `backoff`, `podTemplate`, `outputs`, … */
  field: string;
  /** The path inside the task (`outputs[0].name`, `approval.timeoutSeconds`; '' for the task itself). */
  at: string;
  message: string;
  path: string;
}

/**
 * Sorts errors by where the editor shows them: a task's node and form field
 * (`spec.task[2].image` → task 2, field `image`; `spec.task[2].outputs[0].name` → field `outputs`
 * at `outputs[0].name`), or the DAG's own settings.
 */
export function problemsByTask(doc: DagDoc, errors: readonly FieldError[]): { byTask: Map<string, TaskProblem[]>; general: FieldError[] } {
  const byTask = new Map<string, TaskProblem[]>();
  const general: FieldError[] = [];
  const tasks = tasksOf(doc);
  for (const e of errors) {
    const m = /^spec\.task\[(\d+)\](?:[.[](.*))?$/.exec(e.path);
    const task = m ? tasks[Number(m[1])] : undefined;
    if (!m || !task) {
      general.push(e);
      continue;
    }
    const rest = m[2] ?? '';
    const field = rest === '' ? 'name' : (/^[A-Za-z]+/.exec(rest)?.[0] ?? 'name');
    const at = e.path.slice(`spec.task[${m[1]}]`.length).replace(/^\./, '');
    const list = byTask.get(task.name) ?? [];
    list.push({ field, at, message: e.message, path: e.path });
    byTask.set(task.name, list);
  }
  return { byTask, general };
}

/** One argument per line (blank lines dropped) ⇄ a list: how the form edits command and args. */
export function linesToList(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
}

export function listToLines(list: readonly string[] | undefined): string {
  return (list ?? []).join('\n');
}

/** `1, 2 130` → [1, 2, 130]; an entry that is not a whole number is an error. */
export function parseCodes(text: string): { codes: number[]; error?: string } {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const codes: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return { codes, error: `"${p}" is not an exit code (0–255)` };
    codes.push(Number(p));
  }
  return { codes };
}
