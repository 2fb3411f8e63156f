// `kontrolerToken`: the pod of a task that asks for it gets a projected service account token for
// the Kontroler API (audience, lifetime and server URL from the controller's settings), mounted
// read-only, with KONTROLER_TOKEN_FILE / KONTROLER_SERVER that a parameter cannot override.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPod, KONTROLER_TOKEN_PATH } from '@kontroler/runtime-kube';
import { attempt } from './helpers.js';

test('no token unless the task asks for one', () => {
  const pod = buildPod(attempt('ns', '1', 't', 1, '', { command: ['true'] }), { kontrolerToken: { audience: 'kontroler', expirationSeconds: 3600, serverUrl: 'http://k:8080' } });
  assert.deepEqual(pod.spec?.volumes?.map((v) => v.name), ['kontroler-outputs'], 'only the outputs folder every pod has');
  assert.ok(!pod.spec!.containers[0]!.env!.some((e) => e.name === 'KONTROLER_TOKEN_FILE'));
});

test('a task that asks gets the projected token volume, the mount and the variables', () => {
  const spec = attempt('ns', '1', 't', 1, 'echo hi', { kontrolerToken: true, env: { KONTROLER_TOKEN_FILE: '/tmp/fake', KONTROLER_SERVER: 'http://evil' } });
  const pod = buildPod(spec, { kontrolerToken: { audience: 'kontroler-prod', expirationSeconds: 1800, serverUrl: 'http://kontroler.kontroler.svc:8080' } });
  const vol = pod.spec!.volumes!.find((v) => v.name === 'kontroler-token');
  assert.deepEqual(vol?.projected, { sources: [{ serviceAccountToken: { audience: 'kontroler-prod', expirationSeconds: 1800, path: 'token' } }] });
  const main = pod.spec!.containers[0]!;
  assert.deepEqual(main.volumeMounts?.find((m) => m.name === 'kontroler-token'), { name: 'kontroler-token', mountPath: '/var/run/secrets/kontroler', readOnly: true });
  const env = Object.fromEntries(main.env!.map((e) => [e.name, e.value]));
  assert.equal(env.KONTROLER_TOKEN_FILE, KONTROLER_TOKEN_PATH);
  assert.equal(env.KONTROLER_SERVER, 'http://kontroler.kontroler.svc:8080');
  assert.equal(main.env!.filter((e) => e.name === 'KONTROLER_TOKEN_FILE').length, 1, 'a parameter cannot point the task at another token');
  // The script's own volume is still there.
  assert.ok(pod.spec!.volumes!.some((v) => v.name === 'kontroler-script'));
});

test('defaults: audience kontroler, one hour, no server URL', () => {
  const pod = buildPod(attempt('ns', '1', 't', 1, '', { command: ['true'], kontrolerToken: true }));
  assert.deepEqual(pod.spec!.volumes!.find((v) => v.name === 'kontroler-token')!.projected!.sources![0]!.serviceAccountToken, { audience: 'kontroler', expirationSeconds: 3600, path: 'token' });
  assert.ok(!pod.spec!.containers[0]!.env!.some((e) => e.name === 'KONTROLER_SERVER'));
});
