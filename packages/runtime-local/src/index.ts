export { LocalProcessRuntime, type LocalProcessRuntimeOptions } from './local-process-runtime.js';
export { resolveTaskUser, type TaskUser } from './task-user.js';
