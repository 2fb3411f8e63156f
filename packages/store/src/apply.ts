// Applying resources and starting runs: the operations every front door shares (DAG folder,
// REST API, CRD adapter, CLI).
import type { DagDefinition, DagResource, DagSpec, DagTaskResource, FieldError, KontrolerResource, TaskBodySpec } from '@kontroler/core';
import { DEFAULT_NAMESPACE, KontrolerError, dagTaskSpecHash, resolveDag, previousFireTime, resolveRunParameters, specHash, validateDagTask } from '@kontroler/core';
import type { PoolLike, Queryable } from './db.js';
import { getDagTaskVersion, getDagVersion, saveDag, saveDagTask, type DagSettings, type JsonText } from './dags.js';
import type { DagRecord, RunRecord, RunTrigger } from './records.js';
import { NODE_SHA256 } from './node-sha256.js';
import { createRun } from './runs.js';
import { taskRowsOf } from './run-index.js';

export interface ApplyResult {
  kind: 'DAG' | 'DagTask';
  namespace: string;
  name: string;
  version: number;
  /** False when the spec was unchanged (no new version), and always with `dryRun`. */
  created: boolean;
  dag?: DagRecord;
  definition?: DagDefinition;
}

/** The VALIDATION_FAILED error of an invalid resource (every front door answers this one). */
export function invalidResource(kind: string, name: string, errors: FieldError[]): KontrolerError {
  return new KontrolerError('VALIDATION_FAILED', `${kind} ${name || '(unnamed)'} is invalid: ${errors.length} problem(s); the first: ${errors[0]?.path}: ${errors[0]?.message}`, {
    details: errors,
  });
}

/**
 * Validates and stores a DAG or DagTask resource (a new immutable version when its spec changed).
 * taskRefs are resolved against stored DagTask versions in the same namespace. With `dryRun`,
 * validates only. Throws VALIDATION_FAILED with field-path `details` when the resource is invalid;
 * nothing is stored then, and the last good version stays current; MANAGED_BY_FILE when a file
 * of the DAG folder manages the DAG and the write comes from elsewhere without `overrideFile`.
 * Idempotent.
 */
export async function applyResource(
  pool: PoolLike,
  resource: DagResource | DagTaskResource | KontrolerResource,
  opts: { source: string; dryRun?: boolean; overrideFile?: boolean },
): Promise<ApplyResult> {
  const namespace = resource.metadata?.namespace || DEFAULT_NAMESPACE;
  const name = resource.metadata?.name ?? '';
  if (resource.kind === 'DagTask') {
    const errors = validateDagTask(resource);
    if (errors.length > 0) throw invalidResource('DagTask', name, errors);
    if (opts.dryRun) {
      const cur = await getDagTaskVersion(pool, namespace, name);
      return { kind: 'DagTask', namespace, name, version: cur ? cur.version + 1 : 1, created: false };
    }
    const saved = await saveDagTask(pool, { namespace, name, spec: resource.spec, hash: dagTaskSpecHash(resource.spec), source: opts.source });
    return { kind: 'DagTask', namespace, name, ...saved };
  }
  if (resource.kind !== 'DAG') {
    throw new KontrolerError('VALIDATION_FAILED', `kind ${resource.kind} cannot be applied here; DagRuns start runs`, { details: [{ path: 'kind', message: 'expected DAG or DagTask' }] });
  }
  const refs = await loadTaskRefs(pool, namespace, taskRefsOf(resource));
  const resolved = resolveDag(resource, (_ns, n, v) => refs.get(`${n}@${v}`));
  if (!resolved.definition) throw invalidResource('DAG', name, resolved.errors);
  const definition = resolved.definition;
  const r = await storeDag(pool, { namespace, name, labels: resource.metadata.labels, spec: resource.spec, definition, hash: specHash(definition, NODE_SHA256) }, opts);
  return { ...r, definition };
}

/** The DagTask versions a DAG's taskRef tasks name (`name`, `version`), each once. Pure. */
export function taskRefsOf(resource: DagResource): { name: string; version: number }[] {
  const out = new Map<string, { name: string; version: number }>();
  for (const t of resource.spec?.task ?? []) {
    if (!t.taskRef || typeof t.taskRef.name !== 'string' || !Number.isInteger(t.taskRef.version)) continue;
    out.set(`${t.taskRef.name}@${t.taskRef.version}`, { name: t.taskRef.name, version: t.taskRef.version });
  }
  return [...out.values()];
}

/** The stored DagTask specs of `refs`, keyed `name@version` (missing ones are left out). */
export async function loadTaskRefs(pool: PoolLike, namespace: string, refs: readonly { name: string; version: number }[]): Promise<Map<string, TaskBodySpec>> {
  const out = new Map<string, TaskBodySpec>();
  for (const r of refs) {
    const v = await getDagTaskVersion(pool, namespace, r.name, r.version);
    if (v) out.set(`${r.name}@${r.version}`, v.spec);
  }
  return out;
}

