// Child runs in a real browser: Debian's Chromium (playwright-core) against the real `kontroler up`
// (API server serving the UI bundle, controller, local runtime) on a fresh PostgreSQL database.
// `parent`'s task `sub` is a dagRef to `child`: the parent's node says it is a sub-DAG, its panel
// links to the child run, the child run's page links back to the parent with `sub` selected, and
// the runs list shows it as a child run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { KontrolerClient } from '@kontroler/client';
import { startUiInstance, type UiInstance } from './e2e-kit.js';

const PASSWORD = 'child-run-e2e-admin-password';

const DAGS = `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata: {name: child}
spec:
  parameters: [{name: WHO, defaultValue: nobody}]
  outputs: [{name: greeting, value: "{{tasks.hello.outputs.g}}"}]
  task:
    - name: hello
      image: alpine
      parameters: [WHO]
      outputs: [{name: g}]
      script: |
        echo "hello $WHO"; printf 'hi %s' "$WHO" > "$KONTROLER_OUTPUTS/g"
---
apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata: {name: parent}
spec:
  task:
    - name: sub
      dagRef: {name: child, parameters: [{name: WHO, value: ann}]}
      outputs: [{name: greeting}]
`;

let ui: UiInstance | undefined;
let base: string;
let api: KontrolerClient;
let page: Page;
let pageErrors: string[];

before(async () => {
  ui = await startUiInstance('child-run', { password: PASSWORD, dags: { 'dags.yaml': DAGS } });
  ({ base, api, page, pageErrors } = ui);
});

after(async () => ui?.close());

test('a dagRef task links to its child run, and the child run links back to it', async () => {
  const run = await api.startRun('default', 'parent');
  await page.goto(`${base}/runs/${run.id}`);
  await page.waitForSelector('[data-testid=run-page][data-run-status=succeeded]', { timeout: 60_000 });
  const node = page.locator('.react-flow__node[data-id="sub"]');
  await node.locator('[data-testid=sub-dag-mark]:has-text("↳ child")').waitFor();
  assert.equal(await node.locator('.task-node').getAttribute('data-status'), 'succeeded');

  await node.click();
  const panel = page.locator('[data-testid=task-panel][data-task="sub"]');
  await panel.waitFor();
  assert.equal(await panel.getAttribute('data-kind'), 'dagRef');
  await panel.locator('[data-testid=attempt-outputs] tr[data-output=greeting]').waitFor();
  assert.match(await panel.locator('[data-testid=attempt-outputs] tr[data-output=greeting]').innerText(), /greeting\s+hi ann/);
  const link = panel.locator('[data-testid=child-run-link]');
  const childId = (await api.getRun(run.id)).tasks.find((t) => t.name === 'sub')?.childRunId;
  assert.ok(childId !== undefined, 'the API names the child run');
  assert.equal(await link.innerText(), `child run #${childId}`);

  await link.click();
  await page.waitForURL(`${base}/runs/${childId}`);
  await page.waitForSelector('[data-testid=run-page][data-run-status=succeeded]');
  await page.waitForSelector('.react-flow__node[data-id="hello"] .task-node[data-status=succeeded]');
  const back = page.locator('[data-testid=parent-run] a');
  assert.equal(await back.innerText(), `run #${run.id} (task sub)`);
  assert.match(await page.locator('[data-testid=parent-run]').innerText(), new RegExp(`child run of run #${run.id} \\(task sub\\)`));

  await back.click();
  await page.waitForURL(`${base}/runs/${run.id}?task=sub`);
  await page.waitForSelector('[data-testid=task-panel][data-task="sub"]');
  await page.waitForSelector('.react-flow__node[data-id="sub"].selected');

  // The runs list: the child run's trigger says child. Its `↳ #M` parent link needs `parent` on
  // list items, which GET /runs does not send yet (the store's list query does not select it).
  await page.goto(`${base}/runs`);
  const row = page.locator(`tr[data-run="${childId}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /\bchild\b/);
  assert.deepEqual(pageErrors, []);
});
