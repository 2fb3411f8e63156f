// Watching containers: adopting one, following its log live, noticing its end (the log follow
// ends, or a periodic inspect), and the `exited` event with the rest of the log and the outputs.
import { messageOf } from '@kontroler/core';
import type { AttemptKey, AttemptObservation } from '@kontroler/engine';
import { describeKey, readOutputs, type OutputsRead } from '@kontroler/runtime-local';
import type { ContainerInfo } from './container-engine.js';
import { killTracked } from './kill.js';
import { deadlineOf, labelsMatch, outputsOf } from './naming.js';
import { hasEnded, outcomeOf, type Outcome } from './outcome.js';
import { claimRecord, readRecord } from './records.js';
import { keyOf, keyString, type RuntimeState, type Tracked } from './runtime-state.js';

/** Emits the part of `chunk` (at `pos` in the log) not delivered yet, with its offset. */
function deliver(rt: RuntimeState, t: Tracked, pos: number, chunk: Uint8Array): void {
  const end = pos + chunk.length;
  if (end <= t.delivered) return;
  const from = Math.max(pos, t.delivered);
  const data = chunk.slice(from - pos);
  t.delivered = end;
  rt.emit({ type: 'log', key: t.key, offset: from, data });
}

export function track(rt: RuntimeState, fields: Pick<Tracked, 'key' | 'name' | 'dir' | 'startedAt' | 'deadlineAt' | 'declared'>, logOffset: number): Tracked {
  const t: Tracked = { ...fields, delivered: logOffset, follow: undefined, killRequested: false, killAt: undefined, checking: false, ending: false };
  rt.tracked.set(keyString(t.key), t);
  rt.ensureTicker();
  startFollow(rt, t);
  return t;
}

/** Follows the log from its start (delivering what is new); when the follow ends, looks whether the container did. */
function startFollow(rt: RuntimeState, t: Tracked): void {
  if (t.follow !== undefined || t.ending || rt.closed) return;
  const abort = new AbortController();
  let pos = 0;
  const done = rt.engine
    .followLogs(t.name, {
      signal: abort.signal,
      onData: (chunk) => {
        deliver(rt, t, pos, chunk);
        pos += chunk.length;
      },
    })
    .catch((e: unknown) => rt.log(`container runtime: following the log of ${describeKey(t.key)} failed: ${messageOf(e)}; will retry`))
    .finally(() => {
      if (t.follow?.abort === abort) t.follow = undefined;
      if (!abort.signal.aborted) check(rt, t);
    });
  t.follow = { abort, done };
}

/** Looks at the container: ended → finish; still running without a log follow → the ticker resumes it. Coalesced. */
export function check(rt: RuntimeState, t: Tracked): void {
  if (t.ending || t.checking || rt.closed) return;
  t.checking = true;
  rt.runInBackground(
    (async () => {
      try {
        const info = await rt.engine.inspect(t.name);
        if (info === undefined || hasEnded(info)) finish(rt, t, info);
      } finally {
        t.checking = false;
      }
    })(),
  );
}

export function tick(rt: RuntimeState): void {
  rt.ticks++;
  const now = rt.clock();
  for (const t of rt.tracked.values()) {
    if (t.ending) continue;
    if (t.deadlineAt !== undefined && now >= t.deadlineAt && !t.killRequested) rt.runInBackground(killTracked(rt, t, 'DeadlineExceeded'));
    if (t.killAt !== undefined && now >= t.killAt) {
      t.killAt = undefined;
      rt.runInBackground(rt.engine.signal(t.name, 'SIGKILL'));
    }
    if (t.follow === undefined) startFollow(rt, t);
    if (rt.ticks % rt.inspectEvery === 0) check(rt, t);
  }
  for (const [name, killAt] of rt.strays) {
    if (now < killAt) continue;
    rt.strays.delete(name);
    rt.runInBackground(rt.engine.signal(name, 'SIGKILL'));
  }
  rt.stopTickerIfIdle();
}

/** Ends the watch: stops the follow, delivers the rest of the log, then `exited`. */
export function finish(rt: RuntimeState, t: Tracked, info: ContainerInfo | undefined): void {
  if (t.ending) return;
  t.ending = true;
  rt.runInBackground(
    (async () => {
      t.follow?.abort.abort();
      await t.follow?.done;
      let outcome: Outcome & OutputsRead;
      try {
        outcome = await endedOutcome(rt, t, info);
      } catch (e) {
        rt.log(`container runtime: cannot read how ${describeKey(t.key)} ended: ${messageOf(e)}; reporting it Lost`);
        outcome = { reason: 'Lost' };
      }
      rt.tracked.delete(keyString(t.key));
      rt.remember(t.key);
      rt.stopTickerIfIdle();
      rt.emit({ type: 'exited', key: t.key, at: info?.finishedAt ?? rt.clock(), ...outcome });
    })(),
  );
}

