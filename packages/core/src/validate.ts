// Meaning checks of DAG, DagTask and DagRun resources: everything the Go project validates plus
// the checks of our own fields. Every problem is a FieldError with a path; all are collected.
//
// Deliberate differences from the Go project:
//   - A DAG may hold several independent chains: the Go project requires the task graph to be a
//     single connected component; we do not (independent branches simply run in parallel).
//   - Task names must also be usable identifiers (see `checkTaskName`), and duplicate names are
//     refused for taskRef tasks too (the Go project skips its duplicate check for them).
//   - `defaultValue: ""` (or `value: ""` in a DagRun) is an explicit empty value, not "unset".
//   - The body fields of a taskRef task (image, command, backoff, ...) are ignored, as in the Go
//     project, because the Go API writes zero values for them (`image: ""`, `backoff: {limit: 0}`);
//     `name`, `runAfter`, `parameters` and our `triggerRule` are the DAG's own and are checked.

import type { FieldError } from './errors.js';
import { podGCProblems } from './pod-gc.js';
import { checkSchedule, isValidTimezone } from './cron.js';
import { applyDsl } from './dsl-merge.js';
import { childPath, didYouMean, type Locator } from './field-path.js';
import { findCycles } from './graph.js';
import { checkHttpUrl, checkNamespace, checkParameterName, checkResourceName, checkTaskName } from './names.js';
import { Report } from './report.js';
import { bodyRefFields, checkDagOutputs, checkDataFlowBody, checkTaskFlow, declaredOutputs, type FlowDag, type FlowTask } from './validate-data-flow.js';
import { DAG_RUN_SPEC_SHAPE, DAG_SPEC_SHAPE, DAG_TASK_SPEC_SHAPE, METADATA_SHAPE, type Shape } from './schema.js';
import { checkShape } from './shape-check.js';
import {
  API_VERSION,
  CONCURRENCY_POLICIES,
  DEFAULT_NAMESPACE,
  type DagResource,
  type DagSpec,
  type DagRunResource,
  type DagTaskResource,
  type KontrolerResource,
  type TaskBodySpec,
} from './spec.js';
import {
  checkParameterRefs,
  checkResources,
  checkRunnable,
  checkTaskBody,
  checkTriggerRule,
  isRecord,
  nonEmptyString,
  undeclaredMessage,
} from './validate-task.js';

/**
 * Finds a DagTask version's spec. Synchronous and pure as far as validation is concerned:
 * callers that keep DagTasks in a database load the referenced ones first.
 */
export type DagTaskLookup = (namespace: string, name: string, version: number) => TaskBodySpec | undefined;

export interface ValidationContext {
  /** When given, taskRef tasks are checked against the DagTask they name (existence, parameters). */
  lookupDagTask?: DagTaskLookup;
  /** When given (see `ParsedDocument.locate`), errors get the line and column of their field. */
  locate?: Locator;
}

/** Highest `catchUp`: more missed fires than this after downtime is almost surely a mistake. */
export const MAX_CATCH_UP = 100;

/**
 * Most tasks in one DAG (YAML, JSON or DSL). Validation, resolution and the engine's index are
 * linear in tasks + edges; this bounds the work one definition can ask for. Past it, the DAG is
 * refused with one error at `spec.task` and its tasks are not checked one by one.
 */
export const MAX_TASKS_PER_DAG = 100_000;

const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Filesystem', 'Block'];
const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/**
 * Validates a DAG: structure (types, unknown fields), metadata, the DSL (merged as `applyDsl`
 * does), schedule, timezone, concurrencyPolicy, catchUp, parameters, tasks, the task graph (no
 * unknown `runAfter` targets, no self-dependency, no cycles — each reported with its path, e.g.
 * `a -> b -> a` meaning a runs before b runs before a — at least one root task), webhook and
 * workspace. Returns every error found (empty = valid). Pure; never throws for any input,
 * including values that are not DAG-shaped at all.
 */
