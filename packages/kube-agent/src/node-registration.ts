import { arch, cpus, hostname, release, totalmem } from 'node:os';
import {
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type CoordinationV1Api,
  type CoreV1Api,
  type V1Lease,
  type V1Node,
} from '@kubernetes/client-node';
import { httpStatusOf, kubeErrorMessage } from './kube-errors.js';

export interface NodeInfo {
  name: string;
  /** Where the apiserver reaches the agent's `/containerLogs` (kubelet port). */
  address: string;
  port: number;
  kubeletVersion: string;
}

/** The Node status kubelet would post for this machine: addresses, endpoint, capacity, Ready. */
export function nodeStatus(info: NodeInfo, now: Date): NonNullable<V1Node['status']> {
  const resources = { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '110', 'ephemeral-storage': '100Gi' };
  const cond = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now });
  return {
    addresses: [
      { type: 'InternalIP', address: info.address },
      { type: 'Hostname', address: info.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: info.port } },
    capacity: resources,
    allocatable: resources,
    conditions: [
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ],
    nodeInfo: {
      machineID: hostname(),
      systemUUID: hostname(),
      bootID: '',
      kernelVersion: release(),
      osImage: 'Kontroler local node agent',
      containerRuntimeVersion: 'kontroler-local://0.1.0',
      kubeletVersion: info.kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: arch() === 'x64' ? 'amd64' : arch(),
    },
  };
}

/**
 * Creates the Node with its status (nodes accept status on create), or, when it exists from an
 * earlier run, refreshes its status (the port changes per run). Idempotent.
 */
export async function registerNode(core: CoreV1Api, info: NodeInfo): Promise<V1Node> {
  const labels = { 'kubernetes.io/hostname': info.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': nodeStatus(info, new Date()).nodeInfo?.architecture ?? 'amd64', 'kontroler.dev/local-agent': 'true' };
  try {
    return await core.createNode({ body: { apiVersion: 'v1', kind: 'Node', metadata: { name: info.name, labels }, status: nodeStatus(info, new Date()) } });
  } catch (err) {
    if (httpStatusOf(err) !== 409) throw new Error(`register Node ${info.name}: ${kubeErrorMessage(err)}`, { cause: err });
  }
  try {
    return await core.patchNodeStatus(
      { name: info.name, body: { status: nodeStatus(info, new Date()) } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
  } catch (err) {
    throw new Error(`refresh status of Node ${info.name}: ${kubeErrorMessage(err)}`, { cause: err });
  }
}

/**
 * Keeps the node's Lease in `kube-node-lease` renewed every `intervalMs`, as kubelet's heartbeat
 * does (renewTime is a MicroTime). Returns a stop function.
 */
export function startNodeLease(coordination: CoordinationV1Api, node: V1Node, onError: (err: unknown) => void, intervalMs = 10_000): () => void {
  const name = node.metadata?.name ?? '';
  const namespace = 'kube-node-lease';
  const renew = async (): Promise<void> => {
    const spec = { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new V1MicroTime() };
    try {
      await coordination.patchNamespacedLease({ name, namespace, body: { spec } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    } catch (err) {
      if (httpStatusOf(err) !== 404) throw err;
      const lease: V1Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata?.uid ?? '' }] },
        spec,
      };
      await coordination.createNamespacedLease({ namespace, body: lease });
    }
  };
  const tick = (): void => {
    renew().catch((err: unknown) => onError(new Error(`renew node Lease ${namespace}/${name}: ${kubeErrorMessage(err)}`, { cause: err })));
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