/**
 * Reads the ended container's whole log once more and delivers what was not delivered yet: a
 * follow may end before the last bytes. Streamed (a follow of an ended container ends at the end
 * of its log), so a huge log never sits in memory.
 */
async function drain(rt: RuntimeState, t: Tracked): Promise<void> {
  let pos = 0;
  await rt.engine.followLogs(t.name, {
    signal: new AbortController().signal,
    onData: (chunk) => {
      deliver(rt, t, pos, chunk);
      pos += chunk.length;
    },
  });
}

/** The rest of the log (delivered as events), then the outcome with the outputs of a success. */
async function endedOutcome(rt: RuntimeState, t: Tracked, info: ContainerInfo | undefined): Promise<Outcome & OutputsRead> {
  if (info !== undefined) await drain(rt, t);
  const [kill, failed] = await Promise.all([readRecord(t.dir, 'kill'), readRecord(t.dir, 'failed')]);
  const outcome = outcomeOf(info, kill, failed);
  if (outcome.exitCode !== 0 || t.declared.length === 0) return outcome;
  return { ...outcome, ...(await readOutputs(t.dir, t.declared)) };
}

/**
 * Watches an attempt again from what the engine and its records say: emits `started`, the log
 * from `logOffset`, and `exited` when it has ended (also while no runtime was alive).
 */
export async function adoptAttempt(rt: RuntimeState, key: AttemptKey, logOffset: number): Promise<AttemptObservation> {
  const k = keyOf(key);
  const known = rt.tracked.get(keyString(k));
  if (known !== undefined) return { state: 'running', handle: known.name, startedAt: known.startedAt };
  const dir = rt.dirOf(k);
  const name = rt.nameOf(k);
  const failed = await readRecord(dir, 'failed');
  if (failed !== undefined) return neverRan(rt, k, failed);
  let info = await rt.engine.inspect(name).catch((e: unknown) => {
    throw rt.engineFailure(`looking at the container of ${describeKey(k)}`, e);
  });
  if (info === undefined) return { state: 'unknown' };
  if (!labelsMatch(info.labels, k, rt.host)) {
    throw rt.engineFailure(`container ${name} belongs to another attempt than ${describeKey(k)}`, new Error(`its labels name another run, task, attempt or state folder than ${rt.host}`));
  }
  if (info.status === 'created') info = await waitForStart(rt, k, dir, name);
  if (info === undefined) return neverRan(rt, k, (await readRecord(dir, 'failed')) ?? { at: rt.clock(), reason: 'Lost' });
  const startedAt = info.startedAt ?? rt.clock();
  const fields = { key: k, name, dir, startedAt, deadlineAt: deadlineOf(info.labels), declared: outputsOf(info.labels) };
  rt.emit({ type: 'started', key: k, handle: name, at: startedAt });
  if (!hasEnded(info)) {
    const t = track(rt, fields, logOffset);
    const kill = await readRecord(dir, 'kill');
    if (kill !== undefined) {
      // A controller that died mid-kill cannot send the SIGKILL: we do, on its schedule.
      t.killRequested = true;
      t.killAt = kill.at + rt.killGraceMs;
    }
    return { state: 'running', handle: name, startedAt };
  }
  const t: Tracked = { ...fields, delivered: logOffset, follow: undefined, killRequested: false, killAt: undefined, checking: false, ending: true };
  const outcome = await endedOutcome(rt, t, info);
  const finishedAt = info.finishedAt ?? rt.clock();
  rt.remember(k);
  rt.emit({ type: 'exited', key: k, at: finishedAt, ...outcome });
  return { state: 'exited', handle: name, startedAt, finishedAt, ...outcome };
}

function neverRan(rt: RuntimeState, k: AttemptKey, failed: { at: number; reason: string }): AttemptObservation {
  rt.remember(k);
  rt.emit({ type: 'exited', key: k, at: failed.at, reason: failed.reason });
  return { state: 'exited', handle: '', finishedAt: failed.at, reason: failed.reason };
}

/**
 * A container created but not started: its creator may be about to start it, or died in between.
 * Waits startGraceMs for it to start; then records it as never ran and removes it, so a late
 * start by its creator fails instead of running the attempt after its failure was recorded.
 */
async function waitForStart(rt: RuntimeState, k: AttemptKey, dir: string, name: string): Promise<ContainerInfo | undefined> {
  const until = rt.clock() + rt.startGraceMs;
  for (;;) {
    const info = await rt.engine.inspect(name);
    if (info === undefined || info.status !== 'created') return info;
    if (rt.clock() >= until) break;
    await new Promise((r) => setTimeout(r, Math.min(rt.pollMs, 200)));
  }
  await claimRecord(dir, 'failed', { at: rt.clock(), reason: `Lost: container ${name} was created but never started (its controller stopped in between)` });
  await rt.engine.remove(name);
  return undefined;
}
