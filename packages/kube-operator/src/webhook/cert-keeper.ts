// Keeps the admission webhook's certificate current without Helm generating one (a chart render
// stays the same every time, as GitOps needs): the serving certificate comes from a Secret the
// controller fills and renews itself (several replicas agree through the Secret's
// resourceVersion), or from files another tool renews (cert-manager, an existing Secret); the
// ValidatingWebhookConfiguration's caBundle is patched to the CA that signed it, and re-patched
// when something (a `helm upgrade`, a GitOps sync) resets it.
import { KubeApiError, type KubeClient } from '@kontroler/runtime-kube';
import { certFromDir, type ServingCert } from './certs.js';
import { planCert, renewTls, servingOf, type CertWants, type StoredTls } from './cert-plan.js';

/** How often the Secret (or the files) and the webhook configuration are looked at again. */
export const CERT_CHECK_MS = 60_000;
/** Tries of one write of the Secret lost to another replica before giving up until the next check. */
const WRITE_TRIES = 5;

/** Where the serving certificate comes from. */
export type CertSource =
  | { readonly kind: 'secret'; readonly namespace: string; readonly name: string; readonly want: CertWants }
  | { readonly kind: 'dir'; readonly dir: string };

export interface CertKeeperOptions {
  readonly client: KubeClient;
  readonly source: CertSource;
  /** The ValidatingWebhookConfiguration whose kontroler webhooks get the CA bundle; none: leave it alone (cert-manager's cainjector does it). */
  readonly webhookConfig?: string;
  /** Called with the first certificate and with every new one. */
  readonly onCert: (cert: ServingCert) => void;
  readonly checkMs?: number;
  readonly now?: () => number;
  readonly log: (msg: string) => void;
}

type SecretObject = { metadata?: { resourceVersion?: string }; data?: Record<string, string> };
type WebhookConfigObject = { webhooks?: Array<{ name?: string; clientConfig?: { caBundle?: string } }> };

function decode(data: Record<string, string> | undefined): StoredTls {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

function encode(t: Required<StoredTls>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(t)) out[k] = Buffer.from(v).toString('base64');
  return out;
}

export class WebhookCertKeeper {
  private timer: ReturnType<typeof setInterval> | undefined;
  private current: ServingCert | undefined;
  private checking: Promise<void> | undefined;
  private missingConfigLogged = false;

  constructor(private readonly o: CertKeeperOptions) {}

  /** Loads (or makes) the certificate and patches the CA bundle once; then checks every `checkMs`. Throws when no certificate can be had. */
  async start(): Promise<ServingCert> {
    const cert = await this.load();
    this.adopt(cert);
    await this.syncBundle(cert.ca);
    this.timer = setInterval(() => {
      this.checking ??= this.check().finally(() => (this.checking = undefined));
    }, this.o.checkMs ?? CERT_CHECK_MS);
    this.timer.unref();
    return cert;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.checking;
  }

  /** One look at the certificate and the webhook configuration (what the timer does). */
  async check(): Promise<void> {
    try {
      const cert = await this.load();
      this.adopt(cert);
      await this.syncBundle(cert.ca);
    } catch (e) {
      this.o.log(`webhook certificate: checking failed, trying again in ${Math.round((this.o.checkMs ?? CERT_CHECK_MS) / 1000)} s: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private adopt(cert: ServingCert): void {
    const c = this.current;
    if (c && c.cert === cert.cert && c.key === cert.key && c.ca === cert.ca) return;
    this.current = cert;
    this.o.onCert(cert);
  }

  private load(): Promise<ServingCert> {
    const s = this.o.source;
    return s.kind === 'dir' ? certFromDir(s.dir) : this.fromSecret(s);
  }

  private async fromSecret(s: Extract<CertSource, { kind: 'secret' }>): Promise<ServingCert> {
    const path = `/api/v1/namespaces/${s.namespace}/secrets/${s.name}`;
    for (let i = 1; ; i++) {
      let obj: SecretObject | undefined;
      try {
        obj = await this.o.client.request<SecretObject>('GET', path);
      } catch (e) {
        if (!(e instanceof KubeApiError && e.status === 404)) throw e;
      }
      const stored = decode(obj?.data);
      const now = (this.o.now ?? Date.now)();
      const plan = planCert(stored, now, s.want);
      if (plan.kind === 'keep') return servingOf(stored as Required<StoredTls>);
      const next = renewTls(stored, plan, now, s.want);
      try {
        if (obj) {
          // The resourceVersion makes the write conditional: of two replicas renewing at once, one wins.
          await this.o.client.request('PATCH', path, { contentType: 'application/merge-patch+json', body: { metadata: { resourceVersion: obj.metadata?.resourceVersion }, data: encode(next) } });
        } else {
          await this.o.client.request('POST', `/api/v1/namespaces/${s.namespace}/secrets`, {
            body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: s.name, namespace: s.namespace, labels: { 'app.kubernetes.io/managed-by': 'kontroler-controller' } }, type: 'Opaque', data: encode(next) },
          });
        }
        this.o.log(`webhook certificate: ${plan.kind === 'ca' ? 'made a new CA and serving certificate' : 'issued a new serving certificate'} in Secret ${s.namespace}/${s.name} (${plan.reason})`);
        return servingOf(next);
      } catch (e) {
        const lost = e instanceof KubeApiError && (e.status === 409 || (e.status === 422 && /resourceVersion/.test(e.message)));
        if (!lost || i >= WRITE_TRIES) {
          if (e instanceof KubeApiError && e.status === 403) throw new Error(`webhook certificate: may not write Secret ${s.namespace}/${s.name} (the chart renders it and lets the controller get and update it by name): ${e.message}`, { cause: e });
          throw e;
        }
        // Another replica wrote it first: read what it wrote.
      }
    }
  }

  /** Sets the caBundle of every kontroler webhook in the configuration to `ca` (PEM) where it differs. */
  private async syncBundle(ca: string): Promise<void> {
    if (!this.o.webhookConfig) return;
    const path = `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${this.o.webhookConfig}`;
    let cfg: WebhookConfigObject;
    try {
      cfg = await this.o.client.request<WebhookConfigObject>('GET', path);
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) {
        if (!this.missingConfigLogged) this.o.log(`webhook certificate: ValidatingWebhookConfiguration ${this.o.webhookConfig} not found; its caBundle is set once it exists`);
        this.missingConfigLogged = true;
        return;
      }
      throw e;
    }
    this.missingConfigLogged = false;
    const bundle = Buffer.from(ca).toString('base64');
    const ops: unknown[] = [];
    (cfg.webhooks ?? []).forEach((w, i) => {
      if (!w.name?.endsWith('.kontroler.greedykomodo') || w.clientConfig?.caBundle === bundle) return;
      // `test` first: the patch fails rather than touch another webhook if the list changed meanwhile.
      ops.push({ op: 'test', path: `/webhooks/${i}/name`, value: w.name }, { op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: bundle });
    });
    if (ops.length === 0) return;
    await this.o.client.request('PATCH', path, { contentType: 'application/json-patch+json', body: ops });
    this.o.log(`webhook certificate: caBundle of ValidatingWebhookConfiguration ${this.o.webhookConfig} set (${ops.length / 2} webhook(s))`);
  }
}
