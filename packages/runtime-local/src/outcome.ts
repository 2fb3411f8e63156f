// How an ended attempt is reported, from what its files say. Pure.
import type { KillRecord, PidRecord } from './attempt-files.js';

export interface Outcome {
  readonly exitCode?: number;
  readonly reason: string;
}

/** Supervisor status above 128 means the command died of signal (status - 128). */
const SIGNALLED = 128;

/**
 * - never ran (`pid` says failed): that reason, no exit code;
 * - we asked it to stop (`kill`): the kill reason; the exit code only if it exited by itself
 *   rather than by the signal;
 * - exited on its own: Completed for 0, Error otherwise, with the code (128+n for signal n, as a
 *   container runtime reports it);
 * - the supervisor vanished without recording a status (reboot, OOM kill): Lost.
 */
export function outcomeOf(exit: number | undefined, kill: KillRecord | undefined, pid: PidRecord | undefined): Outcome {
  if (pid?.kind === 'failed') return { reason: pid.reason };
  if (kill !== undefined) {
    return exit !== undefined && exit <= SIGNALLED ? { exitCode: exit, reason: kill.reason } : { reason: kill.reason };
  }
  if (exit !== undefined) return { exitCode: exit, reason: exit === 0 ? 'Completed' : 'Error' };
  return { reason: 'Lost' };
}
