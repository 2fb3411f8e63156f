// kontroler approve RUN TASK [--reject] [-m COMMENT] [--input NAME=VALUE ...]: decides a task that
// waits for a person (its `approval`), through the API (editor role in the run's namespace).
import type { Command } from 'commander';
import { connect, withConn, type ConnOptions } from './connection.js';
import { format, writeOut } from './output.js';

/** `NAME=VALUE` options as a record; throws naming a malformed or repeated one. Pure. */
export function parseInputs(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const at = item.indexOf('=');
    if (at <= 0) throw new Error(`--input ${JSON.stringify(item)}: write NAME=VALUE`);
    const name = item.slice(0, at);
    if (Object.hasOwn(out, name)) throw new Error(`--input ${name} is given twice`);
    Object.defineProperty(out, name, { value: item.slice(at + 1), enumerable: true });
  }
  return out;
}

export function register(program: Command): void {
  withConn(
    program
      .command('approve')
      .description('approve (or --reject) a task that waits for a decision; --input gives the values the approval asks for')
      .argument('<run>', 'run id')
      .argument('<task>', 'task name')
      .option('--reject', 'reject instead of approve: the task fails')
      .option('-m, --message <comment>', 'a comment kept with the decision')
      .option('--input <NAME=VALUE>', 'a value the approval asks for (repeatable)', (v: string, prev: string[] = []) => [...prev, v]),
  ).action(async (id: string, task: string, o: ConnOptions & { reject?: boolean; message?: string; input?: string[] }) => {
    const run = Number(id);
    if (!Number.isSafeInteger(run) || run <= 0) throw new Error(`"${id}" is not a run id`);
    const inputs = parseInputs(o.input ?? []);
    const { client } = await connect(o);
    const body = { ...(o.message !== undefined ? { comment: o.message } : {}), inputs };
    const d = await (o.reject === true ? client.rejectTask(run, task, body) : client.approveTask(run, task, body));
    const f = format(o);
    if (f === 'json') await writeOut(`${JSON.stringify(d, null, 2)}\n`);
    else await writeOut(`run ${d.runId} task ${d.task}: ${d.approve ? 'approved' : 'rejected'} by ${d.by}${d.comment ? ` (${d.comment})` : ''}\n`);
  });
}
