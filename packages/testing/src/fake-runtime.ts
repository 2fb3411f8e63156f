// A TaskRuntime double of our own port (STYLE.md 20): attempts print and exit at once, or run
// until the test finishes or kills them. It records every call before it decides what to do
// with it, so a repeated start shows in `starts` although it runs nothing.
import type { AttemptKey, AttemptObservation, AttemptSpec, RuntimeEvent, TaskRuntime } from '@kontroler/engine';
import { EVENT_WAIT_LIMIT_MS } from './recording.js';

/** What one fake attempt does once started. */
export interface FakeAttempt {
  /** Printed at once, as the attempt's first log event (none when empty or absent). */
  readonly output?: string;
  /** Exit code right after the output; undefined: it runs until `finish`, `kill` or its deadline. */
  readonly exitCode?: number;
  /** Declared outputs it "wrote" (reported with its exit), and an output error to report instead. */
  readonly outputs?: Readonly<Record<string, string>>;
  readonly outputError?: string;
}

/** Decides each attempt's behaviour from its spec. */
export type FakeScript = (spec: AttemptSpec) => FakeAttempt;

/** Every call a FakeRuntime received, in order (`key` is `runId/task/attempt`). */
export type FakeCall =
  | { readonly method: 'start'; readonly key: string }
  | { readonly method: 'adopt'; readonly key: string; readonly logOffset: number }
  | { readonly method: 'kill'; readonly key: string; readonly reason: string }
  | { readonly method: 'release'; readonly key: string }
  | { readonly method: 'releaseRun'; readonly runId: string }
  | { readonly method: 'close' };

export interface FakeRuntimeOptions {
  /** `TaskRuntime.name`. Default "fake". */
  readonly name?: string;
  /** Epoch ms for event times and deadlines. Default Date.now. */
  readonly clock?: () => number;
}

/** Prints `hello from <task>`, then exits with `exitCode(spec)` (default 0; undefined: keeps running). */
export function hello(exitCode: (spec: AttemptSpec) => number | undefined = () => 0): FakeScript {
  return (spec) => {
    const code = exitCode(spec);
    return { output: `hello from ${spec.task}\n`, ...(code !== undefined ? { exitCode: code } : {}) };
  };
}

interface Ended {
  readonly code?: number;
  readonly reason: string;
  readonly at: number;
  readonly outputs?: Readonly<Record<string, string>>;
  readonly outputError?: string;
}

/** The outputs fields of an exit, as runtimes report them. */
const outputFields = (e: Pick<Ended, 'outputs' | 'outputError'>) => ({
  ...(e.outputs !== undefined ? { outputs: e.outputs } : {}),
  ...(e.outputError !== undefined ? { outputError: e.outputError } : {}),
});

/** What the fake "machine" holds: shared by a FakeRuntime and the ones `reopen` makes. */
interface FakeState {
  readonly specs: Map<string, AttemptSpec>;
  readonly startedAt: Map<string, number>;
  readonly logs: Map<string, Uint8Array>;
  readonly exited: Map<string, Ended>;
}

export const attemptId = (key: AttemptKey): string => `${key.runId}/${key.task}/${key.attempt}`;

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
};

export class FakeRuntime implements TaskRuntime {
  readonly name: string;
  /** Every call, in order, recorded before it is handled. */
  readonly calls: FakeCall[] = [];
  /** Every start call's attempt id, in order, recorded before it is deduplicated. */
  readonly starts: string[] = [];
  /** Every kill call, as `runId/task/attempt:reason`. */
  readonly kills: string[] = [];
  /** The spec of each attempt this instance created (once each); kept after `release`, as a record. */
  readonly specs = new Map<string, AttemptSpec>();
  private readonly state: FakeState;
  private readonly clock: () => number;
  private readonly listeners = new Set<(ev: RuntimeEvent) => void>();
  private readonly deadlines = new Map<string, NodeJS.Timeout>();
  private readonly startWaiters = new Map<string, Array<() => void>>();

  constructor(
    private readonly script: FakeScript = hello(),
    private readonly opts: FakeRuntimeOptions = {},
    state?: FakeState,
  ) {
    this.name = opts.name ?? 'fake';
    this.clock = opts.clock ?? Date.now;
    this.state = state ?? { specs: new Map(), startedAt: new Map(), logs: new Map(), exited: new Map() };
  }

  /** A new runtime over the same attempts, as a restarted process would see them. */
  reopen(): FakeRuntime {
    return new FakeRuntime(this.script, this.opts, this.state);
  }

  async start(spec: AttemptSpec): Promise<void> {
    const id = attemptId(spec);
    this.calls.push({ method: 'start', key: id });
    this.starts.push(id); // record first, then decide
    if (this.state.specs.has(id)) return; // create-or-adopt: never runs twice
    this.state.specs.set(id, spec);
    this.specs.set(id, spec);
    const key = keyOf(spec);
    const now = this.clock();
    if (spec.deadlineAt !== undefined && spec.deadlineAt <= now) {
      queueMicrotask(() => this.finish(key, undefined, 'DeadlineExceeded'));
      return;
    }
    queueMicrotask(() => {
      this.state.startedAt.set(id, now);
      this.emit({ type: 'started', key, handle: `h-${id}`, at: now });
      for (const resolve of this.startWaiters.get(id) ?? []) resolve();
      this.startWaiters.delete(id);
      const behaviour = this.script(spec);
      if (behaviour.output) this.write(key, behaviour.output);
      if (behaviour.exitCode !== undefined) this.finish(key, behaviour.exitCode, undefined, behaviour);
      else this.watchDeadline(key, spec.deadlineAt);
    });
  }

