// The run page in a real browser: Debian's Chromium (playwright-core) against the real `kontroler
// up` (API server serving the UI bundle, controller, local runtime) on a fresh PostgreSQL database.
// The attempts table keeps the chosen attempt in view (a retry's new attempt included); task
// actions from the panel (retry, mark), cancel asks first, re-run opens a pre-filled form; the
// graph's legend, durations, order and skip reasons; the timeline; the log viewer.
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
---
apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata: {name: actions}
spec:
  task:
    - {name: a, image: alpine, script: echo a}
    - {name: b, image: alpine, runAfter: [a], script: echo b fails; exit 2}
    - {name: c, image: alpine, runAfter: [b], script: echo c}
---
apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata: {name: fan}
spec:
  task:
    - {name: root, image: alpine, script: echo root}
    - {name: one, image: alpine, runAfter: [root], script: echo one}
    - {name: two, image: alpine, runAfter: [root], script: echo two; exit 5}
    - {name: three, image: alpine, runAfter: [root], script: echo three}
    - {name: join, image: alpine, runAfter: [one, two, three], script: echo join}
    - {name: last, image: alpine, runAfter: [join], script: echo last}
---
apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata: {name: timeline}
spec:
  task:
    - {name: prep, image: alpine, script: echo prep}
    - name: flaky
      image: alpine
      runAfter: [prep]
      script: echo "try $KONTROLER_ATTEMPT"; [ "$KONTROLER_ATTEMPT" -ge 3 ]
      backoff: {limit: 3}
      retry: {delaySeconds: 1, factor: 1}
    - {name: broken, image: alpine, script: exit 1}
    - {name: after-broken, image: alpine, runAfter: [broken], script: echo never}
---
apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata: {name: logs}
spec:
  task:
    - name: printer
      image: alpine
      script: |
        i=1; while [ $i -le 150 ]; do echo "line $i"; i=$((i+1)); done
        head -c 3000 /dev/zero | tr '\\0' 'x'; echo
    - name: ticker
      image: alpine
      script: |
        for i in 1 2 3 4; do echo "tick $i"; sleep 1; done
---
apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata: {name: slow}
spec:
  parameters: [{name: WHO, defaultValue: ann}]
  task:
    - {name: sleeper, image: alpine, parameters: [WHO], command: [sleep, "60"]}
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

