// A task's inputs from the run (data flow): its `when` condition and the references in its fields,
// resolved from the upstream tasks' outputs and the run's context. Pure; costs nothing for a task
// that uses neither (the common case: checked once per spec).
import { evaluateCondition, findReferences, substitute, type ConditionTask, type DagDefinition, type ReferenceValues, type ResolvedTask } from '@kontroler/core';
import type { RunContext } from './decide.js';
import type { ResolvedInputs, TaskState } from './state.js';
import { instanceName, isTerminalTask, lastAttempt } from './state.js';
import { isMapped, reduceOutput } from './map.js';

// The run's logical times (issue 18) belong to RunContext; they are declared here, by module
// augmentation, so that decide.ts (another change's hot path) stays as it is.
declare module './decide.js' {
  interface RunContext {
    /** The fire time the run stands for, RFC 3339 in the DAG's time zone (`{{run.logicalTime}}`); absent when it has none. */
    readonly logicalTime?: string;
    /** The schedule's fire time before it (`{{run.prevLogicalTime}}`). */
    readonly prevLogicalTime?: string;
  }
}

/** How the engine sees the run's tasks while deciding. */
export type TaskView = (name: string) => TaskState | undefined;

export type Preparation = { readonly kind: 'ready' } | { readonly kind: 'skip'; readonly reason: string } | { readonly kind: 'fail'; readonly reason: string };

const READY: Preparation = { kind: 'ready' };

/** Reason of a task skipped because its `when` condition is false. */
export const CONDITION_FALSE = 'ConditionFalse';

/** Does the spec use data flow inputs at all (cached per spec object). */
const usesInputs = new WeakMap<ResolvedTask, boolean>();

function hasInputs(spec: ResolvedTask): boolean {
  let u = usesInputs.get(spec);
  if (u === undefined) {
    u = spec.when !== undefined || spec.withParam !== undefined || textsOf(spec).some((x) => x.includes('{{'));
    usesInputs.set(spec, u);
  }
  return u;
}

function textsOf(spec: ResolvedTask): string[] {
  return [...spec.command, ...spec.args, ...(spec.script !== undefined ? [spec.script] : []), ...(spec.env ?? []).map((e) => e.value), ...(spec.approval ? [spec.approval.message] : []), ...(spec.dagRef?.parameters ?? []).map((p) => p.value)];
}

/**
 * The values of a succeeded task's outputs: its last attempt's; a mapped task's, per output the
 * JSON array of its instances' values in item order (null for an instance that has none).
 */
export function taskOutputs(t: TaskState | undefined, view: TaskView): Readonly<Record<string, string>> | undefined {
  if (t?.status !== 'succeeded') return undefined;
  if (t.instances === undefined) return lastAttempt(t)?.outputs ?? {};
  const out: Record<string, string> = {};
  for (const n of mapped(t, view).names) Object.defineProperty(out, n, { value: outputOf(t, n, view), enumerable: true });
  return out;
}

/** Output `name` of a succeeded task (undefined: it has none of that name). */
export function outputOf(t: TaskState | undefined, name: string, view: TaskView): string | undefined {
  if (t?.status !== 'succeeded') return undefined;
  if (t.instances === undefined) {
    const o = lastAttempt(t)?.outputs;
    return o && Object.hasOwn(o, name) ? o[name] : undefined;
  }
  // Validation made sure `name` is declared: an instance that did not write it reads null.
  const m = mapped(t, view);
  let v = m.arrays.get(name);
  if (v === undefined) {
    v = reduceOutput(m.values, name);
    m.arrays.set(name, v);
  }
  return v;
}

interface Reduced {
  /** Per instance, in item order: its outputs (undefined unless it succeeded). */
  readonly values: readonly (Readonly<Record<string, string>> | undefined)[];
  readonly names: ReadonlySet<string>;
  readonly arrays: Map<string, string>;
}

/** A finished mapped task's instances' outputs, gathered once per task state: O(instances). */
const reducedOf = new WeakMap<TaskState, Reduced>();

