// `status.conditions` of DAG, DagTask and DagRun objects, after the Kubernetes API conventions
// (metav1.Condition): type, status True/False/Unknown, a CamelCase reason, a message,
// observedGeneration and lastTransitionTime — the last changed only when the status changes, so
// `kubectl wait --for=condition=...` and alerting on transitions see real transitions. The status
// builders say what the conditions are now (`DesiredCondition`); `withConditionTimes` stamps their
// transition times against the object's current status just before it is written. Pure.
import { clean, iso } from './crd-objects.js';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A condition as a status builder computes it: everything but its transition time. */
export interface DesiredCondition {
  readonly type: string;
  readonly status: ConditionStatus;
  /** CamelCase, machine-readable: why the condition is what it is. */
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number | undefined;
}

/** A condition as written to `status.conditions`. */
export interface Condition extends DesiredCondition {
  /** RFC 3339 (seconds): when `status` last changed. */
  readonly lastTransitionTime: string;
}

/** A condition's message is cut to this many characters (metav1.Condition allows 32768; a status stays small). */
export const CONDITION_MESSAGE_MAX_CHARS = 1024;

/** DAG / DagTask: the current spec is valid and stored as the current version. */
export const READY = 'Ready';
/** DagRun: the run ended with every task succeeded (False once it failed, was canceled or could not start). */
export const SUCCEEDED = 'Succeeded';
/** DagRun: the run failed (tasks failed, or it could not start: invalid, unknown DAG or parameter). */
export const FAILED = 'Failed';
/** DagRun: the run is running (False while pending and once it ended). */
export const RUNNING = 'Running';

/** A desired condition, with its message clipped and no undefined fields. */
export function condition(type: string, status: ConditionStatus, reason: string, message: string, observedGeneration: number | undefined): DesiredCondition {
  const m = message.length > CONDITION_MESSAGE_MAX_CHARS ? `${message.slice(0, CONDITION_MESSAGE_MAX_CHARS - 1)}…` : message;
  return clean({ type, status, reason, message: m, observedGeneration }) as unknown as DesiredCondition;
}

function previousConditions(status: Record<string, unknown> | undefined): Map<string, Condition> {
  const out = new Map<string, Condition>();
  const list = status?.conditions;
  if (!Array.isArray(list)) return out;
  for (const c of list as unknown[]) {
    if (c === null || typeof c !== 'object') continue;
    const x = c as Partial<Condition>;
    if (typeof x.type === 'string' && typeof x.status === 'string' && typeof x.lastTransitionTime === 'string') out.set(x.type, x as Condition);
  }
  return out;
}

/**
 * `next` with its `conditions` (desired ones) given their `lastTransitionTime`: the one already
 * on `current` for a condition whose status is unchanged, else `now`. A `next` without conditions
 * is returned as it is. Writing the result again changes nothing (idempotent).
 */
export function withConditionTimes(current: Record<string, unknown> | undefined, next: Record<string, unknown>, now: number): Record<string, unknown> {
  const desired = next.conditions;
  if (!Array.isArray(desired)) return next;
  const before = previousConditions(current);
  const at = iso(now)!;
  const conditions = (desired as DesiredCondition[]).map((c): Condition => {
    const prev = before.get(c.type);
    return { ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : at };
  });
  return { ...next, conditions };
}
