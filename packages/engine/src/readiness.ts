import type { ResolvedTask, TriggerRule } from '@kontroler/core';
import type { TaskState, TaskStatus } from './state.js';
import { isTerminalTask } from './state.js';

export type Readiness = { kind: 'wait' } | { kind: 'ready' } | { kind: 'skip'; reason: string };

const READY: Readiness = { kind: 'ready' };
const WAIT: Readiness = { kind: 'wait' };
const UPSTREAM_FAILED = 'UpstreamFailed';
const UPSTREAM_SKIPPED = 'UpstreamSkipped';
const SKIP_UPSTREAM_FAILED: Readiness = { kind: 'skip', reason: UPSTREAM_FAILED };
const SKIP_UPSTREAM_SKIPPED: Readiness = { kind: 'skip', reason: UPSTREAM_SKIPPED };
const SKIP_NONE_SUCCEEDED: Readiness = { kind: 'skip', reason: 'NoUpstreamSucceeded' };
const SKIP_NONE_FAILED: Readiness = { kind: 'skip', reason: 'NoUpstreamFailed' };

/**
 * Whether a pending task may start, given its upstream tasks' statuses and its trigger rule.
 * A task with no upstream tasks is always ready.
 */
export function readiness(spec: ResolvedTask, statusOf: (task: string) => TaskStatus | undefined): Readiness {
  let terminal = 0;
  let succeeded = 0;
  let failed = 0;
  for (const n of spec.runAfter) {
    const s = statusOf(n) ?? 'pending';
    if (isTerminalTask(s)) terminal++;
    if (s === 'succeeded') succeeded++;
    if (s === 'failed') failed++;
  }
  return readinessFromCounts(spec.triggerRule, spec.runAfter.length, terminal, succeeded, failed);
}

/**
 * `readiness` gives `UpstreamSkipped` for an `AllSucceeded` task ruled out while none of its
 * upstream tasks had failed (one was skipped or canceled). Which upstream tasks are terminal when
 * a task is evaluated depends on evaluation order, so the reason is settled once a decision has
 * skipped everything it skips, from the upstream states then: `UpstreamFailed` when an upstream
 * task failed or was skipped after a failure, else `UpstreamSkipped: NAME` /
 * `UpstreamCanceled: NAME` naming the first such upstream task in `runAfter` order.
 *
 * `skipped`: the tasks this decision skipped; returns the new reason of each whose reason is
 * `UpstreamSkipped` (the others are left out). Pure; O(runAfter of those tasks).
 */
export function settleSkipReasons(
  skipped: readonly string[],
  specOf: (task: string) => ResolvedTask | undefined,
  taskOf: (task: string) => Pick<TaskState, 'status' | 'reason'> | undefined,
): Map<string, string> {
  const now = new Set(skipped);
  const settled = new Map<string, string>();
  const reasonOf = (name: string): string | undefined => {
    const t = taskOf(name);
    if (t?.reason !== UPSTREAM_SKIPPED || !now.has(name)) return t?.reason;
    const known = settled.get(name);
    if (known !== undefined) return known;
    settled.set(name, UPSTREAM_SKIPPED); // a cycle cannot occur in a DAG; this only bounds the walk
    let reason: string | undefined;
    let first: string | undefined;
    for (const n of specOf(name)?.runAfter ?? []) {
      const u = taskOf(n);
      if (u?.status === 'failed' || (u?.status === 'skipped' && reasonOf(n) === UPSTREAM_FAILED)) {
        reason = UPSTREAM_FAILED;
        break;
      }
      if (first === undefined && (u?.status === 'skipped' || u?.status === 'canceled')) first = `${u.status === 'skipped' ? UPSTREAM_SKIPPED : 'UpstreamCanceled'}: ${n}`;
    }
    reason ??= first ?? UPSTREAM_SKIPPED;
    settled.set(name, reason);
    return reason;
  };
  for (const name of skipped) reasonOf(name);
  return settled;
}

/**
 * `readiness` from counts of the upstream tasks (each `runAfter` entry counted): `upstream` in all,
 * how many are terminal, succeeded, failed. O(1): the incremental engine keeps these counts per task.
 */
export function readinessFromCounts(rule: TriggerRule, upstream: number, terminal: number, succeeded: number, failed: number): Readiness {
  if (upstream === 0) return READY;
  switch (rule) {
    case 'AllSucceeded':
      if (succeeded === upstream) return READY;
      if (terminal === succeeded) return WAIT;
      return failed > 0 ? SKIP_UPSTREAM_FAILED : SKIP_UPSTREAM_SKIPPED;
    case 'AllDone':
      return terminal === upstream ? READY : WAIT;
    case 'AnySucceeded':
      if (succeeded > 0) return READY;
      return terminal === upstream ? SKIP_NONE_SUCCEEDED : WAIT;
    case 'AnyFailed':
      if (failed > 0) return READY;
      return terminal === upstream ? SKIP_NONE_FAILED : WAIT;
  }
}
