export { lockDataDir, LOCK_FILE, type DataDirLock } from './data-dir-lock.js';
