export { LocalProcessRuntime, type LocalProcessRuntimeOptions } from './local-process-runtime.js';
export { tightenStateDir, PRIVATE_DIR, PRIVATE_FILE } from './private-modes.js';
export { isSameProcess, parseStat } from './proc.js';
export { resolveTaskUser, type TaskUser } from './task-user.js';
