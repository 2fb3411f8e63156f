// A DAG: its graph, the spec as YAML, versions with a diff between any two, recent runs and a
// success-rate sparkline; run, edit, suspend / resume.
import { useMemo, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi, errorText } from '../../api.js';
import { formatDuration, formatRelative, formatTimestamp } from '../../lib/format.js';
import { ErrorBox, Skeleton, StatusBadge, useNow, useToast } from '../../lib/ui.js';
import { useSession } from '../auth/session.js';
import { dagToYaml, docFromSpec } from '../editor/model.js';
import { GraphView } from '../graph/graph-view.js';
import { graphFromTasks } from '../graph/model.js';
import { sparklinePoints, successTrend } from '../stats/series.js';
import { BackfillSection } from './backfill-section.js';
import { RunDialog } from './run-dialog.js';
import { DagGridView } from './dag-grid.js';
import { VersionDiff } from './version-diff.js';
import { Schedule } from '../../lib/schedule.js';
import { useTitle } from '../../lib/use-title.js';

type Tab = 'graph' | 'grid' | 'yaml' | 'versions' | 'runs';

export function DagDetailPage() {
  const { ns = 'default', name = '' } = useParams();
  useTitle(`DAG ${ns === 'default' ? name : `${ns}/${name}`}`);
  const api = useApi();
  const qc = useQueryClient();
  const toast = useToast();
  const now = useNow(30_000);
  const { canEdit } = useSession();
  const [params, setParams] = useSearchParams();
  const tab = (params.get('tab') as Tab | null) ?? 'graph';
  const [running, setRunning] = useState(false);
  const dag = useQuery({ queryKey: ['dag', ns, name], queryFn: () => api.getDag(ns, name) });
  const runs = useQuery({ queryKey: ['dag-runs', ns, name], queryFn: () => api.listRuns({ namespace: ns, dag: name, limit: 30, taskCounts: true }), refetchInterval: 5000 });
  const suspend = useMutation({
    mutationFn: (s: boolean) => api.suspendDag(ns, name, s),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['dag', ns, name] }),
    onError: (e) => toast(errorText(e), true),
  });
  const tasks = useMemo(() => ((dag.data?.spec?.task as Array<{ name: string; runAfter?: string[]; image?: string }> | undefined) ?? []), [dag.data]);
  const graph = useMemo(() => graphFromTasks(tasks), [tasks]);
  const yaml = useMemo(() => (dag.data?.spec ? dagToYaml(docFromSpec(ns, name, dag.data.spec, dag.data.labels)) : ''), [dag.data, ns, name]);
  const trend = successTrend(runs.data?.items ?? []);

  if (dag.isLoading) return <Skeleton rows={8} />;
  if (dag.error || !dag.data) return <div className="page"><ErrorBox error={dag.error ?? new Error('not found')} /></div>;
  const d = dag.data;
  const editable = canEdit(ns);
  const setTab = (t: Tab) => setParams({ tab: t }, { replace: true });

  return (
    <div className="page full" data-testid="dag-page">
      <div className="page-head">
        <span className="crumbs">
          <Link to="/dags">DAGs</Link> /
        </span>
        <h1>{d.name}</h1>
        <span className="muted">
          {d.namespace} · version {d.version}
        </span>
        {d.suspended ? <StatusBadge status="canceled" label="suspended" /> : null}
        <span title={`success rate of the last ${trend.length} ended runs (sliding window of 5)`} className="row" style={{ gap: 6 }}>
          <svg className="sparkline" width={110} height={26} role="img" aria-label="success rate trend">
            <polyline points={sparklinePoints(trend, 110, 26)} />
          </svg>
          <span className="muted" style={{ fontSize: 12 }}>
            {trend.length ? `${Math.round((trend[trend.length - 1] ?? 0) * 100)}% recent success` : 'no runs yet'}
          </span>
        </span>
        <span className="spacer" />
        {editable ? (
          <span className="row">
            <button className="primary" onClick={() => setRunning(true)}>
              ▶ Run
            </button>
            <Link className="btn" to={`/dags/${ns}/${name}/edit`}>
              Edit
            </Link>
            <button onClick={() => suspend.mutate(!d.suspended)} disabled={suspend.isPending}>
              {d.suspended ? 'Resume' : 'Suspend'}
            </button>
          </span>
        ) : null}
      </div>
      <div className="row muted" style={{ fontSize: 13, gap: 18 }}>
        <span>
          schedule: <Schedule schedule={d.schedule} timezone={d.timezone} />
        </span>
        {d.schedule && !d.suspended ? <span>next run {formatRelative(d.nextFireAt, now)}</span> : null}
        <span>source: {d.source}</span>
        <span>updated {formatRelative(d.updatedAt, now)}</span>
        <span>{tasks.length} tasks</span>
      </div>
      {d.schedule ? <BackfillSection ns={ns} name={name} editable={editable} /> : null}
      <div className="tabs" role="tablist">
        {(['graph', 'grid', 'yaml', 'versions', 'runs'] as const).map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} onClick={() => setTab(t)}>
            {t === 'graph' ? 'Graph' : t === 'grid' ? 'Grid' : t === 'yaml' ? 'YAML' : t === 'versions' ? 'Versions' : 'Recent runs'}
          </button>
        ))}
      </div>
      <div className="card" style={{ flex: 1, minHeight: 0, display: 'flex', flexDirection: 'column', overflow: 'auto' }}>
        {tab === 'graph' ? <GraphView graph={graph} ariaLabel={`Graph of ${d.name}`} /> : null}
        {tab === 'grid' ? <DagGridView ns={ns} name={name} /> : null}
        {tab === 'yaml' ? <pre className="yaml" data-testid="dag-yaml">{yaml}</pre> : null}
        {tab === 'versions' ? <Versions ns={ns} name={name} current={d.version} /> : null}
        {tab === 'runs' ? (
          <table className="data" aria-label="Recent runs">
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>Version</th>
                <th>Trigger</th>
                <th>Created</th>
                <th>Duration</th>
              </tr>
            </thead>
            <tbody>
              {runs.data?.items.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/runs/${r.id}`}>#{r.id}</Link>
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td>v{r.dagVersion}</td>
                  <td className="muted">{r.trigger}</td>
                  <td title={formatTimestamp(r.createdAt)}>{formatRelative(r.createdAt, now)}</td>
                  <td>{formatDuration(r.durationMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </div>
      {running ? <RunDialog namespace={ns} name={name} open onClose={() => setRunning(false)} /> : null}
    </div>
  );
}

function Versions({ ns, name, current }: { ns: string; name: string; current: number }) {
  const api = useApi();
  const now = useNow(30_000);
  const versions = useQuery({ queryKey: ['versions', ns, name], queryFn: () => api.dagVersions(ns, name) });
  const items = versions.data?.items ?? [];
  const [a, setA] = useState<number>();
  const [b, setB] = useState<number>();
  const from = a ?? items[1]?.version ?? items[0]?.version;
  const to = b ?? current;
  if (versions.isLoading) return <Skeleton />;
  return (
    <div style={{ display: 'grid', gridTemplateColumns: '470px 1fr', minHeight: 0, flex: 1 }}>
      <table className="data" aria-label="Versions" style={{ alignSelf: 'start' }}>
        <thead>
          <tr>
            <th>Version</th>
            <th>Saved</th>
            <th>From</th>
            <th>To</th>
          </tr>
        </thead>
        <tbody>
          {items.map((v) => (
            <tr key={v.version} data-version={v.version}>
              <td>
                v{v.version} {v.current ? <span className="chip">current</span> : null}
              </td>
              <td className="version-time" data-testid="version-time">
                <span className="mono">{formatTimestamp(v.createdAt)}</span> <span className="muted">{formatRelative(v.createdAt, now)}</span>
              </td>
              <td>
                <input type="radio" name="from" aria-label={`diff from v${v.version}`} checked={from === v.version} onChange={() => setA(v.version)} />
              </td>
              <td>
                <input type="radio" name="to" aria-label={`diff to v${v.version}`} checked={to === v.version} onChange={() => setB(v.version)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div style={{ borderLeft: '1px solid var(--border)', overflow: 'auto' }}>
        <div className="muted" style={{ padding: '8px 12px', borderBottom: '1px solid var(--border)' }}>
          Changes from v{from} to v{to}
        </div>
        <VersionDiff ns={ns} name={name} from={from} to={to} />
      </div>
    </div>
  );
}
