// A run's failed attempts after a cursor, in the order they ended (ties by task and attempt), with
// whether each left its task failed for good; their count; the cursor after the last; and a run's
// podGC facts (its DAG version's spec.podGC over a default) — on a real PostgreSQL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { taskMap, type RunState, type TaskState } from '@kontroler/engine';
import { claimRuns, countFailedAttempts, createRun, failedAttemptsAfter, getRunPodGC, lastFailedAttemptCursor, loadRun, runPodGCFacts, saveDag, saveRunState } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { chainDefinition } from './definitions.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.drop();
});

const failedAttempt = (attempt: number, finishedAt: number, exitCode = 1) => ({ attempt, status: 'failed' as const, createdAt: 1000, startedAt: 1000, finishedAt, exitCode, reason: 'Error' });

async function runWith(name: string, tasks: TaskState[], spec: Record<string, unknown> = {}): Promise<number> {
  const saved = await saveDag(db.pool, { namespace: 'default', name, spec, definition: chainDefinition(name, tasks.map((t) => t.name)), hash: `h-${name}`, source: 'test' });
  const { run } = await createRun(db.pool, { dagId: saved.dag.id, dagVersion: 1, namespace: 'default', dagName: name, trigger: 'manual', parameters: {} });
  await claimRuns(db.pool, 'failed-attempts-test', 60_000, 10);
  const prev = (await loadRun(db.pool, run.id))!.state;
  const next: RunState = { ...prev, status: 'running', startedAt: 1000, tasks: taskMap(tasks) };
  await saveRunState(db.pool, { runId: run.id, owner: 'failed-attempts-test', prev, next, changed: tasks.map((t) => t.name) });
  return run.id;
}

test('failed attempts page after a cursor in end order, ties by task and attempt; final says no retry follows', async () => {
  const id = await runWith('flaky', [
    { name: 'a', status: 'failed', attempts: [failedAttempt(1, 3000), failedAttempt(2, 5000, 2)] },
    { name: 'b', status: 'waiting', retryAt: 9000, attempts: [failedAttempt(1, 3000)] },
    { name: 'c', status: 'succeeded', attempts: [{ attempt: 1, status: 'succeeded', createdAt: 1000, finishedAt: 2000, exitCode: 0 }] },
    { name: 'd', status: 'failed', attempts: [{ attempt: 1, status: 'lost', createdAt: 1000, finishedAt: 4000, reason: 'Lost' }] },
  ]);
  assert.equal(await countFailedAttempts(db.pool, id), 4);
  const all = await failedAttemptsAfter(db.pool, id, null, 100);
  assert.deepEqual(all.map((a) => [a.task, a.attempt, a.exitCode, a.final]), [['a', 1, 1, false], ['b', 1, 1, false], ['d', 1, null, true], ['a', 2, 2, true]]);
  const page1 = await failedAttemptsAfter(db.pool, id, null, 1);
  const page2 = await failedAttemptsAfter(db.pool, id, page1[0]!.cursor, 2);
  assert.deepEqual([...page1, ...page2].map((a) => `${a.task}/${a.attempt}`), ['a/1', 'b/1', 'd/1'], 'a tie at the same end time is split by the cursor, never repeated');
  assert.deepEqual((await failedAttemptsAfter(db.pool, id, page2[1]!.cursor, 10)).map((a) => `${a.task}/${a.attempt}`), ['a/2']);
  assert.deepEqual(await lastFailedAttemptCursor(db.pool, id), all[3]!.cursor);
  assert.deepEqual(await failedAttemptsAfter(db.pool, id, all[3]!.cursor, 10), []);
  assert.deepEqual(await failedAttemptsAfter(db.pool, id, null, 0), []);
  assert.equal(await lastFailedAttemptCursor(db.pool, id + 100), null);
});

test("a run's podGC facts: its DAG version's spec.podGC over the default", async () => {
  const id = await runWith('kept', [{ name: 'a', status: 'running', attempts: [] }], { podGC: { strategy: 'OnRunSuccess' } });
  assert.deepEqual(await getRunPodGC(db.pool, id), { status: 'running', finishedAt: null, podGC: { strategy: 'OnRunSuccess' } });
  assert.deepEqual(await runPodGCFacts(db.pool, id, { strategy: 'OnPodCompletion', deleteAfterSeconds: 60 }), { policy: { strategy: 'OnRunSuccess', deleteAfterSeconds: 60 }, runStatus: 'running', runFinishedAt: null });
  const plain = await runWith('plain', [{ name: 'a', status: 'running', attempts: [] }]);
  assert.deepEqual((await runPodGCFacts(db.pool, plain))?.policy, { strategy: 'OnPodCompletion', deleteAfterSeconds: 0 });
  assert.equal(await runPodGCFacts(db.pool, plain + 100), undefined);
});
