import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CoreV1Api, V1Container, V1Pod } from '@kubernetes/client-node';
import { ContainerConfigError, resolveEnv } from './container-env.js';
import { ContainerLog } from './container-log.js';
import { canMount, startContainerProcess, StartError, type ContainerProcess, type Exit } from './container-process.js';
import { expand } from './env-expansion.js';
import { httpStatusOf, kubeErrorMessage } from './kube-errors.js';
import type { LogSource } from './log-server.js';
import {
  computePhase,
  isTerminal,
  newContainerRecord,
  refreshConditions,
  renderStatus,
  type ContainerRecord,
  type PodRecord,
  type RestartPolicy,
} from './pod-status.js';
import { StatusWriter } from './status-writer.js';
import { prepareMessageFile, readMessage } from './termination-message.js';
import { containerMounts, prepareVolumes } from './volumes.js';

/** Pod annotation that makes the agent report an image pull failure: a container name, or `*`. */
export const IMAGE_PULL_ERROR_ANNOTATION = 'kube-agent.kontroler.dev/image-pull-error';

export interface WorkerDeps {
  core: CoreV1Api;
  hostIP: string;
  /** `<stateDir>/pods/<uid>` holds a pod's logs and emptyDirs; `<stateDir>/claims` the PVC directories. */
  stateDir: string;
  onError(err: unknown): void;
}

type Halt =
  | { kind: 'deleted'; graceSeconds: number }
  | { kind: 'deadline'; graceSeconds: number }
  | { kind: 'killed' };

const BACKOFF_CAP_MS = 10_000;

/**
 * Runs one pod bound to this node, kubelet-style: init containers in order, then all containers,
 * as local processes; one status write per transition; `activeDeadlineSeconds`; graceful deletion
 * (SIGTERM, SIGKILL after the grace period, final status, then delete with grace 0). Owns the
 * pod's logs until the pod is gone.
 */
export class PodWorker {
  private pod: V1Pod;
  private readonly rec: PodRecord;
  private readonly writer: StatusWriter;
  private readonly podDir: string;
  private readonly procs = new Map<string, { proc: ContainerProcess; rec: ContainerRecord }>();
  private readonly logs = new Map<string, ContainerLog[]>();
  private halt: Halt | undefined;
  private readonly halted: Promise<void>;
  private signalHalt!: () => void;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The pod has a deletionTimestamp: once its final status is written, the agent deletes it. */
  private deletionSeen = false;
  /** finish() is done: the final status (if any) is written. */
  private ended = false;

  constructor(
    pod: V1Pod,
    private readonly deps: WorkerDeps,
  ) {
    this.pod = pod;
    const spec = pod.spec;
    if (!spec) throw new Error(`pod ${this.key} has no spec`);
    this.podDir = join(deps.stateDir, 'pods', this.uid);
    const init = spec.initContainers ?? [];
    this.rec = {
      phase: 'Pending',
      startTime: new Date(),
      hostIP: deps.hostIP,
      podIP: deps.hostIP,
      restartPolicy: (spec.restartPolicy ?? 'Always') as RestartPolicy,
      init: init.map((c) => newContainerRecord(c.name, c.image ?? '', 'PodInitializing')),
      containers: spec.containers.map((c) => newContainerRecord(c.name, c.image ?? '', init.length > 0 ? 'PodInitializing' : 'ContainerCreating')),
      conditions: new Map(),
    };
    this.writer = new StatusWriter(deps.core, { namespace: this.namespace, name: this.name, uid: this.uid }, deps.onError);
    this.halted = new Promise((resolve) => (this.signalHalt = resolve));
  }

  get uid(): string {
    return this.pod.metadata?.uid ?? '';
  }
  get namespace(): string {
    return this.pod.metadata?.namespace ?? '';
  }
  get name(): string {
    return this.pod.metadata?.name ?? '';
  }
  private get key(): string {
    return `${this.namespace}/${this.name}`;
  }

