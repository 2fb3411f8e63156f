// Watching attempts: adopting one from its folder, the folder watch (inotify) and the poll that
// notice its log growing and its end, and the `exited` event once it ended.
import { watch } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf } from '@kontroler/core';
import type { AttemptKey, AttemptObservation } from '@kontroler/engine';
import { readExit, readKill, readPid } from './attempt-files.js';
import { killTracked, signalAttempt } from './kill.js';
import { LogTail } from './log-tail.js';
import { outcomeOf, type Outcome } from './outcome.js';
import { readOutputs, type OutputsRead } from './outputs.js';
import { FILES, describeKey } from './paths.js';
import { isSameProcess, pidExists, signalGroup } from './proc.js';
import { MAX_REMEMBERED, SAFETY_READ_EVERY, keyOf, type EarlyWatch, type RuntimeState, type Tracked } from './runtime-state.js';

export async function adoptAttempt(rt: RuntimeState, key: AttemptKey, dir: string, logOffset: number): Promise<AttemptObservation> {
  const known = rt.tracked.get(dir);
  if (known !== undefined) return { state: 'running', handle: String(known.pid), startedAt: known.startedAt };
  const seen = await rt.inspect(dir);
  const k = keyOf(key);
  switch (seen.state) {
    case 'absent':
      return { state: 'unknown' };
    case 'never-ran': {
      const at = seen.at ?? rt.clock();
      rt.emit({ type: 'exited', key: k, at, reason: seen.reason });
      return { state: 'exited', handle: '', finishedAt: at, reason: seen.reason };
    }
    case 'running': {
      const { rec } = seen;
      const t = track(rt, 
        { key: k, dir, pid: rec.pid, startTime: rec.startTime, startedAt: rec.startedAt, deadlineAt: rec.deadlineAt, own: false, reaped: undefined, child: undefined, declared: undefined },
        logOffset,
      );
      rt.emit({ type: 'started', key: k, handle: String(rec.pid), at: rec.startedAt });
      const kill = await readKill(dir);
      if (kill !== undefined) {
        // A controller that died mid-kill cannot send the SIGKILL: we do, on its schedule.
        t.killRequested = true;
        t.killAt = kill.at + rt.killGraceMs;
      }
      return { state: 'running', handle: String(rec.pid), startedAt: rec.startedAt };
    }
    case 'ended': {
      // Maybe while no runtime was alive: tell it all now, the log before `exited`.
      const { rec } = seen;
      const outcome = await withOutputs(seen.outcome, dir, undefined);
      const finishedAt = seen.finishedAt ?? rt.clock();
      rt.emit({ type: 'started', key: k, handle: String(rec.pid), at: rec.startedAt });
      const tail = new LogTail(join(dir, FILES.log), logOffset, rt.logSink(k), rt.logError(k));
      await tail.drain();
      await tail.close();
      rt.emit({ type: 'exited', key: k, at: finishedAt, ...outcome });
      return { state: 'exited', handle: String(rec.pid), startedAt: rec.startedAt, finishedAt, ...outcome };
    }
  }
}

export function track(
  rt: RuntimeState,
  fields: Pick<Tracked, 'key' | 'dir' | 'pid' | 'startTime' | 'startedAt' | 'deadlineAt' | 'own' | 'reaped' | 'child' | 'declared'>,
  logOffset: number,
  logFile?: FileHandle,
  early?: EarlyWatch,
): Tracked {
  const t: Tracked = {
    ...fields,
    tail: new LogTail(join(fields.dir, FILES.log), logOffset, rt.logSink(fields.key), rt.logError(fields.key), logFile),
    watcher: undefined,
    killAt: undefined,
    killRequested: false,
    checking: false,
    recheck: false,
    ending: false,
  };
  const w = early ?? watchEarly(rt, fields.dir);
  w.target = t;
  t.watcher = w.watcher;
  rt.tracked.set(fields.dir, t);
  rt.ensureTicker();
  // Output or an exit that came before we knew the pid (or before we watched).
  if (early === undefined || w.logSeen || w.watcher === undefined) t.tail.poke();
  if (early !== undefined && (w.exitSeen || w.watcher === undefined) && t.child === undefined) checkAdopted(rt, t);
  return t;
}

/** One inotify watch on the folder sees both log writes and the exit file appearing. */
export function watchEarly(rt: RuntimeState, dir: string): EarlyWatch {
  const ew: EarlyWatch = { watcher: undefined, target: undefined, exitSeen: false, logSeen: false };
  try {
    const w = watch(dir, (event, filename) => {
      // The log's creation brings no bytes: its writes each bring a 'change'.
      const logChanged = (filename === FILES.log && event === 'change') || filename === null;
      const t = ew.target;
      if (t === undefined) {
        if (filename === FILES.exit || filename === null) ew.exitSeen = true;
        if (logChanged) ew.logSeen = true;
        return;
      }
      if (t.ending) return;
      if (logChanged) t.tail.poke();
      if ((filename === FILES.exit || filename === null) && t.child === undefined) checkAdopted(rt, t);
    });
    w.on('error', (e) => {
      rt.log(`local runtime: watching ${dir} failed (${e.message}): polling it instead`);
      w.close();
      ew.watcher = undefined;
      if (ew.target !== undefined) ew.target.watcher = undefined;
    });
    ew.watcher = w;
  } catch (e) {
    rt.log(`local runtime: cannot watch ${dir} (${messageOf(e)}): polling it instead`);
  }
  return ew;
}

