// Running attempts as another (unprivileged) user: KONTROLER_TASK_USER. A local task otherwise
// runs as the user that runs Kontroler, and so can read its data folder, its database password and
// its session signing key. The supervisor stays ours (it records the exit status in the attempt's
// folder, which the task user cannot enter); only the command switches user, through util-linux's
// setpriv, with every capability dropped and no way to regain privileges (no setuid binaries).
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { KontrolerError } from '@kontroler/core';

export interface TaskUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  /** Absolute path of util-linux's setpriv. */
  readonly setpriv: string;
}

const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv'];

/** Parses one `getent passwd` line (name:x:uid:gid:gecos:home:shell). Undefined if malformed. */
export function parsePasswdLine(line: string): Omit<TaskUser, 'setpriv'> | undefined {
  const f = line.trim().split(':');
  if (f.length < 7) return undefined;
  const [name, , uid, gid, , home] = f;
  const u = Number(uid);
  const g = Number(gid);
  if (!name || !Number.isInteger(u) || !Number.isInteger(g) || u < 0 || g < 0) return undefined;
  return { name, uid: u, gid: g, home: home || '/' };
}

/**
 * Looks up `user` (a name or a numeric uid) with `getent passwd` and finds setpriv. Throws
 * VALIDATION_FAILED when the user is unknown or is root, UNAVAILABLE when this process cannot
 * switch users (not root) or setpriv is missing. For entry points: it runs a process.
 */
export function resolveTaskUser(user: string, myUid: number): TaskUser {
  const setting = `KONTROLER_TASK_USER=${JSON.stringify(user)}`;
  if (myUid !== 0) {
    throw new KontrolerError('UNAVAILABLE', `${setting}: switching users needs Kontroler to run as root (it runs as uid ${myUid}); unset it, or start Kontroler as root`);
  }
  let line: string;
  try {
    line = execFileSync('getent', ['passwd', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
  } catch (e) {
    throw new KontrolerError('VALIDATION_FAILED', `${setting}: no such user on this machine (getent passwd found none): create it, or name another`, { cause: e });
  }
  const found = parsePasswdLine(line.split('\n')[0] ?? '');
  if (!found) throw new KontrolerError('VALIDATION_FAILED', `${setting}: getent passwd answered an entry that cannot be read: ${JSON.stringify(line.slice(0, 200))}`);
  if (found.uid === 0) throw new KontrolerError('VALIDATION_FAILED', `${setting}: that is root (uid 0): name an unprivileged user`);
  const setpriv = SETPRIV_PATHS.find((p) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!setpriv) throw new KontrolerError('UNAVAILABLE', `${setting}: util-linux's setpriv was not found (looked in ${SETPRIV_PATHS.join(', ')}): install util-linux`);
  return { ...found, setpriv };
}

/** The argv that runs `argv` as `user`: no capabilities, supplementary groups of that user, no new privileges. */
export function asTaskUser(user: TaskUser, argv: readonly string[]): string[] {
  return [
    user.setpriv,
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    '--init-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    '--',
    ...argv,
  ];
}

/** The variables that name the task user to its processes (instead of ours). */
export function taskUserEnv(user: TaskUser): Record<string, string> {
  return { HOME: user.home, USER: user.name, LOGNAME: user.name };
}

/**
 * Gives others search (x) permission, never read, on every existing folder from / down to `dir`,
 * so the task user can reach its workspace by its absolute path (KONTROLER_WORKSPACE) while
 * nothing there can be listed. Says so for each folder it changes.
 */
export async function ensureSearchable(dir: string, log: (line: string) => void): Promise<void> {
  let cur: string = sep;
  for (const part of resolve(dir).split(sep).filter(Boolean)) {
    cur = join(cur, part);
    let mode: number;
    try {
      mode = (await stat(cur)).mode & 0o7777;
    } catch {
      return;
    }
    if ((mode & 0o001) === 0) {
      await chmod(cur, mode | 0o001);
      log(`local runtime: gave others search permission (not read) on ${cur} so the task user can reach its workspace`);
    }
  }
}
