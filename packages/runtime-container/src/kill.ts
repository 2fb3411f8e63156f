// Stopping an attempt: SIGTERM now, SIGKILL after the grace period (the ticker sends it). The
// reason is recorded first (the first one wins), so whoever reports the end reports it.
import type { AttemptKey } from '@kontroler/engine';
import { describeKey } from '@kontroler/runtime-local';
import { hasEnded } from './outcome.js';
import { claimRecord } from './records.js';
import { keyString, type RuntimeState, type Tracked } from './runtime-state.js';

export async function killTracked(rt: RuntimeState, t: Tracked, reason: string): Promise<void> {
  if (t.killRequested || t.ending) return;
  t.killRequested = true;
  const rec = await claimRecord(t.dir, 'kill', { at: rt.clock(), reason });
  t.killAt = rec.at + rt.killGraceMs;
  rt.ensureTicker();
  await rt.engine.signal(t.name, 'SIGTERM');
}

/** Kills the attempt whether or not this runtime watches it; an ended or unknown one is left alone. */
export async function killAttempt(rt: RuntimeState, key: AttemptKey, reason: string): Promise<void> {
  const t = rt.tracked.get(keyString(key));
  if (t !== undefined) return killTracked(rt, t, reason);
  const name = rt.nameOf(key);
  const info = await rt.engine.inspect(name).catch((e: unknown) => {
    throw rt.engineFailure(`looking at the container of ${describeKey(key)} to stop it`, e);
  });
  if (info === undefined || hasEnded(info)) return;
  const rec = await claimRecord(rt.dirOf(key), 'kill', { at: rt.clock(), reason });
  rt.strays.set(name, rec.at + rt.killGraceMs);
  rt.ensureTicker();
  await rt.engine.signal(name, 'SIGTERM');
}
