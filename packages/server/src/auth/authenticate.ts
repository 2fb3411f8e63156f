// Credentials → Principal, then the route's Access → allow or throw 401/403. Runs before the body
// is read, so an unauthenticated request never reaches validation or a handler.
import type { FastifyRequest } from 'fastify';
import { getLiveSession, runNamespace, useApiToken } from '@kontroler/store';
import type { ServerContext } from '../context.js';
import { apiError } from '../http-errors.js';
import type { Access, Principal } from '../rbac.js';
import { globalRole, namespacesWith, roleAtLeast, roleIn, tokenBindings } from '../rbac.js';
import { CSRF_HEADER, SESSION_COOKIE, parseCookies } from './cookies.js';
import { API_TOKEN_PREFIX, hashApiToken } from './secrets.js';

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
    return fromBearer(ctx, m[1]!, 'bearer');
  }
  const cookie = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  if (cookie === undefined || cookie === '') return undefined;
  const p = await fromBearer(ctx, cookie, 'cookie');
  if (UNSAFE.has(req.method)) {
    const given = req.headers[CSRF_HEADER];
    if (!ctx.keys.checkCsrf(p.sessionId ?? '', typeof given === 'string' ? given : undefined)) {
      throw apiError('FORBIDDEN', `missing or wrong ${CSRF_HEADER} header: cookie-authenticated writes must echo the CSRF token from the login response`);
    }
  }
  return p;
}

async function fromBearer(ctx: ServerContext, credential: string, via: 'bearer' | 'cookie'): Promise<Principal> {
  const cached = ctx.authCache.get(credential);
  if (cached) {
    if (via === 'cookie' && cached.kind === 'token') throw unauthenticated(BAD_CREDENTIAL);
    return cached.via === via ? cached : { ...cached, via };
  }
  const generation = ctx.authCache.generation();
  const { principal, expiresAt } = await resolve(ctx, credential, via);
  ctx.authCache.set(credential, principal, expiresAt, generation);
  return principal;
}

async function resolve(ctx: ServerContext, credential: string, via: 'bearer' | 'cookie'): Promise<{ principal: Principal; expiresAt: number | null }> {
  if (credential.startsWith(API_TOKEN_PREFIX)) {
    if (via === 'cookie') throw unauthenticated(BAD_CREDENTIAL);
    const found = await useApiToken(ctx.pool, hashApiToken(credential));
    if (!found) throw unauthenticated(BAD_CREDENTIAL);
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
  const claims = await ctx.keys.verify(credential);
  if (!claims) throw unauthenticated(BAD_CREDENTIAL);
  const live = await getLiveSession(ctx.pool, claims.sessionId);
  if (!live || live.user.id !== claims.userId) throw unauthenticated(BAD_CREDENTIAL);
  return {
    principal: { kind: 'user', userId: live.user.id, username: live.user.username, bindings: live.user.roles, via, sessionId: live.session.id },
    expiresAt: live.session.expiresAt,
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
  return p.kind === 'token' ? `token:${p.tokenName ?? p.tokenId} (${p.username})` : `user:${p.username}`;
}
