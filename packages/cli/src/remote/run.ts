// kontroler run DAG [--param K=V] [--wait] / cancel / retry / rerun — through the API (a server, or the local instance).
import type { Command } from 'commander';
import { DEFAULT_NAMESPACE, KontrolerError, parseLogicalTime } from '@kontroler/core';
import { collect, parseParams } from '../shared/params.js';
import type { KontrolerClient, RunDetail, RunTask, TaskStatus } from '@kontroler/client';
import { connect, withConn, type ConnOptions } from './connection.js';
import { duration, format, print } from './output.js';

/** How often `--wait` reads the run. */
export const WAIT_POLL_MS = 500;

function runId(id: string): number {
  const n = Number(id);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`"${id}" is not a run id`);
  return n;
}

/** Exit code of a finished run: 0 succeeded, 2 failed, 3 canceled (1 is left for errors). */
export function exitCodeOf(status: string): number {
  return status === 'succeeded' ? 0 : status === 'canceled' ? 3 : 2;
}

/** The progress line of a run: its status and task counts. */
export function progressLine(d: { id: number; status: string; taskCounts: Readonly<Record<string, number>>; taskTotal: number }): string {
  const c = (s: TaskStatus) => d.taskCounts[s] ?? 0;
  return `run ${d.id}: ${d.status} — ${c('succeeded')}/${d.taskTotal} succeeded, ${c('running')} running, ${c('waiting')} waiting to retry, ${c('failed')} failed, ${c('skipped')} skipped`;
}

const ENDED = new Set(['succeeded', 'failed', 'canceled']);

/** Failed tasks `run --wait` names at the end (the rest: `kontroler run-status ID`). */
export const OUTCOME_FAILED_MAX = 20;

/**
 * The lines that end `run --wait`: the outcome and its duration, and where to look for each failed
 * task (the first OUTCOME_FAILED_MAX of `failed`, the run's failed tasks).
 */
export function outcomeLines(d: RunDetail, failed: readonly RunTask[]): string[] {
  const lines = [`run ${d.id} ${d.status}${d.durationMs !== null ? ` in ${duration(d.durationMs)}` : ''}`];
  for (const t of failed.slice(0, OUTCOME_FAILED_MAX)) {
    const a = t.attempts[t.attempts.length - 1];
    lines.push(`  ${t.name}: failed after ${t.attempts.length} attempt(s): ${t.reason ?? a?.reason ?? ''} — see: kontroler logs ${d.id} ${t.name}`);
  }
  const more = (d.taskCounts.failed ?? 0) - Math.min(failed.length, OUTCOME_FAILED_MAX);
  if (more > 0) lines.push(`  … and ${more} more failed task(s): kontroler run-status ${d.id}`);
  return lines;
}

/** The lines of `outcomeLines` for a run that ended, reading its first failed tasks. */
export async function outcomeOf(client: KontrolerClient, d: RunDetail): Promise<string[]> {
  const failed = (d.taskCounts.failed ?? 0) > 0 ? (await client.listRunTasks(d.id, { status: ['failed'], limit: OUTCOME_FAILED_MAX })).items : [];
  return outcomeLines(d, failed);
}

/**
 * Waits for the run to end, printing a line whenever its progress changes: told by the server's
 * change stream (GET /runs/{id}/events), or by polling every `intervalMs` when the server has no
 * stream for it (an older server, too many streams).
 */
