// loadRunTaskSummary: counts per task status (from runs.task_counts, kept by every save) and the first
// failed and running tasks by name with their attempts, capped, on a real PostgreSQL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { taskMap, type RunState, type TaskState } from '@kontroler/engine';
import { RUN_TASK_SUMMARY_MAX_LIST, claimRuns, createRun, loadRun, loadRunTaskSummary, saveDag, saveRunState } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { chainDefinition } from './definitions.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.drop();
});

// Names whose code-unit order differs from a locale's ("B" < "a" < "b"), shuffled.
const names = Array.from({ length: 1500 }, (_, i) => `${i % 3 === 0 ? 'T' : 't'}-${String((i * 7919) % 1500).padStart(4, '0')}`);

test('counts every status, pending included; lists the first failed and running tasks by name with their attempts, at most the cap', async () => {
  const def = chainDefinition('wide', names);
  const saved = await saveDag(db.pool, { namespace: 'default', name: 'wide', spec: {}, definition: def, hash: 'h-wide', source: 'test' });
  const { run } = await createRun(db.pool, { dagId: saved.dag.id, dagVersion: 1, namespace: 'default', dagName: 'wide', trigger: 'manual', parameters: {} });
  assert.deepEqual((await claimRuns(db.pool, 'summary-test', 60_000, 10)).map((r) => r.id), [run.id]);
  const prev = (await loadRun(db.pool, run.id))!.state;
  // 600 failed (one attempt each), 120 running, 300 skipped, the rest (480) pending, as created.
  const tasks = new Map(prev.tasks);
  names.forEach((n, i) => {
    if (i < 600) tasks.set(n, { name: n, status: 'failed', reason: `exit ${i % 7}`, attempts: [{ attempt: 1, status: 'failed', createdAt: 1000, startedAt: 1100, finishedAt: 2000, exitCode: i % 7, reason: 'Error', handle: `ns/kr-${run.id}-${n}-1` }] });
    else if (i < 720) tasks.set(n, { name: n, status: 'running', attempts: [{ attempt: 1, status: 'running', createdAt: 1000, startedAt: 1100, handle: `ns/kr-${run.id}-${n}-1` }] });
    else if (i < 1020) tasks.set(n, { name: n, status: 'skipped', reason: 'UpstreamFailed', attempts: [] });
  });
  const next: RunState = { ...prev, status: 'running', startedAt: 1000, tasks: taskMap(tasks.values()) };
  await saveRunState(db.pool, { runId: run.id, owner: 'summary-test', prev, next, changed: names.slice(0, 1020) });

  const s = await loadRunTaskSummary(db.pool, run.id, 50);
  assert.ok(s);
  assert.equal(s.run.id, run.id);
  assert.equal(s.total, 1500);
  assert.deepEqual(s.counts, { pending: 480, waiting: 0, running: 120, succeeded: 0, failed: 600, skipped: 300, canceled: 0 });
  const byCodeUnit = (xs: string[]): string[] => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  assert.deepEqual(s.failed.map((t) => t.name), byCodeUnit(names.slice(0, 600)).slice(0, 50));
  assert.deepEqual(s.running.map((t) => t.name), byCodeUnit(names.slice(600, 720)).slice(0, 50));
  const first = s.failed[0]!;
  assert.equal(first.status, 'failed');
  assert.match(first.reason ?? '', /^exit \d$/);
  assert.deepEqual(first.attempts.map((a) => [a.attempt, a.status, a.exitCode, a.reason, a.handle]), [[1, 'failed', Number(first.reason!.slice(5)), 'Error', `ns/kr-${run.id}-${first.name}-1`]]);
  assert.equal(s.running[0]!.attempts[0]?.status, 'running');

  const wide = await loadRunTaskSummary(db.pool, run.id, RUN_TASK_SUMMARY_MAX_LIST * 10);
  assert.equal(wide!.failed.length, 600, 'a cap above the run returns every failed task');
  assert.equal((await loadRunTaskSummary(db.pool, run.id, 0))!.failed.length, 0);
  assert.equal(await loadRunTaskSummary(db.pool, run.id + 1000, 50), undefined);
});

test(`a list holds at most RUN_TASK_SUMMARY_MAX_LIST (${RUN_TASK_SUMMARY_MAX_LIST}) tasks whatever it is asked`, async () => {
  const many = Array.from({ length: RUN_TASK_SUMMARY_MAX_LIST + 1 }, (_, i) => `f-${String(i).padStart(5, '0')}`);
  const saved = await saveDag(db.pool, { namespace: 'default', name: 'many-failed', spec: {}, definition: chainDefinition('many-failed', many), hash: 'h-many', source: 'test' });
  const { run } = await createRun(db.pool, { dagId: saved.dag.id, dagVersion: 1, namespace: 'default', dagName: 'many-failed', trigger: 'manual', parameters: {} });
  await claimRuns(db.pool, 'summary-test', 60_000, 10);
  const prev = (await loadRun(db.pool, run.id))!.state;
  const tasks = taskMap(many.map((n): TaskState => ({ name: n, status: 'failed', attempts: [] })));
  await saveRunState(db.pool, { runId: run.id, owner: 'summary-test', prev, next: { ...prev, status: 'failed', tasks }, changed: many });
  const at = await loadRunTaskSummary(db.pool, run.id, RUN_TASK_SUMMARY_MAX_LIST);
  assert.equal(at!.failed.length, RUN_TASK_SUMMARY_MAX_LIST);
  assert.equal((await loadRunTaskSummary(db.pool, run.id, RUN_TASK_SUMMARY_MAX_LIST + 1))!.failed.length, RUN_TASK_SUMMARY_MAX_LIST);
  assert.equal(at!.counts.failed, RUN_TASK_SUMMARY_MAX_LIST + 1);
});
