// The editor's data-flow operations (issue 14): what kind a task is (command/script, sub-DAG,
// approval) and switching between them, map mode (withItems / withParam), list rows (outputs,
// env, dagRef parameters, approval inputs, DAG outputs), and which validator problems belong to
// which form field. Pure: every function returns new values and leaves its inputs alone. Rules
// are not repeated here: the form shows what core's validator (`validateDoc`) says.
import type { ApprovalSpec, DagRefSpec, JsonValue, TaskSpec } from '@kontroler/core';
import { parse as parseYaml } from 'yaml';

export type TaskPatch = Partial<Omit<TaskSpec, 'name' | 'runAfter'>>;

/** What a task does: runs a container (command or script), a child run of a DAG, or waits for a person. */
export type TaskKind = 'run' | 'dagRef' | 'approval';

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The task's kind; a task with both approval and dagRef (a validation error) counts as approval. */
export function taskKindOf(t: TaskSpec): TaskKind {
  if (isObject(t.approval)) return 'approval';
  if (isObject(t.dagRef)) return 'dagRef';
  return 'run';
}

/** The container fields a task of another kind must not have (core's `runsNoContainer`). */
export type RunStash = Pick<TaskSpec, 'image' | 'command' | 'args' | 'script'>;

const DEFAULT_RUN: RunStash = { image: 'alpine:3.20', script: 'echo hello' };

/**
 * The patch that makes `t` a task of kind `to` (for `updateTask`). Leaving the run kind removes
 * image, command, args and script and returns them as `stash`; coming back restores the stash
 * (or a default script). The other kind's own field is removed; every other field is kept.
 */
export function switchKind(t: TaskSpec, to: TaskKind, stash?: RunStash): { patch: TaskPatch; stash?: RunStash } {
  const from = taskKindOf(t);
  if (from === to) return { patch: {}, ...(stash ? { stash } : {}) };
  const noRun: TaskPatch = { image: undefined, command: undefined, args: undefined, script: undefined };
  const kept: RunStash | undefined = from === 'run' ? pickRun(t) : stash;
  if (to === 'run') return { patch: { dagRef: undefined, approval: undefined, ...(stash ?? DEFAULT_RUN) } };
  if (to === 'dagRef') return { patch: { ...noRun, approval: undefined, dagRef: t.dagRef ?? { name: '' } }, ...(kept ? { stash: kept } : {}) };
  return { patch: { ...noRun, dagRef: undefined, approval: t.approval ?? {} }, ...(kept ? { stash: kept } : {}) };
}

function pickRun(t: TaskSpec): RunStash {
  const out: RunStash = {};
  if (t.image !== undefined) out.image = t.image;
  if (t.command !== undefined) out.command = t.command;
  if (t.args !== undefined) out.args = t.args;
  if (t.script !== undefined) out.script = t.script;
  return out;
}

/**
 * `o` with `patch` applied; a key set to undefined, '' or [] is removed (the YAML stays minimal),
 * keys the patch does not name are kept as they are.
 */
export function patched<T extends object>(o: T | undefined, patch: Partial<T>): T {
  const next: Record<string, unknown> = { ...o };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) delete next[k];
    else next[k] = v;
  }
  return next as T;
}

/** The approval with `patch` applied (empty message, inputs or timeout removed). */
export function withApproval(a: ApprovalSpec | undefined, patch: Partial<ApprovalSpec>): ApprovalSpec {
  return patched(a, patch);
}

/** The dagRef with `patch` applied (an empty parameter list removed; the name always kept). */
export function withDagRef(d: DagRefSpec | undefined, patch: Partial<DagRefSpec>): DagRefSpec {
  const next = patched(d, patch);
  return { ...next, name: next.name ?? '' };
}

/** How a task fans out: not at all, over an inline list, or over a JSON array given by a reference. */
export type MapMode = 'none' | 'items' | 'param';

export function mapModeOf(t: TaskSpec): MapMode {
  if (t.withItems !== undefined) return 'items';
  if (t.withParam !== undefined) return 'param';
  return 'none';
}

