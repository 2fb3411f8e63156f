// The sweep: pods of attempts the store has fully recorded that nobody released (the controller
// died between recording the attempt and `release`) are removed, a bounded number per pass; with
// podGC, pods kept after their attempt was recorded are removed once they are due.
import type { AttemptKey } from '@kontroler/engine';
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/kube-client.js';
import { keyOfPod } from './naming.js';
import { releaseLog, removePod } from './pod-api.js';
import { holdsLog } from './pod-gc.js';

/** At most this many pods are removed per sweep (the next sweep takes the rest). */
export const SWEEP_MAX_PODS = 100;

export interface SweepDeps {
  /** Whether the runtime tracks the attempt (by key string): such pods are left alone. */
  readonly tracked: (id: string) => boolean;
  /** Whether the store has fully recorded the attempt (its end and log). */
  readonly accounted: (key: AttemptKey) => Promise<boolean>;
  /** Stop early (the runtime closed). */
  readonly closed: () => boolean;
  readonly log: (msg: string) => void;
  readonly max?: number;
  /** podGC: whether an accounted pod is kept for now (its log finalizer is then removed). Default: none is. */
  readonly keep?: (pod: V1Pod) => Promise<boolean>;
}

/** Whether a pod has ended or is being deleted. */
export function podEnded(pod: V1Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' || pod.metadata?.deletionTimestamp !== undefined;
}

/** Removes ended pods (by attempt key string) of accounted attempts no runtime tracks; returns how many. */
export async function sweepAccounted(client: KubeClient, pods: ReadonlyMap<string, V1Pod>, d: SweepDeps): Promise<number> {
  const max = d.max ?? SWEEP_MAX_PODS;
  let removed = 0;
  for (const [id, pod] of [...pods]) {
    if (d.closed() || removed >= max) break;
    if (d.tracked(id)) continue;
    const key = keyOfPod(pod);
    if (!podEnded(pod) || !key) continue;
    // podGC first (its facts are per run, cached by the caller): a kept pod already released costs
    // no query of its own.
    const kept = d.keep !== undefined && pod.metadata?.deletionTimestamp === undefined && (await d.keep(pod));
    if (kept && !holdsLog(pod)) continue;
    if (!(await d.accounted(key))) continue;
    if (kept) {
      await releaseLog(client, pod);
      continue;
    }
    d.log(`kube runtime: removing pod ${pod.metadata?.namespace}/${pod.metadata?.name}: its attempt is recorded${holdsLog(pod) ? ' and nobody released it' : ' and podGC says it is due'}`);
    await removePod(client, pod);
    removed++;
  }
  return removed;
}
