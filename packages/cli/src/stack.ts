// Wires the parts of a Kontroler process together: database, migrations, runtime, controller,
// scheduler, webhook sender, retention, DAG folder and HTTP server. The entry point of `up`.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { legacySecretVariables, messageOf } from '@kontroler/core';
import { BackfillReleaser, Controller, ControllerMetrics, Scheduler, WebhookSender, cron, envSecretResolver, runtimeReadsSecrets, startHealthServer } from '@kontroler/controller';
import { LocalProcessRuntime, resolveTaskUser, tightenStateDir } from '@kontroler/runtime-local';
import { collectGarbage, createPool, holdControllerId, migrate } from '@kontroler/store';
import { startEmbeddedPostgres, type RunningPostgres } from './embedded/index.js';
import { DagFolder, dagFolderWorker } from './dag-folder.js';
import { startKubeRuntime, type KubeSettings } from './kube-mode.js';
import { startContainerRuntime, type ContainerSettings } from './container-mode.js';
import type { TaskRuntime } from '@kontroler/engine';
import { serverConfigFrom } from './remote/server.js';
import { removeInstance, writeInstance } from './instance.js';
import { holdLocalToken } from './local-token.js';
import { lockDataDir } from './data-dir-lock.js';
import { PRIVATE_DIR_MODE, preparePrivateDir } from './private-dir.js';
import { untilSignal } from './shutdown.js';
import type { Settings } from './settings.js';
import { processLogs } from './log-output.js';

export interface StackParts {
  embedded: boolean;
  server: boolean;
  folder: boolean;
}

export interface Stack {
  readonly databaseUrl: string;
  readonly url: string | undefined;
  stop(): Promise<void>;
  untilSignal(): Promise<void>;
}

/** Which runtime a stack uses: kubernetes (kube settings), container (container settings), else local. */
export function runtimeKindOf(kube: KubeSettings | undefined, container: ContainerSettings | undefined): 'local' | 'container' | 'kubernetes' {
  return kube?.runtime === 'kubernetes' ? 'kubernetes' : container !== undefined ? 'container' : 'local';
}

