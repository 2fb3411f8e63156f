// status.conditions after the Kubernetes API conventions: a DagRun's conditions per phase, transition
// times kept while a status is unchanged, messages clipped; Go-style durations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONDITION_MESSAGE_MAX_CHARS, condition, dagRunStatus, goDuration, runConditions, summarizeTasks, withConditionTimes, type Condition } from '@kontroler/kube-operator';

const table = (cs: ReadonlyArray<{ type: string; status: string; reason: string }>): string[][] => cs.map((c) => [c.type, c.status, c.reason]);

test('a DagRun has Succeeded, Failed and Running conditions for every phase', () => {
  const cases: Array<[string, string, string[][]]> = [
    ['Pending', 'Pending', [['Succeeded', 'Unknown', 'Pending'], ['Failed', 'False', 'Pending'], ['Running', 'False', 'Pending']]],
    ['Running', 'Running', [['Succeeded', 'Unknown', 'Running'], ['Failed', 'False', 'Running'], ['Running', 'True', 'Running']]],
    ['Succeeded', 'Succeeded', [['Succeeded', 'True', 'Succeeded'], ['Failed', 'False', 'Succeeded'], ['Running', 'False', 'Succeeded']]],
    ['Failed', 'TasksFailed', [['Succeeded', 'False', 'TasksFailed'], ['Failed', 'True', 'TasksFailed'], ['Running', 'False', 'TasksFailed']]],
    ['Canceled', 'Canceled', [['Succeeded', 'False', 'Canceled'], ['Failed', 'False', 'Canceled'], ['Running', 'False', 'Canceled']]],
  ];
  for (const [phase, reason, want] of cases) assert.deepEqual(table(runConditions(phase, reason, 'm', 2)), want, phase);
  assert.equal(runConditions('Running', 'Running', 'm', 2)[0]?.observedGeneration, 2);
});

test('dagRunStatus: conditions with reason and message, and a duration once the run ended', () => {
  const run = (status: string, finishedAt: number | null) => ({ id: 5, dagVersion: 1, status, createdAt: 1000, startedAt: 2000, finishedAt });
  const task = { name: 'a', status: 'failed' as const, attempts: [] };
  const failed = dagRunStatus(run('failed', 2000 + 65_400), summarizeTasks([task]), 3);
  assert.equal(failed.duration, '1m5s');
  const conds = failed.conditions as Condition[];
  assert.deepEqual(table(conds), [['Succeeded', 'False', 'TasksFailed'], ['Failed', 'True', 'TasksFailed'], ['Running', 'False', 'TasksFailed']]);
  assert.equal(conds[1]?.message, 'failed: a');
  const running = dagRunStatus(run('running', null), summarizeTasks([{ ...task, status: 'running' as const }]), 3);
  assert.equal('duration' in running, false, 'no duration while it runs');
  assert.equal(dagRunStatus(run('failed', 1500), summarizeTasks([task]), 3).duration, '0s', 'never negative');
});

test('withConditionTimes keeps lastTransitionTime while a status is unchanged, and stamps a change', () => {
  const t0 = Date.UTC(2026, 0, 1, 0, 0, 0);
  const first = withConditionTimes(undefined, { phase: 'Running', conditions: runConditions('Running', 'Running', '0/2', 1) }, t0);
  const at = (s: Record<string, unknown>, type: string): string | undefined => (s.conditions as Condition[]).find((c) => c.type === type)?.lastTransitionTime;
  assert.equal(at(first, 'Failed'), '2026-01-01T00:00:00Z');
  const second = withConditionTimes(first, { phase: 'Running', conditions: runConditions('Running', 'Running', '1/2', 1) }, t0 + 5000);
  assert.equal(at(second, 'Running'), '2026-01-01T00:00:00Z', 'same status, other message: the time stays');
  const ended = withConditionTimes(second, { phase: 'Succeeded', conditions: runConditions('Succeeded', 'Succeeded', 'all 2 tasks succeeded', 1) }, t0 + 9000);
  assert.equal(at(ended, 'Succeeded'), '2026-01-01T00:00:09Z', 'Unknown → True: a transition');
  assert.equal(at(ended, 'Running'), '2026-01-01T00:00:09Z', 'True → False: a transition');
  assert.equal(at(ended, 'Failed'), '2026-01-01T00:00:00Z', 'False all along: the first time stays');
  assert.deepEqual(withConditionTimes(ended, { phase: 'Succeeded', conditions: runConditions('Succeeded', 'Succeeded', 'all 2 tasks succeeded', 1) }, t0 + 60_000), ended, 'idempotent');
  assert.deepEqual(withConditionTimes(ended, { phase: 'x' }, t0), { phase: 'x' }, 'no conditions: as it is');
  assert.deepEqual(withConditionTimes({ conditions: [null, 'junk', { type: 'Running' }] }, { conditions: [condition('Running', 'True', 'Running', 'm', 1)] }, t0).conditions, [
    { type: 'Running', status: 'True', reason: 'Running', message: 'm', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' },
  ], 'malformed current conditions are ignored');
});

test('a condition message is clipped; goDuration prints like Go', () => {
  assert.equal(condition('Ready', 'False', 'Invalid', 'x'.repeat(5000), 1).message.length, CONDITION_MESSAGE_MAX_CHARS);
  assert.deepEqual([goDuration(350), goDuration(45_999), goDuration(119_770), goDuration(3_723_000), goDuration(-452), goDuration(Number.NaN)], ['350ms', '45s', '1m59s', '1h2m3s', '0s', '0s']);
});
