// A run's tasks for the API, without loading the whole run: counts per status (runs.task_counts),
// pages of tasks in definition order with filters (keyset on task_states.position), and the
// grouped graph of a large DAG with counts per group. Each costs O(page) or O(groups) rows sent,
// never O(tasks).
import type { JsonValue } from '@kontroler/core';
import { TASK_STATUSES, reduceOutput, type TaskStatus } from '@kontroler/engine';
import type { Queryable } from './db.js';
import type { AttemptRecord, RunRecord } from './records.js';
import { approvalDecisionsOf, type ApprovalDecisionRecord } from './approvals.js';
import { attemptFromRow, msOr, runFromRow } from './records.js';
import type { RunIndex } from './run-index.js';
import { GRAPH_MAX_NODES } from './run-index.js';
import { pageSize } from './run-filter.js';
import type { AttemptsRow, RunsRow } from './rows.js';
import type { RunGroupCountsRow, TaskStatesRow } from './rows/run-parts.js';

/** Tasks a page of `listRunTasks` holds when no limit is asked for. */
export const RUN_TASKS_DEFAULT_LIMIT = 100;
/** The most tasks one page of `listRunTasks` holds. */
export const RUN_TASKS_MAX_LIMIT = 1000;
/** The longest task name prefix a listing filters by (a task name is at most 253 characters). */
export const TASK_PREFIX_MAX_LENGTH = 253;

export type TaskCounts = Record<TaskStatus, number>;

/** Counts with every status present (zeros included), from a stored partial map. Pure. */
export function fullTaskCounts(stored: Readonly<Record<string, number>> | null | undefined): TaskCounts {
  const out = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as TaskCounts;
  for (const s of TASK_STATUSES) out[s] = Number(stored?.[s] ?? 0);
  return out;
}

/** The sum of counts. Pure. */
export function countTotal(c: TaskCounts): number {
  return TASK_STATUSES.reduce((n, s) => n + c[s], 0);
}

/**
 * The run's task count per status (every status present) and its number of tasks, from
 * runs.task_counts (one row read), or undefined for an unknown run.
 */
export async function runTaskCounts(db: Queryable, runId: number): Promise<{ counts: TaskCounts; total: number } | undefined> {
  const { rows } = await db.query<{ task_counts: Record<string, number> }>('select task_counts from runs where id = $1', [runId]);
  if (!rows[0]) return undefined;
  const counts = fullTaskCounts(rows[0].task_counts);
  return { counts, total: countTotal(counts) };
}

/** A run with its task counts (every status present) and number of tasks, in one row read; undefined for an unknown run. */
export async function getRunOverview(db: Queryable, runId: number): Promise<{ run: RunRecord; counts: TaskCounts; total: number } | undefined> {
  const { rows } = await db.query<RunsRow>('select * from runs where id = $1', [runId]);
  const row = rows[0];
  if (!row) return undefined;
  const counts = fullTaskCounts(row.task_counts);
  return { run: runFromRow(row), counts, total: countTotal(counts) };
}

/** A task of a run as the API lists it: its state and attempts (its spec is in the RunIndex). */
export interface RunTaskRecord {
  name: string;
  /** Index in the run's definition (0-based): the listing order and the cursor. */
  position: number;
  status: TaskStatus;
  reason?: string;
  retryAt?: number;
  attempts: AttemptRecord[];
  /** An instance of a mapped task: the mapped task, the instance's index and item. */
  mapOf?: string;
  index?: number;
  item?: JsonValue;
  /** A mapped task once expanded: its number of instances, and how many have each status. */
  instances?: number;
  instanceCounts?: Partial<TaskCounts>;
  /** A succeeded mapped task: per output, the JSON array of its instances' values in item order. */
  mappedOutputs?: Record<string, string>;
  /** An approval task: the decision recorded on its last attempt, if any. */
  decision?: ApprovalDecisionRecord;
}

/** The task_states columns a task record is read from. */
const TASK_COLUMNS = 'task, status, reason, retry_at, position, map_of, item_index, item, instances';

export interface RunTasksQuery {
  /** Only tasks with one of these statuses (none or empty: every status). */
  status?: readonly TaskStatus[];
  /** Only tasks whose name starts with this (at most TASK_PREFIX_MAX_LENGTH characters). */
  prefix?: string;
  /** Tasks after this position (the last position of the previous page). */
  afterPosition?: number;
  /** Page size, clamped to [1, RUN_TASKS_MAX_LIMIT]. */
  limit: number;
  /** The instances of this mapped task instead of the run's own tasks (which never include instances). */
  mapOf?: string;
}

