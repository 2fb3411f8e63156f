// Kubernetes mode of `kontroler controller`: settings (flags and KONTROLER_* variables) and the
// parts it adds to the stack: the pod runtime, the CRD adapter, leader election, the admission
// webhook server. Only this entry point builds Kubernetes clients.
import { KubeConfig } from '@kubernetes/client-node';
import { checkHttpUrl } from '@kontroler/core';
import { getAttempt, type PoolLike } from '@kontroler/store';
import type { ControllerLog } from '@kontroler/controller';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { BackfillAdapter, CrdAdapter, LeaderElector, ShardNamespaces, certFromDir, selfSignedCert, startWebhookServer } from '@kontroler/kube-operator';
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
  /** Run the CRD adapter (DAG/DagTask/DagRun objects ↔ store); default true. */
  readonly crds: boolean;
  readonly qps: number;
  readonly burst: number;
  /** The URL people reach the Kontroler server at (KONTROLER_PUBLIC_URL): DagRun statuses link to their run. */
  readonly publicUrl: string | undefined;
  /** The Kontroler API token of tasks whose DAG sets `kontrolerToken` (workload identity). */
  readonly taskToken: { readonly audience: string; readonly expirationSeconds: number; readonly serverUrl?: string };
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
  crds?: boolean;
  kubeQps?: string;
  kubeBurst?: string;
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
    // commander sets crds: true unless --no-crds is given, so only false is a choice.
    crds: f.crds === false ? false : (bool(env.KONTROLER_CRDS) ?? true),
    qps: num('--kube-qps / KONTROLER_KUBE_QPS', f.kubeQps ?? env.KONTROLER_KUBE_QPS, DEFAULT_KUBE_QPS),
    burst: num('--kube-burst / KONTROLER_KUBE_BURST', f.kubeBurst ?? env.KONTROLER_KUBE_BURST, DEFAULT_KUBE_BURST),
    publicUrl: publicUrl(env.KONTROLER_PUBLIC_URL),
    taskToken: taskTokenSettings(env),
  };
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
export async function startKubeRuntime(k: KubeSettings, deps: { pool: PoolLike; databaseUrl: string; log: ControllerLog }): Promise<KubeParts> {
  const kc = loadKubeConfig(k.kubeconfig);
  const client = new KubeClient(kc, { qps: k.qps, burst: k.burst, userAgent: 'kontroler-controller' });
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
    log: (m) => deps.log.warn(m),
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
        const cert = k.webhookCertDir
          ? await certFromDir(k.webhookCertDir)
          : await selfSignedCert({ dnsNames: [hostname(), 'localhost'], ips: ['127.0.0.1'] });
        const server = await startWebhookServer({ cert, port: k.webhookPort, host: k.webhookHost, pool: deps.pool, log: (m) => deps.log.info(m) });
        stops.push(() => server.close());
        deps.log.info(`admission webhooks on https://${k.webhookHost}:${server.port}/validate-{dag,dagtask,dagrun} (${k.webhookCertDir ? `certificate from ${k.webhookCertDir}` : 'self-signed certificate'})`);
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
