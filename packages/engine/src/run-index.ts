// The incremental index of one run: what `decide` needs to answer "what changed, what is ready,
// when to wake, is the run over" in O(what changed) instead of scanning every task. Built from a
// RunState in O(tasks + edges), then kept in step with it by `update` on every task change. It is
// mutable and belongs to exactly one live RunState at a time (see `runIndexFor` in decide.ts).
import type { TaskState, TaskStatus } from './state.js';
import { isTerminalTask } from './state.js';
import type { DagIndex } from './dag-index.js';
import type { Readiness } from './readiness.js';
import { readinessFromCounts } from './readiness.js';
import { IndexedHeap } from './indexed-heap.js';
import { IndexedSet } from './indexed-set.js';
import { hasActiveAttempt, isKillable, pendingDeadline } from './transitions.js';

const TERMINAL = 1;
const SUCCEEDED = 2;
const FAILED = 4;

/** How a task counts for the readiness of the tasks after it; an absent task counts as pending. */
function category(t: TaskState | undefined): number {
  switch (t?.status) {
    case 'succeeded':
      return TERMINAL | SUCCEEDED;
    case 'failed':
      return TERMINAL | FAILED;
    case 'skipped':
    case 'canceled':
      return TERMINAL;
    default:
      return 0;
  }
}

function isRetryable(s: TaskStatus | undefined): boolean {
  return s === 'failed' || s === 'skipped' || s === 'canceled';
}

export class RunIndex {
  /** Tasks of the definition this index covers (it grows when the definition does). */
  private size = 0;
  /** The run's current state of each task, by position (undefined: not in the run state). */
  readonly current: (TaskState | undefined)[] = [];
  /** Per task, over its `runAfter` entries: how many are terminal / succeeded / failed. */
  private readonly upTerminal: number[] = [];
  private readonly upSucceeded: number[] = [];
  private readonly upFailed: number[] = [];
  /** Tasks per status (tasks of the definition present in the run state). */
  readonly counts: Record<TaskStatus, number> = { pending: 0, waiting: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, canceled: 0 };
  /** Non-terminal tasks a cancel still has to act on (all but attempts already asked to stop). */
  private readonly cancelable = new IndexedSet();
  /** Failed, skipped and canceled tasks: what a retry of the run resets. */
  private readonly retryable = new IndexedSet();
  /** Waiting tasks whose retry is not due yet, by retryAt (absent retryAt: due at once). */
  readonly retries = new IndexedHeap();
  /** Tasks that may start now, by position: pending and ready, or waiting and due. */
  readonly startable = new IndexedHeap();
  /** Running attempts whose deadline the engine must still enforce, by deadline. */
  readonly deadlines = new IndexedHeap();
  /** Pending tasks whose readiness may have changed since it was last evaluated. */
  private dirty: number[] = [];
  private readonly isDirty: boolean[] = [];
  /** The latest `now` due retries were moved to `startable` at (time going back needs a rebuild). */
  movedDueAt = Number.NEGATIVE_INFINITY;

  private constructor(readonly dag: DagIndex) {}

  /** The index of a run whose tasks are `tasks`: O(tasks + edges). */
  static build(dag: DagIndex, tasks: ReadonlyMap<string, TaskState>): RunIndex {
    const idx = new RunIndex(dag);
    idx.grow(tasks);
    return idx;
  }

  /** Takes in the tasks appended to the definition since the index was built. */
  grow(tasks: ReadonlyMap<string, TaskState>): void {
    const from = this.size;
    const to = this.dag.size;
    for (let i = from; i < to; i++) {
      this.current.push(undefined);
      this.upTerminal.push(0);
      this.upSucceeded.push(0);
      this.upFailed.push(0);
      this.isDirty.push(false);
    }
    this.size = to;
    for (const s of [this.cancelable, this.retryable, this.retries, this.startable, this.deadlines]) s.grow(to);
    // A new task's state reaches the counts of the tasks after it, older ones included (an
    // upstream name defined only now counted as pending until then).
    for (let i = from; i < to; i++) {
      const spec = this.dag.specs[i];
      if (spec) this.update(i, tasks.get(spec.name));
    }
  }

