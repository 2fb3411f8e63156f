// kontroler server: the API server alone, against an existing PostgreSQL (DATABASE_URL). The
// only place the server's settings are read from flags and KONTROLER_* environment variables.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { ServerConfig } from '@kontroler/server';
import type { LogFormat } from '@kontroler/core';
import { identityConfigFrom } from './identity-config.js';

export interface ServerFlags {
  databaseUrl?: string;
  port?: string;
  host?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  logFormat?: string;
}

/** Server config from flags and environment (documented in docs/api.md). */
export function serverConfigFrom(o: ServerFlags, env: NodeJS.ProcessEnv): { config: Partial<ServerConfig>; port: number; host: string; databaseUrl: string | undefined } {
  const cert = o.tlsCert ?? env.KONTROLER_TLS_CERT;
  const key = o.tlsKey ?? env.KONTROLER_TLS_KEY;
  const clientCa = o.tlsClientCa ?? env.KONTROLER_TLS_CLIENT_CA;
  if ((cert && !key) || (!cert && key)) throw new Error('TLS needs both a certificate and a key (--tls-cert / --tls-key)');
  if (clientCa && !cert) throw new Error('mTLS (--tls-client-ca) needs TLS (--tls-cert and --tls-key)');
  const bool = (v: string | undefined) => (v === undefined ? undefined : /^(1|true|yes|on)$/i.test(v));
  const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
  const config: Partial<ServerConfig> = {
    ...(env.KONTROLER_JWT_SECRET ? { jwtSecret: env.KONTROLER_JWT_SECRET } : {}),
    ...(num(env.KONTROLER_SESSION_TTL_SECONDS) ? { sessionTtlSeconds: num(env.KONTROLER_SESSION_TTL_SECONDS)! } : {}),
    ...(env.KONTROLER_COOKIE_SECURE ? { cookieSecure: env.KONTROLER_COOKIE_SECURE === 'auto' ? 'auto' : bool(env.KONTROLER_COOKIE_SECURE)! } : {}),
    ...(bool(env.KONTROLER_TRUST_PROXY) !== undefined ? { trustProxy: bool(env.KONTROLER_TRUST_PROXY)! } : {}),
    ...(bool(env.KONTROLER_PUBLIC_METRICS) !== undefined ? { publicMetrics: bool(env.KONTROLER_PUBLIC_METRICS)! } : {}),
    ...(env.KONTROLER_TRIGGER_WINDOW_SECONDS ? { triggerWindowSeconds: triggerWindowFrom(env.KONTROLER_TRIGGER_WINDOW_SECONDS) } : {}),
    ...(env.KONTROLER_CORS_ORIGINS ? { corsOrigins: env.KONTROLER_CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    ...(env.KONTROLER_MAX_EVENT_STREAMS ? { maxEventStreams: streamLimitFrom('KONTROLER_MAX_EVENT_STREAMS', env.KONTROLER_MAX_EVENT_STREAMS) } : {}),
    ...(env.KONTROLER_MAX_LOG_FOLLOWERS ? { maxLogFollowers: streamLimitFrom('KONTROLER_MAX_LOG_FOLLOWERS', env.KONTROLER_MAX_LOG_FOLLOWERS) } : {}),
    ...(uiDirFrom(env) ? { uiDir: uiDirFrom(env)! } : {}),
    ...(cert && key ? { tls: { cert: readFileSync(cert), key: readFileSync(key), ...(clientCa ? { clientCa: readFileSync(clientCa) } : {}) } } : {}),
    ...identityConfigFrom(env),
  };
  const port = Number(o.port ?? env.KONTROLER_PORT ?? env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port ${o.port ?? env.KONTROLER_PORT ?? env.PORT}`);
  return { config, port, host: o.host ?? env.KONTROLER_HOST ?? '127.0.0.1', databaseUrl: o.databaseUrl ?? env.DATABASE_URL };
}

/** Most open streams of a kind (live updates, followed logs): a whole number from 1 to 100,000. */
export const MAX_STREAM_LIMIT = 100_000;

function streamLimitFrom(name: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < 1 || n > MAX_STREAM_LIMIT) throw new Error(`${name} must be a whole number of streams from 1 to ${MAX_STREAM_LIMIT}, got "${v}"`);
  return n;
}

/** KONTROLER_TRIGGER_WINDOW_SECONDS: a whole number of seconds, 1 to 86400. */
function triggerWindowFrom(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < 1 || n > 86_400) throw new Error(`KONTROLER_TRIGGER_WINDOW_SECONDS must be a whole number of seconds from 1 to 86400, got "${v}"`);
  return n;
}

/**
 * The web UI bundle to serve at `/`: KONTROLER_UI_DIR (empty = none), else the UI built in this
 * repository (packages/ui/dist, made by `npm run build:ui`, which npm start runs).
 */
export function uiDirFrom(env: NodeJS.ProcessEnv): string | undefined {
  if (env.KONTROLER_UI_DIR !== undefined) return env.KONTROLER_UI_DIR === '' ? undefined : env.KONTROLER_UI_DIR;
  // Inside this repository the UI package sits next to the CLI; when its bundle is missing the
  // server says how to build it instead of a bare 404.
  const pkg = fileURLToPath(new URL('../../../ui/', import.meta.url));
  return existsSync(pkg) ? `${pkg}dist` : undefined;
}

export function register(program: Command): void {
  program
    .command('server')
    .description('run the API server against PostgreSQL (DATABASE_URL); first start creates the admin user')
    .option('--database-url <url>', 'PostgreSQL connection string (env DATABASE_URL)')
    .option('--port <port>', 'port (env KONTROLER_PORT / PORT; default 8080)')
    .option('--host <host>', 'address to bind (env KONTROLER_HOST; default 127.0.0.1)')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (env KONTROLER_TLS_CERT)')
    .option('--tls-key <file>', 'key of the certificate (env KONTROLER_TLS_KEY)')
    .option('--tls-client-ca <file>', 'require client certificates signed by this CA: mTLS (env KONTROLER_TLS_CLIENT_CA)')
    .option('--log-format <text|json>', 'log lines as text (default) or json: one JSON object a line (KONTROLER_LOG_FORMAT)')
    .action(async (o: ServerFlags) => {
      // Loaded here, not at start-up: the other commands stay quick to start.
      const { logFormatFrom, logProcessWarnings, processLogs, reportStartFailure } = await import('../log-output.js');
      const logs = processLogs(logFormatFrom(o.logFormat));
      logProcessWarnings(logs);
      try {
        await serve(o, logs.format);
      } catch (e) {
        reportStartFailure(logs, 'kontroler server', e);
        process.exit(1);
      }
    });
}

/** Runs the API server until a signal; throws when it cannot start. */
async function serve(o: ServerFlags, format: LogFormat): Promise<void> {
  const { bootstrapAdmin, serverConsoleLog, startServer } = await import('@kontroler/server');
  const { createPool, migrate } = await import('@kontroler/store');
  const log = serverConsoleLog(format);
  const s = serverConfigFrom(o, process.env);
  if (!s.databaseUrl) throw new Error('set DATABASE_URL (or --database-url) to the PostgreSQL the controller uses; `kontroler up` runs everything in one process');
  const pool = createPool(s.databaseUrl);
  await migrate(pool);
  // With local accounts off (KONTROLER_PASSWORD_LOGIN=false) there is no built-in admin: admins come from the SSO role map.
  if (s.config.passwordLogin !== false) {
    const admin = await bootstrapAdmin(pool, { ...(process.env.KONTROLER_ADMIN_PASSWORD ? { password: process.env.KONTROLER_ADMIN_PASSWORD } : {}) });
    if (admin.generatedPassword) {
      log.info(`Created user "${admin.username}" with password: ${admin.generatedPassword}`);
      log.info('It is shown only this once: sign in and change it (kontroler login; POST /api/v1/auth/password).');
    }
  }
  const running = await startServer({ pool, databaseUrl: s.databaseUrl, port: s.port, host: s.host, config: s.config, log });
  // Shutdown within KONTROLER_SHUTDOWN_TIMEOUT_SECONDS, like `up` (a gone database cannot hold it).
  const { untilSignal } = await import('../shutdown.js');
  const { shutdownTimeoutFrom } = await import('../settings.js');
  await untilSignal(
    async () => {
      await running.close();
      await pool.end();
    },
    new Promise<Error>(() => undefined),
    shutdownTimeoutFrom(process.env),
    log,
  );
}
