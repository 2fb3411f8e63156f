// Termination messages through the real apiserver and the local node agent, as kubelet makes
// them: the file at `terminationMessagePath` (default /dev/termination-log) becomes
// `state.terminated.message`, its last 4096 bytes; `FallbackToLogsOnError` takes the log's tail
// when a failed container left the file empty; each restart of a container gets a fresh file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { testNamespace } from '@kontroler/kube-agent/testing';
import { shPod, terminal, waitForPod } from './pods.js';

const ns = await testNamespace('termination');

async function run(pod: V1Pod): Promise<V1Pod> {
  await ns.core.createNamespacedPod({ namespace: ns.name, body: pod });
  return waitForPod(ns, pod.metadata?.name ?? '', terminal, 'terminal phase');
}

const terminated = (p: V1Pod, i = 0) => p.status?.containerStatuses?.[i]?.state?.terminated;

test('what the container writes to /dev/termination-log is its terminated message, for success and failure; nothing written, no message', async () => {
  const [ok, failed, silent] = await Promise.all([
    run(shPod('msg-ok', 'printf "all good\\nline 2" > /dev/termination-log')),
    run(shPod('msg-failed', 'echo "why it failed" > /dev/termination-log; exit 4')),
    run(shPod('msg-none', 'echo only a log')),
  ]);
  assert.equal(ok.status?.phase, 'Succeeded');
  assert.equal(ok.spec?.containers[0]?.terminationMessagePath, '/dev/termination-log', 'the apiserver defaults the path');
  assert.equal(ok.spec?.containers[0]?.terminationMessagePolicy, 'File', 'and the policy');
  assert.equal(terminated(ok)?.message, 'all good\nline 2');
  assert.equal(terminated(failed)?.exitCode, 4);
  assert.equal(terminated(failed)?.message, 'why it failed\n');
  assert.equal(terminated(silent)?.message, undefined, 'File policy: an empty file is no message, whatever the log says');
});

test('a custom terminationMessagePath is honoured, and a message over 4096 bytes keeps its last 4096 bytes (kubelet reads the tail)', async () => {
  // 5000 bytes: 'a' × 904, then 'b' × 4095 and a newline.
  const script = 'head -c 904 /dev/zero | tr "\\0" a > /tmp/m; head -c 4095 /dev/zero | tr "\\0" b >> /tmp/m; echo >> /tmp/m; cp /tmp/m /tmp/message';
  const pod = await run(
    shPod('msg-big', script, {
      terminationMessagePath: '/tmp/message',
      // Inside another mount: the message file is mounted after the container's volumes.
      volumeMounts: [{ name: 'scratch', mountPath: '/tmp' }],
    }, { volumes: [{ name: 'scratch', emptyDir: {} }] }),
  );
  assert.equal(pod.status?.phase, 'Succeeded', JSON.stringify(pod.status));
  const message = terminated(pod)?.message ?? '';
  assert.equal(Buffer.byteLength(message), 4096);
  assert.ok(message === `${'b'.repeat(4095)}\n`, `the last 4096 bytes, without the leading a's; got ${JSON.stringify(message.slice(0, 20))}...`);
});

test('FallbackToLogsOnError: a failed container with an empty file gets its last 80 log lines, at most 2048 bytes; a written file or success keeps the file rule', async () => {
  const policy = { terminationMessagePolicy: 'FallbackToLogsOnError' };
  const [lines, bytes, written, succeeded] = await Promise.all([
    run(shPod('fb-lines', 'i=1; while [ $i -le 100 ]; do echo "line $i"; i=$((i+1)); done; echo "to stderr" >&2; exit 1', policy)),
    run(shPod('fb-bytes', 'i=1; while [ $i -le 50 ]; do printf "%099d\\n" $i; i=$((i+1)); done; exit 2', policy)),
    run(shPod('fb-written', 'echo noisy log; echo "the file wins" > /dev/termination-log; exit 3', policy)),
    run(shPod('fb-success', 'echo a log that is not a message', policy)),
  ]);
  const expectedLines = [...Array.from({ length: 79 }, (_, i) => `line ${i + 22}`), 'to stderr'].join('\n') + '\n';
  assert.equal(terminated(lines)?.message, expectedLines, 'the last 80 lines of both streams, in order');

  // 50 lines of 100 bytes: the last 80 lines are all of them, of which the last 2048 bytes remain.
  const all = Array.from({ length: 50 }, (_, i) => `${String(i + 1).padStart(99, '0')}\n`).join('');
  assert.equal(terminated(bytes)?.message, all.slice(all.length - 2048));

  assert.equal(terminated(written)?.message, 'the file wins\n');
  assert.equal(terminated(succeeded)?.message, undefined);
});

test('each container of a pod, and each restart of one, writes its own message file', async () => {
  const pod = shPod('msg-two', 'echo from main > /dev/termination-log', {}, {
    initContainers: [{ name: 'init', image: 'busybox:1.36', command: ['sh', '-c', 'echo from init > /dev/termination-log'] }],
    containers: [
      { name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'cat /dev/termination-log; echo from main > /dev/termination-log'] },
      { name: 'side', image: 'busybox:1.36', command: ['sh', '-c', 'cat /dev/termination-log; echo from side >> /dev/termination-log'] },
    ],
  });
  const done = await run(pod);
  assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status));
  assert.equal(done.status?.initContainerStatuses?.[0]?.state?.terminated?.message, 'from init\n');
  const byName = new Map((done.status?.containerStatuses ?? []).map((c) => [c.name, c.state?.terminated?.message]));
  assert.deepEqual(Object.fromEntries(byName), { main: 'from main\n', side: 'from side\n' }, 'no container sees another one’s file');
  const logs = await Promise.all(['main', 'side'].map((container) => ns.core.readNamespacedPodLog({ name: 'msg-two', namespace: ns.name, container })));
  assert.deepEqual(logs, ['', ''], 'every file starts empty');

  // restartPolicy OnFailure: the first run fails with a message, the second one succeeds silently.
  const restarted = await run(
    shPod('msg-restart', 'if [ -e /data/ran ]; then cat /dev/termination-log; exit 0; fi; touch /data/ran; echo first > /dev/termination-log; exit 1', {
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
    }, { restartPolicy: 'OnFailure', volumes: [{ name: 'data', emptyDir: {} }] }),
  );
  const cs = restarted.status?.containerStatuses?.[0];
  assert.equal(cs?.restartCount, 1);
  assert.equal(cs?.lastState?.terminated?.message, 'first\n');
  assert.equal(cs?.state?.terminated?.exitCode, 0);
  assert.equal(cs?.state?.terminated?.message, undefined, 'the second run had a new, empty file');
});