export function validateDag(resource: DagResource, ctx: ValidationContext = {}): FieldError[] {
  const pre = new Report(ctx.locate);
  const spec = checkHeader(resource, 'DAG', DAG_SPEC_SHAPE, pre);
  if (spec === undefined) return pre.errors;
  const expansion = applyDsl(spec as DagSpec);
  const report = new Report(ctx.locate, expansion.positions);
  report.addAll(pre.errors);
  report.addDsl(expansion.errors);
  if (expansion.errors.length > 0) {
    // Checking half-read DSL sections would only echo the syntax errors; check the rest.
    checkDagExtras(spec, report);
    return report.errors;
  }
  const s = expansion.spec as Record<string, unknown>;
  const namespace = namespaceOf(resource);
  const declared = checkDagParameters(s['parameters'], report);
  const dagName = typeof resource.metadata?.name === 'string' ? resource.metadata.name : undefined;
  const flow = checkTasks(s['task'], declared, namespace, report, ctx.lookupDagTask, dagName);
  if (flow) checkDagOutputs(s['outputs'], flow, report);
  checkScheduleFields(s, report);
  checkDagExtras(s, report);
  return report.errors;
}

/**
 * Validates a DagTask: structure, metadata, an image and a command or script, and the body's
 * ranges (backoff, retry codes, retry delays, timeout, trigger rule, pod template). Its
 * parameters are checked by the DAGs that reference it. `runAfter` is accepted and ignored, as
 * in the Go project. Returns every error found. Pure; never throws.
 */
export function validateDagTask(resource: DagTaskResource, ctx: ValidationContext = {}): FieldError[] {
  const report = new Report(ctx.locate);
  const spec = checkHeader(resource, 'DagTask', DAG_TASK_SPEC_SHAPE, report);
  if (spec === undefined) return report.errors;
  checkRunnable(spec, 'spec', report);
  checkTaskBody(spec, 'spec', report, undefined);
  checkDataFlowBody(spec, 'spec', report, undefined);
  return report.errors;
}


/**
 * Validates a DagRun: structure, metadata, `dagName` (a resource name), and parameters (each
 * named once, with exactly one of `value` / `fromSecret`). Whether the DAG exists and declares
 * those parameters is checked when the run is created (`resolveRunParameters`). Returns every
 * error found. Pure; never throws.
 */
export function validateDagRun(resource: DagRunResource, ctx: ValidationContext = {}): FieldError[] {
  const report = new Report(ctx.locate);
  const spec = checkHeader(resource, 'DagRun', DAG_RUN_SPEC_SHAPE, report);
  if (spec === undefined) return report.errors;
  const dagName = spec['dagName'];
  if (dagName === undefined || dagName === null || dagName === '') report.add('spec.dagName', 'required: the name of the DAG to run');
  else if (typeof dagName === 'string') addIf(report, 'spec.dagName', checkResourceName(dagName));
  const params = Array.isArray(spec['parameters']) ? spec['parameters'] : [];
  const seen = new Map<string, number>();
  params.forEach((p: unknown, i) => {
    if (!isRecord(p)) return;
    const path = `spec.parameters[${i}]`;
    const name = p['name'];
    if (!nonEmptyString(name)) {
      if (name === undefined || name === null || typeof name === 'string') report.add(`${path}.name`, 'required');
    } else if (seen.has(name)) {
      report.add(`${path}.name`, `parameter ${JSON.stringify(name)} is set twice (also spec.parameters[${seen.get(name)}])`);
    } else seen.set(name, i);
    checkExactlyOne(p, 'value', 'fromSecret', path, report);
  });
  return report.errors;
}

/** Validates any supported resource by its kind (see the kind-specific functions). Never throws. */
export function validateResource(resource: KontrolerResource, ctx: ValidationContext = {}): FieldError[] {
  const kind = isRecord(resource) ? resource['kind'] : undefined;
  switch (kind) {
    case 'DAG':
      return validateDag(resource as DagResource, ctx);
    case 'DagTask':
      return validateDagTask(resource as DagTaskResource, ctx);
    case 'DagRun':
      return validateDagRun(resource as DagRunResource, ctx);
    default: {
      const report = new Report(ctx.locate);
      report.add('kind', `kind ${String(kind)} is not supported (supported kinds: DAG, DagTask, DagRun)`);
      return report.errors;
    }
  }
}

