// Test support (the `@kontroler/store/testing` export, for tests only: production code never
// imports it): a fresh, migrated database per test file, cloned from a template for speed.
import pg from 'pg';
import type { TaskStatus } from '@kontroler/engine';
import { createPool, type Queryable } from './db.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations.js';

export interface TestDatabase {
  readonly url: string;
  readonly pool: pg.Pool;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/**
 * Creates a new database migrated to the latest schema on the test run's PostgreSQL server
 * (`KONTROLER_TEST_DATABASE_URL`, set by scripts/test.mjs). Throws if there is none: a test that
 * needs PostgreSQL fails loudly instead of skipping.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const base = process.env.KONTROLER_TEST_DATABASE_URL;
  if (!base) {
    throw new Error('KONTROLER_TEST_DATABASE_URL is not set: run the tests with `npm test` (it starts PostgreSQL)');
  }
  const template = `kontroler_template_v${MIGRATIONS.length}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query('select pg_advisory_lock(727275)');
    const exists = await admin.query('select 1 from pg_database where datname = $1', [template]);
    if (exists.rowCount === 0) {
      await admin.query(`create database ${template}`);
      const tpool = createPool(withDatabase(base, template), 2);
      await migrate(tpool);
      await tpool.end();
    }
    const name = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    await admin.query(`create database ${name} template ${template}`);
    await admin.query('select pg_advisory_unlock(727275)');
    const url = withDatabase(base, name);
    const pool = createPool(url, 20);
    return {
      url,
      pool,
      async drop() {
        await pool.end();
        const c = new pg.Client({ connectionString: base });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      },
    };
  } finally {
    await admin.end();
  }
}


/**
 * Sets task statuses of a run directly (tests and benchmarks: a realistic mix without running
 * anything), by position, and recounts runs.task_counts and run_group_counts from the rows. Not a lease-checked write:
 * never use it on a run a controller owns.
 */
export async function setTaskStatuses(db: Queryable, runId: number, positions: readonly number[], statuses: readonly TaskStatus[]): Promise<void> {
  await db.query(
    `update task_states t set status = u.status from unnest($2::int[], $3::text[]) as u(position, status)
     where t.run_id = $1 and t.position = u.position`,
    [runId, positions, statuses],
  );
  await db.query(
    `update runs set task_counts = coalesce((select jsonb_object_agg(status, n) from
       (select status, count(*)::int as n from task_states where run_id = $1 group by status) c), '{}'::jsonb)
     where id = $1`,
    [runId],
  );
  await db.query('delete from run_group_counts where run_id = $1', [runId]);
  await db.query(
    `insert into run_group_counts (run_id, grp, status, n)
     select run_id, grp, status, count(*)::int from task_states where run_id = $1 and grp is not null group by run_id, grp, status`,
    [runId],
  );
}
