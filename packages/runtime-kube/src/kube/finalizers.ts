// Adding and removing one finalizer of an object without touching anyone else's: JSON patches
// that first `test` what they change, so a concurrent edit of the list makes the patch fail
// (409/422) instead of overwriting it; then the object is read again and the patch retried.
import type { KubeClient } from './kube-client.js';
import { statusOf } from './kube-error.js';
import type { KubeObject } from './objects.js';

/** How many times a finalizer patch is retried on a concurrent change before the error is thrown. */
export const FINALIZER_PATCH_ATTEMPTS = 3;

type Op = { op: 'test' | 'add' | 'remove'; path: string; value?: unknown };

/** The JSON patch adding `finalizer` (pure); undefined when the object has it already. */
export function addFinalizerPatch(obj: KubeObject, finalizer: string): Op[] | undefined {
  const list = obj.metadata?.finalizers;
  if (list?.includes(finalizer)) return undefined;
  if (list === undefined || list.length === 0) {
    // No list to test: the resourceVersion guards against a list someone else adds meanwhile.
    return [
      { op: 'test', path: '/metadata/resourceVersion', value: obj.metadata?.resourceVersion },
      { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
    ];
  }
  return [
    { op: 'test', path: '/metadata/finalizers', value: list },
    { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
  ];
}

/** The JSON patch removing `finalizer` (pure); undefined when the object does not have it. */
export function removeFinalizerPatch(obj: KubeObject, finalizer: string): Op[] | undefined {
  const idx = obj.metadata?.finalizers?.indexOf(finalizer) ?? -1;
  if (idx < 0) return undefined;
  return [
    { op: 'test', path: `/metadata/finalizers/${idx}`, value: finalizer },
    { op: 'remove', path: `/metadata/finalizers/${idx}` },
  ];
}

/**
 * Applies `patchFor` to the object at `path` (starting from `obj`, as cached), re-reading it after
 * a concurrent change (409/422 from a failed `test`). Resolves with the updated object, or
 * undefined when there was nothing to do. Throws the API error otherwise (NotFound included).
 */
async function patchFinalizers<T extends KubeObject>(client: KubeClient, path: string, obj: T, patchFor: (o: T) => Op[] | undefined): Promise<T | undefined> {
  let current = obj;
  for (let i = 1; ; i++) {
    const patch = patchFor(current);
    if (!patch) return undefined;
    try {
      return await client.request<T>('PATCH', path, { contentType: 'application/json-patch+json', body: patch });
    } catch (err) {
      const status = statusOf(err);
      if ((status !== 409 && status !== 422) || i >= FINALIZER_PATCH_ATTEMPTS) throw err;
      current = await client.request<T>('GET', path);
    }
  }
}

/** Adds `finalizer` to the object at `path` unless it has it. Idempotent. */
export function addFinalizer<T extends KubeObject>(client: KubeClient, path: string, obj: T, finalizer: string): Promise<T | undefined> {
  return patchFinalizers(client, path, obj, (o) => addFinalizerPatch(o, finalizer));
}

/** Removes `finalizer` from the object at `path`, leaving other finalizers alone. Idempotent. */
export function removeFinalizer<T extends KubeObject>(client: KubeClient, path: string, obj: T, finalizer: string): Promise<T | undefined> {
  return patchFinalizers(client, path, obj, (o) => removeFinalizerPatch(o, finalizer));
}
