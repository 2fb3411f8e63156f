// decide(): the run state machine. Pure: no I/O, no clock (time is `now`), no randomness.
// Level-based: an event first updates the state it is about, then `reconcile` looks at the whole
// run and computes what should happen next, whatever woke it.
import type { DagDefinition, ResolvedTask } from '@kontroler/core';
import type { Command, RunEvent } from './events.js';
import type { AttemptState, RunState, TaskState } from './state.js';
import { MAX_NOT_STARTED, NOT_STARTED, isActiveAttempt, isTerminalRun, isTerminalTask, lastAttempt, ranAttempts, taskMap, withTasks } from './state.js';
import { readiness } from './readiness.js';
import { retryDelayMs, shouldRetry } from './retry.js';

export interface DecideOptions {
  /** At most this many attempts of the run run at once (default: no limit). */
  readonly maxRunning?: number;
}

export interface Decision {
  readonly state: RunState;
  readonly commands: readonly Command[];
  /** Names of the tasks whose state changed in this decision, each once. */
  readonly changed: readonly string[];
}

/** The state of a run that has not started anything yet. */
export function initialRunState(def: DagDefinition): RunState {
  return { status: 'pending', tasks: taskMap(def.tasks.map((t): TaskState => ({ name: t.name, status: 'pending', attempts: [] }))), cancelRequested: false };
}

/**
 * Applies `event` to `state` and returns the next state and the commands to carry out. Never
 * throws for events about unknown tasks or stale attempts: they are ignored (the same event may be
 * delivered twice after a crash). Unchanged tasks keep their identity in the returned state.
 */
export function decide(def: DagDefinition, state: RunState, event: RunEvent, now: number, opts: DecideOptions = {}): Decision {
  return decideAll(def, state, [event], now, opts);
}

/**
 * `decide` for several events at once: applies them in order, then evaluates the run once. The
 * same outcome as feeding them one by one (the engine is level-based), at the cost of one pass.
 */
export function decideAll(def: DagDefinition, state: RunState, events: readonly RunEvent[], now: number, opts: DecideOptions = {}): Decision {
  const d = new Draft(def, state);
  for (const ev of events) apply(def, d, ev, now);
  reconcile(def, d, now, opts.maxRunning ?? Number.POSITIVE_INFINITY);
  return { state: d.result(), commands: d.commands, changed: d.changed() };
}

/** Mutable working copy that copies a task only when it changes. */
class Draft {
  readonly commands: Command[] = [];
  status: RunState['status'];
  cancelRequested: boolean;
  startedAt: number | undefined;
  finishedAt: number | undefined;
  /** Tasks changed so far; the rest are read from the base state (no copy per decision). */
  private readonly overlay = new Map<string, TaskState>();

  constructor(
    private readonly def: DagDefinition,
    private readonly base: RunState,
  ) {
    this.status = base.status;
    this.cancelRequested = base.cancelRequested;
    this.startedAt = base.startedAt;
    this.finishedAt = base.finishedAt;
  }

  task(name: string): TaskState | undefined {
    return this.overlay.get(name) ?? this.base.tasks.get(name);
  }

  setTask(t: TaskState): void {
    const before = this.task(t.name);
    this.overlay.set(t.name, t);
    if (before && before.status !== t.status) {
      const a = lastAttempt(t);
      this.commands.push({
        type: 'notify:task',
        task: t.name,
        status: t.status,
        ...(a ? { attempt: a.attempt } : {}),
        ...(a?.exitCode !== undefined ? { exitCode: a.exitCode } : {}),
        ...(t.reason !== undefined ? { reason: t.reason } : a?.reason !== undefined ? { reason: a.reason } : {}),
      });
    }
  }

  /** Every task, in definition order. */
  allTasks(): TaskState[] {
    const out: TaskState[] = [];
    for (const spec of this.def.tasks) {
      const t = this.task(spec.name);
      if (t) out.push(t);
    }
    return out;
  }

  changed(): string[] {
    return [...this.overlay.keys()];
  }

