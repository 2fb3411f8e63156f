import type { DagDefinition, DagSpec, TaskBodySpec } from '@kontroler/core';
import { KontrolerError } from '@kontroler/core';
import type { PoolLike, Queryable } from './db.js';
import { transaction } from './db.js';
import type { DagRecord, DagTaskVersionRecord, DagVersionRecord } from './records.js';
import { dagFromRow, ms } from './records.js';
import { pageSize } from './run-filter.js';
import { DEFINITION_FORMAT, readDefinition } from './definition-format.js';
import type { DagsRow } from './rows.js';
import type { DagTasksRow, DagTaskVersionsRow, DagVersionsRow } from './rows/definitions.js';

/**
 * A value already serialized as JSON (by a worker thread, for a large DAG), stored as this text
 * so the caller's thread never serializes it. The text must be what JSON.stringify gives.
 */
export class JsonText {
  constructor(readonly json: string) {}
}

/** What saveDag reads of a definition besides storing it. */
export type DagSettings = Pick<DagDefinition, 'suspended' | 'schedule' | 'timezone' | 'concurrencyPolicy' | 'catchUp'>;

export interface SaveDagInput {
  namespace: string;
  name: string;
  spec: DagSpec | JsonText;
  /** The definition, or its settings and its JSON text. */
  definition: DagDefinition | (DagSettings & { json: JsonText });
  /** Hash of the definition without `suspended`: equal hash = same version. */
  hash: string;
  source: string;
  labels?: Record<string, string>;
  /**
   * Write over a DAG a file of the DAG folder manages (its source is `file:<path>`): without it
   * such a write from any other source throws MANAGED_BY_FILE. The DAG stays managed by its file.
   */
  overrideFile?: boolean;
}

export interface SaveDagResult {
  dag: DagRecord;
  version: number;
  /** False when the spec was unchanged (only `suspended` may have changed). */
  created: boolean;
}

/**
 * Stores a DAG: a new immutable version when the spec changed, otherwise only the suspended flag
 * and labels are updated. A deleted DAG comes back with its history. Idempotent for equal input.
 * Throws MANAGED_BY_FILE (nothing stored) when a file of the DAG folder manages the DAG and the
 * write comes from elsewhere without `overrideFile`: the next change of that file would replace it.
 */
export async function saveDag(pool: PoolLike, input: SaveDagInput): Promise<SaveDagResult> {
  return transaction(pool, async (tx) => {
    const def = input.definition;
    const cur = await tx.query<DagsRow>('select * from dags where namespace = $1 and name = $2 for update', [input.namespace, input.name]);
    const existing = cur.rows[0];
    if (!existing) {
      const ins = await tx.query<DagsRow>(
        `insert into dags (namespace, name, current_version, suspended, schedule, timezone, concurrency_policy, catch_up, source, labels)
         values ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9) returning *`,
        [input.namespace, input.name, def.suspended, def.schedule ?? null, def.timezone, def.concurrencyPolicy, def.catchUp, input.source, input.labels ?? {}],
      );
      const dag = dagFromRow(ins.rows[0]!);
      await insertVersion(tx, dag.id, 1, input);
      return { dag, version: 1, created: true };
    }
    const file = existing.deleted_at === null ? managingFile(existing.source) : undefined;
    if (file !== undefined && managingFile(input.source) === undefined && !input.overrideFile) throw managedByFile(input.namespace, input.name, file);
    // Overridden, it stays the file's DAG: the folder still replaces it when the file changes.
    const source = file !== undefined && managingFile(input.source) === undefined ? existing.source : input.source;
    const dagId = existing.id;
    const last = await tx.query<Pick<DagVersionsRow, 'hash'>>('select hash from dag_versions where dag_id = $1 and version = $2', [dagId, existing.current_version]);
    const same = last.rows[0]?.hash === input.hash;
    const version = same ? existing.current_version : existing.current_version + 1;
    if (!same) await insertVersion(tx, dagId, version, input);
    const scheduleChanged = (existing.schedule ?? null) !== (def.schedule ?? null) || existing.timezone !== def.timezone;
    const upd = await tx.query<DagsRow>(
      `update dags set current_version = $2, suspended = $3, schedule = $4, timezone = $5, concurrency_policy = $6,
         catch_up = $7, source = $8, labels = $9, deleted_at = null, updated_at = now(),
         next_fire_at = case when $10 then null else next_fire_at end
       where id = $1 returning *`,
      [dagId, version, def.suspended, def.schedule ?? null, def.timezone, def.concurrencyPolicy, def.catchUp, source, input.labels ?? {}, scheduleChanged || existing.deleted_at !== null],
    );
    return { dag: dagFromRow(upd.rows[0]!), version, created: !same };
  });
}

/** The file of the DAG folder a source names (`file:<path>`), or undefined. Pure. */
export function managingFile(source: string): string | undefined {
  return source.startsWith('file:') ? source.slice('file:'.length) : undefined;
}

