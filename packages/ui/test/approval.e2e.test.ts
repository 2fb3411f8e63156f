// Approvals in a real browser: Debian's Chromium (playwright-core) against the real `kontroler up`
// (API server serving the UI bundle, controller, local runtime) on a fresh PostgreSQL database.
// `release` builds, waits at `gate` for a person, then deploys with the approver's inputs. From
// the run page: the gate's node says it waits; approving with a ticket and a comment succeeds the
// gate and runs deploy with them; a second run rejected from the page fails with the reason; a
// viewer sees the request with its buttons disabled (and the API refuses them with 403); a page
// that has not caught up with someone else's decision shows the server's 409 and then the decision.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { BrowserContext, Page, Route } from 'playwright-core';
import { ApiError, KontrolerClient } from '@kontroler/client';
import { launchChromium, logContaining, startUiInstance, type UiInstance } from './e2e-kit.js';

const PASSWORD = 'approval-e2e-admin-password';
const VIEWER_PASSWORD = 'approval-e2e-viewer-password';
const OPS_PASSWORD = 'approval-e2e-ops-password';

const RELEASE = `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata: {name: release}
spec:
  task:
    - name: build
      image: alpine
      command: ["echo", "built"]
    - name: gate
      runAfter: [build]
      approval:
        message: "Deploy build of run {{run.id}}?"
        timeoutSeconds: 3600
        onTimeout: Reject
        inputs: [ticket]
    - name: deploy
      runAfter: [gate]
      image: alpine
      command: ["echo", "deploying {{tasks.gate.outputs.ticket}} approved by {{tasks.gate.outputs.approvedBy}}"]
`;

let ui: UiInstance | undefined;
let base: string;
let api: KontrolerClient;
let viewerCtx: BrowserContext | undefined;
let page: Page;
let pageErrors: string[];

async function shot(p: Page, name: string): Promise<void> {
  await ui!.shot(p, `approval-${name}`);
}

async function signIn(p: Page, username: string, password: string): Promise<void> {
  await ui!.signIn(p, username, password);
}

/** Opens a run's page with the gate's panel, once the gate waits for a decision. */
async function openWaitingGate(p: Page, runId: number): Promise<void> {
  await p.goto(`${base}/runs/${runId}?task=gate`);
  await p.waitForSelector('.react-flow__node[data-id="gate"] .task-node[data-approval=waiting]', { timeout: 60_000 });
  await p.waitForSelector('[data-testid=task-panel][data-task="gate"] [data-testid=approval][data-approval-state=waiting]');
}


before(async () => {
  ui = await startUiInstance('approval', { password: PASSWORD });
  ({ base, api, page, pageErrors } = ui);
  await api.apply('DAG', 'default', RELEASE, 'yaml');
  await api.createUser({ username: 'vera', password: VIEWER_PASSWORD, roles: [{ namespace: 'default', role: 'viewer' }] });
  await api.createUser({ username: 'ops', password: OPS_PASSWORD, roles: [{ namespace: 'default', role: 'editor' }] });
});

after(async () => {
  await viewerCtx?.close().catch(() => undefined);
  await ui?.close();
});

