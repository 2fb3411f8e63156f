// Prometheus metrics of a controller process (its own registry: no global state shared between
// controllers in one process). The hooks are counter increments and histogram observations, O(1)
// on the hot path; gauges that need a walk or a query are computed only when scraped.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Outcome labels of a delivery try: delivered, failed but retried later, failed for good. */
export type WebhookOutcome = 'delivered' | 'retrying' | 'failed';

/** What a scrape reads from the running controller (set by whoever owns those parts). */
export interface ControllerGauges {
  /** Runs this controller drives now. */
  readonly runsDriven?: () => number;
  /** Attempts handed to the runtime and not yet seen running (e.g. pods not yet Running), in the runs driven here. */
  readonly attemptsStarting?: () => number;
  /** Runs waiting to be claimed by any controller (a database query; undefined when unreadable). */
  readonly runsWaiting?: () => Promise<number | undefined>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const DECISION_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly runsClaimed: Counter;
  readonly runsFinished: Counter<'outcome'>;
  readonly attemptsStarted: Counter;
  readonly attemptsFinished: Counter<'outcome'>;
  /** Seconds from a run's creation (or its scheduled time) to its first claim. */
  readonly claimLatency: Histogram;
  /** Seconds one engine decision (a batch of events) takes. */
  readonly decisionDuration: Histogram;
  /** Seconds saving one decision's changes takes. */
  readonly saveDuration: Histogram;
  readonly kubeRequests: Counter<'verb' | 'resource' | 'code'>;
  readonly webhookDeliveries: Counter<'outcome'>;
  /** Seconds between a schedule's fire time and the creation of its run. */
  readonly scheduleFireDelay: Histogram;
  private gauges: ControllerGauges = {};

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'kontroler_controller_' });
    this.runsClaimed = new Counter({ name: 'kontroler_controller_runs_claimed_total', help: 'Runs this controller took to drive (first claims and take-overs)', registers });
    this.runsFinished = new Counter({ name: 'kontroler_controller_runs_finished_total', help: 'Runs that ended here, by outcome (succeeded, failed, canceled)', labelNames: ['outcome'], registers });
    this.attemptsStarted = new Counter({ name: 'kontroler_controller_attempts_started_total', help: 'Task attempts handed to the runtime', registers });
    this.attemptsFinished = new Counter({
      name: 'kontroler_controller_attempts_finished_total',
      help: 'Task attempts recorded as ended, by outcome (succeeded, failed, canceled, lost)',
      labelNames: ['outcome'],
      registers,
    });
    this.claimLatency = new Histogram({ name: 'kontroler_controller_claim_latency_seconds', help: 'From a run being created (or due) to its first claim', buckets: LATENCY_BUCKETS, registers });
    this.decisionDuration = new Histogram({ name: 'kontroler_controller_decision_duration_seconds', help: 'One engine decision over a batch of events', buckets: DECISION_BUCKETS, registers });
    this.saveDuration = new Histogram({ name: 'kontroler_controller_save_duration_seconds', help: "Saving one decision's changes to the store", buckets: LATENCY_BUCKETS, registers });
    this.kubeRequests = new Counter({
      name: 'kontroler_controller_kube_requests_total',
      help: 'Kubernetes API requests by verb, resource and HTTP status (0: no answer)',
      labelNames: ['verb', 'resource', 'code'],
      registers,
    });
    this.webhookDeliveries = new Counter({ name: 'kontroler_controller_webhook_deliveries_total', help: 'Webhook delivery tries by outcome (delivered, retrying, failed)', labelNames: ['outcome'], registers });
    this.scheduleFireDelay = new Histogram({ name: 'kontroler_controller_schedule_fire_delay_seconds', help: "From a schedule's fire time to its run being created", buckets: LATENCY_BUCKETS, registers });
    const self = this;
    new Gauge({ name: 'kontroler_controller_runs_driven', help: 'Runs this controller drives now', registers, collect() { this.set(self.gauges.runsDriven?.() ?? 0); } });
    new Gauge({
      name: 'kontroler_controller_attempts_starting',
      help: 'Attempts handed to the runtime and not yet running (tasks ready but not started), in the runs driven here',
      registers,
      collect() {
        this.set(self.gauges.attemptsStarting?.() ?? 0);
      },
    });
    new Gauge({
      name: 'kontroler_controller_runs_waiting',
      help: 'Runs waiting to be claimed (pending, held by no live controller), on the whole database',
      registers,
      async collect() {
        const n = await self.gauges.runsWaiting?.();
        if (n !== undefined) this.set(n);
      },
    });
  }

  /** Where the scrape-time gauges read from (the controller and its pool); replaces earlier ones. */
  readFrom(g: ControllerGauges): void {
    this.gauges = { ...this.gauges, ...g };
  }

  /** Prometheus text of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Seconds since `startMs` (a `performance.now()` reading). */
export function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}
