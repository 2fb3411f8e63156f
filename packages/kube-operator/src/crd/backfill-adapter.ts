// Backfill objects (issue 18) → backfills in the store, level-based: a Backfill object gets one
// backfill (by its uid, so a restart or a second leader never makes two), and its status follows
// the backfill's progress until it ends. The runs themselves are released by the controllers
// (BackfillReleaser), as for a backfill made through the API. Deleting the object does not cancel
// the backfill (its runs are history); `kontroler backfill-cancel` or the API does.
import { hasCode, messageOf, parseLogicalTime } from '@kontroler/core';
import type { PoolLike } from '@kontroler/store';
import { createBackfill, getBackfillByKubeUid, type BackfillRecord } from '@kontroler/store';
import { Informer, type InformerEvent, type KubeClient, isNotFound, objectKey } from '@kontroler/runtime-kube';
import type { CustomObject } from './crd-objects.js';
import { statusDiffers } from './crd-objects.js';
import { CRD_GROUP, CRD_VERSION } from './crd-schema.js';
import type { AdapterLog } from './crd-adapter.js';
import { WorkQueue, type Outcome } from './work-queue.js';

export interface BackfillAdapterOptions {
  readonly client: KubeClient;
  readonly pool: PoolLike;
  readonly namespaces?: readonly string[];
  readonly namespaceFilter?: (namespace: string) => boolean;
  readonly log: AdapterLog;
  /** How often a running backfill's status is refreshed (default 5 s). */
  readonly refreshMs?: number;
}

const PHASES: Record<BackfillRecord['status'], string> = { running: 'Running', succeeded: 'Succeeded', failed: 'Failed', canceled: 'Canceled' };

function path(ns: string | undefined): string {
  return ns === undefined ? `/apis/${CRD_GROUP}/${CRD_VERSION}/backfills` : `/apis/${CRD_GROUP}/${CRD_VERSION}/namespaces/${ns}/backfills`;
}

/** The status of a Backfill object whose backfill is `b`. */
export function backfillObjectStatus(b: BackfillRecord, generation: number | undefined): Record<string, unknown> {
  const p = b.progress;
  return {
    backfillId: b.id,
    phase: PHASES[b.status],
    message: b.error ?? `${p.done}/${p.total - p.skipped} done, ${p.running} running, ${p.failed} failed, ${p.pending} pending${p.skipped > 0 ? `, ${p.skipped} skipped (had a run)` : ''}`,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    done: p.done,
    running: p.running,
    failed: p.failed,
    pending: p.pending,
    skipped: p.skipped,
    total: p.total,
    progress: `${p.done}/${p.total - p.skipped}`,
  };
}

export class BackfillAdapter {
  private readonly informer: Informer<CustomObject>;
  private readonly queue: WorkQueue;
  private leading = false;

  constructor(private readonly o: BackfillAdapterOptions) {
    this.informer = new Informer<CustomObject>({
      client: o.client,
      path,
      ...(o.namespaces ? { namespaces: o.namespaces } : {}),
      ...(o.namespaceFilter ? { filter: (x: CustomObject) => o.namespaceFilter!(x.metadata?.namespace ?? '') } : {}),
      onEvent: (ev) => this.onEvent(ev),
      onError: (err) => o.log.warn(`backfill adapter: watching Backfill objects: ${messageOf(err)}`),
    });
    this.queue = new WorkQueue((key) => this.reconcile(key), {
      workers: 2,
      onError: (key, err, failures, retryInMs) => o.log.warn(`backfill adapter: ${key}: ${messageOf(err)}; retrying in ${Math.round(retryInMs / 1000)} s (failure ${failures} in a row)`),
    });
    this.queue.pause();
  }

  start(): void {
    this.informer.start();
  }

  /** Leader only: create backfills and write statuses. */
  setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    if (!leading) return this.queue.pause();
    this.queue.resume();
    for (const obj of this.informer.list()) this.queue.add(objectKey(obj));
  }

  /** Resolves when nothing is due (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    await this.queue.stop();
    await this.informer.stop();
  }

  private onEvent(ev: InformerEvent<CustomObject>): void {
    if (ev.type === 'synced' || ev.type === 'deleted') return;
    // A status write of ours changes only the status: nothing to do for it.
    if (ev.type === 'updated' && ev.old?.metadata?.generation === ev.object.metadata?.generation) return;
    this.queue.add(objectKey(ev.object));
  }

  private async reconcile(key: string): Promise<Outcome> {
    const [ns = '', name = ''] = key.split('/');
    const obj = this.informer.get(ns, name);
    const uid = obj?.metadata?.uid;
    if (!obj || !uid) return;
    const generation = obj.metadata?.generation;
    let b = await getBackfillByKubeUid(this.o.pool, uid);
    if (!b) {
      const spec = (obj.spec ?? {}) as { dagName?: string; from?: string; to?: string; maxActive?: number; reverse?: boolean };
      const from = parseLogicalTime(spec.from ?? '');
      const to = parseLogicalTime(spec.to ?? '');
      const invalid = !spec.dagName ? 'spec.dagName: required' : !from.ok ? `spec.from: ${from.message}` : !to.ok ? `spec.to: ${to.message}` : undefined;
      if (invalid || !from.ok || !to.ok) return this.writeStatus(obj, { phase: 'Failed', message: `Backfill is invalid: ${invalid ?? ''}`, ...(generation !== undefined ? { observedGeneration: generation } : {}) });
      try {
        ({ backfill: b } = await createBackfill(this.o.pool, {
          namespace: ns,
          dagName: spec.dagName ?? '',
          from: from.ms,
          to: to.ms,
          ...(spec.maxActive !== undefined ? { maxActive: spec.maxActive } : {}),
          ...(spec.reverse !== undefined ? { reverse: spec.reverse } : {}),
          createdBy: `kubernetes:${ns}/${name}`,
          kubeObjectUid: uid,
        }));
        this.o.log.info(`backfill adapter: Backfill ${ns}/${name} created backfill ${b.id} of DAG ${spec.dagName ?? ''}`);
      } catch (err) {
        if (!hasCode(err, 'VALIDATION_FAILED') && !hasCode(err, 'NOT_FOUND')) throw err;
        // A field of the spec or the DAG: fixed by a new Backfill (the spec is immutable).
        const message = messageOf(err).replace(/^(from|to|maxActive|dag): /, (_m, f: string) => (f === 'dag' ? '' : `spec.${f}: `));
        return this.writeStatus(obj, { phase: 'Failed', message, ...(generation !== undefined ? { observedGeneration: generation } : {}) });
      }
    }
    await this.writeStatus(obj, backfillObjectStatus(b, generation));
    if (b.status === 'running') return { requeueAfterMs: this.o.refreshMs ?? 5_000 };
  }

  private async writeStatus(obj: CustomObject, status: Record<string, unknown>): Promise<void> {
    if (!statusDiffers(obj.status, status)) return;
    try {
      await this.o.client.request('PATCH', `${path(obj.metadata?.namespace ?? 'default')}/${obj.metadata?.name ?? ''}/status`, {
        contentType: 'application/merge-patch+json',
        body: { status },
      });
    } catch (err) {
      if (isNotFound(err)) return; // deleted meanwhile
      throw err;
    }
  }
}
