// Run statistics over a time window: runs per day by outcome, success rate, durations per DAG,
// most failing tasks. Served by runs_by_created, runs_finished and attempts_failed.
import type { Queryable } from './db.js';
import { pageSize } from './run-filter.js';
import type { AttemptsRow, RunsRow } from './rows.js';

/** DAGs in the durations table at the most (slowest p95 first). */
export const STATS_MAX_DAGS = 200;
/** Failing tasks returned by default, and at the most. */
export const STATS_DEFAULT_TOP = 10;
export const STATS_MAX_TOP = 100;

export interface StatsQuery {
  from: number;
  to: number;
  /** Only these namespaces (RBAC); undefined = every namespace. */
  namespaces?: readonly string[];
  namespace?: string;
  dagName?: string;
  /** How many failing tasks to return. */
  top?: number;
}

export interface RunStats {
  from: number;
  to: number;
  runsPerDay: Array<{ day: string; succeeded: number; failed: number; canceled: number; running: number; pending: number }>;
  totals: { runs: number; succeeded: number; failed: number; canceled: number; active: number };
  /** succeeded / (succeeded + failed + canceled), or null when no run ended. */
  successRate: number | null;
  /**
   * Per DAG, over its runs that finished in the window: wall time (`p50Seconds`, `p95Seconds`:
   * start to end, idle waits included, such as the time before a manual retry), execution time
   * (`execution…`: how long at least one attempt ran) and attempt time (`attempt…`: the sum of
   * its attempts' durations). Approval waits count as neither execution nor attempt time.
   */
  durations: Array<{
    namespace: string;
    dag: string;
    runs: number;
    p50Seconds: number;
    p95Seconds: number;
    executionP50Seconds: number;
    executionP95Seconds: number;
    attemptP50Seconds: number;
    attemptP95Seconds: number;
  }>;
  failingTasks: Array<{ namespace: string; dag: string; task: string; failedAttempts: number; runs: number }>;
}

/** Runs created on one UTC day with one status. */
type PerDayRow = { day: string; status: RunsRow['status']; n: number };
/** percentile_cont is double precision, which node-postgres returns as a number. */
type DurationRow = Pick<RunsRow, 'namespace' | 'dag_name'> & { n: number; p50: number; p95: number; exec50: number; exec95: number; att50: number; att95: number };
type FailingRow = Pick<RunsRow, 'namespace' | 'dag_name'> & Pick<AttemptsRow, 'task'> & { n: number; runs: number };

function filters(q: StatsQuery, alias: string, args: unknown[]): string[] {
  const w: string[] = [];
  if (q.namespaces) w.push(`${alias}.namespace = any($${args.push(q.namespaces)}::text[])`);
  if (q.namespace) w.push(`${alias}.namespace = $${args.push(q.namespace)}`);
  if (q.dagName) w.push(`${alias}.dag_name = $${args.push(q.dagName)}`);
  return w;
}

