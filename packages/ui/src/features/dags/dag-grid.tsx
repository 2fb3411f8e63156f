// The DAG page's Grid tab (Airflow's grid): its last runs as columns (oldest left), its tasks as
// rows, each cell coloured by the task's status in that run; a cell opens that run's page with
// the task selected, a column head the run. From GET …/dags/{name}/grid (one bounded request).
import { useState } from 'react';
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { useApi } from '../../api.js';
import { formatTimestamp } from '../../lib/format.js';
import { toneOf } from '../../lib/status.js';
import { ErrorBox, Skeleton } from '../../lib/ui.js';
import { cellHref, cellLabel, gridLayout } from './grid-model.js';

const SIZES = [25, 50, 100] as const;
/** The legend: the states a cell is most often in. */
const LEGEND = ['succeeded', 'failed', 'running', 'retrying', 'skipped', 'pending'] as const;

export function DagGridView({ ns, name }: { ns: string; name: string }) {
  const api = useApi();
  const [runs, setRuns] = useState<number>(25);
  const grid = useQuery({ queryKey: ['dag-grid', ns, name, runs], queryFn: () => api.dagGrid(ns, name, runs), refetchInterval: 5000 });
  if (grid.isLoading) return <Skeleton rows={6} />;
  if (grid.error || !grid.data) return <ErrorBox error={grid.error ?? new Error('no grid')} />;
  const { columns, rows } = gridLayout(grid.data);
  return (
    <div className="dag-grid-wrap" data-testid="dag-grid">
      <div className="row dag-grid-bar">
        <span className="muted">
          {columns.length === 0 ? 'No runs yet.' : `The last ${columns.length} run${columns.length === 1 ? '' : 's'}, oldest on the left; a cell opens the run with that task selected.`}
        </span>
        <span className="spacer" />
        <span className="grid-legend" aria-label="Legend">
          {LEGEND.map((s) => (
            <span key={s}>
              <span className={`grid-cell tone-${toneOf(s)}`} /> {s}
            </span>
          ))}
          <span>
            <span className="grid-cell empty" /> not in the run
          </span>
        </span>
        <label className="muted">
          Runs{' '}
          <select aria-label="Runs in the grid" value={runs} onChange={(e) => setRuns(Number(e.target.value))}>
            {SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>
      {grid.data.tasksTruncated ? (
        <div className="notice" role="note" data-testid="grid-truncated">
          Showing the first 500 tasks; a run has more: its column head gives its counts, the run page has every task.
        </div>
      ) : null}
      {columns.length > 0 ? (
        <table className="dag-grid" aria-label={`Grid of ${name}: runs by tasks`}>
          <thead>
            <tr>
              <th className="task-col">Task</th>
              {columns.map((c) => (
                <th key={c.id} className="run-col">
                  <Link
                    to={`/runs/${c.id}`}
                    className={`grid-cell run-head tone-${toneOf(c.status)}`}
                    data-run={c.id}
                    data-status={c.status}
                    title={`Run #${c.id} · ${c.status} · v${c.dagVersion} · ${formatTimestamp(c.createdAt)} · ${c.taskTotal} tasks: ${c.summary}`}
                    aria-label={`Run #${c.id}: ${c.status}`}
                  />
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.name} data-task={r.name}>
                <th className="task-col mono" scope="row" title={r.name}>
                  {r.name}
                </th>
                {r.cells.map((s, i) => {
                  const run = columns[i]!.id;
                  return (
                    <td key={run} className="run-col">
                      {s === null ? (
                        <span className="grid-cell empty" aria-label={cellLabel(run, r.name, s)} />
                      ) : (
                        <Link to={cellHref(run, r.name)} className={`grid-cell tone-${toneOf(s)}`} data-run={run} data-status={s} title={cellLabel(run, r.name, s)} aria-label={cellLabel(run, r.name, s)} />
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
