// Walks the server's own route table: every non-public route rejects a missing, malformed,
// expired, tampered, foreign-key or revoked credential; and every role × route pair is allowed or
// forbidden exactly as the route's declared access says. A new route cannot escape either check.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { createHash } from 'node:crypto';
import type { AnyRoute } from '@kontroler/server';
import type { Role, RoleBinding } from '@kontroler/store';
import { revokeSession } from '@kontroler/store';
import { ADMIN_PASSWORD, DAG_YAML, call, callMaybeStream, isStreamRoute, login, seedRun, sessionFor, startHarness, userWithSession, type Harness } from './harness.js';

let h: Harness;
let runId: number;
let adminToken: string;

before(async () => {
  h = await startHarness();
  runId = await seedRun(h, 'default', 'seeded');
  adminToken = await login(h.url, 'admin', ADMIN_PASSWORD);
});
after(async () => h.close());

const PUBLIC = [
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /api/v1/openapi.json',
  'POST /api/v1/auth/login',
  // Single sign-on: which methods exist, the redirect, the provider's return, the CLI's one-time code.
  'GET /api/v1/auth/providers',
  'GET /api/v1/auth/oidc/login',
  'GET /api/v1/auth/oidc/callback',
  'POST /api/v1/auth/oidc/token',
];
const SIGNED = ['POST /api/v1/triggers/:ns/:name'];

function pathOf(r: AnyRoute, ns = 'default'): string {
  return r.url
    .replace(':ns', ns)
    .replace(':name', 'seeded')
    .replace(':id', String(runId))
    .replace(':task', 'a')
    .replace(':n', '1')
    .replace(':username', 'nobody')
    .replace(':tokenId', '999999')
    .replace(':version', '1');
}

function request(r: AnyRoute, headers: Record<string, string>) {
  const path = pathOf(r);
  if (isStreamRoute(r)) return callMaybeStream(h.url, r.method, path, { headers });
  if (r.method === 'GET' || r.method === 'DELETE') return call(h.url, r.method, path, { headers });
  if (r.body === 'text' || r.body === 'raw') return call(h.url, r.method, path, { headers, raw: DAG_YAML('seeded') });
  return call(h.url, r.method, path, { headers, body: {} });
}

const protectedRoutes = () => h.server.routes.filter((r) => r.access.kind !== 'public' && r.access.kind !== 'signed');

