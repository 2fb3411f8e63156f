// Run statistics on real PostgreSQL: a run's execution time (how long its attempts ran) is told
// apart from its wall time, so the idle minute before a manual retry does not read as run time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRun, runStats, saveDag } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { chainDefinition } from './definitions.js';

let db: TestDatabase;
const T0 = Date.parse('2026-03-02T10:00:00Z');
const at = (ms: number) => new Date(T0 + ms);

/** A finished run of `dag` from `start` to `end` (ms after T0) with these attempts (ms after T0). */
async function finishedRun(dag: string, start: number, end: number, attempts: Array<{ task: string; s: number; f: number; kind?: 'approval'; status?: 'failed' }>): Promise<number> {
  const saved = await saveDag(db.pool, { namespace: 'default', name: dag, spec: {}, definition: chainDefinition(dag, ['a', 'b']), hash: `h-${dag}`, source: 'test' });
  const { run } = await createRun(db.pool, { dagId: saved.dag.id, dagVersion: saved.version, namespace: 'default', dagName: dag, trigger: 'manual', parameters: {} });
  await db.pool.query(`update runs set status = 'succeeded', started_at = $2, finished_at = $3 where id = $1`, [run.id, at(start), at(end)]);
  const n = new Map<string, number>();
  for (const a of attempts) {
    const attempt = (n.get(a.task) ?? 0) + 1;
    n.set(a.task, attempt);
    await db.pool.query(
      `insert into attempts (run_id, task, attempt, status, created_at, started_at, finished_at, kind) values ($1, $2, $3, $4, $5, $5, $6, $7)`,
      [run.id, a.task, attempt, a.status ?? 'succeeded', at(a.s), at(a.f), a.kind ?? null],
    );
  }
  return run.id;
}

before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.drop();
});

const window = { from: T0 - 86_400_000, to: T0 + 86_400_000 };

test('a run retried by hand a minute after it failed: execution time ~0.2 s, wall time ~58 s', async () => {
  // a fails after 117 ms; someone presses "Retry failed" 58 s later; a and b then take 60 ms each.
  await finishedRun('retried', 0, 58_125, [
    { task: 'a', s: 0, f: 117, status: 'failed' },
    { task: 'a', s: 58_000, f: 58_060 },
    { task: 'b', s: 58_065, f: 58_125 },
  ]);
  const s = await runStats(db.pool, { ...window, dagName: 'retried' });
  const d = s.durations.find((x) => x.dag === 'retried');
  assert.ok(d, JSON.stringify(s.durations));
  assert.equal(d.runs, 1);
  assert.ok(Math.abs(d.p50Seconds - 58.125) < 1e-6, `wall ${d.p50Seconds}`);
  assert.ok(Math.abs(d.executionP50Seconds - 0.237) < 1e-6, `execution ${d.executionP50Seconds}`);
  assert.ok(Math.abs(d.attemptP50Seconds - 0.237) < 1e-6, `attempt time ${d.attemptP50Seconds}`);
});

test('parallel attempts count once in execution time and each in attempt time; an approval wait in neither', async () => {
  // a: 0–10 s, b: 2–5 s (inside a), then an approval waits 100 s: the run ends at 110 s.
  await finishedRun('parallel', 0, 110_000, [
    { task: 'a', s: 0, f: 10_000 },
    { task: 'b', s: 2_000, f: 5_000 },
    { task: 'gate', s: 10_000, f: 110_000, kind: 'approval' },
  ]);
  const d = (await runStats(db.pool, { ...window, dagName: 'parallel' })).durations[0]!;
  assert.equal(d.dag, 'parallel');
  assert.ok(Math.abs(d.p95Seconds - 110) < 1e-6, `wall ${d.p95Seconds}`);
  assert.ok(Math.abs(d.executionP95Seconds - 10) < 1e-6, `execution ${d.executionP95Seconds}`);
  assert.ok(Math.abs(d.attemptP95Seconds - 13) < 1e-6, `attempt time ${d.attemptP95Seconds}`);
});

test('a run that ended before any attempt started has no execution time; percentiles span the DAG\'s runs', async () => {
  await finishedRun('spread', 0, 4_000, []);
  await finishedRun('spread', 0, 9_000, [{ task: 'a', s: 1_000, f: 3_000 }, { task: 'b', s: 5_000, f: 9_000 }]);
  const d = (await runStats(db.pool, { ...window, dagName: 'spread' })).durations[0]!;
  assert.equal(d.runs, 2);
  assert.ok(Math.abs(d.executionP50Seconds - 3) < 1e-6, `median of 0 and 6 s: ${d.executionP50Seconds}`);
  assert.ok(Math.abs(d.p50Seconds - 6.5) < 1e-6, `median wall of 4 and 9 s: ${d.p50Seconds}`);
});
