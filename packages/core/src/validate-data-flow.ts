// Meaning checks of the data-flow fields (issue 14): outputs, env, when, withItems / withParam,
// maxParallel, dagRef, approval, DAG outputs, and the references (`{{...}}`) in every field that
// may hold them. Reads defensively: wrongly typed values were reported by the shape check.
// Linear in tasks + edges + text, except that "is upstream" walks the ancestors of a referring
// task until it has found every task it refers to (stopping early; see `Ancestry`).

import { checkCondition } from './condition.js';
import { DATA_FLOW_LIMITS } from './data-flow-limits.js';
import { checkParameterName, checkReservedName, checkResourceName } from './names.js';
import { findReferences } from './references.js';
import type { Report } from './report.js';
import { APPROVAL_TIMEOUT_ACTIONS } from './spec.js';
import { isRecord, nonEmptyString } from './validate-task.js';

/** Longest output / approval input name (a Kubernetes-label-like bound; file names stay short). */
export const MAX_OUTPUT_NAME_CHARS = 63;
/** Longest approval timeout: 30 days. */
export const MAX_APPROVAL_TIMEOUT_SECONDS = 2_592_000;
/** Outputs every approval task has besides its declared inputs. */
export const APPROVAL_OUTPUTS = ['approvedBy', 'comment'] as const;

const OUTPUT_NAME = /^[A-Za-z0-9_-]+$/;
const CEL_TASK = /\btasks\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*"([^"\\]*)"\s*\]|\[\s*'([^'\\]*)'\s*\])/g;

