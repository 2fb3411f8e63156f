// Pure conversions between Kubernetes custom objects and Kontroler's records: objects to
// resources, and what each object's status should say.
import type { DagResource, DagRunResource, DagTaskResource, FieldError } from '@kontroler/core';
import { type KubeObject, GROUP } from '@kontroler/runtime-kube';
import { API_VERSION } from './crd-schema.js';
import { FAILED, READY, RUNNING, SUCCEEDED, condition, type DesiredCondition } from './conditions.js';

export interface CustomObject extends KubeObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** On a DagRun made for a run started elsewhere: the run's id (so it is not started again). */
export const RUN_ID_ANNOTATION = `${GROUP}/run-id`;
/** On a DAG: delete its versions and runs too when the object is deleted ("true"). */
export const PURGE_ANNOTATION = `${GROUP}/purge-on-delete`;
/**
 * Held on a DagRun while its run may still be active: deleting the object then cancels the run
 * first, and the object goes once the run has ended. The Go project's name, so DagRuns it made
 * are finalized by us too instead of waiting forever.
 */
export const DAGRUN_FINALIZER = `${GROUP}/dagrun.finalizer`;

const ENDED = new Set(['succeeded', 'failed', 'canceled']);

/** Whether a run status is final (nothing to cancel; a retry makes it active again). */
export function runEnded(status: string): boolean {
  return ENDED.has(status);
}

/** DagRun phases of an ended run. */
const ENDED_PHASES = new Set(['Succeeded', 'Failed', 'Canceled']);

/**
 * Whether a DagRun's status already says how its run ended, for its current generation: then
 * there is nothing to recompute when the object changes (a retried run wakes us through the
 * store instead).
 */
export function dagRunSettled(obj: CustomObject): boolean {
  const s = obj.status;
  // A status from before conditions (issue 19) is written once more, with them.
  return s !== undefined && typeof s.dagRunId === 'number' && ENDED_PHASES.has(String(s.phase)) && s.observedGeneration === obj.metadata?.generation && Array.isArray(s.conditions);
}

/** The resource Kontroler validates and stores, from a custom object (server fields dropped). */
export function toResource<R extends DagResource | DagTaskResource | DagRunResource>(obj: CustomObject, kind: R['kind']): R {
  const m = obj.metadata ?? {};
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: {
      name: m.name ?? '',
      namespace: m.namespace ?? 'default',
      ...(m.labels ? { labels: m.labels } : {}),
      ...(m.annotations ? { annotations: m.annotations } : {}),
    },
    spec: obj.spec ?? {},
  } as unknown as R;
}

