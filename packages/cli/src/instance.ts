// The running all-in-one instance advertises itself in <dataDir>/instance.json (mode 0600, like
// everything in the data dir): its API URL and a local credential, so that `npx kontroler ...` in
// the same directory talks to it through the API without a login, and its database URL for
// `kontroler migrate`.
import { readFileSync, writeFileSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KontrolerError } from '@kontroler/core';

export const INSTANCE_FILE = 'instance.json';

export interface InstanceInfo {
  pid: number;
  databaseUrl: string;
  /** The API's base URL ('' when the process serves no API). */
  url: string;
  startedAt: string;
  /**
   * The local CLI credential: an API token of the built-in admin, issued at each start and
   * revoked at stop (absent when there is no built-in admin, e.g. password login off).
   */
  token?: string;
}

export function writeInstance(dataDir: string, info: InstanceInfo): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const p = join(dataDir, INSTANCE_FILE);
  writeFileSync(`${p}.tmp`, JSON.stringify(info, null, 2), { mode: 0o600 });
  renameSync(`${p}.tmp`, p);
}

/** Removes instance.json if `pid` wrote it (never another live instance's). */
export function removeInstance(dataDir: string, pid: number): void {
  const p = join(dataDir, INSTANCE_FILE);
  try {
    if ((JSON.parse(readFileSync(p, 'utf8')) as Partial<InstanceInfo>).pid !== pid) return;
  } catch {
    return; // gone or not ours to judge
  }
  rmSync(p, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The instance running on `dataDir`. Throws UNAVAILABLE (saying how to start one) when there is
 * none, or when the one that wrote instance.json is gone.
 */
export function readLiveInstance(dataDir: string): InstanceInfo {
  let info: InstanceInfo;
  try {
    info = JSON.parse(readFileSync(join(dataDir, INSTANCE_FILE), 'utf8')) as InstanceInfo;
  } catch (e) {
    throw new KontrolerError('UNAVAILABLE', `no running Kontroler found in ${dataDir}: start it with \`npm start\` (or \`kontroler up\`) in this directory`, { cause: e });
  }
  if (!alive(info.pid)) {
    throw new KontrolerError('UNAVAILABLE', `the Kontroler that used ${dataDir} (pid ${info.pid}) is not running: start it with \`npm start\` (or \`kontroler up\`)`);
  }
  return info;
}

/** The database URL to use: DATABASE_URL, else the running instance's. Throws UNAVAILABLE. */
export function databaseUrlFor(s: { databaseUrl: string | undefined; dataDir: string }): string {
  if (s.databaseUrl) return s.databaseUrl;
  try {
    return readLiveInstance(s.dataDir).databaseUrl;
  } catch (e) {
    throw new KontrolerError('UNAVAILABLE', `${(e as Error).message}, or set DATABASE_URL`, { cause: e });
  }
}
