// Single sign-on in a real browser with the real web UI: Debian's Chromium (playwright-core) on
// the sign-in page, the "Sign in with …" button, the real OpenID provider's login page and back.
// The provider runs on `localhost` and Kontroler on 127.0.0.1, so they are different sites and
// the browser applies SameSite as between real domains (the state cookie must survive the
// provider's cross-site redirect; the Strict session cookie must then work for the UI's calls).
// Screenshots go to test-output/screenshots/ for a reviewer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startOidcHarness, type OidcHarness } from './oidc-harness.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const UI_DIR = join(ROOT, 'packages/ui/dist');
const SHOTS = join(ROOT, 'test-output', 'screenshots');
const CHROMIUM = process.env.KONTROLER_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'];

let h: OidcHarness;
let ssoOnly: OidcHarness;
let browser: Browser;

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's package (bash scripts/install-system-deps.sh chromium); the browser tests never download a browser`);
  if (!existsSync(join(UI_DIR, 'index.html'))) throw new Error('the UI bundle is missing (packages/ui/dist): run `npm run build:ui` (npm test does it)');
  mkdirSync(SHOTS, { recursive: true });
  h = await startOidcHarness({ idpHost: 'localhost', config: { uiDir: UI_DIR } });
  ssoOnly = await startOidcHarness({ idpHost: 'localhost', config: { uiDir: UI_DIR, passwordLogin: false } });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});
after(async () => {
  await browser?.close();
  await h?.close();
  await ssoOnly?.close();
});

/** From Kontroler's sign-in page through the provider's login page. */
async function signInAs(page: Page, base: string, path: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}${path}`);
  await page.waitForSelector('[data-testid=sso-login]');
  assert.equal((await page.textContent('[data-testid=sso-login]'))?.trim(), 'Sign in with Test IdP');
  await page.click('[data-testid=sso-login]');
  await page.waitForURL((u) => u.hostname === 'localhost' && u.pathname.startsWith('/interaction/'));
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#submit');
}

async function me(page: Page): Promise<{ status: number; body: { username?: string; roles?: unknown[] } }> {
  return page.evaluate(async () => {
    const r = await fetch('/api/v1/auth/me');
    return { status: r.status, body: (await r.json()) as { username?: string; roles?: unknown[] } };
  });
}

test('alice signs in with SSO from the UI, lands on the page she asked for, and signs out', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${h.url}/runs`);
  await page.waitForURL(`${h.url}/login`);
  await page.waitForSelector('[data-testid=sso-login]');
  // Both methods are offered on this server.
  assert.ok(await page.isVisible('input[name=password]'));
  await page.screenshot({ path: join(SHOTS, 'sso-login.png') });
  await page.click('[data-testid=sso-login]');
  await page.waitForURL((u) => u.hostname === 'localhost' && u.pathname.startsWith('/interaction/'));
  await page.screenshot({ path: join(SHOTS, 'sso-idp-login.png') });
  await page.fill('#username', 'alice');
  await page.fill('#password', 'alice-pass-1');
  await page.click('#submit');
  await page.waitForURL(`${h.url}/runs`);
  await page.waitForSelector('strong:has-text("alice@example.com")');
  const who = await me(page);
  assert.equal(who.status, 200);
  assert.deepEqual(who.body.roles, [{ namespace: '*', role: 'admin' }]);
  const cookies = await context.cookies(h.url);
  assert.equal(cookies.find((c) => c.name === 'kontroler_session')?.sameSite, 'Strict');
  assert.ok(!cookies.some((c) => c.name === 'kontroler_oidc'), 'state cookie cleared');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForSelector('[data-testid=sso-login]');
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal((await me(page)).status, 401);
  await context.close();
});

test('bob gets his team\'s roles; a wrong password stays on the provider\'s page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInAs(page, h.url, '/dags', 'bob', 'not-his-password');
  await page.waitForSelector('#error');
  assert.match((await page.textContent('#error')) ?? '', /Wrong username or password/);
  await page.fill('#username', 'bob');
  await page.fill('#password', 'bob-pass-2');
  await page.click('#submit');
  await page.waitForURL(`${h.url}/dags`);
  await page.waitForSelector('text=Signed in as');
  assert.deepEqual((await me(page)).body.roles, [
    { namespace: 'data', role: 'editor' },
    { namespace: 'shared', role: 'viewer' },
  ]);
  await context.close();
});

test('carol, whom no rule maps, sees the no-access page, not an empty app', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signInAs(page, h.url, '/login', 'carol', 'carol-pass-3');
  await page.waitForURL((u) => u.pathname === '/no-access');
  await page.waitForSelector('[data-testid=no-access-message]');
  assert.match((await page.textContent('[data-testid=no-access-message]')) ?? '', /You signed in as carol@example\.com, but no Kontroler role is mapped to you/);
  await page.screenshot({ path: join(SHOTS, 'sso-no-access.png') });
  assert.ok(!(await context.cookies(h.url)).some((c) => c.name === 'kontroler_session'));
  assert.equal((await me(page)).status, 401);
  await context.close();
});

test('a failed sign-in comes back to the sign-in page with a reason', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // A callback this browser never started (no state cookie).
  await page.goto(`${h.url}/api/v1/auth/oidc/callback?code=forged&state=forged`);
  await page.waitForURL((u) => u.pathname === '/login');
  await page.waitForSelector('text=That sign-in expired or was started in another tab');
  await context.close();
});

test('with local accounts off the sign-in page offers single sign-on only', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${ssoOnly.url}/login`);
  await page.waitForSelector('[data-testid=sso-login]');
  assert.equal(await page.isVisible('input[name=password]'), false);
  await page.screenshot({ path: join(SHOTS, 'sso-only-login.png') });
  await page.click('[data-testid=sso-login]');
  await page.waitForURL((u) => u.hostname === 'localhost');
  await page.fill('#username', 'alice');
  await page.fill('#password', 'alice-pass-1');
  await page.click('#submit');
  await page.waitForSelector('text=Signed in as');
  assert.equal((await me(page)).body.username, 'alice@example.com');
  await context.close();
});
