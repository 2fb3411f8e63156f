// The one place the run page lists a run's tasks (GET /runs/{id}/tasks, cursor pages in
// definition order, filtered by status and name prefix), and finds one task by name.
import type { KontrolerClient, RunTask } from '@kontroler/client';
import type { TaskFilter } from './task-filter.js';

export interface TaskPage {
  items: RunTask[];
  nextCursor?: string | undefined;
}

/** Pages read to find one task by name before giving up (names sharing its prefix come first). */
export const TASK_LOOKUP_MAX_PAGES = 10;
/** Rows per page of that search. */
export const TASK_LOOKUP_PAGE_SIZE = 200;

export function listRunTasks(api: KontrolerClient, runId: number, f: TaskFilter, cursor: string | undefined, limit: number): Promise<TaskPage> {
  return api.listRunTasks(runId, { ...(f.status.length > 0 ? { status: f.status } : {}), ...(f.prefix ? { prefix: f.prefix } : {}), ...(cursor ? { cursor } : {}), limit });
}

/**
 * The task named `name`: searched by name prefix (it is among the tasks whose name starts with
 * it). Undefined when it is not within TASK_LOOKUP_MAX_PAGES pages of such names.
 */
export async function findRunTask(api: KontrolerClient, runId: number, name: string): Promise<RunTask | undefined> {
  let cursor: string | undefined;
  for (let i = 0; i < TASK_LOOKUP_MAX_PAGES; i++) {
    const page = await listRunTasks(api, runId, { status: [], prefix: name }, cursor, TASK_LOOKUP_PAGE_SIZE);
    const hit = page.items.find((t) => t.name === name);
    if (hit) return hit;
    if (!page.nextCursor) return undefined;
    cursor = page.nextCursor;
  }
  return undefined;
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
