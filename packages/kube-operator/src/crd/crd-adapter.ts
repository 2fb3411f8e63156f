// The CRD adapter: keeps DAG, DagTask and DagRun objects and the store in step, level-based.
//   DAG / DagTask object   → applyResource (a new version when the spec changed) → status
//   DagRun object          → startRun (idempotent by name) → status from the run, until it ends
//                            (with conditions: Succeeded, Failed, Running; conditions.ts)
//   failed task attempts   → TaskFailed / TaskRetrying Events on the DagRun, bounded per run
//                            (task-events.ts)
//   run started elsewhere  → a DagRun object (annotated with the run id, so it is not started
//                            again), once; a DagRun a user deleted is not made again
//   object deleted         → DAG / DagTask marked deleted (history kept; annotation
//                            kontroler.greedykomodo/purge-on-delete: "true" purges)
//   DagRun deleted         → a finalizer holds it while its run is active: the run is canceled,
//                            and the finalizer removed once the run has ended (history and logs
//                            kept); errors retry through the work queue. A DagRun that vanished
//                            without us (finalizer removed by hand) cancels its run too.
// Informers run on every replica; the work queue that writes runs only while this replica leads
// (`setLeading`). The pod runtime never calls in here: a run's pods name their owner DagRun from
// the attempt spec (`runObject`, ADR 0008 amendment 1).
import { dagRunOverrides, hasCode, nextFireTimes, validateDagRun, type DagResource, type DagRunResource, type DagTaskResource, type FieldError } from '@kontroler/core';
import type { PoolLike } from '@kontroler/store';
import {
  RUNS_CHANNEL,
  RUN_STATE_CHANNEL,
  applyResource,
  deleteDag,
  deleteDagTask,
  getDag,
  getDagTaskVersion,
  getRun,
  getRunObjectRef,
  getRunObjectRefByName,
  lastRuns,
  listDags,
  listRuns,
  listen,
  loadRun,
  loadRunTaskSummary,
  requestRun,
  runsWithoutKubeObject,
  setRunKubeObject,
  startRun,
  type Listener,
  type RunObjectRef,
  type RunRecord,
} from '@kontroler/store';
import { Informer, type InformerEvent, type KubeClient, isAlreadyExists, isNotFound, statusOf, addFinalizer, removeFinalizer, objectKey } from '@kontroler/runtime-kube';
import {
  DAGRUN_FINALIZER,
  PURGE_ANNOTATION,
  dagRunSettled,
  dagRunNameFor,
  dagRunObjectFor,
  failedRunStatus,
  invalidStatus,
  runEnded,
  runIdOf,
  runPhase,
  statusDiffers,
  storedStatus,
  toResource,
  type CustomObject,
} from './crd-objects.js';
import { API_VERSION, CRD_GROUP, CRD_VERSION } from './crd-schema.js';
import { DAGRUN_STATUS_DETAIL_MAX_TASKS, DAGRUN_STATUS_LIST_CAP, dagRunStatus, summarizeTasks, type TaskSummary } from './dagrun-status.js';
import { withConditionTimes } from './conditions.js';
import { recordEvent } from './events.js';
import { TaskEventNotifier } from './task-events.js';
import { WorkQueue, type Outcome } from './work-queue.js';

export interface AdapterLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string, err?: unknown): void;
}

export interface CrdAdapterOptions {
  readonly client: KubeClient;
  readonly pool: PoolLike;
  /** For LISTEN (run changes wake the status writer). */
  readonly databaseUrl: string;
  readonly namespaces?: readonly string[];
  readonly namespaceFilter?: (namespace: string) => boolean;
  readonly log: AdapterLog;
  /** Called after a DAG version was stored (e.g. to wake the scheduler). */
  readonly onDagChange?: () => void;
  /** At most one status write per object per this many ms (default 1000); the last change is always written. */
  readonly statusIntervalMs?: number;
  /** The URL people reach the Kontroler server at: DagRun statuses link to their run there (`runUrl`). */
  readonly publicUrl?: string;
  /** Make DagRun objects for runs started elsewhere (default true). */
  readonly mirrorRuns?: boolean;
  /** How long a DagRun waits for its DAG to appear before it fails (default 15 s). */
  readonly dagRunGraceMs?: number;
  /** Full resync period (default 30 s). */
  readonly resyncMs?: number;
  readonly workers?: number;
  /** Task Events (TaskFailed, TaskRetrying) per run per window (default TASK_EVENTS_PER_MINUTE). */
  readonly taskEventsPerWindow?: number;
  /** That window (default TASK_EVENTS_WINDOW_MS, a minute). */
  readonly taskEventsWindowMs?: number;
}

