import type { PoolLike } from './db.js';
import { transaction } from './db.js';
import { MIGRATIONS } from './migrations.js';

/**
 * Brings the schema up to date. Safe to call from several processes at once (an advisory lock
 * serialises them) and on every start. Returns the versions it applied.
 */
export async function migrate(pool: PoolLike): Promise<number[]> {
  return transaction(pool, async (tx) => {
    await tx.query('select pg_advisory_xact_lock(727274)');
    await tx.query(`create table if not exists schema_migrations (
      version int primary key, name text not null, applied_at timestamptz not null default now())`);
    const { rows } = await tx.query<{ version: number }>('select version from schema_migrations');
    const done = new Set(rows.map((r) => r.version));
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
