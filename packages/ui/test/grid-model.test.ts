import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellHref, cellLabel, countsText, gridLayout, outcomeStrip } from '../dist-lib/features/dags/grid-model.js';

const counts = { pending: 0, ready: 0, running: 0, retrying: 0, succeeded: 0, failed: 0, skipped: 0, canceled: 0 } as never;

test('the grid is drawn oldest run on the left: columns and each row reversed together', () => {
  const run = (id: number, status: 'succeeded' | 'failed') => ({ id, status, dagVersion: 1, createdAt: '2026-01-01T00:00:00Z', startedAt: null, finishedAt: null, taskTotal: 2, taskCounts: counts });
  const g = gridLayout({
    runs: [run(3, 'succeeded'), run(2, 'failed'), run(1, 'succeeded')],
    tasks: [
      { name: 'a', states: ['succeeded', 'failed', 'succeeded'] },
      { name: 'new', states: ['running', null, null] },
    ],
  });
  assert.deepEqual(g.columns.map((c) => c.id), [1, 2, 3]);
  assert.equal(g.columns[0]!.summary, '');
  assert.deepEqual(g.rows, [
    { name: 'a', cells: ['succeeded', 'failed', 'succeeded'] },
    { name: 'new', cells: [null, null, 'running'] },
  ]);
});

test('a cell opens its run with the task selected; the strip runs oldest to newest', () => {
  assert.equal(cellHref(12, 'load[3]'), '/runs/12?task=load%5B3%5D');
  assert.equal(cellLabel(12, 'load', 'failed'), 'load in run #12: failed');
  assert.equal(cellLabel(12, 'load', null), 'load in run #12: not in this run');
  assert.deepEqual(outcomeStrip([{ id: 3 }, { id: 2 }, { id: 1 }]).map((r) => r.id), [1, 2, 3]);
  assert.deepEqual(outcomeStrip(undefined), []);
  assert.equal(countsText({ pending: 0, succeeded: 12, failed: 1, skipped: 3 }), '12 succeeded, 3 skipped, 1 failed');
});
