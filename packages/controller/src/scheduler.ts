// Fires cron schedules: creates runs for due DAGs, honouring catch-up and concurrencyPolicy.
// Several controllers may run it at once: the store hands each due DAG to one of them.
import type { PoolLike, Queryable } from '@kontroler/store';
import { activeRunIds, fireDueSchedules, nextScheduleDue, requestRun, scheduledRunName, startRun } from '@kontroler/store';
import type { ControllerLog } from './log.js';
import { planFires, type CronFns } from './plan-fires.js';
import type { ControllerMetrics } from './metrics.js';

export interface SchedulerOptions {
  readonly pool: PoolLike;
  readonly cron: CronFns;
  readonly log: ControllerLog;
  readonly now?: () => number;
  /** Longest sleep between checks (a DAG change resets next fire times to be computed). */
  readonly maxSleepMs?: number;
  /** Observes each fire's delay (fire time to run created). */
  readonly metrics?: ControllerMetrics;
}

export class Scheduler {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(private readonly o: SchedulerOptions) {}

  start(): void {
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Check now (e.g. after a DAG was saved). */
  kick(): void {
    if (this.stopped || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.running = this.tick()
      .then(() => undefined)
      .catch((e: unknown) => this.o.log.error('scheduler failed', e))
      .finally(() => {
        this.running = undefined;
        void this.sleep();
      });
  }

  /** Fires everything due now; returns the number of runs created. */
  async tick(): Promise<number> {
    const now = (this.o.now ?? Date.now)();
    let created = 0;
    for (;;) {
      const handled = await fireDueSchedules(this.o.pool, now, 50, async (tx, dag) => {
        const plan = planFires(
          { schedule: dag.schedule ?? '', timezone: dag.timezone, catchUp: dag.catchUp, concurrencyPolicy: dag.concurrencyPolicy as 'Allow', nextFireAt: dag.nextFireAt },
          now,
          await activeRunIds(tx, dag.id),
          this.o.cron,
        );
        for (const id of plan.cancel) await requestRun(tx, id, 'cancel').catch(() => undefined);
        if (plan.skipped > 0) this.o.log.info(`${dag.namespace}/${dag.name}: ${plan.skipped} fire(s) skipped, a run is active (concurrencyPolicy Forbid)`);
        for (const at of plan.fires) {
          if (await fireOne(tx, dag.namespace, dag.name, at)) {
            created++;
            this.o.metrics?.scheduleFireDelay.observe(Math.max(0, now - at) / 1000);
          }
        }
        const last = plan.fires[plan.fires.length - 1];
        return { nextFireAt: plan.nextFireAt, ...(last !== undefined ? { firedAt: last } : {}) };
      });
      if (handled < 50) break;
    }
    return created;
  }

  private async sleep(): Promise<void> {
    if (this.stopped) return;
    const now = (this.o.now ?? Date.now)();
    const max = this.o.maxSleepMs ?? 10_000;
    let next = now + max;
    try {
      const due = await nextScheduleDue(this.o.pool);
      if (due !== undefined) next = Math.min(next, Math.max(due, now + 5));
    } catch (e) {
      this.o.log.error('scheduler: reading next fire time failed', e);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => this.kick(), Math.max(5, next - now));
  }
}

/** The name of the run a schedule starts for fire time `at`: one run per DAG and fire, even when two controllers fire (the store's). */
export { scheduledRunName };

/** Starts the run of one fire (with the DAG's parameter defaults); false when it existed already. */
async function fireOne(tx: Queryable, namespace: string, dagName: string, at: number): Promise<boolean> {
  const { created } = await startRun(tx, { namespace, dagName, name: scheduledRunName(dagName, at), trigger: 'schedule', scheduledFor: at });
  return created;
}
