// Role mapping rules: claims → roles per namespace, service accounts → roles; parsing refuses
// mistakes with the rule's index and field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindingsForClaims, bindingsForServiceAccount, parseClaimRoleMap, parseServiceAccountRoleMap } from '@kontroler/server';

test('claims: list membership, exact strings, "*" for any value, dotted paths; strongest role wins; * covers the rest', () => {
  const rules = parseClaimRoleMap(
    JSON.stringify([
      { claim: 'groups', value: 'ops', namespace: 'prod', role: 'viewer' },
      { claim: 'groups', value: 'prod-admins', namespace: 'prod', role: 'admin' },
      { claim: 'email', value: '*', namespace: 'sandbox', role: 'editor' },
      { claim: 'realm_access.roles', value: 'kontroler-admin', namespace: '*', role: 'admin' },
      { claim: 'hd', value: 'example.com', namespace: 'docs', role: 'viewer' },
    ]),
  );
  assert.deepEqual(bindingsForClaims(rules, { groups: ['ops', 'prod-admins'], email: 'a@x' }), [
    { namespace: 'prod', role: 'admin' },
    { namespace: 'sandbox', role: 'editor' },
  ]);
  assert.deepEqual(bindingsForClaims(rules, { groups: 'ops', hd: 'example.com' }), [
    { namespace: 'docs', role: 'viewer' },
    { namespace: 'prod', role: 'viewer' },
  ]);
  assert.deepEqual(bindingsForClaims(rules, { realm_access: { roles: ['kontroler-admin'] }, groups: ['ops'], email: 'x@y' }), [{ namespace: '*', role: 'admin' }]);
  assert.deepEqual(bindingsForClaims(rules, { email: '', groups: [], hd: 'other.com' }), []);
  assert.deepEqual(bindingsForClaims(rules, { groups: [{ name: 'ops' }] }), [], 'objects in a list never match');
});

test('service accounts: exact, any name in a namespace, any namespace; $namespace is the account\'s own', () => {
  const rules = parseServiceAccountRoleMap(
    JSON.stringify([
      { serviceAccount: 'system:serviceaccount:ci:runner', namespace: 'ci', role: 'editor' },
      { serviceAccount: 'system:serviceaccount:team-a:*', namespace: 'team-a', role: 'viewer' },
      { serviceAccount: 'system:serviceaccount:*:kontroler-task', namespace: '$namespace', role: 'editor' },
    ]),
  );
  assert.deepEqual(bindingsForServiceAccount(rules, 'ci', 'runner'), [{ namespace: 'ci', role: 'editor' }]);
  assert.deepEqual(bindingsForServiceAccount(rules, 'team-a', 'anything'), [{ namespace: 'team-a', role: 'viewer' }]);
  assert.deepEqual(bindingsForServiceAccount(rules, 'team-a', 'kontroler-task'), [{ namespace: 'team-a', role: 'editor' }]);
  assert.deepEqual(bindingsForServiceAccount(rules, 'billing', 'kontroler-task'), [{ namespace: 'billing', role: 'editor' }]);
  assert.deepEqual(bindingsForServiceAccount(rules, 'ci', 'other'), []);
});

test('bad rule maps are refused naming the rule and field', () => {
  const bad: Array<[string, RegExp]> = [
    ['not json', /X: not valid JSON/],
    ['{"claim":"groups"}', /X: must be a JSON list of rules/],
    ['[{"claim":"groups","value":"a","namespace":"ns","role":"owner"}]', /X\[0\]\.role: must be viewer, editor or admin/],
    ['[{"claim":"groups","value":"a","namespace":"Bad_NS","role":"viewer"}]', /X\[0\]\.namespace/],
    ['[{"claim":"","value":"a","namespace":"ns","role":"viewer"}]', /X\[0\]\.claim/],
    ['[{"claim":"g","value":"a","namespace":"ns","role":"viewer","extra":1}]', /X\[0\]\.extra: unknown field/],
  ];
  for (const [text, want] of bad) assert.throws(() => parseClaimRoleMap(text, 'X'), want, text);
  assert.throws(() => parseServiceAccountRoleMap('[{"serviceAccount":"ci:runner","namespace":"ci","role":"viewer"}]', 'Y'), /Y\[0\]\.serviceAccount: must be system:serviceaccount:/);
  assert.throws(() => parseServiceAccountRoleMap('[{"serviceAccount":"system:serviceaccount:ci:r","namespace":"$self","role":"viewer"}]', 'Y'), /Y\[0\]\.namespace/);
});
