// Above the task table: the name-prefix filter (applied after a short pause in typing), how many
// tasks the filter shows when the counts tell, and a way back to every task.
import { useEffect, useRef, useState } from 'react';
import { useDebounced } from '../../lib/ui.js';
import { MAX_PREFIX_LENGTH, type TaskFilter } from './task-filter.js';

/** Pause in typing before the prefix filter applies (ms). */
export const PREFIX_DEBOUNCE_MS = 250;

export function TaskFilterBar({ filter, onChange, onClear, shown, filtered }: { filter: TaskFilter; onChange: (f: TaskFilter) => void; onClear: () => void; shown: number | undefined; filtered: boolean }) {
  const [text, setText] = useState(filter.prefix);
  const typed = useDebounced(text, PREFIX_DEBOUNCE_MS);
  const sent = useRef(filter.prefix);
  useEffect(() => {
    if (typed === sent.current) return;
    sent.current = typed;
    onChange({ ...filter, prefix: typed });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [typed]);
  // The prefix changed elsewhere (a group clicked in the graph, filters cleared): show it.
  useEffect(() => {
    if (filter.prefix === sent.current) return;
    sent.current = filter.prefix;
    setText(filter.prefix);
  }, [filter.prefix]);
  return (
    <div className="row task-filter-bar">
      <input
        type="search"
        aria-label="Filter tasks by name prefix"
        placeholder="Task name starts with…"
        value={text}
        maxLength={MAX_PREFIX_LENGTH}
        onChange={(e) => setText(e.target.value)}
        style={{ width: 260 }}
      />
      <span className="muted" data-testid="task-shown">
        {shown !== undefined ? `${shown.toLocaleString('en-US')} task${shown === 1 ? '' : 's'}` : `tasks whose name starts with “${filter.prefix}”`}
        {filter.status.length > 0 ? ` · ${filter.status.join(', ')}` : ''}
      </span>
      <span className="grow" />
      {filtered ? (
        <button className="small" onClick={onClear}>
          Clear filters
        </button>
      ) : null}
    </div>
  );
}
