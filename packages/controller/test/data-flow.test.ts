// Data flow through controller + store (real PostgreSQL) and the runtime double: outputs stored
// with attempts, references resolved into the attempt spec the runtime gets (secrets filled in for
// the runtime only, never recorded), conditions, the run's outputs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KontrolerError } from '@kontroler/core';
import { Controller, envSecretResolver, silentLog } from '@kontroler/controller';
import { getRun, loadRun, requestRun, saveDag } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { FakeRuntime, type FakeAttempt, type FakeScript } from '@kontroler/testing';
import { definition, startRun, task, waitForRunEnd } from './fixtures.js';

let db: TestDatabase;
before(async () => { db = await createTestDatabase(); });
after(async () => { await db.drop(); });

function ended(c: Controller, runId: number): Promise<void> {
  return new Promise((resolve) => { const off = c.onRunEnded((id) => { if (id === runId) { off(); resolve(); } }); });
}

describe('data flow through the controller', () => {
  test('outputs flow into later attempts; a false condition skips; the run gets its outputs', async () => {
    const rt = new FakeRuntime((spec) => (spec.task === 'count' ? { exitCode: 0, outputs: { n: '19', note: 'ignored' } } : { output: `ran ${spec.task}\n`, exitCode: 0 }));
    const c = new Controller({ pool: db.pool, databaseUrl: db.url, runtime: rt, id: 'c-flow', log: silentLog, secrets: envSecretResolver({ KONTROLER_SECRET_DEFAULT__TOKEN: 's3cret' }), pollMs: 200 });
    await c.start();
    const def = definition('flow', [
      task('count', [], { outputs: ['n'] }),
      task('big', ['count'], { when: 'int(tasks.count.outputs.n) > int(params.LIMIT)', command: ['echo', '{{tasks.count.outputs.n}} in {{run.id}}'], args: ['{{params.TOKEN}}'], env: [{ name: 'N', value: 'n={{tasks.count.outputs.n}}' }] }),
      task('small', ['count'], { when: 'int(tasks.count.outputs.n) <= int(params.LIMIT)' }),
    ], { parameters: [{ name: 'LIMIT', defaultValue: '10' }, { name: 'TOKEN', defaultFromSecret: 'token' }], outputs: [{ name: 'total', value: '{{tasks.count.outputs.n}}' }] });
    const run = await startRun(db.pool, def, { LIMIT: '10' }, { TOKEN: 'token' });
    await ended(c, run.id);
    await c.stop();
    const d = (await loadRun(db.pool, run.id))!;
    assert.equal(d.run.status, 'succeeded');
    assert.deepEqual(d.state.tasks.get('count')?.attempts[0]?.outputs, { n: '19' });
    assert.equal(d.state.tasks.get('small')?.status, 'skipped');
    assert.equal(d.state.tasks.get('small')?.reason, 'ConditionFalse');
    // Recorded: references resolved, the secret left as written.
    assert.deepEqual(d.state.tasks.get('big')?.attempts[0]?.resolved, { command: ['echo', `19 in ${run.id}`], args: ['{{params.TOKEN}}'], env: { N: 'n=19' } });
    // Given to the runtime: the secret filled in, the env entry, the declared outputs.
    const big = rt.specs.get(`${run.id}/big/1`);
    assert.deepEqual(big?.command, ['echo', `19 in ${run.id}`]);
    assert.deepEqual(big?.args, ['s3cret']);
    assert.equal(big?.env.N, 'n=19');
    assert.deepEqual(rt.specs.get(`${run.id}/count/1`)?.outputs, ['n']);
    assert.ok(!rt.specs.has(`${run.id}/small/1`), 'a false condition never starts its task');
    assert.deepEqual(d.state.outputs, { total: '19' });
    const stored = await db.pool.query<{ resolved: unknown }>(`select resolved::text from attempts where run_id = $1`, [run.id]);
    assert.ok(!JSON.stringify(stored.rows).includes('s3cret'), 'the secret is never stored');
    assert.equal((await getRun(db.pool, run.id))?.status, 'succeeded');
  });

  test('a task that exits 0 without its declared output fails, naming it', async () => {
    const rt = new FakeRuntime(() => ({ exitCode: 0 }));
    const c = new Controller({ pool: db.pool, databaseUrl: db.url, runtime: rt, id: 'c-missing', log: silentLog, secrets: envSecretResolver({}), pollMs: 200 });
    await c.start();
    const run = await startRun(db.pool, definition('missing', [task('a', [], { outputs: ['rows'] }), task('b', ['a'])]));
    await ended(c, run.id);
    await c.stop();
    const d = (await loadRun(db.pool, run.id))!;
    assert.equal(d.run.status, 'failed');
    assert.equal(d.state.tasks.get('a')?.attempts[0]?.reason, 'OutputMissing: output "rows" was not written to $KONTROLER_OUTPUTS/rows');
    assert.equal(d.state.tasks.get('b')?.status, 'skipped');
  });
});

