// A DagRun's status, small at any run size (etcd refuses objects over ~1.5 MiB, and every write
// of a big status costs the apiserver and every watcher): phase, counts per task status, times,
// the run's path in the API, and either every task's detail (small runs) or the failed and
// running tasks up to a cap (large runs). Built from a task summary, never from a walk of the
// whole run: the store hands the adapter counts and capped lists (`loadRunTaskSummary`); small
// runs are summarized from their state in one pass (`summarizeTasks`). Pure.
import { TASK_STATUSES, type TaskState, type TaskStatus } from '@kontroler/engine';
import { clean, iso, runConditions, runPhase } from './crd-objects.js';
import { goDuration } from './duration.js';

/** Runs of at most this many tasks list every task in `status.tasks[]` (as before issue 13). */
export const DAGRUN_STATUS_DETAIL_MAX_TASKS = 100;
/** Larger runs list at most this many failed tasks, and as many running ones (name order). */
export const DAGRUN_STATUS_LIST_CAP = 50;
/** A task's reason is cut to this many bytes of JSON in the status (the API has it whole). */
export const DAGRUN_STATUS_REASON_MAX_BYTES = 120;
/** A pod name is cut to this many bytes (Kubernetes' own limit for names). */
export const DAGRUN_STATUS_POD_MAX_BYTES = 253;
/** A link to the run longer than this is left out (`runPath` stays). */
export const DAGRUN_STATUS_URL_MAX_BYTES = 2048;
/**
 * What a DagRun status may weigh at most, as JSON, whatever the run's size: the caps above keep
 * it there (the unit tests check the worst case and a 100,000-task run).
 */
export const DAGRUN_STATUS_MAX_BYTES = 64 * 1024;

/** The tasks of a run as the status needs them. */
export interface TaskSummary {
  /** Tasks in the run. */
  readonly total: number;
  /** Tasks per status; every status is a key. */
  readonly counts: Readonly<Record<TaskStatus, number>>;
  /** The first failed tasks in name order (code-unit order), at most `DAGRUN_STATUS_LIST_CAP`. */
  readonly failed: readonly TaskState[];
  /** The first running tasks in name order, at most `DAGRUN_STATUS_LIST_CAP`. */
  readonly running: readonly TaskState[];
  /** Every task in name order, when the run has at most `DAGRUN_STATUS_DETAIL_MAX_TASKS`. */
  readonly all?: readonly TaskState[];
}

/** The run fields a DagRun status shows. */
export interface StatusRun {
  readonly id: number;
  readonly dagVersion: number;
  readonly status: string;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
}

export interface DagRunStatusOptions {
  /** The URL people reach the Kontroler server at (e.g. https://kontroler.example.com): adds `runUrl`. */
  readonly publicUrl?: string;
}

/** Zero for every task status. */
export function zeroCounts(): Record<TaskStatus, number> {
  return Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
}

function byName(a: TaskState, b: TaskState): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Adds `t` to `list` (sorted by name, at most `cap` long), keeping the `cap` first names. */
function keepFirst(list: TaskState[], t: TaskState, cap: number): void {
  if (list.length >= cap) {
    const last = list[list.length - 1];
    if (!last || byName(t, last) >= 0) return;
    list.pop();
  }
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (byName(list[mid]!, t) < 0) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, t);
}

/**
 * The summary of a run's tasks, in one pass: counts, the first failed and running tasks by name,
 * and every task when there are few. O(tasks × log cap); memory O(cap + detail limit).
 */
export function summarizeTasks(tasks: Iterable<TaskState>, caps: { listCap?: number; detailMax?: number } = {}): TaskSummary {
  const listCap = caps.listCap ?? DAGRUN_STATUS_LIST_CAP;
  const detailMax = caps.detailMax ?? DAGRUN_STATUS_DETAIL_MAX_TASKS;
  const counts = zeroCounts();
  const failed: TaskState[] = [];
  const running: TaskState[] = [];
  let all: TaskState[] | undefined = [];
  let total = 0;
  for (const t of tasks) {
    total++;
    counts[t.status]++;
    if (t.status === 'failed') keepFirst(failed, t, listCap);
    else if (t.status === 'running') keepFirst(running, t, listCap);
    if (all) {
      if (all.length < detailMax) all.push(t);
      else all = undefined;
    }
  }
  return { total, counts, failed, running, ...(all ? { all: all.sort(byName) } : {}) };
}

/** `s` cut to at most `maxBytes` of JSON (UTF-8, escapes counted), marked with `…` when cut. */
export function clipJson(s: string, maxBytes: number): string {
  const size = (x: string): number => Buffer.byteLength(JSON.stringify(x)) - 2;
  if (size(s) <= maxBytes) return s;
  const room = maxBytes - size('…');
  let used = 0;
  let out = '';
  for (const ch of s) {
    const n = size(ch);
    if (used + n > room) break;
    used += n;
    out += ch;
  }
  return `${out}…`;
}

