// The rows of a run's task table as a window over cursor pages (pure). The API lists a run's
// tasks in definition order by cursor; the table keeps, for every page it has seen, the cursor
// that fetches it and how many rows it had, and the rows themselves only for pages near the view.
// So a 100,000-task run costs the memory of a few thousand rows, rows scrolled back to are
// fetched again with their page's cursor, and a live refresh fetches only the pages in view.

/** Rows per request while scrolling. */
export const TASK_PAGE_SIZE = 200;
/** Rows per request while catching up with a scroll far past the loaded rows (the API's most). */
export const TASK_CATCH_UP_PAGE_SIZE = 1000;
/** Rows kept in memory around the view (pages farther away keep only their cursor and size). */
export const TASK_ROWS_KEPT = 4000;

export interface WindowPage<T> {
  /** The cursor that fetches this page; undefined for the first page. */
  cursor: string | undefined;
  /** The `limit` it was fetched with (a refetch asks for the same rows). */
  limit: number;
  /** Rows it had when last fetched (kept when the rows are dropped, so offsets stay). */
  count: number;
  /** The rows, or undefined once dropped (far from the view). */
  items: readonly T[] | undefined;
  /** Cursor of the next page; undefined: this is the last page. */
  next: string | undefined;
  /** Refresh generation it was fetched in: older than the window's means stale. */
  gen: number;
}

export interface TaskWindow<T> {
  readonly pages: readonly WindowPage<T>[];
  /** First row of every page (same length as pages). */
  readonly starts: readonly number[];
  /** Rows of every page seen so far. */
  readonly loaded: number;
  /** Bumped by `refreshed`: pages in view fetched before it are fetched again. */
  readonly gen: number;
}

export interface PageRequest {
  page: number;
  cursor: string | undefined;
  limit: number;
}

export interface PageResult<T> {
  items: readonly T[];
  nextCursor?: string | undefined;
}

function make<T>(pages: readonly WindowPage<T>[], gen: number): TaskWindow<T> {
  const starts: number[] = [];
  let at = 0;
  for (const p of pages) {
    starts.push(at);
    at += p.count;
  }
  return { pages, starts, loaded: at, gen };
}

export function emptyWindow<T>(): TaskWindow<T> {
  return make<T>([], 0);
}

/** True once the last page is known (nothing more to fetch after it). */
export function isComplete<T>(w: TaskWindow<T>): boolean {
  const last = w.pages[w.pages.length - 1];
  return last !== undefined && last.next === undefined;
}

/**
 * Rows the table shows: `total` when the counts tell it (rows not fetched yet are placeholders),
 * else the rows seen plus one "loading" row while more pages exist. Once the last page was seen,
 * the rows seen are the truth.
 */
export function rowCount<T>(w: TaskWindow<T>, total: number | undefined): number {
  if (isComplete(w)) return w.loaded;
  return total !== undefined ? Math.max(total, w.loaded) : w.loaded + 1;
}

/** The page holding row `index`, or -1 when the row lies past the pages seen. */
export function pageOf<T>(w: TaskWindow<T>, index: number): number {
  if (index < 0 || index >= w.loaded) return -1;
  let lo = 0;
  let hi = w.starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (w.starts[mid]! <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Row `index`, or undefined while it is not fetched (or was dropped). */
export function rowAt<T>(w: TaskWindow<T>, index: number): T | undefined {
  const p = pageOf(w, index);
  if (p < 0) return undefined;
  return w.pages[p]!.items?.[index - w.starts[p]!];
}

/**
 * What to fetch next for rows `first..last` in view: a page in view that is missing or stale
 * (refetched with its own cursor and limit), else the page after the last one seen while the
 * view reaches past it (a bigger page when it reaches far), else nothing.
 */
export function nextRequest<T>(w: TaskWindow<T>, first: number, last: number): PageRequest | undefined {
  const a = Math.max(0, first);
  const from = pageOf(w, a);
  if (from >= 0) {
    for (let i = from; i < w.pages.length && w.starts[i]! <= last; i++) {
      const p = w.pages[i]!;
      if (p.items === undefined || p.gen < w.gen) return { page: i, cursor: p.cursor, limit: p.limit };
    }
  }
  if (last < w.loaded || isComplete(w)) return undefined;
  const tail = w.pages[w.pages.length - 1];
  return {
    page: w.pages.length,
    cursor: tail?.next,
    limit: last - w.loaded >= TASK_PAGE_SIZE ? TASK_CATCH_UP_PAGE_SIZE : TASK_PAGE_SIZE,
  };
}

/**
 * The window with page `page` (re)placed by `result`. A page that came back with other rows
 * (a status filter: tasks moved in or out) drops every page after it, whose cursors no longer
 * line up. A result for a page past the end (an answer to a window that was reset) is ignored.
 */
export function withPage<T>(w: TaskWindow<T>, req: Pick<PageRequest, 'page' | 'cursor' | 'limit'>, result: PageResult<T>): TaskWindow<T> {
  if (req.page > w.pages.length) return w;
  const old = w.pages[req.page];
  if (old && old.cursor !== req.cursor) return w;
  const page: WindowPage<T> = { cursor: req.cursor, limit: req.limit, count: result.items.length, items: result.items, next: result.nextCursor, gen: w.gen };
  const shifted = !old || old.count !== page.count || old.next !== page.next;
  const pages = [...w.pages.slice(0, req.page), page, ...(shifted ? [] : w.pages.slice(req.page + 1))];
  return make(pages, w.gen);
}

/** Pages in view become stale (a live refresh); nothing is fetched until they are in view. */
export function refreshed<T>(w: TaskWindow<T>): TaskWindow<T> {
  return make(w.pages, w.gen + 1);
}

/** Drops the rows of pages farther than TASK_ROWS_KEPT / 2 from rows `first..last`. */
export function evicted<T>(w: TaskWindow<T>, first: number, last: number, keep = TASK_ROWS_KEPT): TaskWindow<T> {
  const lo = first - keep / 2;
  const hi = last + keep / 2;
  let changed = false;
  const pages = w.pages.map((p, i) => {
    const start = w.starts[i]!;
    const far = start + p.count <= lo || start > hi;
    if (!far || p.items === undefined) return p;
    changed = true;
    return { ...p, items: undefined };
  });
  return changed ? make(pages, w.gen) : w;
}

/** Rows held in memory (for the bound's test). */
export function rowsHeld<T>(w: TaskWindow<T>): number {
  return w.pages.reduce((a, p) => a + (p.items?.length ?? 0), 0);
}