/** Why `name` is not a valid output (or approval input) name, or undefined. */
export function checkOutputName(name: string): string | undefined {
  if (name === '') return 'required';
  if (name.length > MAX_OUTPUT_NAME_CHARS) return `must be at most ${MAX_OUTPUT_NAME_CHARS} characters (got ${name.length})`;
  if (!OUTPUT_NAME.test(name)) return `${JSON.stringify(name)} may contain only letters, digits, "_" and "-" (it is a file name under $KONTROLER_OUTPUTS)`;
  return checkReservedName(name);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/**
 * Checks a list of named items (`outputs`, `env`, `dagRef.parameters`, DAG `outputs`): each name
 * valid per `check` and unique, at most `max` items. Returns the valid names.
 */
function checkNamedList(
  list: unknown,
  path: string,
  what: string,
  max: number,
  maxName: string,
  check: (name: string) => string | undefined,
  report: Report,
): Set<string> {
  const names = new Set<string>();
  if (!Array.isArray(list)) return names;
  if (list.length > max) report.add(path, `too many ${what}s: ${list.length}, the limit is ${max} (${maxName})`);
  const firstAt = new Map<string, number>();
  list.forEach((item: unknown, i) => {
    const name = typeof item === 'string' ? item : isRecord(item) ? item['name'] : undefined;
    const at = typeof item === 'string' ? `${path}[${i}]` : `${path}[${i}].name`;
    if (typeof name !== 'string') {
      if (!present(name)) report.add(at, 'required');
      return;
    }
    const bad = check(name);
    if (bad !== undefined) report.add(at, bad);
    else if (firstAt.has(name)) report.add(at, `duplicate ${what} ${JSON.stringify(name)} (also ${path}[${firstAt.get(name)}])`);
    else {
      firstAt.set(name, i);
      names.add(name);
    }
    if (isRecord(item) && 'value' in item === false && what !== 'output') report.add(`${path}[${i}].value`, 'required');
  });
  return names;
}

/** The names of the outputs a task body declares (approval: approvedBy, comment and its inputs). */
export function declaredOutputs(body: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  const outputs = body['outputs'];
  if (Array.isArray(outputs)) for (const o of outputs) if (isRecord(o) && typeof o['name'] === 'string') out.add(o['name']);
  const approval = body['approval'];
  if (isRecord(approval)) {
    for (const n of APPROVAL_OUTPUTS) out.add(n);
    const inputs = approval['inputs'];
    if (Array.isArray(inputs)) for (const n of inputs) if (typeof n === 'string') out.add(n);
  }
  return out;
}

/**
 * Checks the body's data-flow fields (inline task or DagTask): outputs, env, dagRef and approval,
 * and that dagRef / approval tasks have no image, command, args or script. `dagName` is the DAG
 * being validated (a dagRef to itself is a static cycle); undefined for a DagTask.
 */
export function checkDataFlowBody(body: Record<string, unknown>, path: string, report: Report, dagName: string | undefined): void {
  const L = DATA_FLOW_LIMITS;
  checkNamedList(body['outputs'], `${path}.outputs`, 'output', L.maxOutputsPerTask, 'DATA_FLOW_LIMITS.maxOutputsPerTask', checkOutputName, report);
  checkNamedList(body['env'], `${path}.env`, 'environment variable', L.maxEnvVars, 'DATA_FLOW_LIMITS.maxEnvVars', checkParameterName, report);
  const dagRef = body['dagRef'];
  const approval = body['approval'];
  if (isRecord(dagRef)) {
    const name = dagRef['name'];
    if (!nonEmptyString(name)) {
      if (!present(name) || typeof name === 'string') report.add(`${path}.dagRef.name`, 'required: the name of the DAG to run as a child run');
    } else {
      const bad = checkResourceName(name);
      if (bad !== undefined) report.add(`${path}.dagRef.name`, bad);
      else if (name === dagName) report.add(`${path}.dagRef.name`, `a task cannot run its own DAG ${JSON.stringify(name)} as a child run (a cycle)`);
    }
    checkNamedList(dagRef['parameters'], `${path}.dagRef.parameters`, 'parameter', Number.MAX_SAFE_INTEGER, '', checkParameterName, report);
    refuseRunFields(body, path, 'dagRef', report);
  }
  if (isRecord(approval)) {
    if (isRecord(dagRef)) report.add(`${path}.dagRef`, 'a task has either approval or dagRef, not both');
    refuseRunFields(body, path, 'approval', report);
    const t = approval['timeoutSeconds'];
    if (isInt(t) && (t < 1 || t > MAX_APPROVAL_TIMEOUT_SECONDS)) {
      report.add(`${path}.approval.timeoutSeconds`, `must be between 1 and ${MAX_APPROVAL_TIMEOUT_SECONDS} seconds (30 days; got ${t})`);
    }
    const on = approval['onTimeout'];
    if (typeof on === 'string' && !(APPROVAL_TIMEOUT_ACTIONS as readonly string[]).includes(on)) {
      report.add(`${path}.approval.onTimeout`, `must be one of ${APPROVAL_TIMEOUT_ACTIONS.join(', ')} (got ${JSON.stringify(on)})`);
    }
    const inputName = (n: string): string | undefined =>
      checkOutputName(n) ?? ((APPROVAL_OUTPUTS as readonly string[]).includes(n) ? `${JSON.stringify(n)} is an output every approval has; pick another name` : undefined);
    checkNamedList(approval['inputs'], `${path}.approval.inputs`, 'input', L.maxApprovalInputs, 'DATA_FLOW_LIMITS.maxApprovalInputs', inputName, report);
  }
}

function refuseRunFields(body: Record<string, unknown>, path: string, kind: string, report: Report): void {
  for (const f of ['image', 'command', 'args', 'script']) {
    const v = body[f];
    if (!present(v) || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    report.add(`${path}.${f}`, `a task with ${kind} runs no container: remove ${f}`);
  }
}

/** True when the body runs no container (dagRef or approval), so image / command are not required. */
export function runsNoContainer(body: Record<string, unknown>): boolean {
  return isRecord(body['dagRef']) || isRecord(body['approval']);
}

/** What the reference checks know about one task of the DAG. */
export interface FlowTask {
  readonly index: number;
  readonly name: string;
  readonly runAfter: readonly string[];
  /** The outputs the task declares; undefined = not known (a taskRef without a lookup). */
  readonly outputs: ReadonlySet<string> | undefined;
}

/** The DAG-level facts the reference checks need. */
export interface FlowDag {
  readonly params: ReadonlySet<string>;
  /** First task of each name. */
  readonly tasks: ReadonlyMap<string, FlowTask>;
}

/**
 * Answers "is U upstream of T" by walking T's ancestors breadth-first, once per referring task,
 * stopping as soon as every task it refers to was found.
 */
function upstreamOf(dag: FlowDag, task: FlowTask, wanted: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  if (wanted.size === 0) return found;
  const seen = new Set<string>([task.name]);
  const queue: string[] = [...task.runAfter];
  for (let i = 0; i < queue.length && found.size < wanted.size; i++) {
    const n = queue[i] as string;
    if (seen.has(n)) continue;
    seen.add(n);
    if (wanted.has(n)) found.add(n);
    const t = dag.tasks.get(n);
    if (t !== undefined) for (const d of t.runAfter) if (!seen.has(d)) queue.push(d);
  }
  return found;
}

/** A field that may hold references: its path and text. */
interface RefField {
  readonly path: string;
  readonly text: string;
}

/** The reference-bearing fields of a task body (command, args, script, env values, dagRef parameters, approval message). */
export function bodyRefFields(body: Record<string, unknown>, path: string): RefField[] {
  const out: RefField[] = [];
  const push = (p: string, v: unknown): void => {
    if (typeof v === 'string' && v.includes('{{')) out.push({ path: p, text: v });
  };
  for (const f of ['command', 'args']) {
    const list = body[f];
    if (Array.isArray(list)) list.forEach((v: unknown, i) => push(`${path}.${f}[${i}]`, v));
  }
  push(`${path}.script`, body['script']);
  const env = body['env'];
  if (Array.isArray(env)) env.forEach((e: unknown, i) => isRecord(e) && push(`${path}.env[${i}].value`, e['value']));
  const dagRef = body['dagRef'];
  const params = isRecord(dagRef) ? dagRef['parameters'] : undefined;
  if (Array.isArray(params)) params.forEach((p: unknown, i) => isRecord(p) && push(`${path}.dagRef.parameters[${i}].value`, p['value']));
  const approval = body['approval'];
  if (isRecord(approval)) push(`${path}.approval.message`, approval['message']);
  return out;
}

/**
 * Checks an inline DAG task's own data-flow fields (`when`, withItems / withParam, maxParallel)
 * and every reference of the task: in `fields` (its body's, see `bodyRefFields`; for a taskRef
 * task the DagTask's, reported at `refPath` instead of their own path) and in when / withParam.
 */
export function checkTaskFlow(
  t: Record<string, unknown>,
  task: FlowTask | undefined,
  path: string,
  fields: readonly RefField[],
  dag: FlowDag,
  report: Report,
): void {
  const L = DATA_FLOW_LIMITS;
  const withItems = t['withItems'];
  const withParam = t['withParam'];
  const mapped = Array.isArray(withItems) || typeof withParam === 'string';
  if (Array.isArray(withItems)) {
    if (typeof withParam === 'string') report.add(`${path}.withParam`, 'set withItems or withParam, not both');
    if (withItems.length > L.maxInlineItems) {
      report.add(`${path}.withItems`, `too many items: ${withItems.length}, the limit is ${L.maxInlineItems} inline (DATA_FLOW_LIMITS.maxInlineItems); compute them in a task and use withParam`);
    }
  }
  const all: RefField[] = [...fields];
  if (typeof withParam === 'string') {
    if (!findReferences(withParam).some((m) => m.ref !== undefined)) {
      report.add(`${path}.withParam`, 'must contain a reference such as {{tasks.list.outputs.items}} (for a fixed list, use withItems)');
    }
    all.push({ path: `${path}.withParam`, text: withParam });
  }
  const maxParallel = t['maxParallel'];
  if (isInt(maxParallel)) {
    if (maxParallel < 1) report.add(`${path}.maxParallel`, `must be 1 or more (got ${maxParallel})`);
    else if (!mapped) report.add(`${path}.maxParallel`, 'only a mapped task (withItems or withParam) has maxParallel');
  }
  const when = t['when'];
  const celTasks: Array<{ name: string }> = [];
  if (typeof when === 'string') {
    if (when.length > L.maxConditionChars) {
      report.add(`${path}.when`, `is ${when.length} characters; the limit is ${L.maxConditionChars} (DATA_FLOW_LIMITS.maxConditionChars)`);
    } else if (when.trim() !== '') {
      // References are substituted before evaluation: check the expression with them as strings.
      const bad = checkCondition(when.replace(/\{\{[^{}]*\}\}/g, '""'));
      if (bad !== undefined) report.add(`${path}.when`, `not a valid CEL expression: ${bad}`);
      for (const m of when.matchAll(CEL_TASK)) celTasks.push({ name: m[1] ?? m[2] ?? m[3] ?? '' });
      all.push({ path: `${path}.when`, text: when });
    }
  }
  // Which tasks the references and the condition name, checked against the graph in one walk.
  const wanted = new Set<string>();
  for (const c of celTasks) if (dag.tasks.has(c.name)) wanted.add(c.name);
  const parsed = all.map((f) => ({ f, refs: findReferences(f.text) }));
  for (const { refs } of parsed) for (const m of refs) if (m.ref?.kind === 'output' && dag.tasks.has(m.ref.task)) wanted.add(m.ref.task);
  const upstream = task === undefined ? new Set<string>() : upstreamOf(dag, task, wanted);
  for (const c of celTasks) {
    if (!dag.tasks.has(c.name)) report.add(`${path}.when`, `the condition names unknown task ${JSON.stringify(c.name)}${report.hint(c.name, [...dag.tasks.keys()].slice(0, 1000))}`);
    else if (!upstream.has(c.name)) report.add(`${path}.when`, `the condition names task ${JSON.stringify(c.name)}, which is not upstream of this task (add it to runAfter, directly or through another task)`);
  }
  for (const { f, refs } of parsed) {
    for (const m of refs) {
      const problem = referenceProblem(m, dag, upstream, mapped && f.path !== `${path}.withParam`);
      if (problem !== undefined) report.add(f.path, `${m.text}: ${problem}`);
    }
  }
}

/** Checks the DAG's `outputs`: names like task outputs; values may reference any task's declared output. */
export function checkDagOutputs(list: unknown, dag: FlowDag, report: Report): void {
  checkNamedList(list, 'spec.outputs', 'output', DATA_FLOW_LIMITS.maxOutputsPerTask, 'DATA_FLOW_LIMITS.maxOutputsPerTask', checkOutputName, report);
  if (!Array.isArray(list)) return;
  const everyTask = new Set(dag.tasks.keys());
  list.forEach((o: unknown, i) => {
    if (!isRecord(o) || typeof o['value'] !== 'string') return;
    for (const m of findReferences(o['value'])) {
      const problem = referenceProblem(m, dag, everyTask, false);
      if (problem !== undefined) report.add(`spec.outputs[${i}].value`, `${m.text}: ${problem}`);
    }
  });
}

function referenceProblem(
  m: ReturnType<typeof findReferences>[number],
  dag: FlowDag,
  upstream: ReadonlySet<string>,
  itemAllowed: boolean,
): string | undefined {
  if (m.ref === undefined) return m.error ?? 'not a valid reference';
  const ref = m.ref;
  switch (ref.kind) {
    case 'param':
      if (dag.params.has(ref.name)) return undefined;
      return `parameter ${JSON.stringify(ref.name)} is not declared in spec.parameters${dag.params.size === 0 ? ' (the DAG declares no parameters)' : ''}`;
    case 'run':
      return undefined;
    case 'item':
      return itemAllowed ? undefined : '{{item}} is only defined in a mapped task (one with withItems or withParam)';
    case 'output': {
      const t = dag.tasks.get(ref.task);
      if (t === undefined) return `unknown task ${JSON.stringify(ref.task)}`;
      if (!upstream.has(ref.task)) return `task ${JSON.stringify(ref.task)} is not upstream of this task (add it to runAfter, directly or through another task)`;
      if (t.outputs !== undefined && !t.outputs.has(ref.output)) {
        const list = t.outputs.size === 0 ? 'it declares no outputs' : `declared: ${[...t.outputs].slice(0, 12).join(', ')}`;
        return `task ${JSON.stringify(ref.task)} does not declare output ${JSON.stringify(ref.output)} (${list})`;
      }
      return undefined;
    }
  }
}
