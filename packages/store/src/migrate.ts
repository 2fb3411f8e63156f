import { KontrolerError } from '@kontroler/core';
import type { PoolLike } from './db.js';
import { transaction } from './db.js';
import { MIGRATIONS } from './migrations.js';
import type { SchemaMigrationsRow } from './rows/system.js';

/**
 * Brings the schema up to date. Safe to call from several processes at once (an advisory lock
 * serialises them) and on every start. Returns the versions it applied.
 *
 * Refuses (KontrolerError INVALID_STATE, nothing applied) a database that holds a migration this
 * code does not know: its schema was written by a newer (or a different) Kontroler, and running
 * older code against it could corrupt it.
 */
export async function migrate(pool: PoolLike): Promise<number[]> {
  // Up to date: nothing to lock or create, so a role that may not change the schema (a shard's,
  // shards.ts) starts as well; it is refused by PostgreSQL only when a migration is due.
  const applied = await appliedVersions(pool);
  if (applied && MIGRATIONS.every((m) => applied.includes(m.version))) {
    refuseUnknownVersions(applied);
    return [];
  }
  return transaction(pool, async (tx) => {
    await tx.query('select pg_advisory_xact_lock(727274)');
    await tx.query(`create table if not exists schema_migrations (
      version int primary key, name text not null, applied_at timestamptz not null default now())`);
    const { rows } = await tx.query<Pick<SchemaMigrationsRow, 'version'>>('select version from schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    refuseUnknownVersions([...done]);
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await tx.query(m.sql);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** The versions applied to the database; undefined when it has no schema_migrations table yet. */
async function appliedVersions(pool: PoolLike): Promise<number[] | undefined> {
  const { rows: exists } = await pool.query<{ t: string | null }>("select to_regclass('schema_migrations')::text as t");
  if (!exists[0]?.t) return undefined;
  const { rows } = await pool.query<Pick<SchemaMigrationsRow, 'version'>>('select version from schema_migrations');
  return rows.map((r) => r.version);
}

/** The schema version this code writes: its highest migration. */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

function refuseUnknownVersions(applied: readonly number[]): void {
  const known = new Set(MIGRATIONS.map((m) => m.version));
  const unknown = applied.filter((v) => !known.has(v)).sort((a, b) => a - b);
  if (unknown.length === 0) return;
  const dbVersion = Math.max(...applied);
  throw new KontrolerError(
    'INVALID_STATE',
    `the database schema is at version ${dbVersion} and has migration(s) ${unknown.join(', ')} that this Kontroler does not know ` +
      `(its schema version is ${SCHEMA_VERSION}): it was written by a newer Kontroler. Run that version (or newer), or point this one at another database.`,
  );
}
