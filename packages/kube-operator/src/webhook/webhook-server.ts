// The HTTPS server of the validating admission webhooks (`/validate-dag`, `/validate-dagtask`,
// `/validate-dagrun`; `/validate` takes any of the three; `/healthz`).
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { PoolLike } from '@kontroler/store';
import { admissionResponse, validateAdmission, type AdmissionReview } from './admission.js';
import type { ServingCert } from './certs.js';

export interface WebhookServerOptions {
  readonly cert: ServingCert;
  readonly port: number;
  readonly host?: string;
  /** Validation against stored DagTasks and DAG parameters; without it, core validation only. */
  readonly pool?: PoolLike;
  readonly log?: (msg: string) => void;
}

export interface RunningWebhookServer {
  readonly port: number;
  readonly url: string;
  /** Serves new connections with `cert` (a renewed certificate); open connections keep theirs. */
  setCert(cert: ServingCert): void;
  close(): Promise<void>;
}

const MAX_BODY = 3 * 1024 * 1024;
const PATHS = new Set(['/validate', '/validate-dag', '/validate-dagtask', '/validate-dagrun']);

export async function startWebhookServer(o: WebhookServerOptions): Promise<RunningWebhookServer> {
  const server = https.createServer({ cert: o.cert.cert, key: o.cert.key, minVersion: 'TLSv1.2' }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && (path === '/healthz' || path === '/readyz')) {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    if (req.method !== 'POST' || !PATHS.has(path)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      void (async () => {
        let review: AdmissionReview;
        try {
          review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as AdmissionReview;
        } catch {
          res.writeHead(400, { 'Content-Type': 'text/plain' }).end('expected an AdmissionReview (JSON)');
          return;
        }
        const request = review.request;
        if (!request?.uid) {
          res.writeHead(400, { 'Content-Type': 'text/plain' }).end('AdmissionReview without request.uid');
          return;
        }
        try {
          const verdict = await validateAdmission(request, o.pool);
          if (!verdict.allowed) o.log?.(`admission: refused ${request.kind?.kind ?? '?'} ${request.namespace ?? ''}/${request.name ?? request.object?.metadata?.name ?? ''}: ${verdict.message ?? ''}`);
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(admissionResponse(request.uid, verdict)));
        } catch (err) {
          o.log?.(`admission: validation failed: ${err instanceof Error ? err.message : String(err)}`);
          res.writeHead(500, { 'Content-Type': 'text/plain' }).end('validation is unavailable (database?)');
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `https://${o.host && o.host !== '0.0.0.0' ? o.host : '127.0.0.1'}:${port}`,
    setCert: (cert) => server.setSecureContext({ cert: cert.cert, key: cert.key, minVersion: 'TLSv1.2' }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A ValidatingWebhookConfiguration for the three kinds (Helm renders the same in-cluster). */
export function webhookConfiguration(opts: {
  name: string;
  caBundle: string;
  /** In-cluster: the Service; out of cluster (tests): a URL base such as https://127.0.0.1:9443. */
  service?: { namespace: string; name: string; port?: number };
  url?: string;
  namespaceSelector?: Record<string, unknown>;
  failurePolicy?: 'Fail' | 'Ignore';
}): Record<string, unknown> {
  const kinds = [
    ['dag', 'dags'],
    ['dagtask', 'dagtasks'],
    ['dagrun', 'dagruns'],
  ] as const;
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: opts.name },
    webhooks: kinds.map(([k, plural]) => ({
      name: `validate-${k}.kontroler.greedykomodo`,
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: opts.failurePolicy ?? 'Fail',
      timeoutSeconds: 10,
      ...(opts.namespaceSelector ? { namespaceSelector: opts.namespaceSelector } : {}),
      rules: [{ apiGroups: ['kontroler.greedykomodo'], apiVersions: ['v1alpha1'], operations: ['CREATE', 'UPDATE'], resources: [plural], scope: 'Namespaced' }],
      clientConfig: {
        caBundle: Buffer.from(opts.caBundle).toString('base64'),
        ...(opts.url
          ? { url: `${opts.url}/validate-${k}` }
          : { service: { namespace: opts.service?.namespace ?? 'default', name: opts.service?.name ?? 'kontroler-webhook', port: opts.service?.port ?? 443, path: `/validate-${k}` } }),
      },
    })),
  };
}
