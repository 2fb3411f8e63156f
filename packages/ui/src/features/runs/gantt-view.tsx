// The run's timeline: a row per task, a bar per attempt (click a bar to open that attempt).
import { useMemo, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { RunTask } from '@kontroler/client';
import { formatDuration } from '../../lib/format.js';
import { toneOf } from '../../lib/status.js';
import { ganttModel } from './gantt.js';

const BG: Record<string, string> = { success: 'var(--success)', danger: 'var(--danger)', running: 'var(--running)', warning: 'var(--warning)', muted: 'var(--muted)', info: 'var(--info)', neutral: 'var(--neutral)' };

export function GanttView({ tasks, now, runStart, onSelect }: { tasks: RunTask[]; now: number; runStart?: number; onSelect: (task: string, attempt: number) => void }) {
  const model = useMemo(() => ganttModel(tasks, now, runStart), [tasks, now, runStart]);
  const ref = useRef<HTMLDivElement>(null);
  const virt = useVirtualizer({ count: model.rows.length, getScrollElement: () => ref.current, estimateSize: () => 28, overscan: 15 });
  return (
    <div className="gantt" ref={ref} data-testid="gantt" role="table" aria-label="Timeline of attempts">
      <div className="gantt-axis" role="row">
        <div className="task muted" style={{ padding: '5px 10px' }}>
          Task
        </div>
        <div className="ticks">
          {model.ticks.map((t) => (
            <span key={t.at} className="tick" style={{ left: `${t.pos * 100}%` }}>
              {t.label}
            </span>
          ))}
        </div>
      </div>
      <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
        {virt.getVirtualItems().map((v) => {
          const row = model.rows[v.index]!;
          return (
            <div key={row.task} className="gantt-row" role="row" style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${v.start}px)` }}>
              <div className="task" title={row.task}>
                {row.task}
              </div>
              <div className="track">
                {model.ticks.map((t) => (
                  <span key={t.at} className="gantt-grid" style={{ left: `${t.pos * 100}%` }} />
                ))}
                {row.bars.map((b) => (
                  <button
                    key={b.attempt}
                    className={`gantt-bar${b.running ? ' running' : ''}`}
                    style={{ left: `${b.left * 100}%`, width: `${b.width * 100}%`, background: BG[toneOf(b.status)] }}
                    title={`${row.task} attempt ${b.attempt}: ${b.status}${b.exitCode !== null ? `, exit ${b.exitCode}` : ''}, ${formatDuration(b.end - b.start)}`}
                    aria-label={`${row.task} attempt ${b.attempt} ${b.status}`}
                    onClick={() => onSelect(row.task, b.attempt)}
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
