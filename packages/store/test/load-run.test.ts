// Loading a run: the definition cache (bounded LRU by versions and by tasks), the active attempts
// a resume walks, and times read back as epoch ms.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from '@kontroler/engine';
import { DEFINITION_CACHE_MAX_ENTRIES, DEFINITION_CACHE_MAX_TASKS, DefinitionCache, claimRuns, createRun, loadRun, saveDag, saveRunState } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { chainDefinition } from './definitions.js';

const defOf = (n: number) => chainDefinition(`d${n}`, Array.from({ length: n }, (_, i) => `t${i}`));

describe('DefinitionCache', () => {
  test('keeps at most maxEntries versions, dropping the least recently used', () => {
    const c = new DefinitionCache({ maxEntries: 2 });
    const [a, b, x] = [defOf(1), defOf(2), defOf(3)];
    c.set(1, 1, a);
    c.set(1, 2, b);
    assert.equal(c.get(1, 1), a, 'a is now the most recently used');
    c.set(2, 1, x);
    assert.deepEqual([c.size, c.get(1, 2), c.get(1, 1), c.get(2, 1)], [2, undefined, a, x]);
  });

  test('keeps at most maxTasks tasks: exactly the limit stays, one more evicts; a definition over it alone is not kept', () => {
    const c = new DefinitionCache({ maxTasks: 10 });
    c.set(1, 1, defOf(4));
    c.set(1, 2, defOf(6));
    assert.deepEqual([c.size, c.tasks], [2, 10], 'at the limit');
    c.set(1, 3, defOf(1));
    assert.deepEqual([c.size, c.tasks, c.get(1, 1)], [2, 7, undefined], 'one over: the oldest goes');
    c.set(9, 9, defOf(11));
    assert.deepEqual([c.get(9, 9), c.size, c.tasks], [undefined, 2, 7]);
    c.set(1, 2, defOf(2));
    assert.deepEqual([c.size, c.tasks], [2, 3], 'setting a kept version again replaces it');
  });

  test('defaults are the named limits', () => {
    const c = new DefinitionCache();
    for (let i = 0; i < DEFINITION_CACHE_MAX_ENTRIES + 1; i++) c.set(i, 1, defOf(1));
    assert.equal(c.size, DEFINITION_CACHE_MAX_ENTRIES);
    assert.equal(c.get(0, 1), undefined);
    c.set(100, 1, { ...defOf(1), tasks: new Array(DEFINITION_CACHE_MAX_TASKS + 1).fill(defOf(1).tasks[0]) });
    assert.equal(c.get(100, 1), undefined);
  });
});

