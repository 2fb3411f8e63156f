// The one place the run page lists a run's tasks (GET /runs/{id}/tasks, cursor pages in
// definition order, filtered by status and name prefix), reads one task or map instance by name
// (GET /runs/{id}/tasks/{name}), and pages the instances of a mapped task (`?mapOf=NAME`).
import type { KontrolerClient, RunTask } from '@kontroler/client';
import type { TaskFilter } from './task-filter.js';

export interface TaskPage {
  items: RunTask[];
  nextCursor?: string | undefined;
}

export function listRunTasks(api: KontrolerClient, runId: number, f: TaskFilter, cursor: string | undefined, limit: number): Promise<TaskPage> {
  return api.listRunTasks(runId, { ...(f.status.length > 0 ? { status: f.status } : {}), ...(f.prefix ? { prefix: f.prefix } : {}), ...(cursor ? { cursor } : {}), limit });
}

/**
 * The task named `name`, or the instance `NAME[i]` of a mapped task, read by name (GET
 * /runs/{id}/tasks/{name}: one request whatever the run's size or the instance's index).
 * Undefined when the run has no such task (404); other errors are thrown.
 */
export async function getRunTask(api: KontrolerClient, runId: number, name: string): Promise<RunTask | undefined> {
  try {
    return await api.getRunTask(runId, name);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'NOT_FOUND') return undefined;
    throw e;
  }
}

/** One page of the instances of the mapped task `mapOf`, in index order. */
export function listInstances(api: KontrolerClient, runId: number, mapOf: string, cursor: string | undefined, limit: number): Promise<TaskPage> {
  return api.listRunTasks(runId, { mapOf, ...(cursor ? { cursor } : {}), limit });
}

/** Every task of a run, at most `maxPages` pages of 1,000 (small runs: their graph colours every task). */
export async function allRunTasks(api: KontrolerClient, runId: number, maxPages: number): Promise<RunTask[]> {
  const out: RunTask[] = [];
  let pages = 0;
  for await (const page of api.runTasks(runId)) {
    out.push(...page);
    if (++pages >= maxPages) break;
  }
  return out;
}
