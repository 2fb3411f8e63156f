// The state of one run, as the engine sees it. Plain data compared by reference: the engine shares
// unchanged parts, so `next.tasks.get(n) !== prev.tasks.get(n)` means task n changed. The tasks
// live in a persistent map (structural sharing), so a decision never copies the whole run.
import { Map as PersistentMap } from 'immutable';

export type RunStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'canceled';
export const RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'succeeded', 'failed', 'canceled'];

/**
 * pending: not started yet; waiting: a retry is due at `retryAt`; running: an attempt is
 * starting or running; succeeded / failed / skipped (an upstream outcome ruled it out) /
 * canceled: final until a retry of the run.
 */
export type TaskStatus = 'pending' | 'waiting' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'canceled';
export const TASK_STATUSES: readonly TaskStatus[] = ['pending', 'waiting', 'running', 'succeeded', 'failed', 'skipped', 'canceled'];

/**
 * starting: recorded, handed to the runtime, not yet seen running; running: seen running;
 * succeeded / failed / canceled: ended; lost: the runtime has no trace of it (counts as failed).
 */
export type AttemptStatus = 'starting' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'lost';

export interface AttemptState {
  /** 1-based; attempt N+1 exists only once attempt N has ended. */
  readonly attempt: number;
  readonly status: AttemptStatus;
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /** When the runtime must stop it (timeout / activeDeadlineSeconds), epoch ms. */
  readonly deadlineAt?: number;
  readonly exitCode?: number;
  /** Why it ended the way it did: Completed, Error, DeadlineExceeded, Canceled, Lost, ... */
  readonly reason?: string;
  /** Set when the engine asked the runtime to stop it; becomes the reason when it ends. */
  readonly killReason?: string;
  /** Runtime handle: pid locally, pod name in a cluster. */
  readonly handle?: string;
}

export interface TaskState {
  readonly name: string;
  readonly status: TaskStatus;
  readonly attempts: readonly AttemptState[];
  /** When status is waiting: when the next attempt is due, epoch ms. */
  readonly retryAt?: number;
  /** Why a task is skipped / failed / canceled, for people. */
  readonly reason?: string;
}

export interface RunState {
  readonly status: RunStatus;
  /** Every task of the run by name; build one with `taskMap`. */
  readonly tasks: ReadonlyMap<string, TaskState>;
  readonly cancelRequested: boolean;
  readonly startedAt?: number;
  readonly finishedAt?: number;
}

/**
 * Reason of an attempt the runtime proves never ran (its creator died before starting it). Such an
 * attempt does not use up a retry: the task simply gets its next attempt.
 */
export const NOT_STARTED = 'NotStarted';

/** At most this many never-started attempts per task before the task fails (a runtime that keeps dying). */
export const MAX_NOT_STARTED = 5;

/** Attempts that actually ran (never-started ones excluded). */
export function ranAttempts(t: { attempts: readonly AttemptState[] }): number {
  return t.attempts.filter((a) => a.reason !== NOT_STARTED).length;
}

export function isTerminalRun(s: RunStatus): boolean {
  return s === 'succeeded' || s === 'failed' || s === 'canceled';
}

export function isTerminalTask(s: TaskStatus): boolean {
  return s === 'succeeded' || s === 'failed' || s === 'skipped' || s === 'canceled';
}

export function isActiveAttempt(s: AttemptStatus): boolean {
  return s === 'starting' || s === 'running';
}

export function lastAttempt(t: TaskState): AttemptState | undefined {
  return t.attempts[t.attempts.length - 1];
}

/** The tasks of a run as the persistent map `RunState.tasks` holds. */
export function taskMap(tasks: Iterable<TaskState>): ReadonlyMap<string, TaskState> {
  return PersistentMap<string, TaskState>().withMutations((m) => {
    for (const t of tasks) m.set(t.name, t);
  });
}

/**
 * `tasks` with `changed` set: O(changed × log n), sharing everything else. A map that is not one of
 * ours (built by hand, e.g. in a test) is converted once.
 */
export function withTasks(tasks: ReadonlyMap<string, TaskState>, changed: Iterable<TaskState>): ReadonlyMap<string, TaskState> {
  const base = PersistentMap.isMap(tasks) ? (tasks as PersistentMap<string, TaskState>) : PersistentMap<string, TaskState>(tasks);
  return base.withMutations((m) => {
    for (const t of changed) m.set(t.name, t);
  });
}
