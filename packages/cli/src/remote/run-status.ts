// kontroler run-status ID [--all]: a run's header, its task counts per status, and its tasks with
// their attempts. A run of at most one page of tasks shows them all; a larger one shows the tasks
// that did not succeed (--all: every task). Tasks come page by page from the API and are printed
// as each page arrives, so memory stays at one page whatever the run's size.
import type { KontrolerClient, RunDetail, RunTask, TaskStatus } from '@kontroler/client';
import { TASK_STATUSES } from '@kontroler/engine';
import { when } from '../format.js';
import { duration, format, toYaml, writeOut, type Format } from './output.js';
import { outputsSummary } from './outputs.js';

/** What run-status shows of a large run without --all: every task that is not succeeded. */
export const NOT_SUCCEEDED: TaskStatus[] = TASK_STATUSES.filter((s) => s !== 'succeeded');

const HEADERS = ['TASK', 'STATUS', 'ATTEMPT', 'ATTEMPT STATUS', 'EXIT', 'DURATION', 'REASON', 'OUTPUTS'];

type Cell = string | number | null | undefined;

/** `5 instances: 3 succeeded, 1 failed, 1 running` for a mapped task (statuses with none left out). Pure. */
export function instancesLine(t: Pick<RunTask, 'instances' | 'instanceCounts'>): string | undefined {
  if (t.instances === undefined) return undefined;
  const c = t.instanceCounts ?? {};
  const parts = TASK_STATUSES.filter((s) => (c[s] ?? 0) > 0).map((s) => `${c[s]} ${s}`);
  return `${t.instances} instance${t.instances === 1 ? '' : 's'}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}

/** One row per attempt of each task (a task without attempts gets one row). Pure. */
export function attemptRows(tasks: readonly RunTask[]): Cell[][] {
  const rows: Cell[][] = [];
  for (const t of tasks) {
    if (t.attempts.length === 0) {
      const reason = t.instances !== undefined ? [t.reason, instancesLine(t)].filter(Boolean).join('; ') : t.reason;
      rows.push([t.name, t.status, '-', '-', '-', '-', reason, outputsSummary(t.outputs) ?? '']);
    }
    for (const a of t.attempts) {
      const last = a.attempt === t.attempts.length;
      const reason = a.reason ?? (last ? t.reason : undefined);
      // A dagRef attempt's handle is its child run: say which, so `run-status CHILD` can follow it.
      const child = a.kind === 'child' && a.handle ? `child run ${a.handle}` : undefined;
      rows.push([a.attempt === 1 ? t.name : '', last ? t.status : '', a.attempt, a.status, a.exitCode, duration(a.durationMs), [child, reason].filter(Boolean).join('; ') || undefined, outputsSummary(a.outputs) ?? '']);
    }
  }
  return rows;
}

/** `20000 tasks: 19780 succeeded, 200 failed, 20 running` (statuses with none left out). Pure. */
export function countsLine(r: Pick<RunDetail, 'taskCounts' | 'taskTotal'>): string {
  const parts = TASK_STATUSES.filter((s) => (r.taskCounts[s] ?? 0) > 0).map((s) => `${r.taskCounts[s]} ${s}`);
  return `${r.taskTotal} task${r.taskTotal === 1 ? '' : 's'}: ${parts.join(', ') || 'none'}`;
}

/**
 * A table printed in batches: columns are as wide as the widest cell seen so far, so a batch is
 * printed as soon as it arrives (a later, wider batch shifts only its own rows).
 */
export class StreamTable {
  private readonly widths: number[];
  private rows = 0;

  constructor(private readonly headers: readonly string[]) {
    this.widths = headers.map((h) => h.length);
  }

  /** The lines of a batch (the header line before the first batch), each ending in a newline. */
  batch(rows: readonly Cell[][]): string {
    const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
    for (const r of cells) r.forEach((c, i) => (this.widths[i] = Math.max(this.widths[i] ?? 0, c.length)));
    const lines = this.rows === 0 ? [this.line([...this.headers])] : [];
    this.rows += cells.length;
    for (const r of cells) lines.push(this.line(r));
    return lines.map((l) => `${l}\n`).join('');
  }

  private line(r: string[]): string {
    return r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(this.widths[i] ?? 0))).join('  ');
  }
}

/**
 * The task of a run named `name`, or undefined: looked up among the tasks whose name starts with
 * it (definition order), page by page until found.
 */
export async function findRunTask(client: KontrolerClient, id: number, name: string): Promise<RunTask | undefined> {
  // An instance of a mapped task (`NAME[i]`) is listed with its mapped task's instances.
  const mapOf = /^(.+)\[\d+\]$/.exec(name)?.[1];
  for await (const page of client.runTasks(id, { prefix: name, ...(mapOf !== undefined ? { mapOf } : {}) })) {
    const hit = page.find((t) => t.name === name);
    if (hit) return hit;
  }
  return undefined;
}

/** Where the task pages go: a table, or one JSON / YAML document written as it grows. */
interface TaskSink {
  start(r: RunDetail, note: string | undefined): string;
  page(tasks: readonly RunTask[]): string;
  end(shown: number): string;
}

function tableSink(): TaskSink {
  const t = new StreamTable(HEADERS);
  return {
    start(r, note) {
      const params = Object.keys(r.parameters);
      return [
        `run ${r.id}  ${r.namespace}/${r.dag} v${r.dagVersion}  ${r.status}  (${r.trigger}, created ${when(Date.parse(r.createdAt))})`,
        ...(r.logicalTime ? [`logical time: ${r.logicalTime}${r.prevLogicalTime ? ` (previous: ${r.prevLogicalTime})` : ''}${r.backfillId !== undefined ? `, backfill ${r.backfillId}` : ''}`] : []),
        ...(r.parent ? [`child run of run ${r.parent.runId} (task ${r.parent.task}, attempt ${r.parent.attempt})`] : []),
        ...(params.length > 0 ? [`parameters: ${params.map((p) => `${p}=${r.parameters[p]}`).join(' ')}`] : []),
        ...(r.outputs && Object.keys(r.outputs).length > 0 ? [`outputs: ${outputsSummary(r.outputs, 200) ?? ''}`] : []),
        countsLine(r),
        ...(note ? [note] : []),
        '',
      ].join('\n');
    },
    page: (tasks) => t.batch(attemptRows(tasks)),
    end: (shown) => (shown === 0 ? 'No tasks to show.\n' : ''),
  };
}

/** The run without its first page of tasks (they are streamed after it). */
function head(r: RunDetail): Omit<RunDetail, 'tasks' | 'tasksNextCursor'> {
  const { tasks: _tasks, tasksNextCursor: _next, ...rest } = r;
  return rest;
}

function jsonSink(): TaskSink {
  let first = true;
  return {
    start: (r) => `${JSON.stringify(head(r), null, 2).replace(/\n}$/, '')},\n  "tasks": [`,
    page: (tasks) =>
      tasks
        .map((t) => {
          const s = `${first ? '' : ','}\n    ${JSON.stringify(t)}`;
          first = false;
          return s;
        })
        .join(''),
    end: (shown) => `${shown === 0 ? '' : '\n  '}]\n}\n`,
  };
}

function yamlSink(): TaskSink {
  return {
    start: (r) => `${toYaml(head(r))}tasks:`,
    page: (tasks) => (tasks.length === 0 ? '' : `\n${toYaml(tasks).trimEnd()}`),
    end: (shown) => (shown === 0 ? ' []\n' : '\n'),
  };
}

const SINKS: Record<Format, () => TaskSink> = { table: tableSink, json: jsonSink, yaml: yamlSink };

/**
 * Prints run `id` for `run-status`: every task when the run has no more than the first page (or
 * with `all`), else the tasks that are not succeeded, page by page as they arrive.
 */
export async function printRunStatus(client: KontrolerClient, id: number, o: { output?: string; all?: boolean }): Promise<void> {
  const sink = SINKS[format(o)]();
  const r = await client.getRun(id);
  const whole = r.tasksNextCursor === undefined;
  const everything = o.all === true || whole;
  const hidden = everything ? 0 : (r.taskCounts.succeeded ?? 0);
  const note = hidden > 0 ? `${hidden} succeeded task${hidden === 1 ? '' : 's'} not shown (--all shows every task)` : undefined;
  await writeOut(sink.start(r, note));
  let shown = 0;
  const pages: AsyncIterable<RunTask[]> = whole ? (async function* () { yield r.tasks; })() : client.runTasks(id, everything ? {} : { status: NOT_SUCCEEDED });
  for await (const tasks of pages) {
    // A mapped task's instances follow it: all of them with --all or when there are few, else those not succeeded.
    let from = 0;
    for (const [i, t] of tasks.entries()) {
      if (!t.instances) continue;
      shown += i + 1 - from;
      await writeOut(sink.page(tasks.slice(from, i + 1)));
      from = i + 1;
      const all = o.all === true || t.instances <= INSTANCES_SHOWN;
      for await (const instances of client.runTasks(id, { mapOf: t.name, ...(all ? {} : { status: NOT_SUCCEEDED }) })) {
        shown += instances.length;
        if (instances.length > 0) await writeOut(sink.page(instances));
      }
    }
    shown += tasks.length - from;
    if (from < tasks.length || tasks.length === 0) await writeOut(sink.page(tasks.slice(from)));
  }
  await writeOut(sink.end(shown));
}

/** A mapped task with at most this many instances has them all shown; a larger one, those not succeeded (--all: all). */
export const INSTANCES_SHOWN = 100;
