// The selected task of a run: its status, every attempt (exit code, duration, reason) and the
// log of the chosen attempt (live while it runs). A mapped task runs no attempt: its panel shows
// its instances instead (map-instances.tsx); an instance's panel is a task's, with its item and a
// way back to its mapped task. An approval task runs no process: its panel shows what it asks and
// the decision form (approvals/approval-section.tsx), and its attempt has no log. A dagRef task
// runs a child run of another DAG: its panel links to the child run (its attempts' logs are there).
import { useEffect, useRef } from 'react';
import { Link } from 'react-router';
import type { RunTask } from '@kontroler/client';
import { formatDuration, formatTimestamp, formatBytes } from '../../lib/format.js';
import { StatusBadge, TaskStatusBadge } from '../../lib/ui.js';
import { LogViewer } from '../logs/log-viewer.js';
import { AttemptOutputs } from './attempt-outputs.js';
import { reasonText } from './task-reason.js';
import { itemText } from './instances.js';
import { MapInstances } from './map-instances.js';
import { ApprovalSection } from '../approvals/approval-section.js';
import { TaskActionsBar, type RunStateForActions } from './task-actions.js';

export interface TaskPanelProps {
  runId: number;
  /** The run's namespace (an approval's editor role is checked there). */
  namespace: string;
  task: RunTask;
  /** A dagRef task: the DAG its child runs run, when known. */
  subDag?: string | undefined;
  /** The signed-in user may act on the run (editor or admin in its namespace). */
  editable: boolean;
  /** The task's reason as the run explains it (a skip after a failure names the failed task). */
  reason?: string | undefined;
  /** The run's state, for the task actions offered. */
  run: RunStateForActions;
  /** Something changed the run (a decision): refresh it now. */
  onChanged: () => void;
  attempt: number | undefined;
  onAttempt: (n: number) => void;
  onClose: () => void;
  now: number;
  /** Changes with every refresh of the run (a mapped task's instances table refetches). */
  refreshKey: number;
  /** An instance of a mapped task was picked (its row in the instances table). */
  onInstance: (t: RunTask) => void;
  /** An instance's panel: back to its mapped task. */
  onBack?: () => void;
}

export function TaskPanel({ runId, namespace, task, subDag, editable, run, reason, onChanged, attempt, onAttempt, onClose, now, refreshKey, onInstance, onBack }: TaskPanelProps) {
  useEscapeToClose(onClose);
  const chosen = task.attempts.find((a) => a.attempt === attempt) ?? task.attempts[task.attempts.length - 1];
  const live = chosen ? chosen.finishedAt === null : false;
  const mapped = task.kind === 'map';
  return (
    <div className="card side-panel" data-testid="task-panel" data-task={task.name} data-kind={task.kind ?? 'task'}>
      <div className="section row">
        {task.mapOf !== undefined && onBack ? (
          <button className="small ghost crumb-back" onClick={onBack} aria-label={`Back to ${task.mapOf}`} title={`The instances of ${task.mapOf}`}>
            ‹ {task.mapOf}
          </button>
        ) : null}
        <h2 style={{ margin: 0 }}>{task.name}</h2>
        {mapped ? (
          <span className="chip" title="A mapped task: one instance per item">
            mapped{task.instances !== undefined ? ` ×${task.instances}` : ''}
          </span>
        ) : null}
        <TaskStatusBadge task={task} />
        <span className="grow" />
        <button className="small ghost" onClick={onClose} aria-label="Close task panel">
          ✕
        </button>
      </div>
      <div className="section">
        <dl className="kv" style={{ margin: 0 }}>
          {task.kind === 'dagRef' ? (
            <>
              <dt>Sub-DAG</dt>
              <dd data-testid="child-run">
                {subDag ? <Link to={`/dags/${namespace}/${subDag}`}>{subDag}</Link> : '—'}
                {task.childRunId !== undefined ? (
                  <>
                    {' · '}
                    <Link to={`/runs/${task.childRunId}`} data-testid="child-run-link">
                      child run #{task.childRunId}
                    </Link>
                  </>
                ) : (
                  <span className="muted"> · no child run yet</span>
                )}
              </dd>
            </>
          ) : task.kind === 'approval' ? null : (
            <>
              <dt>Image</dt>
              <dd className="mono">{task.image || '—'}</dd>
            </>
          )}
          <dt>Runs after</dt>
          <dd>{task.runAfter.length ? task.runAfter.join(', ') : '—'}</dd>
          {task.mapOf !== undefined ? (
            <>
              <dt>Item</dt>
              <dd className="mono" data-testid="instance-item" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all', maxHeight: 80, overflow: 'auto' }}>
                {itemText(task.item)}
              </dd>
            </>
          ) : null}
          {task.reason ? (
            <>
              <dt>Reason</dt>
              <dd data-testid="task-reason">{reasonText(reason ?? task.reason)}</dd>
            </>
          ) : null}
          {task.retryAt ? (
            <>
              <dt>Next attempt</dt>
              <dd>{formatTimestamp(task.retryAt)}</dd>
            </>
          ) : null}
        </dl>
      </div>
      {editable ? <TaskActionsBar runId={runId} task={task} run={run} onChanged={onChanged} /> : null}
      {task.approval ? <ApprovalSection runId={runId} namespace={namespace} task={task} approval={task.approval} editable={editable} now={now} onDecided={onChanged} /> : null}
      {mapped ? <MapInstances runId={runId} task={task} refreshKey={refreshKey} selected={undefined} onSelect={onInstance} now={now} /> : <AttemptsTable task={task} chosen={chosen?.attempt} onAttempt={onAttempt} now={now} />}
      {chosen ? <AttemptOutputs attempt={chosen} /> : null}
      {chosen && chosen.kind !== 'approval' && chosen.kind !== 'child' ? <LogViewer key={`${task.name}#${chosen.attempt}`} runId={runId} task={task.name} attempt={chosen.attempt} live={live} /> : null}
    </div>
  );
}