/** The namespace a resource lives in (`default` when unset). Never throws. */
export function namespaceOf(resource: unknown): string {
  const meta = isRecord(resource) ? resource['metadata'] : undefined;
  const ns = isRecord(meta) ? meta['namespace'] : undefined;
  return nonEmptyString(ns) ? ns : DEFAULT_NAMESPACE;
}

// ---- shared ---------------------------------------------------------------------------------

/** apiVersion, kind, metadata and the spec's structure; returns the spec when it is an object. */
function checkHeader(resource: unknown, kind: string, specShape: Shape, report: Report): Record<string, unknown> | undefined {
  if (!isRecord(resource)) {
    report.add('<root>', `expected a ${kind} resource (a mapping), got ${resource === null ? 'null' : Array.isArray(resource) ? 'a list' : typeof resource}`);
    return undefined;
  }
  const known = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
  for (const k of Object.keys(resource)) {
    if (!known.includes(k) && resource[k] !== undefined) report.add(childPath('', k), `unknown field${didYouMean(k, known)}`);
  }
  if (resource['apiVersion'] !== API_VERSION) {
    report.add('apiVersion', resource['apiVersion'] === undefined ? `required: set it to "${API_VERSION}"` : `unsupported apiVersion ${JSON.stringify(resource['apiVersion'])}; expected "${API_VERSION}"`);
  }
  if (resource['kind'] !== kind) report.add('kind', `expected ${kind}, got ${JSON.stringify(resource['kind'])}`);
  const meta = resource['metadata'];
  report.addAll(checkShape(meta, METADATA_SHAPE, 'metadata'));
  if (!isRecord(meta)) {
    if (meta === undefined || meta === null) report.add('metadata.name', 'required');
  } else {
    const name = meta['name'];
    if (name === undefined || name === null || name === '') report.add('metadata.name', 'required');
    else if (typeof name === 'string') addIf(report, 'metadata.name', checkResourceName(name));
    if (typeof meta['namespace'] === 'string' && meta['namespace'] !== '') addIf(report, 'metadata.namespace', checkNamespace(meta['namespace']));
  }
  const spec = resource['spec'] ?? {};
  report.addAll(checkShape(spec, specShape, 'spec'));
  return isRecord(spec) ? spec : undefined;
}

function addIf(report: Report, path: string, message: string | undefined): void {
  if (message !== undefined) report.add(path, message);
}

/**
 * Exactly one of a plain value and a secret name. As in the Go project an empty secret name is
 * unset; unlike it, an empty value is a value ("" next to a secret still counts as unset, so
 * objects the Go API wrote stay valid).
 */
function checkExactlyOne(p: Record<string, unknown>, valueKey: string, secretKey: string, path: string, report: Report): void {
  const value = p[valueKey];
  const secret = p[secretKey];
  const wronglyTyped = (v: unknown): boolean => v !== undefined && v !== null && typeof v !== 'string';
  if (wronglyTyped(value) || wronglyTyped(secret)) return; // reported by the shape check
  const hasSecret = nonEmptyString(secret);
  const hasValue = typeof value === 'string' && !(value === '' && hasSecret);
  if (hasValue && hasSecret) report.add(path, `set exactly one of ${valueKey} and ${secretKey}, not both`);
  else if (!hasValue && !hasSecret) report.add(path, `set ${valueKey} or ${secretKey}`);
  else if (hasSecret) addIf(report, `${path}.${secretKey}`, checkResourceName(secret));
}

// ---- DAG parts ------------------------------------------------------------------------------

/** Checks spec.parameters; returns the declared names. */
function checkDagParameters(list: unknown, report: Report): Set<string> {
  const declared = new Set<string>();
  if (!Array.isArray(list)) return declared;
  const firstAt = new Map<string, number>();
  list.forEach((p: unknown, i) => {
    if (!isRecord(p)) return;
    const path = `spec.parameters[${i}]`;
    const name = p['name'];
    if (typeof name === 'string' && name !== '') {
      declared.add(name);
      const bad = checkParameterName(name);
      if (bad !== undefined) report.add(`${path}.name`, bad);
      else if (firstAt.has(name)) report.add(`${path}.name`, `duplicate parameter name ${JSON.stringify(name)} (also spec.parameters[${firstAt.get(name)}])`);
      else firstAt.set(name, i);
    } else if (name === undefined || name === null || name === '') {
      report.add(`${path}.name`, 'required');
    }
    checkExactlyOne(p, 'defaultValue', 'defaultFromSecret', path, report);
  });
  return declared;
}

