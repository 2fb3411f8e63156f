// The incremental index of one run: what `decide` needs to answer "what changed, what is ready,
// when to wake, is the run over" in O(what changed) instead of scanning every task. Built from a
// RunState in O(tasks + edges), then kept in step with it by `update` on every task change. It is
// mutable and belongs to exactly one live RunState at a time (see `runIndexFor` in decide.ts).
import type { TaskState, TaskStatus } from './state.js';
import { isTerminalTask } from './state.js';
import type { ResolvedTask } from '@kontroler/core';
import type { DagIndex } from './dag-index.js';
import type { Readiness } from './readiness.js';
import { readinessFromCounts } from './readiness.js';
import { IndexedHeap } from './indexed-heap.js';
import { IndexedSet } from './indexed-set.js';
import { hasActiveAttempt, isKillable, pendingDeadline } from './transitions.js';
import { instanceName } from './state.js';
import { isWaitingApproval } from './approval.js';
import type { InstanceCounts } from './map.js';

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

/**
 * A mapped task's instances in the index: slots `base .. base + n - 1` past the definition's
 * tasks, their outcome counts, and the gate of `maxParallel` (instances ready to start beyond it
 * are `held` until one ends).
 */
interface MapSlots extends InstanceCounts {
  readonly parent: number;
  readonly base: number;
  n: number;
  unfinished: number;
  failed: number;
  canceled: number;
  /** Instances running / in `startable` now (the gate's load). */
  running: number;
  inStartable: number;
  readonly max: number;
  /** Ready instances over the gate, by index (absent without maxParallel). */
  readonly held: IndexedHeap | undefined;
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
  /** Mapped tasks with instances, by the mapped task's position. */
  private readonly maps = new Map<number, MapSlots>();
  /** Per slot past the definition's tasks: its mapped task's map. */
  private readonly instanceMap: MapSlots[] = [];
  /** Instance name → slot. */
  private readonly instanceSlots = new Map<string, number>();
  /** Mapped tasks whose instances' counts changed since `takeMapsDirty`. */
  private mapsDirty = new Set<number>();
  /** Mapped tasks in status running (they run no attempt themselves: not counted as running work). */
  private runningMaps = 0;
  /** Tasks whose approval waits for a decision (no process: not counted as running work). */
  private waitingApprovals = 0;
  /** The definition's size when instance slots were first given out (a growing definition then needs a rebuild). */
  private instancesFrom: number | undefined;

  private constructor(readonly dag: DagIndex) {}

  /** The index of a run whose tasks are `tasks`: O(tasks + edges). */
  static build(dag: DagIndex, tasks: ReadonlyMap<string, TaskState>): RunIndex {
    const idx = new RunIndex(dag);
    idx.grow(tasks);
    return idx;
  }

  /**
   * Takes in the tasks appended to the definition since the index was built; false when it cannot
   * (instance slots already follow the definition's tasks): build a new index then.
   */
  grow(tasks: ReadonlyMap<string, TaskState>): boolean {
    const from = this.instancesFrom ?? this.size;
    const to = this.dag.size;
    if (to === from) return true;
    if (this.instancesFrom !== undefined) return false;
    this.extend(to);
    // A new task's state reaches the counts of the tasks after it, older ones included (an
    // upstream name defined only now counted as pending until then).
    for (let i = from; i < to; i++) {
      const spec = this.dag.specs[i];
      if (spec) this.update(i, tasks.get(spec.name));
    }
    // Mapped tasks loaded with their instances: the instances join (O(instances)).
    for (const m of this.maps.values()) {
      for (let k = 0; k < m.n; k++) this.update(m.base + k, tasks.get(instanceName(this.nameAt(m.parent), k)));
    }
    return true;
  }

  private extend(to: number): void {
    for (let i = this.size; i < to; i++) {
      this.current.push(undefined);
      this.upTerminal.push(0);
      this.upSucceeded.push(0);
      this.upFailed.push(0);
      this.isDirty.push(false);
    }
    this.size = to;
    for (const s of [this.cancelable, this.retryable, this.retries, this.startable, this.deadlines]) s.grow(to);
  }

  private nameAt(i: number): string {
    return this.dag.specs[i]?.name ?? '';
  }

  /** The slot of task `name`: its position in the definition, or an instance's slot. */
  slotOf(name: string): number | undefined {
    return this.dag.position.get(name) ?? this.instanceSlots.get(name);
  }

  /** The spec a slot runs with: its task's, or for an instance its mapped task's. */
  specAt(i: number): ResolvedTask | undefined {
    if (i < this.dag.size) return this.dag.specs[i];
    const m = this.instanceMap[i - this.dag.size];
    return m ? this.dag.specs[m.parent] : undefined;
  }

  /** How task `i` sorts among the startable: definition order, a mapped task's instances in its place, in item order. */
  orderKey(i: number): number {
    if (i < this.dag.size) return i;
    const m = this.instanceMap[i - this.dag.size];
    return m ? m.parent + (i - m.base + 1) / (m.n + 1) : i;
  }

  /**
   * Gives mapped task `parent` (known to the definition) `n` instance slots; their states join with
   * `update`. Called once per mapped task, when its instances are first known.
   */
  private addInstances(parent: number, n: number): MapSlots {
    const spec = this.dag.specs[parent];
    const max = spec?.maxParallel ?? Number.POSITIVE_INFINITY;
    this.instancesFrom ??= this.dag.size;
    const base = this.size;
    const m: MapSlots = { parent, base, n, unfinished: n, failed: 0, canceled: 0, running: 0, inStartable: 0, max, held: Number.isFinite(max) ? new IndexedHeap() : undefined };
    m.held?.grow(n);
    this.extend(base + n);
    const name = this.nameAt(parent);
    for (let k = 0; k < n; k++) {
      this.instanceMap.push(m);
      this.instanceSlots.set(instanceName(name, k), base + k);
    }
    this.maps.set(parent, m);
    return m;
  }

