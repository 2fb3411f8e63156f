import { request, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** A non-2xx answer from the apiserver, with its Status message. */
export class KubeHttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/**
 * One JSON request to the apiserver with the kubeconfig's credentials, for paths the typed
 * client does not cover (any collection by path, custom resources). Throws KubeHttpError for
 * non-2xx answers.
 */
export async function kubeRequest<T = unknown>(
  kc: KubeConfig,
  method: string,
  path: string,
  opts: { query?: Record<string, string | undefined>; body?: unknown; contentType?: string } = {},
): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(cluster.server + path);
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  const req: RequestOptions = { method, headers: { Accept: 'application/json' } };
  await kc.applyToHTTPSOptions(req);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  if (payload !== undefined) req.headers = { ...req.headers, 'Content-Type': opts.contentType ?? 'application/json' };
  return new Promise<T>((resolve, reject) => {
    const r = request(url, req, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve(body as T);
        else {
          const message = (body as { message?: unknown } | null)?.message;
          reject(new KubeHttpError(status, `${method} ${path}: HTTP ${status}: ${typeof message === 'string' ? message : text}`, body));
        }
      });
      res.on('error', reject);
    });
    r.on('error', (err) => reject(new Error(`${method} ${path}: ${err.message}`, { cause: err })));
    if (payload !== undefined) r.write(payload);
    r.end();
  });
}
