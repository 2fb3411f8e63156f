// What happens to one task: the pure per-task transitions `decide` is made of. They look at one
// TaskState (and its spec) only; deciding *which* tasks change is decide.ts's job. Exported so the
// whole-run reference evaluation in the engine's tests builds the same task states.
//
// Objects that add keys to a copy are built with Object.assign, not `{ ...a, newKey }`: on Node 20
// the spread-then-add literal costs ~10 µs each (a slow path of V8's object cloning), Object.assign
// ~0.2 µs, and this is the engine's hot path.
import type { ResolvedTask } from '@kontroler/core';
import type { Command, RunEvent } from './events.js';
import type { AttemptState, ResolvedInputs, TaskState } from './state.js';
import { MAX_NOT_STARTED, NOT_STARTED, instanceName, isActiveAttempt, lastAttempt, ranAttempts } from './state.js';
import { retryDelayMs, shouldRetry } from './retry.js';

/**
 * The fields that say which task a state is, to carry into a new state of it: the name, and for a
 * mapped task's instance or a mapped task its map fields. A plain task's is `{ name }`.
 */
export function identity(t: TaskState): { name: string; mapOf?: string; index?: number; item?: TaskState['item']; instances?: number } {
  if (t.mapOf === undefined && t.instances === undefined) return { name: t.name };
  return Object.assign(
    { name: t.name },
    t.mapOf !== undefined ? { mapOf: t.mapOf } : {},
    t.index !== undefined ? { index: t.index } : {},
    t.item !== undefined ? { item: t.item } : {},
    t.instances !== undefined ? { instances: t.instances } : {},
  );
}

function replaceLast(t: TaskState, a: AttemptState): readonly AttemptState[] {
  return [...t.attempts.slice(0, -1), a];
}

/** The task once the runtime reports its attempt `attempt` started; undefined when stale. */
export function attemptStarted(t: TaskState, attempt: number, at: number, handle: string | undefined): TaskState | undefined {
  const a = lastAttempt(t);
  if (!a || a.attempt !== attempt || a.status !== 'starting') return undefined;
  const started: AttemptState = Object.assign({}, a, { status: 'running' as const, startedAt: at }, handle !== undefined ? { handle } : {});
  return { ...t, attempts: replaceLast(t, started) };
}

/** What the runtime says about an ended attempt: an `attempt:exited` event's fields. */
export type AttemptExit = Omit<Extract<RunEvent, { type: 'attempt:exited' }>, 'type' | 'task'>;

/**
 * The task once attempt `ev.attempt` ended: done, a delayed retry, or failed for good; undefined
 * when the event is stale (not the task's active attempt). `canceling`: the run is being canceled.
 */
export function attemptExited(spec: ResolvedTask | undefined, t: TaskState, ev: AttemptExit, now: number, canceling: boolean): TaskState | undefined {
  const a = lastAttempt(t);
  if (!a || a.attempt !== ev.attempt || !isActiveAttempt(a.status)) return undefined;
  const exited0 = ev.exitCode === 0 && a.killReason === undefined;
  // Exit 0 succeeds only with the declared outputs taken (data flow): else the attempt fails with why.
  const outputProblem = exited0 ? (ev.outputError ?? missingOutput(spec, ev.outputs)) : undefined;
  const ok = exited0 && outputProblem === undefined;
  const reason = a.killReason ?? outputProblem ?? ev.reason ?? (ok ? 'Completed' : 'Error');
  const status: AttemptState['status'] = ok ? 'succeeded' : a.killReason === 'Canceled' ? 'canceled' : reason === 'Lost' || reason === NOT_STARTED ? 'lost' : 'failed';
  // Start and end on one clock when the runtime gives both; never an end before the start.
  const startedAt = Math.min(ev.startedAt ?? a.startedAt ?? ev.at, ev.at);
  const ended: AttemptState = Object.assign(
    {},
    a,
    { status, startedAt, finishedAt: ev.at },
    ev.exitCode !== undefined ? { exitCode: ev.exitCode } : {},
    { reason },
    ok && spec?.outputs && spec.outputs.length > 0 ? { outputs: declaredOutputs(spec.outputs, ev.outputs) } : {},
  );
  return afterAttempt(spec, t, replaceLast(t, ended), ended, now, canceling, ev.noRetry === true);
}

/** Reason of an attempt that exited 0 without writing a declared output, if one is missing. */
function missingOutput(spec: ResolvedTask | undefined, outputs: Readonly<Record<string, string>> | undefined): string | undefined {
  for (const name of spec?.outputs ?? []) {
    if (!outputs || !Object.hasOwn(outputs, name)) return `OutputMissing: output "${name}" was not written to $KONTROLER_OUTPUTS/${name}`;
  }
  return undefined;
}

