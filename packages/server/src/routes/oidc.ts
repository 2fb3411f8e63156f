// Single sign-on routes: which sign-in methods exist, the OIDC redirect and callback (a normal
// session at the end: same cookie + CSRF token as a password sign-in), and the one-time hand-off
// of a session to `kontroler login --sso` through its loopback listener.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createLoginHandoff, getLiveSession, recordAudit, takeLoginHandoff, upsertExternalUser } from '@kontroler/store';
import { parseCookies, serializeCookie } from '../auth/cookies.js';
import { SsoFailed, type LoginChecks, type OidcProvider } from '../auth/oidc.js';
import { bindingsForClaims } from '../auth/role-map.js';
import type { ServerContext } from '../context.js';
import { apiError } from '../http-errors.js';
import type { AnyRoute } from '../route.js';
import { route } from '../route.js';
import { AuthProvidersView, LoginResultView } from '../schemas.js';
import { iso, userView } from '../views.js';
import { setSessionCookies, startSession } from './auth.js';

export const OIDC_COOKIE = 'kontroler_oidc';
const OIDC_COOKIE_PATH = '/api/v1/auth/oidc';
const STATE_TTL_SECONDS = 600;
const HANDOFF_TTL_MS = 60_000;
const SEAL_PURPOSE = 'oidc-login';

/** Where a CLI may receive its code: http on a loopback address, any port (RFC 8252). */
function loopbackRedirect(raw: string): URL | undefined {
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' || !['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname) || u.port === '' || u.username || u.password || u.hash) return undefined;
    return u;
  } catch {
    return undefined;
  }
}

