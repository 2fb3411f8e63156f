// What every route handler can reach: the store, the config, keys and shared services.
import type { PoolLike, RunIndexCache } from '@kontroler/store';
import type { AuthCache } from './auth/auth-cache.js';
import type { OidcProvider } from './auth/oidc.js';
import type { FailureThrottle } from './auth/rate-limit.js';
import type { WorkloadIdentity } from './auth/workload.js';
import type { SessionKeys } from './auth/secrets.js';
import type { ServerConfig, ServerLog } from './config.js';
import type { DagWorker } from './dag-worker.js';
import type { LogHub } from './log-hub.js';
import type { Metrics } from './metrics.js';
import type { RunEventHub } from './run-event-hub.js';

export interface ServerContext {
  readonly pool: PoolLike;
  readonly config: ServerConfig;
  readonly log: ServerLog;
  readonly keys: SessionKeys;
  /** Failed sign-ins per (username, client address) and per client address. */
  readonly loginLimits: { readonly user: FailureThrottle; readonly address: FailureThrottle };
  /** Badly signed trigger requests per (client address, DAG). */
  readonly triggerLimits: FailureThrottle;
  readonly logHub: LogHub;
  /** Wakes live-update streams (GET /events, /runs/{id}/events) when runs change. */
  readonly runEvents: RunEventHub;
  /** Resolved credentials, cleared on any credential or role change. */
  readonly authCache: AuthCache;
  /** Run id → namespace (never changes once a run exists), for permission checks. */
  readonly runNamespaces: Map<number, string>;
  /** What run pages need of each DAG version's definition (tasks by position, graph), LRU-bounded. */
  readonly runIndexes: RunIndexCache;
  readonly metrics: Metrics;
  /** The worker thread that parses, validates and resolves large DAG bodies. */
  readonly dagWorker: DagWorker;
  /** External identities, when configured: single sign-on, and Kubernetes workload identity. */
  readonly identity: { readonly oidc?: OidcProvider; readonly workload?: WorkloadIdentity };
  /** Whether cookies set for this request should be Secure. */
  secureCookies(proto: string): boolean;
}
