// End to end: `npm start` on a fresh data folder with the examples as DAG folder; every example
// that runs on demand runs to success through the CLI, exactly as a user would do it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { ROOT, run, start, type Proc } from './proc.js';

let dir: string;
let up: Proc;
let env: NodeJS.ProcessEnv;
let dags: string;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kontroler-e2e-'));
  dags = join(dir, 'dags');
  cpSync(join(ROOT, 'examples'), dags, { recursive: true });
  const { DATABASE_URL: _a, KONTROLER_TEST_DATABASE_URL: _b, ...rest } = process.env;
  // No login of the user running the tests may redirect the CLI: it finds the instance by its data dir.
  env = { ...rest, KONTROLER_DATA_DIR: join(dir, 'data'), KONTROLER_CONFIG: join(dir, 'cli-config.json') };
  const port = await freePort();
  up = start(['start', '--silent', '--', '--dags', dags, '--port', String(port)], env, ROOT, 'npm', []);
  await up.waitFor(/Kontroler is up/, 120_000);
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(res.status, 200);
});

after(async () => {
  up.signal('SIGINT');
  await up.exited;
  assert.match(up.output(), /stopped/);
  rmSync(dir, { recursive: true, force: true });
});

for (const dag of ['hello-chain', 'fan-out-fan-in', 'retries-and-parameters']) {
  test(`example ${dag} runs to success`, async () => {
    const r = await run(['run', dag, '--wait'], env);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /succeeded in/);
  });
}

test('example data-pipeline: a mapped task fans out over an output, its reduced outputs flow on, a CEL condition picks the branch', async () => {
  const r = await run(['run', 'data-pipeline', '--wait'], env);
  assert.equal(r.code, 0, r.out);
  const id = /run (\d+) succeeded/.exec(r.out)?.[1];
  assert.ok(id, r.out);
  const outputs = await run(['outputs', id, 'measure'], env);
  assert.equal(outputs.code, 0, outputs.out);
  assert.match(outputs.out, /^total=19$/m, 'alpha beta gamma delta: 5 + 4 + 5 + 5 bytes');
  const gamma = await run(['logs', id, 'size[2]'], env);
  assert.equal(gamma.code, 0, gamma.out);
  assert.match(gamma.out, /gamma: 5 bytes/, "an instance's own log");
  const sizes = await run(['outputs', id, 'size'], env);
  assert.match(sizes.out, /^bytes=\["5","4","5","5"\]$/m, 'the instances\' values in item order');
  const measureLog = await run(['logs', id, 'measure'], env);
  assert.match(measureLog.out, /sizes \["5","4","5","5"\], total 19/);
  const big = await run(['logs', id, 'big-batch'], env);
  assert.match(big.out, new RegExp(`a big batch: 19 bytes \\(run ${id}\\)`));
  const status = await run(['run-status', id], env);
  assert.match(status.out, /small-batch\s.*skipped[\s\S]*ConditionFalse|ConditionFalse[\s\S]*small-batch/);
  assert.match(status.out, /^size\s+succeeded\s.*4 instances: 4 succeeded/m);
  assert.match(status.out, /^size\[3\]\s+succeeded\s+1\s+succeeded\s+0/m, 'instances are listed after their mapped task');
  const small = await run(['run', 'data-pipeline', '-p', 'THRESHOLD=100', '--wait'], env);
  assert.equal(small.code, 0, small.out);
  const sid = /run (\d+) succeeded/.exec(small.out)?.[1] ?? '';
  const smallLog = await run(['logs', sid, 'small-batch'], env);
  assert.match(smallLog.out, /a small batch: 19 bytes/);
});

