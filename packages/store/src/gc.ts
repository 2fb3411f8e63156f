import type { Queryable } from './db.js';

export interface RetentionPolicy {
  /** Delete ended runs that finished more than this long ago (ms). */
  maxAgeMs?: number;
  /** Keep at most this many ended runs per DAG (newest kept). */
  maxRunsPerDag?: number;
}

/**
 * Deletes ended runs (with their attempts, logs and webhook deliveries) that the policy no longer
 * keeps, at most `batch` per call. Never touches pending or running runs. Returns how many went.
 */
export async function collectGarbage(db: Queryable, policy: RetentionPolicy, now: number, batch = 500): Promise<number> {
  let deleted = 0;
  if (policy.maxAgeMs !== undefined) {
    const res = await db.query(
      `delete from runs where id in (select id from runs where status in ('succeeded', 'failed', 'canceled')
         and finished_at < $1 order by id limit $2)`,
      [new Date(now - policy.maxAgeMs), batch],
    );
    deleted += res.rowCount ?? 0;
  }
  if (policy.maxRunsPerDag !== undefined) {
    const res = await db.query(
      `delete from runs where id in (
         select id from (select id, row_number() over (partition by dag_id order by id desc) as n from runs
                         where status in ('succeeded', 'failed', 'canceled')) x
         where n > $1 limit $2)`,
      [policy.maxRunsPerDag, batch],
    );
    deleted += res.rowCount ?? 0;
  }
  // DAGs deleted without purge whose history is all gone can go too.
  await db.query(`delete from dags d where deleted_at is not null and not exists (select 1 from runs r where r.dag_id = d.id)`);
  return deleted;
}