function AttemptsTable({ task, chosen, onAttempt, now }: { task: RunTask; chosen: number | undefined; onAttempt: (n: number) => void; now: number }) {
  const box = useRef<HTMLDivElement>(null);
  // The chosen attempt's row stays in view (a retry's new attempt is chosen at the bottom).
  useEffect(() => {
    const c = box.current;
    const row = c?.querySelector<HTMLElement>('tr.sel');
    if (c && row) scrollRowIntoView(c, row);
  }, [chosen, task.attempts.length]);
  return (
    <div ref={box} data-testid="attempts-box" style={{ maxHeight: 170, overflow: 'auto', borderBottom: '1px solid var(--border)' }}>
      {task.attempts.length === 0 ? (
        <div className="muted" style={{ padding: '10px 14px' }}>
          No attempt yet.
        </div>
      ) : (
        <table className="data attempts" aria-label="Attempts">
          <thead>
            <tr>
              <th>#</th>
              <th>Status</th>
              <th>Exit</th>
              <th>Duration</th>
              <th>Log</th>
            </tr>
          </thead>
          <tbody>
            {task.attempts.map((a) => (
              <tr
                key={a.attempt}
                className={a.attempt === chosen ? 'sel' : undefined}
                data-attempt={a.attempt}
                onClick={() => onAttempt(a.attempt)}
                style={{ cursor: 'pointer' }}
                title={`${a.reason ?? ''} created ${formatTimestamp(a.createdAt)}`}
              >
                <td>
                  <button className="small ghost" aria-label={`Show attempt ${a.attempt}`} onClick={() => onAttempt(a.attempt)}>
                    {a.attempt}
                  </button>
                </td>
                <td>
                  <StatusBadge status={a.status} />
                </td>
                <td className="mono">{a.exitCode ?? '—'}</td>
                <td>{a.durationMs !== null ? formatDuration(a.durationMs) : a.startedAt ? formatDuration(now - Date.parse(a.startedAt)) : '—'}</td>
                <td className="muted">{formatBytes(a.logSize)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** Scrolls `box` (not the page) so `row` is visible below the table's sticky header. */
function scrollRowIntoView(box: HTMLElement, row: HTMLElement): void {
  const head = box.querySelector('thead')?.getBoundingClientRect().height ?? 0;
  const b = box.getBoundingClientRect();
  const r = row.getBoundingClientRect();
  if (r.top < b.top + head) box.scrollTop -= b.top + head - r.top;
  else if (r.bottom > b.bottom) box.scrollTop += r.bottom - b.bottom;
}

/** Esc closes the panel, as the `?` help says: not while a dialog is open or a field has the keys. */
function useEscapeToClose(onClose: () => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented || document.querySelector('dialog[open]')) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
      onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
}
