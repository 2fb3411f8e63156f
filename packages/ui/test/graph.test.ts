import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cycleThrough, dagRefNames, graphFromRun, graphFromTasks, neighbourhood } from '../dist-lib/features/graph/model.js';
import { fastLayered, freeSpot, layoutGraph, NODE_WIDTH } from '../dist-lib/features/graph/layout.js';

test('graphFromTasks: one edge per runAfter, unknown and repeated targets dropped', () => {
  const g = graphFromTasks([{ name: 'a' }, { name: 'b', runAfter: ['a', 'a', 'nope'] }, { name: 'c', runAfter: ['a', 'b'] }]);
  assert.deepEqual(g.nodes.map((n) => n.id), ['a', 'b', 'c']);
  assert.deepEqual(g.edges, [{ source: 'a', target: 'b' }, { source: 'a', target: 'c' }, { source: 'b', target: 'c' }]);
});

test('graphFromRun: status, attempts and the exit code of a failed last attempt', () => {
  const at = (n: number, exitCode: number | null) => ({ attempt: n, status: exitCode === 0 ? 'succeeded' : 'failed', exitCode, reason: null, handle: null, createdAt: '2024-01-01T00:00:00Z', startedAt: null, finishedAt: null, durationMs: null, logSize: 0 });
  const g = graphFromRun({
    graph: { nodes: ['a', 'b'], edges: [{ from: 'a', to: 'b' }] },
    tasks: [
      { name: 'a', status: 'failed', reason: 'Error', retryAt: null, runAfter: [], image: 'alpine', attempts: [at(1, 3), at(2, 7)] },
      { name: 'b', status: 'skipped', reason: 'UpstreamFailed', retryAt: null, runAfter: ['a'], image: 'alpine', attempts: [] },
    ],
  });
  assert.deepEqual(g.nodes[0], { id: 'a', status: 'failed', attempts: 2, detail: 'exit 7' });
  assert.deepEqual(g.nodes[1], { id: 'b', status: 'skipped', attempts: 0, detail: 'UpstreamFailed: a' }, 'the skip names the failed upstream task');
  assert.deepEqual(g.edges, [{ source: 'a', target: 'b' }]);
});

test('cycleThrough names the cycle an edge would close, and nothing otherwise', () => {
  const edges = [{ source: 'a', target: 'b' }, { source: 'b', target: 'c' }];
  assert.deepEqual(cycleThrough(edges, 'c', 'a'), ['c', 'a', 'b', 'c']);
  assert.deepEqual(cycleThrough(edges, 'a', 'a'), ['a', 'a']);
  assert.equal(cycleThrough(edges, 'a', 'c'), undefined);
  assert.equal(cycleThrough(edges, 'c', 'd'), undefined);
});

test('neighbourhood: every ancestor and descendant', () => {
  const n = neighbourhood([{ source: 'a', target: 'b' }, { source: 'b', target: 'c' }, { source: 'x', target: 'c' }], 'b');
  assert.deepEqual([...n.upstream].sort(), ['a']);
  assert.deepEqual([...n.downstream].sort(), ['c']);
});

test('layoutGraph: dependencies go left to right, nodes never overlap, deterministic', () => {
  const g = graphFromTasks([{ name: 'a' }, { name: 'b', runAfter: ['a'] }, { name: 'c', runAfter: ['a'] }, { name: 'd', runAfter: ['b', 'c'] }]);
  const l = layoutGraph(g);
  const p = (id: string) => l.positions.get(id)!;
  assert.ok(p('a').x < p('b').x && p('b').x < p('d').x);
  assert.equal(p('b').x, p('c').x);
  assert.ok(Math.abs(p('b').y - p('c').y) >= l.nodeHeight);
  assert.deepEqual([...layoutGraph(g).positions], [...l.positions]);
  const tb = layoutGraph(g, { direction: 'TB' });
  assert.ok(tb.positions.get('a')!.y < tb.positions.get('d')!.y);
});

test('layoutGraph survives a cycle and an edge to nowhere', () => {
  const l = layoutGraph({ nodes: [{ id: 'a' }, { id: 'b' }], edges: [{ source: 'a', target: 'b' }, { source: 'b', target: 'a' }, { source: 'a', target: 'zz' }] });
  assert.equal(l.positions.size, 2);
});

