// What can happen to a run (events in) and what the engine asks for (commands out).
import type { RunStatus, TaskStatus } from './state.js';

export type RunEvent =
  /** Re-evaluate: start what is ready, enforce deadlines and retry delays, finish the run. */
  | { readonly type: 'run:tick' }
  /** A person or API asked to stop the run: running attempts are killed, the rest canceled. */
  | { readonly type: 'run:cancel'; readonly reason?: string }
  /** Retry a failed or canceled run from its failed, skipped and canceled tasks. */
  | { readonly type: 'run:retry' }
  /**
   * A person asked to run a finished task again (`downstream`: with every finished task after it);
   * a finished run is running again. Ignored unless the task has finished, or while a cancel is
   * under way.
   */
  | { readonly type: 'task:retry'; readonly task: string; readonly downstream: boolean }
  /**
   * A person marked a task succeeded or failed (`by`: who, kept in its reason): tasks after it see
   * that outcome; a finished run's outcome is evaluated again. Ignored for a running task, a
   * mapped task (mark its instances) or while a cancel is under way.
   */
  | { readonly type: 'task:mark'; readonly task: string; readonly status: 'succeeded' | 'failed'; readonly by: string }
  /** The runtime started the attempt (pid / pod known). */
  | { readonly type: 'attempt:started'; readonly task: string; readonly attempt: number; readonly at: number; readonly handle?: string }
  /**
   * The attempt ended. `exitCode` is absent when the process never ran or was killed by a
   * signal; `reason` then says why (e.g. Lost, ImagePullBackOff, Killed).
   */
  | {
      readonly type: 'attempt:exited';
      readonly task: string;
      readonly attempt: number;
      readonly at: number;
      /** When the process started, on the clock of `at` (replaces the `attempt:started` time). */
      readonly startedAt?: number;
      readonly exitCode?: number;
      readonly reason?: string;
      /**
       * Retrying cannot help (the attempt failed before starting on a configuration error, e.g. a
       * missing secret): the task fails at once without using its retries; "retry run" after the
       * fix starts it again.
       */
      readonly noRetry?: boolean;
      /** The values of the task's declared outputs the attempt wrote (a child attempt's: the child run's outputs). */
      readonly outputs?: Readonly<Record<string, string>>;
      /**
       * The outputs could not be taken (a value over the limit, unreadable): the attempt fails with
       * this as its reason even when it exited 0, e.g. `OutputTooLarge: output "rows" is 70000
       * bytes; the limit is 65536 bytes`.
       */
      readonly outputError?: string;
    }
  /**
   * A person decided an approval attempt (or the API on their behalf). Ignored unless the attempt
   * is the task's current, undecided approval attempt.
   */
  | {
      readonly type: 'approval:decided';
      readonly task: string;
      readonly attempt: number;
      readonly approve: boolean;
      /** Who decided (user name, or `timeout`). */
      readonly by: string;
      readonly comment?: string;
      /** The declared inputs' values. */
      readonly inputs?: Readonly<Record<string, string>>;
      readonly at: number;
    };

export type Command =
  /** Create-or-adopt the attempt in the runtime; the attempt is already recorded as starting. */
  | { readonly type: 'attempt:start'; readonly task: string; readonly attempt: number; readonly deadlineAt?: number }
  /** Stop the attempt (idempotent); it then ends with `reason`. */
  | { readonly type: 'attempt:kill'; readonly task: string; readonly attempt: number; readonly reason: string }
  /** Feed the engine a `run:tick` at this time (epoch ms) or later. */
  | { readonly type: 'wake'; readonly at: number }
  /** Tell the DAG's webhook (and anyone listening) that a task changed state. */
  | {
      readonly type: 'notify:task';
      readonly task: string;
      readonly status: TaskStatus;
      readonly attempt?: number;
      readonly exitCode?: number;
      readonly reason?: string;
    }
  /** Tell the DAG's webhook that the run ended. */
  | { readonly type: 'notify:run'; readonly status: RunStatus }
  /**
   * Create-or-adopt the child run of a `dagRef` attempt (idempotent per run, task, attempt), then
   * feed `attempt:started` (handle: the child run id) and, when it ends, `attempt:exited` (exit
   * code 0 and its outputs when it succeeded, else reason ChildRunFailed / ChildRunCanceled).
   * `attempt:kill` of a child attempt cancels the child run.
   */
  | { readonly type: 'child:start'; readonly task: string; readonly attempt: number; readonly dagName: string; readonly parameters: Readonly<Record<string, string>> }
  /** An approval attempt now waits for a person: record it and announce it (webhook `approval:requested`). */
  | {
      readonly type: 'approval:request';
      readonly task: string;
      readonly attempt: number;
      readonly message: string;
      readonly inputs: readonly string[];
      /** When `onTimeout` applies, epoch ms (absent: waits forever). */
      readonly timeoutAt?: number;
    }
  /** An approval was decided: announce it (webhook `approval:decided`). */
  | { readonly type: 'notify:approval'; readonly task: string; readonly attempt: number; readonly approve: boolean; readonly by: string; readonly comment?: string };
