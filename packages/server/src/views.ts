// Store records → API JSON (times as ISO 8601 strings, secrets never included).
import type { ApiTokenRecord, AttemptRecord, DagRecord, GraphSummary, RunIndex, RunRecord, RunTaskRecord, TaskBrief, TaskCounts, UserRecord, WebhookDelivery } from '@kontroler/store';
import type { AttemptState } from '@kontroler/engine';
import { formatLogicalTime } from '@kontroler/core';

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/** A run's logical times as its tasks see them (RFC 3339 in the DAG's time zone), null when it has none. */
export function logicalTimeView(r: RunRecord): { logicalTime: string | null; prevLogicalTime: string | null; timezone?: string } {
  if (r.scheduledFor === null) return { logicalTime: null, prevLogicalTime: null };
  const tz = r.logicalTimezone ?? 'UTC';
  return {
    logicalTime: formatLogicalTime(r.scheduledFor, tz),
    prevLogicalTime: r.prevLogicalTime !== undefined ? formatLogicalTime(r.prevLogicalTime, tz) : null,
    timezone: tz,
  };
}

export function runSummary(r: RunRecord, taskCounts?: Record<string, number>) {
  return {
    id: r.id,
    name: r.name,
    namespace: r.namespace,
    dag: r.dagName,
    dagVersion: r.dagVersion,
    status: r.status,
    trigger: r.trigger,
    parameters: r.parameters,
    secretParameters: Object.keys(r.secretRefs),
    cancelRequested: r.cancelRequested,
    requested: r.requested,
    scheduledFor: iso(r.scheduledFor),
    ...logicalTimeView(r),
    ...(r.backfillId !== undefined ? { backfillId: r.backfillId } : {}),
    createdAt: iso(r.createdAt),
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    durationMs: r.startedAt !== null && r.finishedAt !== null ? r.finishedAt - r.startedAt : null,
    ...(taskCounts ? { taskCounts } : {}),
    ...(r.outputs ? { outputs: r.outputs } : {}),
    ...(r.parent ? { parent: r.parent } : {}),
  };
}

export function attemptView(a: AttemptState | AttemptRecord, logSize: number) {
  return {
    attempt: a.attempt,
    status: a.status,
    exitCode: a.exitCode ?? null,
    reason: a.reason ?? null,
    handle: a.handle ?? null,
    createdAt: iso(a.createdAt),
    startedAt: iso(a.startedAt),
    finishedAt: iso(a.finishedAt),
    deadlineAt: iso(a.deadlineAt),
    durationMs: a.startedAt !== undefined && a.finishedAt !== undefined ? a.finishedAt - a.startedAt : null,
    logSize,
    ...(a.kind ? { kind: a.kind } : {}),
    ...(a.outputs ? { outputs: a.outputs } : {}),
    ...(a.resolved ? { resolved: a.resolved as Record<string, unknown> } : {}),
  };
}

/** The spec fields a task of a run shows: its own, or for an instance its mapped task's. */
export function briefOf(index: RunIndex, t: RunTaskRecord): TaskBrief | undefined {
  if (t.mapOf === undefined) return index.tasks[t.position];
  const p = index.positions.get(t.mapOf);
  return p === undefined ? undefined : index.tasks[p];
}

/** A task of a run: its spec fields (from the run's index) and its state and attempts. */
export function runTaskView(spec: TaskBrief | undefined, t: RunTaskRecord) {
  return {
    name: t.name,
    position: t.position,
    status: t.status,
    reason: t.reason ?? null,
    retryAt: iso(t.retryAt),
    runAfter: spec?.runAfter ?? [],
    image: spec?.image ?? '',
    ...(spec ? { triggerRule: spec.triggerRule, retryLimit: spec.retryLimit } : {}),
    attempts: t.attempts.map((a) => attemptView(a, a.logSize)),
    ...taskOutputs(t),
    ...(t.mapOf !== undefined ? { kind: 'instance' as const, mapOf: t.mapOf, index: t.index ?? 0, item: t.item ?? null } : spec?.mapped ? { kind: 'map' as const } : {}),
    ...(spec?.approval ? { kind: 'approval' as const, approval: approvalView(spec.approval, t) } : {}),
    ...(spec?.dagRef ? { kind: 'dagRef' as const, ...childRunOf(t) } : {}),
    ...(t.instances !== undefined ? { instances: t.instances, instanceCounts: t.instanceCounts ?? {} } : {}),
  };
}

/** A dagRef task's last attempt's child run (its handle is the child run's id). */
function childRunOf(t: RunTaskRecord): { childRunId?: number } {
  const last = t.attempts[t.attempts.length - 1];
  const id = last?.kind === 'child' && last.handle !== undefined ? Number(last.handle) : NaN;
  return Number.isSafeInteger(id) ? { childRunId: id } : {};
}

