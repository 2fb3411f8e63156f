// Single sign-on in a real browser: Debian's Chromium (playwright-core) goes from Kontroler to the
// real OpenID provider's login page and back. The provider runs on `localhost` and Kontroler on
// 127.0.0.1, so they are different sites and the browser applies SameSite as it would between
// real domains (the state cookie must survive the provider's cross-site redirect; the Strict
// session cookie must work for the page's own API calls afterwards).
//
// The web UI is not on main yet: a small stand-in page (served from KONTROLER_UI_DIR exactly as
// the UI bundle would be) shows who is signed in, the /no-access page, and signs out.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startOidcHarness, type OidcHarness } from './oidc-harness.js';

const CHROMIUM = process.env.KONTROLER_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'];

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Kontroler</title></head><body>
<p id="who">loading</p>
<a id="sso" href="/api/v1/auth/oidc/login?returnTo=%2Fruns">Sign in with single sign-on</a>
<button id="logout">Sign out</button>
<script>
const who = document.getElementById('who');
(async () => {
  if (location.pathname === '/no-access') { who.textContent = 'No access for ' + new URLSearchParams(location.search).get('user'); return; }
  const r = await fetch('/api/v1/auth/me');
  if (r.status !== 200) { who.textContent = 'signed out'; return; }
  const me = await r.json();
  who.textContent = 'signed in as ' + me.username + ' on ' + location.pathname + ' with ' + me.roles.map((b) => b.namespace + ':' + b.role).join(',');
})();
document.getElementById('logout').onclick = async () => {
  const csrf = document.cookie.split('; ').find((c) => c.startsWith('kontroler_csrf='));
  const r = await fetch('/api/v1/auth/logout', { method: 'POST', headers: { 'x-csrf-token': decodeURIComponent(csrf ? csrf.split('=')[1] : '') } });
  who.textContent = 'logout ' + r.status;
};
</script></body></html>`;

/** The page has asked the API who is signed in (a string: evaluated in the page). */
const LOADED = `document.getElementById('who').textContent !== 'loading'`;

let h: OidcHarness;
let browser: Browser;

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (scripts/install-system-deps.sh) or set KONTROLER_CHROMIUM`);
  const ui = mkdtempSync(join(tmpdir(), 'kontroler-sso-ui-'));
  writeFileSync(join(ui, 'index.html'), PAGE);
  h = await startOidcHarness({ idpHost: 'localhost', config: { uiDir: ui } });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});
after(async () => {
  await browser?.close();
  await h?.close();
});

async function signInAs(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${h.url}/`);
  await page.click('#sso');
  // The provider's own login page (another site).
  await page.waitForURL((u) => u.hostname === 'localhost' && u.pathname.startsWith('/interaction/'));
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#submit');
}

test('alice signs in through the provider in Chromium, lands where she was going, and signs out', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInAs(page, 'alice', 'alice-pass-1');
  await page.waitForURL(`${h.url}/runs`);
  await page.waitForFunction(LOADED);
  assert.equal(await page.textContent('#who'), 'signed in as alice@example.com on /runs with *:admin');
  const cookies = await context.cookies(h.url);
  const session = cookies.find((c) => c.name === 'kontroler_session')!;
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  assert.ok(!cookies.some((c) => c.name === 'kontroler_oidc'), 'state cookie cleared');
  await page.click('#logout');
  await page.waitForFunction(`document.getElementById('who').textContent.startsWith('logout')`);
  assert.equal(await page.textContent('#who'), 'logout 204');
  await page.reload();
  await page.waitForFunction(LOADED);
  assert.equal(await page.textContent('#who'), 'signed out');
  await context.close();
});

test('bob gets his team\'s roles; a wrong password stays on the provider\'s page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInAs(page, 'bob', 'not-his-password');
  await page.waitForSelector('#error');
  assert.match((await page.textContent('#error')) ?? '', /Wrong username or password/);
  await page.fill('#username', 'bob');
  await page.fill('#password', 'bob-pass-2');
  await page.click('#submit');
  await page.waitForURL(`${h.url}/runs`);
  await page.waitForFunction(LOADED);
  assert.equal(await page.textContent('#who'), 'signed in as bob@example.com on /runs with data:editor,shared:viewer');
  await context.close();
});

test('carol, whom no rule maps, sees the no-access page and has no session', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInAs(page, 'carol', 'carol-pass-3');
  await page.waitForURL((u) => u.pathname === '/no-access');
  await page.waitForFunction(LOADED);
  assert.equal(await page.textContent('#who'), 'No access for carol@example.com');
  assert.ok(!(await context.cookies(h.url)).some((c) => c.name === 'kontroler_session'));
  await context.close();
});
