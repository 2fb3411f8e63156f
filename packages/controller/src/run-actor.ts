// Drives one claimed run: events in, decide(), save the difference, carry out the commands.
// Events are processed one batch at a time, so a run never has two writers in this process.
import type { DagDefinition, ResolvedTask } from '@kontroler/core';
import { backoffMs, type BackoffPolicy, hasCode, isRetryable, messageOf } from '@kontroler/core';
import type { AttemptKey, Command, RunEvent, RunState, TaskRuntime } from '@kontroler/engine';
import { CHILD_RUN_CANCELED, CHILD_RUN_FAILED, decideAll, isActiveAttempt, isTerminalRun } from '@kontroler/engine';
import type { AttemptLogAppend, AttemptLogKey, PoolLike, RunRecord } from '@kontroler/store';
import { RUNS_CHANNEL, listChildRuns, markApprovalDecisionsApplied, pendingApprovalDecisions, rearmTaskRequests, requestRun, saveRunState, startRun, takeTaskRequests, type ApprovalDecisionRecord } from '@kontroler/store';
import { childParameters } from './attempt-spec.js';

/** How soon a failed read of a run's approval decisions is tried again. */
const DECISIONS_RETRY_MS = 1000;
import { buildAttemptSpec, runContext, type SecretResolver } from './attempt-spec.js';
import type { ControllerLog } from './log.js';
import { webhookItems } from './webhook-payload.js';
import type { ControllerMetrics } from './metrics.js';

export interface RunActorDeps {
  readonly pool: PoolLike;
  readonly owner: string;
  readonly runtime: TaskRuntime;
  readonly now: () => number;
  readonly secrets: SecretResolver;
  readonly log: ControllerLog;
  readonly maxRunning?: number;
  /**
   * Called once the run ended and is saved, when the lease was lost, or when a save failed in a
   * way retrying cannot fix ('gave-up': the caller hands the run back).
   */
  readonly onDone: (runId: number, why: 'ended' | 'lease-lost' | 'gave-up') => void;
  /** For the jitter of save retries; default Math.random. */
  readonly random?: () => number;
  /** Most queued events fed to one decision (default MAX_EVENTS_PER_DECISION). */
  readonly maxEventsPerDecision?: number;
  /** Told before a new attempt (its row saved with an empty log) is started (LogWriter.fresh). */
  readonly onFreshAttempt?: (key: AttemptLogKey) => void;
  /** Decision and save durations, attempts started and ended, the run's outcome. */
  readonly metrics?: ControllerMetrics;
}

/**
 * Most queued events one decision takes. A 100,000-task fan-out ends 100,000 attempts at once; in
 * slices of this size, each decision and save stays short, and lease renewals, NOTIFYs and runtime
 * events get the event loop in between (a decision longer than the lease would lose the run).
 */
export const MAX_EVENTS_PER_DECISION = 10_000;

/** How long the save of an attempt:started may wait for company. */
const LAZY_SAVE_MS = 50;

/** Delay between tries of a save that failed transiently: 100 ms, doubling, at most 30 s, jittered. */
export const SAVE_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 30_000 };

/**
 * What the actor processes: engine events (an attempt's end may bring the rest of its log, saved
 * with it), a cancel / retry request, "take the task requests" (`tasks`: retry or mark one task;
 * once taken, `tasks-taken` in their place asks the save to clear the request), or "read the
 * approval decisions made for this run" / "read its child runs".
 */
export type Queued =
  | RunEvent
  | { type: 'exited-with-log'; event: Extract<RunEvent, { type: 'attempt:exited' }>; log: AttemptLogAppend }
  | { type: 'request'; what: 'cancel' | 'retry' | 'tasks' }
  | { type: 'decisions' }
  | { type: 'children' }
  | { type: 'tasks-taken' };

function isTaskRequest(q: Queued): boolean {
  return q.type === 'request' && q.what === 'tasks';
}

