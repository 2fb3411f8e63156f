// Everything the local runtime writes (attempt folders, logs, pid and exit files, workspaces) is
// private to the user it runs as: a log or a work folder may hold whatever a task printed or made.
// Modes are given at creation (a umask can only take bits away) and, for folders an older version
// made with 0755, fixed once at start by `tightenStateDir`.
import { chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from './attempt-files.js';

/** Mode of every folder the runtime creates. */
export const PRIVATE_DIR = 0o700;
/** Mode of every file the runtime creates. */
export const PRIVATE_FILE = 0o600;

/** The folders directly under a state dir; their children are out of others' reach once these are 0700. */
const TOP_LEVEL = ['attempts', 'workspaces', 'trash'] as const;

/**
 * Makes `stateDir` and its top-level folders 0700 when they exist with wider modes (an earlier
 * version created them 0755). Idempotent; throws only when a chmod of our own folder fails.
 */
export async function tightenStateDir(stateDir: string): Promise<void> {
  for (const dir of [stateDir, ...TOP_LEVEL.map((d) => join(stateDir, d))]) {
    let mode: number;
    try {
      mode = (await stat(dir)).mode & 0o777;
    } catch (e) {
      if (isErrno(e, 'ENOENT')) continue;
      throw e;
    }
    if (mode !== PRIVATE_DIR) await chmod(dir, PRIVATE_DIR);
  }
}
