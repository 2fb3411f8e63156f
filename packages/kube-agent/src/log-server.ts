import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ContainerLog } from './container-log.js';
import { readContainerLog, type LogQuery } from './log-reader.js';
import { messageOf } from './kube-errors.js';

export type LogSource = { path: string; live?: ContainerLog } | { status: 400 | 404; message: string };

/** Finds the log of a container attempt; `previous` asks for the attempt before the current one. */
export type LogLookup = (namespace: string, pod: string, container: string, previous: boolean) => LogSource;

export interface LogServerOptions {
  /** PEM serving certificate and key (the harness issues one for 127.0.0.1). */
  cert: Buffer;
  key: Buffer;
  /** When set, clients must present a certificate from this CA (the apiserver's kubelet client cert). */
  clientCA?: Buffer;
  host?: string;
  port?: number;
  lookup: LogLookup;
}

export interface RunningLogServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves kubelet's `GET /containerLogs/{namespace}/{pod}/{container}` over HTTPS, so the real
 * apiserver's `pods/log` (including `follow`) reaches the agent. Errors are plain text with
 * kubelet's status codes; the apiserver turns them into API errors.
 */
export async function startLogServer(opts: LogServerOptions): Promise<RunningLogServer> {
  const open = new Set<ServerResponse>();
  const server: Server = createServer(
    { cert: opts.cert, key: opts.key, ca: opts.clientCA, requestCert: !!opts.clientCA, rejectUnauthorized: !!opts.clientCA },
    (req, res) => {
      open.add(res);
      res.on('close', () => open.delete(res));
      handle(req, res, opts.lookup).catch((err: unknown) => {
        if (!res.headersSent) reply(res, 500, `internal error: ${messageOf(err)}`);
        else res.destroy();
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, lookup: LogLookup): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://agent');
  const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
  if (req.method !== 'GET' || !m) return reply(res, 404, `404 page not found: ${req.method} ${url.pathname}`);
  const [ns, pod, container] = [m[1], m[2], m[3]].map((s) => decodeURIComponent(s as string)) as [string, string, string];
  const p = url.searchParams;
  let q: LogQuery;
  try {
    q = parseQuery(p);
  } catch (err) {
    return reply(res, 400, (err as Error).message);
  }
  const src = lookup(ns, pod, container, p.get('previous') === 'true');
  if ('status' in src) return reply(res, src.status, src.message);

  const abort = new AbortController();
  res.on('close', () => abort.abort());
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  for await (const chunk of readContainerLog(src.path, src.live, q, abort.signal)) {
    if (abort.signal.aborted) break;
    res.write(chunk);
  }
  res.end();
}

function parseQuery(p: URLSearchParams): LogQuery {
  const int = (name: string): number | undefined => {
    const v = p.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`invalid ${name}: ${v}`);
    return n;
  };
  const q: LogQuery = { follow: p.get('follow') === 'true', timestamps: p.get('timestamps') === 'true' };
  const tailLines = int('tailLines');
  const limitBytes = int('limitBytes');
  const sinceSeconds = int('sinceSeconds');
  const sinceTime = p.get('sinceTime');
  if (tailLines !== undefined) q.tailLines = tailLines;
  if (limitBytes !== undefined) q.limitBytes = limitBytes;
  if (sinceSeconds !== undefined) q.since = new Date(Date.now() - sinceSeconds * 1000);
  else if (sinceTime) {
    const d = new Date(sinceTime);
    if (Number.isNaN(d.getTime())) throw new Error(`invalid sinceTime: ${sinceTime}`);
    q.since = d;
  }
  const stream = p.get('stream');
  if (stream === 'Stdout') q.stream = 'stdout';
  else if (stream === 'Stderr') q.stream = 'stderr';
  else if (stream && stream !== 'All') throw new Error(`invalid stream: ${stream}`);
  return q;
}

function reply(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(message);
}
