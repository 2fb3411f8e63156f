// The controller process: claims runs from the store, drives each with a RunActor, routes runtime
// events to them, keeps leases alive, and wakes up on NOTIFY (polling as the fallback).
import type { RuntimeEvent, TaskRuntime } from '@kontroler/engine';
import type { ControllerIdLock, Listener, PoolLike } from '@kontroler/store';
import { DefinitionCache, LOGS_CHANNEL, RUNS_CHANNEL, claimRuns, countWaitingRuns, getRun, listen, loadRun, releaseRuns, renewLeases } from '@kontroler/store';
import type { ControllerMetrics } from './metrics.js';
import type { SecretResolver } from './attempt-spec.js';
import type { ControllerLog } from './log.js';
import { HoldBack } from './hold-back.js';
import type { LogLimits } from './log-shaper.js';
import { LogWriter } from './log-writer.js';
import { RunActor } from './run-actor.js';
import { LARGE_RUN_TASKS, estimateRunBytes, mib, type RunMemory } from './run-memory.js';

export interface ControllerOptions {
  readonly pool: PoolLike;
  /** For LISTEN/NOTIFY (a dedicated connection). */
  readonly databaseUrl: string;
  readonly runtime: TaskRuntime;
  /** Unique among live controllers on this database; a restarted controller may reuse its id. */
  readonly id: string;
  readonly log: ControllerLog;
  readonly secrets: SecretResolver;
  readonly now?: () => number;
  readonly leaseMs?: number;
  readonly pollMs?: number;
  /** Most runs this controller drives at once. */
  readonly maxRuns?: number;
  /** Most attempts of one run running at once. */
  readonly maxRunningPerRun?: number;
  /** Claim only runs in these namespaces (a shard's; read at every claim); undefined = all. */
  readonly namespaces?: () => readonly string[] | undefined;
  /**
   * Where this controller's attempts live (default: the runtime's `host`). Runs whose attempts are
   * active on another host are never taken over (see `claimRuns`). Tests set it to act as a
   * second machine.
   */
  readonly host?: string;
  /**
   * The lock on `id` (`holdControllerId`). While it is lost no run is claimed; once another
   * process has taken the id this controller stops driving runs (without releasing leases, which
   * are that process's now). Without it, nothing guards the id.
   */
  readonly idLock?: ControllerIdLock;
  /** Caps of stored attempt logs (default: 64 MiB, lines of 64 KiB). */
  readonly logLimits?: LogLimits;
  /** Counts runs, attempts, claims and decisions into these metrics (and serves its gauges from them). */
  readonly metrics?: ControllerMetrics;
}

export class Controller {
  private readonly actors = new Map<number, RunActor>();
  private readonly logs: LogWriter;
  private readonly now: () => number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private listener: Listener | undefined;
  private unsubscribe: (() => void) | undefined;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private renewTimer: ReturnType<typeof setInterval> | undefined;
  private claiming: Promise<void> | undefined;
  private claimAgain = false;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  /** Claims are paused (the controller id's lock is lost; see `pauseClaims`). */
  private claimsPaused = false;
  private readonly heldBack = new HoldBack();
  /** Another process holds our id: never release "our" leases, they are its. */
  private idTaken = false;
  private unwatchLock: (() => void) | undefined;
  private readonly ended = new Set<(runId: number) => void>();
  /** Parsed definitions by version, shared by the runs of one version (bounded LRU). */
  private readonly definitions = new DefinitionCache();

  constructor(private readonly o: ControllerOptions) {
    this.now = o.now ?? Date.now;
    this.leaseMs = o.leaseMs ?? 15_000;
    this.pollMs = o.pollMs ?? 2_000;
    this.logs = new LogWriter(o.pool, (e) => o.log.error('writing logs failed', e), o.logLimits ? { limits: o.logLimits } : {});
    o.metrics?.readFrom({
      runsDriven: () => this.actors.size,
      attemptsStarting: () => {
        let n = 0;
        for (const a of this.actors.values()) n += a.startingAttempts();
        return n;
      },
      runsWaiting: () => countWaitingRuns(o.pool).catch(() => undefined),
    });
  }

  /** Runs currently driven by this controller. */
  get runIds(): number[] {
    return [...this.actors.keys()];
  }

  /**
   * What the runs driven here hold in memory: their tasks and attempts, and the estimate of
   * `estimateRunBytes` (an upper bound when runs share a definition: it is counted per run).
   */
  memory(): RunMemory {
    let tasks = 0;
    let attempts = 0;
    for (const a of this.actors.values()) {
      tasks += a.size.tasks;
      attempts += a.size.attempts;
    }
    return { runs: this.actors.size, tasks, attempts, estimatedBytes: estimateRunBytes(tasks, attempts) };
  }

  /** Calls `fn` each time a run driven here ends. Returns an unsubscribe. */
  onRunEnded(fn: (runId: number) => void): () => void {
    this.ended.add(fn);
    return () => this.ended.delete(fn);
  }

