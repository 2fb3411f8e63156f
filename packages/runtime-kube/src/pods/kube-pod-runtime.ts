// The Kubernetes runtime: one pod per attempt, named after (run, task, attempt), created once
// (a second create answers AlreadyExists and the pod is adopted instead), watched through one
// shared pod informer, its log streamed while it runs and read to the end before `exited` is
// emitted. The pod carries a finalizer until `release`, so its log outlives any deletion until
// the store holds it.
import { KontrolerError } from '@kontroler/core';
import type { AttemptKey, AttemptObservation, AttemptSpec, RuntimeEvent, TaskRuntime } from '@kontroler/engine';
import type { V1Pod } from '@kubernetes/client-node';
import { Informer, type InformerEvent } from '../kube/informer.js';
import type { KubeClient } from '../kube/kube-client.js';
import { isAlreadyExists, isNotFound, toKontrolerError } from '../kube/kube-error.js';
import type { OwnerReference } from '../kube/objects.js';
import { followLog, logComplete, unseenPart, type Follow } from './log-follow.js';
import { LABELS, MANAGED_BY, keyOfPod, keyString, podName, workspaceClaimName } from './naming.js';
import { deletePod, ensureClaim, releaseLog, removePod } from './pod-api.js';
import { ownedByDagRun, podDeleteAt, podEndedAt, type PodGCFacts } from './pod-gc.js';
import { declaredOutputs, parseOutputs, type OutputsRead } from './outputs.js';
import { MAIN_CONTAINER, buildPod, checkPodOutputs, type PodOptions } from './pod-spec.js';
import { attemptOutcome, deletedUnscheduled, lastExitedView, mainStarted, viewPod, type ExitedView, type PodView } from './pod-view.js';
import { readDagRunOwner } from './run-owner.js';
import { sweepAccounted } from './sweep.js';

/** Grace period of a kill (SIGTERM → SIGKILL), seconds, unless `killGraceSeconds` says otherwise. */
export const DEFAULT_KILL_GRACE_SECONDS = 5;
/** A pod being deleted with no terminal status this long after its grace period is given up, unless `deletionTimeoutMs` says otherwise. */
export const DEFAULT_DELETION_TIMEOUT_MS = 30_000;
/** How often the sweep looks for pods nobody released, unless `sweepMs` says otherwise. */
export const DEFAULT_SWEEP_MS = 60_000;
/** A follow stream that ended while its container still runs is opened again after this long. */
export const REFOLLOW_AFTER_MS = 5000;
/** How often the runtime checks deletions, re-follows and the sweep. */
const TICK_MS = 1000;

/** The pods' own options (annotations, log finalizer, Kontroler API token) are PodOptions'. */
export interface KubePodRuntimeOptions extends Pick<PodOptions, 'annotations' | 'logFinalizer' | 'kontrolerToken'> {
  readonly client: KubeClient;
  /** Namespaces to watch (one watch each); undefined = the whole cluster. */
  readonly namespaces?: readonly string[];
  /** Pods in namespaces this rejects are ignored (a shard's namespaces). */
  readonly namespaceFilter?: (namespace: string) => boolean;
  /** Extra labels on every pod and in the informer's selector (e.g. the shard label). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Grace period of a kill (SIGTERM → SIGKILL), seconds (default 5). */
  readonly killGraceSeconds?: number;
  /** Stream logs of running pods into the store (default true); otherwise read them at the end. */
  readonly followLogs?: boolean;
  /** A pod being deleted that shows no terminal status after its grace period plus this is given up (default 30 s). */
  readonly deletionTimeoutMs?: number;
  /**
   * Whether the store has fully recorded an attempt (its end and log). Pods of such attempts that
   * nobody releases (the controller died between recording and `release`) are removed by a sweep.
   */
  readonly accounted?: (key: AttemptKey) => Promise<boolean>;
  /** How often the sweep looks for such pods (default 60 s). */
  readonly sweepMs?: number;
  /**
   * podGC: the policy and progress of a run, for keeping its finished pods after their attempt is
   * recorded (log finalizer removed, pod deleted by the sweep once due). Absent, or undefined for
   * a run: each pod is deleted as soon as its attempt is recorded.
   */
  readonly podGC?: (runId: string) => Promise<PodGCFacts | undefined>;
  readonly clock?: () => number;
  readonly log?: (msg: string) => void;
}

