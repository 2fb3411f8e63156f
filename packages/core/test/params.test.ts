import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { legacySecretVariables, dagRunOverrides, resolveDag, resolveRunParameters, resolveSecretsFromEnv, secretEnvName, type DagDefinition } from '@kontroler/core';
import { dag } from './helpers.js';

function definition(): DagDefinition {
  const r = resolveDag(dag({ parameters: [{ name: 'a', defaultValue: 'A' }, { name: 'b', defaultFromSecret: 'db-pass' }, { name: 'c', defaultValue: '' }] }, [
    { name: 't', image: 'i', command: ['x'], parameters: ['a', 'b', 'c'] },
  ]), () => undefined);
  assert.ok(r.definition, JSON.stringify(r.errors));
  return r.definition;
}

describe('resolveRunParameters', () => {
  test('defaults apply; secret-backed ones come back as refs', () => {
    assert.deepEqual(resolveRunParameters(definition(), {}), {
      values: { a: 'A', c: '' },
      secrets: ['b'],
      secretRefs: { b: 'db-pass' },
      errors: [],
    });
  });

  test('overrides replace defaults, a plain override replaces a secret', () => {
    const r = resolveRunParameters(definition(), { a: 'x', b: 'plain' });
    assert.deepEqual(r.values, { a: 'x', b: 'plain', c: '' });
    assert.deepEqual(r.secretRefs, {});
    assert.deepEqual(r.secrets, []);
  });

  test('secret overrides (a DagRun fromSecret)', () => {
    const r = resolveRunParameters(definition(), {}, { a: 'other-secret' });
    assert.deepEqual(r.secretRefs, { a: 'other-secret', b: 'db-pass' });
    assert.deepEqual(r.values, { c: '' });
  });

  test('unknown names are errors listing the declared ones', () => {
    const r = resolveRunParameters(definition(), { FOO: '1' }, { BAR: 's' });
    assert.deepEqual(r.errors, [
      { path: 'parameters.FOO', message: 'unknown parameter; the DAG declares: a, b, c' },
      { path: 'parameters.BAR', message: 'unknown parameter; the DAG declares: a, b, c' },
    ]);
    const none = { ...definition(), parameters: [] };
    assert.deepEqual(resolveRunParameters(none, { x: '1' }).errors, [{ path: 'parameters.x', message: 'unknown parameter; the DAG declares no parameters' }]);
  });

  test('one name both ways is an error', () => {
    assert.deepEqual(resolveRunParameters(definition(), { a: '1' }, { a: 's' }).errors.map((e) => e.path), ['parameters.a']);
  });
});

test('dagRunOverrides splits a DagRun into values and secrets', () => {
  assert.deepEqual(
    dagRunOverrides({
      apiVersion: 'kontroler.greedykomodo/v1alpha1',
      kind: 'DagRun',
      metadata: { name: 'r' },
      spec: { dagName: 'd', parameters: [{ name: 'a', value: '1' }, { name: 'b', fromSecret: 's' }, { name: '', value: 'x' }] },
    }),
    { values: { a: '1' }, secrets: { b: 's' } },
  );
});

describe('local secrets from the environment', () => {
  test('KONTROLER_SECRET_<NAMESPACE>__<NAME>, upper case, other characters to _', () => {
    assert.equal(secretEnvName('default', 'db-pass'), 'KONTROLER_SECRET_DEFAULT__DB_PASS');
    assert.equal(secretEnvName('team-a', 'etl.db-secret2'), 'KONTROLER_SECRET_TEAM_A__ETL_DB_SECRET2');
  });
  test('no two namespaces share a variable: "--" namespaces have none', () => {
    // etl + db-pass vs etl-db + pass would collide with a single "_" separator.
    assert.notEqual(secretEnvName('etl', 'db-pass'), secretEnvName('etl-db', 'pass'));
    assert.equal(secretEnvName('a--b', 'c'), undefined);
    assert.notEqual(secretEnvName('a', 'b--c'), secretEnvName('a-b', '-c'));
  });
  test('reads the refs of the namespace, and says which variable is missing', () => {
    const r = resolveSecretsFromEnv('default', { b: 'db-pass', c: 'api.key', d: 'old' }, {
      KONTROLER_SECRET_DEFAULT__DB_PASS: 'hunter2',
      KONTROLER_SECRET_OTHER__API_KEY: 'other-namespace',
      KONTROLER_SECRET_OLD: 'unscoped',
    });
    assert.deepEqual(r.values, { b: 'hunter2' });
    assert.deepEqual(r.errors, [
      { path: 'parameters.c', message: 'secret "api.key" of namespace "default" is not set: set the environment variable KONTROLER_SECRET_DEFAULT__API_KEY' },
      {
        path: 'parameters.d',
        message: 'secret "old" of namespace "default" is not set: set the environment variable KONTROLER_SECRET_DEFAULT__OLD; KONTROLER_SECRET_OLD is no longer read (secrets are scoped by namespace): rename it to KONTROLER_SECRET_DEFAULT__OLD',
      },
    ]);
  });
  test('old unscoped variables are found for a startup warning', () => {
    assert.deepEqual(legacySecretVariables({ KONTROLER_SECRET_DB_PASS: 'x', KONTROLER_SECRET_DEFAULT__DB_PASS: 'y', KONTROLER_PORT: '1' }), ['KONTROLER_SECRET_DB_PASS']);
  });
});
