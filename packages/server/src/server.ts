// Assembles the HTTP server from the route table: validation (Ajv, strict for bodies, coercing for
// query strings), auth and RBAC before any body is read, one error shape, audit, metrics, OpenAPI.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { PoolLike } from '@kontroler/store';
import { AUTH_CHANNEL, LOGS_CHANNEL, RUNS_CHANNEL, RUN_STATE_CHANNEL, RunIndexCache, getOrCreateSetting, listen, pruneLoginHandoffs, pruneSessions, recordAudit, type Listener } from '@kontroler/store';
import { AuthCache } from './auth/auth-cache.js';
import { actorName, authenticate, authorize } from './auth/authenticate.js';
import { throttleFrom } from './auth/rate-limit.js';
import { OidcProvider } from './auth/oidc.js';
import { SessionKeys, randomSecret } from './auth/secrets.js';
import { WorkloadIdentity } from './auth/workload.js';
import type { ServerConfig, ServerLog } from './config.js';
import { resolveConfig, silentServerLog } from './config.js';
import type { ServerContext } from './context.js';
import { toApiError } from './http-errors.js';
import { LogHub } from './log-hub.js';
import { EVENTS_POLL_MS, RunEventHub } from './run-event-hub.js';
import { eventRoutes } from './routes/events.js';
import { Metrics } from './metrics.js';
import { describeAccess } from './rbac.js';
import { installRequestGuards } from './request-guards.js';
import type { AnyRoute, Call, RouteSchemas } from './route.js';
import { whoOf } from './route.js';
import { authRoutes } from './routes/auth.js';
import { logRoutes } from './routes/logs.js';
import { oidcRoutes } from './routes/oidc.js';
import { resourceRoutes } from './routes/resources.js';
import { approvalRoutes } from './routes/approvals.js';
import { taskActionRoutes } from './routes/task-actions.js';
import { runRoutes } from './routes/runs.js';
import { statsRoutes } from './routes/stats.js';
import { systemRoutes } from './routes/system.js';
import { tokenRoutes } from './routes/tokens.js';
import { backfillRoutes } from './routes/backfills.js';
import { triggerRoutes } from './routes/triggers.js';
import { uiRoutes } from './routes/ui.js';
import { userRoutes } from './routes/users.js';
import { messageOf } from '@kontroler/core';
import { DagWorker } from './dag-worker.js';

/** Error codes of a streamed answer whose client went away (or whose end was written twice because of that). */
const CLIENT_GONE = new Set(['ERR_HTTP_HEADERS_SENT', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE']);

/** How much of an error message an audit entry keeps. */
export const AUDIT_ERROR_MESSAGE_MAX = 500;

// ajv and ajv-formats are CommonJS with a `default` export: take whichever shape Node hands us.
type AjvCtor = typeof AjvModule.default;
const Ajv = ((AjvModule as unknown as { default?: AjvCtor }).default ?? (AjvModule as unknown as AjvCtor)) as AjvCtor;
type AddFormats = typeof addFormatsModule.default;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats)) as AddFormats;

export interface CreateServerOptions {
  pool: PoolLike;
  /** For LISTEN (live log follow); without it followers poll. */
  databaseUrl?: string;
  config?: Partial<ServerConfig>;
  log?: ServerLog;
}

