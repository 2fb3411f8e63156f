import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditChange, auditError, auditFields, auditTarget } from '../dist-lib/features/admin/audit-view.js';

const apply = (details: Record<string, unknown>, outcome: 'ok' | 'failed' = 'ok') => ({ action: 'dag.apply', namespace: 'team', resource: 'etl', outcome, details });

test('a DAG apply that made a version is diffed against the one before; a first or unchanged one says so', () => {
  assert.deepEqual(auditChange(apply({ version: 3, created: true })), { kind: 'version', namespace: 'team', name: 'etl', from: 2, to: 3 });
  assert.deepEqual(auditChange(apply({ version: 1, created: true })), { kind: 'created', version: 1 });
  assert.deepEqual(auditChange(apply({ version: 3, created: false })), { kind: 'unchanged', version: 3 });
  assert.equal(auditChange(apply({ version: 3, created: true }, 'failed')), undefined);
  assert.equal(auditChange(apply({ dryRun: true, version: 3, created: true })), undefined);
  assert.equal(auditChange({ ...apply({ version: 2, created: true }), action: 'user.update' }), undefined);
});

test('the fields an action set, readable; the error of a failed one; its target', () => {
  assert.deepEqual(auditFields({ username: 'bob', roles: [{ namespace: 'team', role: 'viewer' }], disabled: true, status: 200, dryRun: false }), ['roles: team:viewer', 'disabled: true']);
  assert.equal(auditFields({ note: 'x'.repeat(200) })[0]!.length, 'note: '.length + 80);
  assert.deepEqual(auditError({ status: 409, error: { code: 'MANAGED_BY_FILE', message: 'loaded from a file' } }), { code: 'MANAGED_BY_FILE', message: 'loaded from a file' });
  assert.equal(auditError({ status: 200 }), undefined);
  assert.equal(auditTarget({ namespace: 'team', resource: 'etl' }), 'team/etl');
  assert.equal(auditTarget({ namespace: null, resource: 'bob' }), 'bob');
  assert.equal(auditTarget({ namespace: null, resource: null }), '—');
});
