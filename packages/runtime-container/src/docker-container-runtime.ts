// The container runtime: each attempt is one container of the task's image, through the Docker
// Engine API (Docker, or Podman's compatible service). The engine holds the containers (named
// deterministically, labelled with run, task, attempt and controller) and their logs; this
// machine holds, per attempt, the outputs folder bind-mounted into the container and the kill /
// failed records. A new instance over the same engine and state folder adopts whatever an earlier
// one started, running or ended meanwhile.
//
// <stateDir>/attempts/<runId>/<task>/<attempt>/
//   outputs/  KONTROLER_OUTPUTS (mounted at /kontroler/outputs), read when the attempt exits
//   failed    {"at","reason"} when the attempt never ran (deadline passed, image pull failed...)
//   kill      {"at","reason"} when someone asked it to stop (first reason wins)
// <stateDir>/workspaces/<runId>/   the run's workspace, mounted at /workspace
//
// The parts: launch.ts (start), watch.ts (adopt, log follow, end), kill.ts (stop),
// runtime-state.ts (what they share); this class is their front, one operation per attempt at a time.
import { rm } from 'node:fs/promises';
import type { AttemptKey, AttemptObservation, AttemptSpec, RuntimeEvent, TaskRuntime } from '@kontroler/engine';
import { describeKey, runAttemptsDir, workspaceDir } from '@kontroler/runtime-local';
import { killAttempt } from './kill.js';
import { startAttempt } from './launch.js';
import { LABELS } from './naming.js';
import { hasEnded } from './outcome.js';
import type { DockerContainerRuntimeOptions } from './options.js';
import { RuntimeState, keyOf, keyString } from './runtime-state.js';
import { adoptAttempt, tick } from './watch.js';

export class DockerContainerRuntime implements TaskRuntime {
  readonly name = 'container';
  /** Outputs folders and workspaces live on this machine: `<hostname>:<stateDir>`. */
  readonly host: string;
  private readonly rt: RuntimeState;

  constructor(opts: DockerContainerRuntimeOptions) {
    const rt: RuntimeState = new RuntimeState(opts, () => tick(rt));
    this.rt = rt;
    this.host = rt.host;
  }

  /**
   * Pulls the image as the pull policy says, creates the attempt's container and starts it; when
   * the container exists already the attempt is adopted instead (from log offset 0), so it never
   * runs twice. Emits `started` before it resolves. A start that cannot happen (deadline passed,
   * image pull failed, the engine refused the container) is recorded and reported as `exited`
   * with that reason (`ErrImagePull: <registry message>`, ...). Throws VALIDATION_FAILED (bad
   * limits, NUL bytes, unusable env) and UNAVAILABLE (the engine cannot be reached; retryable).
   */
  async start(spec: AttemptSpec): Promise<void> {
    this.rt.assertOpen();
    await this.rt.serial(keyString(spec), () => startAttempt(this.rt, spec));
  }

  /**
   * Watches an attempt again: emits `started`, the log from `logOffset`, and `exited` if it has
   * ended (also when it ended while no runtime was alive), then resolves with what it sees.
   */
  async adopt(key: AttemptKey, logOffset: number): Promise<AttemptObservation> {
    this.rt.assertOpen();
    return this.rt.serial(keyString(key), () => adoptAttempt(this.rt, key, logOffset));
  }

  /** SIGTERM to the container, SIGKILL after killGraceMs; `exited` then carries `reason` (the first one wins). Idempotent. */
  async kill(key: AttemptKey, reason: string): Promise<void> {
    this.rt.assertOpen();
    await this.rt.serial(keyString(key), () => killAttempt(this.rt, keyOf(key), reason));
  }

  /** Removes the container and the attempt's folder. Idempotent. Throws INVALID_STATE while it still runs. */
  async release(key: AttemptKey): Promise<void> {
    this.rt.assertOpen();
    const k = keyOf(key);
    await this.rt.serial(keyString(k), async () => {
      if (this.rt.tracked.has(keyString(k))) throw this.rt.stillRunning(k);
      const name = this.rt.nameOf(k);
      const info = await this.rt.engine.inspect(name).catch((e: unknown) => {
        throw this.rt.engineFailure(`looking at the container of ${describeKey(k)}`, e);
      });
      if (info !== undefined && !hasEnded(info) && info.status !== 'created') throw this.rt.stillRunning(k);
      await this.rt.engine.remove(name).catch((e: unknown) => {
        throw this.rt.engineFailure(`removing container ${name}`, e);
      });
      this.rt.ended.delete(keyString(k));
      await rm(this.rt.dirOf(k), { recursive: true, force: true });
    });
  }

  /** Removes the run's containers, attempt folders and workspace. Idempotent. Throws INVALID_STATE while one of its attempts runs. */
  async releaseRun(runId: string): Promise<void> {
    this.rt.assertOpen();
    for (const t of this.rt.tracked.values()) if (t.key.runId === runId) throw this.rt.stillRunning(t.key);
    const names = await this.rt.engine.list({ [LABELS.runId]: runId, [LABELS.host]: this.rt.host }).catch((e: unknown) => {
      throw this.rt.engineFailure(`listing the containers of run ${runId}`, e);
    });
    for (const name of names) {
      const info = await this.rt.engine.inspect(name);
      if (info !== undefined && !hasEnded(info) && info.status !== 'created') {
        throw this.rt.stillRunning({ runId, task: info.labels[LABELS.task] ?? name, attempt: Number(info.labels[LABELS.attempt]) });
      }
    }
    for (const name of names) await this.rt.engine.remove(name);
    for (const k of [...this.rt.ended]) if (k.startsWith(`${runId}\u0000`)) this.rt.ended.delete(k);
    await rm(runAttemptsDir(this.rt.stateDir, runId), { recursive: true, force: true });
    await rm(workspaceDir(this.rt.stateDir, runId), { recursive: true, force: true });
  }

  /** The name of the attempt's container (deterministic; for `docker ps`, logs and tests). */
  containerName(key: AttemptKey): string {
    return this.rt.nameOf(keyOf(key));
  }

  subscribe(listener: (ev: RuntimeEvent) => void): () => void {
    this.rt.listeners.add(listener);
    return () => this.rt.listeners.delete(listener);
  }

  /** Stops the log follows and the ticker: containers keep running and a later runtime adopts them. */
  async close(): Promise<void> {
    if (this.rt.closed) return;
    await Promise.allSettled([...this.rt.queues.values()]);
    this.rt.closed = true;
    this.rt.stopTicker();
    const follows = [...this.rt.tracked.values()].map((t) => {
      t.follow?.abort.abort();
      return t.follow?.done;
    });
    await Promise.allSettled(follows);
    await Promise.allSettled([...this.rt.background]);
    this.rt.tracked.clear();
    this.rt.strays.clear();
    this.rt.listeners.clear();
  }
}
