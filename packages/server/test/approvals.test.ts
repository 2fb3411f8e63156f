// POST /runs/{id}/tasks/{task}/approve|reject over real HTTP and PostgreSQL: RBAC (a viewer is
// refused), inputs checked against the approval's, one decision per attempt, audited, and the
// task view's approval with its decision. The controller's part is in the CLI end-to-end test.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideAll, type RunEvent } from '@kontroler/engine';
import { listAudit, loadRun, pendingApprovalDecisions, saveRunState } from '@kontroler/store';
import { resolvedTask as task } from '@kontroler/testing';
import { call, seedRun, startHarness, userWithSession, type Harness } from './harness.js';

let h: Harness;
let editor: string;
let viewer: string;
before(async () => {
  h = await startHarness();
  editor = (await userWithSession(h, 'ed', [{ namespace: 'team', role: 'editor' }])).token;
  viewer = (await userWithSession(h, 'vi', [{ namespace: 'team', role: 'viewer' }])).token;
});
after(async () => h.close());

/** A run whose `gate` waits for a decision (driven by the real engine, saved by the store). */
async function waitingRun(): Promise<number> {
  const gate = { ...task('gate', ['build']), image: '', command: [], approval: { message: 'ship {{run.id}}?', onTimeout: 'Reject' as const, inputs: ['ticket'] } };
  const id = await seedRun(h, 'team', 'release', [task('build'), gate, task('deploy', ['gate'])]);
  const loaded = (await loadRun(h.db.pool, id))!;
  await h.db.pool.query(`update runs set owner = 'approvals-test', lease_expires_at = now() + interval '1 minute' where id = $1`, [id]);
  let s = loaded.state;
  const ctx = { context: { runId: String(id), runName: String(id), params: {} } };
  for (const evs of [[{ type: 'run:tick' }], [{ type: 'attempt:exited', task: 'build', attempt: 1, at: 1, exitCode: 0 }]] as RunEvent[][]) {
    const r = decideAll(loaded.definition, s, evs, 1, ctx);
    await saveRunState(h.db.pool, { runId: id, owner: 'approvals-test', prev: s, next: r.state, changed: r.changed });
    s = r.state;
  }
  return id;
}

const post = (id: number, what: string, token: string, body: unknown = {}, name = 'gate') => call<{ code?: string; message?: string; details?: Array<{ path: string }>; by?: string; approve?: boolean }>(h.url, 'POST', `/api/v1/runs/${id}/tasks/${name}/${what}`, { token, body });

describe('approve and reject', () => {
  test('the task view shows the request; a viewer is refused; inputs must match; the decision is recorded once and audited', async () => {
    const id = await waitingRun();
    const view = await call<{ tasks: Array<{ name: string; kind?: string; approval?: { message: string; inputs: string[]; waiting: boolean; decision: unknown } }> }>(h.url, 'GET', `/api/v1/runs/${id}`, { token: viewer });
    const gate = view.body.tasks.find((t) => t.name === 'gate');
    assert.equal(gate?.kind, 'approval');
    assert.deepEqual(gate?.approval && { message: gate.approval.message, inputs: gate.approval.inputs, waiting: gate.approval.waiting, decision: gate.approval.decision }, { message: `ship ${id}?`, inputs: ['ticket'], waiting: true, decision: null });

    assert.equal((await post(id, 'approve', viewer, { inputs: { ticket: 'T-1' } })).status, 403, 'a viewer cannot decide');
    const unknown = await post(id, 'approve', editor, { inputs: { ticket: 'T-1', color: 'red' } });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body.details?.map((d) => d.path), ['body.inputs.color']);
    const missing = await post(id, 'approve', editor, {});
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.details?.map((d) => d.path), ['body.inputs.ticket']);
    const notApproval = await post(id, 'approve', editor, {}, 'deploy');
    assert.equal(notApproval.status, 409);
    assert.match(notApproval.body.message ?? '', /task deploy is not an approval/);

    const ok = await post(id, 'approve', editor, { inputs: { ticket: 'T-1' }, comment: 'fine' });
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    assert.equal(ok.body.by, 'ed');
    assert.equal(ok.body.approve, true);
    const twice = await post(id, 'reject', editor, {});
    assert.equal(twice.status, 409);
    assert.match(twice.body.message ?? '', /was already approved by ed at /);
    const pending = await pendingApprovalDecisions(h.db.pool, id);
    assert.deepEqual(pending.map((d) => [d.task, d.attempt, d.approve, d.decidedBy, d.comment, d.inputs]), [['gate', 1, true, 'ed', 'fine', { ticket: 'T-1' }]]);
    const audit = await listAudit(h.db.pool, { action: 'run.approve' });
    assert.ok(audit.some((e) => e.actor === 'user:ed' && e.outcome === 'ok' && e.details.runId === id && e.details.task === 'gate'), JSON.stringify(audit));
    const after = await call<{ tasks: Array<{ name: string; approval?: { decision: { approve: boolean; by: string; comment: string | null } | null } }> }>(h.url, 'GET', `/api/v1/runs/${id}`, { token: viewer });
    assert.deepEqual(after.body.tasks.find((t) => t.name === 'gate')?.approval?.decision && { ...after.body.tasks.find((t) => t.name === 'gate')!.approval!.decision!, at: undefined }, { approve: true, by: 'ed', comment: 'fine', inputs: { ticket: 'T-1' }, at: undefined });
  });

  test('once the decision is carried out (the gate succeeded, the run still runs), a second one is refused naming who decided', async () => {
    const id = await waitingRun();
    assert.equal((await post(id, 'approve', editor, { inputs: { ticket: 'T-2' } })).status, 202);
    // The controller's part: the engine applies the decision, the store saves the gate succeeded.
    const loaded = (await loadRun(h.db.pool, id))!;
    const ctx = { context: { runId: String(id), runName: String(id), params: {} } };
    const r = decideAll(loaded.definition, loaded.state, [{ type: 'approval:decided', task: 'gate', attempt: 1, approve: true, by: 'ed', inputs: { ticket: 'T-2' }, at: 2 }], 2, ctx);
    await saveRunState(h.db.pool, { runId: id, owner: 'approvals-test', prev: loaded.state, next: r.state, changed: r.changed });
    assert.equal(r.state.tasks.get('gate')?.status, 'succeeded');
    assert.equal(r.state.status, 'running', 'deploy runs next');
    const late = await post(id, 'reject', editor, {});
    assert.equal(late.status, 409);
    assert.match(late.body.message ?? '', new RegExp(`^task gate of run ${id} was already approved by ed at \\d{4}-`));
  });

  test('a task not yet waiting, an unknown task and an unknown run are refused with what is wrong', async () => {
    const id = await seedRun(h, 'team', 'early', [task('build'), { ...task('gate', ['build']), image: '', command: [], approval: { message: 'm', onTimeout: 'Reject' as const, inputs: [] } }]);
    const early = await post(id, 'reject', editor);
    assert.equal(early.status, 409);
    assert.match(early.body.message ?? '', /does not wait for a decision yet/);
    assert.equal((await post(id, 'approve', editor, {}, 'nope')).status, 404);
    assert.equal((await post(999_999, 'approve', editor)).status, 404);
  });
});