function mapped(t: TaskState, view: TaskView): Reduced {
  const cached = reducedOf.get(t);
  if (cached) return cached;
  const values: (Readonly<Record<string, string>> | undefined)[] = [];
  const names = new Set<string>();
  for (let k = 0; k < (t.instances ?? 0); k++) {
    const inst = view(instanceName(t.name, k));
    const o = inst?.status === 'succeeded' ? lastAttempt(inst)?.outputs : undefined;
    values.push(o);
    if (o) for (const n of Object.keys(o)) names.add(n);
  }
  const r: Reduced = { values, names, arrays: new Map() };
  if (isTerminalTask(t.status)) reducedOf.set(t, r);
  return r;
}

function referenceValues(view: TaskView, ctx: RunContext | undefined, t?: TaskState): ReferenceValues {
  return {
    ...(ctx
      ? {
          params: ctx.params,
          run: {
            id: ctx.runId,
            name: ctx.runName,
            ...(ctx.logicalTime !== undefined ? { logicalTime: ctx.logicalTime } : {}),
            ...(ctx.prevLogicalTime !== undefined ? { prevLogicalTime: ctx.prevLogicalTime } : {}),
          },
        }
      : {}),
    ...(t?.mapOf !== undefined ? { hasItem: true, item: t.item ?? null } : {}),
    output: (task, output) => outputOf(view(task), output, view),
  };
}

function usesItem(text: string): boolean {
  return findReferences(text).some((m) => m.ref?.kind === 'item');
}

/** Why a reference has no value, for the task's failure reason. */
function unresolvedReason(text: string, view: TaskView, ctx: RunContext | undefined): string {
  const ref = findReferences(text)[0]?.ref;
  let why = 'no value';
  if (ref?.kind === 'output') {
    const t = view(ref.task);
    why = !t ? `no value (no task ${ref.task})` : t.status !== 'succeeded' ? `no value (task ${ref.task} is ${t.status})` : `no value (task ${ref.task} did not write it)`;
  } else if (ref?.kind === 'param') {
    why = 'no value (the run has no such parameter)';
  } else if (ref?.kind === 'run' && !ctx) {
    why = 'no value (no run context)';
  } else if (ref?.kind === 'run' && (ref.field === 'logicalTime' || ref.field === 'prevLogicalTime')) {
    why = ref.field === 'logicalTime'
      ? 'no value (the run has no logical time: only scheduled and backfilled runs, or runs started with one, have it)'
      : 'no value (the run has no previous logical time: it has no logical time, or its schedule fired never before it)';
  } else if (ref?.kind === 'item') {
    why = 'no value ({{item}} exists only in a mapped task)';
  }
  return `UnresolvedReference: ${text} has ${why}`;
}

interface Substituted {
  readonly text: string;
  /** The first reference without a value (secret parameters excepted: the controller fills those). */
  readonly missing?: string;
}

function subst(text: string, values: ReferenceValues, ctx: RunContext | undefined): Substituted {
  const s = substitute(text, values);
  const secret = ctx?.secretParams;
  const missing = s.unresolved.find((m) => !(m.ref?.kind === 'param' && secret?.includes(m.ref.name)));
  return missing ? { text: s.text, missing: missing.text } : { text: s.text };
}

/** The CEL variables of a condition: the tasks its expression names (`tasks.NAME`, `tasks["NAME"]`). */
function conditionTasks(expr: string, view: TaskView): Record<string, ConditionTask> {
  const out: Record<string, ConditionTask> = {};
  for (const m of expr.matchAll(/\btasks\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*["']([^"']+)["']\s*\])/g)) {
    const name = m[1] ?? m[2];
    if (name === undefined || Object.hasOwn(out, name)) continue;
    const t = view(name);
    if (!t) continue;
    const a = lastAttempt(t);
    Object.defineProperty(out, name, {
      value: { status: t.status, ...(a?.exitCode !== undefined ? { exitCode: a.exitCode } : {}), outputs: taskOutputs(t, view) ?? {} },
      enumerable: true,
    });
  }
  return out;
}