/**
 * One page of a run's tasks in definition order, with their attempts, and the position to pass
 * as `afterPosition` for the next page (absent on the last page). Two queries: the page of
 * task rows (an index range per status asked for, merged by position), then its attempts. Pages
 * are stable: positions never change, so paging while the run runs never skips or repeats a
 * task (a task's status may change between pages). An unknown run has no tasks.
 */
export async function listRunTasks(db: Queryable, runId: number, q: RunTasksQuery): Promise<{ tasks: RunTaskRecord[]; nextPosition?: number }> {
  const limit = pageSize(q.limit, RUN_TASKS_MAX_LIMIT);
  const args: unknown[] = [runId, q.afterPosition ?? -1, limit + 1];
  const prefix = q.prefix ? ` and starts_with(task, $${args.push(q.prefix.slice(0, TASK_PREFIX_MAX_LENGTH))})` : '';
  const of = q.mapOf !== undefined ? ` and map_of = $${args.push(q.mapOf)}` : ' and map_of is null';
  const cols = TASK_COLUMNS;
  const text =
    q.status && q.status.length > 0
      ? `select t.* from unnest($${args.push([...new Set(q.status)])}::text[]) as s(status)
         cross join lateral (select ${cols} from task_states where run_id = $1 and status = s.status and position > $2${prefix}${of} order by position limit $3) t
         order by t.position limit $3`
      : `select ${cols} from task_states where run_id = $1 and position > $2${prefix}${of} order by position limit $3`;
  const { rows } = await db.query<Omit<TaskStatesRow, 'run_id' | 'grp'>>(text, args);
  const page = rows.slice(0, limit);
  const tasks = await recordsOf(db, runId, page);
  const last = page[page.length - 1];
  return { tasks, ...(rows.length > limit && last ? { nextPosition: last.position } : {}) };
}

/**
 * One task of a run by name (a mapped task's instance too: `NAME[i]`) with its attempts, as
 * listRunTasks gives it. Undefined when the run has no such task. Whatever the run's size: the row
 * by its key, then its attempts (and a mapped task's instance counts and reduced outputs, an
 * approval task's decision), each one query.
 */
export async function getRunTask(db: Queryable, runId: number, task: string): Promise<RunTaskRecord | undefined> {
  const { rows } = await db.query<Omit<TaskStatesRow, 'run_id' | 'grp'>>(`select ${TASK_COLUMNS} from task_states where run_id = $1 and task = $2`, [runId, task]);
  return (await recordsOf(db, runId, rows))[0];
}

/** Task rows of a run as records: their attempts, instance counts, reduced outputs and decisions. */
async function recordsOf(db: Queryable, runId: number, page: readonly Omit<TaskStatesRow, 'run_id' | 'grp'>[]): Promise<RunTaskRecord[]> {
  const mapped = page.filter((r) => r.instances !== null && r.instances > 0);
  const [attempts, counts, outputs] = await Promise.all([
    attemptsOf(db, runId, page.map((r) => r.task)),
    instanceCountsOf(db, runId, mapped.map((r) => r.task)),
    mappedOutputsOf(db, runId, mapped.filter((r) => r.status === 'succeeded').map((r) => r.task)),
  ]);
  const decisions = await approvalDecisionsOf(db, runId, page.flatMap((r) => {
    const last = attempts.get(r.task)?.at(-1);
    return last?.kind === 'approval' ? [{ task: r.task, attempt: last.attempt }] : [];
  }));
  return page.map((r): RunTaskRecord => {
    const retryAt = msOr(r.retry_at);
    const decision = decisions.get(r.task);
    return {
      name: r.task,
      position: r.position,
      status: r.status,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(retryAt !== undefined ? { retryAt } : {}),
      attempts: attempts.get(r.task) ?? [],
      ...(r.map_of !== null ? { mapOf: r.map_of } : {}),
      ...(r.item_index !== null ? { index: r.item_index } : {}),
      ...(r.item !== null ? { item: JSON.parse(r.item) as JsonValue } : {}),
      ...(r.instances !== null ? { instances: r.instances, instanceCounts: counts.get(r.task) ?? {} } : {}),
      ...(outputs.has(r.task) ? { mappedOutputs: outputs.get(r.task) } : {}),
      ...(decision ? { decision } : {}),
    };
  });
}

/** How many instances of each of these mapped tasks have each status (one grouped query on their index). */
async function instanceCountsOf(db: Queryable, runId: number, tasks: readonly string[]): Promise<Map<string, Partial<TaskCounts>>> {
  const out = new Map<string, Partial<TaskCounts>>();
  if (tasks.length === 0) return out;
  const { rows } = await db.query<{ map_of: string; status: TaskStatus; n: number }>(
    'select map_of, status, count(*)::int as n from task_states where run_id = $1 and map_of = any($2::text[]) group by map_of, status',
    [runId, tasks],
  );
  for (const r of rows) {
    const c = out.get(r.map_of) ?? {};
    c[r.status] = r.n;
    out.set(r.map_of, c);
  }
  return out;
}

