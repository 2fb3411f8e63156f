// Configuration from flags and KONTROLER_* environment variables. Only entry points read env.
import { resolve } from 'node:path';
import { DEFAULT_SHUTDOWN_TIMEOUT_SECONDS } from './shutdown.js';
import { dataDirFrom } from './data-dir.js';
import { logFormatFrom } from './log-output.js';
import type { LogFormat } from '@kontroler/core';
import { DEFAULT_MAX_LOG_BYTES, DEFAULT_MAX_LOG_LINE_BYTES, checkLogLimits, destinationPolicy, type DestinationPolicy, type LogLimits } from '@kontroler/controller';

export interface Settings {
  dataDir: string;
  dagsDir: string;
  port: number;
  host: string;
  databaseUrl: string | undefined;
  webhookSecret: string | undefined;
  /** KONTROLER_WEBHOOK_ALLOW parsed: destinations webhooks may reach besides public addresses. */
  webhookPolicy: DestinationPolicy;
  controllerId: string | undefined;
  retentionDays: number | undefined;
  retentionRunsPerDag: number | undefined;
  maxRunningPerRun: number | undefined;
  /** Time limit of a shutdown (KONTROLER_SHUTDOWN_TIMEOUT_SECONDS); the process exits anyway after it. */
  shutdownTimeoutSeconds: number;
  /** Local runtime: run tasks as this user (name or uid); needs root. */
  taskUser: string | undefined;
  /** KONTROLER_MAX_LOG_BYTES / KONTROLER_MAX_LOG_LINE_BYTES. */
  logLimits: LogLimits;
  /** --metrics-port / KONTROLER_METRICS_PORT: the controller's /healthz, /readyz and /metrics listener; undefined = none. */
  metricsPort: number | undefined;
  /** --metrics-host / KONTROLER_METRICS_HOST (default 127.0.0.1; the chart sets 0.0.0.0). */
  metricsHost: string;
  /** --log-format / KONTROLER_LOG_FORMAT: text (default) or json lines. */
  logFormat: LogFormat;
}

export interface SettingFlags {
  dataDir?: string;
  dags?: string;
  port?: string;
  host?: string;
  metricsPort?: string;
  metricsHost?: string;
  logFormat?: string;
}

function intOrUndefined(name: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number ≥ 0, got "${v}"`);
  return n;
}

/** KONTROLER_SHUTDOWN_TIMEOUT_SECONDS (default DEFAULT_SHUTDOWN_TIMEOUT_SECONDS); 0 is refused: a shutdown needs some time. */
export function shutdownTimeoutFrom(env: NodeJS.ProcessEnv): number {
  const n = intOrUndefined('KONTROLER_SHUTDOWN_TIMEOUT_SECONDS', env.KONTROLER_SHUTDOWN_TIMEOUT_SECONDS) ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS;
  if (n < 1) throw new Error(`KONTROLER_SHUTDOWN_TIMEOUT_SECONDS must be at least 1, got ${n}`);
  return n;
}

export function readSettings(flags: SettingFlags, env: NodeJS.ProcessEnv = process.env): Settings {
  const port = intOrUndefined('--port / PORT', flags.port ?? env.PORT ?? env.KONTROLER_PORT) ?? 8080;
  if (port > 65535) throw new Error(`--port / PORT must be at most 65535, got ${port}`);
  return {
    dataDir: dataDirFrom(flags.dataDir, env),
    dagsDir: resolve(flags.dags ?? env.KONTROLER_DAGS_DIR ?? 'dags'),
    port,
    host: flags.host ?? env.KONTROLER_HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL || env.KONTROLER_DATABASE_URL || undefined,
    webhookSecret: env.KONTROLER_WEBHOOK_SECRET || undefined,
    // A bad entry stops the process at startup (naming it) rather than failing every delivery.
    webhookPolicy: destinationPolicy(env.KONTROLER_WEBHOOK_ALLOW ?? '', 'KONTROLER_WEBHOOK_ALLOW'),
    controllerId: env.KONTROLER_CONTROLLER_ID || undefined,
    retentionDays: intOrUndefined('KONTROLER_RETENTION_DAYS', env.KONTROLER_RETENTION_DAYS),
    retentionRunsPerDag: intOrUndefined('KONTROLER_RETENTION_RUNS_PER_DAG', env.KONTROLER_RETENTION_RUNS_PER_DAG),
    maxRunningPerRun: intOrUndefined('KONTROLER_MAX_PARALLEL_TASKS', env.KONTROLER_MAX_PARALLEL_TASKS),
    shutdownTimeoutSeconds: shutdownTimeoutFrom(env),
    taskUser: env.KONTROLER_TASK_USER || undefined,
    logLimits: readLogLimits(env),
    metricsPort: metricsPortFrom(flags.metricsPort ?? env.KONTROLER_METRICS_PORT),
    metricsHost: flags.metricsHost ?? (env.KONTROLER_METRICS_HOST || '127.0.0.1'),
    logFormat: logFormatFrom(flags.logFormat, env),
  };
}

/** --metrics-port / KONTROLER_METRICS_PORT: 0 to 65535 (0: any free port), or undefined when not set. */
function metricsPortFrom(v: string | undefined): number | undefined {
  const n = intOrUndefined('--metrics-port / KONTROLER_METRICS_PORT', v);
  if (n !== undefined && n > 65535) throw new Error(`--metrics-port / KONTROLER_METRICS_PORT must be at most 65535, got ${n}`);
  return n;
}

function readLogLimits(env: NodeJS.ProcessEnv): LogLimits {
  const limits = {
    maxBytes: intOrUndefined('KONTROLER_MAX_LOG_BYTES', env.KONTROLER_MAX_LOG_BYTES) ?? DEFAULT_MAX_LOG_BYTES,
    maxLineBytes: intOrUndefined('KONTROLER_MAX_LOG_LINE_BYTES', env.KONTROLER_MAX_LOG_LINE_BYTES) ?? DEFAULT_MAX_LOG_LINE_BYTES,
  };
  const problem = checkLogLimits(limits);
  if (problem) throw new Error(`KONTROLER_MAX_LOG_BYTES / KONTROLER_MAX_LOG_LINE_BYTES: ${problem} (got ${limits.maxBytes} / ${limits.maxLineBytes})`);
  return limits;
}
