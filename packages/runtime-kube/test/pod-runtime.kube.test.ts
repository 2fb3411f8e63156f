// KubePodRuntime against the real apiserver and node agent: one pod per attempt with a
// deterministic name, exit codes and logs (kept by the finalizer until release), parameters and
// Secrets as env, scripts through the init container, workspaces, stuck pods, kill, and adoption
// by a second runtime that never creates a second pod; a pod deleted before any node took it
// ends its attempt at once.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { IMAGE_PULL_ERROR_ANNOTATION } from '@kontroler/kube-agent';
import { testNamespace, waitFor } from '@kontroler/kube-agent/testing';
import { KubePodRuntime, LOG_FINALIZER, podName } from '@kontroler/runtime-kube';
import type { EventRecorder } from '@kontroler/testing';
import { attempt, record, testClient } from './helpers.js';

const ns = await testNamespace('pod-runtime');

function runtime(extra: Partial<ConstructorParameters<typeof KubePodRuntime>[0]> = {}): KubePodRuntime {
  return new KubePodRuntime({ client: testClient(), namespaces: [ns.name], killGraceSeconds: 2, log: (m) => process.stderr.write(`${m}\n`), ...extra });
}

/** A runtime closed when the test ends, and the recorder of its events. */
function recorded(t: TestContext, extra: Partial<ConstructorParameters<typeof KubePodRuntime>[0]> = {}): { rt: KubePodRuntime; rec: EventRecorder } {
  const rt = runtime(extra);
  t.after(() => rt.close());
  return { rt, rec: record(rt) };
}

/**
 * Resolves once the pod no longer exists. (A watch started just before the delete can miss it:
 * its initial list may already come back empty; so this asks the apiserver until it says 404.)
 */
