// Runs: filters (DAG, status, time) kept in the URL, keyset pagination, live refresh of page 1.
// A child run (started by a dagRef task) names its parent run next to its number.
import { useCallback, useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import type { RunStatus } from '@kontroler/client';
import { useApi } from '../../api.js';
import { formatDuration, formatRelative, formatTimestamp } from '../../lib/format.js';
import { RUN_STATUSES } from '../../lib/status.js';
import { CountsBar, StatusBadge, useCursorPages, useDebounced, useNow } from '../../lib/ui.js';
import { ListCard } from '../../lib/list-card.js';
import { useLiveEvents } from '../../lib/live.js';
import { SINCE_CHOICES, filtersFromQuery, filtersToQuery, runsQuery, type RunFilters } from './filters.js';
import { useTitle } from '../../lib/use-title.js';

const SINCE_LABEL: Record<string, string> = { '': 'Any time', '1h': 'Last hour', '24h': 'Last 24 h', '7d': 'Last 7 days', '30d': 'Last 30 days' };

/** Events of the change stream that mean the list may have changed. */
const LIST_EVENTS = ['run', 'resync'];

export function RunListPage() {
  useTitle('Runs');
  const api = useApi();
  const qc = useQueryClient();
  // Told of run changes by the change stream (at most twice a second); polled only while it is not open.
  const live = useLiveEvents('/api/v1/events', LIST_EVENTS, useCallback(() => void qc.invalidateQueries({ queryKey: ['runs'] }), [qc]), 500);
  const [params, setParams] = useSearchParams();
  const filters = filtersFromQuery(params);
  const [dagText, setDagText] = useState(filters.dag);
  const dag = useDebounced(dagText.trim(), 300);
  const effective: RunFilters = { ...filters, dag };
  const key = JSON.stringify(filtersToQuery(effective));
  const pages = useCursorPages(key);
  const set = (f: RunFilters) => setParams(filtersToQuery(f), { replace: true });
  const list = useQuery({
    // `since` is resolved when the filter changes, not on every refresh (stable keyset pages).
    queryKey: ['runs', key, pages.cursor],
    queryFn: () => api.listRuns(runsQuery(effective, Date.now(), pages.cursor, 30)),
    placeholderData: keepPreviousData,
    refetchInterval: pages.page === 1 ? (live ? 30_000 : 3000) : false,
  });
  // The durations of running runs tick every second; ages alone, every 5 s.
  const running = list.data?.items.some((r) => r.durationMs === null && r.startedAt) ?? false;
  const now = useNow(running ? 1000 : 5000);
  useEffect(() => {
    if (dag !== filters.dag) set({ ...filters, dag });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [dag]);
  const toggle = (s: RunStatus) => set({ ...filters, dag, status: filters.status.includes(s) ? filters.status.filter((x) => x !== s) : [...filters.status, s] });

  return (
    <div className="page">
      <div className="page-head">
        <h1>Runs</h1>
        <span className="spacer" />
      </div>
      <div className="toolbar" role="group" aria-label="Filters">
        <input type="search" data-search placeholder="DAG name  ( / )" aria-label="Filter by DAG" value={dagText} onChange={(e) => setDagText(e.target.value)} style={{ width: 220 }} />
        <span className="row" style={{ gap: 4 }}>
          {RUN_STATUSES.map((s) => (
            <button key={s} className="chip chip-toggle small" aria-pressed={filters.status.includes(s)} onClick={() => toggle(s)}>
              {s}
            </button>
          ))}
        </span>
        <select aria-label="Time range" value={filters.since} onChange={(e) => set({ ...filters, dag, since: e.target.value })}>
          {SINCE_CHOICES.map((s) => (
            <option key={s} value={s}>
              {SINCE_LABEL[s]}
            </option>
          ))}
        </select>
        {filters.status.length || filters.since || dag ? (
          <button className="small ghost" onClick={() => { setDagText(''); set({ dag: '', namespace: '', status: [], since: '' }); }}>
            Clear filters
          </button>
        ) : null}
      </div>
      <ListCard
        list={list}
        label="Runs"
        empty="No runs match these filters."
        pages={pages}
        columns={
          <>
            <th>Run</th>
            <th>DAG</th>
            <th>Status</th>
            <th>Tasks</th>
            <th>Trigger</th>
            <th>Created</th>
            <th>Duration</th>
          </>
        }
        row={(r) => (
          <tr key={r.id} data-run={r.id}>
            <td>
              <Link to={`/runs/${r.id}`} style={{ fontWeight: 600 }}>
                #{r.id}
              </Link>
              {r.name ? <span className="muted"> {r.name}</span> : null}
              {r.parent ? (
                <Link to={`/runs/${r.parent.runId}?task=${encodeURIComponent(r.parent.task)}`} className="muted" data-testid="parent-of-run" title={`Child run of run #${r.parent.runId} (task ${r.parent.task})`} style={{ marginLeft: 6 }}>
                  ↳ #{r.parent.runId}
                </Link>
              ) : null}
            </td>
            <td>
              <Link to={`/dags/${r.namespace}/${r.dag}`}>{r.dag}</Link> <span className="muted">v{r.dagVersion}{r.namespace !== 'default' ? ` · ${r.namespace}` : ''}</span>
            </td>
            <td>
              <StatusBadge status={r.status} />
            </td>
            <td>
              <CountsBar counts={r.taskCounts} />
            </td>
            <td className="muted">{r.trigger}</td>
            <td title={formatTimestamp(r.createdAt)}>{formatRelative(r.createdAt, now)}</td>
            <td>{r.durationMs !== null ? formatDuration(r.durationMs) : r.startedAt ? formatDuration(Math.max(now, Date.now()) - Date.parse(r.startedAt)) : '—'}</td>
          </tr>
        )}
      />
    </div>
  );
}
