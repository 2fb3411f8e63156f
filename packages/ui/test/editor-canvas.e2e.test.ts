// The editor's canvas in Chromium against `kontroler up`: where new tasks land (a dropped task
// where it was dropped, even the first one of a new DAG; "+ Add task" inside the visible canvas,
// the view following when it is full), and the warning on a DAG that a file of the DAG folder
// manages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { canvasSettled, startUiInstance, type UiInstance } from './e2e-kit.js';

let ui: UiInstance;
let page: Page;

const FOLDER_DAG = `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata:
  name: from-folder
spec:
  task:
    - name: only
      image: alpine:3.20
      script: echo from the folder
`;

before(async () => {
  ui = await startUiInstance('editor-canvas', { password: 'editor-canvas-password', dags: { 'from-folder.yaml': FOLDER_DAG } });
  page = ui.page;
});

after(async () => {
  await ui?.close();
});


type Box = { x: number; y: number; width: number; height: number };

async function nodeBox(name: string): Promise<Box> {
  const b = await page.locator(`.react-flow__node[data-id="${name}"]`).boundingBox();
  assert.ok(b, `task ${name} is drawn`);
  return b;
}

function inside(inner: Box, outer: Box): boolean {
  return inner.x >= outer.x - 0.5 && inner.y >= outer.y - 0.5 && inner.x + inner.width <= outer.x + outer.width + 0.5 && inner.y + inner.height <= outer.y + outer.height + 0.5;
}

function overlap(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** The message of the next dialog (window.confirm), answered as `answer`. */
function nextDialog(answer: 'accept' | 'dismiss'): Promise<string> {
  return new Promise((resolve) =>
    page.once('dialog', (d) => {
      resolve(d.message());
      void (answer === 'accept' ? d.accept() : d.dismiss());
    }),
  );
}

async function openNewDag(): Promise<void> {
  await page.goto(`${ui.base}/editor`);
  await page.waitForSelector('[data-testid=canvas] .react-flow__pane');
}

test('in a new DAG the first dropped task lands where it was dropped, as do the next ones (the view does not move)', async () => {
  await openNewDag();
  const canvas = page.locator('[data-testid=canvas]');
  const cbox = (await canvas.boundingBox())!;
  const viewport = () => page.$eval('.react-flow__viewport', (el) => getComputedStyle(el).transform);
  const before = await viewport();
  const drops = [
    { x: 120, y: 90 },
    { x: 420, y: 300 },
    { x: 200, y: 420 },
  ];
  for (const [i, at] of drops.entries()) {
    await page.locator('.palette-item[data-template=script]').dragTo(canvas, { targetPosition: at });
    await page.waitForSelector(`.react-flow__node[data-id="task-${i + 1}"]`);
    await canvasSettled(page);
    const b = await nodeBox(`task-${i + 1}`);
    // The node is centred on the drop point (within a couple of pixels of rounding).
    assert.ok(Math.abs(b.x + b.width / 2 - (cbox.x + at.x)) <= 3, `task-${i + 1} centred at x ${cbox.x + at.x}, is at ${b.x + b.width / 2}`);
    assert.ok(Math.abs(b.y + b.height / 2 - (cbox.y + at.y)) <= 3, `task-${i + 1} centred at y ${cbox.y + at.y}, is at ${b.y + b.height / 2}`);
  }
  assert.equal(await viewport(), before, 'dropping tasks does not move the view');
  const boxes = await Promise.all([1, 2, 3].map((i) => nodeBox(`task-${i}`)));
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) assert.ok(!overlap(boxes[i]!, boxes[j]!), `task-${i + 1} and task-${j + 1} do not overlap`);
  await ui.shot(page, 'editor-drops');
  assert.deepEqual(ui.pageErrors, []);
});

