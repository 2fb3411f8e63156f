export { LocalProcessRuntime, type LocalProcessRuntimeOptions } from './local-process-runtime.js';
export { tightenStateDir, PRIVATE_DIR, PRIVATE_FILE } from './private-modes.js';
export { isSameProcess, parseStat } from './proc.js';
export { resolveTaskUser, type TaskUser } from './task-user.js';
// Shared with the container runtime, whose attempts have the same variables and whose outputs are
// the same folder of files (bind-mounted into the container): one implementation, one set of limits.
export { attemptEnv, expandK8sVars, type Env } from './environment.js';
export { readOutputs, outputsDir, type OutputsRead } from './outputs.js';
export { attemptDir, describeKey, runAttemptsDir, workspaceDir } from './paths.js';
export { RuntimePlumbing } from './runtime-plumbing.js';
export { SHELLS as SPAWNER_SHELLS } from './spawner.js';
