// KubePodRuntime keeps the TaskRuntime contract against the real apiserver and the node agent:
// every instance the contract opens is a new runtime with its own pod watch, over one namespace.
// It differs only where Kubernetes does: pod times are whole seconds, and a pod is slower to run
// than a process.
import type { V1Pod } from '@kubernetes/client-node';
import { testNamespace } from '@kontroler/kube-agent/testing';
import { KubePodRuntime, keyOfPod, type KubeList } from '@kontroler/runtime-kube';
import { runtimeContract } from '@kontroler/testing';
import { POD_EVENT_WAIT_MS, testClient } from './helpers.js';

/** Kubernetes' time resolution: metav1.Time is RFC 3339 with whole seconds. */
const POD_TIME_RESOLUTION_MS = 1000;

runtimeContract('KubePodRuntime', async () => {
  // Kept until cleanup: the contract makes its subject in a `before` hook, whose own `after` would
  // delete the namespace before the first test.
  const ns = await testNamespace('runtime-contract', { keep: true });
  const client = testClient();
  const opened: KubePodRuntime[] = [];
  const open = (): KubePodRuntime => {
    const rt = new KubePodRuntime({ client, namespaces: [ns.name], killGraceSeconds: 2, log: (m) => process.stderr.write(`${m}\n`) });
    opened.push(rt);
    return rt;
  };
  return {
    open,
    namespace: ns.name,
    differences: { timeResolutionMs: POD_TIME_RESOLUTION_MS, eventWaitMs: POD_EVENT_WAIT_MS },
    async cleanup() {
      await Promise.all(opened.map((rt) => rt.close()));
      // The pods the contract left (each held by its log finalizer) are released, so the
      // namespace can go.
      const rt = open();
      await rt.sync();
      const pods = await client.request<KubeList<V1Pod>>('GET', `/api/v1/namespaces/${ns.name}/pods`);
      for (const pod of pods.items) {
        const key = keyOfPod(pod);
        if (key) await rt.release(key);
      }
      await rt.close();
      await ns.delete();
    },
  };
});
