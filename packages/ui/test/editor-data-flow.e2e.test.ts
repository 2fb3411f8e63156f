// The editor's data-flow forms in a real browser: Debian's Chromium (playwright-core) against the
// real `kontroler up` (API server serving the UI bundle, controller, local runtime) on a fresh
// PostgreSQL database. A person builds, in the visual editor only, a DAG whose first task declares
// an output (a bad name first: core's message shows on that field until it is fixed), a mapped
// task (withItems, maxParallel) that runs only `when` the output says so and gets it through env,
// an approval task, and a DAG output; the saved DAG has exactly those fields (read through the
// API); a run waits at the approval, is approved, and succeeds with the DAG output. Then a DAG
// applied with fields the form does not show is opened, edited in the form and saved: every
// field is kept.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { parse } from 'yaml';
import { KontrolerClient } from '@kontroler/client';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { assertBrowserParts, freePort, launchChromium, ROOT, startKontroler, stopKontroler, type Started } from './e2e-kit.js';

const PASSWORD = 'editor-flow-e2e-admin-password';
const SHOTS = join(ROOT, 'test-output', 'screenshots');

let db: TestDatabase;
let tmp: string;
let up: Started | undefined;
let base: string;
let api: KontrolerClient;
let ctx: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `editor-data-flow-${name}.png`) });
}

