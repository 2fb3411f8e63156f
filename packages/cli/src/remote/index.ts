// The CLI's remote commands (they talk to the API server). `registerRemoteCommands` adds them to
// the `kontroler` program; a name the program already has (e.g. the local `run`) is left alone
// unless `replace` is set, so merging never breaks existing commands.
import type { Command } from 'commander';
import { register as registerApply } from './apply.js';
import { register as registerAuth } from './auth.js';
import { register as registerGet } from './get.js';
import { register as registerLogs } from './logs.js';
import { register as registerRun } from './run.js';
import { register as registerServer } from './server.js';
import { register as registerTokens } from './tokens.js';
import { register as registerUsers } from './users.js';

export const REMOTE_GROUPS: ReadonlyArray<(program: Command) => void> = [
  registerAuth,
  registerApply,
  registerGet,
  registerRun,
  registerLogs,
  registerTokens,
  registerUsers,
  registerServer,
];

export function registerRemoteCommands(program: Command, opts: { replace?: boolean } = {}): void {
  for (const register of REMOTE_GROUPS) {
    // Register into a scratch program, then move over the commands whose names are free.
    const scratch = new (program.constructor as new (name?: string) => Command)('scratch');
    register(scratch);
    for (const cmd of scratch.commands) {
      const existing = program.commands.findIndex((c) => c.name() === cmd.name());
      if (existing >= 0) {
        if (!opts.replace) continue;
        (program.commands as Command[]).splice(existing, 1);
      }
      program.addCommand(cmd);
    }
  }
}

export { serverConfigFrom } from './server.js';
export { readConfig, writeConfig, configPath, type CliConfig } from './config.js';
