// kontroler runs [-d DAG] [-s STATUS] [--before ID] / run-status ID — through the API (a server, or
// the local instance). `runs` is `get runs` with the flags of the quick start; `run-status` shows
// every attempt of every task.
import type { Command } from 'commander';
import type { RunDetail, RunStatus } from '@kontroler/client';
import { RUN_STATUSES } from '@kontroler/engine';
import { connect, withConn, type ConnOptions } from './connection.js';
import { printRuns } from './get.js';
import { when } from '../format.js';
import { duration, format, print, table } from './output.js';

/**
 * The list cursor for "runs older than run `id`": the API's runs cursor is the last run id of a
 * page (server `encodeCursor(id)`); `--before` is the quick start's name for it.
 */
export function cursorBefore(id: number): string {
  return Buffer.from(JSON.stringify(id)).toString('base64url');
}

function positiveId(what: string, v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${what} "${v}": expected a run id`);
  return n;
}

/** `run-status`'s table: one row per attempt (a task without attempts gets one row). */
export function attemptRows(d: RunDetail): Array<Array<string | number | null | undefined>> {
  const rows: Array<Array<string | number | null | undefined>> = [];
  for (const t of d.tasks) {
    if (t.attempts.length === 0) rows.push([t.name, t.status, '-', '-', '-', '-', t.reason]);
    for (const a of t.attempts) {
      const last = a.attempt === t.attempts.length;
      rows.push([a.attempt === 1 ? t.name : '', last ? t.status : '', a.attempt, a.status, a.exitCode, duration(a.durationMs), a.reason ?? (last ? t.reason : undefined)]);
    }
  }
  return rows;
}

export function register(program: Command): void {
  withConn(
    program
      .command('runs')
      .description('list runs, newest first (like `get runs`)')
      .option('-n, --namespace <ns>', 'only this namespace')
      .option('-d, --dag <name>', 'only runs of this DAG')
      .option('-s, --status <status>', `only this status (${RUN_STATUSES.join(', ')})`)
      .option('-l, --limit <n>', 'how many', '20')
      .option('--before <id>', 'runs older than this id (next page)'),
    { shortServer: false },
  ).action(async (o: ConnOptions & { namespace?: string; dag?: string; status?: string; limit: string; before?: string }) => {
    if (o.status && !RUN_STATUSES.includes(o.status as RunStatus)) throw new Error(`--status "${o.status}": expected one of ${RUN_STATUSES.join(', ')}`);
    const { client } = await connect(o);
    const page = await printRuns(client, o, {
      ...(o.namespace ? { namespace: o.namespace } : {}),
      ...(o.dag ? { dag: o.dag } : {}),
      ...(o.status ? { status: [o.status as RunStatus] } : {}),
      ...(o.before !== undefined ? { cursor: cursorBefore(positiveId('--before', o.before)) } : {}),
      limit: Number(o.limit),
    });
    const last = page.items[page.items.length - 1];
    if (page.nextCursor && last && format(o) === 'table') console.error(`more: --before ${last.id}`);
  });

  withConn(
    program
      .command('run-status')
      .description("show a run and each task's attempts, exit codes and durations")
      .argument('<id>', 'run id'),
  ).action(async (id: string, o: ConnOptions) => {
    const { client } = await connect(o);
    const r = await client.getRun(positiveId('run', id));
    if (format(o) !== 'table') return print(o, r, [], () => []);
    console.log(`run ${r.id}  ${r.namespace}/${r.dag} v${r.dagVersion}  ${r.status}  (${r.trigger}, created ${when(Date.parse(r.createdAt))})`);
    const params = Object.keys(r.parameters);
    if (params.length > 0) console.log(`parameters: ${params.map((p) => `${p}=${r.parameters[p]}`).join(' ')}`);
    console.log(table(['TASK', 'STATUS', 'ATTEMPT', 'ATTEMPT STATUS', 'EXIT', 'DURATION', 'REASON'], attemptRows(r)));
  });
}
