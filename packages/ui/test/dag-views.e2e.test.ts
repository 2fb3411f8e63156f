// The DAG pages and the pages around them in Chromium against `kontroler up`: tab titles that
// name the page, cron schedules in words with their time zone, version times, the audit log's
// diffs and failed actions, the DAG's grid of recent runs × tasks and the outcome strip in the
// DAG list. Screenshots go to test-output/screenshots/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { KontrolerClient } from '@kontroler/client';
import { startUiInstance, type UiInstance } from './e2e-kit.js';

let ui: UiInstance;
let page: Page;
let api: KontrolerClient;

/** A DAG whose `check` task fails when the run's parameter MODE is `fail`. */
const ETL = (echo = 'extract') => `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata:
  name: etl-wide
  namespace: default
spec:
  schedule: "30 2 * * 1-5"
  timezone: Europe/Paris
  parameters:
    - name: MODE
      defaultValue: ok
  task:
    - name: extract
      image: alpine:3.20
      script: echo ${echo}
    - name: check
      image: alpine:3.20
      runAfter: [extract]
      parameters: [MODE]
      script: test "$MODE" != fail
    - name: load
      image: alpine:3.20
      runAfter: [check]
      script: echo load
`;

const runIds: number[] = [];

/** The run's status once it ended (polled through the API; fails after 60 s). */
async function finished(id: number): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await api.getRun(id);
    if (r.status === 'succeeded' || r.status === 'failed' || r.status === 'canceled') return r.status;
    if (Date.now() > deadline) throw new Error(`run ${id} did not end in 60 s (status ${r.status})`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

before(async () => {
  ui = await startUiInstance('dag-views', { password: 'dag-views-password' });
  page = ui.page;
  api = ui.api;
  await api.apply('DAG', 'default', ETL(), 'yaml');
  await api.apply('DAG', 'default', ETL('extract v2'), 'yaml');
  // Three runs: succeeded, failed (check), succeeded.
  for (const mode of ['ok', 'fail', 'ok']) {
    const run = await api.startRun('default', 'etl-wide', { parameters: { MODE: mode } });
    runIds.push(run.id);
    await finished(run.id);
  }
});

after(async () => {
  await ui?.close();
});

async function titled(path: string, title: string, ready: string): Promise<void> {
  await page.goto(`${ui.base}${path}`);
  await page.waitForSelector(ready);
  await page.waitForFunction((t) => document.title === t, title, { timeout: 10_000 }).catch(async () => {
    assert.fail(`${path}: the title is "${await page.title()}", expected "${title}"`);
  });
}

test('every page names itself in the tab title', async () => {
  const [first] = runIds;
  await titled('/dags', 'DAGs — Kontroler', 'h1:has-text("DAGs")');
  await titled('/dags/default/etl-wide', 'DAG etl-wide — Kontroler', '[data-testid=dag-page]');
  await titled(`/runs/${first}`, `Run #${first} · etl-wide — Kontroler`, '[data-testid=run-page]');
  await titled('/runs', 'Runs — Kontroler', 'h1:has-text("Runs")');
  await titled('/stats', 'Stats — Kontroler', 'h1:has-text("Stats")');
  await titled('/editor', 'New DAG — Kontroler', '[data-testid=editor]');
  await titled('/dags/default/etl-wide/edit', 'Edit etl-wide — Kontroler', '[data-testid=editor]');
  await titled('/admin/audit', 'Audit log — Kontroler', 'h1:has-text("Audit log")');
  await titled('/nowhere', 'Not found — Kontroler', 'h1:has-text("Not found")');
  assert.deepEqual(ui.pageErrors, []);
});

test('schedules read in words with their time zone (DAG list and DAG page); version times show without hovering', async () => {
  await page.goto(`${ui.base}/dags`);
  const cell = page.locator('tr[data-dag="etl-wide"] [data-testid=schedule]');
  await cell.waitFor();
  const listed = await cell.innerText();
  assert.match(listed, /30 2 \* \* 1-5/);
  assert.match(listed, /At 02:30, Monday through Friday/);
  assert.match(listed, /Europe\/Paris/);

  await page.goto(`${ui.base}/dags/default/etl-wide`);
  const head = page.locator('[data-testid=dag-page] [data-testid=schedule]');
  await head.waitFor();
  assert.match(await head.innerText(), /At 02:30, Monday through Friday[\s\S]*Europe\/Paris/);

  await page.getByRole('tab', { name: 'Versions' }).click();
  const times = page.locator('[data-testid=version-time]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=version-time]').length === 2);
  for (const t of await times.all()) {
    assert.ok(await t.isVisible());
    assert.match(await t.innerText(), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\s+\S/, 'a timestamp and how long ago, on the page');
  }
  await page.waitForSelector('[data-testid=diff] .added:has-text("extract v2")');
  await ui.shot(page, 'dag-versions');
  assert.deepEqual(ui.pageErrors, []);
});

