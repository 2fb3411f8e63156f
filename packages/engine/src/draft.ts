// The working copy of a run state during one decision: copies a task only when it changes, collects
// the commands, and builds the next RunState sharing everything unchanged. decide.ts extends it to
// keep its run index in step; the tests' whole-run reference uses it as it is.
import type { ResolvedTask } from '@kontroler/core';
import type { Command, RunEvent } from './events.js';
import type { ResolvedInputs, RunState, TaskState } from './state.js';
import { instanceName, isTerminalRun, isTerminalTask, withTasks } from './state.js';
import { decidedApproval, requestedApproval } from './approval.js';
import { startedChild } from './child.js';
import { downstreamNames, markRefusal, markedTask, retryRefusal } from './task-actions.js';
import { attemptExited, attemptStarted, killedTask, resetTask, startedTask, taskNotification } from './transitions.js';

/** Subclasses say how tasks are found: `spec` and `retryTargets` (a plain RunDraft knows no definition). */
export class RunDraft {
  readonly commands: Command[] = [];
  status: RunState['status'];
  cancelRequested: boolean;
  startedAt: number | undefined;
  finishedAt: number | undefined;
  /** The run's declared outputs, once it succeeded. */
  outputs: RunState['outputs'];
  /** Tasks changed so far; the rest are read from the base state (no copy per decision). */
  private readonly overlay = new Map<string, TaskState>();

  constructor(private readonly base: RunState) {
    this.status = base.status;
    this.cancelRequested = base.cancelRequested;
    this.startedAt = base.startedAt;
    this.finishedAt = base.finishedAt;
    this.outputs = base.outputs;
  }

  task(name: string): TaskState | undefined {
    return this.overlay.get(name) ?? this.base.tasks.get(name);
  }

  /** Records the task's new state; `notify`: push its `notify:task` now when its status changed. */
  setTask(t: TaskState, notify = true): void {
    const before = this.task(t.name);
    this.overlay.set(t.name, t);
    this.taskChanged(t);
    if (notify && before && before.status !== t.status) this.commands.push(taskNotification(t));
  }

  /** Called with every task state set, after it is recorded. */
  protected taskChanged(t: TaskState): void {
    void t;
  }

  /** Starts the task's next attempt. */
  start(spec: ResolvedTask, t: TaskState, now: number, resolved?: ResolvedInputs): void {
    const s = startedTask(spec, t, now, resolved);
    this.setTask(s.task);
    this.commands.push(s.command);
  }

  /** Creates the task's next approval attempt (waiting for a person) and asks for the decision. */
  requestApproval(spec: ResolvedTask, t: TaskState, now: number, resolved?: ResolvedInputs): void {
    const r = requestedApproval(spec, t, now, resolved);
    this.setTask(r.task);
    this.commands.push(r.command);
  }

  /** Starts the task's next child run (dagRef). */
  startChild(spec: ResolvedTask, t: TaskState, now: number, resolved?: ResolvedInputs): void {
    const r = startedChild(spec, t, now, resolved);
    this.setTask(r.task);
    this.commands.push(r.command);
  }

  /** Asks to stop the task's active attempt with `reason`; false when there is none or a stop was asked. */
  kill(t: TaskState, reason: string): boolean {
    const k = killedTask(t, reason);
    if (!k) return false;
    this.setTask(k.task);
    this.commands.push(k.command);
    return true;
  }