/** A path on this site to return to after sign-in (never another origin). */
function safeReturnTo(raw: string | undefined): string {
  if (raw === undefined || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\') || /[\r\n]/.test(raw)) return '/';
  return raw;
}

function sha256b64url(s: string): string {
  return createHash('sha256').update(s).digest('base64url');
}

function needOidc(ctx: ServerContext): OidcProvider {
  const p = ctx.identity.oidc;
  if (!p) throw apiError('NOT_FOUND', 'single sign-on is not configured on this server (KONTROLER_OIDC_ISSUER)');
  return p;
}

interface SealedLogin extends LoginChecks {
  returnTo: string;
  cli?: { redirect: string; state: string; challenge: string };
}

function redirect(reply: FastifyReply, to: string): FastifyReply {
  return reply.code(303).header('location', to).header('cache-control', 'no-store').send();
}

function wantsHtml(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('text/html') || accept === '' || accept === '*/*';
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A minimal page for when no UI is served: the outcome must still be explicit. */
function page(reply: FastifyReply, status: number, title: string, text: string): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', "default-src 'none'")
    .send(`<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p><p><a href="/">Back</a></p></body></html>`);
}

const NO_ACCESS = (who: string) => `You are signed in as ${who}, but no Kontroler role is mapped to you. Ask an administrator to map one of your groups to a role.`;

async function audit(ctx: ServerContext, req: FastifyRequest, actor: string, outcome: 'ok' | 'denied' | 'failed', details: Record<string, unknown>): Promise<void> {
  try {
    await recordAudit(ctx.pool, { actor, action: 'auth.oidc.login', outcome, details, address: req.ip });
  } catch (e) {
    ctx.log.error('audit: recording auth.oidc.login failed', e);
  }
}

export function oidcRoutes(): AnyRoute[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/auth/providers',
      operationId: 'authProviders',
      summary: 'How to sign in here: password form and / or single sign-on',
      tags: ['auth'],
      access: { kind: 'public' },
      schema: {
        response: { 200: AuthProvidersView },
      },
      async handler(c) {
        const o = c.ctx.identity.oidc;
        return { password: c.ctx.config.passwordLogin, sso: o ? { name: o.cfg.displayName ?? 'single sign-on', loginUrl: '/api/v1/auth/oidc/login' } : null };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/auth/oidc/login',
      operationId: 'oidcLogin',
      summary: 'Start single sign-on: redirects to the identity provider (authorization code flow with PKCE)',
      description:
        'Sets a short-lived encrypted cookie with state, nonce and the PKCE verifier. `returnTo` is a path on this site to land on afterwards. ' +
        '`kontroler login --sso` passes `cli_redirect` (http on a loopback address), `cli_state` and `cli_challenge` (S256 of its own verifier): ' +
        'the callback then sends a one-time code to that address instead of setting cookies.',
      tags: ['auth'],
      access: { kind: 'public' },
      produces: ['text/html'],
      schema: {
        querystring: Type.Object({
          returnTo: Type.Optional(Type.String({ maxLength: 2000 })),
          cli_redirect: Type.Optional(Type.String({ maxLength: 300 })),
          cli_state: Type.Optional(Type.String({ minLength: 8, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' })),
          cli_challenge: Type.Optional(Type.String({ minLength: 43, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' })),
        }),
      },
      async handler(c) {
        const oidc = needOidc(c.ctx);
        const q = c.query;
        let cli: SealedLogin['cli'];
        if (q.cli_redirect !== undefined || q.cli_state !== undefined || q.cli_challenge !== undefined) {
          const to = q.cli_redirect !== undefined ? loopbackRedirect(q.cli_redirect) : undefined;
          if (!to) throw apiError('VALIDATION_FAILED', 'cli_redirect must be http://127.0.0.1:<port>/... (a loopback address)', [{ path: 'query.cli_redirect', message: 'not a loopback http URL' }]);
          if (q.cli_state === undefined || q.cli_challenge === undefined) {
            throw apiError('VALIDATION_FAILED', 'cli_redirect needs cli_state and cli_challenge', [{ path: q.cli_state === undefined ? 'query.cli_state' : 'query.cli_challenge', message: 'is required with cli_redirect' }]);
          }
          cli = { redirect: to.toString(), state: q.cli_state, challenge: q.cli_challenge };
        }
        const checks = oidc.newChecks();
        let url: URL;
        try {
          url = await oidc.authorizationUrl(checks);
        } catch (e) {
          c.ctx.log.error(`sso: ${(e as Error).message}`);
          throw apiError('UNAVAILABLE', 'the identity provider cannot be reached: try again shortly');
        }
        const sealed: SealedLogin = { ...checks, returnTo: safeReturnTo(q.returnTo), ...(cli ? { cli } : {}) };
        const value = await c.ctx.keys.seal(SEAL_PURPOSE, { login: sealed }, STATE_TTL_SECONDS);
        // Lax: the provider's redirect back is a cross-site top-level navigation.
        c.reply.header(
          'set-cookie',
          serializeCookie(OIDC_COOKIE, value, { httpOnly: true, secure: c.ctx.secureCookies(c.req.protocol), maxAgeSeconds: STATE_TTL_SECONDS, path: OIDC_COOKIE_PATH, sameSite: 'Lax' }),
        );
        return redirect(c.reply, url.toString());
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/auth/oidc/callback',
      operationId: 'oidcCallback',
      summary: 'The identity provider returns here: code exchange, ID token checks, role mapping, then a session',
      description:
        'On success: the session cookies (as after a password sign-in) and a redirect to `returnTo`. A user no rule of the role map ' +
        'matches gets no session: a redirect to the UI\'s `/no-access` page (403 JSON for API clients). Failures redirect to `/login?sso_error=CODE`.',
      tags: ['auth'],
      access: { kind: 'public' },
      produces: ['text/html'],
      schema: { querystring: Type.Object({}, { additionalProperties: Type.String({ maxLength: 8000 }) }) },
      async handler(c) {
        const { ctx, req, reply } = c;
        const oidc = needOidc(ctx);
        const clearState = serializeCookie(OIDC_COOKIE, '', { httpOnly: true, secure: ctx.secureCookies(req.protocol), maxAgeSeconds: 0, path: OIDC_COOKIE_PATH, sameSite: 'Lax' });
        reply.header('set-cookie', clearState);
        const query = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
        const raw = parseCookies(req.headers.cookie).get(OIDC_COOKIE);
        const opened = raw ? await ctx.keys.unseal(SEAL_PURPOSE, raw) : undefined;
        const login = opened?.login as SealedLogin | undefined;
        const ui = ctx.config.uiDir !== undefined;

        const fail = async (code: SsoFailed['code'], reason: string, actor = 'anonymous') => {
          ctx.log.warn(`sso: sign-in from ${req.ip} failed (${code}): ${reason}`);
          ctx.metrics.logins.inc({ outcome: 'sso_failed' });
          await audit(ctx, req, actor, 'failed', { reason: code });
          if (login?.cli) {
            const to = new URL(login.cli.redirect);
            to.search = new URLSearchParams({ error: code, state: login.cli.state }).toString();
            return redirect(reply, to.toString());
          }
          if (ui && wantsHtml(req)) return redirect(reply, `/login?sso_error=${code}`);
          if (wantsHtml(req)) return page(reply, code === 'unavailable' ? 503 : 401, 'Sign-in failed', `Single sign-on did not complete (${code}). Start again from the sign-in page.`);
          throw apiError(code === 'unavailable' ? 'UNAVAILABLE' : 'UNAUTHENTICATED', `single sign-on did not complete (${code}): start again`);
        };

        if (!login) return fail('state', 'no sign-in in progress in this browser (missing, expired or tampered state cookie)');
        let identity;
        try {
          identity = await oidc.finish(query, login);
        } catch (e) {
          if (e instanceof SsoFailed) return fail(e.code, e.reason);
          throw e;
        }
        const username = oidc.usernameOf(identity);
        const roles = bindingsForClaims(oidc.cfg.roleMap, identity.claims);
        const groups = identity.claims.groups;
        if (roles.length === 0) {
          ctx.log.warn(`sso: ${username} (${identity.subject}) signed in but maps to no role: no access`);
          ctx.metrics.logins.inc({ outcome: 'sso_no_access' });
          await audit(ctx, req, `user:${username}`, 'denied', { reason: 'no role mapped', subject: identity.subject, ...(groups !== undefined ? { groups } : {}) });
          if (login.cli) {
            const to = new URL(login.cli.redirect);
            to.search = new URLSearchParams({ error: 'no_access', user: username, state: login.cli.state }).toString();
            return redirect(reply, to.toString());
          }
          if (ui && wantsHtml(req)) return redirect(reply, `/no-access?user=${encodeURIComponent(username)}`);
          if (wantsHtml(req)) return page(reply, 403, 'No access', NO_ACCESS(username));
          throw apiError('FORBIDDEN', NO_ACCESS(username));
        }
        let user;
        try {
          user = await upsertExternalUser(ctx.pool, { issuer: identity.issuer, subject: identity.subject, username, roles });
        } catch (e) {
          if ((e as { code?: unknown }).code === 'ALREADY_EXISTS') return fail('failed', `username ${username} of ${identity.subject} belongs to another account`, `user:${username}`);
          throw e;
        }
        if (user.disabled) return fail('denied', `user ${username} is disabled in Kontroler`, `user:${username}`);
        const session = await startSession(ctx, req, user);
        ctx.metrics.logins.inc({ outcome: 'sso_ok' });
        await audit(ctx, req, `user:${username}`, 'ok', { subject: identity.subject, roles, ...(login.cli ? { cli: true } : {}) });
        if (login.cli) {
          const code = randomBytes(32).toString('base64url');
          await createLoginHandoff(ctx.pool, { codeHash: sha256b64url(code), sessionId: session.sessionId, challenge: login.cli.challenge, expiresAt: Date.now() + HANDOFF_TTL_MS });
          const to = new URL(login.cli.redirect);
          to.search = new URLSearchParams({ code, state: login.cli.state }).toString();
          return redirect(reply, to.toString());
        }
        setSessionCookies(ctx, req, reply, session.token, session.csrfToken, ctx.config.sessionTtlSeconds); // (appends to the state cookie's clearing)
        return redirect(reply, login.returnTo);
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/auth/oidc/token',
      operationId: 'oidcToken',
      summary: 'Redeem a one-time sign-in code (kontroler login --sso) for a session JWT',
      description: 'The code reached the CLI\'s loopback listener; `verifier` is the CLI\'s PKCE verifier whose S256 it sent as `cli_challenge`. Each code works once, for 60 seconds.',
      tags: ['auth'],
      access: { kind: 'public' },
      audit: 'auth.oidc.token',
      schema: {
        body: Type.Object(
          { code: Type.String({ minLength: 20, maxLength: 200 }), verifier: Type.String({ minLength: 43, maxLength: 128, pattern: '^[A-Za-z0-9._~-]+$' }) },
          { additionalProperties: false },
        ),
        response: { 200: LoginResultView },
      },
      async handler(c) {
        const h = await takeLoginHandoff(c.ctx.pool, sha256b64url(c.body.code));
        const bad = () => apiError('UNAUTHENTICATED', 'unknown, used or expired sign-in code: run kontroler login --sso again');
        if (!h) throw bad();
        const want = Buffer.from(h.challenge);
        const got = Buffer.from(sha256b64url(c.body.verifier));
        if (want.length !== got.length || !timingSafeEqual(want, got)) {
          c.ctx.log.warn(`sso: hand-off code redeemed from ${c.req.ip} with a wrong PKCE verifier`);
          throw bad();
        }
        const live = await getLiveSession(c.ctx.pool, h.sessionId);
        if (!live) throw bad();
        c.req.auditActor = `user:${live.user.username}`;
        const token = await c.ctx.keys.sign({ sessionId: live.session.id, userId: live.user.id, username: live.user.username, expiresAt: live.session.expiresAt });
        return { token, expiresAt: iso(live.session.expiresAt), csrfToken: c.ctx.keys.csrfToken(live.session.id), user: userView(live.user) };
      },
    }),
  ];
}
