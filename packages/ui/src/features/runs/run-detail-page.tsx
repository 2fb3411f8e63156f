// A run: its task counts by status (each a filter), its graph coloured by live task state, the
// timeline of attempts, a virtualised task table, and a panel for the selected task (attempts +
// log). While the run is active the page is told of each change by the run's change stream
// (GET /runs/{id}/events) and reads it again; it polls every second only while the stream is not
// open (docs/ui.md); cancel asks for confirmation, retry-from-failed is one click, re-run opens a
// form with the parameters pre-filled; the task panel retries or marks one task. A run too large for its task
// graph (the server sends `graphSummary` instead) opens on the table, its graph grouped by name
// prefix, and polls only the counts, the first page and the table's pages in view. A mapped task
// is one node and one row; its panel lists its instances (filtered by `?istatus=`), the timeline
// draws them in its row, and `?task=NAME[i]` opens instance i (read by name with each poll). A dagRef task's node names the DAG it runs
// (read once from the run's DAG version, which never changes); a child run's page says whose it is.
import { useCallback, useMemo, useRef, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi, errorText } from '../../api.js';
import { formatDuration, formatRelative, formatTimestamp } from '../../lib/format.js';
import { isActive } from '../../lib/status.js';
import { useLiveEvents } from '../../lib/live.js';
import { ErrorBox, Skeleton, StatusBadge, useNow, useToast } from '../../lib/ui.js';
import { useSession } from '../auth/session.js';
import type { RunDetail, RunTask } from '@kontroler/client';
import { GraphView } from '../graph/graph-view.js';
import { dagRefNames, graphFromRun } from '../graph/model.js';
import { graphFromSummary } from '../graph/group-graph.js';
import { GanttView } from './gantt-view.js';
import { TaskPanel } from './task-panel.js';
import { TaskTable } from './task-table.js';
import { StatusCounts } from './status-counts.js';
import { TaskFilterBar } from './task-filter-bar.js';
import { filterKey, filteredTotal, isFiltered, taskFilterFromQuery, taskFilterIntoQuery, toggleStatus, NO_FILTER, type TaskFilter } from './task-filter.js';
import { chipCountsOf, hasAllTasks, isLargeRun, taskCountsOf } from './run-view.js';
import { allRunTasks, getRunTask, instancesOf, listRunTasks } from './run-tasks-api.js';
import { instanceRef, INSTANCE_STATUS_PARAM } from './instances.js';
import { useTitle } from '../../lib/use-title.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { explainReason } from './task-reason.js';
import { RerunDialog } from './rerun-dialog.js';

/** Pages of 1,000 read to colour a small run's graph (the server draws graphs up to 2,000 tasks). */
const SMALL_RUN_MAX_PAGES = 3;
/** Instances of each mapped task the timeline draws (its first ones, in index order). */
const TIMELINE_MAX_INSTANCES = 2000;

type View = 'graph' | 'timeline' | 'tasks';

/** The stream's events that mean the run changed. */
const RUN_EVENTS = ['detail'];
/** While the change stream is open, a slow poll all the same (a change the stream could not tell). */
const LIVE_FALLBACK_POLL_MS = 15_000;

/** The queries of this page that hold task state (refreshed at once after a decision, and at each change). */
const RUN_QUERIES = new Set(['run', 'run-tasks', 'run-task', 'run-instance', 'run-instances']);