  /**
   * Applies one event to the run and the task it is about. Stale events (not the task's active
   * attempt, an unknown task) change nothing; a retry applies only to a failed or canceled run.
   */
  apply(ev: RunEvent, now: number): void {
    switch (ev.type) {
      case 'run:tick':
        return;
      case 'run:cancel':
        if (!isTerminalRun(this.status)) this.cancelRequested = true;
        return;
      case 'run:retry':
        if (this.status !== 'failed' && this.status !== 'canceled') return;
        for (const t of this.retryTargets()) this.setTask(resetTask(t));
        this.status = 'running';
        this.cancelRequested = false;
        this.finishedAt = undefined;
        return;
      case 'task:retry': {
        const t = this.task(ev.task);
        if (!t || retryRefusal(t) !== undefined || this.cancelling()) return;
        const after = ev.downstream ? downstreamNames(t.mapOf ?? t.name, this.definitionNames(), (n) => this.spec(n)) : [];
        for (const name of [t.name, ...after]) {
          const x = this.task(name);
          if (x && isTerminalTask(x.status)) this.resetWithInstances(x);
        }
        this.reopen();
        return;
      }
      case 'task:mark': {
        const t = this.task(ev.task);
        if (!t || markRefusal(t, ev.status) !== undefined || this.cancelling()) return;
        this.setTask(markedTask(t, ev.status, ev.by));
        this.reopen();
        return;
      }
      case 'approval:decided': {
        const t = this.task(ev.task);
        const r = t ? decidedApproval(this.spec(ev.task), t, ev) : undefined;
        if (!r) return;
        this.setTask(r.task);
        this.commands.push(r.command);
        return;
      }
      case 'attempt:started':
      case 'attempt:exited': {
        const t = this.task(ev.task);
        if (!t) return;
        const next = ev.type === 'attempt:started' ? attemptStarted(t, ev.attempt, ev.at, ev.handle) : attemptExited(this.spec(ev.task), t, ev, now, this.cancelRequested);
        if (next) this.setTask(next);
        return;
      }
    }
  }

  /** A cancel asked for and not yet carried out: task actions wait for it to end. */
  private cancelling(): boolean {
    return this.cancelRequested && !isTerminalRun(this.status);
  }

  /** A finished run runs again (its outcome and outputs are decided anew). */
  private reopen(): void {
    if (!isTerminalRun(this.status)) return;
    this.status = 'running';
    this.cancelRequested = false;
    this.finishedAt = undefined;
    this.outputs = undefined;
  }

  /** Resets a finished task; a mapped task's finished instances with it. */
  private resetWithInstances(t: TaskState): void {
    this.setTask(resetTask(t));
    for (let k = 0; k < (t.instances ?? 0); k++) {
      const i = this.task(instanceName(t.name, k));
      if (i && isTerminalTask(i.status)) this.setTask(resetTask(i));
    }
  }

  /** The names of the definition's tasks (not instances). */
  private *definitionNames(): Iterable<string> {
    for (const t of this.base.tasks.values()) if (t.mapOf === undefined) yield t.name;
  }

  /** Before reconciling: false when the run has ended (nothing to do); a pending run starts now. */
  begin(now: number): boolean {
    if (isTerminalRun(this.status)) return false;
    if (this.status === 'pending') {
      this.status = 'running';
      this.startedAt = now;
    }
    return true;
  }

  /**
   * After reconciling: ends the run when no task is left unfinished (canceled when asked to, else
   * failed when a task failed, canceled when one was, succeeded otherwise), else asks to be woken
   * at `wakeAt` when that is finite.
   */
  settle(now: number, unfinished: boolean, anyFailed: boolean, anyCanceled: boolean, wakeAt: number): void {
    if (!unfinished) {
      this.status = this.cancelRequested ? 'canceled' : anyFailed ? 'failed' : anyCanceled ? 'canceled' : 'succeeded';
      this.finishedAt = now;
      this.commands.push({ type: 'notify:run', status: this.status });
    } else if (wakeAt !== Number.POSITIVE_INFINITY) {
      this.commands.push({ type: 'wake', at: wakeAt });
    }
  }

  /** The spec of a task of the definition. */
  protected spec(name: string): ResolvedTask | undefined {
    void name;
    return undefined;
  }

  /** The failed, skipped and canceled tasks a retry of the run resets, in definition order. */
  protected retryTargets(): Iterable<TaskState> {
    return [];
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
      b.finishedAt === this.finishedAt &&
      b.outputs === this.outputs
    ) {
      return b;
    }
    return {
      status: this.status,
      tasks: this.overlay.size > 0 ? withTasks(b.tasks, this.overlay.values()) : b.tasks,
      cancelRequested: this.cancelRequested,
      ...(this.startedAt !== undefined ? { startedAt: this.startedAt } : {}),
      ...(this.finishedAt !== undefined ? { finishedAt: this.finishedAt } : {}),
      ...(this.outputs !== undefined ? { outputs: this.outputs } : {}),
    };
  }
}
