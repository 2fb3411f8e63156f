// Stats API answers → chart series (pure). Charts draw these; nothing is computed in components.
import type { Run, Stats } from '@kontroler/client';

export interface DayPoint {
  day: string;
  /** `May 3` style label. */
  label: string;
  succeeded: number;
  failed: number;
  canceled: number;
  active: number;
  total: number;
  /** Succeeded / ended runs that day; null when none ended. */
  successRate: number | null;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function dayLabel(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(day);
  return m ? `${MONTHS[Number(m[2]) - 1]} ${Number(m[3])}` : day;
}

/** One point per day of the window (days without runs included, as zeros). */
export function runsPerDay(stats: Pick<Stats, 'runsPerDay' | 'from' | 'to'>): DayPoint[] {
  const byDay = new Map(stats.runsPerDay.map((d) => [d.day.slice(0, 10), d]));
  const out: DayPoint[] = [];
  const from = Date.parse(`${stats.from.slice(0, 10)}T00:00:00Z`);
  const to = Date.parse(`${stats.to.slice(0, 10)}T00:00:00Z`);
  const days: string[] = [];
  if (Number.isFinite(from) && Number.isFinite(to) && to >= from && (to - from) / 86_400_000 <= 400) {
    for (let t = from; t <= to; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  } else days.push(...[...byDay.keys()].sort());
  for (const day of days) {
    const d = byDay.get(day);
    const succeeded = d?.succeeded ?? 0;
    const failed = d?.failed ?? 0;
    const canceled = d?.canceled ?? 0;
    const active = (d?.running ?? 0) + (d?.pending ?? 0);
    const ended = succeeded + failed + canceled;
    out.push({ day, label: dayLabel(day), succeeded, failed, canceled, active, total: ended + active, successRate: ended > 0 ? succeeded / ended : null });
  }
  return out;
}

/** A DAG's durations in seconds: execution time (while an attempt ran) apart from wall time (waits included). */
export interface DurationBar {
  dag: string;
  execP50: number;
  execP95: number;
  wallP50: number;
  wallP95: number;
  runs: number;
}

/** Slowest DAGs first (by execution p95), at most `top`. */
export function durationBars(stats: Pick<Stats, 'durations'>, top = 10): DurationBar[] {
  return largestFirst(stats.durations, (d) => d.executionP95Seconds, top).map((d) => ({
    dag: qualified(d.namespace, d.dag),
    execP50: round(d.executionP50Seconds),
    execP95: round(d.executionP95Seconds),
    wallP50: round(d.p50Seconds),
    wallP95: round(d.p95Seconds),
    runs: d.runs,
  }));
}

export interface FailingBar {
  task: string;
  failedAttempts: number;
  runs: number;
}

/** Most failed attempts first, at most `top`. */
export function failingBars(stats: Pick<Stats, 'failingTasks'>, top = 10): FailingBar[] {
  return largestFirst(stats.failingTasks, (t) => t.failedAttempts, top).map((t) => ({ task: `${qualified(t.namespace, t.dag)} › ${t.task}`, failedAttempts: t.failedAttempts, runs: t.runs }));
}

/** The `top` items with the largest `by`, largest first. */
function largestFirst<T>(items: readonly T[], by: (t: T) => number, top: number): T[] {
  return [...items].sort((a, b) => by(b) - by(a)).slice(0, top);
}

/** A DAG's name, with its namespace unless it is `default`. */
function qualified(namespace: string, dag: string): string {
  return namespace === 'default' ? dag : `${namespace}/${dag}`;
}

function round(n: number): number {
  return n < 10 ? Math.round(n * 100) / 100 : Math.round(n * 10) / 10;
}

/**
 * A DAG's recent runs (newest first, as the API lists them) → the success rate of a sliding
 * window over ended runs, oldest to newest: the sparkline on the DAG page.
 */
export function successTrend(runs: ReadonlyArray<Pick<Run, 'status'>>, window = 5): number[] {
  const ended = runs.filter((r) => r.status === 'succeeded' || r.status === 'failed' || r.status === 'canceled').reverse();
  const out: number[] = [];
  for (let i = 0; i < ended.length; i++) {
    const slice = ended.slice(Math.max(0, i - window + 1), i + 1);
    out.push(slice.filter((r) => r.status === 'succeeded').length / slice.length);
  }
  return out;
}

/** SVG polyline points for values in [0, 1] drawn in a `width` × `height` box (top = 1). */
export function sparklinePoints(values: readonly number[], width: number, height: number, pad = 2): string {
  if (values.length === 0) return '';
  if (values.length === 1) values = [values[0]!, values[0]!];
  const step = (width - pad * 2) / (values.length - 1);
  return values
    .map((v, i) => `${(pad + i * step).toFixed(1)},${(pad + (1 - Math.max(0, Math.min(1, v))) * (height - pad * 2)).toFixed(1)}`)
    .join(' ');
}
