// What a save writes: the rows of the tasks a decision changed, never a walk over every task.
import type { AttemptState, RunState, TaskState } from '@kontroler/engine';

/** One attempt row to upsert. */
export interface AttemptWrite {
  readonly task: string;
  readonly a: AttemptState;
}

/** The task_states and attempts rows a save writes. */
export interface RunStateWrites {
  /** Rows to update (tasks `prev` has). */
  readonly tasks: readonly TaskState[];
  /**
   * Rows to insert: tasks `next` has and `prev` has not (instances of a mapped task, when an
   * expansion creates them), in the order `changed` names them (their creation order).
   */
  readonly inserted: readonly TaskState[];
  readonly attempts: readonly AttemptWrite[];
}

/**
 * The rows to write for the tasks named in `changed` (a decision's `changed`): a task row when the
 * task's status, reason, retry time or instance count differs from `prev` (a row to insert when
 * `prev` has no such task: a new instance), and an attempt row for each attempt
 * that is not the same object as in `prev` (normally only the last one: the engine replaces the
 * last attempt or appends one, sharing the others). Tasks not named are not looked at, so the
 * cost is O(changed × attempts per task), whatever the run's size. Names given twice are written
 * once; names `next` does not have are ignored. Pure.
 */
export function runStateWrites(prev: RunState, next: RunState, changed: readonly string[]): RunStateWrites {
  const tasks: TaskState[] = [];
  const inserted: TaskState[] = [];
  const attempts: AttemptWrite[] = [];
  for (const name of new Set(changed)) {
    const t = next.tasks.get(name);
    const before = prev.tasks.get(name);
    if (!t || before === t) continue;
    if (!before) inserted.push(t);
    else if (before.status !== t.status || before.reason !== t.reason || before.retryAt !== t.retryAt || before.instances !== t.instances) tasks.push(t);
    t.attempts.forEach((a, i) => {
      if (before?.attempts[i] !== a) attempts.push({ task: name, a });
    });
  }
  return { tasks, inserted, attempts };
}
