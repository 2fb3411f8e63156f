// The controller's small HTTP listener: liveness (`/healthz`), readiness (`/readyz`: the database
// answers) and Prometheus metrics (`/metrics`). Public by design, like the metrics port of most
// Kubernetes controllers: it serves no data of runs, only counts; bind it to 127.0.0.1 (the
// default outside a cluster) or restrict it with a NetworkPolicy (the chart's).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ControllerMetrics } from './metrics.js';

/** How long /readyz waits for the database before it answers 503. */
export const READY_TIMEOUT_MS = 2000;
/** Connections served at once; more wait in the kernel's backlog. */
export const HEALTH_MAX_CONNECTIONS = 32;
/** A request (headers included) must arrive within this time. */
export const HEALTH_REQUEST_TIMEOUT_MS = 10_000;

export interface HealthServerOptions {
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly metrics: ControllerMetrics;
  /** Resolves when the process can do its work (the database answers); rejects with the reason otherwise. */
  readonly ready: () => Promise<void>;
}

export interface RunningHealthServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Rejects when `p` has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  p.catch(() => undefined);
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function answer(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
}

export async function startHealthServer(o: HealthServerOptions): Promise<RunningHealthServer> {
  const server = http.createServer({ requestTimeout: HEALTH_REQUEST_TIMEOUT_MS, headersTimeout: HEALTH_REQUEST_TIMEOUT_MS }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'only GET\n');
    if (path === '/healthz') return answer(res, 200, 'ok\n');
    if (path === '/readyz') {
      within(o.ready(), READY_TIMEOUT_MS).then(
        () => answer(res, 200, 'ready\n'),
        // No connection details (addresses, ports) in a public answer.
        () => answer(res, 503, `not ready: the database gives no answer within ${READY_TIMEOUT_MS} ms\n`),
      );
      return;
    }
    if (path === '/metrics') {
      o.metrics.text().then(
        (text) => answer(res, 200, text, o.metrics.registry.contentType),
        () => answer(res, 500, 'collecting metrics failed\n'),
      );
      return;
    }
    answer(res, 404, 'not found (try /healthz, /readyz or /metrics)\n');
  });
  server.maxConnections = HEALTH_MAX_CONNECTIONS;
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    port,
    url: `http://${shown}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
