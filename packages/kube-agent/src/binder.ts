import type { CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import { httpStatusOf, kubeErrorMessage } from './kube-errors.js';
import { startReflector, type Reflector } from './reflector.js';

/**
 * Whether the node's labels satisfy a pod's `nodeSelector` (kube-scheduler's NodeSelector
 * filter), so a pod asking for a node that does not exist stays Pending as in a real cluster. Pure.
 */
export function nodeSelectorMatches(selector: Record<string, string> | undefined, nodeLabels: Record<string, string>): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => nodeLabels[k] === v);
}

/**
 * Stands in for kube-scheduler: binds every unscheduled pod (default scheduler, no scheduling
 * gates, not being deleted, a `nodeSelector` this node satisfies) to this node with a Binding,
 * as the scheduler does, so the apiserver sets `spec.nodeName` and `PodScheduled=True`.
 */
export function startBinder(kc: KubeConfig, core: CoreV1Api, nodeName: string, onError: (err: unknown) => void, nodeLabels: Record<string, string> = {}): Reflector {
  const inFlight = new Set<string>();
  const bind = async (pod: V1Pod): Promise<void> => {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? '';
    const uid = pod.metadata?.uid ?? '';
    if (inFlight.has(uid)) return;
    inFlight.add(uid);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await core.createNamespacedPodBinding({
            name,
            namespace,
            body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } },
          });
          return;
        } catch (err) {
          const code = httpStatusOf(err);
          if (code === 404 || code === 409) return; // gone, or bound meanwhile
          if (attempt >= 5) throw new Error(`bind pod ${namespace}/${name} to ${nodeName}: ${kubeErrorMessage(err)}`, { cause: err });
          await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        }
      }
    } finally {
      inFlight.delete(uid);
    }
  };
  return startReflector<V1Pod>({
    kubeConfig: kc,
    path: '/api/v1/pods',
    fieldSelector: 'spec.nodeName=',
    onEvent: (e) => {
      if (e.type !== 'ADDED' && e.type !== 'MODIFIED') return;
      const pod = e.object;
      const schedulable =
        !pod.spec?.nodeName &&
        !pod.metadata?.deletionTimestamp &&
        (pod.spec?.schedulerName ?? 'default-scheduler') === 'default-scheduler' &&
        (pod.spec?.schedulingGates ?? []).length === 0 &&
        nodeSelectorMatches(pod.spec?.nodeSelector, nodeLabels);
      if (schedulable) bind(pod).catch(onError);
    },
    onError,
  });
}
