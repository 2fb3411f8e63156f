// Approvals: a task that waits for a person's decision (or its timeout), then succeeds with the
// decision as its outputs or fails as rejected.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command, DecideOptions, RunEvent } from '@kontroler/engine';
import type { DagDefinition } from '@kontroler/core';
import { dag, RunDriver } from './helpers.js';

const ctx: DecideOptions = { context: { runId: '5', runName: 'r-5', params: { ENV: 'prod' } } };
const ofType = <T extends Command['type']>(cs: readonly Command[], type: T) => cs.filter((c): c is Extract<Command, { type: T }> => c.type === type);
const starts = (cs: readonly Command[]) => ofType(cs, 'attempt:start').map((c) => c.task);

class Run extends RunDriver {
  constructor(def: DagDefinition, opts: DecideOptions = ctx) {
    super(def, opts, false, 0);
  }
}

const decided = (approve: boolean, by: string, extra: Partial<Extract<RunEvent, { type: 'approval:decided' }>> = {}): RunEvent => ({
  type: 'approval:decided', task: 'gate', attempt: 1, approve, by, at: 5, ...extra,
});

const def = (approval: object = {}) =>
  dag([
    { name: 'build' },
    { name: 'gate', runAfter: ['build'], command: [], image: '', approval: { message: 'deploy {{params.ENV}}?', onTimeout: 'Reject', inputs: ['ticket'], ...approval } },
    { name: 'deploy', runAfter: ['gate'], args: ['{{tasks.gate.outputs.approvedBy}}', '{{tasks.gate.outputs.ticket}}'] },
  ]);

describe('approvals', () => {
  test('wait for a person: no process, a request with the resolved message and the inputs; approve → the decision becomes the outputs', () => {
    const r = new Run(def());
    r.step([{ type: 'attempt:exited', task: 'build', attempt: 1, at: 1, exitCode: 0 }]);
    assert.deepEqual(starts(r.commands), [], 'an approval starts no attempt in the runtime');
    assert.deepEqual(ofType(r.commands, 'approval:request'), [{ type: 'approval:request', task: 'gate', attempt: 1, message: 'deploy prod?', inputs: ['ticket'] }]);
    const gate = r.task('gate');
    assert.equal(gate?.status, 'running');
    assert.deepEqual([gate?.attempts[0]?.kind, gate?.attempts[0]?.status], ['approval', 'running']);
    assert.deepEqual(gate?.attempts[0]?.resolved, { message: 'deploy prod?' });
    r.step([{ type: 'run:tick' }], 1000);
    assert.equal(r.task('gate')?.status, 'running', 'it waits as long as it takes');
    r.step([decided(true, 'ann', { comment: 'ship it', inputs: { ticket: 'OPS-7', extra: 'dropped' } })]);
    const ok = r.task('gate');
    assert.equal(ok?.status, 'succeeded');
    assert.deepEqual(ok?.attempts[0]?.outputs, { ticket: 'OPS-7', approvedBy: 'ann', comment: 'ship it' });
    assert.equal(ok?.attempts[0]?.reason, 'Approved');
    assert.deepEqual(ofType(r.commands, 'notify:approval'), [{ type: 'notify:approval', task: 'gate', attempt: 1, approve: true, by: 'ann', comment: 'ship it' }]);
    assert.deepEqual(starts(r.commands), ['deploy']);
    assert.deepEqual(r.task('deploy')?.attempts[0]?.resolved?.args, ['ann', 'OPS-7']);
  });

  test('reject fails the task for good and skips what follows; a second or stale decision changes nothing; a retry of the run asks again', () => {
    const r = new Run(def());
    r.step([{ type: 'attempt:exited', task: 'build', attempt: 1, at: 1, exitCode: 0 }]);
    r.step([decided(true, 'eve', { attempt: 2 })]);
    assert.equal(r.task('gate')?.status, 'running', 'a decision for another attempt is ignored');
    r.step([decided(false, 'bob', { comment: 'not today' })]);
    assert.equal(r.task('gate')?.status, 'failed');
    assert.equal(r.task('gate')?.reason, 'Rejected by bob: not today');
    assert.equal(r.task('deploy')?.status, 'skipped');
    assert.equal(r.state.status, 'failed');
    const before = r.state;
    r.step([decided(true, 'ann')]);
    assert.equal(r.state, before, 'deciding twice changes nothing');
    r.step([{ type: 'run:retry' }]);
    assert.deepEqual(ofType(r.commands, 'approval:request').map((c) => c.attempt), [2]);
    r.step([decided(true, 'ann', { attempt: 2 })]);
    assert.deepEqual(starts(r.commands), ['deploy']);
    assert.deepEqual(r.task('deploy')?.attempts[0]?.resolved?.args, ['ann', ''], 'an input not given reads empty');
  });

  test('the timeout decides by onTimeout, waking the run at the right time', () => {
    for (const [onTimeout, status, reason] of [
      ['Approve', 'succeeded', 'ApprovedOnTimeout'],
      ['Reject', 'failed', 'RejectedOnTimeout: no decision before the approval timed out'],
    ] as const) {
      const r = new Run(def({ timeoutSeconds: 60, onTimeout }));
      r.step([{ type: 'attempt:exited', task: 'build', attempt: 1, at: 1, exitCode: 0 }], 1);
      assert.equal(ofType(r.commands, 'approval:request')[0]?.timeoutAt, 60_001);
      assert.deepEqual(ofType(r.commands, 'wake'), [{ type: 'wake', at: 60_001 }]);
      r.step([{ type: 'run:tick' }], 60_000);
      assert.equal(r.task('gate')?.status, 'running');
      r.step([{ type: 'run:tick' }], 60_001);
      assert.equal(r.task('gate')?.status, status);
      assert.equal(r.task('gate')?.attempts[0]?.reason, reason);
      assert.equal(ofType(r.commands, 'notify:approval')[0]?.by, 'timeout');
      if (onTimeout === 'Approve') assert.equal(r.task('gate')?.attempts[0]?.outputs?.approvedBy, 'timeout');
    }
  });

  test('cancel ends a waiting approval at once (nothing to kill)', () => {
    const r = new Run(def());
    r.step([{ type: 'attempt:exited', task: 'build', attempt: 1, at: 1, exitCode: 0 }]);
    r.step([{ type: 'run:cancel' }]);
    assert.deepEqual(ofType(r.commands, 'attempt:kill'), []);
    assert.equal(r.task('gate')?.status, 'canceled');
    assert.equal(r.task('gate')?.attempts[0]?.status, 'canceled');
    assert.equal(r.state.status, 'canceled');
  });

  test('a waiting approval takes no slot of the run’s parallelism limit', () => {
    const d = dag([{ name: 'gate', command: [], image: '', approval: { message: 'ok?', onTimeout: 'Reject', inputs: [] } }, { name: 'work' }]);
    const r = new Run(d, { ...ctx, maxRunning: 1 });
    assert.equal(ofType(r.commands, 'approval:request').length, 1);
    assert.deepEqual(starts(r.commands), ['work']);
  });
});