test('task actions: mark a failed task succeeded (asked first), retry it; a running task cannot be marked (the tooltip says why)', async () => {
  const run = await api.startRun('default', 'actions');
  await page.goto(`${base}/runs/${run.id}?task=b`);
  await page.waitForSelector('[data-testid=run-page][data-run-status=failed]', { timeout: 60_000 });
  const bar = page.locator('[data-testid=task-panel][data-task="b"] [data-testid=task-actions]');
  await bar.getByRole('button', { name: 'Mark succeeded' }).click();
  const dialog = page.locator('dialog[open]');
  await dialog.getByText('b is failed. Marked succeeded').waitFor();
  await ui!.shot(page, 'task-mark-confirm');
  await dialog.getByRole('button', { name: 'Mark succeeded' }).click();
  await page.waitForSelector('[data-testid=run-page][data-run-status=succeeded]', { timeout: 30_000 });
  await page.locator('[data-testid=task-panel]').getByText('MarkedSucceeded: by admin').waitFor();
  assert.equal(await bar.getByRole('button', { name: 'Mark succeeded' }).isDisabled(), true, 'already succeeded');
  assert.match((await bar.getByRole('button', { name: 'Mark succeeded' }).getAttribute('title')) ?? '', /already succeeded/);
  await ui!.shot(page, 'task-marked-succeeded');

  // Retry it: a second attempt, the run fails again.
  await bar.getByRole('button', { name: 'Retry task' }).click();
  await page.waitForSelector('[data-testid=task-panel] tr[data-attempt="2"]', { timeout: 60_000 });
  await page.waitForSelector('[data-testid=run-page][data-run-status=failed]', { timeout: 60_000 });
  const audit = await api.listAudit({ limit: 20 });
  assert.ok(audit.items.some((e) => e.action === 'task.mark' && e.actor === 'user:admin'), JSON.stringify(audit.items.slice(0, 5)));
  assert.ok(audit.items.some((e) => e.action === 'task.retry' && e.actor === 'user:admin'));

  // Retry a with its downstream: a, b, c run again (b fails, c is skipped).
  await page.goto(`${base}/runs/${run.id}?task=a`);
  await page.locator('[data-testid=task-panel][data-task="a"] [data-testid=task-actions]').getByRole('button', { name: 'Retry with downstream' }).click();
  await page.waitForSelector('[data-testid=task-panel] tr[data-attempt="2"]', { timeout: 60_000 });
  await page.waitForSelector('[data-testid=run-page][data-run-status=failed]', { timeout: 60_000 });
  assert.equal((await api.getRunTask(run.id, 'b')).attempts.length, 3);

  // A running task: no mark, no retry, each saying why.
  const slow = await api.startRun('default', 'slow');
  await page.goto(`${base}/runs/${slow.id}?task=sleeper`);
  await page.waitForSelector('.task-node[data-status=running]', { timeout: 30_000 });
  const sbar = page.locator('[data-testid=task-panel][data-task="sleeper"] [data-testid=task-actions]');
  await sbar.waitFor();
  for (const name of ['Mark failed', 'Retry task']) {
    const b = sbar.getByRole('button', { name });
    assert.equal(await b.isDisabled(), true, `${name} is disabled on a running task`);
    assert.match((await b.getAttribute('title')) ?? '', /sleeper is running/);
  }
  // Cancel asks first: Keep leaves the run running; Cancel run cancels it.
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await page.locator('dialog[open]').getByText('Running attempts of slow are stopped').waitFor();
  await ui!.shot(page, 'run-cancel-confirm');
  await page.locator('dialog[open]').getByRole('button', { name: 'Keep' }).click();
  assert.equal(await page.locator('dialog[open]').count(), 0);
  assert.equal((await api.getRun(slow.id)).status, 'running');
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await page.locator('dialog[open]').getByRole('button', { name: 'Cancel run' }).click();
  await page.waitForSelector('[data-testid=run-page][data-run-status=canceled]', { timeout: 30_000 });
  assert.deepEqual(pageErrors, []);
});

test('re-run opens a form with the run\'s parameters filled in and editable', async () => {
  const first = await api.startRun('default', 'slow', { parameters: { WHO: 'zoe' } });
  await page.goto(`${base}/runs/${first.id}`);
  await page.waitForSelector('[data-testid=run-page]');
  await page.getByRole('button', { name: 'Re-run' }).click();
  const field = page.locator('[data-testid=rerun-form] input[name=param-WHO]');
  assert.equal(await field.inputValue(), 'zoe');
  await field.fill('bob');
  await ui!.shot(page, 'run-rerun-form');
  await page.locator('dialog[open]').getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL((u) => /\/runs\/\d+$/.test(u.pathname) && !u.pathname.endsWith(`/runs/${first.id}`));
  const id = Number(new URL(page.url()).pathname.split('/').pop());
  assert.deepEqual((await api.getRun(id)).parameters, { WHO: 'bob' });
  await api.cancelRun(id);
  await api.cancelRun(first.id);
  assert.deepEqual(pageErrors, []);
});

