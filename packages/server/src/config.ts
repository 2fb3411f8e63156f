// Server configuration: a plain object built by the entry point (flags and KONTROLER_* env there).
// Nothing in this package reads the environment.
import { createLog, type Log, type LogFormat } from '@kontroler/core';
import type { ClaimRoleRule, ServiceAccountRoleRule } from './auth/role-map.js';
import type { TokenReviewer } from './auth/token-review.js';
import { DEFAULT_TRIGGER_WINDOW_SECONDS } from './auth/trigger-signature.js';
import { DEFAULT_DAG_WORKER, type DagWorkerConfig } from './dag-worker.js';

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
  /** Failures answered normally per key before delays (429 with Retry-After) start. */
  max: number;
  /** A key with no failure for this long is forgotten. */
  windowSeconds: number;
  /** The first delay after `max` failures, doubled at each further failure (default 1 s). */
  baseDelaySeconds?: number;
  /** The longest delay (default `windowSeconds`). */
  maxDelaySeconds?: number;
}

/** Largest resource body (a 100,000-task DAG is about 14 MiB of JSON, more of YAML). */
export const MAX_RESOURCE_BODY_BYTES = 32 * 1024 * 1024;

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
  /**
   * Failed logins: `perUser` throttles each (username, client address) pair, so wrong passwords
   * from one address never slow the user down from another; `perAddress` each address over all
   * usernames. Growing delays, never a lockout.
   */
  loginRateLimit: { perUser: RateLimitConfig; perAddress: RateLimitConfig };
  /** Badly signed inbound trigger requests, per (client address, DAG) (default 30 free, then delays up to 300 s). */
  triggerRateLimit: RateLimitConfig;
  /**
   * How far an inbound trigger delivery's signed timestamp may be from the server's clock (default
   * 300 s); delivery ids are kept for twice this, so a replay is refused either way.
   */
  triggerWindowSeconds: number;
  /** Honour X-Forwarded-For / -Proto from a reverse proxy. */
  trustProxy: boolean;
  /** Largest request body accepted (default 4 MiB), except on the resource routes below. */
  bodyLimitBytes: number;
  /**
   * Largest body of a resource route (apply, validate, the DSL: `body: 'text'`), default
   * MAX_RESOURCE_BODY_BYTES (32 MiB: a DAG of MAX_TASKS_PER_DAG tasks, parsed in the DAG worker).
   */
  resourceBodyLimitBytes: number;
  /** The worker thread for large DAG bodies: size threshold, time limit, queue, memory (see dag-worker.ts). */
  dagWorker: DagWorkerConfig;
  /** Serve /metrics without credentials (default true: Prometheus scrapes it). */
  publicMetrics: boolean;
  /** Origins allowed to call the API from a browser with credentials (CORS); none by default. */
  corsOrigins: string[];
  /** Most concurrent log-follow streams (default 1000). */
  maxLogFollowers: number;
  /** Most concurrent live-update streams (GET /events, /runs/{id}/events; default 1000). */
  maxEventStreams: number;
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
  /**
   * Local password accounts (default true). When false, password sign-in is refused, sessions and
   * API tokens of local users stop working, and no local user can be created; people sign in with
   * single sign-on (`oidc`). The entry point also skips creating the built-in admin.
   */
  passwordLogin: boolean;
  /** Single sign-on with an OpenID Connect provider; absent = off. */
  oidc?: OidcConfig;
  /** Kubernetes service account tokens as Bearer credentials (workload identity); absent = off. */
  workloadIdentity?: WorkloadIdentityConfig;
}

/** How outgoing HTTPS calls (discovery, JWKS, token endpoint) trust and authenticate. */
export interface OutboundTls {
  /** PEM CA bundle that signed the provider's certificate (default: Node's trusted roots). */
  ca?: string | Buffer;
}

export interface OidcConfig extends OutboundTls {
  /** Issuer URL, exactly as the provider's discovery document names it (https; http only on loopback). */
  issuer: string;
  clientId: string;
  /** Confidential client: sent to the token endpoint (client_secret_basic). Absent: a public client (PKCE only). */
  clientSecret?: string;
  /** Scopes asked for (default `openid email profile`; add `groups` where the provider needs it). */
  scopes: string[];
  /** This server's callback, registered at the provider: `https://HOST/api/v1/auth/oidc/callback`. */
  redirectUrl: string;
  /** Claims → roles per namespace. A user no rule matches gets no session ("no access"). */
  roleMap: ClaimRoleRule[];
  /** Claim that names the user in Kontroler (default `email`, then `preferred_username`, then `sub`). */
  usernameClaim: string;
  /** ID token signature algorithms accepted (default RS256 and ES256); anything else is refused. */
  algorithms: string[];
  /**
   * Accept the provider's ID tokens (audience = clientId or one of `audiences`) as Bearer
   * credentials on the API (default true), like kube-apiserver's OIDC authenticator.
   */
  acceptBearer: boolean;
  /** More audiences accepted for Bearer ID tokens (e.g. a separate CLI client id). */
  audiences: string[];
  /** Shown on the sign-in button ("Sign in with …"; default "single sign-on"). */
  displayName?: string;
  /** Clock skew allowed for exp / nbf / iat (default 30 s). */
  clockToleranceSeconds: number;
  /** A JWKS is re-fetched for an unknown key id at most this often (default 30 s). */
  jwksCooldownMs: number;
  /** Keys are re-fetched at least this often (default 10 min): a key removed from the JWKS stops working within this. */
  jwksMaxAgeMs: number;
}

