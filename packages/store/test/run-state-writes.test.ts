// A save writes the tasks a decision changed and, of those, only the attempts that changed: never
// a walk over (or a row of) every task of the run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttemptState, RunState, TaskState } from '@kontroler/engine';
import { decide, taskMap } from '@kontroler/engine';
import { claimRuns, createRun, loadRun, runStateWrites, saveDag, saveRunState } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { chainDefinition } from './definitions.js';

const attempt = (n: number, status: AttemptState['status']): AttemptState => ({ attempt: n, status, createdAt: n * 1000 });
const state = (tasks: TaskState[]): RunState => ({ status: 'running', tasks: taskMap(tasks), cancelRequested: false });

describe('runStateWrites', () => {
  const a1 = attempt(1, 'failed');
  const a2 = attempt(2, 'failed');
  const a3 = attempt(3, 'running');
  const prev = state([
    { name: 'a', status: 'running', attempts: [a1, a2, a3] },
    { name: 'b', status: 'pending', attempts: [] },
    { name: 'c', status: 'pending', attempts: [] },
  ]);

  test('only the changed attempts of the named tasks', () => {
    const a3done = { ...a3, status: 'succeeded' as const, exitCode: 0 };
    const next = state([
      { name: 'a', status: 'succeeded', attempts: [a1, a2, a3done] },
      { name: 'b', status: 'running', attempts: [attempt(1, 'starting')] },
      // Differs from prev but is not named: not looked at (the caller names what changed).
      { name: 'c', status: 'skipped', attempts: [] },
    ]);
    const w = runStateWrites(prev, next, ['a', 'b', 'a', 'nope']);
    assert.deepEqual(w.tasks.map((t) => `${t.name}:${t.status}`), ['a:succeeded', 'b:running']);
    assert.deepEqual(w.attempts.map((x) => `${x.task}#${x.a.attempt}:${x.a.status}`), ['a#3:succeeded', 'b#1:starting']);
  });

  test('a new attempt after a retry: the ended one and the new one, not the history; no task row when only an attempt changed', () => {
    const a3failed = { ...a3, status: 'failed' as const };
    const a4 = attempt(4, 'starting');
    const next = state([
      { name: 'a', status: 'running', attempts: [a1, a2, a3failed, a4] },
      { name: 'b', status: 'pending', attempts: [] },
      { name: 'c', status: 'pending', attempts: [] },
    ]);
    const w = runStateWrites(prev, next, ['a']);
    assert.deepEqual(w.tasks, [], 'status, reason and retry time are unchanged');
    assert.deepEqual(w.attempts.map((x) => x.a.attempt), [3, 4]);
  });

  test('nothing changed: nothing written', () => {
    assert.deepEqual(runStateWrites(prev, prev, []), { tasks: [], inserted: [], attempts: [] });
    assert.deepEqual(runStateWrites(prev, prev, ['a', 'b']), { tasks: [], inserted: [], attempts: [] });
  });
});

describe('saveRunState writes only what changed', () => {
  let db: TestDatabase;
  before(async () => { db = await createTestDatabase(); });
  after(async () => { await db.drop(); });

  test('rows of unchanged tasks and of earlier attempts are not rewritten', async () => {
    const d = chainDefinition('writes', ['a', 'b', 'c']);
    d.tasks[0] = { ...d.tasks[0]!, retryLimit: 2 };
    const saved = await saveDag(db.pool, { namespace: 'default', name: 'writes', spec: {}, definition: d, hash: 'h-writes', source: 'test' });
    const { run } = await createRun(db.pool, { dagId: saved.dag.id, dagVersion: saved.version, namespace: 'default', dagName: 'writes', trigger: 'manual', parameters: {} });
    await claimRuns(db.pool, 'owner-w', 60_000, 10);
    const owner = 'owner-w';
    let s = (await loadRun(db.pool, run.id))!.state;
    const step = async (ev: Parameters<typeof decide>[2], at: number) => {
      const r = decide(d, s, ev, at);
      await saveRunState(db.pool, { runId: run.id, owner, prev: s, next: r.state, changed: r.changed });
      s = r.state;
      return r;
    };
    await step({ type: 'run:tick' }, 1000);
    await step({ type: 'attempt:exited', task: 'a', attempt: 1, at: 1500, exitCode: 3 }, 1500);
    await step({ type: 'run:tick' }, 2000); // retry delay 0: attempt 2 starts
    // Mark rows the next saves must leave alone: attempt 1 of a, and task c (unchanged from here).
    await db.pool.query(`update attempts set reason = 'marker' where run_id = $1 and task = 'a' and attempt = 1`, [run.id]);
    // (Whether a never-changed task has a row depends on the schema version: mark it either way.)
    const marked = await db.pool.query(`update task_states set reason = 'marker' where run_id = $1 and task = 'c'`, [run.id]);
    if (marked.rowCount === 0) await db.pool.query(`insert into task_states (run_id, task, status, reason) values ($1, 'c', 'pending', 'marker')`, [run.id]);
    const r = await step({ type: 'attempt:exited', task: 'a', attempt: 2, at: 2500, exitCode: 0 }, 2500);
    assert.deepEqual([...r.changed].sort(), ['a', 'b']);
    const { rows } = await db.pool.query<{ task: string; attempt: number; status: string; reason: string | null }>(
      'select task, attempt, status, reason from attempts where run_id = $1 order by task, attempt',
      [run.id],
    );
    assert.deepEqual(rows.map((x) => `${x.task}#${x.attempt}:${x.status}:${x.reason}`), ['a#1:failed:marker', 'a#2:succeeded:Completed', 'b#1:starting:null']);
    const c = await db.pool.query<{ reason: string | null }>(`select reason from task_states where run_id = $1 and task = 'c'`, [run.id]);
    assert.deepEqual(c.rows.map((x) => x.reason), ['marker'], 'task c was not written');
    const loaded = (await loadRun(db.pool, run.id))!.state;
    assert.deepEqual(
      [...loaded.tasks.values()].map((t) => `${t.name}:${t.status}:${t.attempts.length}`),
      ['a:succeeded:2', 'b:running:1', 'c:pending:0'],
    );
  });
});
