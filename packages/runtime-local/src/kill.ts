// Stopping attempts: SIGTERM to the process group, the reason recorded in the attempt's folder,
// SIGKILL after the grace period (the poll in watch.ts sends it).
import { readExit, readPid, writeKill } from './attempt-files.js';
import { isSameProcess, signalGroup } from './proc.js';
import type { RuntimeState, Tracked } from './runtime-state.js';

export async function killAttempt(rt: RuntimeState, dir: string, reason: string): Promise<void> {
  const t = rt.tracked.get(dir);
  if (t !== undefined) return killTracked(rt, t, reason);
  // Not watched by us (another runtime's, or not adopted yet): stop it all the same.
  const rec = await readPid(dir);
  if (rec?.kind !== 'started' || (await readExit(dir)) !== undefined) return;
  if (!(await isSameProcess(rec.pid, rec.startTime))) return;
  await writeKill(dir, { at: rt.clock(), reason });
  signalGroup(rec.pid, 'SIGTERM');
  rt.strays.set(dir, { pid: rec.pid, startTime: rec.startTime, killAt: rt.clock() + rt.killGraceMs });
  rt.ensureTicker();
}

export async function killTracked(rt: RuntimeState, t: Tracked, reason: string): Promise<void> {
  if (t.ending || t.killRequested) return;
  t.killRequested = true;
  await writeKill(t.dir, { at: rt.clock(), reason });
  if (t.ending) return;
  t.killAt = rt.clock() + rt.killGraceMs;
  await signalAttempt(rt, t, 'SIGTERM');
}

/** Signals the attempt's process group, unless its supervisor is provably gone (pid reuse). */
export async function signalAttempt(rt: RuntimeState, t: Tracked, sig: NodeJS.Signals): Promise<void> {
  if (t.child !== undefined) {
    if (t.child.exitCode === null && t.child.signalCode === null) signalGroup(t.pid, sig);
    return;
  }
  if (await isSameProcess(t.pid, t.startTime)) signalGroup(t.pid, sig);
}