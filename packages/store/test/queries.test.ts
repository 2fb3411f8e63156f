// Listings bind their filters and page sizes as parameters, and every page size is bounded; the
// request a controller clears is a bound value too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from '@kontroler/engine';
import {
  DEFINITION_FORMAT, LIST_RUNS_MAX_LIMIT, PAGE_MAX_LIMIT, claimRuns, createRun, getDagDefinition, getDagVersion, listRuns,
  listRunsPage, listRunsWithCounts, loadRun, requestRun, saveDag, saveRunState,
} from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { chainDefinition } from './definitions.js';

const def = (name: string) => chainDefinition(name);

let db: TestDatabase;
let dagId: number;
before(async () => {
  db = await createTestDatabase();
  const saved = await saveDag(db.pool, { namespace: 'default', name: 'many', spec: {}, definition: def('many'), hash: 'h-many', source: 'test' });
  dagId = saved.dag.id;
  // One run more than the largest bound, straight in SQL (fast).
  await db.pool.query(
    `insert into runs (dag_id, dag_version, namespace, dag_name, trigger, parameters, secret_refs, status)
     select $1, 1, 'default', 'many', 'manual', '{}', '{}', 'succeeded' from generate_series(1, $2::int)`,
    [dagId, LIST_RUNS_MAX_LIMIT + 1],
  );
});
after(async () => { await db.drop(); });

describe('page sizes are bounded and bound', () => {
  test(`listRuns returns at most LIST_RUNS_MAX_LIMIT (${LIST_RUNS_MAX_LIMIT}) runs, exactly that many at the limit`, async () => {
    assert.equal((await listRuns(db.pool, { dagName: 'many', limit: LIST_RUNS_MAX_LIMIT })).length, LIST_RUNS_MAX_LIMIT);
    assert.equal((await listRuns(db.pool, { dagName: 'many', limit: LIST_RUNS_MAX_LIMIT + 1 })).length, LIST_RUNS_MAX_LIMIT);
    assert.equal((await listRuns(db.pool, { dagName: 'many', limit: 2.7 })).length, 2, 'a fractional limit is cut to a whole number');
    assert.equal((await listRuns(db.pool, { dagName: 'many', limit: 0 })).length, 1);
  });

  test(`an API page holds at most PAGE_MAX_LIMIT (${PAGE_MAX_LIMIT}) runs and says more follow`, async () => {
    const at = await listRunsPage(db.pool, { dagName: 'many', limit: PAGE_MAX_LIMIT });
    assert.deepEqual([at.runs.length, at.more], [PAGE_MAX_LIMIT, true]);
    const over = await listRunsWithCounts(db.pool, { dagName: 'many', limit: PAGE_MAX_LIMIT * 10 });
    assert.deepEqual([over.runs.length, over.more], [PAGE_MAX_LIMIT, true]);
    const last = await listRunsPage(db.pool, { dagName: 'many', beforeId: at.runs[PAGE_MAX_LIMIT - 1]!.id, limit: PAGE_MAX_LIMIT });
    assert.equal(last.runs.length, PAGE_MAX_LIMIT);
    const tail = await listRunsPage(db.pool, { dagName: 'many', beforeId: last.runs[PAGE_MAX_LIMIT - 1]!.id, limit: PAGE_MAX_LIMIT });
    assert.deepEqual([tail.runs.length, tail.more], [LIST_RUNS_MAX_LIMIT + 1 - 2 * PAGE_MAX_LIMIT, false]);
  });

  test('filter values are data, never SQL', async () => {
    const sneaky = "many' or '1'='1";
    assert.deepEqual(await listRuns(db.pool, { dagName: sneaky }), []);
    assert.deepEqual((await listRunsPage(db.pool, { dagName: sneaky, namespaces: ["default'--"], limit: 10 })).runs, []);
  });
});

describe('clearing a request', () => {
  test('saveRunState clears only the request it names, and leaves the other alone', async () => {
    const { run } = await createRun(db.pool, { dagId, dagVersion: 1, namespace: 'default', dagName: 'many', trigger: 'manual', parameters: {} });
    await requestRun(db.pool, run.id, 'cancel');
    // The other runs have ended: this is the only one to claim.
    assert.deepEqual((await claimRuns(db.pool, 'owner-q', 60_000, 10)).map((r) => r.id), [run.id]);
    const s0 = (await loadRun(db.pool, run.id))!.state;
    const d1 = decide(def('many'), s0, { type: 'run:tick' }, 1000);
    const s1 = d1.state;
    await saveRunState(db.pool, { runId: run.id, owner: 'owner-q', prev: s0, next: s1, changed: d1.changed, clearRequest: 'retry' });
    assert.equal((await loadRun(db.pool, run.id))!.run.requested, 'cancel', 'a retry clear keeps a cancel request');
    await saveRunState(db.pool, { runId: run.id, owner: 'owner-q', prev: s1, next: s1, changed: [] });
    assert.equal((await loadRun(db.pool, run.id))!.run.requested, 'cancel', 'no clear keeps it');
    await saveRunState(db.pool, { runId: run.id, owner: 'owner-q', prev: s1, next: s1, changed: [], clearRequest: 'cancel' });
    assert.equal((await loadRun(db.pool, run.id))!.run.requested, null);
  });
});

describe('definition snapshots carry their format', () => {
  test('a new version is stored in DEFINITION_FORMAT and reads back', async () => {
    const { rows } = await db.pool.query('select definition_format from dag_versions where dag_id = $1', [dagId]);
    assert.deepEqual(rows, [{ definition_format: DEFINITION_FORMAT }]);
    assert.equal((await getDagDefinition(db.pool, dagId, 1))?.name, 'many');
    assert.equal(await getDagDefinition(db.pool, dagId, 99), undefined);
  });

  test('a format this code does not know is a clear error, for the version and for its runs', async () => {
    const saved = await saveDag(db.pool, { namespace: 'default', name: 'future', spec: {}, definition: def('future'), hash: 'h-future', source: 'test' });
    const { run } = await createRun(db.pool, { dagId: saved.dag.id, dagVersion: 1, namespace: 'default', dagName: 'future', trigger: 'manual', parameters: {} });
    await db.pool.query('update dag_versions set definition_format = $2 where dag_id = $1', [saved.dag.id, DEFINITION_FORMAT + 1]);
    const unknown = { code: 'INVALID_STATE', message: new RegExp(`stored in format ${DEFINITION_FORMAT + 1}.*newer Kontroler`) };
    await assert.rejects(loadRun(db.pool, run.id), unknown);
    await assert.rejects(getDagVersion(db.pool, 'default', 'future'), unknown);
    await assert.rejects(getDagDefinition(db.pool, saved.dag.id, 1), unknown);
  });
});
