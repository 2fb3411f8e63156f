export { createServer, routeTable, type CreateServerOptions, type KontrolerServer } from './server.js';
export { startServer, type StartServerOptions, type RunningServer } from './start.js';
export { bootstrapAdmin, type BootstrapResult } from './bootstrap.js';
export {
  DEFAULT_CONFIG,
  resolveConfig,
  consoleServerLog,
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
export { signTrigger } from './routes/triggers.js';
export { parseRange } from './routes/logs.js';
export { LogHub } from './log-hub.js';
