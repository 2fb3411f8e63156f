// A run's logical time reaches its attempts as KONTROLER_LOGICAL_TIME / KONTROLER_PREV_LOGICAL_TIME
// and its references' context, in the time zone recorded with the run; a run without one gets none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DagDefinition, ResolvedTask } from '@kontroler/core';
import type { RunRecord } from '@kontroler/store';
import { buildAttemptSpec, logicalTimesOf, runtimeReadsSecrets } from '@kontroler/controller';

const task = { name: 'a', runAfter: [], image: 'alpine', command: ['true'], args: [], parameters: [] } as unknown as ResolvedTask;
const def = { namespace: 'team', name: 'd', timezone: 'UTC', tasks: [task] } as unknown as DagDefinition;
const base = { id: 7, namespace: 'team', dagName: 'd', trigger: 'schedule', name: 'd-1', parameters: {}, secretRefs: {}, scheduledFor: null } as unknown as RunRecord;

test('the env of a run with a logical time, in its recorded time zone (DST: the offset of that instant)', () => {
  const run = { ...base, scheduledFor: Date.parse('2026-03-29T01:00:00Z'), prevLogicalTime: Date.parse('2026-03-29T00:00:00Z'), logicalTimezone: 'Europe/Berlin' } as RunRecord;
  const spec = buildAttemptSpec(run, def, task, 1, undefined, runtimeReadsSecrets);
  assert.equal(spec.env.KONTROLER_LOGICAL_TIME, '2026-03-29T03:00:00+02:00');
  assert.equal(spec.env.KONTROLER_PREV_LOGICAL_TIME, '2026-03-29T01:00:00+01:00');
  assert.deepEqual(logicalTimesOf(run), { logicalTime: '2026-03-29T03:00:00+02:00', prevLogicalTime: '2026-03-29T01:00:00+01:00' });
});

test('a run recorded before time zones were kept uses the definition\'s; a run without a logical time gets none', () => {
  const old = { ...base, scheduledFor: Date.parse('2026-01-01T00:00:00Z') } as RunRecord;
  assert.equal(buildAttemptSpec(old, { ...def, timezone: 'Asia/Tokyo' }, task, 1, undefined, runtimeReadsSecrets).env.KONTROLER_LOGICAL_TIME, '2026-01-01T09:00:00+09:00');
  const none = buildAttemptSpec(base, def, task, 1, undefined, runtimeReadsSecrets);
  assert.equal('KONTROLER_LOGICAL_TIME' in none.env, false);
  assert.equal('KONTROLER_PREV_LOGICAL_TIME' in none.env, false);
});
