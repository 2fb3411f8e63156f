// Shard roles: a shard controller (in another cluster, say) logs in as its own PostgreSQL role that
// row-level security confines to its namespaces, so a compromised shard cannot read or change
// another shard's runs, logs or DAGs, nor any user, token, session or audit row. Migration 17
// enabled row-level security on the tables a controller works on; the tables' owner bypasses it.
// Creating a shard needs a superuser or the tables' owner with CREATEROLE.
import pg from 'pg';
import { KontrolerError, checkNamespace, type FieldError } from '@kontroler/core';
import { transaction, type PoolLike, type Queryable } from './db.js';
import { scramVerifier } from './scram-verifier.js';
import type { ShardsRow } from './rows/system.js';

/** Shard names: lower-case letters, digits and `_`, starting with a letter; part of the role name. */
export const SHARD_NAME = /^[a-z][a-z0-9_]{0,39}$/;
/** Most namespaces of one shard. */
export const MAX_SHARD_NAMESPACES = 256;
/** Every shard role's name starts with this. */
export const SHARD_ROLE_PREFIX = 'kontroler_shard_';

/**
 * What a shard may see of each table it is granted: rows of its namespaces, or of runs / DAGs in
 * them (`parent`). A row of a parent created by the same statement (createRun inserts a run and its
 * task rows in one statement) is not visible to the policy yet: such a row may be written when its
 * parent's id is the one this session just drew from the parent's sequence (currval: no other
 * session's run can have it; the sequence cannot be set by a shard), and the foreign key makes
 * sure that parent exists, while the parent's own policy checked its namespace. CASE keeps the
 * sequence look-up (kontroler_session_currval, migration 16) to rows whose parent is not visible.
 */
interface ShardTable {
  readonly table: string;
  readonly parent?: { readonly table: 'runs' | 'dags' | 'dag_tasks' | 'backfills'; readonly column: string };
}

const SHARD_TABLES: readonly ShardTable[] = [
  { table: 'runs' },
  { table: 'dags' },
  { table: 'dag_tasks' },
  { table: 'dag_versions', parent: { table: 'dags', column: 'dag_id' } },
  { table: 'dag_task_versions', parent: { table: 'dag_tasks', column: 'dag_task_id' } },
  ...['task_states', 'attempts', 'attempt_logs', 'webhook_deliveries', 'approval_decisions', 'run_group_counts', 'task_requests'].map((table) => ({ table, parent: { table: 'runs' as const, column: 'run_id' } })),
  // A controller releases backfills' fire times (BackfillReleaser): their runs are its namespaces'.
  { table: 'backfills' },
  { table: 'backfill_fires', parent: { table: 'backfills', column: 'backfill_id' } },
];

/** The tables a shard role may read and change (under its policies). */
export const SHARD_TABLE_NAMES: readonly string[] = SHARD_TABLES.map((t) => t.table);

/** The id sequences of the parent tables (also what a controller inserts with: runs, DAGs, DagTasks, deliveries). */
const SHARD_SEQUENCES: ReadonlyArray<readonly [string, string]> = [['runs', 'id'], ['dags', 'id'], ['dag_tasks', 'id'], ['webhook_deliveries', 'id'], ['backfills', 'id']];

export interface ShardRecord {
  readonly name: string;
  readonly role: string;
  readonly namespaces: readonly string[];
  readonly createdAt: Date;
}

/** The role of shard `name`. */
export function shardRole(name: string): string {
  return `${SHARD_ROLE_PREFIX}${name}`;
}

/** Every problem with a shard's name and namespaces (empty: fine). Pure. */
export function checkShard(name: string, namespaces: readonly string[]): FieldError[] {
  const errors: FieldError[] = [];
  if (!SHARD_NAME.test(name)) errors.push({ path: 'name', message: `${JSON.stringify(name)} is not a valid shard name: 1 to 40 lower-case letters, digits and "_", starting with a letter` });
  if (namespaces.length === 0) errors.push({ path: 'namespaces', message: 'name at least one namespace' });
  if (namespaces.length > MAX_SHARD_NAMESPACES) errors.push({ path: 'namespaces', message: `at most ${MAX_SHARD_NAMESPACES} namespaces (got ${namespaces.length})` });
  namespaces.forEach((ns, i) => {
    const problem = checkNamespace(ns);
    if (problem) errors.push({ path: `namespaces[${i}]`, message: problem });
  });
  if (new Set(namespaces).size !== namespaces.length) errors.push({ path: 'namespaces', message: 'a namespace is named twice' });
  return errors;
}

/**
 * The statement that confines shard `name` to `namespaces` on one table: a restrictive policy
 * (ANDed with the permissive kontroler_rows of migration 16) for reads and writes. `sequences`
 * names each parent table's id sequence. Names and values are quoted by pg's escapeIdentifier /
 * escapeLiteral (DDL takes no bound parameters). Pure.
 */
export function shardPolicySql(table: string, name: string, namespaces: readonly string[], sequences: ReadonlyMap<string, string>): string {
  const t = SHARD_TABLES.find((x) => x.table === table);
  if (!t) throw new Error(`${table} is not a shard table`);
  const id = pg.escapeIdentifier;
  const ns = `array[${namespaces.map((n) => pg.escapeLiteral(n)).join(', ')}]::text[]`;
  let using = `${id(table)}.namespace = any(${ns})`;
  let check = using;
  if (t.parent) {
    const seq = sequences.get(t.parent.table);
    if (!seq) throw new Error(`no id sequence of ${t.parent.table}`);
    const fk = `${id(table)}.${id(t.parent.column)}`;
    using = `exists (select 1 from ${id(t.parent.table)} p where p.id = ${fk} and p.namespace = any(${ns}))`;
    check = `case when ${using} then true else coalesce(${fk} = kontroler_session_currval(${pg.escapeLiteral(seq)}::regclass), false) end`;
  }
  const role = id(shardRole(name));
  return `create policy ${role} on ${id(table)} as restrictive for all to ${role} using (${using}) with check (${check})`;
}

