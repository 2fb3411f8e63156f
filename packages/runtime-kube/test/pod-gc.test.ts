// podGC, pure: when a finished pod may go under each strategy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podGCPolicy, parsePodGC } from '@kontroler/core';
import { podDeleteAt } from '@kontroler/runtime-kube';

const facts = (strategy: 'OnPodCompletion' | 'OnRunCompletion' | 'OnRunSuccess', runStatus: string, deleteAfterSeconds = 10, runFinishedAt: number | null = 5000) => ({ policy: { strategy, deleteAfterSeconds }, runStatus, runFinishedAt });

test('OnPodCompletion counts from the pod; OnRunCompletion waits for the run; OnRunSuccess keeps a failed run’s owned pods', () => {
  assert.equal(podDeleteAt(facts('OnPodCompletion', 'running'), 1000, true), 11_000);
  assert.equal(podDeleteAt(facts('OnRunCompletion', 'running', 10, null), 1000, true), undefined, 'kept while the run runs');
  assert.equal(podDeleteAt(facts('OnRunCompletion', 'failed'), 1000, true), 15_000);
  assert.equal(podDeleteAt(facts('OnRunSuccess', 'succeeded'), 1000, true), 15_000);
  assert.equal(podDeleteAt(facts('OnRunSuccess', 'failed'), 1000, true), undefined, 'kept while its DagRun exists');
  assert.equal(podDeleteAt(facts('OnRunSuccess', 'canceled'), 1000, false), 15_000, 'no owner to take it: as OnRunCompletion');
  assert.equal(podDeleteAt(facts('OnRunSuccess', 'running'), 1000, false), undefined);
});

test('a DAG’s podGC over the controller default, field by field; the default text form', () => {
  const dflt = parsePodGC('OnRunCompletion:300', 'x');
  assert.deepEqual(podGCPolicy(undefined, dflt), { strategy: 'OnRunCompletion', deleteAfterSeconds: 300 });
  assert.deepEqual(podGCPolicy({ deleteAfterSeconds: 5 }, dflt), { strategy: 'OnRunCompletion', deleteAfterSeconds: 5 });
  assert.deepEqual(podGCPolicy({ strategy: 'OnRunSuccess' }), { strategy: 'OnRunSuccess', deleteAfterSeconds: 0 });
  assert.throws(() => parsePodGC('OnRunCompletion:5:6', 'KONTROLER_POD_GC'), /KONTROLER_POD_GC must be STRATEGY\[:SECONDS\].*too many/);
});
