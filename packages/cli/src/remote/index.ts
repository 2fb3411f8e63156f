// The CLI's API commands (they talk to an API server: a remote one, or the local instance).
// `registerRemoteCommands` adds them to the `kontroler` program.
import type { Command } from 'commander';
import { register as registerApply } from './apply.js';
import { register as registerApprove } from './approve.js';
import { register as registerAuth } from './auth.js';
import { register as registerBackfill } from './backfill.js';
import { register as registerGet } from './get.js';
import { register as registerLogs } from './logs.js';
import { register as registerOutputs } from './outputs.js';
import { register as registerRun } from './run.js';
import { register as registerRuns } from './runs.js';
import { register as registerServer } from './server.js';
import { register as registerTokens } from './tokens.js';
import { register as registerUsers } from './users.js';

export const REMOTE_GROUPS: ReadonlyArray<(program: Command) => void> = [
  registerAuth,
  registerApply,
  registerGet,
  registerRun,
  registerRuns,
  registerBackfill,
  registerLogs,
  registerOutputs,
  registerApprove,
  registerTokens,
  registerUsers,
  registerServer,
];

export function registerRemoteCommands(program: Command): void {
  for (const register of REMOTE_GROUPS) register(program);
}

export { serverConfigFrom } from './server.js';
export { readConfig, writeConfig, configPath, type CliConfig } from './config.js';