  result(): RunState {
    const b = this.base;
    if (
      this.overlay.size === 0 &&
      b.status === this.status &&
      b.cancelRequested === this.cancelRequested &&
      b.startedAt === this.startedAt &&
      b.finishedAt === this.finishedAt
    ) {
      return b;
    }
    return {
      status: this.status,
      tasks: this.overlay.size > 0 ? withTasks(b.tasks, this.overlay.values()) : b.tasks,
      cancelRequested: this.cancelRequested,
      ...(this.startedAt !== undefined ? { startedAt: this.startedAt } : {}),
      ...(this.finishedAt !== undefined ? { finishedAt: this.finishedAt } : {}),
    };
  }
}

function replaceLast(t: TaskState, a: AttemptState): readonly AttemptState[] {
  return [...t.attempts.slice(0, -1), a];
}

function apply(def: DagDefinition, d: Draft, ev: RunEvent, now: number): void {
  switch (ev.type) {
    case 'run:tick':
      return;
    case 'run:cancel':
      if (!isTerminalRun(d.status)) d.cancelRequested = true;
      return;
    case 'run:retry':
      return retryRun(d);
    case 'attempt:started': {
      const t = d.task(ev.task);
      const a = t && lastAttempt(t);
      if (!t || !a || a.attempt !== ev.attempt || a.status !== 'starting') return;
      d.setTask({
        ...t,
        attempts: replaceLast(t, { ...a, status: 'running', startedAt: ev.at, ...(ev.handle !== undefined ? { handle: ev.handle } : {}) }),
      });
      return;
    }
    case 'attempt:exited': {
      const t = d.task(ev.task);
      const a = t && lastAttempt(t);
      if (!t || !a || a.attempt !== ev.attempt || !isActiveAttempt(a.status)) return;
      const ok = ev.exitCode === 0 && a.killReason === undefined;
      const reason = a.killReason ?? ev.reason ?? (ok ? 'Completed' : 'Error');
      const ended: AttemptState = {
        ...a,
        status: ok ? 'succeeded' : a.killReason === 'Canceled' ? 'canceled' : reason === 'Lost' || reason === NOT_STARTED ? 'lost' : 'failed',
        finishedAt: ev.at,
        ...(a.startedAt === undefined ? { startedAt: ev.at } : {}),
        ...(ev.exitCode !== undefined ? { exitCode: ev.exitCode } : {}),
        reason,
      };
      const spec = def.tasks.find((x) => x.name === t.name);
      d.setTask(afterAttempt(spec, t, replaceLast(t, ended), ended, now, d.cancelRequested, ev.noRetry === true));
      return;
    }
  }
}

/** The task's next state once its last attempt ended: done, a delayed retry, or failed for good. */
function afterAttempt(
  spec: ResolvedTask | undefined,
  t: TaskState,
  attempts: readonly AttemptState[],
  ended: AttemptState,
  now: number,
  canceling: boolean,
  noRetry: boolean,
): TaskState {
  const base = { name: t.name, attempts };
  if (ended.status === 'succeeded') return { ...base, status: 'succeeded' };
  if (ended.status === 'canceled' || canceling) return { ...base, status: 'canceled', reason: 'Canceled' };
  if (noRetry) return { ...base, status: 'failed', reason: ended.reason ?? 'Error' };
  if (ended.reason === NOT_STARTED) {
    if (attempts.filter((a) => a.reason === NOT_STARTED).length < MAX_NOT_STARTED) {
      return { ...base, status: 'waiting', retryAt: now, reason: 'the previous attempt was never started; starting the next one' };
    }
    return { ...base, status: 'failed', reason: `${MAX_NOT_STARTED} attempts in a row were never started by the runtime` };
  }
  const why = ended.exitCode !== undefined ? `exit code ${ended.exitCode}` : (ended.reason ?? 'Error');
  const ran = ranAttempts({ attempts });
  if (spec && shouldRetry(spec, ran, ended.exitCode)) {
    const retryAt = now + retryDelayMs(spec, ran);
    return { ...base, status: 'waiting', retryAt, reason: `retry ${ran} of ${spec.retryLimit} after ${why}` };
  }
  return { ...base, status: 'failed', reason: ended.reason === 'Error' ? `failed with ${why}` : (ended.reason ?? 'Error') };
}

