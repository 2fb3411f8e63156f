import type { Command } from 'commander';
import { collect, parseParams } from '../shared/params.js';
import { DEFAULT_NAMESPACE } from '@kontroler/core';
import { isTerminalRun } from '@kontroler/engine';
import { RUN_STATE_CHANNEL, listen, loadRun, startRun, type RunDetail } from '@kontroler/store';
import { databaseUrlFor, openPool } from '../instance.js';
import { readSettings } from '../settings.js';
import { duration } from '../format.js';


export function register(program: Command): void {
  program
    .command('run')
    .description('start a run of a DAG (talks to the local instance’s database)')
    .argument('<dag>', 'DAG name')
    .option('-n, --namespace <ns>', 'namespace', DEFAULT_NAMESPACE)
    .option('-p, --param <NAME=VALUE>', 'override a parameter (repeatable)', collect, [])
    .option('--name <name>', 'run name (idempotent: a second run with the same name is not started)')
    .option('-w, --wait', 'wait for the run to end, showing progress; exit code = outcome')
    .option('--data-dir <dir>', 'data folder of the running instance')
    .action(async (dag: string, o: { namespace: string; param: string[]; name?: string; wait?: boolean; dataDir?: string }) => {
      const s = readSettings(o);
      const pool = openPool(s);
      try {
        const { run, created } = await startRun(pool, {
          namespace: o.namespace,
          dagName: dag,
          parameters: parseParams(o.param),
          trigger: 'manual',
          ...(o.name ? { name: o.name } : {}),
        });
        console.log(`${created ? 'started' : 'exists:'} run ${run.id} of ${run.namespace}/${run.dagName} (version ${run.dagVersion})`);
        if (!o.wait) return;
        const end = await waitForRun(databaseUrlFor(s), run.id, (d) => printProgress(d), () => loadRun(pool, run.id));
        printProgress(end, true);
        process.exitCode = end.run.status === 'succeeded' ? 0 : end.run.status === 'canceled' ? 3 : 2;
      } finally {
        await pool.end();
      }
    });
}

let lastLine = '';
function printProgress(d: RunDetail, final = false): void {
  const tasks = Object.values(d.state.tasks);
  const count = (s: string) => tasks.filter((t) => t.status === s).length;
  const line = `run ${d.run.id}: ${d.state.status} — ${count('succeeded')}/${tasks.length} succeeded, ${count('running')} running, ${count('waiting')} waiting to retry, ${count('failed')} failed, ${count('skipped')} skipped`;
  if (line !== lastLine) console.log(line);
  lastLine = line;
  if (final) {
    const took = d.state.finishedAt && d.state.startedAt ? d.state.finishedAt - d.state.startedAt : undefined;
    console.log(`run ${d.run.id} ${d.run.status}${took !== undefined ? ` in ${duration(took)}` : ''}`);
    for (const t of tasks.filter((x) => x.status === 'failed')) {
      const a = t.attempts[t.attempts.length - 1];
      console.log(`  ${t.name}: failed after ${t.attempts.length} attempt(s): ${t.reason ?? a?.reason ?? ''} — see: kontroler logs ${d.run.id} ${t.name}`);
    }
  }
}

/**
 * Waits until the run ends, calling `onChange` with each new state. Woken by NOTIFY; re-reads
 * every 2 s as a fallback.
 */
export async function waitForRun(databaseUrl: string, runId: number, onChange: (d: RunDetail) => void, read: () => Promise<RunDetail | undefined>): Promise<RunDetail> {
  let wake: () => void = () => undefined;
  const listener = await listen(databaseUrl, [RUN_STATE_CHANNEL], (_c, payload) => {
    if (payload.startsWith(`${runId}:`)) wake();
  });
  try {
    for (;;) {
      const d = await read();
      if (!d) throw new Error(`run ${runId} disappeared`);
      onChange(d);
      if (isTerminalRun(d.run.status)) return d;
      await new Promise<void>((r) => {
        const t = setTimeout(r, 2000);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  } finally {
    await listener.close();
  }
}
