// buildAttemptSpec names the run's DagRun object (runObject) only for runs a DagRun started, so
// the Kubernetes runtime can own the pods by it without asking the CRD adapter (ADR 0008, amendment 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DagDefinition, ResolvedTask } from '@kontroler/core';
import type { RunRecord } from '@kontroler/store';
import { buildAttemptSpec, runtimeReadsSecrets } from '@kontroler/controller';

const task: ResolvedTask = { name: 'a', runAfter: [], image: 'alpine', command: ['true'], args: [], retryLimit: 0, retryDelay: { seconds: 0, factor: 1, maxSeconds: 0 }, triggerRule: 'allSuccess', parameters: [] } as unknown as ResolvedTask;
const def = { namespace: 'team', name: 'd', tasks: [task] } as unknown as DagDefinition;
const run = (trigger: RunRecord['trigger'], name: string | null): RunRecord => ({ id: 7, namespace: 'team', dagName: 'd', trigger, name, parameters: {}, secretRefs: {} }) as unknown as RunRecord;

test('a run a DagRun started names it as runObject; other runs do not', () => {
  assert.equal(buildAttemptSpec(run('crd', 'nightly-1'), def, task, 1, undefined, runtimeReadsSecrets).runObject, 'nightly-1');
  for (const trigger of ['api', 'schedule', 'manual', 'webhook', 'retry'] as const) {
    assert.equal('runObject' in buildAttemptSpec(run(trigger, 'named'), def, task, 1, undefined, runtimeReadsSecrets), false, trigger);
  }
  assert.equal('runObject' in buildAttemptSpec(run('crd', null), def, task, 1, undefined, runtimeReadsSecrets), false);
});

test('{{params.S}} of a secret parameter: the value where the controller has it, else a reference to the pod variable', () => {
  const t = { ...task, command: ['echo', '{{params.S}}'], args: ['x{{params.S}}'], script: 'echo {{params.S}}', parameters: [] } as ResolvedTask;
  const r = { ...run('api', null), secretRefs: { S: 'creds' } } as RunRecord;
  const local = buildAttemptSpec(r, def, t, 1, undefined, () => ({ kind: 'value', value: 'v4lue' }));
  assert.deepEqual([local.command, local.args, local.script], [['echo', 'v4lue'], ['xv4lue'], 'echo v4lue']);
  const pod = buildAttemptSpec(r, def, t, 1, undefined, runtimeReadsSecrets);
  assert.deepEqual([pod.command, pod.args, pod.script, pod.secretEnv], [['echo', '$(S)'], ['x$(S)'], 'echo ${S}', { S: 'creds' }]);
  const inEnv = { ...task, env: [{ name: 'E', value: '{{params.S}}' }] } as ResolvedTask;
  assert.throws(() => buildAttemptSpec(r, def, inEnv, 1, undefined, runtimeReadsSecrets), /env E: secret parameter S cannot be used in an env value/);
  assert.equal(buildAttemptSpec(r, def, inEnv, 1, undefined, () => ({ kind: 'value', value: 'v' })).env.E, 'v');
});
