// kontroler login --sso end to end: the real CLI (child process) listens on a loopback port and
// prints the sign-in URL; a browser (here a cookie-keeping HTTP client) signs in at the real
// OpenID provider's login page; the CLI redeems the one-time code and stores an API token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, oidcConfig, type KontrolerServer } from '@kontroler/server';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { HttpBrowser, signInThroughIdp, startTestIdp, type TestIdp } from '@kontroler/test-idp';

let idp: TestIdp;
let db: TestDatabase;
let server: KontrolerServer;
let url: string;
let dir: string;

before(async () => {
  idp = await startTestIdp();
  const probe = createNetServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  url = `http://127.0.0.1:${port}`;
  idp.setClients([{ clientId: 'kontroler', clientSecret: 'cli-test-secret', redirectUris: [`${url}/api/v1/auth/oidc/callback`] }]);
  db = await createTestDatabase();
  server = await createServer({
    pool: db.pool,
    databaseUrl: db.url,
    config: {
      jwtSecret: 'test-secret',
      passwordLogin: false,
      oidc: oidcConfig({
        issuer: idp.issuer,
        clientId: 'kontroler',
        clientSecret: 'cli-test-secret',
        redirectUrl: `${url}/api/v1/auth/oidc/callback`,
        scopes: ['openid', 'email', 'profile', 'groups'],
        roleMap: [{ claim: 'groups', value: 'data-team', namespace: 'data', role: 'editor' }],
      }),
    },
  });
  await server.listen(port, '127.0.0.1');
  dir = mkdtempSync(join(tmpdir(), 'kontroler-sso-cli-'));
});
after(async () => {
  await server.close();
  await idp.close();
  await db.drop();
});

const entry = fileURLToPath(new URL('./remote-entry.js', import.meta.url));

/** Runs `kontroler login --sso`; when it prints the URL, `browse` plays the person at the browser. */
function loginSso(browse: (signInUrl: string) => Promise<void>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, 'login', '--sso', '--no-browser', '--server', url, '--sso-timeout', '60'], {
      env: { PATH: process.env.PATH ?? '', HOME: dir, KONTROLER_CONFIG: join(dir, 'config.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let browsing: Promise<void> | undefined;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /(http:\/\/\S+\/api\/v1\/auth\/oidc\/login\?\S+)/.exec(stderr);
      if (m && !browsing) browsing = browse(m[1]!).catch((e: unknown) => (child.kill(), reject(e)));
    });
    child.on('error', reject);
    child.on('close', (code) => void (browsing ?? Promise.resolve()).then(() => resolve({ code: code ?? 1, stdout, stderr })));
  });
}

test('login --sso signs in through the identity provider and stores an API token; whoami shows the SSO user', async () => {
  let landed = '';
  const r = await loginSso(async (signInUrl) => {
    assert.match(signInUrl, /cli_redirect=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fcallback/);
    const b = new HttpBrowser();
    const hop = await signInThroughIdp(b, signInUrl, { username: 'bob', password: 'bob-pass-2' });
    landed = hop.body;
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(landed, /You are signed in to Kontroler/);
  assert.match(r.stdout, /Logged in to .* as bob@example\.com/);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { servers: Record<string, { token: string; username: string }> };
  assert.match(cfg.servers[url]!.token, /^kt_/);
  assert.equal(cfg.servers[url]!.username, 'bob@example.com');
  const who = await new Promise<string>((resolve) => {
    const c = spawn(process.execPath, [entry, 'whoami'], { env: { PATH: process.env.PATH ?? '', HOME: dir, KONTROLER_CONFIG: join(dir, 'config.json') } });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('close', () => resolve(out));
  });
  assert.match(who, /bob@example\.com\s+token\s.*data\s+editor/);
  // The SSO session used to mint the token was ended (only the API token remains).
  const { rows } = await db.pool.query<{ n: number }>(`select count(*)::int as n from sessions where revoked_at is null`);
  assert.equal(rows[0]!.n, 0);
});

test('login --sso for someone with no mapped role fails with a clear message', async () => {
  const r = await loginSso(async (signInUrl) => {
    await signInThroughIdp(new HttpBrowser(), signInUrl, { username: 'carol', password: 'carol-pass-3' });
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /carol@example\.com: you signed in, but no Kontroler role is mapped to you/);
});
