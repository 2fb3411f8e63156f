// The whole-run evaluation the engine used before it became incremental, kept as the reference
// the incremental engine is checked against (incremental.test.ts): every decision walks every task
// of the definition — O(tasks) per decision, obviously right. It shares the per-task transitions
// (transitions.ts) with the engine; what it computes on its own is which tasks change: readiness
// from upstream statuses, skips until nothing changes, starts, deadlines, wake-ups, the end of the
// run. Commands follow the canonical order documented in decide.ts.
import type { DagDefinition } from '@kontroler/core';
import {
  attemptExited,
  attemptStarted,
  canceledTask,
  hasActiveAttempt,
  isTerminalRun,
  isKillable,
  isTerminalTask,
  killedTask,
  readiness,
  resetTask,
  skippedTask,
  startedTask,
  taskNotification,
  withTasks,
  type Command,
  type DecideOptions,
  type Decision,
  type RunEvent,
  type RunState,
  type TaskState,
} from '@kontroler/engine';

class Draft {
  readonly commands: Command[] = [];
  status: RunState['status'];
  cancelRequested: boolean;
  startedAt: number | undefined;
  finishedAt: number | undefined;
  readonly overlay = new Map<string, TaskState>();

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

  setTask(t: TaskState, notify = true): void {
    const before = this.task(t.name);
    this.overlay.set(t.name, t);
    if (notify && before && before.status !== t.status) this.commands.push(taskNotification(t));
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

  result(): RunState {
    const b = this.base;
    if (this.overlay.size === 0 && b.status === this.status && b.cancelRequested === this.cancelRequested && b.startedAt === this.startedAt && b.finishedAt === this.finishedAt) {
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

/** `decideAll` by evaluating the whole run (see the header). */
export function referenceDecideAll(def: DagDefinition, state: RunState, events: readonly RunEvent[], now: number, opts: DecideOptions = {}): Decision {
  const d = new Draft(def, state);
  for (const ev of events) apply(def, d, ev, now);
  reconcile(def, d, now, opts.maxRunning ?? Number.POSITIVE_INFINITY);
  return { state: d.result(), commands: d.commands, changed: [...d.overlay.keys()] };
}

function apply(def: DagDefinition, d: Draft, ev: RunEvent, now: number): void {
  switch (ev.type) {
    case 'run:tick':
      return;
    case 'run:cancel':
      if (!isTerminalRun(d.status)) d.cancelRequested = true;
      return;
    case 'run:retry':
      if (d.status !== 'failed' && d.status !== 'canceled') return;
      for (const t of d.allTasks()) if (t.status === 'failed' || t.status === 'skipped' || t.status === 'canceled') d.setTask(resetTask(t));
      d.status = 'running';
      d.cancelRequested = false;
      d.finishedAt = undefined;
      return;
    case 'attempt:started': {
      const t = d.task(ev.task);
      const next = t && attemptStarted(t, ev.attempt, ev.at, ev.handle);
      if (next) d.setTask(next);
      return;
    }
    case 'attempt:exited': {
      const t = d.task(ev.task);
      const next = t && attemptExited(def.tasks.find((x) => x.name === ev.task), t, ev, now, d.cancelRequested);
      if (next) d.setTask(next);
      return;
    }
  }
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
      const kill = killedTask(t, 'Canceled');
      if (kill) {
        d.setTask(kill.task);
        d.commands.push(kill.command);
      } else if (!hasActiveAttempt(t) && !isTerminalTask(t.status)) {
        d.setTask(canceledTask(t));
      }
    }
  } else {
    // Skip what can no longer run, until nothing changes (a skip can rule out the tasks after it).
    const skipped = new Set<string>();
    for (let progressed = true; progressed; ) {
      progressed = false;
      for (const spec of def.tasks) {
        const t = d.task(spec.name);
        if (t?.status !== 'pending') continue;
        const r = readiness(spec, (n) => d.task(n)?.status);
        if (r.kind === 'skip') {
          d.setTask(skippedTask(t, r.reason), false);
          skipped.add(t.name);
          progressed = true;
        }
      }
    }
    for (const spec of def.tasks) {
      const t = d.task(spec.name);
      if (t && skipped.has(t.name)) d.commands.push(taskNotification(t));
    }
    // Start what may start, in definition order, up to the parallelism limit.
    let running = d.allTasks().filter((t) => t.status === 'running').length;
    for (const spec of def.tasks) {
      const t = d.task(spec.name);
      if (!t) continue;
      if (t.status === 'waiting' && t.retryAt !== undefined && t.retryAt > now) {
        wakeAt = Math.min(wakeAt, t.retryAt);
        continue;
      }
      const may = t.status === 'waiting' || (t.status === 'pending' && readiness(spec, (n) => d.task(n)?.status).kind === 'ready');
      if (!may || running >= maxRunning) continue;
      const s = startedTask(spec, t, now);
      d.setTask(s.task);
      d.commands.push(s.command);
      running++;
    }
    // Deadlines of running attempts (including the ones just started).
    for (const t of d.allTasks()) {
      const deadlineAt = t.attempts[t.attempts.length - 1]?.deadlineAt;
      if (deadlineAt === undefined) continue;
      const kill = now >= deadlineAt ? killedTask(t, 'DeadlineExceeded') : undefined;
      if (kill) {
        d.setTask(kill.task);
        d.commands.push(kill.command);
      } else if (isKillable(t)) {
        wakeAt = Math.min(wakeAt, deadlineAt);
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