/** Replaces the text of the CodeMirror editor inside `host`. */
async function setCode(host: string, text: string): Promise<void> {
  await page.click(`${host} .cm-content`);
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

/** Adds a task with the palette's button and names it; its form is open afterwards. */
async function addTask(name: string): Promise<void> {
  await page.click('[data-testid=add-task]');
  await page.waitForSelector('[data-testid=task-form]');
  await page.fill('input[name=task-name]', name);
  await page.press('input[name=task-name]', 'Enter');
  await page.waitForSelector(`.react-flow__node[data-id="${name}"]`);
  await page.waitForSelector(`[data-testid=task-form][aria-label="Task ${name}"]`);
}

async function runsAfter(upstream: string): Promise<void> {
  await page.locator(`[data-testid=task-form] label.row:has-text("${upstream}") input[type=checkbox]`).check();
  // Attached, not visible: new tasks may sit on top of each other until auto-layout.
  await page.waitForSelector(`.react-flow__edge[data-id="${upstream}->${await page.locator('input[name=task-name]').inputValue()}"]`, { state: 'attached' });
}

const valid = () => page.waitForSelector('[data-testid=problem-count]:has-text("valid")');

before(async () => {
  assertBrowserParts();
  db = await createTestDatabase();
  tmp = mkdtempSync(join(tmpdir(), 'kontroler-ui-editor-flow-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  up = await startKontroler(
    ['up', '--dags', join(tmp, 'dags'), '--data-dir', join(tmp, 'data'), '--port', String(port)],
    { DATABASE_URL: db.url, KONTROLER_ADMIN_PASSWORD: PASSWORD, KONTROLER_CONTROLLER_ID: `ui-editor-flow-${port}` },
    /Kontroler is up/,
  );
  const login = await new KontrolerClient({ baseUrl: base }).login('admin', PASSWORD);
  api = new KontrolerClient({ baseUrl: base, token: login.token });
  ctx = await launchChromium(join(tmp, 'profile'));
  page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${base}/`);
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('h1:has-text("DAGs")');
});

after(async () => {
  await ctx?.close().catch(() => undefined);
  await stopKontroler(up?.child);
  await db?.drop().catch(() => undefined);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const EXPECTED = {
  task: [
    { name: 'produce', image: 'alpine:3.20', script: 'echo 3 > "$KONTROLER_OUTPUTS/count"', outputs: [{ name: 'count', description: 'how many' }] },
    {
      name: 'each',
      image: 'alpine:3.20',
      runAfter: ['produce'],
      when: 'tasks.produce.outputs.count == "3"',
      withItems: ['a', 'b'],
      maxParallel: 1,
      script: 'echo "item $KONTROLER_ITEM of $COUNT"',
      env: [{ name: 'COUNT', value: '{{tasks.produce.outputs.count}}' }],
    },
    { name: 'gate', runAfter: ['each'], approval: { message: 'Ship {{tasks.produce.outputs.count}}?', timeoutSeconds: 3600, inputs: ['ticket'] } },
  ],
  outputs: [{ name: 'count', value: '{{tasks.produce.outputs.count}}' }],
};

test('build a DAG with outputs, a condition, a map and an approval in the editor; a bad output name is named on its field; saved exactly', async () => {
  await page.goto(`${base}/editor`);
  await page.waitForSelector('[data-testid=canvas]');
  await page.fill('input[name=dag-name]', 'flow-e2e');

  await addTask('produce');
  await setCode('[data-testid=code-script]', 'echo 3 > "$KONTROLER_OUTPUTS/count"');
  await page.click('[data-testid=add-output]');
  await page.fill('input[name=output-0-name]', 'bad name!');
  // Core's message, named by the row and column, next to the field; the field is marked; no save.
  const err = page.locator('[data-testid=rows-output] .field-error[data-at="outputs[0].name"]');
  await err.waitFor();
  assert.equal(await err.innerText(), 'output 1 name: "bad name!" may contain only letters, digits, "_" and "-" (it is a file name under $KONTROLER_OUTPUTS)');
  assert.equal(await page.locator('input[name=output-0-name]').getAttribute('aria-invalid'), 'true');
  await page.waitForSelector('[data-testid=problem-count]:has-text("1 problem")');
  assert.ok(await page.locator('[data-testid=save]').isDisabled());
  await page.waitForSelector('.react-flow__node[data-id="produce"] .has-errors');
  await shot('bad-output-name');
  await page.fill('input[name=output-0-name]', 'count');
  await page.fill('input[name=output-0-description]', 'how many');
  await valid();
  assert.equal(await err.count(), 0);

  await addTask('each');
  await runsAfter('produce');
  await setCode('[data-testid=code-script]', 'echo "item $KONTROLER_ITEM of $COUNT"');
  await page.fill('textarea[name=task-when]', 'tasks.produce.outputs.count ==');
  await page.waitForSelector('[data-testid=data-flow] .field-error[data-at=when]');
  assert.match(await page.locator('[data-testid=data-flow] .field-error[data-at=when]').innerText(), /^not a valid CEL expression: /);
  await page.fill('textarea[name=task-when]', 'tasks.produce.outputs.count == "3"');
  await page.selectOption('select[name=task-map]', 'items');
  await page.fill('textarea[name=task-with-items]', '["a", "b"');
  await page.waitForSelector('[data-testid=data-flow] .field-error[data-at=withItems]:has-text("not a list")');
  await page.fill('textarea[name=task-with-items]', '["a", "b"]');
  await page.fill('input[name=task-max-parallel]', '1');
  await page.click('[data-testid=add-env]');
  await page.fill('input[name=env-0-name]', 'COUNT');
  await page.fill('input[name=env-0-value]', '{{tasks.produce.outputs.count}}');
  await valid();

  await addTask('gate');
  await runsAfter('each');
  await page.click('[data-testid=task-form] button[data-kind=approval]');
  await page.waitForSelector('[data-testid=approval-fields]');
  assert.equal(await page.locator('input[name=task-image]').count(), 0, 'an approval has no image');
  await page.fill('textarea[name=approval-message]', 'Ship {{tasks.produce.outputs.count}}?');
  await page.fill('input[name=approval-timeout]', '3600');
  await page.click('[data-testid=add-approval-input]');
  await page.fill('input[name=approval-input-0-name]', 'comment');
  await page.waitForSelector('[data-testid=rows-approval-input] .field-error[data-at="approval.inputs[0]"]:has-text("an output every approval has")');
  await page.fill('input[name=approval-input-0-name]', 'ticket');
  await valid();

  // The DAG's own output, in the DAG settings (no task selected).
  await page.click('.react-flow__pane', { position: { x: 5, y: 5 } });
  await page.waitForSelector('[data-testid=dag-settings]');
  await page.click('[data-testid=add-dag-output]');
  await page.fill('input[name=dag-output-0-name]', 'count');
  await page.fill('input[name=dag-output-0-value]', '{{tasks.nope.outputs.count}}');
  await page.waitForSelector('[data-testid=rows-dag-output] .field-error[data-at="spec.outputs[0].value"]:has-text("unknown task")');
  await page.fill('input[name=dag-output-0-value]', '{{tasks.produce.outputs.count}}');
  await valid();

  // The YAML view holds the same document.
  await page.getByRole('button', { name: 'Graph + YAML' }).click();
  const yaml = await page.locator('[data-testid="code-DAG YAML"] .cm-content').innerText();
  assert.deepEqual((parse(yaml) as { spec: unknown }).spec, EXPECTED);
  await shot('built');

  await page.click('[data-testid=save]');
  await page.waitForSelector('[data-testid=dag-page]');
  assert.match(page.url(), /\/dags\/default\/flow-e2e$/);
  const saved = await api.getDag('default', 'flow-e2e');
  assert.deepEqual(saved.spec, EXPECTED);
  assert.deepEqual(pageErrors, []);
});

test('a run of it maps over the items, waits at the approval, and succeeds with the DAG output once approved', async () => {
  const run = await api.startRun('default', 'flow-e2e');
  await page.goto(`${base}/runs/${run.id}?task=gate`);
  await page.waitForSelector('.react-flow__node[data-id="gate"] .task-node[data-approval=waiting]', { timeout: 60_000 });
  const waiting = await api.getRun(run.id);
  const each = waiting.tasks.find((t) => t.name === 'each');
  assert.equal(each?.status, 'succeeded');
  assert.deepEqual(each?.instanceCounts, { succeeded: 2 });
  await api.approveTask(run.id, 'gate', { inputs: { ticket: 'T-1' }, comment: 'ok' });
  await page.waitForSelector('[data-testid=run-page][data-run-status=succeeded]', { timeout: 60_000 });
  assert.deepEqual((await api.getRun(run.id)).outputs, { count: '3' });
  assert.deepEqual(pageErrors, []);
});

const WITH_HIDDEN = `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata: {name: kept}
spec:
  catchUp: 2
  kontrolerToken: true
  task:
    - name: list
      image: alpine:3.20
      scriptInjectorImage: busybox:1.36
      kontrolerToken: false
      retry: {delaySeconds: 1, factor: 3, maxDelaySeconds: 9}
      script: echo '["x"]' > "$KONTROLER_OUTPUTS/files"
      outputs: [{name: files}]
    - name: size
      image: alpine:3.20
      runAfter: [list]
      withParam: "{{tasks.list.outputs.files}}"
      maxParallel: 3
      command: ["echo", "{{item}}"]
    - name: sub
      runAfter: [size]
      dagRef: {name: flow-e2e, parameters: [{name: P, value: "{{tasks.list.outputs.files}}"}]}
      outputs: [{name: count}]
    - name: gate
      runAfter: [sub]
      approval: {message: "ok?", onTimeout: Approve, timeoutSeconds: 60, inputs: [ticket]}
  outputs: [{name: files, value: "{{tasks.list.outputs.files}}"}]
`;

test('a DAG with fields the form does not show, opened in the editor, edited and saved, keeps every field', async () => {
  await api.apply('DAG', 'default', WITH_HIDDEN, 'yaml');
  const before = await api.getDag('default', 'kept');
  await page.goto(`${base}/dags/default/kept/edit`);
  await page.waitForSelector('.react-flow__node[data-id="gate"]');
  await valid();

  await page.click('.react-flow__node[data-id="size"]');
  await page.waitForSelector('[data-testid=task-form][aria-label="Task size"]');
  assert.equal(await page.locator('select[name=task-map]').inputValue(), 'param');
  assert.equal(await page.locator('input[name=task-with-param]').inputValue(), '{{tasks.list.outputs.files}}');
  assert.equal(await page.locator('input[name=task-max-parallel]').inputValue(), '3');

  await page.click('.react-flow__node[data-id="sub"]');
  await page.waitForSelector('[data-testid=task-form][aria-label="Task sub"] [data-testid=dag-ref]');
  assert.equal(await page.locator('button[data-kind=dagRef]').getAttribute('aria-pressed'), 'true');
  assert.equal(await page.locator('input[name=task-dag-ref]').inputValue(), 'flow-e2e');
  assert.equal(await page.locator('input[name=dag-ref-param-0-value]').inputValue(), '{{tasks.list.outputs.files}}');
  await shot('sub-dag');

  await page.click('.react-flow__node[data-id="gate"]');
  await page.waitForSelector('[data-testid=task-form][aria-label="Task gate"] [data-testid=approval-fields]');
  assert.equal(await page.locator('select[name=approval-on-timeout]').inputValue(), 'Approve');
  await shot('approval');
  await page.fill('textarea[name=approval-message]', 'ready?');
  await valid();
  await page.click('[data-testid=save]');
  await page.waitForSelector('[data-testid=dag-page]');

  const saved = await api.getDag('default', 'kept');
  const expected = structuredClone(before.spec) as { task: Array<{ name: string; approval?: { message?: string } }> };
  expected.task.find((t) => t.name === 'gate')!.approval!.message = 'ready?';
  assert.deepEqual(saved.spec, expected);
  assert.deepEqual(pageErrors, []);
});

test('the YAML view and the data-flow form stay in sync both ways', async () => {
  await page.goto(`${base}/dags/default/kept/edit`);
  await page.waitForSelector('.react-flow__node[data-id="size"]');
  await page.getByRole('button', { name: 'Graph + YAML' }).click();
  await page.click('.react-flow__node[data-id="size"]');
  await page.waitForSelector('[data-testid=task-form][aria-label="Task size"]');
  assert.equal(await page.locator('select[name=task-map]').inputValue(), 'param');

  // YAML → form: the map becomes a list of items.
  const yamlHost = '[data-testid="code-DAG YAML"]';
  const text = await page.locator(`${yamlHost} .cm-content`).innerText();
  assert.match(text, /withParam: "\{\{tasks\.list\.outputs\.files\}\}"/);
  await setCode(yamlHost, text.replace(/withParam: "\{\{tasks\.list\.outputs\.files\}\}"/, 'withItems: [p, q]'));
  await page.waitForFunction(() => document.querySelector<HTMLSelectElement>('select[name=task-map]')?.value === 'items');
  assert.equal(await page.locator('textarea[name=task-with-items]').inputValue(), '["p","q"]');
  await valid();

  // Form → YAML: maxParallel and a new output show in the text.
  await page.fill('input[name=task-max-parallel]', '5');
  await page.click('[data-testid=add-output]');
  await page.fill('input[name=output-0-name]', 'size');
  await page.waitForFunction(
    (host) => /maxParallel: 5[\s\S]*outputs:\n\s+- name: size\n/.test(document.querySelector<HTMLElement>(`${host} .cm-content`)?.innerText ?? ''),
    yamlHost,
  );
  const after = parse(await page.locator(`${yamlHost} .cm-content`).innerText()) as { spec: { task: Array<Record<string, unknown>> } };
  const size = after.spec.task.find((t) => t['name'] === 'size');
  assert.deepEqual(size, { name: 'size', image: 'alpine:3.20', runAfter: ['list'], withItems: ['p', 'q'], maxParallel: 5, command: ['echo', '{{item}}'], outputs: [{ name: 'size' }] });
  await valid();
  assert.deepEqual(pageErrors, []);
});
