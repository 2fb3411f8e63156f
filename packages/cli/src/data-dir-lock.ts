// One live Kontroler per data dir. The lock is a file holding the owner's pid and its start time
// (field 22 of /proc/<pid>/stat), created atomically (written to a private temporary name, then
// hard-linked into place, which fails when the lock exists); pids are reused, so a lock counts as
// stale only when no process with that pid *and* start time exists. Node has no flock(2); this is
// the pid + start-time check the local runtime also uses for its supervisors.
import { readFileSync, linkSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KontrolerError } from '@kontroler/core';
import { isSameProcess, parseStat } from '@kontroler/runtime-local';

export const LOCK_FILE = 'kontroler.lock';

interface LockRecord {
  pid: number;
  /** /proc start time of `pid`, or null without /proc. */
  startTime: string | null;
  host: string;
  since: string;
}

export interface DataDirLock {
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

function ownStartTime(): string | null {
  try {
    return parseStat(readFileSync('/proc/self/stat', 'utf8'))?.startTime ?? null;
  } catch {
    return null;
  }
}

function readLock(path: string): LockRecord | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const r = JSON.parse(text) as Partial<LockRecord>;
    if (typeof r.pid === 'number' && Number.isSafeInteger(r.pid) && r.pid > 0) {
      return { pid: r.pid, startTime: typeof r.startTime === 'string' ? r.startTime : null, host: String(r.host ?? ''), since: String(r.since ?? '') };
    }
  } catch {
    // unreadable: written by something else, treated as stale below
  }
  return { pid: 0, startTime: null, host: '', since: '' };
}

function inUse(dataDir: string, holder: LockRecord): KontrolerError {
  const foreign = holder.host !== '' && holder.host !== hostname();
  return new KontrolerError(
    'CONFLICT',
    `data dir ${dataDir} is in use by pid ${holder.pid}${foreign ? ` on host ${holder.host}` : ''} (since ${holder.since}): stop that Kontroler first, ` +
      `or use another --data-dir / KONTROLER_DATA_DIR${foreign ? `; if that host is gone for good, remove ${join(dataDir, LOCK_FILE)}` : ''}`,
  );
}

/**
 * Takes the lock on `dataDir` (which must exist) before anything in it is touched. Throws CONFLICT
 * "data dir X is in use by pid N" while another live process holds it; a lock left by a process
 * that is provably gone (no process with its pid and start time) is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, LOCK_FILE);
  const me: LockRecord = { pid: process.pid, startTime: ownStartTime(), host: hostname(), since: new Date().toISOString() };
  const text = `${JSON.stringify(me)}\n`;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600, flag: 'w' });
  try {
    for (let tries = 0; tries < 5; tries++) {
      try {
        linkSync(tmp, path); // atomic: fails with EEXIST when a lock is there, never half-written
        const lock = ownLock(path, text);
        try {
          assertNoUnlockedInstance(dataDir);
        } catch (e) {
          lock.release();
          throw e;
        }
        return lock;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = readLock(path);
      if (holder === undefined) continue; // released meanwhile
      if (holder.host !== '' && holder.host !== me.host) throw inUse(dataDir, holder); // cannot look at another host's processes
      if (holder.pid > 0 && (await isSameProcess(holder.pid, holder.startTime ?? undefined))) throw inUse(dataDir, holder);
      // Stale. Move it aside under a name of our own; if what we moved is not the stale lock we
      // judged (another process took over in between), put it back and look again.
      const aside = `${path}.${process.pid}.stale`;
      try {
        renameSync(path, aside);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      const moved = readLock(aside);
      if (moved && (moved.pid !== holder.pid || moved.startTime !== holder.startTime)) {
        try {
          linkSync(aside, path);
        } catch {
          // a third process holds it now: it is the owner either way
        }
      }
      unlinkSync(aside);
    }
    throw new KontrolerError('CONFLICT', `could not take the lock ${path}: other processes keep taking it; try again`);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // gone already
    }
  }
}

/**
 * Versions before the lock left only `instance.json` (pid, no start time). While such an instance
 * still runs (its pid is alive and runs a `kontroler` command line), the data dir is in use even
 * though no lock says so: throws CONFLICT like a held lock. For the first start after an upgrade.
 */
export function assertNoUnlockedInstance(dataDir: string): void {
  let pid: number;
  try {
    pid = Number((JSON.parse(readFileSync(join(dataDir, 'instance.json'), 'utf8')) as { pid?: unknown }).pid);
  } catch {
    return;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return; // gone (or no /proc: nothing to tell a reused pid apart with)
  }
  if (cmdline.includes('kontroler')) throw inUse(dataDir, { pid, startTime: null, host: hostname(), since: 'before this version' });
}

function ownLock(path: string, text: string): DataDirLock {
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      try {
        if (readFileSync(path, 'utf8') === text) unlinkSync(path);
      } catch {
        // removed by hand: nothing to release
      }
    },
  };
}
