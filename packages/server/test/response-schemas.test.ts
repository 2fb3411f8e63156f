// The response schemas are the one source of the client's types (@kontroler/client derives them
// with `Static<typeof X>`), so what the server really sends must match them: real responses of a
// real server, checked against the schema the route table documents for their status.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { TSchema } from '@sinclair/typebox';
import { ADMIN_PASSWORD, DAG_YAML, call, login, seedRun, startHarness, type Harness } from './harness.js';

type AjvCtor = typeof AjvModule.default;
const Ajv = ((AjvModule as unknown as { default?: AjvCtor }).default ?? (AjvModule as unknown as AjvCtor)) as AjvCtor;
type AddFormats = typeof addFormatsModule.default;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats)) as AddFormats;

let h: Harness;
let token: string;
let runId: number;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);

function schemaOf(method: string, url: string, status: number): TSchema {
  const r = h.server.routes.find((x) => x.method === method && x.url === url);
  assert.ok(r, `no route ${method} ${url}`);
  const s = r.schema.response?.[status];
  assert.ok(s, `${method} ${url} documents no response for ${status}`);
  return s;
}

/** Calls the route and checks the body against its documented schema. */
async function check(method: string, url: string, path: string, status: number, raw?: string): Promise<unknown> {
  const res = await call(h.url, method, path, { token, ...(raw !== undefined ? { raw } : {}) });
  assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
  const validate = ajv.compile(schemaOf(method, url, status));
  assert.ok(validate(res.body), `${method} ${path} does not match its schema: ${ajv.errorsText(validate.errors)}\n${res.text}`);
  return res.body;
}

describe('responses match the schemas the client types come from', () => {
  before(async () => {
    h = await startHarness();
    token = await login(h.url, 'admin', ADMIN_PASSWORD);
    runId = await seedRun(h, 'team', 'seeded');
  });
  after(async () => h.close());

  test('auth, users, tokens, audit', async () => {
    await check('GET', '/api/v1/auth/me', '/api/v1/auth/me', 200);
    await check('GET', '/api/v1/auth/providers', '/api/v1/auth/providers', 200);
    const created = await call(h.url, 'POST', '/api/v1/tokens', { token, body: { name: 'ci', role: 'viewer', namespaces: ['*'] } });
    assert.equal(created.status, 201, created.text);
    await check('GET', '/api/v1/tokens', '/api/v1/tokens', 200);
    await check('GET', '/api/v1/users', '/api/v1/users', 200);
    const audit = (await check('GET', '/api/v1/audit', '/api/v1/audit', 200)) as { items: unknown[] };
    assert.ok(audit.items.length > 0, 'the token creation is in the audit log');
  });

  test('DAGs and DagTasks', async () => {
    await check('POST', '/api/v1/namespaces/:ns/dags', '/api/v1/namespaces/team/dags', 201, DAG_YAML('hello'));
    await check('POST', '/api/v1/namespaces/:ns/dags/validate', '/api/v1/namespaces/team/dags/validate', 200, DAG_YAML('hello'));
    await check('POST', '/api/v1/namespaces/:ns/dags/validate', '/api/v1/namespaces/team/dags/validate', 200, 'kind: DAG\nmetadata: {name: broken}\nspec: {task: []}\n');
    const list = (await check('GET', '/api/v1/namespaces/:ns/dags', '/api/v1/namespaces/team/dags', 200)) as { items: unknown[] };
    assert.ok(list.items.length >= 2);
    await check('GET', '/api/v1/dags', '/api/v1/dags', 200);
    await check('GET', '/api/v1/namespaces/:ns/dags/:name', '/api/v1/namespaces/team/dags/hello', 200);
    await check('GET', '/api/v1/namespaces/:ns/dags/:name/versions/:version', '/api/v1/namespaces/team/dags/hello/versions/1', 200);
    await check('POST', '/api/v1/namespaces/:ns/dags/:name/suspend', '/api/v1/namespaces/team/dags/hello/suspend', 200);
    const task = 'apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DagTask\nmetadata: {name: loader}\nspec: {image: alpine, command: ["true"]}\n';
    await check('POST', '/api/v1/namespaces/:ns/dagtasks', '/api/v1/namespaces/team/dagtasks', 201, task);
    const tasks = (await check('GET', '/api/v1/namespaces/:ns/dagtasks', '/api/v1/namespaces/team/dagtasks', 200)) as { items: unknown[] };
    assert.equal(tasks.items.length, 1);
  });

  test('runs, attempts, webhooks, stats', async () => {
    const runs = (await check('GET', '/api/v1/runs', '/api/v1/runs?taskCounts=true', 200)) as { items: unknown[] };
    assert.ok(runs.items.length > 0);
    const detail = (await check('GET', '/api/v1/runs/:id', `/api/v1/runs/${runId}`, 200)) as { tasks: unknown[] };
    assert.equal(detail.tasks.length, 2);
    const page = (await check('GET', '/api/v1/runs/:id/tasks', `/api/v1/runs/${runId}/tasks?limit=1`, 200)) as { items: unknown[]; nextCursor?: string };
    assert.equal(page.items.length, 1);
    assert.ok(page.nextCursor);
    await check('GET', '/api/v1/runs/:id/webhooks', `/api/v1/runs/${runId}/webhooks`, 200);
    await check('GET', '/api/v1/stats', '/api/v1/stats', 200);
  });
});
