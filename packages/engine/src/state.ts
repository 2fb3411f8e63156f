// The state of one run, as the engine sees it. Plain data compared by reference: the engine shares
// unchanged parts, so `next.tasks.get(n) !== prev.tasks.get(n)` means task n changed. The tasks
// live in a persistent map (structural sharing), so a decision never copies the whole run.
import { Map as PersistentMap } from 'immutable';
import type { JsonValue } from '@kontroler/core';

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

/**
 * What an attempt is. Absent: a runtime attempt (a process / pod). `approval`: waiting for a
 * person (no runtime; the engine enforces its timeout itself). `child`: a child run of the task's
 * `dagRef` DAG (its `handle` is the child run's id).
 */
export type AttemptKind = 'approval' | 'child';

/**
 * The inputs an attempt was created with, references substituted (`{{params.S}}` of a secret
 * parameter is left as written: the controller fills it in for the runtime, never the record).
 */
export interface ResolvedInputs {
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly script?: string;
  /** The task's `env` entries, name → value. */
  readonly env?: Readonly<Record<string, string>>;
  /** A `dagRef` task's child run parameters, name → value. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** An approval's message. */
  readonly message?: string;
}

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
  /** Runtime handle: pid locally, pod name in a cluster; a child attempt's child run id. */
  readonly handle?: string;
  readonly kind?: AttemptKind;
  /**
   * The task's declared outputs, name → value, once the attempt succeeded (an approval's: the
   * decision's `approvedBy`, `comment` and inputs; a child's: the child DAG's outputs).
   */
  readonly outputs?: Readonly<Record<string, string>>;
  /** What references resolved to when the attempt was created (absent when the task has none). */
  readonly resolved?: ResolvedInputs;
}

export interface TaskState {
  readonly name: string;
  readonly status: TaskStatus;
  readonly attempts: readonly AttemptState[];
  /** When status is waiting: when the next attempt is due, epoch ms. */
  readonly retryAt?: number;
  /** Why a task is skipped / failed / canceled, for people. */
  readonly reason?: string;
  /**
   * An instance of a mapped task (`withItems` / `withParam`): the mapped task's name. The
   * instance is named `NAME[index]`, exists only in the run state (not in the definition) and
   * runs with the mapped task's spec and `{{item}}` = `item`.
   */
  readonly mapOf?: string;
  readonly index?: number;
  readonly item?: JsonValue;
  /**
   * A mapped task once its items are known: how many instances it has. It has no attempts of its
   * own; it is running while an instance is unfinished, then succeeded when every instance
   * succeeded (also with none), else failed (canceled when canceled). Tasks after it see it as one
   * upstream task.
   */
  readonly instances?: number;
}

/** The name of instance `index` of mapped task `task`. */
export function instanceName(task: string, index: number): string {
  return `${task}[${index}]`;
}

export interface RunState {
  readonly status: RunStatus;
  /** Every task of the run by name; build one with `taskMap`. */
  readonly tasks: ReadonlyMap<string, TaskState>;
  readonly cancelRequested: boolean;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /** The DAG's declared outputs, resolved when the run succeeded (absent when it declares none). */
  readonly outputs?: Readonly<Record<string, string>>;
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
