// Is a recorded supervisor still the same living process, and signalling its process group.
// Pids are reused (pid_max is often 32768), so a pid alone proves nothing: the supervisor records
// its start time from /proc/<pid>/stat and we compare it. Without /proc (macOS) we fall back to
// kill(pid, 0), which cannot tell a reused pid apart.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isErrno } from './attempt-files.js';

/** Field 22 (starttime) and field 3 (state) of a /proc/<pid>/stat line. */
export function parseStat(line: string): { state: string; startTime: string } | undefined {
  // comm (field 2) is in parentheses and may itself contain spaces or parentheses.
  const close = line.lastIndexOf(')');
  if (close === -1) return undefined;
  const fields = line.slice(close + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  return state === undefined || startTime === undefined ? undefined : { state, startTime };
}

/** kill(pid, 0): a cheap first look (a syscall, no file read); says nothing about pid reuse. */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // EPERM: a process exists but belongs to someone else, so it is not our supervisor.
    return false;
  }
}

let procMounted: boolean | undefined;

/** True when `pid` is alive and (when known) started at `startTime`. A zombie counts as dead. */
export async function isSameProcess(pid: number, startTime: string | undefined): Promise<boolean> {
  procMounted ??= existsSync('/proc/self/stat');
  if (!procMounted) return pidExists(pid);
  let line: string;
  try {
    line = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT') || isErrno(e, 'ESRCH')) return false;
    throw e;
  }
  const stat = parseStat(line);
  return stat !== undefined && (startTime === undefined || stat.startTime === startTime) && stat.state !== 'Z' && stat.state !== 'X';
}

/** Sends `signal` to the process group `pgid`; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (e) {
    if (isErrno(e, 'ESRCH') || isErrno(e, 'EPERM')) return false;
    throw e;
  }
}
