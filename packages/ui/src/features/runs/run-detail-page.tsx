// A run: its graph coloured by live task state, the timeline of attempts, and a panel for the
// selected task (attempts + log). While the run is active the page polls GET /runs/{id} every
// second (docs/ui.md explains the choice); cancel, retry-from-failed and re-run are one click.
import { useMemo, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi, errorText } from '../../api.js';
import { formatDuration, formatRelative, formatTimestamp } from '../../lib/format.js';
import { isActive } from '../../lib/status.js';
import { ErrorBox, Skeleton, StatusBadge, useNow, useToast } from '../../lib/ui.js';
import { useSession } from '../auth/session.js';
import { GraphView } from '../graph/graph-view.js';
import { graphFromRun } from '../graph/model.js';
import { GanttView } from './gantt-view.js';
import { TaskPanel } from './task-panel.js';

export function RunDetailPage() {
  const id = Number(useParams().id);
  const api = useApi();
  const qc = useQueryClient();
  const nav = useNavigate();
  const toast = useToast();
  const { canEdit } = useSession();
  const [params, setParams] = useSearchParams();
  const view = params.get('view') === 'timeline' ? 'timeline' : 'graph';
  const selected = params.get('task') ?? undefined;
  const attempt = params.get('attempt') ? Number(params.get('attempt')) : undefined;
  const run = useQuery({
    queryKey: ['run', id],
    queryFn: () => api.getRun(id),
    refetchInterval: (q) => (q.state.data && !isActive(q.state.data.status) && !q.state.data.requested ? false : 1000),
    refetchIntervalInBackground: false,
  });
  const active = run.data ? isActive(run.data.status) : false;
  const now = useNow(active ? 1000 : 60_000);
  const graph = useMemo(() => (run.data ? graphFromRun(run.data) : undefined), [run.data]);
  const select = (task: string | undefined, n?: number) => {
    const p = new URLSearchParams(params);
    if (task) p.set('task', task);
    else p.delete('task');
    if (n) p.set('attempt', String(n));
    else p.delete('attempt');
    setParams(p, { replace: true });
  };
  const setView = (v: string) => {
    const p = new URLSearchParams(params);
    p.set('view', v);
    setParams(p, { replace: true });
  };
  const act = useMutation({
    mutationFn: async (what: 'cancel' | 'retry' | 'rerun') => (what === 'cancel' ? api.cancelRun(id) : what === 'retry' ? api.retryRun(id) : api.rerun(id)),
    onSuccess: (r, what) => {
      if (what === 'rerun') {
        toast(`Run ${r.id} started`);
        nav(`/runs/${r.id}`);
      } else toast(what === 'cancel' ? 'Cancel requested' : 'Retrying the failed tasks');
      void qc.invalidateQueries({ queryKey: ['run', id] });
    },
    onError: (e) => toast(errorText(e), true),
  });

  if (run.isLoading) return <Skeleton rows={8} />;
  if (run.error || !run.data || !graph) return <div className="page"><ErrorBox error={run.error ?? new Error('no such run')} /></div>;
  const r = run.data;
  const task = selected ? r.tasks.find((t) => t.name === selected) : undefined;
  const editable = canEdit(r.namespace);
  const startedMs = r.startedAt ? Date.parse(r.startedAt) : undefined;

  return (
    <div className="page full" data-testid="run-page" data-run-status={r.status}>
      <div className="page-head">
        <span className="crumbs">
          <Link to="/runs">Runs</Link> /
        </span>
        <h1>
          Run #{r.id} <span className="muted" style={{ fontWeight: 400 }}>of</span> <Link to={`/dags/${r.namespace}/${r.dag}`}>{r.dag}</Link>
        </h1>
        <StatusBadge status={r.status} />
        {r.requested ? <span className="chip">{r.requested} requested…</span> : null}
        <span className="spacer" />
        {editable ? (
          <span className="row">
            <button onClick={() => act.mutate('cancel')} disabled={!active || act.isPending || r.cancelRequested} className="danger">
              Cancel
            </button>
            <button onClick={() => act.mutate('retry')} disabled={r.status !== 'failed' || act.isPending} title="Run the failed tasks again, keeping the successful ones">
              Retry failed
            </button>
            <button onClick={() => act.mutate('rerun')} disabled={act.isPending} title="A new run with the same parameters">
              Re-run
            </button>
          </span>
        ) : null}
      </div>
      <div className="row muted" style={{ fontSize: 13, gap: 18 }}>
        <span>version {r.dagVersion}</span>
        <span>trigger: {r.trigger}</span>
        <span title={formatTimestamp(r.createdAt)}>created {formatRelative(r.createdAt, now)}</span>
        <span>duration {r.durationMs !== null ? formatDuration(r.durationMs) : startedMs ? formatDuration(now - startedMs) : '—'}</span>
        {Object.keys(r.parameters).length ? (
          <span>
            parameters:{' '}
            {Object.entries(r.parameters).map(([k, v]) => (
              <code key={k} style={{ marginRight: 8 }}>
                {k}={v}
              </code>
            ))}
          </span>
        ) : null}
      </div>
      <div className="run-layout" style={task ? undefined : { gridTemplateColumns: 'minmax(0,1fr)' }}>
        <div className="run-main">
          <div className="tabs" role="tablist" aria-label="Run views">
            <button role="tab" aria-selected={view === 'graph'} onClick={() => setView('graph')}>
              Graph
            </button>
            <button role="tab" aria-selected={view === 'timeline'} onClick={() => setView('timeline')}>
              Timeline
            </button>
          </div>
          <div className="card">
            {view === 'graph' ? (
              <GraphView graph={graph} selected={selected} onSelect={(t) => select(t)} ariaLabel={`Graph of run ${r.id}`} />
            ) : (
              <GanttView tasks={r.tasks} now={active ? now : Date.parse(r.finishedAt ?? r.createdAt)} {...(startedMs ? { runStart: startedMs } : {})} onSelect={(t, n) => select(t, n)} />
            )}
          </div>
          {!task ? <p className="muted" style={{ margin: 0, fontSize: 12.5 }}>Select a task to see its attempts and log.</p> : null}
        </div>
        {task ? <TaskPanel runId={r.id} task={task} attempt={attempt} onAttempt={(n) => select(task.name, n)} onClose={() => select(undefined)} now={now} /> : null}
      </div>
    </div>
  );
}