/** The MANAGED_BY_FILE error of a write over a DAG that `file` manages. */
export function managedByFile(namespace: string, name: string, file: string): KontrolerError {
  return new KontrolerError(
    'MANAGED_BY_FILE',
    `DAG ${namespace}/${name} is loaded from the file ${file} in the DAG folder: the next change of that file replaces this write. Edit the file, or write anyway with overrideFile=true`,
    { details: [{ path: 'metadata.name', message: `managed by the file ${file}`, source: file }] },
  );
}

async function insertVersion(tx: Queryable, dagId: number, version: number, input: SaveDagInput): Promise<void> {
  await tx.query('insert into dag_versions (dag_id, version, hash, spec, definition, definition_format) values ($1, $2, $3, $4, $5, $6)', [
    dagId,
    version,
    input.hash,
    input.spec instanceof JsonText ? input.spec.json : input.spec,
    'json' in input.definition && input.definition.json instanceof JsonText ? input.definition.json.json : input.definition,
    DEFINITION_FORMAT,
  ]);
}

/** The DAG (deleted ones only when `includeDeleted`), or undefined. */
export async function getDag(db: Queryable, namespace: string, name: string, includeDeleted = false): Promise<DagRecord | undefined> {
  const { rows } = await db.query<DagsRow>(
    `select * from dags where namespace = $1 and name = $2 ${includeDeleted ? '' : 'and deleted_at is null'}`,
    [namespace, name],
  );
  return rows[0] ? dagFromRow(rows[0]) : undefined;
}

export interface ListDagsQuery {
  namespace?: string;
  nameContains?: string;
  limit?: number;
  /** Names sort after this `namespace/name` cursor. */
  after?: string;
}

/** DAGs `listDags` returns when no limit is asked for. */
export const LIST_DAGS_DEFAULT_LIMIT = 100;
/** The most DAGs one `listDags` call returns. */
export const LIST_DAGS_MAX_LIMIT = 1000;

export async function listDags(db: Queryable, q: ListDagsQuery = {}): Promise<DagRecord[]> {
  const where = ['deleted_at is null'];
  const args: unknown[] = [];
  if (q.namespace) where.push(`namespace = $${args.push(q.namespace)}`);
  if (q.nameContains) where.push(`name ilike $${args.push(`%${q.nameContains.replace(/[%_\\]/g, '\\$&')}%`)}`);
  if (q.after) where.push(`(namespace || '/' || name) > $${args.push(q.after)}`);
  const limit = pageSize(q.limit ?? LIST_DAGS_DEFAULT_LIMIT, LIST_DAGS_MAX_LIMIT);
  const { rows } = await db.query<DagsRow>(`select * from dags where ${where.join(' and ')} order by namespace, name limit $${args.push(limit)}`, args);
  return rows.map(dagFromRow);
}

/**
 * The definition of one stored DAG version, or undefined when there is none. Throws INVALID_STATE
 * for a definition in a format this code does not read.
 */
export async function getDagDefinition(db: Queryable, dagId: number, version: number): Promise<DagDefinition | undefined> {
  const { rows } = await db.query<Pick<DagVersionsRow, 'definition' | 'definition_format'>>('select definition, definition_format from dag_versions where dag_id = $1 and version = $2', [dagId, version]);
  const r = rows[0];
  return r ? readDefinition(r.definition_format, r.definition, `DAG ${dagId} version ${version}`) : undefined;
}

/** The version's columns next to its DAG's in `getDagVersion` (prefixed: both tables have `created_at`). */
interface VersionColumns {
  v_version: DagVersionsRow['version'];
  v_hash: DagVersionsRow['hash'];
  v_spec: DagVersionsRow['spec'];
  v_definition: DagVersionsRow['definition'];
  v_definition_format: DagVersionsRow['definition_format'];
  v_created_at: DagVersionsRow['created_at'];
}

/** One version of a DAG (the current one when `version` is omitted). */
export async function getDagVersion(db: Queryable, namespace: string, name: string, version?: number): Promise<(DagVersionRecord & { dag: DagRecord }) | undefined> {
  const { rows } = await db.query<DagsRow & VersionColumns>(
    `select d.*, v.version as v_version, v.hash as v_hash, v.spec as v_spec, v.definition as v_definition, v.definition_format as v_definition_format, v.created_at as v_created_at
     from dags d join dag_versions v on v.dag_id = d.id and v.version = coalesce($3, d.current_version)
     where d.namespace = $1 and d.name = $2`,
    [namespace, name, version ?? null],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    dag: dagFromRow(r),
    dagId: r.id,
    version: r.v_version,
    hash: r.v_hash,
    spec: r.v_spec,
    definition: readDefinition(r.v_definition_format, r.v_definition, `DAG ${namespace}/${name} version ${r.v_version}`),
    createdAt: ms(r.v_created_at) ?? 0,
  };
}

export async function listDagVersions(db: Queryable, dagId: number): Promise<Array<{ version: number; hash: string; createdAt: number }>> {
  const { rows } = await db.query<Pick<DagVersionsRow, 'version' | 'hash' | 'created_at'>>('select version, hash, created_at from dag_versions where dag_id = $1 order by version desc', [dagId]);
  return rows.map((r) => ({ version: r.version, hash: r.hash, createdAt: ms(r.created_at) ?? 0 }));
}

