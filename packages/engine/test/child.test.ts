// Sub-DAGs in the engine: a dagRef task asks for its child run, ends with it, takes its outputs;
// a cancel stops it; a chain of child runs is bounded.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideAll, initialRunState, type Command, type DecideOptions, type RunEvent, type RunState } from '@kontroler/engine';
import type { DagDefinition } from '@kontroler/core';
import { dag } from './helpers.js';

const ofType = <T extends Command['type']>(cs: readonly Command[], type: T) => cs.filter((c): c is Extract<Command, { type: T }> => c.type === type);

function drive(def: DagDefinition, steps: RunEvent[][], opts: DecideOptions): { state: RunState; commands: Command[][] } {
  let state = initialRunState(def);
  const commands: Command[][] = [];
  for (const [i, evs] of [[{ type: 'run:tick' } as RunEvent], ...steps].entries()) {
    const r = decideAll(def, state, evs, i, opts);
    state = r.state;
    commands.push([...r.commands]);
  }
  return { state, commands };
}

const def = dag([
  { name: 'prep', outputs: ['day'] },
  { name: 'sub', runAfter: ['prep'], image: '', command: [], dagRef: { name: 'nightly', parameters: [{ name: 'DAY', value: '{{tasks.prep.outputs.day}}' }, { name: 'MODE', value: 'full' }] }, outputs: ['total'] },
  { name: 'after', runAfter: ['sub'], args: ['{{tasks.sub.outputs.total}}'] },
]);
const ctx: DecideOptions = { context: { runId: '3', runName: 'r', params: {}, depth: 0 } };
const prepDone: RunEvent = { type: 'attempt:exited', task: 'prep', attempt: 1, at: 1, exitCode: 0, outputs: { day: '2026-12-07' } };

describe('dagRef', () => {
  test('asks for the child run with its parameters resolved, ends with it and takes its outputs', () => {
    const r = drive(def, [[prepDone], [{ type: 'attempt:started', task: 'sub', attempt: 1, at: 2, handle: '42' }], [{ type: 'attempt:exited', task: 'sub', attempt: 1, at: 3, exitCode: 0, outputs: { total: '19' } }]], ctx);
    assert.deepEqual(ofType(r.commands[1] ?? [], 'child:start'), [{ type: 'child:start', task: 'sub', attempt: 1, dagName: 'nightly', parameters: { DAY: '2026-12-07', MODE: 'full' } }]);
    assert.deepEqual(ofType(r.commands[1] ?? [], 'attempt:start'), [], 'no runtime attempt');
    const sub = r.state.tasks.get('sub');
    assert.deepEqual([sub?.status, sub?.attempts[0]?.kind, sub?.attempts[0]?.handle, sub?.attempts[0]?.outputs], ['succeeded', 'child', '42', { total: '19' }]);
    assert.deepEqual(sub?.attempts[0]?.resolved, { parameters: { DAY: '2026-12-07' } });
    assert.deepEqual(r.state.tasks.get('after')?.attempts[0]?.resolved?.args, ['19']);
  });

  test('a failed child run fails the task; a cancel stops the child run (attempt:kill of the child attempt)', () => {
    const failed = drive(def, [[prepDone], [{ type: 'attempt:exited', task: 'sub', attempt: 1, at: 3, reason: 'ChildRunFailed: run 42 failed' }]], ctx);
    assert.equal(failed.state.tasks.get('sub')?.status, 'failed');
    assert.equal(failed.state.tasks.get('sub')?.reason, 'ChildRunFailed: run 42 failed');
    assert.equal(failed.state.tasks.get('after')?.status, 'skipped');
    const canceled = drive(def, [[prepDone], [{ type: 'attempt:started', task: 'sub', attempt: 1, at: 2, handle: '42' }], [{ type: 'run:cancel' }]], ctx);
    assert.deepEqual(ofType(canceled.commands[3] ?? [], 'attempt:kill'), [{ type: 'attempt:kill', task: 'sub', attempt: 1, reason: 'Canceled' }]);
  });

  test('a run 10 child runs deep cannot start another', () => {
    const r = drive(def, [[prepDone]], { context: { ...ctx.context!, depth: 10 } });
    assert.equal(r.state.tasks.get('sub')?.status, 'failed');
    assert.match(r.state.tasks.get('sub')?.reason ?? '', /^DagDepthExceeded: this run is 10 child runs deep; .* at most 10 deep/);
    assert.deepEqual(ofType(r.commands[1] ?? [], 'child:start'), []);
  });
});