  /** Resolves once the attempt has started (its `started` event is out). Fails after EVENT_WAIT_LIMIT_MS. */
  started(key: AttemptKey): Promise<void> {
    const id = attemptId(key);
    if (this.state.startedAt.has(id)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fake runtime: attempt ${id} did not start within ${EVENT_WAIT_LIMIT_MS} ms`)), EVENT_WAIT_LIMIT_MS);
      const waiters = this.startWaiters.get(id) ?? [];
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.startWaiters.set(id, waiters);
    });
  }

  /** Appends to the attempt's log and emits it as a `log` event. */
  write(key: AttemptKey, text: string): void {
    const id = attemptId(key);
    const data = new TextEncoder().encode(text);
    const before = this.state.logs.get(id) ?? new Uint8Array();
    this.state.logs.set(id, concat(before, data));
    this.emit({ type: 'log', key: keyOf(key), offset: before.byteLength, data });
  }

  /** Ends the attempt (once: later calls are ignored) with `code` (undefined: no exit code). */
  finish(key: AttemptKey, code: number | undefined, reason = code === 0 ? 'Completed' : 'Error', outputs: Pick<FakeAttempt, 'outputs' | 'outputError'> = {}): void {
    const id = attemptId(key);
    if (this.state.exited.has(id)) return;
    const at = this.clock();
    // A failed attempt's outputs are not read (as the local runtime does).
    const out = code === 0 ? outputFields(outputs) : {};
    this.state.exited.set(id, { ...(code !== undefined ? { code } : {}), reason, at, ...out });
    this.clearDeadline(id);
    this.emit({ type: 'exited', key: keyOf(key), at, reason, ...(code !== undefined ? { exitCode: code } : {}), ...out });
  }

  /** Emits `started`, the log from `logOffset` and `exited` if it ended, like a real runtime's adopt. */
  async adopt(key: AttemptKey, logOffset: number): Promise<AttemptObservation> {
    const id = attemptId(key);
    this.calls.push({ method: 'adopt', key: id, logOffset });
    const spec = this.state.specs.get(id);
    if (spec === undefined) return { state: 'unknown' };
    const k = keyOf(key);
    const handle = `h-${id}`;
    const startedAt = this.state.startedAt.get(id);
    if (startedAt !== undefined) this.emit({ type: 'started', key: k, handle, at: startedAt });
    const log = this.state.logs.get(id);
    if (log !== undefined && log.byteLength > logOffset) this.emit({ type: 'log', key: k, offset: logOffset, data: log.slice(logOffset) });
    const e = this.state.exited.get(id);
    if (e) {
      this.emit({ type: 'exited', key: k, at: e.at, reason: e.reason, ...(e.code !== undefined ? { exitCode: e.code } : {}), ...outputFields(e) });
      return { state: 'exited', handle, ...(startedAt !== undefined ? { startedAt } : {}), finishedAt: e.at, reason: e.reason, ...(e.code !== undefined ? { exitCode: e.code } : {}), ...outputFields(e) };
    }
    this.watchDeadline(k, spec.deadlineAt);
    return { state: 'running', handle, startedAt: startedAt ?? this.clock() };
  }

  /** Ends a running attempt with `reason` and no exit code; an ended or unknown one is left alone. */
  async kill(key: AttemptKey, reason: string): Promise<void> {
    const id = attemptId(key);
    this.calls.push({ method: 'kill', key: id, reason });
    this.kills.push(`${id}:${reason}`);
    if (!this.state.specs.has(id) || this.state.exited.has(id)) return;
    queueMicrotask(() => this.finish(key, undefined, reason));
  }

  async release(key: AttemptKey): Promise<void> {
    const id = attemptId(key);
    this.calls.push({ method: 'release', key: id });
    if (!this.state.exited.has(id)) return; // a running attempt stays
    for (const m of [this.state.specs, this.state.startedAt, this.state.logs, this.state.exited]) m.delete(id);
  }

  async releaseRun(runId: string): Promise<void> {
    this.calls.push({ method: 'releaseRun', runId });
  }

  subscribe(listener: (ev: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops emitting and forgets its deadline timers; the attempts stay for `reopen`. */
  async close(): Promise<void> {
    this.calls.push({ method: 'close' });
    for (const t of this.deadlines.values()) clearTimeout(t);
    this.deadlines.clear();
    this.listeners.clear();
  }

  private watchDeadline(key: AttemptKey, deadlineAt: number | undefined): void {
    const id = attemptId(key);
    if (deadlineAt === undefined || this.deadlines.has(id)) return;
    const timer = setTimeout(() => {
      this.deadlines.delete(id);
      this.finish(key, undefined, 'DeadlineExceeded');
    }, Math.max(0, deadlineAt - this.clock()));
    this.deadlines.set(id, timer);
  }

  private clearDeadline(id: string): void {
    const t = this.deadlines.get(id);
    if (t !== undefined) clearTimeout(t);
    this.deadlines.delete(id);
  }

  private emit(ev: RuntimeEvent): void {
    for (const l of this.listeners) l(ev);
  }
}

function keyOf(k: AttemptKey): AttemptKey {
  // Events never carry the spec itself: it holds parameter values.
  return { runId: k.runId, task: k.task, attempt: k.attempt };
}