/**
 * The reduced outputs of succeeded mapped tasks, as the engine gives them to later tasks: per
 * output, the JSON array of the instances' values in item order. O(instances) rows read.
 */
async function mappedOutputsOf(db: Queryable, runId: number, tasks: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  if (tasks.length === 0) return out;
  const { rows } = await db.query<{ map_of: string; outputs: Record<string, string> | null }>(
    `select t.map_of, a.outputs from task_states t
       left join attempts a on a.run_id = t.run_id and a.task = t.task and a.status = 'succeeded' and t.status = 'succeeded'
      where t.run_id = $1 and t.map_of = any($2::text[]) order by t.map_of, t.position`,
    [runId, tasks],
  );
  const values = new Map<string, (Record<string, string> | undefined)[]>();
  for (const r of rows) {
    const list = values.get(r.map_of) ?? [];
    list.push(r.outputs ?? undefined);
    values.set(r.map_of, list);
  }
  for (const [task, list] of values) {
    const names = new Set(list.flatMap((o) => (o ? Object.keys(o) : [])));
    out.set(task, Object.fromEntries([...names].map((n) => [n, reduceOutput(list, n)])));
  }
  return out;
}

/** The attempts of some tasks of a run, oldest first per task. */
async function attemptsOf(db: Queryable, runId: number, tasks: readonly string[]): Promise<Map<string, AttemptRecord[]>> {
  const out = new Map<string, AttemptRecord[]>();
  if (tasks.length === 0) return out;
  const { rows } = await db.query<AttemptsRow>('select * from attempts where run_id = $1 and task = any($2::text[]) order by task, attempt', [runId, tasks]);
  for (const r of rows) {
    const list = out.get(r.task) ?? [];
    list.push(attemptFromRow(r));
    out.set(r.task, list);
  }
  return out;
}

/** Whether the run has a task of this name (a task_states row: every task has one). */
export async function runHasTask(db: Queryable, runId: number, task: string): Promise<boolean> {
  const { rows } = await db.query('select 1 from task_states where run_id = $1 and task = $2', [runId, task]);
  return rows.length > 0;
}

export interface GraphGroup {
  id: string;
  size: number;
  /** Tasks of the group per status (statuses with none left out). */
  counts: Partial<TaskCounts>;
}

/** The graph of a DAG of more than GRAPH_MAX_NODES tasks, grouped by name prefix (taskGroupOf). */
export interface GraphSummary {
  /** The groups (the largest GRAPH_MAX_NODES when there are more: `truncated`), in definition order. */
  groups: GraphGroup[];
  /** An edge between two groups shown when a task of one runs after a task of the other. */
  edges: Array<{ from: string; to: string }>;
  /** Tasks in the DAG. */
  tasks: number;
  truncated?: true;
}

/**
 * The grouped graph of a run whose index has groups (a DAG of more than GRAPH_MAX_NODES tasks),
 * with each group's count per status from run_group_counts (kept by saveRunState): one query of
 * O(groups × statuses) rows, whatever the run's size. Undefined when the index has a plain graph.
 */
export async function runGraphSummary(db: Queryable, runId: number, index: RunIndex): Promise<GraphSummary | undefined> {
  const g = index.groups;
  if (!g) return undefined;
  const { rows } = await db.query<Omit<RunGroupCountsRow, 'run_id'>>('select grp, status, n from run_group_counts where run_id = $1 and n <> 0', [runId]);
  const counts: Array<Partial<TaskCounts>> = g.ids.map(() => ({}));
  for (const r of rows) {
    const c = counts[r.grp];
    if (c) c[r.status] = r.n;
  }
  let keep = g.ids.map((_, i) => i);
  const truncated = keep.length > GRAPH_MAX_NODES;
  if (truncated) {
    keep = keep
      .sort((a, b) => (g.sizes[b] ?? 0) - (g.sizes[a] ?? 0) || a - b)
      .slice(0, GRAPH_MAX_NODES)
      .sort((a, b) => a - b);
  }
  const kept = new Set(keep);
  const id = (i: number): string => g.ids[i] ?? '';
  return {
    groups: keep.map((i) => ({ id: id(i), size: g.sizes[i] ?? 0, counts: counts[i] ?? {} })),
    edges: g.edges.filter(([a, b]) => kept.has(a) && kept.has(b)).map(([a, b]) => ({ from: id(a), to: id(b) })),
    tasks: index.tasks.length,
    ...(truncated ? { truncated: true as const } : {}),
  };
}