export async function runStats(db: Queryable, q: StatsQuery): Promise<RunStats> {
  const from = new Date(q.from);
  const to = new Date(q.to);
  const a1: unknown[] = [from, to];
  const perDay = db.query<PerDayRow>(
    `select to_char(date_trunc('day', r.created_at at time zone 'UTC'), 'YYYY-MM-DD') as day, r.status, count(*)::int as n
     from runs r where r.created_at >= $1 and r.created_at < $2 ${filters(q, 'r', a1).map((f) => `and ${f}`).join(' ')}
     group by 1, 2 order by 1`,
    a1,
  );
  const a2: unknown[] = [from, to];
  // Execution time is the union of a run's attempt intervals (gaps and islands: an attempt that
  // starts after every earlier one ended opens a new island), so idle time between attempts,
  // e.g. before a manual retry, is not counted; attempt time is their plain sum.
  const durations = db.query<DurationRow>(
    `with ended as (
       select r.id, r.namespace, r.dag_name, r.started_at, r.finished_at from runs r
       where r.finished_at >= $1 and r.finished_at < $2 and r.started_at is not null
         ${filters(q, 'r', a2).map((f) => `and ${f}`).join(' ')}
     ), spans as (
       select a.run_id, a.started_at as s, greatest(a.started_at, coalesce(a.finished_at, e.finished_at)) as f
       from attempts a join ended e on e.id = a.run_id
       where a.started_at is not null and a.kind is distinct from 'approval'
     ), marked as (
       select run_id, s, f,
         case when s <= max(f) over (partition by run_id order by s, f rows between unbounded preceding and 1 preceding) then 0 else 1 end as opens
       from spans
     ), islands as (
       select run_id, s, f, sum(opens) over (partition by run_id order by s, f rows unbounded preceding) as island from marked
     ), island_spans as (
       select run_id, min(s) as s, max(f) as f from islands group by run_id, island
     ), execution as (
       select run_id, sum(extract(epoch from f - s)) as exec_s from island_spans group by run_id
     ), attempt_time as (
       select run_id, sum(extract(epoch from f - s)) as attempt_s from spans group by run_id
     )
     select e.namespace, e.dag_name, count(*)::int as n,
       percentile_cont(0.5) within group (order by extract(epoch from e.finished_at - e.started_at)) as p50,
       percentile_cont(0.95) within group (order by extract(epoch from e.finished_at - e.started_at)) as p95,
       percentile_cont(0.5) within group (order by coalesce(x.exec_s, 0)) as exec50,
       percentile_cont(0.95) within group (order by coalesce(x.exec_s, 0)) as exec95,
       percentile_cont(0.5) within group (order by coalesce(t.attempt_s, 0)) as att50,
       percentile_cont(0.95) within group (order by coalesce(t.attempt_s, 0)) as att95
     from ended e left join execution x on x.run_id = e.id left join attempt_time t on t.run_id = e.id
     group by 1, 2 order by exec95 desc, p95 desc limit $${a2.push(STATS_MAX_DAGS)}`,
    a2,
  );
  const a3: unknown[] = [from, to];
  const failing = db.query<FailingRow>(
    `select r.namespace, r.dag_name, a.task, count(*)::int as n, count(distinct a.run_id)::int as runs
     from attempts a join runs r on r.id = a.run_id
     where a.status in ('failed', 'lost') and a.finished_at >= $1 and a.finished_at < $2
       ${filters(q, 'r', a3).map((f) => `and ${f}`).join(' ')}
     group by 1, 2, 3 order by n desc, 1, 2, 3 limit $${a3.push(pageSize(q.top ?? STATS_DEFAULT_TOP, STATS_MAX_TOP))}`,
    a3,
  );
  const [pd, du, fa] = await Promise.all([perDay, durations, failing]);
  const days = new Map<string, RunStats['runsPerDay'][number]>();
  const totals = { runs: 0, succeeded: 0, failed: 0, canceled: 0, active: 0 };
  for (const { day, status, n } of pd.rows) {
    const d = days.get(day) ?? { day, succeeded: 0, failed: 0, canceled: 0, running: 0, pending: 0 };
    d[status] += n;
    days.set(day, d);
    totals.runs += n;
    if (status === 'succeeded' || status === 'failed' || status === 'canceled') totals[status] += n;
    else totals.active += n;
  }
  const ended = totals.succeeded + totals.failed + totals.canceled;
  return {
    from: q.from,
    to: q.to,
    runsPerDay: [...days.values()],
    totals,
    successRate: ended === 0 ? null : totals.succeeded / ended,
    durations: du.rows.map((r) => ({
      namespace: r.namespace,
      dag: r.dag_name,
      runs: r.n,
      p50Seconds: r.p50,
      p95Seconds: r.p95,
      executionP50Seconds: r.exec50,
      executionP95Seconds: r.exec95,
      attemptP50Seconds: r.att50,
      attemptP95Seconds: r.att95,
    })),
    failingTasks: fa.rows.map((r) => ({ namespace: r.namespace, dag: r.dag_name, task: r.task, failedAttempts: r.n, runs: r.runs })),
  };
}
