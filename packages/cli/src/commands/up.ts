import type { Command } from 'commander';
import { readSettings, type SettingFlags } from '../settings.js';
import { startStack, type Stack } from '../stack.js';
import { logFormatFrom, logProcessWarnings, processLogs, reportStartFailure, type ProcessLogs } from '../log-output.js';
import { readKubeSettings, type KubeFlags } from '../kube-mode.js';
import { readContainerSettings, type ContainerFlags } from '../container-mode.js';

/** `up`'s runtime: --runtime / KONTROLER_RUNTIME, local (default) or container. */
export function upRuntime(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): 'local' | 'container' {
  const r = flag ?? (env.KONTROLER_RUNTIME || 'local');
  if (r !== 'local' && r !== 'container') throw new Error(`kontroler up --runtime must be local or container, got "${r}" (Kubernetes: kontroler controller --runtime kubernetes)`);
  return r;
}

/**
 * A process that failed to start exits at once, non-zero: whatever a half-started stack left
 * behind (a reconnect timer, a socket) must not keep it hanging after the message.
 */
async function startOrExit(logs: ProcessLogs, what: string, start: () => Promise<Stack>): Promise<Stack> {
  try {
    return await start();
  } catch (e) {
    reportStartFailure(logs, what, e);
    process.exit(1);
  }
}

/** The process's logs in the format of --log-format / KONTROLER_LOG_FORMAT (a bad value throws, naming it). */
function logsOf(flag: string | undefined): ProcessLogs {
  const logs = processLogs(logFormatFrom(flag));
  logProcessWarnings(logs);
  return logs;
}

const LOG_FORMAT_HELP = 'log lines as text (default) or json: one JSON object a line (KONTROLER_LOG_FORMAT)';

