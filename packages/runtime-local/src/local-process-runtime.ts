// The local runtime: each attempt is a process on this machine, run by a detached /bin/sh
// supervisor (see supervisor.ts) that outlives us. Everything we know about an attempt is in its
// folder, so a new LocalProcessRuntime on the same stateDir can adopt whatever an earlier one
// started, whether it is still running or ended while nobody watched.
//
// Supervisors are forked by a long-lived bash co-process, the spawner (spawner.ts), so this big
// process never forks per attempt; without bash, they are spawned directly. Either way the folder
// watch (inotify) reports the exit file within moments, and a poll covers what it cannot see.
//
// <stateDir>/attempts/<runId>/<task>/<attempt>/   created with an exclusive mkdir: the claim
//   pid    "<startedAt> <deadlineAt|-> <pid> <starttime|->" by the supervisor (exclusive create),
//          or "failed <reason>" when the attempt never ran (an adopter's claim also goes here)
//   log    banner line, then the command's stdout and stderr
//   exit   the command's exit status (written once it ended)
//   kill   "<at> <reason>" when someone asked it to stop (first reason wins)
//   work/  working directory (unless the run has a workspace)
//   outputs/  KONTROLER_OUTPUTS: one file per declared output, read when the attempt exits
//   declared  the declared output names, one JSON line (only when there are some)
// <stateDir>/workspaces/<runId>/                   shared by the run's tasks when asked for
// <stateDir>/trash/                                released folders, emptied in bulk (trash.ts)
//
// The parts: launch.ts (start), watch.ts (adopt, the folder watch and the poll), kill.ts (stop),
// runtime-state.ts (what they share); this class is their front, one operation per attempt folder
// at a time.
import type { AttemptKey, AttemptObservation, AttemptSpec, RuntimeEvent, TaskRuntime } from '@kontroler/engine';
import { listAttemptDirs } from './inspect.js';
import { killAttempt } from './kill.js';
import { startAttempt } from './launch.js';
import { attemptDir, describeKey, runAttemptsDir, workspaceDir } from './paths.js';
import { RuntimeState, type LocalProcessRuntimeOptions } from './runtime-state.js';
import { adoptAttempt, tick } from './watch.js';

export type { LocalProcessRuntimeOptions } from './runtime-state.js';

/** Runs each task attempt as a local process; see the file comment for the layout. */
export class LocalProcessRuntime implements TaskRuntime {
  readonly name = 'local';
  /** Attempts are visible only on this machine, in this state folder: `<hostname>:<stateDir>`. */
  readonly host: string;
  private readonly rt: RuntimeState;

  constructor(opts: LocalProcessRuntimeOptions) {
    const rt: RuntimeState = new RuntimeState(opts, () => tick(rt));
    this.rt = rt;
    this.host = rt.host;
  }

  /**
   * Creates the attempt folder exclusively and spawns its supervisor; when the folder exists the
   * attempt is adopted instead (from log offset 0), so it never runs twice. Emits `started`
   * before it resolves. Throws VALIDATION_FAILED (nothing to run, unusable names or env),
   * UNAVAILABLE (state folder not writable, spawn failed: the attempt is then recorded as failed).
   * A supervisor the spawner forked but that cannot run (its folder vanished, the command line is
   * too long) ends with reason `StartError: ...` instead.
   */
  async start(spec: AttemptSpec): Promise<void> {
    this.rt.assertOpen();
    const dir = attemptDir(this.rt.stateDir, spec);
    await this.rt.serial(dir, () => startAttempt(this.rt, spec, dir));
  }

  /**
   * Watches an attempt again: emits `started`, the log from `logOffset`, and `exited` if it has
   * ended (also when it ended while no runtime was alive), then resolves with what it sees.
   * An attempt already watched by this instance keeps its current log position.
   */
  async adopt(key: AttemptKey, logOffset: number): Promise<AttemptObservation> {
    this.rt.assertOpen();
    const dir = attemptDir(this.rt.stateDir, key);
    return this.rt.serial(dir, () => adoptAttempt(this.rt, key, dir, logOffset));
  }

  /**
   * SIGTERM to the attempt's process group, SIGKILL after killGraceMs; its `exited` event then
   * carries `reason` (recorded on disk, so an adopter reports it too; the first reason wins).
   * Idempotent: an ended, unknown or already stopping attempt is left alone.
   */
  async kill(key: AttemptKey, reason: string): Promise<void> {
    this.rt.assertOpen();
    const dir = attemptDir(this.rt.stateDir, key);
    await this.rt.serial(dir, () => killAttempt(this.rt, dir, reason));
  }

  /** Removes the attempt folder. Idempotent. Throws INVALID_STATE while the attempt still runs. */
  async release(key: AttemptKey): Promise<void> {
    this.rt.assertOpen();
    const dir = attemptDir(this.rt.stateDir, key);
    await this.rt.serial(dir, async () => {
      if (this.rt.tracked.has(dir)) throw this.rt.stillRunning(describeKey(key));
      if (!this.rt.ended.delete(dir) && (await this.rt.inspect(dir)).state === 'running') throw this.rt.stillRunning(describeKey(key));
      this.rt.strays.delete(dir);
      await this.rt.trash.discard(dir);
    });
  }

  /** Removes the run's workspace and attempt folders. Idempotent. Throws INVALID_STATE while one of its attempts runs. */
  async releaseRun(runId: string): Promise<void> {
    this.rt.assertOpen();
    const runDir = runAttemptsDir(this.rt.stateDir, runId);
    for (const t of this.rt.tracked.values()) {
      if (t.key.runId === runId) throw this.rt.stillRunning(describeKey(t.key));
    }
    for (const dir of await listAttemptDirs(runDir)) {
      if (!this.rt.ended.has(dir) && (await this.rt.inspect(dir)).state === 'running') throw this.rt.stillRunning(dir);
    }
    for (const dir of this.rt.strays.keys()) if (dir.startsWith(runDir + '/')) this.rt.strays.delete(dir);
    for (const dir of this.rt.ended) if (dir.startsWith(runDir + '/')) this.rt.ended.delete(dir);
    for (const dir of this.rt.parents) if (dir.startsWith(runDir + '/')) this.rt.parents.delete(dir);
    await this.rt.trash.discard(runDir);
    await this.rt.trash.discard(workspaceDir(this.rt.stateDir, runId));
  }

  subscribe(listener: (ev: RuntimeEvent) => void): () => void {
    this.rt.listeners.add(listener);
    return () => this.rt.listeners.delete(listener);
  }

  /**
   * Stops timers and watchers and lets go of child processes: attempts keep running and a later
   * runtime adopts them. Pending operations finish first; no events are emitted afterwards.
   */
  async close(): Promise<void> {
    if (this.rt.closed) return;
    this.rt.closed = true;
    this.rt.abort.abort();
    await Promise.allSettled([...this.rt.queues.values()]);
    this.rt.stopTicker();
    for (const t of this.rt.tracked.values()) {
      t.watcher?.close();
      t.watcher = undefined;
      t.child?.removeAllListeners('exit');
      t.child?.unref();
    }
    await Promise.allSettled([...this.rt.background]);
    await Promise.allSettled([...this.rt.tracked.values()].map((t) => t.tail.close()));
    this.rt.tracked.clear();
    this.rt.strays.clear();
    this.rt.ended.clear();
    this.rt.listeners.clear();
    await this.rt.trash.flush();
    await this.rt.spawner?.close();
  }
}
