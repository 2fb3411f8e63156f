// What the browser tests and the UI benchmarks share: a free port, a Kontroler process started
// until it says it is ready (and stopped with its process group), and Debian's Chromium launched
// by playwright-core (never downloaded); and the set-up of the feature browser tests (map,
// approval, child-run): `kontroler up` on a fresh database, an admin client, a signed-in page.
// Not a test file: test files and scripts import it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { KontrolerClient } from '@kontroler/client';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CHROMIUM = process.env.KONTROLER_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'];
/** How long a Kontroler process may take to say it is ready. */
export const READY_TIMEOUT_MS = 90_000;
/** How long a stopped process may take to exit before it is killed. */
export const STOP_TIMEOUT_MS = 15_000;

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** Throws with what to do when Chromium or the UI bundle is missing (the tests never skip). */
export function assertBrowserParts(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's package (bash scripts/install-system-deps.sh chromium, as .ci/run does); the browser tests never download a browser`);
  }
  if (!existsSync(join(ROOT, 'packages/ui/dist/index.html'))) {
    throw new Error('the UI bundle is missing (packages/ui/dist): run `npm run build:ui` (npm test does it)');
  }
}

export interface Started {
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
}

/** Runs `kontroler <args>` in its own process group and resolves once its output matches `ready`. */
export async function startKontroler(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Started> {
  const { KONTROLER_TEST_DATABASE_URL: _t, ...rest } = process.env;
  const child = spawn(process.execPath, [join(ROOT, 'packages/cli/bin/kontroler.js'), ...args], { env: { ...rest, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const up = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`kontroler ${args[0]} exited (${code}) before it was ready:\n${out}`)));
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([up, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`kontroler ${args[0]} not ready in ${READY_TIMEOUT_MS / 1000} s:\n${out}`)), READY_TIMEOUT_MS)))]);
  } catch (e) {
    await stopKontroler(child);
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return { child, output: () => out };
}

/** SIGINT to the process group, SIGKILL if it has not exited within STOP_TIMEOUT_MS. */
export async function stopKontroler(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  try {
    process.kill(-(child.pid ?? 0), 'SIGINT');
  } catch {
    return; // already gone
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, STOP_TIMEOUT_MS)))]);
  clearTimeout(timer);
  if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid ?? 0), 'SIGKILL');
}

/** Headless Chromium with its own profile folder, 1280×800. */
export function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 800 }, args: CHROMIUM_ARGS });
}

/** The text of the page's log viewer once it contains `text`. */
export async function logContaining(page: Page, text: string): Promise<string> {
  await page.waitForFunction((t) => document.querySelector('[data-testid=log-viewer] .log-scroll')?.textContent?.includes(t) ?? false, text);
  return page.locator('[data-testid=log-viewer] .log-scroll').innerText();
}

/** Where the browser tests write their screenshots. */
export const SHOTS = join(ROOT, 'test-output', 'screenshots');

/** A `kontroler up` for one browser test file, with an admin client and a signed-in page. */
export interface UiInstance {
  db: TestDatabase;
  /** The test's own folder (dags, data, profile). */
  tmp: string;
  up: Started;
  base: string;
  /** Signed in as admin. */
  api: KontrolerClient;
  ctx: BrowserContext;
  /** Signed in as admin; uncaught page errors go to `pageErrors`. */
  page: Page;
  pageErrors: string[];
  /** Signs `page` in (the login form) and waits for the DAGs page. */
  signIn(page: Page, username: string, password: string): Promise<void>;
  /** A screenshot of `page` as test-output/screenshots/`name`.png. */
  shot(page: Page, name: string): Promise<void>;
  /** Closes the browser, stops Kontroler, drops the database, removes `tmp`; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts `kontroler up` (`name` names its folder and controller) on a fresh database with the
 * admin password `password` and the DAG files `dags` (file name → YAML) in its DAG folder, then
 * Chromium with a page signed in as admin (30 s default timeout). What was started is stopped if
 * a later step fails.
 */
export async function startUiInstance(name: string, opts: { password: string; dags?: Record<string, string> }): Promise<UiInstance> {
  assertBrowserParts();
  const db = await createTestDatabase();
  const tmp = mkdtempSync(join(tmpdir(), `kontroler-ui-${name}-`));
  let up: Started | undefined;
  let ctx: BrowserContext | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await ctx?.close().catch(() => undefined);
    await stopKontroler(up?.child);
    await db.drop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    mkdirSync(join(tmp, 'dags'), { recursive: true });
    for (const [file, text] of Object.entries(opts.dags ?? {})) writeFileSync(join(tmp, 'dags', file), text);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    up = await startKontroler(
      ['up', '--dags', join(tmp, 'dags'), '--data-dir', join(tmp, 'data'), '--port', String(port)],
      { DATABASE_URL: db.url, KONTROLER_ADMIN_PASSWORD: opts.password, KONTROLER_CONTROLLER_ID: `ui-${name}-${port}` },
      /Kontroler is up/,
    );
    const login = await new KontrolerClient({ baseUrl: base }).login('admin', opts.password);
    const api = new KontrolerClient({ baseUrl: base, token: login.token });
    ctx = await launchChromium(join(tmp, 'profile'));
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.setDefaultTimeout(30_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const signIn = async (p: Page, username: string, password: string) => {
      await p.goto(`${base}/`);
      await p.fill('input[name=username]', username);
      await p.fill('input[name=password]', password);
      await p.click('button[type=submit]');
      await p.waitForSelector('h1:has-text("DAGs")');
    };
    const shot = async (p: Page, file: string) => {
      mkdirSync(SHOTS, { recursive: true });
      await p.screenshot({ path: join(SHOTS, `${file}.png`) });
    };
    await signIn(page, 'admin', opts.password);
    return { db, tmp, up, base, api, ctx, page, pageErrors, signIn, shot, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Resolves once the page's canvas stands still (fit-view, layout and panning animate the viewport). */
export async function canvasSettled(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      new Promise<boolean>((resolve) => {
        const el = document.querySelector('.react-flow__viewport');
        const before = el ? getComputedStyle(el).transform : '';
        requestAnimationFrame(() => requestAnimationFrame(() => resolve(el !== null && getComputedStyle(el).transform === before)));
      }),
    null,
    { timeout: 10_000 },
  );
}
