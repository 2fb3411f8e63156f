// A run's task counts by status; each count is a toggle that filters the task table. The same
// chips filter a mapped task's instances (`of="instances"`). An approval task that waits for a
// person has its own "waiting for approval" count (`approvals`), taken out of running (it is
// running underneath; the running filter still lists it).
import { toneOf } from '../../lib/status.js';
import { TASK_STATUSES, type TaskStatus } from './task-filter.js';

const fmt = (n: number) => n.toLocaleString('en-US');

export function StatusCounts({ counts, total, filter, onToggle, onAll, approvals, of = 'tasks' }: {
  counts: Readonly<Record<string, number>>;
  total: number;
  filter: { status: readonly TaskStatus[] };
  onToggle: (s: TaskStatus) => void;
  onAll: () => void;
  approvals?: number | undefined;
  of?: 'tasks' | 'instances';
}) {
  const instances = of === 'instances';
  return (
    <div className={`row task-counts${instances ? ' instance-counts' : ''}`} role="group" aria-label={instances ? 'Instances by status' : 'Tasks by status'} data-testid={instances ? 'instance-counts' : 'task-counts'} data-total={total}>
      <button className="chip chip-toggle" aria-pressed={filter.status.length === 0} onClick={onAll} title="Every status">
        all <strong>{fmt(total)}</strong>
      </button>
      {TASK_STATUSES.filter((s) => (counts[s] ?? 0) > 0 || filter.status.includes(s)).map((s) => (
        <button
          key={s}
          className={`chip chip-toggle count tone-${toneOf(s)}`}
          aria-pressed={filter.status.includes(s)}
          {...(instances ? { 'data-instance-status': s } : { 'data-count-status': s })}
          data-count={counts[s] ?? 0}
          onClick={() => onToggle(s)}
          title={`Show only ${s} ${of} (toggle)`}
        >
          {s} <strong>{fmt(counts[s] ?? 0)}</strong>
        </button>
      ))}
      {approvals !== undefined && approvals > 0 ? (
        <span className="chip count tone-approval" data-count-status="approval" data-count={approvals} title="Approval tasks waiting for a person (running underneath: the running filter lists them)">
          waiting for approval <strong>{fmt(approvals)}</strong>
        </span>
      ) : null}
    </div>
  );
}
