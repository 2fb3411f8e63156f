// The chart's aggregated ClusterRoles on the real apiserver: rendered by helm and applied, their
// rules are added by kube-controller-manager's clusterrole-aggregation controller (run by the
// test substrate) to the built-in view, edit and admin roles. Then, asked through
// SubjectAccessReview and acted out by impersonation: someone bound to `view` in a namespace
// may get/list/watch DAGs, DagTasks and DagRuns there (not create them, not elsewhere); someone
// bound to `edit` may create a DagRun (not write its status, which is the controller's).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1ClusterRole } from '@kubernetes/client-node';
import { testNamespace, waitFor } from '@kontroler/kube-agent/testing';
import type { KubeClient } from '@kontroler/runtime-kube';
import { installCrds } from './crds.js';
import { helmBinary, renderChart, type RenderedObject } from './helm.js';
import { kubectl, testClient } from './helpers.js';

const ns = await testNamespace('aggregated-roles');
const other = await testNamespace('aggregated-roles-other');
const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const GROUP = 'kontroler.greedykomodo';
let client: KubeClient;
let roles: RenderedObject[];

before(async () => {
  client = testClient();
  await installCrds(client);
  roles = renderChart(helmBinary(), ns.name).filter((o) => o.kind === 'ClusterRole' && Object.keys(o.metadata.labels ?? {}).some((k) => k.startsWith('rbac.authorization.k8s.io/aggregate-to-')));
  for (const r of roles) {
    await client.request('PATCH', `${RBAC}/clusterroles/${r.metadata.name}`, { query: { fieldManager: 'kontroler-tests', force: true }, contentType: 'application/apply-patch+yaml', body: r });
  }
  for (const [user, role] of [['alice', 'view'], ['bob', 'edit']] as const) {
    await client.request('POST', `${RBAC}/namespaces/${ns.name}/rolebindings`, {
      body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: `${user}-${role}` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] },
    });
  }
});
after(async () => {
  for (const r of roles ?? []) await client.request('DELETE', `${RBAC}/clusterroles/${r.metadata.name}`).catch(() => undefined);
  client.close();
});

/** Whether `user` may `verb` the resource in `namespace`, as the apiserver's authorizer decides. */
async function may(user: string, verb: string, resource: string, namespace = ns.name, subresource?: string): Promise<boolean> {
  const r = await client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user, resourceAttributes: { group: GROUP, resource, verb, namespace, ...(subresource ? { subresource } : {}) } } },
  });
  return r.status?.allowed === true;
}

test('the chart has kontroler-view and kontroler-edit, labelled to aggregate to view and edit', () => {
  const byName = new Map(roles.map((r) => [r.metadata.name, r]));
  assert.deepEqual([...byName.keys()].sort(), ['kontroler-edit', 'kontroler-view']);
  assert.equal(byName.get('kontroler-view')?.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view'], 'true');
  assert.equal(byName.get('kontroler-edit')?.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-edit'], 'true');
  const rules = (byName.get('kontroler-view') as unknown as V1ClusterRole).rules ?? [];
  assert.ok(rules.every((r) => r.verbs.every((v) => ['get', 'list', 'watch'].includes(v))), 'view only reads');
});

test('the aggregation controller adds them to the built-in view and edit roles', async () => {
  for (const [role, verb] of [['view', 'list'], ['edit', 'create'], ['admin', 'create']] as const) {
    await waitFor<V1ClusterRole & KubernetesObject>(
      ns.kc,
      { path: `${RBAC}/clusterroles`, fieldSelector: `metadata.name=${role}` },
      (o) => (o.rules ?? []).some((r) => r.apiGroups?.includes(GROUP) && r.resources?.includes('dagruns') && r.verbs.includes(verb)),
      { what: `the built-in ${role} ClusterRole to hold "${verb}" on dagruns (is kube-controller-manager's clusterrole-aggregation-controller running?)`, timeoutMs: 60_000 },
    );
  }
});

test('view reads DAGs, DagTasks and DagRuns in its namespace; edit creates a DagRun', async () => {
  for (const resource of ['dags', 'dagtasks', 'dagruns']) {
    for (const verb of ['get', 'list', 'watch']) assert.equal(await may('alice', verb, resource), true, `view may ${verb} ${resource}`);
    assert.equal(await may('alice', 'create', resource), false, `view may not create ${resource}`);
    assert.equal(await may('alice', 'list', resource, other.name), false, `view is bound in ${ns.name} only`);
  }
  for (const resource of ['dags', 'dagtasks', 'dagruns']) for (const verb of ['create', 'update', 'patch', 'delete']) assert.equal(await may('bob', verb, resource), true, `edit may ${verb} ${resource}`);
  assert.equal(await may('bob', 'patch', 'dagruns', ns.name, 'status'), false, "a DagRun's status is the controller's");

  // Acted out: kubectl as bob creates a DagRun, kubectl as alice lists it and may not create one.
  const run = JSON.stringify({ apiVersion: `${GROUP}/v1alpha1`, kind: 'DagRun', metadata: { name: 'by-bob' }, spec: { dagName: 'whatever' } });
  const created = await kubectl(['create', '--as', 'bob', '-n', ns.name, '-f', '-'], run);
  assert.equal(created.status, 0, created.stderr);
  const listed = await kubectl(['get', `dagruns.${GROUP}`, '--as', 'alice', '-n', ns.name, '-o', 'name']);
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /by-bob/);
  const refused = await kubectl(['create', '--as', 'alice', '-n', ns.name, '-f', '-'], run.replace('by-bob', 'by-alice'));
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /forbidden/i);
});
