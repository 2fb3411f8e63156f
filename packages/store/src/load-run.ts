// Loading a run for a controller (or a reader that needs the engine state): one pass over its
// task and attempt rows, linear in their number. At 100,000 tasks the costs are the rows' transfer
// and parse (times come as epoch ms, not as Date strings) and the definition snapshot's ~20 MB
// jsonb, which a DefinitionCache skips for versions already seen.
import type { DagDefinition, JsonValue } from '@kontroler/core';
import type { AttemptState, ResolvedInputs, RunState, TaskState } from '@kontroler/engine';
import { isActiveAttempt, taskMap } from '@kontroler/engine';
import type { Queryable } from './db.js';
import type { DefinitionCache } from './definition-cache.js';
import { readDefinition } from './definition-format.js';
import type { RunDetail } from './records.js';
import { msOr, runFromRow } from './records.js';
import type { AttemptsRow, RunsRow } from './rows.js';

export interface LoadRunOptions {
  /** Parsed definitions by version: read from it, and filled on a miss. */
  readonly definitions?: DefinitionCache;
}

/** A timestamptz column as epoch ms (int8, parsed as a number): far cheaper to parse than a Date. */
const epochMs = (col: string): string => `(extract(epoch from ${col}) * 1000)::int8 as ${col}`;

type Epoch<T> = { [K in keyof T]: T[K] extends Date ? number : T[K] extends Date | null ? number | null : T[K] };

/** The attempt columns a run's state is made of (log_line and run_id left out). */
type LoadAttemptRow = Epoch<Omit<AttemptsRow, 'run_id' | 'log_line'>>;

interface LoadTaskRow {
  task: string;
  status: TaskState['status'];
  reason: string | null;
  retry_at: number | null;
  position: number;
  map_of: string | null;
  item_index: number | null;
  item: string | null;
  instances: number | null;
}

const ATTEMPT_COLUMNS = [
  'task', 'attempt', 'status', 'exit_code', 'reason', 'kill_reason', 'handle', 'log_size', 'log_received', 'kind', 'outputs', 'resolved',
  ...['created_at', 'started_at', 'finished_at', 'deadline_at'].map(epochMs),
].join(', ');

function attemptState(r: LoadAttemptRow): AttemptState {
  return {
    attempt: r.attempt,
    status: r.status,
    createdAt: r.created_at,
    ...(r.started_at !== null ? { startedAt: r.started_at } : {}),
    ...(r.finished_at !== null ? { finishedAt: r.finished_at } : {}),
    ...(r.deadline_at !== null ? { deadlineAt: r.deadline_at } : {}),
    ...(r.exit_code !== null ? { exitCode: r.exit_code } : {}),
    ...(r.reason !== null ? { reason: r.reason } : {}),
    ...(r.kill_reason !== null ? { killReason: r.kill_reason } : {}),
    ...(r.handle !== null ? { handle: r.handle } : {}),
    ...(r.kind !== null ? { kind: r.kind } : {}),
    ...(r.outputs !== null ? { outputs: r.outputs } : {}),
    ...(r.resolved !== null ? { resolved: r.resolved as ResolvedInputs } : {}),
  };
}

async function definitionOf(db: Queryable, run: RunsRow, cache: DefinitionCache | undefined): Promise<DagDefinition | undefined> {
  const hit = cache?.get(run.dag_id, run.dag_version);
  if (hit) return hit;
  const { rows } = await db.query<{ definition: unknown; definition_format: number }>(
    'select definition, definition_format from dag_versions where dag_id = $1 and version = $2',
    [run.dag_id, run.dag_version],
  );
  const row = rows[0];
  if (!row) return undefined;
  const def = readDefinition(row.definition_format, row.definition, `run ${run.id}`);
  cache?.set(run.dag_id, run.dag_version, def);
  return def;
}

/**
 * A run with its definition snapshot and its full state, or undefined (no such run, or its
 * version is gone). Reads the run, its task rows and its attempt rows (three queries, at once)
 * and the definition unless `definitions` holds it. Time and memory are linear in tasks +
 * attempts. Read-only; throws INVALID_STATE for a definition format this code does not read.
 */
export async function loadRun(db: Queryable, runId: number, opts: LoadRunOptions = {}): Promise<RunDetail | undefined> {
  const [r, ts, as] = await Promise.all([
    db.query<RunsRow>('select * from runs where id = $1', [runId]),
    db.query<LoadTaskRow>(
      `select task, status, reason, ${epochMs('retry_at')}, position, map_of, item_index, item, instances from task_states where run_id = $1`,
      [runId],
    ),
    db.query<LoadAttemptRow>(`select ${ATTEMPT_COLUMNS} from attempts where run_id = $1`, [runId]),
  ]);
  const row = r.rows[0];
  if (!row) return undefined;
  const definition = await definitionOf(db, row, opts.definitions);
  if (!definition) return undefined;
  const run = runFromRow(row);
  const attempts = new Map<string, AttemptState[]>();
  const logSizes: Record<string, number> = {};
  for (const a of as.rows) {
    // Where the runtime resumes the output: the raw bytes accounted for, not the stored size.
    logSizes[`${a.task}#${a.attempt}`] = Number(a.log_received ?? a.log_size);
    const list = attempts.get(a.task);
    if (list) list.push(attemptState(a));
    else attempts.set(a.task, [attemptState(a)]);
  }
  for (const list of attempts.values()) if (list.length > 1) list.sort((x, y) => x.attempt - y.attempt);
  const byTask = new Map(ts.rows.map((t) => [t.task, t]));
  const list: TaskState[] = [];
  const active: string[] = [];
  const add = (name: string, tr: LoadTaskRow | undefined): void => {
    const at = attempts.get(name) ?? [];
    const last = at[at.length - 1];
    if (last && isActiveAttempt(last.status)) active.push(name);
    list.push({
      name,
      status: tr?.status ?? 'pending',
      attempts: at,
      ...(tr?.retry_at !== undefined && tr.retry_at !== null ? { retryAt: tr.retry_at } : {}),
      ...(tr?.reason ? { reason: tr.reason } : {}),
      ...(tr && tr.map_of !== null ? { mapOf: tr.map_of } : {}),
      ...(tr && tr.item_index !== null ? { index: tr.item_index } : {}),
      ...(tr && tr.item !== null ? { item: JSON.parse(tr.item) as JsonValue } : {}),
      ...(tr && tr.instances !== null ? { instances: tr.instances } : {}),
    });
  };
  for (const t of definition.tasks) add(t.name, byTask.get(t.name));
  // Instances of mapped tasks (rows the definition does not name), in creation (position) order.
  const instances = ts.rows.filter((t) => t.map_of !== null).sort((x, y) => x.position - y.position);
  for (const t of instances) add(t.task, t);
  const startedAt = msOr(row.started_at);
  const finishedAt = msOr(row.finished_at);
  const state: RunState = {
    status: run.status,
    tasks: taskMap(list),
    cancelRequested: run.cancelRequested,
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    ...(row.outputs !== null ? { outputs: row.outputs } : {}),
  };
  return { run, definition, state, logSizes, active };
}