export interface KontrolerServer {
  readonly app: FastifyInstance;
  /** Every route the server serves, with its access rule: the contract the tests walk. */
  readonly routes: readonly AnyRoute[];
  readonly context: ServerContext;
  /** Starts listening; resolves to the base URL (`http://127.0.0.1:8080`). */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** The whole route table (exported for documentation and tests). */
export function routeTable(openapi: () => unknown, config: ServerConfig): AnyRoute[] {
  return [
    ...systemRoutes(openapi, config.publicMetrics),
    ...authRoutes(),
    ...oidcRoutes(),
    ...userRoutes(),
    ...tokenRoutes(),
    ...resourceRoutes(),
    ...runRoutes(),
    ...approvalRoutes(),
    ...taskActionRoutes(),
    ...logRoutes(),
    ...eventRoutes(),
    ...triggerRoutes(),
    ...backfillRoutes(),
    ...statsRoutes(),
    ...uiRoutes(config.uiDir),
  ];
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Builds the server (not listening yet). Reads or creates the JWT key in the database when the
 * config has none. The pool stays the caller's: `close()` does not end it.
 */
export async function createServer(o: CreateServerOptions): Promise<KontrolerServer> {
  const config = resolveConfig(o.config);
  const log = o.log ?? silentServerLog;
  const secret = config.jwtSecret ?? (await getOrCreateSetting(o.pool, 'session-key', () => randomSecret(48)));
  const logHub = new LogHub();
  const runEvents = new RunEventHub(o.databaseUrl !== undefined);
  const authCache = new AuthCache(config.authCacheMs);
  // One LISTEN connection: new log output wakes followers; run changes wake live-update streams;
  // credential changes clear the cache and end the streams (their clients reconnect and are checked again).
  let listener: Listener | undefined;
  if (o.databaseUrl) {
    listener = await listen(
      o.databaseUrl,
      [LOGS_CHANNEL, AUTH_CHANNEL, RUNS_CHANNEL, RUN_STATE_CHANNEL],
      (channel, payload) => {
        if (channel === AUTH_CHANNEL) {
          authCache.clear();
          runEvents.closeAll();
        } else if (channel === LOGS_CHANNEL) logHub.notify(payload);
        else runEvents.notify(payload);
      },
      () => {
        authCache.clear();
        logHub.wakeAll();
        runEvents.markAll();
      },
    ).catch((e: unknown) => {
      log.warn(`LISTEN failed (${messageOf(e)}): log followers and live updates poll, cached sign-ins live ${config.authCacheMs} ms`);
      runEvents.waitMs = EVENTS_POLL_MS;
      return undefined;
    });
  }
  const ctx: ServerContext = {
    pool: o.pool,
    config,
    log,
    keys: new SessionKeys(secret),
    loginLimits: {
      user: throttleFrom(config.loginRateLimit.perUser),
      address: throttleFrom(config.loginRateLimit.perAddress),
    },
    triggerLimits: throttleFrom(config.triggerRateLimit),
    logHub,
    runEvents,
    authCache,
    runNamespaces: new Map(),
    runIndexes: new RunIndexCache(),
    metrics: new Metrics(o.pool, () => logHub.followers, () => runEvents.size),
    dagWorker: new DagWorker(config.dagWorker),
    identity: {
      ...(config.oidc ? { oidc: new OidcProvider(config.oidc) } : {}),
      ...(config.workloadIdentity ? { workload: new WorkloadIdentity(config.workloadIdentity) } : {}),
    },
    secureCookies: (proto) => (config.cookieSecure === 'auto' ? config.tls !== undefined || proto === 'https' : config.cookieSecure),
  };

  const https = config.tls
    ? {
        https: {
          cert: config.tls.cert,
          key: config.tls.key,
          ...(config.tls.clientCa ? { ca: config.tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
        },
      }
    : {};
  const app = Fastify({
    logger: false,
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    forceCloseConnections: true,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 600 },
    ...https,
  }) as unknown as FastifyInstance;

  const ajvBody = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: true, strict: false });
  const ajvOther = new Ajv({ coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: true, strict: false });
  addFormats(ajvBody);
  addFormats(ajvOther);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? ajvBody : ajvOther).compile(schema));
  // Response schemas document the API; bodies are serialised as they are.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  app.setErrorHandler((err, req, reply) => {
    if (reply.raw.headersSent) {
      // A streamed answer (live events, a followed log) cut short, usually because its client
      // left: nothing more can be sent, and a client going is no server error.
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string' || !CLIENT_GONE.has(code)) log.warn(`${req.method} ${req.url}: the answer was cut short: ${messageOf(err)}`);
      return;
    }
    const e = toApiError(err);
    req.auditError = { code: e.body.code, message: e.body.message.slice(0, AUDIT_ERROR_MESSAGE_MAX) };
    if (e.internal) log.error(`${req.method} ${req.url} failed`, err);
    for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
    reply.code(e.status).type('application/json; charset=utf-8').send(e.body);
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).type('application/json; charset=utf-8').send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}`, details: [] });
  });

  installRequestGuards(app);
  if (config.corsOrigins.length > 0) installCors(app, config.corsOrigins);

  app.addHook('onRequest', async (req) => {
    const def = req.routeOptions.config.def;
    if (!def || def.access.kind === 'public' || def.access.kind === 'signed') return;
    req.principal = await authenticate(ctx, req);
    const runNs = await authorize(ctx, def.access, req.principal, req.params as Record<string, string | undefined>);
    if (runNs !== undefined) req.auditNamespace = runNs;
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const def = req.routeOptions.config.def;
    if (def?.audit && /^(auth|user|token)\./.test(def.audit) && reply.statusCode < 400) authCache.clear();
    if (!def?.audit || !MUTATING.has(req.method)) return payload;
    if (!req.principal && def.access.kind !== 'public' && def.access.kind !== 'signed') return payload; // anonymous noise
    const status = reply.statusCode;
    const params = req.params as Record<string, string | undefined>;
    const d = req.auditDetails ?? {};
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    // A request refused before its handler named its target still has one: the name in its JSON body.
    const body = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
    const resource =
      params.name ??
      params.username ??
      (params.id ? `run/${params.id}` : params.tokenId ? `token/${params.tokenId}` : undefined) ??
      str(d.name) ??
      str(d.username) ??
      str(body.username) ??
      str(body.name);
    try {
      await recordAudit(ctx.pool, {
        actor: req.principal ? actorName(req.principal) : (req.auditActor ?? (def.access.kind === 'signed' ? 'trigger' : 'anonymous')),
        action: def.audit,
        outcome: status < 400 ? 'ok' : status === 401 || status === 403 ? 'denied' : 'failed',
        ...(params.ns ?? req.auditNamespace ? { namespace: params.ns ?? req.auditNamespace } : {}),
        ...(resource ? { resource } : {}),
        details: { ...(req.auditDetails ?? {}), status, ...(status >= 400 && req.auditError ? { error: req.auditError } : {}) },
        address: req.ip,
      });
    } catch (e) {
      log.error(`audit: recording ${def.audit} failed`, e);
    }
    return payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    const routeUrl = req.routeOptions.url ?? 'unmatched';
    ctx.metrics.requests.inc({ method: req.method, route: routeUrl, status: String(reply.statusCode) });
    ctx.metrics.duration.observe({ method: req.method, route: routeUrl }, reply.elapsedTime / 1000);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Kontroler API',
        version: '1',
        description: 'REST API of the Kontroler workflow orchestrator. Errors are `{code, message, details}` with the stable codes listed in docs/api.md.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'A session JWT from POST /api/v1/auth/login or an API token (kt_...)' },
          cookieAuth: { type: 'apiKey', in: 'cookie', name: 'kontroler_session', description: 'The UI session cookie; writes also need X-CSRF-Token' },
        },
      },
    },
  });

  let openapiDoc: unknown;
  const openapi = (): unknown => (openapiDoc ??= app.swagger());
  const routes = routeTable(openapi, config);
  const jsonRoutes = routes.filter((r) => (r.body ?? 'json') === 'json');
  const textRoutes = routes.filter((r) => (r.body ?? 'json') !== 'json');
  for (const r of jsonRoutes) register(app, ctx, r);
  await app.register(async (scope) => {
    // Resource and trigger bodies are read as text: YAML, JSON or DSL, or bytes to verify an HMAC.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    for (const r of textRoutes) register(scope, ctx, r);
  });
  await app.ready();

  // Ended sessions are kept a day (for the audit trail of who was signed in), then deleted.
  const prune = setInterval(() => {
    pruneLoginHandoffs(o.pool).catch(() => undefined);
    pruneSessions(o.pool, 86_400_000).catch((e: unknown) => log.warn(`pruning sessions failed: ${messageOf(e)}`));
  }, 3_600_000);
  prune.unref();

  return {
    app,
    routes,
    context: ctx,
    async listen(port = 8080, host = '127.0.0.1') {
      await app.listen({ port, host });
      const addr = app.server.address();
      const actual = typeof addr === 'object' && addr ? addr.port : port;
      const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
      return `${config.tls ? 'https' : 'http'}://${shownHost}:${actual}`;
    },
    async close() {
      clearInterval(prune);
      logHub.close();
      runEvents.closeAll();
      await app.close();
      await ctx.dagWorker.close();
      await listener?.close();
    },
  };
}

