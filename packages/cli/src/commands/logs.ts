import type { Command } from 'commander';
import { isActiveAttempt } from '@kontroler/engine';
import { LOGS_CHANNEL, RUN_STATE_CHANNEL, listen, loadRun, readLog } from '@kontroler/store';
import { databaseUrlFor, openPool } from '../instance.js';
import { readSettings } from '../settings.js';

/** Bytes read from the store per page. */
const LOG_PAGE_BYTES = 1024 * 1024;

export function register(program: Command): void {
  program
    .command('logs')
    .description("print a task attempt's log (the latest attempt unless --attempt)")
    .argument('<run>', 'run id')
    .argument('<task>', 'task name')
    .option('-a, --attempt <n>', 'attempt number')
    .option('-f, --follow', 'keep printing new output until the attempt ends')
    .option('--data-dir <dir>', 'data folder of the running instance')
    .action(async (runArg: string, task: string, o: { attempt?: string; follow?: boolean; dataDir?: string }) => {
      const s = readSettings(o);
      const pool = openPool(s);
      const runId = Number(runArg);
      let wake: () => void = () => undefined;
      const listener = o.follow
        ? await listen(databaseUrlFor(s), [LOGS_CHANNEL, RUN_STATE_CHANNEL], (_c, p) => {
            // '' : a write for too many runs to list (the payload is bounded): maybe ours.
            if (p === '' || p.split(/[,:]/).includes(String(runId))) wake();
          })
        : undefined;
      try {
        let offset = 0;
        for (;;) {
          const d = await loadRun(pool, runId);
          if (!d) throw new Error(`run ${runArg} not found`);
          const t = d.state.tasks[task];
          if (!t) throw new Error(`run ${runId} has no task "${task}"; its tasks: ${Object.keys(d.state.tasks).join(', ')}`);
          const n = o.attempt ? Number(o.attempt) : t.attempts.length;
          const a = t.attempts.find((x) => x.attempt === n);
          if (!a) {
            if (o.follow && !o.attempt && t.attempts.length === 0 && !['skipped', 'canceled', 'failed'].includes(t.status)) {
              await sleepUntilWoken((w) => (wake = w));
              continue;
            }
            throw new Error(`task "${task}" of run ${runId} has no attempt ${n || ''} (it has ${t.attempts.length}; status ${t.status})`);
          }
          const active = isActiveAttempt(a.status);
          for (;;) {
            // Page by page: a large log is never held in memory whole.
            const { data, next } = await readLog(pool, { runId, task, attempt: n }, offset, undefined, LOG_PAGE_BYTES);
            if (data.length === 0) break;
            process.stdout.write(data);
            offset = next;
          }
          if (!o.follow || !active) return;
          await sleepUntilWoken((w) => (wake = w));
        }
      } finally {
        await listener?.close();
        await pool.end();
      }
    });
}

function sleepUntilWoken(setWake: (w: () => void) => void): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(r, 1000);
    setWake(() => {
      clearTimeout(t);
      r();
    });
  });
}
