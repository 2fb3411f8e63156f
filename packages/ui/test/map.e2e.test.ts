// Dynamic fan-out in a real browser: Debian's Chromium (playwright-core) against the real
// `kontroler up` (API server serving the UI bundle, controller, local runtime) on a fresh
// PostgreSQL database. A DAG lists three files, maps `process` over them (maxParallel 2) and sums
// the instances' outputs. The run page draws `process` as one node whose instance counts update
// live (its instances wait on a gate file the test creates, so the page sees two running, then
// all three done), its panel lists the instances with their items, an instance opens with its own
// log and outputs, and `sum` received the reduced outputs as a JSON array.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { KontrolerClient } from '@kontroler/client';
import { logContaining, startUiInstance, type UiInstance } from './e2e-kit.js';

const PASSWORD = 'map-e2e-admin-password';

let ui: UiInstance | undefined;
let gate: string;
let base: string;
let api: KontrolerClient;
let page: Page;
let pageErrors: string[];

/** The example DAG of the fan-out feature; each instance waits for the gate file after its first log line. */
function fanoutDag(gateFile: string): string {
  return `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata: {name: fanout}
spec:
  task:
    - name: list
      image: alpine
      outputs: [{name: files}]
      script: |
        echo '["a","b","c"]' > "$KONTROLER_OUTPUTS/files"
    - name: process
      runAfter: [list]
      image: alpine
      withParam: "{{tasks.list.outputs.files}}"
      maxParallel: 2
      outputs: [{name: size}]
      script: |
        echo "item {{item}}"
        while [ ! -e '${gateFile}' ]; do sleep 0.05; done
        printf '%s' "{{item}}-done" > "$KONTROLER_OUTPUTS/size"
    - name: sum
      runAfter: [process]
      image: alpine
      command: [echo, "{{tasks.process.outputs.size}}"]
`;
}

async function shot(name: string): Promise<void> {
  await ui!.shot(page, `map-${name}`);
}

before(async () => {
  ui = await startUiInstance('map', { password: PASSWORD });
  ({ base, api, page, pageErrors } = ui);
  gate = join(ui.tmp, 'gate');
});

after(async () => ui?.close());

