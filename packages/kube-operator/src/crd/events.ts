// Kubernetes Events on Kontroler objects, so `kubectl describe dagrun X` tells what happened.
import { type KubeClient } from '@kontroler/runtime-kube';
import type { CustomObject } from './crd-objects.js';

export interface EventInput {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** The core/v1 Event for `obj` (pure). */
export function eventFor(obj: CustomObject, e: EventInput, now: Date, component = 'kontroler-controller'): Record<string, unknown> {
  const ns = obj.metadata?.namespace ?? 'default';
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${obj.metadata?.name ?? 'object'}.`, namespace: ns },
    involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata?.name, namespace: ns, uid: obj.metadata?.uid, resourceVersion: obj.metadata?.resourceVersion },
    type: e.type,
    reason: e.reason,
    message: e.message.slice(0, 1024),
    source: { component },
    reportingComponent: component,
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}

/** Records an event; failures are only logged (events are best effort). */
export async function recordEvent(client: KubeClient, obj: CustomObject, e: EventInput, log: (m: string) => void): Promise<void> {
  try {
    await client.request('POST', `/api/v1/namespaces/${obj.metadata?.namespace ?? 'default'}/events`, { body: eventFor(obj, e, new Date()), retry: false });
  } catch (err) {
    log(`crd adapter: recording event ${e.reason} on ${obj.kind} ${obj.metadata?.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
