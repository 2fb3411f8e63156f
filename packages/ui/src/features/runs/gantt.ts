// The timeline (Gantt) of a run: one row per task, one bar per attempt, positioned on a shared
// time axis with readable ticks. A mapped task is one row holding its instances' attempts, packed
// into lanes (an instance's bar goes in the first lane free when it starts, at most
// GANTT_MAX_LANES). Pure: `now` is the right edge of bars still running.
import type { RunTask } from '@kontroler/client';

/** Lanes of a mapped task's row (more instances at once share the lane that frees first). */
export const GANTT_MAX_LANES = 8;
/** Height of a plain row, and of a mapped task's lane (px). */
export const GANTT_ROW_PX = 28;
export const GANTT_LANE_PX = 10;

export interface GanttBar {
  /** The task the attempt belongs to: the row's task, or an instance `NAME[i]` of a mapped task. */
  task: string;
  attempt: number;
  /** The lane of the row (0 for a plain task). */
  lane: number;
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
  /** Lanes the bars use (1 for a plain task). */
  lanes: number;
  /** A mapped task: its instances drawn, of how many. */
  instances?: { shown: number; total: number };
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

type RawBar = Omit<GanttBar, 'left' | 'width' | 'lane'>;

/** The bars of some tasks' attempts (attempts without a valid time are left out). */
function barsOf(tasks: readonly RunTask[], now: number): RawBar[] {
  const bars: RawBar[] = [];
  for (const t of tasks) {
    for (const a of t.attempts) {
      const s = Date.parse(a.startedAt ?? a.createdAt);
      if (!Number.isFinite(s)) continue;
      const running = a.finishedAt === null;
      const e = running ? Math.max(now, s) : Date.parse(a.finishedAt!);
      bars.push({ task: t.name, attempt: a.attempt, status: a.status, start: s, end: Math.max(e, s), running, exitCode: a.exitCode });
    }
  }
  return bars;
}

/**
 * Lanes for bars that may overlap: by start time, each bar goes in the first lane whose last bar
 * has ended, a new lane while there are fewer than `max`, else the lane that ends first.
 */
export function packLanes(bars: readonly { start: number; end: number }[], max = GANTT_MAX_LANES): { lanes: number[]; count: number } {
  const order = bars.map((_, i) => i).sort((a, b) => bars[a]!.start - bars[b]!.start || a - b);
  const ends: number[] = [];
  const lanes = new Array<number>(bars.length).fill(0);
  for (const i of order) {
    const b = bars[i]!;
    let lane = ends.findIndex((e) => e <= b.start);
    if (lane < 0 && ends.length < max) lane = ends.length;
    if (lane < 0) lane = ends.reduce((best, e, k) => (e < ends[best]! ? k : best), 0);
    ends[lane] = Math.max(ends[lane] ?? -Infinity, b.end);
    lanes[i] = lane;
  }
  return { lanes, count: Math.max(1, ends.length) };
}

/** The height of a row: a plain row, or a mapped task's lanes. */
export function ganttRowHeight(row: Pick<GanttRow, 'lanes' | 'instances'>): number {
  return row.instances ? Math.max(GANTT_ROW_PX, 12 + row.lanes * GANTT_LANE_PX) : GANTT_ROW_PX;
}

/**
 * Bars for every attempt that started (or was created) in the run, in task order. Attempts not
 * yet started are drawn from their creation time; bars never shrink below a visible minimum. A
 * mapped task's row holds the attempts of its instances given in `instances` (by mapped task).
 */
export function ganttModel(tasks: readonly RunTask[], now: number, runStart?: number, instances?: ReadonlyMap<string, readonly RunTask[]>): GanttModel {
  const raw: Array<{ task: string; status: string; bars: Array<RawBar & { lane: number }>; lanes: number; instances?: { shown: number; total: number } }> = [];
  let start = runStart ?? Infinity;
  let end = -Infinity;
  for (const t of tasks) {
    const of = t.kind === 'map' ? instances?.get(t.name) : undefined;
    const bars = barsOf(of ?? [t], now);
    for (const b of bars) {
      start = Math.min(start, b.start);
      end = Math.max(end, b.end);
    }
    if (t.kind === 'map') {
      const packed = packLanes(bars);
      raw.push({ task: t.name, status: t.status, bars: bars.map((b, i) => ({ ...b, lane: packed.lanes[i] ?? 0 })), lanes: packed.count, instances: { shown: of?.length ?? 0, total: t.instances ?? 0 } });
    } else raw.push({ task: t.name, status: t.status, bars: bars.map((b) => ({ ...b, lane: 0 })), lanes: 1 });
  }
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    start = runStart ?? now;
    end = start + 1000;
  }
  if (end - start < 1000) end = start + 1000;
  const span = end - start;
  const rows = raw.map((r): GanttRow => ({
    task: r.task,
    status: r.status,
    bars: r.bars.map((b) => ({ ...b, left: (b.start - start) / span, width: Math.max((b.end - b.start) / span, 0.004) })),
    lanes: r.lanes,
    ...(r.instances ? { instances: r.instances } : {}),
  }));
  const step = tickStep(span);
  const ticks: GanttTick[] = [];
  for (let off = 0; off <= span; off += step) ticks.push({ at: start + off, pos: off / span, label: tickLabel(off, step) });
  return { start, end, rows, ticks };
}
