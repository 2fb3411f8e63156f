// KONTROLER_PASSWORD_LOGIN=false: local accounts are off entirely (the built-in admin included):
// no password sign-in, their sessions and API tokens stop working, none can be created; people
// sign in with single sign-on and keep every other credential type.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createApiToken, getUser } from '@kontroler/store';
import { ADMIN_PASSWORD, call, sessionFor } from './harness.js';
import { startOidcHarness, type OidcHarness } from './oidc-harness.js';

let h: OidcHarness;
before(async () => {
  // The admin exists from an earlier start with local accounts; now they are switched off.
  h = await startOidcHarness({ config: { passwordLogin: false } });
});
after(async () => h.close());

test('the sign-in page is told to show single sign-on only', async () => {
  const r = await call<{ password: boolean; sso: unknown }>(h.url, 'GET', '/api/v1/auth/providers');
  assert.equal(r.body.password, false);
  assert.ok(r.body.sso);
});

test('password sign-in is refused, even with the right password', async () => {
  const r = await call<{ code: string; message: string }>(h.url, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
  assert.equal(r.status, 403);
  assert.match(r.body.message, /password sign-in is disabled/);
});

test('sessions and API tokens of local accounts stop working', async () => {
  const admin = (await getUser(h.db.pool, 'admin'))!;
  const { token } = await sessionFor({ db: h.db, server: h.server, url: h.url, close: async () => undefined }, admin.id, 'admin');
  const mark = h.log.lines.length;
  assert.equal((await call(h.url, 'GET', '/api/v1/auth/me', { token })).status, 401);
  assert.ok(h.log.since(mark).some((l) => /local accounts are disabled/.test(l)));
  // An API token the admin made while local accounts were on.
  const secret = `kt_${randomBytes(32).toString('base64url')}`;
  await createApiToken(h.db.pool, { userId: admin.id, name: 'old', tokenHash: createHash('sha256').update(secret).digest('hex'), prefix: secret.slice(0, 10), role: 'admin', namespaces: ['*'] });
  assert.equal((await call(h.url, 'GET', '/api/v1/auth/me', { token: secret })).status, 401);
  assert.equal((await call(h.url, 'POST', '/api/v1/tokens', { token, body: { name: 'x' } })).status, 401);
});

test('SSO users work as usual: session, API token, but no local users can be created', async () => {
  const { browser, status } = await h.signIn('alice');
  assert.equal(status, 303);
  const jar = browser.cookies(h.url);
  const headers = { cookie: `kontroler_session=${jar.get('kontroler_session')}`, 'x-csrf-token': jar.get('kontroler_csrf')! };
  const created = await call<{ token: string }>(h.url, 'POST', '/api/v1/tokens', { headers, body: { name: 'ci', expiresInDays: 1 } });
  assert.equal(created.status, 201, created.text);
  const me = await call<{ username: string; kind: string }>(h.url, 'GET', '/api/v1/auth/me', { token: created.body.token });
  assert.equal(me.body.username, 'alice@example.com');
  assert.equal(me.body.kind, 'token');
  const local = await call(h.url, 'POST', '/api/v1/users', { headers, body: { username: 'newbie', password: 'a-long-password', roles: [] } });
  assert.equal(local.status, 409);
  const pw = await call(h.url, 'POST', '/api/v1/auth/password', { headers, body: { currentPassword: 'x', newPassword: 'y-long-password' } });
  assert.equal(pw.status, 403);
});
