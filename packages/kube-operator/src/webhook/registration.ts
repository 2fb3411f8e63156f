// Registering the admission webhook of a controller that runs outside the cluster (or anywhere
// the chart does not register it): the names its self-signed certificate must carry for the URL
// the apiserver calls, which namespaces it validates, and the ValidatingWebhookConfiguration,
// applied server-side on every start (a self-signed CA is new at each start).
import { type KubeClient, statusOf } from '@kontroler/runtime-kube';
import { isIP } from 'node:net';
import { webhookConfiguration } from './webhook-server.js';

/** The name of the configuration `--webhook-url` registers, unless told otherwise. */
export const DEFAULT_WEBHOOK_CONFIG_NAME = 'kontroler-external';

/**
 * Checks a webhook URL (the base the apiserver calls `/validate-dag` etc. under): https, a host,
 * no query or fragment. Returns a problem to show, or undefined when it is fine. Pure.
 */
export function webhookUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not an absolute URL (e.g. https://203.0.113.7:9443)`;
  }
  if (u.protocol !== 'https:') return `the apiserver calls webhooks over TLS only: use https://, got "${url}"`;
  if (u.search !== '' || u.hash !== '') return `no query or fragment, got "${url}"`;
  if (u.username !== '' || u.password !== '') return `no user or password in the URL`;
  return undefined;
}

/** The URL's host as a DNS name or an IP, for the serving certificate's subjectAltName. Pure. */
export function webhookCertNames(url: string): { dnsNames: string[]; ips: string[] } {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return isIP(host) ? { dnsNames: [], ips: [host] } : { dnsNames: [host], ips: [] };
}

/** The namespaces the webhook validates: the controller's own (by name, or its shard's label); undefined = all. Pure. */
export function webhookNamespaceSelector(scope: { namespaces?: readonly string[] | undefined; shardLabel?: { key: string; value: string } | undefined }): Record<string, unknown> | undefined {
  if (scope.namespaces && scope.namespaces.length > 0) return { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [...scope.namespaces] }] };
  if (scope.shardLabel) return { matchLabels: { [scope.shardLabel.key]: scope.shardLabel.value } };
  return undefined;
}

/**
 * Applies (server-side, idempotent) the ValidatingWebhookConfiguration `name` pointing at `url`
 * and trusting `caBundle`. Throws an Error saying what to grant, or how to register by hand, when
 * the controller may not.
 */
export async function registerWebhook(client: KubeClient, o: { name: string; url: string; caBundle: string; namespaceSelector?: Record<string, unknown> | undefined }): Promise<void> {
  const body = webhookConfiguration({ name: o.name, caBundle: o.caBundle, url: o.url.replace(/\/+$/, ''), ...(o.namespaceSelector ? { namespaceSelector: o.namespaceSelector } : {}) });
  try {
    await client.request('PATCH', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${o.name}`, {
      query: { fieldManager: 'kontroler-controller', force: true },
      contentType: 'application/apply-patch+yaml',
      body: { ...body, metadata: { name: o.name, labels: { 'app.kubernetes.io/managed-by': 'kontroler' } } },
    });
  } catch (err) {
    if (statusOf(err) === 403) {
      throw new Error(
        `may not register the admission webhook (ValidatingWebhookConfiguration ${o.name}): grant "patch" on validatingwebhookconfigurations.admissionregistration.k8s.io, or register it yourself with the CA written by --webhook-ca-out (${err instanceof Error ? err.message : String(err)})`,
        { cause: err },
      );
    }
    throw err;
  }
}