  /** The instance counts of mapped task `i` (undefined: not a mapped task with instances). */
  instanceCounts(i: number): InstanceCounts | undefined {
    return this.maps.get(i);
  }

  /** Mapped tasks whose instances changed since the last call (each once). */
  takeMapsDirty(): number[] {
    if (this.mapsDirty.size === 0) return [];
    const out = [...this.mapsDirty];
    this.mapsDirty = new Set();
    return out;
  }

  get hasMapsDirty(): boolean {
    return this.mapsDirty.size > 0;
  }

  /** Running tasks that run an attempt (a running mapped task runs none itself, a waiting approval no process). */
  runningWork(): number {
    return this.counts.running - this.runningMaps - this.waitingApprovals;
  }

  /** Task `i` may start now: joins `startable`, or for an instance over its `maxParallel`, waits held. */
  offer(i: number): void {
    const m = i >= this.dag.size ? this.instanceMap[i - this.dag.size] : undefined;
    if (!m?.held) {
      this.startable.set(i, this.orderKey(i));
      return;
    }
    if (this.startable.has(i)) return;
    if (m.running + m.inStartable < m.max) {
      m.held.remove(i - m.base);
      this.startable.set(i, this.orderKey(i));
      m.inStartable++;
    } else {
      m.held.set(i - m.base, i - m.base);
    }
  }

  /** Takes the next startable task, by order. */
  popStartable(): number | undefined {
    const i = this.startable.pop();
    if (i !== undefined && i >= this.dag.size) {
      const m = this.instanceMap[i - this.dag.size];
      if (m?.held) m.inStartable--;
    }
    return i;
  }

  /** Task `i` may no longer start (it is no longer pending or due). */
  withdraw(i: number): void {
    const m = i >= this.dag.size ? this.instanceMap[i - this.dag.size] : undefined;
    if (m?.held) {
      if (this.startable.has(i)) m.inStartable--;
      m.held.remove(i - m.base);
    }
    this.startable.remove(i);
  }

  /** Moves held instances of the mapped tasks whose gate has room into `startable`. */
  releaseHeld(): void {
    for (const m of this.maps.values()) {
      const held = m.held;
      if (!held) continue;
      while (held.size > 0 && m.running + m.inStartable < m.max) {
        const k = held.pop();
        if (k === undefined) break;
        this.startable.set(m.base + k, this.orderKey(m.base + k));
        m.inStartable++;
      }
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
      else if (sb === 'pending') this.withdraw(i);
      if (sb === 'waiting') {
        this.retries.remove(i);
        this.withdraw(i);
      }
      if (i >= this.dag.size) this.instanceChanged(i, sb, sa);
      else if (next?.instances !== undefined || before?.instances !== undefined) this.mapChanged(i, before, next);
      if (isRetryable(sa)) this.retryable.add(i);
      else if (isRetryable(sb)) this.retryable.delete(i);
    }
    if (sa === 'waiting' && (sb !== 'waiting' || before?.retryAt !== next?.retryAt)) {
      this.withdraw(i);
      this.retries.set(i, next?.retryAt ?? Number.NEGATIVE_INFINITY);
    }
    this.waitingApprovals += (isWaitingApproval(next) ? 1 : 0) - (isWaitingApproval(before) ? 1 : 0);
    const deadline = next ? pendingDeadline(next) : undefined;
    if (deadline === undefined) this.deadlines.remove(i);
    else this.deadlines.set(i, deadline);
    if (next && sa !== undefined && isCancelable(next)) this.cancelable.add(i);
    else this.cancelable.delete(i);
  }

  /** An instance's status changed: its mapped task's counts follow (absent counts as unfinished). */
  private instanceChanged(i: number, before: TaskStatus | undefined, after: TaskStatus | undefined): void {
    const m = this.instanceMap[i - this.dag.size];
    if (!m) return;
    const unfinished = (s: TaskStatus | undefined) => (s === undefined || !isTerminalTask(s) ? 1 : 0);
    m.unfinished += unfinished(after) - unfinished(before);
    m.failed += (after === 'failed' ? 1 : 0) - (before === 'failed' ? 1 : 0);
    m.canceled += (after === 'canceled' ? 1 : 0) - (before === 'canceled' ? 1 : 0);
    m.running += (after === 'running' ? 1 : 0) - (before === 'running' ? 1 : 0);
    this.mapsDirty.add(m.parent);
  }

  /** A mapped task's own state changed: its instance slots exist once it has instances. */
  private mapChanged(i: number, before: TaskState | undefined, next: TaskState | undefined): void {
    this.runningMaps += (next?.status === 'running' && next.instances !== undefined ? 1 : 0) - (before?.status === 'running' && before.instances !== undefined ? 1 : 0);
    if (next?.instances !== undefined && !this.maps.has(i)) this.addInstances(i, next.instances);
    if (this.maps.has(i)) this.mapsDirty.add(i);
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

  /** Readiness of pending task `i` from its upstream counts: O(1). An instance is always ready. */
  readiness(i: number): Readiness {
    if (i >= this.dag.size) return READY;
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

/**
 * A non-terminal task a cancel still acts on: everything but an attempt already asked to stop and
 * a mapped task with instances (it ends when they do).
 */
function isCancelable(t: TaskState): boolean {
  return !isTerminalTask(t.status) && t.instances === undefined && (!hasActiveAttempt(t) || isKillable(t));
}

const READY: Readiness = { kind: 'ready' };