/** The patch for a new map mode: withItems and withParam exclude each other; no map, no maxParallel. */
export function switchMap(t: TaskSpec, to: MapMode): TaskPatch {
  if (to === 'none') return { withItems: undefined, withParam: undefined, maxParallel: undefined };
  if (to === 'items') return { withParam: undefined, withItems: t.withItems };
  return { withItems: undefined, withParam: t.withParam };
}

/**
 * The text of the withItems field → the items: a JSON array (or YAML flow list such as `[a, 2]`);
 * empty text is no items. Anything else is an error saying what was expected.
 */
export function parseItems(text: string): { items: JsonValue[]; error?: string } {
  if (text.trim() === '') return { items: [] };
  let v: unknown;
  try {
    v = parseYaml(text);
  } catch (e) {
    return { items: [], error: `not a list: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}` };
  }
  if (!Array.isArray(v)) return { items: [], error: `a list of items is written in brackets, e.g. ["a", "b"] or [1, 2] (got ${v === null ? 'null' : typeof v})` };
  return { items: v as JsonValue[] };
}

export function itemsToText(items: readonly JsonValue[] | undefined): string {
  return items === undefined ? '' : JSON.stringify(items);
}

/** Row `i` with `key` set to `value` (other keys of the row kept); '' removes an optional key. */
export function editRow<T extends object>(list: readonly T[], i: number, key: string, value: string, optional = false): T[] {
  return list.map((row, j) => {
    if (j !== i) return row;
    const next = { ...row } as Record<string, unknown>;
    if (value === '' && optional) delete next[key];
    else next[key] = value;
    return next as T;
  });
}

export function removeRow<T>(list: readonly T[], i: number): T[] {
  return list.filter((_, j) => j !== i);
}

/** `base-1`, `base-2`, …: the first one not in `taken` (a new row's default name). */
export function freeName(taken: Iterable<string>, base: string, sep = '-'): string {
  const used = new Set(taken);
  for (let i = 1; ; i++) if (!used.has(`${base}${sep}${i}`)) return `${base}${sep}${i}`;
}

/** A validator problem located relative to where the form shows it (`outputs[0].name`, `spec.outputs[1].value`). */
export interface Located {
  at: string;
  message: string;
}

/** True when `path` is `prefix` or inside it (`outputs[0]` is inside `outputs`; `outputsX` is not). */
export function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/** The problems at `prefix` or inside it. */
export function problemsAt<P extends Located>(problems: readonly P[], prefix: string): P[] {
  return problems.filter((p) => isUnder(p.at, prefix));
}

/**
 * The problems no shown field claims: `claimed` are the prefixes the form shows problems for
 * ('' is the task itself, exactly). The form lists these apart, so none is hidden.
 */
export function unclaimed<P extends Located>(problems: readonly P[], claimed: readonly string[]): P[] {
  return problems.filter((p) => !claimed.some((c) => (c === '' ? p.at === '' : isUnder(p.at, c))));
}

/** The task-relative prefixes the task form shows, for a task of `kind`. */
export function shownTaskFields(kind: TaskKind): string[] {
  const common = ['', 'name', 'runAfter', 'parameters', 'backoff', 'retry', 'timeoutSeconds', 'conditional', 'triggerRule', 'outputs', 'when', 'env', 'withItems', 'withParam', 'maxParallel'];
  if (kind === 'run') return [...common, 'image', 'command', 'args', 'script', 'podTemplate'];
  return [...common, kind];
}

/** The second line of a task's node in the editor: its image, `↳ DAG` for a sub-DAG, `approval`; `[×N]` when it maps. */
export function taskDetail(t: TaskSpec): string {
  const kind = taskKindOf(t);
  const what = kind === 'approval' ? 'approval' : kind === 'dagRef' ? `↳ ${t.dagRef?.name || '(no DAG)'}` : (t.image ?? '');
  const map = Array.isArray(t.withItems) ? ` [×${t.withItems.length}]` : t.withParam !== undefined ? ' [×N]' : '';
  return `${what}${map}`;
}
