// The pod runtime's writes to the API: the workspace claim, stopping a pod, and removing a pod
// whose log is archived (delete, then let go of the log finalizer).
import type { AttemptSpec } from '@kontroler/engine';
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/kube-client.js';
import { removeFinalizer } from '../kube/finalizers.js';
import { isAlreadyExists, isConflict, isNotFound, toKontrolerError } from '../kube/kube-error.js';
import { LOG_FINALIZER } from './naming.js';
import { buildWorkspaceClaim, type PodOptions } from './pod-spec.js';

/** Creates the run's workspace claim; an existing one is fine (idempotent). */
export async function ensureClaim(client: KubeClient, spec: AttemptSpec, opts: PodOptions): Promise<void> {
  try {
    await client.request('POST', `/api/v1/namespaces/${spec.namespace}/persistentvolumeclaims`, { body: buildWorkspaceClaim(spec, opts) });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** Deletes a pod with a grace period (the kubelet stops it; the finalizer keeps the object). Failures are logged. */
export async function deletePod(client: KubeClient, namespace: string, name: string, graceSeconds: number, log: (m: string) => void): Promise<void> {
  try {
    await client.request('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, { body: { gracePeriodSeconds: graceSeconds } });
  } catch (err) {
    if (!isNotFound(err)) log(`kube runtime: deleting pod ${namespace}/${name} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Lets go of the log finalizer of a pod whose log is archived, keeping the pod (podGC deletes it
 * later). Resolves with the updated pod (undefined: nothing to do, or gone). Idempotent.
 */
export async function releaseLog(client: KubeClient, pod: V1Pod): Promise<V1Pod | undefined> {
  const path = `/api/v1/namespaces/${pod.metadata?.namespace ?? ''}/pods/${pod.metadata?.name ?? ''}`;
  try {
    return await removeFinalizer(client, path, pod, LOG_FINALIZER);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw toKontrolerError(err, `removing the log finalizer of pod ${pod.metadata?.namespace}/${pod.metadata?.name}`);
  }
}

/** Deletes (grace 0) and lets go of the log finalizer: the pod then disappears. Idempotent. */
export async function removePod(client: KubeClient, pod: V1Pod): Promise<void> {
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const path = `/api/v1/namespaces/${ns}/pods/${name}`;
  try {
    if (!pod.metadata?.deletionTimestamp) await client.request('DELETE', path, { body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } } });
  } catch (err) {
    if (isNotFound(err)) return;
    if (!isConflict(err)) throw toKontrolerError(err, `deleting pod ${ns}/${name}`);
  }
  try {
    await removeFinalizer(client, path, pod, LOG_FINALIZER);
  } catch (err) {
    if (!isNotFound(err)) throw toKontrolerError(err, `removing the log finalizer of pod ${ns}/${name}`);
  }
}
