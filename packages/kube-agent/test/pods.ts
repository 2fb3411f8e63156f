// Helpers for the pod tests: a pod builder and waiting on a pod's watch events.
import { Writable } from 'node:stream';
import { Log, type V1Container, type V1Pod } from '@kubernetes/client-node';
import { startReflector, waitFor, type TestNamespace } from '@kontroler/kube-agent/testing';
import { Recording } from '@kontroler/testing';

/** How long a wait on a pod's watch events lasts before it fails the test. */
export const POD_WAIT_MS = 60_000;

export function shPod(name: string, script: string, extra: Partial<V1Container> = {}, spec: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 5,
      containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', script], ...extra }],
      ...spec,
    },
  };
}

/** Waits (on watch events) until the pod satisfies `pred`. */
export function waitForPod(ns: TestNamespace, name: string, pred: (p: V1Pod) => boolean, what: string, timeoutMs = POD_WAIT_MS): Promise<V1Pod> {
  return waitFor<V1Pod>(ns.kc, { path: `/api/v1/namespaces/${ns.name}/pods`, fieldSelector: `metadata.name=${name}` }, (p, type) => type !== 'DELETED' && pred(p), {
    what: `pod ${name}: ${what}`,
    timeoutMs,
  });
}

export const terminal = (p: V1Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** One watch event of a pod. */
export interface PodWatchEvent {
  readonly type: string;
  readonly pod: V1Pod;
}

/** The kit's recording of a pod's watch events, and the watch's stop. */
export type PodRecording = Recording<PodWatchEvent> & { stop(): Promise<void> };

/** Records every watch event of one pod (start it before creating the pod) until stopped. */
export function recordPod(ns: TestNamespace, name: string): PodRecording {
  const rec = new Recording<PodWatchEvent>({ waitLimitMs: POD_WAIT_MS, describe: (e) => `${e.type}/${e.pod.status?.phase}` });
  const r = startReflector<V1Pod>({
    kubeConfig: ns.kc,
    path: `/api/v1/namespaces/${ns.name}/pods`,
    fieldSelector: `metadata.name=${name}`,
    onEvent: (e) => {
      if (e.type !== 'SYNCED') rec.push({ type: e.type, pod: e.object });
    },
  });
  return Object.assign(rec, { stop: () => r.stop() });
}

/** Follows a container's log through the apiserver's `pods/log` until the stream ends. */
export async function followLog(ns: TestNamespace, pod: string, container: string, onChunk: (s: string) => void = () => undefined): Promise<string> {
  let text = '';
  const done = new Promise<void>((resolve, reject) => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString();
        onChunk(chunk.toString());
        cb();
      },
      final(cb) {
        resolve();
        cb();
      },
    });
    sink.on('error', reject);
    new Log(ns.kc).log(ns.name, pod, container, sink, { follow: true }).catch(reject);
  });
  await done;
  return text;
}
