import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { kubeTime } from './kube-time.js';

/**
 * A pod bound to this node whose containers had started before the agent (re)started: their
 * processes are gone. Reports it Failed the way kubelet reports containers it cannot find
 * (ContainerStatusUnknown, exit code 137).
 */
export async function failLostPod(core: CoreV1Api, pod: V1Pod): Promise<void> {
  const now = kubeTime(new Date());
  const lost = { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', finishedAt: now };
  const fix = (statuses: unknown): unknown =>
    ((statuses as Array<Record<string, unknown>> | undefined) ?? []).map((s) => {
      const state = s.state as Record<string, unknown> | undefined;
      return state?.terminated ? s : { ...s, ready: false, started: false, state: { terminated: lost } };
    });
  const raw = pod.status as Record<string, unknown> | undefined;
  const status: Record<string, unknown> = {
    phase: 'Failed',
    reason: 'NodeAgentRestarted',
    message: 'The local node agent restarted while this pod ran; its processes are gone',
    containerStatuses: fix(raw?.containerStatuses),
    conditions: ['Ready', 'ContainersReady'].map((type) => ({ type, status: 'False', reason: 'PodFailed', lastTransitionTime: now })),
  };
  if (raw?.initContainerStatuses) status.initContainerStatuses = fix(raw.initContainerStatuses);
  await core.patchNamespacedPodStatus(
    { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', body: { metadata: { uid: pod.metadata?.uid }, status } },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
}

/** True when some container of the pod was already started (by an earlier agent process). */
export function hasStartedContainers(pod: V1Pod): boolean {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return statuses.some((s) => s.state?.running || s.state?.terminated || (s.restartCount ?? 0) > 0);
}
