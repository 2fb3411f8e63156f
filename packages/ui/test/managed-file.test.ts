import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileOfRefusal, managedFile, overrideQuestion } from '../dist-lib/features/editor/managed-file.js';

test('a DAG of the DAG folder is known by its source; a MANAGED_BY_FILE refusal names its file', () => {
  assert.equal(managedFile('file:/srv/dags/etl.yaml'), '/srv/dags/etl.yaml');
  assert.equal(managedFile('api'), undefined);
  assert.equal(managedFile(undefined), undefined);
  assert.equal(fileOfRefusal({ code: 'MANAGED_BY_FILE', details: [{ source: '/srv/dags/etl.yaml' }] }), '/srv/dags/etl.yaml');
  assert.equal(fileOfRefusal({ code: 'MANAGED_BY_FILE', details: [] }), 'a file of the DAG folder');
  assert.equal(fileOfRefusal({ code: 'VALIDATION_FAILED' }), undefined);
  assert.equal(fileOfRefusal(null), undefined);
  assert.match(overrideQuestion('/srv/dags/etl.yaml'), /\/srv\/dags\/etl\.yaml[\s\S]*next change of that file replaces it/);
});
