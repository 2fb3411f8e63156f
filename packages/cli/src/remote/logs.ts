// kontroler logs RUN TASK [-f] [--attempt N] — through the API (a server, or the local instance); -f follows until the attempt ends.
import type { Command } from 'commander';
import { connect, withConn, type ConnOptions } from './connection.js';
import { writeOut } from './output.js';
import { findRunTask } from './run-status.js';

export function register(program: Command): void {
  withConn(
    program
      .command('logs')
      .description("print a task attempt's output (-f: follow live until it ends)")
      .argument('<run>', 'run id')
      .argument('<task>', 'task name')
      .option('-a, --attempt <n>', 'attempt number (default: the latest)')
      .option('-f, --follow', 'keep printing new output until the attempt ends'),
  ).action(async (id: string, task: string, o: ConnOptions & { attempt?: string; follow?: boolean }) => {
    const { client } = await connect(o);
    const run = Number(id);
    if (!Number.isSafeInteger(run) || run <= 0) throw new Error(`"${id}" is not a run id`);
    let attempt = o.attempt !== undefined ? Number(o.attempt) : undefined;
    if (attempt === undefined) {
      // Wait for a first attempt when following a task that has not started yet.
      for (;;) {
        const list = await client.attempts(run, task);
        attempt = list.items[list.items.length - 1]?.attempt;
        if (attempt !== undefined || !o.follow) break;
        const [r, t] = await Promise.all([client.getRun(run), findRunTask(client, run, task)]);
        if (!t) throw new Error(`run ${run} has no task "${task}"; its first tasks: ${r.tasks.slice(0, 20).map((x) => x.name).join(', ')}`);
        // Ended without an attempt (skipped after an upstream failure, canceled): nothing will come.
        if (['succeeded', 'failed', 'canceled'].includes(r.status) || ['skipped', 'canceled', 'failed'].includes(t.status)) break;
        await new Promise((res) => setTimeout(res, 1000));
      }
      if (attempt === undefined) throw new Error(`task ${task} of run ${run} has no attempt yet`);
    }
    if (!o.follow) {
      // Page by page (HTTP Range): a large log is never held in memory whole.
      for await (const text of client.logText(run, task, attempt)) await writeOut(text);
      return;
    }
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    for await (const ev of client.followLogs(run, task, attempt, { signal: abort.signal })) {
      if (ev.type === 'log') process.stdout.write(ev.text);
      else console.error(`-- attempt ${attempt} ${ev.status}${ev.exitCode !== null ? ` (exit code ${ev.exitCode})` : ''}${ev.reason ? `: ${ev.reason}` : ''}`);
    }
  });
}
