// Single sign-on against a real OpenID provider (oidc-provider): the authorization code flow with
// PKCE through the provider's own login page, role mapping from groups, the no-access outcome,
// state / code replay protection, sessions and logout, and the CLI hand-off.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { HttpBrowser, signInThroughIdp } from '@kontroler/test-idp';
import { ADMIN_PASSWORD, DAG_YAML, call, login } from './harness.js';
import { startOidcHarness, type OidcHarness } from './oidc-harness.js';

let h: OidcHarness;
before(async () => {
  h = await startOidcHarness();
});
after(async () => h.close());

function cookieHeader(b: HttpBrowser): string {
  return [...b.cookies(h.url)].map(([k, v]) => `${k}=${v}`).join('; ');
}

describe('OIDC sign-in', () => {
  test('providers: the UI learns that both the password form and single sign-on are offered', async () => {
    const r = await call(h.url, 'GET', '/api/v1/auth/providers');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { password: true, sso: { name: 'Test IdP', loginUrl: '/api/v1/auth/oidc/login' } });
  });

  test('the login redirect carries state, nonce and an S256 PKCE challenge, and sets a sealed Lax state cookie', async () => {
    const b = new HttpBrowser();
    const hop = await b.request(`${h.url}/api/v1/auth/oidc/login`);
    assert.equal(hop.status, 303);
    const to = new URL(hop.location!);
    assert.equal(to.origin, h.idp.issuer);
    assert.equal(to.searchParams.get('client_id'), 'kontroler');
    assert.equal(to.searchParams.get('response_type'), 'code');
    assert.equal(to.searchParams.get('redirect_uri'), h.callbackUrl);
    assert.equal(to.searchParams.get('code_challenge_method'), 'S256');
    assert.match(to.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.ok((to.searchParams.get('state') ?? '').length >= 32);
    assert.ok((to.searchParams.get('nonce') ?? '').length >= 32);
    const setCookie = hop.headers.getSetCookie().find((c) => c.startsWith('kontroler_oidc='))!;
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Lax/);
    assert.match(setCookie, /Path=\/api\/v1\/auth\/oidc/);
    // The verifier and nonce are not readable in the cookie (encrypted).
    assert.ok(!setCookie.includes(to.searchParams.get('state')!));
  });

  test('alice (group platform) signs in through the IdP page and gets a normal session: admin everywhere', async () => {
    const { browser, status, location } = await h.signIn('alice', { returnTo: '/runs?status=failed' });
    assert.equal(status, 303);
    assert.equal(location, `${h.url}/runs?status=failed`);
    const jar = browser.cookies(h.url);
    assert.ok(jar.get('kontroler_session'), 'session cookie set');
    assert.ok(jar.get('kontroler_csrf'), 'CSRF cookie set');
    assert.ok(!jar.has('kontroler_oidc'), 'state cookie cleared');
    const me = await call<{ username: string; kind: string; roles: unknown[]; csrfToken: string }>(h.url, 'GET', '/api/v1/auth/me', { headers: { cookie: cookieHeader(browser) } });
    assert.equal(me.status, 200);
    assert.equal(me.body.username, 'alice@example.com');
    assert.deepEqual(me.body.roles, [{ namespace: '*', role: 'admin' }]);
    // A cookie write needs the CSRF token, exactly as after a password sign-in.
    const noCsrf = await call(h.url, 'POST', '/api/v1/namespaces/default/dags', { headers: { cookie: cookieHeader(browser) }, raw: DAG_YAML('sso-dag') });
    assert.equal(noCsrf.status, 403);
    const withCsrf = await call(h.url, 'POST', '/api/v1/namespaces/default/dags', {
      headers: { cookie: cookieHeader(browser), 'x-csrf-token': jar.get('kontroler_csrf')! },
      raw: DAG_YAML('sso-dag'),
    });
    assert.equal(withCsrf.status, 201, withCsrf.text);
    // The user record says where the identity lives; admins see it.
    const admin = await login(h.url, 'admin', ADMIN_PASSWORD);
    const u = await call<{ username: string; source: string; roles: unknown[] }>(h.url, 'GET', '/api/v1/users/alice@example.com', { token: admin });
    assert.equal(u.body.source, 'oidc');
    const audit = await call<{ items: Array<{ actor: string; action: string; outcome: string }> }>(h.url, 'GET', '/api/v1/audit?action=auth.oidc.login', { token: admin });
    assert.ok(audit.body.items.some((e) => e.actor === 'user:alice@example.com' && e.outcome === 'ok'));
  });

  test('bob (group data-team) is an editor in data and a viewer in shared only', async () => {
    const { browser } = await h.signIn('bob');
    const headers = { cookie: cookieHeader(browser), 'x-csrf-token': browser.cookies(h.url).get('kontroler_csrf')! };
    const me = await call<{ roles: unknown[] }>(h.url, 'GET', '/api/v1/auth/me', { headers });
    assert.deepEqual(me.body.roles, [
      { namespace: 'data', role: 'editor' },
      { namespace: 'shared', role: 'viewer' },
    ]);
    assert.equal((await call(h.url, 'POST', '/api/v1/namespaces/data/dags', { headers, raw: DAG_YAML('bobs') })).status, 201);
    const forbidden = await call(h.url, 'POST', '/api/v1/namespaces/default/dags', { headers, raw: DAG_YAML('bobs') });
    assert.equal(forbidden.status, 403);
    assert.equal((await call(h.url, 'POST', '/api/v1/namespaces/shared/dags', { headers, raw: DAG_YAML('bobs') })).status, 403);
    assert.equal((await call(h.url, 'GET', '/api/v1/namespaces/shared/dags', { headers })).status, 200);
    assert.equal((await call(h.url, 'GET', '/api/v1/users', { headers })).status, 403);
  });

  test('carol (no mapped group) gets an explicit no-access answer and no session', async () => {
    const { browser, status, body } = await h.signIn('carol');
    // No UI is served by this server: an HTML page that says so (a UI server redirects to /no-access).
    assert.equal(status, 403);
    assert.match(body, /No access/);
    assert.match(body, /carol@example\.com/);
    assert.ok(!browser.cookies(h.url).has('kontroler_session'));
    const admin = await login(h.url, 'admin', ADMIN_PASSWORD);
    const audit = await call<{ items: Array<{ actor: string; outcome: string; details: Record<string, unknown> }> }>(h.url, 'GET', '/api/v1/audit?action=auth.oidc.login', { token: admin });
    const denied = audit.body.items.find((e) => e.actor === 'user:carol@example.com');
    assert.equal(denied?.outcome, 'denied');
    assert.deepEqual(denied?.details.groups, ['contractors']);
    assert.equal((await call(h.url, 'GET', '/api/v1/users/carol@example.com', { token: admin })).status, 404, 'no user record for no access');
  });

  test('an API client finishing the flow gets 403 JSON for no access', async () => {
    const b = new HttpBrowser();
    const start = `${h.url}/api/v1/auth/oidc/login`;
    const hop = await signInThroughIdp(b, start, h.user('carol'), (next) => next.startsWith(h.callbackUrl));
    assert.ok(hop.location?.startsWith(h.callbackUrl));
    const res = await b.request(hop.location!, { headers: { accept: 'application/json' } });
    assert.equal(res.status, 403);
    assert.equal(JSON.parse(res.body).code, 'FORBIDDEN');
    assert.match(JSON.parse(res.body).message, /no Kontroler role is mapped/);
  });

  test('a callback without the browser\'s state cookie, with a forged state, or a replayed code starts no session', async () => {
    const b = new HttpBrowser();
    const hop = await signInThroughIdp(b, `${h.url}/api/v1/auth/oidc/login`, h.user('alice'), (next) => next.startsWith(h.callbackUrl));
    const callback = hop.location!;
    // Another browser (no state cookie) presenting alice's code: login CSRF / code injection.
    const other = new HttpBrowser();
    const stolen = await other.request(callback);
    assert.equal(stolen.status, 401);
    assert.ok(!other.cookies(h.url).has('kontroler_session'));
    // The right browser, but a state that does not match its cookie.
    const forged = new URL(callback);
    forged.searchParams.set('state', randomBytes(32).toString('base64url'));
    const mark = h.log.lines.length;
    const bad = await b.request(forged.toString());
    assert.equal(bad.status, 401);
    assert.ok(h.log.since(mark).some((l) => /state does not match/.test(l)), h.log.since(mark).join('\n'));
    // The state cookie is single-use: it was cleared by the failed callback, so even the real callback now fails.
    const replay = await b.request(callback);
    assert.equal(replay.status, 401);
    assert.ok(!b.cookies(h.url).has('kontroler_session'));
  });

  test('the provider\'s error (user cancelled) is reported, not a crash', async () => {
    const b = new HttpBrowser();
    const start = await b.request(`${h.url}/api/v1/auth/oidc/login`);
    const state = new URL(start.location!).searchParams.get('state')!;
    const res = await b.request(`${h.callbackUrl}?error=access_denied&error_description=cancelled&state=${state}`);
    assert.equal(res.status, 401);
    assert.match(res.body, /denied/);
  });

  test('logout ends the SSO session at once', async () => {
    const { browser } = await h.signIn('alice');
    const headers = { cookie: cookieHeader(browser), 'x-csrf-token': browser.cookies(h.url).get('kontroler_csrf')! };
    assert.equal((await call(h.url, 'GET', '/api/v1/auth/me', { headers })).status, 200);
    assert.equal((await call(h.url, 'POST', '/api/v1/auth/logout', { headers })).status, 204);
    assert.equal((await call(h.url, 'GET', '/api/v1/auth/me', { headers })).status, 401);
  });

  test('a disabled SSO user cannot sign in again; admins cannot give it a password or hand-made roles', async () => {
    await h.signIn('bob');
    const admin = await login(h.url, 'admin', ADMIN_PASSWORD);
    assert.equal((await call(h.url, 'PATCH', '/api/v1/users/bob@example.com', { token: admin, body: { password: 'a-new-password' } })).status, 409);
    assert.equal((await call(h.url, 'PATCH', '/api/v1/users/bob@example.com', { token: admin, body: { roles: [{ namespace: '*', role: 'admin' }] } })).status, 409);
    assert.equal((await call(h.url, 'PATCH', '/api/v1/users/bob@example.com', { token: admin, body: { disabled: true } })).status, 200);
    const { status, browser } = await h.signIn('bob');
    assert.equal(status, 401);
    assert.ok(!browser.cookies(h.url).has('kontroler_session'));
    assert.equal((await call(h.url, 'PATCH', '/api/v1/users/bob@example.com', { token: admin, body: { disabled: false } })).status, 200);
    assert.equal((await h.signIn('bob')).status, 303);
  });

  test('an SSO user cannot take over a local account with the same name', async () => {
    const admin = await login(h.url, 'admin', ADMIN_PASSWORD);
    // A local account squats the name the provider gives another person.
    const h2 = await startOidcHarness({ oidc: { usernameClaim: 'preferred_username' } });
    try {
      const admin2 = await login(h2.url, 'admin', ADMIN_PASSWORD);
      assert.equal((await call(h2.url, 'POST', '/api/v1/users', { token: admin2, body: { username: 'alice', password: 'local-alice-pw', roles: [] } })).status, 201);
      const { status, browser } = await h2.signIn('alice');
      assert.equal(status, 401);
      assert.ok(!browser.cookies(h2.url).has('kontroler_session'));
      assert.ok(h2.log.lines.some((l) => /belongs to another account/.test(l)));
    } finally {
      await h2.close();
    }
    assert.ok(admin);
  });
});