/**
 * Deletes a DAG. By default only marks it deleted: its versions and run history stay readable and
 * its schedule stops. With `purge`, everything goes, runs included. Throws NOT_FOUND.
 */
export async function deleteDag(db: Queryable, namespace: string, name: string, purge = false): Promise<void> {
  const res = purge
    ? await db.query('delete from dags where namespace = $1 and name = $2', [namespace, name])
    : await db.query('update dags set deleted_at = now(), updated_at = now() where namespace = $1 and name = $2 and deleted_at is null', [namespace, name]);
  if (res.rowCount === 0) throw new KontrolerError('NOT_FOUND', `DAG ${namespace}/${name} not found`);
}

/** Pauses or resumes a DAG's schedule (not a new version). Throws NOT_FOUND. */
export async function setSuspended(db: Queryable, namespace: string, name: string, suspended: boolean): Promise<DagRecord> {
  const { rows } = await db.query<DagsRow>(
    'update dags set suspended = $3, next_fire_at = null, updated_at = now() where namespace = $1 and name = $2 and deleted_at is null returning *',
    [namespace, name, suspended],
  );
  if (!rows[0]) throw new KontrolerError('NOT_FOUND', `DAG ${namespace}/${name} not found`);
  return dagFromRow(rows[0]);
}

/** Stores a DagTask: a new version when the spec hash changed. Returns the current version. */
export async function saveDagTask(
  pool: PoolLike,
  input: { namespace: string; name: string; spec: TaskBodySpec; hash: string; source: string },
): Promise<{ version: number; created: boolean }> {
  return transaction(pool, async (tx) => {
    const cur = await tx.query<DagTasksRow>('select * from dag_tasks where namespace = $1 and name = $2 for update', [input.namespace, input.name]);
    const ex = cur.rows[0];
    if (!ex) {
      const ins = await tx.query<Pick<DagTasksRow, 'id'>>('insert into dag_tasks (namespace, name, current_version, source) values ($1, $2, 1, $3) returning id', [
        input.namespace,
        input.name,
        input.source,
      ]);
      await tx.query('insert into dag_task_versions (dag_task_id, version, hash, spec) values ($1, 1, $2, $3)', [ins.rows[0]!.id, input.hash, input.spec]);
      return { version: 1, created: true };
    }
    const last = await tx.query<Pick<DagTaskVersionsRow, 'hash'>>('select hash from dag_task_versions where dag_task_id = $1 and version = $2', [ex.id, ex.current_version]);
    if (last.rows[0]?.hash === input.hash) {
      await tx.query('update dag_tasks set deleted_at = null, updated_at = now() where id = $1', [ex.id]);
      return { version: ex.current_version, created: false };
    }
    const version = ex.current_version + 1;
    await tx.query('insert into dag_task_versions (dag_task_id, version, hash, spec) values ($1, $2, $3, $4)', [ex.id, version, input.hash, input.spec]);
    await tx.query('update dag_tasks set current_version = $2, deleted_at = null, updated_at = now() where id = $1', [ex.id, version]);
    return { version, created: true };
  });
}

/** A DagTask version (the current one when `version` is omitted), or undefined. */
export async function getDagTaskVersion(db: Queryable, namespace: string, name: string, version?: number): Promise<DagTaskVersionRecord | undefined> {
  const { rows } = await db.query<Pick<DagTasksRow, 'namespace' | 'name'> & Pick<DagTaskVersionsRow, 'version' | 'hash' | 'spec' | 'created_at'>>(
    `select t.namespace, t.name, v.version, v.hash, v.spec, v.created_at from dag_tasks t
     join dag_task_versions v on v.dag_task_id = t.id and v.version = coalesce($3, t.current_version)
     where t.namespace = $1 and t.name = $2`,
    [namespace, name, version ?? null],
  );
  const r = rows[0];
  if (!r) return undefined;
  return { namespace: r.namespace, name: r.name, version: r.version, hash: r.hash, spec: r.spec, createdAt: ms(r.created_at) ?? 0 };
}

export async function listDagTasks(db: Queryable, namespace?: string): Promise<Array<{ namespace: string; name: string; currentVersion: number }>> {
  const { rows } = await db.query<Pick<DagTasksRow, 'namespace' | 'name' | 'current_version'>>(
    `select namespace, name, current_version from dag_tasks where deleted_at is null ${namespace ? 'and namespace = $1' : ''} order by namespace, name`,
    namespace ? [namespace] : [],
  );
  return rows.map((r) => ({ namespace: r.namespace, name: r.name, currentVersion: r.current_version }));
}

export async function deleteDagTask(db: Queryable, namespace: string, name: string): Promise<void> {
  const res = await db.query('update dag_tasks set deleted_at = now() where namespace = $1 and name = $2 and deleted_at is null', [namespace, name]);
  if (res.rowCount === 0) throw new KontrolerError('NOT_FOUND', `DagTask ${namespace}/${name} not found`);
}