export async function waitForRun(client: KontrolerClient, id: number, out: (line: string) => void, intervalMs = WAIT_POLL_MS): Promise<RunDetail> {
  let last = '';
  const show = (line: string): void => {
    if (line !== last) out(line);
    last = line;
  };
  const abort = new AbortController();
  try {
    for await (const change of client.watchRun(id, { signal: abort.signal })) {
      show(progressLine(change));
      // A run with a request waiting (retry, task actions) is about to run again: not settled.
      if (ENDED.has(change.status) && !change.requested) {
        abort.abort();
        return await client.getRun(id);
      }
    }
  } catch (err) {
    if (!streamUnavailable(err)) throw err;
  }
  for (;;) {
    const d = await client.getRun(id);
    show(progressLine(d));
    if (ENDED.has(d.status) && !d.requested) return d;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The server cannot stream changes (no such route, or too many streams now): poll instead. */
function streamUnavailable(err: unknown): boolean {
  const status = (err as { status?: unknown }).status;
  return status === 404 || status === 405 || status === 503 || status === 0;
}

/**
 * Calls `each` with the run now and again after every change, until it ends (`run-status -w`);
 * polls when the server has no change stream. Returns the run's last status.
 */
export async function watchRunChanges(client: KontrolerClient, id: number, each: () => Promise<void>, intervalMs = WAIT_POLL_MS): Promise<string> {
  const abort = new AbortController();
  try {
    for await (const change of client.watchRun(id, { signal: abort.signal })) {
      await each();
      if (ENDED.has(change.status)) {
        abort.abort();
        return change.status;
      }
    }
  } catch (err) {
    if (!streamUnavailable(err)) throw err;
  }
  for (let version = ''; ; ) {
    const d = await client.getRun(id);
    const now = `${d.status} ${JSON.stringify(d.taskCounts)}`;
    if (now !== version) await each();
    version = now;
    if (ENDED.has(d.status)) return d.status;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function register(program: Command): void {
  withConn(
    program
      .command('run')
      .description('start a run of a DAG (on the server, or on the local instance)')
      .argument('<dag>', 'DAG name')
      .option('-n, --namespace <ns>', 'namespace', DEFAULT_NAMESPACE)
      .option('-p, --param <NAME=VALUE>', 'override a parameter (repeatable)', collect, [])
      .option('--name <name>', 'run name (idempotent: a second run with the same name is not started)')
      .option('--logical-time <time>', 'the run\'s logical time (RFC 3339 with an offset, e.g. 2026-01-31T00:00:00Z): its tasks get KONTROLER_LOGICAL_TIME')
      .option('-w, --wait', 'wait for the run to end, showing progress; exit code = outcome (0 ok, 2 failed, 3 canceled)'),
  ).action(async (dag: string, o: ConnOptions & { namespace: string; param: string[]; name?: string; logicalTime?: string; wait?: boolean }) => {
    if (o.logicalTime !== undefined) {
      const t = parseLogicalTime(o.logicalTime);
      if (!t.ok) throw new Error(`--logical-time: ${t.message}`);
    }
    const { client } = await connect(o);
    const table = format(o) === 'table';
    const { run, created } = await client.startRunResult(o.namespace, dag, {
      parameters: parseParams(o.param),
      ...(o.name ? { name: o.name } : {}),
      ...(o.logicalTime !== undefined ? { logicalTime: o.logicalTime } : {}),
    });
    const head = `${created ? 'started' : 'exists:'} run ${run.id} of ${run.namespace}/${run.dag} (version ${run.dagVersion})`;
    if (!o.wait) {
      if (table) console.log(head);
      else print(o, run, [], () => []);
      return;
    }
    // Progress on stderr; stdout carries the outcome (a table's lines, or the run as JSON / YAML).
    console.error(head);
    const end = await waitForRun(client, run.id, (l) => console.error(l));
    if (table) for (const l of await outcomeOf(client, end)) console.log(l);
    else print(o, end, [], () => []);
    process.exitCode = exitCodeOf(end.status);
  });

  for (const what of ['cancel', 'retry'] as const) {
    withConn(
      program
        .command(what)
        .description(what === 'cancel' ? 'cancel a pending or running run' : 'retry a failed or canceled run from its failed tasks')
        .argument('<run>', 'run id')
        .option('-w, --wait', 'wait for the run to end; exit code = outcome'),
    ).action(async (id: string, o: ConnOptions & { wait?: boolean }) => {
      const { client } = await connect(o);
      const run = what === 'cancel' ? await client.cancelRun(runId(id)) : await client.retryRun(runId(id));
      console.log(`run ${run.id}: ${what} requested`);
      if (o.wait) process.exitCode = exitCodeOf((await waitForRun(client, run.id, (l) => console.error(l))).status);
    });
  }

  withConn(
    program
      .command('retry-task')
      .description('run one finished task of a run again (--downstream: with every finished task after it)')
      .argument('<run>', 'run id')
      .argument('<task>', 'task name (an instance of a mapped task: NAME[i])')
      .option('--downstream', 'also the finished tasks after it')
      .option('-w, --wait', 'wait for the run to end; exit code = outcome'),
  ).action(async (id: string, task: string, o: ConnOptions & { downstream?: boolean; wait?: boolean }) => {
    const { client } = await connect(o);
    const r = await client.retryTask(runId(id), task, { downstream: o.downstream === true });
    console.log(`run ${r.runId}: retry of ${r.task}${r.downstream ? ' and its downstream' : ''} requested`);
    if (o.wait) process.exitCode = exitCodeOf((await waitForRun(client, r.runId, (l) => console.error(l))).status);
  });

  withConn(
    program
      .command('mark')
      .description('mark a task of a run succeeded or failed (the tasks after it see that outcome)')
      .argument('<run>', 'run id')
      .argument('<task>', 'task name')
      .argument('<status>', 'succeeded or failed')
      .option('-w, --wait', 'wait for the run to end; exit code = outcome'),
  ).action(async (id: string, task: string, status: string, o: ConnOptions & { wait?: boolean }) => {
    if (status !== 'succeeded' && status !== 'failed') throw new KontrolerError('VALIDATION_FAILED', `status ${JSON.stringify(status)}: use succeeded or failed`);
    const { client } = await connect(o);
    const r = await client.markTask(runId(id), task, status);
    console.log(`run ${r.runId}: ${r.task} marked ${status} (requested)`);
    if (o.wait) process.exitCode = exitCodeOf((await waitForRun(client, r.runId, (l) => console.error(l))).status);
  });

  withConn(
    program
      .command('rerun')
      .description('start a new run of the same DAG with the same parameters (overridden by --param)')
      .argument('<run>', 'run id')
      .option('-p, --param <NAME=VALUE>', 'override a parameter (repeatable)', collect, [])
      .option('-w, --wait', 'wait for the new run to end; exit code = outcome'),
  ).action(async (id: string, o: ConnOptions & { param: string[]; wait?: boolean }) => {
    const { client } = await connect(o);
    const run = await client.rerun(runId(id), o.param.length ? parseParams(o.param) : undefined);
    console.log(`started run ${run.id} of ${run.namespace}/${run.dag}`);
    if (o.wait) process.exitCode = exitCodeOf((await waitForRun(client, run.id, (l) => console.error(l))).status);
  });
}