  /** Starts the pod; resolves when it has reached its end (or was halted). */
  start(): Promise<void> {
    this.running ??= this.run().catch((err: unknown) => this.deps.onError(new Error(`pod ${this.key}: ${String(err)}`, { cause: err })));
    return this.running;
  }

  /** The latest object from the watch: reacts to graceful deletion. */
  update(pod: V1Pod): void {
    this.pod = pod;
    const m = pod.metadata;
    if (!m?.deletionTimestamp || this.deletionSeen) return;
    this.deletionSeen = true;
    // Already halting (a deadline): its final status comes first, then finish() deletes the pod.
    if (!this.halt) this.stop({ kind: 'deleted', graceSeconds: m.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30 });
    if (this.ended && this.halt?.kind !== 'killed') void this.deleteNow();
  }

  /** The pod is gone from the API (or the agent stops): kill everything now, write nothing more. */
  async dispose(): Promise<void> {
    this.stop({ kind: 'killed' });
    await this.running;
    await rm(this.podDir, { recursive: true, force: true });
  }

  /** SIGKILLs every running container process at once (synchronous; for process exit). */
  killNow(): void {
    for (const { proc } of this.procs.values()) proc.kill('SIGKILL');
  }

  logSource(container: string, previous: boolean): LogSource {
    const rec = [...this.rec.init, ...this.rec.containers].find((c) => c.name === container);
    if (!rec) return { status: 400, message: `container ${container} is not valid for pod ${this.name}` };
    const attempts = this.logs.get(container) ?? [];
    const log = previous ? attempts[rec.restartCount - 1] : (attempts[rec.restartCount] ?? attempts[attempts.length - 1]);
    if (log) return { path: log.path, live: log };
    if (previous) return { status: 400, message: `previous terminated container "${container}" in pod "${this.name}" not found` };
    const reason = rec.state.kind === 'waiting' ? rec.state.reason : 'ContainerCreating';
    return { status: 400, message: `container "${container}" in pod "${this.name}" is waiting to start: ${reason}` };
  }

  private async run(): Promise<void> {
    this.sync();
    this.armDeadline();
    try {
      const volumes = await this.untilConfigured(this.rec.containers, () => prepareVolumes(this.deps.core, this.pod, this.volumeDirs()));
      if (!volumes) return;
      const initSpecs = this.pod.spec?.initContainers ?? [];
      for (const [i, spec] of initSpecs.entries()) {
        const ok = await this.runContainer(this.rec.init[i] as ContainerRecord, spec, volumes, true);
        if (!ok) return;
      }
      const specs = this.pod.spec?.containers ?? [];
      await Promise.all(specs.map((spec, i) => this.runContainer(this.rec.containers[i] as ContainerRecord, spec, volumes, false)));
    } finally {
      clearTimeout(this.deadlineTimer);
      await this.finish();
    }
  }