describe('a runtime that refuses an attempt spec', () => {
  test('VALIDATION_FAILED from start fails the task at once, without using its retries', async () => {
    class Refusing extends FakeRuntime {
      override async start(spec: Parameters<FakeRuntime['start']>[0]): Promise<void> {
        if (spec.task === 'a') throw new KontrolerError('VALIDATION_FAILED', 'this runtime does not carry task outputs');
        return super.start(spec);
      }
    }
    const rt = new Refusing();
    const c = new Controller({ pool: db.pool, databaseUrl: db.url, runtime: rt, id: 'c-refuse', log: silentLog, secrets: envSecretResolver({}), pollMs: 200 });
    await c.start();
    const run = await startRun(db.pool, definition('refused', [task('a', [], { retryLimit: 3 }), task('b', [], { retryLimit: 3 })]));
    await ended(c, run.id);
    await c.stop();
    const d = (await loadRun(db.pool, run.id))!;
    assert.equal(d.state.tasks.get('a')?.status, 'failed');
    assert.equal(d.state.tasks.get('a')?.attempts.length, 1, 'no retry');
    assert.equal(d.state.tasks.get('a')?.attempts[0]?.reason, 'StartFailed: this runtime does not carry task outputs');
    assert.equal(d.state.tasks.get('b')?.status, 'succeeded');
  });
});

describe('a mapped task through the controller', () => {
  test('instances run with their item, survive a controller restart without starting twice, and downstream reads their outputs in item order', async () => {
    let hang = true;
    const script: FakeScript = (spec): FakeAttempt => {
      if (spec.task === 'list') return { exitCode: 0, outputs: { files: JSON.stringify(['a', 'b', 'c', 'd', 'e']) } };
      if (spec.task.startsWith('process[')) return hang ? {} : { exitCode: 0, outputs: { n: `${spec.env.KONTROLER_ITEM}${spec.env.KONTROLER_ITEM_INDEX}` } };
      return { exitCode: 0 };
    };
    const rt = new FakeRuntime(script);
    const opts = { pool: db.pool, databaseUrl: db.url, log: silentLog, secrets: envSecretResolver({}), pollMs: 200 };
    const c1 = new Controller({ ...opts, runtime: rt, id: 'c-map-1' });
    await c1.start();
    const def = definition('mapped', [
      task('list', [], { outputs: ['files'] }),
      task('process', ['list'], { withParam: '{{tasks.list.outputs.files}}', maxParallel: 2, args: ['{{item}}'], outputs: ['n'] }),
      task('sum', ['process'], { args: ['{{tasks.process.outputs.n}}'] }),
    ]);
    const run = await startRun(db.pool, def);
    await Promise.all([rt.started({ runId: String(run.id), task: 'process[0]', attempt: 1 }), rt.started({ runId: String(run.id), task: 'process[1]', attempt: 1 })]);
    await c1.stop();
    // While no controller runs, the two running instances end.
    hang = false;
    for (const k of [0, 1]) rt.finish({ runId: String(run.id), task: `process[${k}]`, attempt: 1 }, 0, 'Completed', { outputs: { n: `${'ab'[k]}${k}` } });
    const rt2 = rt.reopen();
    const c2 = new Controller({ ...opts, runtime: rt2, id: 'c-map-2' });
    const done = ended(c2, run.id);
    await c2.start();
    await done;
    await c2.stop();
    const d = (await loadRun(db.pool, run.id))!;
    assert.equal(d.run.status, 'succeeded');
    assert.equal(d.state.tasks.get('process')?.instances, 5);
    assert.equal(d.state.tasks.get('process')?.status, 'succeeded');
    assert.deepEqual(d.state.tasks.get('process[3]'), { ...d.state.tasks.get('process[3]'), mapOf: 'process', index: 3, item: 'd', status: 'succeeded' });
    const starts = [...rt.starts, ...rt2.starts].filter((s) => s.includes('/process['));
    assert.deepEqual(starts.sort(), [0, 1, 2, 3, 4].map((k) => `${run.id}/process[${k}]/1`), 'each instance started once');
    assert.deepEqual(rt2.specs.get(`${run.id}/process[4]/1`)?.args, ['e']);
    assert.equal(rt2.specs.get(`${run.id}/process[4]/1`)?.env.KONTROLER_ITEM, 'e');
    assert.deepEqual(d.state.tasks.get('sum')?.attempts[0]?.resolved?.args, ['["a0","b1","c2","d3","e4"]']);
  });
});

