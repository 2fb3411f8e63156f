// The scheduler's cron functions over core's cron parser (croner): what every Scheduler uses
// outside tests that move time themselves.
import { missedFireTimes, nextFireTimes } from '@kontroler/core';
import type { CronFns } from './plan-fires.js';

export const cron: CronFns = {
  next: (schedule, tz, after) => nextFireTimes(schedule, tz, new Date(after), 1)[0]?.getTime() ?? null,
  between: (schedule, tz, from, to, max) => missedFireTimes(schedule, tz, new Date(from), new Date(to), max).map((d) => d.getTime()),
};