/** An attempt this runtime watches until it has reported its end. */
interface Tracked {
  readonly key: AttemptKey;
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  pod: V1Pod | undefined;
  created: boolean;
  gone: boolean;
  /** Log bytes already delivered (or held by the store when adopted). */
  logged: number;
  follow: Follow | undefined;
  /** When the follow stream ended by itself (normally: the container ended). */
  followEndedAt: number | undefined;
  killReason: string | undefined;
  stuckReason: string | undefined;
  deleteRequestedAt: number | undefined;
  ending: boolean;
  ended: boolean;
}

function plainKey(k: AttemptKey): AttemptKey {
  return { runId: k.runId, task: k.task, attempt: k.attempt };
}

function describe(k: AttemptKey): string {
  return `run ${k.runId} task ${k.task} attempt ${k.attempt}`;
}

function ms(t: Date | string | undefined): number | undefined {
  if (t === undefined) return undefined;
  const v = new Date(t).getTime();
  return Number.isNaN(v) ? undefined : v;
}

export class KubePodRuntime implements TaskRuntime {
  readonly name = 'kubernetes';
  private readonly client: KubeClient;
  private readonly informer: Informer<V1Pod>;
  private readonly listeners = new Set<(ev: RuntimeEvent) => void>();
  private readonly tracked = new Map<string, Tracked>();
  /** Every pod of ours the informer knows, by attempt (released ones excepted). */
  private readonly byKey = new Map<string, V1Pod>();
  /** Uids of released pods the watch has not yet reported deleted: their last events are ignored. */
  private readonly released = new Set<string>();
  /** Runs with a workspace claim: run id → namespace. */
  private readonly workspaces = new Map<string, string>();
  private readonly owners = new Map<string, Promise<OwnerReference | undefined>>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly clock: () => number;
  private readonly log: (msg: string) => void;
  private readonly killGrace: number;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private lastSweep = 0;
  private sweeping = false;
  private closed = false;
  private started = false;

