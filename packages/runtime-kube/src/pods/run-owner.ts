// The owner of a run's pods: the DagRun object the run was started from (`AttemptSpec.runObject`),
// read from the apiserver for its uid. Read-only: the pod runtime never creates DagRun objects and
// never asks the store or the CRD adapter (ADR 0008, amendment 1).
import type { KubeClient } from '../kube/kube-client.js';
import { isNotFound } from '../kube/kube-error.js';
import type { KubeObject, OwnerReference } from '../kube/objects.js';
import { CRD_API_VERSION } from './naming.js';

/** The owner reference of pods whose run the DagRun `namespace/name` started. */
export function dagRunOwnerReference(name: string, uid: string): OwnerReference {
  return { apiVersion: CRD_API_VERSION, kind: 'DagRun', name, uid };
}

/** The DagRun `namespace/name` as an owner, or undefined when it does not exist (deleted). */
export async function readDagRunOwner(client: KubeClient, namespace: string, name: string): Promise<OwnerReference | undefined> {
  try {
    const obj = await client.request<KubeObject>('GET', `/apis/${CRD_API_VERSION}/namespaces/${namespace}/dagruns/${name}`);
    const uid = obj.metadata?.uid;
    return uid ? dagRunOwnerReference(name, uid) : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