export function RunDetailPage() {
  const id = Number(useParams().id);
  const api = useApi();
  const qc = useQueryClient();
  const toast = useToast();
  const { canEdit } = useSession();
  const [params, setParams] = useSearchParams();
  const selected = params.get('task') ?? undefined;
  // An instance is selected by its name; its mapped task stays the selected node and row.
  const inst = selected !== undefined ? instanceRef(selected) : undefined;
  const selectedTask = inst?.mapOf ?? selected;
  const attempt = params.get('attempt') ? Number(params.get('attempt')) : undefined;
  const filter = taskFilterFromQuery(params);
  const fkey = filterKey(filter);
  // Told by the run's change stream; polled every second only while the stream is not open.
  // The stream pushes the run itself (`detail`): it replaces the cached run at once; what else the
  // page shows of the run (more tasks, the selected one, instances) is read again.
  const refreshRun = useCallback(() => void qc.invalidateQueries({ predicate: (q) => RUN_QUERIES.has(String(q.queryKey[0])) && q.queryKey[0] !== 'run' && q.queryKey[1] === id }), [qc, id]);
  const pushed = useCallback((_event: string, data: string) => qc.setQueryData(['run', id], JSON.parse(data) as RunDetail), [qc, id]);
  const live = useLiveEvents(Number.isSafeInteger(id) && id > 0 ? `/api/v1/runs/${id}/events?detail=true` : undefined, RUN_EVENTS, refreshRun, undefined, pushed);
  const poll = (d: RunDetail | undefined) => (d && !isActive(d.status) && !d.requested ? false : live ? LIVE_FALLBACK_POLL_MS : 1000);
  const run = useQuery({
    queryKey: ['run', id],
    queryFn: () => api.getRun(id),
    refetchInterval: (q) => poll(q.state.data),
    refetchIntervalInBackground: false,
  });
  const r = run.data;
  useTitle(`Run #${r?.id ?? id}`, r?.dag);
  const large = r ? isLargeRun(r) : false;
  const asked = params.get('view');
  const view: View = asked === 'tasks' || asked === 'graph' || (asked === 'timeline' && !large) ? asked : large ? 'tasks' : 'graph';
  const active = r ? isActive(r.status) : false;
  const now = useNow(active ? 1000 : 60_000);
  // A small run's graph and timeline show every task: the pages after the first, with each poll.
  const rest = useQuery({
    queryKey: ['run-tasks', id],
    enabled: r !== undefined && !large && !hasAllTasks(r),
    queryFn: () => allRunTasks(api, id, SMALL_RUN_MAX_PAGES),
    refetchInterval: poll(r),
    refetchIntervalInBackground: false,
  });
  const allTasks = r && !large ? (hasAllTasks(r) ? r.tasks : (rest.data ?? r.tasks)) : undefined;
  // The DAGs the dagRef tasks run: from the run's version of its DAG (immutable, read once).
  const hasDagRef = allTasks?.some((t) => t.kind === 'dagRef') ?? false;
  const version = useQuery({
    queryKey: ['dag-version', r?.namespace, r?.dag, r?.dagVersion],
    enabled: r !== undefined && hasDagRef,
    queryFn: () => api.getDagVersion(r!.namespace, r!.dag, r!.dagVersion),
    staleTime: Infinity,
  });
  const dagRefs = useMemo(() => dagRefNames(version.data?.spec), [version.data]);
  // The timeline draws the mapped tasks' instances: their first pages, with each poll.
  const mappedNames = useMemo(() => (allTasks ?? []).filter((t) => t.kind === 'map' && (t.instances ?? 0) > 0).map((t) => t.name), [allTasks]);
  const timelineInstances = useQuery({
    queryKey: ['run-instances', id, mappedNames.join(',')],
    enabled: view === 'timeline' && mappedNames.length > 0,
    queryFn: () => instancesOf(api, id, mappedNames, TIMELINE_MAX_INSTANCES),
    refetchInterval: poll(r),
    refetchIntervalInBackground: false,
  });
  const tasksByName = useMemo(() => new Map((allTasks ?? []).map((t) => [t.name, t])), [allTasks]);
  const graph = useMemo(() => (r?.graph && allTasks ? graphFromRun({ graph: r.graph, tasks: allTasks }, dagRefs) : r?.graphSummary ? graphFromSummary(r.graphSummary) : undefined), [r, allTasks, dagRefs]);
  // A large run's selected task: the row clicked, then looked up by name with each poll.
  const picked = useRef(new Map<string, RunTask>());
  const lookedUp = useQuery({
    queryKey: ['run-task', id, selectedTask],
    enabled: large && selectedTask !== undefined && inst === undefined,
    queryFn: () => getRunTask(api, id, selectedTask!),
    refetchInterval: poll(r),
    refetchIntervalInBackground: false,
  });
  // The selected instance: the row clicked, then read by name with each poll (any index).
  const instance = useQuery({
    queryKey: ['run-instance', id, selected],
    enabled: inst !== undefined,
    queryFn: () => getRunTask(api, id, selected!),
    refetchInterval: poll(r),
    refetchIntervalInBackground: false,
  });
  const fetchPage = useCallback((cursor: string | undefined, limit: number) => listRunTasks(api, id, filter, cursor, limit), [api, id, fkey]); // eslint-disable-line react-hooks/exhaustive-deps
  const setFilter = (f: TaskFilter, v: View = 'tasks') => {
    const p = taskFilterIntoQuery(new URLSearchParams(params), f);
    p.set('view', v);
    setParams(p, { replace: true });
  };
  const select = (task: string | undefined, n?: number) => {
    const p = new URLSearchParams(params);
    // The instances filter belongs to one mapped task: kept between it and its instances only.
    if (!task || (instanceRef(task)?.mapOf ?? task) !== selectedTask) p.delete(INSTANCE_STATUS_PARAM);
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
    mutationFn: async () => api.retryRun(id),
    onSuccess: () => {
      toast('Retrying the failed tasks');
      void qc.invalidateQueries({ queryKey: ['run', id] });
    },
    onError: (e) => toast(errorText(e), true),
  });
  const [dialog, setDialog] = useState<'cancel' | 'rerun' | undefined>();

  if (run.isLoading) return <Skeleton rows={8} />;
  if (run.error || !r || !graph) return <div className="page"><ErrorBox error={run.error ?? new Error('no such run')} /></div>;
  const { counts, total } = taskCountsOf(r);
  const chips = chipCountsOf(counts, allTasks);
  const task = !selectedTask ? undefined : allTasks ? allTasks.find((t) => t.name === selectedTask) : (lookedUp.data ?? picked.current.get(selectedTask));
  const shown = inst && selected ? (instance.data ?? picked.current.get(selected)) : task;
  const editable = canEdit(r.namespace);
  const startedMs = r.startedAt ? Date.parse(r.startedAt) : undefined;
  const pick = (t: RunTask) => {
    picked.current.clear();
    picked.current.set(t.name, t);
    select(t.name);
  };

  return (
    <div className="page full" data-testid="run-page" data-run-status={r.status} data-live={live ? "true" : "false"}>
      <div className="page-head">
        <span className="crumbs">
          <Link to="/runs">Runs</Link> /
        </span>
        <h1>
          Run #{r.id} <span className="muted" style={{ fontWeight: 400 }}>of</span> <Link to={`/dags/${r.namespace}/${r.dag}`}>{r.dag}</Link>
        </h1>
        <StatusBadge status={r.status} />
        {r.requested ? <span className="chip">{r.requested === 'tasks' ? 'task action' : r.requested} requested…</span> : null}
        <span className="spacer" />
        {editable ? (
          <span className="row">
            <button onClick={() => setDialog('cancel')} disabled={!active || act.isPending || r.cancelRequested} className="danger">
              Cancel
            </button>
            <button onClick={() => act.mutate()} disabled={(r.status !== 'failed' && r.status !== 'canceled') || act.isPending} title="Run the failed, skipped and canceled tasks again, keeping the successful ones">
              Retry failed
            </button>
            <button onClick={() => setDialog('rerun')} disabled={act.isPending} title="A new run with the same parameters (editable)">
              Re-run
            </button>
            <ConfirmDialog
              open={dialog === 'cancel'}
              title={`Cancel run #${r.id}`}
              confirm="Cancel run"
              danger
              onClose={() => setDialog(undefined)}
              onConfirm={async () => {
                await api.cancelRun(id);
                toast('Cancel requested');
                void qc.invalidateQueries({ queryKey: ['run', id] });
              }}
            >
              <p style={{ margin: 0 }}>Running attempts of {r.dag} are stopped and the tasks not yet finished are canceled. &ldquo;Retry failed&rdquo; runs them again later.</p>
            </ConfirmDialog>
            {dialog === 'rerun' ? <RerunDialog run={r} open onClose={() => setDialog(undefined)} /> : null}
          </span>
        ) : null}
      </div>
      {r.parent ? (
        <p className="muted" data-testid="parent-run" style={{ margin: 0, fontSize: 13 }}>
          ↳ child run of{' '}
          <Link to={`/runs/${r.parent.runId}?task=${encodeURIComponent(r.parent.task)}`}>
            run #{r.parent.runId} (task {r.parent.task})
          </Link>
          {r.parent.attempt > 1 ? <span> · attempt {r.parent.attempt}</span> : null}
        </p>
      ) : null}
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
      <div className="run-layout" style={shown ? undefined : { gridTemplateColumns: 'minmax(0,1fr)' }}>
        <div className="run-main">
          <StatusCounts counts={chips.counts} approvals={chips.approvals} total={total} filter={filter} onToggle={(st) => setFilter(toggleStatus(filter, st))} onAll={() => setFilter({ ...filter, status: [] })} />
          <div className="tabs" role="tablist" aria-label="Run views">
            <button role="tab" aria-selected={view === 'graph'} onClick={() => setView('graph')}>
              Graph
            </button>
            {!large ? (
              <button role="tab" aria-selected={view === 'timeline'} onClick={() => setView('timeline')}>
                Timeline
              </button>
            ) : null}
            <button role="tab" aria-selected={view === 'tasks'} onClick={() => setView('tasks')}>
              Tasks
            </button>
          </div>
          {view === 'graph' && r.graphSummary ? (
            <p className="notice" data-testid="graph-notice">
              graph shown grouped: {r.graphSummary.tasks.toLocaleString('en-US')} tasks; use the table for single tasks
              {r.graphSummary.truncated ? ` (the ${r.graphSummary.groups.length.toLocaleString('en-US')} largest groups)` : ''}. Select a group to list its tasks.
            </p>
          ) : null}
          {view === 'tasks' ? <TaskFilterBar filter={filter} onChange={(f) => setFilter(f)} onClear={() => setFilter(NO_FILTER)} shown={filteredTotal(counts, total, filter)} filtered={isFiltered(filter)} /> : null}
          <div className="card">
            {view === 'graph' ? (
              <GraphView
                graph={graph}
                selected={large ? undefined : selectedTask}
                onSelect={(t) => (large ? t !== undefined && setFilter({ ...filter, prefix: t }) : select(t))}
                ariaLabel={large ? `Grouped graph of run ${r.id}` : `Graph of run ${r.id}`}
                legend
              />
            ) : view === 'timeline' && allTasks ? (
              <GanttView tasks={allTasks} instances={timelineInstances.data} now={active ? now : Date.parse(r.finishedAt ?? r.createdAt)} {...(startedMs ? { runStart: startedMs } : {})} selected={selectedTask} onSelect={(t, n) => select(t, n)} />
            ) : (
              <TaskTable
                key={fkey}
                fetchPage={fetchPage}
                total={filteredTotal(counts, total, filter)}
                {...(!isFiltered(filter) ? { seed: { items: r.tasks, nextCursor: r.tasksNextCursor } } : {})}
                refreshKey={run.dataUpdatedAt}
                selected={selectedTask}
                onSelect={pick}
                now={now}
              />
            )}
          </div>
          {!shown ? <p className="muted" style={{ margin: 0, fontSize: 12.5 }}>Select a task to see its attempts and log.</p> : null}
        </div>
        {shown ? (
          <TaskPanel
            key={shown.name}
            runId={r.id}
            namespace={r.namespace}
            task={shown}
            subDag={dagRefs.get(shown.name)}
            editable={editable}
            run={{ status: r.status, cancelRequested: r.cancelRequested, requested: r.requested }}
            reason={explainReason(shown, tasksByName)}
            onChanged={refreshRun}
            attempt={attempt}
            onAttempt={(n) => select(shown.name, n)}
            onClose={() => select(undefined)}
            now={now}
            refreshKey={run.dataUpdatedAt}
            onInstance={(t) => {
              // Kept: the instance and its mapped task (the way back), nothing else.
              const mapTask = picked.current.get(t.mapOf ?? '');
              picked.current.clear();
              if (mapTask) picked.current.set(mapTask.name, mapTask);
              picked.current.set(t.name, t);
              select(t.name);
            }}
            {...(shown.mapOf !== undefined ? { onBack: () => select(shown.mapOf) } : {})}
          />
        ) : null}
      </div>
    </div>
  );
}
