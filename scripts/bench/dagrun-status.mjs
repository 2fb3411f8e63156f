// What one DagRun status write costs the CRD adapter, by run size: the store summary it reads
// (counts + the first 50 failed and running tasks: loadRunTaskSummary) and the status built from
// it, next to loading the run's whole state (loadRun, what the adapter did before issue 13), and
// the status's size. Runs of one root → n−1 tasks, 1 % failed, 0.5 % running, the rest skipped,
// written straight into PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const store = await import(join(root, 'packages/store/dist/index.js'));
const { setTaskStatuses } = await import(join(root, 'packages/store/dist/testing.js'));
const { dagRunStatus, DAGRUN_STATUS_LIST_CAP, DAGRUN_STATUS_MAX_BYTES } = await import(join(root, 'packages/kube-operator/dist/index.js'));
const { startEmbeddedPostgres } = await import(join(root, 'packages/cli/dist/embedded/index.js'));

/** Median of `reps` timings of `f`, in ms. */
async function median(reps, f) {
  const ms = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[Math.floor(reps / 2)];
}

export async function benchDagRunStatus({ sizes = [1000, 10_000, 100_000], reps = 5 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kontroler-bench-drs-'));
  const pg = await startEmbeddedPostgres({ dataDir: dir });
  const pool = store.createPool(pg.url, 4);
  const rows = [];
  try {
    await store.migrate(pool);
    for (const n of sizes) {
      const name = `wide-${n}`;
      const task = [{ name: 'root', image: 'x', command: ['true'] }];
      for (let i = 1; i < n; i++) task.push({ name: `shard-${String(i).padStart(6, '0')}`, image: 'x', command: ['true'], runAfter: ['root'] });
      await store.applyResource(pool, { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name }, spec: { task } }, { source: 'bench' });
      const { run } = await store.startRun(pool, { namespace: 'default', dagName: name, trigger: 'manual' });
      // Every task has a row from startRun on (position = index in the definition; shard-i is i):
      // set the mix of statuses through the test kit, which keeps the run's counts right.
      const positions = Array.from({ length: n - 1 }, (_, k) => k + 1);
      await setTaskStatuses(pool, run.id, positions, positions.map((i) => (i % 100 === 0 ? 'failed' : i % 200 === 1 ? 'running' : 'skipped')));
      await pool.query(`update task_states set reason = 'failed with exit code 3' where run_id = $1 and status = 'failed'`, [run.id]);
      await pool.query(
        `insert into attempts (run_id, task, attempt, status, exit_code, reason, handle, created_at, started_at, finished_at)
         select $1::bigint, task, 1, case when status = 'failed' then 'failed' else 'running' end, case when status = 'failed' then 3 end,
                case when status = 'failed' then 'Error' end, format('ns/kr-%s-%s-1', $1::bigint, task), now(), now(), case when status = 'failed' then now() end
         from task_states where run_id = $1::bigint and status in ('failed', 'running')`,
        [run.id],
      );
      await pool.query('analyze task_states; analyze attempts');
      let size = 0;
      const summaryMs = await median(reps, async () => {
        const s = await store.loadRunTaskSummary(pool, run.id, DAGRUN_STATUS_LIST_CAP);
        size = Buffer.byteLength(JSON.stringify(dagRunStatus(s.run, s, 1)));
      });
      const fullMs = await median(Math.min(reps, 3), () => store.loadRun(pool, run.id));
      rows.push({ tasks: n, summaryMs, fullLoadMs: fullMs, statusBytes: size });
    }
    return { rows, maxBytes: DAGRUN_STATUS_MAX_BYTES };
  } finally {
    await pool.end();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await benchDagRunStatus(), null, 2));
