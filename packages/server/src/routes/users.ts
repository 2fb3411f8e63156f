// User administration and the audit log (admins of all namespaces).
import { Type } from '@sinclair/typebox';
import { createUser, deleteUser, getUser, listAudit, listUsers, setUserDisabled, setUserPassword, setUserRoles } from '@kontroler/store';
import { hashPassword, passwordProblem } from '../auth/passwords.js';
import { apiError } from '../http-errors.js';
import type { AnyRoute } from '../route.js';
import { route } from '../route.js';
import { deleteAndAudit } from './resource-common.js';
import { AuditEntryView, Binding, Cursor, Namespace, Password, UserView, Username, Page } from '../schemas.js';
import { decodeCursor, encodeCursor, iso, userView } from '../views.js';

const UserParams = Type.Object({ username: Username });
const admin = { kind: 'global', role: 'admin' } as const;

function checkPassword(pw: string, path: string): void {
  const problem = passwordProblem(pw);
  if (problem) throw apiError('VALIDATION_FAILED', `password ${problem}`, [{ path, message: problem }]);
}

export function userRoutes(): AnyRoute[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/users',
      operationId: 'listUsers',
      summary: 'List users with their role bindings',
      tags: ['users'],
      access: admin,
      schema: { response: { 200: Type.Object({ items: Type.Array(UserView) }) } },
      async handler(c) {
        return { items: (await listUsers(c.ctx.pool)).map(userView) };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/users',
      operationId: 'createUser',
      summary: 'Create a user with roles per namespace (`*` = all namespaces)',
      tags: ['users'],
      access: admin,
      audit: 'user.create',
      schema: {
        body: Type.Object(
          { username: Username, password: Password, roles: Type.Array(Binding, { maxItems: 500, default: [] }), mustChangePassword: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: { 201: UserView },
      },
      async handler(c) {
        if (!c.ctx.config.passwordLogin) throw apiError('INVALID_STATE', 'local accounts are disabled on this server (KONTROLER_PASSWORD_LOGIN=false): people sign in with single sign-on');
        checkPassword(c.body.password, 'body.password');
        c.audit({ username: c.body.username, roles: c.body.roles });
        const user = await createUser(c.ctx.pool, {
          username: c.body.username,
          passwordHash: await hashPassword(c.body.password),
          roles: c.body.roles,
          mustChangePassword: c.body.mustChangePassword ?? false,
        });
        c.reply.code(201);
        return userView(user);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/users/:username',
      operationId: 'getUser',
      summary: 'One user',
      tags: ['users'],
      access: admin,
      schema: { params: UserParams, response: { 200: UserView } },
      async handler(c) {
        const u = await getUser(c.ctx.pool, c.params.username);
        if (!u) throw apiError('NOT_FOUND', `user ${c.params.username} not found`);
        return userView(u);
      },
    }),
    route({
      method: 'PATCH',
      url: '/api/v1/users/:username',
      operationId: 'updateUser',
      summary: 'Set a password (revokes its sessions), disable / enable, or replace role bindings',
      tags: ['users'],
      access: admin,
      audit: 'user.update',
      schema: {
        params: UserParams,
        body: Type.Object(
          { password: Type.Optional(Password), disabled: Type.Optional(Type.Boolean()), roles: Type.Optional(Type.Array(Binding, { maxItems: 500 })) },
          { additionalProperties: false },
        ),
        response: { 200: UserView },
      },
      async handler(c) {
        const name = c.params.username;
        const existing = await getUser(c.ctx.pool, name);
        if (!existing) throw apiError('NOT_FOUND', `user ${name} not found`);
        if (c.body.password !== undefined && existing.source === 'oidc') {
          throw apiError('INVALID_STATE', `${name} signs in with single sign-on: it cannot have a password`, [{ path: 'body.password', message: 'not for single sign-on users' }]);
        }
        if (c.body.roles !== undefined && existing.source === 'oidc') {
          throw apiError('INVALID_STATE', `the roles of ${name} come from the identity provider's claims (KONTROLER_OIDC_ROLE_MAP) at every sign-in: change the mapping or the user's groups, or disable the user`, [
            { path: 'body.roles', message: 'not for single sign-on users' },
          ]);
        }
        if (name === c.who.username && (c.body.disabled === true || c.body.roles !== undefined)) {
          throw apiError('INVALID_STATE', 'you cannot disable yourself or change your own roles: ask another admin');
        }
        c.audit({ username: name, passwordChanged: c.body.password !== undefined, disabled: c.body.disabled, roles: c.body.roles });
        if (c.body.password !== undefined) {
          checkPassword(c.body.password, 'body.password');
          await setUserPassword(c.ctx.pool, name, await hashPassword(c.body.password));
        }
        if (c.body.disabled !== undefined) await setUserDisabled(c.ctx.pool, name, c.body.disabled);
        if (c.body.roles !== undefined) await setUserRoles(c.ctx.pool, name, c.body.roles);
        return userView((await getUser(c.ctx.pool, name))!);
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/users/:username',
      operationId: 'deleteUser',
      summary: 'Delete a user with its sessions and API tokens',
      tags: ['users'],
      access: admin,
      audit: 'user.delete',
      schema: { params: UserParams },
      async handler(c) {
        if (c.params.username === c.who.username) throw apiError('INVALID_STATE', 'you cannot delete yourself: ask another admin');
        return deleteAndAudit(c, { username: c.params.username }, () => deleteUser(c.ctx.pool, c.params.username));
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/audit',
      operationId: 'listAudit',
      summary: 'The audit log, newest first: who changed what',
      tags: ['audit'],
      access: admin,
      schema: {
        querystring: Type.Object({
          namespace: Type.Optional(Namespace),
          actor: Type.Optional(Type.String({ maxLength: 300 })),
          action: Type.Optional(Type.String({ maxLength: 100 })),
          cursor: Type.Optional(Cursor),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
        }),
        response: { 200: Page(AuditEntryView) },
      },
      async handler(c) {
        const cur = decodeCursor(c.query.cursor);
        if (cur !== undefined && !(typeof cur === 'number' && Number.isSafeInteger(cur))) throw apiError('VALIDATION_FAILED', 'bad cursor', [{ path: 'query.cursor', message: 'is not a cursor from this API' }]);
        const limit = c.query.limit ?? 50;
        const rows = await listAudit(c.ctx.pool, {
          ...(c.query.namespace ? { namespace: c.query.namespace } : {}),
          ...(c.query.actor ? { actor: c.query.actor } : {}),
          ...(c.query.action ? { action: c.query.action } : {}),
          ...(typeof cur === 'number' ? { beforeId: cur } : {}),
          limit,
        });
        const last = rows[rows.length - 1];
        return {
          items: rows.map((r) => ({ ...r, at: iso(r.at) })),
          ...(rows.length === limit && last ? { nextCursor: encodeCursor(last.id) } : {}),
        };
      },
    }),
  ];
}
