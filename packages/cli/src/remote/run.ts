// kontroler run DAG [--param K=V] [--wait] / cancel / retry / rerun — against the API server.
import type { Command } from 'commander';
import { collect, parseParams } from '../shared/params.js';
import type { KontrolerClient, RunDetail } from '@kontroler/client';
import { connect, withConn, type ConnOptions } from './connection.js';
import { print } from './output.js';


function runId(id: string): number {
  const n = Number(id);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`"${id}" is not a run id`);
  return n;
}

/** Exit code of a finished run: 0 succeeded, 2 failed, 3 canceled (same as the local `run`). */
export function exitCodeOf(status: string): number {
  return status === 'succeeded' ? 0 : status === 'canceled' ? 3 : 2;
}

function progress(d: RunDetail): string {
  const c = (s: string) => d.tasks.filter((t) => t.status === s).length;
  return `run ${d.id}: ${d.status} — ${c('succeeded')}/${d.tasks.length} succeeded, ${c('running')} running, ${c('waiting')} waiting to retry, ${c('failed')} failed, ${c('skipped')} skipped`;
}

/** Polls the run until it ends, printing a line whenever its progress changes. */
export async function waitForRun(client: KontrolerClient, id: number, out: (line: string) => void, intervalMs = 1000): Promise<RunDetail> {
  let last = '';
  for (;;) {
    const d = await client.getRun(id);
    const line = progress(d);
    if (line !== last) out(line);
    last = line;
    if (d.status === 'succeeded' || d.status === 'failed' || d.status === 'canceled') return d;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function register(program: Command): void {
  withConn(
    program
      .command('run')
      .description('start a run of a DAG on the server')
      .argument('<dag>', 'DAG name')
      .option('-n, --namespace <ns>', 'namespace', 'default')
      .option('-p, --param <NAME=VALUE>', 'override a parameter (repeatable)', collect, [])
      .option('--name <name>', 'run name (idempotent: a second run with the same name is not started)')
      .option('-w, --wait', 'wait for the run to end, showing progress; exit code = outcome (0 ok, 2 failed, 3 canceled)'),
  ).action(async (dag: string, o: ConnOptions & { namespace: string; param: string[]; name?: string; wait?: boolean }) => {
    const { client } = await connect(o);
    const run = await client.startRun(o.namespace, dag, { parameters: parseParams(o.param), ...(o.name ? { name: o.name } : {}) });
    if (!o.wait) {
      print(o, run, ['ID', 'NAMESPACE', 'DAG', 'VERSION', 'STATUS'], () => [[run.id, run.namespace, run.dag, run.dagVersion, run.status]]);
      return;
    }
    console.error(`started run ${run.id} of ${run.namespace}/${run.dag} (version ${run.dagVersion})`);
    const end = await waitForRun(client, run.id, (l) => console.error(l));
    if (o.output && o.output !== 'table') print(o, end, [], () => []);
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