  /**
   * Runs a container until it is done under the restart policy. Returns true when it succeeded
   * (what the next init container waits for).
   */
  private async runContainer(rec: ContainerRecord, spec: V1Container, volumes: Map<string, string>, init: boolean): Promise<boolean> {
    for (let backoff = 1000; ; backoff = Math.min(BACKOFF_CAP_MS, backoff * 2)) {
      if (this.halt) return false;
      if (!(await this.pullImage(rec))) return false;
      const exit = await this.attempt(rec, spec, volumes);
      if (!exit || this.halt) return false;
      const policy = this.rec.restartPolicy;
      const restart = init ? exit.exitCode !== 0 && policy !== 'Never' : policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0);
      if (!restart) {
        this.sync();
        return exit.exitCode === 0;
      }
      rec.lastState = rec.state.kind === 'terminated' ? rec.state : undefined;
      rec.restartCount++;
      rec.state = { kind: 'waiting', reason: 'CrashLoopBackOff', message: `back-off ${backoff / 1000}s restarting failed container=${rec.name} pod=${this.name}_${this.namespace}(${this.uid})` };
      this.sync();
      await this.sleep(backoff);
    }
  }

  /** One container attempt. Undefined when halted before it could start. */
  private async attempt(rec: ContainerRecord, spec: V1Container, volumes: Map<string, string>): Promise<Exit | undefined> {
    const prepared = await this.untilConfigured([rec], async () => {
      const env = await resolveEnv(this.deps.core, this.pod, spec);
      const lookup = (n: string): string | undefined => env[n];
      const argv = [...(spec.command ?? []), ...(spec.args ?? [])].map((s) => expand(s, lookup));
      return { env: { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOSTNAME: this.name, HOME: '/root', ...env }, argv, mounts: containerMounts(spec, volumes) };
    });
    if (!prepared || this.halt) return undefined;
    const log = new ContainerLog(join(this.podDir, 'logs', rec.name, `${rec.restartCount}.log`));
    this.logs.set(rec.name, [...(this.logs.get(rec.name) ?? []), log]);
    // Without mounts (an agent that is not root) the container has no message file to write.
    const messageFile = canMount() ? await prepareMessageFile(this.podDir, spec) : undefined;
    const mounts = messageFile ? [...prepared.mounts, messageFile.mount] : prepared.mounts;
    let proc: ContainerProcess;
    try {
      proc = startContainerProcess({ ...prepared, mounts, ...(spec.workingDir ? { workingDir: spec.workingDir } : {}) }, log);
    } catch (err) {
      return this.startFailed(rec, log, err);
    }
    rec.containerID = proc.containerID;
    rec.state = { kind: 'running', startedAt: proc.startedAt };
    this.procs.set(rec.name, { proc, rec });
    this.sync();
    let exit: Exit;
    try {
      exit = await proc.exited;
    } catch (err) {
      this.procs.delete(rec.name);
      return this.startFailed(rec, log, err);
    }
    this.procs.delete(rec.name);
    log.close();
    const message = await readMessage(messageFile, exit.exitCode, log.path);
    rec.state = {
      kind: 'terminated',
      exitCode: exit.exitCode,
      ...(exit.signal !== undefined ? { signal: exit.signal } : {}),
      reason: exit.exitCode === 0 ? 'Completed' : 'Error',
      ...(message !== undefined ? { message } : {}),
      startedAt: proc.startedAt,
      finishedAt: new Date(),
      containerID: proc.containerID,
    };
    return exit;
  }

  private startFailed(rec: ContainerRecord, log: ContainerLog, err: unknown): Exit {
    if (!(err instanceof StartError)) throw err;
    log.close();
    const now = new Date();
    rec.state = { kind: 'terminated', exitCode: 128, reason: 'StartError', message: err.message, startedAt: now, finishedAt: now };
    return { exitCode: 128 };
  }

  /** Simulated image pull: fails for containers named by the annotation, until halted. */
  private async pullImage(rec: ContainerRecord): Promise<boolean> {
    const target = this.pod.metadata?.annotations?.[IMAGE_PULL_ERROR_ANNOTATION];
    if (target === undefined || (target !== '*' && !target.split(',').map((s) => s.trim()).includes(rec.name))) return true;
    const cause = `simulated by the ${IMAGE_PULL_ERROR_ANNOTATION} annotation`;
    rec.state = { kind: 'waiting', reason: 'ErrImagePull', message: `failed to pull and unpack image "${rec.image}": ${cause}` };
    this.sync();
    await this.sleep(2000);
    if (this.halt) return false;
    rec.state = { kind: 'waiting', reason: 'ImagePullBackOff', message: `Back-off pulling image "${rec.image}": ${cause}` };
    this.sync();
    await this.halted;
    return false;
  }

  /** Retries `fn` while it throws ContainerConfigError, showing the reason on the waiting containers. */
  private async untilConfigured<T>(recs: ContainerRecord[], fn: () => Promise<T>): Promise<T | undefined> {
    for (let backoff = 500; !this.halt; backoff = Math.min(BACKOFF_CAP_MS, backoff * 2)) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof ContainerConfigError)) throw err;
        for (const rec of recs) rec.state = { kind: 'waiting', reason: 'CreateContainerConfigError', message: err.message };
        this.sync();
        await this.sleep(backoff);
      }
    }
    return undefined;
  }

  private armDeadline(): void {
    const seconds = this.pod.spec?.activeDeadlineSeconds;
    if (seconds === undefined || seconds === null) return;
    const ms = this.rec.startTime.getTime() + seconds * 1000 - Date.now();
    this.deadlineTimer = setTimeout(() => this.stop({ kind: 'deadline', graceSeconds: this.pod.spec?.terminationGracePeriodSeconds ?? 30 }), Math.max(0, ms));
  }

  /** Halts the pod: no new containers; running ones get SIGTERM, then SIGKILL after the grace period. */
  private stop(halt: Halt): void {
    if (this.halt && !(this.halt.kind !== 'killed' && halt.kind === 'killed')) return;
    this.halt = halt;
    this.signalHalt();
    const procs = [...this.procs.values()].map((p) => p.proc);
    if (halt.kind === 'killed') {
      for (const p of procs) p.kill('SIGKILL');
      return;
    }
    for (const p of procs) p.kill('SIGTERM');
    const timer = setTimeout(() => procs.forEach((p) => p.kill('SIGKILL')), halt.graceSeconds * 1000);
    void Promise.all(procs.map((p) => p.exited.catch(() => undefined))).then(() => clearTimeout(timer));
  }

  /** After the last container: the terminal status for a deadline or a deletion, then the delete if the pod is being deleted. */
  private async finish(): Promise<void> {
    await this.writeFinalStatus();
    this.ended = true;
    if (this.deletionSeen && this.halt?.kind !== 'killed') await this.deleteNow();
  }

  private async writeFinalStatus(): Promise<void> {
    const halt = this.halt;
    if (!halt || halt.kind === 'killed' || isTerminal(this.rec.phase)) return;
    const now = new Date();
    for (const rec of [...this.rec.init, ...this.rec.containers]) {
      if (rec.state.kind !== 'terminated') {
        rec.state = { kind: 'terminated', exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', finishedAt: now };
      }
    }
    if (halt.kind === 'deadline') {
      this.rec.phase = 'Failed';
      this.rec.reason = 'DeadlineExceeded';
      this.rec.message = 'Pod was active on the node longer than the specified deadline';
    } else {
      this.rec.phase = this.rec.containers.every((c) => c.state.kind === 'terminated' && c.state.exitCode === 0) ? 'Succeeded' : 'Failed';
    }
    refreshConditions(this.rec, now);
    await this.writer.write(renderStatus(this.rec));
  }

  private async deleteNow(): Promise<void> {
    try {
      // With a body, the apiserver ignores query parameters: grace period and precondition both go in it.
      await this.deps.core.deleteNamespacedPod({ name: this.name, namespace: this.namespace, body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } } });
    } catch (err) {
      const code = httpStatusOf(err);
      if (code !== 404 && code !== 409) this.deps.onError(new Error(`delete pod ${this.key}: ${kubeErrorMessage(err)}`, { cause: err }));
    }
  }

  /** Recomputes phase and conditions and queues one status write. */
  private sync(): void {
    if (this.halt?.kind === 'killed') return;
    if (!isTerminal(this.rec.phase)) this.rec.phase = computePhase(this.rec);
    refreshConditions(this.rec, new Date());
    void this.writer.write(renderStatus(this.rec));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      void this.halted.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private volumeDirs(): { podDir: string; claimsDir: string } {
    return { podDir: this.podDir, claimsDir: join(this.deps.stateDir, 'claims') };
  }
}