interface TaskInfo {
  index: number;
  name: string;
  runAfter: string[];
}

function checkTasks(
  list: unknown,
  declared: ReadonlySet<string>,
  namespace: string,
  report: Report,
  lookup: DagTaskLookup | undefined,
  dagName: string | undefined,
): FlowDag | undefined {
  if (!Array.isArray(list) || list.length === 0) {
    if (list === undefined || list === null || Array.isArray(list)) report.add('spec.task', 'at least one task is required');
    return undefined;
  }
  if (list.length > MAX_TASKS_PER_DAG) {
    report.add('spec.task', `too many tasks: ${list.length}, the limit is ${MAX_TASKS_PER_DAG} per DAG (MAX_TASKS_PER_DAG): split the DAG into several`);
    return undefined;
  }
  const flowTasks = new Map<string, FlowTask>();
  /** Tasks with data-flow fields to check once every task's outputs are known. */
  const flowChecks: Array<{ t: Record<string, unknown>; path: string; name: string | undefined; body: Record<string, unknown> | undefined; refPath: string }> = [];
  const tasks: TaskInfo[] = [];
  const firstAt = new Map<string, number>();
  list.forEach((t: unknown, i) => {
    if (!isRecord(t)) return;
    const path = `spec.task[${i}]`;
    const name = t['name'];
    if (typeof name === 'string' && name !== '') {
      const bad = checkTaskName(name);
      if (bad !== undefined) report.add(`${path}.name`, bad);
      if (firstAt.has(name)) report.add(`${path}.name`, `duplicate task name ${JSON.stringify(name)} (also spec.task[${firstAt.get(name)}])`);
      else firstAt.set(name, i);
    } else if (name === undefined || name === null || name === '') {
      report.add(`${path}.name`, 'required');
    }
    const runAfter = Array.isArray(t['runAfter']) ? t['runAfter'].filter((r): r is string => typeof r === 'string') : [];
    if (typeof name === 'string' && name !== '') tasks.push({ index: i, name, runAfter });
    let body: Record<string, unknown> | undefined;
    if (isRecord(t['taskRef'])) {
      body = checkTaskRef(t, path, declared, namespace, report, lookup);
    } else {
      checkRunnable(t, path, report);
      checkTaskBody(t, path, report, declared);
      checkDataFlowBody(t, path, report, dagName);
      body = t;
    }
    if (typeof name === 'string' && name !== '' && !flowTasks.has(name)) {
      // A taskRef task's outputs are its DagTask's; unknown without a lookup (not checked then).
      const outputs = body !== undefined ? declaredOutputs(body) : undefined;
      flowTasks.set(name, { index: i, name, runAfter, outputs });
    }
    const refPath = body === t ? path : `${path}.taskRef`;
    flowChecks.push({ t, path, name: typeof name === 'string' ? name : undefined, body, refPath });
  });
  checkGraph(list, tasks, firstAt, report);
  const flow: FlowDag = { params: declared, tasks: flowTasks };
  for (const c of flowChecks) {
    const fields = c.body !== undefined ? bodyRefFields(c.body, c.refPath) : [];
    if (fields.length === 0 && c.t['when'] === undefined && c.t['withParam'] === undefined && c.t['maxParallel'] === undefined && c.t['withItems'] === undefined) continue;
    checkTaskFlow(c.t, c.name !== undefined ? flowTasks.get(c.name) : undefined, c.path, fields, flow, report);
  }
  return flow;
}

