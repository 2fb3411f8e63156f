// Installs deploy/crds/*.yaml into the test apiserver (server-side apply: idempotent, safe from
// several test files at once) and waits until they are served.
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { waitFor, testKubeConfig } from '@kontroler/kube-agent/testing';
import type { KubeClient } from '@kontroler/runtime-kube';
import { repoRoot, yamlFilesUnder } from '@kontroler/testing';
import { readYamlDocs } from './repo.js';

export async function installCrds(client: KubeClient): Promise<void> {
  for (const file of yamlFilesUnder(join(repoRoot, 'deploy/crds'))) {
    for (const crd of readYamlDocs(file)) {
      const name = (crd.metadata as { name: string }).name;
      await client.request('PATCH', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`, {
        query: { fieldManager: 'kontroler-tests', force: true },
        contentType: 'application/apply-patch+yaml',
        body: crd,
      });
      await waitFor<KubernetesObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>(
        testKubeConfig(),
        { path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', fieldSelector: `metadata.name=${name}` },
        (o) => o.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true,
        { what: `CRD ${name} established` },
      );
    }
  }
}

export const GROUP_PATH = '/apis/kontroler.greedykomodo/v1alpha1';
