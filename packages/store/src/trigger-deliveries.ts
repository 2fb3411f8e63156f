// Deduplication of inbound trigger deliveries by their signed delivery id: the first delivery
// starts a run, every replay of it (on any server replica, across restarts) starts nothing and
// learns the original run. Ids are kept until they expire (the caller's timestamp window decides
// how long), then removed a batch at a time by later deliveries.
import { KontrolerError } from '@kontroler/core';
import { startRun, type StartRunInput } from './apply.js';
import type { PoolLike, Queryable } from './db.js';
import { transaction } from './db.js';
import type { RunRecord } from './records.js';
import type { DagsRow } from './rows.js';
import type { TriggerDeliveriesRow } from './rows/triggers.js';
import { getRun } from './runs.js';

/** Expired delivery ids removed per delivery (bounds the work any one request does). */
export const EXPIRED_DELIVERIES_PER_CALL = 100;

export type TriggeredRun =
  /** A new delivery: its run was started. */
  | { replay: false; run: RunRecord }
  /** A delivery seen before: nothing started; its run, unless that has been deleted since. */
  | { replay: true; run: RunRecord | undefined };

async function removeExpired(db: Queryable): Promise<void> {
  await db.query(
    `delete from trigger_deliveries where (dag_id, delivery_id) in
       (select dag_id, delivery_id from trigger_deliveries where expires_at < now() limit $1)`,
    [EXPIRED_DELIVERIES_PER_CALL],
  );
}

/**
 * Starts the run of a trigger delivery once per (DAG, delivery id): records the id (kept for
 * `keepSeconds`, by the database's clock) and starts the run in one transaction, so a failed
 * start records nothing and a replay (concurrent or later) starts nothing. Throws what
 * `startRun` throws (NOT_FOUND, UNKNOWN_PARAMETER). Idempotent by delivery id.
 */
export async function startTriggeredRun(pool: PoolLike, input: StartRunInput & { deliveryId: string; keepSeconds: number }): Promise<TriggeredRun> {
  const { deliveryId, keepSeconds, ...run } = input;
  return transaction(pool, async (tx) => {
    const dag = await tx.query<Pick<DagsRow, 'id'>>('select id from dags where namespace = $1 and name = $2 and deleted_at is null', [run.namespace, run.dagName]);
    const dagId = dag.rows[0]?.id;
    if (dagId === undefined) throw new KontrolerError('NOT_FOUND', `DAG ${run.namespace}/${run.dagName} not found`);
    await removeExpired(tx);
    const fresh = await tx.query<Pick<TriggerDeliveriesRow, 'dag_id'>>(
      `insert into trigger_deliveries (dag_id, delivery_id, expires_at) values ($1, $2, now() + make_interval(secs => $3))
       on conflict (dag_id, delivery_id) do nothing returning dag_id`,
      [dagId, deliveryId, keepSeconds],
    );
    if (fresh.rows.length === 0) {
      const seen = await tx.query<Pick<TriggerDeliveriesRow, 'run_id'>>('select run_id from trigger_deliveries where dag_id = $1 and delivery_id = $2', [dagId, deliveryId]);
      const runId = seen.rows[0]?.run_id;
      return { replay: true, run: runId === null || runId === undefined ? undefined : await getRun(tx, runId) };
    }
    const started = await startRun(tx, run);
    await tx.query('update trigger_deliveries set run_id = $3 where dag_id = $1 and delivery_id = $2', [dagId, deliveryId, started.run.id]);
    return { replay: false, run: started.run };
  });
}

/** Delivery ids kept now (for tests and metrics). */
export async function countTriggerDeliveries(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>('select count(*)::int as n from trigger_deliveries');
  return rows[0]?.n ?? 0;
}
