// decide(): the run state machine. Pure at its interface: no I/O, no clock (time is `now`), no
// randomness; the same inputs give the same state and commands.
//
// Level-based and incremental: an event first updates the task it is about, then `reconcile`
// settles the run — skips what can no longer run, starts what is ready, enforces deadlines, asks
// to be woken, finishes the run. It does so from an index of the run (run-index.ts: counts per
// status, per task the count of its upstream tasks that are terminal / succeeded / failed, the
// tasks that may start by position, heaps of retry times and deadlines), so a decision costs
// O(events + tasks whose state or readiness they change), never O(tasks in the DAG).
//
// The index is a cache beside the immutable RunState: `decideAll` takes it from the state it is
// given and hands it to the state it returns (a WeakMap keyed by the state object). A state that
// comes without one — loaded from the store, built by hand, or an older state passed in again
// after its index moved on — gets one built from scratch in O(tasks + edges). So an index is never
// shared by two live states, and results never depend on whether it was cached.
//
// Order of a decision's commands (canonical; the tests' whole-run reference follows it too):
//  1. the events' own commands, in event order: `notify:task` for each task an event changed the
//     status of (a run retry: its reset tasks in definition order);
//  2. canceling: for each task the cancel acts on, in definition order, `attempt:kill` (an active
//     attempt) or `notify:task` canceled (the rest);
//     otherwise: `notify:task` skipped for every task skipped, in definition order; then for each
//     task started, in definition order, `notify:task` running and `attempt:start` — the tasks
//     that may start (pending and ready once every skip has settled, or waiting with their retry
//     due) start in definition order up to `maxRunning`; then `attempt:kill` DeadlineExceeded
//     for each attempt past its deadline, in definition order;
//  3. `notify:run` when the run ended, else `wake` when something is due later.
import type { DagDefinition, JsonValue, ResolvedTask } from '@kontroler/core';
import type { Command, RunEvent } from './events.js';
import type { RunState, TaskState } from './state.js';
import { isTerminalRun, lastAttempt, taskMap } from './state.js';
import { canceledApproval, isWaitingApproval, timeoutDecision } from './approval.js';
import { childDepthProblem } from './child.js';
import { RunDraft } from './draft.js';
import { dagIndexOf, type DagIndex } from './dag-index.js';
import { RunIndex } from './run-index.js';
import { settleSkipReasons } from './readiness.js';
import { canceledTask, expandedTask, failedTask, instanceTask, skippedTask, taskNotification } from './transitions.js';
import { prepare, resolveInputs, runOutputs, withParamText } from './inputs.js';
import { isMapped, itemsOf, settledMap } from './map.js';

/** What references and conditions of a run see besides its tasks (`{{run.*}}`, `{{params.*}}`). */
export interface RunContext {
  readonly runId: string;
  readonly runName: string;
  /** The run's parameter values, secret-backed ones excepted. */
  readonly params: Readonly<Record<string, string>>;
  /** Names of secret-backed parameters: `{{params.S}}` of one stays as written in the record. */
  readonly secretParams?: readonly string[];
  /** How deep this run is in a chain of child runs (0: not a child run). */
  readonly depth?: number;
}