test('approved from the run page: the gate waits, then succeeds with the decision as outputs, and deploy uses them', async () => {
  const run = await api.startRun('default', 'release');
  await openWaitingGate(page, run.id);

  const node = page.locator('.react-flow__node[data-id="gate"]');
  assert.match(await node.innerText(), /waiting for approval/);
  assert.equal(await node.getAttribute('aria-label'), 'Task gate, waiting for approval');
  assert.match((await node.locator('.task-node').getAttribute('class')) ?? '', /tone-approval/);
  assert.equal(await page.locator('.react-flow__node[data-id="deploy"] .task-node').getAttribute('data-status'), 'pending');
  const panel = page.locator('[data-testid=task-panel]');
  assert.equal(await panel.locator('.section .badge').first().innerText(), 'waiting for approval');
  assert.equal(await panel.locator('[data-testid=approval-message]').innerText(), `Deploy build of run ${run.id}?`);
  assert.match(await panel.locator('[data-testid=approval-timeout]').innerText(), /^in (59 min|60 min|1 h), then rejected$/);
  assert.equal(await panel.locator('[data-testid=log-viewer]').count(), 0, 'an approval runs no process: no log');
  // The status chips count the gate as waiting for approval, not as running (running underneath).
  const counts = page.locator('[data-testid=task-counts]');
  await counts.locator('[data-count-status=approval][data-count="1"]').waitFor();
  assert.match(await counts.locator('[data-count-status=approval]').innerText(), /^waiting for approval\s+1$/);
  assert.equal(await counts.locator('[data-count-status=running]').count(), 0, 'nothing else runs: no running chip');
  assert.equal((await api.getRun(run.id)).taskCounts.running, 1, 'the API still counts it as running');
  await shot(page, 'waiting-light');

  // A value past the API's limit: its 400 detail shows under the field, the form stays.
  await panel.locator('input[name=input-ticket]').fill('x'.repeat(5000));
  await panel.getByRole('button', { name: 'Approve' }).click();
  await page.waitForSelector('[data-testid=input-error-ticket]');
  assert.match(await panel.locator('[data-testid=input-error-ticket]').innerText(), /4096/);
  assert.match(await panel.locator('[data-testid=approval-error]').innerText(), /body\.inputs\.ticket/);
  assert.equal(await panel.locator('input[name=input-ticket]').getAttribute('aria-invalid'), 'true');

  await panel.locator('input[name=input-ticket]').fill('OPS-7');
  await panel.locator('textarea[name=comment]').fill('ship it');
  await panel.getByRole('button', { name: 'Approve' }).click();
  await page.waitForSelector('[data-testid=approval-decision][data-approve=true]');
  assert.equal(await panel.locator('[data-testid=approval-form]').count(), 0, 'the decision replaces the form');
  assert.equal(await panel.locator('[data-testid=decision-text]').innerText(), 'approved by admin');
  assert.equal(await panel.locator('[data-testid=decision-comment]').innerText(), 'ship it');
  assert.match(await panel.locator('[data-testid=decision-inputs] tr[data-output=ticket]').innerText(), /ticket\s+OPS-7/);

  await page.waitForSelector('[data-testid=run-page][data-run-status=succeeded]', { timeout: 60_000 });
  await page.waitForSelector('.react-flow__node[data-id="gate"] .task-node[data-status=succeeded]:not([data-approval])');
  assert.equal(await page.locator('[data-testid=task-counts] [data-count-status=approval]').count(), 0, 'decided: no longer waiting');
  await page.waitForSelector('[data-testid=attempt-outputs] tr[data-output=approvedBy]');
  const outputs = page.locator('[data-testid=attempt-outputs]');
  assert.match(await outputs.locator('tr[data-output=approvedBy]').innerText(), /approvedBy\s+admin/);
  assert.match(await outputs.locator('tr[data-output=comment]').innerText(), /comment\s+ship it/);
  assert.match(await outputs.locator('tr[data-output=ticket]').innerText(), /ticket\s+OPS-7/);
  await shot(page, 'approved-light');

  await page.click('.react-flow__node[data-id="deploy"]');
  await page.waitForSelector('[data-testid=task-panel][data-task="deploy"]');
  assert.match(await logContaining(page, 'deploying'), /^deploying OPS-7 approved by admin$/m);
  assert.deepEqual(pageErrors, []);
});

test('rejected from the run page (after a confirmation): the gate fails with the reason, deploy does not run', async () => {
  const run = await api.startRun('default', 'release');
  await openWaitingGate(page, run.id);
  const panel = page.locator('[data-testid=task-panel]');
  await panel.locator('textarea[name=comment]').fill('not on a Friday');

  // Dismissed: nothing is sent, the gate still waits.
  const dismissed = page.waitForEvent('dialog').then(async (d) => {
    assert.match(d.message(), /^Reject gate\?/);
    await d.dismiss();
  });
  await panel.getByRole('button', { name: 'Reject' }).click();
  await dismissed;
  assert.equal((await api.getRun(run.id)).tasks.find((t) => t.name === 'gate')?.approval?.decision, null);

  page.once('dialog', (d) => void d.accept());
  await panel.getByRole('button', { name: 'Reject' }).click();
  await page.waitForSelector('[data-testid=approval-decision][data-approve=false]');
  assert.equal(await panel.locator('[data-testid=decision-text]').innerText(), 'rejected by admin');
  assert.equal(await panel.locator('[data-testid=decision-comment]').innerText(), 'not on a Friday');

  await page.waitForSelector('[data-testid=run-page][data-run-status=failed]', { timeout: 60_000 });
  await page.waitForSelector('.react-flow__node[data-id="gate"] .task-node[data-status=failed]');
  await page.waitForFunction(() => document.querySelector('[data-testid=task-panel] .kv')?.textContent?.includes('Rejected by admin: not on a Friday') ?? false);
  const gate = (await api.getRun(run.id)).tasks.find((t) => t.name === 'gate');
  assert.equal(gate?.reason, 'Rejected by admin: not on a Friday');
  const deploy = (await api.getRun(run.id)).tasks.find((t) => t.name === 'deploy');
  assert.notEqual(deploy?.status, 'succeeded');
  assert.equal(deploy?.attempts.length, 0, 'deploy never ran');
  await shot(page, 'rejected-light');
  assert.deepEqual(pageErrors, []);
});

