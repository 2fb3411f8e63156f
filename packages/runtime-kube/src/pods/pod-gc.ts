// podGC in the pod runtime: when a finished pod whose log is archived may go. Pure.
import type { PodGCPolicy } from '@kontroler/core';
import type { V1Pod } from '@kubernetes/client-node';
import { LOG_FINALIZER } from './naming.js';
import { viewPod } from './pod-view.js';

/** What deciding about one run's pods needs: its policy, and how far the run is. */
export interface PodGCFacts {
  readonly policy: PodGCPolicy;
  /** pending, running, succeeded, failed or canceled. */
  readonly runStatus: string;
  readonly runFinishedAt: number | null;
}

const ENDED = new Set(['succeeded', 'failed', 'canceled']);

/**
 * When a finished pod may be deleted (epoch ms), or undefined while it is kept: OnPodCompletion,
 * `deleteAfterSeconds` after the pod ended; OnRunCompletion, after its run ended; OnRunSuccess,
 * after its run succeeded — a failed or canceled run's pods are kept while their owner DagRun
 * exists (Kubernetes' garbage collector deletes them with it), and go as OnRunCompletion when
 * they have no owner.
 */
export function podDeleteAt(f: PodGCFacts, podEndedAt: number, ownedByDagRun: boolean): number | undefined {
  const after = f.policy.deleteAfterSeconds * 1000;
  const runEnd = f.runFinishedAt ?? podEndedAt;
  switch (f.policy.strategy) {
    case 'OnPodCompletion':
      return podEndedAt + after;
    case 'OnRunCompletion':
      return ENDED.has(f.runStatus) ? runEnd + after : undefined;
    case 'OnRunSuccess':
      if (!ENDED.has(f.runStatus)) return undefined;
      return f.runStatus === 'succeeded' || !ownedByDagRun ? runEnd + after : undefined;
  }
}

/** When the pod's main container ended (the container's clock), else `fallback`. */
export function podEndedAt(pod: V1Pod, fallback: number): number {
  const v = viewPod(pod);
  return v.state === 'exited' && v.finishedAt !== undefined ? v.finishedAt : fallback;
}

/** Whether the pod still holds its log (the log finalizer). */
export function holdsLog(pod: V1Pod): boolean {
  return pod.metadata?.finalizers?.includes(LOG_FINALIZER) === true;
}

/** Whether the pod is owned by a DagRun (deleted with it by the garbage collector). */
export function ownedByDagRun(pod: V1Pod): boolean {
  return (pod.metadata?.ownerReferences ?? []).some((r) => r.kind === 'DagRun');
}
