import type { ResolvedTask } from '@kontroler/core';

/**
 * Whether a task whose `attemptsSoFar`-th attempt failed gets another one: at most
 * `retryLimit` retries, and only for `retryCodes` when those are set (an attempt without an exit
 * code, e.g. killed at its deadline or lost, retries only when every failure retries).
 */
export function shouldRetry(spec: ResolvedTask, attemptsSoFar: number, exitCode: number | undefined): boolean {
  if (attemptsSoFar > spec.retryLimit) return false;
  if (spec.retryCodes === undefined) return true;
  return exitCode !== undefined && spec.retryCodes.includes(exitCode);
}

/** Delay before retry number `retryIndex` (1 = first retry): exponential, capped. */
export function retryDelayMs(spec: ResolvedTask, retryIndex: number): number {
  const { delaySeconds, factor, maxDelaySeconds } = spec.retryDelay;
  const s = Math.min(maxDelaySeconds, delaySeconds * Math.pow(factor, Math.max(0, retryIndex - 1)));
  return Math.max(0, Math.round(s * 1000));
}
