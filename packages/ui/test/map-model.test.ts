// The pure parts of the fan-out UI: a mapped task's node in the run graph (its progress, its
// instances left out), and how the run page names and shows instances.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunTask } from '@kontroler/client';
import { graphFromRun, mapProgress, mapProgressText } from '../dist-lib/features/graph/model.js';
import { instanceName, instanceRef, instanceStatusFromQuery, instanceStatusIntoQuery, itemShort, itemText, ITEM_CHARS } from '../dist-lib/features/runs/instances.js';
import { GANTT_MAX_LANES, ganttModel, ganttRowHeight, packLanes } from '../dist-lib/features/runs/gantt.js';

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

test('the instances filter in ?istatus=: known statuses in status order, removed when empty', () => {
  assert.deepEqual(instanceStatusFromQuery(new URLSearchParams('istatus=failed,bogus,running,failed')), ['running', 'failed']);
  assert.deepEqual(instanceStatusFromQuery(new URLSearchParams('status=failed')), [], 'the run\'s task filter is another parameter');
  const p = instanceStatusIntoQuery(new URLSearchParams('task=process&istatus=failed'), ['pending', 'failed']);
  assert.equal(p.toString(), 'task=process&istatus=pending%2Cfailed');
  assert.equal(instanceStatusIntoQuery(p, []).toString(), 'task=process');
});

const T0 = Date.parse('2024-05-01T10:00:00Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();
const attempt = (n: number, start: number, end: number | null, status = 'succeeded') => ({
  attempt: n, status, exitCode: end === null ? null : 0, reason: null, handle: null, createdAt: iso(start), startedAt: iso(start), finishedAt: end === null ? null : iso(end), durationMs: null, logSize: 0,
});

test('packLanes: a bar takes the first lane free when it starts; past the most lanes, the one that frees first', () => {
  assert.deepEqual(packLanes([{ start: 0, end: 10 }, { start: 0, end: 5 }, { start: 5, end: 8 }, { start: 10, end: 12 }]), { lanes: [0, 1, 1, 0], count: 2 });
  assert.deepEqual(packLanes([]), { lanes: [], count: 1 });
  const many = packLanes(Array.from({ length: 20 }, (_, i) => ({ start: 0, end: 100 + i })));
  assert.equal(many.count, GANTT_MAX_LANES);
  assert.ok(many.lanes.every((l) => l >= 0 && l < GANTT_MAX_LANES));
});

test('gantt: a mapped task is one row with its instances\' attempts as bars in lanes; without instances read it has none', () => {
  const tasks = [
    task({ name: 'list', status: 'succeeded', attempts: [attempt(1, 0, 1000)] }),
    task({ name: 'process', status: 'running', kind: 'map', instances: 3, instanceCounts: { succeeded: 1, running: 2 } }),
    task({ name: 'sum', status: 'pending', runAfter: ['process'] }),
  ];
  const inst = new Map([['process', [
    task({ name: 'process[0]', status: 'succeeded', kind: 'instance', mapOf: 'process', index: 0, attempts: [attempt(1, 1000, 3000)] }),
    task({ name: 'process[1]', status: 'running', kind: 'instance', mapOf: 'process', index: 1, attempts: [attempt(1, 1000, 2000, 'failed'), attempt(2, 2500, null, 'running')] }),
  ]]]);
  const g = ganttModel(tasks, T0 + 10_000, T0, inst);
  assert.deepEqual(g.rows.map((r) => r.task), ['list', 'process', 'sum'], 'instances are not rows of their own');
  const p = g.rows[1]!;
  assert.deepEqual(p.instances, { shown: 2, total: 3 });
  assert.deepEqual(p.bars.map((b) => [b.task, b.attempt, b.status, b.lane]), [
    ['process[0]', 1, 'succeeded', 0],
    ['process[1]', 1, 'failed', 1],
    ['process[1]', 2, 'running', 1],
  ]);
  assert.equal(p.lanes, 2);
  assert.equal(p.bars[2]!.left + p.bars[2]!.width, 1, 'a running instance ends at now');
  assert.ok(ganttRowHeight(p) >= 28);
  assert.deepEqual([g.rows[0]!.lanes, g.rows[0]!.instances, g.rows[0]!.bars[0]!.task], [1, undefined, 'list']);
  const none = ganttModel(tasks, T0 + 10_000, T0);
  assert.deepEqual([none.rows[1]!.bars.length, none.rows[1]!.instances], [0, { shown: 0, total: 3 }]);
});
