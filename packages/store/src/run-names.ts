/**
 * The name of the run of a DAG's schedule for fire time `at` (epoch ms): `<dag>-<unix time>`. A
 * schedule and a backfill give one fire time the same name, so it gets one run even when several
 * controllers fire, or a backfill covers a time the schedule ran.
 */
export function scheduledRunName(dagName: string, at: number): string {
  return `${dagName}-${Math.floor(at / 1000)}`;
}
