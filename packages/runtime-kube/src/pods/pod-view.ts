// What a pod says about its attempt: still waiting, running, unable to start (a reason to fail
// the attempt), or ended with an exit code. Pure.
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { MAIN_CONTAINER, SCRIPT_INJECTOR_CONTAINER } from './pod-spec.js';

export type PodView =
  | { readonly state: 'pending' }
  | { readonly state: 'running'; readonly startedAt: number | undefined }
  /** It will not start by itself (image cannot be pulled, bad configuration): fail the attempt. */
  | { readonly state: 'stuck'; readonly reason: string }
  | {
      readonly state: 'exited';
      readonly exitCode?: number;
      readonly reason: string;
      readonly startedAt?: number;
      readonly finishedAt?: number;
      /** Container whose log tells what happened (the main one, or a failed init container). */
      readonly logContainer?: string;
      /** The main container's termination message (it carries the task's outputs). */
      readonly terminationMessage?: string;
    };

/**
 * Waiting reasons kubelet does not get out of by itself. ErrImagePull is left to become
 * ImagePullBackOff (a registry hiccup may pass); CreateContainerConfigError (a missing Secret or
 * ConfigMap key) fails at once, since the attempt would otherwise wait with no deadline.
 */
export const STUCK_REASONS = new Set([
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'PreCreateHookError',
  'PreStartHookError',
]);

function ms(t: Date | string | undefined): number | undefined {
  if (t === undefined) return undefined;
  const v = new Date(t).getTime();
  return Number.isNaN(v) ? undefined : v;
}

function stuckOf(statuses: V1ContainerStatus[] | undefined): string | undefined {
  for (const cs of statuses ?? []) {
    const w = cs.state?.waiting;
    if (w?.reason && STUCK_REASONS.has(w.reason)) return `${w.reason}: ${w.message ?? `container ${cs.name}`}`;
  }
  return undefined;
}

export function viewPod(pod: V1Pod): PodView {
  const st = pod.status;
  const main = st?.containerStatuses?.find((c) => c.name === MAIN_CONTAINER) ?? st?.containerStatuses?.[0];
  const phase = st?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    const term = main?.state?.terminated ?? main?.lastState?.terminated;
    const failedInit = st?.initContainerStatuses?.find((c) => (c.state?.terminated?.exitCode ?? 0) !== 0);
    const deadline = st?.reason === 'DeadlineExceeded';
    if (term && !(failedInit && !main?.state?.terminated?.startedAt)) {
      const reason = deadline ? 'DeadlineExceeded' : phase === 'Succeeded' ? 'Completed' : (term.reason ?? 'Error');
      const startedAt = ms(term.startedAt);
      const finishedAt = ms(term.finishedAt);
      return {
        state: 'exited',
        exitCode: term.exitCode,
        reason,
        ...(startedAt !== undefined ? { startedAt } : {}),
        ...(finishedAt !== undefined ? { finishedAt } : {}),
        logContainer: main?.name ?? MAIN_CONTAINER,
        ...(term.message !== undefined && term.message !== null ? { terminationMessage: term.message } : {}),
      };
    }
    if (failedInit) {
      const t = failedInit.state?.terminated;
      const what = failedInit.name === SCRIPT_INJECTOR_CONTAINER ? 'the script injector' : `init container ${failedInit.name}`;
      return { state: 'exited', reason: `InitContainerFailed: ${what} exited with code ${t?.exitCode ?? '?'}${t?.message ? `: ${t.message}` : ''}`, logContainer: failedInit.name };
    }
    const why = st?.reason ? `${st.reason}${st.message ? `: ${st.message}` : ''}` : phase === 'Succeeded' ? 'Completed' : 'Failed';
    return { state: 'exited', ...(phase === 'Succeeded' ? { exitCode: 0 } : {}), reason: deadline ? 'DeadlineExceeded' : why };
  }
  const stuck = stuckOf(st?.initContainerStatuses) ?? stuckOf(st?.containerStatuses);
  if (stuck) return { state: 'stuck', reason: stuck };
  if (main?.state?.running || main?.state?.terminated) {
    return { state: 'running', startedAt: ms(main.state.running?.startedAt ?? main.state.terminated?.startedAt) };
  }
  return { state: 'pending' };
}

/** Whether the main container has started (its log can be followed). */
export function mainStarted(pod: V1Pod): boolean {
  const main = pod.status?.containerStatuses?.find((c) => c.name === MAIN_CONTAINER);
  return Boolean(main?.state?.running || main?.state?.terminated);
}

export type ExitedView = PodView & { readonly state: 'exited' };

/** Being deleted and bound to no node: it never ran and never will (no log, no exit code). */
export function deletedUnscheduled(pod: V1Pod): boolean {
  return pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null && !pod.spec?.nodeName;
}

/** The pod vanished: what its last known state said, or Lost. */
export function lastExitedView(pod: V1Pod | undefined): ExitedView {
  const v = pod ? viewPod(pod) : undefined;
  return v?.state === 'exited' ? v : { state: 'exited', reason: 'Lost' };
}

/** What the runtime did to the attempt's pod, or saw done to it, besides what the pod says. */
export interface EndCircumstances {
  /** Killed by the runtime (`kill`), with this reason. */
  readonly killReason: string | undefined;
  /** Deleted by the runtime because it could not start (a stuck view's reason). */
  readonly stuckReason: string | undefined;
  /** The pod has a deletion timestamp (someone deleted it). */
  readonly deleted: boolean;
}

/** The reason and exit code of an attempt whose pod ended as `view`. */
export interface AttemptOutcome {
  readonly reason: string;
  readonly exitCode?: number;
}

/**
 * The attempt's end from the pod's last view and what happened to it: a kill's or a stuck pod's
 * reason wins (a stuck pod has no exit code; a killed one none from its signal, > 128); a pod
 * deleted by someone else that did not succeed ended as PodDeleted; an active deadline stays
 * DeadlineExceeded unless the runtime killed it first.
 */
export function attemptOutcome(view: ExitedView, c: EndCircumstances): AttemptOutcome {
  const deletedByOthers = c.deleted && c.killReason === undefined && c.stuckReason === undefined;
  let reason = c.killReason ?? c.stuckReason ?? (deletedByOthers && view.exitCode !== 0 ? 'PodDeleted' : view.reason);
  let exitCode = view.exitCode;
  if (c.stuckReason !== undefined) exitCode = undefined;
  if (c.killReason !== undefined && exitCode !== undefined && exitCode > 128) exitCode = undefined;
  if (view.reason === 'DeadlineExceeded' && c.killReason === undefined) reason = 'DeadlineExceeded';
  return { reason, ...(exitCode !== undefined ? { exitCode } : {}) };
}
