// How an ended container is reported. Pure.
import type { ContainerInfo } from './container-engine.js';
import type { AttemptRecord } from './records.js';

export interface Outcome {
  readonly exitCode?: number;
  readonly reason: string;
}

/** Exit statuses above this mean the process died of signal (status - 128). */
const SIGNALLED = 128;

/**
 * - never ran (`failed` record): that reason, no exit code;
 * - the container is gone without our say (removed by hand): the kill reason, or Lost;
 * - we asked it to stop (`kill` record): the kill reason; the exit code only if it exited by
 *   itself rather than by the signal;
 * - the kernel's OOM killer stopped it: OOMKilled, with the code;
 * - exited on its own: Completed for 0, Error otherwise, with the container's code.
 */
export function outcomeOf(info: ContainerInfo | undefined, kill: AttemptRecord | undefined, failed: AttemptRecord | undefined): Outcome {
  if (failed !== undefined) return { reason: failed.reason };
  if (info === undefined) return { reason: kill?.reason ?? 'Lost' };
  const code = info.exitCode;
  if (kill !== undefined) return code <= SIGNALLED ? { exitCode: code, reason: kill.reason } : { reason: kill.reason };
  if (info.oomKilled) return { exitCode: code, reason: 'OOMKilled' };
  return { exitCode: code, reason: code === 0 ? 'Completed' : 'Error' };
}

/** Whether the container has ended (anything but created, running, paused, restarting). */
export function hasEnded(info: ContainerInfo): boolean {
  return !info.running && !['created', 'configured', 'initialized', 'paused', 'restarting', 'running'].includes(info.status);
}
