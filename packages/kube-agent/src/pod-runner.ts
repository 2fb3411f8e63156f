import type { CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import { failLostPod, hasStartedContainers } from './lost-pod.js';
import type { LogLookup } from './log-server.js';
import { PodWorker, type WorkerDeps } from './pod-worker.js';
import { startReflector } from './reflector.js';

export interface PodRunner {
  /** Finds a container's log for the log server. */
  readonly lookupLog: LogLookup;
  /** Stops watching and kills every pod's processes (no status is written). */
  stop(): Promise<void>;
  /** SIGKILLs every container process now, synchronously (for a process `exit` hook). */
  killNow(): void;
}

/**
 * Watches the pods bound to this node and gives each one a PodWorker, keyed by UID (a recreated
 * pod of the same name is a new pod). A pod removed from the API has its processes killed.
 */
export function startPodRunner(kc: KubeConfig, core: CoreV1Api, nodeName: string, deps: WorkerDeps): PodRunner {
  const workers = new Map<string, PodWorker>();
  const byName = new Map<string, PodWorker>();
  const disposing = new Set<Promise<void>>();

  const remove = (uid: string): void => {
    const w = workers.get(uid);
    if (!w) return;
    workers.delete(uid);
    if (byName.get(`${w.namespace}/${w.name}`) === w) byName.delete(`${w.namespace}/${w.name}`);
    const p = w.dispose().catch(deps.onError);
    disposing.add(p);
    void p.finally(() => disposing.delete(p));
  };

  const onPod = (pod: V1Pod): void => {
    const uid = pod.metadata?.uid ?? '';
    const existing = workers.get(uid);
    if (existing) return existing.update(pod);
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    if (hasStartedContainers(pod)) {
      failLostPod(core, pod).catch(deps.onError);
      return;
    }
    const w = new PodWorker(pod, deps);
    workers.set(uid, w);
    byName.set(`${w.namespace}/${w.name}`, w);
    w.update(pod);
    void w.start();
  };

  const reflector = startReflector<V1Pod>({
    kubeConfig: kc,
    path: '/api/v1/pods',
    fieldSelector: `spec.nodeName=${nodeName}`,
    onEvent: (e) => {
      if (e.type === 'ADDED' || e.type === 'MODIFIED') onPod(e.object);
      else if (e.type === 'DELETED') remove(e.object.metadata?.uid ?? '');
    },
    onError: deps.onError,
  });

  return {
    lookupLog(namespace, pod, container, previous) {
      const w = byName.get(`${namespace}/${pod}`);
      if (!w) return { status: 404, message: `pod "${pod}" in namespace "${namespace}" not found on this node` };
      return w.logSource(container, previous);
    },
    killNow() {
      for (const w of workers.values()) w.killNow();
    },
    async stop() {
      await reflector.stop();
      for (const uid of [...workers.keys()]) remove(uid);
      await Promise.all([...disposing]);
    },
  };
}
