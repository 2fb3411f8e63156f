// Which task actions the run page offers for a task, and why one is not (the tooltip): the same
// rules the API answers 409 with (engine task-actions.ts), read from the task as the page has it.
import type { RunTask } from '@kontroler/client';

export interface ActionState {
  readonly enabled: boolean;
  /** Why it is disabled (a tooltip), or what it does. */
  readonly title: string;
}

export interface TaskActions {
  readonly retry: ActionState;
  readonly retryDownstream: ActionState;
  readonly markSucceeded: ActionState;
  readonly markFailed: ActionState;
}

const FINISHED = new Set(['succeeded', 'failed', 'skipped', 'canceled']);

/**
 * The actions on `task` of a run in `run` (its status, whether a cancel is asked for or a request
 * waits): a finished task can be retried; any task but a running one, a mapped task with instances
 * or one already in that state can be marked; nothing while a cancel is under way or a request waits.
 */
export function taskActionsOf(task: Pick<RunTask, 'name' | 'status' | 'instances' | 'kind'>, run: { status: string; cancelRequested: boolean; requested: string | null }): TaskActions {
  const blocked =
    run.cancelRequested && (run.status === 'pending' || run.status === 'running')
      ? 'The run is being canceled'
      : run.requested === 'cancel' || run.requested === 'retry'
        ? `A ${run.requested} of the run waits to be carried out`
        : undefined;
  const finished = FINISHED.has(task.status);
  const retry = (what: string): ActionState =>
    blocked ? { enabled: false, title: blocked } : finished ? { enabled: true, title: what } : { enabled: false, title: `Task ${task.name} is ${task.status}: only a finished task can be retried` };
  const mark = (status: 'succeeded' | 'failed'): ActionState => {
    if (blocked) return { enabled: false, title: blocked };
    if (task.instances !== undefined) return { enabled: false, title: `A mapped task's outcome is its instances': mark an instance instead` };
    if (task.status === 'running') return { enabled: false, title: `Task ${task.name} is running: cancel the run or wait for the attempt to end` };
    if (task.status === status) return { enabled: false, title: `Task ${task.name} is already ${status}` };
    return { enabled: true, title: `Tasks after it see it as ${status}; the audit log records who marked it` };
  };
  return {
    retry: retry('Run this task again (a new attempt); the tasks after it keep their result'),
    retryDownstream: retry('Run this task and every finished task after it again'),
    markSucceeded: mark('succeeded'),
    markFailed: mark('failed'),
  };
}

/** The parameters a re-run sends: those changed from the run's values (empty: none changed). */
export function changedParameters(old: Readonly<Record<string, string>>, edited: Readonly<Record<string, string>>, secretOverrides: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(edited)) if (old[k] !== v) out[k] = v;
  for (const [k, v] of Object.entries(secretOverrides)) if (v !== '') out[k] = v;
  return out;
}
