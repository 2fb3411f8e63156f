// Credentials → Principal, then the route's Access → allow or throw 401/403. Runs before the body
// is read, so an unauthenticated request never reaches validation or a handler.
import type { FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import { getLiveSession, runNamespace, upsertExternalUser, useApiToken } from '@kontroler/store';
import type { ServerContext } from '../context.js';
import { apiError } from '../http-errors.js';
import type { Access, Principal } from '../rbac.js';
import { globalRole, namespacesWith, roleAtLeast, roleIn, tokenBindings } from '../rbac.js';
import { CSRF_HEADER, SESSION_COOKIE, parseCookies } from './cookies.js';
import type { OidcProvider } from './oidc.js';
import { JwtRejected } from './remote-jwt.js';
import { bindingsForClaims } from './role-map.js';
import { API_TOKEN_PREFIX, SESSION_ISSUER, hashApiToken } from './secrets.js';
import type { WorkloadIdentity } from './workload.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const BAD_CREDENTIAL = 'invalid, expired or revoked credential: sign in again (kontroler login) or use a valid API token';

function unauthenticated(message: string): Error {
  return apiError('UNAUTHENTICATED', message, [], { 'www-authenticate': 'Bearer realm="kontroler"' });
}

/**
 * The principal behind the request's credential, undefined when it carries none. Throws
 * UNAUTHENTICATED for a credential that is malformed, tampered with, expired or revoked, and
 * FORBIDDEN for a cookie-authenticated write without the session's CSRF token.
 */
export async function authenticate(ctx: ServerContext, req: FastifyRequest): Promise<Principal | undefined> {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!m) throw unauthenticated('malformed Authorization header: use "Bearer <token>"');
    return fromBearer(ctx, m[1]!, 'bearer', req.ip);
  }
  const cookie = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  if (cookie === undefined || cookie === '') return undefined;
  const p = await fromBearer(ctx, cookie, 'cookie', req.ip);
  if (UNSAFE.has(req.method)) {
    const given = req.headers[CSRF_HEADER];
    if (!ctx.keys.checkCsrf(p.sessionId ?? '', typeof given === 'string' ? given : undefined)) {
      throw apiError('FORBIDDEN', `missing or wrong ${CSRF_HEADER} header: cookie-authenticated writes must echo the CSRF token from the login response`);
    }
  }
  return p;
}

async function fromBearer(ctx: ServerContext, credential: string, via: 'bearer' | 'cookie', ip: string): Promise<Principal> {
  const cached = ctx.authCache.get(credential);
  if (cached) {
    // Cookies carry session JWTs only (not API tokens, ID tokens or service account tokens).
    if (via === 'cookie' && cached.sessionId === undefined) throw unauthenticated(BAD_CREDENTIAL);
    return cached.via === via ? cached : { ...cached, via };
  }
  const generation = ctx.authCache.generation();
  const { principal, expiresAt } = await resolve(ctx, credential, via, ip);
  ctx.authCache.set(credential, principal, expiresAt, generation);
  return principal;
}

interface Resolved {
  principal: Principal;
  expiresAt: number | null;
}