describe('a dagRef task through the controller', () => {
  const childDef = () =>
    definition('nightly', [task('count', [], { outputs: ['n'], parameters: ['DAY'] })], { parameters: [{ name: 'DAY', defaultValue: 'none' }], outputs: [{ name: 'total', value: '{{tasks.count.outputs.n}}' }] });
  const parentDef = () =>
    definition('parent', [
      task('prep', [], { outputs: ['day'] }),
      { ...task('sub', ['prep'], { outputs: ['total'] }), image: '', command: [], dagRef: { name: 'nightly', parameters: [{ name: 'DAY', value: '{{tasks.prep.outputs.day}}' }] } },
      task('after', ['sub'], { args: ['{{tasks.sub.outputs.total}}'] }),
    ]);

  test('runs the child run with resolved parameters, links it to its parent, and takes its outputs', async () => {
    const rt = new FakeRuntime((spec): FakeAttempt => (spec.task === 'prep' ? { exitCode: 0, outputs: { day: 'mon' } } : spec.task === 'count' ? { exitCode: 0, outputs: { n: `7-${spec.env.DAY}` } } : { exitCode: 0 }));
    const c = new Controller({ pool: db.pool, databaseUrl: db.url, runtime: rt, id: 'c-child', log: silentLog, secrets: envSecretResolver({}), pollMs: 200 });
    await c.start();
    await saveDag(db.pool, { namespace: 'default', name: 'nightly', spec: {}, definition: childDef(), hash: 'child-1', source: 'test' });
    const run = await startRun(db.pool, parentDef());
    await waitForRunEnd(db.pool, run.id);
    await c.stop();
    const d = (await loadRun(db.pool, run.id))!;
    assert.equal(d.run.status, 'succeeded', JSON.stringify([...d.state.tasks.values()]));
    const sub = d.state.tasks.get('sub')?.attempts[0];
    assert.equal(sub?.kind, 'child');
    assert.deepEqual(sub?.outputs, { total: '7-mon' });
    const child = (await loadRun(db.pool, Number(sub?.handle)))!;
    assert.deepEqual([child.run.trigger, child.run.parent, child.run.depth, child.run.parameters.DAY], ['child', { runId: run.id, task: 'sub', attempt: 1 }, 1, 'mon']);
    assert.deepEqual(d.state.tasks.get('after')?.attempts[0]?.resolved?.args, ['7-mon']);
  });

  test('canceling the parent cancels the child run; the dagRef task ends canceled', async () => {
    const rt = new FakeRuntime((spec): FakeAttempt => (spec.task === 'prep' ? { exitCode: 0, outputs: { day: 'tue' } } : {}));
    const c = new Controller({ pool: db.pool, databaseUrl: db.url, runtime: rt, id: 'c-child-cancel', log: silentLog, secrets: envSecretResolver({}), pollMs: 200 });
    await c.start();
    await saveDag(db.pool, { namespace: 'default', name: 'nightly', spec: {}, definition: childDef(), hash: 'child-2', source: 'test' });
    const run = await startRun(db.pool, parentDef());
    // The child's task runs (and hangs) once the child run exists.
    const childId = await new Promise<number>((resolve) => {
      const off = rt.subscribe((ev) => {
        if (ev.type === 'started' && ev.key.task === 'count') { off(); resolve(Number(ev.key.runId)); }
      });
    });
    await requestRun(db.pool, run.id, 'cancel');
    const [parentEnd, childEnd] = await Promise.all([waitForRunEnd(db.pool, run.id), waitForRunEnd(db.pool, childId)]);
    await c.stop();
    assert.equal(childEnd.status, 'canceled');
    assert.equal(parentEnd.status, 'canceled');
    const d = (await loadRun(db.pool, run.id))!;
    assert.equal(d.state.tasks.get('sub')?.status, 'canceled');
  });
});
