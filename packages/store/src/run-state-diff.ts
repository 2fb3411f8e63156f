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

/** An attempt row written together with the last part of its log. */
export interface LoggedWrite<L> {
  readonly write: AttemptWrite;
  readonly log: L;
}

/**
 * Pairs the logs stored with a save with their attempts' rows: an attempt the save writes anyway
 * takes its log along; one it does not write (its end was saved before, or the decision ignored
 * it) is written as it stands in `next`, with its log. Only attempts `prev` has can carry a log
 * (an attempt this save creates has printed nothing yet); the log of any other is dropped (its
 * attempt is not in the run: nothing to attach it to). Pure.
 */
export function withLogs<L extends { readonly state: { readonly task: string; readonly attempt: number } }>(
  attempts: readonly AttemptWrite[],
  logs: readonly L[],
  prev: RunState,
  next: RunState,
): { plain: readonly AttemptWrite[]; logged: Array<LoggedWrite<L>> } {
  if (logs.length === 0) return { plain: attempts, logged: [] };
  const key = (task: string, attempt: number): string => `${task}\u0000${attempt}`;
  const byAttempt = new Map<string, L>();
  for (const l of logs) if (prev.tasks.get(l.state.task)?.attempts[l.state.attempt - 1] !== undefined) byAttempt.set(key(l.state.task, l.state.attempt), l);
  const plain: AttemptWrite[] = [];
  const logged: Array<LoggedWrite<L>> = [];
  for (const w of attempts) {
    const k = key(w.task, w.a.attempt);
    const log = byAttempt.get(k);
    if (log === undefined) plain.push(w);
    else {
      logged.push({ write: w, log });
      byAttempt.delete(k);
    }
  }
  for (const log of byAttempt.values()) {
    const a = next.tasks.get(log.state.task)?.attempts[log.state.attempt - 1];
    if (a !== undefined) logged.push({ write: { task: log.state.task, a }, log });
  }
  return { plain, logged };
}