function checkTaskRef(
  t: Record<string, unknown>,
  path: string,
  declared: ReadonlySet<string>,
  namespace: string,
  report: Report,
  lookup: DagTaskLookup | undefined,
): Record<string, unknown> | undefined {
  const ref = t['taskRef'] as Record<string, unknown>;
  const name = ref['name'];
  const version = ref['version'];
  let ok = true;
  if (!nonEmptyString(name)) {
    ok = false;
    if (typeof name !== 'number') report.add(`${path}.taskRef.name`, 'required: the name of a DagTask');
  } else {
    const bad = checkResourceName(name);
    if (bad !== undefined) (ok = false), report.add(`${path}.taskRef.name`, bad);
  }
  if (version === undefined || version === null) {
    ok = false;
    report.add(`${path}.taskRef.version`, 'required: a DagTask version (1 or more)');
  } else if (typeof version === 'number' && Number.isSafeInteger(version) && version < 1) {
    ok = false;
    report.add(`${path}.taskRef.version`, `must be 1 or more (DagTask versions start at 1; got ${version})`);
  } else if (typeof version !== 'number' || !Number.isSafeInteger(version)) ok = false;
  checkParameterRefs(t['parameters'], `${path}.parameters`, report, declared);
  checkTriggerRule(t['triggerRule'], `${path}.triggerRule`, report);
  if (!ok || lookup === undefined) return undefined;
  const body = lookup(namespace, name as string, version as number);
  if (body === undefined) {
    report.add(`${path}.taskRef`, `DagTask ${JSON.stringify(name)} version ${String(version)} not found in namespace ${JSON.stringify(namespace)}`);
    return undefined;
  }
  if (!isRecord(body)) return undefined;
  const inner = new Report();
  checkRunnable(body, 'spec', inner);
  for (const e of inner.errors) {
    report.add(`${path}.taskRef`, `DagTask ${JSON.stringify(name)} version ${String(version)} cannot run: ${e.path.slice('spec.'.length)} ${e.message}`);
  }
  const params = Array.isArray(body.parameters) ? body.parameters : [];
  for (const p of params) {
    if (typeof p === 'string' && !declared.has(p)) {
      report.add(`${path}.taskRef`, `DagTask ${JSON.stringify(name)} version ${String(version)} uses ${undeclaredMessage(p, declared, report)}`);
    }
  }
  return body;
}

function checkGraph(list: unknown[], tasks: TaskInfo[], firstAt: ReadonlyMap<string, number>, report: Report): void {
  const names = [...firstAt.keys()];
  for (const t of tasks) {
    const raw = (list[t.index] as Record<string, unknown>)['runAfter'];
    if (!Array.isArray(raw)) continue;
    raw.forEach((dep: unknown, k) => {
      if (typeof dep !== 'string') return;
      // Paths are built for errors only: a 100,000-task DAG has hundreds of thousands of edges.
      if (dep === t.name) report.add(`spec.task[${t.index}].runAfter[${k}]`, `task ${JSON.stringify(t.name)} cannot run after itself (cycle ${t.name} -> ${t.name})`);
      else if (!firstAt.has(dep)) {
        const shown = names.length > 12 ? `${names.slice(0, 12).join(', ')}, ...` : names.join(', ');
        report.add(`spec.task[${t.index}].runAfter[${k}]`, `unknown task ${JSON.stringify(dep)}${report.hint(dep, names)} (tasks: ${shown})`);
      }
    });
  }
  const cycles = findCycles(tasks).filter((c) => c.length > 2); // self-dependencies are reported above
  const byName = new Map<string, TaskInfo[]>();
  if (cycles.length > 0) {
    for (const t of tasks) {
      const same = byName.get(t.name);
      if (same === undefined) byName.set(t.name, [t]);
      else same.push(t);
    }
  }
  for (const cycle of cycles) {
    const first = cycle[0] ?? '';
    const closing = cycle[cycle.length - 2] ?? '';
    const named = byName.get(first) ?? [];
    const task = named.find((t) => t.runAfter.includes(closing)) ?? named[0];
    if (task === undefined) continue;
    const raw = (list[task.index] as Record<string, unknown>)['runAfter'];
    const k = Array.isArray(raw) ? raw.indexOf(closing) : -1;
    report.add(
      k >= 0 ? `spec.task[${task.index}].runAfter[${k}]` : `spec.task[${task.index}].runAfter`,
      `dependency cycle ${cycle.join(' -> ')} (each task runs after the one before it)`,
    );
  }
  if (tasks.length > 0 && tasks.every((t) => t.runAfter.length > 0)) {
    report.add('spec.task', 'no root task: every task runs after another task, so nothing can start; give at least one task an empty runAfter');
  }
}