/** What an approval task asks and, once decided, the decision on its last attempt. */
function approvalView(a: NonNullable<TaskBrief['approval']>, t: RunTaskRecord) {
  const last = t.attempts[t.attempts.length - 1];
  const d = t.decision;
  // A timeout's decision is the engine's (onTimeout), recorded on the attempt only.
  const byTimeout = !d && last?.kind === 'approval' && (last.reason === 'ApprovedOnTimeout' || last.reason?.startsWith('RejectedOnTimeout'));
  return {
    attempt: last?.attempt ?? 0,
    message: (last?.resolved as { message?: string } | undefined)?.message ?? a.message,
    inputs: [...a.inputs],
    timeoutAt: iso(last?.deadlineAt),
    onTimeout: a.onTimeout,
    waiting: t.status === 'running' && last?.kind === 'approval' && last.status === 'running',
    decision: d
      ? { approve: d.approve, by: d.decidedBy, comment: d.comment ?? null, inputs: d.inputs, at: new Date(d.decidedAt).toISOString() }
      : byTimeout
        ? { approve: last.reason === 'ApprovedOnTimeout', by: 'timeout', comment: null, inputs: {}, at: iso(last.finishedAt) ?? new Date(0).toISOString() }
        : null,
  };
}

/** A succeeded task's outputs: its last attempt's (the one that succeeded); a mapped task's, reduced over its instances. */
function taskOutputs(t: RunTaskRecord): { outputs?: Record<string, string> } {
  if (t.mappedOutputs) return { outputs: t.mappedOutputs };
  const last = t.attempts[t.attempts.length - 1];
  return t.status === 'succeeded' && last?.outputs ? { outputs: { ...last.outputs } } : {};
}

/** The cursor of the task page after `position` (GET /runs/{id}/tasks). */
export function taskCursor(position: number): string {
  return encodeCursor({ p: position });
}

/** The position a task cursor continues after; null for a string that is not one. */
export function taskCursorPosition(cursor: string): number | null {
  const v = decodeCursor(cursor);
  const p = typeof v === 'object' && v !== null && 'p' in v ? (v as { p: unknown }).p : undefined;
  return typeof p === 'number' && Number.isSafeInteger(p) && p >= 0 ? p : null;
}

/** GET /runs/{id}: the run, its task counts, the first page of tasks, and its graph or grouped graph. */
export function runDetail(
  o: { run: RunRecord; counts: TaskCounts; total: number },
  index: RunIndex,
  page: { tasks: RunTaskRecord[]; nextPosition?: number },
  graphSummary: GraphSummary | undefined,
) {
  return {
    ...runSummary(o.run),
    taskCounts: o.counts,
    taskTotal: o.total,
    tasks: page.tasks.map((t) => runTaskView(briefOf(index, t), t)),
    ...(page.nextPosition !== undefined ? { tasksNextCursor: taskCursor(page.nextPosition) } : {}),
    ...(index.graph ? { graph: index.graph } : {}),
    ...(graphSummary ? { graphSummary } : {}),
  };
}

export function dagView(d: DagRecord, extra: Record<string, unknown> = {}) {
  return {
    namespace: d.namespace,
    name: d.name,
    version: d.currentVersion,
    suspended: d.suspended,
    schedule: d.schedule,
    timezone: d.timezone,
    concurrencyPolicy: d.concurrencyPolicy,
    labels: d.labels,
    source: d.source,
    nextFireAt: iso(d.nextFireAt),
    lastFiredAt: iso(d.lastFiredAt),
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
    deletedAt: iso(d.deletedAt),
    ...extra,
  };
}

export function tokenView(t: ApiTokenRecord) {
  return {
    id: t.id,
    name: t.name,
    user: t.username,
    prefix: t.prefix,
    role: t.role,
    namespaces: t.namespaces,
    expiresAt: iso(t.expiresAt),
    lastUsedAt: iso(t.lastUsedAt),
    revokedAt: iso(t.revokedAt),
    createdAt: iso(t.createdAt),
  };
}

export function userView(u: UserRecord) {
  return {
    username: u.username,
    source: u.source,
    disabled: u.disabled,
    mustChangePassword: u.mustChangePassword,
    roles: u.roles,
    createdAt: iso(u.createdAt),
    passwordChangedAt: iso(u.passwordChangedAt),
  };
}

export function deliveryView(w: WebhookDelivery) {
  return {
    id: w.id,
    event: w.event,
    url: w.url,
    status: w.status,
    attempts: w.attempts,
    lastStatus: w.lastStatus,
    lastError: w.lastError,
    idempotencyKey: w.idempotencyKey,
    createdAt: iso(w.createdAt),
    deliveredAt: iso(w.deliveredAt),
    nextAttemptAt: w.status === 'pending' ? iso(w.nextAttemptAt) : null,
    payload: w.payload,
  };
}

/** Opaque keyset cursors. */
export function encodeCursor(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

export function decodeCursor(s: string | undefined): unknown {
  if (s === undefined || s === '') return undefined;
  try {
    return JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
  } catch {
    return null;
  }
}
