// A mapped task's instances as the run page names and shows them (pure). An instance of the
// mapped task NAME is the task `NAME[i]`; task names are DNS-1123 names (no brackets), so the
// name alone tells an instance from a task, and `?task=NAME[i]` selects it. The instances table's
// status filter is `?istatus=failed,running` (kept while an instance is open, so Back finds it).
import { TASK_STATUSES, type TaskStatus } from './task-filter.js';

/** Characters of an item shown in the instances table (the whole item is in the row's title). */
export const ITEM_CHARS = 60;

const INSTANCE = /^(.+)\[(\d+)\]$/;

/** The mapped task and index of an instance's name, or undefined for any other name. */
export function instanceRef(name: string): { mapOf: string; index: number } | undefined {
  const m = INSTANCE.exec(name);
  return m ? { mapOf: m[1]!, index: Number(m[2]) } : undefined;
}

/** The name of instance `index` of the mapped task `mapOf`. */
export function instanceName(mapOf: string, index: number): string {
  return `${mapOf}[${index}]`;
}

/** An item as text: a string as it is, anything else as JSON. */
export function itemText(item: unknown): string {
  if (typeof item === 'string') return item;
  return item === undefined ? '' : (JSON.stringify(item) ?? String(item));
}

/** An item cut to `max` characters (an ellipsis marks the cut). */
export function itemShort(item: unknown, max = ITEM_CHARS): string {
  const t = itemText(item).replace(/\n/g, '⏎');
  return t.length <= max ? t : `${t.slice(0, max - 1)}…`;
}

/** The query parameter of the instances table's status filter. */
export const INSTANCE_STATUS_PARAM = 'istatus';

/** The instance statuses in `?istatus=failed,running`, in TASK_STATUSES order; unknown ones dropped. */
export function instanceStatusFromQuery(q: { get(key: string): string | null }): TaskStatus[] {
  const given = new Set((q.get(INSTANCE_STATUS_PARAM) ?? '').split(','));
  return TASK_STATUSES.filter((s) => given.has(s));
}

/** Writes the instance status filter into the query `p` (removed when empty). */
export function instanceStatusIntoQuery<Q extends { set(key: string, value: string): void; delete(key: string): void }>(p: Q, status: readonly TaskStatus[]): Q {
  if (status.length > 0) p.set(INSTANCE_STATUS_PARAM, status.join(','));
  else p.delete(INSTANCE_STATUS_PARAM);
  return p;
}
