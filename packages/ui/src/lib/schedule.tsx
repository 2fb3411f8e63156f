// A DAG's schedule as shown in the DAG list and on the DAG page: the cron expression, what it
// means in words and the time zone it fires in.
import { describeCron } from './cron-text.js';

export function Schedule({ schedule, timezone }: { schedule: string | null | undefined; timezone: string }) {
  if (!schedule) return <span className="muted">on demand</span>;
  const words = describeCron(schedule);
  return (
    <span className="schedule" data-testid="schedule">
      <code>{schedule}</code> {words ? <span className="schedule-words">{words}</span> : null} <span className="chip schedule-tz" title="time zone the schedule fires in">{timezone}</span>
    </span>
  );
}