/**
 * Whether a task whose trigger rule is met may start: its `when` is true and every reference in its
 * fields has a value. O(1) for a task without either. `t` is the task: for a mapped task (before it
 * expands) its `when` counts unless it uses `{{item}}`, and its `withParam` must resolve; for one of
 * its instances, a `when` that uses `{{item}}` and every field.
 */
export function prepare(spec: ResolvedTask, view: TaskView, ctx: RunContext | undefined, t?: TaskState): Preparation {
  if (!hasInputs(spec)) return READY;
  const instance = t?.mapOf !== undefined;
  const mapped = isMapped(spec);
  const values = referenceValues(view, ctx, t);
  if (spec.when !== undefined && (!mapped || usesItem(spec.when) === instance)) {
    const w = subst(spec.when, values, ctx);
    if (w.missing) return { kind: 'fail', reason: unresolvedReason(w.missing, view, ctx) };
    const r = evaluateCondition(w.text, { params: ctx?.params ?? {}, tasks: conditionTasks(w.text, view) });
    if (!r.ok) return { kind: 'fail', reason: `ConditionError: ${r.message}` };
    if (!r.value) return { kind: 'skip', reason: CONDITION_FALSE };
  }
  if (mapped && !instance) {
    const s = spec.withParam !== undefined ? subst(spec.withParam, values, ctx) : undefined;
    return s?.missing ? { kind: 'fail', reason: unresolvedReason(s.missing, view, ctx) } : READY;
  }
  for (const text of textsOf(spec)) {
    const s = subst(text, values, ctx);
    if (s.missing) return { kind: 'fail', reason: unresolvedReason(s.missing, view, ctx) };
  }
  return READY;
}

/** A mapped task's `withParam` with its references substituted (it resolved: `prepare` said ready). */
export function withParamText(spec: ResolvedTask, view: TaskView, ctx: RunContext | undefined): string {
  return subst(spec.withParam ?? '', referenceValues(view, ctx), ctx).text;
}

/** What the attempt about to be created resolves its fields to (only fields that had references). */
export function resolveInputs(spec: ResolvedTask, view: TaskView, ctx: RunContext | undefined, t?: TaskState): ResolvedInputs | undefined {
  if (!hasInputs(spec)) return undefined;
  const values = referenceValues(view, ctx, t);
  const one = (x: string) => subst(x, values, ctx).text;
  const out: { command?: string[]; args?: string[]; script?: string; env?: Record<string, string>; message?: string; parameters?: Record<string, string> } = {};
  if (spec.approval?.message.includes('{{')) out.message = one(spec.approval.message);
  const refParams = spec.dagRef?.parameters.filter((p) => p.value.includes('{{'));
  if (refParams && refParams.length > 0) {
    const params: Record<string, string> = {};
    for (const p of refParams) Object.defineProperty(params, p.name, { value: one(p.value), enumerable: true, writable: true });
    out.parameters = params;
  }
  if (spec.command.some((x) => x.includes('{{'))) out.command = spec.command.map(one);
  if (spec.args.some((x) => x.includes('{{'))) out.args = spec.args.map(one);
  if (spec.script?.includes('{{')) out.script = one(spec.script);
  const env = spec.env?.filter((e) => e.value.includes('{{'));
  if (env && env.length > 0) {
    const e: Record<string, string> = {};
    for (const v of env) Object.defineProperty(e, v.name, { value: one(v.value), enumerable: true, writable: true });
    out.env = e;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The run's declared outputs once it succeeded (a value that does not resolve is left out). */
export function runOutputs(def: DagDefinition, view: TaskView, ctx: RunContext | undefined): Readonly<Record<string, string>> | undefined {
  if (!def.outputs || def.outputs.length === 0) return undefined;
  const values = referenceValues(view, ctx);
  const out: Record<string, string> = {};
  for (const o of def.outputs) {
    const s = subst(o.value, values, ctx);
    if (!s.missing) Object.defineProperty(out, o.name, { value: s.text, enumerable: true, writable: true });
  }
  return out;
}