test('graph: a legend of the state colours, durations on nodes, a fan-out in declaration order, a skip naming the failed upstream task', async () => {
  const run = await api.startRun('default', 'fan');
  await page.goto(`${base}/runs/${run.id}`);
  await page.waitForSelector('[data-testid=run-page][data-run-status=failed]', { timeout: 60_000 });
  const legend = page.locator('[data-testid=graph-legend]');
  await legend.waitFor();
  assert.deepEqual(await legend.locator('.legend-item').allInnerTexts(), ['pending · waiting', 'running', 'succeeded', 'failed', 'skipped · canceled', 'awaiting approval']);
  // Declaration order, top to bottom.
  const ys: number[] = [];
  for (const n of ['one', 'two', 'three']) ys.push((await page.locator(`.react-flow__node[data-id="${n}"]`).boundingBox())!.y);
  assert.ok(ys[0]! < ys[1]! && ys[1]! < ys[2]!, `one, two, three top to bottom: ${ys.join(', ')}`);
  // Durations of ended tasks; the skip names the failed task, also after another skip.
  assert.match(await page.locator('.react-flow__node[data-id="root"] [data-testid=node-duration]').innerText(), /^\d+ ms$|^\d+\.\d s$/);
  assert.equal(await page.locator('.react-flow__node[data-id="join"] [data-testid=node-duration]').count(), 0, 'a skipped task ran nothing');
  assert.match(await page.locator('.react-flow__node[data-id="join"] .detail').innerText(), /skipped · UpstreamFailed: two/);
  assert.match(await page.locator('.react-flow__node[data-id="last"] .detail').innerText(), /skipped · UpstreamFailed: two/);
  await page.click('.react-flow__node[data-id="last"]');
  assert.equal(await page.locator('[data-testid=task-reason]').innerText(), 'upstream task two failed (UpstreamFailed: two)');
  await ui!.shot(page, 'run-graph-legend');
  assert.deepEqual(pageErrors, []);
});

test('timeline: clock times on the axis, the retry delay before each retry drawn apart, the selected task highlighted, a skipped row labelled', async () => {
  const run = await api.startRun('default', 'timeline');
  await page.goto(`${base}/runs/${run.id}?view=timeline&task=flaky`);
  await page.waitForSelector('[data-testid=run-page][data-run-status=failed]', { timeout: 60_000 });
  const gantt = page.locator('[data-testid=gantt]');
  await gantt.locator('.gantt-row[data-task="flaky"] .gantt-bar[data-attempt="3"]').waitFor();
  assert.equal(await gantt.locator('.gantt-row[data-task="flaky"]').getAttribute('aria-selected'), 'true');
  assert.equal(await gantt.locator('.gantt-row[aria-selected=true]').count(), 1);
  assert.equal(await gantt.locator('.gantt-row[data-task="flaky"] .gantt-wait[data-wait=retry]').count(), 2, 'a retry delay before attempts 2 and 3');
  const w = await gantt.locator('.gantt-row[data-task="flaky"] .gantt-wait[data-wait=retry]').first().boundingBox();
  assert.ok(w && w.width > 5, `the 1 s delay is drawn (${w?.width} px)`);
  assert.equal(await gantt.locator('.gantt-row[data-task="after-broken"] [data-testid=gantt-note]').innerText(), 'skipped — UpstreamFailed: broken');
  const ticks = await gantt.locator('.gantt-axis .tick').allInnerTexts();
  assert.ok(ticks.length >= 2 && ticks.every((t) => /^\d\d:\d\d(:\d\d(\.\d{1,3})?)?$|^\.\d{1,3}$/.test(t)), `clock times: ${ticks.join(' ')}`);
  await ui!.shot(page, 'run-timeline');
  // Another task selected from its bar: the highlight follows.
  await gantt.locator('.gantt-row[data-task="prep"] .gantt-bar').click();
  await page.waitForSelector('[data-testid=gantt] .gantt-row[data-task="prep"][aria-selected=true]');
  assert.deepEqual(pageErrors, []);
});

