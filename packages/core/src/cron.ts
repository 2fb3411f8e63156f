// Schedules: 5-field cron (minute hour day-of-month month day-of-week), or one of the
// descriptors below, evaluated in an IANA time zone with croner. No seconds field: a 6-field
// pattern is refused by name. Pure: time is always passed in.

import { Cron } from 'croner';
import { KontrolerError, messageOf } from './errors.js';

/** Descriptors accepted in `schedule`, and the 5-field pattern each stands for. */
export const SCHEDULE_DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export type ScheduleCheck = { ok: true; pattern: string } | { ok: false; message: string };

// A fixed, clock-free reference for "does this pattern ever fire" (Feb 29 fires in 2000).
const NEVER_REFERENCE = new Date(Date.UTC(1999, 11, 31, 0, 0, 0));

/**
 * Checks a schedule and returns the 5-field pattern it stands for (descriptors expanded, blanks
 * collapsed), or a message saying what is wrong. Accepts what robfig/cron's standard parser
 * accepts (names like MON or JAN, ranges, steps, `5/15`) plus croner's extras (`L`, `W`, `#`).
 * Refuses 6- and 7-field patterns, unknown descriptors (including `@every`) and patterns that
 * can never fire (`0 0 31 2 *`). Pure; never throws.
 */
export function checkSchedule(schedule: string): ScheduleCheck {
  const trimmed = schedule.trim();
  if (trimmed === '') return { ok: false, message: 'empty schedule' };
  let pattern: string;
  if (trimmed.startsWith('@')) {
    const expanded = SCHEDULE_DESCRIPTORS[trimmed.toLowerCase()];
    if (expanded === undefined) {
      return {
        ok: false,
        message: `unknown descriptor ${JSON.stringify(trimmed)}; use a 5-field cron pattern or one of ${Object.keys(SCHEDULE_DESCRIPTORS).join(', ')}`,
      };
    }
    pattern = expanded;
  } else {
    const fields = trimmed.split(/\s+/);
    if (fields.length === 6 || fields.length === 7) {
      return {
        ok: false,
        message: `has ${fields.length} fields; schedules have exactly 5 (minute hour day-of-month month day-of-week) and no seconds field`,
      };
    }
    if (fields.length !== 5) {
      return {
        ok: false,
        message: `has ${fields.length} field${fields.length === 1 ? '' : 's'}; expected 5 (minute hour day-of-month month day-of-week)`,
      };
    }
    pattern = fields.join(' ');
  }
  let cron: Cron;
  try {
    cron = makeCron(pattern, undefined);
  } catch (e) {
    return { ok: false, message: `invalid cron pattern: ${cronMessage(e)}` };
  }
  try {
    if (cron.nextRun(NEVER_REFERENCE) === null) return { ok: false, message: 'the pattern never fires' };
  } catch (e) {
    return { ok: false, message: `invalid cron pattern: ${cronMessage(e)}` };
  }
  return { ok: true, pattern };
}

/**
 * True when `timezone` is an IANA time zone name this runtime knows (per Intl, so `UTC`,
 * `Europe/Stockholm`, also links such as `US/Eastern`). Offsets such as `+02:00` are refused.
 * Pure; never throws.
 */
export function isValidTimezone(timezone: string): boolean {
  if (timezone.trim() === '' || /^[+-]/.test(timezone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The next `limit` fire times strictly after `after`, in ascending order, for a schedule in an
 * IANA time zone (DST gaps and repeats handled by croner: fixed-time jobs fire once).
 * Throws KontrolerError `VALIDATION_FAILED` for an invalid schedule or time zone; validate first.
 */
export function nextFireTimes(schedule: string, timezone: string, after: Date, limit: number): Date[] {
  if (limit <= 0) return [];
  return compile(schedule, timezone).nextRuns(Math.floor(limit), after);
}

/**
 * The fire times in `(from, to]` a scheduler missed, at most `max` of them: the latest ones,
 * returned in ascending order (so `max = 1` is "run once for the most recent missed fire").
 * Cheap even for long gaps: it walks back from `to`, not forward from `from`.
 * Throws KontrolerError `VALIDATION_FAILED` for an invalid schedule or time zone.
 */
export function missedFireTimes(schedule: string, timezone: string, from: Date, to: Date, max: number): Date[] {
  if (max <= 0 || to.getTime() <= from.getTime()) return [];
  const cron = compile(schedule, timezone);
  // croner counts a run in the same second as the reference as "previous"; nudge so `to` itself
  // counts and nothing later does.
  const reference = new Date(Math.floor(to.getTime() / 1000) * 1000 + 1);
  const runs = cron.previousRuns(Math.floor(max), reference);
  return runs.filter((d) => d.getTime() > from.getTime() && d.getTime() <= to.getTime()).reverse();
}

function compile(schedule: string, timezone: string): Cron {
  const check = checkSchedule(schedule);
  if (!check.ok) {
    throw new KontrolerError('VALIDATION_FAILED', `schedule ${JSON.stringify(schedule)}: ${check.message}`);
  }
  if (!isValidTimezone(timezone)) {
    throw new KontrolerError('VALIDATION_FAILED', `unknown time zone ${JSON.stringify(timezone)}; use an IANA name such as "Europe/Berlin" or "UTC"`);
  }
  return makeCron(check.pattern, timezone);
}

function makeCron(pattern: string, timezone: string | undefined): Cron {
  // No callback: croner then only computes times and never starts a timer.
  return new Cron(pattern, {
    mode: '5-part',
    sloppyRanges: true,
    ...(timezone === undefined ? {} : { timezone }),
  });
}

function cronMessage(e: unknown): string {
  const m = messageOf(e);
  return m.replace(/^CronPattern:\s*/, '');
}

/**
 * The latest fire time strictly before `before` (the schedule's previous fire: a run's
 * `prevLogicalTime`), or null when there is none. Throws VALIDATION_FAILED like `nextFireTimes`.
 */
export function previousFireTime(schedule: string, timezone: string, before: Date): Date | null {
  // croner counts the reference's own second as "previous": step back so `before` itself is excluded.
  const reference = new Date(Math.ceil(before.getTime() / 1000) * 1000 - 999);
  const prev = compile(schedule, timezone).previousRuns(1, reference)[0];
  return prev !== undefined && prev.getTime() < before.getTime() ? prev : null;
}

/**
 * The fire times in `[from, to)`, oldest first, at most `max` of them; `more` tells that the range
 * holds more than `max` (a backfill refuses such a range). Throws VALIDATION_FAILED like
 * `nextFireTimes`.
 */
export function fireTimesInRange(schedule: string, timezone: string, from: Date, to: Date, max: number): { times: Date[]; more: boolean } {
  if (max <= 0 || to.getTime() <= from.getTime()) return { times: [], more: false };
  const cron = compile(schedule, timezone);
  // nextRuns is strictly after its reference (to the second): start just before `from`.
  const runs = cron.nextRuns(Math.floor(max) + 1, new Date(from.getTime() - 1000));
  const inRange = runs.filter((d) => d.getTime() >= from.getTime() && d.getTime() < to.getTime());
  return { times: inRange.slice(0, max), more: inRange.length > max };
}
