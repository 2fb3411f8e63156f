import type { ConcurrencyPolicy } from '@kontroler/core';

/** The cron functions the scheduler needs (from @kontroler/core). */
export interface CronFns {
  /** First fire time strictly after `after` (epoch ms), or null. */
  next(schedule: string, timezone: string, after: number): number | null;
  /** Fire times in (from, to], oldest first, at most `max` of the latest. */
  between(schedule: string, timezone: string, from: number, to: number, max: number): number[];
}

export interface SchedulePlan {
  /** Fire times to create runs for (oldest first). */
  fires: number[];
  nextFireAt: number | null;
  /** Runs to cancel first (concurrencyPolicy Replace). */
  cancel: number[];
  /** Fires dropped because a run is active (concurrencyPolicy Forbid). */
  skipped: number;
}

/**
 * What a due schedule does now. A schedule seen for the first time only computes its next fire.
 * After downtime at most `catchUp` missed fires run (the latest ones), never one per minute of
 * downtime; the next fire time always moves past `now`, so a schedule never fires twice for one time.
 */
export function planFires(
  dag: { schedule: string; timezone: string; catchUp: number; concurrencyPolicy: ConcurrencyPolicy; nextFireAt: number | null },
  now: number,
  activeRuns: readonly number[],
  cron: CronFns,
): SchedulePlan {
  const nextFireAt = cron.next(dag.schedule, dag.timezone, now);
  if (dag.nextFireAt === null) return { fires: [], nextFireAt, cancel: [], skipped: 0 };
  const due = dag.nextFireAt <= now ? [dag.nextFireAt, ...cron.between(dag.schedule, dag.timezone, dag.nextFireAt, now, 1000)] : [];
  let fires = dag.catchUp <= 0 ? due.slice(-1).filter((t) => now - t < 60_000) : due.slice(-dag.catchUp);
  let cancel: number[] = [];
  let skipped = 0;
  if (fires.length > 0 && activeRuns.length > 0) {
    if (dag.concurrencyPolicy === 'Forbid') {
      skipped = fires.length;
      fires = [];
    } else if (dag.concurrencyPolicy === 'Replace') {
      cancel = [...activeRuns];
      fires = fires.slice(-1);
    }
  }
  if (dag.concurrencyPolicy !== 'Allow' && fires.length > 1) fires = fires.slice(-1);
  return { fires, nextFireAt, cancel, skipped };
}
