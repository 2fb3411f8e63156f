// The running all-in-one instance advertises its database in <dataDir>/instance.json so that
// `npx kontroler ...` in the same directory finds it.
import { readFileSync, writeFileSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KontrolerError } from '@kontroler/core';
import { createPool } from '@kontroler/store';
import type pg from 'pg';
import type { Settings } from './settings.js';

export interface InstanceInfo {
  pid: number;
  databaseUrl: string;
  url: string;
  startedAt: string;
}

export function writeInstance(dataDir: string, info: InstanceInfo): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const p = join(dataDir, 'instance.json');
  writeFileSync(`${p}.tmp`, JSON.stringify(info, null, 2), { mode: 0o600 });
  renameSync(`${p}.tmp`, p);
}

/** Removes instance.json if `pid` wrote it (never another live instance's). */
export function removeInstance(dataDir: string, pid: number): void {
  const p = join(dataDir, 'instance.json');
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

/** The database URL to use: DATABASE_URL, else the running instance's. Throws UNAVAILABLE. */
export function databaseUrlFor(s: Settings): string {
  if (s.databaseUrl) return s.databaseUrl;
  let info: InstanceInfo;
  try {
    info = JSON.parse(readFileSync(join(s.dataDir, 'instance.json'), 'utf8')) as InstanceInfo;
  } catch {
    throw new KontrolerError('UNAVAILABLE', `no running Kontroler found in ${s.dataDir}: start it with \`npm start\` in this directory, or set DATABASE_URL`);
  }
  if (!alive(info.pid)) {
    throw new KontrolerError('UNAVAILABLE', `the Kontroler that used ${s.dataDir} (pid ${info.pid}) is not running: start it with \`npm start\`, or set DATABASE_URL`);
  }
  return info.databaseUrl;
}

/** Opens a small pool on the configured database; the caller ends it. */
export function openPool(s: Settings): pg.Pool {
  return createPool(databaseUrlFor(s), 4);
}