test('log viewer: #L120 selects line 120 of the task (the runtime notice is not numbered), links, matching only, wrap, times, full screen', async () => {
  const run = await api.startRun('default', 'logs');
  await page.goto(`${base}/runs/${run.id}?task=printer`);
  await page.waitForSelector('[data-testid=run-page][data-run-status=succeeded]', { timeout: 60_000 });
  await page.goto(`${base}/runs/${run.id}?task=printer#L120`);
  const viewer = page.locator('[data-testid=log-viewer]');
  await page.waitForSelector('[data-testid=log-viewer][data-state=ended]');
  const target = viewer.locator('.log-line.target');
  await target.waitFor();
  assert.equal(await target.getAttribute('data-line'), '120');
  assert.match(await target.innerText(), /^120\s*line 120$/);
  const box = (await viewer.locator('.log-scroll').boundingBox())!;
  const t = (await target.boundingBox())!;
  assert.ok(t.y >= box.y && t.y + t.height <= box.y + box.height, 'line 120 is scrolled into view');
  await ui!.shot(page, 'log-line-link');
  // A line number is a link: the URL names it.
  await viewer.locator('.log-line[data-line="118"] a.ln').click();
  await page.waitForFunction(() => location.hash === '#L118');
  assert.match(page.url(), /\?task=printer#L118$/);
  // The runtime's notice is the log's first line, with no number.
  await viewer.locator('.log-scroll').evaluate((el) => { el.scrollTop = 0; });
  const own = viewer.locator('.log-line[data-own=true]').first();
  await own.waitFor();
  assert.match(await own.innerText(), /\[kontroler\] local runtime/);
  assert.match(await viewer.locator('.log-line[data-line="1"]').innerText(), /^1\s*line 1$/);

  // Matching only.
  await viewer.getByLabel('Search the log').fill('line 1');
  await viewer.getByRole('button', { name: 'Matching only' }).click();
  await page.waitForFunction(() => document.querySelector('[data-testid=log-viewer] .log-status')?.textContent?.includes('62 of 152 lines'));
  const texts = await viewer.locator('.log-line').allInnerTexts();
  assert.ok(texts.length > 0 && texts.every((x) => /line 1/.test(x)), texts.slice(0, 5).join(' | '));
  await viewer.getByRole('button', { name: 'Matching only' }).click();
  await viewer.getByLabel('Search the log').fill('');

  // Wrap: the 3,000-character line takes several rows.
  await viewer.locator('.log-scroll').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  const long = viewer.locator('.log-line[data-line="151"]');
  await long.waitFor();
  assert.ok((await long.boundingBox())!.height <= 20);
  await viewer.getByRole('button', { name: 'Wrap' }).click();
  await page.waitForFunction(() => (document.querySelector('[data-testid=log-viewer] .log-line[data-line="151"]')?.getBoundingClientRect().height ?? 0) > 40);
  // Times: each line the time its chunk was stored.
  await viewer.getByRole('button', { name: 'Times' }).click();
  await page.waitForFunction(() => /^\d\d:\d\d:\d\d\.\d{3}$/.test(document.querySelector('[data-testid=log-viewer] .log-line[data-line="150"] .lt')?.textContent ?? ''));
  await ui!.shot(page, 'log-wrap-times');
  // Full screen, and Esc leaves it (the task panel stays open).
  await viewer.getByRole('button', { name: 'Full screen' }).click();
  await page.waitForSelector('[data-testid=log-viewer].full');
  const fb = (await viewer.boundingBox())!;
  const vp = page.viewportSize()!;
  assert.ok(fb.x <= 0 && fb.y <= 0 && fb.width >= vp.width - 1 && fb.height >= vp.height - 1, `full screen: ${JSON.stringify(fb)}`);
  await ui!.shot(page, 'log-full-screen');
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=log-viewer]:not(.full)');
  assert.equal(await page.locator('[data-testid=task-panel]').count(), 1, 'Esc left full screen only');
  assert.deepEqual(pageErrors, []);
});

test('log viewer: following a running attempt ends when the attempt ends', async () => {
  const run = await api.startRun('default', 'logs');
  await page.goto(`${base}/runs/${run.id}?task=ticker`);
  const viewer = page.locator('[data-testid=log-viewer]');
  await page.waitForSelector('[data-testid=log-viewer][data-state=following]', { timeout: 30_000 });
  await viewer.getByRole('button', { name: '⇣ Following' }).waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=log-viewer] .log-scroll')?.textContent?.includes('tick 1'));
  await page.waitForSelector('[data-testid=log-viewer][data-state=ended]', { timeout: 30_000 });
  assert.equal(await viewer.getByRole('button', { name: /Follow/ }).count(), 0, 'nothing to follow once the attempt ended');
  assert.match(await viewer.locator('.log-status').innerText(), /complete/);
  assert.match(await viewer.locator('.log-scroll').innerText(), /tick 4/);
  assert.deepEqual(pageErrors, []);
});
