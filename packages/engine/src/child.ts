// Sub-DAGs: a task with `dagRef` runs DAG `dagRef.name` (same namespace) as a child run and ends
// when it ends. Pure per-task transitions; the controller creates the child run (`child:start`)
// and reports it like a runtime reports an attempt: `attempt:started` with the child run's id as
// the handle, `attempt:exited` with exit code 0 and the child's outputs when it succeeded.
import { DATA_FLOW_LIMITS, type ResolvedTask } from '@kontroler/core';
import type { Command } from './events.js';
import type { AttemptState, ResolvedInputs, TaskState } from './state.js';
import { identity } from './transitions.js';

/** Reason of a child attempt whose child run failed, or was canceled. */
export const CHILD_RUN_FAILED = 'ChildRunFailed';
export const CHILD_RUN_CANCELED = 'ChildRunCanceled';

/** Why a run at `depth` may not start a child run (undefined: it may). */
export function childDepthProblem(depth: number): string | undefined {
  return depth + 1 > DATA_FLOW_LIMITS.maxDagDepth
    ? `DagDepthExceeded: this run is ${depth} child runs deep; a chain of dagRef runs is at most ${DATA_FLOW_LIMITS.maxDagDepth} deep (a cycle of dagRefs?)`
    : undefined;
}

/** The task once its child attempt is recorded as starting, and the command that starts the child run. */
export function startedChild(spec: ResolvedTask, t: TaskState, now: number, resolved?: ResolvedInputs): { task: TaskState; command: Command } {
  const ref = spec.dagRef ?? { name: '', parameters: [] };
  const n = t.attempts.length + 1;
  const deadlineAt = spec.timeoutSeconds !== undefined ? now + spec.timeoutSeconds * 1000 : undefined;
  const attempt: AttemptState = Object.assign(
    { attempt: n, kind: 'child' as const, status: 'starting' as const, createdAt: now },
    deadlineAt !== undefined ? { deadlineAt } : {},
    resolved !== undefined ? { resolved } : {},
  );
  const parameters: Record<string, string> = {};
  for (const p of ref.parameters) Object.defineProperty(parameters, p.name, { value: resolved?.parameters?.[p.name] ?? p.value, enumerable: true, writable: true });
  return {
    task: Object.assign(identity(t), { status: 'running' as const, attempts: [...t.attempts, attempt] }),
    command: { type: 'child:start', task: t.name, attempt: n, dagName: ref.name, parameters },
  };
}
