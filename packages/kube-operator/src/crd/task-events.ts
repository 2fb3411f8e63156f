// Per-task Kubernetes Events on a DagRun — TaskFailed (no retry left) and TaskRetrying (an attempt
// failed, another follows) — bounded so that a run of 10,000 failing tasks cannot flood etcd:
// at most TASK_EVENTS_PER_MINUTE per run in each TASK_EVENTS_WINDOW_MS window; the failures past
// that are counted, and the next window (or the run's end) opens with one TaskEventsSuppressed
// Event saying how many were not sent and where to see them. So a run records at most
// TASK_EVENTS_PER_MINUTE + 1 task Events a minute, whatever its size (and Kubernetes expires
// Events after an hour). Failures are read from the store in the order they ended, after a
// cursor kept per active run; an attempt recorded late (its end time before the cursor) is counted
// with the suppressed ones. A run first seen mid-way (a new leader, a restart) starts from its
// latest failure: what happened before was told by the leader of then, or is in the API.
import {
  countFailedAttempts,
  failedAttemptsAfter,
  lastFailedAttemptCursor,
  type FailedAttempt,
  type FailedAttemptCursor,
  type PoolLike,
} from '@kontroler/store';
import { runApiPath } from './dagrun-status.js';
import type { EventInput } from './events.js';

/** Task Events one run may record per window (then one summarising Event per window). */
export const TASK_EVENTS_PER_MINUTE = 20;
/** The window of TASK_EVENTS_PER_MINUTE. */
export const TASK_EVENTS_WINDOW_MS = 60_000;

/** A run's rate window: when it began, Events sent in it, failures not sent. */
export interface TaskEventWindow {
  readonly start: number;
  readonly sent: number;
  readonly suppressed: number;
}

/**
 * The window at `now`: the same while it lasts; past its end a new one, and how many failures
 * the ended one did not send (to tell in one Event). Pure.
 */
export function rollWindow(w: TaskEventWindow, now: number, windowMs: number): { window: TaskEventWindow; summarize: number } {
  if (now - w.start < windowMs) return { window: w, summarize: 0 };
  return { window: { start: now, sent: 0, suppressed: 0 }, summarize: w.suppressed };
}

/** The Event telling one failed attempt. Pure. */
export function taskEvent(runId: number, a: FailedAttempt): EventInput {
  const why = [a.exitCode !== null ? `exit code ${a.exitCode}` : undefined, a.reason ?? undefined].filter((x) => x !== undefined).join(': ');
  const detail = why ? ` (${why})` : '';
  return a.final
    ? { type: 'Warning', reason: 'TaskFailed', message: `run ${runId}: task ${a.task} failed on attempt ${a.attempt}${detail}; no retry left` }
    : { type: 'Warning', reason: 'TaskRetrying', message: `run ${runId}: task ${a.task} attempt ${a.attempt} failed${detail}; retrying` };
}

/** The Event telling how many failures were not sent one by one. Pure. */
export function suppressedEvent(runId: number, n: number, perMinute: number): EventInput {
  return {
    type: 'Warning',
    reason: 'TaskEventsSuppressed',
    message: `run ${runId}: ${n} more failed task attempt${n === 1 ? '' : 's'} not sent as Events (at most ${perMinute} task Events per run a minute): see status.taskCounts, or GET ${runApiPath(runId)}/tasks?status=failed`,
  };
}

interface RunNotices {
  cursor: FailedAttemptCursor | null;
  /** Failures accounted for: sent, or counted as suppressed. */
  known: number;
  window: TaskEventWindow;
}

export interface TaskEventNotifierOptions {
  readonly pool: PoolLike;
  readonly perMinute?: number;
  readonly windowMs?: number;
  readonly now?: () => number;
}

/** Keeps, per active run, where its failures were told up to; memory O(active runs). */
export class TaskEventNotifier {
  private readonly runs = new Map<number, RunNotices>();
  private readonly perMinute: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(private readonly o: TaskEventNotifierOptions) {
    this.perMinute = o.perMinute ?? TASK_EVENTS_PER_MINUTE;
    this.windowMs = o.windowMs ?? TASK_EVENTS_WINDOW_MS;
    this.now = o.now ?? Date.now;
  }

  /**
   * Sends (through `send`) the Events for the run's failures since the last call, within the
   * bound. `fresh`: the run was not shown before (tell it from its first failure). `ended`: the
   * run ended (a pending summary goes now and the run is forgotten). Resolves with when to call
   * again (ms) while a summary waits for its window to end. Throws the store's errors (the caller
   * retries); `send` is best effort.
   */
  async notify(runId: number, opts: { fresh: boolean; ended: boolean }, send: (e: EventInput) => Promise<void>): Promise<number | undefined> {
    const now = this.now();
    const total = await countFailedAttempts(this.o.pool, runId);
    let st = this.runs.get(runId);
    if (!st) {
      st = opts.fresh
        ? { cursor: null, known: 0, window: { start: now, sent: 0, suppressed: 0 } }
        : { cursor: await lastFailedAttemptCursor(this.o.pool, runId), known: total, window: { start: now, sent: 0, suppressed: 0 } };
      this.runs.set(runId, st);
    }
    const rolled = rollWindow(st.window, now, this.windowMs);
    if (rolled.summarize > 0) await send(suppressedEvent(runId, rolled.summarize, this.perMinute));
    let w = rolled.window;
    if (total > st.known) {
      const budget = this.perMinute - w.sent;
      if (budget > 0) {
        const rows = await failedAttemptsAfter(this.o.pool, runId, st.cursor, Math.min(budget, total - st.known));
        for (const r of rows) await send(taskEvent(runId, r));
        w = { ...w, sent: w.sent + rows.length };
        st.known += rows.length;
        st.cursor = rows[rows.length - 1]?.cursor ?? st.cursor;
      }
      if (total > st.known) {
        // Past the budget (or recorded late): counted, and skipped by the cursor.
        w = { ...w, suppressed: w.suppressed + (total - st.known) };
        st.known = total;
        st.cursor = (await lastFailedAttemptCursor(this.o.pool, runId)) ?? st.cursor;
      }
    }
    st.window = w;
    if (opts.ended) {
      if (w.suppressed > 0) await send(suppressedEvent(runId, w.suppressed, this.perMinute));
      this.runs.delete(runId);
      return undefined;
    }
    return w.suppressed > 0 ? Math.max(1, w.start + this.windowMs - now) : undefined;
  }

  /** Drops what is kept for a run (its DagRun is gone). */
  forget(runId: number): void {
    this.runs.delete(runId);
  }

  /** Drops everything (leadership lost: whoever leads next tells the failures from then on). */
  clear(): void {
    this.runs.clear();
  }
}
