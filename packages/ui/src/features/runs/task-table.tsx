// The run's tasks as a virtualised table: only the rows in view are in the DOM, and their rows
// come from cursor pages of GET /runs/{id}/tasks fetched as the view reaches them (task-window.ts
// keeps a bounded window of pages). Each live refresh of the run refetches only the pages in view.
// A new filter is a new table (the parent keys it by the filter). The same table lists a mapped
// task's instances (`variant="instances"`: index, item, status, attempts, duration).
import { useEffect, useRef, useState, type CSSProperties, type ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { RunTask } from '@kontroler/client';
import { formatDuration } from '../../lib/format.js';
import { StatusBadge, TaskStatusBadge } from '../../lib/ui.js';
import { errorText } from '../../api.js';
import { itemShort, itemText } from './instances.js';
import { emptyWindow, evicted, isComplete, nextRequest, refreshed, rowAt, rowCount, withPage, type PageResult, type TaskWindow } from './task-window.js';

/** Height of a row (px): fixed, so nothing is measured while scrolling. */
export const TASK_ROW_HEIGHT = 32;
/** The instances table in the task panel grows with its rows up to this height (px), then scrolls. */
export const INSTANCE_TABLE_MAX_HEIGHT = 260;
/** Height of the table's foot line (px). */
const FOOT_HEIGHT = 27;

export interface TaskTableProps {
  /** Fetches one page of the filtered tasks. */
  fetchPage: (cursor: string | undefined, limit: number) => Promise<PageResult<RunTask>>;
  /** Rows of the filtered table when known (from the counts). */
  total: number | undefined;
  /** The first page when the table is unfiltered (it comes with the run). */
  seed?: { items: readonly RunTask[]; nextCursor: string | undefined };
  /** Changes on every refresh of the run: the pages in view are fetched again. */
  refreshKey: number;
  selected: string | undefined;
  onSelect: (task: RunTask) => void;
  now: number;
  /** `instances`: the rows are a mapped task's instances. */
  variant?: 'tasks' | 'instances';
}

function seeded(seed: TaskTableProps['seed'], w: TaskWindow<RunTask>): TaskWindow<RunTask> {
  if (!seed) return w;
  return withPage(w, { page: 0, cursor: undefined, limit: Math.max(1, seed.items.length) }, { items: seed.items, nextCursor: seed.nextCursor });
}

function lastAttempt(t: RunTask) {
  return t.attempts[t.attempts.length - 1];
}

/** A row of the table: one task (or instance); a click selects it. */
function TaskRow(p: { task: RunTask; rowIndex: number; selected: boolean; style: CSSProperties; onSelect: (t: RunTask) => void; children: ReactNode }) {
  const t = p.task;
  return (
    <div
      className={`task-row${p.selected ? ' sel' : ''}`}
      role="row"
      aria-rowindex={p.rowIndex + 2}
      aria-selected={p.selected}
      data-task={t.name}
      data-status={t.status}
      style={p.style}
      onClick={() => p.onSelect(t)}
    >
      {p.children}
    </div>
  );
}

function durationText(t: RunTask, now: number): string {
  const a = lastAttempt(t);
  if (a?.durationMs !== null && a?.durationMs !== undefined) return formatDuration(a.durationMs);
  return a && a.finishedAt === null && a.startedAt ? formatDuration(now - Date.parse(a.startedAt)) : '—';
}

export function TaskTable({ fetchPage, total, seed, refreshKey, selected, onSelect, now, variant = 'tasks' }: TaskTableProps) {
  const instances = variant === 'instances';
  const noun = instances ? 'instance' : 'task';
  const [win, setWin] = useState<TaskWindow<RunTask>>(() => seeded(seed, emptyWindow()));
  const [error, setError] = useState<unknown>(undefined);
  const [tick, setTick] = useState(0);
  const busy = useRef(false);
  const alive = useRef(true);
  const scroller = useRef<HTMLDivElement>(null);
  const count = rowCount(win, total);
  const virt = useVirtualizer({ count, getScrollElement: () => scroller.current, estimateSize: () => TASK_ROW_HEIGHT, overscan: 12 });
  const items = virt.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 30;
  const view = useRef({ first, last });
  view.current = { first, last };

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  // The first rows are on screen (the UI benchmark reads this mark).
  const painted = useRef(false);
  useEffect(() => {
    if (painted.current || win.loaded === 0) return;
    painted.current = true;
    requestAnimationFrame(() => requestAnimationFrame(() => performance.mark('kontroler:tasks:painted')));
  }, [win.loaded]);

  // A live refresh: the seed page is replaced, the other pages in view become stale.
  const seen = useRef(refreshKey);
  useEffect(() => {
    if (seen.current === refreshKey) return;
    seen.current = refreshKey;
    setWin((w) => seeded(seed, refreshed(w)));
  }, [refreshKey, seed]);

  // One request at a time, for what the view needs next.
  useEffect(() => {
    if (busy.current || error !== undefined) return;
    const req = nextRequest(win, first, last);
    if (!req) return;
    busy.current = true;
    fetchPage(req.cursor, req.limit)
      .then((res) => {
        if (alive.current) setWin((w) => evicted(withPage(w, req, res), view.current.first, view.current.last));
      })
      .catch((e: unknown) => {
        if (alive.current) setError(e);
      })
      .finally(() => {
        busy.current = false;
        if (alive.current) setTick((t) => t + 1);
      });
  }, [win, first, last, tick, error, fetchPage]);

  return (
    <div
      className={`task-table${instances ? ' instances' : ''}`}
      role="table"
      aria-label={instances ? 'Instances' : 'Tasks'}
      aria-rowcount={count}
      data-testid={instances ? 'instance-table' : 'task-table'}
      data-rows={count}
      data-loaded={win.loaded}
      {...(instances ? { style: { height: Math.min(INSTANCE_TABLE_MAX_HEIGHT, TASK_ROW_HEIGHT * (Math.max(1, count) + 1) + FOOT_HEIGHT) } } : {})}
    >
      {instances ? (
        <div className="task-row head" role="row">
          <span role="columnheader">#</span>
          <span role="columnheader">Item</span>
          <span role="columnheader">Status</span>
          <span role="columnheader">Attempts</span>
          <span role="columnheader">Duration</span>
        </div>
      ) : (
        <div className="task-row head" role="row">
          <span role="columnheader">Task</span>
          <span role="columnheader">Status</span>
          <span role="columnheader">Attempts</span>
          <span role="columnheader">Exit</span>
          <span role="columnheader">Duration</span>
          <span role="columnheader">Reason</span>
        </div>
      )}
      {error !== undefined ? (
        <div className="error-box" role="alert" style={{ margin: 10 }}>
          {errorText(error)}{' '}
          <button className="small" onClick={() => setError(undefined)}>
            Try again
          </button>
        </div>
      ) : null}
      <div className="task-scroll" ref={scroller} data-testid={instances ? 'instance-scroll' : 'task-scroll'}>
        {count === 0 ? <div className="muted" style={{ padding: '12px 14px' }}>{instances ? 'No instances.' : 'No task matches.'}</div> : null}
        <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
          {items.map((v) => {
            const t = rowAt(win, v.index);
            const style = { position: 'absolute' as const, top: 0, left: 0, right: 0, height: TASK_ROW_HEIGHT, transform: `translateY(${v.start}px)` };
            if (!t) {
              return (
                <div key={`p${v.index}`} className="task-row placeholder" role="row" aria-rowindex={v.index + 2} style={style} data-placeholder="">
                  <span className="skeleton" style={{ width: `${50 + ((v.index * 37) % 40)}%` }} />
                </div>
              );
            }
            const a = lastAttempt(t);
            if (instances) {
              return (
                <TaskRow key={t.name} task={t} rowIndex={v.index} selected={t.name === selected} style={style} onSelect={onSelect}>
                  <span role="cell" className="mono">
                    <button className="link" aria-label={`Open instance ${t.name}`}>
                      {t.index ?? v.index}
                    </button>
                  </span>
                  <span role="cell" className="mono" title={itemText(t.item)} data-item="">
                    {itemShort(t.item)}
                  </span>
                  <span role="cell">
                    <StatusBadge status={t.status} />
                  </span>
                  <span role="cell">{t.attempts.length || '—'}</span>
                  <span role="cell">{durationText(t, now)}</span>
                </TaskRow>
              );
            }
            return (
              <TaskRow key={t.name} task={t} rowIndex={v.index} selected={t.name === selected} style={style} onSelect={onSelect}>
                <span role="cell" className="name" title={t.name}>
                  {/* Enter or Space on the button clicks it, and the click reaches the row. */}
                  <button className="link" aria-label={`Open task ${t.name}`}>
                    {t.name}
                  </button>
                </span>
                <span role="cell">
                  <TaskStatusBadge task={t} />
                </span>
                <span role="cell">{t.attempts.length || '—'}</span>
                <span role="cell" className="mono">{a?.exitCode ?? '—'}</span>
                <span role="cell">{durationText(t, now)}</span>
                <span role="cell" className="muted reason" title={t.reason ?? undefined}>
                  {t.reason ?? ''}
                </span>
              </TaskRow>
            );
          })}
        </div>
      </div>
      <div className="task-table-foot muted" data-testid="task-table-foot">
        {footText(win, count, total, virt.range?.startIndex ?? first, virt.range?.endIndex ?? last, noun)}
      </div>
    </div>
  );
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** Where the view is: "rows 1–25 of 100,000", "10 tasks", or "1,200 so far…" while the size is unknown. */
function footText(w: TaskWindow<RunTask>, count: number, total: number | undefined, first: number, last: number, noun: string): string {
  if (isComplete(w) && count <= last + 1 && first === 0) return `${fmt(count)} ${noun}${count === 1 ? '' : 's'}`;
  const of = isComplete(w) || total !== undefined ? fmt(count) : `${fmt(w.loaded)} so far…`;
  return count === 0 ? '' : `rows ${fmt(first + 1)}–${fmt(Math.min(last + 1, count))} of ${of}`;
}
