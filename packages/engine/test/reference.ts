// The whole-run evaluation the engine used before it became incremental, kept as the reference
// the incremental engine is checked against (incremental.test.ts): every decision walks every task
// of the definition — O(tasks) per decision, obviously right. It shares the per-task transitions
// (transitions.ts) with the engine; what it computes on its own is which tasks change: readiness
// from upstream statuses, skips until nothing changes, starts, deadlines, wake-ups, the end of the
// run. Commands follow the canonical order documented in decide.ts.
import type { DagDefinition, ResolvedTask } from '@kontroler/core';
import {
  canceledTask,
  hasActiveAttempt,
  isKillable,
  isTerminalTask,
  readiness,
  settleSkipReasons,
  RunDraft,
  skippedTask,
  taskNotification,
  type DecideOptions,
  type Decision,
  type RunEvent,
  type RunState,
  type TaskState,
} from '@kontroler/engine';

class Draft extends RunDraft {
  constructor(
    private readonly def: DagDefinition,
    base: RunState,
  ) {
    super(base);
  }

  protected override spec(name: string): ResolvedTask | undefined {
    return this.def.tasks.find((x) => x.name === name);
  }

  protected override retryTargets(): TaskState[] {
    return this.allTasks().filter((t) => t.status === 'failed' || t.status === 'skipped' || t.status === 'canceled');
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
}

/** `decideAll` by evaluating the whole run (see the header). */
export function referenceDecideAll(def: DagDefinition, state: RunState, events: readonly RunEvent[], now: number, opts: DecideOptions = {}): Decision {
  const d = new Draft(def, state);
  for (const ev of events) d.apply(ev, now);
  reconcile(def, d, now, opts.maxRunning ?? Number.POSITIVE_INFINITY);
  return { state: d.result(), commands: d.commands, changed: d.changed() };
}

function reconcile(def: DagDefinition, d: Draft, now: number, maxRunning: number): void {
  if (!d.begin(now)) return;
  let wakeAt = Number.POSITIVE_INFINITY;
  if (d.cancelRequested) {
    for (const t of d.allTasks()) {
      if (!d.kill(t, 'Canceled') && !hasActiveAttempt(t) && !isTerminalTask(t.status)) {
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
    const specs = new Map(def.tasks.map((s) => [s.name, s]));
    for (const [name, reason] of settleSkipReasons([...skipped], (n) => specs.get(n), (n) => d.task(n))) {
      const t = d.task(name);
      if (t) d.setTask(skippedTask(t, reason), false);
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
      d.start(spec, t, now);
      running++;
    }
    // Deadlines of running attempts (including the ones just started).
    for (const t of d.allTasks()) {
      const deadlineAt = t.attempts[t.attempts.length - 1]?.deadlineAt;
      if (deadlineAt === undefined) continue;
      if (now >= deadlineAt) d.kill(t, 'DeadlineExceeded');
      else if (isKillable(t)) {
        wakeAt = Math.min(wakeAt, deadlineAt);
      }
    }
  }
  const tasks = d.allTasks();
  d.settle(now, !tasks.every((t) => isTerminalTask(t.status)), tasks.some((t) => t.status === 'failed'), tasks.some((t) => t.status === 'canceled'), wakeAt);
}
