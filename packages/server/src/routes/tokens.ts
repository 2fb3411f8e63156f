// API tokens for CI and the CLI: shown once, stored hashed, scoped, revocable.
import { Type } from '@sinclair/typebox';
import { createApiToken, getApiToken, listApiTokens, revokeApiToken } from '@kontroler/store';
import { newApiToken } from '../auth/secrets.js';
import { apiError } from '../http-errors.js';
import { ALL_NAMESPACES, globalRole, roleAtLeast, roleIn } from '../rbac.js';
import type { AnyRoute } from '../route.js';
import { route } from '../route.js';
import { Id, NamespaceOrAll, RoleSchema, TokenView } from '../schemas.js';
import { tokenView } from '../views.js';

const MAX_TTL_DAYS = 3650;

export function tokenRoutes(): AnyRoute[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/tokens',
      operationId: 'listTokens',
      summary: 'Your API tokens (`?all=true`: everyone\'s, for admins of all namespaces)',
      tags: ['tokens'],
      access: { kind: 'authenticated' },
      schema: {
        querystring: Type.Object({ all: Type.Optional(Type.Boolean()), includeRevoked: Type.Optional(Type.Boolean()) }),
        response: { 200: Type.Object({ items: Type.Array(TokenView) }) },
      },
      async handler(c) {
        const all = c.query.all === true;
        if (all && !roleAtLeast(globalRole(c.who), 'admin')) throw apiError('FORBIDDEN', 'listing every user\'s tokens needs the admin role in all namespaces');
        const items = await listApiTokens(c.ctx.pool, { ...(all ? {} : { userId: c.who.userId }), includeRevoked: c.query.includeRevoked === true });
        return { items: items.map(tokenView) };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/tokens',
      operationId: 'createToken',
      summary: 'Create an API token (the secret is in this response only)',
      description:
        'The token acts as its user, capped at `role` in `namespaces` (`["*"]` = all). It never grants more than its user has at the time of use. ' +
        'Without `role` it carries all of its user\'s roles (in `namespaces`, default all).',
      tags: ['tokens'],
      access: { kind: 'authenticated' },
      audit: 'token.create',
      schema: {
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9_.@:-]*$' }),
            role: Type.Optional(RoleSchema),
            namespaces: Type.Optional(Type.Array(NamespaceOrAll, { minItems: 1, maxItems: 200, uniqueItems: true })),
            expiresInDays: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: MAX_TTL_DAYS })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Intersect([TokenView, Type.Object({ token: Type.String() })]) },
      },
      async handler(c) {
        const p = c.who;
        // A workload's short-lived, cluster-verified identity must not become a long-lived secret.
        if (p.kind === 'workload') throw apiError('FORBIDDEN', 'a service account cannot create API tokens: it authenticates with its own Kubernetes token');
        const role = c.body.role ?? 'admin';
        const namespaces = c.body.namespaces ?? [ALL_NAMESPACES];
        // An explicit role must be one the creator has there; without one the token inherits (capped at use).
        for (const ns of c.body.role === undefined ? [] : namespaces) {
          const have = ns === ALL_NAMESPACES ? globalRole(p) : roleIn(p, ns);
          if (!roleAtLeast(have, role)) {
            throw apiError('FORBIDDEN', `you cannot create a token with the ${role} role in ${ns === ALL_NAMESPACES ? 'all namespaces' : `namespace ${ns}`}: you do not have it`);
          }
        }
        const secret = newApiToken();
        const expiresAt = c.body.expiresInDays !== undefined ? Date.now() + Math.round(c.body.expiresInDays * 86_400_000) : undefined;
        c.audit({ name: c.body.name, role, namespaces, expiresAt });
        const rec = await createApiToken(c.ctx.pool, {
          userId: p.userId,
          name: c.body.name,
          tokenHash: secret.hash,
          prefix: secret.prefix,
          role,
          namespaces,
          ...(expiresAt !== undefined ? { expiresAt } : {}),
        });
        c.reply.code(201);
        return { ...tokenView(rec), token: secret.token };
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/tokens/:tokenId',
      operationId: 'revokeToken',
      summary: 'Revoke an API token (yours; any, for admins of all namespaces)',
      tags: ['tokens'],
      access: { kind: 'authenticated' },
      audit: 'token.revoke',
      schema: { params: Type.Object({ tokenId: Id }), response: { 200: TokenView } },
      async handler(c) {
        const p = c.who;
        const isAdmin = roleAtLeast(globalRole(p), 'admin');
        const t = await getApiToken(c.ctx.pool, c.params.tokenId);
        if (!t || (!isAdmin && t.userId !== p.userId)) throw apiError('NOT_FOUND', `token ${c.params.tokenId} not found`);
        c.audit({ id: t.id, name: t.name, owner: t.username });
        return tokenView(await revokeApiToken(c.ctx.pool, t.id));
      },
    }),
  ];
}

