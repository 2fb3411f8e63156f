// The run page in a real browser: Debian's Chromium (playwright-core) against the real `kontroler
// up` (API server serving the UI bundle, controller, local runtime) on a fresh PostgreSQL database.
// The attempts table keeps the chosen attempt in view (a retry's new attempt included).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { KontrolerClient } from '@kontroler/client';
import { startUiInstance, type UiInstance } from './e2e-kit.js';

const PASSWORD = 'run-page-e2e-admin-password';

const DAGS = `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata: {name: many-attempts}
spec:
  task:
    - name: flaky
      image: alpine
      script: echo "attempt $KONTROLER_ATTEMPT of flaky"; exit 4
      backoff: {limit: 6}
`;

let ui: UiInstance | undefined;
let base: string;
let api: KontrolerClient;
let page: Page;
let pageErrors: string[];

before(async () => {
  ui = await startUiInstance('run-page', { password: PASSWORD, dags: { 'dags.yaml': DAGS } });
  ({ base, api, page, pageErrors } = ui);
});

after(async () => ui?.close());

/** Waits until attempt `n`'s row is the chosen one and wholly visible in the attempts table's scroll box. */
async function chosenRowInView(p: Page, n: number): Promise<void> {
  await p.waitForFunction((n) => {
    const box = document.querySelector('[data-testid=attempts-box]');
    const row = box?.querySelector(`tr[data-attempt="${n}"]`);
    if (!box || !row || !row.classList.contains('sel')) return false;
    const b = box.getBoundingClientRect();
    const r = row.getBoundingClientRect();
    const head = box.querySelector('thead')?.getBoundingClientRect().height ?? 0;
    return r.top >= b.top + head - 1 && r.bottom <= b.bottom + 1;
  }, n);
}

test('after Retry failed, the new attempt is chosen and its row is scrolled into view while its log is shown', async () => {
  const run = await api.startRun('default', 'many-attempts');
  await page.goto(`${base}/runs/${run.id}?task=flaky`);
  await page.waitForSelector('[data-testid=run-page][data-run-status=failed]', { timeout: 60_000 });
  await page.waitForSelector('[data-testid=task-panel] tr[data-attempt="7"]');
  // Seven rows do not fit the table's box: the last (chosen) one is scrolled to.
  const overflow = await page.locator('[data-testid=attempts-box]').evaluate((b) => b.scrollHeight > b.clientHeight);
  assert.equal(overflow, true, 'the attempts overflow their box (else the test proves nothing)');
  await chosenRowInView(page, 7);
  // The user scrolls the table to its top, then retries.
  await page.locator('[data-testid=attempts-box]').evaluate((b) => { b.scrollTop = 0; });
  await page.getByRole('button', { name: 'Retry failed' }).click();
  await page.waitForSelector('[data-testid=task-panel] tr[data-attempt="8"]', { timeout: 60_000 });
  await page.waitForSelector('[data-testid=run-page][data-run-status=failed]', { timeout: 60_000 });
  const last = Number(await page.locator('[data-testid=task-panel] tbody tr').last().getAttribute('data-attempt'));
  assert.ok(last >= 8, `the retry added attempts (last: ${last})`);
  await chosenRowInView(page, last);
  await page.waitForFunction((n) => document.querySelector('[data-testid=log-viewer] .log-scroll')?.textContent?.includes(`attempt ${n} of flaky`), last);
  await ui!.shot(page, 'run-retry-attempt-in-view');
  assert.deepEqual(pageErrors, []);
});
