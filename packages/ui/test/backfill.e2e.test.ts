// The DAG page's Backfill form in a real browser: Debian's Chromium (playwright-core) against the
// real `kontroler up` (API server serving the UI bundle, controller, local runtime) on a fresh
// PostgreSQL database. The form previews the fire times (a dry run: nothing is created) before it
// can start the backfill; the backfill then runs to the end and its progress is listed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { KontrolerClient } from '@kontroler/client';
import { startUiInstance, type UiInstance } from './e2e-kit.js';

const PASSWORD = 'backfill-e2e-admin-password';

const DAGS = `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata: {name: hourly}
spec:
  schedule: "0 * * * *"
  timezone: Europe/Berlin
  suspended: true
  task:
    - name: load
      image: alpine
      script: echo "loading the hour before $KONTROLER_LOGICAL_TIME (from $KONTROLER_PREV_LOGICAL_TIME)"
`;

let ui: UiInstance | undefined;
let base: string;
let api: KontrolerClient;
let page: Page;
let pageErrors: string[];

before(async () => {
  ui = await startUiInstance('backfill', { password: PASSWORD, dags: { 'dags.yaml': DAGS } });
  ({ base, api, page, pageErrors } = ui);
});

after(async () => ui?.close());

test('Backfill: preview the fire times, then start it; its progress is listed until it succeeds', async () => {
  await page.goto(`${base}/dags/default/hourly`);
  const section = page.locator('[data-testid=backfills]');
  await section.locator('summary').click();
  await section.locator('input[name=backfill-from]').fill('2026-03-29T00:00:00Z');
  await section.locator('input[name=backfill-to]').fill('2026-03-29T06:00:00Z');
  await section.locator('input[name=backfill-max-active]').fill('2');
  const start = section.locator('button[type=submit]');
  assert.equal(await start.isDisabled(), true, 'nothing can start before the preview');

  await section.locator('button:has-text("Preview fire times")').click();
  const preview = section.locator('[data-testid=backfill-preview]');
  await preview.waitFor();
  assert.deepEqual(await preview.locator('li').allInnerTexts(), [
    '2026-03-29T01:00:00+01:00', '2026-03-29T03:00:00+02:00', '2026-03-29T04:00:00+02:00',
    '2026-03-29T05:00:00+02:00', '2026-03-29T06:00:00+02:00', '2026-03-29T07:00:00+02:00',
  ]);
  assert.match(await preview.innerText(), /6 fire time\(s\) in Europe\/Berlin/);
  assert.equal((await api.listBackfills({ namespace: 'default', dag: 'hourly' })).items.length, 0, 'the preview created nothing');
  await ui!.shot(page, 'backfill-preview');

  assert.equal(await start.innerText(), 'Start backfill (6 runs)');
  await start.click();
  const row = section.locator('table[aria-label=Backfills] tbody tr').first();
  await row.waitFor();
  await section.locator('tr[data-status=succeeded]').waitFor({ timeout: 90_000 });
  assert.match(await row.locator('[data-testid=backfill-progress]').innerText(), /^6\/6 done · 0 running · 0 failed · 0 pending/);
  await ui!.shot(page, 'backfill-done');

  const [b] = (await api.listBackfills({ namespace: 'default', dag: 'hourly' })).items;
  assert.equal(b?.status, 'succeeded');
  assert.equal(b?.createdBy, 'admin');
  const runs = (await api.listRuns({ dag: 'hourly', limit: 10 })).items;
  assert.deepEqual(runs.map((r) => r.logicalTime).sort(), ['2026-03-29T01:00:00+01:00', '2026-03-29T03:00:00+02:00', '2026-03-29T04:00:00+02:00', '2026-03-29T05:00:00+02:00', '2026-03-29T06:00:00+02:00', '2026-03-29T07:00:00+02:00']);
  const log = await api.logs(runs[0]!.id, 'load', 1);
  assert.match(log, new RegExp(`loading the hour before ${runs[0]!.logicalTime?.replace('+', '\\+')} \\(from ${runs[0]!.prevLogicalTime?.replace('+', '\\+')}\\)`));
  assert.deepEqual(pageErrors, []);
});
