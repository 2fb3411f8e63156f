// The list block of the list pages (DAGs, runs, users, tokens, audit): the error, then a card with
// a skeleton while loading, a note when the list is empty, else the table; and the pager.
import type { ReactNode } from 'react';
import { ErrorBox, Pager, Skeleton, type CursorPages } from './ui.js';

/** What a list query gives (TanStack Query's result fits). */
export interface ListResult<T> {
  isLoading: boolean;
  error: unknown;
  data?: { items: T[]; nextCursor?: string } | undefined;
}

export function ListCard<T>({
  list,
  label,
  empty,
  columns,
  row,
  pages,
}: {
  list: ListResult<T>;
  /** The table's accessible name. */
  label: string;
  /** Shown instead of an empty table; without it an empty list is an empty table. */
  empty?: ReactNode;
  /** The header cells. */
  columns: ReactNode;
  /** One `<tr>` (with its key) per item. */
  row: (item: T) => ReactNode;
  /** Keyset pages: shows the pager under the table. */
  pages?: CursorPages;
}) {
  return (
    <>
      <ErrorBox error={list.error} />
      <div className="card">
        {list.isLoading ? (
          <Skeleton />
        ) : empty !== undefined && list.data?.items.length === 0 ? (
          <div className="empty">{empty}</div>
        ) : (
          <table className="data" aria-label={label}>
            <thead>
              <tr>{columns}</tr>
            </thead>
            <tbody>{list.data?.items.map(row)}</tbody>
          </table>
        )}
        {pages ? <Pager page={pages.page} hasNext={Boolean(list.data?.nextCursor)} onPrev={pages.prev} onNext={() => pages.next(list.data?.nextCursor)} /> : null}
      </div>
    </>
  );
}
