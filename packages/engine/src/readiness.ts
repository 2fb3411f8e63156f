import type { ResolvedTask } from '@kontroler/core';
import type { TaskStatus } from './state.js';
import { isTerminalTask } from './state.js';

export type Readiness = { kind: 'wait' } | { kind: 'ready' } | { kind: 'skip'; reason: string };

/**
 * Whether a pending task may start, given its upstream tasks' statuses and its trigger rule.
 * A task with no upstream tasks is always ready.
 */
export function readiness(spec: ResolvedTask, statusOf: (task: string) => TaskStatus | undefined): Readiness {
  const ups = spec.runAfter.map((n) => statusOf(n) ?? 'pending');
  if (ups.length === 0) return { kind: 'ready' };
  const done = ups.every(isTerminalTask);
  const anyOk = ups.some((s) => s === 'succeeded');
  const anyBad = ups.some((s) => s === 'failed');
  switch (spec.triggerRule) {
    case 'AllSucceeded':
      if (ups.every((s) => s === 'succeeded')) return { kind: 'ready' };
      if (ups.some((s) => isTerminalTask(s) && s !== 'succeeded')) return { kind: 'skip', reason: 'UpstreamFailed' };
      return { kind: 'wait' };
    case 'AllDone':
      return done ? { kind: 'ready' } : { kind: 'wait' };
    case 'AnySucceeded':
      if (anyOk) return { kind: 'ready' };
      return done ? { kind: 'skip', reason: 'NoUpstreamSucceeded' } : { kind: 'wait' };
    case 'AnyFailed':
      if (anyBad) return { kind: 'ready' };
      return done ? { kind: 'skip', reason: 'NoUpstreamFailed' } : { kind: 'wait' };
  }
}