/** What a PostgreSQL refusal means here: no right to make roles or policies, or no shards table yet. */
function privilegeError(e: unknown, what: string): unknown {
  const code = (e as { code?: unknown }).code;
  if (code === '42P01') {
    return new KontrolerError('INVALID_STATE', `${what} needs the schema of migration 16 or later: run kontroler migrate (as the tables' owner) first: ${(e as Error).message}`, { cause: e });
  }
  if (code === '42501') {
    return new KontrolerError('FORBIDDEN', `${what} needs a DATABASE_URL of a superuser, or of the tables' owner with CREATEROLE: ${(e as Error).message}`, { cause: e });
  }
  return e;
}

/**
 * Creates shard `name`: a login role with `password` (sent as a SCRAM verifier), granted what a
 * controller needs on the shard tables (select, insert, update, delete; the id sequences; the
 * schema version), confined by policies to `namespaces`. One transaction: all or nothing.
 * Throws VALIDATION_FAILED (bad name or namespaces), ALREADY_EXISTS (the shard or its role
 * exists), FORBIDDEN (the caller may not create roles or policies). Not idempotent.
 */
export async function createShard(pool: PoolLike, input: { name: string; namespaces: readonly string[]; password: string }): Promise<ShardRecord> {
  const errors = checkShard(input.name, input.namespaces);
  if (errors.length > 0) throw new KontrolerError('VALIDATION_FAILED', `shard ${input.name}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { details: errors });
  const role = shardRole(input.name);
  const id = pg.escapeIdentifier;
  try {
    return await transaction(pool, async (tx) => {
      const taken = await tx.query('select 1 from shards where name = $1 union all select 1 from pg_roles where rolname = $2', [input.name, role]);
      if (taken.rows.length > 0) throw new KontrolerError('ALREADY_EXISTS', `shard ${input.name} (role ${role}) already exists: delete it first (kontroler shard delete ${input.name})`);
      const where = await tx.query<{ db: string; schema: string }>("select current_database() as db, n.nspname as schema from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = 'runs'::regclass");
      const { db, schema } = where.rows[0]!;
      await tx.query(`create role ${id(role)} login nosuperuser nocreatedb nocreaterole noinherit noreplication nobypassrls password ${pg.escapeLiteral(scramVerifier(input.password))}`);
      await tx.query(`grant connect on database ${id(db)} to ${id(role)}`);
      await tx.query(`grant usage on schema ${id(schema)} to ${id(role)}`);
      await tx.query(`alter role ${id(role)} in database ${id(db)} set search_path = ${id(schema)}`);
      await tx.query(`grant select, insert, update, delete on ${SHARD_TABLE_NAMES.map((t) => id(t)).join(', ')} to ${id(role)}`);
      await tx.query(`grant select on schema_migrations to ${id(role)}`);
      const sequences = new Map<string, string>();
      for (const [table, column] of SHARD_SEQUENCES) {
        const seq = (await tx.query<{ s: string }>('select pg_get_serial_sequence($1, $2) as s', [table, column])).rows[0]!.s;
        sequences.set(table, seq);
        await tx.query(`grant usage on sequence ${seq} to ${id(role)}`);
      }
      for (const table of SHARD_TABLE_NAMES) await tx.query(shardPolicySql(table, input.name, input.namespaces, sequences));
      const { rows } = await tx.query<ShardsRow>(
        'insert into shards (name, role, namespaces) values ($1, $2, $3) returning *',
        [input.name, role, input.namespaces],
      );
      return shardOf(rows[0]!);
    });
  } catch (e) {
    throw privilegeError(e, 'creating a shard');
  }
}

/** Every shard, by name. Throws INVALID_STATE before migration 16, FORBIDDEN to a role that may not read them. */
export async function listShards(db: Queryable): Promise<ShardRecord[]> {
  try {
    const { rows } = await db.query<ShardsRow>('select * from shards order by name');
    return rows.map(shardOf);
  } catch (e) {
    throw privilegeError(e, 'listing shards');
  }
}

/**
 * Deletes shard `name`: its policies, its grants in this database and its role, in one
 * transaction (a controller still connected as it is refused from its next statement). Throws
 * NOT_FOUND when there is no such shard, FORBIDDEN when the caller may not drop it.
 */
export async function deleteShard(pool: PoolLike, name: string): Promise<void> {
  const id = pg.escapeIdentifier;
  try {
    await transaction(pool, async (tx) => {
      const { rows } = await tx.query<{ role: string }>('delete from shards where name = $1 returning role', [name]);
      const role = rows[0]?.role;
      if (role === undefined) throw new KontrolerError('NOT_FOUND', `shard ${name} not found (kontroler shard list shows them)`);
      for (const table of SHARD_TABLE_NAMES) await tx.query(`drop policy if exists ${id(role)} on ${id(table)}`);
      const exists = await tx.query('select 1 from pg_roles where rolname = $1', [role]);
      if (exists.rows.length === 0) return;
      await tx.query(`drop owned by ${id(role)}`); // its grants here, the database's connect among them
      await tx.query(`drop role ${id(role)}`);
    });
  } catch (e) {
    throw privilegeError(e, 'deleting a shard');
  }
}

function shardOf(r: ShardsRow): ShardRecord {
  return { name: r.name, role: r.role, namespaces: r.namespaces, createdAt: r.created_at };
}
