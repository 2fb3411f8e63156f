import type { Queryable } from './db.js';
import type { RunRecord, Row } from './records.js';
import { runFromRow } from './records.js';

/**
 * Takes up to `limit` runs that need a controller (pending, running, or with a request) and are
 * not held by a live lease, and leases them to `owner` for `leaseMs`. Concurrent callers never get
 * the same run (`for update skip locked`). Runs already leased to `owner` are not returned again.
 * With `namespaces`, only runs in those namespaces (a shard's) are taken.
 */
export async function claimRuns(db: Queryable, owner: string, leaseMs: number, limit: number, exclude: readonly number[] = [], namespaces?: readonly string[]): Promise<RunRecord[]> {
  if (namespaces) {
    const { rows } = await db.query<Row>(
      `update runs set owner = $1, lease_expires_at = now() + ($2 || ' milliseconds')::interval
       where id in (
         select id from runs
         where (status in ('pending', 'running') or requested is not null)
           and (owner is null or lease_expires_at < now() or (owner = $1 and not (id = any($4))))
           and namespace = any($5::text[])
         order by id
         for update skip locked
         limit $3)
       returning *`,
      [owner, String(leaseMs), limit, exclude, namespaces],
    );
    return rows.map(runFromRow);
  }
  const { rows } = await db.query<Row>(
    `update runs set owner = $1, lease_expires_at = now() + ($2 || ' milliseconds')::interval
     where id in (
       select id from runs
       where (status in ('pending', 'running') or requested is not null)
         and (owner is null or lease_expires_at < now() or (owner = $1 and not (id = any($4))))
       order by id
       for update skip locked
       limit $3)
     returning *`,
    [owner, String(leaseMs), limit, exclude],
  );
  return rows.map(runFromRow);
}

/** Extends the leases `owner` still holds among `ids`; returns the ids it still holds. */
export async function renewLeases(db: Queryable, owner: string, ids: readonly number[], leaseMs: number): Promise<number[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<{ id: number }>(
    `update runs set lease_expires_at = now() + ($3 || ' milliseconds')::interval
     where owner = $1 and id = any($2) and lease_expires_at > now() returning id`,
    [owner, ids, String(leaseMs)],
  );
  return rows.map((r) => Number(r.id));
}

/** Gives a run back (e.g. on clean shutdown) so another controller can take it at once. */
export async function releaseRuns(db: Queryable, owner: string, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query('update runs set owner = null, lease_expires_at = null where owner = $1 and id = any($2)', [owner, ids]);
}
