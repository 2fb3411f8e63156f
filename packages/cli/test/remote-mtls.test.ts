// mTLS: the server requires client certificates signed by its CA; the CLI presents one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_PASSWORD, kontroler, startRemoteEnv, type RemoteEnv } from './remote-env.js';

let env: RemoteEnv;
let pki: string;

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: pki, stdio: 'pipe' });
  } catch (e) {
    throw new Error(`openssl (Debian package openssl) is needed to make test certificates: ${(e as Error).message}`);
  }
}

before(async () => {
  pki = mkdtempSync(join(tmpdir(), 'kontroler-pki-'));
  writeFileSync(join(pki, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=kontroler-test-ca', '-days', '2']);
  for (const who of ['server', 'client', 'rogue']) {
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`]);
  }
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.cnf']);
  openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2']);
  openssl(['x509', '-req', '-in', 'rogue.csr', '-signkey', 'rogue.key', '-out', 'rogue.crt', '-days', '2']);
  const f = (n: string) => readFileSync(join(pki, n));
  env = await startRemoteEnv({ tls: { cert: f('server.crt'), key: f('server.key'), clientCa: f('ca.crt') } }, false);
});
after(async () => env?.close());

test('mTLS: a client certificate signed by the CA gets in; none or a rogue one does not', async () => {
  assert.match(env.url, /^https:/);
  const p = (n: string) => join(pki, n);
  const ok = await kontroler(env, ['login', '--server', env.url, '-u', 'admin', '--cert', p('client.crt'), '--key', p('client.key'), '--ca', p('ca.crt')], { KONTROLER_PASSWORD: ADMIN_PASSWORD });
  assert.equal(ok.code, 0, ok.stderr);
  const me = await kontroler(env, ['whoami'], {});
  assert.equal(me.code, 0, `the stored login remembers the certificate files: ${me.stderr}`);
  const none = await kontroler(env, ['whoami', '--server', env.url, '--ca', p('ca.crt'), '--cert', '', '--key', ''], { KONTROLER_CONFIG: join(env.dir, 'other.json'), KONTROLER_TOKEN: 'x' });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /NETWORK|cannot reach/);
  const rogue = await kontroler(env, ['whoami', '--server', env.url, '--cert', p('rogue.crt'), '--key', p('rogue.key'), '--ca', p('ca.crt')], { KONTROLER_CONFIG: join(env.dir, 'other.json'), KONTROLER_TOKEN: 'x' });
  assert.equal(rogue.code, 1);
  assert.match(rogue.stderr, /NETWORK|cannot reach/);
});
