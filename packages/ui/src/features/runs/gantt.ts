// The timeline (Gantt) of a run: one row per task, one bar per attempt, positioned on a shared
// time axis whose ticks are clock times (round in absolute time, in the viewer's time zone or
// `timeZone`). Before each attempt, its wait: queued (created, not yet started) or, for a retry,
// the retry delay since the previous attempt ended; a task waiting for its retry now has its
// wait drawn up to now. A task that ran nothing (skipped, canceled) is labelled with its reason.
// A mapped task is one row holding its instances' attempts, packed into lanes (an instance's bar
// goes in the first lane free when it starts, at most GANTT_MAX_LANES). Pure: `now` is the right
// edge of what still runs or waits.
import type { RunTask } from '@kontroler/client';
import { explainReason } from './task-reason.js';

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
  /**
   * The wait before the attempt ran, when it had one: `queued` (created, not started yet or
   * starting), `retry` (the retry delay after the previous attempt, then queued). Epoch ms and
   * fractions of the axis like the bar's.
   */
  wait?: { kind: 'queued' | 'retry'; start: number; end: number; left: number; width: number };
}

export interface GanttRow {
  task: string;
  status: string;
  bars: GanttBar[];
  /** Lanes the bars use (1 for a plain task). */
  lanes: number;
  /** A mapped task: its instances drawn, of how many. */
  instances?: { shown: number; total: number };
  /** A task that ran nothing and will not (skipped, canceled): what its row says, with its reason. */
  note?: string;
  /** A task waiting for its retry now: from its last attempt's end to now (fractions of the axis). */
  waiting?: { start: number; until: number | null; left: number; width: number };
}

export interface GanttTick {
  at: number;
  /** Fraction of the axis. */
  pos: number;
  /** The clock time (with the date where the day changes). */
  label: string;
  /** The offset from the axis start, e.g. `+1 m 30 s`. */
  offset: string;
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

/** Clock-time labels at the precision of `step`: `10:04:05.250`, `10:04:05`, `10:04`; `day` adds the date. */
export function clockLabel(at: number, step: number, day: boolean, timeZone?: string): string {
  const f = new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    ...(step < 60_000 ? { second: '2-digit' as const } : {}),
    ...(step < 1000 ? { fractionalSecondDigits: 3 as const } : {}),
    ...(day ? { month: 'short' as const, day: 'numeric' as const } : {}),
    hourCycle: 'h23',
    ...(timeZone ? { timeZone } : {}),
  });
  return f.format(at);
}

function dayOf(at: number, timeZone?: string): string {
  return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', ...(timeZone ? { timeZone } : {}) }).format(at);
}

type RawBar = Omit<GanttBar, 'left' | 'width' | 'lane' | 'wait'> & { wait?: { kind: 'queued' | 'retry'; start: number; end: number } };

/** The bars of some tasks' attempts, each with its wait (attempts without a valid time are left out). */
function barsOf(tasks: readonly RunTask[], now: number): RawBar[] {
  const bars: RawBar[] = [];
  for (const t of tasks) {
    let prevEnd: number | undefined;
    for (const a of t.attempts) {
      const created = Date.parse(a.createdAt);
      const started = a.startedAt ? Date.parse(a.startedAt) : NaN;
      const running = a.finishedAt === null;
      const finished = running ? NaN : Date.parse(a.finishedAt!);
      // Not started (yet): the bar is a sliver where it ended (or now); its wait is the rest.
      const s = Number.isFinite(started) ? started : Number.isFinite(finished) ? finished : Math.max(now, created);
      if (!Number.isFinite(s)) continue;
      const e = running ? Math.max(now, s) : Math.max(finished, s);
      const waitFrom = prevEnd !== undefined && prevEnd < s ? prevEnd : Number.isFinite(created) && created < s ? created : undefined;
      const kind = prevEnd !== undefined && waitFrom === prevEnd ? ('retry' as const) : ('queued' as const);
      bars.push({
        task: t.name, attempt: a.attempt, status: a.status, start: s, end: e, running, exitCode: a.exitCode,
        ...(waitFrom !== undefined ? { wait: { kind, start: waitFrom, end: s } } : {}),
      });
      prevEnd = Number.isFinite(finished) ? finished : undefined;
    }
  }
  return bars;
}

