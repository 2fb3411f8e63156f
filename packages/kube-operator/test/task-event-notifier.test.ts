// The task Event bound with a manual clock, on a real PostgreSQL: at most the bound per window,
// the rest told by one summary when the window ends (or the run does), an attempt recorded late
// (ending before the cursor) counted there too, and a run first seen mid-way told from then on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { taskMap, type AttemptState, type RunState, type TaskState } from '@kontroler/engine';
import { TaskEventNotifier } from '@kontroler/kube-operator';
import { claimRuns, createRun, loadRun, saveDag, saveRunState } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { dagDefinition, resolvedTask } from '@kontroler/testing';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.drop();
});

const failed = (finishedAt: number): AttemptState => ({ attempt: 1, status: 'failed', createdAt: 0, startedAt: 0, finishedAt, exitCode: 1, reason: 'Error' });

/** A run of `names`, and a way to save its tasks' states (each save from the one before). */
async function makeRun(dag: string, names: string[]): Promise<{ id: number; save(tasks: TaskState[]): Promise<void> }> {
  const def = dagDefinition('default', dag, names.map((n) => resolvedTask(n, [])));
  const saved = await saveDag(db.pool, { namespace: 'default', name: dag, spec: {}, definition: def, hash: `h-${dag}`, source: 'test' });
  const { run } = await createRun(db.pool, { dagId: saved.dag.id, dagVersion: 1, namespace: 'default', dagName: dag, trigger: 'manual', parameters: {} });
  await claimRuns(db.pool, 'notifier-test', 60_000, 10);
  let prev: RunState = (await loadRun(db.pool, run.id))!.state;
  return {
    id: run.id,
    async save(tasks) {
      const next: RunState = { ...prev, status: 'running', startedAt: 0, tasks: taskMap([...prev.tasks.values()].map((t) => tasks.find((x) => x.name === t.name) ?? t)) };
      await saveRunState(db.pool, { runId: run.id, owner: 'notifier-test', prev, next, changed: tasks.map((t) => t.name) });
      prev = next;
    },
  };
}

test('at most the bound per window; the rest, late ones included, in one summary when the window ends', async () => {
  const names = Array.from({ length: 12 }, (_, i) => `t${String(i).padStart(2, '0')}`);
  const run = await makeRun('bound', names);
  let now = 100_000;
  const n = new TaskEventNotifier({ pool: db.pool, perMinute: 3, windowMs: 60_000, now: () => now });
  const sent: string[] = [];
  const send = async (e: { reason: string; message: string }): Promise<void> => {
    sent.push(`${e.reason}: ${e.message}`);
  };
  // Five failures: three told, two held back; the notifier asks to be called when the window ends.
  await run.save(names.slice(0, 5).map((name, i) => ({ name, status: 'failed', attempts: [failed(10_000 + i * 1000)] })));
  const again = await n.notify(run.id, { fresh: true, ended: false }, send);
  assert.deepEqual(sent.map((s) => s.split(':')[0]), ['TaskFailed', 'TaskFailed', 'TaskFailed']);
  assert.match(sent[0]!, /task t00 failed on attempt 1 \(exit code 1: Error\); no retry left/);
  assert.equal(again, 60_000);
  // A failure recorded late, ending before the cursor: counted, not told one by one.
  await run.save([{ name: 't05', status: 'failed', attempts: [failed(1_000)] }]);
  assert.equal(await n.notify(run.id, { fresh: false, ended: false }, send), 60_000, 'still the same window');
  now += 60_000;
  // The window ended: its summary first, then up to the bound again.
  await run.save(names.slice(6, 11).map((name, i) => ({ name, status: 'failed', attempts: [failed(20_000 + i * 1000)] })));
  await n.notify(run.id, { fresh: false, ended: false }, send);
  assert.match(sent[3]!, /^TaskEventsSuppressed: run \d+: 3 more failed task attempts not sent as Events \(at most 3 task Events per run a minute\)/);
  assert.deepEqual(sent.slice(4).map((s) => s.split(':')[0]), ['TaskFailed', 'TaskFailed', 'TaskFailed']);
  // The run ended: what this window held back is told now, and the run is forgotten.
  assert.equal(await n.notify(run.id, { fresh: false, ended: true }, send), undefined);
  assert.match(sent[7]!, /^TaskEventsSuppressed: run \d+: 2 more failed task attempts/);
  assert.equal(sent.length, 8);
});

test('a run first seen mid-way is told from its latest failure on; nothing new, nothing sent', async () => {
  const run = await makeRun('midway', ['a', 'b']);
  await run.save([{ name: 'a', status: 'failed', attempts: [failed(5_000)] }]);
  const sent: string[] = [];
  const n = new TaskEventNotifier({ pool: db.pool, now: () => 0 });
  await n.notify(run.id, { fresh: false, ended: false }, async (e) => void sent.push(e.reason));
  await n.notify(run.id, { fresh: false, ended: false }, async (e) => void sent.push(e.reason));
  assert.equal(sent.length, 0, 'what happened before was told by the leader of then');
  await run.save([{ name: 'b', status: 'waiting', retryAt: 9_000, attempts: [failed(6_000)] }]);
  await n.notify(run.id, { fresh: false, ended: false }, async (e) => void sent.push(e.reason));
  assert.deepEqual(sent, ['TaskRetrying']);
});
