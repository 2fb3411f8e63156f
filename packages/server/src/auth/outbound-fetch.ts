// A fetch for calls to an identity provider or a cluster's issuer that may need a private CA or a
// bearer token (kube-apiserver's discovery endpoints). Without either it is the global fetch.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface OutboundFetchInit {
  method?: string;
  headers?: Record<string, string> | Headers;
  body?: string | URLSearchParams | null;
  signal?: AbortSignal | null;
  redirect?: string;
}

export type OutboundFetch = (url: string, init?: OutboundFetchInit) => Promise<Response>;

const MAX_BODY = 1024 * 1024;

/**
 * A fetch that trusts `ca` (PEM) and sends `Authorization: Bearer <token()>` (read at each call,
 * so a rotated token file is picked up). Never follows redirects; bodies over 1 MiB are refused.
 */
export function outboundFetch(opts: { ca?: string | Buffer; token?: () => string | undefined } = {}): OutboundFetch {
  if (opts.ca === undefined && opts.token === undefined) return (url, init) => fetch(url, init as RequestInit);
  return (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const u = new URL(url);
      const headers = new Headers(init.headers ?? {});
      const token = opts.token?.();
      if (token && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
      let body: string | undefined;
      if (init.body instanceof URLSearchParams) {
        body = init.body.toString();
        if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
      } else if (typeof init.body === 'string') {
        body = init.body;
      }
      if (body !== undefined) headers.set('content-length', String(Buffer.byteLength(body)));
      const plain: Record<string, string> = {};
      headers.forEach((v, k) => (plain[k] = v));
      const make = u.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = make(
        u,
        { method: init.method ?? 'GET', headers: plain, ...(u.protocol === 'https:' && opts.ca !== undefined ? { ca: opts.ca } : {}), ...(init.signal ? { signal: init.signal } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY) {
              res.destroy(new Error(`response from ${u.origin} is larger than 1 MiB`));
              return;
            }
            chunks.push(c);
          });
          res.on('error', reject);
          res.on('end', () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (Array.isArray(v)) for (const x of v) h.append(k, x);
              else if (v !== undefined) h.set(k, v);
            }
            const status = res.statusCode ?? 502;
            const nullBody = status === 204 || status === 304;
            resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers: h }));
          });
        },
      );
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
}
