// Inbound webhook triggers: a DAG's HMAC secret and the payload → parameter mapping.
import { KontrolerError } from '@kontroler/core';
import type { Queryable } from './db.js';
import { ms } from './records.js';
import type { DagsRow } from './rows.js';
import type { DagTriggersRow } from './rows/triggers.js';

export interface DagTriggerRecord {
  dagId: number;
  namespace: string;
  dagName: string;
  /** The shared HMAC secret (needed in clear to verify signatures). */
  secret: string;
  /** Parameter name → dotted path into the JSON payload (`head_commit.id`, `items.0.name`). */
  parameterMap: Record<string, string>;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** What `getDagTrigger` selects: the trigger with its DAG's names. */
type TriggerRow = DagTriggersRow & Pick<DagsRow, 'namespace' | 'name'>;

function fromRow(r: TriggerRow): DagTriggerRecord {
  return {
    dagId: r.dag_id,
    namespace: r.namespace,
    dagName: r.name,
    secret: r.secret,
    parameterMap: r.parameter_map,
    enabled: r.enabled,
    createdAt: ms(r.created_at) ?? 0,
    updatedAt: ms(r.updated_at) ?? 0,
  };
}

/** The trigger of a live DAG, or undefined. */
export async function getDagTrigger(db: Queryable, namespace: string, name: string): Promise<DagTriggerRecord | undefined> {
  const { rows } = await db.query<TriggerRow>(
    `select t.*, d.namespace, d.name from dag_triggers t join dags d on d.id = t.dag_id
     where d.namespace = $1 and d.name = $2 and d.deleted_at is null`,
    [namespace, name],
  );
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/**
 * Creates or updates a DAG's trigger. A new `secret` replaces the old one (rotation); without it
 * the existing secret stays. Throws NOT_FOUND for an unknown DAG, VALIDATION_FAILED when creating
 * without a secret.
 */
export async function upsertDagTrigger(
  db: Queryable,
  input: { namespace: string; name: string; secret?: string; parameterMap: Record<string, string>; enabled: boolean },
): Promise<DagTriggerRecord> {
  const dag = await db.query<Pick<DagsRow, 'id'>>('select id from dags where namespace = $1 and name = $2 and deleted_at is null', [input.namespace, input.name]);
  const id = dag.rows[0]?.id;
  if (id === undefined) throw new KontrolerError('NOT_FOUND', `DAG ${input.namespace}/${input.name} not found`);
  if (input.secret === undefined) {
    const ex = await db.query('select 1 from dag_triggers where dag_id = $1', [id]);
    if (ex.rowCount === 0) throw new KontrolerError('VALIDATION_FAILED', 'a new trigger needs a secret');
  }
  await db.query(
    `insert into dag_triggers (dag_id, secret, parameter_map, enabled) values ($1, coalesce($2, ''), $3, $4)
     on conflict (dag_id) do update set secret = coalesce($2, dag_triggers.secret), parameter_map = excluded.parameter_map,
       enabled = excluded.enabled, updated_at = now()`,
    [id, input.secret ?? null, input.parameterMap, input.enabled],
  );
  return (await getDagTrigger(db, input.namespace, input.name))!;
}

export async function deleteDagTrigger(db: Queryable, namespace: string, name: string): Promise<void> {
  const res = await db.query('delete from dag_triggers t using dags d where d.id = t.dag_id and d.namespace = $1 and d.name = $2', [namespace, name]);
  if (res.rowCount === 0) throw new KontrolerError('NOT_FOUND', `DAG ${namespace}/${name} has no trigger`);
}
