// The Kubernetes API as this package uses it: JSON requests by path, streamed responses (logs,
// watches), a client-side rate limit (QPS/burst) shared by every call, retries of transient
// failures (decided in kube-error.ts), and counters for benchmarks. Credentials come from a
// @kubernetes/client-node KubeConfig (kubeconfig file or in-cluster service account).
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, retryDelay } from './kube-error.js';
import { TokenBucket } from './rate-limiter.js';

/** Client-side rate limit defaults: client-go's usual controller settings (Argo's too), also `kontroler controller`'s. */
export const DEFAULT_KUBE_QPS = 20;
export const DEFAULT_KUBE_BURST = 30;

export interface KubeClientOptions {
  /** Client-side rate limit, as client-go's: requests per second (default `DEFAULT_KUBE_QPS`; 0 = unlimited). */
  readonly qps?: number;
  /** Burst above `qps` (default `DEFAULT_KUBE_BURST`). */
  readonly burst?: number;
  /** Per-request timeout for non-streaming calls (default 30 s). */
  readonly timeoutMs?: number;
  readonly userAgent?: string;
  /** Called once per request sent (retries included; watches and log streams excluded) with its answer's HTTP status, 0 when none came (for metrics). */
  readonly onResponse?: (verb: string, resource: string, status: number) => void;
}

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  /** Default application/json; patches use merge-patch+json or json-patch+json. */
  readonly contentType?: string;
  /** Retry transient failures (default true). */
  readonly retry?: boolean;
}

export interface ClientStats {
  /** Requests sent (retries included), watches and log streams excluded. */
  requests: number;
  /** Watches and log streams opened. */
  streams: number;
  /** Requests by `VERB resource` (e.g. `POST pods`). */
  byKind: Record<string, number>;
}

type Done = { status: number; body: Buffer };