const TASK_PHASES: Record<TaskStatus, string> = {
  pending: 'Pending',
  waiting: 'Waiting',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  skipped: 'Skipped',
  canceled: 'Canceled',
};

/** One task in the status: phase, attempts, last exit code and reason, times, pod. */
export function taskStatus(t: TaskState): Record<string, unknown> {
  const last = t.attempts[t.attempts.length - 1];
  const active = last?.status === 'starting' || last?.status === 'running';
  const reason = t.reason ?? (last && !active ? last.reason : undefined);
  const pod = last?.handle?.split('/')[1];
  return clean({
    name: t.name,
    phase: active ? 'Running' : TASK_PHASES[t.status],
    attempts: t.attempts.length,
    exitCode: last?.exitCode,
    reason: reason === undefined ? undefined : clipJson(reason, DAGRUN_STATUS_REASON_MAX_BYTES),
    startTime: iso(t.attempts[0]?.startedAt ?? t.attempts[0]?.createdAt),
    completionTime: active ? undefined : iso(last?.finishedAt),
    pod: pod === undefined ? undefined : clipJson(pod, DAGRUN_STATUS_POD_MAX_BYTES),
  });
}

/** The run's path in the API (`/api/v1/runs/<id>`). */
export function runApiPath(id: number): string {
  return `/api/v1/runs/${id}`;
}

function runMessage(status: string, s: TaskSummary): string {
  const done = s.counts.succeeded;
  if (status === 'succeeded') return `all ${s.total} tasks succeeded`;
  if (status === 'canceled') return 'canceled';
  if (status === 'failed') {
    const n = s.counts.failed;
    if (n === 0) return 'failed: see tasks';
    const shown = s.failed.slice(0, 5).map((t) => t.name);
    return `failed: ${shown.join(', ')}${n > shown.length ? ` and ${n - shown.length} more` : ''}`;
  }
  return `${done}/${s.total} tasks succeeded`;
}

/** The CamelCase reason of a run's conditions: its phase, or TasksFailed for a run failed by its tasks. */
function runReason(status: string, s: TaskSummary): string {
  if (status === 'failed') return s.counts.failed > 0 ? 'TasksFailed' : 'RunFailed';
  return runPhase(status);
}

/**
 * A DagRun's status: `dagRunId` (the Go project's one field), phase, message, times, `progress`
 * (succeeded/total, a printer column), `taskTotal`, `taskCounts`, `runPath` (and `runUrl` with a
 * public URL); then `tasks[]` with every task for a run of at most DAGRUN_STATUS_DETAIL_MAX_TASKS
 * tasks, else `failedTasks[]` and `runningTasks[]` (the first DAGRUN_STATUS_LIST_CAP of each by
 * name; `failedTasksTruncated` / `runningTasksTruncated` when there are more: see taskCounts and
 * the API); `duration` once the run ended (Go style, e.g. 1m5s: a printer column); `conditions`
 * Succeeded, Failed and Running (see runConditions; their transition times are stamped when
 * written). At most DAGRUN_STATUS_MAX_BYTES of JSON.
 */
export function dagRunStatus(run: StatusRun, s: TaskSummary, generation: number | undefined, opts: DagRunStatusOptions = {}): Record<string, unknown> {
  const path = runApiPath(run.id);
  const url = opts.publicUrl ? `${opts.publicUrl.replace(/\/+$/, '')}${path}` : undefined;
  const lists =
    s.all !== undefined
      ? { tasks: s.all.map(taskStatus) }
      : {
          failedTasks: s.failed.map(taskStatus),
          failedTasksTruncated: s.counts.failed > s.failed.length ? true : undefined,
          runningTasks: s.running.map(taskStatus),
          runningTasksTruncated: s.counts.running > s.running.length ? true : undefined,
        };
  const phase = runPhase(run.status);
  const message = runMessage(run.status, s);
  const started = run.startedAt ?? run.createdAt;
  return clean({
    dagRunId: run.id,
    phase,
    message,
    observedGeneration: generation,
    dagVersion: run.dagVersion,
    startTime: iso(run.startedAt ?? run.createdAt),
    completionTime: iso(run.finishedAt),
    duration: run.finishedAt !== null ? goDuration(run.finishedAt - started) : undefined,
    progress: `${s.counts.succeeded}/${s.total}`,
    taskTotal: s.total,
    taskCounts: { ...s.counts },
    runPath: path,
    runUrl: url !== undefined && Buffer.byteLength(url) <= DAGRUN_STATUS_URL_MAX_BYTES ? url : undefined,
    ...lists,
    conditions: runConditions(phase, runReason(run.status, s), message, generation),
  });
}
