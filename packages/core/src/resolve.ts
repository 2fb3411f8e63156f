// DAG resource → DagDefinition: the immutable, validated, fully resolved version a run snapshots.

import type { FieldError } from './errors.js';
import type { Locator } from './field-path.js';
import { applyDsl } from './dsl-merge.js';
import { stableSha256Hex, type Sha256 } from './hash.js';
import { setOwn } from './plain-data.js';
import {
  DEFAULT_NAMESPACE,
  type DagDefinition,
  type DagParameterSpec,
  type DagResource,
  type ResolvedTask,
  type RetryDelaySpec,
  type TaskBodySpec,
  type TaskSpec,
} from './spec.js';
import { validateDag, type DagTaskLookup } from './validate.js';

/** Defaults of our retry delay fields. */
export const DEFAULT_RETRY_DELAY: Readonly<Required<RetryDelaySpec>> = { delaySeconds: 0, factor: 2, maxDelaySeconds: 300 };
export const DEFAULT_TIMEZONE = 'UTC';
export const DEFAULT_CATCH_UP = 1;

export interface ResolveResult {
  /** Present iff `errors` is empty. */
  definition?: DagDefinition;
  errors: FieldError[];
}

/**
 * Validates a DAG (`validateDag`, with the lookup, so a taskRef naming a missing DagTask version
 * is an error at `spec.task[i].taskRef`), merges its DSL (`applyDsl`), replaces every taskRef
 * task by the referenced DagTask's body (the DAG task keeps its own name, runAfter and
 * triggerRule; its parameters are added to the DagTask's) and fills in defaults: namespace
 * `default`, timezone `UTC`, concurrencyPolicy `Allow`, catchUp 1, suspended false,
 * webhook.verifySSL true; per task retryLimit = backoff.limit (0), retryCodes only when
 * conditional.enabled, retryDelay {0 s, ×2, ≤ 300 s}, timeoutSeconds = the smaller of
 * timeoutSeconds and podTemplate.activeDeadlineSeconds when either is set, triggerRule
 * AllSucceeded, command/args []. `runAfter` and `parameters` are deduplicated. When `script`
 * is set, runtimes ignore command/args (Go semantics); both are kept as written.
 *
 * The result shares no objects with the input. Pure; never throws unless `lookupDagTask` does.
 */
export function resolveDag(
  resource: DagResource,
  lookupDagTask: DagTaskLookup,
  opts: { locate?: Locator } = {},
): ResolveResult {
  const errors = validateDag(resource, { lookupDagTask, ...(opts.locate === undefined ? {} : { locate: opts.locate }) });
  if (errors.length > 0) return { errors };
  // Validation read `null` as "absent" (Kubernetes semantics); make that true for the code below.
  const clean = withoutNulls(resource) as DagResource;
  const namespace = clean.metadata.namespace !== undefined && clean.metadata.namespace !== '' ? clean.metadata.namespace : DEFAULT_NAMESPACE;
  const spec = applyDsl(clean.spec).spec;
  const tasks: ResolvedTask[] = [];
  for (const [i, task] of (spec.task ?? []).entries()) {
    if (task.taskRef === undefined) {
      tasks.push(resolveTask(task, task, spec.kontrolerToken));
      continue;
    }
    const found = lookupDagTask(namespace, task.taskRef.name, task.taskRef.version);
    const body = found === undefined ? undefined : (withoutNulls(found) as TaskBodySpec);
    if (body === undefined) {
      // validateDag asked the same lookup; a lookup that changes its mind is still reported.
      errors.push({ path: `spec.task[${i}].taskRef`, message: `DagTask ${JSON.stringify(task.taskRef.name)} version ${task.taskRef.version} not found in namespace ${JSON.stringify(namespace)}` });
      continue;
    }
    tasks.push(resolveTask(task, body, spec.kontrolerToken));
  }
  if (errors.length > 0) return { errors };
  const schedule = spec.schedule?.trim();
  const definition: DagDefinition = {
    namespace,
    name: clean.metadata.name,
    ...(schedule === undefined || schedule === '' ? {} : { schedule }),
    timezone: spec.timezone ?? DEFAULT_TIMEZONE,
    concurrencyPolicy: spec.concurrencyPolicy ?? 'Allow',
    catchUp: spec.catchUp ?? DEFAULT_CATCH_UP,
    suspended: spec.suspended ?? false,
    parameters: (spec.parameters ?? []).map(normalizeParameter),
    tasks,
    ...(spec.webhook === undefined ? {} : { webhook: { url: spec.webhook.url, verifySSL: spec.webhook.verifySSL ?? true } }),
    ...(spec.workspace === undefined ? {} : { workspace: clone(spec.workspace) }),
    ...(spec.outputs === undefined || spec.outputs.length === 0
      ? {}
      : { outputs: spec.outputs.map((o) => ({ name: o.name, value: o.value })) }),
  };
  return { definition, errors: [] };
}