test('layoutGraph lays out 1,000 tasks quickly and without overlaps in a rank', () => {
  const tasks = Array.from({ length: 1000 }, (_, i) => ({ name: `t${i}`, runAfter: i < 50 ? [] : [`t${i - 50}`, ...(i % 3 === 0 ? [`t${(i * 7) % 50 + Math.floor(i / 50 - 1) * 50}`] : [])] }));
  const t0 = performance.now();
  const l = layoutGraph(graphFromTasks(tasks));
  const ms = performance.now() - t0;
  assert.equal(l.positions.size, 1000);
  const seen = new Set<string>();
  for (const p of l.positions.values()) {
    const k = `${p.x},${p.y}`;
    assert.ok(!seen.has(k), `two nodes at ${k}`);
    seen.add(k);
  }
  assert.ok(ms < 2000, `layout took ${ms} ms`);
  // Every dependency points forward (left to right).
  for (const t of tasks) for (const r of t.runAfter) assert.ok(l.positions.get(r)!.x < l.positions.get(t.name)!.x);
});

test('fastLayered: ranks follow dependencies, a rank never overlaps, cycles still get a place', () => {
  const g = graphFromTasks([{ name: 'a' }, { name: 'b', runAfter: ['a'] }, { name: 'c', runAfter: ['a'] }, { name: 'd', runAfter: ['b', 'c'] }]);
  for (const direction of ['LR', 'TB'] as const) {
    const l = fastLayered(g, { direction });
    const along = (id: string) => (direction === 'LR' ? l.positions.get(id)!.x : l.positions.get(id)!.y);
    const across = (id: string) => (direction === 'LR' ? l.positions.get(id)!.y : l.positions.get(id)!.x);
    assert.ok(along('a') < along('b') && along('b') === along('c') && along('c') < along('d'));
    assert.ok(Math.abs(across('b') - across('c')) >= (direction === 'LR' ? l.nodeHeight : l.nodeWidth));
  }
  const cyc = fastLayered({ nodes: [{ id: 'x' }, { id: 'y' }, { id: 'z' }], edges: [{ source: 'x', target: 'y' }, { source: 'y', target: 'x' }] });
  assert.equal(cyc.positions.size, 3);
  assert.equal(new Set([...cyc.positions.values()].map((p) => `${p.x},${p.y}`)).size, 3);
});

test('freeSpot: right of the rightmost node, or where asked', () => {
  assert.deepEqual(freeSpot([]), { x: 0, y: 0 });
  assert.deepEqual(freeSpot([{ x: 0, y: 10 }, { x: 300, y: 40 }]), { x: 300 + NODE_WIDTH + 56, y: 40 });
  assert.deepEqual(freeSpot([{ x: 0, y: 0 }], { x: 5, y: 6 }), { x: 5, y: 6 });
});

test('dagRefNames reads the DAG of each dagRef task of a spec; graphFromRun marks dagRef tasks with it', () => {
  const refs = dagRefNames({ task: [{ name: 'sub', dagRef: { name: 'child' } }, { name: 'plain', image: 'alpine' }, 'junk', { name: 'bad', dagRef: {} }] });
  assert.deepEqual([...refs], [['sub', 'child']]);
  assert.equal(dagRefNames(undefined).size, 0);
  const g = graphFromRun(
    {
      graph: { nodes: ['sub', 'other', 'plain'], edges: [] },
      tasks: [
        { name: 'sub', status: 'running', reason: null, retryAt: null, runAfter: [], image: '', attempts: [], kind: 'dagRef' },
        { name: 'other', status: 'pending', reason: null, retryAt: null, runAfter: [], image: '', attempts: [], kind: 'dagRef' },
        { name: 'plain', status: 'pending', reason: null, retryAt: null, runAfter: [], image: 'alpine', attempts: [] },
      ],
    },
    refs,
  );
  assert.equal(g.nodes[0]?.subDag, 'child');
  assert.equal(g.nodes[1]?.subDag, '', 'a dagRef task whose DAG is not known yet');
  assert.equal(g.nodes[2]?.subDag, undefined);
});
