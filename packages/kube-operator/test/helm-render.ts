// Renders deploy/helm/kontroler with Helm (built from the Go module proxy by scripts/build-helm.sh,
// cached) and applies rendered objects to the test apiserver (server-side apply, dry run or real).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '@kontroler/testing';
import type { KubeClient } from '@kontroler/runtime-kube';

export type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: unknown };

export const CHART = join(repoRoot, 'deploy/helm/kontroler');

/** The helm binary's path (built once, cached outside the repository). Throws when it cannot be had. */
export function helm(): string {
  try {
    return execFileSync(join(repoRoot, 'scripts/build-helm.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 540_000 }).trim();
  } catch (err) {
    throw new Error(`helm is needed to render deploy/helm/kontroler and could not be built (scripts/build-helm.sh): ${String(err)}`);
  }
}

/** `helm template` of the chart in `namespace` with `--set` values: its exit status and output. */
export function template(bin: string, namespace: string, sets: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(bin, ['template', 'kontroler', CHART, '--namespace', namespace, '--include-crds', ...sets.flatMap((s) => ['--set', s])], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The rendered objects; throws with helm's message when it refuses the values. */
export function render(bin: string, namespace: string, sets: string[]): Obj[] {
  const r = template(bin, namespace, sets);
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJSON() as Obj | null)
    .filter((d): d is Obj => d !== null && typeof d === 'object');
}

export const PATHS: Record<string, { base: string; plural: string; namespaced: boolean }> = {
  CustomResourceDefinition: { base: '/apis/apiextensions.k8s.io/v1', plural: 'customresourcedefinitions', namespaced: false },
  ServiceAccount: { base: '/api/v1', plural: 'serviceaccounts', namespaced: true },
  Secret: { base: '/api/v1', plural: 'secrets', namespaced: true },
  Service: { base: '/api/v1', plural: 'services', namespaced: true },
  Pod: { base: '/api/v1', plural: 'pods', namespaced: true },
  Deployment: { base: '/apis/apps/v1', plural: 'deployments', namespaced: true },
  ClusterRole: { base: '/apis/rbac.authorization.k8s.io/v1', plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { base: '/apis/rbac.authorization.k8s.io/v1', plural: 'clusterrolebindings', namespaced: false },
  Role: { base: '/apis/rbac.authorization.k8s.io/v1', plural: 'roles', namespaced: true },
  RoleBinding: { base: '/apis/rbac.authorization.k8s.io/v1', plural: 'rolebindings', namespaced: true },
  PodDisruptionBudget: { base: '/apis/policy/v1', plural: 'poddisruptionbudgets', namespaced: true },
  NetworkPolicy: { base: '/apis/networking.k8s.io/v1', plural: 'networkpolicies', namespaced: true },
  Ingress: { base: '/apis/networking.k8s.io/v1', plural: 'ingresses', namespaced: true },
  ValidatingWebhookConfiguration: { base: '/apis/admissionregistration.k8s.io/v1', plural: 'validatingwebhookconfigurations', namespaced: false },
};

/** Server-side applies each object (a dry run unless `real`); resolves with `Kind/name` of each accepted. */
export async function apply(client: KubeClient, namespace: string, objs: Obj[], real = false): Promise<string[]> {
  const accepted: string[] = [];
  for (const o of objs) {
    const p = PATHS[o.kind];
    assert.ok(p, `no API path known for ${o.kind}`);
    const nsPart = p.namespaced ? `/namespaces/${o.metadata.namespace ?? namespace}` : '';
    await client.request('PATCH', `${p.base}${nsPart}/${p.plural}/${o.metadata.name}`, {
      query: { ...(real ? {} : { dryRun: 'All' }), fieldManager: 'kontroler-deploy-test', force: true, fieldValidation: 'Strict' },
      contentType: 'application/apply-patch+yaml',
      body: o,
    });
    accepted.push(`${o.kind}/${o.metadata.name}`);
  }
  return accepted;
}
