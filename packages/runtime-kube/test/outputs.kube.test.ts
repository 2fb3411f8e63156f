// Task outputs on KubePodRuntime against the real apiserver and node agent: the task writes
// $KONTROLER_OUTPUTS/<name>, the wrapper packs them into the termination message, the agent
// (as kubelet) makes it the container's terminated message, and the runtime reports them on
// `exited` — for commands and scripts, after adoption too; never for a failed attempt; refused,
// naming the output and the limit, when they do not fit.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { testNamespace, waitFor } from '@kontroler/kube-agent/testing';
import { KubePodRuntime, podName } from '@kontroler/runtime-kube';
import type { EventRecorder } from '@kontroler/testing';
import { attempt, record, testClient } from './helpers.js';

const ns = await testNamespace('pod-outputs');

function recorded(t: TestContext): { rt: KubePodRuntime; rec: EventRecorder } {
  const rt = new KubePodRuntime({ client: testClient(), namespaces: [ns.name], killGraceSeconds: 2, log: (m) => process.stderr.write(`${m}\n`) });
  t.after(() => rt.close());
  return { rt, rec: record(rt) };
}

test('a command task that writes two outputs gets them back on its exited event (one trailing newline less, UTF-8, multi-line)', async (t) => {
  const { rt, rec } = recorded(t);
  const spec = attempt(ns.name, '201', 'list', 1, '', {
    command: ['sh', '-c'],
    args: ['printf "a,b\\nc,d\\n" > "$KONTROLER_OUTPUTS/rows"; echo "zwei – 2" > "$KONTROLER_OUTPUTS/count"; echo "$(P) done"'],
    env: { P: 'param' },
    outputs: ['rows', 'count', 'never-written'],
  });
  await rt.start(spec);
  const exited = await rec.exited(spec);
  assert.equal(exited.exitCode, 0, rec.logText(spec));
  assert.equal(exited.outputError, undefined);
  assert.deepEqual(exited.outputs, { rows: 'a,b\nc,d', count: 'zwei – 2' }, 'an output the task did not write has no value');
  assert.equal(rec.logText(spec), 'param done\n', "the task's own output and $(VAR) expansion are untouched by the wrapper");
  await rt.release(spec);
});

test('a script task with outputs; a task that declares none has KONTROLER_OUTPUTS too and reports no outputs', async (t) => {
  const { rt, rec } = recorded(t);
  const script = attempt(ns.name, '202', 'script', 1, 'n=$((40 + 2))\necho "$n" > "$KONTROLER_OUTPUTS/answer"\necho "wrote $n"', { outputs: ['answer'] });
  const plain = attempt(ns.name, '202', 'plain', 1, 'test -d "$KONTROLER_OUTPUTS" && echo "$KONTROLER_OUTPUTS"');
  await Promise.all([rt.start(script), rt.start(plain)]);
  const [s, p] = await Promise.all([rec.exited(script), rec.exited(plain)]);
  assert.equal(s.exitCode, 0, rec.logText(script));
  assert.deepEqual(s.outputs, { answer: '42' });
  assert.equal(rec.logText(script), 'wrote 42\n');
  assert.equal(p.exitCode, 0, rec.logText(plain));
  assert.equal(rec.logText(plain), '/kontroler/outputs\n');
  assert.equal(p.outputs, undefined);
  assert.equal(p.outputError, undefined);
  await Promise.all([rt.release(script), rt.release(plain)]);
});

test("a failed attempt's outputs are not reported; its exit code is the task's, not the wrapper's", async (t) => {
  const { rt, rec } = recorded(t);
  const spec = attempt(ns.name, '203', 'fails', 1, 'echo partial > "$KONTROLER_OUTPUTS/rows"; exit 5', { outputs: ['rows'] });
  await rt.start(spec);
  const exited = await rec.exited(spec);
  assert.equal(exited.exitCode, 5);
  assert.equal(exited.reason, 'Error');
  assert.equal(exited.outputs, undefined);
  assert.equal(exited.outputError, undefined);
  await rt.release(spec);
});

test('outputs over the 4096-byte termination message are refused, naming the output and the limit', async (t) => {
  const { rt, rec } = recorded(t);
  const spec = attempt(ns.name, '204', 'big', 1, 'echo ok > "$KONTROLER_OUTPUTS/small"; head -c 5000 /dev/zero | tr "\\0" x > "$KONTROLER_OUTPUTS/rows"', { outputs: ['small', 'rows'] });
  await rt.start(spec);
  const exited = await rec.exited(spec);
  assert.equal(exited.exitCode, 0, rec.logText(spec));
  assert.equal(exited.outputs, undefined);
  assert.equal(
    exited.outputError,
    "OutputTooLarge: output \"rows\" of task big is 5000 bytes and does not fit, with the task's other outputs, in the 4096-byte Kubernetes termination message that carries them; write less, or pass a file through the workspace",
  );
  await rt.release(spec);
});

test('a runtime that adopts an attempt which ended while none watched reads its outputs (the names come from the pod)', async (t) => {
  const { rt: first, rec: rec1 } = recorded(t);
  const spec = attempt(ns.name, '205', 'unwatched', 1, 'echo "from before" > "$KONTROLER_OUTPUTS/note"', { outputs: ['note'] });
  await first.start(spec);
  await first.close();
  rec1.unsubscribe();
  await waitFor<V1Pod>(ns.kc, { path: `/api/v1/namespaces/${ns.name}/pods`, fieldSelector: `metadata.name=${podName(spec)}` }, (p) => p.status?.phase === 'Succeeded', { what: 'pod succeeded' });

  const { rt: second, rec: rec2 } = recorded(t);
  const seen = await second.adopt({ runId: spec.runId, task: spec.task, attempt: spec.attempt }, 0);
  assert.equal(seen.state, 'exited');
  assert.deepEqual(seen.state === 'exited' ? seen.outputs : undefined, { note: 'from before' });
  const exited = await rec2.exited(spec);
  assert.deepEqual(exited.outputs, { note: 'from before' });
  await second.release(spec);
});

test('a task with outputs but only an image entrypoint is refused before any pod is made', async (t) => {
  const { rt } = recorded(t);
  const spec = attempt(ns.name, '206', 'entrypoint', 1, '', { outputs: ['rows'] });
  await assert.rejects(rt.start(spec), (e: Error & { code?: string }) => e.code === 'VALIDATION_FAILED' && /task entrypoint declares outputs \(rows\) but sets neither command nor script/.test(e.message));
  const pods = await ns.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'kontroler.greedykomodo/run-id=206' });
  assert.equal(pods.items.length, 0);
});
