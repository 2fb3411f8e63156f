// A 100,000-task run for the large-run browser test and the UI benchmark. The DAG goes in through
// the store (its YAML is ~9 MB, past the API's 4 MiB body limit); the run is started through the
// real API; its task statuses are then set in the database as if it had run for a while (no
// controller runs it), with counts kept as saveRunState keeps them.
import { applyResource, type PoolLike, type Queryable } from '@kontroler/store';
import type { DagResource } from '@kontroler/core';

export const LARGE_DAG = 'huge';
/** Tasks in the large run: prep → extract-NNNNN × EXTRACTS → transform-NNNNN × TRANSFORMS (one each) → report. */
export const EXTRACTS = 50_000;
export const TRANSFORMS = 49_998;
export const LARGE_TASKS = 1 + EXTRACTS + TRANSFORMS + 1;

const pad = (i: number) => String(i).padStart(5, '0');

export function largeDag(): DagResource {
  const task: Array<{ name: string; image: string; command: string[]; runAfter?: string[] }> = [{ name: 'prep', image: 'alpine:3.20', command: ['true'] }];
  for (let i = 0; i < EXTRACTS; i++) task.push({ name: `extract-${pad(i)}`, image: 'alpine:3.20', command: ['true'], runAfter: ['prep'] });
  for (let i = 0; i < TRANSFORMS; i++) task.push({ name: `transform-${pad(i)}`, image: 'alpine:3.20', command: ['true'], runAfter: [`extract-${pad(i)}`] });
  task.push({ name: 'report', image: 'alpine:3.20', command: ['true'], runAfter: ['transform-00000'] });
  return { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name: LARGE_DAG, namespace: 'default' }, spec: { task } } as DagResource;
}

/**
 * The statuses set: prep succeeded; extract-i failed when i % 1000 = 7 (50), running when
 * i % 1000 = 500 (50), else succeeded; transform-i skipped after a failed extract (i % 1000 = 7,
 * 50), succeeded below 20,000, else pending; report pending.
 */
export const LARGE_COUNTS = { pending: 29_968 + 1, waiting: 0, running: 50, succeeded: 1 + 49_900 + 19_980, failed: 50, skipped: 50, canceled: 0 };

/** Recomputes runs.task_counts and the grouped graph's counts from the task rows (what saveRunState keeps current). */
export async function recount(db: Queryable, runId: number): Promise<void> {
  await db.query(
    `update runs set task_counts = (select jsonb_object_agg(status, n) from (select status, count(*)::int as n from task_states where run_id = $1 group by status) s) where id = $1`,
    [runId],
  );
  await db.query('delete from run_group_counts where run_id = $1', [runId]);
  await db.query(
    'insert into run_group_counts (run_id, grp, status, n) select run_id, grp, status, count(*)::int from task_states where run_id = $1 and grp is not null group by run_id, grp, status',
    [runId],
  );
}

/** Stores the DAG (through the store) and starts its run through the API; returns the run id. */
export async function createLargeRun(pool: PoolLike, base: string, auth: Record<string, string>): Promise<number> {
  await applyResource(pool, largeDag(), { source: 'test' });
  const res = await fetch(`${base}/api/v1/namespaces/default/dags/${LARGE_DAG}/runs`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
  if (res.status !== 201) throw new Error(`starting the large run: ${res.status} ${await res.text()}`);
  const run = (await res.json()) as { id: number };
  const db = pool;
  await db.query(
    `update task_states set
       status = case
         when task = 'prep' then 'succeeded'
         when task like 'extract-%' and substr(task, 9)::int % 1000 = 7 then 'failed'
         when task like 'extract-%' and substr(task, 9)::int % 1000 = 500 then 'running'
         when task like 'extract-%' then 'succeeded'
         when task like 'transform-%' and substr(task, 11)::int % 1000 = 7 then 'skipped'
         when task like 'transform-%' and substr(task, 11)::int < 20000 then 'succeeded'
         else 'pending' end,
       reason = case when task like 'transform-%' and substr(task, 11)::int % 1000 = 7 then 'UpstreamFailed' else null end
     where run_id = $1`,
    [run.id],
  );
  // One failed attempt with a log, so the task panel has something to show.
  await db.query(
    `insert into attempts (run_id, task, attempt, status, exit_code, reason, created_at, started_at, finished_at, log_size, log_received)
     values ($1, 'extract-00007', 1, 'failed', 3, 'Error', now() - interval '5 seconds', now() - interval '4 seconds', now() - interval '2 seconds', 22, 22)`,
    [run.id],
  );
  await db.query(`insert into attempt_logs (run_id, task, attempt, "offset", data) values ($1, 'extract-00007', 1, 0, convert_to('extract-00007 failing' || chr(10), 'UTF8'))`, [run.id]);
  await db.query(`update runs set status = 'running', started_at = now() where id = $1`, [run.id]);
  await recount(db, run.id);
  return run.id;
}