  async start(): Promise<void> {
    const lock = this.o.idLock;
    if (lock) {
      if (!lock.held) this.claimsPaused = true;
      this.unwatchLock = lock.watch((state) => this.onLockChange(state));
    }
    this.unsubscribe = this.o.runtime.subscribe((ev) => this.route(ev));
    this.listener = await listen(
      this.o.databaseUrl,
      [RUNS_CHANNEL],
      (_ch, payload) => this.onRunNotify(payload),
      () => this.kick(),
    );
    this.pollTimer = setInterval(() => this.kick(), this.pollMs);
    this.renewTimer = setInterval(() => void this.renew(), Math.max(500, Math.floor(this.leaseMs / 3)));
    this.kick();
    await this.claiming;
  }

  /**
   * Stops driving runs. Attempts keep running; with `release` the leases are given back so another
   * controller takes the runs at once, otherwise they expire.
   */
  stop(release = true): Promise<void> {
    // Once: the id lock's 'taken' and the process's shutdown may both stop it.
    return (this.stopping ??= this.halt(release));
  }

  private async halt(release: boolean): Promise<void> {
    this.stopped = true;
    this.unwatchLock?.();
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.unsubscribe?.();
    await this.claiming;
    await Promise.all([...this.actors.values()].map((a) => a.settled()));
    for (const a of this.actors.values()) a.stop();
    await this.logs.close();
    if (release && !this.idTaken) await releaseRuns(this.o.pool, this.o.id, [...this.actors.keys()]).catch(() => undefined);
    this.actors.clear();
    await this.listener?.close();
  }

  /**
   * Stops taking new runs (the runs already driven go on) and resolves once no claim is in flight.
   * Called when this process may no longer own its controller id (its lock was lost).
   */
  async pauseClaims(): Promise<void> {
    this.claimsPaused = true;
    await this.claiming;
  }

  /** Takes new runs again after `pauseClaims`, starting at once. */
  resumeClaims(): void {
    this.claimsPaused = false;
    this.kick();
  }

  private onLockChange(state: 'lost' | 'held' | 'taken'): Promise<void> | void {
    if (state === 'lost') {
      this.o.log.error(`controller id "${this.o.id}": its lock was lost (database connection broken); claiming no new runs until it is held again`);
      return this.pauseClaims();
    }
    if (state === 'held') {
      this.o.log.info(`controller id "${this.o.id}": lock held again, claiming runs`);
      return this.resumeClaims();
    }
    this.idTaken = true;
    this.o.log.error(`controller id "${this.o.id}": another process took it while its lock was lost; this controller stops driving runs`);
    return this.stop(false);
  }

  /** Look for work now (coalesces concurrent calls). */
  kick(): void {
    if (this.stopped || this.claimsPaused) return;
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = this.claim()
      .catch((e: unknown) => this.o.log.error('claiming runs failed', e))
      .finally(() => {
        this.claiming = undefined;
        if (this.claimAgain) {
          this.claimAgain = false;
          this.kick();
        }
      });
  }

  private onRunNotify(payload: string): void {
    const id = Number(payload);
    const actor = this.actors.get(id);
    if (!actor) return this.kick();
    // A run we drive: a cancel or retry may have been requested.
    getRun(this.o.pool, id).then(
      (r) => {
        if (r?.requested) actor.push({ type: 'request', what: r.requested });
        // An approval may have been decided (the API notifies after recording it), a child run may have ended.
        actor.push({ type: 'decisions' });
        actor.push({ type: 'children' });
      },
      // The request stays on the run: it is acted on at its next NOTIFY or when the run is next claimed.
      (e: unknown) => this.o.log.error(`run ${id}: reading a request failed`, e),
    );
  }

  private async claim(): Promise<void> {
    const room = (this.o.maxRuns ?? 1000) - this.actors.size;
    if (room <= 0) return;
    const namespaces = this.o.namespaces?.();
    const exclude = [...this.actors.keys(), ...this.heldBack.held(this.now())];
    const host = this.o.host ?? this.o.runtime.host;
    const runs = await claimRuns(this.o.pool, this.o.id, this.leaseMs, room, exclude, namespaces, host);
    const claimedAt = Date.now();
    for (const r of runs) {
      this.o.metrics?.runsClaimed.inc();
      // Not started yet: the wait since the run was created (a re-claim of an unstarted run after a crash counts again).
      if (r.status === 'pending' && r.startedAt === null) this.o.metrics?.claimLatency.observe(Math.max(0, claimedAt - r.createdAt) / 1000);
    }
    for (const r of runs) {
      if (this.stopped) return;
      const t0 = Date.now();
      const detail = await loadRun(this.o.pool, r.id, { definitions: this.definitions });
      if (!detail) continue;
      const loadedMs = Date.now() - t0;
      const actor = new RunActor(detail.run, detail.definition, detail.state, {
        pool: this.o.pool,
        owner: this.o.id,
        runtime: this.o.runtime,
        now: this.now,
        secrets: this.o.secrets,
        log: this.o.log,
        ...(this.o.maxRunningPerRun !== undefined ? { maxRunning: this.o.maxRunningPerRun } : {}),
        ...(this.o.metrics ? { metrics: this.o.metrics } : {}),
        onDone: (id, why) => this.onActorDone(id, why),
        onFreshAttempt: (key) => this.logs.fresh(key),
      });
      this.actors.set(r.id, actor);
      try {
        await actor.resume(detail.logSizes, detail.active);
        this.heldBack.clear(r.id);
        const { tasks, attempts } = actor.size;
        if (tasks >= LARGE_RUN_TASKS) {
          this.o.log.info(
            `run ${r.id}: ${tasks} tasks, ${attempts} attempts, ${detail.active.length} active; loaded in ${loadedMs} ms, resumed in ${Date.now() - t0 - loadedMs} ms; ` +
              `about ${mib(estimateRunBytes(tasks, attempts))} of memory while driven here (all runs: ${mib(this.memory().estimatedBytes)})`,
          );
        }
      } catch (e) {
        // Not driven: hand the run back instead of keeping its lease with no actor ticking it.
        this.o.log.error(`run ${r.id}: resuming failed, handing the run back`, e);
        await this.handBack(r.id);
      }
    }
  }