export interface WorkloadIdentityConfig extends OutboundTls {
  /** The cluster's service account issuer (`--service-account-issuer`), e.g. `https://kubernetes.default.svc`. */
  issuer: string;
  /** Audience the token must be made for (default `kontroler`). */
  audience: string;
  /** JWKS URL; default: `jwks_uri` from `<issuer>/.well-known/openid-configuration`. */
  jwksUri?: string;
  /**
   * Bearer token for fetching discovery and JWKS (kube-apiserver serves them to authenticated
   * callers unless `system:service-account-issuer-discovery` is bound to anonymous users); read
   * at every fetch, so a rotated projected token is picked up.
   */
  discoveryToken?: () => string | undefined;
  /**
   * Also ask the cluster (TokenReview) whether the token is still valid: this refuses tokens of
   * deleted service accounts or pods at once, not only at expiry. Local checks still run first.
   */
  tokenReviewer?: TokenReviewer;
  /** service account → roles per namespace. */
  roleMap: ServiceAccountRoleRule[];
  /** Signature algorithms accepted (default RS256 and ES256). */
  algorithms: string[];
  clockToleranceSeconds: number;
  jwksCooldownMs: number;
  jwksMaxAgeMs: number;
}

/** Defaults for the optional fields of an OIDC configuration. */
export function oidcConfig(c: Pick<OidcConfig, 'issuer' | 'clientId' | 'redirectUrl' | 'roleMap'> & Partial<OidcConfig>): OidcConfig {
  return {
    scopes: ['openid', 'email', 'profile'],
    usernameClaim: 'email',
    algorithms: ['RS256', 'ES256'],
    acceptBearer: true,
    audiences: [],
    clockToleranceSeconds: 30,
    jwksCooldownMs: 30_000,
    jwksMaxAgeMs: 600_000,
    ...c,
  };
}

/** Defaults for the optional fields of a workload identity configuration. */
export function workloadIdentityConfig(c: Pick<WorkloadIdentityConfig, 'issuer' | 'roleMap'> & Partial<WorkloadIdentityConfig>): WorkloadIdentityConfig {
  return {
    audience: 'kontroler',
    algorithms: ['RS256', 'ES256'],
    clockToleranceSeconds: 30,
    jwksCooldownMs: 30_000,
    jwksMaxAgeMs: 600_000,
    ...c,
  };
}

export const DEFAULT_CONFIG: ServerConfig = {
  sessionTtlSeconds: 3600,
  cookieSecure: 'auto',
  loginRateLimit: { perUser: { max: 10, windowSeconds: 900 }, perAddress: { max: 50, windowSeconds: 900 } },
  triggerRateLimit: { max: 30, windowSeconds: 300 },
  triggerWindowSeconds: DEFAULT_TRIGGER_WINDOW_SECONDS,
  trustProxy: false,
  bodyLimitBytes: 4 * 1024 * 1024,
  resourceBodyLimitBytes: MAX_RESOURCE_BODY_BYTES,
  dagWorker: DEFAULT_DAG_WORKER,
  publicMetrics: true,
  corsOrigins: [],
  maxLogFollowers: 1000,
  maxEventStreams: 1000,
  authCacheMs: 5000,
  passwordLogin: true,
};

/** Fills in defaults for everything `partial` leaves out. */
export function resolveConfig(partial: Partial<ServerConfig> = {}): ServerConfig {
  return {
    ...DEFAULT_CONFIG,
    ...partial,
    loginRateLimit: { ...DEFAULT_CONFIG.loginRateLimit, ...partial.loginRateLimit },
    dagWorker: { ...DEFAULT_CONFIG.dagWorker, ...partial.dagWorker },
  };
}

/** Where the server reports what it does (same shape as the controller's log). */
export type ServerLog = Log;

export const silentServerLog: ServerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The server's log on the console in `format`; an internal error's stack is kept (text and json). */
export function serverConsoleLog(format: LogFormat): ServerLog {
  return createLog({ component: 'server', format, stacks: true, sink: { out: (l) => console.log(l), err: (l) => console.error(l) } });
}

export const consoleServerLog: ServerLog = serverConsoleLog('text');
