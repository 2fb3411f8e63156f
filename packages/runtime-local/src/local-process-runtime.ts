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
// <stateDir>/workspaces/<runId>/                   shared by the run's tasks when asked for
// <stateDir>/trash/                                released folders, emptied in bulk (trash.ts)
import type { ChildProcess } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';
import { chown, mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { KontrolerError, messageOf } from '@kontroler/core';
import type { AttemptKey, AttemptObservation, AttemptSpec, RuntimeEvent, TaskRuntime } from '@kontroler/engine';
import { claimFailed, isErrno, readExit, readKill, readPid, writeKill } from './attempt-files.js';
import { attemptEnv, invocation, pickInherited, type Env } from './environment.js';
import { inspectAttempt, listAttemptDirs, type AttemptOnDisk } from './inspect.js';
import { LogTail } from './log-tail.js';
import { outcomeOf, type Outcome } from './outcome.js';
import { FILES, attemptDir, describeKey, runAttemptsDir, workspaceDir } from './paths.js';
import { PRIVATE_DIR, PRIVATE_FILE } from './private-modes.js';
import { isSameProcess, pidExists, signalGroup } from './proc.js';
import { Spawner, SpawnerLost, type Forked, type SpawnLaunch } from './spawner.js';
import { spawnSupervisor, type SupervisorLaunch } from './supervisor.js';
import { asTaskUser, ensureSearchable, taskUserEnv, type TaskUser } from './task-user.js';
import { Trash } from './trash.js';

export interface LocalProcessRuntimeOptions {
  /** Folder for attempts and workspaces; one per machine (or per `kontroler up` data dir). */
  readonly stateDir: string;
  /** Where its attempts live, for `TaskRuntime.host`. Default `<hostname>:<absolute stateDir>`. */
  readonly host?: string;
  /** Epoch ms; deadlines, kill times and event timestamps use it. Default Date.now. */
  readonly clock?: () => number;
  /** Time between SIGTERM and SIGKILL when stopping an attempt. Default 5000 ms. */
  readonly killGraceMs?: number;
  /** Operational messages (never carries parameter values). Default: dropped. */
  readonly log?: (msg: string) => void;
  /** What attempts inherit besides their own variables. Default: PATH, HOME, LANG, TZ of this process. */
  readonly inheritedEnv?: Readonly<Record<string, string>>;
  /** How long an adopter waits for a supervisor that was spawned but has not recorded itself yet. Default 3000 ms. */
  readonly spawnGraceMs?: number;
  /** Poll period: adopted processes' liveness, deadlines, kill escalation, log reads without a file watcher. Default 100 ms. */
  readonly pollMs?: number;
  /**
   * Fork supervisors through a long-lived bash co-process (default true, or the path of the bash
   * to use, 4.2 or later) instead of from this process, whose every fork blocks its event loop
   * for milliseconds. Falls back to spawning directly when bash is missing or will not start.
   */
  readonly spawner?: boolean | string;
  /**
   * Run each attempt's command as this (unprivileged) user (KONTROLER_TASK_USER; see
   * task-user.ts). Needs this process to run as root. Default: the user that runs Kontroler.
   */
  readonly taskUser?: TaskUser;
}

/** An attempt this runtime is watching until it ends. */
interface Tracked {
  readonly key: AttemptKey;
  readonly dir: string;
  /** The supervisor: leader of the attempt's process group. */
  readonly pid: number;
  /** From the supervisor's pid record; for attempts we started, read when first needed. */
  startTime: string | undefined;
  readonly startedAt: number;
  readonly deadlineAt: number | undefined;
  /** We started it (no other runtime had a chance to ask it to stop before we did). */
  readonly own: boolean;
  /** Forked by the spawner: true while the spawner that reaps it lives (kill(pid, 0) then suffices). */
  readonly reaped: (() => boolean) | undefined;
  /**
   * Set when we spawned it directly (fallback): its exit event tells us at once. Otherwise the
   * watcher reports its exit file, and polling covers the rest.
   */
  readonly child: ChildProcess | undefined;
  readonly tail: LogTail;
  watcher: FSWatcher | undefined;
  /** A kill is in progress: SIGKILL the group at this time. */
  killAt: number | undefined;
  killRequested: boolean;
  checking: boolean;
  /** Something changed while a check was running: check again right after it. */
  recheck: boolean;
  ending: boolean;
}

/** A folder watch set up before its attempt is tracked, so an early exit is not missed. */
interface EarlyWatch {
  watcher: FSWatcher | undefined;
  target: Tracked | undefined;
  exitSeen: boolean;
  logSeen: boolean;
}

/** Bound of the ended and parents sets (they only save file system calls). */
const MAX_REMEMBERED = 10_000;

/** An attempt we were asked to kill without watching it: only the SIGKILL escalation is ours. */
interface Stray {
  readonly pid: number;
  readonly startTime: string | undefined;
  readonly killAt: number;
}

/** With a file watcher, still read logs and check adopted attempts fully every this many polls, in case an event was lost. */
const SAFETY_READ_EVERY = 10;

function keyOf(k: AttemptKey): AttemptKey {
  // Never pass the spec itself along: it carries parameter values.
  return { runId: k.runId, task: k.task, attempt: k.attempt };
}

/** Runs each task attempt as a local process; see the file comment for the layout. */
export class LocalProcessRuntime implements TaskRuntime {
  readonly name = 'local';
  /** Attempts are visible only on this machine, in this state folder: `<hostname>:<stateDir>`. */
  readonly host: string;
  private readonly stateDir: string;
  private readonly clock: () => number;
  private readonly killGraceMs: number;
  private readonly log: (msg: string) => void;
  private readonly inheritedEnv: Readonly<Env>;
  private readonly spawnGraceMs: number;
  private readonly taskUser: TaskUser | undefined;
  /** Set once the folders above the workspaces can be searched by the task user. */
  private searchable: Promise<void> | undefined;
  private readonly pollMs: number;
  private readonly listeners = new Set<(ev: RuntimeEvent) => void>();
  private readonly tracked = new Map<string, Tracked>();
  private readonly strays = new Map<string, Stray>();
  /** Attempt folders whose `exited` this runtime emitted: release skips the disk inspection. */
  private readonly ended = new Set<string>();
  /** Task folders known to exist: an attempt's exclusive mkdir needs no parent mkdir first. */
  private readonly parents = new Set<string>();
  private readonly spawner: Spawner | undefined;
  private readonly trash: Trash;
  /** Per attempt folder: the last queued operation, so start/adopt/kill/release of one attempt run one at a time. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly background = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private ticker: NodeJS.Timeout | undefined;
  private ticks = 0;
  private closed = false;

  constructor(opts: LocalProcessRuntimeOptions) {
    this.stateDir = resolve(opts.stateDir);
    this.host = opts.host ?? `${hostname()}:${this.stateDir}`;
    this.clock = opts.clock ?? Date.now;
    this.killGraceMs = opts.killGraceMs ?? 5000;
    this.log = opts.log ?? (() => {});
    // Like spawn's default of inheriting process.env, but only the basics: no secrets leak in.
    this.inheritedEnv = opts.inheritedEnv ?? pickInherited(process.env);
    this.spawnGraceMs = opts.spawnGraceMs ?? 3000;
    this.taskUser = opts.taskUser;
    this.pollMs = opts.pollMs ?? 100;
    this.spawner =
      opts.spawner === false
        ? undefined
        : new Spawner({ inheritedEnv: this.inheritedEnv, log: this.log, ...(typeof opts.spawner === 'string' ? { bash: opts.spawner } : {}) });
    this.trash = new Trash({
      dir: join(this.stateDir, 'trash'),
      removeInBackground: async (paths) => (await this.spawner?.removeAll(paths)) ?? false,
      log: this.log,
    });
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
    this.assertOpen();
    const dir = attemptDir(this.stateDir, spec);
    await this.serial(dir, () => this.startNow(spec, dir));
  }

  /**
   * Watches an attempt again: emits `started`, the log from `logOffset`, and `exited` if it has
   * ended (also when it ended while no runtime was alive), then resolves with what it sees.
   * An attempt already watched by this instance keeps its current log position.
   */
  async adopt(key: AttemptKey, logOffset: number): Promise<AttemptObservation> {
    this.assertOpen();
    const dir = attemptDir(this.stateDir, key);
    return this.serial(dir, () => this.adoptNow(key, dir, logOffset));
  }

  /**
   * SIGTERM to the attempt's process group, SIGKILL after killGraceMs; its `exited` event then
   * carries `reason` (recorded on disk, so an adopter reports it too; the first reason wins).
   * Idempotent: an ended, unknown or already stopping attempt is left alone.
   */
  async kill(key: AttemptKey, reason: string): Promise<void> {
    this.assertOpen();
    const dir = attemptDir(this.stateDir, key);
    await this.serial(dir, () => this.killNow(dir, reason));
  }

  /** Removes the attempt folder. Idempotent. Throws INVALID_STATE while the attempt still runs. */
  async release(key: AttemptKey): Promise<void> {
    this.assertOpen();
    const dir = attemptDir(this.stateDir, key);
    await this.serial(dir, async () => {
      if (this.tracked.has(dir)) throw this.stillRunning(describeKey(key));
      if (!this.ended.delete(dir) && (await this.inspect(dir)).state === 'running') throw this.stillRunning(describeKey(key));
      this.strays.delete(dir);
      await this.trash.discard(dir);
    });
  }

  /** Removes the run's workspace and attempt folders. Idempotent. Throws INVALID_STATE while one of its attempts runs. */
  async releaseRun(runId: string): Promise<void> {
    this.assertOpen();
    const runDir = runAttemptsDir(this.stateDir, runId);
    for (const t of this.tracked.values()) {
      if (t.key.runId === runId) throw this.stillRunning(describeKey(t.key));
    }
    for (const dir of await listAttemptDirs(runDir)) {
      if (!this.ended.has(dir) && (await this.inspect(dir)).state === 'running') throw this.stillRunning(dir);
    }
    for (const dir of this.strays.keys()) if (dir.startsWith(runDir + '/')) this.strays.delete(dir);
    for (const dir of this.ended) if (dir.startsWith(runDir + '/')) this.ended.delete(dir);
    for (const dir of this.parents) if (dir.startsWith(runDir + '/')) this.parents.delete(dir);
    await this.trash.discard(runDir);
    await this.trash.discard(workspaceDir(this.stateDir, runId));
  }

  subscribe(listener: (ev: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Stops timers and watchers and lets go of child processes: attempts keep running and a later
   * runtime adopts them. Pending operations finish first; no events are emitted afterwards.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    await Promise.allSettled([...this.queues.values()]);
    this.stopTicker();
    for (const t of this.tracked.values()) {
      t.watcher?.close();
      t.watcher = undefined;
      t.child?.removeAllListeners('exit');
      t.child?.unref();
    }
    await Promise.allSettled([...this.background]);
    await Promise.allSettled([...this.tracked.values()].map((t) => t.tail.close()));
    this.tracked.clear();
    this.strays.clear();
    this.ended.clear();
    this.listeners.clear();
    await this.trash.flush();
    await this.spawner?.close();
  }

  // --- start ------------------------------------------------------------------------------

  private async startNow(spec: AttemptSpec, dir: string): Promise<void> {
    if (this.tracked.has(dir)) return;
    const workspace = spec.workspace === true ? workspaceDir(this.stateDir, spec.runId) : undefined;
    const vars = attemptEnv(spec, workspace);
    const inv = invocation(spec, vars);
    if (!(await this.createAttemptDir(dir))) {
      this.log(`local runtime: attempt ${describeKey(spec)} exists already: adopting it instead of starting it again`);
      await this.adoptNow(spec, dir, 0);
      return;
    }
    const now = this.clock();
    if (spec.deadlineAt !== undefined && spec.deadlineAt <= now) {
      // Already too late: record it without running anything.
      await claimFailed(dir, 'DeadlineExceeded');
      await this.adoptNow(spec, dir, 0);
      return;
    }
    const cwd = workspace ?? join(dir, FILES.work);
    // Watch first: a short command may write its exit file before we know its pid.
    const early = this.watchEarly(dir);
    try {
      await mkdir(cwd, { recursive: true, mode: PRIVATE_DIR });
      if (this.taskUser) await this.handOver(cwd, workspace !== undefined);
    } catch (e) {
      early.watcher?.close();
      return this.failStart(spec, dir, `StartError: cannot create the working folder ${cwd}: ${messageOf(e)}`, e);
    }
    const fields = { key: keyOf(spec), dir, startTime: undefined, startedAt: now, deadlineAt: spec.deadlineAt, own: true, reaped: undefined };
    const launch = {
      dir,
      startedAt: now,
      deadlineAt: spec.deadlineAt,
      banner: inv.banner,
      argv: this.taskUser ? asTaskUser(this.taskUser, inv.argv) : inv.argv,
      cwd,
      env: { ...this.inheritedEnv, ...(this.taskUser ? taskUserEnv(this.taskUser) : {}), ...vars },
    };
    const request = {
      ...launch,
      logPath: join(dir, FILES.log),
      pidPath: join(dir, FILES.pid),
      meta: `${now} ${spec.deadlineAt ?? '-'}`,
    };
    let forked: Forked | undefined;
    try {
      forked = await this.spawner?.spawn(request);
    } catch (e) {
      if (!(e instanceof SpawnerLost)) throw e;
      if (e.maybeSpawned) return this.startAgain(spec, dir, early, launch, request);
      this.log(`local runtime: ${e.message}: spawning ${describeKey(spec)} directly`);
    }
    if (forked !== undefined) {
      // The supervisor's shell creates the log (appending); our tail opens it when it appears.
      const t = this.track({ ...fields, pid: forked.pid, reaped: forked.reaped, child: undefined }, 0, undefined, early);
      this.emit({ type: 'started', key: t.key, handle: String(forked.pid), at: now });
      return;
    }
    // No spawner: fork the supervisor ourselves, its stdout and stderr the log we read through.
    let logFile: FileHandle;
    try {
      logFile = await open(join(dir, FILES.log), 'wx+', PRIVATE_FILE);
    } catch (e) {
      early.watcher?.close();
      return this.failStart(spec, dir, `StartError: cannot create the log: ${messageOf(e)}`, e);
    }
    let child: ChildProcess;
    try {
      child = spawnSupervisor({ ...launch, logFd: logFile.fd });
    } catch (e) {
      early.watcher?.close();
      await logFile.close();
      return this.failStart(spec, dir, `StartError: ${messageOf(e)}`, e);
    }
    const childPid = child.pid;
    if (childPid === undefined) {
      early.watcher?.close();
      const err = await new Promise<Error>((res) => child.once('error', res));
      await logFile.close();
      return this.failStart(spec, dir, `StartError: cannot run /bin/sh: ${err.message}`, err);
    }
    child.on('error', (e) => this.log(`local runtime: attempt ${describeKey(spec)}: ${e.message}`));
    const t = this.track({ ...fields, pid: childPid, child }, 0, logFile, early);
    child.once('exit', (status) => {
      // Nothing of an ended attempt may outlive it (as in a pod): kill what is left of its group.
      signalGroup(childPid, 'SIGKILL');
      this.finish(t, status);
    });
    this.emit({ type: 'started', key: t.key, handle: String(childPid), at: now });
  }

  /**
   * The spawner died with our request unanswered: a supervisor may be starting, or not. Ask again;
   * of two supervisors the first to record itself runs and the other one quits (the exclusive
   * create of `pid`), so we then watch whichever recorded itself, as an adopter does.
   */
  private async startAgain(
    spec: AttemptSpec,
    dir: string,
    early: EarlyWatch,
    launch: Omit<SupervisorLaunch, 'logFd'>,
    request: SpawnLaunch,
  ): Promise<void> {
    this.log(`local runtime: the spawner died while starting ${describeKey(spec)}: starting it again (it still runs once)`);
    early.watcher?.close();
    const again = await this.spawner?.spawn(request).catch(() => undefined);
    if (again === undefined) await this.spawnDetached(spec, launch);
    await this.adoptNow(spec, dir, 0);
  }

  /** A supervisor we do not watch as our child (an adopter watches it): after a spawner failure. */
  private async spawnDetached(spec: AttemptSpec, launch: Omit<SupervisorLaunch, 'logFd'>): Promise<void> {
    let fh: FileHandle | undefined;
    try {
      fh = await open(join(launch.dir, FILES.log), 'a', PRIVATE_FILE);
      const child = spawnSupervisor({ ...launch, logFd: fh.fd });
      child.on('error', (e) => this.log(`local runtime: attempt ${describeKey(spec)}: ${e.message}`));
      child.unref();
    } catch (e) {
      this.log(`local runtime: cannot start ${describeKey(spec)} again: ${messageOf(e)}`);
    } finally {
      await fh?.close();
    }
  }

  /**
   * Gives the task user its working folder (it owns it; the attempt folder around it stays ours).
   * A run's workspace must also be reachable by its absolute path (KONTROLER_WORKSPACE).
   */
  private async handOver(cwd: string, isWorkspace: boolean): Promise<void> {
    const user = this.taskUser;
    if (!user) return;
    await chown(cwd, user.uid, user.gid);
    if (isWorkspace) await (this.searchable ??= ensureSearchable(dirname(cwd), this.log));
  }

  /** The exclusive mkdir that makes an attempt ours to start; false when it exists already. */
  private async createAttemptDir(dir: string): Promise<boolean> {
    const parent = dirname(dir);
    // A task folder made earlier is usually still there: then one mkdir is all it takes.
    if (!this.parents.has(parent)) await this.createParent(parent);
    for (let tries = 0; ; tries++) {
      try {
        await mkdir(dir, PRIVATE_DIR);
        return true;
      } catch (e) {
        if (isErrno(e, 'EEXIST')) return false;
        if (!isErrno(e, 'ENOENT') || tries > 0) {
          throw new KontrolerError(
            'UNAVAILABLE',
            `cannot create the attempt folder ${dir}: ${messageOf(e)}; check that the state folder ${this.stateDir} is writable`,
            { cause: e, retryable: true },
          );
        }
      }
      await this.createParent(parent); // released meanwhile
    }
  }

  private async createParent(parent: string): Promise<void> {
    try {
      await mkdir(parent, { recursive: true, mode: PRIVATE_DIR });
    } catch (e) {
      throw new KontrolerError(
        'UNAVAILABLE',
        `cannot create ${parent}: ${messageOf(e)}; check that the state folder ${this.stateDir} is writable`,
        { cause: e, retryable: true },
      );
    }
    if (this.parents.size >= MAX_REMEMBERED) this.parents.clear();
    this.parents.add(parent);
  }

  /** Records why the attempt never ran (so a later start or adopt reports it) and throws. */
  private async failStart(key: AttemptKey, dir: string, reason: string, cause: unknown): Promise<never> {
    try {
      await claimFailed(dir, reason);
    } catch (e) {
      this.log(`local runtime: cannot record the failed start of ${describeKey(key)}: ${messageOf(e)}`);
    }
    throw new KontrolerError(
      'UNAVAILABLE',
      `the local runtime could not start attempt ${describeKey(key)} (${reason}); the attempt is recorded as failed: check the state folder ${this.stateDir} and that /bin/sh works`,
      { cause },
    );
  }

  // --- adopt ------------------------------------------------------------------------------

  private async adoptNow(key: AttemptKey, dir: string, logOffset: number): Promise<AttemptObservation> {
    const known = this.tracked.get(dir);
    if (known !== undefined) return { state: 'running', handle: String(known.pid), startedAt: known.startedAt };
    const seen = await this.inspect(dir);
    const k = keyOf(key);
    switch (seen.state) {
      case 'absent':
        return { state: 'unknown' };
      case 'never-ran': {
        const at = seen.at ?? this.clock();
        this.emit({ type: 'exited', key: k, at, reason: seen.reason });
        return { state: 'exited', handle: '', finishedAt: at, reason: seen.reason };
      }
      case 'running': {
        const { rec } = seen;
        const t = this.track(
          { key: k, dir, pid: rec.pid, startTime: rec.startTime, startedAt: rec.startedAt, deadlineAt: rec.deadlineAt, own: false, reaped: undefined, child: undefined },
          logOffset,
        );
        this.emit({ type: 'started', key: k, handle: String(rec.pid), at: rec.startedAt });
        const kill = await readKill(dir);
        if (kill !== undefined) {
          // A controller that died mid-kill cannot send the SIGKILL: we do, on its schedule.
          t.killRequested = true;
          t.killAt = kill.at + this.killGraceMs;
        }
        return { state: 'running', handle: String(rec.pid), startedAt: rec.startedAt };
      }
      case 'ended': {
        // Maybe while no runtime was alive: tell it all now, the log before `exited`.
        const { rec, outcome } = seen;
        const finishedAt = seen.finishedAt ?? this.clock();
        this.emit({ type: 'started', key: k, handle: String(rec.pid), at: rec.startedAt });
        const tail = new LogTail(join(dir, FILES.log), logOffset, this.logSink(k), this.logError(k));
        await tail.drain();
        await tail.close();
        this.emit({ type: 'exited', key: k, at: finishedAt, ...outcome });
        return { state: 'exited', handle: String(rec.pid), startedAt: rec.startedAt, finishedAt, ...outcome };
      }
    }
  }

  private async inspect(dir: string): Promise<AttemptOnDisk> {
    try {
      return await inspectAttempt(dir, { spawnGraceMs: this.spawnGraceMs, signal: this.abort.signal, log: this.log });
    } catch (e) {
      if (!this.abort.signal.aborted) throw e;
      throw new KontrolerError('UNAVAILABLE', 'the local runtime was closed while looking at an attempt: adopt it with a new runtime', { cause: e });
    }
  }

  // --- watching ---------------------------------------------------------------------------

  private track(
    fields: Pick<Tracked, 'key' | 'dir' | 'pid' | 'startTime' | 'startedAt' | 'deadlineAt' | 'own' | 'reaped' | 'child'>,
    logOffset: number,
    logFile?: FileHandle,
    early?: EarlyWatch,
  ): Tracked {
    const t: Tracked = {
      ...fields,
      tail: new LogTail(join(fields.dir, FILES.log), logOffset, this.logSink(fields.key), this.logError(fields.key), logFile),
      watcher: undefined,
      killAt: undefined,
      killRequested: false,
      checking: false,
      recheck: false,
      ending: false,
    };
    const w = early ?? this.watchEarly(fields.dir);
    w.target = t;
    t.watcher = w.watcher;
    this.tracked.set(fields.dir, t);
    this.ensureTicker();
    // Output or an exit that came before we knew the pid (or before we watched).
    if (early === undefined || w.logSeen || w.watcher === undefined) t.tail.poke();
    if (early !== undefined && (w.exitSeen || w.watcher === undefined) && t.child === undefined) this.checkAdopted(t);
    return t;
  }

  /** One inotify watch on the folder sees both log writes and the exit file appearing. */
  private watchEarly(dir: string): EarlyWatch {
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
        if ((filename === FILES.exit || filename === null) && t.child === undefined) this.checkAdopted(t);
      });
      w.on('error', (e) => {
        this.log(`local runtime: watching ${dir} failed (${e.message}): polling it instead`);
        w.close();
        ew.watcher = undefined;
        if (ew.target !== undefined) ew.target.watcher = undefined;
      });
      ew.watcher = w;
    } catch (e) {
      this.log(`local runtime: cannot watch ${dir} (${messageOf(e)}): polling it instead`);
    }
    return ew;
  }

  private tick(): void {
    this.ticks++;
    const now = this.clock();
    for (const t of this.tracked.values()) {
      if (t.ending) continue;
      if (t.watcher === undefined || this.ticks % SAFETY_READ_EVERY === 0) t.tail.poke();
      if (t.deadlineAt !== undefined && now >= t.deadlineAt && !t.killRequested) {
        this.runInBackground(this.killTracked(t, 'DeadlineExceeded'));
      }
      if (t.killAt !== undefined && now >= t.killAt) {
        t.killAt = undefined;
        this.runInBackground(this.signal(t, 'SIGKILL'));
      }
      // Adopted: the watcher reports the exit file; polling covers a supervisor that vanished
      // without one (kill(pid, 0) every tick, the full check with start time now and then).
      if (t.child === undefined && (t.watcher === undefined || this.ticks % SAFETY_READ_EVERY === 0 || !pidExists(t.pid))) {
        this.checkAdopted(t);
      }
    }
    for (const [dir, s] of this.strays) {
      if (now < s.killAt) continue;
      this.strays.delete(dir);
      this.runInBackground(
        isSameProcess(s.pid, s.startTime).then((alive) => {
          if (alive) signalGroup(s.pid, 'SIGKILL');
        }),
      );
    }
    this.stopTickerIfIdle();
  }

  /**
   * An attempt not spawned as our child (adopted, or forked by the spawner) ended when its exit
   * file exists or its supervisor is gone. Checks coalesce: a change during a check causes exactly
   * one more (the exit file appears empty, then gets its line).
   */
  private checkAdopted(t: Tracked): void {
    if (t.ending) return;
    if (t.checking) {
      t.recheck = true;
      return;
    }
    t.checking = true;
    this.runInBackground(
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
              this.finish(t, exit, true);
              return;
            }
            if (!(await this.stillRuns(t))) {
              this.finish(t);
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
  private async stillRuns(t: Tracked): Promise<boolean> {
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
  private finish(t: Tracked, status?: number | null, fromFile = false): void {
    if (t.ending) return;
    t.ending = true;
    t.watcher?.close();
    t.watcher = undefined;
    this.runInBackground(
      (async () => {
        let outcome: Outcome;
        try {
          // In parallel: on a chain of short tasks this latency is the per-hop overhead.
          [, outcome] = await Promise.all([t.tail.drain(), this.outcomeFromDisk(t, status, fromFile)]);
        } catch (e) {
          this.log(`local runtime: cannot read how ${describeKey(t.key)} ended: ${messageOf(e)}; reporting it Lost`);
          outcome = { reason: 'Lost' };
        }
        this.tracked.delete(t.dir);
        this.ended.add(t.dir);
        if (this.ended.size > MAX_REMEMBERED) this.ended.delete(this.ended.values().next().value as string);
        this.stopTickerIfIdle();
        this.emit({ type: 'exited', key: t.key, at: this.clock(), ...outcome });
        await t.tail.close();
      })(),
    );
  }

  /**
   * A command that exited by itself in a supervisor we started needs no more file reads: its
   * status is the supervisor's. Otherwise (killed, signalled, adopted, never ran) the files tell.
   */
  private async outcomeFromDisk(t: Tracked, status: number | null | undefined, fromFile: boolean): Promise<Outcome> {
    if (typeof status === 'number' && status <= 128 && !t.killRequested && t.own) return outcomeOf(status, undefined, undefined);
    if (fromFile && typeof status === 'number') return outcomeOf(status, await readKill(t.dir), undefined);
    const [exit, kill] = await Promise.all([readExit(t.dir), readKill(t.dir)]);
    return outcomeOf(exit, kill, exit === undefined ? await readPid(t.dir) : undefined);
  }

  // --- kill -------------------------------------------------------------------------------

  private async killNow(dir: string, reason: string): Promise<void> {
    const t = this.tracked.get(dir);
    if (t !== undefined) return this.killTracked(t, reason);
    // Not watched by us (another runtime's, or not adopted yet): stop it all the same.
    const rec = await readPid(dir);
    if (rec?.kind !== 'started' || (await readExit(dir)) !== undefined) return;
    if (!(await isSameProcess(rec.pid, rec.startTime))) return;
    await writeKill(dir, { at: this.clock(), reason });
    signalGroup(rec.pid, 'SIGTERM');
    this.strays.set(dir, { pid: rec.pid, startTime: rec.startTime, killAt: this.clock() + this.killGraceMs });
    this.ensureTicker();
  }

  private async killTracked(t: Tracked, reason: string): Promise<void> {
    if (t.ending || t.killRequested) return;
    t.killRequested = true;
    await writeKill(t.dir, { at: this.clock(), reason });
    if (t.ending) return;
    t.killAt = this.clock() + this.killGraceMs;
    await this.signal(t, 'SIGTERM');
  }

  /** Signals the attempt's process group, unless its supervisor is provably gone (pid reuse). */
  private async signal(t: Tracked, sig: NodeJS.Signals): Promise<void> {
    if (t.child !== undefined) {
      if (t.child.exitCode === null && t.child.signalCode === null) signalGroup(t.pid, sig);
      return;
    }
    if (await isSameProcess(t.pid, t.startTime)) signalGroup(t.pid, sig);
  }

  // --- plumbing ---------------------------------------------------------------------------

  private stillRunning(what: string): KontrolerError {
    return new KontrolerError(
      'INVALID_STATE',
      `attempt ${what} is still running in the local runtime: kill it and wait for its exited event before releasing it`,
    );
  }

  private serial<T>(dir: string, op: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(dir) ?? Promise.resolve();
    const next = prev.then(op);
    const done = next.then(
      () => {},
      () => {},
    );
    this.queues.set(dir, done);
    void done.then(() => {
      if (this.queues.get(dir) === done) this.queues.delete(dir);
    });
    return next;
  }

  private runInBackground(p: Promise<void>): void {
    const guarded = p.catch((e: unknown) => this.log(`local runtime: ${messageOf(e)}`));
    this.background.add(guarded);
    void guarded.then(() => this.background.delete(guarded));
  }

  private logSink(key: AttemptKey): (offset: number, data: Uint8Array) => void {
    return (offset, data) => this.emit({ type: 'log', key, offset, data });
  }

  private logError(key: AttemptKey): (e: unknown) => void {
    return (e) => this.log(`local runtime: reading the log of ${describeKey(key)} failed: ${messageOf(e)}; will retry`);
  }

  private emit(ev: RuntimeEvent): void {
    if (this.closed) return;
    for (const listener of this.listeners) {
      try {
        listener(ev);
      } catch (e) {
        this.log(`local runtime: an event listener threw on ${ev.type}: ${messageOf(e)}`);
      }
    }
  }

  private ensureTicker(): void {
    if (this.ticker === undefined && !this.closed) this.ticker = setInterval(() => this.tick(), this.pollMs);
  }

  private stopTickerIfIdle(): void {
    if (this.tracked.size === 0 && this.strays.size === 0) this.stopTicker();
  }

  private stopTicker(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new KontrolerError('INVALID_STATE', 'this LocalProcessRuntime is closed: create a new one on the same stateDir to adopt its attempts');
    }
  }
}