  /** Records that task `i` is now `next`: O(1), plus O(downstream) when it became or ceased to be terminal. */
  update(i: number, next: TaskState | undefined): void {
    const before = this.current[i];
    if (before === next) return;
    this.current[i] = next;
    const sb = before?.status;
    const sa = next?.status;
    if (sb !== sa) {
      if (sb !== undefined) this.counts[sb]--;
      if (sa !== undefined) this.counts[sa]++;
      const cb = category(before);
      const ca = category(next);
      if (cb !== ca) this.propagate(i, cb, ca);
      if (sa === 'pending') this.markDirty(i);
      else if (sb === 'pending') this.startable.remove(i);
      if (sb === 'waiting') {
        this.retries.remove(i);
        this.startable.remove(i);
      }
      if (isRetryable(sa)) this.retryable.add(i);
      else if (isRetryable(sb)) this.retryable.delete(i);
    }
    if (sa === 'waiting' && (sb !== 'waiting' || before?.retryAt !== next?.retryAt)) {
      this.startable.remove(i);
      this.retries.set(i, next?.retryAt ?? Number.NEGATIVE_INFINITY);
    }
    const deadline = next ? pendingDeadline(next) : undefined;
    if (deadline === undefined) this.deadlines.remove(i);
    else this.deadlines.set(i, deadline);
    if (next && sa !== undefined && isCancelable(next)) this.cancelable.add(i);
    else this.cancelable.delete(i);
  }

  private propagate(i: number, before: number, after: number): void {
    const dt = (after & TERMINAL) - (before & TERMINAL);
    const ds = ((after & SUCCEEDED) - (before & SUCCEEDED)) / SUCCEEDED;
    const df = ((after & FAILED) - (before & FAILED)) / FAILED;
    const down = this.dag.downstream[i];
    if (!down) return;
    for (const d of down) {
      if (d >= this.size) continue;
      this.upTerminal[d] = (this.upTerminal[d] ?? 0) + dt;
      this.upSucceeded[d] = (this.upSucceeded[d] ?? 0) + ds;
      this.upFailed[d] = (this.upFailed[d] ?? 0) + df;
      if (this.current[d]?.status === 'pending') this.markDirty(d);
    }
  }

  private markDirty(i: number): void {
    if (this.isDirty[i]) return;
    this.isDirty[i] = true;
    this.dirty.push(i);
  }

  /** Readiness of pending task `i` from its upstream counts: O(1). */
  readiness(i: number): Readiness {
    const spec = this.dag.specs[i];
    if (!spec) return { kind: 'wait' };
    return readinessFromCounts(spec.triggerRule, spec.runAfter.length, this.upTerminal[i] ?? 0, this.upSucceeded[i] ?? 0, this.upFailed[i] ?? 0);
  }

  /**
   * Takes the pending tasks whose readiness may have changed (each once). The caller evaluates
   * them; `update`s it makes meanwhile may mark more, taken by the next call.
   */
  takeDirty(): number[] {
    const out = this.dirty;
    this.dirty = [];
    for (const i of out) this.isDirty[i] = false;
    return out;
  }

  /** Non-terminal tasks a cancel acts on, by position: O(k log k). */
  cancelTargets(): number[] {
    return this.cancelable.sorted();
  }

  /** Failed, skipped and canceled tasks, by position: O(k log k). */
  retryTargets(): number[] {
    return this.retryable.sorted();
  }

  /** Tasks not yet terminal (pending, waiting, running). */
  unfinished(): number {
    return this.counts.pending + this.counts.waiting + this.counts.running;
  }
}

/** A non-terminal task a cancel still acts on: everything but an attempt already asked to stop. */
function isCancelable(t: TaskState): boolean {
  return !isTerminalTask(t.status) && (!hasActiveAttempt(t) || isKillable(t));
}
