// What a driven run costs in controller memory, estimated from its size: its definition snapshot,
// its engine state (a TaskState per task, an AttemptState per attempt, the persistent map's nodes)
// and the actor's own index. Measured with `node scripts/bench.mjs scale` (heap after gc per
// loaded 100,000-task run, small task specs); task specs with large scripts or pod templates cost
// more per task, in proportion to their size.

/** Estimated heap bytes per task of a driven run: definition ~500, state ~250, indexes ~150. */
export const RUN_BYTES_PER_TASK = 900;

/** Estimated heap bytes per attempt of a driven run (its AttemptState and its log-size entry). */
export const RUN_BYTES_PER_ATTEMPT = 200;

/** Runs of at least this many tasks are logged with their size and memory estimate when claimed. */
export const LARGE_RUN_TASKS = 10_000;

/** The size of what a controller holds in memory for its runs. */
export interface RunMemory {
  readonly runs: number;
  readonly tasks: number;
  readonly attempts: number;
  /** `tasks × RUN_BYTES_PER_TASK + attempts × RUN_BYTES_PER_ATTEMPT`. */
  readonly estimatedBytes: number;
}

/** The estimate for `tasks` tasks and `attempts` attempts. Pure. */
export function estimateRunBytes(tasks: number, attempts: number): number {
  return tasks * RUN_BYTES_PER_TASK + attempts * RUN_BYTES_PER_ATTEMPT;
}

/** `bytes` as MiB with one decimal, for logs. */
export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