test('a mapped task: one live node with its instance counts, an instances table, an instance log and outputs, reduced outputs downstream', async () => {
  const applied = await api.apply('DAG', 'default', fanoutDag(gate), 'yaml');
  assert.ok(applied, 'the DAG is stored');
  const run = await api.startRun('default', 'fanout');

  await page.goto(`${base}/runs/${run.id}`);
  await page.waitForSelector('[data-testid=run-page]');

  // Live, held at the gate: two instances run (maxParallel 2), none done, on the one node.
  const node = page.locator('.react-flow__node[data-id="process"]');
  await page.waitForSelector('.react-flow__node[data-id="process"] .map-marks[data-map-total="3"][data-map-running="2"][data-map-done="0"]');
  assert.equal(await page.locator('.react-flow__node[data-id^="process["]').count(), 0, 'instances are not nodes of the graph');
  assert.match(await node.innerText(), /\[×3\][\s\S]*running · 0\/3 done/);
  assert.equal(await node.locator('.map-chip.tone-running').innerText(), '2');
  assert.equal(await node.getAttribute('aria-label'), 'Mapped task process, running, 0/3 done');
  await shot('running-light');

  writeFileSync(gate, '');
  await page.waitForSelector('[data-testid=run-page][data-run-status=succeeded]', { timeout: 60_000 });
  await page.waitForSelector('.react-flow__node[data-id="process"] .map-marks[data-map-done="3"][data-map-running="0"][data-map-failed="0"]');
  assert.match(await node.innerText(), /\[×3\][\s\S]*succeeded · 3\/3 done/);
  assert.equal(await node.locator('.task-node').getAttribute('data-status'), 'succeeded');

  // The mapped task's panel: its counts, its reduced outputs, its instances with their items.
  await node.click();
  await page.waitForSelector('[data-testid=task-panel][data-task="process"][data-kind=map]');
  const panel = page.locator('[data-testid=task-panel]');
  assert.equal(await panel.locator('[data-instance-status=succeeded]').getAttribute('data-count'), '3');
  assert.match(await panel.locator('[data-testid=map-outputs] tr[data-output="size"]').innerText(), /size\s+\["a-done","b-done","c-done"\]/);
  assert.equal(await panel.locator('[data-testid=attempt-outputs]').count(), 0, 'a mapped task runs no attempt');
  await page.waitForSelector('[data-testid=instance-table] [data-task="process[2]"]');
  const rows = panel.locator('[data-testid=instance-table] .task-row:not(.head):not(.placeholder)');
  assert.equal(await rows.count(), 3);
  for (const [i, item] of ['a', 'b', 'c'].entries()) {
    const row = panel.locator(`[data-testid=instance-table] [data-task="process[${i}]"]`);
    assert.equal(await row.getAttribute('data-status'), 'succeeded');
    assert.equal(await row.locator('[data-item]').innerText(), item);
    assert.match(await row.innerText(), new RegExp(`^${i}\\s+${item}\\s+succeeded\\s+1\\s+`));
  }
  assert.match(await panel.locator('[data-testid=task-table-foot]').innerText(), /^3 instances$/);
  await shot('instances-light');

  // An instance opens like any task: its attempt, its log, its outputs; the node stays selected.
  await panel.locator('[data-testid=instance-table] [data-task="process[1]"]').click();
  await page.waitForSelector('[data-testid=task-panel][data-task="process[1]"][data-kind=instance]');
  assert.match(page.url(), /[?&]task=process%5B1%5D/);
  assert.equal(await page.locator('[data-testid=instance-item]').innerText(), 'b');
  assert.equal(await page.locator('[data-testid=task-panel] tr[data-attempt]').count(), 1);
  assert.match(await logContaining(page, 'item b'), /^item b$/m);
  assert.match(await page.locator('[data-testid=attempt-outputs] tr[data-output="size"]').innerText(), /size\s+b-done/);
  assert.equal(await page.locator('.react-flow__node.selected').getAttribute('data-id'), 'process');
  await shot('instance-light');

  // Opened from its address (a reload), the instance is read by name: one request, whatever its index.
  const read = page.waitForRequest((r) => r.method() === 'GET' && new URL(r.url()).pathname === `/api/v1/runs/${run.id}/tasks/process%5B1%5D`);
  await page.reload();
  await read;
  await page.waitForSelector('[data-testid=task-panel][data-task="process[1]"]');
  assert.match(await logContaining(page, 'item b'), /^item b$/m);
  await page.getByRole('button', { name: 'Back to process' }).click();
  await page.waitForSelector('[data-testid=task-panel][data-task="process"][data-kind=map]');

  // The timeline: process is one row whose bars are its instances' attempts; a bar opens its instance.
  await page.getByRole('tab', { name: 'Timeline' }).click();
  const row = page.locator('[data-testid=gantt] .gantt-row[data-task="process"]');
  await page.waitForSelector('[data-testid=gantt] .gantt-row[data-task="process"][data-instances-shown="3"]');
  assert.equal(await row.getAttribute('data-instances'), '3');
  assert.equal(await page.locator('[data-testid=gantt] .gantt-row[data-task^="process["]').count(), 0, 'instances are not rows of their own');
  const bars = await row.locator('.gantt-bar').evaluateAll((bs) => bs.map((b) => `${b.getAttribute('data-task')}#${b.getAttribute('data-attempt')}`));
  assert.deepEqual(bars.sort(), ['process[0]#1', 'process[1]#1', 'process[2]#1']);
  assert.equal(await row.getAttribute('data-lanes'), '2', 'maxParallel 2: two instances at once, two lanes');
  await shot('timeline-light');
  await row.locator('.gantt-bar[data-task="process[2]"]').click();
  await page.waitForSelector('[data-testid=task-panel][data-task="process[2]"][data-kind=instance]');
  assert.match(await logContaining(page, 'item c'), /^item c$/m);
  await page.getByRole('tab', { name: 'Graph' }).click();
  await page.getByRole('button', { name: 'Back to process' }).click();
  await page.waitForSelector('[data-testid=task-panel][data-task="process"][data-kind=map]');

  // Downstream, `sum` received the instances' outputs as one JSON array in item order.
  await page.click('.react-flow__node[data-id="sum"]');
  await page.waitForSelector('[data-testid=task-panel][data-task="sum"]');
  assert.match(await logContaining(page, 'a-done'), /^\["a-done","b-done","c-done"\]$/m);
  await page.click('[data-testid=resolved] summary');
  assert.match(await page.locator('[data-testid=resolved] pre').innerText(), /a-done\\",\\"b-done\\",\\"c-done/);
  assert.deepEqual(pageErrors, []);
});