const SOURCE = 'kubernetes';
/** While a deleted DagRun waits for its canceled run to end: look again this often (its end also wakes us). */
export const DAGRUN_FINALIZE_RECHECK_MS = 5000;

/** What the adapter did, for tests and metrics. */
export interface CrdAdapterCounters {
  /** DagRun objects reconciled (each event, resync or retry of one). */
  dagRunReconciles: number;
  /** DagRun statuses computed from a run (counts and capped lists from the store). */
  runStatusComputations: number;
  /** Of those, the ones that loaded the run's whole state (runs of at most DAGRUN_STATUS_DETAIL_MAX_TASKS tasks). */
  fullRunLoads: number;
  /** Runs canceled because their DagRun was deleted. */
  deletionCancels: number;
  /** DagRun finalizers removed. */
  finalizersRemoved: number;
}
const KINDS = { dag: 'dags', dagtask: 'dagtasks', dagrun: 'dagruns' } as const;
type Kind = keyof typeof KINDS;

function base(ns: string | undefined, plural: string): string {
  return ns === undefined ? `/apis/${CRD_GROUP}/${CRD_VERSION}/${plural}` : `/apis/${CRD_GROUP}/${CRD_VERSION}/namespaces/${ns}/${plural}`;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class CrdAdapter {
  private readonly informers: Record<Kind, Informer<CustomObject>>;
  private readonly queue: WorkQueue;
  private listener: Listener | undefined;
  private resync: ReturnType<typeof setInterval> | undefined;
  private leading = false;
  /** uid → generation last applied, and what it gave. */
  private readonly applied = new Map<string, { generation: number | undefined; ok: boolean; message?: string; errors?: readonly FieldError[] }>();
  /** DagRun objects this process created, until the informer has them. */
  private readonly created = new Map<string, CustomObject>();
  /** DagRun uid → the run phase last announced by an Event (a status write may not have reached the informer yet). */
  private readonly announced = new Map<string, string>();
  private readonly taskEvents: TaskEventNotifier;
  private crdMissingLogged = false;
  private finalizerForbiddenLogged = false;
  private readonly stats: CrdAdapterCounters = { dagRunReconciles: 0, runStatusComputations: 0, fullRunLoads: 0, deletionCancels: 0, finalizersRemoved: 0 };

  constructor(private readonly o: CrdAdapterOptions) {
    this.taskEvents = new TaskEventNotifier({
      pool: o.pool,
      ...(o.taskEventsPerWindow !== undefined ? { perMinute: o.taskEventsPerWindow } : {}),
      ...(o.taskEventsWindowMs !== undefined ? { windowMs: o.taskEventsWindowMs } : {}),
    });
    const make = (kind: Kind): Informer<CustomObject> =>
      new Informer<CustomObject>({
        client: o.client,
        path: (ns) => base(ns, KINDS[kind]),
        ...(o.namespaces ? { namespaces: o.namespaces } : {}),
        ...(o.namespaceFilter ? { filter: (x: CustomObject) => o.namespaceFilter!(x.metadata?.namespace ?? '') } : {}),
        onEvent: (ev) => this.onEvent(kind, ev),
        onError: (err) => this.onInformerError(kind, err),
      });
    this.informers = { dag: make('dag'), dagtask: make('dagtask'), dagrun: make('dagrun') };
    this.queue = new WorkQueue((key) => this.reconcile(key), {
      workers: o.workers ?? 4,
      minIntervalMs: o.statusIntervalMs ?? 1000,
      onError: (key, err, failures, retryInMs) => o.log.warn(`crd adapter: ${key}: ${messageOf(err)}; retrying in ${Math.round(retryInMs / 1000)} s (failure ${failures} in a row)`),
    });
  }

  /** Starts the informers and the LISTEN connection; resolves once the objects are listed (or after 10 s). */
  async start(): Promise<void> {
    for (const i of Object.values(this.informers)) i.start();
    this.listener = await listen(this.o.databaseUrl, [RUNS_CHANNEL, RUN_STATE_CHANNEL], (_ch, payload) => {
      const id = Number(payload.split(':')[0]);
      if (Number.isInteger(id) && id > 0) this.queue.add(`run/${id}`);
    }, () => this.resyncAll());
    const synced = Promise.all(Object.values(this.informers).map((i) => i.synced()));
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000).unref?.());
    if ((await Promise.race([synced, timeout])) === 'timeout') {
      this.o.log.error('crd adapter: DAG/DagTask/DagRun objects could not be listed within 10 s: are the CRDs installed (kubectl apply -f deploy/crds/) and may the controller list them?');
    }
    this.resync = setInterval(() => this.resyncAll(), this.o.resyncMs ?? 30_000);
    this.resync.unref?.();
  }

  /** Leader only: process the queue (statuses, runs, applies). */
  setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    if (leading) {
      this.o.log.info('crd adapter: leading: syncing DAG, DagTask and DagRun objects with the store');
      this.queue.resume();
      this.resyncAll();
    } else {
      this.queue.pause();
      this.taskEvents.clear();
    }
  }

  get isLeading(): boolean {
    return this.leading;
  }

  /** A copy of the counters. */
  get counters(): CrdAdapterCounters {
    return { ...this.stats };
  }

  /** Resolves when the queue has nothing due (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    if (this.resync) clearInterval(this.resync);
    await this.queue.stop();
    await Promise.all(Object.values(this.informers).map((i) => i.stop()));
    await this.listener?.close();
  }

  // --- events ---------------------------------------------------------------------------

  private inScope(ns: string): boolean {
    return (this.o.namespaces ? this.o.namespaces.includes(ns) : true) && (this.o.namespaceFilter ? this.o.namespaceFilter(ns) : true);
  }

  private onEvent(kind: Kind, ev: InformerEvent<CustomObject>): void {
    if (ev.type === 'synced') return;
    const key = `${kind}/${objectKey(ev.object)}`;
    if (ev.type !== 'deleted') {
      if (kind === 'dagrun') this.created.delete(objectKey(ev.object));
      // A status write of ours changes only the status: nothing to do for it.
      if (ev.type === 'updated' && ev.old && ev.old.metadata?.generation === ev.object.metadata?.generation && kind !== 'dagrun') return;
      this.queue.add(key);
      return;
    }
    if (kind === 'dagrun') {
      if (ev.object.metadata?.uid) this.announced.delete(ev.object.metadata.uid);
      // A DagRun is finalized while it still exists (deletionTimestamp set), not here. One that
      // went without us (no finalizer) wakes its run's reconcile, which cancels an active run.
      const id = runIdOf(ev.object);
      if (id !== undefined) {
        this.taskEvents.forget(id);
        this.queue.add(`run/${id}`);
      }
      return;
    }
    if (!this.leading) return; // the leader's resync catches DAG deletions it missed
    void this.onDeleted(kind, ev.object).catch((err: unknown) => this.o.log.warn(`crd adapter: handling the deletion of ${key}: ${messageOf(err)}`));
  }

  private onInformerError(kind: Kind, err: unknown): void {
    const status = (err as { cause?: { status?: number } }).cause?.status;
    if (status === 404) {
      if (!this.crdMissingLogged) this.o.log.error(`crd adapter: the ${KINDS[kind]}.${CRD_GROUP} CRD is not installed: kubectl apply -f deploy/crds/`);
      this.crdMissingLogged = true;
      return;
    }
    this.o.log.warn(`crd adapter: ${messageOf(err)}`);
  }

  private async onDeleted(kind: 'dag' | 'dagtask', obj: CustomObject): Promise<void> {
    const ns = obj.metadata?.namespace ?? 'default';
    const name = obj.metadata?.name ?? '';
    if (obj.metadata?.uid) this.applied.delete(obj.metadata.uid);
    if (kind === 'dag') {
      const dag = await getDag(this.o.pool, ns, name);
      if (!dag || dag.source !== SOURCE) return;
      const purge = obj.metadata?.annotations?.[PURGE_ANNOTATION] === 'true';
      await deleteDag(this.o.pool, ns, name, purge).catch((e: unknown) => (hasCode(e, 'NOT_FOUND') ? undefined : Promise.reject(e)));
      this.o.log.info(`crd adapter: DAG ${ns}/${name} deleted${purge ? ' with its history' : ' (run history kept)'}`);
      this.o.onDagChange?.();
    } else {
      await deleteDagTask(this.o.pool, ns, name).catch((e: unknown) => (hasCode(e, 'NOT_FOUND') ? undefined : Promise.reject(e)));
    }
  }

  /** Everything again: objects, runs without objects, active runs, DAGs whose object is gone. */
  private resyncAll(): void {
    if (!this.leading) return;
    for (const kind of Object.keys(KINDS) as Kind[]) for (const o of this.informers[kind].list()) this.queue.add(`${kind}/${objectKey(o)}`);
    void (async () => {
      const scope = this.o.namespaces ? { namespaces: this.o.namespaces } : {};
      if (this.o.mirrorRuns !== false) for (const r of await runsWithoutKubeObject(this.o.pool, scope)) if (this.inScope(r.namespace)) this.queue.add(`run/${r.id}`);
      for (const r of await listRuns(this.o.pool, { status: ['pending', 'running'], limit: 1000 })) if (this.inScope(r.namespace)) this.queue.add(`run/${r.id}`);
      if (this.informers.dag.isSynced) {
        for (const d of await listDags(this.o.pool, { limit: 1000 })) {
          if (d.source === SOURCE && this.inScope(d.namespace) && !this.informers.dag.get(d.namespace, d.name)) {
            await this.onDeleted('dag', { metadata: { namespace: d.namespace, name: d.name } });
          }
        }
      }
    })().catch((err: unknown) => this.o.log.warn(`crd adapter: resync: ${messageOf(err)}`));
  }

  // --- reconcilers ------------------------------------------------------------------------

  private async reconcile(key: string): Promise<Outcome> {
    const slash = key.indexOf('/');
    const kind = key.slice(0, slash);
    const rest = key.slice(slash + 1);
    if (kind === 'run') return this.reconcileRun(Number(rest));
    const [ns = '', name = ''] = rest.split('/');
    if (kind === 'dag') return this.reconcileDefinition('dag', ns, name);
    if (kind === 'dagtask') return this.reconcileDefinition('dagtask', ns, name);
    if (kind === 'dagrun') return this.reconcileDagRun(ns, name);
  }

  /** DAG or DagTask: store a new version when the spec changed since we last applied it; write status. */
  private async reconcileDefinition(kind: 'dag' | 'dagtask', ns: string, name: string): Promise<Outcome> {
    const obj = this.informers[kind].get(ns, name);
    if (!obj || obj.metadata?.deletionTimestamp) return;
    const uid = obj.metadata?.uid ?? `${ns}/${name}`;
    const generation = obj.metadata?.generation;
    let result = this.applied.get(uid);
    if (!result || result.generation !== generation) {
      const resource = kind === 'dag' ? toResource<DagResource>(obj, 'DAG') : toResource<DagTaskResource>(obj, 'DagTask');
      try {
        const r = await applyResource(this.o.pool, resource, { source: SOURCE });
        result = { generation, ok: true };
        if (r.created) this.o.log.info(`crd adapter: ${kind === 'dag' ? 'DAG' : 'DagTask'} ${ns}/${name}: stored version ${r.version}`);
        if (kind === 'dag') this.o.onDagChange?.();
        else for (const d of this.informers.dag.list()) if (d.metadata?.namespace === ns) this.queue.add(`dag/${objectKey(d)}`);
      } catch (err) {
        // A DAG a file of the DAG folder manages is refused as an invalid one is (retrying cannot help).
        if (!hasCode(err, 'VALIDATION_FAILED') && !hasCode(err, 'UNKNOWN_PARAMETER') && !hasCode(err, 'MANAGED_BY_FILE')) throw err;
        result = { generation, ok: false, message: messageOf(err), errors: (err as { details?: readonly FieldError[] }).details ?? [] };
        const details = (result.errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; ');
        await this.event(obj, kind === 'dag' ? 'DAG' : 'DagTask', 'Warning', 'Invalid', `${result.message ?? 'invalid'}${details ? `: ${details}` : ''} (the last good version stays current)`);
      }
      this.applied.set(uid, result);
    }
    let status: Record<string, unknown>;
    if (kind === 'dag') {
      const dag = await getDag(this.o.pool, ns, name);
      if (result.ok && dag) {
        const last = (await lastRuns(this.o.pool, [dag.id])).get(dag.id);
        status = storedStatus(generation, dag.currentVersion, { schedule: dag.schedule, suspended: dag.suspended, nextFireAt: nextFireOf(dag, Date.now()), lastRun: last ? { ...last, name: null } : undefined });
      } else {
        status = invalidStatus(generation, result.message ?? 'not stored', result.errors ?? [], dag?.currentVersion);
      }
    } else {
      const cur = await getDagTaskVersion(this.o.pool, ns, name);
      status = result.ok && cur ? storedStatus(generation, cur.version) : invalidStatus(generation, result.message ?? 'not stored', result.errors ?? [], cur?.version);
    }
    await this.writeStatus(kind, obj, status);
  }

  /** A DagRun: start its run (once), then its status follows the run. */
  private async reconcileDagRun(ns: string, name: string): Promise<Outcome> {
    const obj = this.informers.dagrun.get(ns, name);
    if (!obj) return;
    this.stats.dagRunReconciles++;
    if (obj.metadata?.deletionTimestamp) return this.finalizeDagRun(obj);
    const known = runIdOf(obj);
    if (known !== undefined) {
      // An ended run's status is written once; a retry of the run wakes us through the store.
      if (!dagRunSettled(obj)) this.queue.add(`run/${known}`);
      return;
    }
    const generation = obj.metadata?.generation;
    if (obj.status?.phase === 'Failed' && obj.status.observedGeneration === generation) return; // refused before; an edit retries
    const resource = toResource<DagRunResource>(obj, 'DagRun');
    const errors = validateDagRun(resource);
    if (errors.length > 0) {
      const message = `DagRun is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`;
      await this.writeStatus('dagrun', obj, failedRunStatus(generation, message, errors));
      await this.event(obj, 'DagRun', 'Warning', 'Invalid', message);
      return;
    }
    const { values, secrets } = dagRunOverrides(resource);
    const dagName = resource.spec.dagName;
    // Held before the run exists, so that no deletion from now on can miss the run.
    await this.holdFinalizer(obj);
    try {
      const { run, created } = await startRun(this.o.pool, { namespace: ns, dagName, parameters: values, secretParameters: secrets, name, trigger: 'crd' });
      const uid = obj.metadata?.uid;
      if (!created) {
        // Run names are unique per namespace and kept with their history: a DagRun deleted and
        // created again under the same name is refused, not shown the earlier object's run.
        const ref = await getRunObjectRef(this.o.pool, run.id);
        if (ref?.kubeObjectUid && uid && ref.kubeObjectUid !== uid) {
          const message = `the name "${name}" belongs to run ${run.id}, started by an earlier DagRun of that name (deleted since; its history is kept): create this DagRun under another name (metadata.generateName makes one)`;
          await this.writeStatus('dagrun', obj, failedRunStatus(generation, message, [], 'NameInUse'));
          await this.event(obj, 'DagRun', 'Warning', 'NameInUse', message);
          return;
        }
      }
      await setRunKubeObject(this.o.pool, run.id, name, uid);
      if (created) this.o.log.info(`crd adapter: DagRun ${ns}/${name} started run ${run.id} of DAG ${dagName}`);
      return this.reconcileRun(run.id);
    } catch (err) {
      if (hasCode(err, 'NOT_FOUND')) {
        const dag = this.informers.dag.get(ns, dagName);
        const dagPending = dag !== undefined && (dag.status?.observedGeneration !== dag.metadata?.generation || !this.applied.has(dag.metadata?.uid ?? ''));
        const age = Date.now() - new Date(obj.metadata?.creationTimestamp ?? Date.now()).getTime();
        if (dagPending || (dag === undefined && age < (this.o.dagRunGraceMs ?? 15_000))) return { requeueAfterMs: 1000 };
        const message =
          dag?.status?.phase === 'Failed'
            ? `DAG "${dagName}" in namespace ${ns} is invalid (${String(dag.status.message ?? '')}): fix it, then re-create this DagRun`
            : `DAG "${dagName}" not found in namespace ${ns}: apply the DAG first, then re-create this DagRun`;
        await this.writeStatus('dagrun', obj, failedRunStatus(generation, message, [], 'UnknownDAG'));
        await this.event(obj, 'DagRun', 'Warning', 'UnknownDAG', message);
        return;
      }
      if (hasCode(err, 'UNKNOWN_PARAMETER') || hasCode(err, 'VALIDATION_FAILED')) {
        const reason = hasCode(err, 'UNKNOWN_PARAMETER') ? 'UnknownParameter' : 'Invalid';
        await this.writeStatus('dagrun', obj, failedRunStatus(generation, messageOf(err), (err as { details?: readonly FieldError[] }).details ?? [], reason));
        await this.event(obj, 'DagRun', 'Warning', reason, messageOf(err));
        return;
      }
      throw err;
    }
  }

  /** A run: make its DagRun object if it has none, and write the object's status. */
  private async reconcileRun(id: number): Promise<Outcome> {
    const ref = await getRunObjectRef(this.o.pool, id);
    if (!ref || !this.inScope(ref.namespace) || ref.kubeObject === '') return;
    let name = ref.kubeObject;
    if (name === null) {
      if (this.o.mirrorRuns === false) return;
      // A DagRun of a user that has not been started yet is started by its own reconcile.
      name = (await this.ensureDagRunObject(ref)) ?? null;
      if (name === null) return;
    }
    const obj = this.informers.dagrun.get(ref.namespace, name) ?? this.created.get(`${ref.namespace}/${name}`);
    if (!obj) {
      this.taskEvents.forget(id);
      return this.cancelOrphan(ref, name); // deleted by someone: not made again
    }
    // Another object of the same name (the run's own was deleted and the name used again): not this run's.
    if (ref.kubeObjectUid && obj.metadata?.uid && ref.kubeObjectUid !== obj.metadata.uid) return this.cancelOrphan(ref, name);
    // Its status already tells how the run ended: nothing to load (a retry changes the run's status).
    if (!obj.metadata?.deletionTimestamp && dagRunSettled(obj) && obj.status?.phase === runPhase(ref.status)) return;
    const summary = await this.taskSummary(id);
    if (!summary) return;
    this.stats.runStatusComputations++;
    const status = dagRunStatus(summary.run, summary.tasks, obj.metadata?.generation, this.o.publicUrl ? { publicUrl: this.o.publicUrl } : {});
    await this.writeStatus('dagrun', obj, status);
    if (obj.metadata?.deletionTimestamp) this.queue.add(`dagrun/${ref.namespace}/${name}`);
    else if (!runEnded(summary.run.status)) await this.holdFinalizer(obj); // a DagRun from before the finalizer, or a retried run
    if (status.phase !== obj.status?.phase) this.queue.add(`dag/${ref.namespace}/${ref.dagName}`);
    await this.announce(obj, id, String(status.phase), String(status.message));
    const fresh = obj.status?.dagRunId === undefined;
    const again = await this.taskEvents.notify(id, { fresh, ended: runEnded(summary.run.status) }, (e) => this.event(obj, 'DagRun', e.type, e.reason, e.message));
    if (again !== undefined) return { requeueAfterMs: again };
  }

  /**
   * Events for a run's phase change, each once: RunStarted (also for a run that ended before its
   * first status write), then RunSucceeded / RunFailed / RunCanceled.
   */
  private async announce(obj: CustomObject, id: number, phase: string, message: string): Promise<void> {
    const uid = obj.metadata?.uid ?? objectKey(obj);
    const before = this.announced.get(uid) ?? (typeof obj.status?.phase === 'string' ? obj.status.phase : undefined);
    if (before === phase) return;
    this.announced.set(uid, phase);
    for (const e of runPhaseEvents(before, phase)) await this.event(obj, 'DagRun', e.type, e.reason, `run ${id}: ${message}`);
  }

  /** Records an Event on `obj` (best effort: a failure is only logged). */
  private event(obj: CustomObject, kind: 'DAG' | 'DagTask' | 'DagRun', type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    return recordEvent(this.o.client, { ...obj, apiVersion: API_VERSION, kind }, { type, reason, message }, (m) => this.o.log.warn(m));
  }

  /**
   * What a DagRun status needs of a run: counts and the first failed and running tasks from the
   * store (O(cap) rows at any run size); a small run's whole state, for its per-task detail.
   */
  private async taskSummary(id: number): Promise<{ run: RunRecord; tasks: TaskSummary } | undefined> {
    const summary = await loadRunTaskSummary(this.o.pool, id, DAGRUN_STATUS_LIST_CAP);
    if (!summary) return undefined;
    if (summary.total > DAGRUN_STATUS_DETAIL_MAX_TASKS) return { run: summary.run, tasks: summary };
    const detail = await loadRun(this.o.pool, id);
    if (!detail) return undefined;
    this.stats.fullRunLoads++;
    return { run: detail.run, tasks: summarizeTasks(detail.state.tasks.values()) };
  }

  /** Puts our finalizer on a DagRun that does not have it (never on one being deleted: the apiserver refuses that). */
  private async holdFinalizer(obj: CustomObject): Promise<void> {
    if (obj.metadata?.deletionTimestamp || obj.metadata?.finalizers?.includes(DAGRUN_FINALIZER)) return;
    const ns = obj.metadata?.namespace ?? 'default';
    const name = obj.metadata?.name ?? '';
    try {
      const updated = await addFinalizer(this.o.client, `${base(ns, 'dagruns')}/${name}`, obj, DAGRUN_FINALIZER);
      if (updated && this.created.has(`${ns}/${name}`)) this.created.set(`${ns}/${name}`, updated);
    } catch (err) {
      if (isNotFound(err)) return;
      if (statusOf(err) !== 403) throw err;
      // RBAC from before the finalizer: run anyway; a deleted DagRun's run is then canceled once
      // the adapter sees the object gone (cancelOrphan), without waiting for it to end.
      if (!this.finalizerForbiddenLogged) this.o.log.error(`crd adapter: may not patch DagRun ${ns}/${name} to add its finalizer (${messageOf(err)}): grant the controller "patch" on dagruns.kontroler.greedykomodo (deploy/helm/kontroler/templates/rbac.yaml); until then a deleted DagRun goes before its run is canceled`);
      this.finalizerForbiddenLogged = true;
    }
  }

  /**
   * A DagRun being deleted: cancel its run while it is active and come back until it has ended;
   * then let the object go. Its run, attempts and logs stay in the store. Level-based and
   * idempotent; a failure is retried by the work queue (the object waits, terminating).
   */
  private async finalizeDagRun(obj: CustomObject): Promise<Outcome> {
    if (!obj.metadata?.finalizers?.includes(DAGRUN_FINALIZER)) return; // not ours to hold
    const ns = obj.metadata.namespace ?? 'default';
    const name = obj.metadata.name ?? '';
    const id = runIdOf(obj) ?? (await getRunObjectRefByName(this.o.pool, ns, name))?.id;
    const run = id !== undefined ? await getRun(this.o.pool, id) : undefined;
    if (run && !runEnded(run.status)) {
      await setRunKubeObject(this.o.pool, run.id, name); // a run started just before its id reached the object: never mirrored again
      if (run.requested !== 'cancel') {
        await requestRun(this.o.pool, run.id, 'cancel').catch((e: unknown) => (hasCode(e, 'INVALID_STATE') ? undefined : Promise.reject(e)));
        this.stats.deletionCancels++;
        this.o.log.info(`crd adapter: DagRun ${ns}/${name} is being deleted: canceling run ${run.id}; the object goes once the run has ended (its history is kept)`);
        await this.event(obj, 'DagRun', 'Normal', 'Canceling', `run ${run.id}: the DagRun is being deleted; it goes once the run has ended`);
      }
      return { requeueAfterMs: DAGRUN_FINALIZE_RECHECK_MS };
    }
    try {
      await removeFinalizer(this.o.client, `${base(ns, 'dagruns')}/${name}`, obj, DAGRUN_FINALIZER);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.stats.finalizersRemoved++;
    this.o.log.info(`crd adapter: DagRun ${ns}/${name} deleted${run ? ` (run ${run.id} ${run.status}; its history is kept)` : ''}`);
  }

  /**
   * A run whose DagRun object is gone while it still runs (its finalizer was removed by hand, or
   * it was deleted before it got one): cancel it, as deleting the object asks.
   */
  private async cancelOrphan(ref: RunObjectRef, name: string): Promise<void> {
    if (ref.kubeObject !== name || runEnded(ref.status) || !this.informers.dagrun.isSynced) return;
    const run = await getRun(this.o.pool, ref.id);
    if (!run || runEnded(run.status) || run.requested === 'cancel') return;
    await requestRun(this.o.pool, run.id, 'cancel').catch((e: unknown) => (hasCode(e, 'INVALID_STATE') ? undefined : Promise.reject(e)));
    this.stats.deletionCancels++;
    this.o.log.info(`crd adapter: the DagRun ${ref.namespace}/${name} of run ${run.id} is gone: canceling the run (its history is kept)`);
  }

  /** Finds or creates the DagRun object of a run and records it; undefined when there cannot be one. */
  private async ensureDagRunObject(ref: RunObjectRef): Promise<string | undefined> {
    const name = dagRunNameFor(ref);
    const adopt = async (obj: CustomObject): Promise<string | undefined> => {
      const rid = runIdOf(obj);
      if (rid === ref.id || (rid === undefined && ref.name === name)) {
        await setRunKubeObject(this.o.pool, ref.id, name, obj.metadata?.uid);
        return name;
      }
      this.o.log.warn(`crd adapter: run ${ref.id} gets no DagRun object: ${ref.namespace}/${name} exists and belongs to another run`);
      await setRunKubeObject(this.o.pool, ref.id, '');
      return undefined;
    };
    const cached = this.informers.dagrun.get(ref.namespace, name) ?? this.created.get(`${ref.namespace}/${name}`);
    if (cached) return adopt(cached);
    const run = await getRun(this.o.pool, ref.id);
    if (!run) return undefined;
    try {
      const obj = await this.o.client.request<CustomObject>('POST', base(ref.namespace, 'dagruns'), { body: dagRunObjectFor(run, name) });
      this.created.set(`${ref.namespace}/${name}`, obj);
      await setRunKubeObject(this.o.pool, ref.id, name, obj.metadata?.uid);
      return name;
    } catch (err) {
      if (isAlreadyExists(err)) return adopt(await this.o.client.request<CustomObject>('GET', `${base(ref.namespace, 'dagruns')}/${name}`));
      if (isNotFound(err)) {
        if (!this.crdMissingLogged) this.o.log.error(`crd adapter: cannot create DagRun objects in ${ref.namespace}: ${messageOf(err)} (CRDs installed?)`);
        this.crdMissingLogged = true;
        return undefined;
      }
      throw err;
    }
  }

  private async writeStatus(kind: Kind, obj: CustomObject, desired: Record<string, unknown>): Promise<void> {
    const status = withConditionTimes(obj.status, desired, Date.now());
    if (!statusDiffers(obj.status, status)) return;
    const removed = Object.fromEntries(Object.keys(obj.status ?? {}).filter((k) => !(k in status)).map((k) => [k, null]));
    const ns = obj.metadata?.namespace ?? 'default';
    const name = obj.metadata?.name ?? '';
    try {
      const updated = await this.o.client.request<CustomObject>('PATCH', `${base(ns, KINDS[kind])}/${name}/status`, {
        contentType: 'application/merge-patch+json',
        body: { status: { ...removed, ...status } },
      });
      if (kind === 'dagrun' && this.created.has(`${ns}/${name}`)) this.created.set(`${ns}/${name}`, updated);
    } catch (err) {
      if (isNotFound(err)) return; // deleted meanwhile
      throw err;
    }
  }
}

/**
 * When the DAG's schedule fires next, as of `now`: the scheduler's own time while it is ahead, else
 * the next fire time of the schedule (the scheduler computes it on its next tick, after the status
 * was written).
 */
function nextFireOf(dag: { schedule: string | null; timezone: string; suspended: boolean; nextFireAt: number | null }, now: number): number | null {
  if (dag.suspended || !dag.schedule) return null;
  if (dag.nextFireAt !== null && dag.nextFireAt > now) return dag.nextFireAt;
  return nextFireTimes(dag.schedule, dag.timezone, new Date(now), 1)[0]?.getTime() ?? null;
}

/** The Events a DagRun gets when its run's phase goes from `before` to `phase`. */
export function runPhaseEvents(before: string | undefined, phase: string): Array<{ type: 'Normal' | 'Warning'; reason: string }> {
  const ended = { Succeeded: 'RunSucceeded', Failed: 'RunFailed', Canceled: 'RunCanceled' }[phase];
  const out: Array<{ type: 'Normal' | 'Warning'; reason: string }> = [];
  if (before !== 'Running' && (phase === 'Running' || (ended !== undefined && (before === undefined || before === 'Pending')))) out.push({ type: 'Normal', reason: 'RunStarted' });
  if (ended !== undefined) out.push({ type: phase === 'Failed' ? 'Warning' : 'Normal', reason: ended });
  return out;
}
