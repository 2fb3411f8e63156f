// Attack replays for issue 11, items 1, 10 and 11 (input bounds), against a real `kontroler up`:
// deep JSON/YAML to validate and apply, a NUL byte in a path, the response headers, oversize,
// deep and special files in the DAG folder, and the `sh -c "$(PARAM)"` warning.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startInstance, type Instance } from './instance.js';

const NESTED_JSON = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
const NESTED_YAML_BLOCK = '- '.repeat(10_000) + 'x\n';
const NESTED_YAML_FLOW = `apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata: {name: deep}\nspec:\n  x: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`;
const DRIVER_TEXT = /invalid byte sequence|0x00|UTF8|SQLSTATE|syntax error at|pg_|postgres/i;

let inst: Instance;
let viewer = '';
let editor = '';

async function login(username: string, password: string): Promise<string> {
  const res = await fetch(`${inst.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { token: string }).token;
}

async function makeUser(username: string, role: string): Promise<string> {
  const password = `${username}-password-123456`;
  const res = await inst.api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username, password, roles: [{ namespace: 'a', role }] }) });
  assert.ok(res.status === 201 || res.status === 200, `${res.status} ${await res.text()}`);
  return login(username, password);
}

function as(token: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(`${inst.url}${path}`, { ...init, headers });
}

async function assertAlive(): Promise<void> {
  assert.equal(inst.proc.child.exitCode, null, `the instance exited:\n${inst.proc.output().slice(-2000)}`);
  const t0 = Date.now();
  const res = await fetch(`${inst.url}/healthz`);
  assert.equal(res.status, 200);
  assert.ok(Date.now() - t0 < 5_000, '/healthz answers promptly');
}

/** How often `re` matches the instance's output so far. */
function count(re: RegExp): number {
  return (inst.proc.output().match(new RegExp(re.source, `${re.flags.replace('g', '')}g`)) ?? []).length;
}

before(async () => {
  inst = await startInstance();
  viewer = await makeUser('sec-viewer', 'viewer');
  editor = await makeUser('sec-editor', 'editor');
});
after(async () => {
  await inst?.stop();
});

describe('item 1: 10,000-deep documents', () => {
  for (const [name, body, type] of [
    ['JSON', NESTED_JSON, 'application/json'],
    ['YAML (compact block lists)', NESTED_YAML_BLOCK, 'application/yaml'],
    ['YAML (flow lists in a DAG)', NESTED_YAML_FLOW, 'application/yaml'],
  ] as const) {
    test(`${name}: validate as a viewer and apply as an editor answer 400 naming the limit; the instance stays up`, async () => {
      for (let round = 0; round < 2; round++) {
        // The crash took two requests: the first overflowed the stack, the second the heap.
        const v = await as(viewer, '/api/v1/namespaces/a/dags/validate', { method: 'POST', headers: { 'content-type': type }, body });
        const vt = await v.text();
        assert.equal(v.status, 400, vt);
        assert.match(vt, /nested deeper than 64 levels/);
        assert.equal((JSON.parse(vt) as { code: string }).code, 'BAD_REQUEST');
        const a = await as(editor, '/api/v1/namespaces/a/dags', { method: 'POST', headers: { 'content-type': type }, body });
        const at = await a.text();
        assert.equal(a.status, 400, at);
        assert.match(at, /the limit is 64/);
        await assertAlive();
      }
      // A viewer may not apply at all: refused before the body is read.
      const denied = await as(viewer, '/api/v1/namespaces/a/dags', { method: 'POST', headers: { 'content-type': type }, body });
      assert.equal(denied.status, 403);
      await assertAlive();
    });
  }
});

describe('item 11: NUL bytes and headers', () => {
  test('a NUL byte in a path or query parameter is a 400 without the driver text', async () => {
    for (const path of ['/api/v1/namespaces/a%00b/dags/x', '/api/v1/namespaces/a/dags/x%00', '/api/v1/dags?name=a%00b', '/api/v1/namespaces/a%00b/dags']) {
      const res = await inst.api(path);
      const text = await res.text();
      assert.equal(res.status, 400, `${path}: ${text}`);
      assert.match(text, /NUL byte/);
      assert.doesNotMatch(text, DRIVER_TEXT);
    }
    // Also before authentication: an anonymous caller learns nothing either.
    const anon = await fetch(`${inst.url}/api/v1/namespaces/a%00b/dags/x`);
    assert.equal(anon.status, 400);
    await assertAlive();
  });

  test('every API, log and health response has nosniff and no-store', async () => {
    const responses = [
      await fetch(`${inst.url}/healthz`),
      await inst.api('/api/v1/namespaces'),
      await inst.api('/api/v1/namespaces/a/dags'),
      await fetch(`${inst.url}/api/v1/namespaces/a/dags`), // 401
      await inst.api('/api/v1/runs/999999/tasks/x/attempts/1/logs'), // the log route, 404
      await inst.api('/api/v1/no-such-route'), // 404 from the router
      await inst.api('/api/v1/namespaces/a%00b/dags'), // 400 from the guard
    ];
    for (const res of responses) {
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${res.url} ${res.status}`);
      assert.equal(res.headers.get('cache-control'), 'no-store', `${res.url} ${res.status}`);
      await res.arrayBuffer();
    }
  });
});

