// Logical time: the fire time a run stands for, as tasks see it (RFC 3339 in the DAG's time zone,
// with its offset), and the parsing of a logical time a user gives. Pure (Intl only, no clock).
import { KontrolerError } from './errors.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** The longest logical time text accepted (an RFC 3339 time with nanoseconds and an offset is 35). */
export const LOGICAL_TIME_MAX_LENGTH = 40;

/**
 * `ms` (epoch milliseconds) as RFC 3339 in the IANA time zone `timezone`, with its offset at that
 * instant (DST included): `2026-03-29T03:00:00+02:00`; fractions only when not a whole second.
 * Throws KontrolerError VALIDATION_FAILED for an unknown time zone or a time that is not finite.
 */
export function formatLogicalTime(ms: number, timezone: string): string {
  if (!Number.isFinite(ms)) throw new KontrolerError('VALIDATION_FAILED', `logical time ${String(ms)} is not a time`);
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  } catch {
    throw new KontrolerError('VALIDATION_FAILED', `unknown time zone ${JSON.stringify(timezone)}; use an IANA name such as "Europe/Berlin" or "UTC"`);
  }
  const p: Record<string, number> = {};
  for (const part of fmt.formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const y = p.year ?? 0;
  const wall = Date.UTC(y, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
  const whole = Math.floor(ms / 1000) * 1000;
  const offsetMin = Math.round((wall - whole) / 60_000);
  const frac = ms - whole;
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return (
    `${String(y).padStart(4, '0')}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}:${two(p.second)}` +
    `${frac > 0 ? `.${String(frac).padStart(3, '0')}` : ''}${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`
  );
}

function two(n: number | undefined): string {
  return String(n ?? 0).padStart(2, '0');
}

export type LogicalTimeParse = { ok: true; ms: number } | { ok: false; message: string };

/**
 * Parses an RFC 3339 date-time with a time zone offset or `Z` (`2026-01-31T00:00:00Z`,
 * `2026-01-31T01:00:00+01:00`); refuses anything else, including dates that do not exist
 * (`2026-02-30`). Pure; never throws: the message says what is expected.
 */
export function parseLogicalTime(text: string): LogicalTimeParse {
  const expected = 'expected an RFC 3339 date-time with an offset, e.g. 2026-01-31T00:00:00Z or 2026-01-31T00:00:00+01:00';
  if (text.length > LOGICAL_TIME_MAX_LENGTH) return { ok: false, message: `is longer than ${LOGICAL_TIME_MAX_LENGTH} characters; ${expected}` };
  const m = RFC3339.exec(text);
  if (!m) return { ok: false, message: `${JSON.stringify(text)} is not a date-time; ${expected}` };
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const utc = new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0));
  if (utc.getUTCFullYear() !== y || utc.getUTCMonth() + 1 !== mo || utc.getUTCDate() !== d || utc.getUTCHours() !== h || utc.getUTCMinutes() !== mi || utc.getUTCSeconds() !== s) {
    return { ok: false, message: `${JSON.stringify(text)} is not a valid date-time (no such day or time); ${expected}` };
  }
  const offset = m[8] ?? 'Z';
  const offsetMin = offset === 'Z' || offset === 'z' ? 0 : (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  if (Math.abs(offsetMin) >= 24 * 60 || Number(offset.slice(4, 6)) > 59) return { ok: false, message: `${JSON.stringify(text)} has an invalid offset; ${expected}` };
  const frac = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  return { ok: true, ms: utc.getTime() + frac - offsetMin * 60_000 };
}