/** Failed, skipped and canceled tasks go back to pending; their attempt history stays. */
function retryRun(d: Draft): void {
  if (d.status !== 'failed' && d.status !== 'canceled') return;
  for (const t of d.allTasks()) {
    if (t.status === 'failed' || t.status === 'skipped' || t.status === 'canceled') {
      d.setTask({ name: t.name, status: 'pending', attempts: t.attempts });
    }
  }
  d.status = 'running';
  d.cancelRequested = false;
  d.finishedAt = undefined;
}

function reconcile(def: DagDefinition, d: Draft, now: number, maxRunning: number): void {
  if (isTerminalRun(d.status)) return;
  if (d.status === 'pending') {
    d.status = 'running';
    d.startedAt = now;
  }
  let wakeAt = Number.POSITIVE_INFINITY;

  if (d.cancelRequested) {
    for (const t of d.allTasks()) {
      const a = lastAttempt(t);
      if (t.status === 'running' && a && isActiveAttempt(a.status)) {
        if (a.killReason === undefined) {
          d.setTask({ ...t, attempts: replaceLast(t, { ...a, killReason: 'Canceled' }) });
          d.commands.push({ type: 'attempt:kill', task: t.name, attempt: a.attempt, reason: 'Canceled' });
        }
      } else if (!isTerminalTask(t.status)) {
        d.setTask({ name: t.name, status: 'canceled', attempts: t.attempts, reason: 'Canceled' });
      }
    }
  } else {
    // Start what is ready, in DAG order, up to the parallelism limit.
    let running = d.allTasks().filter((t) => t.status === 'running').length;
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const spec of def.tasks) {
        const t = d.task(spec.name);
        if (!t) continue;
        if (t.status === 'waiting') {
          if (t.retryAt !== undefined && t.retryAt > now) {
            wakeAt = Math.min(wakeAt, t.retryAt);
            continue;
          }
          if (running >= maxRunning) continue;
          startAttempt(d, spec, t, now);
          running++;
          continue;
        }
        if (t.status !== 'pending') continue;
        const r = readiness(spec, (n) => d.task(n)?.status);
        if (r.kind === 'skip') {
          d.setTask({ name: t.name, status: 'skipped', attempts: t.attempts, reason: r.reason });
          progressed = true; // a skip can make downstream tasks decidable
        } else if (r.kind === 'ready' && running < maxRunning) {
          startAttempt(d, spec, t, now);
          running++;
        }
      }
    }
    // Deadlines of running attempts (including the ones just started).
    for (const t of d.allTasks()) {
      const a = lastAttempt(t);
      if (t.status === 'running' && a && isActiveAttempt(a.status) && a.deadlineAt !== undefined && a.killReason === undefined) {
        if (now >= a.deadlineAt) {
          d.setTask({ ...t, attempts: replaceLast(t, { ...a, killReason: 'DeadlineExceeded' }) });
          d.commands.push({ type: 'attempt:kill', task: t.name, attempt: a.attempt, reason: 'DeadlineExceeded' });
        } else {
          wakeAt = Math.min(wakeAt, a.deadlineAt);
        }
      }
    }
  }

  const tasks = d.allTasks();
  if (tasks.every((t) => isTerminalTask(t.status))) {
    d.status = d.cancelRequested ? 'canceled' : tasks.some((t) => t.status === 'failed') ? 'failed' : tasks.some((t) => t.status === 'canceled') ? 'canceled' : 'succeeded';
    d.finishedAt = now;
    d.commands.push({ type: 'notify:run', status: d.status });
    return;
  }
  if (wakeAt !== Number.POSITIVE_INFINITY) d.commands.push({ type: 'wake', at: wakeAt });
}

function startAttempt(d: Draft, spec: ResolvedTask, t: TaskState, now: number): void {
  const n = t.attempts.length + 1;
  const deadlineAt = spec.timeoutSeconds !== undefined ? now + spec.timeoutSeconds * 1000 : undefined;
  const attempt: AttemptState = { attempt: n, status: 'starting', createdAt: now, ...(deadlineAt !== undefined ? { deadlineAt } : {}) };
  d.setTask({ name: t.name, status: 'running', attempts: [...t.attempts, attempt] });
  d.commands.push({ type: 'attempt:start', task: t.name, attempt: n, ...(deadlineAt !== undefined ? { deadlineAt } : {}) });
}
