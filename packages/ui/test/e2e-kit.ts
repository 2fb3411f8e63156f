// What the browser tests and the UI benchmarks share: a free port, a Kontroler process started
// until it says it is ready (and stopped with its process group), and Debian's Chromium launched
// by playwright-core (never downloaded). Not a test file: test files and scripts import it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

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
