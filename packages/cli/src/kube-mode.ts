// Kubernetes mode of `kontroler controller`: settings (flags and KONTROLER_* variables) and the
// parts it adds to the stack: the pod runtime, the CRD adapter, leader election, the admission
// webhook server. Only this entry point builds Kubernetes clients.
import { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_POD_GC, checkHttpUrl, parsePodGC, type PodGCPolicy } from '@kontroler/core';
import { getAttempt, runPodGCFacts, type PoolLike } from '@kontroler/store';
import type { ControllerLog, ControllerMetrics } from '@kontroler/controller';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { writeFile } from 'node:fs/promises';
import {
  BackfillAdapter,
  CrdAdapter,
  DEFAULT_WEBHOOK_CONFIG_NAME,
  LeaderElector,
  ShardNamespaces,
  WebhookCertKeeper,
  registerWebhook,
  selfSignedCert,
  startWebhookServer,
  webhookCertNames,
  webhookNamespaceSelector,
  webhookUrlProblem,
  type CertSource,
  type ServingCert,
} from '@kontroler/kube-operator';
import { DEFAULT_KUBE_BURST, DEFAULT_KUBE_QPS, KubeClient, KubePodRuntime } from '@kontroler/runtime-kube';

export interface KubeSettings {
  readonly runtime: 'local' | 'container' | 'kubernetes';
  /** Kubeconfig file; undefined = KUBECONFIG, ~/.kube/config, or in-cluster. */
  readonly kubeconfig: string | undefined;
  /** Namespaces to work in; undefined = all (or the shard's). */
  readonly namespaces: readonly string[] | undefined;
  /** Work only in namespaces labelled kontroler.greedykomodo/shard=<shard>. */
  readonly shard: string | undefined;
  readonly leaderElect: boolean;
  /** Namespace of the leader Lease; default: this pod's namespace, the kubeconfig's, or default. */
  readonly leaseNamespace: string | undefined;
  readonly webhookPort: number | undefined;
  readonly webhookHost: string;
  readonly webhookCertDir: string | undefined;
  /**
   * Keep the serving certificate in this Secret (in the controller's namespace): made and renewed
   * by the controller (KONTROLER_WEBHOOK_CERT_SECRET). Not with webhookCertDir.
   */
  readonly webhookCertSecret: string | undefined;
  /** The Service the apiserver calls the webhooks at: the certificate's DNS names (KONTROLER_WEBHOOK_SERVICE). */
  readonly webhookService: string | undefined;
  /** Set the caBundle of this ValidatingWebhookConfiguration to the serving certificate's CA (KONTROLER_WEBHOOK_CONFIG). */
  readonly webhookConfig: string | undefined;
  /** Days a serving certificate the controller makes is valid (KONTROLER_WEBHOOK_CERT_DAYS, default 365; renewed with a third left). */
  readonly webhookCertDays: number;
  /** The URL the apiserver reaches this webhook server at: the controller registers the webhook itself. */
  readonly webhookUrl: string | undefined;
  /** The ValidatingWebhookConfiguration `webhookUrl` registers (default kontroler-external). */
  readonly webhookConfigName: string;
  /** Write the webhook's CA (PEM) to this file, for registering the webhook by hand. */
  readonly webhookCaOut: string | undefined;
  /** Run the CRD adapter (DAG/DagTask/DagRun objects ↔ store); default true. */
  readonly crds: boolean;
  readonly qps: number;
  readonly burst: number;
  /** The URL people reach the Kontroler server at (KONTROLER_PUBLIC_URL): DagRun statuses link to their run. */
  readonly publicUrl: string | undefined;
  /** The Kontroler API token of tasks whose DAG sets `kontrolerToken` (workload identity). */
  readonly taskToken: { readonly audience: string; readonly expirationSeconds: number; readonly serverUrl?: string };
  /** Finished task pods of DAGs without `spec.podGC` (--pod-gc / KONTROLER_POD_GC). */
  readonly podGC: PodGCPolicy;
}