  /** Stops driving `runId`, releases its lease and leaves it alone for a backoff delay. */
  private async handBack(runId: number): Promise<void> {
    const actor = this.actors.get(runId);
    actor?.stop();
    await actor?.settled();
    this.actors.delete(runId);
    this.logs.forgetRun(runId);
    const delay = this.heldBack.hold(runId, this.now());
    this.o.log.warn(`run ${runId}: handed back; this controller retries it in ${delay} ms if no other takes it`);
    await releaseRuns(this.o.pool, this.o.id, [runId]).catch((e: unknown) => this.o.log.error(`run ${runId}: releasing the lease failed (it expires instead)`, e));
  }

  private onActorDone(runId: number, why: 'ended' | 'lease-lost' | 'gave-up'): void {
    if (why === 'gave-up') {
      void this.handBack(runId).then(() => this.kick());
      return;
    }
    this.actors.delete(runId);
    if (why === 'lease-lost') this.logs.forgetRun(runId); // its new owner writes its logs now
    if (why === 'ended') for (const fn of this.ended) fn(runId);
    this.kick();
  }

  private async renew(): Promise<void> {
    const ids = [...this.actors.keys()];
    if (ids.length === 0) return;
    try {
      const held = new Set(await renewLeases(this.o.pool, this.o.id, ids, this.leaseMs));
      for (const id of ids) {
        if (held.has(id)) continue;
        this.o.log.warn(`run ${id}: lease expired, dropping it`);
        this.actors.get(id)?.stop();
        this.actors.delete(id);
        this.logs.forgetRun(id);
      }
    } catch (e) {
      this.o.log.error('renewing leases failed', e);
    }
  }

  private route(ev: RuntimeEvent): void {
    const runId = Number(ev.key.runId);
    if (ev.type === 'log') {
      this.logs.add({ runId, task: ev.key.task, attempt: ev.key.attempt, offset: ev.offset, data: ev.data });
      return;
    }
    const actor = this.actors.get(runId);
    if (!actor) return; // not ours (any more): whoever owns the run adopts the attempt
    if (ev.type === 'started') {
      actor.push({ type: 'attempt:started', task: ev.key.task, attempt: ev.key.attempt, at: ev.at, handle: ev.handle });
      return;
    }
    // The whole log (with its kept tail) is stored before the attempt is recorded as ended: what
    // is not stored yet is saved with the end, in the same statement (takeEnd waits for a write
    // of earlier output under way, retrying while the store is down).
    const event = {
      type: 'attempt:exited' as const,
      task: ev.key.task,
      attempt: ev.key.attempt,
      at: ev.at,
      ...(ev.startedAt !== undefined ? { startedAt: ev.startedAt } : {}),
      reason: ev.reason,
      ...(ev.exitCode !== undefined ? { exitCode: ev.exitCode } : {}),
      ...(ev.outputs !== undefined ? { outputs: ev.outputs } : {}),
      ...(ev.outputError !== undefined ? { outputError: ev.outputError } : {}),
    };
    if (ev.exitCode !== 0) this.o.log.info(`run ${runId}: ${ev.key.task}#${ev.key.attempt} exited${ev.exitCode !== undefined ? ` with code ${ev.exitCode}` : ''} (${ev.reason})`, { runId, task: ev.key.task, attempt: ev.key.attempt });
    this.logs.takeEnd({ runId, task: ev.key.task, attempt: ev.key.attempt }).then(
      (log) => actor.push(log ? { type: 'exited-with-log', event, log } : event),
      (e: unknown) => this.o.log.warn(`run ${runId}: ${ev.key.task}#${ev.key.attempt} ended, but its log is not stored yet; leaving it to whoever adopts it: ${String(e)}`),
    );
  }
}

export { LOGS_CHANNEL };
