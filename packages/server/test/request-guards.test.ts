// The request guards (issue 11): NUL bytes in path or query refused before authentication and
// the database, a 400 body that never carries driver text, nosniff + no-store on every API
// response, the nesting limit on resource bodies, and validation warnings.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MAX_NESTING_DEPTH } from '@kontroler/core';
import { toApiError } from '@kontroler/server';
import { ADMIN_PASSWORD, call, login, startHarness, type Harness } from './harness.js';

let h: Harness;
let token: string;
before(async () => {
  h = await startHarness();
  token = await login(h.url, 'admin', ADMIN_PASSWORD);
});
after(async () => h.close());

const DRIVER_TEXT = /invalid byte sequence|0x00|UTF8|SQLSTATE/i;

test('a NUL byte in any path or query parameter is a 400 naming the field, for every route and with or without credentials', async () => {
  for (const [path, field] of [
    ['/api/v1/namespaces/a%00b/dags/x', 'path.ns'],
    ['/api/v1/namespaces/a/dags/x%00', 'path.name'],
    ['/api/v1/namespaces/a/dags?name=%00', 'query.name'],
    ['/api/v1/runs?namespace=a%00', 'query.namespace'],
    ['/api/v1/users/ad%00min', 'path.username'],
  ] as const) {
    for (const t of [token, undefined]) {
      const res = await call<{ code: string; details: Array<{ path: string }> }>(h.url, 'GET', path, t ? { token: t } : {});
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.equal(res.body.code, 'BAD_REQUEST');
      assert.equal(res.body.details[0]?.path, field);
      assert.doesNotMatch(res.text, DRIVER_TEXT);
    }
  }
});

test('database data exceptions never pass the driver text on', () => {
  const e = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
  const out = toApiError(e);
  assert.equal(out.status, 400);
  assert.doesNotMatch(out.body.message, DRIVER_TEXT);
});

test('every API response carries nosniff and no-store, errors included', async () => {
  for (const [method, path, t] of [
    ['GET', '/healthz', undefined],
    ['GET', '/api/v1/namespaces', token],
    ['GET', '/api/v1/namespaces', undefined],
    ['GET', '/api/v1/runs/1/tasks/a/attempts/1/logs', token],
    ['POST', '/api/v1/nothing', token],
  ] as const) {
    const res = await call(h.url, method, path, t ? { token: t } : {});
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${method} ${path} ${res.status}`);
    assert.equal(res.headers.get('cache-control'), 'no-store', `${method} ${path} ${res.status}`);
  }
});

test(`resource bodies: ${MAX_NESTING_DEPTH} levels are read, ${MAX_NESTING_DEPTH + 1} are a 400 naming the limit, on validate too`, async () => {
  const body = (depth: number) =>
    `apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata: {name: deep}\nspec:\n  task:\n    - name: a\n      image: x\n      command: [x]\n      podTemplate:\n        affinity: ${'{"a":'.repeat(depth - 5)}1${'}'.repeat(depth - 5)}\n`;
  // The document, spec, the task list, the task, podTemplate: 5 levels before the JSON.
  const ok = await call<{ valid: boolean }>(h.url, 'POST', '/api/v1/namespaces/default/dags/validate', { token, raw: body(MAX_NESTING_DEPTH) });
  assert.equal(ok.status, 200, ok.text);
  const deep = await call<{ code: string; message: string }>(h.url, 'POST', '/api/v1/namespaces/default/dags/validate', { token, raw: body(MAX_NESTING_DEPTH + 1) });
  assert.equal(deep.status, 400, deep.text);
  assert.equal(deep.body.code, 'BAD_REQUEST');
  assert.match(deep.body.message, /nested deeper than 64 levels/);
});

test('validate and apply answer warnings for $(PARAM) in a sh -c script', async () => {
  const dag = `apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata: {name: warned}\nspec:\n  parameters: [{name: P, defaultValue: x}]\n  task:\n    - {name: a, image: x, parameters: [P], command: [sh, -c, "echo $(P)"]}\n`;
  const v = await call<{ valid: boolean; warnings: Array<{ path: string }> }>(h.url, 'POST', '/api/v1/namespaces/default/dags/validate', { token, raw: dag });
  assert.equal(v.body.valid, true);
  assert.equal(v.body.warnings[0]?.path, 'spec.task[0].command[2]');
  const a = await call<{ warnings: unknown[] }>(h.url, 'POST', '/api/v1/namespaces/default/dags', { token, raw: dag });
  assert.equal(a.status, 201);
  assert.equal(a.body.warnings.length, 1);
});
