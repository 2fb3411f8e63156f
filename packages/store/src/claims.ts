import { prepared, type Queryable } from './db.js';
import type { RunRecord } from './records.js';
import { runFromRow } from './records.js';
import type { RunsRow } from './rows.js';

/**
 * Takes up to `limit` runs that need a controller (pending, running, or with a request) and are
 * not held by a live lease, and leases them to `owner` for `leaseMs`. Concurrent callers never get
 * the same run (`for update skip locked`). Runs in `exclude` (those `owner` drives already, or
 * holds back) are never returned; other runs already leased to `owner` are (a restart reclaims
 * them at once). With `namespaces`, only runs in those namespaces (a shard's) are taken.
 *
 * `host` is the machine of a runtime whose attempts live on one machine (undefined: reachable from
 * anywhere). A run whose attempts are active on a recorded host is taken only by a caller on that
 * host, so a takeover never marks another machine's running attempts lost and runs them again; the
 * claim records the caller's host on the run. Not idempotent (it moves leases); callers retry.
 */
export async function claimRuns(
  db: Queryable,
  owner: string,
  leaseMs: number,
  limit: number,
  exclude: readonly number[] = [],
  namespaces?: readonly string[],
  host?: string,
): Promise<RunRecord[]> {
  const { rows } = await db.query<RunsRow>(
    `update runs set owner = $1, lease_expires_at = now() + ($2 || ' milliseconds')::interval, host = $6::text
     where id in (
       select r.id from runs r
       where (r.status in ('pending', 'running') or r.requested is not null)
         and (r.owner is null or r.lease_expires_at < now() or r.owner = $1)
         and not (r.id = any($4))
         and ($5::text[] is null or r.namespace = any($5::text[]))
         and (r.host is null or r.host = $6::text
              or not exists (select 1 from attempts a where a.run_id = r.id and a.status in ('starting', 'running')))
       order by r.id
       for update skip locked
       limit $3)
     returning *`,
    [owner, String(leaseMs), limit, exclude, namespaces ?? null, host ?? null],
  );
  return rows.map(runFromRow);
}

const RENEW_LEASES = prepared('kontroler_renew_leases', `update runs set lease_expires_at = now() + ($3 || ' milliseconds')::interval
     where owner = $1 and id = any($2) and lease_expires_at > now() returning id`);

/** Extends the leases `owner` still holds among `ids`; returns the ids it still holds. */
export async function renewLeases(db: Queryable, owner: string, ids: readonly number[], leaseMs: number): Promise<number[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<{ id: number }>(RENEW_LEASES, [owner, ids, String(leaseMs)]);
  return rows.map((r) => Number(r.id));
}

/** Gives a run back (e.g. on clean shutdown) so another controller can take it at once. */
export async function releaseRuns(db: Queryable, owner: string, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query('update runs set owner = null, lease_expires_at = null where owner = $1 and id = any($2)', [owner, ids]);
}

/** Runs waiting to be claimed: pending and held by no live lease (a metrics gauge; one count over the runs' status index). */
export async function countWaitingRuns(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from runs where status = 'pending' and (owner is null or lease_expires_at < now())`);
  return Number(rows[0]?.n ?? 0);
}
