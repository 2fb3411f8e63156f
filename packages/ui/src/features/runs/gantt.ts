// The timeline (Gantt) of a run: one row per task, one bar per attempt, positioned on a shared
// time axis with readable ticks. Pure: `now` is the right edge of bars still running.
import type { RunTask } from '@kontroler/client';

export interface GanttBar {
  attempt: number;
  status: string;
  /** Epoch ms. */
  start: number;
  end: number;
  running: boolean;
  exitCode: number | null;
  /** Fraction of the axis (0–1). */
  left: number;
  width: number;
}

export interface GanttRow {
  task: string;
  status: string;
  bars: GanttBar[];
}

export interface GanttTick {
  at: number;
  /** Fraction of the axis. */
  pos: number;
  label: string;
}

export interface GanttModel {
  start: number;
  end: number;
  rows: GanttRow[];
  ticks: GanttTick[];
}

const STEPS = [100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];

/** A tick step giving about `want` ticks over `span` ms. */
export function tickStep(span: number, want = 6): number {
  const ideal = span / Math.max(1, want);
  return STEPS.find((s) => s >= ideal) ?? STEPS[STEPS.length - 1]!;
}

/** `+0 s`, `+1.5 s`, `+2 m`, `+1 h 30 m`: offsets from the run's start. */
export function tickLabel(offset: number, step: number): string {
  if (offset === 0) return '0';
  if (step < 1000) return `${Number((offset / 1000).toFixed(2))} s`;
  if (step < 60_000) return `${Math.round(offset / 1000)} s`;
  if (step < 3_600_000 && offset < 3_600_000) {
    const m = Math.floor(offset / 60_000);
    const s = Math.round((offset % 60_000) / 1000);
    return s === 0 ? `${m} m` : `${m} m ${s} s`;
  }
  const h = Math.floor(offset / 3_600_000);
  const m = Math.round((offset % 3_600_000) / 60_000);
  return m === 0 ? `${h} h` : `${h} h ${m} m`;
}

/**
 * Bars for every attempt that started (or was created) in the run, in task order. Attempts not
 * yet started are drawn from their creation time; bars never shrink below a visible minimum.
 */
export function ganttModel(tasks: readonly RunTask[], now: number, runStart?: number): GanttModel {
  const raw: Array<{ task: string; status: string; bars: Omit<GanttBar, 'left' | 'width'>[] }> = [];
  let start = runStart ?? Infinity;
  let end = -Infinity;
  for (const t of tasks) {
    const bars: Omit<GanttBar, 'left' | 'width'>[] = [];
    for (const a of t.attempts) {
      const s = Date.parse(a.startedAt ?? a.createdAt);
      if (!Number.isFinite(s)) continue;
      const running = a.finishedAt === null;
      const e = running ? Math.max(now, s) : Date.parse(a.finishedAt!);
      bars.push({ attempt: a.attempt, status: a.status, start: s, end: Math.max(e, s), running, exitCode: a.exitCode });
      start = Math.min(start, s);
      end = Math.max(end, e);
    }
    raw.push({ task: t.name, status: t.status, bars });
  }
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    start = runStart ?? now;
    end = start + 1000;
  }
  if (end - start < 1000) end = start + 1000;
  const span = end - start;
  const rows = raw.map((r) => ({
    task: r.task,
    status: r.status,
    bars: r.bars.map((b) => ({ ...b, left: (b.start - start) / span, width: Math.max((b.end - b.start) / span, 0.004) })),
  }));
  const step = tickStep(span);
  const ticks: GanttTick[] = [];
  for (let off = 0; off <= span; off += step) ticks.push({ at: start + off, pos: off / span, label: tickLabel(off, step) });
  return { start, end, rows, ticks };
}