async function podGone(name: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await ns.core.readNamespacedPod({ name, namespace: ns.name });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return;
      throw err;
    }
    if (Date.now() > deadline) throw new Error(`pod ${name} still exists after 60 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a failing attempt: one pod with a deterministic name, exit code and log reported before exited, the pod kept until release', async (t) => {
  const { rt, rec } = recorded(t);
  const spec = attempt(ns.name, '101', 'Fail_Task', 1, '', { command: ['sh', '-c', 'echo "to stdout"; echo "to stderr" >&2; exit 3'] });
  await rt.start(spec);
  assert.equal(rec.events[0]?.type, 'started');
  const exited = await rec.exited(spec);
  assert.equal(exited.exitCode, 3);
  assert.equal(exited.reason, 'Error');
  const log = rec.logText(spec);
  assert.match(log, /to stdout\n/);
  assert.match(log, /to stderr\n/);
  const exitedAt = rec.events.indexOf(exited);
  assert.ok(rec.events.slice(exitedAt).every((e) => e.type !== 'log'), 'no log after exited');

  const name = podName(spec);
  assert.match(name, /^kr-101-fail-task-[0-9a-f]{8}-1$/);
  const pod = await ns.core.readNamespacedPod({ name, namespace: ns.name });
  assert.deepEqual(pod.metadata?.finalizers, [LOG_FINALIZER], 'the finalizer holds the pod until its log is archived');
  assert.equal(pod.spec?.restartPolicy, 'Never');
  assert.equal(pod.metadata?.labels?.['kontroler.greedykomodo/run-id'], '101');
  assert.equal(pod.metadata?.annotations?.['kontroler.greedykomodo/task'], 'Fail_Task');

  await rt.release(spec);
  await podGone(name);
});

test('scripts run through the init container; parameters are literal env values; Secrets come through secretKeyRef', async (t) => {
  await ns.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'db-pass' }, stringData: { secret: 's3cret', other: 'o' } } });
  const { rt, rec } = recorded(t);
  const spec = attempt(ns.name, '102', 'script', 1, 'echo "greeting=$GREETING"\necho "pass=$PASS other=$OTHER"\necho "$KONTROLER_RUN_ID $KONTROLER_TASK $KONTROLER_ATTEMPT $KONTROLER_DAG $KONTROLER_NAMESPACE" | sed "s/$KONTROLER_NAMESPACE/NS/"\necho "$(echo computed)"', {
    env: { GREETING: 'a $(HOME) $$ b' },
    secretEnv: { PASS: 'db-pass', OTHER: 'db-pass/other' },
  });
  await rt.start(spec);
  const exited = await rec.exited(spec);
  assert.equal(exited.exitCode, 0, rec.logText(spec));
  assert.equal(rec.logText(spec), 'greeting=a $(HOME) $$ b\npass=s3cret other=o\n102 script 1 test-dag NS\ncomputed\n');
  await rt.release(spec);
});

test('a workspace claim is shared by the attempts of a run and removed by releaseRun', async (t) => {
  const { rt, rec } = recorded(t);
  const claim = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } };
  const a = attempt(ns.name, '103', 'write', 1, 'echo shared > "$KONTROLER_WORKSPACE/file"', { workspace: true, workspaceClaim: claim });
  const b = attempt(ns.name, '103', 'read', 1, 'cat /workspace/file', { workspace: true, workspaceClaim: claim });
  await rt.start(a);
  assert.equal((await rec.exited(a)).exitCode, 0, rec.logText(a));
  await rt.start(b);
  assert.equal((await rec.exited(b)).exitCode, 0, rec.logText(b));
  assert.equal(rec.logText(b), 'shared\n');
  const pvc = await ns.core.readNamespacedPersistentVolumeClaim({ name: 'kr-103-workspace', namespace: ns.name });
  assert.equal(pvc.spec?.resources?.requests?.storage, '2Gi');
  await rt.release(a);
  await rt.release(b);
  await rt.releaseRun('103');
  await waitFor<V1PersistentVolumeClaim>(
    ns.kc,
    { path: `/api/v1/namespaces/${ns.name}/persistentvolumeclaims`, fieldSelector: 'metadata.name=kr-103-workspace' },
    (p, type) => type === 'DELETED' || p.metadata?.deletionTimestamp !== undefined,
    { what: 'workspace claim deleted' },
  );
});

test('image pull and configuration errors fail the attempt with a clear reason', async (t) => {
  const { rt: pull, rec } = recorded(t, { annotations: { [IMAGE_PULL_ERROR_ANNOTATION]: 'main' } });
  const spec = attempt(ns.name, '104', 'pull', 1, '', { command: ['true'], image: 'registry.invalid/nope:1' });
  await pull.start(spec);
  const ex = await rec.exited(spec);
  assert.equal(ex.exitCode, undefined);
  assert.match(ex.reason, /^ImagePullBackOff: Back-off pulling image "registry.invalid\/nope:1"/);
  await pull.release(spec);

  const { rt, rec: rec2 } = recorded(t);
  const missing = attempt(ns.name, '104', 'config', 1, '', { command: ['true'], secretEnv: { X: 'no-such-secret' } });
  await rt.start(missing);
  const ex2 = await rec2.exited(missing);
  assert.match(ex2.reason, /^CreateContainerConfigError: .*no-such-secret/);
  await rt.release(missing);
});

test("an attempt's start and end both come from the container (one clock): a sleep 2 lasts about 2 s, never less than 0", async (t) => {
  const { rt, rec } = recorded(t);
  const spec = attempt(ns.name, '106', 'sleepy', 1, '', { command: ['sh', '-c', 'sleep 2'] });
  await rt.start(spec);
  const ex = await rec.exited(spec);
  assert.equal(ex.exitCode, 0);
  assert.ok(ex.startedAt !== undefined, 'the container’s start is given with its end');
  const ms = ex.at - ex.startedAt;
  assert.equal(ms % 1000, 0, 'whole seconds, both');
  assert.ok(ms >= 1000 && ms <= 3000, `${ms} ms for a sleep 2`);
  await rt.release(spec);
});

test('a pod refused by Pod Security admission fails to start with what was refused and why, not an RBAC hint', async () => {
  const restricted = await testNamespace('pod-security', { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } });
  const rt = new KubePodRuntime({ client: testClient(), namespaces: [restricted.name], killGraceSeconds: 2, log: () => undefined });
  try {
    const spec = attempt(restricted.name, '105', 'privileged', 1, '', {
      command: ['true'],
      // Refused by `restricted` whatever defaults task pods get: the task asks to run as root.
      podTemplate: { securityContext: { runAsNonRoot: false, runAsUser: 0 } },
    });
    await assert.rejects(rt.start(spec), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'FORBIDDEN');
      assert.match(err.message, /violates PodSecurity "restricted:latest"/, 'the apiserver’s own words');
      assert.match(err.message, /runAsNonRoot != true/, 'names what was refused');
      assert.match(err.message, /Pod Security admission \(level "restricted:latest"\) refused the pod; set the fields it names in the task's podTemplate/);
      assert.doesNotMatch(err.message, /RBAC/);
      return true;
    });
  } finally {
    await rt.close();
  }
});

test('kill stops a running pod; its log up to then is delivered and the kill reason reported', async (t) => {
  const { rt, rec } = recorded(t);
  const spec = attempt(ns.name, '105', 'sleepy', 1, 'echo before; exec sleep 600');
  await rt.start(spec);
  await rec.waitFor((e) => e.type === 'log' && e.key.task === 'sleepy', 'first log line (streamed while running)');
  await rt.kill(spec, 'Canceled');
  const ex = await rec.exited(spec);
  assert.equal(ex.reason, 'Canceled');
  assert.equal(rec.logText(spec), 'before\n');
  await rt.release(spec);
  await podGone(podName(spec));
});

test('a second runtime adopts a running pod (log from the stored offset) and never creates a second pod', async (t) => {
  const { rt: first, rec: rec1 } = recorded(t);
  const spec = attempt(ns.name, '106', 'long', 1, 'echo one; sleep 3; echo two');
  await first.start(spec);
  await rec1.waitFor((e) => e.type === 'log', 'first line');
  const uid = (await ns.core.readNamespacedPod({ name: podName(spec), namespace: ns.name })).metadata?.uid;
  const stored = Buffer.from(rec1.logText(spec)).length;
  await first.close();

  const { rt: second, rec: rec2 } = recorded(t);
  const seen = await second.adopt(spec, stored);
  assert.equal(seen.state, 'running');
  await second.start(spec); // a repeated start is a no-op for a tracked attempt
  const ex = await rec2.exited(spec);
  assert.equal(ex.exitCode, 0);
  const logs = rec2.events.filter((e) => e.type === 'log');
  assert.ok(logs.every((e) => e.type === 'log' && e.offset >= stored), 'only bytes after the stored offset');
  const later = Buffer.concat(logs.map((e) => (e.type === 'log' ? Buffer.from(e.data) : Buffer.alloc(0)))).toString();
  assert.equal(rec1.logText(spec) + later, 'one\ntwo\n');

  // A third runtime told to start the same attempt finds the pod (AlreadyExists) and adopts it.
  const { rt: third, rec: rec3 } = recorded(t);
  await third.start(spec);
  const ex3 = await rec3.exited(spec);
  assert.equal(ex3.exitCode, 0);
  const pods = await ns.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'kontroler.greedykomodo/run-id=106' });
  assert.equal(pods.items.length, 1);
  assert.equal(pods.items[0]?.metadata?.uid, uid);
  await second.release(spec);
});

test('adopt reports an attempt that ended while no runtime watched, with its whole log', async (t) => {
  const { rt: first, rec: rec1 } = recorded(t);
  const spec = attempt(ns.name, '107', 'quick', 1, 'echo done; exit 4');
  await first.start(spec);
  await first.close();
  rec1.unsubscribe();
  await waitFor<V1Pod>(ns.kc, { path: `/api/v1/namespaces/${ns.name}/pods`, fieldSelector: `metadata.name=${podName(spec)}` }, (p) => p.status?.phase === 'Failed', { what: 'pod failed' });

  const { rt: second, rec: rec2 } = recorded(t);
  const seen = await second.adopt(spec, 0);
  assert.equal(seen.state, 'exited');
  assert.equal(seen.state === 'exited' ? seen.exitCode : undefined, 4);
  assert.equal(rec2.logText(spec), 'done\n');
  assert.equal((await second.adopt({ runId: '107', task: 'nope', attempt: 1 }, 0)).state, 'unknown');
  await second.release(spec);
});

test('a sweep removes the ended pod of an attempt the store has recorded but nobody released', async (t) => {
  const { rt: first, rec } = recorded(t);
  const spec = attempt(ns.name, '108', 'left-over', 1, 'echo bye');
  await first.start(spec);
  await rec.exited(spec);
  await first.close(); // died before release: the pod stays, held by its finalizer
  const name = podName(spec);
  assert.deepEqual((await ns.core.readNamespacedPod({ name, namespace: ns.name })).metadata?.finalizers, [LOG_FINALIZER]);
  const asked: string[] = [];
  const sweeper = runtime({ accounted: async (k) => (asked.push(k.task), k.runId === '108'), sweepMs: 100 });
  t.after(() => sweeper.close());
  const gone = podGone(name);
  await sweeper.sync();
  await gone;
  assert.ok(asked.includes('left-over'));
});

test('a pod deleted before any node took it ends its attempt at once, by a user (PodDeleted) or by kill', async (t) => {
  const { rt, rec } = recorded(t);
  // No node has this label: the pod stays Pending and unbound, as in a cluster without room for it.
  const unschedulable = { podTemplate: { nodeSelector: { 'kontroler.test/node': 'none' } } };
  const byUser = attempt(ns.name, '109', 'unbound', 1, '', { command: ['true'], ...unschedulable });
  const byKill = attempt(ns.name, '109', 'unbound-killed', 1, '', { command: ['true'], ...unschedulable });
  await rt.start(byUser);
  await rt.start(byKill);
  const pod = await ns.core.readNamespacedPod({ name: podName(byUser), namespace: ns.name });
  assert.equal(pod.spec?.nodeName, undefined, 'not bound');
  assert.equal(pod.status?.phase, 'Pending');

  let t0 = Date.now();
  await ns.core.deleteNamespacedPod({ name: podName(byUser), namespace: ns.name });
  const deleted = await rec.exited(byUser, 15_000);
  const userMs = Date.now() - t0;
  assert.equal(deleted.reason, 'PodDeleted');
  assert.equal(deleted.exitCode, undefined);

  t0 = Date.now();
  await rt.kill(byKill, 'Canceled');
  const killed = await rec.exited(byKill, 15_000);
  const killMs = Date.now() - t0;
  assert.equal(killed.reason, 'Canceled');
  assert.equal(killed.exitCode, undefined);
  process.stderr.write(`pod runtime test: an unbound pod's attempt ended ${userMs} ms after a user's delete, ${killMs} ms after kill (deletion timeout 30 s)\n`);
  assert.ok(userMs < 10_000 && killMs < 10_000, 'well before the kill grace plus the deletion timeout (35 s)');
  await rt.release(byUser);
  await rt.release(byKill);
  await podGone(podName(byUser));
  await podGone(podName(byKill));
});
