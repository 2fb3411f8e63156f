// The run's timeline: a row per task, a bar per attempt (click a bar to open that attempt), the
// wait before it drawn hatched (queued; a retry's delay), clock times on the axis, the selected
// task's row highlighted, and a row that ran nothing labelled with why; a mapped task's row holds
// its instances' attempts in lanes (a bar opens that instance's attempt).
import { useMemo, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { RunTask } from '@kontroler/client';
import { formatDuration, formatTimestamp } from '../../lib/format.js';
import { toneOf } from '../../lib/status.js';
import { GANTT_LANE_PX, ganttModel, ganttRowHeight } from './gantt.js';

const BG: Record<string, string> = { success: 'var(--success)', danger: 'var(--danger)', running: 'var(--running)', warning: 'var(--warning)', muted: 'var(--muted)', info: 'var(--info)', neutral: 'var(--neutral)' };

export function GanttView({ tasks, instances, now, runStart, selected, onSelect }: { tasks: RunTask[]; instances?: ReadonlyMap<string, readonly RunTask[]> | undefined; now: number; runStart?: number; selected?: string | undefined; onSelect: (task: string, attempt: number) => void }) {
  const model = useMemo(() => ganttModel(tasks, now, runStart, instances), [tasks, now, runStart, instances]);
  const ref = useRef<HTMLDivElement>(null);
  const virt = useVirtualizer({ count: model.rows.length, getScrollElement: () => ref.current, estimateSize: (i) => ganttRowHeight(model.rows[i] ?? { lanes: 1 }), overscan: 15 });
  return (
    <div className="gantt" ref={ref} data-testid="gantt" role="table" aria-label="Timeline of attempts">
      <div className="gantt-axis" role="row">
        <div className="task muted" style={{ padding: '5px 10px' }}>
          Task
        </div>
        <div className="ticks">
          {model.ticks.map((t) => (
            <span key={t.at} className="tick" style={{ left: `${t.pos * 100}%` }} title={`${formatTimestamp(new Date(t.at).toISOString())} (${t.offset} from the start)`}>
              {t.label}
            </span>
          ))}
        </div>
      </div>
      <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
        {virt.getVirtualItems().map((v) => {
          const row = model.rows[v.index]!;
          return (
            <div
              key={row.task}
              className={`gantt-row${row.instances ? ' mapped' : ''}${row.task === selected ? ' sel' : ''}`}
              role="row"
              data-task={row.task}
              aria-selected={row.task === selected}
              {...(row.instances ? { 'data-instances-shown': row.instances.shown, 'data-instances': row.instances.total, 'data-lanes': row.lanes } : {})}
              style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ganttRowHeight(row), transform: `translateY(${v.start}px)` }}
            >
              <div className="task" title={row.instances ? `${row.task}: ${row.instances.shown.toLocaleString('en-US')} of ${row.instances.total.toLocaleString('en-US')} instances drawn` : row.task}>
                {row.task}
                {row.instances ? <span className="muted"> [×{row.instances.total.toLocaleString('en-US')}]</span> : null}
              </div>
              <div className="track">
                {model.ticks.map((t) => (
                  <span key={t.at} className="gantt-grid" style={{ left: `${t.pos * 100}%` }} />
                ))}
                {row.note ? (
                  <span className="gantt-note" data-testid="gantt-note">
                    {row.note}
                  </span>
                ) : null}
                {row.waiting ? (
                  <span
                    className="gantt-wait retry"
                    data-wait="waiting"
                    style={{ left: `${row.waiting.left * 100}%`, width: `${row.waiting.width * 100}%` }}
                    title={`waiting for its retry${row.waiting.until !== null ? ` at ${formatTimestamp(new Date(row.waiting.until).toISOString())}` : ''}`}
                  />
                ) : null}
                {row.bars.map((b) =>
                  b.wait ? (
                    <span
                      key={`w${b.task}#${b.attempt}`}
                      className={`gantt-wait ${b.wait.kind}`}
                      data-wait={b.wait.kind}
                      data-attempt={b.attempt}
                      style={{ left: `${b.wait.left * 100}%`, width: `${b.wait.width * 100}%`, ...(row.instances ? { top: 6 + b.lane * GANTT_LANE_PX, height: GANTT_LANE_PX - 2 } : {}) }}
                      title={`${b.task} attempt ${b.attempt}: ${b.wait.kind === 'retry' ? 'retry delay, then queued' : 'queued'} ${formatDuration(b.wait.end - b.wait.start)}`}
                    />
                  ) : null,
                )}
                {row.bars.map((b) => (
                  <button
                    key={`${b.task}#${b.attempt}`}
                    className={`gantt-bar${b.running ? ' running' : ''}`}
                    data-task={b.task}
                    data-attempt={b.attempt}
                    style={{ left: `${b.left * 100}%`, width: `${b.width * 100}%`, background: BG[toneOf(b.status)], ...(row.instances ? { top: 6 + b.lane * GANTT_LANE_PX, height: GANTT_LANE_PX - 2 } : {}) }}
                    title={`${b.task} attempt ${b.attempt}: ${b.status}${b.exitCode !== null ? `, exit ${b.exitCode}` : ''}, ${formatDuration(b.end - b.start)}`}
                    aria-label={`${b.task} attempt ${b.attempt} ${b.status}`}
                    onClick={() => onSelect(b.task, b.attempt)}
                  />
                ))}
              </div>
            </div>
          );
        })}
      </div>
    </div>
  );
}
