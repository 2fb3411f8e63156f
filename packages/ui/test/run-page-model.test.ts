// Pure pieces of the run page for runs of any size: the task window over cursor pages (what to
// fetch, what to keep), the task filter and the counts, and the grouped graph of a large run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  emptyWindow, evicted, isComplete, nextRequest, pageOf, refreshed, rowAt, rowCount, rowsHeld, withPage,
  TASK_CATCH_UP_PAGE_SIZE, TASK_PAGE_SIZE, TASK_ROWS_KEPT, type PageRequest, type TaskWindow,
} from '../dist-lib/features/runs/task-window.js';
import { filteredTotal, taskFilterFromQuery, taskFilterIntoQuery, toggleStatus, MAX_PREFIX_LENGTH } from '../dist-lib/features/runs/task-filter.js';
import { hasAllTasks, isLargeRun, taskCountsOf } from '../dist-lib/features/runs/run-view.js';
import { reasonText } from '../dist-lib/features/runs/task-reason.js';
import type { RunDetail } from '@kontroler/client';
import { graphFromSummary, groupDetail, groupStatus } from '../dist-lib/features/graph/group-graph.js';

/** A keyset listing of the rows 0..n-1 that `keep` keeps; the cursor is the last row sent. */
function lister(n: number, keep: (i: number) => boolean = () => true) {
  const rows = Array.from({ length: n }, (_, i) => i).filter(keep);
  return (req: PageRequest) => {
    const after = req.cursor === undefined ? -1 : Number(req.cursor);
    let from = rows.findIndex((r) => r > after);
    if (from < 0) from = rows.length;
    const items = rows.slice(from, from + req.limit);
    return { items, ...(from + req.limit < rows.length ? { nextCursor: String(items[items.length - 1]) } : {}) };
  };
}

/** Fetches what the view first..last needs until nothing is left to fetch; returns the requests. */
function settle(w: TaskWindow<number>, first: number, last: number, list: ReturnType<typeof lister>): { w: TaskWindow<number>; requests: PageRequest[] } {
  const requests: PageRequest[] = [];
  for (;;) {
    const req = nextRequest(w, first, last);
    if (!req) return { w, requests };
    requests.push(req);
    assert.ok(requests.length < 10_000, 'settles');
    w = evicted(withPage(w, req, list(req)), first, last);
  }
}

/** Scrolls a 30-row view from the top to row `to`, fetching as it goes. */
function scrollTo(w: TaskWindow<number>, to: number, list: ReturnType<typeof lister>): TaskWindow<number> {
  for (let at = 0; at <= to; at += 30) w = settle(w, at, at + 30, list).w;
  return w;
}

test('task window: the first view fetches one page; rows are placeholders until fetched', () => {
  const list = lister(100_000);
  let w = emptyWindow<number>();
  assert.equal(rowCount(w, 100_000), 100_000);
  assert.equal(rowCount(w, undefined), 1, 'a loading row while the size is unknown');
  assert.equal(rowAt(w, 0), undefined);
  const r = settle(w, 0, 30, list);
  w = r.w;
  assert.deepEqual(r.requests, [{ page: 0, cursor: undefined, limit: TASK_PAGE_SIZE }]);
  assert.equal(rowAt(w, 0), 0);
  assert.equal(rowAt(w, TASK_PAGE_SIZE - 1), TASK_PAGE_SIZE - 1);
  assert.equal(rowAt(w, TASK_PAGE_SIZE), undefined);
  assert.equal(rowCount(w, undefined), TASK_PAGE_SIZE + 1);
});

