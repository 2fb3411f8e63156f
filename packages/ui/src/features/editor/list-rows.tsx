// A list edited as rows of text inputs (outputs, env, sub-DAG parameters, approval inputs, DAG
// outputs): add, edit, remove; each row's problems under it, named by row and column
// ("output 1 name: …"), the list's own problems (too many) under the list.
import { Fragment } from 'react';
import { ProblemList } from './field.js';
import { isUnder, problemsAt, type Located } from './data-flow-model.js';

export interface RowColumn<T> {
  key: string;
  label: string;
  placeholder?: string;
  /** Fixed width in px; without one the column takes the rest of the row. */
  width?: number;
  get: (row: T) => string;
}

export function ListRows<T>({
  label,
  hint,
  what,
  name,
  rows,
  columns,
  listAt,
  rowAt,
  problems,
  onEdit,
  onRemove,
  onAdd,
}: {
  label: string;
  hint?: string;
  /** One row, for labels and buttons: "output", "variable", "parameter", "input". */
  what: string;
  /** Input names are `${name}-${i}-${column}`. */
  name: string;
  rows: readonly T[];
  columns: ReadonlyArray<RowColumn<T>>;
  /** Where the list's problems are (`outputs`) and where row i's column is (`outputs[i].name`). */
  listAt: string;
  rowAt: (i: number, column?: string) => string;
  problems: readonly Located[];
  onEdit: (i: number, column: string, value: string) => void;
  onRemove: (i: number) => void;
  onAdd: () => void;
}) {
  const claimed = new Set<Located>();
  const rowsShown = rows.map((row, i) => {
    const all = problemsAt(problems, rowAt(i));
    all.forEach((p) => claimed.add(p));
    const byColumn = columns.map((c) => ({ c, list: columns.length === 1 ? all : all.filter((p) => isUnder(p.at, rowAt(i, c.key))) }));
    const rest = all.filter((p) => !byColumn.some((b) => b.list.includes(p)));
    return { row, i, byColumn, rest };
  });
  const listProblems = problemsAt(problems, listAt).filter((p) => !claimed.has(p));
  return (
    <div className="field" data-testid={`rows-${name}`}>
      <span>
        {label} {hint ? <span className="hint">{hint}</span> : null}
      </span>
      {rowsShown.map(({ row, i, byColumn, rest }) => (
        <Fragment key={i}>
          <div className="row">
            {byColumn.map(({ c, list }) => (
              <input
                key={c.key}
                name={`${name}-${i}-${c.key}`}
                aria-label={`${what} ${i + 1} ${c.label}`}
                aria-invalid={list.length > 0 ? true : undefined}
                placeholder={c.placeholder}
                className={[c.width ? '' : 'grow', list.length ? 'invalid' : ''].filter(Boolean).join(' ') || undefined}
                style={c.width ? { width: c.width } : { minWidth: 0 }}
                value={c.get(row)}
                onChange={(e) => onEdit(i, c.key, e.target.value)}
              />
            ))}
            <button type="button" className="small ghost" aria-label={`remove ${what} ${i + 1}`} onClick={() => onRemove(i)}>
              ✕
            </button>
          </div>
          {byColumn.map(({ c, list }) => (
            <ProblemList key={c.key} problems={list} prefix={columns.length === 1 ? `${what} ${i + 1}` : `${what} ${i + 1} ${c.label}`} />
          ))}
          <ProblemList problems={rest} prefix={`${what} ${i + 1}`} />
        </Fragment>
      ))}
      <ProblemList problems={listProblems} />
      <button type="button" className="small" style={{ alignSelf: 'flex-start' }} onClick={onAdd} data-testid={`add-${name}`}>
        + {what[0]!.toUpperCase()}
        {what.slice(1)}
      </button>
    </div>
  );
}
