// Sign-in, sessions, password change, and who-am-I.
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { createSession, extendSession, getUserCredentials, revokeSession, setUserPassword } from '@kontroler/store';
import { CSRF_COOKIE, SESSION_COOKIE, serializeCookie } from '../auth/cookies.js';
import { hashPassword, passwordProblem, verifyPassword } from '../auth/passwords.js';
import { addressKey } from '../auth/rate-limit.js';
import { newSessionId } from '../auth/secrets.js';
import type { ServerContext } from '../context.js';
import { apiError } from '../http-errors.js';
import type { AnyRoute } from '../route.js';
import { route } from '../route.js';
import { LoginResultView as LoginResult, MeView, Password, Timestamp } from '../schemas.js';
import { iso, userView } from '../views.js';
import type { FastifyRequest } from 'fastify';


export function setSessionCookies(ctx: ServerContext, req: FastifyRequest, reply: FastifyReply, jwt: string, csrf: string, maxAgeSeconds: number): void {
  const secure = ctx.secureCookies(req.protocol);
  reply.header('set-cookie', [
    serializeCookie(SESSION_COOKIE, jwt, { httpOnly: true, secure, maxAgeSeconds }),
    serializeCookie(CSRF_COOKIE, csrf, { httpOnly: false, secure, maxAgeSeconds }),
  ]);
}

function clearSessionCookies(ctx: ServerContext, req: FastifyRequest, reply: FastifyReply): void {
  setSessionCookies(ctx, req, reply, '', '', 0);
}

/** Starts a session for `user`: its row, its JWT and its CSRF token (no cookies). */
export async function startSession(ctx: ServerContext, req: FastifyRequest, user: { id: number; username: string }) {
  const sessionId = newSessionId();
  const expiresAt = Date.now() + ctx.config.sessionTtlSeconds * 1000;
  await createSession(ctx.pool, { id: sessionId, userId: user.id, expiresAt, address: req.ip, userAgent: req.headers['user-agent'] ?? '' });
  const token = await ctx.keys.sign({ sessionId, userId: user.id, username: user.username, expiresAt });
  return { sessionId, token, expiresAt, csrfToken: ctx.keys.csrfToken(sessionId) };
}

/** Starts a session for `user` and answers with its JWT (also as the UI's cookie). */
export async function issueSession(ctx: ServerContext, req: FastifyRequest, reply: FastifyReply, user: { id: number; username: string }) {
  const s = await startSession(ctx, req, user);
  setSessionCookies(ctx, req, reply, s.token, s.csrfToken, ctx.config.sessionTtlSeconds);
  return { token: s.token, expiresAt: iso(s.expiresAt), csrfToken: s.csrfToken };
}

/** Refuses password operations when local accounts are disabled (KONTROLER_PASSWORD_LOGIN=false). */
export function requirePasswordLogin(ctx: ServerContext): void {
  if (!ctx.config.passwordLogin) throw apiError('FORBIDDEN', 'password sign-in is disabled on this server: sign in with single sign-on');
}

