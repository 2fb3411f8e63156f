import type { ResolvedTask, TriggerRule } from '@kontroler/core';
import type { TaskStatus } from './state.js';
import { isTerminalTask } from './state.js';

export type Readiness = { kind: 'wait' } | { kind: 'ready' } | { kind: 'skip'; reason: string };

const READY: Readiness = { kind: 'ready' };
const WAIT: Readiness = { kind: 'wait' };
const SKIP_UPSTREAM_FAILED: Readiness = { kind: 'skip', reason: 'UpstreamFailed' };
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
 * `readiness` from counts of the upstream tasks (each `runAfter` entry counted): `upstream` in all,
 * how many are terminal, succeeded, failed. O(1): the incremental engine keeps these counts per task.
 */
export function readinessFromCounts(rule: TriggerRule, upstream: number, terminal: number, succeeded: number, failed: number): Readiness {
  if (upstream === 0) return READY;
  switch (rule) {
    case 'AllSucceeded':
      if (succeeded === upstream) return READY;
      return terminal > succeeded ? SKIP_UPSTREAM_FAILED : WAIT;
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