/** The issuer a JWT claims, unverified: only to pick the verifier that then checks everything. */
function claimedIssuer(jwt: string): string | undefined {
  try {
    const iss = decodeJwt(jwt).iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

async function resolve(ctx: ServerContext, credential: string, via: 'bearer' | 'cookie', ip: string): Promise<Resolved> {
  // The reason goes to the server log; the client only learns that the credential is not good.
  const refuse = (what: string, reason: string): never => {
    ctx.log.warn(`auth: refused ${what} (${via}) from ${ip}: ${reason}`);
    throw unauthenticated(BAD_CREDENTIAL);
  };
  if (credential.startsWith(API_TOKEN_PREFIX)) {
    if (via === 'cookie') refuse('API token', 'API tokens are not accepted as cookies');
    const found = await useApiToken(ctx.pool, hashApiToken(credential));
    if (!found) return refuse('API token', 'unknown, revoked or expired token, or its user is disabled');
    if (!ctx.config.passwordLogin && found.user.source === 'local') refuse('API token', `${found.user.username} is a local account and local accounts are disabled`);
    const principal: Principal = {
      kind: 'token',
      userId: found.user.id,
      username: found.user.username,
      bindings: tokenBindings(found.user.roles, found.token.role, found.token.namespaces),
      via,
      tokenId: found.token.id,
      tokenName: found.token.name,
    };
    return { principal, expiresAt: found.token.expiresAt };
  }
  const iss = claimedIssuer(credential);
  if (iss !== undefined && iss !== SESSION_ISSUER) {
    if (via === 'cookie') refuse('external token', 'only session JWTs are accepted as cookies');
    const { oidc, workload } = ctx.identity;
    if (oidc && oidc.cfg.acceptBearer && iss === oidc.issuer) return fromIdToken(ctx, oidc, credential, via, refuse);
    if (workload && iss === workload.issuer) return fromServiceAccountToken(ctx, workload, credential, via, refuse);
    refuse('JWT', `issuer ${JSON.stringify(iss.slice(0, 200))} is not trusted`);
  }
  const claims = await ctx.keys.verify(credential);
  if (!claims) return refuse('session JWT', 'malformed, expired, or not signed with this server\'s key');
  const live = await getLiveSession(ctx.pool, claims.sessionId);
  if (!live || live.user.id !== claims.userId) return refuse('session JWT', 'session ended (signed out, revoked, expired) or its user is disabled');
  if (!ctx.config.passwordLogin && live.user.source === 'local') refuse('session JWT', `${live.user.username} is a local account and local accounts are disabled`);
  return {
    principal: { kind: 'user', userId: live.user.id, username: live.user.username, bindings: live.user.roles, via, sessionId: live.session.id },
    expiresAt: live.session.expiresAt,
  };
}

type Refuse = (what: string, reason: string) => never;

function unavailable(ctx: ServerContext, e: JwtRejected): Error {
  ctx.log.error(`auth: cannot verify a token: ${e.reason}`);
  return apiError('UNAVAILABLE', 'the identity provider cannot be reached to verify the credential: try again shortly');
}

/** What `verify` made of a token; a rejected one is refused as `what`, an unreachable issuer is UNAVAILABLE. */
async function verifiedOrRefused<T>(ctx: ServerContext, what: string, refuse: Refuse, verify: () => Promise<T>): Promise<T> {
  try {
    return await verify();
  } catch (e) {
    if (e instanceof JwtRejected && e.unavailable) throw unavailable(ctx, e);
    return refuse(what, e instanceof JwtRejected ? e.reason : String(e));
  }
}

/** An identity provider's ID token as a Bearer credential: the user it maps to, with roles from its claims. */
async function fromIdToken(ctx: ServerContext, oidc: OidcProvider, jwt: string, via: 'bearer' | 'cookie', refuse: Refuse): Promise<Resolved> {
  const id = await verifiedOrRefused(ctx, 'ID token', refuse, () => oidc.verifyBearer(jwt));
  const username = oidc.usernameOf(id);
  const roles = bindingsForClaims(oidc.cfg.roleMap, id.claims);
  if (roles.length === 0) {
    ctx.log.warn(`auth: ID token of ${username} (${id.subject}) maps to no role: no access`);
    throw apiError('FORBIDDEN', `signed in as ${username}, but no Kontroler role is mapped to you: ask an admin to map one of your groups`);
  }
  let user;
  try {
    user = await upsertExternalUser(ctx.pool, { issuer: id.issuer, subject: id.subject, username, roles });
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ALREADY_EXISTS') return refuse('ID token', `username ${username} of ${id.subject} belongs to another account`);
    throw e;
  }
  if (user.disabled) return refuse('ID token', `user ${username} is disabled`);
  return { principal: { kind: 'user', userId: user.id, username: user.username, bindings: user.roles, via }, expiresAt: id.expiresAt };
}

/** A Kubernetes service account token: the workload, with roles from the service account role map. */
async function fromServiceAccountToken(ctx: ServerContext, wi: WorkloadIdentity, jwt: string, via: 'bearer' | 'cookie', refuse: Refuse): Promise<Resolved> {
  const sa = await verifiedOrRefused(ctx, 'service account token', refuse, () => wi.verify(jwt));
  if (sa.bindings.length === 0) {
    ctx.log.warn(`auth: ${sa.subject} maps to no role: no access`);
    throw apiError('FORBIDDEN', `${sa.subject} has no Kontroler role: map it in KONTROLER_SA_ROLE_MAP`);
  }
  return {
    principal: { kind: 'workload', userId: 0, username: sa.subject, bindings: sa.bindings, via, ...(sa.pod ? { pod: sa.pod } : {}) },
    expiresAt: sa.expiresAt,
  };
}

function forbidden(p: Principal, what: string): Error {
  return apiError('FORBIDDEN', `${actorName(p)} lacks ${what}: ask an admin for a role binding`);
}

/**
 * Checks the route's access rule for an authenticated principal (or none). For `run` routes, the
 * run must exist (NOT_FOUND otherwise, after the caller is known to be signed in); its namespace
 * is returned.
 */
export async function authorize(
  ctx: ServerContext,
  access: Access,
  p: Principal | undefined,
  params: Record<string, string | undefined>,
): Promise<string | undefined> {
  if (access.kind === 'public' || access.kind === 'signed') return;
  if (!p) throw unauthenticated('sign in first: send Authorization: Bearer <token> or use the session cookie');
  switch (access.kind) {
    case 'authenticated':
      return;
    case 'namespace': {
      const ns = params.ns ?? '';
      if (!roleAtLeast(roleIn(p, ns), access.role)) throw forbidden(p, `the ${access.role} role in namespace ${ns}`);
      return;
    }
    case 'run': {
      const raw = params.id ?? '';
      if (!/^[1-9][0-9]{0,15}$/.test(raw)) return; // not an id: validation answers 400
      const id = Number(raw);
      let ns = ctx.runNamespaces.get(id);
      if (ns === undefined) {
        ns = await runNamespace(ctx.pool, id);
        if (ns === undefined) throw apiError('NOT_FOUND', `run ${raw} not found`);
        if (ctx.runNamespaces.size >= 100_000) ctx.runNamespaces.clear();
        ctx.runNamespaces.set(id, ns);
      }
      if (!roleAtLeast(roleIn(p, ns), access.role)) throw forbidden(p, `the ${access.role} role in namespace ${ns}`);
      return ns;
    }
    case 'any-namespace': {
      const nss = namespacesWith(p, access.role);
      if (nss !== undefined && nss.length === 0) throw forbidden(p, `the ${access.role} role in any namespace`);
      return;
    }
    case 'global':
      if (!roleAtLeast(globalRole(p), access.role)) throw forbidden(p, `the ${access.role} role in all namespaces`);
      return;
  }
}

/** How a principal appears in the audit log and messages. */
export function actorName(p: Principal | undefined): string {
  if (!p) return 'anonymous';
  if (p.kind === 'workload') return `workload:${p.username}${p.pod ? ` (pod ${p.pod})` : ''}`;
  return p.kind === 'token' ? `token:${p.tokenName ?? p.tokenId} (${p.username})` : `user:${p.username}`;
}