export interface KubeFlags {
  runtime?: string;
  kubeconfig?: string;
  namespaces?: string;
  shard?: string;
  leaderElect?: boolean;
  webhookPort?: string;
  webhookHost?: string;
  webhookCertDir?: string;
  webhookCertSecret?: string;
  webhookService?: string;
  webhookConfig?: string;
  webhookUrl?: string;
  webhookConfigName?: string;
  webhookCaOut?: string;
  crds?: boolean;
  kubeQps?: string;
  kubeBurst?: string;
  podGc?: string;
}

function num(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number ≥ 0, got "${v}"`);
  return n;
}

function bool(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  return ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
}

/** Kubernetes-mode settings from flags, then KONTROLER_* variables. Throws on bad values. */
export function readKubeSettings(f: KubeFlags, env: NodeJS.ProcessEnv = process.env): KubeSettings {
  const runtime = f.runtime ?? env.KONTROLER_RUNTIME ?? 'local';
  if (runtime !== 'local' && runtime !== 'container' && runtime !== 'kubernetes') throw new Error(`--runtime must be local, container or kubernetes, got "${runtime}"`);
  const list = f.namespaces ?? env.KONTROLER_NAMESPACES;
  const namespaces = list ? list.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const port = f.webhookPort ?? env.KONTROLER_WEBHOOK_PORT;
  const webhookUrl = f.webhookUrl ?? (env.KONTROLER_WEBHOOK_URL || undefined);
  const webhookCaOut = f.webhookCaOut ?? (env.KONTROLER_WEBHOOK_CA_OUT || undefined);
  if (webhookUrl !== undefined) {
    const problem = webhookUrlProblem(webhookUrl);
    if (problem) throw new Error(`--webhook-url / KONTROLER_WEBHOOK_URL: ${problem}`);
  }
  if ((webhookUrl !== undefined || webhookCaOut !== undefined) && (port === undefined || port === '')) {
    throw new Error('--webhook-url and --webhook-ca-out need --webhook-port (KONTROLER_WEBHOOK_PORT): the webhook server they are about');
  }
  const webhookConfigName = f.webhookConfigName ?? (env.KONTROLER_WEBHOOK_CONFIG_NAME || DEFAULT_WEBHOOK_CONFIG_NAME);
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(webhookConfigName)) throw new Error(`--webhook-config-name / KONTROLER_WEBHOOK_CONFIG_NAME must be a Kubernetes object name (lower case, digits, - and .), got "${webhookConfigName}"`);
  return {
    runtime,
    kubeconfig: f.kubeconfig ?? (env.KONTROLER_KUBECONFIG || undefined),
    namespaces: namespaces && namespaces.length > 0 ? namespaces : undefined,
    shard: f.shard ?? (env.KONTROLER_SHARD || undefined),
    leaderElect: f.leaderElect ?? bool(env.KONTROLER_LEADER_ELECT) ?? false,
    leaseNamespace: env.KONTROLER_LEASE_NAMESPACE || env.POD_NAMESPACE || undefined,
    webhookPort: port === undefined || port === '' ? undefined : num('--webhook-port / KONTROLER_WEBHOOK_PORT', port, 0),
    webhookHost: f.webhookHost ?? env.KONTROLER_WEBHOOK_HOST ?? '0.0.0.0',
    webhookCertDir: f.webhookCertDir ?? (env.KONTROLER_WEBHOOK_CERT_DIR || undefined),
    ...webhookCertSettings(f, env),
    webhookUrl,
    webhookConfigName,
    webhookCaOut,
    // commander sets crds: true unless --no-crds is given, so only false is a choice.
    crds: f.crds === false ? false : (bool(env.KONTROLER_CRDS) ?? true),
    qps: num('--kube-qps / KONTROLER_KUBE_QPS', f.kubeQps ?? env.KONTROLER_KUBE_QPS, DEFAULT_KUBE_QPS),
    burst: num('--kube-burst / KONTROLER_KUBE_BURST', f.kubeBurst ?? env.KONTROLER_KUBE_BURST, DEFAULT_KUBE_BURST),
    publicUrl: publicUrl(env.KONTROLER_PUBLIC_URL),
    taskToken: taskTokenSettings(env),
    podGC: podGCSetting(f.podGc ?? env.KONTROLER_POD_GC),
  };
}

/** A DNS-1123 name (a Secret, Service or webhook configuration name), or undefined when empty. Throws naming `what` otherwise. */
function objectName(what: string, v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (v.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v)) throw new Error(`${what} must be a Kubernetes object name (lower-case letters, digits, '-' and '.'), got "${v}"`);
  return v;
}

function webhookCertSettings(f: KubeFlags, env: NodeJS.ProcessEnv): Pick<KubeSettings, 'webhookCertSecret' | 'webhookService' | 'webhookConfig' | 'webhookCertDays'> {
  const secret = objectName('--webhook-cert-secret / KONTROLER_WEBHOOK_CERT_SECRET', f.webhookCertSecret ?? env.KONTROLER_WEBHOOK_CERT_SECRET);
  const service = objectName('--webhook-service / KONTROLER_WEBHOOK_SERVICE', f.webhookService ?? env.KONTROLER_WEBHOOK_SERVICE);
  if (secret && (f.webhookCertDir ?? env.KONTROLER_WEBHOOK_CERT_DIR)) throw new Error('--webhook-cert-secret and --webhook-cert-dir exclude each other: the certificate is either kept by the controller or given as files');
  if (secret && !service) throw new Error('--webhook-cert-secret needs --webhook-service (KONTROLER_WEBHOOK_SERVICE): the Service the apiserver calls, named in the certificate');
  const days = num('KONTROLER_WEBHOOK_CERT_DAYS', env.KONTROLER_WEBHOOK_CERT_DAYS, 365);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new Error(`KONTROLER_WEBHOOK_CERT_DAYS must be a whole number of days from 1 to 3650, got "${env.KONTROLER_WEBHOOK_CERT_DAYS}"`);
  return {
    webhookCertSecret: secret,
    webhookService: service,
    webhookConfig: objectName('--webhook-config / KONTROLER_WEBHOOK_CONFIG', f.webhookConfig ?? env.KONTROLER_WEBHOOK_CONFIG),
    webhookCertDays: days,
  };
}

/** --pod-gc / KONTROLER_POD_GC: `STRATEGY[:SECONDS]`, default OnPodCompletion:0. Throws on bad values. */
function podGCSetting(v: string | undefined): PodGCPolicy {
  return v === undefined || v === '' ? DEFAULT_POD_GC : parsePodGC(v, '--pod-gc / KONTROLER_POD_GC');
}

/** KONTROLER_PUBLIC_URL: an absolute http(s) URL, or undefined. Throws on anything else. */
function publicUrl(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  const problem = checkHttpUrl(v);
  if (problem) throw new Error(`KONTROLER_PUBLIC_URL: ${problem}`);
  return v;
}

/**
 * `kontrolerToken` pods: the audience the server expects (KONTROLER_TASK_TOKEN_AUDIENCE, else the
 * server's KONTROLER_K8S_AUDIENCE, else `kontroler`), the lifetime the kubelet should request
 * (KONTROLER_TASK_TOKEN_EXPIRATION_SECONDS, ≥ 600, default 3600) and the URL tasks reach the API at
 * (KONTROLER_TASK_SERVER_URL, given to them as KONTROLER_SERVER).
 */
function taskTokenSettings(env: NodeJS.ProcessEnv): KubeSettings['taskToken'] {
  const expirationSeconds = num('KONTROLER_TASK_TOKEN_EXPIRATION_SECONDS', env.KONTROLER_TASK_TOKEN_EXPIRATION_SECONDS, 3600);
  if (expirationSeconds < 600) throw new Error(`KONTROLER_TASK_TOKEN_EXPIRATION_SECONDS must be at least 600 (Kubernetes' minimum), got ${expirationSeconds}`);
  const serverUrl = env.KONTROLER_TASK_SERVER_URL || undefined;
  return {
    audience: env.KONTROLER_TASK_TOKEN_AUDIENCE || env.KONTROLER_K8S_AUDIENCE || 'kontroler',
    expirationSeconds,
    ...(serverUrl ? { serverUrl } : {}),
  };
}

/** The kubeconfig: --kubeconfig, else KUBECONFIG / ~/.kube/config / the in-cluster service account. */
export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) {
    throw new Error('no Kubernetes cluster configured: pass --kubeconfig, set KUBECONFIG, or run in a cluster (service account)');
  }
  return kc;
}

