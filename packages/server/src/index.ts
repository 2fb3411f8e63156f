export { createServer, routeTable, type CreateServerOptions, type KontrolerServer } from './server.js';
export { startServer, type StartServerOptions, type RunningServer } from './start.js';
export { bootstrapAdmin, type BootstrapResult } from './bootstrap.js';
export {
  DEFAULT_CONFIG,
  MAX_RESOURCE_BODY_BYTES,
  resolveConfig,
  consoleServerLog,
  serverConsoleLog,
  silentServerLog,
  oidcConfig,
  workloadIdentityConfig,
  type ServerConfig,
  type ServerLog,
  type TlsConfig,
  type OidcConfig,
  type WorkloadIdentityConfig,
} from './config.js';
export {
  parseClaimRoleMap,
  parseServiceAccountRoleMap,
  bindingsForClaims,
  bindingsForServiceAccount,
  type ClaimRoleRule,
  type ServiceAccountRoleRule,
} from './auth/role-map.js';
export { kubeTokenReviewer, type TokenReviewer, type TokenReviewApi, type TokenReviewResult } from './auth/token-review.js';
export { UI_CSP } from './routes/ui.js';
export { HTTP_STATUS, toApiError, type ApiErrorBody, type ApiErrorCode } from './http-errors.js';
export { describeAccess, type Access, type Principal } from './rbac.js';
export type { AnyRoute, RouteDef } from './route.js';
export { signTrigger, signedTriggerHeaders, triggerSignedString, checkTriggerDelivery, DEFAULT_TRIGGER_WINDOW_SECONDS, TIMESTAMP_HEADER, DELIVERY_HEADER, SIGNATURE_HEADER } from './auth/trigger-signature.js';
export { FailureThrottle, throttleFrom, MAX_THROTTLE_KEYS } from './auth/rate-limit.js';
export { parseRange } from './routes/logs.js';
export { LogHub } from './log-hub.js';
export { RunEventHub, RunSubscription, EVENTS_KEEPALIVE_MS, EVENTS_POLL_MS } from './run-event-hub.js';
export { issueLocalToken, revokeLocalToken, localTokenName, LOCAL_TOKEN_PREFIX, type LocalToken } from './local-credential.js';
export { DagWorker, DEFAULT_DAG_WORKER, serveJobs, type DagWorkerConfig } from './dag-worker.js';
export { preparedDag, storePreparedDag, type PreparedDag } from './dag-prepare.js';