test('a mapped task whose instances fail: failed with its reason, the failed instances and their exit codes; a map over no items succeeds', async () => {
  await api.apply(
    'DAG',
    'default',
    `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata: {name: fanfail}
spec:
  task:
    - name: none
      image: alpine
      withItems: []
      command: ["true"]
    - name: odd
      image: alpine
      withItems: [1, 2, 3, 4, 5]
      script: |
        echo "n={{item}} index=$KONTROLER_ITEM_INDEX"
        test $(( {{item}} % 2 )) -eq 1 || exit 3
`,
    'yaml',
  );
  const run = await api.startRun('default', 'fanfail');
  await page.goto(`${base}/runs/${run.id}`);
  await page.waitForSelector('[data-testid=run-page][data-run-status=failed]', { timeout: 60_000 });

  const odd = page.locator('.react-flow__node[data-id="odd"]');
  await page.waitForSelector('.react-flow__node[data-id="odd"] .map-marks[data-map-total="5"][data-map-done="5"][data-map-failed="2"]');
  assert.equal(await odd.locator('.task-node').getAttribute('data-status'), 'failed');
  assert.equal(await odd.locator('.map-chip.tone-danger').innerText(), '2');
  assert.match(await odd.innerText(), /\[×5\][\s\S]*failed · 5\/5 done · 2 of 5 instances failed/);
  const none = page.locator('.react-flow__node[data-id="none"]');
  await page.waitForSelector('.react-flow__node[data-id="none"] .map-marks[data-map-total="0"]');
  assert.equal(await none.locator('.task-node').getAttribute('data-status'), 'succeeded');
  assert.match(await none.innerText(), /\[×0\][\s\S]*succeeded · 0\/0 done/);

  await odd.click();
  await page.waitForSelector('[data-testid=task-panel][data-task="odd"] [data-testid=instance-table] [data-task="odd[4]"]');
  const panel = page.locator('[data-testid=task-panel]');
  assert.match(await panel.locator('.kv').innerText(), /2 of 5 instances failed/);
  assert.equal(await panel.locator('[data-instance-status=failed]').getAttribute('data-count'), '2');
  assert.equal(await panel.locator('[data-instance-status=succeeded]').getAttribute('data-count'), '3');
  const statuses = await panel.locator('[data-testid=instance-table] .task-row[data-task]').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-task')}=${r.getAttribute('data-status')}`));
  assert.deepEqual(statuses, ['odd[0]=succeeded', 'odd[1]=failed', 'odd[2]=succeeded', 'odd[3]=failed', 'odd[4]=succeeded']);
  assert.equal(await panel.locator('[data-testid=instance-table] [data-task="odd[3]"] [data-item]').innerText(), '4');
  await shot('failed-light');

  // The status chips filter the instances table (in the address, so a reload keeps it).
  await panel.locator('[data-testid=instance-counts] [data-instance-status=failed]').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=instance-table] .task-row[data-task]').length === 2);
  const failedRows = await panel.locator('[data-testid=instance-table] .task-row[data-task]').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-task')}=${r.getAttribute('data-status')}`));
  assert.deepEqual(failedRows, ['odd[1]=failed', 'odd[3]=failed']);
  assert.equal(await panel.locator('[data-testid=instance-counts] [data-instance-status=failed]').getAttribute('aria-pressed'), 'true');
  assert.match(await panel.locator('[data-testid=task-table-foot]').innerText(), /^2 instances$/);
  assert.match(page.url(), /[?&]istatus=failed(&|$)/);
  await page.reload();
  await page.waitForSelector('[data-testid=task-panel][data-task="odd"] [data-testid=instance-table] [data-task="odd[3]"]');
  assert.equal(await page.locator('[data-testid=instance-table] .task-row[data-task]').count(), 2);
  await shot('instances-filtered-light');
  await page.locator('[data-testid=instance-counts] button[aria-pressed=false]:has-text("all")').click();
  await page.waitForSelector('[data-testid=instance-table] [data-task="odd[4]"]');
  assert.equal(await page.locator('[data-testid=instance-table] .task-row[data-task]').count(), 5);
  assert.doesNotMatch(page.url(), /istatus=/);

  await panel.locator('[data-testid=instance-table] [data-task="odd[3]"]').click();
  await page.waitForSelector('[data-testid=task-panel][data-task="odd[3]"] tr[data-attempt="1"]');
  assert.match(await page.locator('[data-testid=task-panel] tr[data-attempt="1"]').innerText(), /failed\s+3/);
  assert.match(await logContaining(page, 'n=4'), /^n=4 index=3$/m);

  await page.click('.react-flow__node[data-id="none"]');
  await page.waitForSelector('[data-testid=task-panel][data-task="none"] [data-testid=instance-table]');
  assert.match(await page.locator('[data-testid=instance-table]').innerText(), /No instances\./);
  assert.deepEqual(pageErrors, []);
});