describe('route table', () => {
  test('only the known routes are public; every changing route is audited; operation ids are unique', () => {
    const key = (r: AnyRoute) => `${r.method} ${r.url}`;
    assert.deepEqual(h.server.routes.filter((r) => r.access.kind === 'public').map(key).sort(), [...PUBLIC].sort());
    assert.deepEqual(h.server.routes.filter((r) => r.access.kind === 'signed').map(key), SIGNED);
    for (const r of h.server.routes) if (r.method !== 'GET') assert.ok(r.audit, `${key(r)} has no audit action`);
    const ids = h.server.routes.map((r) => r.operationId);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(protectedRoutes().length >= 45, `only ${protectedRoutes().length} protected routes?`);
  });

  test('the OpenAPI document has every route of the table, with its operation id, access and security', async () => {
    const doc = await call<{ paths: Record<string, Record<string, { operationId: string; description: string; security?: unknown[]; parameters?: unknown[] }>> }>(h.url, 'GET', '/api/v1/openapi.json');
    for (const r of h.server.routes) {
      const p = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const op = doc.body.paths[p]?.[r.method.toLowerCase()];
      assert.ok(op, `${r.method} ${p} missing from openapi.json`);
      assert.equal(op.operationId, r.operationId);
      assert.match(op.description, /Requires: /);
      const open = r.access.kind === 'public' || r.access.kind === 'signed';
      assert.equal((op.security ?? []).length === 0, open, `${r.method} ${p} security`);
    }
  });

  test('every protected route rejects missing, malformed, expired, tampered, foreign and revoked credentials with 401', async () => {
    const { rows } = await h.db.pool.query<{ id: number }>(`select id from users where username = 'admin'`);
    const adminId = Number(rows[0]!.id);
    const live = await sessionFor(h, adminId, 'admin');
    const revoked = await sessionFor(h, adminId, 'admin');
    await revokeSession(h.db.pool, revoked.sessionId);
    const expired = await h.server.context.keys.sign({ sessionId: live.sessionId, userId: adminId, username: 'admin', expiresAt: Date.now() - 60_000 });
    const [head, payload, sig] = live.token.split('.') as [string, string, string];
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    forged.sub = '424242';
    const tamperedPayload = `${head}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${sig}`;
    const tamperedSig = `${head}.${payload}.${sig.slice(0, -4)}${sig.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const foreignKey = await new SignJWT({ sid: live.sessionId })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('kontroler')
      .setAudience('kontroler-api')
      .setSubject(String(adminId))
      .setExpirationTime('1h')
      .sign(createHash('sha256').update('another-key').digest());
    const noneAlg = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    const tok = async (name: string) =>
      (await call<{ id: number; token: string }>(h.url, 'POST', '/api/v1/tokens', { token: adminToken, body: { name, role: 'admin', namespaces: ['*'] } })).body;
    const revokedToken = await tok('to-revoke');
    await call(h.url, 'DELETE', `/api/v1/tokens/${revokedToken.id}`, { token: adminToken });
    const expiredToken = await tok('to-expire');
    await h.db.pool.query(`update api_tokens set expires_at = now() - interval '1 minute' where id = $1`, [expiredToken.id]);
    const credentials: Record<string, Record<string, string>> = {
      missing: {},
      'malformed header': { authorization: 'Token abc' },
      'empty bearer': { authorization: 'Bearer ' },
      garbage: { authorization: 'Bearer not.a.jwt' },
      'expired JWT': { authorization: `Bearer ${expired}` },
      'tampered payload': { authorization: `Bearer ${tamperedPayload}` },
      'tampered signature': { authorization: `Bearer ${tamperedSig}` },
      'foreign key': { authorization: `Bearer ${foreignKey}` },
      'alg none': { authorization: `Bearer ${noneAlg}` },
      'revoked session': { authorization: `Bearer ${revoked.token}` },
      'revoked API token': { authorization: `Bearer ${revokedToken.token}` },
      'expired API token': { authorization: `Bearer ${expiredToken.token}` },
      'unknown API token': { authorization: `Bearer kt_${'x'.repeat(43)}` },
      'tampered cookie': { cookie: `kontroler_session=${tamperedSig}` },
      'revoked cookie': { cookie: `kontroler_session=${revoked.token}` },
    };
    const failures: string[] = [];
    for (const r of protectedRoutes()) {
      for (const [what, headers] of Object.entries(credentials)) {
        const res = await request(r, headers);
        if (res.status !== 401 || res.body?.code !== 'UNAUTHENTICATED') failures.push(`${r.method} ${r.url} with ${what}: ${res.status} ${res.text.slice(0, 120)}`);
      }
    }
    assert.deepEqual(failures, []);
    // The live credential works (so the 401s above are about the credential).
    assert.equal((await call(h.url, 'GET', '/api/v1/auth/me', { token: live.token })).status, 200);
  });

  test('RBAC matrix: each role × each route is allowed or forbidden as the route declares', async () => {
    const principals: Record<string, RoleBinding[]> = {
      'no roles': [],
      'viewer@default': [{ namespace: 'default', role: 'viewer' }],
      'editor@default': [{ namespace: 'default', role: 'editor' }],
      'admin@default': [{ namespace: 'default', role: 'admin' }],
      'editor@other': [{ namespace: 'other', role: 'editor' }],
      'viewer@*': [{ namespace: '*', role: 'viewer' }],
      'editor@*': [{ namespace: '*', role: 'editor' }],
      'admin@*': [{ namespace: '*', role: 'admin' }],
    };
    const rank: Record<Role, number> = { viewer: 1, editor: 2, admin: 3 };
    const has = (b: RoleBinding[], ns: string | undefined, role: Role) =>
      b.some((x) => (ns === undefined ? true : x.namespace === ns || x.namespace === '*') && rank[x.role] >= rank[role]);
    const expectAllowed = (r: AnyRoute, b: RoleBinding[]): boolean => {
      const a = r.access;
      switch (a.kind) {
        case 'public':
        case 'signed':
        case 'authenticated':
          return true;
        case 'namespace':
        case 'run':
          return has(b, 'default', a.role);
        case 'any-namespace':
          return has(b, undefined, a.role);
        case 'global':
          return b.some((x) => x.namespace === '*' && rank[x.role] >= rank[a.role]);
      }
    };
    const users: Record<string, number> = {};
    let i = 0;
    for (const [name, roles] of Object.entries(principals)) users[name] = (await userWithSession(h, `matrix${i++}`, roles)).userId;
    const failures: string[] = [];
    let checked = 0;
    for (const r of protectedRoutes()) {
      for (const [name, roles] of Object.entries(principals)) {
        const { token } = await sessionFor(h, users[name]!, name);
        const res = await request(r, { authorization: `Bearer ${token}` });
        const allowed = expectAllowed(r, roles);
        checked++;
        if (allowed && (res.status === 401 || res.status === 403)) failures.push(`${name} ${r.method} ${r.url}: expected allowed, got ${res.status} ${res.text.slice(0, 150)}`);
        if (!allowed && (res.status !== 403 || res.body?.code !== 'FORBIDDEN')) failures.push(`${name} ${r.method} ${r.url}: expected 403, got ${res.status} ${res.text.slice(0, 150)}`);
        if (res.status >= 500) failures.push(`${name} ${r.method} ${r.url}: ${res.status} ${res.text.slice(0, 150)}`);
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(checked >= protectedRoutes().length * 8);
  });

  test('lists are filtered to what the caller may see', async () => {
    await seedRun(h, 'hidden', 'secretive');
    const { token } = await userWithSession(h, 'only-default', [{ namespace: 'default', role: 'viewer' }]);
    const runs = await call<{ items: Array<{ namespace: string }> }>(h.url, 'GET', '/api/v1/runs', { token });
    assert.ok(runs.body.items.length > 0);
    assert.ok(runs.body.items.every((r) => r.namespace === 'default'));
    const dags = await call<{ items: Array<{ namespace: string }> }>(h.url, 'GET', '/api/v1/dags', { token });
    assert.ok(dags.body.items.every((d) => d.namespace === 'default'));
    const forbiddenRun = await call(h.url, 'GET', `/api/v1/runs?namespace=hidden`, { token });
    assert.deepEqual((forbiddenRun.body as { items: unknown[] }).items, []);
  });
});