describe('kontroler login --sso hand-off', () => {
  const loopback = 'http://127.0.0.1:45678/callback';
  const start = (challenge: string, redirect = loopback) =>
    `${h.url}/api/v1/auth/oidc/login?cli_redirect=${encodeURIComponent(redirect)}&cli_state=cli-state-123&cli_challenge=${challenge}`;

  test('the callback sends a one-time code to the loopback address; it is redeemed once, with the PKCE verifier', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const b = new HttpBrowser();
    const hop = await signInThroughIdp(b, start(challenge), h.user('bob'), (next) => next.startsWith('http://127.0.0.1:45678/'));
    const to = new URL(hop.location!);
    assert.equal(`${to.origin}${to.pathname}`, loopback);
    assert.equal(to.searchParams.get('state'), 'cli-state-123');
    const code = to.searchParams.get('code')!;
    assert.ok(code.length >= 40);
    assert.ok(!b.cookies(h.url).has('kontroler_session'), 'no cookies for a CLI sign-in');
    const wrong = await call(h.url, 'POST', '/api/v1/auth/oidc/token', { body: { code, verifier: randomBytes(32).toString('base64url') } });
    assert.equal(wrong.status, 401);
    // A wrong verifier burns the code: whoever intercepted it cannot retry, and neither can the CLI.
    const after = await call(h.url, 'POST', '/api/v1/auth/oidc/token', { body: { code, verifier } });
    assert.equal(after.status, 401);

    const hop2 = await signInThroughIdp(new HttpBrowser(), start(challenge), h.user('bob'), (next) => next.startsWith('http://127.0.0.1:45678/'));
    const code2 = new URL(hop2.location!).searchParams.get('code')!;
    const ok = await call<{ token: string; user: { username: string } }>(h.url, 'POST', '/api/v1/auth/oidc/token', { body: { code: code2, verifier } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.user.username, 'bob@example.com');
    const me = await call<{ username: string }>(h.url, 'GET', '/api/v1/auth/me', { token: ok.body.token });
    assert.equal(me.body.username, 'bob@example.com');
    assert.equal((await call(h.url, 'POST', '/api/v1/auth/oidc/token', { body: { code: code2, verifier } })).status, 401, 'single use');
  });

  test('no access reaches the CLI as an error, not a code', async () => {
    const challenge = createHash('sha256').update('x'.repeat(43)).digest('base64url');
    const hop = await signInThroughIdp(new HttpBrowser(), start(challenge), h.user('carol'), (next) => next.startsWith('http://127.0.0.1:45678/'));
    const to = new URL(hop.location!);
    assert.equal(to.searchParams.get('error'), 'no_access');
    assert.equal(to.searchParams.get('code'), null);
  });

  test('only loopback addresses may receive a code', async () => {
    const challenge = createHash('sha256').update('y'.repeat(43)).digest('base64url');
    for (const bad of ['https://evil.example.com/cb', 'http://10.0.0.1:8080/cb', 'http://127.0.0.1.evil.example.com:80/cb', 'http://user@127.0.0.1:80/cb']) {
      const r = await call(h.url, 'GET', start(challenge, bad).slice(h.url.length));
      assert.equal(r.status, 400, `${bad}: ${r.status}`);
    }
  });
});
