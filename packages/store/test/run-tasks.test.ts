// A run's tasks for the API: a row per task from creation, pages in definition order with filters
// and stable cursors, counts kept by saveRunState, the grouped graph of large DAGs, the index cache.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DagDefinition } from '@kontroler/core';
import { decide, type RunEvent, type RunState, type TaskStatus } from '@kontroler/engine';
import {
  GRAPH_MAX_NODES, MIGRATIONS, RUN_TASKS_MAX_LIMIT, RunIndexCache, buildRunIndex, claimRuns, createPool, createRun, migrate, taskRowsOf, getRunOverview, listRunTasks, loadRun,
  runGraphSummary, runHasTask, runTaskCounts, saveDag, saveRunState, startRun, taskGroupOf, type Queryable, type RunTasksQuery,
} from '@kontroler/store';
import { createTestDatabase, setTaskStatuses, type TestDatabase } from '@kontroler/store/testing';
import { chainDefinition } from './definitions.js';

let db: TestDatabase;
before(async () => { db = await createTestDatabase(); });
after(async () => { await db.drop(); });

/** One root, then `n - 1` tasks after it (named by `name(i)`). */
function wideDefinition(dag: string, n: number, name: (i: number) => string = (i) => `t-${String(i).padStart(5, '0')}`): DagDefinition {
  const base = chainDefinition(dag, ['root']);
  const root = base.tasks[0]!;
  return { ...base, tasks: [root, ...Array.from({ length: n - 1 }, (_, i) => ({ ...root, name: name(i + 1), runAfter: ['root'] }))] };
}

async function saveAndStart(def: DagDefinition) {
  await saveDag(db.pool, { namespace: 'default', name: def.name, spec: {}, definition: def, hash: `h-${def.name}`, source: 'test' });
  return (await startRun(db.pool, { namespace: 'default', dagName: def.name, trigger: 'manual' })).run;
}

