// The all-in-one's local CLI credential against a real server and database: it acts as the admin
// through the API, a new start replaces a leftover of the same instance (not another instance's),
// revocation takes effect at once, and both are in the audit log.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createUser, listAudit, setUserDisabled, upsertExternalUser } from '@kontroler/store';
import { LOCAL_TOKEN_PREFIX, issueLocalToken, localTokenName, revokeLocalToken } from '@kontroler/server';
import { call, startHarness, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h.close());

const me = (token: string) => call<{ username: string; token?: { name: string } }>(h.url, 'GET', '/api/v1/auth/me', { token });

/**
 * The status `me(token)` answers once a revocation has reached the server: the server's credential
 * cache is cleared by the revocation's NOTIFY, which arrives a round trip after the revoking
 * statement (a request in between may still see the cached credential). Bounded: 2 s.
 */
async function statusOnceSettled(token: string, want: number): Promise<number> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const { status } = await me(token);
    if (status === want || Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('the local token acts as the admin; a new start of the same instance revokes its leftover, not another instance\'s', async () => {
  const a1 = await issueLocalToken(h.db.pool, 'admin', 'host:/data/a');
  const b = await issueLocalToken(h.db.pool, 'admin', 'host:/data/b');
  assert.ok(a1 && b);
  assert.equal(a1.name, localTokenName('host:/data/a'));
  assert.ok(a1.name.startsWith(LOCAL_TOKEN_PREFIX));
  assert.notEqual(a1.name, b.name);
  const r = await me(a1.token);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.username, 'admin');
  assert.equal(r.body.token?.name, a1.name);

  const a2 = await issueLocalToken(h.db.pool, 'admin', 'host:/data/a');
  assert.ok(a2);
  assert.equal(a2.name, a1.name);
  assert.equal(await statusOnceSettled(a1.token, 401), 401, 'the leftover of the same instance is revoked');
  assert.equal((await me(a2.token)).status, 200);
  assert.equal((await me(b.token)).status, 200, 'another instance\'s token is left alone');

  await revokeLocalToken(h.db.pool, a2.id);
  assert.equal(await statusOnceSettled(a2.token, 401), 401, 'revoked at stop');
  await revokeLocalToken(h.db.pool, a2.id); // idempotent

  const actions = (await listAudit(h.db.pool, {})).filter((e) => e.action.startsWith('token.local.')).map((e) => `${e.actor} ${e.action} ${e.resource}`);
  assert.deepEqual(actions.sort(), [
    `system token.local.issue token/${a1.id}`,
    `system token.local.issue token/${a2.id}`,
    `system token.local.issue token/${b.id}`,
    `system token.local.revoke token/${a1.id}`,
    `system token.local.revoke token/${a2.id}`,
    `system token.local.revoke token/${a2.id}`,
  ].sort());
});

test('no local token for a missing, disabled or single-sign-on user', async () => {
  assert.equal(await issueLocalToken(h.db.pool, 'nobody', 'host:/data/c'), undefined);
  await createUser(h.db.pool, { username: 'off', passwordHash: 'x', roles: [{ namespace: '*', role: 'admin' }] });
  await setUserDisabled(h.db.pool, 'off', true);
  assert.equal(await issueLocalToken(h.db.pool, 'off', 'host:/data/c'), undefined);
  await upsertExternalUser(h.db.pool, { issuer: 'https://idp.example', subject: 's1', username: 'sso-admin', roles: [{ namespace: '*', role: 'admin' }] });
  assert.equal(await issueLocalToken(h.db.pool, 'sso-admin', 'host:/data/c'), undefined);
});
