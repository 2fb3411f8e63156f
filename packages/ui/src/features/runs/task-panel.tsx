// The selected task of a run: its status, every attempt (exit code, duration, reason) and the
// log of the chosen attempt (live while it runs).
import type { RunTask } from '@kontroler/client';
import { formatDuration, formatTimestamp, formatBytes } from '../../lib/format.js';
import { StatusBadge } from '../../lib/ui.js';
import { LogViewer } from '../logs/log-viewer.js';
import { AttemptOutputs, reasonText } from './attempt-outputs.js';

export function TaskPanel({ runId, task, attempt, onAttempt, onClose, now }: { runId: number; task: RunTask; attempt: number | undefined; onAttempt: (n: number) => void; onClose: () => void; now: number }) {
  const chosen = task.attempts.find((a) => a.attempt === attempt) ?? task.attempts[task.attempts.length - 1];
  const live = chosen ? chosen.finishedAt === null : false;
  return (
    <div className="card side-panel" data-testid="task-panel" data-task={task.name}>
      <div className="section row">
        <h2 style={{ margin: 0 }}>{task.name}</h2>
        <StatusBadge status={task.status} />
        <span className="grow" />
        <button className="small ghost" onClick={onClose} aria-label="Close task panel">
          ✕
        </button>
      </div>
      <div className="section">
        <dl className="kv" style={{ margin: 0 }}>
          <dt>Image</dt>
          <dd className="mono">{task.image || '—'}</dd>
          <dt>Runs after</dt>
          <dd>{task.runAfter.length ? task.runAfter.join(', ') : '—'}</dd>
          {task.reason ? (
            <>
              <dt>Reason</dt>
              <dd>{reasonText(task.reason)}</dd>
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
      <div style={{ maxHeight: 170, overflow: 'auto', borderBottom: '1px solid var(--border)' }}>
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
                  className={a.attempt === chosen?.attempt ? 'sel' : undefined}
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
      {chosen ? <AttemptOutputs attempt={chosen} /> : null}
      {chosen ? <LogViewer key={`${task.name}#${chosen.attempt}`} runId={runId} task={task.name} attempt={chosen.attempt} live={live} /> : null}
    </div>
  );
}