describe('loadRun', () => {
  let db: TestDatabase;
  before(async () => { db = await createTestDatabase(); });
  after(async () => { await db.drop(); });

  test('with a cache, the definition of a version already loaded is not read again', async () => {
    const d = chainDefinition('cached', ['a', 'b']);
    const saved = await saveDag(db.pool, { namespace: 'default', name: 'cached', spec: {}, definition: d, hash: 'h-cached', source: 'test' });
    const mk = async () => (await createRun(db.pool, { dagId: saved.dag.id, dagVersion: saved.version, namespace: 'default', dagName: 'cached', trigger: 'manual', parameters: {} })).run;
    const [r1, r2] = [await mk(), await mk()];
    const cache = new DefinitionCache();
    const l1 = (await loadRun(db.pool, r1.id, { definitions: cache }))!;
    assert.equal(cache.size, 1);
    // Change the stored snapshot behind the cache's back (versions never change: only a test does this).
    await db.pool.query(`update dag_versions set definition = jsonb_set(definition, '{tasks,0,image}', '"changed"') where dag_id = $1`, [saved.dag.id]);
    const l2 = (await loadRun(db.pool, r2.id, { definitions: cache }))!;
    assert.equal(l2.definition, l1.definition, 'one parsed definition shared by both runs');
    assert.equal(l2.definition.tasks[0]?.image, 'alpine');
    assert.equal((await loadRun(db.pool, r2.id))!.definition.tasks[0]?.image, 'changed', 'without the cache it is read');
    assert.equal(await loadRun(db.pool, 999_999, { definitions: cache }), undefined);
  });

  test('active lists the tasks whose last attempt is starting or running; times come back as epoch ms', async () => {
    const d = chainDefinition('active', ['a', 'b', 'c']);
    d.tasks[2] = { ...d.tasks[2]!, runAfter: [] };
    const saved = await saveDag(db.pool, { namespace: 'default', name: 'active', spec: {}, definition: d, hash: 'h-active', source: 'test' });
    const { run } = await createRun(db.pool, { dagId: saved.dag.id, dagVersion: saved.version, namespace: 'default', dagName: 'active', trigger: 'manual', parameters: {} });
    await claimRuns(db.pool, 'owner-a', 60_000, 10);
    let s = (await loadRun(db.pool, run.id))!.state;
    for (const [ev, at] of [[{ type: 'run:tick' }, 1000], [{ type: 'attempt:exited', task: 'a', attempt: 1, at: 1234, exitCode: 0 }, 1234]] as const) {
      const r = decide(d, s, ev, at);
      await saveRunState(db.pool, { runId: run.id, owner: 'owner-a', prev: s, next: r.state, changed: r.changed });
      s = r.state;
    }
    const l = (await loadRun(db.pool, run.id))!;
    assert.deepEqual([...l.active].sort(), ['b', 'c']);
    assert.deepEqual(l.state.tasks.get('a')?.attempts, [{ attempt: 1, status: 'succeeded', createdAt: 1000, startedAt: 1234, finishedAt: 1234, exitCode: 0, reason: 'Completed' }]);
    assert.deepEqual(l.state.tasks.get('b')?.attempts, [{ attempt: 1, status: 'starting', createdAt: 1234 }]);
    assert.deepEqual([...l.state.tasks.keys()], ['a', 'b', 'c'], 'definition order');
    assert.equal(l.state.startedAt, 1000);
  });

  test('data flow round trip: attempt outputs and resolved references, the run outputs', async () => {
    const base = chainDefinition('flow', ['a', 'b']);
    const d = {
      ...base,
      tasks: [{ ...base.tasks[0]!, outputs: ['n'] }, { ...base.tasks[1]!, args: ['{{tasks.a.outputs.n}}'] }],
      outputs: [{ name: 'total', value: 'n={{tasks.a.outputs.n}}' }],
    };
    const saved = await saveDag(db.pool, { namespace: 'default', name: 'flow', spec: {}, definition: d, hash: 'h-flow', source: 'test' });
    const { run } = await createRun(db.pool, { dagId: saved.dag.id, dagVersion: saved.version, namespace: 'default', dagName: 'flow', trigger: 'manual', parameters: {} });
    await claimRuns(db.pool, 'owner-a', 60_000, 10);
    let s = (await loadRun(db.pool, run.id))!.state;
    const events = [
      { type: 'run:tick' },
      { type: 'attempt:exited', task: 'a', attempt: 1, at: 2, exitCode: 0, outputs: { n: '7' } },
      { type: 'attempt:exited', task: 'b', attempt: 1, at: 3, exitCode: 0 },
    ] as const;
    for (const ev of events) {
      const r = decide(d, s, ev, 5);
      await saveRunState(db.pool, { runId: run.id, owner: 'owner-a', prev: s, next: r.state, changed: r.changed });
      s = r.state;
    }
    assert.equal(s.status, 'succeeded');
    const l = (await loadRun(db.pool, run.id))!;
    assert.deepEqual(l.state.tasks.get('a')?.attempts[0]?.outputs, { n: '7' });
    assert.deepEqual(l.state.tasks.get('b')?.attempts[0]?.resolved, { args: ['7'] });
    assert.deepEqual(l.state.outputs, { total: 'n=7' });
    const row = await db.pool.query<{ outputs: unknown; resolved: unknown }>(`select outputs, resolved from attempts where run_id = $1 order by task`, [run.id]);
    assert.deepEqual(row.rows, [{ outputs: { n: '7' }, resolved: null }, { outputs: null, resolved: { args: ['7'] } }]);
  });
});
