// The identity provider's ID tokens as Bearer credentials, verified strictly: signature against
// the provider's JWKS, issuer, audience, expiry, algorithm pinned; keys rotated at the provider are
// picked up without a restart. Refusals say why in the server log and nothing useful to the client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, decodeProtectedHeader } from 'jose';
import { call } from './harness.js';
import { OTHER_CLIENT, startOidcHarness, type OidcHarness } from './oidc-harness.js';

let h: OidcHarness;
before(async () => {
  // No credential cache, no clock leeway, keys re-fetched for an unknown kid at once and at least
  // every 300 ms: each check below sees the provider's current state.
  h = await startOidcHarness({
    config: { authCacheMs: 0 },
    oidc: { clockToleranceSeconds: 0, jwksCooldownMs: 0, jwksMaxAgeMs: 300 },
  });
});
after(async () => h.close());

const me = (token: string) => call<{ username: string; roles: unknown[]; code?: string; message?: string }>(h.url, 'GET', '/api/v1/auth/me', { token });

/** Asserts a 401 whose message reveals nothing, and returns what the server logged meanwhile. */
async function refused(token: string): Promise<string> {
  const mark = h.log.lines.length;
  const r = await me(token);
  assert.equal(r.status, 401, r.text);
  assert.equal(r.body.code, 'UNAUTHENTICATED');
  assert.match(r.body.message ?? '', /^invalid, expired or revoked credential/);
  return h.log.since(mark).join('\n');
}

function b64(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

describe('ID tokens as Bearer credentials', () => {
  test('a real ID token for this client is accepted, with roles mapped from its groups', async () => {
    const alice = await h.idToken('alice');
    const r = await me(alice);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.username, 'alice@example.com');
    assert.deepEqual(r.body.roles, [{ namespace: '*', role: 'admin' }]);
    const bob = await h.idToken('bob');
    assert.deepEqual((await me(bob)).body.roles, [
      { namespace: 'data', role: 'editor' },
      { namespace: 'shared', role: 'viewer' },
    ]);
  });

  test('no mapped role: 403 that says so', async () => {
    const carol = await h.idToken('carol');
    const r = await me(carol);
    assert.equal(r.status, 403);
    assert.match(r.body.message ?? '', /no Kontroler role is mapped/);
  });

  test('tampered tokens are refused: changed claims, changed signature, alg none, HS256 keyed with the public key', async () => {
    const bob = await h.idToken('bob');
    const [head, payload, sig] = bob.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const promoted = `${head}.${b64({ ...claims, groups: ['platform'] })}.${sig}`;
    assert.match(await refused(promoted), /bad signature/);
    const flipped = `${head}.${payload}.${sig.slice(0, -6)}${sig.slice(-6) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'}`;
    assert.match(await refused(flipped), /bad signature/);
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    assert.match(await refused(none), /not allowed|malformed|Unsupported/i);
    // Algorithm confusion: an HMAC "signed" with the provider's public key must not verify.
    const pub = h.idp.publicJwk();
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: pub.kid! }).sign(new TextEncoder().encode(JSON.stringify(pub)));
    assert.match(await refused(hs), /algorithm not allowed/);
  });

  test('an expired ID token is refused', async () => {
    h.idp.setIdTokenTtl(1);
    let short: string;
    try {
      short = await h.idToken('alice');
    } finally {
      h.idp.setIdTokenTtl(600);
    }
    const exp = Number(JSON.parse(Buffer.from(short.split('.')[1]!, 'base64url').toString()).exp);
    // Accepted while valid (if this machine is quick enough to ask within the second) ...
    const first = await me(short);
    assert.ok(first.status === 200 || Date.now() / 1000 >= exp, `fresh token refused: ${first.text}`);
    // ... and refused once exp has passed.
    while (Date.now() / 1000 < exp + 0.05) await new Promise((r) => setTimeout(r, 50));
    assert.match(await refused(short), /expired/);
  });

  test('a token of the same provider for another client (wrong audience) is refused', async () => {
    const other = await h.idToken('alice', OTHER_CLIENT);
    assert.match(await refused(other), /wrong audience "other-app"/);
  });

  test('tokens the provider key signed but for another issuer, without exp, or sent as a cookie are refused', async () => {
    const claims = { sub: 'u-alice-0001', aud: 'kontroler', email: 'alice@example.com', groups: ['platform'] };
    // An issuer nobody configured: refused before any key is tried.
    const foreign = await h.idp.sign({ ...claims, iss: 'https://idp.attacker.example' });
    assert.match(await refused(foreign), /issuer "https:\/\/idp.attacker.example" is not trusted/);
    // The right issuer and key, but no expiry: refused (exp is required).
    const forever = await h.idp.sign({ ...claims, iss: h.idp.issuer }, { expiresIn: null });
    assert.match(await refused(forever), /"exp" claim|missing required "exp"/);
    const good = await h.idToken('alice');
    const viaCookie = await call(h.url, 'GET', '/api/v1/auth/me', { headers: { cookie: `kontroler_session=${good}` } });
    assert.equal(viaCookie.status, 401);
  });

  test('key rotation: new keys are used without a restart; a retired key stops working', async () => {
    const before = await h.idToken('alice');
    const oldKid = decodeProtectedHeader(before).kid!;
    assert.equal((await me(before)).status, 200);

    const newKid = await h.idp.rotateKeys();
    const after = await h.idToken('alice');
    assert.equal(decodeProtectedHeader(after).kid, newKid);
    assert.notEqual(newKid, oldKid);
    // The unknown kid makes the server fetch the JWKS again: accepted at once.
    assert.equal((await me(after)).status, 200, 'token signed with the new key');
    // The old key is still published: tokens signed with it stay valid until they expire.
    assert.equal((await me(before)).status, 200, 'token signed with the old, still published key');

    h.idp.retireOldKeys();
    assert.deepEqual(h.idp.publishedKids(), [newKid]);
    // Within the JWKS cache age (300 ms here, 10 min by default) the retired key is dropped.
    const deadline = Date.now() + 10_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await me(before)).status;
    }
    assert.equal(status, 401, 'token of the retired key refused');
    assert.match(await refused(before), /no key in the issuer's JWKS matches/);
    assert.equal((await me(after)).status, 200, 'the current key still works');
  });
});
