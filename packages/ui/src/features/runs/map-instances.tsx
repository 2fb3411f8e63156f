// A mapped task's side of the task panel: how its instances stand (counts by status, each a
// toggle filtering the table, in `?istatus=`), its reduced outputs (JSON arrays over the
// instances, in item order) and its instances as a paged table (GET /runs/{id}/tasks?mapOf=NAME
// with the statuses chosen, through the same virtualised table as the run's tasks).
import { useCallback } from 'react';
import { useSearchParams } from 'react-router';
import type { RunTask } from '@kontroler/client';
import { useApi } from '../../api.js';
import { mapProgress, mapProgressText } from '../graph/model.js';
import { OutputsTable } from './attempt-outputs.js';
import { instanceStatusFromQuery, instanceStatusIntoQuery } from './instances.js';
import { listInstances } from './run-tasks-api.js';
import { StatusCounts } from './status-counts.js';
import { filteredTotal, toggleStatus, type TaskStatus } from './task-filter.js';
import { TaskTable } from './task-table.js';

export function MapInstances({ runId, task, refreshKey, selected, onSelect, now }: { runId: number; task: RunTask; refreshKey: number; selected: string | undefined; onSelect: (t: RunTask) => void; now: number }) {
  const api = useApi();
  const name = task.name;
  const [params, setParams] = useSearchParams();
  const status = instanceStatusFromQuery(params);
  const skey = status.join(',');
  const fetchPage = useCallback((cursor: string | undefined, limit: number) => listInstances(api, runId, name, cursor, limit, status), [api, runId, name, skey]); // eslint-disable-line react-hooks/exhaustive-deps
  const setStatus = (next: readonly TaskStatus[]) => setParams(instanceStatusIntoQuery(new URLSearchParams(params), next), { replace: true });
  const counts: Record<string, number> = { ...(task.instanceCounts ?? {}) };
  const instances = task.instances ?? 0;
  const outputs = task.outputs ?? {};
  return (
    <>
      <div className="section" data-testid="map-summary">
        <div className="row" style={{ gap: 6, flexWrap: 'wrap' }}>
          <strong>{mapProgressText(mapProgress(task))}</strong>
        </div>
        <StatusCounts of="instances" counts={counts} total={instances} filter={{ status }} onToggle={(s) => setStatus(toggleStatus({ status, prefix: '' }, s).status)} onAll={() => setStatus([])} />
        {Object.keys(outputs).length > 0 ? (
          <div data-testid="map-outputs" style={{ marginTop: 8 }}>
            <OutputsTable outputs={outputs} label="Outputs over the instances" />
          </div>
        ) : null}
      </div>
      {/* A new expansion (a retry) or another filter is a new table. */}
      <TaskTable key={`${name}#${task.instances ?? ''}#${skey}`} variant="instances" fetchPage={fetchPage} total={filteredTotal(counts, instances, { status, prefix: '' })} refreshKey={refreshKey} selected={selected} onSelect={onSelect} now={now} />
    </>
  );
}
