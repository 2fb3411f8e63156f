import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { bootstrapAdmin } from '@kontroler/server';
import { countUsers, listAudit } from '@kontroler/store';
import { ADMIN_PASSWORD, call, login, startHarness, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  h = await startHarness({ loginRateLimit: { perUser: { max: 3, windowSeconds: 60 }, perAddress: { max: 100, windowSeconds: 60 } } });
});
after(async () => h.close());

describe('auth', () => {
  test('bootstrap creates one admin once; a generated password is returned, never a fixed one', async () => {
    assert.equal(await countUsers(h.db.pool), 1);
    const again = await bootstrapAdmin(h.db.pool, { password: 'whatever-else' });
    assert.deepEqual(again, { created: false, username: 'admin' });
    assert.equal((await login(h.url, 'admin', ADMIN_PASSWORD)).split('.').length, 3);
  });

  test('login returns a JWT and sets an HttpOnly SameSite cookie plus a CSRF cookie', async () => {
    const r = await call<{ token: string; expiresAt: string; csrfToken: string }>(h.url, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    assert.equal(r.status, 200);
    assert.ok(Date.parse(r.body.expiresAt) > Date.now());
    const cookies = r.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('kontroler_session='));
    assert.ok(session?.includes('HttpOnly') && session.includes('SameSite=Strict'), session);
    assert.ok(cookies.some((c) => c.startsWith('kontroler_csrf=') && !c.includes('HttpOnly')));
    const me = await call(h.url, 'GET', '/api/v1/auth/me', { token: r.body.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.username, 'admin');
  });

  test('wrong password answers 401 with the error shape; repeated failures answer 429', async () => {
    const bad = await call(h.url, 'POST', '/api/v1/auth/login', { body: { username: 'limited', password: 'nope' } });
    assert.equal(bad.status, 401);
    assert.deepEqual(Object.keys(bad.body).sort(), ['code', 'details', 'message']);
    assert.equal(bad.body.code, 'UNAUTHENTICATED');
    await call(h.url, 'POST', '/api/v1/auth/login', { body: { username: 'limited', password: 'nope' } });
    await call(h.url, 'POST', '/api/v1/auth/login', { body: { username: 'limited', password: 'nope' } });
    const limited = await call(h.url, 'POST', '/api/v1/auth/login', { body: { username: 'limited', password: 'nope' } });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.code, 'RATE_LIMITED');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    const audit = await listAudit(h.db.pool, { action: 'auth.login' });
    assert.ok(audit.some((e) => e.outcome === 'denied' && e.actor === 'user:limited' && e.details.username === 'limited'));
  });

  test('failures are throttled per (user, address): wrong passwords from 127.0.0.2 do not stop admin on 127.0.0.1', async () => {
    const from = (localAddress: string, password: string) =>
      new Promise<{ status: number; retryAfter: number }>((resolve, reject) => {
        const body = JSON.stringify({ username: 'admin', password });
        const req = request(`${h.url}/api/v1/auth/login`, { method: 'POST', localAddress, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after'] ?? 0) }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await from('127.0.0.2', 'wrong-password')).status);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    const limited = await from('127.0.0.2', ADMIN_PASSWORD);
    assert.equal(limited.status, 429, 'the attacker\'s own address waits, even with the right password');
    assert.ok(limited.retryAfter > 0);
    assert.equal((await from('127.0.0.1', ADMIN_PASSWORD)).status, 200, 'admin signs in from another address');
  });

  test('cookie-authenticated writes need the CSRF token; bearer requests do not', async () => {
    const r = await call<{ token: string; csrfToken: string }>(h.url, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    const cookie = `kontroler_session=${r.body.token}`;
    const read = await call(h.url, 'GET', '/api/v1/auth/me', { headers: { cookie } });
    assert.equal(read.status, 200);
    const noCsrf = await call(h.url, 'POST', '/api/v1/tokens', { headers: { cookie }, body: { name: 'x', role: 'viewer', namespaces: ['*'] } });
    assert.equal(noCsrf.status, 403);
    assert.match(String(noCsrf.body.message), /csrf/i);
    const ok = await call(h.url, 'POST', '/api/v1/tokens', { headers: { cookie, 'x-csrf-token': r.body.csrfToken }, body: { name: 'via-cookie', role: 'viewer', namespaces: ['*'] } });
    assert.equal(ok.status, 201);
  });

  test('logout revokes the session at once', async () => {
    const token = await login(h.url, 'admin', ADMIN_PASSWORD);
    assert.equal((await call(h.url, 'POST', '/api/v1/auth/logout', { token })).status, 204);
    const after = await call(h.url, 'GET', '/api/v1/auth/me', { token });
    assert.equal(after.status, 401);
  });

  test('password change revokes every session and returns a new one', async () => {
    const admin = await login(h.url, 'admin', ADMIN_PASSWORD);
    assert.equal((await call(h.url, 'POST', '/api/v1/users', { token: admin, body: { username: 'carol', password: 'carol-pass-1', roles: [{ namespace: 'team', role: 'editor' }] } })).status, 201);
    const t1 = await login(h.url, 'carol', 'carol-pass-1');
    const t2 = await login(h.url, 'carol', 'carol-pass-1');
    const weak = await call(h.url, 'POST', '/api/v1/auth/password', { token: t1, body: { currentPassword: 'carol-pass-1', newPassword: 'short' } });
    assert.equal(weak.status, 400);
    const ch = await call<{ token: string }>(h.url, 'POST', '/api/v1/auth/password', { token: t1, body: { currentPassword: 'carol-pass-1', newPassword: 'carol-pass-2' } });
    assert.equal(ch.status, 200);
    assert.equal((await call(h.url, 'GET', '/api/v1/auth/me', { token: t1 })).status, 401);
    assert.equal((await call(h.url, 'GET', '/api/v1/auth/me', { token: t2 })).status, 401);
    assert.equal((await call(h.url, 'GET', '/api/v1/auth/me', { token: ch.body.token })).status, 200);
    assert.equal((await call(h.url, 'POST', '/api/v1/auth/login', { body: { username: 'carol', password: 'carol-pass-1' } })).status, 401);
  });

  test('refresh extends the session with a new JWT', async () => {
    const token = await login(h.url, 'admin', ADMIN_PASSWORD);
    const r = await call<{ token: string }>(h.url, 'POST', '/api/v1/auth/refresh', { token });
    assert.equal(r.status, 200);
    assert.equal((await call(h.url, 'GET', '/api/v1/auth/me', { token: r.body.token })).status, 200);
  });

  test('API tokens: shown once, hashed, scoped, capped by the creator, last use recorded, revocable', async () => {
    const admin = await login(h.url, 'admin', ADMIN_PASSWORD);
    await call(h.url, 'POST', '/api/v1/users', { token: admin, body: { username: 'dave', password: 'dave-pass-1', roles: [{ namespace: 'team', role: 'editor' }] } });
    const dave = await login(h.url, 'dave', 'dave-pass-1');
    const escalate = await call(h.url, 'POST', '/api/v1/tokens', { token: dave, body: { name: 'ci', role: 'admin', namespaces: ['team'] } });
    assert.equal(escalate.status, 403);
    const other = await call(h.url, 'POST', '/api/v1/tokens', { token: dave, body: { name: 'ci', role: 'viewer', namespaces: ['elsewhere'] } });
    assert.equal(other.status, 403);
    const created = await call<{ id: number; token: string; prefix: string }>(h.url, 'POST', '/api/v1/tokens', {
      token: dave,
      body: { name: 'ci', role: 'viewer', namespaces: ['team'], expiresInDays: 30 },
    });
    assert.equal(created.status, 201);
    assert.match(created.body.token, /^kt_/);
    const { rows } = await h.db.pool.query<{ n: number }>('select count(*)::int as n from api_tokens where token_hash = $1', [created.body.token]);
    assert.equal(rows[0]?.n, 0, 'the secret is not stored');
    const me = await call<{ kind: string; roles: unknown }>(h.url, 'GET', '/api/v1/auth/me', { token: created.body.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.kind, 'token');
    assert.deepEqual(me.body.roles, [{ namespace: 'team', role: 'viewer' }]);
    const list = await call<{ items: Array<{ name: string; lastUsedAt: string | null; token?: string }> }>(h.url, 'GET', '/api/v1/tokens', { token: dave });
    assert.equal(list.body.items.length, 1);
    assert.ok(list.body.items[0]?.lastUsedAt);
    assert.equal(list.body.items[0]?.token, undefined);
    const dup = await call(h.url, 'POST', '/api/v1/tokens', { token: dave, body: { name: 'ci', role: 'viewer', namespaces: ['team'] } });
    assert.equal(dup.status, 409);
    assert.equal((await call(h.url, 'DELETE', `/api/v1/tokens/${created.body.id}`, { token: dave })).status, 200);
    assert.equal((await call(h.url, 'GET', '/api/v1/auth/me', { token: created.body.token })).status, 401);
  });
});