export class RunActor {
  private state: RunState;
  private queue: Queued[] = [];
  private busy = false;
  private done = false;
  private wakeTimer: ReturnType<typeof setTimeout> | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  private readonly tasks: Map<string, ResolvedTask>;
  private idle: Array<() => void> = [];
  private lazyTimer: ReturnType<typeof setTimeout> | undefined;
  /** Failed tries of the save being retried (0: the last save went through). */
  private saveFailures = 0;
  private retryWait: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | undefined;
  /** Attempts in the state (for the memory estimate): counted once, then one per start command. */
  private attemptCount = 0;

  constructor(
    readonly run: RunRecord,
    private readonly def: DagDefinition,
    state: RunState,
    private readonly deps: RunActorDeps,
  ) {
    this.state = state;
    this.tasks = new Map(def.tasks.map((t) => [t.name, t]));
    for (const t of state.tasks.values()) this.attemptCount += t.attempts.length;
  }

  /** Tasks and attempts this run holds in memory. */
  get size(): { readonly tasks: number; readonly attempts: number } {
    return { tasks: this.tasks.size, attempts: this.attemptCount };
  }

  get id(): number {
    return this.run.id;
  }

  get current(): RunState {
    return this.state;
  }

  /** Attempts handed to the runtime and not yet seen running (a walk over the tasks: for metrics scrapes, not the hot path). */
  startingAttempts(): number {
    let n = 0;
    for (const t of this.state.tasks.values()) if (t.attempts[t.attempts.length - 1]?.status === 'starting') n++;
    return n;
  }

  /**
   * Queues an event; processing happens asynchronously, in order. An attempt having started
   * changes no decision, so saving it waits briefly to share a write with what comes next (often
   * the attempt's end); a crash meanwhile is harmless: adoption finds the attempt running.
   */
  push(ev: Queued): void {
    if (this.done) return;
    this.queue.push(ev);
    if (this.busy) return;
    // Idle with a lazy timer pending means only attempt:started events wait (any other event
    // clears the timer and drains): O(1) per event, not a walk over a queue of thousands.
    if (ev.type === 'attempt:started' && (this.queue.length === 1 || this.lazyTimer !== undefined)) {
      this.lazyTimer ??= setTimeout(() => {
        this.lazyTimer = undefined;
        if (!this.busy) void this.drain();
      }, LAZY_SAVE_MS);
      return;
    }
    if (this.lazyTimer) {
      clearTimeout(this.lazyTimer);
      this.lazyTimer = undefined;
    }
    void this.drain();
  }