test('the audit log shows what a DAG change changed (a diff of its versions) and the target and error of a failed action', async () => {
  // A failed apply: a task without an image.
  await assert.rejects(api.apply('DAG', 'default', ETL('broken').replace('      image: alpine:3.20\n      script: echo broken', '      script: echo broken'), 'yaml'));
  await page.goto(`${ui.base}/admin/audit`);
  await page.fill('input[aria-label="Filter by action"]', 'dag.apply');
  const failed = page.locator('tr[data-action="dag.apply"][data-outcome="failed"]').first();
  await failed.waitFor();
  assert.equal(await failed.locator('[data-testid=audit-target]').innerText(), 'default/etl-wide');
  assert.match(await failed.locator('[data-testid=audit-error]').innerText(), /VALIDATION_FAILED/);

  const changed = page.locator('tr[data-action="dag.apply"][data-outcome="ok"]', { has: page.locator('[data-testid=audit-diff-toggle]') }).first();
  await changed.locator('[data-testid=audit-diff-toggle]').click();
  await page.waitForSelector('.audit-diff-row [data-testid=diff] .added:has-text("extract v2")');
  await page.waitForSelector('.audit-diff-row [data-testid=diff] .removed:has-text("echo extract")');
  assert.match(await changed.innerText(), /v1 → v2/);
  await ui.shot(page, 'audit-log');
  assert.deepEqual(ui.pageErrors, []);
});

test('the DAG grid: runs × tasks coloured by state; a cell opens that run with that task selected', async () => {
  const [ok1, failed, ok2] = runIds as [number, number, number];
  await page.goto(`${ui.base}/dags/default/etl-wide?tab=grid`);
  const grid = page.locator('[data-testid=dag-grid]');
  await grid.locator('table.dag-grid').waitFor();
  // Columns oldest first; rows in declaration order.
  assert.deepEqual(await grid.locator('thead [data-run]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-run')))), [ok1, failed, ok2]);
  assert.deepEqual(await grid.locator('tbody tr').evaluateAll((els) => els.map((e) => e.getAttribute('data-task'))), ['extract', 'check', 'load']);
  const cell = (task: string, run: number) => grid.locator(`tbody tr[data-task="${task}"] [data-run="${run}"]`);
  assert.equal(await cell('check', failed).getAttribute('data-status'), 'failed');
  assert.equal(await cell('load', failed).getAttribute('data-status'), 'skipped');
  assert.equal(await cell('check', ok2).getAttribute('data-status'), 'succeeded');
  assert.equal(await grid.locator(`thead [data-run="${failed}"]`).getAttribute('data-status'), 'failed');
  // Coloured by state: a failed cell is drawn in the danger colour, a succeeded one in the success colour.
  const colours = await page.evaluate(() => {
    const probe = (v: string) => {
      const p = document.createElement('span');
      p.style.color = `var(${v})`;
      document.body.append(p);
      const c = getComputedStyle(p).color;
      p.remove();
      return c;
    };
    return { danger: probe('--danger'), success: probe('--success') };
  });
  assert.equal(await cell('check', failed).evaluate((e) => getComputedStyle(e).backgroundColor), colours.danger);
  assert.equal(await cell('extract', ok1).evaluate((e) => getComputedStyle(e).backgroundColor), colours.success);
  await ui.shot(page, 'dag-grid');

  await cell('check', failed).click();
  await page.waitForURL((u) => u.pathname === `/runs/${failed}` && u.searchParams.get('task') === 'check');
  await page.waitForSelector('[data-testid=task-panel][data-task="check"]');
  assert.deepEqual(ui.pageErrors, []);
});

test('the DAG list shows a strip of the last runs’ outcomes, oldest first, each opening its run', async () => {
  const [ok1, failed, ok2] = runIds as [number, number, number];
  await page.goto(`${ui.base}/dags`);
  const strip = page.locator('tr[data-dag="etl-wide"] [data-testid=outcome-strip]');
  await strip.waitFor();
  assert.deepEqual(
    await strip.locator('[data-run]').evaluateAll((els) => els.map((e) => [Number(e.getAttribute('data-run')), e.getAttribute('data-status')])),
    [[ok1, 'succeeded'], [failed, 'failed'], [ok2, 'succeeded']],
  );
  await ui.shot(page, 'dag-list-strip');
  await strip.locator(`[data-run="${failed}"]`).click();
  await page.waitForURL((u) => u.pathname === `/runs/${failed}`);
  assert.deepEqual(ui.pageErrors, []);
});

test('the stats page draws execution time apart from wall time per DAG', async () => {
  await page.goto(`${ui.base}/stats`);
  const chart = page.locator('[data-testid=duration-chart]');
  await chart.locator('.recharts-legend-wrapper').waitFor();
  const legend = await chart.locator('.recharts-legend-wrapper').innerText();
  for (const name of ['execution p50', 'execution p95', 'wall p95']) assert.ok(legend.includes(name), `legend has ${name}: ${legend}`);
  assert.match(await chart.innerText(), /Execution: while a task ran\. Wall: start to end, waits included/);
  await ui.shot(page, 'stats-durations');
  assert.deepEqual(ui.pageErrors, []);
});