function checkScheduleFields(s: Record<string, unknown>, report: Report): void {
  const schedule = s['schedule'];
  if (typeof schedule === 'string' && schedule.trim() !== '') {
    const check = checkSchedule(schedule);
    if (!check.ok) report.add('spec.schedule', `${JSON.stringify(schedule)} ${check.message}`);
  }
}

/** The fields the DSL cannot set: timezone, concurrencyPolicy, catchUp, webhook, workspace. */
function checkDagExtras(s: Record<string, unknown>, report: Report): void {
  const tz = s['timezone'];
  if (typeof tz === 'string' && !isValidTimezone(tz)) {
    report.add('spec.timezone', `unknown time zone ${JSON.stringify(tz)}; use an IANA name such as "Europe/Berlin" or "UTC"`);
  }
  const policy = s['concurrencyPolicy'];
  if (typeof policy === 'string' && !(CONCURRENCY_POLICIES as readonly string[]).includes(policy)) {
    report.add('spec.concurrencyPolicy', `must be one of ${CONCURRENCY_POLICIES.join(', ')} (got ${JSON.stringify(policy)})${didYouMean(policy, CONCURRENCY_POLICIES)}`);
  }
  for (const p of podGCProblems(s['podGC'], 'spec.podGC')) report.add(p.path, p.message);
  const catchUp = s['catchUp'];
  if (typeof catchUp === 'number' && Number.isSafeInteger(catchUp) && (catchUp < 0 || catchUp > MAX_CATCH_UP)) {
    report.add('spec.catchUp', `must be between 0 and ${MAX_CATCH_UP} (got ${catchUp})`);
  }
  const webhook = s['webhook'];
  if (isRecord(webhook)) {
    const url = webhook['url'];
    if (url === undefined || url === null || url === '') report.add('spec.webhook.url', 'required: the http(s) URL to notify');
    else if (typeof url === 'string') addIf(report, 'spec.webhook.url', checkHttpUrl(url));
  }
  const ws = s['workspace'];
  const pvc = isRecord(ws) ? ws['pvc'] : undefined;
  if (isRecord(pvc)) {
    const modes = Array.isArray(pvc['accessModes']) ? pvc['accessModes'] : [];
    modes.forEach((m: unknown, i) => {
      if (typeof m === 'string' && !ACCESS_MODES.includes(m)) {
        report.add(`spec.workspace.pvc.accessModes[${i}]`, `must be one of ${ACCESS_MODES.join(', ')} (got ${JSON.stringify(m)})${didYouMean(m, ACCESS_MODES)}`);
      }
    });
    const vm = pvc['volumeMode'];
    if (typeof vm === 'string' && !VOLUME_MODES.includes(vm)) {
      report.add('spec.workspace.pvc.volumeMode', `must be Filesystem or Block (got ${JSON.stringify(vm)})`);
    }
    checkResources(pvc['resources'], 'spec.workspace.pvc.resources', report);
    const sel = pvc['selector'];
    const exprs = isRecord(sel) && Array.isArray(sel['matchExpressions']) ? sel['matchExpressions'] : [];
    exprs.forEach((e: unknown, i) => {
      if (!isRecord(e)) return;
      const path = `spec.workspace.pvc.selector.matchExpressions[${i}]`;
      if (!nonEmptyString(e['key'])) report.add(`${path}.key`, 'required');
      const op = e['operator'];
      if (typeof op !== 'string' || !SELECTOR_OPERATORS.includes(op)) {
        if (op === undefined || typeof op === 'string') report.add(`${path}.operator`, `must be one of ${SELECTOR_OPERATORS.join(', ')}`);
      }
    });
  }
}