/** A watch event as the apiserver sends it. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: unknown;
}

export class KubeClient {
  readonly stats: ClientStats = { requests: 0, streams: 0, byKind: {} };
  private readonly bucket: TokenBucket;
  private agent: http.Agent | undefined;
  private readonly timeoutMs: number;

  constructor(
    readonly kc: KubeConfig,
    private readonly o: KubeClientOptions = {},
  ) {
    this.bucket = new TokenBucket({ qps: o.qps ?? DEFAULT_KUBE_QPS, burst: o.burst ?? DEFAULT_KUBE_BURST });
    this.timeoutMs = o.timeoutMs ?? 30_000;
  }

  /** The namespace of the kubeconfig's current context (in-cluster: the pod's), or undefined. */
  get contextNamespace(): string | undefined {
    const ctx = this.kc.getContextObject(this.kc.getCurrentContext());
    return ctx?.namespace;
  }

  /**
   * One JSON request. Resolves with the parsed body; throws KubeApiError for non-2xx answers
   * (after retrying throttling, server and connection errors unless `retry: false`).
   */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.once(method, path, opts);
        const text = res.body.toString('utf8');
        return (text === '' ? undefined : JSON.parse(text)) as T;
      } catch (err) {
        const delay = opts.retry === false ? undefined : retryDelay(err, attempt);
        if (delay === undefined) throw err;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** A GET answered with raw bytes (pod logs). */
  async bytes(path: string, query: Query = {}): Promise<Buffer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.once('GET', path, { query }, '*/*')).body;
      } catch (err) {
        const delay = retryDelay(err, attempt);
        if (delay === undefined) throw err;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /**
   * Streams a GET response (a followed log) to `onData` until the server ends it or `signal`
   * aborts. Resolves when the stream ended; throws KubeApiError when the server refused it.
   */
  async stream(path: string, query: Query, onData: (chunk: Buffer) => void, signal: AbortSignal): Promise<void> {
    await this.bucket.take();
    this.stats.streams++;
    const res = await this.open('GET', path, { query }, '*/*', signal, 0);
    if ((res.statusCode ?? 0) >= 300) throw await this.failure(res, 'GET', path);
    await new Promise<void>((resolve, reject) => {
      res.on('data', (c: Buffer) => onData(c));
      res.on('end', () => resolve());
      res.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
      res.on('close', () => resolve());
    });
  }

  /**
   * Opens a watch and calls `onEvent` per event until the server closes it or `signal` aborts.
   * Throws KubeApiError when the watch could not be opened (e.g. 410 Gone).
   */
  async watch(path: string, query: Query, onEvent: (ev: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    await this.bucket.take();
    this.stats.streams++;
    const res = await this.open('GET', path, { query: { ...query, watch: true } }, 'application/json', signal, 0);
    if ((res.statusCode ?? 0) >= 300) throw await this.failure(res, 'GET', path);
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line === '') continue;
          try {
            onEvent(JSON.parse(line) as WatchEvent);
          } catch (e) {
            res.destroy();
            reject(e);
            return;
          }
        }
      });
      res.on('end', () => resolve());
      res.on('close', () => resolve());
      res.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
    });
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  private async once(method: string, path: string, opts: RequestOptions, accept = 'application/json'): Promise<Done> {
    await this.bucket.take();
    this.stats.requests++;
    const kind = `${method} ${resourceOf(path)}`;
    this.stats.byKind[kind] = (this.stats.byKind[kind] ?? 0) + 1;
    let res: http.IncomingMessage;
    try {
      res = await this.open(method, path, opts, accept, undefined, this.timeoutMs);
    } catch (err) {
      this.o.onResponse?.(method, resourceOf(path), 0);
      throw err;
    }
    this.o.onResponse?.(method, resourceOf(path), res.statusCode ?? 0);
    if ((res.statusCode ?? 0) >= 300) throw await this.failure(res, method, path);
    return { status: res.statusCode ?? 0, body: await readAll(res) };
  }

  private async open(method: string, path: string, opts: RequestOptions, accept: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<http.IncomingMessage> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new KubeApiError(0, 'NoCluster', 'the kubeconfig has no current cluster: set --kubeconfig / KUBECONFIG or run in a cluster', undefined);
    const url = new URL(cluster.server.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const req: https.RequestOptions = { method, headers: { Accept: accept, 'User-Agent': this.o.userAgent ?? 'kontroler' } };
    await this.kc.applyToHTTPSOptions(req);
    req.agent = this.agentFor(url, req);
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    if (payload !== undefined) req.headers = { ...req.headers, 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) };
    if (signal) req.signal = signal;
    const mod = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const r = mod.request(url, req, resolve);
      r.on('error', (err: NodeJS.ErrnoException) => {
        if (signal?.aborted) return reject(new KubeApiError(0, 'Aborted', `${method} ${path}: aborted`, undefined, { cause: err }));
        const e = new KubeApiError(0, err.code ?? 'NetworkError', `${method} ${path}: ${err.message}`, undefined, { cause: err });
        reject(e);
      });
      if (timeoutMs > 0) r.setTimeout(timeoutMs, () => r.destroy(Object.assign(new Error(`timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      if (payload !== undefined) r.write(payload);
      r.end();
    });
  }

  private agentFor(url: URL, req: https.RequestOptions): http.Agent {
    if (this.agent) return this.agent;
    this.agent =
      url.protocol === 'http:'
        ? new http.Agent({ keepAlive: true })
        : new https.Agent({
            keepAlive: true,
            ...(req.ca !== undefined ? { ca: req.ca } : {}),
            ...(req.cert !== undefined ? { cert: req.cert } : {}),
            ...(req.key !== undefined ? { key: req.key } : {}),
            ...(req.rejectUnauthorized !== undefined ? { rejectUnauthorized: req.rejectUnauthorized } : {}),
            ...(req.servername !== undefined ? { servername: req.servername } : {}),
          });
    return this.agent;
  }

  private async failure(res: http.IncomingMessage, method: string, path: string): Promise<KubeApiError> {
    const text = (await readAll(res).catch(() => Buffer.alloc(0))).toString('utf8');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not a Status object
    }
    const status = res.statusCode ?? 0;
    const s = body as { reason?: unknown; message?: unknown } | null;
    const reason = typeof s?.reason === 'string' ? s.reason : String(status);
    const message = typeof s?.message === 'string' ? s.message : text.slice(0, 500);
    return new KubeApiError(status, reason, `${method} ${path}: HTTP ${status} ${reason}: ${message}`, body);
  }
}

function readAll(res: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });
}

/** `/api/v1/namespaces/x/pods/y/log` → `pods/log`; for request statistics. */
export function resourceOf(path: string): string {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  const i = parts[0] === 'api' ? 2 : 3;
  const rest = parts.slice(i);
  if (rest[0] === 'namespaces' && rest.length > 2) rest.splice(0, 2);
  const resource = rest[0] ?? 'namespaces';
  const sub = rest[2];
  return sub ? `${resource}/${sub}` : resource;
}
