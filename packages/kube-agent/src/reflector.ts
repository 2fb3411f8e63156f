// The node agent's list+watch: runtime-kube's Informer (the one implementation of client-go's
// reflector in this repository: watch from the list's resourceVersion, follow bookmarks, resume,
// re-list on 410 Gone), behind the event shape the agent and the Kubernetes tests use.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Informer, KubeClient, type InformerEvent } from '@kontroler/runtime-kube';

export type ReflectorEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  /** A (re-)list finished; the differences to what was known were emitted just before. */
  | { type: 'SYNCED'; resourceVersion: string; relist: boolean };

export interface ReflectorOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** Collection path, e.g. `/api/v1/pods` or `/api/v1/namespaces/ns/configmaps`. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
  onEvent(event: ReflectorEvent<T>): void;
  /** Errors the reflector recovers from by itself (it lists or watches again after a back-off). */
  onError?(err: unknown): void;
  /** Watch from this resourceVersion instead of listing first (`'0'`: every object, then every change). */
  resourceVersion?: string;
}

export interface Reflector {
  /** Stops watching; idempotent. No event is delivered after it resolves. */
  stop(): Promise<void>;
}

function reflectorEvent<T>(ev: InformerEvent<T>): ReflectorEvent<T> {
  switch (ev.type) {
    case 'added':
      return { type: 'ADDED', object: ev.object };
    case 'updated':
      return { type: 'MODIFIED', object: ev.object };
    case 'deleted':
      return { type: 'DELETED', object: ev.object };
    case 'synced':
      return { type: 'SYNCED', resourceVersion: ev.resourceVersion, relist: ev.relist };
  }
}

/**
 * Lists and watches a collection until stopped (never gives up; errors go to `onError`). Its
 * requests are not rate limited: the agent stands in for a kubelet, not for a client.
 */
export function startReflector<T extends KubernetesObject>(opts: ReflectorOptions<T>): Reflector {
  const client = new KubeClient(opts.kubeConfig, { qps: 0, userAgent: 'kontroler-kube-agent' });
  const informer = new Informer<T>({
    client,
    path: () => opts.path,
    ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
    ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
    ...(opts.resourceVersion !== undefined ? { resourceVersion: opts.resourceVersion } : {}),
    onEvent: (ev) => opts.onEvent(reflectorEvent(ev)),
    ...(opts.onError ? { onError: (err: unknown) => opts.onError?.(err) } : {}),
  }).start();
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= informer.stop().finally(() => client.close());
      return stopping;
    },
  };
}