/** The counts as a GROUP BY over the rows (the truth runs.task_counts must equal). */
async function countedRows(runId: number): Promise<Record<string, number>> {
  const { rows } = await db.pool.query<{ status: string; n: number }>('select status, count(*)::int as n from task_states where run_id = $1 group by status', [runId]);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

async function storedCounts(runId: number): Promise<Record<string, number>> {
  const { rows } = await db.pool.query<{ task_counts: Record<string, number> }>('select task_counts from runs where id = $1', [runId]);
  return rows[0]!.task_counts;
}

/**
 * Claims the run for `owner` and drives it through the engine: `step(event)` decides at the
 * current time, saves the change with saveRunState, then runs `check`; `state()` is what it saved last.
 */
async function driver(def: DagDefinition, runId: number, owner: string, check: (event: RunEvent) => Promise<void>) {
  await claimRuns(db.pool, owner, 60_000, 100);
  let state: RunState = (await loadRun(db.pool, runId))!.state;
  return {
    state: () => state,
    async step(event: RunEvent, now: number) {
      const d = decide(def, state, event, now);
      const next = d.state;
      await saveRunState(db.pool, { runId, owner, prev: state, next, changed: d.changed });
      state = next;
      await check(event);
    },
  };
}

/** Every page of a listing, following nextPosition; `between` runs after each page. */
async function listAll(runId: number, q: Omit<RunTasksQuery, 'afterPosition'>, between?: () => Promise<void>) {
  const names: string[] = [];
  const positions: number[] = [];
  let pages = 0;
  for (let after: number | undefined; ; ) {
    const page = await listRunTasks(db.pool, runId, { ...q, ...(after !== undefined ? { afterPosition: after } : {}) });
    pages++;
    for (const t of page.tasks) {
      names.push(t.name);
      positions.push(t.position);
    }
    if (page.nextPosition === undefined) break;
    assert.equal(page.tasks.length, Math.min(q.limit, RUN_TASKS_MAX_LIMIT), 'a page that is not the last is full');
    after = page.nextPosition;
    await between?.();
  }
  return { names, positions, pages };
}

describe('migration 9', () => {
  test('backfills the rows of tasks that never changed, positions, counts and groups of existing runs', async () => {
    const base = process.env.KONTROLER_TEST_DATABASE_URL!;
    const name = `m9_${Date.now().toString(36)}`;
    const admin = createPool(base, 1);
    await admin.query(`create database ${name}`);
    const u = new URL(base);
    u.pathname = `/${name}`;
    const pool = createPool(u.toString(), 2);
    try {
      for (const m of MIGRATIONS.filter((x) => x.version < 9)) await pool.query(m.sql);
      await pool.query(`create table schema_migrations (version int primary key, name text not null, applied_at timestamptz not null default now())`);
      for (const m of MIGRATIONS.filter((x) => x.version < 9)) await pool.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
      const small = chainDefinition('old', ['x', 'y', 'z']);
      const large = wideDefinition('old-large', GRAPH_MAX_NODES + 1, (i) => `w-${i}`);
      const ids: number[] = [];
      for (const [i, d] of [small, large].entries()) {
        const dag = await pool.query<{ id: number }>(`insert into dags (namespace, name, current_version) values ('default', $1, 1) returning id`, [d.name]);
        await pool.query(`insert into dag_versions (dag_id, version, hash, spec, definition) values ($1, 1, $2, '{}', $3)`, [dag.rows[0]!.id, `h${i}`, JSON.stringify(d)]);
        const run = await pool.query<{ id: number }>(`insert into runs (dag_id, dag_version, namespace, dag_name) values ($1, 1, 'default', $2) returning id`, [dag.rows[0]!.id, d.name]);
        ids.push(run.rows[0]!.id);
      }
      // Before migration 9 only the tasks that changed had a row.
      await pool.query(`insert into task_states (run_id, task, status) values ($1, 'y', 'failed'), ($2, 'w-7', 'running')`, ids);
      assert.deepEqual(await migrate(pool), MIGRATIONS.filter((x) => x.version >= 9).map((x) => x.version));
      const rows = await pool.query<{ task: string; status: string; position: number }>('select task, status, position from task_states where run_id = $1 order by position', [ids[0]]);
      assert.deepEqual(rows.rows, [{ task: 'x', status: 'pending', position: 0 }, { task: 'y', status: 'failed', position: 1 }, { task: 'z', status: 'pending', position: 2 }]);
      const counts = await pool.query<{ task_counts: Record<string, number> }>('select task_counts from runs where id = any($1) order by id', [ids]);
      assert.deepEqual(counts.rows.map((r) => r.task_counts), [{ pending: 2, failed: 1 }, { pending: GRAPH_MAX_NODES, running: 1 }]);
      const groups = await pool.query<{ grp: number | null; n: number }>('select grp, count(*)::int as n from task_states where run_id = $1 group by grp order by grp', [ids[0]]);
      assert.deepEqual(groups.rows, [{ grp: null, n: 3 }], 'a small DAG is not grouped');
      const gc = await pool.query<{ grp: number; status: string; n: number }>('select grp, status, n from run_group_counts where run_id = $1 order by grp, status', [ids[1]]);
      assert.deepEqual(gc.rows, [{ grp: 0, status: 'pending', n: 1 }, { grp: 1, status: 'pending', n: GRAPH_MAX_NODES - 1 }, { grp: 1, status: 'running', n: 1 }]);
      const w7 = await pool.query<{ grp: number; position: number }>(`select grp, position from task_states where run_id = $1 and task = 'w-7'`, [ids[1]]);
      assert.deepEqual(w7.rows, [{ grp: taskRowsOf(large).groups[7], position: 7 }], 'the groups the migration numbers are the ones startRun writes');
    } finally {
      await pool.end();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});

describe('task rows from creation', () => {
  test('startRun and createRun write a pending row per task at its position, and counts of all pending', async () => {
    const def = chainDefinition('rows', ['x', 'b', 'a']);
    const run = await saveAndStart(def);
    const { rows } = await db.pool.query<{ task: string; status: string; position: number }>('select task, status, position from task_states where run_id = $1 order by position', [run.id]);
    assert.deepEqual(rows, [{ task: 'x', status: 'pending', position: 0 }, { task: 'b', status: 'pending', position: 1 }, { task: 'a', status: 'pending', position: 2 }]);
    assert.deepEqual(await runTaskCounts(db.pool, run.id), { counts: { pending: 3, waiting: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, canceled: 0 }, total: 3 });
    // createRun without task names (a caller that has no definition at hand) reads them from the version.
    const { run: r2 } = await createRun(db.pool, { dagId: run.dagId, dagVersion: run.dagVersion, namespace: 'default', dagName: 'rows', trigger: 'manual', parameters: {} });
    assert.deepEqual((await listRunTasks(db.pool, r2.id, { limit: 10 })).tasks.map((t) => [t.name, t.position]), [['x', 0], ['b', 1], ['a', 2]]);
    // A second start of a named run writes no second set of rows.
    const named = await startRun(db.pool, { namespace: 'default', dagName: 'rows', trigger: 'manual', name: 'once' });
    const again = await startRun(db.pool, { namespace: 'default', dagName: 'rows', trigger: 'manual', name: 'once' });
    assert.deepEqual([named.created, again.created, again.run.id], [true, false, named.run.id]);
    assert.deepEqual(await countedRows(named.run.id), { pending: 3 });
    await assert.rejects(createRun(db.pool, { dagId: run.dagId, dagVersion: 99, namespace: 'default', dagName: 'rows', trigger: 'manual', parameters: {} }), { code: 'NOT_FOUND' });
    assert.equal(await runTaskCounts(db.pool, 999_999), undefined);
    assert.equal(await runHasTask(db.pool, run.id, 'b'), true);
    assert.equal(await runHasTask(db.pool, run.id, 'nope'), false);
  });
});

describe('listing a run\'s tasks', () => {
  test('filters by status and prefix, in definition order, with attempts', async () => {
    const def = wideDefinition('filters', 30, (i) => (i % 2 ? `odd-${i}` : `even-${i}`));
    const run = await saveAndStart(def);
    // Statuses set directly: every third task failed, every fifth running (15 and 30: running).
    await db.pool.query(`update task_states set status = case when position % 5 = 0 then 'running' when position % 3 = 0 then 'failed' else status end where run_id = $1`, [run.id]);
    await db.pool.query(`insert into attempts (run_id, task, attempt, status, created_at, exit_code) values ($1, 'odd-3', 1, 'failed', now(), 1), ($1, 'odd-3', 2, 'failed', now(), 2)`, [run.id]);
    const failed = await listRunTasks(db.pool, run.id, { status: ['failed'], limit: 100 });
    assert.deepEqual(failed.tasks.map((t) => t.position), [3, 6, 9, 12, 18, 21, 24, 27]);
    assert.equal(failed.nextPosition, undefined);
    assert.deepEqual(failed.tasks[0]?.attempts.map((a) => [a.attempt, a.exitCode]), [[1, 1], [2, 2]]);
    assert.deepEqual(failed.tasks[1]?.attempts, []);
    const both = await listRunTasks(db.pool, run.id, { status: ['running', 'failed', 'running'], limit: 4 });
    assert.deepEqual(both.tasks.map((t) => t.position), [0, 3, 5, 6], 'several statuses merge in definition order');
    assert.equal(both.nextPosition, 6);
    const rest = await listRunTasks(db.pool, run.id, { status: ['running', 'failed'], afterPosition: 6, limit: 100 });
    assert.deepEqual(rest.tasks.map((t) => t.position), [9, 10, 12, 15, 18, 20, 21, 24, 25, 27]);
    const odd = await listRunTasks(db.pool, run.id, { prefix: 'odd-', status: ['failed'], limit: 100 });
    assert.deepEqual(odd.tasks.map((t) => t.name), ['odd-3', 'odd-9', 'odd-21', 'odd-27']);
    const pct = await listRunTasks(db.pool, run.id, { prefix: 'od%', limit: 100 });
    assert.deepEqual(pct.tasks, [], 'a prefix is literal text, not a pattern');
    assert.equal((await listRunTasks(db.pool, run.id, { prefix: 'even-', limit: 100 })).tasks.length, 14);
    assert.deepEqual((await listRunTasks(db.pool, run.id, { status: ['canceled'], limit: 100 })).tasks, []);
    assert.deepEqual((await listRunTasks(db.pool, 999_999, { limit: 100 })).tasks, []);
    assert.equal((await listRunTasks(db.pool, run.id, { limit: 0 })).tasks.length, 1, 'a limit below 1 is 1');
  });

  test('a 20,000-task run lists fully: no duplicates or gaps, cursors stable while statuses change, pages capped at the limit', async () => {
    const n = 20_000;
    const run = await saveAndStart(wideDefinition('big', n));
    await db.pool.query(`update task_states set status = 'failed' where run_id = $1 and position % 7 = 0`, [run.id]);
    let flips = 0;
    // Between pages, tasks change status on both sides of the cursor (a running run).
    const churn = async () => {
      flips++;
      await db.pool.query(`update task_states set status = case status when 'pending' then 'succeeded' else status end where run_id = $1 and position % 97 = $2`, [run.id, flips % 97]);
    };
    const all = await listAll(run.id, { limit: 5000 }, churn);
    assert.equal(all.pages, n / RUN_TASKS_MAX_LIMIT, 'a limit above the maximum pages by the maximum');
    assert.equal(all.names.length, n);
    assert.equal(new Set(all.names).size, n, 'no task twice');
    assert.deepEqual(all.positions, Array.from({ length: n }, (_, i) => i), 'every position, in order');
    // The failed ones (untouched by the churn), through the status index, in small pages.
    const failed = await listAll(run.id, { status: ['failed'], limit: 333 });
    assert.deepEqual(failed.positions, Array.from({ length: Math.ceil(n / 7) }, (_, i) => i * 7));
  });
});

describe('task counts', () => {
  test('runs.task_counts follows every saveRunState, and a save without the lease changes nothing', async () => {
    const def = wideDefinition('counts', 40);
    const run = await saveAndStart(def);
    let now = 1000;
    const { step, state: current } = await driver(def, run.id, 'owner-c', async (event) => {
      assert.deepEqual(await storedCounts(run.id), await countedRows(run.id), `counts after ${event.type}`);
      assert.equal((await getRunOverview(db.pool, run.id))?.total, 40);
    });
    await step({ type: 'run:tick' }, now);
    assert.deepEqual(await storedCounts(run.id), { pending: 39, running: 1 });
    await step({ type: 'attempt:started', task: 'root', attempt: 1, at: now }, now);
    await step({ type: 'attempt:exited', task: 'root', attempt: 1, at: (now += 10), exitCode: 0 }, now);
    await step({ type: 'run:tick' }, now);
    const children = def.tasks.slice(1).map((t) => t.name);
    for (const [i, task] of children.entries()) {
      await step({ type: 'attempt:exited', task, attempt: 1, at: (now += 10), exitCode: i % 4 === 0 ? 1 : 0 }, now);
    }
    await step({ type: 'run:tick' }, now);
    assert.deepEqual(await storedCounts(run.id), { succeeded: 30, failed: 10 });
    assert.equal(current().status, 'failed');
    // Retrying the run moves the failed tasks back: the counts follow.
    await step({ type: 'run:retry' }, now);
    assert.deepEqual((await runTaskCounts(db.pool, run.id))?.counts.failed, 0);
    const before = await storedCounts(run.id);
    const d = decide(def, current(), { type: 'run:cancel' }, now);
    await assert.rejects(saveRunState(db.pool, { runId: run.id, owner: 'intruder', prev: current(), next: d.state, changed: d.changed }), { code: 'LEASE_LOST' });
    assert.deepEqual(await storedCounts(run.id), before);
  });
});

/** run_group_counts as a map `grp:status` → n, and the same counted from the rows. */
async function groupCounts(runId: number): Promise<{ stored: Record<string, number>; counted: Record<string, number> }> {
  const a = await db.pool.query<{ k: string; n: number }>(`select grp || ':' || status as k, n from run_group_counts where run_id = $1 and n <> 0`, [runId]);
  const b = await db.pool.query<{ k: string; n: number }>(`select grp || ':' || status as k, count(*)::int as n from task_states where run_id = $1 and grp is not null group by grp, status`, [runId]);
  return { stored: Object.fromEntries(a.rows.map((r) => [r.k, r.n])), counted: Object.fromEntries(b.rows.map((r) => [r.k, r.n])) };
}

describe('group counts', () => {
  test(`a DAG of more than ${GRAPH_MAX_NODES} tasks: run_group_counts follows every saveRunState`, async () => {
    const def = wideDefinition('grouped-counts', GRAPH_MAX_NODES + 5, (i) => (i % 2 ? `odd-${i}` : `even-${i}`));
    const run = await saveAndStart(def);
    assert.deepEqual((await groupCounts(run.id)).stored, { '0:pending': 1, '1:pending': 1002, '2:pending': 1002 });
    let now = 1000;
    const { step } = await driver(def, run.id, 'owner-g', async (event) => {
      const g = await groupCounts(run.id);
      assert.deepEqual(g.stored, g.counted, `group counts after ${event.type}`);
    });
    await step({ type: 'run:tick' }, now);
    await step({ type: 'attempt:exited', task: 'root', attempt: 1, at: (now += 10), exitCode: 0 }, now);
    for (const task of ['odd-1', 'even-2', 'odd-3', 'odd-5']) await step({ type: 'attempt:exited', task, attempt: 1, at: (now += 10), exitCode: task === 'odd-3' ? 1 : 0 }, now);
    const g = await groupCounts(run.id);
    assert.equal(g.stored['1:succeeded'], 2);
    assert.equal(g.stored['1:failed'], 1);
    assert.equal(g.stored['2:succeeded'], 1);
    assert.equal(g.stored['0:succeeded'], 1);
    const summary = await runGraphSummary(db.pool, run.id, buildRunIndex('gc', def));
    assert.deepEqual(summary?.groups.map((x) => [x.id, x.size, x.counts.failed ?? 0]), [['root', 1, 0], ['odd', 1002, 1], ['even', 1002, 0]]);
  });
});

describe('graph of a large DAG', () => {
  test('task names group by prefix', () => {
    assert.deepEqual(['shard-00042', 'load.eu_3', 'a1b2', 'plain', '42', 'x-'].map(taskGroupOf), ['shard', 'load.eu', 'a1b', 'plain', '42', 'x']);
  });

  test('up to GRAPH_MAX_NODES tasks the graph is whole; above, grouped with counts per group', async () => {
    assert.ok(buildRunIndex('k', wideDefinition('small', GRAPH_MAX_NODES)).graph);
    assert.equal(buildRunIndex('k', wideDefinition('small', GRAPH_MAX_NODES)).groups, undefined);
    // root → shard-1..2400 → merge, plus a side chain a-1 → a-2 interleaved with the shards.
    const base = wideDefinition('grouped', 2401, (i) => `shard-${i}`);
    const root = base.tasks[0]!;
    const tasks = [...base.tasks];
    tasks.splice(10, 0, { ...root, name: 'a-1', runAfter: ['root'] });
    tasks.splice(20, 0, { ...root, name: 'a-2', runAfter: ['a-1'] });
    tasks.push({ ...root, name: 'merge', runAfter: ['shard-7', 'a-2'] });
    const def = { ...base, tasks };
    const run = await saveAndStart(def);
    const positions = tasks.map((_, i) => i);
    await setTaskStatuses(db.pool, run.id, positions, tasks.map((t, i): TaskStatus => (t.name === 'root' || (t.name.startsWith('shard-') && i % 2 === 0) ? 'succeeded' : t.name === 'a-2' ? 'failed' : 'pending')));
    const index = buildRunIndex('grouped', def);
    assert.equal(index.graph, undefined);
    const g = await runGraphSummary(db.pool, run.id, index);
    const evenShards = tasks.filter((t, i) => t.name.startsWith('shard-') && i % 2 === 0).length;
    assert.deepEqual(g, {
      groups: [
        { id: 'root', size: 1, counts: { succeeded: 1 } },
        { id: 'shard', size: 2400, counts: { succeeded: evenShards, pending: 2400 - evenShards } },
        { id: 'a', size: 2, counts: { pending: 1, failed: 1 } },
        { id: 'merge', size: 1, counts: { pending: 1 } },
      ],
      edges: [{ from: 'root', to: 'shard' }, { from: 'root', to: 'a' }, { from: 'shard', to: 'merge' }, { from: 'a', to: 'merge' }],
      tasks: 2404,
    });
  });

  test('more groups than GRAPH_MAX_NODES: the largest are kept, truncated', async () => {
    // 2,100 single-task groups (names without digits) after a root, and one group of 300 tasks.
    const letters = (i: number) => i.toString(26).replace(/./g, (c) => String.fromCharCode(97 + parseInt(c, 26)));
    const base = wideDefinition('many', 2101, (i) => `g${letters(i)}`);
    const root = base.tasks[0]!;
    const def = { ...base, tasks: [...base.tasks, ...Array.from({ length: 300 }, (_, i) => ({ ...root, name: `big-${i}`, runAfter: ['gb'] }))] };
    const run = await saveAndStart(def);
    const g = (await runGraphSummary(db.pool, run.id, buildRunIndex('many', def)))!;
    assert.equal(g.truncated, true);
    assert.equal(g.groups.length, GRAPH_MAX_NODES);
    assert.equal(g.tasks, 2401);
    assert.deepEqual(g.groups.find((x) => x.id === 'big'), { id: 'big', size: 300, counts: { pending: 300 } });
    const kept = new Set(g.groups.map((x) => x.id));
    assert.ok(g.edges.every((e) => kept.has(e.from) && kept.has(e.to)), 'edges only between shown groups');
    assert.ok(g.edges.some((e) => e.from === 'gb' && e.to === 'big'));
  });
});

describe('run index cache', () => {
  test('keeps at most its bound of versions, least recently used out, and reads a version once', async () => {
    const ids: Array<{ dagId: number; version: number }> = [];
    for (const name of ['c1', 'c2', 'c3']) {
      const s = await saveDag(db.pool, { namespace: 'default', name, spec: {}, definition: chainDefinition(name, ['a', 'b']), hash: `h-${name}`, source: 'test' });
      ids.push({ dagId: s.dag.id, version: s.version });
    }
    let reads = 0;
    const pool: Queryable = db.pool;
    const counting: Queryable = {
      query(text, values) {
        reads++;
        return pool.query(text, values);
      },
    };
    const cache = new RunIndexCache(2, 1_000);
    const [a, b, c] = ids as [typeof ids[0], typeof ids[0], typeof ids[0]];
    const [x1, x2] = await Promise.all([cache.get(counting, a.dagId, a.version), cache.get(counting, a.dagId, a.version)]);
    assert.equal(x1, x2);
    assert.equal(reads, 1, 'concurrent misses share one read');
    await cache.get(counting, b.dagId, b.version);
    await cache.get(counting, a.dagId, a.version); // a is now the most recent
    await cache.get(counting, c.dagId, c.version); // evicts b
    assert.equal(cache.size, 2);
    assert.equal(reads, 3);
    await cache.get(counting, a.dagId, a.version);
    assert.equal(reads, 3, 'a stayed');
    await cache.get(counting, b.dagId, b.version);
    assert.equal(reads, 4, 'b was evicted');
    assert.deepEqual((await cache.get(counting, a.dagId, a.version)).tasks.map((t) => t.name), ['a', 'b']);
    await assert.rejects(cache.get(counting, a.dagId, 42), { code: 'NOT_FOUND' });
    const small = new RunIndexCache(10, 3);
    await small.get(db.pool, a.dagId, a.version);
    await small.get(db.pool, b.dagId, b.version);
    assert.equal(small.size, 1, 'the task bound evicts too (2 + 2 tasks > 3)');
  });
});
