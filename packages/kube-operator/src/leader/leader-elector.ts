// Leader election with a coordination.k8s.io/v1 Lease (client-go's algorithm): every
// `retryPeriodMs` the candidate reads the Lease and renews it (holder) or takes it (free or
// expired), with optimistic concurrency (resourceVersion) so two candidates never both win. A
// leader that cannot renew for `renewDeadlineMs` stops leading before its lease can expire
// elsewhere. `stop()` releases the lease so another replica takes over at once.
import { type KubeClient, isAlreadyExists, isConflict, isNotFound } from '@kontroler/runtime-kube';
import { decideLease, nextLeaseSpec, type LeaseSpec } from './lease-decision.js';

export interface LeaderElectorOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly name: string;
  /** Unique per replica (e.g. pod name + a random suffix). */
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
  readonly log?: (msg: string) => void;
  readonly now?: () => number;
}

interface Lease {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private observed: { record: string; at: number } | undefined;
  private lastRenew = 0;
  private readonly now: () => number;
  private readonly path: string;

  constructor(private readonly o: LeaderElectorOptions) {
    this.now = o.now ?? Date.now;
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${o.namespace}/leases`;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get identity(): string {
    return this.o.identity;
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.tick();
  }

  /** Stops campaigning; a leader releases the lease and stops leading. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
    if (this.leading) {
      await this.release().catch((err: unknown) => this.o.log?.(`leader election: releasing the lease failed: ${String(err)}`));
      this.setLeading(false);
    }
  }

  private get durationMs(): number {
    return this.o.leaseDurationMs ?? 15_000;
  }

  private async tick(): Promise<void> {
    while (!this.stopped) await this.once();
  }

  private async once(): Promise<void> {
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      this.o.log?.(`leader election: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (ok) {
      this.lastRenew = this.now();
      this.setLeading(true);
    } else if (this.leading && this.now() - this.lastRenew > (this.o.renewDeadlineMs ?? 10_000)) {
      this.o.log?.(`leader election: could not renew lease ${this.o.namespace}/${this.o.name}: stepping down`);
      this.setLeading(false);
    }
    if (this.stopped) return;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, this.o.retryPeriodMs ?? 2_000);
    });
    this.wake = undefined;
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return;
    this.leading = v;
    this.o.log?.(`leader election: ${this.o.identity} ${v ? 'is now the leader' : 'stopped leading'} (lease ${this.o.namespace}/${this.o.name})`);
    if (v) this.o.onStartedLeading();
    else this.o.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.now();
    let lease: Lease;
    try {
      lease = await this.o.client.request<Lease>('GET', `${this.path}/${this.o.name}`, { retry: false });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.o.client.request('POST', this.path, {
          retry: false,
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.o.name, namespace: this.o.namespace }, spec: nextLeaseSpec(undefined, this.o.identity, now, this.durationMs) },
        });
        return true;
      } catch (e) {
        if (isAlreadyExists(e)) return false;
        throw e;
      }
    }
    const record = JSON.stringify(lease.spec ?? {});
    if (this.observed?.record !== record) this.observed = { record, at: now };
    const decision = decideLease(lease.spec, this.o.identity, now, this.observed.at, this.durationMs);
    if (decision === 'wait') return false;
    try {
      await this.o.client.request('PUT', `${this.path}/${this.o.name}`, {
        retry: false,
        body: { ...lease, spec: nextLeaseSpec(lease.spec, this.o.identity, now, this.durationMs) },
      });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  private async release(): Promise<void> {
    const lease = await this.o.client.request<Lease>('GET', `${this.path}/${this.o.name}`, { retry: false });
    if (lease.spec?.holderIdentity !== this.o.identity) return;
    await this.o.client.request('PUT', `${this.path}/${this.o.name}`, {
      retry: false,
      body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } },
    });
  }
}