  /** Resolves when the queue is empty and nothing is being processed. */
  settled(): Promise<void> {
    if (this.lazyTimer) {
      clearTimeout(this.lazyTimer);
      this.lazyTimer = undefined;
      if (!this.busy) void this.drain();
    }
    if (!this.busy && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  /**
   * Picks the run up where it stood: re-attaches to attempts recorded as starting or running
   * (adopting them in the runtime, or starting one the runtime never saw), then evaluates.
   * `active` names the tasks whose last attempt is active (the loader's `active`), so a resume
   * walks those only; without it every task is looked at.
   */
  async resume(logSizes: Record<string, number>, active?: readonly string[]): Promise<void> {
    const names = active ?? [...this.state.tasks.keys()];
    for (const name of names) {
      const t = this.state.tasks.get(name);
      if (!t) continue;
      const a = t.attempts[t.attempts.length - 1];
      // An approval runs nothing in the runtime: it waits for its decision (read below).
      if (!a || !isActiveAttempt(a.status) || a.kind === 'approval') continue;
      // A child run: (re)create it (idempotent per attempt); its state is read below.
      if (a.kind === 'child') {
        const spec = this.tasks.get(t.mapOf ?? t.name);
        if (a.status === 'starting' && spec?.dagRef) this.startChild(t.name, a.attempt, spec.dagRef.name, childParameters(spec, a.resolved));
        continue;
      }
      const key = this.key(t.name, a.attempt);
      const seen = await this.deps.runtime.adopt(key, logSizes[`${t.name}#${a.attempt}`] ?? 0);
      if (seen.state === 'unknown') {
        if (a.status === 'starting') {
          this.startAttempt(t.name, a.attempt, a.deadlineAt);
        } else {
          this.push({ type: 'attempt:exited', task: t.name, attempt: a.attempt, at: this.deps.now(), reason: 'Lost' });
        }
        continue;
      }
      if (a.status === 'starting') this.push({ type: 'attempt:started', task: t.name, attempt: a.attempt, at: seen.startedAt ?? this.deps.now(), handle: seen.handle });
      if (seen.state === 'exited') {
        this.push({
          type: 'attempt:exited',
          task: t.name,
          attempt: a.attempt,
          at: seen.finishedAt,
          ...(seen.startedAt !== undefined ? { startedAt: seen.startedAt } : {}),
          reason: seen.reason,
          ...(seen.exitCode !== undefined ? { exitCode: seen.exitCode } : {}),
          ...(seen.outputs !== undefined ? { outputs: seen.outputs } : {}),
          ...(seen.outputError !== undefined ? { outputError: seen.outputError } : {}),
        });
      } else if (a.killReason !== undefined) {
        const reason = a.killReason; // a kill asked for before the crash
        void this.deps.runtime.kill(key, reason).catch((e: unknown) => this.deps.log.warn(`kill ${t.name}#${a.attempt} failed: ${String(e)}`));
      }
    }
    if (this.run.requested) this.push({ type: 'request', what: this.run.requested });
    // Decisions made and child runs ended while no controller drove the run.
    this.push({ type: 'decisions' });
    this.push({ type: 'children' });
    this.push({ type: 'run:tick' });
  }

  /** Stops timers; leaves attempts running for whoever takes the run next. */
  stop(): void {
    this.done = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.lazyTimer) clearTimeout(this.lazyTimer);
    if (this.retryWait) {
      clearTimeout(this.retryWait.timer);
      this.retryWait.resolve();
      this.retryWait = undefined;
    }
    this.queue = [];
  }

  private key(task: string, attempt: number): AttemptKey {
    return { runId: String(this.run.id), task, attempt };
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.done) {
        const batch = this.queue.splice(0, this.deps.maxEventsPerDecision ?? MAX_EVENTS_PER_DECISION);
        await this.process(batch);
      }
    } finally {
      this.busy = false;
      const waiters = this.idle.splice(0);
      for (const w of waiters) w();
    }
  }

  private async process(queued: Queued[]): Promise<void> {
    // Task requests become engine events here, once: a save retried later feeds the same events.
    const batch = queued.some(isTaskRequest) ? await this.withTaskRequests(queued) : queued;
    const prev = this.state;
    let clearRequest: 'cancel' | 'retry' | 'tasks' | undefined;
    const now = this.deps.now();
    const opts = { context: runContext(this.run), ...(this.deps.maxRunning !== undefined ? { maxRunning: this.deps.maxRunning } : {}) };
    // Approval decisions recorded by the API: fed as events, marked applied once saved (a crash
    // in between feeds them again, and the engine ignores a decision already taken).
    const decisions = batch.some((q) => q.type === 'decisions') ? await this.readDecisions() : [];
    const events: RunEvent[] = batch.some((q) => q.type === 'children') ? await this.childEvents() : [];
    const logs: AttemptLogAppend[] = [];
    let tasksTaken = false;
    for (const q of batch) {
      if (q.type === 'decisions' || q.type === 'children') continue;
      if (q.type === 'tasks-taken') tasksTaken = true;
      else if (q.type === 'exited-with-log') {
        events.push(q.event);
        logs.push(q.log);
      } else if (q.type !== 'request') events.push(q);
      else if (q.what !== 'tasks') {
        clearRequest = q.what;
        events.push(q.what === 'cancel' ? { type: 'run:cancel' } : { type: 'run:retry' });
      }
    }
    if (tasksTaken) clearRequest ??= 'tasks';
    for (const x of decisions) {
      events.push({ type: 'approval:decided', task: x.task, attempt: x.attempt, approve: x.approve, by: x.decidedBy, ...(x.comment !== undefined ? { comment: x.comment } : {}), inputs: x.inputs, at: x.decidedAt });
    }
    const decideStart = performance.now();
    const d = decideAll(this.def, prev, events, now, opts);
    this.deps.metrics?.decisionDuration.observe((performance.now() - decideStart) / 1000);
    const { state, commands } = d;
    if (state === prev && commands.length === 0 && !clearRequest && logs.length === 0) {
      if (decisions.length > 0) await this.markApplied(decisions);
      return;
    }
    const saveStart = performance.now();
    try {
      await saveRunState(this.deps.pool, {
        runId: this.run.id,
        owner: this.deps.owner,
        prev,
        next: state,
        changed: d.changed,
        ...(clearRequest ? { clearRequest } : {}),
        webhooks: webhookItems(this.run, this.def, commands, now),
        ...(logs.length > 0 ? { logs } : {}),
      });
    } catch (err) {
      if (hasCode(err, 'LEASE_LOST')) {
        this.deps.log.warn(`run ${this.run.id}: lease lost, leaving it to its new owner`);
        this.stop();
        this.deps.onDone(this.run.id, 'lease-lost');
        return;
      }
      if (!isRetryable(err)) {
        // Trying again would fail the same way: give the run back (a new owner resumes it from
        // what is stored, as after a crash) rather than spin on it.
        this.deps.log.error(`run ${this.run.id}: saving state failed and cannot succeed by retrying`, err);
        this.stop();
        this.deps.onDone(this.run.id, 'gave-up');
        return;
      }
      // Not saved: put the batch back and try again after a backoff (the store may be restarting).
      this.saveFailures++;
      const delay = backoffMs(this.saveFailures, SAVE_BACKOFF, this.deps.random ?? Math.random);
      this.deps.log.error(`run ${this.run.id}: saving state failed (try ${this.saveFailures}), retrying in ${delay} ms`, err);
      this.queue = batch.concat(this.queue); // not unshift(...batch): a batch may hold 100,000 events
      await new Promise<void>((resolve) => {
        this.retryWait = { timer: setTimeout(resolve, delay), resolve };
      });
      this.retryWait = undefined;
      return;
    }
    this.saveFailures = 0;
    this.deps.metrics?.saveDuration.observe((performance.now() - saveStart) / 1000);
    this.state = state;
    if (clearRequest === 'tasks') {
      void rearmTaskRequests(this.deps.pool, this.run.id).catch((e: unknown) => this.deps.log.warn(`run ${this.run.id}: asking again for task requests failed: ${messageOf(e)}`));
    }
    if (decisions.length > 0) await this.markApplied(decisions);
    this.carryOut(commands, prev, d.changed);
    if (isTerminalRun(state.status)) {
      this.deps.metrics?.runsFinished.inc({ outcome: state.status });
      // A child run that ended wakes its parent's controller, which reads its outcome.
      if (this.run.parent) void this.deps.pool.query('select pg_notify($1, $2)', [RUNS_CHANNEL, String(this.run.parent.runId)]).catch(() => undefined);
      this.stop();
      void this.deps.runtime.releaseRun(String(this.run.id)).catch((e: unknown) => this.deps.log.warn(`run ${this.run.id}: releasing run resources failed: ${String(e)}`));
      this.deps.onDone(this.run.id, 'ended');
    }
  }

  /**
   * Creates the child run of attempt `attempt` of dagRef task `task` (idempotent: the same attempt
   * gets the same child run), then reports it started; one that cannot start (no such DAG, a bad
   * parameter) fails the attempt at once.
   */
  private startChild(task: string, attempt: number, dagName: string, parameters: Readonly<Record<string, string>>): void {
    startRun(this.deps.pool, {
      namespace: this.run.namespace,
      dagName,
      parameters: { ...parameters },
      trigger: 'child',
      parent: { runId: this.run.id, task, attempt },
      depth: (this.run.depth ?? 0) + 1,
    }).then(
      ({ run }) => this.push({ type: 'attempt:started', task, attempt, at: this.deps.now(), handle: String(run.id) }),
      (err: unknown) => {
        const message = messageOf(err);
        this.deps.log.warn(`run ${this.run.id}: ${task}#${attempt}: child run of ${dagName} not started: ${message}`);
        this.push({ type: 'attempt:exited', task, attempt, at: this.deps.now(), reason: `ChildRunNotStarted: ${message}`, noRetry: !isRetryable(err) });
      },
    );
  }

  /** Asks the child run of a child attempt to stop; it then ends canceled and is read as such. */
  private cancelChild(task: string, attempt: number, handle: string | undefined): void {
    const id = Number(handle);
    if (!Number.isSafeInteger(id)) return; // not created yet: its start reports it, and the engine kills it then
    requestRun(this.deps.pool, id, 'cancel').catch((e: unknown) => {
      // Already ended: reading the children reports how.
      if (!hasCode(e, 'INVALID_STATE')) this.deps.log.warn(`run ${this.run.id}: canceling child run ${id} of ${task}#${attempt} failed: ${messageOf(e)}`);
      this.push({ type: 'children' });
    });
  }

  /** Events for the child runs of this run's active child attempts: started, and ended with their outcome. */
  private async childEvents(): Promise<RunEvent[]> {
    let children: Awaited<ReturnType<typeof listChildRuns>>;
    try {
      children = await listChildRuns(this.deps.pool, this.run.id);
    } catch (e) {
      this.deps.log.warn(`run ${this.run.id}: reading child runs failed, trying again: ${messageOf(e)}`);
      setTimeout(() => this.push({ type: 'children' }), DECISIONS_RETRY_MS).unref();
      return [];
    }
    const out: RunEvent[] = [];
    const now = this.deps.now();
    for (const c of children) {
      const a = this.state.tasks.get(c.task)?.attempts[c.attempt - 1];
      if (!a || a.kind !== 'child' || !isActiveAttempt(a.status)) continue;
      if (a.status === 'starting') out.push({ type: 'attempt:started', task: c.task, attempt: c.attempt, at: now, handle: String(c.id) });
      if (c.status === 'succeeded') out.push({ type: 'attempt:exited', task: c.task, attempt: c.attempt, at: now, exitCode: 0, reason: 'Completed', outputs: c.outputs ?? {} });
      else if (c.status === 'failed') out.push({ type: 'attempt:exited', task: c.task, attempt: c.attempt, at: now, reason: `${CHILD_RUN_FAILED}: child run ${c.id} failed` });
      else if (c.status === 'canceled') out.push({ type: 'attempt:exited', task: c.task, attempt: c.attempt, at: now, reason: `${CHILD_RUN_CANCELED}: child run ${c.id} was canceled` });
    }
    return out;
  }

  /**
   * `queued` with its task requests taken from the store (at most once) as engine events, in the
   * place of its `tasks` requests; a failed read is tried again later.
   */
  private async withTaskRequests(queued: Queued[]): Promise<Queued[]> {
    const rest = queued.filter((q) => !isTaskRequest(q));
    try {
      const taken = await takeTaskRequests(this.deps.pool, this.run.id);
      const events: RunEvent[] = taken.map((r) =>
        r.action === 'retry' ? { type: 'task:retry', task: r.task, downstream: r.downstream } : { type: 'task:mark', task: r.task, status: r.status, by: r.by },
      );
      return rest.concat(events, [{ type: 'tasks-taken' }]);
    } catch (e) {
      this.deps.log.warn(`run ${this.run.id}: taking task requests failed, trying again: ${messageOf(e)}`);
      setTimeout(() => this.push({ type: 'request', what: 'tasks' }), DECISIONS_RETRY_MS).unref();
      return rest;
    }
  }

  /** The run's approval decisions not yet applied; on a read failure none, and a new read is queued. */
  private async readDecisions(): Promise<ApprovalDecisionRecord[]> {
    try {
      return await pendingApprovalDecisions(this.deps.pool, this.run.id);
    } catch (e) {
      this.deps.log.warn(`run ${this.run.id}: reading approval decisions failed, trying again: ${messageOf(e)}`);
      setTimeout(() => this.push({ type: 'decisions' }), DECISIONS_RETRY_MS).unref();
      return [];
    }
  }

  private async markApplied(decisions: readonly ApprovalDecisionRecord[]): Promise<void> {
    await markApprovalDecisionsApplied(this.deps.pool, this.run.id, decisions).catch((e: unknown) =>
      this.deps.log.warn(`run ${this.run.id}: marking approval decisions applied failed (they are fed again, and ignored): ${messageOf(e)}`),
    );
  }

  private carryOut(commands: readonly Command[], prev: RunState, changed: readonly string[]): void {
    for (const c of commands) {
      switch (c.type) {
        case 'attempt:start':
          this.attemptCount++;
          this.deps.onFreshAttempt?.({ runId: this.run.id, task: c.task, attempt: c.attempt });
          this.deps.metrics?.attemptsStarted.inc();
          this.startAttempt(c.task, c.attempt, c.deadlineAt);
          break;
        case 'attempt:kill': {
          const a = this.state.tasks.get(c.task)?.attempts[c.attempt - 1];
          if (a?.kind === 'child') this.cancelChild(c.task, c.attempt, a.handle);
          else void this.deps.runtime.kill(this.key(c.task, c.attempt), c.reason).catch((e: unknown) => this.deps.log.warn(`kill ${c.task}#${c.attempt} failed: ${String(e)}`));
          break;
        }
        case 'child:start':
          this.startChild(c.task, c.attempt, c.dagName, c.parameters);
          break;
        case 'wake':
          this.scheduleWake(c.at);
          break;
        default:
          break;
      }
    }
    // Attempts that ended and are saved: the runtime may drop their files / pods. Only the tasks
    // the decision changed can have one.
    for (const name of changed) {
      const t = this.state.tasks.get(name);
      const before = prev.tasks.get(name);
      if (!t || before === t) continue;
      t.attempts.forEach((a, i) => {
        const b = before?.attempts[i];
        if (!isActiveAttempt(a.status) && (b === undefined || isActiveAttempt(b.status))) {
          this.deps.metrics?.attemptsFinished.inc({ outcome: a.status });
          void this.deps.runtime.release(this.key(name, a.attempt)).catch(() => undefined);
        }
      });
    }
  }

  private startAttempt(task: string, attempt: number, deadlineAt: number | undefined): void {
    const state = this.state.tasks.get(task);
    // An instance of a mapped task runs with its mapped task's spec.
    const spec = this.tasks.get(state?.mapOf ?? task);
    if (!spec) return;
    let attemptSpec: ReturnType<typeof buildAttemptSpec>;
    try {
      const resolved = state?.attempts[attempt - 1]?.resolved;
      attemptSpec = buildAttemptSpec(this.run, this.def, spec, attempt, deadlineAt, this.deps.secrets, resolved, state);
    } catch (err) {
      // A missing secret: the attempt fails before it starts, and retrying cannot help.
      const message = messageOf(err);
      this.deps.log.warn(`run ${this.run.id}: ${task}#${attempt} not started: ${message}`);
      this.push({ type: 'attempt:exited', task, attempt, at: this.deps.now(), reason: message, noRetry: true });
      return;
    }
    this.deps.runtime.start(attemptSpec).catch((err: unknown) => {
      const message = messageOf(err);
      this.deps.log.warn(`run ${this.run.id}: ${task}#${attempt} could not start: ${message}`);
      // A runtime that refuses the spec itself (VALIDATION_FAILED: e.g. outputs it cannot carry,
      // an environment a process cannot hold) refuses it again on every retry.
      const noRetry = hasCode(err, 'VALIDATION_FAILED');
      this.push({ type: 'attempt:exited', task, attempt, at: this.deps.now(), reason: `StartFailed: ${message}`, ...(noRetry ? { noRetry } : {}) });
    });
  }

  private scheduleWake(at: number): void {
    if (at >= this.wakeAt && this.wakeTimer) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    const delay = Math.max(0, Math.min(at - this.deps.now(), 2 ** 31 - 1));
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Number.POSITIVE_INFINITY;
      this.push({ type: 'run:tick' });
    }, delay);
  }
}