function register(scope: FastifyInstance, ctx: ServerContext, def: AnyRoute): void {
  const isOpen = def.access.kind === 'public' || def.access.kind === 'signed';
  scope.route({
    method: def.method,
    url: def.url,
    ...(def.body === 'text' ? { bodyLimit: ctx.config.resourceBodyLimitBytes } : {}),
    config: { def },
    schema: {
      ...def.schema,
      operationId: def.operationId,
      summary: def.summary,
      description: `${def.description ? `${def.description}\n\n` : ''}Requires: ${describeAccess(def.access)}.`,
      tags: def.tags,
      security: isOpen ? [] : [{ bearerAuth: [] }, { cookieAuth: [] }],
      ...(def.consumes ? { consumes: def.consumes } : {}),
      ...(def.produces ? { produces: def.produces } : {}),
    },
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const call: Call<RouteSchemas> = {
        params: req.params as undefined,
        query: req.query as undefined,
        body: req.body as undefined,
        get who() {
          return whoOf(req);
        },
        req,
        reply,
        ctx,
        audit(details, namespace) {
          req.auditDetails = { ...(req.auditDetails ?? {}), ...details };
          if (namespace !== undefined) req.auditNamespace = namespace;
        },
      };
      const out = await def.handler(call);
      if (out === reply) return reply;
      if (out === undefined) {
        if (reply.statusCode === 200) reply.code(204);
        return reply.send();
      }
      return out;
    },
  });
}

function installCors(app: FastifyInstance, origins: readonly string[]): void {
  const allowed = new Set(origins);
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (!origin || !allowed.has(origin)) return;
    reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true').header('vary', 'Origin');
    if (req.method === 'OPTIONS') {
      reply
        .header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE')
        .header('access-control-allow-headers', 'authorization, content-type, x-csrf-token, last-event-id, range')
        .header('access-control-max-age', '600')
        .code(204)
        .send();
    }
  });
  app.options('/*', async (_req, reply) => reply.code(204).send());
}
