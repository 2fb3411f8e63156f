// The one place the run page lists a run's tasks (GET /runs/{id}/tasks, cursor pages in
// definition order, filtered by status and name prefix), reads one task or map instance by name
// (GET /runs/{id}/tasks/{name}), and pages the instances of a mapped task (`?mapOf=NAME`).
import type { KontrolerClient, RunTask } from '@kontroler/client';
import type { TaskFilter, TaskStatus } from './task-filter.js';

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

/** One page of the instances of the mapped task `mapOf`, in index order, only those of `status` when given. */
export function listInstances(api: KontrolerClient, runId: number, mapOf: string, cursor: string | undefined, limit: number, status: readonly TaskStatus[] = []): Promise<TaskPage> {
  return api.listRunTasks(runId, { mapOf, ...(status.length > 0 ? { status: [...status] } : {}), ...(cursor ? { cursor } : {}), limit });
}

/** Instances read per page for the timeline (the API's most). */
export const TIMELINE_INSTANCE_PAGE = 1000;

/**
 * The first `max` instances of each mapped task in `mapOf` (index order), for the timeline: at
 * most ceil(max / 1,000) requests per mapped task. A mapped task with more has its first `max`.
 */
export async function instancesOf(api: KontrolerClient, runId: number, mapOf: readonly string[], max: number): Promise<Map<string, RunTask[]>> {
  const out = new Map<string, RunTask[]>();
  await Promise.all(mapOf.map(async (name) => {
    const list: RunTask[] = [];
    let cursor: string | undefined;
    do {
      const page = await listInstances(api, runId, name, cursor, Math.min(TIMELINE_INSTANCE_PAGE, max - list.length));
      list.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && list.length < max);
    out.set(name, list);
  }));
  return out;
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