/** Lifetime of a CA the controller makes for its webhook (its serving certificates are renewed far more often). */
export const WEBHOOK_CA_DAYS = 3650;

/** The names a Service `name` in `namespace` is called by (the serving certificate's DNS names). */
export function serviceDnsNames(name: string, namespace: string): string[] {
  return [`${name}.${namespace}.svc`, name, `${name}.${namespace}`, `${name}.${namespace}.svc.cluster.local`];
}

export interface KubeParts {
  readonly client: KubeClient;
  readonly runtime: KubePodRuntime;
  /** The namespaces this controller works in (a shard's, current), or undefined for all. */
  namespaces(): readonly string[] | undefined;
  /** Starts the CRD adapter and leader election (after the controller is up). */
  startControlPlane(onDagChange: () => void): Promise<void>;
  stop(): Promise<void>;
}

/** The pod runtime, its client, the shard's namespaces, the CRD adapter and leader election. */
export async function startKubeRuntime(k: KubeSettings, deps: { pool: PoolLike; databaseUrl: string; log: ControllerLog; runtimeLog?: ControllerLog; metrics?: ControllerMetrics }): Promise<KubeParts> {
  const kc = loadKubeConfig(k.kubeconfig);
  const requests = deps.metrics?.kubeRequests;
  const client = new KubeClient(kc, {
    qps: k.qps,
    burst: k.burst,
    userAgent: 'kontroler-controller',
    ...(requests ? { onResponse: (verb: string, resource: string, status: number) => requests.inc({ verb, resource, code: String(status) }) } : {}),
  });
  const stops: Array<() => Promise<void>> = [];
  const shard = k.shard ? new ShardNamespaces(client, k.shard, (m) => deps.log.warn(m)) : undefined;
  if (shard) {
    await shard.start();
    stops.push(() => shard.stop());
    deps.log.info(`shard ${k.shard}: namespaces ${shard.list().join(', ') || '(none yet)'}`);
  }
  const inScope = shard ? (ns: string) => shard.has(ns) : undefined;
  let dagChanged: () => void = () => undefined;
  const adapter = k.crds
    ? new CrdAdapter({
        client,
        pool: deps.pool,
        databaseUrl: deps.databaseUrl,
        ...(k.namespaces ? { namespaces: k.namespaces } : {}),
        ...(inScope ? { namespaceFilter: inScope } : {}),
        log: deps.log,
        onDagChange: () => dagChanged(),
        ...(k.publicUrl ? { publicUrl: k.publicUrl } : {}),
      })
    : undefined;
  // Backfill objects → backfills in the store (led with the CRD adapter).
  const backfills = k.crds
    ? new BackfillAdapter({ client, pool: deps.pool, ...(k.namespaces ? { namespaces: k.namespaces } : {}), ...(inScope ? { namespaceFilter: inScope } : {}), log: deps.log })
    : undefined;
  const runtime = new KubePodRuntime({
    client,
    ...(k.namespaces ? { namespaces: k.namespaces } : {}),
    ...(inScope ? { namespaceFilter: inScope } : {}),
    ...(k.shard ? { labels: { 'kontroler.greedykomodo/shard': k.shard } } : {}),
    kontrolerToken: k.taskToken,
    // Pods whose attempt this store has recorded as ended but nobody released: swept. Pods of
    // attempts this store does not know are left alone (another installation's, or purged).
    accounted: async (key) => {
      const a = await getAttempt(deps.pool, Number(key.runId), key.task, key.attempt);
      return a !== undefined && a.status !== 'starting' && a.status !== 'running';
    },
    // Finished pods are kept as the run's DAG (spec.podGC) or --pod-gc says; their log is archived.
    podGC: (runId) => runPodGCFacts(deps.pool, Number(runId), k.podGC),
    log: (m) => (deps.runtimeLog ?? deps.log).warn(m),
  });
  stops.push(async () => {
    await runtime.close();
    client.close();
  });
  await runtime.sync();
  deps.log.info(`Kubernetes runtime: ${kc.getCurrentCluster()?.server}, ${k.namespaces ? `namespaces ${k.namespaces.join(', ')}` : k.shard ? `shard ${k.shard}` : 'all namespaces'}, client QPS ${k.qps} burst ${k.burst}`);
  return {
    client,
    runtime,
    namespaces: () => (shard ? shard.list() : k.namespaces),
    async startControlPlane(onDagChange) {
      dagChanged = onDagChange;
      if (k.webhookPort !== undefined) {
        const ownNamespace = k.leaseNamespace ?? client.contextNamespace ?? 'default';
        const source: CertSource | undefined = k.webhookCertSecret
          ? { kind: 'secret', namespace: ownNamespace, name: k.webhookCertSecret, want: { dnsNames: serviceDnsNames(k.webhookService ?? '', ownNamespace), leafDays: k.webhookCertDays, caDays: WEBHOOK_CA_DAYS } }
          : k.webhookCertDir
            ? { kind: 'dir', dir: k.webhookCertDir }
            : undefined;
        let server: Awaited<ReturnType<typeof startWebhookServer>> | undefined;
        let cert: ServingCert;
        if (source) {
          // Renewed certificates (ours, or cert-manager's files) are served without a restart.
          const keeper = new WebhookCertKeeper({ client, source, ...(k.webhookConfig ? { webhookConfig: k.webhookConfig } : {}), onCert: (c) => server?.setCert(c), log: (m) => deps.log.info(m) });
          cert = await keeper.start();
          stops.push(() => keeper.stop());
        } else {
          // A self-signed certificate also names the host the apiserver calls (--webhook-url).
          const named = k.webhookUrl ? webhookCertNames(k.webhookUrl) : { dnsNames: [], ips: [] };
          cert = await selfSignedCert({ dnsNames: [...named.dnsNames, hostname(), 'localhost'], ips: [...new Set([...named.ips, '127.0.0.1'])] });
        }
        server = await startWebhookServer({ cert, port: k.webhookPort, host: k.webhookHost, pool: deps.pool, log: (m) => deps.log.info(m) });
        const running = server;
        stops.push(() => running.close());
        const from = source?.kind === 'secret' ? `certificate kept in Secret ${ownNamespace}/${source.name}` : source?.kind === 'dir' ? `certificate from ${source.dir}` : 'self-signed certificate';
        deps.log.info(`admission webhooks on https://${k.webhookHost}:${server.port}/validate-{dag,dagtask,dagrun} (${from})`);
        if (k.webhookCaOut) {
          await writeFile(k.webhookCaOut, cert.ca, { mode: 0o644 });
          deps.log.info(`admission webhooks: CA written to ${k.webhookCaOut} (the caBundle is its base64: base64 -w0 ${k.webhookCaOut})`);
        }
        if (k.webhookUrl) {
          const namespaceSelector = webhookNamespaceSelector({ namespaces: k.namespaces, ...(k.shard ? { shardLabel: { key: 'kontroler.greedykomodo/shard', value: k.shard } } : {}) });
          await registerWebhook(client, { name: k.webhookConfigName, url: k.webhookUrl, caBundle: cert.ca, namespaceSelector });
          deps.log.info(`admission webhooks: registered ValidatingWebhookConfiguration ${k.webhookConfigName} calling ${k.webhookUrl} (${namespaceSelector ? 'this controller\'s namespaces' : 'all namespaces'}); kubectl delete validatingwebhookconfiguration ${k.webhookConfigName} to stop it`);
        }
      }
      if (!adapter) return;
      await adapter.start();
      stops.push(() => adapter.stop());
      backfills?.start();
      if (backfills) stops.push(() => backfills.stop());
      if (!k.leaderElect) {
        adapter.setLeading(true);
        backfills?.setLeading(true);
        return;
      }
      const elector = new LeaderElector({
        client,
        namespace: k.leaseNamespace ?? client.contextNamespace ?? 'default',
        name: `kontroler-controller${k.shard ? `-${k.shard}` : ''}`,
        identity: `${process.env.POD_NAME ?? hostname()}-${randomBytes(3).toString('hex')}`,
        onStartedLeading: () => {
          adapter.setLeading(true);
          backfills?.setLeading(true);
        },
        onStoppedLeading: () => {
          adapter.setLeading(false);
          backfills?.setLeading(false);
        },
        log: (m) => deps.log.info(m),
      });
      elector.start();
      stops.push(() => elector.stop());
    },
    async stop() {
      for (const s of stops.splice(0).reverse()) await s();
    },
  };
}