test('a viewer sees the request with the buttons disabled (the API refuses them); a stale page shows the 409 of a decision made elsewhere', async () => {
  const run = await api.startRun('default', 'release');

  viewerCtx = await launchChromium(join(ui!.tmp, 'profile-viewer'));
  const vp = viewerCtx.pages()[0] ?? (await viewerCtx.newPage());
  vp.setDefaultTimeout(30_000);
  const viewerErrors: string[] = [];
  vp.on('pageerror', (e) => viewerErrors.push(e.message));
  await signIn(vp, 'vera', VIEWER_PASSWORD);
  // What a viewer cannot do is not offered, or is disabled saying why.
  assert.equal(await vp.locator('nav.sidebar a:has-text("New DAG")').count(), 0, 'no New DAG in the sidebar');
  const newDag = vp.locator('.page-head button:has-text("New DAG")');
  assert.equal(await newDag.isDisabled(), true);
  assert.match((await newDag.getAttribute('title')) ?? '', /needs the editor role/);
  await vp.goto(`${base}/editor`);
  await vp.waitForSelector('[data-testid=editor-read-only]');
  assert.match(await vp.locator('[data-testid=editor-read-only]').innerText(), /viewer in namespace default: saving a DAG there needs the editor role/);
  assert.equal(await vp.locator('[data-testid=save]').isDisabled(), true, 'Save is disabled before anything is drawn');
  await openWaitingGate(vp, run.id);
  const vpanel = vp.locator('[data-testid=task-panel]');
  assert.equal(await vpanel.locator('[data-testid=approval-message]').innerText(), `Deploy build of run ${run.id}?`);
  for (const name of ['Approve', 'Reject']) {
    const b = vpanel.getByRole('button', { name });
    assert.equal(await b.isDisabled(), true, `${name} is disabled for a viewer`);
    assert.equal(await b.getAttribute('title'), 'Deciding needs the editor role in namespace default');
  }
  assert.equal(await vpanel.locator('input[name=input-ticket]').isDisabled(), true);
  assert.match(await vpanel.locator('[data-testid=approval-buttons]').innerText(), /Deciding needs the editor role in namespace default/);
  await shot(vp, 'viewer-light');

  // The server refuses the viewer anyway, also from the page's own session (cookie + CSRF header).
  const status = await vp.evaluate(async (url) => {
    const csrf = /(?:^|;\s*)kontroler_csrf=([^;]*)/.exec(document.cookie)?.[1];
    const res = await fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', ...(csrf ? { 'x-csrf-token': decodeURIComponent(csrf) } : {}) }, body: JSON.stringify({ inputs: { ticket: 'V-1' } }) });
    return res.status;
  }, `${base}/api/v1/runs/${run.id}/tasks/gate/approve`);
  assert.equal(status, 403);
  const viewerApi = new KontrolerClient({ baseUrl: base, token: (await new KontrolerClient({ baseUrl: base }).login('vera', VIEWER_PASSWORD)).token });
  await assert.rejects(viewerApi.rejectTask(run.id, 'gate'), (e: unknown) => e instanceof ApiError && e.status === 403);
  assert.deepEqual(viewerErrors, []);

  // The admin's page stops hearing from the server (no live stream: the run page then polls; its
  // polls held, then let through unchanged) while ops approves elsewhere: the page's Reject is
  // refused with the server's 409 text.
  const eventsPath = `/api/v1/runs/${run.id}/events`;
  const isEvents = (u: URL) => u.pathname === eventsPath;
  await page.route(isEvents, (r) => void r.abort());
  await openWaitingGate(page, run.id);
  const held: Route[] = [];
  const runPath = `/api/v1/runs/${run.id}`;
  const isRun = (u: URL) => u.pathname === runPath;
  let firstHeld: () => void = () => undefined;
  const holding = new Promise<void>((resolve) => (firstHeld = resolve));
  await page.route(isRun, (r) => {
    if (r.request().method() !== 'GET') return void r.continue();
    held.push(r);
    firstHeld();
  });
  // Once a poll is held, none is in flight (the page polls one at a time): the page is stale from here.
  await holding;
  const ops = new KontrolerClient({ baseUrl: base, token: (await new KontrolerClient({ baseUrl: base }).login('ops', OPS_PASSWORD)).token });
  const decided = await ops.approveTask(run.id, 'gate', { inputs: { ticket: 'OPS-9' }, comment: 'from the CLI' });
  assert.equal(decided.by, 'ops');
  const panel = page.locator('[data-testid=task-panel]');
  assert.equal(await panel.locator('[data-testid=approval][data-approval-state=waiting]').count(), 1, 'the page has not caught up');
  page.once('dialog', (d) => void d.accept());
  await panel.getByRole('button', { name: 'Reject' }).click();
  await page.waitForSelector('[data-testid=approval-error]');
  // Which 409 depends on how far the controller got: the decision recorded, or the run already over.
  assert.match(await panel.locator('[data-testid=approval-error]').innerText(), new RegExp(`^(task gate of run ${run.id} was already approved by ops at \\d{4}-\\d\\d-\\d\\dT|run ${run.id} is succeeded: its approvals can no longer be decided)`));
  await page.unroute(isRun);
  await page.unroute(isEvents);
  // The page's refresh after the 409 aborted some held polls: those are gone, the rest go through.
  for (const r of held.splice(0)) await r.continue().catch(() => undefined);
  await page.waitForSelector('[data-testid=approval-decision][data-approve=true]');
  assert.equal(await panel.locator('[data-testid=decision-text]').innerText(), 'approved by ops');
  await page.waitForSelector('[data-testid=run-page][data-run-status=succeeded]', { timeout: 60_000 });
  assert.deepEqual(pageErrors, []);
});
