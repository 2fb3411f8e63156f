import { Command, CommanderError } from 'commander';
import { register as registerUp } from './commands/up.js';
import { register as registerValidate } from './commands/validate.js';
import { register as registerRun } from './commands/run.js';
import { register as registerRuns } from './commands/runs.js';
import { register as registerLogs } from './commands/logs.js';
import { register as registerMigrate } from './commands/migrate.js';
import { registerRemoteCommands } from './remote/index.js';
import { printError } from './remote/program.js';

export function buildProgram(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): Command {
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
  // Commands that talk to the API server (login, apply, get, describe, cancel, retry, tokens, ...).
  // `run` and `logs` exist in both forms: with --server (or KONTROLER_SERVER) they go through the
  // API server; otherwise they talk to the local instance's database.
  const remote = Boolean(env.KONTROLER_SERVER) || argv.some((a) => a === '--server' || a.startsWith('--server='));
  registerRemoteCommands(program, { replace: remote });
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram(argv).parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    printError(e);
    process.exitCode = 1;
  }
}