export async function startStack(s: Settings, parts: StackParts, kube?: KubeSettings, container?: ContainerSettings): Promise<Stack> {
  const runtimeKind = runtimeKindOf(kube, container);
  const logs = processLogs(s.logFormat);
  const log = logs.controller;
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (e) {
        log.error('shutdown step failed', e);
      }
    }
  };
  let fail: (e: Error) => void = () => undefined;
  const failed = new Promise<Error>((resolve) => (fail = resolve));
  try {
    // A bad KONTROLER_TASK_USER stops us before anything starts.
    const taskUser = runtimeKind === 'local' && s.taskUser ? resolveTaskUser(s.taskUser, process.getuid?.() ?? -1) : undefined;
    if (taskUser) log.info(`local tasks run as user ${taskUser.name} (uid ${taskUser.uid})`);
    if (runtimeKind === 'container' && s.taskUser) log.warn('KONTROLER_TASK_USER is ignored by the container runtime: a task runs as its image\'s user');
    mkdirSync(s.dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    // Before anything else in the data dir is touched: a second `up` on it must not stop our
    // PostgreSQL, change modes under it, or remove our instance file. (Several `kontroler
    // controller` processes on one machine may share a data dir: their local runtimes adopt each
    // other's attempts.)
    if (parts.embedded) {
      const held = await lockDataDir(s.dataDir);
      cleanups.push(async () => held.release());
    }
    await preparePrivateDir(s.dataDir, parts.embedded && !s.databaseUrl && process.getuid?.() === 0);
    let databaseUrl = s.databaseUrl;
    let pgServer: RunningPostgres | undefined;
    if (!databaseUrl) {
      log.info(`starting embedded PostgreSQL (data in ${join(s.dataDir, 'pg')})...`);
      pgServer = await startEmbeddedPostgres({
        dataDir: s.dataDir,
        onNotice: (l) => log.info(l),
        onGiveUp: (e) => fail(new Error(`the embedded PostgreSQL died and could not be restarted: ${e.message}`, { cause: e })),
      });
      databaseUrl = pgServer.url;
      const srv = pgServer;
      cleanups.push(() => srv.stop());
    }
    const pool = createPool(databaseUrl, 20);
    cleanups.push(() => pool.end());
    const applied = await migrate(pool);
    if (applied.length > 0) log.info(`database migrated (applied ${applied.join(', ')})`);

    // One registry per process: the controller, scheduler, webhook sender and Kubernetes client count into it.
    const metrics = new ControllerMetrics();
    const id = s.controllerId ?? `${hostname()}:${s.dataDir}`;
    const lock = await holdControllerId(databaseUrl, id);
    cleanups.push(() => lock.release());
    lock.watch((state, cause) => {
      if (state !== 'taken') return; // 'lost' / 'held': the controller pauses and resumes claims
      log.error(`${messageOf(cause)} (it was taken while this process's lock connection was broken): exiting`);
      void stop().finally(() => process.exit(1));
    });

    const kubeParts = kube?.runtime === 'kubernetes' ? await startKubeRuntime(kube, { pool, databaseUrl, log: logs.kubeOperator, runtimeLog: logs.runtime, metrics }) : undefined;
    if (kubeParts) cleanups.push(() => kubeParts.stop());
    let runtime: TaskRuntime;
    if (kubeParts) {
      runtime = kubeParts.runtime;
    } else if (container) {
      const stateDir = join(s.dataDir, 'container-runtime');
      const rt = await startContainerRuntime(container, { stateDir, controllerId: id, log: (m) => logs.runtime.warn(m) });
      runtime = rt;
      cleanups.push(() => rt.close());
      log.info(`task runtime: container (one container per attempt through the Docker Engine API at ${container.dockerHost ?? 'unix:///var/run/docker.sock'}, pull policy ${container.pullPolicy}; outputs and workspaces in ${stateDir})`);
    } else {
      await tightenStateDir(join(s.dataDir, 'runtime'));
      const rt = new LocalProcessRuntime({ stateDir: join(s.dataDir, 'runtime'), ...(taskUser ? { taskUser } : {}) });
      runtime = rt;
      cleanups.push(() => rt.close());
      log.info('task runtime: local (each attempt a process on this machine; task images are not used: --runtime container runs them)');
    }
    const controller = new Controller({
      pool,
      databaseUrl,
      runtime,
      id,
      idLock: lock,
      log,
      // In a cluster, secret parameters are read by the pods (secretKeyRef), never by the controller.
      secrets: kubeParts ? runtimeReadsSecrets : localSecrets(log),
      ...(s.maxRunningPerRun ? { maxRunningPerRun: s.maxRunningPerRun } : {}),
      logLimits: s.logLimits,
      metrics,
      ...(kubeParts ? { namespaces: () => kubeParts.namespaces() } : {}),
    });
    await controller.start();
    cleanups.push(() => controller.stop(true));
    const scheduler = new Scheduler({ pool, cron, log, metrics });
    scheduler.start();
    cleanups.push(() => scheduler.stop());
    // Backfills: the next fire times get runs as runs end (here, or on another controller: polled).
    const releaser = new BackfillReleaser({ pool, log });
    const unwatchEnds = controller.onRunEnded(() => releaser.kick());
    releaser.start();
    cleanups.push(async () => {
      unwatchEnds();
      await releaser.stop();
    });
    if (kubeParts) await kubeParts.startControlPlane(() => scheduler.kick());
    const sender = new WebhookSender({ pool, log, metrics, policy: s.webhookPolicy, ...(s.webhookSecret ? { secret: s.webhookSecret } : {}) });
    sender.start();
    cleanups.push(() => sender.stop());
    if (s.retentionDays !== undefined || s.retentionRunsPerDag !== undefined) {
      const policy = {
        ...(s.retentionDays !== undefined ? { maxAgeMs: s.retentionDays * 86_400_000 } : {}),
        ...(s.retentionRunsPerDag !== undefined ? { maxRunsPerDag: s.retentionRunsPerDag } : {}),
      };
      const gc = setInterval(() => void collectGarbage(pool, policy, Date.now()).catch((e: unknown) => log.error('retention failed', e)), 60_000);
      cleanups.push(async () => clearInterval(gc));
    }

    if (parts.folder) {
      mkdirSync(s.dagsDir, { recursive: true });
      const worker = dagFolderWorker();
      const folder = new DagFolder({ dir: s.dagsDir, pool, log: (l) => log.info(l), onChange: () => scheduler.kick(), worker });
      await folder.start();
      cleanups.push(async () => {
        await folder.stop();
        await worker.close();
      });
      log.info(`watching DAG folder ${s.dagsDir}`);
    }

    let url: string | undefined;
    let localToken: string | undefined;
    if (parts.server) {
      const { bootstrapAdmin, serverConsoleLog, startServer } = await import('@kontroler/server');
      const { config } = serverConfigFrom({}, process.env);
      // With local accounts off (KONTROLER_PASSWORD_LOGIN=false) there is no built-in admin.
      if (config.passwordLogin !== false) {
        const admin = await bootstrapAdmin(pool, { ...(process.env.KONTROLER_ADMIN_PASSWORD ? { password: process.env.KONTROLER_ADMIN_PASSWORD } : {}) });
        if (admin.generatedPassword) {
          log.info(`created user "${admin.username}" with password: ${admin.generatedPassword}`);
          log.info('it is shown only this once: sign in and change it (or set KONTROLER_ADMIN_PASSWORD before the first start)');
        }
        // Revoked after the server has closed (cleanups run in reverse).
        const held = await holdLocalToken(pool, admin.username, s.dataDir, log);
        localToken = held.token;
        cleanups.push(() => held.revoke());
      }
      const running = await startServer({ pool, databaseUrl, port: s.port, host: s.host, config, log: serverConsoleLog(s.logFormat) }).catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'EADDRINUSE' ? new Error(`port ${s.port} on ${s.host} is in use: stop what uses it or pick another with --port / PORT`) : e;
      });
      url = running.url;
      cleanups.push(() => running.close());
    }
    if (s.metricsPort !== undefined) {
      // Last: the startup probe on /healthz passes once everything above is up.
      const health = await startHealthServer({ port: s.metricsPort, host: s.metricsHost, metrics, ready: async () => void (await pool.query('select 1')) }).catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'EADDRINUSE' ? new Error(`metrics port ${s.metricsPort} on ${s.metricsHost} is in use: pick another with --metrics-port / KONTROLER_METRICS_PORT`) : e;
      });
      cleanups.push(() => health.close());
      log.info(`health and metrics: ${health.url}/healthz, /readyz, /metrics`);
    }
    if (parts.embedded || parts.server) {
      writeInstance(s.dataDir, { pid: process.pid, databaseUrl, url: url ?? '', startedAt: new Date().toISOString(), ...(localToken ? { token: localToken } : {}) });
      cleanups.push(async () => removeInstance(s.dataDir, process.pid));
    }
    // Runs first at shutdown: from then on an exit of the embedded PostgreSQL is no crash.
    if (pgServer) {
      const srv = pgServer;
      cleanups.push(async () => srv.unsupervise());
    }
    log.info(`Kontroler is up.${url ? ` UI and API: ${url}` : ''}`);
    log.info(`data: ${s.dataDir}${pgServer ? ' (embedded PostgreSQL)' : ''}; DAG folder: ${parts.folder ? s.dagsDir : '(none)'}`);
    log.info('stop with Ctrl-C');

    let stopping: Promise<void> | undefined;
    const stack: Stack = {
      databaseUrl,
      url,
      stop: () => (stopping ??= stop()),
      untilSignal: () => untilSignal(() => stack.stop(), failed, s.shutdownTimeoutSeconds, log),
    };
    return stack;
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Local-mode secrets from the environment; warns once about variables of the old unscoped form. */
function localSecrets(log: { warn(msg: string): void }): ReturnType<typeof envSecretResolver> {
  for (const name of legacySecretVariables(process.env)) {
    const secret = name.slice('KONTROLER_SECRET_'.length);
    log.warn(`${name} is no longer read: local secrets are scoped by namespace; rename it to KONTROLER_SECRET_<NAMESPACE>__${secret} (e.g. KONTROLER_SECRET_DEFAULT__${secret})`);
  }
  return envSecretResolver(process.env);
}