export function register(program: Command): void {
  program
    .command('up')
    .description('all-in-one: embedded PostgreSQL (unless DATABASE_URL), controller, local (or container) runtime, API and UI')
    .option('--dags <dir>', 'DAG folder to load and watch (KONTROLER_DAGS_DIR, default ./dags)')
    .option('--data-dir <dir>', 'where data lives (KONTROLER_DATA_DIR, default ./.kontroler)')
    .option('--port <n>', 'HTTP port (PORT, default 8080)')
    .option('--host <addr>', 'HTTP listen address (KONTROLER_HOST, default 127.0.0.1)')
    .option('--runtime <local|container>', 'where tasks run (KONTROLER_RUNTIME, default local): processes here, or containers of their images (Docker / Podman at DOCKER_HOST)')
    .option('--pull-policy <p>', 'container runtime: IfNotPresent (default), Always or Never (KONTROLER_PULL_POLICY)')
    .option('--metrics-port <n>', 'serve the controller\'s /healthz, /readyz and Prometheus /metrics on this port (KONTROLER_METRICS_PORT; default none)')
    .option('--metrics-host <addr>', 'listen address of the metrics port (KONTROLER_METRICS_HOST, default 127.0.0.1)')
    .option('--log-format <text|json>', LOG_FORMAT_HELP)
    .action(async (o: SettingFlags & ContainerFlags & { runtime?: string }) => {
      const logs = logsOf(o.logFormat);
      const stack = await startOrExit(logs, 'kontroler up', () => {
        const container = upRuntime(o.runtime) === 'container' ? readContainerSettings(o) : undefined;
        return startStack(readSettings(o), { embedded: true, server: true, folder: true }, undefined, container);
      });
      await stack.untilSignal();
    });

  program
    .command('controller')
    .description('run the controller only (needs DATABASE_URL); several may share one database')
    .option('--data-dir <dir>', 'local runtime state (KONTROLER_DATA_DIR, default ./.kontroler)')
    .option('--dags <dir>', 'also load and watch this DAG folder')
    // Kubernetes mode (README "Kubernetes mode").
    .option('--runtime <local|container|kubernetes>', 'where tasks run (KONTROLER_RUNTIME, default local)')
    .option('--pull-policy <p>', 'container runtime: IfNotPresent (default), Always or Never (KONTROLER_PULL_POLICY)')
    .option('--kubeconfig <file>', 'kubeconfig (KONTROLER_KUBECONFIG; default KUBECONFIG, ~/.kube/config or in-cluster)')
    .option('--namespaces <a,b>', 'work only in these namespaces (KONTROLER_NAMESPACES, default all)')
    .option('--shard <name>', 'work only in namespaces labelled kontroler.greedykomodo/shard=<name> (KONTROLER_SHARD)')
    .option('--leader-elect', 'elect one leader (Lease) for the CRD status writer among replicas (KONTROLER_LEADER_ELECT)')
    .option('--no-crds', 'do not sync DAG/DagTask/DagRun objects (KONTROLER_CRDS=false)')
    .option('--webhook-port <n>', 'serve the validating admission webhooks over TLS on this port (KONTROLER_WEBHOOK_PORT)')
    .option('--webhook-host <addr>', 'listen address of the webhook server (KONTROLER_WEBHOOK_HOST, default 0.0.0.0)')
    .option('--webhook-cert-dir <dir>', 'tls.crt and tls.key for the webhook server (KONTROLER_WEBHOOK_CERT_DIR; default self-signed)')
    .option('--webhook-cert-secret <name>', 'keep the webhook certificate in this Secret of the controller\'s namespace, made and renewed by the controller (KONTROLER_WEBHOOK_CERT_SECRET)')
    .option('--webhook-service <name>', 'the Service the apiserver calls the webhooks at, named in that certificate (KONTROLER_WEBHOOK_SERVICE)')
    .option('--webhook-config <name>', 'set the caBundle of this ValidatingWebhookConfiguration to the certificate\'s CA (KONTROLER_WEBHOOK_CONFIG)')
    .option('--kube-qps <n>', 'Kubernetes client requests per second (KONTROLER_KUBE_QPS, default 20)')
    .option('--kube-burst <n>', 'Kubernetes client burst (KONTROLER_KUBE_BURST, default 30)')
    .option('--metrics-port <n>', 'serve /healthz, /readyz and Prometheus /metrics over HTTP on this port (KONTROLER_METRICS_PORT; default none)')
    .option('--metrics-host <addr>', 'listen address of the metrics port (KONTROLER_METRICS_HOST, default 127.0.0.1; in a pod 0.0.0.0)')
    .option('--webhook-url <url>', 'the https URL the apiserver reaches this webhook server at (e.g. a controller outside the cluster): register the webhook there with this server\'s CA (KONTROLER_WEBHOOK_URL)')
    .option('--webhook-config-name <name>', 'the ValidatingWebhookConfiguration --webhook-url registers (KONTROLER_WEBHOOK_CONFIG_NAME, default kontroler-external)')
    .option('--webhook-ca-out <file>', 'write the webhook server\'s CA (PEM) to this file, to register the webhook yourself (KONTROLER_WEBHOOK_CA_OUT)')
    .option('--pod-gc <strategy[:seconds]>', "finished task pods: OnPodCompletion, OnRunCompletion or OnRunSuccess, kept that many seconds after (KONTROLER_POD_GC, default OnPodCompletion:0; a DAG's spec.podGC wins)")
    .option('--log-format <text|json>', LOG_FORMAT_HELP)
    .action(async (o: SettingFlags & KubeFlags & ContainerFlags) => {
      const logs = logsOf(o.logFormat);
      const stack = await startOrExit(logs, 'kontroler controller', () => {
        const s = readSettings(o);
        if (!s.databaseUrl) throw new Error('kontroler controller needs DATABASE_URL (a PostgreSQL connection string)');
        const kube = readKubeSettings(o);
        const container = kube.runtime === 'container' ? readContainerSettings(o) : undefined;
        return startStack(s, { embedded: false, server: false, folder: o.dags !== undefined }, kube, container);
      });
      await stack.untilSignal();
    });
}
