export { createServer, routeTable, type CreateServerOptions, type KontrolerServer } from './server.js';
export { startServer, type StartServerOptions, type RunningServer } from './start.js';
export { bootstrapAdmin, type BootstrapResult } from './bootstrap.js';
export { DEFAULT_CONFIG, resolveConfig, consoleServerLog, silentServerLog, type ServerConfig, type ServerLog, type TlsConfig } from './config.js';
export { HTTP_STATUS, toApiError, type ApiErrorBody, type ApiErrorCode } from './http-errors.js';
export { describeAccess, type Access, type Principal } from './rbac.js';
export type { AnyRoute, RouteDef } from './route.js';
export { signTrigger } from './routes/triggers.js';
export { parseRange } from './routes/logs.js';