describe('items 10 and 11: the DAG folder', () => {
  test('a 33 MiB file and a deeply nested file are reported with their name and the limit; the instance stays up', async () => {
    const big = `apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata: {name: big}\nspec:\n  description: "${'x'.repeat(33 * 1024 * 1024)}"\n`;
    // Written beside the folder and moved in, so the loader never sees it half written (a 33 MiB
    // write spans several passes: a growing file would be a new version each pass).
    const staged = join(inst.dagsDir, '..', 'big.yaml.staged');
    writeFileSync(staged, big);
    renameSync(staged, join(inst.dagsDir, 'big.yaml'));
    writeFileSync(join(inst.dagsDir, 'deep.json'), NESTED_JSON);
    await inst.proc.waitFor(/big\.yaml: <root>: the file is \d+ bytes or more, over the limit of 33554432 bytes \(MAX_DAG_FILE_BYTES/, 30_000);
    await inst.proc.waitFor(/deep\.json:1:\d+: <root>: nested deeper than 64 levels/, 30_000);
    await assertAlive();
    const res = await inst.api('/api/v1/namespaces/default/dags/big');
    assert.equal(res.status, 404, 'the oversize DAG was not loaded');
  });

  test('a FIFO, a dangling symlink and a symlink loop are reported once each, and the FIFO never blocks', async () => {
    execFileSync('mkfifo', [join(inst.dagsDir, 'pipe.yaml')]);
    symlinkSync(join(inst.dagsDir, 'no-such-target.yaml'), join(inst.dagsDir, 'gone.yaml'));
    symlinkSync(join(inst.dagsDir, 'loop-b.yaml'), join(inst.dagsDir, 'loop-a.yaml'));
    symlinkSync(join(inst.dagsDir, 'loop-a.yaml'), join(inst.dagsDir, 'loop-b.yaml'));
    await inst.proc.waitFor(/pipe\.yaml: skipped, a FIFO/, 30_000);
    await inst.proc.waitFor(/gone\.yaml: skipped, a dangling symbolic link/, 30_000);
    await inst.proc.waitFor(/loop-a\.yaml: skipped, a symbolic link loop/, 30_000);
    // Later scans still run (the FIFO blocked nothing) and do not repeat the reports.
    for (const name of ['after-1', 'after-2']) {
      writeFileSync(
        join(inst.dagsDir, `${name}.yaml`),
        `apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata: {name: ${name}}\nspec:\n  task:\n    - {name: a, image: alpine, command: ["true"]}\n`,
      );
      await inst.proc.waitFor(new RegExp(`DAG default/${name}: loaded version 1`), 30_000);
    }
    assert.equal(count(/pipe\.yaml: skipped/), 1);
    assert.equal(count(/gone\.yaml: skipped/), 1);
    assert.equal(count(/loop-a\.yaml: skipped/), 1);
    assert.equal(count(/big\.yaml: skipped/), 1, 'the oversize file is reported once too');
    await assertAlive();
  });

  test('$(PARAM) in a sh -c argument: a warning in the validate answer and in the DAG-folder log, not an error', async () => {
    const dag = `apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata: {name: shelly}\nspec:\n  parameters: [{name: MSG, defaultValue: hi}]\n  task:\n    - name: a\n      image: alpine\n      parameters: [MSG]\n      command: [sh, -c, "echo $(MSG)"]\n`;
    const res = await as(viewer, '/api/v1/namespaces/a/dags/validate', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: dag });
    const body = (await res.json()) as { valid: boolean; warnings?: Array<{ path: string; message: string }> };
    assert.equal(res.status, 200);
    assert.equal(body.valid, true);
    assert.equal(body.warnings?.length, 1);
    assert.equal(body.warnings?.[0]?.path, 'spec.task[0].command[2]');
    assert.match(body.warnings?.[0]?.message ?? '', /"\$MSG"/);
    writeFileSync(join(inst.dagsDir, 'shelly.yaml'), dag);
    await inst.proc.waitFor(/shelly\.yaml:10:\d+: spec\.task\[0\]\.command\[2\]: warning: \$\(MSG\) is substituted/, 30_000);
    await inst.proc.waitFor(/DAG default\/shelly: loaded version 1/, 30_000);
  });
});
