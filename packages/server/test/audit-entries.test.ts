// What the audit log holds for the UI to show (issue 17): a refused or failed action names its
// target and the error it answered with; a DAG apply names the version it made. Real HTTP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { listAudit } from '@kontroler/store';
import { ADMIN_PASSWORD, call, login, startHarness, type Harness } from './harness.js';

let h: Harness;
let admin: string;
before(async () => {
  h = await startHarness();
  admin = await login(h.url, 'admin', ADMIN_PASSWORD);
});
after(async () => h.close());

const dag = (echo: string) =>
  `apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata:\n  name: audited\nspec:\n  task:\n    - name: a\n      image: alpine:3.20\n      script: echo ${echo}\n`;

test('a user creation refused before it reached the store names its target and its error (never the password)', async () => {
  const r = await call(h.url, 'POST', '/api/v1/users', { token: admin, body: { username: 'weak-one', password: 'x', roles: [] } });
  assert.equal(r.status, 400);
  const [e] = await listAudit(h.db.pool, { action: 'user.create' });
  assert.ok(e);
  assert.equal(e.outcome, 'failed');
  assert.equal(e.resource, 'weak-one');
  const err = e.details.error as { code: string; message: string };
  assert.equal(err.code, 'VALIDATION_FAILED');
  assert.match(err.message, /^password /);
  assert.ok(!JSON.stringify(e.details).includes('"x"'), 'the password is not recorded');
});

test('a DAG apply records the version it made and whether it was new; a failed one its error', async () => {
  for (const echo of ['one', 'two', 'two']) {
    const r = await call(h.url, 'PUT', '/api/v1/namespaces/default/dags/audited', { token: admin, raw: dag(echo) });
    assert.ok(r.status === 200 || r.status === 201, r.text);
  }
  const bad = await call(h.url, 'PUT', '/api/v1/namespaces/default/dags/audited', { token: admin, raw: dag('three').replace('image: alpine:3.20\n', '') });
  assert.equal(bad.status, 400);
  const entries = (await listAudit(h.db.pool, { action: 'dag.apply' })).reverse();
  assert.deepEqual(
    entries.map((e) => [e.outcome, e.resource, e.details.version, e.details.created]),
    [
      ['ok', 'audited', 1, true],
      ['ok', 'audited', 2, true],
      ['ok', 'audited', 2, false],
      ['failed', 'audited', undefined, undefined],
    ],
  );
  assert.equal((entries[3]!.details.error as { code: string }).code, 'VALIDATION_FAILED');
});
