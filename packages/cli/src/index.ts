export { lockDataDir, LOCK_FILE, type DataDirLock } from './data-dir-lock.js';
export { shutdownTimeoutFrom } from './settings.js';
export { DEFAULT_SHUTDOWN_TIMEOUT_SECONDS } from './shutdown.js';
