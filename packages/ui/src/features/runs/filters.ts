// Run list filters ⇄ the page's query string (so a filtered list is a link), and → the API query.
import type { ListRunsQuery, RunStatus } from '@kontroler/client';

export interface RunFilters {
  dag: string;
  namespace: string;
  status: RunStatus[];
  /** `1h`, `24h`, `7d`, `30d` or '' (any time). */
  since: string;
}

const STATUSES: readonly RunStatus[] = ['pending', 'running', 'succeeded', 'failed', 'canceled'];
export const SINCE_CHOICES = ['', '1h', '24h', '7d', '30d'] as const;

export function filtersFromQuery(q: { get(key: string): string | null }): RunFilters {
  const status = (q.get('status') ?? '')
    .split(',')
    .filter((s): s is RunStatus => (STATUSES as readonly string[]).includes(s));
  const since = q.get('since') ?? '';
  return {
    dag: q.get('dag') ?? '',
    namespace: q.get('namespace') ?? '',
    status,
    since: (SINCE_CHOICES as readonly string[]).includes(since) ? since : '',
  };
}

export function filtersToQuery(f: RunFilters): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.dag) out.dag = f.dag;
  if (f.namespace) out.namespace = f.namespace;
  if (f.status.length > 0) out.status = f.status.join(',');
  if (f.since) out.since = f.since;
  return out;
}

const UNIT: Record<string, number> = { h: 3_600_000, d: 86_400_000 };

/** The API query for these filters (`since` resolved against `now`). */
export function runsQuery(f: RunFilters, now: number, cursor?: string, limit = 50): ListRunsQuery {
  const m = /^(\d+)([hd])$/.exec(f.since);
  return {
    ...(f.dag ? { dag: f.dag } : {}),
    ...(f.namespace ? { namespace: f.namespace } : {}),
    ...(f.status.length > 0 ? { status: f.status } : {}),
    ...(m ? { since: new Date(now - Number(m[1]) * UNIT[m[2]!]!).toISOString() } : {}),
    ...(cursor ? { cursor } : {}),
    limit,
    taskCounts: true,
  };
}
