// What the local runtime's parts share (launch.ts, watch.ts, kill.ts; the LocalProcessRuntime in
// local-process-runtime.ts is their front): its settings, the attempts it watches, and the plumbing
// (one operation per attempt folder at a time, background work, events, the poll ticker).
import type { ChildProcess } from 'node:child_process';
import type { FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { KontrolerError, messageOf } from '@kontroler/core';
import type { AttemptKey } from '@kontroler/engine';
import { pickInherited, type Env } from './environment.js';
import { inspectAttempt, type AttemptOnDisk } from './inspect.js';
import type { LogTail } from './log-tail.js';
import { describeKey } from './paths.js';
import { Spawner } from './spawner.js';
import type { TaskUser } from './task-user.js';
import { Trash } from './trash.js';
import { RuntimePlumbing } from './runtime-plumbing.js';

export interface LocalProcessRuntimeOptions {
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
export interface Tracked {
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
  /** The declared output names (from the spec when we started it); undefined: read them from its folder. */
  readonly declared: readonly string[] | undefined;
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
export interface EarlyWatch {
  watcher: FSWatcher | undefined;
  target: Tracked | undefined;
  exitSeen: boolean;
  logSeen: boolean;
}

/** Bound of the ended and parents sets (they only save file system calls). */
export const MAX_REMEMBERED = 10_000;

/** An attempt we were asked to kill without watching it: only the SIGKILL escalation is ours. */
export interface Stray {
  readonly pid: number;
  readonly startTime: string | undefined;
  readonly killAt: number;
}

/** With a file watcher, still read logs and check adopted attempts fully every this many polls, in case an event was lost. */
export const SAFETY_READ_EVERY = 10;

export function keyOf(k: AttemptKey): AttemptKey {
  // Never pass the spec itself along: it carries parameter values.
  return { runId: k.runId, task: k.task, attempt: k.attempt };
}

/**
 * The state and plumbing of one LocalProcessRuntime, shared by its launch, watch and kill parts.
 * `tick` is the poll (watch.ts), passed in so this file depends on none of them.
 */
export class RuntimeState extends RuntimePlumbing {
  /** Attempts are visible only on this machine, in this state folder: `<hostname>:<stateDir>`. */
  readonly host: string;
  readonly stateDir: string;
  readonly clock: () => number;
  readonly killGraceMs: number;
  readonly inheritedEnv: Readonly<Env>;
  readonly spawnGraceMs: number;
  readonly taskUser: TaskUser | undefined;
  /** Set once the folders above the workspaces can be searched by the task user. */
  searchable: Promise<void> | undefined;
  readonly pollMs: number;
  readonly tracked = new Map<string, Tracked>();
  readonly strays = new Map<string, Stray>();
  /** Attempt folders whose `exited` this runtime emitted: release skips the disk inspection. */
  readonly ended = new Set<string>();
  /** Task folders known to exist: an attempt's exclusive mkdir needs no parent mkdir first. */
  readonly parents = new Set<string>();
  readonly spawner: Spawner | undefined;
  readonly trash: Trash;
  /** Per attempt folder: the last queued operation, so start/adopt/kill/release of one attempt run one at a time. */
  readonly abort = new AbortController();
  private ticker: NodeJS.Timeout | undefined;
  ticks = 0;

  constructor(
    opts: LocalProcessRuntimeOptions,
    private readonly tick: () => void,
  ) {
    super('local runtime', opts.log ?? (() => {}));
    this.stateDir = resolve(opts.stateDir);
    this.host = opts.host ?? `${hostname()}:${this.stateDir}`;
    this.clock = opts.clock ?? Date.now;
    this.killGraceMs = opts.killGraceMs ?? 5000;
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

  async inspect(dir: string): Promise<AttemptOnDisk> {
    try {
      return await inspectAttempt(dir, { spawnGraceMs: this.spawnGraceMs, signal: this.abort.signal, log: this.log });
    } catch (e) {
      if (!this.abort.signal.aborted) throw e;
      throw new KontrolerError('UNAVAILABLE', 'the local runtime was closed while looking at an attempt: adopt it with a new runtime', { cause: e });
    }
  }

  stillRunning(what: string): KontrolerError {
    return new KontrolerError(
      'INVALID_STATE',
      `attempt ${what} is still running in the local runtime: kill it and wait for its exited event before releasing it`,
    );
  }

  logSink(key: AttemptKey): (offset: number, data: Uint8Array) => void {
    return (offset, data) => this.emit({ type: 'log', key, offset, data });
  }

  logError(key: AttemptKey): (e: unknown) => void {
    return (e) => this.log(`local runtime: reading the log of ${describeKey(key)} failed: ${messageOf(e)}; will retry`);
  }

  ensureTicker(): void {
    if (this.ticker === undefined && !this.closed) this.ticker = setInterval(this.tick, this.pollMs);
  }

  stopTickerIfIdle(): void {
    if (this.tracked.size === 0 && this.strays.size === 0) this.stopTicker();
  }

  stopTicker(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  assertOpen(): void {
    if (this.closed) {
      throw new KontrolerError('INVALID_STATE', 'this LocalProcessRuntime is closed: create a new one on the same stateDir to adopt its attempts');
    }
  }
}