export interface DecideOptions {
  /** At most this many attempts of the run run at once (default: no limit). */
  readonly maxRunning?: number;
  /** The run's identity and parameters, for references and conditions (default: empty). */
  readonly context?: RunContext;
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
 * Cost: O(events + tasks whose state or readiness they change) when `state` is the one the
 * previous decision returned; O(tasks + edges) more otherwise (its index is rebuilt).
 */
export function decideAll(def: DagDefinition, state: RunState, events: readonly RunEvent[], now: number, opts: DecideOptions = {}): Decision {
  const dag = dagIndexOf(def);
  const run = takeRunIndex(dag, state, now);
  const d = new Draft(dag, run, state, opts.context);
  for (const ev of events) d.apply(ev, now);
  reconcile(d, now, opts.maxRunning ?? Number.POSITIVE_INFINITY);
  if (d.status === 'succeeded' && d.outputs === undefined && def.outputs) d.outputs = runOutputs(def, (n) => d.task(n), opts.context);
  const next = d.result();
  runIndexes.set(next, run);
  return { state: next, commands: d.commands, changed: d.changed() };
}

/** Each live state's index (see the header). A cache: losing an entry only costs a rebuild. */
const runIndexes = new WeakMap<RunState, RunIndex>();

/** How many run indexes were built from scratch so far (for tests: a decision on the state the last one returned builds none). */
let indexBuilds = 0;
export function runIndexBuilds(): number {
  return indexBuilds;
}

function takeRunIndex(dag: DagIndex, state: RunState, now: number): RunIndex {
  const run = runIndexes.get(state);
  // Taken out first: should the decision throw half-way, the state is left without an index.
  runIndexes.delete(state);
  // Time going back would make retries already counted as due not due: rebuild (rare).
  if (run && run.dag === dag && now >= run.movedDueAt && run.grow(state.tasks)) return run;
  indexBuilds++;
  return RunIndex.build(dag, state.tasks);
}

/** The decision's working copy, keeping the run index in step with every task it sets. */
class Draft extends RunDraft {
  constructor(
    readonly dag: DagIndex,
    readonly run: RunIndex,
    base: RunState,
    readonly context: RunContext | undefined,
  ) {
    super(base);
  }

  override task(name: string): TaskState | undefined {
    const i = this.run.slotOf(name);
    return i !== undefined ? this.run.current[i] : super.task(name);
  }

  protected override spec(name: string): ResolvedTask | undefined {
    const i = this.run.slotOf(name);
    return i === undefined ? undefined : this.run.specAt(i);
  }

  /** O(those tasks): the run index keeps them. */
  protected override *retryTargets(): Iterable<TaskState> {
    for (const i of this.run.retryTargets()) {
      const t = this.run.current[i];
      if (t) yield t;
    }
  }

