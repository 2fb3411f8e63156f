// kontroler outputs RUN TASK [-o json|yaml]: the outputs of a task of a run (its last succeeded
// attempt's), as NAME=value lines — through the API (a server, or the local instance).
import type { Command } from 'commander';
import { connect, withConn, type ConnOptions } from './connection.js';
import { format, toYaml, writeOut } from './output.js';
import { findRunTask } from './run-status.js';

/** `NAME=value` per output, in name order (a value with newlines is printed as it is). Pure. */
export function outputLines(outputs: Readonly<Record<string, string>>): string {
  return Object.keys(outputs)
    .sort()
    .map((k) => `${k}=${outputs[k] ?? ''}\n`)
    .join('');
}

/** A short `n=19, rows=…` summary for tables: values cut at `max` characters. Pure. */
export function outputsSummary(outputs: Readonly<Record<string, string>> | undefined, max = 40): string | undefined {
  if (!outputs) return undefined;
  const keys = Object.keys(outputs).sort();
  if (keys.length === 0) return undefined;
  const cut = (v: string) => {
    const one = v.replace(/\s+/g, ' ');
    return one.length > max ? `${one.slice(0, max)}…` : one;
  };
  return keys.map((k) => `${k}=${cut(outputs[k] ?? '')}`).join(', ');
}

export function register(program: Command): void {
  withConn(
    program
      .command('outputs')
      .description("print a task's outputs (its last succeeded attempt's) as NAME=value lines")
      .argument('<run>', 'run id')
      .argument('<task>', 'task name'),
  ).action(async (id: string, task: string, o: ConnOptions) => {
    const run = Number(id);
    if (!Number.isSafeInteger(run) || run <= 0) throw new Error(`"${id}" is not a run id`);
    const { client } = await connect(o);
    const t = await findRunTask(client, run, task);
    if (!t) throw new Error(`run ${run} has no task "${task}"`);
    if (t.status !== 'succeeded') throw new Error(`task ${task} of run ${run} is ${t.status}: only a succeeded task has outputs`);
    const outputs = t.outputs ?? {};
    const f = format(o);
    if (f === 'json') await writeOut(`${JSON.stringify(outputs, null, 2)}\n`);
    else if (f === 'yaml') await writeOut(toYaml(outputs));
    else if (Object.keys(outputs).length === 0) console.error(`task ${task} declares no outputs`);
    else await writeOut(outputLines(outputs));
  });
}
