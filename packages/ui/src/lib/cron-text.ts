// A cron schedule in words (cronstrue), with the time zone it fires in: "At 02:30, Monday through
// Friday (Europe/Paris)". Pure.
import { toString as cronToString } from 'cronstrue';

/** The expression in words, or undefined when cronstrue cannot read it (the expression is shown alone). */
export function describeCron(expression: string): string | undefined {
  try {
    return cronToString(expression, { use24HourTimeFormat: true, verbose: false });
  } catch {
    return undefined;
  }
}

/** `At 02:30, Monday through Friday (Europe/Paris)`; the expression itself when it has no words. */
export function scheduleInWords(expression: string, timezone: string): string {
  return `${describeCron(expression) ?? expression} (${timezone})`;
}
