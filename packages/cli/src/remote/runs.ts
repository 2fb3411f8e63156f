// kontroler runs [-d DAG] [-s STATUS] [--before ID] / run-status ID [--all] — through the API (a
// server, or the local instance). `runs` is `get runs` with the flags of the quick start;
// `run-status` (run-status.ts) shows task counts and the attempts of the tasks.
import type { Command } from 'commander';
import type { RunStatus } from '@kontroler/client';
import { RUN_STATUSES } from '@kontroler/engine';
import { connect, withConn, type ConnOptions } from './connection.js';
import { printRuns } from './get.js';
import { format } from './output.js';
import { printRunStatus } from './run-status.js';
import { exitCodeOf, watchRunChanges } from './run.js';

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
      .description("show a run's task counts and each task's attempts, exit codes and durations (a large run: the tasks not succeeded)")
      .argument('<id>', 'run id')
      .option('--all', 'every task, also of a large run (streamed page by page)')
      .option('-w, --watch', 'print it again at every change until the run ends (pushed by the server); exit code = outcome'),
  ).action(async (id: string, o: ConnOptions & { all?: boolean; watch?: boolean }) => {
    const { client } = await connect(o);
    const run = positiveId('run', id);
    if (!o.watch) return printRunStatus(client, run, o);
    let first = true;
    const status = await watchRunChanges(client, run, async () => {
      if (!first && format(o) === 'table') process.stdout.write('\n');
      first = false;
      await printRunStatus(client, run, o);
    });
    process.exitCode = exitCodeOf(status);
  });
}