test('"+ Add task" puts each task inside the visible canvas, on a free spot; when the view is full it pans to the new task', async () => {
  await openNewDag();
  const pane = async () => (await page.locator('[data-testid=canvas] .react-flow').boundingBox())!;
  const addAndCheck = async (n: number) => {
    await page.click('[data-testid=add-task]');
    await page.waitForSelector(`.react-flow__node[data-id="task-${n}"]`);
    // The view may pan to it (an animation that can start a frame or two after the click): wait
    // until the node is inside the canvas (or 5 s), then check it is.
    await page
      .waitForFunction(
        (id) => {
          const node = document.querySelector(`.react-flow__node[data-id="${id}"]`)?.getBoundingClientRect();
          const pane = document.querySelector('[data-testid=canvas] .react-flow')?.getBoundingClientRect();
          return !!node && !!pane && node.left >= pane.left && node.top >= pane.top && node.right <= pane.right && node.bottom <= pane.bottom;
        },
        `task-${n}`,
        { timeout: 5_000 },
      )
      .catch(() => undefined);
    await canvasSettled(page);
    const b = await nodeBox(`task-${n}`);
    assert.ok(inside(b, await pane()), `task-${n} (${JSON.stringify(b)}) is inside the visible canvas ${JSON.stringify(await pane())}`);
    for (let i = 1; i < n; i++) {
      const other = await nodeBox(`task-${i}`);
      if (inside(other, await pane())) assert.ok(!overlap(b, other), `task-${n} does not cover task-${i}`);
    }
  };
  for (let n = 1; n <= 6; n++) await addAndCheck(n);
  await ui.shot(page, 'editor-add-task');

  // Zoomed in, the view holds few tasks: once it is full, the view follows each new one.
  for (let i = 0; i < 4; i++) await page.click('.react-flow__controls-zoomin');
  await canvasSettled(page);
  const viewport = () => page.$eval('.react-flow__viewport', (el) => getComputedStyle(el).transform);
  const zoomed = await viewport();
  for (let n = 7; n <= 14; n++) await addAndCheck(n);
  assert.notEqual(await viewport(), zoomed, 'the view moved to show the tasks that did not fit');
  assert.deepEqual(ui.pageErrors, []);
});

test('editing a DAG of the DAG folder warns, naming its file; Save asks first, and saves only once confirmed', async () => {
  await page.goto(`${ui.base}/dags/default/from-folder/edit`);
  const warning = page.locator('[data-testid=editor-managed-by-file]');
  await warning.waitFor();
  const file = `${ui.tmp}/dags/from-folder.yaml`;
  assert.ok((await warning.innerText()).includes(file), `the warning names ${file}: ${await warning.innerText()}`);
  await ui.shot(page, 'editor-managed-by-file');

  // Change the task's image, then Save: the question names the file.
  await page.click('.react-flow__node[data-id="only"]');
  await page.fill('input[name=task-image]', 'alpine:3.21');
  await page.waitForSelector('[data-testid=problem-count]:has-text("valid")');
  const asked = nextDialog('dismiss');
  await page.click('[data-testid=save]');
  const question = await asked;
  assert.ok(question.includes(file), question);
  assert.equal((await ui.api.getDag('default', 'from-folder')).version, 1, 'declined: nothing saved');

  const confirmed = nextDialog('accept');
  await page.click('[data-testid=save]');
  await confirmed;
  await page.waitForSelector('[data-testid=dag-page]');
  assert.equal((await ui.api.getDag('default', 'from-folder')).version, 2, 'confirmed: a version is saved');

  // A new DAG given the name of a folder DAG: the API's refusal is turned into the same question.
  await openNewDag();
  await page.fill('input[name=dag-name]', 'from-folder');
  await page.click('[data-testid=add-task]');
  await page.waitForSelector('[data-testid=problem-count]:has-text("valid")');
  const refused = nextDialog('dismiss');
  await page.click('[data-testid=save]');
  const again = await refused;
  assert.ok(again.includes(file), again);
  await page.waitForSelector(`[data-testid=editor] .error-box:has-text("from-folder.yaml")`);
  assert.equal((await ui.api.getDag('default', 'from-folder')).version, 2);
  assert.deepEqual(ui.pageErrors, []);
});