/** What the row of a task that ran nothing and will not says: `skipped — UpstreamFailed: b`. */
function noteOf(t: RunTask, byName: ReadonlyMap<string, RunTask>, memo: Map<string, string | null>): string | undefined {
  if (t.attempts.length > 0 || (t.status !== 'skipped' && t.status !== 'canceled' && t.status !== 'failed' && t.status !== 'succeeded')) return undefined;
  const reason = explainReason(t, byName, memo);
  return reason ? `${t.status} — ${reason}` : t.status;
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
export function ganttModel(tasks: readonly RunTask[], now: number, runStart?: number, instances?: ReadonlyMap<string, readonly RunTask[]>, timeZone?: string): GanttModel {
  const raw: Array<{ task: string; status: string; bars: Array<RawBar & { lane: number }>; lanes: number; instances?: { shown: number; total: number }; note?: string; waiting?: { start: number; until: number | null } }> = [];
  const byName = new Map(tasks.map((t) => [t.name, t]));
  const memo = new Map<string, string | null>();
  let start = runStart ?? Infinity;
  let end = -Infinity;
  for (const t of tasks) {
    const of = t.kind === 'map' ? instances?.get(t.name) : undefined;
    const bars = barsOf(of ?? [t], now);
    for (const b of bars) {
      start = Math.min(start, b.wait?.start ?? b.start);
      end = Math.max(end, b.end);
    }
    const last = t.attempts[t.attempts.length - 1];
    const lastEnd = last?.finishedAt ? Date.parse(last.finishedAt) : NaN;
    const waiting = t.status === 'waiting' && Number.isFinite(lastEnd) ? { start: lastEnd, until: t.retryAt ? Date.parse(t.retryAt) : null } : undefined;
    if (waiting) end = Math.max(end, now);
    const note = t.kind === 'map' ? undefined : noteOf(t, byName, memo);
    const extra = { ...(note ? { note } : {}), ...(waiting ? { waiting } : {}) };
    if (t.kind === 'map') {
      const packed = packLanes(bars);
      raw.push({ task: t.name, status: t.status, bars: bars.map((b, i) => ({ ...b, lane: packed.lanes[i] ?? 0 })), lanes: packed.count, instances: { shown: of?.length ?? 0, total: t.instances ?? 0 }, ...extra });
    } else raw.push({ task: t.name, status: t.status, bars: bars.map((b) => ({ ...b, lane: 0 })), lanes: 1, ...extra });
  }
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    start = runStart ?? now;
    end = start + 1000;
  }
  if (end - start < 1000) end = start + 1000;
  const span = end - start;
  const frac = (a: number, b: number) => ({ left: (a - start) / span, width: Math.max(0, (b - a) / span) });
  const rows = raw.map((r): GanttRow => ({
    task: r.task,
    status: r.status,
    bars: r.bars.map(({ wait, ...b }) => ({
      ...b,
      left: (b.start - start) / span,
      width: Math.max((b.end - b.start) / span, 0.004),
      ...(wait ? { wait: { ...wait, ...frac(wait.start, wait.end) } } : {}),
    })),
    lanes: r.lanes,
    ...(r.instances ? { instances: r.instances } : {}),
    ...(r.note ? { note: r.note } : {}),
    ...(r.waiting ? { waiting: { ...r.waiting, ...frac(r.waiting.start, Math.max(now, r.waiting.start)) } } : {}),
  }));
  const step = tickStep(span);
  const ticks: GanttTick[] = [];
  let lastDay: string | undefined;
  // Round clock times: multiples of the step on the shown clock (zone offsets are whole minutes).
  const zoneOffset = step >= 60_000 ? zoneOffsetMs(start, timeZone) : 0;
  for (let at = Math.ceil((start + zoneOffset) / step) * step - zoneOffset; at <= end; at += step) {
    const day = dayOf(at, timeZone);
    // Sub-second steps: the clock at whole seconds (and first), only the fraction between (`.5`).
    const fraction = step < 1000 && ticks.length > 0 && at % 1000 !== 0 ? `.${String(at % 1000).padStart(3, '0').replace(/0+$/, '')}` : undefined;
    const label = fraction ?? clockLabel(at, step < 1000 && at % 1000 === 0 ? 1000 : step, lastDay !== undefined && day !== lastDay, timeZone);
    ticks.push({ at, pos: (at - start) / span, label, offset: `+${tickLabel(at - start, step)}` });
    lastDay = day;
  }
  return { start, end, rows, ticks };
}

/** How far the clock of `timeZone` (default: local) is ahead of UTC at `at`, in ms. */
function zoneOffsetMs(at: number, timeZone?: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', ...(timeZone ? { timeZone } : {}) }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(at / 1000) * 1000;
}
