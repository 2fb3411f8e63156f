export { LocalProcessRuntime, type LocalProcessRuntimeOptions } from './local-process-runtime.js';