/**
 * A DAG resolved elsewhere (the API resolves large DAGs in a worker thread and sends the JSON
 * text of its spec and definition): what `applyResource` stores for a DAG.
 */
export interface ResolvedDag {
  namespace: string;
  name: string;
  labels?: Record<string, string> | undefined;
  spec: DagSpec | JsonText;
  definition: DagDefinition | (DagSettings & { json: JsonText });
  /** `specHash` of the definition. */
  hash: string;
}

/**
 * Stores a resolved DAG as `applyResource` does (a new version when the hash changed; with
 * `dryRun`, only the version it would get). Idempotent.
 */
export async function storeDag(pool: PoolLike, dag: ResolvedDag, opts: { source: string; dryRun?: boolean; overrideFile?: boolean }): Promise<ApplyResult> {
  const { namespace, name } = dag;
  if (opts.dryRun) {
    const cur = await getDagVersion(pool, namespace, name);
    const same = cur?.hash === dag.hash;
    return { kind: 'DAG', namespace, name, version: cur ? (same ? cur.version : cur.version + 1) : 1, created: false };
  }
  const saved = await saveDag(pool, {
    namespace,
    name,
    spec: dag.spec,
    definition: dag.definition,
    hash: dag.hash,
    source: opts.source,
    ...(opts.overrideFile ? { overrideFile: true } : {}),
    ...(dag.labels ? { labels: dag.labels } : {}),
  });
  return { kind: 'DAG', namespace, name, version: saved.version, created: saved.created, dag: saved.dag };
}

export interface StartRunInput {
  namespace: string;
  dagName: string;
  /** Values overriding the DAG's parameter defaults; unknown names are rejected. */
  parameters?: Record<string, string>;
  /** Parameters to take from a secret instead (name → secret name). */
  secretParameters?: Record<string, string>;
  /** Unique per namespace; makes the call idempotent (a DagRun's name, a schedule's `<dag>-<unix time>`). */
  name?: string;
  trigger: RunTrigger;
  /**
   * The run's logical time (epoch ms): the cron fire time a scheduled or backfilled run stands for,
   * or one a manual start was given. The run also records the schedule's fire time before it (when
   * the DAG has a schedule) and the DAG's time zone, in which its tasks see both.
   */
  scheduledFor?: number;
  /** The backfill creating the run. */
  backfillId?: number;
  /** A child run (dagRef, trigger `child`): the parent attempt starting it (idempotent per attempt) and its depth. */
  parent?: { runId: number; task: string; attempt: number };
  depth?: number;
}

/**
 * Starts a run of the DAG's current version: the one way every run begins (API, CLI, schedule,
 * trigger, DagRun). Throws NOT_FOUND for an unknown (or deleted) DAG, UNKNOWN_PARAMETER (with
 * `details`) for parameters the DAG does not declare. Idempotent by `name`: a second start with
 * the same name returns the first run with `created: false`. Pass a transaction as `pool` to
 * start the run together with other writes (the scheduler advances the DAG's next fire in it).
 */
export async function startRun(pool: Queryable, input: StartRunInput): Promise<{ run: RunRecord; created: boolean }> {
  const v = await getDagVersion(pool, input.namespace, input.dagName);
  if (!v || v.dag.deletedAt !== null) {
    throw new KontrolerError('NOT_FOUND', `DAG ${input.namespace}/${input.dagName} not found: apply it first (e.g. put its YAML in the DAG folder)`);
  }
  const p = resolveRunParameters(v.definition, input.parameters ?? {}, input.secretParameters ?? {});
  if (p.errors.length > 0) {
    throw new KontrolerError('UNKNOWN_PARAMETER', `${p.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { details: p.errors });
  }
  return createRun(pool, {
    dagId: v.dagId,
    dagVersion: v.version,
    namespace: input.namespace,
    dagName: input.dagName,
    trigger: input.trigger,
    parameters: p.values,
    secretRefs: p.secretRefs,
    taskRows: taskRowsOf(v.definition),
    ...(input.name ? { name: input.name } : {}),
    ...(input.scheduledFor !== undefined ? logicalTimes(v.definition, input.scheduledFor) : {}),
    ...(input.backfillId !== undefined ? { backfillId: input.backfillId } : {}),
    ...(input.parent ? { parent: input.parent, depth: input.depth ?? 1 } : {}),
  });
}

/** A run's logical time, the schedule's fire before it (when the DAG has a schedule) and the DAG's time zone. */
function logicalTimes(def: DagDefinition, at: number): { scheduledFor: number; prevLogicalTime?: number; logicalTimezone: string } {
  const prev = def.schedule ? previousFireTime(def.schedule, def.timezone, new Date(at)) : null;
  return { scheduledFor: at, logicalTimezone: def.timezone, ...(prev ? { prevLogicalTime: prev.getTime() } : {}) };
}
