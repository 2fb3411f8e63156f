// `{{run.logicalTime}}` / `{{run.prevLogicalTime}}`: substituted from the run's context when the
// attempt is created; a run without a logical time fails the task, saying why.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, initialRunState, type DecideOptions } from '@kontroler/engine';
import { dag } from './helpers.js';

const def = dag([{ name: 'a', args: ['{{run.logicalTime}}', '{{ run.prevLogicalTime }}'] }]);

describe('logical time references', () => {
  test('are substituted from the run context and recorded on the attempt', () => {
    const ctx: DecideOptions = { context: { runId: '7', runName: 'n-7', params: {}, logicalTime: '2026-03-29T03:00:00+02:00', prevLogicalTime: '2026-03-29T01:00:00+01:00' } };
    const r = decide(def, initialRunState(def), { type: 'run:tick' }, 0, ctx);
    assert.deepEqual(r.state.tasks.get('a')?.attempts[0]?.resolved, { args: ['2026-03-29T03:00:00+02:00', '2026-03-29T01:00:00+01:00'] });
  });
  test('a run without a logical time fails the task without an attempt, saying so', () => {
    const r = decide(def, initialRunState(def), { type: 'run:tick' }, 0, { context: { runId: '7', runName: 'n-7', params: {} } });
    const a = r.state.tasks.get('a');
    assert.equal(a?.status, 'failed');
    assert.equal(a?.attempts.length, 0);
    assert.match(a?.reason ?? '', /UnresolvedReference: \{\{run\.logicalTime\}\} has no value \(the run has no logical time/);
  });
});