/** A parameter with exactly one of defaultValue / defaultFromSecret (Go's `""` = unset rule). */
function normalizeParameter(p: DagParameterSpec): DagParameterSpec {
  if (p.defaultFromSecret !== undefined && p.defaultFromSecret !== '') {
    return { name: p.name, defaultFromSecret: p.defaultFromSecret };
  }
  return { name: p.name, defaultValue: p.defaultValue ?? '' };
}

function resolveTask(task: TaskSpec, body: TaskBodySpec, dagToken: boolean | undefined): ResolvedTask {
  const timeouts = [body.timeoutSeconds, body.podTemplate?.activeDeadlineSeconds].filter(
    (t): t is number => typeof t === 'number',
  );
  const parameters = unique([...(task.taskRef === undefined ? [] : task.parameters ?? []), ...(body.parameters ?? [])]);
  const r: ResolvedTask = {
    name: task.name,
    runAfter: unique(task.runAfter ?? []),
    image: body.image ?? '',
    command: [...(body.command ?? [])],
    args: [...(body.args ?? [])],
    retryLimit: body.backoff?.limit ?? 0,
    retryDelay: {
      delaySeconds: body.retry?.delaySeconds ?? DEFAULT_RETRY_DELAY.delaySeconds,
      factor: body.retry?.factor ?? DEFAULT_RETRY_DELAY.factor,
      maxDelaySeconds: body.retry?.maxDelaySeconds ?? DEFAULT_RETRY_DELAY.maxDelaySeconds,
    },
    triggerRule: task.triggerRule ?? body.triggerRule ?? 'AllSucceeded',
    parameters,
  };
  if (body.script !== undefined && body.script !== '') r.script = body.script;
  if (body.scriptInjectorImage !== undefined && body.scriptInjectorImage !== '') r.scriptInjectorImage = body.scriptInjectorImage;
  if (body.conditional?.enabled === true) r.retryCodes = unique(body.conditional.retryCodes ?? []);
  if (timeouts.length > 0) r.timeoutSeconds = Math.min(...timeouts);
  if (body.podTemplate !== undefined) r.podTemplate = clone(body.podTemplate);
  if (task.taskRef !== undefined) r.taskRef = { name: task.taskRef.name, version: task.taskRef.version };
  if ((task.kontrolerToken ?? body.kontrolerToken ?? dagToken) === true) r.kontrolerToken = true;
  resolveDataFlow(task, body, r);
  return r;
}

/**
 * The data-flow fields (contract of issue 14): each is set only when the task uses it, so the
 * definitions (and spec hashes) of DAGs that do not use them are unchanged. Body fields
 * (outputs, env, dagRef, approval) come from the DagTask for a taskRef task; `when`, withItems,
 * withParam and maxParallel belong to the DAG's task. Approval defaults: message '', onTimeout
 * Reject, inputs []; dagRef parameters []. A dagRef or approval task has no image (`''`).
 */
function resolveDataFlow(task: TaskSpec, body: TaskBodySpec, r: ResolvedTask): void {
  if (body.outputs !== undefined && body.outputs.length > 0) r.outputs = body.outputs.map((o) => o.name);
  if (body.env !== undefined && body.env.length > 0) r.env = body.env.map((e) => ({ name: e.name, value: e.value }));
  if (task.when !== undefined && task.when.trim() !== '') r.when = task.when;
  if (task.withItems !== undefined) r.withItems = clone(task.withItems);
  if (task.withParam !== undefined && task.withParam !== '') r.withParam = task.withParam;
  if (task.maxParallel !== undefined) r.maxParallel = task.maxParallel;
  if (body.dagRef !== undefined) {
    r.dagRef = { name: body.dagRef.name, parameters: (body.dagRef.parameters ?? []).map((p) => ({ name: p.name, value: p.value })) };
  }
  if (body.approval !== undefined) {
    const a = body.approval;
    r.approval = {
      message: a.message ?? '',
      ...(a.timeoutSeconds === undefined ? {} : { timeoutSeconds: a.timeoutSeconds }),
      onTimeout: a.onTimeout ?? 'Reject',
      inputs: [...(a.inputs ?? [])],
    };
  }
}

/**
 * A stable version hash of a definition: SHA-256 (hex) of its canonical JSON without
 * `suspended`, `name` and `namespace` — the DAG's spec as resolved. Toggling suspension or the
 * key order of the YAML does not change it; any change to what runs does. Changing how
 * definitions are normalized changes hashes, so such changes need a note in the store's
 * migration. Pure. `sha256` picks the implementation (the same digest; see `Sha256`).
 */
export function specHash(definition: DagDefinition, sha256?: Sha256): string {
  const { suspended: _s, name: _n, namespace: _ns, ...rest } = definition;
  return stableSha256Hex(rest, sha256);
}

/** A stable hash of a DagTask spec as written (canonical JSON, SHA-256 hex): a new hash = a new version. Pure. */
export function dagTaskSpecHash(spec: TaskBodySpec & { runAfter?: string[] }): string {
  return stableSha256Hex(spec);
}

/** A deep copy without `null`/`undefined` object members (array items are kept). */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) setOwn(out, k, withoutNulls(x));
  return out;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
