// The run graph's pure parts: tasks of a rank in declaration order (unless that adds crossings),
// durations and a skip's failed upstream on the nodes, the legend of the state colours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunTask } from '@kontroler/client';
import { fastLayered, layoutGraph } from '../dist-lib/features/graph/layout.js';
import { graphFromRun, type Graph } from '../dist-lib/features/graph/model.js';
import { legendEntries } from '../dist-lib/features/graph/legend.js';
import { explainReason, reasonText } from '../dist-lib/features/runs/task-reason.js';

const graph = (names: string[], edges: Array<[string, string]>): Graph => ({ nodes: names.map((id) => ({ id })), edges: edges.map(([source, target]) => ({ source, target })) });
/** Ids top to bottom (LR layout) among `ids`. */
const topToBottom = (l: { positions: Map<string, { x: number; y: number }> }, ids: string[]) => [...ids].sort((a, b) => l.positions.get(a)!.y - l.positions.get(b)!.y);

test('a fan-out is drawn in declaration order, top to bottom (dagre and the fast layout)', () => {
  const g = graph(['a', 'b', 'c', 'd', 'e'], [['a', 'b'], ['a', 'c'], ['a', 'd'], ['b', 'e'], ['c', 'e'], ['d', 'e']]);
  assert.deepEqual(topToBottom(layoutGraph(g), ['b', 'c', 'd']), ['b', 'c', 'd']);
  assert.deepEqual(topToBottom(fastLayered(g), ['b', 'c', 'd']), ['b', 'c', 'd']);
  const wide = graph(['root', ...Array.from({ length: 8 }, (_, i) => `t${i}`)], Array.from({ length: 8 }, (_, i): [string, string] => ['root', `t${i}`]));
  const ids = Array.from({ length: 8 }, (_, i) => `t${i}`);
  assert.deepEqual(topToBottom(layoutGraph(wide), ids), ids);
  // TB: left to right.
  const tb = layoutGraph(g, { direction: 'TB' });
  assert.deepEqual(['b', 'c', 'd'].sort((x, y) => tb.positions.get(x)!.x - tb.positions.get(y)!.x), ['b', 'c', 'd']);
});

test('declaration order gives way when it would cross edges dagre keeps apart', () => {
  // a1 → y and a2 → x, declared x before y: x on top would cross the two edges.
  const g = graph(['a1', 'a2', 'x', 'y'], [['a1', 'y'], ['a2', 'x']]);
  const l = layoutGraph(g);
  const a = topToBottom(l, ['a1', 'a2']);
  const b = topToBottom(l, ['x', 'y']);
  assert.deepEqual([a.indexOf('a1') < a.indexOf('a2'), b.indexOf('y') < b.indexOf('x')], [true, true], `no crossing: ${JSON.stringify([...l.positions])}`);
});

function task(name: string, status: string, runAfter: string[], extra: Partial<RunTask> = {}): RunTask {
  return { name, status, runAfter, reason: null, attempts: [], image: 'alpine', ...extra } as unknown as RunTask;
}
const attempt = (durationMs: number | null, exitCode: number | null) => ({ attempt: 1, status: exitCode === 0 ? 'succeeded' : 'failed', exitCode, durationMs, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z' });

test('run graph nodes: the last attempt\'s duration once ended; a skip after a failure names the failed task, through other skips', () => {
  const tasks = [
    task('a', 'succeeded', [], { attempts: [attempt(1500, 0)] as never }),
    task('b', 'failed', ['a'], { attempts: [attempt(200, 2)] as never }),
    task('c', 'skipped', ['a', 'b'], { reason: 'UpstreamFailed' }),
    task('d', 'skipped', ['c'], { reason: 'UpstreamFailed' }),
    task('r', 'running', [], { attempts: [{ ...attempt(null, null), finishedAt: null }] as never }),
  ];
  const g = graphFromRun({ graph: { nodes: tasks.map((t) => t.name), edges: [{ from: 'a', to: 'b' }, { from: 'a', to: 'c' }, { from: 'b', to: 'c' }, { from: 'c', to: 'd' }] }, tasks });
  const node = (id: string) => g.nodes.find((n) => n.id === id)!;
  assert.equal(node('a').durationMs, 1500);
  assert.equal(node('b').durationMs, 200);
  assert.equal(node('r').durationMs, undefined, 'a running task has no duration yet');
  assert.equal(node('c').detail, 'UpstreamFailed: b');
  assert.equal(node('d').detail, 'UpstreamFailed: b', 'found through the skipped c');
  const byName = new Map(tasks.map((t) => [t.name, t]));
  assert.equal(explainReason(tasks[3]!, byName), 'UpstreamFailed: b');
  assert.equal(explainReason(task('z', 'skipped', ['gone'], { reason: 'UpstreamFailed' }), byName), 'UpstreamFailed', 'an unknown upstream leaves the reason as it is');
  assert.equal(explainReason(task('y', 'skipped', [], { reason: 'ConditionFalse' }), byName), 'ConditionFalse');
  assert.equal(reasonText('UpstreamFailed: b'), 'upstream task b failed (UpstreamFailed: b)');
  assert.equal(reasonText('MarkedSucceeded: by ann'), 'marked succeeded by ann (MarkedSucceeded: by ann)');
});

test('the legend has one entry per colour, naming every task status once, and the approval colour', () => {
  const l = legendEntries();
  assert.deepEqual(l.map((e) => e.label), ['pending · waiting', 'running', 'succeeded', 'failed', 'skipped · canceled', 'awaiting approval']);
  assert.equal(new Set(l.map((e) => e.tone)).size, l.length);
});

test('explaining every skip of a long chain names the failed root for each, each task walked once', () => {
  const n = 2000;
  const tasks = [task('t0', 'failed', []), ...Array.from({ length: n - 1 }, (_, i) => task(`t${i + 1}`, 'skipped', [`t${i}`], { reason: 'UpstreamFailed' }))];
  const reversed = [...tasks].reverse(); // the deepest first: one walk fills the memo for the rest
  const t0 = performance.now();
  const g = graphFromRun({ graph: { nodes: reversed.map((t) => t.name), edges: [] }, tasks: reversed });
  const ms = performance.now() - t0;
  assert.ok(g.nodes.filter((x) => x.id !== 't0').every((x) => x.detail === 'UpstreamFailed: t0'));
  assert.ok(ms < 1000, `${ms} ms`);
});
