import { Command, CommanderError } from 'commander';
import { register as registerUp } from './commands/up.js';
import { register as registerValidate } from './commands/validate.js';
import { register as registerRun } from './commands/run.js';
import { register as registerRuns } from './commands/runs.js';
import { register as registerLogs } from './commands/logs.js';
import { register as registerMigrate } from './commands/migrate.js';

export function buildProgram(): Command {
  const program = new Command('kontroler')
    .description('Kontroler: DAG workflows on Kubernetes or on your laptop')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerUp(program);
  registerValidate(program);
  registerRun(program);
  registerRuns(program);
  registerLogs(program);
  registerMigrate(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    const err = e as { code?: string; message?: string; details?: Array<{ path: string; message: string }> };
    console.error(`error${err.code ? ` [${err.code}]` : ''}: ${err.message ?? String(e)}`);
    for (const d of err.details ?? []) console.error(`  ${d.path}: ${d.message}`);
    process.exitCode = 1;
  }
}
