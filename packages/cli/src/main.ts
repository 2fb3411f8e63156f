import { Command } from 'commander';
import { register as registerUp } from './commands/up.js';
import { register as registerValidate } from './commands/validate.js';
import { register as registerMigrate } from './commands/migrate.js';
import { register as registerShard } from './commands/shard.js';
import { registerRemoteCommands } from './remote/index.js';
import { runProgram } from './remote/program.js';

export function buildProgram(): Command {
  const program = new Command('kontroler')
    .description('Kontroler: DAG workflows on Kubernetes or on your laptop')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerUp(program);
  registerValidate(program);
  registerMigrate(program);
  registerShard(program);
  // Everything else goes through the API (RBAC, audit log): a server (--server, KONTROLER_SERVER,
  // the one you logged in to) or else the local instance on the data dir (its URL and local
  // credential from instance.json). `up`, `controller`, `migrate` work on the database itself.
  registerRemoteCommands(program);
  return program;
}

export function main(argv: string[]): Promise<void> {
  return runProgram(buildProgram(), argv);
}
