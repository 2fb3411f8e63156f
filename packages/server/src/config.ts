// Server configuration: a plain object built by the entry point (flags and KONTROLER_* env there).
// Nothing in this package reads the environment.

export interface TlsConfig {
  /** PEM server certificate and key. */
  cert: string | Buffer;
  key: string | Buffer;
  /**
   * PEM CA bundle for client certificates. When set, the server asks every client for a
   * certificate and rejects the TLS handshake unless it is signed by this CA (mTLS).
   */
  clientCa?: string | Buffer;
}

export interface RateLimitConfig {
  /** Failed logins allowed per window before answering 429. */
  max: number;
  windowSeconds: number;
}

export interface ServerConfig {
  /**
   * Key for signing session JWTs (HS256) and CSRF tokens. When absent, a random key is generated
   * once and kept in the database, so restarts and replicas share it.
   */
  jwtSecret?: string;
  /** Lifetime of a login session and its JWT (default 3600 s); `POST /auth/refresh` extends it. */
  sessionTtlSeconds: number;
  /** Mark cookies Secure: true, false, or 'auto' (when serving TLS or behind an https proxy). */
  cookieSecure: boolean | 'auto';
  tls?: TlsConfig;
  /** Failed logins per username and per client address. */
  loginRateLimit: { perUser: RateLimitConfig; perAddress: RateLimitConfig };
  /** Honour X-Forwarded-For / -Proto from a reverse proxy. */
  trustProxy: boolean;
  /** Largest request body accepted (default 4 MiB). */
  bodyLimitBytes: number;
  /** Serve /metrics without credentials (default true: Prometheus scrapes it). */
  publicMetrics: boolean;
  /** Origins allowed to call the API from a browser with credentials (CORS); none by default. */
  corsOrigins: string[];
  /** Most concurrent log-follow streams (default 1000). */
  maxLogFollowers: number;
  /**
   * How long a resolved credential is reused without a database lookup (default 5000 ms; 0 = never).
   * Revocations clear it at once through NOTIFY; this bounds staleness when LISTEN is down.
   */
  authCacheMs: number;
  /**
   * Folder of the built web UI (index.html + assets/), served at `/` with a fallback to
   * index.html for the app's own paths. Absent: no UI, only the API.
   */
  uiDir?: string;
}

export const DEFAULT_CONFIG: ServerConfig = {
  sessionTtlSeconds: 3600,
  cookieSecure: 'auto',
  loginRateLimit: { perUser: { max: 10, windowSeconds: 900 }, perAddress: { max: 50, windowSeconds: 900 } },
  trustProxy: false,
  bodyLimitBytes: 4 * 1024 * 1024,
  publicMetrics: true,
  corsOrigins: [],
  maxLogFollowers: 1000,
  authCacheMs: 5000,
};

/** Fills in defaults for everything `partial` leaves out. */
export function resolveConfig(partial: Partial<ServerConfig> = {}): ServerConfig {
  return {
    ...DEFAULT_CONFIG,
    ...partial,
    loginRateLimit: { ...DEFAULT_CONFIG.loginRateLimit, ...partial.loginRateLimit },
  };
}

/** Where the server reports what it does (same shape as the controller's log). */
export interface ServerLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string, err?: unknown): void;
}

export const silentServerLog: ServerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export const consoleServerLog: ServerLog = {
  info: (m) => console.log(`[server] ${m}`),
  warn: (m) => console.warn(`[server] ${m}`),
  error: (m, e) => console.error(`[server] ${m}${e ? `: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` : ''}`),
};
