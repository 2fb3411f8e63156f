// What an attempt folder says about its attempt, for adopters and for release. Reads only, except
// one decision: a folder whose supervisor never recorded itself is claimed as Lost.
import { NOT_STARTED } from '@kontroler/engine';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { claimFailed, isErrno, mtimeOf, readExit, readKill, readPid, type PidRecord } from './attempt-files.js';
import { outcomeOf, type Outcome } from './outcome.js';
import { FILES } from './paths.js';
import { isSameProcess } from './proc.js';

export type StartedRecord = Extract<PidRecord, { kind: 'started' }>;

export type AttemptOnDisk =
  | { readonly state: 'absent' }
  /** It never ran (failed start, deadline already passed, abandoned by its creator). */
  | { readonly state: 'never-ran'; readonly reason: string; readonly at: number | undefined }
  | { readonly state: 'running'; readonly rec: StartedRecord }
  | { readonly state: 'ended'; readonly rec: StartedRecord; readonly outcome: Outcome; readonly finishedAt: number | undefined };

export interface InspectOptions {
  /** How long a folder may go without a `pid` record before it counts as abandoned. */
  readonly spawnGraceMs: number;
  /** Aborts the wait for a supervisor that is still starting. */
  readonly signal: AbortSignal;
  readonly log: (msg: string) => void;
}

/** Polls between sightings of a supervisor that was spawned but has not written `pid` yet. */
const SPAWN_POLL_MS = 25;

/** Where the attempt in `dir` stands. Throws the abort reason when `signal` fires while waiting. */
export async function inspectAttempt(dir: string, opts: InspectOptions): Promise<AttemptOnDisk> {
  const rec = await pidRecord(dir, opts);
  if (rec === undefined) return { state: 'absent' };
  if (rec.kind === 'failed') return { state: 'never-ran', reason: rec.reason, at: await mtimeOf(join(dir, FILES.pid)) };
  const exit = await readExit(dir);
  if (exit === undefined && (await isSameProcess(rec.pid, rec.startTime))) return { state: 'running', rec };
  // It ended; the exit file may be newer than our first look.
  const finalExit = exit ?? (await readExit(dir));
  return {
    state: 'ended',
    rec,
    outcome: outcomeOf(finalExit, await readKill(dir), rec),
    finishedAt: finalExit === undefined ? undefined : await mtimeOf(join(dir, FILES.exit)),
  };
}

/**
 * The `pid` record; undefined when the folder does not exist. A folder without one is either
 * being started right now (we wait up to spawnGraceMs from its last change) or was abandoned
 * before its supervisor ran: then we claim it as Lost with an exclusive create, which also stops
 * a late supervisor from running the command.
 */
async function pidRecord(dir: string, opts: InspectOptions): Promise<PidRecord | undefined> {
  for (;;) {
    const rec = await readPid(dir);
    if (rec !== undefined) return rec;
    const changed = await mtimeOf(dir);
    if (changed === undefined) return undefined;
    if (Date.now() - changed >= opts.spawnGraceMs) {
      try {
        if (await claimFailed(dir, NOT_STARTED)) opts.log(`local runtime: ${dir} was never started by its creator: recorded as ${NOT_STARTED}`);
      } catch (e) {
        if (isErrno(e, 'ENOENT')) continue; // released meanwhile
        throw e;
      }
      // Ours or the supervisor's; an unreadable record (a crash mid-write) is Lost too.
      return (await readPid(dir)) ?? { kind: 'failed', reason: 'Lost' };
    }
    await sleep(SPAWN_POLL_MS, undefined, { signal: opts.signal });
  }
}

/** `<runDir>/<task>/<attempt>` folders; none when the run has no folder. */
export async function listAttemptDirs(runDir: string): Promise<string[]> {
  const out: string[] = [];
  let tasks: string[];
  try {
    tasks = await readdir(runDir);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return out;
    throw e;
  }
  for (const task of tasks) {
    try {
      for (const attempt of await readdir(join(runDir, task))) out.push(join(runDir, task, attempt));
    } catch (e) {
      if (!isErrno(e, 'ENOENT') && !isErrno(e, 'ENOTDIR')) throw e;
    }
  }
  return out;
}
