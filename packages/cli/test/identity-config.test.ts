// KONTROLER_OIDC_* / KONTROLER_K8S_* / KONTROLER_SA_ROLE_MAP / KONTROLER_PASSWORD_LOGIN → server
// config: complete settings work (role maps inline or from a file), incomplete ones stop the start
// naming the variable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverConfigFrom } from '@kontroler/cli/remote';

const OIDC = {
  KONTROLER_OIDC_ISSUER: 'https://dex.example.com',
  KONTROLER_OIDC_CLIENT_ID: 'kontroler',
  KONTROLER_OIDC_CLIENT_SECRET: 's3cret',
  KONTROLER_OIDC_REDIRECT_URL: 'https://kontroler.example.com/api/v1/auth/oidc/callback',
  KONTROLER_OIDC_ROLE_MAP: '[{"claim":"groups","value":"platform","namespace":"*","role":"admin"}]',
};

test('a complete SSO setting, with defaults and overrides', () => {
  const { config } = serverConfigFrom({}, { ...OIDC, KONTROLER_OIDC_SCOPES: 'openid email groups', KONTROLER_OIDC_NAME: 'Dex', KONTROLER_PASSWORD_LOGIN: 'false' });
  assert.equal(config.passwordLogin, false);
  assert.equal(config.oidc?.issuer, 'https://dex.example.com');
  assert.equal(config.oidc?.clientSecret, 's3cret');
  assert.deepEqual(config.oidc?.scopes, ['openid', 'email', 'groups']);
  assert.deepEqual(config.oidc?.algorithms, ['RS256', 'ES256']);
  assert.equal(config.oidc?.acceptBearer, true);
  assert.equal(config.oidc?.displayName, 'Dex');
  assert.deepEqual(config.oidc?.roleMap, [{ claim: 'groups', value: 'platform', namespace: '*', role: 'admin' }]);
});

test('role maps can come from files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kontroler-idcfg-'));
  writeFileSync(join(dir, 'oidc.json'), OIDC.KONTROLER_OIDC_ROLE_MAP);
  writeFileSync(join(dir, 'sa.json'), '[{"serviceAccount":"system:serviceaccount:ci:runner","namespace":"ci","role":"editor"}]');
  const { config } = serverConfigFrom({}, { ...OIDC, KONTROLER_OIDC_ROLE_MAP: join(dir, 'oidc.json'), KONTROLER_K8S_ISSUER: 'https://kubernetes.default.svc', KONTROLER_SA_ROLE_MAP: join(dir, 'sa.json'), KONTROLER_K8S_TOKENREVIEW: 'true' });
  assert.equal(config.oidc?.roleMap.length, 1);
  assert.equal(config.workloadIdentity?.audience, 'kontroler');
  assert.deepEqual(config.workloadIdentity?.roleMap, [{ serviceAccount: 'system:serviceaccount:ci:runner', namespace: 'ci', role: 'editor' }]);
  assert.ok(config.workloadIdentity?.tokenReviewer, 'TokenReview on');
});

test('incomplete or contradictory settings stop the start, naming the variable', () => {
  const { KONTROLER_OIDC_CLIENT_ID: _c, ...noClient } = OIDC;
  const cases: Array<[Record<string, string>, RegExp]> = [
    [noClient, /needs KONTROLER_OIDC_CLIENT_ID/],
    [{ KONTROLER_OIDC_CLIENT_ID: 'x' }, /KONTROLER_OIDC_CLIENT_ID is set but KONTROLER_OIDC_ISSUER is not/],
    [{ KONTROLER_PASSWORD_LOGIN: 'false' }, /leaves nobody able to sign in/],
    [{ KONTROLER_PASSWORD_LOGIN: 'maybe' }, /KONTROLER_PASSWORD_LOGIN must be true or false/],
    [{ ...OIDC, KONTROLER_OIDC_ROLE_MAP: '[{"claim":"groups","value":"a","namespace":"*","role":"root"}]' }, /KONTROLER_OIDC_ROLE_MAP\[0\]\.role/],
    [{ ...OIDC, KONTROLER_OIDC_ROLE_MAP: '/no/such/file.json' }, /KONTROLER_OIDC_ROLE_MAP is neither JSON/],
    [{ KONTROLER_SA_ROLE_MAP: '[]' }, /KONTROLER_K8S_ISSUER is not/],
    [{ KONTROLER_K8S_ISSUER: 'https://k' }, /needs KONTROLER_SA_ROLE_MAP/],
  ];
  for (const [env, want] of cases) assert.throws(() => serverConfigFrom({}, env), want, JSON.stringify(env));
});
