// A run's task counts by status; each count is a toggle that filters the task table.
import { toneOf } from '../../lib/status.js';
import { TASK_STATUSES, type TaskFilter, type TaskStatus } from './task-filter.js';

const fmt = (n: number) => n.toLocaleString('en-US');

export function StatusCounts({ counts, total, filter, onToggle, onAll }: { counts: Readonly<Record<string, number>>; total: number; filter: TaskFilter; onToggle: (s: TaskStatus) => void; onAll: () => void }) {
  return (
    <div className="row task-counts" role="group" aria-label="Tasks by status" data-testid="task-counts" data-total={total}>
      <button className="chip chip-toggle" aria-pressed={filter.status.length === 0} onClick={onAll} title="Every status">
        all <strong>{fmt(total)}</strong>
      </button>
      {TASK_STATUSES.filter((s) => (counts[s] ?? 0) > 0 || filter.status.includes(s)).map((s) => (
        <button
          key={s}
          className={`chip chip-toggle count tone-${toneOf(s)}`}
          aria-pressed={filter.status.includes(s)}
          data-count-status={s}
          data-count={counts[s] ?? 0}
          onClick={() => onToggle(s)}
          title={`Show only ${s} tasks (toggle)`}
        >
          {s} <strong>{fmt(counts[s] ?? 0)}</strong>
        </button>
      ))}
    </div>
  );
}