test('task window: scrolling on fetches the next pages; a far jump catches up with big pages and keeps memory bounded', () => {
  const list = lister(100_000);
  let { w } = settle(emptyWindow<number>(), 0, 30, list);
  const next = settle(w, 190, 220, list);
  assert.deepEqual(next.requests, [{ page: 1, cursor: String(TASK_PAGE_SIZE - 1), limit: TASK_PAGE_SIZE }]);
  w = next.w;
  const far = settle(w, 60_000, 60_030, list);
  assert.ok(far.requests.slice(0, -1).every((q) => q.limit === TASK_CATCH_UP_PAGE_SIZE), 'catch-up pages are the big ones');
  w = far.w;
  for (let i = 60_000; i <= 60_030; i++) assert.equal(rowAt(w, i), i);
  assert.ok(rowsHeld(w) <= TASK_ROWS_KEPT + 2 * TASK_CATCH_UP_PAGE_SIZE, `rows held ${rowsHeld(w)}`);
  assert.equal(rowAt(w, 0), undefined, 'the first rows were dropped');
  // Back at the top: the dropped first page is fetched again with its own cursor and limit.
  const back = settle(w, 0, 30, list);
  assert.deepEqual(back.requests, [{ page: 0, cursor: undefined, limit: TASK_PAGE_SIZE }]);
  assert.equal(rowAt(back.w, 5), 5);
});

test('task window: the end of the listing is the truth; a refresh refetches only the pages in view', () => {
  const list = lister(450);
  let w = scrollTo(emptyWindow<number>(), 450, list);
  assert.deepEqual(w.pages.map((p) => p.count), [200, 200, 50]);
  assert.ok(isComplete(w));
  assert.equal(rowCount(w, 999), 450, 'counts that lag do not add rows past the end');
  assert.equal(nextRequest(w, 0, 500), undefined);
  w = refreshed(w);
  const again = settle(w, 0, 30, list);
  assert.deepEqual(again.requests.map((q) => q.page), [0], 'only the page in view');
  assert.equal(nextRequest(again.w, 0, 30), undefined);
  assert.equal(pageOf(again.w, 449), 2);
  assert.equal(pageOf(again.w, 450), -1);
});

test('task window: a refetched page with other rows (a status filter moved tasks) drops the pages after it', () => {
  let w = scrollTo(emptyWindow<number>(), 450, lister(1000, (i) => i % 2 === 0));
  assert.equal(w.pages.length, 3);
  w = refreshed(w);
  const req = nextRequest(w, 0, 10)!;
  const moved = lister(1000, (i) => i % 3 === 0);
  w = withPage(w, req, moved(req));
  assert.equal(w.pages.length, 1, 'later cursors no longer line up');
  // Same rows back: later pages are kept.
  let v = scrollTo(emptyWindow<number>(), 450, lister(1000));
  v = refreshed(v);
  const r2 = nextRequest(v, 0, 10)!;
  v = withPage(v, r2, lister(1000)(r2));
  assert.equal(v.pages.length, 3);
  // An answer for a page past the end (the window was reset meanwhile) is ignored.
  assert.equal(withPage(emptyWindow<number>(), { page: 3, cursor: 'x', limit: 10 }, { items: [1] }).pages.length, 0);
});

test('task window: at the row bound exactly, the rows of far pages are dropped and those near kept', () => {
  const list = lister(20_000);
  const { w } = settle(emptyWindow<number>(), 0, 20_000, list);
  assert.equal(rowsHeld(w), 20_000);
  const kept = evicted(w, 10_000, 10_000, TASK_ROWS_KEPT);
  assert.ok(rowsHeld(kept) <= TASK_ROWS_KEPT + 2 * TASK_CATCH_UP_PAGE_SIZE);
  assert.equal(rowAt(kept, 10_000), 10_000);
  assert.equal(rowAt(kept, 10_000 + TASK_ROWS_KEPT / 2 - 1), 10_000 + TASK_ROWS_KEPT / 2 - 1);
  assert.equal(rowAt(kept, 0), undefined);
  assert.equal(kept.loaded, 20_000, 'offsets stay');
});