/** Exactly the declared outputs' values (anything else the runtime reported is dropped). */
function declaredOutputs(names: readonly string[], outputs: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = outputs?.[n];
    if (v !== undefined && outputs && Object.hasOwn(outputs, n)) Object.defineProperty(out, n, { value: v, enumerable: true, writable: true });
  }
  return out;
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
  const id = identity(t);
  const as = (rest: Omit<TaskState, 'name' | 'attempts'>): TaskState => Object.assign(id, { attempts }, rest);
  if (ended.status === 'succeeded') return as({ status: 'succeeded' });
  if (ended.status === 'canceled' || canceling) return as({ status: 'canceled', reason: 'Canceled' });
  if (noRetry) return as({ status: 'failed', reason: ended.reason ?? 'Error' });
  if (ended.reason === NOT_STARTED) {
    if (attempts.filter((a) => a.reason === NOT_STARTED).length < MAX_NOT_STARTED) {
      return as({ status: 'waiting', retryAt: now, reason: 'the previous attempt was never started; starting the next one' });
    }
    return as({ status: 'failed', reason: `${MAX_NOT_STARTED} attempts in a row were never started by the runtime` });
  }
  const why = ended.exitCode !== undefined && ended.exitCode !== 0 ? `exit code ${ended.exitCode}` : (ended.reason ?? 'Error');
  const ran = ranAttempts({ attempts });
  if (spec && shouldRetry(spec, ran, ended.exitCode)) {
    const retryAt = now + retryDelayMs(spec, ran);
    return as({ status: 'waiting', retryAt, reason: `retry ${ran} of ${spec.retryLimit} after ${why}` });
  }
  return as({ status: 'failed', reason: ended.reason === 'Error' ? `failed with ${why}` : (ended.reason ?? 'Error') });
}

/** The task with a new attempt recorded as starting, and the command that starts it. */
export function startedTask(spec: ResolvedTask, t: TaskState, now: number, resolved?: ResolvedInputs): { task: TaskState; command: Command } {
  const n = t.attempts.length + 1;
  const deadlineAt = spec.timeoutSeconds !== undefined ? now + spec.timeoutSeconds * 1000 : undefined;
  const attempt: AttemptState = Object.assign(
    { attempt: n, status: 'starting' as const, createdAt: now },
    deadlineAt !== undefined ? { deadlineAt } : {},
    resolved !== undefined ? { resolved } : {},
  );
  return {
    task: Object.assign(identity(t), { status: 'running' as const, attempts: [...t.attempts, attempt] }),
    command: { type: 'attempt:start', task: t.name, attempt: n, ...(deadlineAt !== undefined ? { deadlineAt } : {}) },
  };
}

/**
 * The running task once the engine asked the runtime to stop its active attempt, and that command;
 * undefined when there is no active attempt or a stop was already asked.
 */
export function killedTask(t: TaskState, reason: string): { task: TaskState; command: Command } | undefined {
  const a = lastAttempt(t);
  if (t.status !== 'running' || !a || !isActiveAttempt(a.status) || a.killReason !== undefined) return undefined;
  const killed: AttemptState = Object.assign({}, a, { killReason: reason });
  return { task: { ...t, attempts: replaceLast(t, killed) }, command: { type: 'attempt:kill', task: t.name, attempt: a.attempt, reason } };
}

/** Whether the task runs an attempt that has not been asked to stop yet. */
export function isKillable(t: TaskState): boolean {
  const a = lastAttempt(t);
  return t.status === 'running' && a !== undefined && isActiveAttempt(a.status) && a.killReason === undefined;
}

/** Whether the task runs an active attempt (possibly asked to stop already). */
export function hasActiveAttempt(t: TaskState): boolean {
  const a = lastAttempt(t);
  return t.status === 'running' && a !== undefined && isActiveAttempt(a.status);
}

/** The deadline the engine enforces on the task's active attempt, if it must still enforce one. */
export function pendingDeadline(t: TaskState): number | undefined {
  return isKillable(t) ? lastAttempt(t)?.deadlineAt : undefined;
}

export function canceledTask(t: TaskState): TaskState {
  return Object.assign(identity(t), { status: 'canceled' as const, attempts: t.attempts, reason: 'Canceled' });
}

export function skippedTask(t: TaskState, reason: string): TaskState {
  return Object.assign(identity(t), { status: 'skipped' as const, attempts: t.attempts, reason });
}

/** A task that fails before any attempt (its condition or a reference could not be evaluated). */
export function failedTask(t: TaskState, reason: string): TaskState {
  return Object.assign(identity(t), { status: 'failed' as const, attempts: t.attempts, reason });
}

/**
 * A failed, skipped or canceled task back to pending for a retry of the run; its attempts stay. A
 * mapped task whose instances exist keeps them and is running again (its failed, skipped and
 * canceled instances are reset in turn); one that never expanded expands anew.
 */
export function resetTask(t: TaskState): TaskState {
  return Object.assign(identity(t), { status: t.instances !== undefined ? ('running' as const) : ('pending' as const), attempts: t.attempts });
}

/** A mapped task once its instances are known: running while they are, succeeded with none. */
export function expandedTask(t: TaskState, instances: number): TaskState {
  return { name: t.name, status: instances === 0 ? 'succeeded' : 'running', attempts: t.attempts, instances };
}

/** A new instance of a mapped task: pending, no attempts. */
export function instanceTask(mapOf: string, index: number, item: TaskState['item']): TaskState {
  return { name: instanceName(mapOf, index), status: 'pending', attempts: [], mapOf, index, ...(item !== undefined ? { item } : {}) };
}

/** The `notify:task` command for a task that just changed status to `t.status`. */
export function taskNotification(t: TaskState): Command {
  const a = lastAttempt(t);
  return {
    type: 'notify:task',
    task: t.name,
    status: t.status,
    ...(a ? { attempt: a.attempt } : {}),
    ...(a?.exitCode !== undefined ? { exitCode: a.exitCode } : {}),
    ...(t.reason !== undefined ? { reason: t.reason } : a?.reason !== undefined ? { reason: a.reason } : {}),
  };
}