export function tick(rt: RuntimeState): void {
  rt.ticks++;
  const now = rt.clock();
  for (const t of rt.tracked.values()) {
    if (t.ending) continue;
    if (t.watcher === undefined || rt.ticks % SAFETY_READ_EVERY === 0) t.tail.poke();
    if (t.deadlineAt !== undefined && now >= t.deadlineAt && !t.killRequested) {
      rt.runInBackground(killTracked(rt, t, 'DeadlineExceeded'));
    }
    if (t.killAt !== undefined && now >= t.killAt) {
      t.killAt = undefined;
      rt.runInBackground(signalAttempt(rt, t, 'SIGKILL'));
    }
    // Adopted: the watcher reports the exit file; polling covers a supervisor that vanished
    // without one (kill(pid, 0) every tick, the full check with start time now and then).
    if (t.child === undefined && (t.watcher === undefined || rt.ticks % SAFETY_READ_EVERY === 0 || !pidExists(t.pid))) {
      checkAdopted(rt, t);
    }
  }
  for (const [dir, s] of rt.strays) {
    if (now < s.killAt) continue;
    rt.strays.delete(dir);
    rt.runInBackground(
      isSameProcess(s.pid, s.startTime).then((alive) => {
        if (alive) signalGroup(s.pid, 'SIGKILL');
      }),
    );
  }
  rt.stopTickerIfIdle();
}

/**
 * An attempt not spawned as our child (adopted, or forked by the spawner) ended when its exit
 * file exists or its supervisor is gone. Checks coalesce: a change during a check causes exactly
 * one more (the exit file appears empty, then gets its line).
 */
function checkAdopted(rt: RuntimeState, t: Tracked): void {
  if (t.ending) return;
  if (t.checking) {
    t.recheck = true;
    return;
  }
  t.checking = true;
  rt.runInBackground(
    (async () => {
      try {
        do {
          t.recheck = false;
          const exit = await readExit(t.dir);
          if (exit !== undefined) {
            // Its supervisor wrote the status just now, so the group id is still the attempt's:
            // kill what is left of it, as for our own children. A supervisor gone without a
            // status is not swept: its pid may belong to someone else by now.
            signalGroup(t.pid, 'SIGKILL');
            finish(rt, t, exit, true);
            return;
          }
          if (!(await stillRuns(rt, t))) {
            finish(rt, t);
            return;
          }
        } while (t.recheck && !t.ending);
      } finally {
        t.checking = false;
      }
    })(),
  );
}

/**
 * Whether the supervisor still runs. While the spawner that forked it lives, it reaps it at
 * once, so a pid that is still there is the supervisor (reusing it would take a wrap of the pid
 * space between two ticks). Otherwise (adopted; or orphaned, maybe a zombie of an init that
 * reaps nothing) /proc tells, with the recorded start time against a reused pid.
 */
async function stillRuns(rt: RuntimeState, t: Tracked): Promise<boolean> {
  if (t.reaped?.() === true) return pidExists(t.pid);
  if (t.startTime === undefined && t.own) {
    const rec = await readPid(t.dir);
    if (rec?.kind === 'started' && rec.pid === t.pid) t.startTime = rec.startTime;
  }
  return isSameProcess(t.pid, t.startTime);
}

/**
 * Delivers the rest of the log, then `exited`, then forgets the attempt. `status` is our child
 * supervisor's exit status (= the command's), null when it was signalled; or, `fromFile`, what
 * its exit file says; undefined when its supervisor is gone without one.
 */
export function finish(rt: RuntimeState, t: Tracked, status?: number | null, fromFile = false): void {
  if (t.ending) return;
  t.ending = true;
  t.watcher?.close();
  t.watcher = undefined;
  rt.runInBackground(
    (async () => {
      let outcome: Outcome & OutputsRead;
      try {
        // In parallel: on a chain of short tasks this latency is the per-hop overhead.
        [, outcome] = await Promise.all([t.tail.drain(), outcomeFromDisk(rt, t, status, fromFile).then((o) => withOutputs(o, t.dir, t.declared))]);
      } catch (e) {
        rt.log(`local runtime: cannot read how ${describeKey(t.key)} ended: ${messageOf(e)}; reporting it Lost`);
        outcome = { reason: 'Lost' };
      }
      rt.tracked.delete(t.dir);
      rt.ended.add(t.dir);
      if (rt.ended.size > MAX_REMEMBERED) rt.ended.delete(rt.ended.values().next().value as string);
      rt.stopTickerIfIdle();
      rt.emit({ type: 'exited', key: t.key, at: rt.clock(), ...outcome });
      await t.tail.close();
    })(),
  );
}

/**
 * The outcome with the attempt's outputs when it succeeded (exit code 0); a failed attempt's
 * outputs are never used, so they are not read. `declared` undefined: the recorded names.
 */
async function withOutputs(outcome: Outcome, dir: string, declared: readonly string[] | undefined): Promise<Outcome & OutputsRead> {
  if (outcome.exitCode !== 0 || (declared !== undefined && declared.length === 0)) return outcome;
  return { ...outcome, ...(await readOutputs(dir, declared)) };
}

/**
 * A command that exited by itself in a supervisor we started needs no more file reads: its
 * status is the supervisor's. Otherwise (killed, signalled, adopted, never ran) the files tell.
 */
async function outcomeFromDisk(rt: RuntimeState, t: Tracked, status: number | null | undefined, fromFile: boolean): Promise<Outcome> {
  if (typeof status === 'number' && status <= 128 && !t.killRequested && t.own) return outcomeOf(status, undefined, undefined);
  if (fromFile && typeof status === 'number') return outcomeOf(status, await readKill(t.dir), undefined);
  const [exit, kill] = await Promise.all([readExit(t.dir), readKill(t.dir)]);
  return outcomeOf(exit, kill, exit === undefined ? await readPid(t.dir) : undefined);
}