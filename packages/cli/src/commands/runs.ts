import type { Command } from 'commander';
import { RUN_STATUSES, type RunStatus } from '@kontroler/engine';
import { listRuns, loadRun } from '@kontroler/store';
import { openPool } from '../instance.js';
import { readSettings } from '../settings.js';
import { duration, table, when } from '../format.js';

export function register(program: Command): void {
  program
    .command('runs')
    .description('list runs, newest first')
    .option('-n, --namespace <ns>', 'only this namespace')
    .option('-d, --dag <name>', 'only runs of this DAG')
    .option('-s, --status <status>', `only this status (${RUN_STATUSES.join(', ')})`)
    .option('-l, --limit <n>', 'how many', '20')
    .option('--before <id>', 'runs older than this id (next page)')
    .option('-o, --output <format>', 'table or json', 'table')
    .option('--data-dir <dir>', 'data folder of the running instance')
    .action(async (o: { namespace?: string; dag?: string; status?: string; limit: string; before?: string; output: string; dataDir?: string }) => {
      if (o.status && !RUN_STATUSES.includes(o.status as RunStatus)) throw new Error(`--status "${o.status}": expected one of ${RUN_STATUSES.join(', ')}`);
      const pool = openPool(readSettings(o));
      try {
        const runs = await listRuns(pool, {
          ...(o.namespace ? { namespace: o.namespace } : {}),
          ...(o.dag ? { dagName: o.dag } : {}),
          ...(o.status ? { status: [o.status as RunStatus] } : {}),
          ...(o.before ? { beforeId: Number(o.before) } : {}),
          limit: Number(o.limit),
        });
        if (o.output === 'json') return console.log(JSON.stringify(runs, null, 2));
        console.log(
          table(
            ['ID', 'DAG', 'STATUS', 'TRIGGER', 'CREATED', 'DURATION'],
            runs.map((r) => [r.id, `${r.namespace}/${r.dagName}`, r.status, r.trigger, when(r.createdAt), duration(r.finishedAt && r.startedAt ? r.finishedAt - r.startedAt : null)]),
          ),
        );
      } finally {
        await pool.end();
      }
    });

  program
    .command('run-status')
    .description("show a run and each task's attempts, exit codes and durations")
    .argument('<id>', 'run id')
    .option('-o, --output <format>', 'table or json', 'table')
    .option('--data-dir <dir>', 'data folder of the running instance')
    .action(async (id: string, o: { output: string; dataDir?: string }) => {
      const pool = openPool(readSettings(o));
      try {
        const d = await loadRun(pool, Number(id));
        if (!d) throw new Error(`run ${id} not found`);
        if (o.output === 'json') return console.log(JSON.stringify({ run: d.run, state: d.state }, null, 2));
        const r = d.run;
        console.log(`run ${r.id}  ${r.namespace}/${r.dagName} v${r.dagVersion}  ${r.status}  (${r.trigger}, created ${when(r.createdAt)})`);
        const params = Object.keys(r.parameters);
        if (params.length > 0) console.log(`parameters: ${params.map((p) => `${p}=${r.parameters[p]}`).join(' ')}`);
        const rows: Array<Array<string | number | undefined>> = [];
        for (const spec of d.definition.tasks) {
          const t = d.state.tasks[spec.name];
          if (!t) continue;
          if (t.attempts.length === 0) rows.push([t.name, t.status, '-', '-', '-', '-', t.reason]);
          for (const a of t.attempts) {
            rows.push([
              a.attempt === 1 ? t.name : '',
              a.attempt === t.attempts.length ? t.status : '',
              a.attempt,
              a.status,
              a.exitCode,
              duration(a.finishedAt !== undefined && a.startedAt !== undefined ? a.finishedAt - a.startedAt : null),
              a.reason ?? (a.attempt === t.attempts.length ? t.reason : undefined),
            ]);
          }
        }
        console.log(table(['TASK', 'STATUS', 'ATTEMPT', 'ATTEMPT STATUS', 'EXIT', 'DURATION', 'REASON'], rows));
      } finally {
        await pool.end();
      }
    });
}
