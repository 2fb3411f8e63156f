// Prometheus metrics of this server (its own registry: no global state shared between servers).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolLike } from '@kontroler/store';

export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;
  readonly logFollowers: Gauge;
  readonly logins: Counter<'outcome'>;
  /** Live-update streams opened, by stream (`run`: one run's, `all`: every visible run's). */
  readonly eventStreams: Counter<'stream'>;

  constructor(pool: PoolLike, followers: () => number, eventStreams: () => number = () => 0) {
    collectDefaultMetrics({ register: this.registry, prefix: 'kontroler_server_' });
    this.requests = new Counter({ name: 'kontroler_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
    this.duration = new Histogram({
      name: 'kontroler_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.logFollowers = new Gauge({ name: 'kontroler_log_followers', help: 'Open log follow streams', registers: [this.registry], collect() { this.set(followers()); } });
    this.eventStreams = new Counter({ name: 'kontroler_event_streams_total', help: 'Live-update streams opened, by stream (run, all)', labelNames: ['stream'], registers: [this.registry] });
    new Gauge({ name: 'kontroler_event_streams', help: 'Open live-update streams', registers: [this.registry], collect() { this.set(eventStreams()); } });
    this.logins = new Counter({ name: 'kontroler_logins_total', help: 'Login attempts by outcome', labelNames: ['outcome'], registers: [this.registry] });
    new Gauge({
      name: 'kontroler_runs',
      help: 'Runs in the store by status',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const { rows } = await pool.query<{ status: string; n: number }>('select status, count(*)::int as n from runs group by status');
        this.reset();
        for (const r of rows) this.set({ status: r.status }, Number(r.n));
      },
    });
  }
}