  protected override taskChanged(t: TaskState): void {
    const i = this.run.slotOf(t.name);
    if (i !== undefined) this.run.update(i, t);
  }
}

function reconcile(d: Draft, now: number, maxRunning: number): void {
  if (!d.begin(now)) return;
  let wakeAt = Number.POSITIVE_INFINITY;
  if (d.cancelRequested) {
    cancelAll(d, now);
    settleMaps(d);
  } else {
    settleSkips(d);
    startReady(d, now, maxRunning);
    enforceDeadlines(d, now);
    wakeAt = Math.min(d.run.retries.topKey(), d.run.deadlines.topKey());
  }
  const run = d.run;
  d.settle(now, run.unfinished() > 0, run.counts.failed > 0, run.counts.canceled > 0, wakeAt);
}

/** Kills active attempts not yet asked to stop and cancels the other unfinished tasks. O(those tasks). */
function cancelAll(d: Draft, now: number): void {
  for (const i of d.run.cancelTargets()) {
    const t = d.run.current[i];
    if (!t) continue;
    if (isWaitingApproval(t)) d.setTask(canceledApproval(t, now));
    else if (!d.kill(t, 'Canceled')) d.setTask(canceledTask(t));
  }
}

/**
 * Evaluates the pending tasks whose upstream changed: ready ones join the startable set, ruled-out
 * ones are skipped (which may rule out or ready the tasks after them, evaluated in turn).
 */
function settleSkips(d: Draft): void {
  const run = d.run;
  const skipped: number[] = [];
  const view = (n: string) => d.task(n);
  for (settleMaps(d); ; settleMaps(d)) {
    const batch = run.takeDirty();
    if (batch.length === 0 && !run.hasMapsDirty) break;
    for (const i of batch) {
      const t = run.current[i];
      if (t?.status !== 'pending') continue;
      const r = run.readiness(i);
      const spec = run.specAt(i);
      // Trigger rule met: the task's condition and references decide (data flow; O(1) without).
      const p = r.kind === 'ready' && spec ? prepare(spec, view, d.context, t) : undefined;
      if (p?.kind === 'ready' && spec && t.mapOf === undefined && isMapped(spec)) {
        const items = itemsOf(spec, spec.withParam !== undefined ? withParamText(spec, view, d.context) : undefined);
        if (items.kind === 'fail') {
          d.setTask(failedTask(t, items.reason), false);
          skipped.push(i);
        } else {
          expand(d, t, items.items);
        }
      } else if (p?.kind === 'ready') run.offer(i);
      else if (r.kind === 'wait') run.withdraw(i);
      else if (p?.kind === 'fail') {
        d.setTask(failedTask(t, p.reason), false);
        skipped.push(i);
      } else {
        d.setTask(skippedTask(t, p?.kind === 'skip' ? p.reason : r.kind === 'skip' ? r.reason : 'Skipped'), false);
        skipped.push(i);
      }
    }
  }
  skipped.sort((a, b) => run.orderKey(a) - run.orderKey(b));
  const names = skipped.flatMap((i) => { const t = run.current[i]; return t ? [t.name] : []; });
  for (const [name, reason] of settleSkipReasons(names, (n) => { const i = run.slotOf(n); return i === undefined ? undefined : run.specAt(i); }, view)) {
    const t = d.task(name);
    if (t) d.setTask(skippedTask(t, reason), false);
  }
  for (const i of skipped) {
    const t = run.current[i];
    if (t) d.commands.push(taskNotification(t));
  }
}

/**
 * Mapped task `t` once its trigger rule is met and its items are known: one pending instance per
 * item (each then starts like any ready task, within the task's maxParallel); none: succeeded.
 */
function expand(d: Draft, t: TaskState, items: readonly JsonValue[]): void {
  d.setTask(expandedTask(t, items.length));
  items.forEach((item, k) => d.setTask(instanceTask(t.name, k, item), false));
}

/** Mapped tasks whose instances changed take the state their instances give them. */
function settleMaps(d: Draft): void {
  const run = d.run;
  for (const p of run.takeMapsDirty()) {
    const t = run.current[p];
    const c = run.instanceCounts(p);
    if (!t || !c || t.status === 'pending') continue;
    const next = settledMap(t, c);
    if (next !== t) d.setTask(next);
  }
}

/** Starts the startable tasks in definition order up to the parallelism limit. */
function startReady(d: Draft, now: number, maxRunning: number): void {
  const run = d.run;
  while (run.retries.size > 0 && run.retries.topKey() <= now) {
    const i = run.retries.pop();
    if (i !== undefined) run.offer(i);
  }
  run.movedDueAt = now;
  run.releaseHeld();
  let slots = maxRunning - run.runningWork();
  while (slots > 0) {
    const i = run.popStartable();
    if (i === undefined) return;
    const t = run.current[i];
    const spec = run.specAt(i);
    if (!t || !spec) continue;
    const resolved = resolveInputs(spec, (n) => d.task(n), d.context, t);
    const tooDeep = spec.dagRef ? childDepthProblem(d.context?.depth ?? 0) : undefined;
    // An approval waits for a person and takes no slot.
    if (spec.approval) d.requestApproval(spec, t, now, resolved);
    else if (tooDeep !== undefined) d.setTask(failedTask(t, tooDeep));
    else if (spec.dagRef) {
      d.startChild(spec, t, now, resolved);
      slots--;
    } else {
      d.start(spec, t, now, resolved);
      slots--;
    }
  }
}

/** Asks to stop every attempt past its deadline (including ones just started), in definition order. */
function enforceDeadlines(d: Draft, now: number): void {
  const run = d.run;
  const due: number[] = [];
  while (run.deadlines.size > 0 && run.deadlines.topKey() <= now) {
    const i = run.deadlines.pop();
    if (i !== undefined) due.push(i);
  }
  due.sort((a, b) => run.orderKey(a) - run.orderKey(b));
  for (const i of due) {
    const t = run.current[i];
    const a = t && lastAttempt(t);
    // An approval past its timeout is decided by its onTimeout.
    if (t && a && isWaitingApproval(t)) d.apply({ type: 'approval:decided', task: t.name, ...timeoutDecision(run.specAt(i), a, now) }, now);
    else if (t) d.kill(t, 'DeadlineExceeded');
  }
}
