// End to end in a real browser: Debian's Chromium (driven by playwright-core) against the real
// `kontroler up` (API server serving the UI bundle, controller, local runtime) on a fresh
// PostgreSQL database. A person's path through the UI: sign in, build a 4-task DAG in the visual
// editor, save, run it and watch it succeed live, read a log, see a failed task's retries, cancel
// a run, create and revoke an API token. Screenshots of the main pages (light and dark) go to
// test-output/screenshots/ for a reviewer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { assertBrowserParts, canvasSettled, freePort, launchChromium, ROOT } from './e2e-kit.js';

const SHOTS = join(ROOT, 'test-output', 'screenshots');
const PASSWORD = 'e2e-admin-password';

let db: TestDatabase;
let tmp: string;
let up: ChildProcess;
let upOut = '';
let base: string;
let ctx: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** Light and dark screenshots, switching with the theme button as a user would. */
async function bothThemes(name: string): Promise<void> {
  await shot(`${name}-light`);
  const toggle = page.locator('[data-testid=theme-toggle]');
  await toggle.click();
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  await shot(`${name}-dark`);
  await toggle.click();
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
}

/** Replaces the text of the CodeMirror editor inside `host`. */
async function setCode(host: string, text: string): Promise<void> {
  await page.click(`${host} .cm-content`);
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

/** Drags from one node's output handle to another node's input handle, as a person would. */

async function drawEdge(from: string, to: string, whileOverTarget: () => Promise<void> = async () => {}): Promise<void> {
  // The handles are measured first: if the viewport still moves, the drag would miss them.
  await canvasSettled(page);
  const src = page.locator(`.react-flow__node[data-id="${from}"] .react-flow__handle.source`);
  const dst = page.locator(`.react-flow__node[data-id="${to}"] .react-flow__handle.target`);
  const a = (await src.boundingBox())!;
  const b = (await dst.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 10, { steps: 8 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
  await whileOverTarget();
  await page.mouse.up();
}

/** Creates a DAG through the editor's YAML view and saves it. */
async function saveYamlDag(yaml: string): Promise<void> {
  await page.goto(`${base}/editor`);
  await page.getByRole('button', { name: 'YAML', exact: true }).click();
  await setCode('[data-testid="code-DAG YAML"]', yaml);
  await page.waitForSelector('[data-testid=problem-count]:has-text("valid")');
  await page.click('[data-testid=save]');
  await page.waitForSelector('[data-testid=dag-page]');
}

async function startRunFromDagPage(): Promise<number> {
  await page.getByRole('button', { name: '▶ Run' }).click();
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/\/runs\/\d+/);
  return Number(/\/runs\/(\d+)/.exec(page.url())![1]);
}

before(async () => {
  assertBrowserParts();
  mkdirSync(SHOTS, { recursive: true });
  db = await createTestDatabase();
  tmp = mkdtempSync(join(tmpdir(), 'kontroler-ui-e2e-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const { KONTROLER_TEST_DATABASE_URL: _t, ...env } = process.env;
  up = spawn(
    process.execPath,
    [join(ROOT, 'packages/cli/bin/kontroler.js'), 'up', '--dags', join(tmp, 'dags'), '--data-dir', join(tmp, 'data'), '--port', String(port)],
    { env: { ...env, DATABASE_URL: db.url, KONTROLER_ADMIN_PASSWORD: PASSWORD, KONTROLER_CONTROLLER_ID: `ui-e2e-${port}` }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      upOut += d.toString();
      if (/Kontroler is up/.test(upOut)) resolve();
    };
    up.stdout!.on('data', onData);
    up.stderr!.on('data', onData);
    up.on('exit', (code) => reject(new Error(`kontroler up exited (${code}) before it was ready:\n${upOut}`)));
  });
  await Promise.race([ready, new Promise((_, reject) => setTimeout(() => reject(new Error(`kontroler up not ready in 90 s:\n${upOut}`)), 90_000))]);
  ctx = await launchChromium(join(tmp, 'profile'));
  page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('dialog', (d) => void d.accept());
});

after(async () => {
  await ctx?.close().catch(() => undefined);
  if (up && up.exitCode === null) {
    const exited = new Promise((r) => up.once('exit', r));
    try {
      process.kill(-(up.pid ?? 0), 'SIGINT');
    } catch {
      // already gone
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (up.exitCode === null) process.kill(-(up.pid ?? 0), 'SIGKILL');
  }
  await db?.drop().catch(() => undefined);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the server serves the UI with a strict CSP, SPA fallback and cached hashed assets', async () => {
  const res = await fetch(`${base}/runs/123?x=1`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  const html = await res.text();
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(asset, html);
  const js = await fetch(`${base}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(js.status, 200);
  assert.match(js.headers.get('cache-control') ?? '', /immutable/);
  assert.equal((await fetch(`${base}/assets/nope.js`)).status, 404);
  const api = await fetch(`${base}/api/v1/nope`);
  assert.equal(api.status, 404);
  assert.equal(((await api.json()) as { code: string }).code, 'NOT_FOUND');
  assert.equal((await fetch(`${base}/api/v1/runs`)).status, 401, 'the API stays authenticated');
});

test('sign in (a wrong password is refused, the right one opens the DAG list)', async () => {
  await page.goto(`${base}/`);
  await page.waitForSelector('form[aria-label="Sign in"]');
  await shot('login');
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', 'wrong-password');
  await page.click('button[type=submit]');
  await page.waitForSelector('text=Wrong username or password.');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('h1:has-text("DAGs")');
  assert.match(page.url(), /\/dags$/);
});

test('build a 4-task DAG in the visual editor: drag, connect, edit, cycles refused, YAML in sync, save', async () => {
  await page.click('a:has-text("New DAG")');
  await page.waitForSelector('[data-testid=canvas]');
  await page.fill('input[name=dag-name]', 'ui-pipeline');
  const canvas = page.locator('[data-testid=canvas]');
  const box = (await canvas.boundingBox())!;
  const names = ['extract', 'transform', 'load', 'report'];
  for (const [i, name] of names.entries()) {
    // Drag a task from the palette onto the canvas (HTML5 drag and drop).
    await page.locator('.palette-item[data-template=script]').dragTo(canvas, { targetPosition: { x: 60 + i * 80, y: 60 + i * 90 } });
    await page.waitForSelector(`[data-testid=task-form]`);
    await page.fill('input[name=task-name]', name);
    await page.press('input[name=task-name]', 'Enter');
    await page.waitForSelector(`.react-flow__node[data-id="${name}"]`);
    await setCode('[data-testid=code-script]', `echo "${name} starting"\nsleep 2\necho "${name} done: \\033[32mok\\033[0m"`);
  }
  assert.ok(box.width > 200);
  await page.click('button:has-text("Auto-layout")');
  await page.click('.react-flow__pane', { position: { x: 5, y: 5 } });
  await page.click('.react-flow__controls-fitview');
  await drawEdge('extract', 'transform');
  await drawEdge('transform', 'load');
  await drawEdge('load', 'report');
  await page.waitForSelector('.react-flow__edge[data-id="load->report"]');
  assert.equal(await page.locator('.react-flow__edge').count(), 3);

  // A cycle is refused while drawing: no edge appears, the reason is shown.
  // While it is dragged over the target, the line it would draw is red (the danger colour).
  let stroke = '';
  let danger = '';
  await drawEdge('report', 'extract', async () => {
    await page.waitForSelector('.react-flow__connection.invalid .react-flow__connection-path');
    stroke = await page.$eval('.react-flow__connection.invalid .react-flow__connection-path', (el) => getComputedStyle(el).stroke);
    danger = await page.evaluate(() => {
      const probe = document.createElement('span');
      probe.style.color = 'var(--danger)';
      document.body.append(probe);
      const c = getComputedStyle(probe).color;
      probe.remove();
      return c;
    });
  });
  assert.equal(stroke, danger, `an invalid connection is drawn in the danger colour (${stroke} vs ${danger})`);
  await page.waitForSelector('[data-testid=canvas-hint]:has-text("cycle")');
  assert.equal(await page.locator('.react-flow__edge').count(), 3);

  // Live validation on the node and the field: an empty image is a problem until fixed.
  await page.click('.react-flow__node[data-id="load"]');
  await page.fill('input[name=task-image]', '');
  await page.waitForSelector('[data-testid=problem-count]:has-text("problem")');
  await page.waitForSelector('.react-flow__node[data-id="load"] .has-errors');
  assert.ok(await page.locator('[data-testid=save]').isDisabled());
  await shot('editor-validation');
  await page.fill('input[name=task-image]', 'alpine:3.20');
  await page.waitForSelector('[data-testid=problem-count]:has-text("valid")');

  // The YAML view shows the graph; editing the YAML changes the graph.
  await page.getByRole('button', { name: 'Graph + YAML' }).click();
  const shown = await page.locator('[data-testid="code-DAG YAML"] .cm-content').innerText();
  assert.match(shown, /name: ui-pipeline[\s\S]*- name: extract[\s\S]*- name: transform\s+image: alpine:3.20\s+runAfter:\s+- extract/);
  const task = (name: string, after?: string) =>
    `    - name: ${name}\n      image: alpine:3.20\n${after ? `      runAfter:\n        - ${after}\n` : ''}      script: |\n        echo "${name} starting"\n        sleep 2\n        echo "${name} done: \\033[32mok\\033[0m"\n`;
  const edited = `apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata:\n  name: ui-pipeline\n  namespace: default\nspec:\n  task:\n${task('extract')}${task('transform', 'extract')}${task('load', 'transform')}${task('summary', 'load')}`;
  await setCode('[data-testid="code-DAG YAML"]', edited);
  await page.waitForSelector('.react-flow__node[data-id="summary"]');
  await page.waitForSelector('[data-testid=problem-count]:has-text("valid")');
  await bothThemes('editor');

  await page.click('[data-testid=save]');
  await page.waitForSelector('[data-testid=dag-page]');
  assert.match(page.url(), /\/dags\/default\/ui-pipeline$/);
  await page.waitForSelector('.react-flow__node[data-id="summary"]');
  await bothThemes('dag-detail');
});

let pipelineRun = 0;
test('run it and watch it succeed live; read a task log', async () => {
  const streams: Array<{ url: string; status: number; type: string }> = [];
  const onResponse = (r: import('playwright-core').Response) => {
    if (/\/api\/v1\/runs\/\d+\/events(\?|$)/.test(r.url())) streams.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] ?? '' });
  };
  page.on('response', onResponse);
  pipelineRun = await startRunFromDagPage();
  await page.waitForSelector('[data-testid=run-page]');
  // Live: told by the run's change stream (not polling), a task is seen running, then the run
  // succeeds, all without reloading the page.
  await page.waitForSelector('[data-testid=run-page][data-live=true]', { timeout: 30_000 });
  await page.waitForSelector('.task-node[data-status=running]', { timeout: 30_000 });
  await shot('run-live');
  await page.waitForSelector('[data-testid=run-page][data-run-status=succeeded]', { timeout: 60_000 });
  assert.equal(await page.locator('.task-node[data-status=succeeded]').count(), 4);
  page.off('response', onResponse);
  assert.ok(streams.some((x) => new URL(x.url).pathname === `/api/v1/runs/${pipelineRun}/events` && x.status === 200 && x.type.startsWith('text/event-stream')), JSON.stringify(streams));

  // Keyboard: a focused task opens with Enter.
  await page.focus('.react-flow__node[data-id="load"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=task-panel][data-task="load"]');
  assert.equal(await page.locator('.react-flow__node[data-id="load"]').getAttribute('aria-label'), 'Task load, succeeded');
  await page.click('.react-flow__node[data-id="transform"]');
  await page.waitForSelector('[data-testid=task-panel][data-task="transform"]');
  await page.waitForSelector('[data-testid=log-viewer][data-state=ended]');
  const log = page.locator('[data-testid=log-viewer] .log-scroll');
  await page.waitForFunction(() => document.querySelector('[data-testid=log-viewer] .log-scroll')?.textContent?.includes('transform done: ok'));
  assert.match(await log.innerText(), /transform starting/);
  assert.equal(await page.locator('[data-testid=log-viewer] .fg-2').first().innerText(), 'ok', 'ANSI green is rendered as colour');
  await page.fill('input[aria-label="Search the log"]', 'done');
  await page.waitForSelector('[data-testid=log-viewer] mark.current');
  await bothThemes('run-detail');
  await page.getByRole('tab', { name: 'Timeline' }).click();
  await page.waitForSelector('[data-testid=gantt] .gantt-bar');
  assert.equal(await page.locator('[data-testid=gantt] .gantt-bar').count(), 4);
  await shot('run-timeline-light');
  // Esc closes the task panel, as the `?` help says (not while a field has the keys).
  await page.locator('[data-testid=run-page] h1').click();
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=task-panel]', { state: 'detached' });
  assert.equal(new URL(page.url()).searchParams.get('task'), null, 'the selection is gone from the URL');
});

test('the task panel fits: at 1440 px its log toolbar keeps Download inside; at 390 px the panel goes under a graph that keeps its size', async () => {
  const sizes = page.viewportSize() ?? { width: 1280, height: 800 };
  try {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${base}/runs/${pipelineRun}?task=transform`);
    await page.waitForSelector('[data-testid=log-viewer][data-state=ended]');
    const panel = (await page.locator('[data-testid=task-panel]').boundingBox())!;
    const download = (await page.locator('[data-testid=log-viewer] button:has-text("Download")').boundingBox())!;
    assert.ok(download.x + download.width <= panel.x + panel.width, `Download ends at ${download.x + download.width}, the panel at ${panel.x + panel.width}`);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction(() => (document.querySelector('[data-testid=task-panel]')?.getBoundingClientRect().width ?? 999) <= 390);
    const graph = (await page.locator('.run-main').boundingBox())!;
    const narrow = (await page.locator('[data-testid=task-panel]').boundingBox())!;
    assert.ok(graph.width > 200 && graph.height > 200, `the graph keeps its size: ${graph.width}×${graph.height}`);
    assert.ok(narrow.x >= 0 && narrow.x + narrow.width <= 390, `the panel is inside the screen: ${narrow.x}..${narrow.x + narrow.width}`);
    const closeBox = (await page.getByRole('button', { name: 'Close task panel' }).boundingBox())!;
    assert.ok(closeBox.x + closeBox.width <= 390, 'Close is reachable without scrolling sideways');
    await shot('run-narrow');
  } finally {
    await page.setViewportSize(sizes);
  }
});

test("a failed task's retry attempts, each with its exit code and log", async () => {
  await saveYamlDag(`apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata:
  name: ui-flaky
spec:
  task:
    - name: always-fails
      image: alpine:3.20
      script: echo "attempt failing"; exit 3
      backoff:
        limit: 2
`);
  const id = await startRunFromDagPage();
  await page.waitForSelector('[data-testid=run-page][data-run-status=failed]', { timeout: 60_000 });
  await page.click('.react-flow__node[data-id="always-fails"]');
  await page.waitForSelector('[data-testid=task-panel] tr[data-attempt="3"]');
  const rows = page.locator('[data-testid=task-panel] tbody tr');
  assert.equal(await rows.count(), 3);
  for (let i = 0; i < 3; i++) assert.match(await rows.nth(i).innerText(), /failed\s+3/);
  await page.click('[data-testid=task-panel] tr[data-attempt="1"] button');
  await page.waitForFunction(() => document.querySelector('[data-testid=log-viewer] .log-scroll')?.textContent?.includes('attempt failing'));
  await shot('run-failed-retries-light');
  // Retry failed: the failed task gets a new attempt (4) in the same run, shown live.
  await page.getByRole('button', { name: 'Retry failed' }).click();
  await page.waitForSelector('[data-testid=task-panel] tr[data-attempt="4"]', { timeout: 60_000 });
  await page.waitForSelector('[data-testid=run-page][data-run-status=failed]', { timeout: 60_000 });
  // Re-run: a new run of the same DAG.
  await page.getByRole('button', { name: 'Re-run' }).click();
  await page.locator('[data-testid=rerun-form]').waitFor();
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL((u) => /\/runs\/\d+/.test(u.pathname) && !u.pathname.endsWith(`/runs/${id}`));
  await page.waitForSelector('[data-testid=run-page][data-run-status=failed]', { timeout: 60_000 });
  // The runs list shows it, filtered by status.
  await page.goto(`${base}/runs?status=failed`);
  await page.waitForSelector(`tr[data-run="${id}"]`);
  assert.equal(await page.locator(`tr[data-run="${pipelineRun}"]`).count(), 0);
  await bothThemes('runs');
});

test("data flow: a task's outputs and resolved references in the panel; a false condition reads as such", async () => {
  await saveYamlDag(`apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata:
  name: ui-flow
spec:
  task:
    - name: count
      image: alpine:3.20
      script: echo 19 > "$KONTROLER_OUTPUTS/total"
      outputs: [{name: total}]
    - name: use
      image: alpine:3.20
      runAfter: [count]
      command: ["echo", "got {{tasks.count.outputs.total}}"]
    - name: never
      image: alpine:3.20
      runAfter: [count]
      when: int(tasks.count.outputs.total) < 5
      command: ["true"]
`);
  await startRunFromDagPage();
  await page.waitForSelector('[data-testid=run-page][data-run-status=succeeded]', { timeout: 60_000 });
  await page.click('.react-flow__node[data-id="count"]');
  await page.waitForSelector('[data-testid=task-panel][data-task="count"] [data-testid=attempt-outputs] tr[data-output="total"]');
  assert.match(await page.locator('[data-testid=attempt-outputs] tr[data-output="total"]').innerText(), /total\s+19/);
  await page.click('.react-flow__node[data-id="use"]');
  await page.waitForSelector('[data-testid=task-panel][data-task="use"] [data-testid=resolved]');
  await page.click('[data-testid=resolved] summary');
  assert.match(await page.locator('[data-testid=resolved] pre').innerText(), /"got 19"/);
  await page.click('.react-flow__node[data-id="never"]');
  await page.waitForSelector('[data-testid=task-panel][data-task="never"]');
  assert.match(await page.locator('[data-testid=task-panel] .kv').innerText(), /condition false/);
  await shot('run-data-flow-light');
});

test('a log of several megabytes loads without freezing the page and is searchable', async () => {
  await saveYamlDag(`apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata:
  name: ui-big-log
spec:
  task:
    - name: chatty
      image: alpine:3.20
      script: seq -f "line %.0f of a long log with some padding text to make it wide" 1 60000
`);
  await startRunFromDagPage();
  await page.waitForSelector('[data-testid=run-page][data-run-status=succeeded]', { timeout: 60_000 });
  await page.click('.react-flow__node[data-id="chatty"]');
  await page.waitForSelector('[data-testid=log-viewer][data-state=ended]', { timeout: 30_000 });
  const status = await page.locator('.log-status').innerText();
  assert.match(status, /60,001 lines · 3\.\d MiB/);
  // The main thread answers quickly while the viewer holds the whole log (virtualised rows).
  const t0 = Date.now();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
  assert.ok(Date.now() - t0 < 500, 'a frame is painted promptly');
  assert.ok((await page.locator('.log-line').count()) < 200, 'only the visible lines are in the DOM');
  await page.waitForFunction(() => document.querySelector('.log-scroll')?.textContent?.includes('line 60000 of a long log'), null, { timeout: 5000 });
  // A finished attempt's log has nothing to follow (following ends with the attempt); it opens at its end.
  assert.equal(await page.locator('[data-testid=log-viewer] button:has-text("Follow")').count(), 0);
  await page.locator('.log-scroll').hover();
  await page.mouse.wheel(0, -2000);
  // The wheel scrolls smoothly (animated): let it settle, or its rest would move the view away
  // from the match the search scrolls to (under load the animation outlasts the typing).
  await page.waitForFunction(
    () =>
      new Promise<boolean>((resolve) => {
        const el = document.querySelector('.log-scroll');
        const top = el?.scrollTop;
        requestAnimationFrame(() => requestAnimationFrame(() => resolve(el !== null && el.scrollTop === top)));
      }),
    null,
    { timeout: 10_000 },
  );
  await page.fill('input[aria-label="Search the log"]', 'line 12345 of');
  await page.waitForSelector('[data-testid=log-viewer] mark.current');
  assert.match(await page.locator('.log-toolbar').innerText(), /1 \/ 1/);
});

test('cancel a running run', async () => {
  await saveYamlDag(`apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata:
  name: ui-slow
spec:
  task:
    - name: sleeper
      image: alpine:3.20
      command: ["sleep", "60"]
`);
  await startRunFromDagPage();
  await page.waitForSelector('.task-node[data-status=running]', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await page.getByRole('button', { name: 'Cancel run' }).click();
  await page.waitForSelector('[data-testid=run-page][data-run-status=canceled]', { timeout: 30_000 });
  // The API retries a canceled run (its canceled tasks run again): so does the button.
  assert.equal(await page.getByRole('button', { name: 'Retry failed' }).isEnabled(), true, 'Retry failed is enabled on a canceled run');
});

test('a missing run answers at once: a 404 is not retried', async () => {
  const asked: string[] = [];
  const onRequest = (r: import('playwright-core').Request) => {
    if (new URL(r.url()).pathname === '/api/v1/runs/99999') asked.push(r.method());
  };
  page.on('request', onRequest);
  await page.goto(`${base}/runs/99999`);
  await page.waitForSelector('text=/run 99999 not found/i', { timeout: 10_000 });
  page.off('request', onRequest);
  assert.deepEqual(asked, ['GET'], `one request, no retries: ${asked.length}`);
});

test('create an API token (shown once) and revoke it', async () => {
  await page.goto(`${base}/tokens`);
  await page.getByRole('button', { name: 'New token' }).click();
  await page.fill('input[name=token-name]', 'ci-e2e');
  await page.getByRole('button', { name: 'Create' }).click();
  const secret = (await page.locator('[data-testid=new-token]').innerText()).trim();
  assert.match(secret, /^kt_/);
  const me = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${secret}` } });
  assert.equal(me.status, 200, 'the new token works');
  await shot('token-created-light');
  await page.getByRole('button', { name: 'Done' }).click();
  const row = page.locator('tr[data-token="ci-e2e"]');
  await row.waitFor();
  assert.equal(await page.locator(`text=${secret}`).count(), 0, 'the secret is not shown again');
  await row.getByRole('button', { name: 'Revoke' }).click();
  await page.waitForSelector('tr[data-token="ci-e2e"] >> text=revoked');
  const after = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${secret}` } });
  assert.equal(after.status, 401, 'a revoked token is refused');
  await bothThemes('tokens');
});

test('screenshots of the other main pages; no page errors; session expiry returns to sign-in', async () => {
  await page.goto(`${base}/dags`);
  await page.waitForSelector('tr[data-dag="ui-pipeline"]');
  await bothThemes('dags');
  await page.goto(`${base}/stats`);
  await page.waitForSelector('.recharts-bar-rectangle');
  await bothThemes('stats');
  await page.goto(`${base}/admin/users`);
  await page.waitForSelector('tr[data-user="admin"]');
  await bothThemes('users');
  await page.goto(`${base}/admin/audit`);
  await page.waitForSelector('table[aria-label="Audit log"] >> text=token.create');
  await bothThemes('audit');
  // Editing a saved DAG makes a new version; the versions tab diffs them.
  await page.goto(`${base}/dags/default/ui-pipeline/edit`);
  await page.click('.react-flow__node[data-id="load"]');
  await page.fill('input[name=task-retries]', '2');
  await page.waitForSelector('[data-testid=problem-count]:has-text("valid")');
  await page.click('[data-testid=save]');
  await page.waitForSelector('[data-testid=dag-page] >> text=version 2');
  await page.getByRole('tab', { name: 'Versions' }).click();
  await page.waitForSelector('[data-testid=diff] .added');
  assert.match(await page.locator('[data-testid=diff] .added').first().innerText(), /backoff:|limit: 2/);
  await shot('dag-versions-light');
  assert.deepEqual(pageErrors, []);

  // The session ends (signed out elsewhere): the next API call sends the user to sign in.
  const cookies = await ctx.cookies();
  const csrf = cookies.find((c) => c.name === 'kontroler_csrf')?.value ?? '';
  const session = cookies.find((c) => c.name === 'kontroler_session')?.value ?? '';
  const out = await fetch(`${base}/api/v1/auth/logout`, { method: 'POST', headers: { cookie: `kontroler_session=${session}`, 'x-csrf-token': csrf } });
  assert.equal(out.status, 204);
  await page.click('nav a:has-text("Runs")');
  await page.waitForSelector('text=Your session ended');
  assert.match(page.url(), /\/login$/);
});