/** Polls run-status (JSON) until `ok` holds for the run, for at most 30 s. */
async function untilRun(id: string, ok: (r: { status: string; tasks: Array<{ name: string; status: string; approval?: { waiting: boolean } }> }) => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const s = await run(['run-status', id, '-o', 'json'], env);
    if (s.code === 0 && ok(JSON.parse(s.out))) return;
    if (Date.now() > deadline) throw new Error(`run ${id} did not get there: ${s.out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('example release-approval: a sub-DAG run, then the gate waits for a person; kontroler approve gives the decision to deploy; a second decision and a rejection', async () => {
  const started = await run(['run', 'release-approval'], env);
  const id = /started run (\d+)/.exec(started.out)?.[1];
  assert.ok(id, started.out);
  await untilRun(id, (r) => r.tasks.some((t) => t.name === 'gate' && t.approval?.waiting === true));
  const waiting = await run(['run-status', id], env);
  const child = /checks\s+succeeded\s.*child run (\d+)/.exec(waiting.out)?.[1];
  assert.ok(child, waiting.out);
  assert.match(waiting.out, /total=19/, "the child run's outputs are the dagRef task's");
  const childStatus = await run(['run-status', child], env);
  assert.match(childStatus.out, new RegExp(`child run of run ${id} \\(task checks, attempt 1\\)`));
  assert.match(childStatus.out, /data-pipeline/);
  const approved = await run(['approve', id, 'gate', '--input', 'ticket=OPS-7', '-m', 'looks good'], env);
  assert.equal(approved.code, 0, approved.out);
  assert.match(approved.out, new RegExp(`run ${id} task gate: approved by \\S+ \\(looks good\\)`));
  await untilRun(id, (r) => r.status === 'succeeded');
  const deploy = await run(['logs', id, 'deploy'], env);
  assert.match(deploy.out, /deploying OPS-7 approved by \S+: looks good/);
  const again = await run(['approve', id, 'gate', '--input', 'ticket=X'], env);
  assert.notEqual(again.code, 0);
  assert.match(again.out, /run \d+ is succeeded: its approvals can no longer be decided/);
  const outputs = await run(['outputs', id, 'gate'], env);
  assert.match(outputs.out, /^ticket=OPS-7$/m);

  const second = /started run (\d+)/.exec((await run(['run', 'release-approval'], env)).out)?.[1] ?? '';
  await untilRun(second, (r) => r.tasks.some((t) => t.name === 'gate' && t.approval?.waiting === true));
  const missing = await run(['approve', second, 'gate'], env);
  assert.notEqual(missing.code, 0);
  assert.match(missing.out, /body\.inputs\.ticket/, 'approve needs the declared input');
  const rejected = await run(['approve', second, 'gate', '--reject', '-m', 'not today'], env);
  assert.equal(rejected.code, 0, rejected.out);
  await untilRun(second, (r) => r.status === 'failed');
  const status = await run(['run-status', second], env);
  assert.match(status.out, /Rejected by \S+: not today/);
  assert.match(status.out, /deploy\s+skipped/);
});

test('the DAG folder: new and changed files load as new versions, bad files are reported and skipped', async () => {
  const file = join(dags, 'fails.yaml');
  const dag = (script: string) =>
    `apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata: {name: fails}\nspec:\n  task:\n    - name: boom\n      image: alpine\n      script: "${script}"\n`;
  writeFileSync(file, dag('echo about to fail; exit 7'));
  await up.waitFor(/DAG default\/fails: loaded version 1/);
  const r = await run(['run', 'fails', '--wait'], env);
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /boom: failed after 1 attempt/);
  const id = /run (\d+) failed/.exec(r.out)?.[1];
  const l = await run(['logs', id ?? '', 'boom'], env);
  assert.match(l.out, /about to fail/);

  writeFileSync(join(dags, 'broken.yaml'), dag('true').replace('name: fails', 'name: broken').replace('image: alpine', 'image: alpine\n      runAfter: [lod]'));
  await up.waitFor(/broken\.yaml: skipped, \d+ problem\(s\)[\s\S]*broken\.yaml:8:\d+: spec\.task\[0\]\.runAfter\[0\]: unknown task "lod"/);

  writeFileSync(file, dag('echo fixed'));
  await up.waitFor(/DAG default\/fails: loaded version 2/);
  const ok = await run(['run', 'fails', '--wait'], env);
  assert.equal(ok.code, 0, ok.out);
  const none = await run(['run', 'no-such-dag'], env);
  assert.equal(none.code, 1);
  assert.match(none.out, /NOT_FOUND.*no-such-dag/);
});

test('an unknown parameter is refused, naming it and the declared ones', async () => {
  const r = await run(['run', 'retries-and-parameters', '-p', 'NOPE=1'], env);
  assert.equal(r.code, 1);
  assert.match(r.out, /parameters\.NOPE: unknown parameter; the DAG declares: GREETING, TARGET/);
});

test('run-status and logs show attempts, exit codes and output', async () => {
  const r = await run(['run', 'retries-and-parameters', '-p', 'GREETING=bonjour', '--wait'], env);
  const id = /run (\d+) succeeded/.exec(r.out)?.[1];
  assert.ok(id, r.out);
  const s = await run(['run-status', id], env);
  assert.match(s.out, /flaky\s+1\s+failed\s+1\s/);
  assert.match(s.out, /succeeded\s+2\s+succeeded\s+0\s/);
  const l = await run(['logs', id, 'greet'], env);
  assert.match(l.out, /bonjour, world/);
  const l1 = await run(['logs', id, 'flaky', '--attempt', '1'], env);
  assert.match(l1.out, /attempt 1 fails on purpose/);
});

test('runs lists newest first and pages with --before; get dags needs no login', async () => {
  const all = await run(['runs', '-o', 'json'], env);
  assert.equal(all.code, 0, all.out);
  const ids = (JSON.parse(all.out) as { items: Array<{ id: number }> }).items.map((r) => r.id);
  assert.ok(ids.length >= 3, all.out);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
  const older = await run(['runs', '--before', String(ids[1]), '-o', 'json'], env);
  assert.deepEqual((JSON.parse(older.out) as { items: Array<{ id: number }> }).items.map((r) => r.id), ids.slice(2));
  const page = await run(['runs', '-l', '1', '-s', 'succeeded'], env);
  assert.match(page.out, /^ID\s+NAMESPACE\s+DAG\s+STATUS/m);
  assert.match(page.out, /more: --before \d+/);
  const dags = await run(['get', 'dags'], env);
  assert.equal(dags.code, 0, dags.out);
  assert.match(dags.out, /default\s+hello-chain\s+1/);
});

test('logs -f follows a running task live and ends when the attempt ends', async () => {
  const gate = join(dir, 'printer-gate');
  writeFileSync(
    join(dags, 'printer.yaml'),
    `apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata: {name: printer}\nspec:\n  task:\n    - name: print\n      image: alpine\n      script: "echo line 1; while [ ! -f ${gate} ]; do sleep 0.05; done; echo line 2"\n`,
  );
  await up.waitFor(/DAG default\/printer: loaded version 1/);
  const started = await run(['run', 'printer'], env);
  const id = /started run (\d+)/.exec(started.out)?.[1];
  assert.ok(id, started.out);
  const follow = start(['logs', id, 'print', '-f'], env);
  await follow.waitFor(/line 1/);
  assert.doesNotMatch(follow.output(), /line 2/, 'the task waits for the gate, so this is live output');
  writeFileSync(gate, '');
  assert.equal(await follow.exited, 0, follow.output());
  assert.match(follow.output(), /line 1\nline 2\n/);
});