export function authRoutes(): AnyRoute[] {
  return [
    route({
      method: 'POST',
      url: '/api/v1/auth/login',
      operationId: 'login',
      summary: 'Sign in with username and password',
      description:
        'Returns a short-lived JWT for `Authorization: Bearer` and sets the HttpOnly session cookie (SameSite=Strict) plus a readable CSRF cookie for the UI. Wrong credentials answer 401. Repeated failures per (username, client address) and per client address are throttled with growing delays: while one lasts, login answers 429 with Retry-After (the account is never locked).',
      tags: ['auth'],
      access: { kind: 'public' },
      audit: 'auth.login',
      schema: {
        body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 200 }), password: Password }, { additionalProperties: false }),
        response: { 200: LoginResult },
      },
      async handler(c) {
        const { ctx, req, reply } = c;
        const username = c.body.username;
        requirePasswordLogin(ctx);
        // Per (user, address): a third party's wrong passwords slow down only their own address.
        const addrKey = addressKey(req.ip);
        const userKey = `${addrKey} ${username.toLowerCase()}`;
        c.audit({ username });
        req.auditActor = `user:${username.slice(0, 100)}`;
        const wait = Math.max(ctx.loginLimits.user.retryAfter(userKey), ctx.loginLimits.address.retryAfter(addrKey));
        if (wait > 0) {
          ctx.metrics.logins.inc({ outcome: 'rate_limited' });
          throw apiError('RATE_LIMITED', `too many failed sign-ins: try again in ${wait} s`, [], { 'retry-after': String(wait) });
        }
        const cred = await getUserCredentials(ctx.pool, username);
        const ok = (await verifyPassword(cred?.passwordHash, c.body.password)) && cred !== undefined && !cred.user.disabled;
        if (!ok || !cred) {
          ctx.loginLimits.user.fail(userKey);
          ctx.loginLimits.address.fail(addrKey);
          ctx.metrics.logins.inc({ outcome: 'failed' });
          throw apiError('UNAUTHENTICATED', 'wrong username or password');
        }
        ctx.loginLimits.user.reset(userKey);
        ctx.metrics.logins.inc({ outcome: 'ok' });
        const session = await issueSession(ctx, req, reply, cred.user);
        return { ...session, user: userView(cred.user) };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/auth/logout',
      operationId: 'logout',
      summary: 'End the current session (revokes its JWT and clears the cookie)',
      tags: ['auth'],
      access: { kind: 'authenticated' },
      audit: 'auth.logout',
      schema: {},
      async handler(c) {
        const p = c.who;
        if (p.sessionId) await revokeSession(c.ctx.pool, p.sessionId);
        clearSessionCookies(c.ctx, c.req, c.reply);
        if (p.kind === 'token') throw apiError('BAD_REQUEST', 'an API token has no session: revoke it with DELETE /api/v1/tokens/{id}');
        if (p.kind === 'workload') throw apiError('BAD_REQUEST', 'a service account token has no session');
        c.reply.code(204);
        return undefined;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      operationId: 'refreshSession',
      summary: 'Extend the current session and get a fresh JWT',
      tags: ['auth'],
      access: { kind: 'authenticated' },
      audit: 'auth.refresh',
      schema: { response: { 200: Type.Object({ token: Type.String(), expiresAt: Timestamp, csrfToken: Type.String() }) } },
      async handler(c) {
        const p = c.who;
        if (!p.sessionId) throw apiError('BAD_REQUEST', 'only sessions can be refreshed; API tokens keep their own expiry');
        const ttl = c.ctx.config.sessionTtlSeconds;
        const expiresAt = Date.now() + ttl * 1000;
        if (!(await extendSession(c.ctx.pool, p.sessionId, expiresAt))) throw apiError('UNAUTHENTICATED', 'the session ended: sign in again');
        const token = await c.ctx.keys.sign({ sessionId: p.sessionId, userId: p.userId, username: p.username, expiresAt });
        const csrfToken = c.ctx.keys.csrfToken(p.sessionId);
        setSessionCookies(c.ctx, c.req, c.reply, token, csrfToken, ttl);
        return { token, expiresAt: iso(expiresAt), csrfToken };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/auth/me',
      operationId: 'whoAmI',
      summary: 'The caller: user, credential kind and effective roles',
      tags: ['auth'],
      access: { kind: 'authenticated' },
      schema: { response: { 200: MeView } },
      async handler(c) {
        const p = c.who;
        return {
          username: p.username,
          kind: p.kind,
          roles: p.bindings,
          ...(p.tokenId !== undefined ? { token: { id: p.tokenId, name: p.tokenName } } : {}),
          ...(p.sessionId !== undefined ? { csrfToken: c.ctx.keys.csrfToken(p.sessionId) } : {}),
        };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/auth/password',
      operationId: 'changePassword',
      summary: 'Change your password (revokes every session, returns a new one)',
      tags: ['auth'],
      access: { kind: 'authenticated' },
      audit: 'auth.password.change',
      schema: {
        body: Type.Object({ currentPassword: Password, newPassword: Password }, { additionalProperties: false }),
        response: { 200: LoginResult },
      },
      async handler(c) {
        const p = c.who;
        if (p.kind !== 'user') throw apiError('FORBIDDEN', 'sign in with your password to change it (API tokens cannot)');
        requirePasswordLogin(c.ctx);
        const problem = passwordProblem(c.body.newPassword);
        if (problem) throw apiError('VALIDATION_FAILED', `new password ${problem}`, [{ path: 'body.newPassword', message: problem }]);
        const cred = await getUserCredentials(c.ctx.pool, p.username);
        if (cred?.user.source === 'oidc') throw apiError('INVALID_STATE', `${p.username} signs in with single sign-on and has no password here`);
        if (!cred || !(await verifyPassword(cred.passwordHash, c.body.currentPassword))) {
          throw apiError('VALIDATION_FAILED', 'the current password is wrong', [{ path: 'body.currentPassword', message: 'is wrong' }]);
        }
        const user = await setUserPassword(c.ctx.pool, p.username, await hashPassword(c.body.newPassword));
        const session = await issueSession(c.ctx, c.req, c.reply, user);
        return { ...session, user: userView(user) };
      },
    }),
  ];
}
