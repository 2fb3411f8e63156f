// The one place the run page lists a run's tasks (GET /runs/{id}/tasks, cursor pages in
// definition order, filtered by status and name prefix), and finds one task by name; and the
// instances of a mapped task (`?mapOf=NAME`, index order), and one instance by index.
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

/** Instances read per page while looking one up by index (the API's most). */
export const INSTANCE_LOOKUP_PAGE_SIZE = 1000;
/** Pages read to find one instance before giving up (instance 20,000 onwards is not looked up). */
export const INSTANCE_LOOKUP_MAX_PAGES = 20;

/** One page of the instances of the mapped task `mapOf`, in index order. */
export function listInstances(api: KontrolerClient, runId: number, mapOf: string, cursor: string | undefined, limit: number): Promise<TaskPage> {
  return api.listRunTasks(runId, { mapOf, ...(cursor ? { cursor } : {}), limit });
}

/**
 * Instance `index` of the mapped task `mapOf`: the pages in index order are read up to the one
 * holding it. Undefined when there is no such instance, or it lies past
 * INSTANCE_LOOKUP_MAX_PAGES pages.
 */
export async function findInstance(api: KontrolerClient, runId: number, mapOf: string, index: number): Promise<RunTask | undefined> {
  let cursor: string | undefined;
  for (let i = 0; i < INSTANCE_LOOKUP_MAX_PAGES; i++) {
    const page = await listInstances(api, runId, mapOf, cursor, INSTANCE_LOOKUP_PAGE_SIZE);
    const hit = page.items.find((t) => t.index === index);
    if (hit) return hit;
    const last = page.items[page.items.length - 1];
    if (!page.nextCursor || (last?.index !== undefined && last.index > index)) return undefined;
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
