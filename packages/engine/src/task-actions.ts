// What a person does to one task of a run from the API: retry it (and, if asked, the tasks after
// it), or mark it succeeded or failed. Pure per-task rules; the draft applies them (draft.ts).
import type { ResolvedTask } from '@kontroler/core';
import type { TaskState } from './state.js';
import { isTerminalTask } from './state.js';
import { identity } from './transitions.js';

/** Why a task cannot be retried now, or undefined when it can (it has finished). */
export function retryRefusal(t: TaskState): string | undefined {
  if (isTerminalTask(t.status)) return undefined;
  return `task ${t.name} is ${t.status}: only a finished task (succeeded, failed, skipped or canceled) can be retried`;
}

/** Why a task cannot be marked `status` now, or undefined when it can. */
export function markRefusal(t: TaskState, status: 'succeeded' | 'failed'): string | undefined {
  if (t.instances !== undefined) return `task ${t.name} is a mapped task: its outcome is its instances'; mark an instance (${t.name}[0], ...) instead`;
  if (t.status === 'running') return `task ${t.name} is running: cancel the run or wait for the attempt to end before marking it`;
  if (t.status === status) return `task ${t.name} is already ${status}`;
  return undefined;
}

/** The task marked `status` by `by` (its attempts kept as they were; a pending retry is dropped). */
export function markedTask(t: TaskState, status: 'succeeded' | 'failed', by: string): TaskState {
  return Object.assign(identity(t), { status, attempts: t.attempts, reason: `Marked${status === 'succeeded' ? 'Succeeded' : 'Failed'}: by ${by}` });
}

/**
 * The tasks of the definition after `name` (transitively, through runAfter), each once, in no
 * particular order. O(tasks + edges): for a person's action, not for the hot path.
 */
export function downstreamNames(name: string, names: Iterable<string>, spec: (name: string) => ResolvedTask | undefined): string[] {
  const after = new Map<string, string[]>();
  for (const n of names) {
    for (const up of spec(n)?.runAfter ?? []) {
      const list = after.get(up);
      if (list) list.push(n);
      else after.set(up, [n]);
    }
  }
  const seen = new Set<string>([name]);
  const todo = [name];
  for (let n = todo.pop(); n !== undefined; n = todo.pop()) {
    for (const d of after.get(n) ?? []) {
      if (seen.has(d)) continue;
      seen.add(d);
      todo.push(d);
    }
  }
  seen.delete(name);
  return [...seen];
}
