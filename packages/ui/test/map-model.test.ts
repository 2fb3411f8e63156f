// The pure parts of the fan-out UI: a mapped task's node in the run graph (its progress, its
// instances left out), and how the run page names and shows instances.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunTask } from '@kontroler/client';
import { graphFromRun, mapProgress, mapProgressText } from '../dist-lib/features/graph/model.js';
import { instanceName, instanceRef, itemShort, itemText, ITEM_CHARS } from '../dist-lib/features/runs/instances.js';

const task = (t: Partial<RunTask> & Pick<RunTask, 'name' | 'status'>): RunTask => ({ reason: null, retryAt: null, runAfter: [], image: 'alpine', attempts: [], ...t });

test('mapProgress: finished instances are done (succeeded, failed, skipped, canceled); running and failed counted apart', () => {
  assert.deepEqual(mapProgress({ instances: 5, instanceCounts: { succeeded: 2, failed: 1, running: 1, pending: 1 } }), { total: 5, done: 3, running: 1, failed: 1 });
  assert.deepEqual(mapProgress({ instances: 4, instanceCounts: { skipped: 1, canceled: 3 } }), { total: 4, done: 4, running: 0, failed: 0 });
  assert.deepEqual(mapProgress({ instances: 0, instanceCounts: {} }), { total: 0, done: 0, running: 0, failed: 0 });
  assert.deepEqual(mapProgress({}), { total: undefined, done: 0, running: 0, failed: 0 });
});

test('mapProgressText: done of total, or items pending before the expansion', () => {
  assert.equal(mapProgressText({ total: 5, done: 3, running: 1, failed: 1 }), '3/5 done');
  assert.equal(mapProgressText({ total: 12000, done: 1500, running: 0, failed: 0 }), '1,500/12,000 done');
  assert.equal(mapProgressText({ total: 0, done: 0, running: 0, failed: 0 }), '0/0 done');
  assert.equal(mapProgressText({ total: undefined, done: 0, running: 0, failed: 0 }), 'items pending');
});

test('graphFromRun: a mapped task is one node with its progress; a failed one shows its reason', () => {
  const g = graphFromRun({
    graph: { nodes: ['list', 'process', 'sum'], edges: [{ from: 'list', to: 'process' }, { from: 'process', to: 'sum' }] },
    tasks: [
      task({ name: 'list', status: 'succeeded' }),
      task({ name: 'process', status: 'failed', reason: '2 of 5 instances failed', kind: 'map', instances: 5, instanceCounts: { succeeded: 3, failed: 2 } }),
      task({ name: 'sum', status: 'skipped', reason: 'UpstreamFailed' }),
    ],
  });
  assert.deepEqual(g.nodes[1], { id: 'process', status: 'failed', attempts: 0, detail: '5/5 done · 2 of 5 instances failed', map: { total: 5, done: 5, running: 0, failed: 2 } });
  assert.equal(g.nodes[0]!.map, undefined);
  assert.deepEqual(g.edges, [{ source: 'list', target: 'process' }, { source: 'process', target: 'sum' }]);
  const before = graphFromRun({ graph: { nodes: ['process'], edges: [] }, tasks: [task({ name: 'process', status: 'pending', kind: 'map' })] });
  assert.deepEqual(before.nodes[0], { id: 'process', status: 'pending', attempts: 0, detail: 'items pending', map: { total: undefined, done: 0, running: 0, failed: 0 } });
});

test('instanceRef / instanceName: NAME[i] names instance i of NAME; task names (no brackets) are not instances', () => {
  assert.deepEqual(instanceRef('process[12]'), { mapOf: 'process', index: 12 });
  assert.deepEqual(instanceRef('a.b-c[0]'), { mapOf: 'a.b-c', index: 0 });
  assert.equal(instanceRef('process'), undefined);
  assert.equal(instanceRef('process[]'), undefined);
  assert.equal(instanceRef('process[1]x'), undefined);
  assert.equal(instanceRef('[1]'), undefined);
  assert.equal(instanceName('process', 3), 'process[3]');
  assert.deepEqual(instanceRef(instanceName('x', 7)), { mapOf: 'x', index: 7 });
});

test('itemText / itemShort: a string as it is, other items as JSON, cut at ITEM_CHARS', () => {
  assert.equal(itemText('a'), 'a');
  assert.equal(itemText(3), '3');
  assert.equal(itemText(null), 'null');
  assert.equal(itemText({ f: 'x.csv', n: 2 }), '{"f":"x.csv","n":2}');
  assert.equal(itemShort('line1\nline2'), 'line1⏎line2');
  const long = 'x'.repeat(ITEM_CHARS + 10);
  const cut = itemShort(long);
  assert.equal(cut.length, ITEM_CHARS);
  assert.ok(cut.endsWith('…'));
  assert.equal(itemShort('x'.repeat(ITEM_CHARS)), 'x'.repeat(ITEM_CHARS), 'exactly ITEM_CHARS is not cut');
});
