// DAGs: searchable, paginated list with schedule, next fire, last run and suspended state;
// suspend / resume; start a run with a parameter form.
import { useState } from 'react';
import { Link } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Dag } from '@kontroler/client';
import { useApi } from '../../api.js';
import { formatRelative } from '../../lib/format.js';
import { StatusBadge, useCursorPages, useDebounced, useNow, useToast } from '../../lib/ui.js';
import { ListCard } from '../../lib/list-card.js';
import { useSession } from '../auth/session.js';
import { RunDialog } from './run-dialog.js';
import { Schedule } from '../../lib/schedule.js';
import { toneOf } from '../../lib/status.js';
import { outcomeStrip } from './grid-model.js';
import { useTitle } from '../../lib/use-title.js';

const PAGE = 25;

export function DagListPage() {
  useTitle('DAGs');
  const api = useApi();
  const qc = useQueryClient();
  const toast = useToast();
  const now = useNow(15_000);
  const { canEdit } = useSession();
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), 250);
  const pages = useCursorPages(q);
  const [running, setRunning] = useState<Dag>();
  const list = useQuery({
    queryKey: ['dags', q, pages.cursor],
    queryFn: () => api.listDags({ ...(q ? { name: q } : {}), ...(pages.cursor ? { cursor: pages.cursor } : {}), limit: PAGE }),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
  const suspend = useMutation({
    mutationFn: (d: Dag) => api.suspendDag(d.namespace, d.name, !d.suspended),
    onSuccess: (_r, d) => {
      toast(`${d.name} ${d.suspended ? 'resumed' : 'suspended'}`);
      void qc.invalidateQueries({ queryKey: ['dags'] });
    },
    onError: (e) => toast(String((e as Error).message), true),
  });

  return (
    <div className="page">
      <div className="page-head">
        <h1>DAGs</h1>
        <span className="spacer" />
        <input
          type="search"
          data-search
          placeholder="Search by name  ( / )"
          aria-label="Search DAGs by name"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          style={{ width: 260 }}
        />
        {canEdit() ? (
          <Link className="btn primary" to="/editor">
            ✚ New DAG
          </Link>
        ) : (
          <button className="primary" disabled title="Creating a DAG needs the editor role in a namespace: you are a viewer">
            ✚ New DAG
          </button>
        )}
      </div>
      <ListCard
        list={list}
        label="DAGs"
        empty={q ? `No DAG name contains “${q}”.` : 'No DAGs yet. Create one in the editor, drop YAML files in the DAG folder, or use `kontroler apply`.'}
        pages={pages}
        columns={
          <>
            <th>Name</th>
            <th>Namespace</th>
            <th>Schedule</th>
            <th>Next run</th>
            <th>Recent runs</th>
            <th>State</th>
            <th style={{ textAlign: 'right' }}>Actions</th>
          </>
        }
        row={(d) => (
          <tr key={`${d.namespace}/${d.name}`} data-dag={d.name}>
            <td>
              <Link to={`/dags/${d.namespace}/${d.name}`} style={{ fontWeight: 600 }}>
                {d.name}
              </Link>{' '}
              <span className="muted">v{d.version}</span>
            </td>
            <td className="muted">{d.namespace}</td>
            <td>
              <Schedule schedule={d.schedule} timezone={d.timezone} />
            </td>
            <td title={d.nextFireAt ?? ''}>{d.schedule && !d.suspended ? formatRelative(d.nextFireAt, now) : <span className="muted">—</span>}</td>
            <td>
              {d.lastRun ? (
                <span className="row" style={{ gap: 8 }}>
                  <span className="outcome-strip" data-testid="outcome-strip" aria-label={`Last ${d.recentRuns?.length ?? 1} runs of ${d.name}, oldest first`}>
                    {outcomeStrip(d.recentRuns ?? [d.lastRun]).map((r) => (
                      <Link key={r.id} to={`/runs/${r.id}`} className={`grid-cell tone-${toneOf(r.status)}`} data-run={r.id} data-status={r.status} title={`Run #${r.id} · ${r.status} · ${formatRelative(r.createdAt, now)}`} aria-label={`Run #${r.id}: ${r.status}`} />
                    ))}
                  </span>
                  <Link to={`/runs/${d.lastRun.id}`} className="muted" style={{ fontSize: 12.5 }}>
                    {formatRelative(d.lastRun.createdAt, now)}
                  </Link>
                </span>
              ) : (
                <span className="muted">never</span>
              )}
            </td>
            <td>{d.suspended ? <StatusBadge status="canceled" label="suspended" /> : <StatusBadge status="succeeded" label="active" />}</td>
            <td style={{ textAlign: 'right' }}>
              <span className="row" style={{ justifyContent: 'flex-end', gap: 6 }}>
                {canEdit(d.namespace) ? (
                  <>
                    <button className="small" onClick={() => setRunning(d)} aria-label={`Run ${d.name}`}>
                      ▶ Run
                    </button>
                    <button className="small" onClick={() => suspend.mutate(d)} disabled={suspend.isPending} aria-label={`${d.suspended ? 'Resume' : 'Suspend'} ${d.name}`}>
                      {d.suspended ? 'Resume' : 'Suspend'}
                    </button>
                    <Link className="btn small" to={`/dags/${d.namespace}/${d.name}/edit`} aria-label={`Edit ${d.name}`}>
                      Edit
                    </Link>
                  </>
                ) : null}
              </span>
            </td>
          </tr>
        )}
      />
      {running ? <RunDialog namespace={running.namespace} name={running.name} open onClose={() => setRunning(undefined)} /> : null}
    </div>
  );
}
