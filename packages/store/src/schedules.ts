import type { PoolLike, Queryable } from './db.js';
import { transaction } from './db.js';
import type { DagRecord } from './records.js';
import { dagFromRow } from './records.js';
import type { DagsRow } from './rows.js';

/**
 * Locks up to `limit` DAGs whose schedule is due (or not yet computed) and hands each to `fire`
 * inside one transaction per batch. `fire` creates the runs it wants through `tx` and returns the
 * next fire time; the DAG row is then advanced, so a fire is never taken twice, even by two
 * controllers (`for update skip locked`). Returns how many DAGs were handled.
 */
export async function fireDueSchedules(
  pool: PoolLike,
  now: number,
  limit: number,
  fire: (tx: Queryable, dag: DagRecord) => Promise<{ nextFireAt: number | null; firedAt?: number }>,
): Promise<number> {
  return transaction(pool, async (tx) => {
    const { rows } = await tx.query<DagsRow>(
      `select * from dags where schedule is not null and not suspended and deleted_at is null
         and (next_fire_at is null or next_fire_at <= $1)
       order by next_fire_at nulls first for update skip locked limit $2`,
      [new Date(now), limit],
    );
    for (const r of rows) {
      const dag = dagFromRow(r);
      const out = await fire(tx, dag);
      await tx.query(
        `update dags set next_fire_at = $2, last_fired_at = coalesce($3, last_fired_at) where id = $1`,
        [dag.id, out.nextFireAt === null ? null : new Date(out.nextFireAt), out.firedAt === undefined ? null : new Date(out.firedAt)],
      );
    }
    return rows.length;
  });
}

/** The earliest next fire time of any active schedule (epoch ms), if any. */
export async function nextScheduleDue(db: Queryable): Promise<number | undefined> {
  const { rows } = await db.query<{ t: Date | null; pending: boolean }>(
    `select min(next_fire_at) as t, bool_or(next_fire_at is null) as pending from dags
     where schedule is not null and not suspended and deleted_at is null`,
  );
  const r = rows[0];
  if (!r) return undefined;
  if (r.pending) return 0;
  return r.t ? r.t.getTime() : undefined;
}