  constructor(private readonly o: KubePodRuntimeOptions) {
    this.client = o.client;
    this.clock = o.clock ?? Date.now;
    this.log = o.log ?? (() => undefined);
    this.killGrace = o.killGraceSeconds ?? DEFAULT_KILL_GRACE_SECONDS;
    const selector = [`${LABELS.managedBy}=${MANAGED_BY}`, ...Object.entries(o.labels ?? {}).map(([k, v]) => `${k}=${v}`)].join(',');
    this.informer = new Informer<V1Pod>({
      client: o.client,
      path: (ns) => (ns === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${ns}/pods`),
      ...(o.namespaces ? { namespaces: o.namespaces } : {}),
      labelSelector: selector,
      ...(o.namespaceFilter ? { filter: (p: V1Pod) => o.namespaceFilter!(p.metadata?.namespace ?? '') } : {}),
      onEvent: (ev) => this.onPodEvent(ev),
      onError: (err) => this.log(`kube runtime: ${err instanceof Error ? err.message : String(err)}`),
    });
  }

  /** Starts the shared pod watch (also done by the first start/adopt). Resolves once listed. */
  async sync(): Promise<void> {
    this.assertOpen();
    if (!this.started) {
      this.started = true;
      this.informer.start();
      this.ticker = setInterval(() => this.tick(), TICK_MS);
      this.ticker.unref?.();
    }
    await this.informer.synced();
  }

  /** Watch and list counters of the pod informer (benchmarks, tests). */
  get informerCounters(): { lists: number; watches: number; expired: number } {
    return this.informer.counters;
  }

  /**
   * Creates the attempt's pod (and the run's workspace claim); when the pod exists already it is
   * adopted instead, so an attempt never gets two pods. Emits `started` before it resolves.
   * Throws VALIDATION_FAILED when the pod cannot carry the task's outputs (checkPodOutputs) or the
   * apiserver refuses the pod, FORBIDDEN, NOT_FOUND (namespace) or UNAVAILABLE otherwise: the
   * attempt then fails with that reason.
   */
  async start(spec: AttemptSpec): Promise<void> {
    checkPodOutputs(spec);
    await this.sync();
    const id = keyString(spec);
    if (this.tracked.has(id)) return;
    const now = this.clock();
    if (spec.deadlineAt !== undefined && spec.deadlineAt <= now && !this.byKey.has(id)) {
      this.endPastDeadline(spec, now);
      return;
    }
    const t = this.track(spec, spec.namespace, 0);
    const name = t.name;
    try {
      const owner = await this.ownerOf(spec);
      const opts = {
        now,
        ...(owner ? { owner } : {}),
        ...(this.o.labels ? { labels: this.o.labels } : {}),
        ...(this.o.annotations ? { annotations: this.o.annotations } : {}),
        ...(this.o.logFinalizer === false ? { logFinalizer: false } : {}),
        ...(this.o.kontrolerToken ? { kontrolerToken: this.o.kontrolerToken } : {}),
        terminationGraceSeconds: this.killGrace,
      };
      if (spec.workspace && this.workspaces.get(spec.runId) !== spec.namespace) {
        await ensureClaim(this.client, spec, opts);
        this.workspaces.set(spec.runId, spec.namespace);
      }
      const created = await this.client.request<V1Pod>('POST', `/api/v1/namespaces/${spec.namespace}/pods`, { body: buildPod(spec, opts) });
      t.pod ??= created;
      t.created = true;
      this.emit({ type: 'started', key: t.key, handle: `${spec.namespace}/${name}`, at: this.clock() });
    } catch (err) {
      if (!isAlreadyExists(err)) {
        this.tracked.delete(id);
        throw toKontrolerError(err, `the pod ${spec.namespace}/${name} for ${describe(spec)} could not be created`);
      }
      this.log(`kube runtime: pod ${spec.namespace}/${name} exists already: adopting it instead of creating it again`);
      try {
        t.pod = this.byKey.get(id) ?? (await this.client.request<V1Pod>('GET', `/api/v1/namespaces/${spec.namespace}/pods/${name}`));
      } catch (e) {
        this.tracked.delete(id);
        throw toKontrolerError(e, `the pod ${spec.namespace}/${name} exists but cannot be read`);
      }
      t.created = true;
      this.emit({ type: 'started', key: t.key, handle: `${spec.namespace}/${name}`, at: ms(t.pod.metadata?.creationTimestamp) ?? this.clock() });
    }
    this.reconcile(t);
  }

  /**
   * Watches an attempt's pod again: emits `started`, the log after `logOffset`, and `exited` if
   * the pod has ended (also while no controller watched), then resolves with what it sees.
   * `unknown` when there is no pod.
   */
  async adopt(key: AttemptKey, logOffset: number): Promise<AttemptObservation> {
    await this.sync();
    const id = keyString(key);
    const known = this.tracked.get(id);
    if (known) return this.observe(known);
    const pod = this.byKey.get(id);
    if (!pod) return { state: 'unknown' };
    const ns = pod.metadata?.namespace ?? '';
    const t = this.track(key, ns, logOffset);
    t.pod = pod;
    t.created = true;
    if (pod.spec?.volumes?.some((v) => v.persistentVolumeClaim?.claimName === workspaceClaimName(key.runId))) this.workspaces.set(key.runId, ns);
    this.emit({ type: 'started', key: t.key, handle: `${ns}/${t.name}`, at: ms(pod.metadata?.creationTimestamp) ?? this.clock() });
    const view = viewPod(pod);
    if (view.state === 'exited') {
      await this.finish(t, view);
      return this.observe(t);
    }
    this.reconcile(t);
    return this.observe(t);
  }

  /**
   * Stops the attempt: deletes its pod with the kill grace period (the finalizer keeps it, and
   * its log, until `release`). Its `exited` event carries `reason`. Idempotent.
   */
  async kill(key: AttemptKey, reason: string): Promise<void> {
    await this.sync();
    const id = keyString(key);
    const t = this.tracked.get(id);
    if (t) {
      if (t.ended || t.killReason !== undefined) return;
      t.killReason = reason;
      this.reconcile(t);
      return;
    }
    const pod = this.byKey.get(id);
    if (!pod || pod.metadata?.deletionTimestamp) return;
    await deletePod(this.client, pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', this.killGrace, this.log);
  }

  /**
   * Deletes the pod of an attempt the store has fully recorded, removing its log finalizer.
   * Idempotent. Throws INVALID_STATE while this runtime has not reported the attempt's end.
   */
  async release(key: AttemptKey): Promise<void> {
    this.assertOpen();
    const id = keyString(key);
    const t = this.tracked.get(id);
    if (t && !t.ended) {
      throw new KontrolerError('INVALID_STATE', `attempt ${describe(key)} is still running in Kubernetes: kill it and wait for its exited event before releasing it`);
    }
    const pod = t?.pod ?? this.byKey.get(id);
    this.tracked.delete(id);
    this.endedView.delete(id);
    if (!pod) return;
    if (pod.metadata?.deletionTimestamp === undefined && (await this.keep(pod, new Map()))) {
      // Kept for `kubectl logs` (podGC): its log is archived, so the pod no longer holds it.
      const updated = await releaseLog(this.client, pod);
      if (updated && !this.byKey.has(id)) this.byKey.set(id, updated);
      return;
    }
    await removePod(this.client, pod);
    // Forgotten now, though the watch may still report the pod on its way out.
    this.byKey.delete(id);
    const uid = pod.metadata?.uid;
    if (uid !== undefined) this.released.add(uid);
  }

  /** Deletes the run's workspace claim, if this runtime made one. Idempotent. */
  async releaseRun(runId: string): Promise<void> {
    this.assertOpen();
    this.owners.delete(runId);
    const ns = this.workspaces.get(runId);
    if (ns === undefined) return;
    try {
      await this.client.request('DELETE', `/api/v1/namespaces/${ns}/persistentvolumeclaims/${workspaceClaimName(runId)}`);
    } catch (err) {
      if (!isNotFound(err)) throw toKontrolerError(err, `deleting the workspace claim of run ${runId}`);
    }
    this.workspaces.delete(runId);
  }

  subscribe(listener: (ev: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops watching; pods keep running and a later runtime adopts them. No events afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const t of this.tracked.values()) t.follow?.abort.abort();
    await this.informer.stop();
    await Promise.allSettled([...this.background]);
    this.tracked.clear();
    this.listeners.clear();
  }

  /**
   * An attempt whose deadline passed before it was created never gets a pod: it ends at once with
   * DeadlineExceeded and no exit code. (One whose pod exists already is adopted instead: that pod
   * carries its own activeDeadlineSeconds.) Only this instance remembers it, until `release`.
   */
  private endPastDeadline(spec: AttemptSpec, now: number): void {
    const t = this.track(spec, spec.namespace, 0);
    t.ended = true;
    const reason = 'DeadlineExceeded';
    this.endedView.set(t.id, { view: { state: 'exited', reason, finishedAt: now }, reason });
    this.emit({ type: 'exited', key: t.key, at: now, reason });
  }

  // --- reconciling one attempt ----------------------------------------------------------

  private track(key: AttemptKey, namespace: string, logged: number): Tracked {
    const t: Tracked = {
      key: plainKey(key),
      id: keyString(key),
      name: podName(key),
      namespace,
      pod: undefined,
      created: false,
      gone: false,
      logged,
      follow: undefined,
      followEndedAt: undefined,
      killReason: undefined,
      stuckReason: undefined,
      deleteRequestedAt: undefined,
      ending: false,
      ended: false,
    };
    this.tracked.set(t.id, t);
    return t;
  }

  private onPodEvent(ev: InformerEvent<V1Pod>): void {
    if (ev.type === 'synced') return;
    const key = keyOfPod(ev.object);
    if (!key) return;
    const uid = ev.object.metadata?.uid;
    if (uid !== undefined && this.released.has(uid)) {
      if (ev.type === 'deleted') this.released.delete(uid);
      return;
    }
    const id = keyString(key);
    if (ev.type === 'deleted') this.byKey.delete(id);
    else this.byKey.set(id, ev.object);
    const t = this.tracked.get(id);
    if (!t || t.ended) return;
    if (ev.type === 'deleted') {
      if (t.pod?.metadata?.uid === undefined || t.pod.metadata.uid === ev.object.metadata?.uid) t.gone = true;
    } else {
      t.pod = ev.object;
      t.created = true;
    }
    this.reconcile(t);
  }

  /** Level-based: looks at the latest pod and does what is due. Never throws. */
  private reconcile(t: Tracked): void {
    if (t.ended || t.ending || !t.created || !t.pod || this.closed) return;
    const view: PodView = t.gone ? { state: 'exited', reason: 'Lost' } : viewPod(t.pod);
    if (view.state === 'exited') {
      this.runInBackground(this.finish(t, t.gone ? lastExitedView(t.pod) : view));
      return;
    }
    if (deletedUnscheduled(t.pod)) {
      // Deleted before any node took it: the apiserver binds no pod being deleted, so nothing will
      // ever run it; waiting for a kubelet would only hold the attempt until the deletion timeout.
      this.runInBackground(this.finish(t, { state: 'exited', reason: 'PodDeleted' }));
      return;
    }
    if (view.state === 'stuck' && t.stuckReason === undefined) t.stuckReason = view.reason;
    if ((t.killReason !== undefined || t.stuckReason !== undefined) && t.deleteRequestedAt === undefined && !t.pod.metadata?.deletionTimestamp) {
      t.deleteRequestedAt = this.clock();
      this.runInBackground(deletePod(this.client, t.namespace, t.name, t.stuckReason !== undefined ? 0 : this.killGrace, this.log));
    }
    if (view.state === 'running' && !t.follow && this.o.followLogs !== false && mainStarted(t.pod)) this.startFollow(t, MAIN_CONTAINER);
  }

  /** Reads the rest of the log, then emits `exited`. */
  private async finish(t: Tracked, view: ExitedView): Promise<void> {
    if (t.ending || t.ended) return;
    t.ending = true;
    const complete = t.follow !== undefined && view.logContainer === MAIN_CONTAINER && (await logComplete(t.follow, view.finishedAt, () => t.followEndedAt));
    t.follow?.abort.abort();
    if (!complete && !t.gone && view.logContainer !== undefined && t.stuckReason === undefined) {
      try {
        const data = await this.client.bytes(`/api/v1/namespaces/${t.namespace}/pods/${t.name}/log`, { container: view.logContainer });
        this.feed(t, 0, data);
      } catch (err) {
        this.log(`kube runtime: reading the log of pod ${t.namespace}/${t.name} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const { reason, exitCode } = attemptOutcome(view, { killReason: t.killReason, stuckReason: t.stuckReason, deleted: t.pod?.metadata?.deletionTimestamp !== undefined });
    // Outputs of an attempt that succeeded only (as on the local runtime); the names from the pod, so an adopter reads the same ones.
    const outputs: OutputsRead = exitCode === 0 && t.pod ? parseOutputs(t.key.task, view.terminationMessage, declaredOutputs(t.pod)) : {};
    t.ended = true;
    t.ending = false;
    this.endedView.set(t.id, { view, reason, ...(exitCode !== undefined ? { exitCode } : {}), ...outputs });
    // The container's own start and end (whole seconds, one clock) when it ran: the attempt's duration.
    const times = view.finishedAt !== undefined ? { at: view.finishedAt, ...(view.startedAt !== undefined ? { startedAt: view.startedAt } : {}) } : { at: this.clock() };
    this.emit({ type: 'exited', key: t.key, ...times, reason, ...(exitCode !== undefined ? { exitCode } : {}), ...outputs });
  }

  private readonly endedView = new Map<string, { view: ExitedView; reason: string; exitCode?: number } & OutputsRead>();

  private observe(t: Tracked): AttemptObservation {
    const handle = `${t.namespace}/${t.name}`;
    const created = ms(t.pod?.metadata?.creationTimestamp) ?? this.clock();
    const end = this.endedView.get(t.id);
    if (t.ended && end && !t.created) {
      // Never had a pod (its deadline had passed): nothing ran, no handle.
      return { state: 'exited', handle: '', finishedAt: end.view.finishedAt ?? this.clock(), reason: end.reason };
    }
    if (t.ended && end) {
      return {
        state: 'exited',
        handle,
        startedAt: end.view.startedAt ?? created,
        finishedAt: end.view.finishedAt ?? this.clock(),
        reason: end.reason,
        ...(end.exitCode !== undefined ? { exitCode: end.exitCode } : {}),
        ...(end.outputs !== undefined ? { outputs: end.outputs } : {}),
        ...(end.outputError !== undefined ? { outputError: end.outputError } : {}),
      };
    }
    return { state: 'running', handle, startedAt: created };
  }

  private startFollow(t: Tracked, container: string): void {
    let pos = 0;
    const follow = followLog(this.client, t.namespace, t.name, container, {
      onChunk: (chunk) => (pos = this.feed(t, pos, chunk)),
      onEnd: () => (t.followEndedAt = this.clock()),
      log: this.log,
    });
    t.follow = follow;
    this.background.add(follow.done);
    void follow.done.then(() => this.background.delete(follow.done));
  }

  /** Delivers the part of `chunk` (at byte `pos` of the log) that was not delivered yet; returns the position after it. */
  private feed(t: Tracked, pos: number, chunk: Uint8Array): number {
    const part = t.ended ? undefined : unseenPart(t.logged, pos, chunk);
    if (part) {
      t.logged = pos + chunk.byteLength;
      this.emit({ type: 'log', key: t.key, offset: part.offset, data: part.data });
    }
    return pos + chunk.byteLength;
  }

  /** Gives up on pods whose deletion does not end (a node that is gone); sweeps now and then. */
  private tick(): void {
    const limit = this.o.deletionTimeoutMs ?? DEFAULT_DELETION_TIMEOUT_MS;
    const now = this.clock();
    if (this.o.accounted && !this.sweeping && now - this.lastSweep >= (this.o.sweepMs ?? DEFAULT_SWEEP_MS)) {
      this.lastSweep = now;
      this.sweeping = true;
      this.runInBackground(this.sweep().finally(() => (this.sweeping = false)));
    }
    for (const t of this.tracked.values()) {
      // A follow stream ended while the container still runs (server timeout): follow again.
      if (t.followEndedAt !== undefined && !t.ended && !t.ending && now - t.followEndedAt > REFOLLOW_AFTER_MS && t.pod && viewPod(t.pod).state === 'running') {
        t.follow = undefined;
        t.followEndedAt = undefined;
        this.reconcile(t);
      }
      if (t.ended || t.ending || t.deleteRequestedAt === undefined) continue;
      if (now - t.deleteRequestedAt < this.killGrace * 1000 + limit) continue;
      this.log(`kube runtime: pod ${t.namespace}/${t.name} did not terminate ${Math.round((now - t.deleteRequestedAt) / 1000)} s after its deletion: recording it as ended`);
      t.gone = true;
      this.runInBackground(this.finish(t, { state: 'exited', reason: t.killReason ?? t.stuckReason ?? 'Lost' }));
    }
  }

  /** Removes ended pods of attempts the store has recorded that no runtime tracks. */
  private async sweep(): Promise<void> {
    if (!this.o.accounted) return;
    const facts = new Map<string, Promise<PodGCFacts | undefined>>();
    await sweepAccounted(this.client, this.byKey, {
      tracked: (id) => this.tracked.has(id),
      accounted: this.o.accounted,
      closed: () => this.closed,
      log: this.log,
      ...(this.o.podGC ? { keep: (pod: V1Pod) => this.keep(pod, facts) } : {}),
    });
  }

  /**
   * podGC: whether a finished pod whose attempt is recorded stays for now. Facts are looked up once
   * per run per pass (`facts`); when they cannot be read the pod stays (the next sweep decides).
   */
  private async keep(pod: V1Pod, facts: Map<string, Promise<PodGCFacts | undefined>>): Promise<boolean> {
    const lookup = this.o.podGC;
    const key = keyOfPod(pod);
    if (!lookup || !key) return false;
    let f = facts.get(key.runId);
    if (!f) {
      f = lookup(key.runId).catch((err: unknown) => {
        this.log(`kube runtime: podGC of run ${key.runId}: ${err instanceof Error ? err.message : String(err)}; keeping its pods for now`);
        return { policy: { strategy: 'OnRunSuccess', deleteAfterSeconds: 0 }, runStatus: 'running', runFinishedAt: null };
      });
      facts.set(key.runId, f);
    }
    const known = await f;
    if (!known) return false;
    const now = this.clock();
    const at = podDeleteAt(known, podEndedAt(pod, now), ownedByDagRun(pod));
    return at === undefined || at > now;
  }

  // --- API calls ------------------------------------------------------------------------

  /** The DagRun the attempt's run was started from, as its pods' owner; looked up once per run. */
  private ownerOf(spec: AttemptSpec): Promise<OwnerReference | undefined> {
    const name = spec.runObject;
    if (name === undefined) return Promise.resolve(undefined);
    let p = this.owners.get(spec.runId);
    if (!p) {
      p = readDagRunOwner(this.client, spec.namespace, name).catch((err: unknown) => {
        this.owners.delete(spec.runId);
        this.log(`kube runtime: no owner for the pods of run ${spec.runId} (DagRun ${spec.namespace}/${name}): ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      });
      this.owners.set(spec.runId, p);
    }
    return p;
  }

  // --- plumbing -------------------------------------------------------------------------

  private runInBackground(p: Promise<unknown>): void {
    const guarded = p.catch((e: unknown) => this.log(`kube runtime: ${e instanceof Error ? e.message : String(e)}`));
    this.background.add(guarded);
    void guarded.then(() => this.background.delete(guarded));
  }

  private emit(ev: RuntimeEvent): void {
    if (this.closed) return;
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch (err) {
        this.log(`kube runtime: an event listener threw on ${ev.type}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new KontrolerError('INVALID_STATE', 'this KubePodRuntime is closed: create a new one to adopt its pods');
  }
}
