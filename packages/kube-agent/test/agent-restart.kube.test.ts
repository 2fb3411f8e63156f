// An agent started in-process for its own node: pods bound to it by name (no Binding) run, and a
// pod whose processes died with a previous agent is reported Failed by the next one, as kubelet
// reports containers it cannot find.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type RunningAgent } from '@kontroler/kube-agent';
import { testHarnessEnv, testNamespace } from '@kontroler/kube-agent/testing';
import { terminal, waitForPod } from './pods.js';

const ns = await testNamespace('agent-restart');
const env = await testHarnessEnv();
const nodeName = `second-${ns.name}`;

async function agent(stateDir: string): Promise<RunningAgent> {
  return startAgent({
    kubeConfig: ns.kc,
    nodeName,
    stateDir,
    tlsCert: await readFile(env.kubeletCert),
    tlsKey: await readFile(env.kubeletKey),
    clientCA: await readFile(env.caCert),
    bindPods: false,
    onError: (err) => process.stderr.write(`second agent: ${String(err)}\n`),
  });
}

test('a pod with spec.nodeName runs on that agent; after the agent restarts, its lost pod is Failed with ContainerStatusUnknown', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'kube-agent-second-'));
  t.after(async () => {
    await ns.core.deleteNode({ name: nodeName }).catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  });
  const first = await agent(stateDir);
  let stopped = false;
  t.after(() => (stopped ? undefined : first.stop()));

  await ns.core.createNamespacedPod({
    namespace: ns.name,
    body: {
      metadata: { name: 'two' },
      spec: {
        nodeName,
        restartPolicy: 'Never',
        containers: [
          { name: 'quick', image: 'x', command: ['sh', '-c', 'echo quick'] },
          { name: 'slow', image: 'x', command: ['sh', '-c', 'echo slow; exec sleep 600'] },
        ],
      },
    },
  });
  const running = await waitForPod(ns, 'two', (p) => p.status?.containerStatuses?.find((c) => c.name === 'slow')?.state?.running !== undefined, 'slow container running');
  assert.equal(running.status?.phase, 'Running');

  await first.stop();
  stopped = true;
  const second = await agent(stateDir);
  t.after(() => second.stop());

  const failed = await waitForPod(ns, 'two', terminal, 'terminal phase after the agent restart');
  assert.equal(failed.status?.phase, 'Failed');
  assert.equal(failed.status?.reason, 'NodeAgentRestarted');
  const slow = failed.status?.containerStatuses?.find((c) => c.name === 'slow');
  assert.equal(slow?.state?.terminated?.reason, 'ContainerStatusUnknown');
  assert.equal(slow?.state?.terminated?.exitCode, 137);
  const quick = failed.status?.containerStatuses?.find((c) => c.name === 'quick');
  assert.ok(quick?.state?.terminated, 'every container is terminated in a terminal pod');
});