/** Epoch ms as Kubernetes' RFC 3339 time (seconds), or undefined. */
export function iso(t: number | undefined | null): string | undefined {
  return t === undefined || t === null ? undefined : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `o` without its undefined fields. */
export function clean(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** What a DAG's status tells of its schedule: the stored one (also one written in `spec.dsl`). */
export interface ScheduleStatus {
  readonly schedule?: string | null;
  readonly suspended?: boolean;
  readonly nextFireAt?: number | null;
}

/**
 * DAG / DagTask status after a successful store (phase as the Go project: Successful). A
 * suspended DAG has no next fire time: nothing fires while it is suspended.
 */
export function storedStatus(generation: number | undefined, version: number, extra: ScheduleStatus & { lastRun?: { id: number; name: string | null; status: string; createdAt: number } | undefined } = {}): Record<string, unknown> {
  return clean({
    phase: 'Successful',
    message: `stored as version ${version}`,
    observedGeneration: generation,
    version,
    errors: [],
    schedule: extra.schedule || undefined,
    suspended: extra.suspended === undefined ? undefined : extra.suspended,
    nextFireTime: extra.suspended ? undefined : iso(extra.nextFireAt),
    lastRun: extra.lastRun
      ? clean({ id: extra.lastRun.id, name: extra.lastRun.name ?? undefined, phase: runPhase(extra.lastRun.status), startTime: iso(extra.lastRun.createdAt) })
      : undefined,
    conditions: [condition(READY, 'True', 'Stored', `the spec is valid and stored as version ${version}`, generation)],
  });
}

/** DAG / DagTask status of an invalid object: every problem with its path; the last good version stays. */
export function invalidStatus(generation: number | undefined, message: string, errors: readonly FieldError[], currentVersion: number | undefined): Record<string, unknown> {
  return clean({
    phase: 'Failed',
    message: currentVersion !== undefined ? `${message} (version ${currentVersion} stays current)` : message,
    observedGeneration: generation,
    version: currentVersion,
    errors: errors.map((e) => ({ path: e.path, message: e.message })),
    conditions: [condition(READY, 'False', 'Invalid', invalidMessage(message, errors, currentVersion), generation)],
  });
}

/** The Ready=False message of an invalid object: what is wrong, by field, and what stays current. */
function invalidMessage(message: string, errors: readonly FieldError[], currentVersion: number | undefined): string {
  const details = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  const stays = currentVersion !== undefined ? ` (version ${currentVersion} stays current)` : '';
  return `${message}${details && !message.includes(details) ? `: ${details}` : ''}${stays}`;
}

/**
 * A DagRun's conditions for a run phase (Pending, Running, Succeeded, Failed, Canceled): Succeeded
 * (Unknown until the run ends), Failed and Running, each with a CamelCase reason. A canceled run is
 * Succeeded=False and Failed=False, reason Canceled.
 */
export function runConditions(phase: string, reason: string, message: string, generation: number | undefined): DesiredCondition[] {
  const c = (type: string, status: 'True' | 'False' | 'Unknown'): DesiredCondition => condition(type, status, reason, message, generation);
  switch (phase) {
    case 'Succeeded':
      return [c(SUCCEEDED, 'True'), c(FAILED, 'False'), c(RUNNING, 'False')];
    case 'Failed':
      return [c(SUCCEEDED, 'False'), c(FAILED, 'True'), c(RUNNING, 'False')];
    case 'Canceled':
      return [c(SUCCEEDED, 'False'), c(FAILED, 'False'), c(RUNNING, 'False')];
    case 'Running':
      return [c(SUCCEEDED, 'Unknown'), c(FAILED, 'False'), c(RUNNING, 'True')];
    default:
      return [c(SUCCEEDED, 'Unknown'), c(FAILED, 'False'), c(RUNNING, 'False')];
  }
}

const PHASES: Record<string, string> = { pending: 'Pending', running: 'Running', succeeded: 'Succeeded', failed: 'Failed', canceled: 'Canceled' };

export function runPhase(status: string): string {
  return PHASES[status] ?? status;
}

/**
 * The status of a DagRun that could not start (unknown DAG, bad parameters); `reason` (CamelCase:
 * Invalid, UnknownDAG, UnknownParameter, NameInUse) goes into its Failed=True condition.
 */
export function failedRunStatus(generation: number | undefined, message: string, errors: readonly FieldError[] = [], reason = 'Invalid'): Record<string, unknown> {
  return clean({
    phase: 'Failed',
    message,
    observedGeneration: generation,
    ...(errors.length > 0 ? { errors: errors.map((e) => ({ path: e.path, message: e.message })) } : {}),
    conditions: runConditions('Failed', reason, message, generation),
  });
}

/** The DagRun object that mirrors a run started elsewhere (API, schedule, webhook). */
export function dagRunObjectFor(run: { id: number; namespace: string; dagName: string; status: string; parameters: Record<string, string>; secretRefs: Record<string, string>; trigger: string }, name: string): CustomObject {
  const parameters = [
    ...Object.entries(run.parameters).map(([n, value]) => ({ name: n, value })),
    ...Object.entries(run.secretRefs).map(([n, fromSecret]) => ({ name: n, fromSecret })),
  ].sort((a, b) => a.name.localeCompare(b.name));
  return {
    apiVersion: API_VERSION,
    kind: 'DagRun',
    metadata: {
      name,
      namespace: run.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'kontroler', [`${GROUP}/dag`]: run.dagName.slice(0, 63), [`${GROUP}/trigger`]: run.trigger },
      annotations: { [RUN_ID_ANNOTATION]: String(run.id) },
      ...(runEnded(run.status) ? {} : { finalizers: [DAGRUN_FINALIZER] }),
    },
    spec: { dagName: run.dagName, ...(parameters.length > 0 ? { parameters } : {}) },
  };
}

/** The name of the DagRun object of a run: its own name, else `<dag>-<id>`. */
export function dagRunNameFor(run: { id: number; dagName: string; name: string | null }): string {
  if (run.name) return run.name;
  const suffix = `-${run.id}`;
  return `${run.dagName.slice(0, 253 - suffix.length)}${suffix}`;
}

/** The run id a DagRun object stands for (made for a run, or started by us), if any. */
export function runIdOf(obj: CustomObject): number | undefined {
  const a = obj.metadata?.annotations?.[RUN_ID_ANNOTATION];
  const s = obj.status?.dagRunId;
  const id = a !== undefined ? Number(a) : typeof s === 'number' ? s : undefined;
  return id !== undefined && Number.isInteger(id) && id > 0 ? id : undefined;
}

/** Whether writing `next` would change `current` (JSON equality of the fields we own). */
export function statusDiffers(current: Record<string, unknown> | undefined, next: Record<string, unknown>): boolean {
  const cur = current ?? {};
  return Object.keys(next).some((k) => JSON.stringify(cur[k]) !== JSON.stringify(next[k])) || Object.keys(cur).some((k) => !(k in next));
}
