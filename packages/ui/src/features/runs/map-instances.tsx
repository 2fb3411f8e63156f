// A mapped task's side of the task panel: how its instances stand (counts by status), its reduced
// outputs (JSON arrays over the instances, in item order) and its instances as a paged table
// (GET /runs/{id}/tasks?mapOf=NAME, through the same virtualised table as the run's tasks).
import { useCallback } from 'react';
import type { RunTask } from '@kontroler/client';
import { useApi } from '../../api.js';
import { toneOf } from '../../lib/status.js';
import { mapProgress, mapProgressText } from '../graph/model.js';
import { OutputsTable } from './attempt-outputs.js';
import { listInstances } from './run-tasks-api.js';
import { TaskTable } from './task-table.js';

const ORDER = ['running', 'failed', 'pending', 'waiting', 'succeeded', 'skipped', 'canceled'];

export function MapInstances({ runId, task, refreshKey, selected, onSelect, now }: { runId: number; task: RunTask; refreshKey: number; selected: string | undefined; onSelect: (t: RunTask) => void; now: number }) {
  const api = useApi();
  const name = task.name;
  const fetchPage = useCallback((cursor: string | undefined, limit: number) => listInstances(api, runId, name, cursor, limit), [api, runId, name]);
  const counts = Object.entries(task.instanceCounts ?? {})
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
  const outputs = task.outputs ?? {};
  return (
    <>
      <div className="section" data-testid="map-summary">
        <div className="row" style={{ gap: 6, flexWrap: 'wrap' }}>
          <strong>{mapProgressText(mapProgress(task))}</strong>
          {counts.map(([status, n]) => (
            <span key={status} className={`chip tone-${toneOf(status)}`} data-instance-status={status} data-count={n}>
              {status} {n.toLocaleString('en-US')}
            </span>
          ))}
        </div>
        {Object.keys(outputs).length > 0 ? (
          <div data-testid="map-outputs" style={{ marginTop: 8 }}>
            <OutputsTable outputs={outputs} label="Outputs over the instances" />
          </div>
        ) : null}
      </div>
      {/* A new expansion (a retry) is a new table. */}
      <TaskTable key={`${name}#${task.instances ?? ''}`} variant="instances" fetchPage={fetchPage} total={task.instances ?? 0} refreshKey={refreshKey} selected={selected} onSelect={onSelect} now={now} />
    </>
  );
}
