// Deterministic names, labels and annotations of the objects the pod runtime creates. A pod's
// name is a function of (run, task, attempt) alone, so creating an attempt twice fails with
// AlreadyExists instead of running it twice, and a restarted controller finds its pods again.
import { createHash } from 'node:crypto';
import type { AttemptKey } from '@kontroler/engine';

export const GROUP = 'kontroler.greedykomodo';
/** The version of Kontroler's custom resources (DAG, DagRun, DagTask). */
export const CRD_VERSION = 'v1alpha1';
export const CRD_API_VERSION = `${GROUP}/${CRD_VERSION}`;
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  runId: `${GROUP}/run-id`,
  task: `${GROUP}/task`,
  attempt: `${GROUP}/attempt`,
  dag: `${GROUP}/dag`,
  shard: `${GROUP}/shard`,
} as const;
export const MANAGED_BY = 'kontroler';

/** Annotations carry the exact values (labels may be shortened to fit the label rules). */
export const ANNOTATIONS = {
  runId: `${GROUP}/run-id`,
  task: `${GROUP}/task`,
  attempt: `${GROUP}/attempt`,
  dag: `${GROUP}/dag`,
} as const;

/** Held on task pods until their log is in the store (removed by `release`). */
export const LOG_FINALIZER = `${GROUP}/log-archive`;

const MAX_NAME = 63;

function shortHash(s: string, n = 8): string {
  return createHash('sha256').update(s).digest('hex').slice(0, n);
}

/**
 * `s` as a DNS label part: lower case, [a-z0-9-], no leading/trailing `-`. When that changed
 * anything, or `s` is longer than `max`, a hash of the original is appended so that two
 * different inputs never map to the same result.
 */
export function dnsPart(s: string, max: number): string {
  const clean = s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  if (clean === s && s.length <= max && s.length > 0) return s;
  const h = shortHash(s);
  const room = Math.max(0, max - h.length - 1);
  const head = clean.slice(0, room).replace(/-$/, '');
  return head ? `${head}-${h}` : h;
}

/** `kr-<run>-<task>-<attempt>`: the one pod of an attempt. At most 63 characters. */
export function podName(key: AttemptKey): string {
  const run = dnsPart(key.runId, 20);
  const fixed = `kr-${run}--${key.attempt}`.length;
  return `kr-${run}-${dnsPart(key.task, MAX_NAME - fixed)}-${key.attempt}`;
}

/** The run's workspace claim: `kr-<run>-workspace`. */
export function workspaceClaimName(runId: string): string {
  return `kr-${dnsPart(runId, 20)}-workspace`;
}

/** A label value (≤ 63 chars of [A-Za-z0-9._-], alphanumeric at both ends); shortened with a hash when needed. */
export function labelValue(s: string): string {
  if (s.length <= 63 && /^([A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)?$/.test(s)) return s;
  const h = shortHash(s);
  const head = s.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 63 - h.length - 1).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return head ? `${head}-${h}` : h;
}

export function attemptLabels(key: AttemptKey, dagName: string): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.runId]: labelValue(key.runId),
    [LABELS.task]: labelValue(key.task),
    [LABELS.attempt]: String(key.attempt),
    [LABELS.dag]: labelValue(dagName),
  };
}

export function attemptAnnotations(key: AttemptKey, dagName: string): Record<string, string> {
  return { [ANNOTATIONS.runId]: key.runId, [ANNOTATIONS.task]: key.task, [ANNOTATIONS.attempt]: String(key.attempt), [ANNOTATIONS.dag]: dagName };
}

/** The attempt a pod belongs to, from its annotations; undefined for pods that are not ours. */
export function keyOfPod(pod: { metadata?: { annotations?: Record<string, string> } }): AttemptKey | undefined {
  const a = pod.metadata?.annotations;
  const runId = a?.[ANNOTATIONS.runId];
  const task = a?.[ANNOTATIONS.task];
  const attempt = Number(a?.[ANNOTATIONS.attempt]);
  if (runId === undefined || task === undefined || !Number.isInteger(attempt)) return undefined;
  return { runId, task, attempt };
}

/** A stable string for maps keyed by attempt. */
export function keyString(k: AttemptKey): string {
  return `${k.runId}\u0000${k.task}\u0000${k.attempt}`;
}