test('task filter: query round trip, unknown statuses dropped, prefix bounded, totals from the counts', () => {
  const f = taskFilterFromQuery(new URLSearchParams('status=running,nope,failed,failed&prefix=shard-'));
  assert.deepEqual(f, { status: ['running', 'failed'], prefix: 'shard-' });
  assert.equal(taskFilterIntoQuery(new URLSearchParams('task=a'), f).toString(), 'task=a&status=running%2Cfailed&prefix=shard-');
  assert.equal(taskFilterIntoQuery(new URLSearchParams('status=x&prefix=y'), { status: [], prefix: '' }).toString(), '');
  assert.equal(taskFilterFromQuery(new URLSearchParams(`prefix=${'a'.repeat(MAX_PREFIX_LENGTH + 5)}`)).prefix.length, MAX_PREFIX_LENGTH);
  assert.deepEqual(toggleStatus(toggleStatus(f, 'pending'), 'running').status, ['pending', 'failed']);
  const counts = { pending: 5, running: 2, failed: 3 };
  assert.equal(filteredTotal(counts, 10, { status: [], prefix: '' }), 10);
  assert.equal(filteredTotal(counts, 10, { status: ['running', 'failed'], prefix: '' }), 5);
  assert.equal(filteredTotal(counts, 10, { status: ['running'], prefix: 'a' }), undefined);
});

test('run view: counts with every status, total, large when the graph is absent', () => {
  // A server that leaves zero counts out still gives every status.
  const partial: Record<string, number> = { failed: 2, running: 1 };
  const small = taskCountsOf({ taskCounts: partial as RunDetail['taskCounts'], taskTotal: 3 });
  assert.deepEqual(small, { counts: { pending: 0, waiting: 0, running: 1, succeeded: 0, failed: 2, skipped: 0, canceled: 0 }, total: 3 });
  const big = taskCountsOf({ taskCounts: { pending: 99_990, waiting: 0, running: 10, succeeded: 0, failed: 0, skipped: 0, canceled: 0 }, taskTotal: 100_000 });
  assert.equal(big.total, 100_000);
  assert.equal(big.counts.succeeded, 0);
  assert.equal(big.counts.running, 10);
  assert.equal(isLargeRun({}), true);
  assert.equal(isLargeRun({ graph: { nodes: [], edges: [] } }), false);
  assert.equal(hasAllTasks({}), true);
  assert.equal(hasAllTasks({ tasksNextCursor: 'c' }), false);
});

test('grouped graph: a node per group coloured by its worst status, self and unknown edges dropped', () => {
  assert.equal(groupStatus({ succeeded: 9, failed: 1 }, 10), 'failed');
  assert.equal(groupStatus({ succeeded: 9, running: 1 }, 10), 'running');
  assert.equal(groupStatus({ succeeded: 10 }, 10), 'succeeded');
  assert.equal(groupStatus({ succeeded: 5, pending: 5 }, 10), 'pending');
  assert.equal(groupStatus({ skipped: 10 }, 10), 'skipped');
  assert.equal(groupDetail({ succeeded: 990, failed: 10, pending: 0 }, 1000), '1,000 tasks · 10 failed · 990 succeeded');
  const g = graphFromSummary({
    groups: [{ id: 'extract', size: 50_000, counts: { succeeded: 50_000 } }, { id: 'load', size: 2, counts: { failed: 1, pending: 1 } }],
    edges: [{ from: 'extract', to: 'load' }, { from: 'load', to: 'load' }, { from: 'load', to: 'gone' }],
    tasks: 50_002,
  });
  assert.deepEqual(g.nodes.map((n) => [n.id, n.kind, n.size, n.status]), [['extract', 'group', 50_000, 'succeeded'], ['load', 'group', 2, 'failed']]);
  assert.deepEqual(g.edges, [{ source: 'extract', target: 'load' }]);
});

test('a skip reason reads in words and keeps the reason', () => {
  assert.equal(reasonText('ConditionFalse'), 'condition false (its when expression was false)');
  assert.equal(reasonText('UpstreamSkipped: gate'), 'upstream task gate was skipped (UpstreamSkipped: gate)');
  assert.equal(reasonText('UpstreamCanceled: a'), 'upstream task a was canceled (UpstreamCanceled: a)');
  assert.equal(reasonText('UpstreamFailed'), 'UpstreamFailed');
});
